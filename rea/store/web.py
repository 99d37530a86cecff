"""What ``rea serve`` reads and writes beyond the screening tables: the reviewers' personal links
(only a hash of each token), a reviewer's own decisions to list and search, and the decisions
and notes on one work for the adjudicator.

Every read that names a reviewer returns that reviewer's rows only; blinding is decided by the
caller (``rea.pipeline.serve``), never by widening a query here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rea.store.connection import Store
from rea.store.works import now

# --- personal links --------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenRow:
    token_id: int
    reviewer: str
    created_at: str
    revoked_at: str | None


def insert_token(conn: sqlite3.Connection, *, token_hash: str, reviewer: str, by: str) -> int:
    cursor = conn.execute(
        "INSERT INTO web_tokens (token_hash, reviewer, created_at, created_by)"
        " VALUES (:h, :r, :at, :by)",
        {"h": token_hash, "r": reviewer, "at": now(), "by": by},
    )
    return int(cursor.lastrowid or 0)


def revoke_tokens(conn: sqlite3.Connection, reviewer: str, *, by: str) -> int:
    """Revoke every link of ``reviewer`` that is still valid; returns how many."""
    cursor = conn.execute(
        "INSERT INTO web_token_revocations (token_id, revoked_at, revoked_by)"
        " SELECT t.token_id, :at, :by FROM web_tokens AS t WHERE t.reviewer = :r"
        " AND NOT EXISTS (SELECT 1 FROM web_token_revocations AS x"
        " WHERE x.token_id = t.token_id)",
        {"r": reviewer, "at": now(), "by": by},
    )
    return int(cursor.rowcount)


def reviewer_of_token(conn: sqlite3.Connection, token_hash: str) -> str | None:
    """The reviewer whose valid (not revoked) link has this hash, else None."""
    row = conn.execute(
        "SELECT t.reviewer FROM web_tokens AS t WHERE t.token_hash = :h"
        " AND NOT EXISTS (SELECT 1 FROM web_token_revocations AS x"
        " WHERE x.token_id = t.token_id)",
        {"h": token_hash},
    ).fetchone()
    return None if row is None else str(row[0])


def tokens(store: Store) -> list[TokenRow]:
    rows = store.conn.execute(
        "SELECT t.token_id, t.reviewer, t.created_at, x.revoked_at FROM web_tokens AS t"
        " LEFT JOIN web_token_revocations AS x ON x.token_id = t.token_id"
        " ORDER BY t.reviewer, t.token_id"
    ).fetchall()
    return [TokenRow(int(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]


# --- a reviewer's own decisions ----------------------------------------------------------------


@dataclass(frozen=True)
class OwnDecisionRow:
    decision_id: int
    work_id: int
    phase: str
    decision: str
    reason: str
    note: str
    decided_at: str
    via: str
    changes: int  # rows of this reviewer on this work and phase (decisions and undos)
    title: str
    year: int | None


_OWN = """
SELECT d.decision_id, d.work_id, d.phase, d.decision, d.reason, d.note, d.decided_at, d.via,
       (SELECT count(*) FROM decisions AS h
         WHERE h.work_id = d.work_id AND h.phase = d.phase AND h.reviewer = d.reviewer)
         AS changes,
       coalesce((SELECT r.title FROM record_work AS rw JOIN records AS r
                  ON r.record_id = rw.record_id WHERE rw.work_id = d.work_id
                 ORDER BY (r.title = ''), r.record_id LIMIT 1), '') AS title,
       (SELECT r.year FROM record_work AS rw JOIN records AS r ON r.record_id = rw.record_id
         WHERE rw.work_id = d.work_id AND r.year IS NOT NULL ORDER BY r.record_id LIMIT 1)
         AS year
FROM current_decisions AS d
WHERE d.reviewer = :reviewer
  AND (:phase IS NULL OR d.phase = :phase)
  AND (:decision IS NULL OR d.decision = :decision)
  AND (:reason IS NULL OR d.reason = :reason)
  AND (:query IS NULL OR d.work_id = :work OR d.note LIKE :like ESCAPE '\\'
       OR EXISTS (SELECT 1 FROM record_work AS rw JOIN records AS r
                   ON r.record_id = rw.record_id
                  WHERE rw.work_id = d.work_id
                    AND (r.title LIKE :like ESCAPE '\\' OR r.authors_json LIKE :like ESCAPE '\\'
                         OR r.doi = lower(:query) OR r.pmid = :query)))
"""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def own_decisions(
    store: Store,
    reviewer: str,
    *,
    phase: str | None = None,
    decision: str | None = None,
    reason: str | None = None,
    query: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[OwnDecisionRow]]:
    """``reviewer``'s standing decisions, newest first, filtered, one page of them; and how
    many match in all. ``query`` matches a work id, words of a title, an author, a DOI, a PMID
    or the decision's note (case-insensitive for ASCII letters)."""
    params: dict[str, object] = {
        "reviewer": reviewer,
        "phase": phase,
        "decision": decision,
        "reason": reason,
        "query": query,
        "like": _like(query) if query else None,
        "work": int(query) if query and query.isdigit() else None,
    }
    total = store.conn.execute(f"SELECT count(*) FROM ({_OWN})", params).fetchone()[0]
    rows = store.conn.execute(
        f"{_OWN} ORDER BY d.decision_id DESC LIMIT :limit OFFSET :offset",
        {**params, "limit": limit, "offset": offset},
    ).fetchall()
    return int(total), [
        OwnDecisionRow(
            decision_id=int(r["decision_id"]),
            work_id=int(r["work_id"]),
            phase=str(r["phase"]),
            decision=str(r["decision"]),
            reason=str(r["reason"]),
            note=str(r["note"]),
            decided_at=str(r["decided_at"]),
            via=str(r["via"]),
            changes=int(r["changes"]),
            title=str(r["title"]),
            year=r["year"],
        )
        for r in rows
    ]


def is_assigned(conn: sqlite3.Connection, work_id: int, phase: str, reviewer: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM assignments WHERE phase = :p AND work_id = :w AND reviewer = :r",
        {"p": phase, "w": work_id, "r": reviewer},
    ).fetchone()
    return row is not None


# --- one work, for the adjudicator ------------------------------------------------------------


@dataclass(frozen=True)
class WorkDecisionRow:
    reviewer: str
    decision: str
    reason: str
    note: str
    decided_at: str


def work_standing_decisions(
    conn: sqlite3.Connection, work_id: int, phase: str
) -> list[WorkDecisionRow]:
    """Every reviewer's standing decision on one work in one phase (for a reconciled work)."""
    rows = conn.execute(
        "SELECT reviewer, decision, reason, note, decided_at FROM current_decisions"
        " WHERE work_id = :w AND phase = :p ORDER BY reviewer",
        {"w": work_id, "p": phase},
    ).fetchall()
    return [WorkDecisionRow(*(str(x) for x in r)) for r in rows]


def work_notes(conn: sqlite3.Connection, work_id: int, phase: str) -> list[tuple[str, str]]:
    """(reviewer, note) of every screening note on one work in one phase, oldest first."""
    rows = conn.execute(
        "SELECT reviewer, note FROM screening_notes WHERE work_id = :w AND phase = :p"
        " ORDER BY note_id",
        {"w": work_id, "p": phase},
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]
