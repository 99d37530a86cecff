"""Runs, run searches and imports in the store (the sources area's queries)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rea.completeness import SearchState
from rea.records import Record, SourceKind, fold_text
from rea.store.connection import Store
from rea.store.records import insert_many, row_of


@dataclass(frozen=True)
class RunRow:
    run_id: str
    started_at: str
    finished_at: str | None
    rea_version: str
    path: str


@dataclass(frozen=True)
class RunSearchRow:
    run_id: str
    stage: str
    source: str
    query: str
    reported_count: int | None
    fetched_count: int  # records stored
    warnings: tuple[str, ...]
    manifest: str
    finished_at: str
    state: SearchState = SearchState.COMPLETE
    missing_count: int = 0  # reported by the database and not stored
    surplus_count: int = 0  # stored beyond the count reported
    details: dict[str, Any] = field(default_factory=dict)  # reasons, messages, translation…
    accepted_at: str | None = None
    accepted_note: str = ""


@dataclass(frozen=True)
class StoredIdentifiers:
    """What one search stored, read back: its distinct identifiers, the rows beyond one per
    identifier, the rows without one."""

    ids: frozenset[str]
    duplicate_rows: int
    unidentified_rows: int


@dataclass(frozen=True)
class ImportRow:
    import_id: int
    path: str
    original: str
    sha256: str
    source: str
    stage: str
    format: str
    imported_at: str
    n_records: int


def start_run(store: Store, run_id: str, started_at: str, rea_version: str, path: str) -> None:
    """Record a run (again, on resume: nothing changes then)."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO runs (run_id, started_at, rea_version, path)"
            " VALUES (:run_id, :started_at, :rea_version, :path)"
            " ON CONFLICT (run_id) DO NOTHING",
            {"run_id": run_id, "started_at": started_at, "rea_version": rea_version, "path": path},
        )


def finish_run(store: Store, run_id: str, finished_at: str) -> None:
    """Mark a run finished (once: a later call keeps the first time)."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE runs SET finished_at = :at WHERE run_id = :run_id AND finished_at IS NULL",
            {"at": finished_at, "run_id": run_id},
        )


def save_search(
    store: Store,
    search: RunSearchRow,
    records: Iterable[Record],
    *,
    aliases: Mapping[str, str] | None = None,
) -> int:
    """Store the records of one stage x source of a run, replacing any stored by an interrupted
    attempt, in one transaction; returns how many were stored. The search's state is written
    as given: :func:`judge_search` settles it from what was stored, in the same transaction."""
    keys = {"run_id": search.run_id, "stage": search.stage, "source": search.source}
    with store.transaction() as conn:
        conn.execute(
            "DELETE FROM search_aliases WHERE run_id = :run_id AND stage = :stage"
            " AND source = :source",
            keys,
        )
        conn.execute(
            "DELETE FROM records WHERE run_id = :run_id AND stage = :stage AND source = :source",
            keys,
        )
        stored = insert_many(conn, records)
        conn.execute(
            "INSERT OR REPLACE INTO run_searches (run_id, stage, source, query, reported_count,"
            " fetched_count, warnings_json, manifest, finished_at, state, missing_count,"
            " surplus_count, details_json, accepted_at, accepted_note) VALUES (:run_id, :stage,"
            " :source, :query, :reported, :fetched, :warnings, :manifest, :finished_at, :state,"
            " :missing, :surplus, :details, :accepted_at, :accepted_note)",
            {
                **keys,
                "query": search.query,
                "reported": search.reported_count,
                "fetched": stored,
                "warnings": json.dumps(list(search.warnings)),
                "manifest": search.manifest,
                "finished_at": search.finished_at,
                "state": search.state.value,
                "missing": search.missing_count,
                "surplus": search.surplus_count,
                "details": json.dumps(search.details, sort_keys=True),
                "accepted_at": search.accepted_at,
                "accepted_note": search.accepted_note,
            },
        )
        conn.executemany(
            "INSERT INTO search_aliases (run_id, stage, source, old_id, new_id)"
            " VALUES (:run_id, :stage, :source, :old, :new)",
            [{**keys, "old": old, "new": new} for old, new in sorted((aliases or {}).items())],
        )
    return stored


def stored_identifiers(store: Store, run_id: str, stage: str, source: str) -> StoredIdentifiers:
    """The identifiers one search stored (its source's own: PMID, EID…), read from the records."""
    rows = store.conn.execute(
        "SELECT source_id, count(*) AS n FROM records"
        " WHERE run_id = :run_id AND stage = :stage AND source = :source GROUP BY source_id",
        {"run_id": run_id, "stage": stage, "source": source},
    ).fetchall()
    ids = frozenset(str(r["source_id"]) for r in rows if r["source_id"])
    duplicates = sum(int(r["n"]) - 1 for r in rows if r["source_id"])
    unidentified = sum(int(r["n"]) for r in rows if not r["source_id"])
    return StoredIdentifiers(ids, duplicates, unidentified)


def search_aliases(store: Store, run_id: str, stage: str, source: str) -> dict[str, str]:
    rows = store.conn.execute(
        "SELECT old_id, new_id FROM search_aliases"
        " WHERE run_id = :run_id AND stage = :stage AND source = :source",
        {"run_id": run_id, "stage": stage, "source": source},
    ).fetchall()
    return {str(r["old_id"]): str(r["new_id"]) for r in rows}


def set_search_state(
    store: Store,
    run_id: str,
    stage: str,
    source: str,
    *,
    state: SearchState,
    missing: int,
    surplus: int,
    details: Mapping[str, Any],
    accepted_at: str | None = None,
    accepted_note: str = "",
) -> None:
    with store.transaction() as conn:
        conn.execute(
            "UPDATE run_searches SET state = :state, missing_count = :missing,"
            " surplus_count = :surplus, details_json = :details, accepted_at = :accepted_at,"
            " accepted_note = :note WHERE run_id = :run_id AND stage = :stage AND source = :source",
            {
                "run_id": run_id,
                "stage": stage,
                "source": source,
                "state": state.value,
                "missing": missing,
                "surplus": surplus,
                "details": json.dumps(dict(details), sort_keys=True),
                "accepted_at": accepted_at,
                "note": accepted_note,
            },
        )


def accept_search(
    store: Store, run_id: str, stage: str, source: str, *, at: str, note: str
) -> bool:
    """Mark an incomplete search as accepted; False when there is no such incomplete search."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "UPDATE run_searches SET state = 'accepted', accepted_at = :at, accepted_note = :note"
            " WHERE run_id = :run_id AND stage = :stage AND source = :source"
            " AND state = 'incomplete'",
            {"run_id": run_id, "stage": stage, "source": source, "at": at, "note": note},
        )
        return cursor.rowcount > 0


def current_searches(store: Store) -> list[RunSearchRow]:
    """The current search of each stage x source (view ``current_searches``)."""
    rows = store.conn.execute("SELECT * FROM current_searches ORDER BY stage, source").fetchall()
    return [_search_row(r) for r in rows]


def list_runs(store: Store) -> list[RunRow]:
    rows = store.conn.execute("SELECT * FROM runs ORDER BY run_id").fetchall()
    return [
        RunRow(r["run_id"], r["started_at"], r["finished_at"], r["rea_version"], r["path"])
        for r in rows
    ]


def run_searches(store: Store, run_id: str) -> list[RunSearchRow]:
    rows = store.conn.execute(
        "SELECT * FROM run_searches WHERE run_id = :run_id ORDER BY stage, source",
        {"run_id": run_id},
    ).fetchall()
    return [_search_row(r) for r in rows]


def _search_row(r: sqlite3.Row) -> RunSearchRow:
    return RunSearchRow(
        r["run_id"],
        r["stage"],
        r["source"],
        r["query"],
        r["reported_count"],
        r["fetched_count"],
        tuple(json.loads(r["warnings_json"])),
        r["manifest"],
        r["finished_at"],
        SearchState(r["state"]),
        int(r["missing_count"]),
        int(r["surplus_count"]),
        json.loads(r["details_json"]),
        r["accepted_at"],
        str(r["accepted_note"]),
    )


@dataclass(frozen=True)
class RecordKey:
    """What identifies a record across runs: the source's own id, else DOI, else the title."""

    stage: str
    source: str
    key: str
    title: str


def run_record_keys(store: Store, run_id: str) -> list[RecordKey]:
    rows = store.conn.execute(
        "SELECT stage, source, source_id, pmid, eid, doi, title FROM records"
        " WHERE run_id = :run_id ORDER BY record_id",
        {"run_id": run_id},
    ).fetchall()
    keys = []
    for r in rows:
        key = r["source_id"] or r["pmid"] or r["eid"] or r["doi"] or fold_text(r["title"])
        keys.append(RecordKey(r["stage"], r["source"], key, r["title"]))
    return keys


def find_import(store: Store, sha256: str) -> ImportRow | None:
    row = store.conn.execute(
        "SELECT * FROM imports WHERE sha256 = :sha ORDER BY import_id LIMIT 1", {"sha": sha256}
    ).fetchone()
    return _import(row) if row else None


def _import(r: sqlite3.Row) -> ImportRow:
    return ImportRow(
        r["import_id"],
        r["path"],
        r["original"],
        r["sha256"],
        r["source"],
        r["stage"],
        r["format"],
        r["imported_at"],
        r["n_records"],
    )


def list_imports(store: Store) -> list[ImportRow]:
    rows = store.conn.execute("SELECT * FROM imports ORDER BY import_id").fetchall()
    return [_import(r) for r in rows]


def save_import(
    store: Store,
    *,
    path: str,
    original: str,
    sha256: str,
    source: str,
    stage: str,
    format: str,
    kind: SourceKind,
    imported_at: str,
    records: Sequence[Record],
) -> int:
    """The import row and all its records, in one transaction; returns the import id."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO imports (path, original, sha256, source, stage, format, source_kind,"
            " imported_at, n_records) VALUES (:path, :original, :sha256, :source, :stage,"
            " :format, :kind, :imported_at, :n)",
            {
                "path": path,
                "original": original,
                "sha256": sha256,
                "source": source,
                "stage": stage,
                "format": format,
                "kind": kind.value,
                "imported_at": imported_at,
                "n": len(records),
            },
        )
        import_id = int(cursor.lastrowid or 0)
        insert_many(conn, records, import_id=import_id)
    return import_id


def import_paths(store: Store) -> set[str]:
    """The kept copies every import row names (relative to the review)."""
    return {str(r[0]) for r in store.conn.execute("SELECT path FROM imports")}


def current_record_ids(store: Store) -> list[int]:
    """Ids of the records the review works on (view ``current_records``): all imported ones,
    and for each stage x source those of its latest finished run."""
    rows = store.conn.execute("SELECT record_id FROM current_records ORDER BY record_id")
    return [int(r[0]) for r in rows]


def imported_contents(store: Store, source: str, stage: str) -> set[tuple[object, ...]]:
    """What identifies each record imported from ``source`` for ``stage`` and what it says:
    (identifiers, title, abstract, authors, journal, year, volume, issue, pages) per record."""
    rows = store.conn.execute(
        f"SELECT {', '.join(CONTENT_COLUMNS)} FROM records"
        " WHERE import_id IS NOT NULL AND source = :source AND stage = :stage",
        {"source": source, "stage": stage},
    )
    return {tuple(r) for r in rows}


#: The columns that say which record a record is and what it holds (not where it came from).
CONTENT_COLUMNS = (
    "source_id",
    "pmid",
    "doi",
    "pmcid",
    "eid",
    "wos_ut",
    "title",
    "abstract_json",
    "authors_json",
    "journal",
    "year",
    "volume",
    "issue",
    "pages",
)


def content_key(record: Record) -> tuple[object, ...]:
    """The :data:`CONTENT_COLUMNS` of a record about to be stored, as the store would hold
    them."""
    row = row_of(record)
    return tuple(row[c] for c in CONTENT_COLUMNS)
