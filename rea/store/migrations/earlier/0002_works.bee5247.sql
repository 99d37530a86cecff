-- Deduplication: works (one per unique report) and the link of every record to its work.

CREATE TABLE works (
    work_id      INTEGER PRIMARY KEY,
    created_at   TEXT NOT NULL,
    -- set when a human merge folded this work into another; its records moved there, its id is
    -- kept so that anything keyed on it (screening decisions) can be followed to the survivor
    merged_into  INTEGER REFERENCES works (work_id)
);

-- Every record belongs to exactly one work; the link keeps the rule and scores that made it.
CREATE TABLE record_work (
    record_id   INTEGER PRIMARY KEY REFERENCES records (record_id),
    work_id     INTEGER NOT NULL REFERENCES works (work_id),
    rule        TEXT NOT NULL,               -- 'first', 'pmid', 'doi+title', 'fuzzy', 'human', …
    scores_json TEXT NOT NULL DEFAULT '{}',
    matched_to  INTEGER REFERENCES records (record_id),
    linked_at   TEXT NOT NULL,
    run_id      INTEGER REFERENCES dedup_runs (run_id)  -- the dedup run that made the link
);
CREATE INDEX record_work_work ON record_work (work_id);

-- Human decisions on pairs of records (merge or keep apart), append-only: the latest decision
-- on a pair is the one in force, and every later run respects it.
CREATE TABLE dedup_decisions (
    decision_id  INTEGER PRIMARY KEY,
    record_a     INTEGER NOT NULL REFERENCES records (record_id),
    record_b     INTEGER NOT NULL REFERENCES records (record_id),
    decision     TEXT NOT NULL CHECK (decision IN ('merge', 'separate')),
    decided_by   TEXT NOT NULL,
    decided_at   TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    CHECK (record_a < record_b)
);
CREATE INDEX dedup_decisions_pair ON dedup_decisions (record_a, record_b);

CREATE VIEW dedup_decisions_current AS
SELECT d.* FROM dedup_decisions AS d
WHERE d.decision_id = (
    SELECT max(e.decision_id) FROM dedup_decisions AS e
    WHERE e.record_a = d.record_a AND e.record_b = d.record_b
);

-- Uncertain pairs waiting for a human (rebuilt by every run).
CREATE TABLE dedup_queue (
    record_a     INTEGER NOT NULL REFERENCES records (record_id),
    record_b     INTEGER NOT NULL REFERENCES records (record_id),
    scores_json  TEXT NOT NULL DEFAULT '{}',
    reasons_json TEXT NOT NULL DEFAULT '[]',
    queued_at    TEXT NOT NULL,
    PRIMARY KEY (record_a, record_b),
    CHECK (record_a < record_b)
);

-- One row per `rea dedup` run, with what it did.
CREATE TABLE dedup_runs (
    run_id            INTEGER PRIMARY KEY,
    ran_at            TEXT NOT NULL,
    n_records         INTEGER NOT NULL,
    n_works           INTEGER NOT NULL,
    n_new_records     INTEGER NOT NULL,
    n_joined_screened INTEGER NOT NULL,
    n_queued          INTEGER NOT NULL
);
