"""Queries behind the PRISMA 2020 counts: records with their works, and the screening state.

Everything here reads; the counting itself is in :mod:`rea.prisma`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from rea.store.connection import Store


@dataclass(frozen=True)
class RecordRow:
    record_id: int
    source: str
    kind: str  # 'database' | 'other'
    stage: str
    work_id: int | None  # None while the record is not deduplicated


@dataclass(frozen=True)
class WorkSummary:
    """What a reference list needs of a work: taken from its most complete record."""

    work_id: int
    title: str
    authors: tuple[tuple[str, str], ...]
    journal: str
    year: int | None
    volume: str
    issue: str
    pages: str
    doi: str
    pmid: str
    url: str
    sources: tuple[str, ...]
    publisher: str = ""  # the organisation of a grey-literature item


def record_rows(store: Store) -> list[RecordRow]:
    """The records PRISMA counts: the review's current records (the ``current_records`` view:
    every import, and of each stage x source its current search run only)."""
    rows = store.conn.execute(
        "SELECT r.record_id, r.source, r.source_kind, r.stage, rw.work_id"
        " FROM current_records r LEFT JOIN record_work rw ON rw.record_id = r.record_id"
        " ORDER BY r.record_id"
    ).fetchall()
    return [
        RecordRow(
            record_id=int(r["record_id"]),
            source=str(r["source"]),
            kind=str(r["source_kind"]),
            stage=str(r["stage"]),
            work_id=None if r["work_id"] is None else int(r["work_id"]),
        )
        for r in rows
    ]


def latest_retrieval(store: Store) -> dict[int, str]:
    """The current full-text retrieval status of each work that has one (the latest row,
    unless withdrawn)."""
    rows = store.conn.execute("SELECT work_id, status FROM current_retrieval").fetchall()
    return {int(r["work_id"]): str(r["status"]) for r in rows}


def current_study_links(store: Store) -> dict[int, int]:
    """work → the work that stands for its study, for every report linked to a study."""
    rows = store.conn.execute("SELECT work_id, study_id FROM current_study_links").fetchall()
    return {int(r["work_id"]): int(r["study_id"]) for r in rows}


@dataclass(frozen=True)
class SearchState:
    """One stage x source search of a run, and whether PRISMA counts it: ``current`` (its
    records are among the current records), ``superseded`` (a later run of the same stage and
    source is current; its records are kept, not counted) or ``incomplete`` (its run never
    finished)."""

    run_id: str
    stage: str
    source: str
    records: int
    state: str

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "stage": self.stage,
            "source": self.source,
            "records": self.records,
            "state": self.state,
        }


def search_states(store: Store) -> list[SearchState]:
    """Every search of every run, with whether PRISMA counts it: ``current`` (the store's
    ``current_searches``), ``incomplete`` (its run never finished, or it is not complete and
    was not accepted) or ``superseded``."""
    rows = store.conn.execute(
        "SELECT s.run_id, s.stage, s.source, u.finished_at, s.state,"
        " (SELECT count(*) FROM records AS r WHERE r.run_id = s.run_id AND r.stage = s.stage"
        "   AND r.source = s.source) AS n,"
        " c.run_id IS NOT NULL AS current"
        " FROM run_searches AS s JOIN runs AS u ON u.run_id = s.run_id"
        " LEFT JOIN current_searches AS c"
        "   ON c.run_id = s.run_id AND c.stage = s.stage AND c.source = s.source"
        " ORDER BY s.stage, s.source, s.run_id"
    ).fetchall()
    found = []
    for r in rows:
        if r["current"]:
            state = "current"
        elif r["finished_at"] is None or r["state"] not in ("complete", "accepted"):
            state = "incomplete"
        else:
            state = "superseded"
        found.append(
            SearchState(str(r["run_id"]), str(r["stage"]), str(r["source"]), int(r["n"]), state)
        )
    return found


def latest_study_types(store: Store) -> dict[int, str]:
    rows = store.conn.execute(
        "SELECT work_id, study_type FROM study_types t WHERE study_type_id ="
        " (SELECT max(study_type_id) FROM study_types WHERE work_id = t.work_id)"
    ).fetchall()
    return {int(r["work_id"]): str(r["study_type"]) for r in rows}


def work_summaries(store: Store, work_ids: list[int]) -> list[WorkSummary]:
    """One summary per work, from the record with the most filled fields (ties: lowest id)."""
    out: list[WorkSummary] = []
    for work_id in work_ids:
        rows = store.conn.execute(
            "SELECT r.* FROM records r JOIN record_work rw ON rw.record_id = r.record_id"
            " WHERE rw.work_id = :w ORDER BY r.record_id",
            {"w": work_id},
        ).fetchall()
        if not rows:
            continue

        def filled(row: sqlite3.Row) -> int:
            keys = ("title", "journal", "volume", "pages", "doi", "pmid", "authors_json")
            return sum(1 for k in keys if row[k] not in ("", "[]", None))

        best = max(rows, key=filled)
        out.append(
            WorkSummary(
                work_id=work_id,
                title=str(best["title"]),
                authors=tuple((str(f), str(g)) for f, g in json.loads(best["authors_json"])),
                journal=str(best["journal"]),
                year=None if best["year"] is None else int(best["year"]),
                volume=str(best["volume"]),
                issue=str(best["issue"]),
                pages=str(best["pages"]),
                doi=str(best["doi"]),
                pmid=str(best["pmid"]),
                url=str(best["url"]),
                sources=tuple(sorted({str(r["source"]) for r in rows})),
                publisher=str(json.loads(best["extra_json"] or "{}").get("organisation", "")),
            )
        )
    return out


@dataclass(frozen=True)
class RunRow:
    run_id: str
    started_at: str
    finished_at: str | None
    rea_version: str


def run_rows(store: Store) -> list[RunRow]:
    rows = store.conn.execute(
        "SELECT run_id, started_at, finished_at, rea_version FROM runs ORDER BY run_id"
    ).fetchall()
    return [
        RunRow(str(r["run_id"]), str(r["started_at"]), r["finished_at"], str(r["rea_version"]))
        for r in rows
    ]


@dataclass(frozen=True)
class SnapshotRow:
    source: str
    stage: str
    origin: str  # run id or imported file path
    snapshot: str
    sha256: str
    n_records: int
    at: str  # when the run started or the file was imported


def snapshot_rows(store: Store) -> list[SnapshotRow]:
    """Every raw response or imported file that gave records, with its checksum."""
    rows = store.conn.execute(
        "SELECT r.source, r.stage, coalesce(r.run_id, i.path, '') AS origin,"
        " coalesce(r.snapshot, i.path, '') AS snapshot,"
        " coalesce(r.snapshot_sha256, i.sha256, '') AS sha256, count(*) AS n,"
        " coalesce(u.started_at, i.imported_at, '') AS at"
        " FROM records r LEFT JOIN imports i ON i.import_id = r.import_id"
        " LEFT JOIN runs u ON u.run_id = r.run_id"
        " GROUP BY r.source, r.stage, origin, snapshot, sha256, at"
        " ORDER BY r.stage, r.source, snapshot"
    ).fetchall()
    return [
        SnapshotRow(
            str(r["source"]),
            str(r["stage"]),
            str(r["origin"]),
            str(r["snapshot"]),
            str(r["sha256"]),
            int(r["n"]),
            str(r["at"]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class RecordKeys:
    """The identifiers of a record that tell which known item it is (used by the demo)."""

    record_id: int
    work_id: int | None
    source: str
    pmid: str
    doi: str
    eid: str
    wos_ut: str
    title: str
    year: int | None


def record_keys(store: Store) -> list[RecordKeys]:
    rows = store.conn.execute(
        "SELECT r.record_id, rw.work_id, r.source, r.pmid, r.doi, r.eid, r.wos_ut, r.title, r.year"
        " FROM records r LEFT JOIN record_work rw ON rw.record_id = r.record_id"
        " ORDER BY r.record_id"
    ).fetchall()
    return [
        RecordKeys(
            record_id=int(r["record_id"]),
            work_id=None if r["work_id"] is None else int(r["work_id"]),
            source=str(r["source"]),
            pmid=str(r["pmid"]),
            doi=str(r["doi"]),
            eid=str(r["eid"]),
            wos_ut=str(r["wos_ut"]),
            title=str(r["title"]),
            year=None if r["year"] is None else int(r["year"]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class SearchRow:
    """One search of a run: the query sent, what the database reported, what was stored, and
    whether the search is complete and current."""

    run_id: str
    stage: str
    source: str
    query: str
    reported_count: int | None
    fetched_count: int
    finished_at: str
    state: str = "complete"  # complete | incomplete | accepted (rea.completeness.SearchState)
    missing_count: int = 0
    surplus_count: int = 0
    messages: tuple[tuple[str, str], ...] = ()  # the database's own messages about the query
    reasons: tuple[str, ...] = ()  # why the search is not complete
    accepted_note: str = ""
    current: bool = False  # the search dedup and PRISMA use for its stage x source


def search_rows(store: Store) -> list[SearchRow]:
    rows = store.conn.execute(
        "SELECT s.run_id, s.stage, s.source, s.query, s.reported_count, s.fetched_count,"
        " s.finished_at, s.state, s.missing_count, s.surplus_count, s.details_json,"
        " s.accepted_note, c.run_id IS NOT NULL AS is_current"
        " FROM run_searches AS s LEFT JOIN current_searches AS c"
        " ON c.run_id = s.run_id AND c.stage = s.stage AND c.source = s.source"
        " ORDER BY s.run_id, s.stage, s.source"
    ).fetchall()
    found = []
    for r in rows:
        details = json.loads(r["details_json"] or "{}")
        found.append(
            SearchRow(
                str(r["run_id"]),
                str(r["stage"]),
                str(r["source"]),
                str(r["query"]),
                None if r["reported_count"] is None else int(r["reported_count"]),
                int(r["fetched_count"]),
                str(r["finished_at"]),
                str(r["state"]),
                int(r["missing_count"]),
                int(r["surplus_count"]),
                tuple((str(m[0]), str(m[1])) for m in details.get("messages", [])),
                tuple(str(x) for x in details.get("reasons", [])),
                str(r["accepted_note"] or ""),
                bool(r["is_current"]),
            )
        )
    return found


def stopped_unscreened(store: Store, phase: str) -> set[int]:
    """Works left unscreened when screening of ``phase`` was stopped (a ranking stop that is not
    withdrawn); empty when the store has no stopping decisions (or no such table yet)."""
    exists = store.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stopping_unscreened'"
    ).fetchone()
    if not exists:
        return set()
    latest = store.conn.execute(
        "SELECT stop_id, withdrawn FROM stopping_decisions WHERE phase = :phase"
        " ORDER BY stop_id DESC LIMIT 1",
        {"phase": phase},
    ).fetchone()
    if latest is None or int(latest["withdrawn"]):
        return set()
    rows = store.conn.execute(
        "SELECT work_id FROM stopping_unscreened WHERE stop_id = :stop", {"stop": latest["stop_id"]}
    ).fetchall()
    return {int(r["work_id"]) for r in rows}
