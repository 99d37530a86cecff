-- Deduplication: works (one per unique report) and the link of every record to its work.

CREATE TABLE works (
    work_id     INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL
);

-- Every record belongs to exactly one work; the link keeps the rule and scores that made it.
CREATE TABLE record_work (
    record_id   INTEGER PRIMARY KEY REFERENCES records (record_id),
    work_id     INTEGER NOT NULL REFERENCES works (work_id),
    rule        TEXT NOT NULL,               -- 'first', 'pmid', 'doi+title', 'fuzzy', 'human', …
    scores_json TEXT NOT NULL DEFAULT '{}',
    matched_to  INTEGER REFERENCES records (record_id),
    linked_at   TEXT NOT NULL
);
CREATE INDEX record_work_work ON record_work (work_id);

-- Human decisions on pairs of records (merge or keep apart); every later run respects them.
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

-- Uncertain pairs waiting for a human.
CREATE TABLE dedup_queue (
    record_a     INTEGER NOT NULL REFERENCES records (record_id),
    record_b     INTEGER NOT NULL REFERENCES records (record_id),
    scores_json  TEXT NOT NULL DEFAULT '{}',
    queued_at    TEXT NOT NULL,
    PRIMARY KEY (record_a, record_b),
    CHECK (record_a < record_b)
);
