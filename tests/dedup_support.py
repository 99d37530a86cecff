"""Helpers for the dedup tests: a review folder with a store, and realistic records."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rea.config import ReviewPaths
from rea.records import Author, Provenance, Record
from rea.store import Store, open_store
from rea.store.records import add_records

RUN_ID = "2026-11-24T101500Z"


def make_review(tmp_path: Path) -> ReviewPaths:
    root = tmp_path / "searches" / "demo"
    root.mkdir(parents=True)
    (root / "strategy.toml").write_text('review_id = "demo"\n', encoding="utf-8")
    (root / "screening.toml").write_text(  # who may decide on duplicates
        '[[reviewers]]\nname = "JS"\nroles = ["screener"]\n\n'
        '[[reviewers]]\nname = "AH"\nroles = ["screener"]\n\n'
        '[[exclusion_reasons]]\ncode = "off-topic"\nlabel = "Off topic"\n',
        encoding="utf-8",
    )
    paths = ReviewPaths(root)
    with open_store(paths.store) as store, store.transaction() as conn:
        # a search run for the records to belong to (the sources step writes these)
        conn.execute(
            "INSERT INTO runs (run_id, started_at, finished_at, rea_version, path)"
            " VALUES (:id, :at, :at, '0.1.0', :path)",
            {"id": RUN_ID, "at": "2026-11-24T10:15:00+00:00", "path": f"runs/{RUN_ID}"},
        )
    return paths


def add(paths: ReviewPaths, records: list[Record]) -> list[int]:
    """Store records as the sources step does, with the search each came from."""
    with open_store(paths.store) as store:
        with store.transaction() as conn:
            for stage, source, run_id in {
                (r.provenance.stage, r.provenance.source, r.provenance.run_id) for r in records
            }:
                conn.execute(
                    "INSERT OR IGNORE INTO run_searches (run_id, stage, source, query,"
                    " fetched_count, manifest, finished_at) VALUES (:run, :stage, :source,"
                    " 'primary care network*', 0, :manifest, :at)",
                    {
                        "run": run_id,
                        "stage": stage,
                        "source": source,
                        "manifest": f"runs/{run_id}/manifest.json",
                        "at": "2026-11-24T10:15:00+00:00",
                    },
                )
        return add_records(store, records)


def screen(store: Store, work_id: int) -> None:
    """A screening decision on a work (the screening step writes these)."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO decisions (work_id, phase, reviewer, decision, decided_at)"
            " VALUES (:w, 'title_abstract', 'JS', 'include', '2026-11-24T12:00:00+00:00')",
            {"w": work_id},
        )


def rec(source: str = "pubmed", **fields: object) -> Record:
    """A record from ``source`` in the review's first stage."""
    return Record(
        provenance=Provenance(source=source, stage="2013-2018-all", run_id=RUN_ID),
        **fields,  # type: ignore[arg-type]
    )


# One real article as three databases export it (BMJ 2018;360:k1234 style fields).
PCN_PUBMED = rec(
    "pubmed",
    title="Primary care networks in England: a qualitative study of early implementation.",
    authors=(Author("Smith", "J"), Author("Jones", "KL"), Author("O'Brien", "M")),
    journal="British Journal of General Practice",
    journal_abbrev="Br J Gen Pract",
    year=2020,
    volume="70",
    issue="697",
    pages="e567-e574",
    pmid="32482630",
    doi="10.3399/bjgp20X710885",
    source_id="32482630",
)
PCN_SCOPUS = rec(
    "scopus",
    title="Primary care networks in England: A qualitative study of early implementation",
    authors=(Author("Smith J."), Author("Jones K.L."), Author("O'Brien M.")),
    journal="British Journal of General Practice",
    year=2020,
    volume="70",
    issue="697",
    pages="e567-e574",
    doi="https://doi.org/10.3399/BJGP20X710885",
    eid="2-s2.0-85086000000",
    source_id="2-s2.0-85086000000",
)
PCN_WOS = rec(
    "wos",
    title="PRIMARY CARE NETWORKS IN ENGLAND - A QUALITATIVE STUDY OF EARLY IMPLEMENTATION",
    authors=(Author("Smith, J"), Author("Jones, KL"), Author("OBrien, M")),
    journal="BRITISH JOURNAL OF GENERAL PRACTICE",
    year=2020,
    volume="70",
    pages="E567-E574",
    wos_ut="WOS:000540000000001",
    source_id="WOS:000540000000001",
)


def variant(record: Record, **changes: object) -> Record:
    return replace(record, **changes)  # type: ignore[arg-type]


def add_run(paths: ReviewPaths, run_id: str, finished_at: str) -> None:
    """Another search run (a rerun of the searches), finished at ``finished_at``."""
    with open_store(paths.store) as store, store.transaction() as conn:
        conn.execute(
            "INSERT INTO runs (run_id, started_at, finished_at, rea_version, path)"
            " VALUES (:id, :at, :at, '0.1.0', :path)",
            {"id": run_id, "at": finished_at, "path": f"runs/{run_id}"},
        )
