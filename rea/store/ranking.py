"""Ranking tables and reads: work texts for the ranker, recorded stopping decisions.

``stopping_decisions`` is append-only; the latest row of a phase is the one in force (a row with
``withdrawn = 1`` withdraws the stop).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from rea.store.connection import Store
from rea.store.works import now


@dataclass(frozen=True)
class StopRow:
    stop_id: int
    phase: str
    decided_by: str
    rule: str
    note: str
    withdrawn: bool
    works: int
    screened: int
    included: int
    estimated_left: float
    upper_left: int
    recall_target: float
    confidence: float
    p_value: float
    verdict: str
    decided_at: str


def work_texts(store: Store, work_ids: Iterable[int]) -> dict[int, str]:
    """Title, abstract and keywords of each work, for the ranker (the richest record of each)."""
    wanted = set(work_ids)
    best: dict[int, tuple[int, str]] = {}
    rows = store.conn.execute(
        "SELECT rw.work_id, r.title, r.abstract_json, r.keywords_json"
        " FROM record_work AS rw JOIN records AS r ON r.record_id = rw.record_id"
        " ORDER BY rw.work_id, r.record_id"
    )
    for row in rows:
        work = int(row["work_id"])
        if work not in wanted:
            continue
        abstract = " ".join(str(text) for _, text in json.loads(row["abstract_json"]))
        keywords = " ".join(str(k) for k in json.loads(row["keywords_json"]))
        text = " ".join(p for p in (row["title"], abstract, keywords) if p)
        if work not in best or len(text) > best[work][0]:
            best[work] = (len(text), text)
    return {w: best[w][1] if w in best else "" for w in wanted}


def decisions_in_order(store: Store, phase: str) -> list[tuple[int, str, str]]:
    """Every decision of a phase as (work, reviewer, decision), oldest first (undo included)."""
    rows = store.conn.execute(
        "SELECT work_id, reviewer, decision FROM decisions WHERE phase = :p ORDER BY decision_id",
        {"p": phase},
    )
    return [(int(r["work_id"]), str(r["reviewer"]), str(r["decision"])) for r in rows]


def insert_stop(
    conn: sqlite3.Connection,
    *,
    phase: str,
    decided_by: str,
    rule: str,
    note: str,
    withdrawn: bool,
    figures: dict[str, float | int | str],
    unscreened: Iterable[int],
) -> int:
    cursor = conn.execute(
        "INSERT INTO stopping_decisions (phase, decided_by, rule, note, withdrawn, works,"
        " screened, included, estimated_left, upper_left, recall_target, confidence, p_value,"
        " verdict, decided_at) VALUES (:phase, :by, :rule, :note, :withdrawn, :works, :screened,"
        " :included, :estimated_left, :upper_left, :recall_target, :confidence, :p_value,"
        " :verdict, :at)",
        {
            "phase": phase,
            "by": decided_by,
            "rule": rule,
            "note": note,
            "withdrawn": 1 if withdrawn else 0,
            "at": now(),
            **figures,
        },
    )
    stop_id = int(cursor.lastrowid or 0)
    conn.executemany(
        "INSERT INTO stopping_unscreened (stop_id, work_id) VALUES (:s, :w)",
        [{"s": stop_id, "w": w} for w in sorted(set(unscreened))],
    )
    return stop_id


def _stop(row: sqlite3.Row) -> StopRow:
    return StopRow(
        stop_id=int(row["stop_id"]),
        phase=row["phase"],
        decided_by=row["decided_by"],
        rule=row["rule"],
        note=row["note"],
        withdrawn=bool(row["withdrawn"]),
        works=int(row["works"]),
        screened=int(row["screened"]),
        included=int(row["included"]),
        estimated_left=float(row["estimated_left"]),
        upper_left=int(row["upper_left"]),
        recall_target=float(row["recall_target"]),
        confidence=float(row["confidence"]),
        p_value=float(row["p_value"]),
        verdict=row["verdict"],
        decided_at=row["decided_at"],
    )


def current_stop(store: Store, phase: str) -> StopRow | None:
    """The stop in force for a phase (None if never stopped or the last stop was withdrawn)."""
    row = store.conn.execute(
        "SELECT * FROM stopping_decisions WHERE phase = :p ORDER BY stop_id DESC LIMIT 1",
        {"p": phase},
    ).fetchone()
    if row is None or row["withdrawn"]:
        return None
    return _stop(row)


def unscreened_at_stop(store: Store, stop_id: int) -> list[int]:
    rows = store.conn.execute(
        "SELECT work_id FROM stopping_unscreened WHERE stop_id = :s ORDER BY work_id",
        {"s": stop_id},
    )
    return [int(w) for (w,) in rows]


def decided_work_ids_in_phase(store: Store, phase: str) -> set[int]:
    """Works with a standing decision by anyone in the phase."""
    rows = store.conn.execute(
        "SELECT DISTINCT work_id FROM standing_decisions WHERE phase = :p", {"p": phase}
    )
    return {int(w) for (w,) in rows}
