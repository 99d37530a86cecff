-- Citation searching (`rea citations`): each round of a stage is a run (in `runs`, its files in
-- citations/<run-id>/); its hits are records of the source 'citation_searching' (PRISMA's other
-- methods), with why each was found.

CREATE TABLE citation_runs (
    run_id         TEXT PRIMARY KEY REFERENCES runs (run_id),
    stage          TEXT NOT NULL,
    round          INTEGER NOT NULL CHECK (round >= 1),
    directions     TEXT NOT NULL CHECK (directions IN ('backward', 'forward', 'both')),
    services_json  TEXT NOT NULL,                 -- ["pubmed", "opencitations", ...]
    seeds_json     TEXT NOT NULL,                 -- [work id, ...] chased
    -- complete: every listing the services counted was received; incomplete: not proven (its
    -- records are not used); accepted: incomplete, used anyway by the user's choice
    state          TEXT NOT NULL DEFAULT 'incomplete'
                   CHECK (state IN ('complete', 'incomplete', 'accepted')),
    missing_count  INTEGER NOT NULL DEFAULT 0,
    -- {"reasons": [...], "problems": [...], "skipped": {work: why}, "services": {...},
    --  "disagreements": [...]}
    details_json   TEXT NOT NULL DEFAULT '{}',
    manifest       TEXT NOT NULL,                 -- the run's manifest, relative to the review
    stored_at      TEXT,                          -- when its hits were stored (once, never again)
    accepted_at    TEXT,
    accepted_note  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX citation_runs_stage_round ON citation_runs (stage, round);

-- Why each hit was found: the seed work, the direction, the service, the stored answer.
CREATE TABLE citation_links (
    run_id        TEXT NOT NULL REFERENCES citation_runs (run_id),
    record_id     INTEGER NOT NULL REFERENCES records (record_id),
    seed_work_id  INTEGER NOT NULL REFERENCES works (work_id),
    direction     TEXT NOT NULL CHECK (direction IN ('backward', 'forward')),
    service       TEXT NOT NULL,
    snapshot      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, record_id, seed_work_id, direction, service)
);
CREATE INDEX citation_links_record ON citation_links (record_id);
CREATE INDEX citation_links_seed ON citation_links (seed_work_id);

-- Whether each hit's work was already known when its round ran (found by a search, an import or
-- an earlier round), and the work deduplication put it in then.
CREATE TABLE citation_hits (
    record_id  INTEGER PRIMARY KEY REFERENCES records (record_id),
    run_id     TEXT NOT NULL REFERENCES citation_runs (run_id),
    work_id    INTEGER REFERENCES works (work_id),
    known      INTEGER NOT NULL CHECK (known IN (0, 1))
);
CREATE INDEX citation_hits_run ON citation_hits (run_id);

-- The current run of each round of each stage: the latest finished one that is complete or
-- accepted (a round run again replaces its earlier run, which stays stored).
CREATE VIEW current_citation_runs AS
SELECT c.*
FROM citation_runs AS c
JOIN runs AS u ON u.run_id = c.run_id
WHERE u.finished_at IS NOT NULL
  AND c.state IN ('complete', 'accepted')
  AND c.run_id = (
        SELECT c2.run_id
        FROM citation_runs AS c2
        JOIN runs AS u2 ON u2.run_id = c2.run_id
        WHERE c2.stage = c.stage AND c2.round = c.round AND u2.finished_at IS NOT NULL
          AND c2.state IN ('complete', 'accepted')
        ORDER BY u2.finished_at DESC, c2.run_id DESC
        LIMIT 1
  );

DROP VIEW current_records;

-- The records a review works on: every imported record; of the searches only the latest
-- finished run of each stage x source whose search is complete or accepted; of citation
-- searching the current run of every round (rounds add up, a rerun of a round replaces it).
CREATE VIEW current_records AS
SELECT r.*
FROM records AS r
WHERE r.run_id IS NULL
   OR r.run_id = (
        SELECT s.run_id
        FROM run_searches AS s
        JOIN runs AS u ON u.run_id = s.run_id
        WHERE s.stage = r.stage AND s.source = r.source AND u.finished_at IS NOT NULL
          AND s.state IN ('complete', 'accepted')
        ORDER BY u.finished_at DESC, s.run_id DESC
        LIMIT 1
   )
   OR r.run_id IN (SELECT run_id FROM current_citation_runs);
