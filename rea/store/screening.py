"""Screening tables: assignments, decisions, notes, resolutions, retrieval, study types.

Every table is append-only; reads of the current state go through the views of
``0003_screening.sql``. Writers take the caller's connection so that a use case can check and
write inside one ``store.transaction()``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from rea.screening_vocab import Tally
from rea.store.connection import Store
from rea.store.works import now

#: The records a review works on (imports and each stage x source's current search), joined to
#: their works: a work known only from a superseded run is in no phase.
_CURRENT_LINKS = (
    "(SELECT rw.work_id, rw.record_id FROM record_work AS rw"
    " JOIN current_records AS cr ON cr.record_id = rw.record_id)"
)


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
class ResolutionRow:
    resolution_id: int
    work_id: int
    phase: str
    decision: str
    reason: str
    decided_by: str
    note: str
    decided_at: str
    override: bool = False  # given with --override on a work without a conflict


@dataclass(frozen=True)
class RetrievalRow:
    work_id: int
    status: str
    location: str
    recorded_by: str
    recorded_at: str
    note: str
    retrieval_id: int = 0


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


def _plain(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor that yields plain tuples (cheaper than sqlite3.Row for bulk reads)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor


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
    """Whether the work has a current record (see :data:`_CURRENT_LINKS`)."""
    row = conn.execute(
        f"SELECT 1 FROM {_CURRENT_LINKS} WHERE work_id = :w LIMIT 1", {"w": work_id}
    ).fetchone()
    return row is not None


def work_has_any_record(conn: sqlite3.Connection, work_id: int) -> bool:
    """Whether any record, current or of a superseded search run, is linked to the work."""
    row = conn.execute(
        "SELECT 1 FROM record_work WHERE work_id = :w LIMIT 1", {"w": work_id}
    ).fetchone()
    return row is not None


def works_with_records(store: Store) -> list[int]:
    """The works of the title/abstract phase: those with a current record."""
    rows = _plain(store.conn).execute(
        f"SELECT DISTINCT work_id FROM {_CURRENT_LINKS} ORDER BY work_id"
    )
    return [w for (w,) in rows]


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


def _load_work_set(conn: sqlite3.Connection, table: str, work_ids: Iterable[int]) -> None:
    """Fill the temporary table ``table`` with work ids (no lock is taken on the store)."""
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (work_id INTEGER PRIMARY KEY)")
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    conn.execute(f"DELETE FROM temp.{table}")
    conn.executemany(
        f"INSERT OR IGNORE INTO temp.{table} (work_id) VALUES (:w)", ({"w": w} for w in work_ids)
    )
    if own:
        conn.execute("COMMIT")


def work_titles(store: Store, work_ids: Iterable[int]) -> dict[int, dict[str, object]]:
    """Title, year, journal, DOI and PMID of works (from their first record with a title)."""
    _load_work_set(store.conn, "wanted_works", work_ids)
    out: dict[int, dict[str, object]] = {}
    rows = _plain(store.conn).execute(
        "SELECT rw.work_id, r.title, r.year, r.journal, r.doi, r.pmid"
        " FROM temp.wanted_works AS x JOIN record_work AS rw ON rw.work_id = x.work_id"
        " JOIN records AS r ON r.record_id = rw.record_id"
        " ORDER BY rw.work_id, (r.title = ''), r.record_id"
    )
    for w, title, year, journal, doi, pmid in rows:
        if w not in out:
            out[w] = {"title": title, "year": year, "journal": journal, "doi": doi, "pmid": pmid}
    return out


# --- assignments -----------------------------------------------------------------------------


def assigned_work_ids(store: Store, phase: str) -> set[int]:
    rows = _plain(store.conn).execute(
        "SELECT work_id FROM assignments WHERE phase = :p", {"p": phase}
    )
    return {w for (w,) in rows}


def unassigned_works_with_records(store: Store, phase: str) -> list[int]:
    """Works with records that nobody is assigned to in the phase."""
    rows = store.conn.execute(
        f"SELECT DISTINCT rw.work_id FROM {_CURRENT_LINKS} AS rw WHERE NOT EXISTS"
        " (SELECT 1 FROM assignments AS a WHERE a.work_id = rw.work_id AND a.phase = :p)"
        " ORDER BY rw.work_id",
        {"p": phase},
    ).fetchall()
    return [int(r[0]) for r in rows]


def assignments(store: Store, phase: str) -> list[tuple[int, str]]:
    rows = store.conn.execute(
        "SELECT work_id, reviewer FROM assignments WHERE phase = :p ORDER BY work_id, reviewer",
        {"p": phase},
    ).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def reviewer_work_ids(store: Store, phase: str, reviewer: str) -> list[int]:
    rows = _plain(store.conn).execute(
        "SELECT work_id FROM assignments WHERE phase = :p AND reviewer = :r ORDER BY work_id",
        {"p": phase, "r": reviewer},
    )
    return [w for (w,) in rows]


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
        "SELECT d.* FROM standing_decisions AS s JOIN decisions AS d"
        " ON d.decision_id = s.decision_id"
        " WHERE s.work_id = :w AND s.phase = :p AND s.reviewer = :r",
        {"w": work_id, "p": phase, "r": reviewer},
    ).fetchone()
    return _decision(row) if row else None


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
    rows = _plain(store.conn).execute(
        "SELECT work_id FROM standing_decisions WHERE phase = :p AND reviewer = :r",
        {"p": phase, "r": reviewer},
    )
    return {w for (w,) in rows}


def current_decisions(
    store: Store, phase: str | None = None, reviewer: str | None = None
) -> list[DecisionRow]:
    """Standing decisions (the ``current_decisions`` view), by phase, work and reviewer."""
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


# --- the counts the final-decision rule reads -------------------------------------------------


_TALLY = (
    "SELECT work_id, n_assigned, n_decided, n_include, n_exclude, n_maybe, n_exclude_reasons,"
    " exclude_reason, resolution, resolution_reason FROM screening_tally WHERE phase = :phase"
)


def tallies(conn: sqlite3.Connection, phase: str, *, work_id: int | None = None) -> list[Tally]:
    """Every assigned work's standing decisions in a phase (or one work's), counted, with its
    standing resolution: what :func:`rea.screening_vocab.outcome` turns into a final status.
    The store counts; it does not decide."""
    sql = _TALLY + (" AND work_id = :work_id" if work_id is not None else "") + " ORDER BY work_id"
    rows = _plain(conn).execute(sql, {"phase": phase, "work_id": work_id})
    return [Tally._make(row) for row in rows]


def standing_votes(store: Store, phase: str) -> dict[int, dict[str, str]]:
    """work → reviewer → standing decision, in a phase (what agreement is measured on)."""
    votes: dict[int, dict[str, str]] = {}
    rows = _plain(store.conn).execute(
        "SELECT work_id, reviewer, decision FROM standing_decisions WHERE phase = :p",
        {"p": phase},
    )
    for work_id, reviewer, decision in rows:
        votes.setdefault(work_id, {})[reviewer] = decision
    return votes


def standing_decisions(store: Store, phase: str) -> dict[tuple[int, str], tuple[str, str]]:
    """(work, reviewer) → (decision, reason) of every standing decision in a phase."""
    rows = store.conn.execute(
        "SELECT work_id, reviewer, decision, reason FROM standing_decisions WHERE phase = :p",
        {"p": phase},
    )
    return {(int(w), str(r)): (str(d), str(why)) for w, r, d, why in rows}


def _member_filter(store: Store, members: Collection[int] | None) -> str:
    """A SQL condition on ``a.work_id``: the given works (loaded into a temporary table), or
    when None every work that has a current record."""
    if members is None:
        return f"EXISTS (SELECT 1 FROM {_CURRENT_LINKS} AS rw WHERE rw.work_id = a.work_id)"
    _load_work_set(store.conn, "member_works", members)
    return "a.work_id IN (SELECT work_id FROM temp.member_works)"


@dataclass(frozen=True)
class ReviewerCounts:
    reviewer: str
    assigned: int
    screened: int
    included: int
    excluded: int
    maybe: int


def reviewer_counts(
    store: Store, phase: str, members: Collection[int] | None = None
) -> list[ReviewerCounts]:
    """Per reviewer, over the works of a phase: assigned, decided, and decisions by kind."""
    where = _member_filter(store, members)
    rows = store.conn.execute(
        "SELECT a.reviewer, count(*), count(s.decision),"
        " count(CASE WHEN s.decision = 'include' THEN 1 END),"
        " count(CASE WHEN s.decision = 'exclude' THEN 1 END),"
        " count(CASE WHEN s.decision = 'maybe' THEN 1 END)"
        " FROM assignments AS a LEFT JOIN standing_decisions AS s"
        "  ON s.phase = a.phase AND s.work_id = a.work_id AND s.reviewer = a.reviewer"
        f" WHERE a.phase = :p AND {where} GROUP BY a.reviewer ORDER BY a.reviewer",
        {"p": phase},
    ).fetchall()
    return [ReviewerCounts(str(r[0]), *(int(x) for x in r[1:])) for r in rows]


def assignee_counts(store: Store, phase: str, work_ids: Collection[int]) -> dict[str, int]:
    """Per reviewer, how many of the given works they are assigned (e.g. works in conflict)."""
    where = _member_filter(store, work_ids)
    rows = store.conn.execute(
        f"SELECT a.reviewer, count(*) FROM assignments AS a WHERE a.phase = :p AND {where}"
        " GROUP BY a.reviewer",
        {"p": phase},
    ).fetchall()
    return {str(r): int(n) for r, n in rows}


def double_screened_count(store: Store, phase: str, members: Collection[int] | None) -> int:
    """How many works of the phase have two or more reviewers."""
    where = _member_filter(store, members)
    row = store.conn.execute(
        "SELECT count(*) FROM work_tally AS a"
        f" WHERE a.phase = :p AND a.n_assigned >= 2 AND {where}",
        {"p": phase},
    ).fetchone()
    return int(row[0])


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
    override: bool = False,
) -> int:
    cursor = conn.execute(
        "INSERT INTO resolutions (work_id, phase, decision, reason, decided_by, note, decided_at,"
        " override) VALUES (:w, :p, :d, :reason, :by, :note, :at, :override)",
        {
            "w": work_id,
            "p": phase,
            "d": decision,
            "reason": reason,
            "by": decided_by,
            "note": note,
            "at": now(),
            "override": int(override),
        },
    )
    return int(cursor.lastrowid or 0)


def standing_resolution(conn: sqlite3.Connection, work_id: int, phase: str) -> ResolutionRow | None:
    """The resolution in force on a work in a phase (None: none, or withdrawn)."""
    row = conn.execute(
        "SELECT r.* FROM standing_resolutions AS s JOIN resolutions AS r"
        " ON r.resolution_id = s.resolution_id WHERE s.work_id = :w AND s.phase = :p",
        {"w": work_id, "p": phase},
    ).fetchone()
    return _resolution(row) if row else None


def withdraw_resolution(
    conn: sqlite3.Connection, resolution_id: int, *, withdrawn_by: str, note: str
) -> int:
    """Withdraw a resolution (a new row of ``resolution_withdrawals``; the resolution stays)."""
    cursor = conn.execute(
        "INSERT INTO resolution_withdrawals (resolution_id, withdrawn_by, withdrawn_at, note)"
        " VALUES (:r, :by, :at, :note)",
        {"r": resolution_id, "by": withdrawn_by, "at": now(), "note": note},
    )
    return int(cursor.lastrowid or 0)


def standing_decisions_of(conn: sqlite3.Connection, work_id: int, phase: str) -> list[DecisionRow]:
    """Every reviewer's standing decision on one work in one phase, by reviewer."""
    rows = conn.execute(
        "SELECT d.* FROM standing_decisions AS s JOIN decisions AS d"
        " ON d.decision_id = s.decision_id WHERE s.work_id = :w AND s.phase = :p"
        " ORDER BY s.reviewer",
        {"w": work_id, "p": phase},
    ).fetchall()
    return [_decision(r) for r in rows]


def overrides(store: Store) -> list[ResolutionRow]:
    """Every resolution given with --override (standing or not), oldest first."""
    rows = store.conn.execute(
        "SELECT * FROM resolutions WHERE override = 1 ORDER BY resolution_id"
    ).fetchall()
    return [_resolution(r) for r in rows]


def _resolution(r: sqlite3.Row) -> ResolutionRow:
    return ResolutionRow(
        resolution_id=int(r["resolution_id"]),
        work_id=int(r["work_id"]),
        phase=r["phase"],
        decision=r["decision"],
        reason=r["reason"],
        decided_by=r["decided_by"],
        note=r["note"],
        decided_at=r["decided_at"],
        override=bool(r["override"]),
    )


def current_resolutions(store: Store, phase: str | None = None) -> list[ResolutionRow]:
    rows = store.conn.execute(
        "SELECT * FROM current_resolutions WHERE (:p IS NULL OR phase = :p)"
        " ORDER BY phase, work_id",
        {"p": phase},
    ).fetchall()
    return [_resolution(r) for r in rows]


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
        retrieval_id=int(row["retrieval_id"]),
    )


def retrieval_of(conn: sqlite3.Connection, work_id: int) -> RetrievalRow | None:
    """The work's current retrieval row (the latest, unless withdrawn)."""
    row = conn.execute(
        "SELECT * FROM current_retrieval WHERE work_id = :w", {"w": work_id}
    ).fetchone()
    return _retrieval(row) if row else None


def withdraw_retrieval(
    conn: sqlite3.Connection, *, work_id: int, upto_id: int, withdrawn_by: str, note: str
) -> int:
    """Take the work's retrieval rows up to ``upto_id`` out of the current state."""
    cursor = conn.execute(
        "INSERT INTO retrieval_withdrawals (work_id, upto_id, withdrawn_by, withdrawn_at, note)"
        " VALUES (:w, :upto, :by, :at, :note)",
        {"w": work_id, "upto": upto_id, "by": withdrawn_by, "at": now(), "note": note},
    )
    return int(cursor.lastrowid or 0)


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


def sources_of_works(store: Store, work_ids: Iterable[int]) -> dict[int, list[str]]:
    """For each work, the sources of its records (for export)."""
    _load_work_set(store.conn, "wanted_works", work_ids)
    out: dict[int, list[str]] = {}
    rows = _plain(store.conn).execute(
        "SELECT DISTINCT rw.work_id, r.source FROM temp.wanted_works AS x"
        " JOIN record_work AS rw ON rw.work_id = x.work_id"
        " JOIN records AS r ON r.record_id = rw.record_id ORDER BY rw.work_id, r.source"
    )
    for w, source in rows:
        out.setdefault(w, []).append(source)
    return out


# --- studies: several reports of one study -------------------------------------------------


def insert_study_link(
    conn: sqlite3.Connection, *, work_id: int, study_id: int | None, linked_by: str, note: str = ""
) -> int:
    """Link a report (work) to a study (named by the work that stands for it), or with
    ``study_id`` None take it out of its study."""
    cursor = conn.execute(
        "INSERT INTO study_links (work_id, study_id, linked_by, linked_at, note)"
        " VALUES (:w, :s, :by, :at, :note)",
        {"w": work_id, "s": study_id, "by": linked_by, "at": now(), "note": note},
    )
    return int(cursor.lastrowid or 0)


def study_of(conn: sqlite3.Connection, work_id: int) -> int | None:
    row = conn.execute(
        "SELECT study_id FROM current_study_links WHERE work_id = :w", {"w": work_id}
    ).fetchone()
    return int(row[0]) if row else None


def study_members(conn: sqlite3.Connection, study_id: int) -> list[int]:
    rows = conn.execute(
        "SELECT work_id FROM current_study_links WHERE study_id = :s ORDER BY work_id",
        {"s": study_id},
    ).fetchall()
    return [int(r[0]) for r in rows]


def study_groups(store: Store) -> dict[int, list[int]]:
    """study → its linked reports, for every study with a link in force."""
    groups: dict[int, list[int]] = {}
    rows = store.conn.execute(
        "SELECT study_id, work_id FROM current_study_links ORDER BY study_id, work_id"
    )
    for study, work in rows:
        groups.setdefault(int(study), []).append(int(work))
    return groups
