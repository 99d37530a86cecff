-- Screening: append-only decisions by reviewers; the current state is a view.

CREATE TABLE decisions (
    decision_id  INTEGER PRIMARY KEY,
    work_id      INTEGER NOT NULL REFERENCES works (work_id),
    phase        TEXT NOT NULL CHECK (phase IN ('title_abstract', 'full_text')),
    reviewer     TEXT NOT NULL,
    decision     TEXT NOT NULL CHECK (decision IN ('include', 'exclude', 'maybe', 'undo')),
    reason       TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    decided_at   TEXT NOT NULL
);
CREATE INDEX decisions_work_phase ON decisions (work_id, phase, reviewer);

-- The final outcome of a conflict (discussion or third reviewer), also append-only.
CREATE TABLE resolutions (
    resolution_id INTEGER PRIMARY KEY,
    work_id       INTEGER NOT NULL REFERENCES works (work_id),
    phase         TEXT NOT NULL CHECK (phase IN ('title_abstract', 'full_text')),
    decision      TEXT NOT NULL CHECK (decision IN ('include', 'exclude')),
    reason        TEXT NOT NULL DEFAULT '',
    decided_by    TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    decided_at    TEXT NOT NULL
);

-- Full-text retrieval, append-only: sought, not_retrieved, retrieved (with a path or URL).
CREATE TABLE retrieval (
    retrieval_id INTEGER PRIMARY KEY,
    work_id      INTEGER NOT NULL REFERENCES works (work_id),
    status       TEXT NOT NULL CHECK (status IN ('sought', 'not_retrieved', 'retrieved')),
    location     TEXT NOT NULL DEFAULT '',
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);

-- Study type of included works (review, primary, grey), append-only.
CREATE TABLE study_types (
    study_type_id INTEGER PRIMARY KEY,
    work_id       INTEGER NOT NULL REFERENCES works (work_id),
    study_type    TEXT NOT NULL CHECK (study_type IN ('review', 'primary', 'grey')),
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
);
