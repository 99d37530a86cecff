-- Screening: every table is append-only (a change of mind, an undo or a correction is a new row);
-- the current state is read through the views at the end of this file.

-- Who was asked to screen which work in which phase. Written once per (work, phase) from the
-- review's screening.toml (a stable hash of the work id decides who gets it), and when a reviewer
-- decides on a work they were not assigned (e.g. labels imported from elsewhere).
CREATE TABLE assignments (
    work_id      INTEGER NOT NULL REFERENCES works (work_id),
    phase        TEXT NOT NULL CHECK (phase IN ('title_abstract', 'full_text')),
    reviewer     TEXT NOT NULL,
    assigned_at  TEXT NOT NULL,
    how          TEXT NOT NULL CHECK (how IN ('hash', 'volunteer')),
    PRIMARY KEY (phase, work_id, reviewer)
) WITHOUT ROWID;
CREATE INDEX assignments_reviewer ON assignments (phase, reviewer, work_id);

-- One reviewer's decision on one work in one phase. 'undo' withdraws that reviewer's earlier
-- decision on the work (it is pending again for them).
CREATE TABLE decisions (
    decision_id  INTEGER PRIMARY KEY,
    work_id      INTEGER NOT NULL REFERENCES works (work_id),
    phase        TEXT NOT NULL CHECK (phase IN ('title_abstract', 'full_text')),
    reviewer     TEXT NOT NULL,
    decision     TEXT NOT NULL CHECK (decision IN ('include', 'exclude', 'maybe', 'undo')),
    reason       TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    decided_at   TEXT NOT NULL,
    via          TEXT NOT NULL DEFAULT 'cli',    -- 'screen', 'cli', 'import'
    queue_order  TEXT NOT NULL DEFAULT ''         -- the queue ordering shown, e.g. 'id'
);
CREATE INDEX decisions_work_phase ON decisions (work_id, phase, reviewer, decision_id);
CREATE INDEX decisions_phase_reviewer ON decisions (phase, reviewer, work_id, decision_id);

-- Notes a reviewer writes on a work while screening (kept whatever they decide).
CREATE TABLE screening_notes (
    note_id      INTEGER PRIMARY KEY,
    work_id      INTEGER NOT NULL REFERENCES works (work_id),
    phase        TEXT NOT NULL CHECK (phase IN ('title_abstract', 'full_text')),
    reviewer     TEXT NOT NULL,
    note         TEXT NOT NULL,
    written_at   TEXT NOT NULL
);
CREATE INDEX screening_notes_work ON screening_notes (work_id, phase);

-- The outcome of a conflict (discussion or a third reviewer), also append-only: the latest
-- resolution of a work in a phase is the final word on it.
CREATE TABLE resolutions (
    resolution_id INTEGER PRIMARY KEY,
    work_id       INTEGER NOT NULL REFERENCES works (work_id),
    phase         TEXT NOT NULL CHECK (phase IN ('title_abstract', 'full_text')),
    decision      TEXT NOT NULL CHECK (decision IN ('include', 'exclude')),
    reason        TEXT NOT NULL DEFAULT '',
    decided_by    TEXT NOT NULL,                 -- one name, or several joined by ',' (consensus)
    note          TEXT NOT NULL DEFAULT '',
    decided_at    TEXT NOT NULL
);
CREATE INDEX resolutions_work_phase ON resolutions (work_id, phase, resolution_id);

-- Full-text retrieval, append-only: sought, not_retrieved, retrieved (with a path or URL).
CREATE TABLE retrieval (
    retrieval_id INTEGER PRIMARY KEY,
    work_id      INTEGER NOT NULL REFERENCES works (work_id),
    status       TEXT NOT NULL CHECK (status IN ('sought', 'not_retrieved', 'retrieved')),
    location     TEXT NOT NULL DEFAULT '',
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    CHECK (status <> 'retrieved' OR location <> '')
);
CREATE INDEX retrieval_work ON retrieval (work_id, retrieval_id);

-- Study type of included works (review, primary, grey), append-only.
CREATE TABLE study_types (
    study_type_id INTEGER PRIMARY KEY,
    work_id       INTEGER NOT NULL REFERENCES works (work_id),
    study_type    TEXT NOT NULL CHECK (study_type IN ('review', 'primary', 'grey')),
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
);
CREATE INDEX study_types_work ON study_types (work_id, study_type_id);

-- Each reviewer's standing decision per work and phase, kept by the trigger below in the same
-- transaction as the decision itself: the latest row of the log, gone after an undo.
CREATE TABLE standing_decisions (
    work_id      INTEGER NOT NULL,
    phase        TEXT NOT NULL,
    reviewer     TEXT NOT NULL,
    decision_id  INTEGER NOT NULL REFERENCES decisions (decision_id),
    decision     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (phase, work_id, reviewer)
) WITHOUT ROWID;
CREATE INDEX standing_decisions_reviewer ON standing_decisions (phase, reviewer);

CREATE TRIGGER decisions_keep_standing AFTER INSERT ON decisions
BEGIN
    DELETE FROM standing_decisions
     WHERE work_id = NEW.work_id AND phase = NEW.phase AND reviewer = NEW.reviewer;
    INSERT INTO standing_decisions (work_id, phase, reviewer, decision_id, decision, reason)
    SELECT NEW.work_id, NEW.phase, NEW.reviewer, NEW.decision_id, NEW.decision, NEW.reason
     WHERE NEW.decision <> 'undo';
END;

-- The latest resolution of each work in each phase, kept the same way.
CREATE TABLE standing_resolutions (
    phase         TEXT NOT NULL,
    work_id       INTEGER NOT NULL,
    resolution_id INTEGER NOT NULL REFERENCES resolutions (resolution_id),
    decision      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    PRIMARY KEY (phase, work_id)
) WITHOUT ROWID;

CREATE TRIGGER resolutions_keep_standing AFTER INSERT ON resolutions
BEGIN
    DELETE FROM standing_resolutions WHERE phase = NEW.phase AND work_id = NEW.work_id;
    INSERT INTO standing_resolutions (phase, work_id, resolution_id, decision, reason)
    VALUES (NEW.phase, NEW.work_id, NEW.resolution_id, NEW.decision, NEW.reason);
END;

-- The logs are append-only: a change of mind, an undo or a correction is a new row.
CREATE TRIGGER decisions_append_only_u BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER decisions_append_only_d BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER resolutions_append_only_u BEFORE UPDATE ON resolutions
BEGIN SELECT RAISE(ABORT, 'resolutions are append-only'); END;
CREATE TRIGGER resolutions_append_only_d BEFORE DELETE ON resolutions
BEGIN SELECT RAISE(ABORT, 'resolutions are append-only'); END;
CREATE TRIGGER retrieval_append_only_u BEFORE UPDATE ON retrieval
BEGIN SELECT RAISE(ABORT, 'retrieval is append-only'); END;
CREATE TRIGGER retrieval_append_only_d BEFORE DELETE ON retrieval
BEGIN SELECT RAISE(ABORT, 'retrieval is append-only'); END;
CREATE TRIGGER study_types_append_only_u BEFORE UPDATE ON study_types
BEGIN SELECT RAISE(ABORT, 'study_types are append-only'); END;
CREATE TRIGGER study_types_append_only_d BEFORE DELETE ON study_types
BEGIN SELECT RAISE(ABORT, 'study_types are append-only'); END;

-- The current state, read through views.
CREATE VIEW current_decisions AS
SELECT d.decision_id, d.work_id, d.phase, d.reviewer, d.decision, d.reason, d.note,
       d.decided_at, d.via, d.queue_order
FROM standing_decisions AS s JOIN decisions AS d ON d.decision_id = s.decision_id;

CREATE VIEW current_resolutions AS
SELECT r.* FROM standing_resolutions AS s JOIN resolutions AS r ON r.resolution_id = s.resolution_id;

CREATE VIEW current_retrieval AS
SELECT r.* FROM retrieval AS r
WHERE r.retrieval_id = (SELECT max(x.retrieval_id) FROM retrieval AS x WHERE x.work_id = r.work_id);

CREATE VIEW current_study_types AS
SELECT s.* FROM study_types AS s
WHERE s.study_type_id = (
    SELECT max(x.study_type_id) FROM study_types AS x WHERE x.work_id = s.work_id);

-- Per work and phase: how many reviewers were assigned, how many of them have decided, and the
-- standing decisions counted by kind (n_exclude_reasons: 0, 1, or 2 for two or more different
-- reasons). Kept by triggers, one work at a time, whenever an assignment or a standing decision
-- changes, so that counting a whole review reads one row per work. (The triggers delete and
-- insert rather than INSERT OR REPLACE: an outer INSERT OR IGNORE would turn REPLACE into IGNORE.)
CREATE TABLE work_tally (
    phase             TEXT NOT NULL,
    work_id           INTEGER NOT NULL,
    n_assigned        INTEGER NOT NULL,
    n_decided         INTEGER NOT NULL,
    n_include         INTEGER NOT NULL,
    n_exclude         INTEGER NOT NULL,
    n_maybe           INTEGER NOT NULL,
    n_exclude_reasons INTEGER NOT NULL,
    exclude_reason    TEXT NOT NULL,
    PRIMARY KEY (phase, work_id)
) WITHOUT ROWID;

CREATE VIEW work_tally_computed AS
SELECT a.phase, a.work_id,
       count(*) AS n_assigned,
       count(s.decision) AS n_decided,
       count(CASE WHEN s.decision = 'include' THEN 1 END) AS n_include,
       count(CASE WHEN s.decision = 'exclude' THEN 1 END) AS n_exclude,
       count(CASE WHEN s.decision = 'maybe' THEN 1 END) AS n_maybe,
       CASE WHEN count(CASE WHEN s.decision = 'exclude' THEN 1 END) = 0 THEN 0
            WHEN min(CASE WHEN s.decision = 'exclude' THEN s.reason END)
               = max(CASE WHEN s.decision = 'exclude' THEN s.reason END) THEN 1
            ELSE 2 END AS n_exclude_reasons,
       coalesce(max(CASE WHEN s.decision = 'exclude' THEN s.reason END), '') AS exclude_reason
FROM assignments AS a
LEFT JOIN standing_decisions AS s
       ON s.phase = a.phase AND s.work_id = a.work_id AND s.reviewer = a.reviewer
GROUP BY a.phase, a.work_id;

CREATE TRIGGER assignments_tally AFTER INSERT ON assignments
BEGIN
    DELETE FROM work_tally WHERE phase = NEW.phase AND work_id = NEW.work_id;
    INSERT INTO work_tally SELECT * FROM work_tally_computed
     WHERE phase = NEW.phase AND work_id = NEW.work_id;
END;
CREATE TRIGGER standing_tally_i AFTER INSERT ON standing_decisions
BEGIN
    DELETE FROM work_tally WHERE phase = NEW.phase AND work_id = NEW.work_id;
    INSERT INTO work_tally SELECT * FROM work_tally_computed
     WHERE phase = NEW.phase AND work_id = NEW.work_id;
END;
CREATE TRIGGER standing_tally_d AFTER DELETE ON standing_decisions
BEGIN
    DELETE FROM work_tally WHERE phase = OLD.phase AND work_id = OLD.work_id;
    INSERT INTO work_tally SELECT * FROM work_tally_computed
     WHERE phase = OLD.phase AND work_id = OLD.work_id;
END;

-- The tally with the latest resolution: rea.store.screening turns it into the final status
-- (given whether "maybe" counts as include, and whether an exclusion needs a reason).
CREATE VIEW screening_tally AS
SELECT t.*, r.decision AS resolution, coalesce(r.reason, '') AS resolution_reason
FROM work_tally AS t
LEFT JOIN standing_resolutions AS r ON r.phase = t.phase AND r.work_id = t.work_id;

CREATE TRIGGER screening_notes_append_only_u BEFORE UPDATE ON screening_notes
BEGIN SELECT RAISE(ABORT, 'screening_notes are append-only'); END;
CREATE TRIGGER screening_notes_append_only_d BEFORE DELETE ON screening_notes
BEGIN SELECT RAISE(ABORT, 'screening_notes are append-only'); END;
