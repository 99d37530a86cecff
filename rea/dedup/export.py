"""The deduplicated set as files for other tools: one row (or RIS reference) per work.

Each row is the work's kept record, plus every identifier that any of its records carried and
the list of sources that found it, so EndNote, Zotero or ASReview users can trace it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rea.dedup.cluster import kept_record
from rea.files import csv_text as safe_csv
from rea.records import Record, normalize_doi, normalize_pmid

CSV_COLUMNS = (
    "work_id",
    "title",
    "authors",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "abstract",
    "sources",
    "n_records",
    "record_ids",
    "source_ids",
    "dois",
    "pmids",
    "eids",
    "wos_uts",
)


@dataclass(frozen=True)
class WorkRecords:
    work_id: int
    records: tuple[tuple[int, Record], ...]  # (record id, record), at least one


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def work_row(work: WorkRecords) -> dict[str, str]:
    """One flat row for a work: the kept record's fields and every record's identifiers."""
    kept_id = kept_record(work.records)
    kept = next(r for rid, r in work.records if rid == kept_id)
    records = [r for _, r in work.records]
    return {
        "work_id": str(work.work_id),
        "title": kept.title,
        "authors": "; ".join(str(a) for a in kept.authors),
        "year": str(kept.year or ""),
        "journal": kept.journal or kept.journal_abbrev,
        "volume": kept.volume,
        "issue": kept.issue,
        "pages": kept.pages,
        "doi": normalize_doi(kept.doi)
        or next((normalize_doi(r.doi) for r in records if r.doi), ""),
        "pmid": normalize_pmid(kept.pmid) or next((r.pmid for r in records if r.pmid), ""),
        "abstract": kept.abstract_text,
        "sources": "; ".join(_unique([r.provenance.source for r in records])),
        "n_records": str(len(records)),
        "record_ids": "; ".join(str(rid) for rid, _ in work.records),
        "source_ids": "; ".join(
            _unique([f"{r.provenance.source}:{r.source_id}" for r in records if r.source_id])
        ),
        "dois": "; ".join(_unique([normalize_doi(r.doi) for r in records])),
        "pmids": "; ".join(_unique([normalize_pmid(r.pmid) for r in records])),
        "eids": "; ".join(_unique([r.eid for r in records])),
        "wos_uts": "; ".join(_unique([r.wos_ut for r in records])),
    }


def csv_text(works: Sequence[WorkRecords]) -> str:
    """CSV with a header (``CSV_COLUMNS``), one row per work, safe to open in a spreadsheet."""
    rows = (work_row(w) for w in works)
    return safe_csv(
        CSV_COLUMNS, ([row[c] for c in CSV_COLUMNS] for row in rows), lineterminator="\n"
    )


def _ris_lines(work: WorkRecords) -> list[str]:
    row = work_row(work)
    kept_id = kept_record(work.records)
    kept = next(r for rid, r in work.records if rid == kept_id)
    lines = ["TY  - JOUR", f"ID  - rea-work-{work.work_id}"]

    def add(tag: str, value: str) -> None:
        value = " ".join(value.split())
        if value:
            lines.append(f"{tag}  - {value}")

    add("TI", row["title"])
    for author in kept.authors:
        add("AU", str(author))
    add("PY", row["year"])
    add("T2", row["journal"])
    add("VL", row["volume"])
    add("IS", row["issue"])
    first, _, last = row["pages"].partition("-")
    add("SP", first)
    add("EP", last)
    add("DO", row["doi"])
    add("AB", row["abstract"])
    add("AN", f"PMID:{row['pmid']}" if row["pmid"] else "")
    add("DB", row["sources"])
    add("N1", f"rea work {work.work_id}; sources: {row['sources']}")
    add("N1", f"records: {row['record_ids']}")
    if row["source_ids"]:
        add("N1", f"source ids: {row['source_ids']}")
    if row["dois"]:
        add("N1", f"DOIs: {row['dois']}")
    if row["pmids"]:
        add("N1", f"PMIDs: {row['pmids']}")
    lines.append("ER  - ")
    return lines


def ris_text(works: Sequence[WorkRecords]) -> str:
    """RIS, one reference per work, CRLF line ends as EndNote expects."""
    out: list[str] = []
    for work in works:
        out.extend(_ris_lines(work))
        out.append("")
    return "\r\n".join(out)
