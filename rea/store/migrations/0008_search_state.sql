-- Whether each search is complete, and the current search of a stage x source is the latest
-- finished run whose search is complete, or incomplete but accepted by the user.

-- complete: every identifier the database reported is stored; incomplete: not proven (never
-- current); accepted: incomplete, and the user chose to use it as the current search.
ALTER TABLE run_searches ADD COLUMN state TEXT NOT NULL DEFAULT 'complete'
    CHECK (state IN ('complete', 'incomplete', 'accepted'));
ALTER TABLE run_searches ADD COLUMN missing_count INTEGER NOT NULL DEFAULT 0;   -- reported, not stored
ALTER TABLE run_searches ADD COLUMN surplus_count INTEGER NOT NULL DEFAULT 0;   -- stored beyond reported
-- {"reasons": [...], "messages": [[kind, text], ...] (PubMed's own ErrorList/WarningList),
--  "translation": "...", "listed": n, "aliased": n, "problems": [...]}
ALTER TABLE run_searches ADD COLUMN details_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE run_searches ADD COLUMN accepted_at TEXT;
ALTER TABLE run_searches ADD COLUMN accepted_note TEXT NOT NULL DEFAULT '';

-- Searches stored before completeness was checked: one whose count fell short was used as the
-- current search then, so it stays in use, marked as accepted with the number missing.
UPDATE run_searches
SET state = 'accepted',
    missing_count = reported_count - fetched_count,
    accepted_at = finished_at,
    accepted_note = 'stored before rea checked completeness'
WHERE reported_count IS NOT NULL AND fetched_count < reported_count;

-- Identifiers the database merged into another (PubMed: an old PMID answered with the record of
-- its new PMID): the record is stored once, under the new identifier.
CREATE TABLE search_aliases (
    run_id   TEXT NOT NULL,
    stage    TEXT NOT NULL,
    source   TEXT NOT NULL,
    old_id   TEXT NOT NULL,
    new_id   TEXT NOT NULL,
    PRIMARY KEY (run_id, stage, source, old_id),
    FOREIGN KEY (run_id, stage, source) REFERENCES run_searches (run_id, stage, source)
);

DROP VIEW current_records;

-- The records a review works on: every imported record, and of the searches only the latest
-- finished run of each stage x source whose search is complete or accepted (an earlier run, and
-- an incomplete one, stay stored, for `rea runs diff`).
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
   );

-- The current search of each stage x source, by the same rule.
CREATE VIEW current_searches AS
SELECT s.*
FROM run_searches AS s
JOIN runs AS u ON u.run_id = s.run_id
WHERE u.finished_at IS NOT NULL
  AND s.state IN ('complete', 'accepted')
  AND s.run_id = (
        SELECT s2.run_id
        FROM run_searches AS s2
        JOIN runs AS u2 ON u2.run_id = s2.run_id
        WHERE s2.stage = s.stage AND s2.source = s.source AND u2.finished_at IS NOT NULL
          AND s2.state IN ('complete', 'accepted')
        ORDER BY u2.finished_at DESC, s2.run_id DESC
        LIMIT 1
  );
