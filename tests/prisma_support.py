"""A review store built by hand, where every PRISMA box is known in advance."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rea.records import Author, Provenance, Record, SourceKind
from rea.store import Store, open_store
from rea.store.records import add_records
from rea.store.works import create_work, link_record

STAGE_A = "1998-2012-reviews"
STAGE_B = "2013-2018-all"
AT = "2026-01-01T00:00:00+00:00"


@dataclass
class Builder:
    """Adds records, works and screening rows with plain SQL, as the other steps would."""

    store: Store
    works: dict[str, int] = field(default_factory=dict)

    def work(self, name: str) -> int:
        if name not in self.works:
            with self.store.transaction() as conn:
                self.works[name] = create_work(conn)
        return self.works[name]

    def record(
        self,
        work: str | None,
        source: str,
        stage: str,
        *,
        kind: SourceKind = SourceKind.DATABASE,
        title: str | None = None,
        year: int = 2015,
    ) -> int:
        self.store.conn.execute(
            "INSERT OR IGNORE INTO runs (run_id, started_at, finished_at, rea_version, path)"
            " VALUES ('run-1', :at, :at, '0.1.0', 'runs/run-1')",
            {"at": AT},
        )
        self.store.conn.execute(
            "INSERT OR IGNORE INTO run_searches (run_id, stage, source, query, fetched_count,"
            " manifest, finished_at) VALUES ('run-1', :stage, :source, '', 0, '', :at)",
            {"stage": stage, "source": source, "at": AT},
        )
        record = Record(
            provenance=Provenance(source=source, stage=stage, run_id="run-1", kind=kind),
            title=title or f"Work {work} as {source} found it",
            authors=(Author("Smith", "J"),),
            journal="Br J Gen Pract",
            year=year,
            doi=f"10.9999/{work}" if work else "",
        )
        (record_id,) = add_records(self.store, [record])
        if work is not None:
            work_id = self.work(work)
            with self.store.transaction() as conn:
                link_record(conn, record_id, work_id, rule="human")
        return record_id

    def assign(self, work: str, phase: str, reviewers: tuple[str, ...] = ("AH", "MS")) -> None:
        """Assign the work in the phase (as screening.toml's hash would: both reviewers)."""
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO assignments (work_id, phase, reviewer, assigned_at, how)"
                " VALUES (:w, :p, :r, :at, 'hash')",
                [{"w": self.works[work], "p": phase, "r": r, "at": AT} for r in reviewers],
            )

    def decide(self, work: str, phase: str, reviewer: str, decision: str, reason: str = "") -> None:
        """A reviewer's decision; a work nobody was assigned yet goes to both reviewers."""
        exists = self.store.conn.execute(
            "SELECT 1 FROM assignments WHERE work_id = :w AND phase = :p",
            {"w": self.works[work], "p": phase},
        ).fetchone()
        if not exists:
            self.assign(work, phase)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO decisions (work_id, phase, reviewer, decision, reason, decided_at)"
                " VALUES (:w, :p, :r, :d, :reason, :at)",
                {
                    "w": self.works[work],
                    "p": phase,
                    "r": reviewer,
                    "d": decision,
                    "reason": reason,
                    "at": AT,
                },
            )

    def both(self, work: str, phase: str, decision: str, reason: str = "") -> None:
        self.decide(work, phase, "AH", decision, reason)
        self.decide(work, phase, "MS", decision, reason)

    def resolve(self, work: str, phase: str, decision: str, reason: str = "") -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO resolutions (work_id, phase, decision, reason, decided_by, decided_at)"
                " VALUES (:w, :p, :d, :reason, 'JS', :at)",
                {"w": self.works[work], "p": phase, "d": decision, "reason": reason, "at": AT},
            )

    def retrieval(self, work: str, status: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO retrieval (work_id, status, location, recorded_by, recorded_at)"
                " VALUES (:w, :s, :loc, 'AH', :at)",
                {
                    "w": self.works[work],
                    "s": status,
                    "loc": f"fulltext/{work}.pdf" if status == "retrieved" else "",
                    "at": AT,
                },
            )

    def study_type(self, work: str, study_type: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO study_types (work_id, study_type, recorded_by, recorded_at)"
                " VALUES (:w, :t, 'AH', :at)",
                {"w": self.works[work], "t": study_type, "at": AT},
            )


def known_store(path: Path) -> Builder:
    """Two stages; see tests/test_prisma.py for the number every box must show."""
    b = Builder(open_store(path))
    other = SourceKind.OTHER
    # stage A: w1 by PubMed and Scopus (one duplicate), w2, w3 by PubMed, w4 by Scopus;
    # citation searching finds w5 and w1 again
    b.record("w1", "pubmed", STAGE_A)
    b.record("w2", "pubmed", STAGE_A)
    b.record("w3", "pubmed", STAGE_A)
    b.record("w1", "scopus", STAGE_A)
    b.record("w4", "scopus", STAGE_A)
    b.record("w5", "citation_searching", STAGE_A, kind=other)
    b.record("w1", "citation_searching", STAGE_A, kind=other)
    # stage B: w1 found again by PubMed; w6, w7 by Web of Science; w8 on GPOnline
    b.record("w1", "pubmed", STAGE_B)
    b.record("w6", "wos", STAGE_B)
    b.record("w7", "wos", STAGE_B)
    b.record("w8", "gponline", STAGE_B, kind=other)
    ta, ft = "title_abstract", "full_text"
    b.both("w1", ta, "include")
    b.both("w2", ta, "exclude", "off topic")
    b.both("w3", ta, "include")
    b.decide("w4", ta, "AH", "include")
    b.decide("w4", ta, "MS", "exclude", "off topic")
    b.resolve("w4", ta, "include")
    b.both("w5", ta, "include")
    b.both("w6", ta, "include")
    b.decide("w7", ta, "AH", "exclude", "off topic")
    b.decide("w7", ta, "MS", "include")
    b.decide("w7", ta, "MS", "undo")
    b.decide("w7", ta, "MS", "exclude", "off topic")
    b.both("w8", ta, "include")
    b.retrieval("w4", "not_retrieved")
    for w in ("w1", "w3", "w5", "w6", "w8"):
        b.retrieval(w, "retrieved")
    b.both("w1", ft, "include")
    b.decide("w3", ft, "AH", "exclude", "wrong setting")
    b.decide("w3", ft, "MS", "exclude", "wrong setting")
    b.both("w5", ft, "include")
    b.both("w6", ft, "include")
    b.both("w8", ft, "include")
    b.study_type("w1", "primary")
    b.study_type("w1", "review")  # a correction: the latest counts
    b.study_type("w5", "primary")
    b.study_type("w6", "primary")
    b.study_type("w8", "grey")
    return b
