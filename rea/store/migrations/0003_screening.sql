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
    PRIMARY KEY (work_id, phase, reviewer)
);
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

-- Each reviewer's standing decision per work and phase: their latest row, unless it is an undo.
CREATE VIEW current_decisions AS
SELECT d.decision_id, d.work_id, d.phase, d.reviewer, d.decision, d.reason, d.note,
       d.decided_at, d.via, d.queue_order
FROM decisions AS d
WHERE d.decision_id = (
        SELECT max(x.decision_id) FROM decisions AS x
        WHERE x.work_id = d.work_id AND x.phase = d.phase AND x.reviewer = d.reviewer)
  AND d.decision <> 'undo';

CREATE VIEW current_resolutions AS
SELECT r.* FROM resolutions AS r
WHERE r.resolution_id = (
    SELECT max(x.resolution_id) FROM resolutions AS x
    WHERE x.work_id = r.work_id AND x.phase = r.phase);

CREATE VIEW current_retrieval AS
SELECT r.* FROM retrieval AS r
WHERE r.retrieval_id = (SELECT max(x.retrieval_id) FROM retrieval AS x WHERE x.work_id = r.work_id);

CREATE VIEW current_study_types AS
SELECT s.* FROM study_types AS s
WHERE s.study_type_id = (
    SELECT max(x.study_type_id) FROM study_types AS x WHERE x.work_id = s.work_id);

-- Per work and phase: how many reviewers were assigned, how many of them have decided, the
-- standing decisions counted by kind, and the latest resolution. rea.screening turns this into
-- the final status (it knows whether "maybe" counts as include).
CREATE VIEW screening_tally AS
SELECT a.work_id, a.phase,
       count(*) AS n_assigned,
       count(c.decision_id) AS n_decided,
       coalesce(sum(c.decision = 'include'), 0) AS n_include,
       coalesce(sum(c.decision = 'exclude'), 0) AS n_exclude,
       coalesce(sum(c.decision = 'maybe'), 0) AS n_maybe,
       count(DISTINCT CASE WHEN c.decision = 'exclude' THEN c.reason END) AS n_exclude_reasons,
       max(CASE WHEN c.decision = 'exclude' THEN c.reason END) AS exclude_reason,
       (SELECT r.decision FROM resolutions AS r WHERE r.work_id = a.work_id AND r.phase = a.phase
        ORDER BY r.resolution_id DESC LIMIT 1) AS resolution,
       (SELECT r.reason FROM resolutions AS r WHERE r.work_id = a.work_id AND r.phase = a.phase
        ORDER BY r.resolution_id DESC LIMIT 1) AS resolution_reason
FROM assignments AS a
LEFT JOIN decisions AS c
       ON c.work_id = a.work_id AND c.phase = a.phase AND c.reviewer = a.reviewer
      AND c.decision <> 'undo'
      AND c.decision_id = (SELECT max(x.decision_id) FROM decisions AS x
                           WHERE x.work_id = a.work_id AND x.phase = a.phase
                             AND x.reviewer = a.reviewer)
GROUP BY a.work_id, a.phase;
