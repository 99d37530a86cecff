-- Changes of mind that stay in the audit trail, and studies made of several reports.

-- A resolution given with --override (on a work whose reviewers had no conflict) says so.
ALTER TABLE resolutions ADD COLUMN override INTEGER NOT NULL DEFAULT 0 CHECK (override IN (0, 1));

-- A resolution withdrawn (with the title/abstract decision that let the work into full text):
-- append-only like every log; the resolution stays, no longer standing.
CREATE TABLE resolution_withdrawals (
    withdrawal_id  INTEGER PRIMARY KEY,
    resolution_id  INTEGER NOT NULL REFERENCES resolutions (resolution_id),
    withdrawn_by   TEXT NOT NULL,
    withdrawn_at   TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX resolution_withdrawals_resolution ON resolution_withdrawals (resolution_id);

CREATE TRIGGER resolution_withdrawals_keep_standing AFTER INSERT ON resolution_withdrawals
BEGIN
    DELETE FROM standing_resolutions WHERE resolution_id = NEW.resolution_id;
END;
CREATE TRIGGER resolution_withdrawals_append_only_u BEFORE UPDATE ON resolution_withdrawals
BEGIN SELECT RAISE(ABORT, 'resolution withdrawals are append-only'); END;
CREATE TRIGGER resolution_withdrawals_append_only_d BEFORE DELETE ON resolution_withdrawals
BEGIN SELECT RAISE(ABORT, 'resolution withdrawals are append-only'); END;

-- Reports of one study: each row says which study a work (a report) belongs to, named by the
-- work that stands for the study; study_id NULL takes the work out of its study. The latest row
-- of a work is in force.
CREATE TABLE study_links (
    link_id    INTEGER PRIMARY KEY,
    work_id    INTEGER NOT NULL REFERENCES works (work_id),
    study_id   INTEGER REFERENCES works (work_id),
    linked_by  TEXT NOT NULL,
    linked_at  TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX study_links_work ON study_links (work_id, link_id);

CREATE TRIGGER study_links_append_only_u BEFORE UPDATE ON study_links
BEGIN SELECT RAISE(ABORT, 'study links are append-only'); END;
CREATE TRIGGER study_links_append_only_d BEFORE DELETE ON study_links
BEGIN SELECT RAISE(ABORT, 'study links are append-only'); END;

CREATE VIEW current_study_links AS
SELECT s.* FROM study_links AS s
WHERE s.study_id IS NOT NULL
  AND s.link_id = (SELECT max(x.link_id) FROM study_links AS x WHERE x.work_id = s.work_id);
