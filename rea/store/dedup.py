"""Deduplication state in the store: links, human decisions, the review queue, runs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from rea.store.connection import Store
from rea.store.works import create_work, link_record, now


@dataclass(frozen=True)
class LinkRow:
    record_id: int
    work_id: int
    rule: str
    scores: dict[str, float]
    matched_to: int | None
    linked_at: str


@dataclass(frozen=True)
class DecisionRow:
    decision_id: int
    record_a: int
    record_b: int
    decision: str
    decided_by: str
    decided_at: str
    note: str


@dataclass(frozen=True)
class QueueRow:
    record_a: int
    record_b: int
    scores: dict[str, float]
    reasons: tuple[str, ...]


def _link(row: sqlite3.Row) -> LinkRow:
    return LinkRow(
        record_id=int(row["record_id"]),
        work_id=int(row["work_id"]),
        rule=row["rule"],
        scores=json.loads(row["scores_json"]),
        matched_to=row["matched_to"],
        linked_at=row["linked_at"],
    )


def links(store: Store) -> dict[int, int]:
    """record id → work id for every linked record."""
    rows = store.conn.execute("SELECT record_id, work_id FROM record_work")
    return {int(r[0]): int(r[1]) for r in rows}


def links_of_work(store: Store, work_id: int) -> list[LinkRow]:
    rows = store.conn.execute(
        "SELECT * FROM record_work WHERE work_id = :w ORDER BY record_id", {"w": work_id}
    )
    return [_link(r) for r in rows]


def link_of_record(store: Store, record_id: int) -> LinkRow | None:
    row = store.conn.execute(
        "SELECT * FROM record_work WHERE record_id = :r", {"r": record_id}
    ).fetchone()
    return _link(row) if row else None


def work_exists(store: Store, work_id: int) -> bool:
    row = store.conn.execute("SELECT 1 FROM works WHERE work_id = :w", {"w": work_id}).fetchone()
    return row is not None


def merged_into(store: Store, work_id: int) -> int | None:
    row = store.conn.execute(
        "SELECT merged_into FROM works WHERE work_id = :w", {"w": work_id}
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def current_record_ids(store: Store) -> set[int]:
    """Records the review works on (imports, and the latest finished run of each stage x
    source: the ``current_records`` view); older runs stay stored and linked."""
    return {int(r[0]) for r in store.conn.execute("SELECT record_id FROM current_records")}


def screened_works(store: Store) -> set[int]:
    """Works with at least one screening decision (the screening step's ``decisions`` table)."""
    rows = store.conn.execute("SELECT DISTINCT work_id FROM decisions")
    return {int(r[0]) for r in rows}


def current_decisions(store: Store) -> list[DecisionRow]:
    """The decision in force on each pair (the latest one)."""
    rows = store.conn.execute("SELECT * FROM dedup_decisions_current ORDER BY decision_id")
    return [_decision(r) for r in rows]


def decisions_touching(store: Store, record_ids: Iterable[int]) -> list[DecisionRow]:
    ids = sorted(set(record_ids))
    if not ids:
        return []
    found: list[DecisionRow] = []
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        params = {f"r{i}": v for i, v in enumerate(part)}
        marks = ", ".join(f":r{i}" for i in range(len(part)))
        rows = store.conn.execute(
            f"SELECT * FROM dedup_decisions WHERE record_a IN ({marks}) OR record_b IN ({marks})"
            " ORDER BY decision_id",
            params,
        )
        found.extend(_decision(r) for r in rows)
    unique = {d.decision_id: d for d in found}
    return [unique[k] for k in sorted(unique)]


def _decision(row: sqlite3.Row) -> DecisionRow:
    return DecisionRow(
        decision_id=int(row["decision_id"]),
        record_a=int(row["record_a"]),
        record_b=int(row["record_b"]),
        decision=row["decision"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        note=row["note"],
    )


def add_decision(
    conn: sqlite3.Connection, a: int, b: int, decision: str, decided_by: str, note: str = ""
) -> int:
    lo, hi = (a, b) if a < b else (b, a)
    cursor = conn.execute(
        "INSERT INTO dedup_decisions (record_a, record_b, decision, decided_by, decided_at, note)"
        " VALUES (:a, :b, :decision, :by, :at, :note)",
        {"a": lo, "b": hi, "decision": decision, "by": decided_by, "at": now(), "note": note},
    )
    conn.execute(
        "DELETE FROM dedup_queue WHERE record_a = :a AND record_b = :b", {"a": lo, "b": hi}
    )
    return int(cursor.lastrowid or 0)


def queue(store: Store) -> list[QueueRow]:
    rows = store.conn.execute("SELECT * FROM dedup_queue ORDER BY record_a, record_b")
    return [
        QueueRow(
            record_a=int(r["record_a"]),
            record_b=int(r["record_b"]),
            scores=json.loads(r["scores_json"]),
            reasons=tuple(json.loads(r["reasons_json"])),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class RelatedRow:
    record_a: int
    record_b: int
    relation: str


def replace_related(conn: sqlite3.Connection, pairs: Iterable[RelatedRow]) -> int:
    """Store the notices and replies found next to the articles they are about."""
    conn.execute("DELETE FROM dedup_related")
    n = 0
    for p in pairs:
        conn.execute(
            "INSERT INTO dedup_related (record_a, record_b, relation) VALUES (:a, :b, :relation)",
            {"a": p.record_a, "b": p.record_b, "relation": p.relation},
        )
        n += 1
    return n


def related_to(store: Store, record_ids: Iterable[int]) -> list[RelatedRow]:
    """Related pairs touching any of the records."""
    ids = sorted(set(record_ids))
    found: dict[tuple[int, int], RelatedRow] = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        params = {f"r{i}": v for i, v in enumerate(part)}
        marks = ", ".join(f":r{i}" for i in range(len(part)))
        rows = store.conn.execute(
            f"SELECT * FROM dedup_related WHERE record_a IN ({marks}) OR record_b IN ({marks})",
            params,
        )
        for r in rows:
            row = RelatedRow(int(r["record_a"]), int(r["record_b"]), r["relation"])
            found[(row.record_a, row.record_b)] = row
    return [found[k] for k in sorted(found)]


def replace_queue(conn: sqlite3.Connection, pairs: Iterable[QueueRow]) -> int:
    conn.execute("DELETE FROM dedup_queue")
    at = now()
    n = 0
    for p in pairs:
        conn.execute(
            "INSERT INTO dedup_queue (record_a, record_b, scores_json, reasons_json, queued_at)"
            " VALUES (:a, :b, :scores, :reasons, :at)",
            {
                "a": p.record_a,
                "b": p.record_b,
                "scores": json.dumps(p.scores, sort_keys=True),
                "reasons": json.dumps(list(p.reasons)),
                "at": at,
            },
        )
        n += 1
    return n


def drop_settled_queue(conn: sqlite3.Connection) -> None:
    """Forget queued pairs whose two records now share a work."""
    conn.execute(
        "DELETE FROM dedup_queue WHERE (SELECT work_id FROM record_work WHERE record_id = record_a)"
        " = (SELECT work_id FROM record_work WHERE record_id = record_b)"
    )


def new_work(conn: sqlite3.Connection) -> int:
    return create_work(conn)


def link(
    conn: sqlite3.Connection,
    record_id: int,
    work_id: int,
    *,
    rule: str,
    scores: dict[str, float] | None = None,
    matched_to: int | None = None,
    run_id: int | None = None,
) -> None:
    link_record(
        conn, record_id, work_id, rule=rule, scores=scores, matched_to=matched_to, run_id=run_id
    )


def move_work(conn: sqlite3.Connection, absorbed: int, survivor: int) -> int:
    """Move every record of ``absorbed`` into ``survivor`` and remember where it went."""
    cursor = conn.execute(
        "UPDATE record_work SET work_id = :s WHERE work_id = :a", {"s": survivor, "a": absorbed}
    )
    conn.execute(
        "UPDATE works SET merged_into = :s WHERE work_id = :a", {"s": survivor, "a": absorbed}
    )
    conn.execute(
        "UPDATE works SET merged_into = :s WHERE merged_into = :a", {"s": survivor, "a": absorbed}
    )
    return int(cursor.rowcount)


def start_run(conn: sqlite3.Connection, last_decision_id: int) -> int:
    cursor = conn.execute(
        "INSERT INTO dedup_runs (ran_at, n_records, n_works, n_new_records, n_joined_screened,"
        " n_queued, last_decision_id) VALUES (:at, 0, 0, 0, 0, 0, :decision)",
        {"at": now(), "decision": last_decision_id},
    )
    return int(cursor.lastrowid or 0)


def latest_decision_id(store: Store) -> int:
    row = store.conn.execute("SELECT max(decision_id) FROM dedup_decisions").fetchone()
    return int(row[0] or 0)


def last_run_decision_id(store: Store) -> int | None:
    """The latest decision the last run respected, or None before the first run."""
    row = store.conn.execute(
        "SELECT last_decision_id FROM dedup_runs ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    return int(row[0]) if row else None


def finish_run(
    conn: sqlite3.Connection,
    run_id: int,
    *,
    n_records: int,
    n_works: int,
    n_new_records: int,
    n_joined_screened: int,
    n_queued: int,
) -> None:
    conn.execute(
        "UPDATE dedup_runs SET n_records = :records, n_works = :works, n_new_records = :new,"
        " n_joined_screened = :screened, n_queued = :queued WHERE run_id = :run",
        {
            "records": n_records,
            "works": n_works,
            "new": n_new_records,
            "screened": n_joined_screened,
            "queued": n_queued,
            "run": run_id,
        },
    )
