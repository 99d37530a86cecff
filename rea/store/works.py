"""Works and the record → work links (the dedup layer builds on these)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rea.store.connection import Store


def now() -> str:
    """The current time as stored everywhere: ISO 8601, UTC, seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def create_work(conn: sqlite3.Connection) -> int:
    cursor = conn.execute("INSERT INTO works (created_at) VALUES (:at)", {"at": now()})
    return int(cursor.lastrowid or 0)


_LINK = (
    "INSERT INTO record_work (record_id, work_id, rule, scores_json, matched_to, linked_at, run_id)"
    " VALUES (:record_id, :work_id, :rule, :scores, :matched_to, :at, :run_id)"
    " ON CONFLICT (record_id) DO UPDATE SET work_id = excluded.work_id,"
    " rule = excluded.rule, scores_json = excluded.scores_json,"
    " matched_to = excluded.matched_to, linked_at = excluded.linked_at,"
    " run_id = excluded.run_id"
)


@dataclass(frozen=True)
class NewLink:
    record_id: int
    work_id: int
    rule: str
    scores: dict[str, float] = field(default_factory=dict)
    matched_to: int | None = None
    run_id: int | None = None  # the `rea dedup` run that made it (None for a human action)


def link_record(
    conn: sqlite3.Connection,
    record_id: int,
    work_id: int,
    *,
    rule: str,
    scores: dict[str, float] | None = None,
    matched_to: int | None = None,
    run_id: int | None = None,
) -> None:
    """Link a record to a work (replacing an earlier link of that record)."""
    link_records(conn, [NewLink(record_id, work_id, rule, scores or {}, matched_to, run_id)])


def link_records(conn: sqlite3.Connection, links: Iterable[NewLink]) -> None:
    """Link many records at once (one ``executemany``), each replacing its earlier link."""
    at = now()
    conn.executemany(
        _LINK,
        (
            {
                "record_id": k.record_id,
                "work_id": k.work_id,
                "rule": k.rule,
                "scores": json.dumps(k.scores, sort_keys=True),
                "matched_to": k.matched_to,
                "at": at,
                "run_id": k.run_id,
            }
            for k in links
        ),
    )


def work_ids(store: Store) -> list[int]:
    """Ids of works that have at least one record."""
    rows = store.conn.execute(
        "SELECT DISTINCT work_id FROM record_work ORDER BY work_id"
    ).fetchall()
    return [int(r[0]) for r in rows]


def records_of_work(store: Store, work_id: int) -> list[int]:
    rows = store.conn.execute(
        "SELECT record_id FROM record_work WHERE work_id = :w ORDER BY record_id", {"w": work_id}
    ).fetchall()
    return [int(r[0]) for r in rows]
