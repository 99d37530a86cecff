"""Screening tables: assignments, decisions, notes, resolutions, retrieval, study types.

Every table is append-only; reads of the current state go through the views of
``0003_screening.sql``. Writers take the caller's connection so that a use case can check and
write inside one ``store.transaction()``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rea.store.connection import Store
from rea.store.works import now


@dataclass(frozen=True)
class DecisionRow:
    decision_id: int
    work_id: int
    phase: str
    reviewer: str
    decision: str
    reason: str
    note: str
    decided_at: str
    via: str
    queue_order: str


@dataclass(frozen=True)
class TallyRow:
    work_id: int
    phase: str
    n_assigned: int
    n_decided: int
    n_include: int
    n_exclude: int
    n_maybe: int
    n_exclude_reasons: int
    exclude_reason: str
    resolution: str | None
    resolution_reason: str


@dataclass(frozen=True)
class ResolutionRow:
    resolution_id: int
    work_id: int
    phase: str
    decision: str
    reason: str
    decided_by: str
    note: str
    decided_at: str


@dataclass(frozen=True)
class RetrievalRow:
    work_id: int
    status: str
    location: str
    recorded_by: str
    recorded_at: str
    note: str


@dataclass(frozen=True)
class StudyTypeRow:
    work_id: int
    study_type: str
    recorded_by: str
    recorded_at: str


@dataclass(frozen=True)
class WorkRecordRow:
    """What the screen shows of one record of a work."""

    record_id: int
    source: str
    stage: str
    title: str
    abstract: list[tuple[str, str]]  # (label, text)
    authors: list[tuple[str, str]]  # (family, given)
    year: int | None
    journal: str
    doi: str
    pmid: str
    url: str


def _decision(row: sqlite3.Row) -> DecisionRow:
    return DecisionRow(
        decision_id=int(row["decision_id"]),
        work_id=int(row["work_id"]),
        phase=row["phase"],
        reviewer=row["reviewer"],
        decision=row["decision"],
        reason=row["reason"],
        note=row["note"],
        decided_at=row["decided_at"],
        via=row["via"],
        queue_order=row["queue_order"],
    )


# --- works -----------------------------------------------------------------------------------


def work_exists(conn: sqlite3.Connection, work_id: int) -> bool:
    row = conn.execute("SELECT 1 FROM works WHERE work_id = :w", {"w": work_id}).fetchone()
    return row is not None


def work_has_records(conn: sqlite3.Connection, work_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM record_work WHERE work_id = :w LIMIT 1", {"w": work_id}
    ).fetchone()
    return row is not None


def works_with_records(store: Store) -> list[int]:
    rows = store.conn.execute(
        "SELECT DISTINCT work_id FROM record_work ORDER BY work_id"
    ).fetchall()
    return [int(r[0]) for r in rows]


def work_records(store: Store, work_id: int) -> list[WorkRecordRow]:
    """The records of one work, best described first (longest abstract, then oldest record)."""
    rows = store.conn.execute(
        "SELECT r.record_id, r.source, r.stage, r.title, r.abstract_json, r.authors_json,"
        " r.year, r.journal, r.doi, r.pmid, r.url"
        " FROM record_work AS rw JOIN records AS r ON r.record_id = rw.record_id"
        " WHERE rw.work_id = :w"
        " ORDER BY length(r.abstract_json) DESC, r.record_id",
        {"w": work_id},
    ).fetchall()
    return [
        WorkRecordRow(
            record_id=int(row["record_id"]),
            source=row["source"],
            stage=row["stage"],
            title=row["title"],
            abstract=[(str(a), str(b)) for a, b in json.loads(row["abstract_json"])],
            authors=[(str(f), str(g)) for f, g in json.loads(row["authors_json"])],
            year=row["year"],
            journal=row["journal"],
            doi=row["doi"],
            pmid=row["pmid"],
            url=row["url"],
        )
        for row in rows
    ]


def work_titles(store: Store, work_ids: Iterable[int]) -> dict[int, dict[str, object]]:
    """Title, year, journal, DOI and PMID of works (from their first record with a title)."""
    wanted = set(work_ids)
    out: dict[int, dict[str, object]] = {}
    rows = store.conn.execute(
        "SELECT rw.work_id, r.title, r.year, r.journal, r.doi, r.pmid"
        " FROM record_work AS rw JOIN records AS r ON r.record_id = rw.record_id"
        " ORDER BY rw.work_id, (r.title = ''), r.record_id"
    )
    for row in rows:
        w = int(row["work_id"])
        if w in wanted and w not in out:
            out[w] = {k: row[k] for k in ("title", "year", "journal", "doi", "pmid")}
    return out


# --- assignments -----------------------------------------------------------------------------


def assigned_work_ids(store: Store, phase: str) -> set[int]:
    rows = store.conn.execute(
        "SELECT DISTINCT work_id FROM assignments WHERE phase = :p", {"p": phase}
    ).fetchall()
    return {int(r[0]) for r in rows}


def assignments(store: Store, phase: str) -> list[tuple[int, str]]:
    rows = store.conn.execute(
        "SELECT work_id, reviewer FROM assignments WHERE phase = :p ORDER BY work_id, reviewer",
        {"p": phase},
    ).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def reviewer_work_ids(store: Store, phase: str, reviewer: str) -> list[int]:
    rows = store.conn.execute(
        "SELECT work_id FROM assignments WHERE phase = :p AND reviewer = :r ORDER BY work_id",
        {"p": phase, "r": reviewer},
    ).fetchall()
    return [int(r[0]) for r in rows]


def work_assignees(conn: sqlite3.Connection, work_id: int, phase: str) -> list[str]:
    rows = conn.execute(
        "SELECT reviewer FROM assignments WHERE work_id = :w AND phase = :p ORDER BY reviewer",
        {"w": work_id, "p": phase},
    ).fetchall()
    return [str(r[0]) for r in rows]


def insert_assignments(
    conn: sqlite3.Connection, phase: str, pairs: Iterable[tuple[int, str]], *, how: str
) -> int:
    """Assign (work, reviewer) pairs; pairs already assigned are left as they are."""
    at = now()
    cursor = conn.executemany(
        "INSERT OR IGNORE INTO assignments (work_id, phase, reviewer, assigned_at, how)"
        " VALUES (:w, :p, :r, :at, :how)",
        ({"w": w, "p": phase, "r": r, "at": at, "how": how} for w, r in pairs),
    )
    return int(cursor.rowcount)


# --- decisions -------------------------------------------------------------------------------


def insert_decision(
    conn: sqlite3.Connection,
    *,
    work_id: int,
    phase: str,
    reviewer: str,
    decision: str,
    reason: str = "",
    note: str = "",
    via: str = "cli",
    queue_order: str = "",
) -> int:
    cursor = conn.execute(
        "INSERT INTO decisions (work_id, phase, reviewer, decision, reason, note, decided_at,"
        " via, queue_order) VALUES (:work_id, :phase, :reviewer, :decision, :reason, :note,"
        " :at, :via, :queue_order)",
        {
            "work_id": work_id,
            "phase": phase,
            "reviewer": reviewer,
            "decision": decision,
            "reason": reason,
            "note": note,
            "at": now(),
            "via": via,
            "queue_order": queue_order,
        },
    )
    return int(cursor.lastrowid or 0)


def standing_decision(
    conn: sqlite3.Connection, work_id: int, phase: str, reviewer: str
) -> DecisionRow | None:
    """The reviewer's standing decision on the work (None if none, or withdrawn by an undo)."""
    row = conn.execute(
        "SELECT * FROM decisions WHERE work_id = :w AND phase = :p AND reviewer = :r"
        " ORDER BY decision_id DESC LIMIT 1",
        {"w": work_id, "p": phase, "r": reviewer},
    ).fetchone()
    if row is None or row["decision"] == "undo":
        return None
    return _decision(row)


def last_standing_decision(store: Store, phase: str, reviewer: str) -> DecisionRow | None:
    """The reviewer's most recent decision in the phase that still stands."""
    rows = store.conn.execute(
        "SELECT * FROM decisions WHERE phase = :p AND reviewer = :r"
        " ORDER BY decision_id DESC LIMIT 200",
        {"p": phase, "r": reviewer},
    ).fetchall()
    seen: set[int] = set()
    for row in rows:
        w = int(row["work_id"])
        if w in seen:
            continue
        seen.add(w)
        if row["decision"] != "undo":
            return _decision(row)
    return None


def decided_work_ids(store: Store, phase: str, reviewer: str) -> set[int]:
    rows = store.conn.execute(
        "SELECT work_id FROM current_decisions WHERE phase = :p AND reviewer = :r",
        {"p": phase, "r": reviewer},
    ).fetchall()
    return {int(r[0]) for r in rows}


def current_decisions(
    store: Store, phase: str | None = None, reviewer: str | None = None
) -> list[DecisionRow]:
    rows = store.conn.execute(
        "SELECT * FROM current_decisions WHERE (:p IS NULL OR phase = :p)"
        " AND (:r IS NULL OR reviewer = :r) ORDER BY phase, work_id, reviewer",
        {"p": phase, "r": reviewer},
    ).fetchall()
    return [_decision(r) for r in rows]


def decision_history(store: Store, work_id: int | None = None) -> list[DecisionRow]:
    rows = store.conn.execute(
        "SELECT * FROM decisions WHERE (:w IS NULL OR work_id = :w) ORDER BY decision_id",
        {"w": work_id},
    ).fetchall()
    return [_decision(r) for r in rows]


def count_decision_rows(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM decisions").fetchone()[0])


# --- tallies ---------------------------------------------------------------------------------

_TALLY = "SELECT * FROM screening_tally"


def _tally(row: sqlite3.Row) -> TallyRow:
    return TallyRow(
        work_id=int(row["work_id"]),
        phase=row["phase"],
        n_assigned=int(row["n_assigned"]),
        n_decided=int(row["n_decided"]),
        n_include=int(row["n_include"]),
        n_exclude=int(row["n_exclude"]),
        n_maybe=int(row["n_maybe"]),
        n_exclude_reasons=int(row["n_exclude_reasons"]),
        exclude_reason=row["exclude_reason"] or "",
        resolution=row["resolution"],
        resolution_reason=row["resolution_reason"] or "",
    )


def tallies(store: Store, phase: str) -> list[TallyRow]:
    """The counted standing decisions of every assigned work in a phase."""
    rows = store.conn.execute(
        _TALLY + " WHERE phase = :p ORDER BY work_id", {"p": phase}
    ).fetchall()
    return [_tally(r) for r in rows]


def tally_of(conn: sqlite3.Connection, work_id: int, phase: str) -> TallyRow | None:
    row = conn.execute(
        _TALLY + " WHERE work_id = :w AND phase = :p",
        {"w": work_id, "p": phase},
    ).fetchone()
    return _tally(row) if row else None


# --- notes and resolutions -------------------------------------------------------------------


def insert_note(
    conn: sqlite3.Connection, *, work_id: int, phase: str, reviewer: str, note: str
) -> int:
    cursor = conn.execute(
        "INSERT INTO screening_notes (work_id, phase, reviewer, note, written_at)"
        " VALUES (:w, :p, :r, :n, :at)",
        {"w": work_id, "p": phase, "r": reviewer, "n": note, "at": now()},
    )
    return int(cursor.lastrowid or 0)


def notes_of(store: Store, work_id: int, phase: str, reviewer: str) -> list[str]:
    rows = store.conn.execute(
        "SELECT note FROM screening_notes WHERE work_id = :w AND phase = :p AND reviewer = :r"
        " ORDER BY note_id",
        {"w": work_id, "p": phase, "r": reviewer},
    ).fetchall()
    return [str(r[0]) for r in rows]


def insert_resolution(
    conn: sqlite3.Connection,
    *,
    work_id: int,
    phase: str,
    decision: str,
    reason: str,
    decided_by: str,
    note: str,
) -> int:
    cursor = conn.execute(
        "INSERT INTO resolutions (work_id, phase, decision, reason, decided_by, note, decided_at)"
        " VALUES (:w, :p, :d, :reason, :by, :note, :at)",
        {
            "w": work_id,
            "p": phase,
            "d": decision,
            "reason": reason,
            "by": decided_by,
            "note": note,
            "at": now(),
        },
    )
    return int(cursor.lastrowid or 0)


def current_resolutions(store: Store, phase: str | None = None) -> list[ResolutionRow]:
    rows = store.conn.execute(
        "SELECT * FROM current_resolutions WHERE (:p IS NULL OR phase = :p)"
        " ORDER BY phase, work_id",
        {"p": phase},
    ).fetchall()
    return [
        ResolutionRow(
            resolution_id=int(r["resolution_id"]),
            work_id=int(r["work_id"]),
            phase=r["phase"],
            decision=r["decision"],
            reason=r["reason"],
            decided_by=r["decided_by"],
            note=r["note"],
            decided_at=r["decided_at"],
        )
        for r in rows
    ]


# --- retrieval and study types ---------------------------------------------------------------


def insert_retrieval(
    conn: sqlite3.Connection,
    *,
    work_id: int,
    status: str,
    location: str,
    recorded_by: str,
    note: str = "",
) -> int:
    cursor = conn.execute(
        "INSERT INTO retrieval (work_id, status, location, recorded_by, recorded_at, note)"
        " VALUES (:w, :s, :loc, :by, :at, :note)",
        {"w": work_id, "s": status, "loc": location, "by": recorded_by, "at": now(), "note": note},
    )
    return int(cursor.lastrowid or 0)


def _retrieval(row: sqlite3.Row) -> RetrievalRow:
    return RetrievalRow(
        work_id=int(row["work_id"]),
        status=row["status"],
        location=row["location"],
        recorded_by=row["recorded_by"],
        recorded_at=row["recorded_at"],
        note=row["note"],
    )


def retrieval_of(conn: sqlite3.Connection, work_id: int) -> RetrievalRow | None:
    row = conn.execute(
        "SELECT * FROM retrieval WHERE work_id = :w ORDER BY retrieval_id DESC LIMIT 1",
        {"w": work_id},
    ).fetchone()
    return _retrieval(row) if row else None


def current_retrievals(store: Store) -> dict[int, RetrievalRow]:
    rows = store.conn.execute("SELECT * FROM current_retrieval ORDER BY work_id").fetchall()
    return {int(r["work_id"]): _retrieval(r) for r in rows}


def insert_study_type(
    conn: sqlite3.Connection, *, work_id: int, study_type: str, recorded_by: str
) -> int:
    cursor = conn.execute(
        "INSERT INTO study_types (work_id, study_type, recorded_by, recorded_at)"
        " VALUES (:w, :t, :by, :at)",
        {"w": work_id, "t": study_type, "by": recorded_by, "at": now()},
    )
    return int(cursor.lastrowid or 0)


def current_study_types(store: Store) -> dict[int, StudyTypeRow]:
    rows = store.conn.execute("SELECT * FROM current_study_types ORDER BY work_id").fetchall()
    return {
        int(r["work_id"]): StudyTypeRow(
            work_id=int(r["work_id"]),
            study_type=r["study_type"],
            recorded_by=r["recorded_by"],
            recorded_at=r["recorded_at"],
        )
        for r in rows
    }


def study_type_of(conn: sqlite3.Connection, work_id: int) -> str | None:
    row = conn.execute(
        "SELECT study_type FROM study_types WHERE work_id = :w ORDER BY study_type_id DESC LIMIT 1",
        {"w": work_id},
    ).fetchone()
    return str(row[0]) if row else None


def sources_of_works(store: Store, work_ids: Sequence[int]) -> dict[int, list[str]]:
    """For each work, the sources of its records (for export)."""
    wanted = set(work_ids)
    out: dict[int, set[str]] = {}
    for row in store.conn.execute(
        "SELECT rw.work_id, r.source FROM record_work AS rw"
        " JOIN records AS r ON r.record_id = rw.record_id"
    ):
        w = int(row[0])
        if w in wanted:
            out.setdefault(w, set()).add(str(row[1]))
    return {w: sorted(s) for w, s in out.items()}
