-- Withdrawing a work's full-text retrieval record (`rea fulltext WORK withdraw`): recorded on the
-- wrong work, or left behind when the work was excluded at title/abstract after its full text
-- was sought. Append-only like the retrieval log: a withdrawal takes every retrieval row of the
-- work up to `upto_id` out of the current state; a later row counts again.

CREATE TABLE retrieval_withdrawals (
    withdrawal_id INTEGER PRIMARY KEY,
    work_id       INTEGER NOT NULL REFERENCES works (work_id),
    upto_id       INTEGER NOT NULL REFERENCES retrieval (retrieval_id),
    withdrawn_by  TEXT NOT NULL,
    withdrawn_at  TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX retrieval_withdrawals_work ON retrieval_withdrawals (work_id, upto_id);

CREATE TRIGGER retrieval_withdrawals_append_only_u BEFORE UPDATE ON retrieval_withdrawals
BEGIN SELECT RAISE(ABORT, 'retrieval withdrawals are append-only'); END;
CREATE TRIGGER retrieval_withdrawals_append_only_d BEFORE DELETE ON retrieval_withdrawals
BEGIN SELECT RAISE(ABORT, 'retrieval withdrawals are append-only'); END;

-- The latest retrieval row of each work, unless a withdrawal covers it.
DROP VIEW current_retrieval;
CREATE VIEW current_retrieval AS
SELECT r.* FROM retrieval AS r
WHERE r.retrieval_id = (SELECT max(x.retrieval_id) FROM retrieval AS x WHERE x.work_id = r.work_id)
  AND r.retrieval_id > coalesce(
        (SELECT max(w.upto_id) FROM retrieval_withdrawals AS w WHERE w.work_id = r.work_id), 0);
