"""Citation searching in the store: rounds (runs), their hits and why each was found.

Each query is a small named function (the store boundary ports them one by one).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rea.completeness import SearchState
from rea.errors import StoreError
from rea.records import Record
from rea.store.connection import Store
from rea.store.records import insert_records


@dataclass(frozen=True)
class CitationRunRow:
    run_id: str
    stage: str
    round: int
    directions: str  # backward | forward | both
    services: tuple[str, ...]
    seeds: tuple[int, ...]
    manifest: str
    state: SearchState = SearchState.INCOMPLETE
    missing_count: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    accepted_at: str | None = None
    accepted_note: str = ""
    started_at: str = ""
    finished_at: str | None = None
    current: bool = False  # the run the review uses for its round


@dataclass(frozen=True)
class HitLink:
    """Why a hit was found: this seed, in this direction, by this service (and the answer)."""

    seed_work_id: int
    direction: str
    service: str
    snapshot: str = ""


@dataclass(frozen=True)
class HitRow:
    """A hit of a run as the store holds it: its record, the work dedup put it in, whether that
    work was known before the round, and why it was found."""

    record_id: int
    work_id: int | None
    known: bool
    links: tuple[HitLink, ...]


def start_citation_run(store: Store, row: CitationRunRow) -> None:
    """Record a citation run (again, on resume: nothing changes then)."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO citation_runs (run_id, stage, round, directions, services_json,"
            " seeds_json, manifest) VALUES (:run_id, :stage, :round, :directions, :services,"
            " :seeds, :manifest) ON CONFLICT (run_id) DO NOTHING",
            {
                "run_id": row.run_id,
                "stage": row.stage,
                "round": row.round,
                "directions": row.directions,
                "services": json.dumps(list(row.services)),
                "seeds": json.dumps(list(row.seeds)),
                "manifest": row.manifest,
            },
        )


def store_hits(
    store: Store,
    run_id: str,
    hits: Sequence[tuple[Record, Sequence[HitLink]]],
    *,
    at: str,
) -> list[int]:
    """A run's hits and why each was found, in one transaction, once (``stored_at`` is set with
    them; records are never deleted, since dedup and screening refer to them). Returns the new
    record ids in order."""
    with store.transaction() as conn:
        done = conn.execute(
            "SELECT stored_at FROM citation_runs WHERE run_id = :run_id", {"run_id": run_id}
        ).fetchone()
        if done is None or done["stored_at"] is not None:
            raise StoreError(f"citation run {run_id} is unknown or its hits are stored already")
        ids = insert_records(conn, [record for record, _ in hits])
        conn.executemany(
            "INSERT OR IGNORE INTO citation_links (run_id, record_id, seed_work_id, direction,"
            " service, snapshot) VALUES (:run_id, :record_id, :seed, :direction, :service,"
            " :snapshot)",
            [
                {
                    "run_id": run_id,
                    "record_id": record_id,
                    "seed": link.seed_work_id,
                    "direction": link.direction,
                    "service": link.service,
                    "snapshot": link.snapshot,
                }
                for record_id, (_, links) in zip(ids, hits, strict=True)
                for link in links
            ],
        )
        conn.execute(
            "UPDATE citation_runs SET stored_at = :at WHERE run_id = :run_id",
            {"run_id": run_id, "at": at},
        )
    return ids


def hits_stored(store: Store, run_id: str) -> bool:
    row = store.conn.execute(
        "SELECT stored_at FROM citation_runs WHERE run_id = :run_id", {"run_id": run_id}
    ).fetchone()
    return row is not None and row["stored_at"] is not None


def mark_hits(
    conn: sqlite3.Connection, run_id: str, found: Mapping[int, tuple[int | None, bool]]
) -> None:
    """Record, for each hit (record id → (work id, known)), the work dedup put it in and
    whether that work was known before the round."""
    conn.executemany(
        "INSERT OR REPLACE INTO citation_hits (record_id, run_id, work_id, known)"
        " VALUES (:record_id, :run_id, :work_id, :known)",
        [
            {"record_id": r, "run_id": run_id, "work_id": w, "known": int(k)}
            for r, (w, k) in sorted(found.items())
        ],
    )


def set_citation_state(
    conn: sqlite3.Connection,
    run_id: str,
    *,
    state: SearchState,
    missing: int,
    details: Mapping[str, Any],
    accepted_at: str | None = None,
    accepted_note: str = "",
) -> None:
    conn.execute(
        "UPDATE citation_runs SET state = :state, missing_count = :missing,"
        " details_json = :details, accepted_at = :accepted_at, accepted_note = :note"
        " WHERE run_id = :run_id",
        {
            "run_id": run_id,
            "state": state.value,
            "missing": missing,
            "details": json.dumps(dict(details), sort_keys=True),
            "accepted_at": accepted_at,
            "note": accepted_note,
        },
    )


def accept_citation_run(store: Store, run_id: str, *, at: str, note: str) -> bool:
    """Mark an incomplete citation run as accepted; False when it is not incomplete."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "UPDATE citation_runs SET state = 'accepted', accepted_at = :at, accepted_note = :note"
            " WHERE run_id = :run_id AND state = 'incomplete'",
            {"run_id": run_id, "at": at, "note": note},
        )
        return cursor.rowcount > 0


def _run_row(r: sqlite3.Row) -> CitationRunRow:
    return CitationRunRow(
        run_id=str(r["run_id"]),
        stage=str(r["stage"]),
        round=int(r["round"]),
        directions=str(r["directions"]),
        services=tuple(json.loads(r["services_json"])),
        seeds=tuple(int(s) for s in json.loads(r["seeds_json"])),
        manifest=str(r["manifest"]),
        state=SearchState(r["state"]),
        missing_count=int(r["missing_count"]),
        details=json.loads(r["details_json"] or "{}"),
        accepted_at=r["accepted_at"],
        accepted_note=str(r["accepted_note"] or ""),
        started_at=str(r["started_at"]),
        finished_at=r["finished_at"],
        current=bool(r["is_current"]),
    )


_RUNS = (
    "SELECT c.*, u.started_at, u.finished_at, k.run_id IS NOT NULL AS is_current"
    " FROM citation_runs AS c JOIN runs AS u ON u.run_id = c.run_id"
    " LEFT JOIN current_citation_runs AS k ON k.run_id = c.run_id"
)


def citation_runs(store: Store, stage: str | None = None) -> list[CitationRunRow]:
    """Every citation run (of one stage), by stage, round and start."""
    where = " WHERE c.stage = :stage" if stage is not None else ""
    rows = store.conn.execute(
        f"{_RUNS}{where} ORDER BY c.stage, c.round, u.started_at, c.run_id", {"stage": stage}
    ).fetchall()
    return [_run_row(r) for r in rows]


def citation_run(store: Store, run_id: str) -> CitationRunRow | None:
    row = store.conn.execute(f"{_RUNS} WHERE c.run_id = :run_id", {"run_id": run_id}).fetchone()
    return _run_row(row) if row else None


def run_hits(store: Store, run_id: str) -> list[HitRow]:
    """The hits of a run, with the work each is in now (dedup may have moved it since) and
    whether it was known when the round ran."""
    rows = store.conn.execute(
        "SELECT r.record_id, rw.work_id, coalesce(h.known, 0) AS known"
        " FROM records AS r LEFT JOIN record_work AS rw ON rw.record_id = r.record_id"
        " LEFT JOIN citation_hits AS h ON h.record_id = r.record_id"
        " WHERE r.run_id = :run_id ORDER BY r.record_id",
        {"run_id": run_id},
    ).fetchall()
    links: dict[int, list[HitLink]] = {}
    for link in store.conn.execute(
        "SELECT record_id, seed_work_id, direction, service, snapshot FROM citation_links"
        " WHERE run_id = :run_id ORDER BY record_id, seed_work_id, direction, service",
        {"run_id": run_id},
    ):
        links.setdefault(int(link["record_id"]), []).append(
            HitLink(
                int(link["seed_work_id"]),
                str(link["direction"]),
                str(link["service"]),
                str(link["snapshot"]),
            )
        )
    return [
        HitRow(
            int(r["record_id"]),
            None if r["work_id"] is None else int(r["work_id"]),
            bool(r["known"]),
            tuple(links.get(int(r["record_id"]), ())),
        )
        for r in rows
    ]


def works_known_elsewhere(
    store: Store, work_ids: Iterable[int], exclude_runs: Iterable[str]
) -> set[int]:
    """Of ``work_ids``, those with a current record that no run in ``exclude_runs`` gave (found
    by a search, an import, or another citation round)."""
    wanted = sorted(set(work_ids))
    if not wanted:
        return set()
    excluded = sorted(set(exclude_runs))
    marks = ", ".join(f":x{i}" for i in range(len(excluded))) or "''"
    params: dict[str, object] = {f"x{i}": r for i, r in enumerate(excluded)}
    found: set[int] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        works = ", ".join(f":w{i}" for i in range(len(chunk)))
        rows = store.conn.execute(
            "SELECT DISTINCT rw.work_id FROM current_records AS r"
            " JOIN record_work AS rw ON rw.record_id = r.record_id"
            f" WHERE rw.work_id IN ({works})"
            f" AND (r.run_id IS NULL OR r.run_id NOT IN ({marks}))",
            {**params, **{f"w{i}": w for i, w in enumerate(chunk)}},
        ).fetchall()
        found |= {int(r[0]) for r in rows}
    return found


def works_of_stage(store: Store, stage: str) -> set[int]:
    """The works that a current record of ``stage`` is linked to."""
    rows = store.conn.execute(
        "SELECT DISTINCT rw.work_id FROM current_records AS r"
        " JOIN record_work AS rw ON rw.record_id = r.record_id WHERE r.stage = :stage",
        {"stage": stage},
    ).fetchall()
    return {int(r[0]) for r in rows}


@dataclass(frozen=True)
class WorkIdentifiers:
    """What the records of a work say it is: its DOIs and PMIDs (most records first), and a
    short label (first author and year, or the title's start)."""

    work_id: int
    dois: tuple[str, ...]
    pmids: tuple[str, ...]
    pmcids: tuple[str, ...]
    label: str


def work_identifiers(store: Store, work_ids: Iterable[int]) -> dict[int, WorkIdentifiers]:
    found: dict[int, WorkIdentifiers] = {}
    for work_id in sorted(set(work_ids)):
        rows = store.conn.execute(
            "SELECT r.doi, r.pmid, r.pmcid, r.title, r.year, r.authors_json FROM records AS r"
            " JOIN record_work AS rw ON rw.record_id = r.record_id WHERE rw.work_id = :w"
            " ORDER BY r.record_id",
            {"w": work_id},
        ).fetchall()
        if not rows:
            continue

        label = ""
        for r in rows:
            authors = json.loads(r["authors_json"] or "[]")
            if authors and r["year"]:
                label = f"{authors[0][0]} {r['year']}"
                break
        if not label:
            title = next((str(r["title"]) for r in rows if r["title"]), "")
            label = title[:40] + ("…" if len(title) > 40 else "")
        found[work_id] = WorkIdentifiers(
            work_id, _ranked(rows, "doi"), _ranked(rows, "pmid"), _ranked(rows, "pmcid"), label
        )
    return found


def _ranked(rows: Sequence[sqlite3.Row], column: str) -> tuple[str, ...]:
    """The distinct values of a column, those most records give first."""
    values = [str(r[column]) for r in rows if r[column]]
    return tuple(sorted(dict.fromkeys(values), key=lambda v: -values.count(v)))
