-- Ranking: recorded decisions to stop screening a phase, and the works left unscreened then.
-- Append-only like every decision: a withdrawn stop is a new row with withdrawn = 1.

CREATE TABLE stopping_decisions (
    stop_id          INTEGER PRIMARY KEY,
    phase            TEXT NOT NULL CHECK (phase IN ('title_abstract', 'full_text')),
    decided_by       TEXT NOT NULL,
    rule             TEXT NOT NULL,            -- e.g. 'statistical', 'consecutive', 'judgement'
    note             TEXT NOT NULL DEFAULT '',
    withdrawn        INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
    works            INTEGER NOT NULL,         -- works in the phase when stopping
    screened         INTEGER NOT NULL,
    included         INTEGER NOT NULL,
    estimated_left   REAL NOT NULL,            -- point estimate of relevant works left
    upper_left       INTEGER NOT NULL,         -- upper bound at `confidence`
    recall_target    REAL NOT NULL,
    confidence       REAL NOT NULL,
    p_value          REAL NOT NULL,
    verdict          TEXT NOT NULL,            -- the named rule's verdict when stopping
    decided_at       TEXT NOT NULL
);

-- The works never screened when the phase was stopped: excluded by automation for PRISMA.
CREATE TABLE stopping_unscreened (
    stop_id  INTEGER NOT NULL REFERENCES stopping_decisions (stop_id),
    work_id  INTEGER NOT NULL REFERENCES works (work_id),
    PRIMARY KEY (stop_id, work_id)
) WITHOUT ROWID;

CREATE TRIGGER stopping_decisions_append_only_u BEFORE UPDATE ON stopping_decisions
BEGIN SELECT RAISE(ABORT, 'stopping decisions are append-only'); END;
CREATE TRIGGER stopping_decisions_append_only_d BEFORE DELETE ON stopping_decisions
BEGIN SELECT RAISE(ABORT, 'stopping decisions are append-only'); END;
