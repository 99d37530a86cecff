"""Records in the store: writing a validated batch in one transaction, and reading them back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rea.records import (
    AbstractSection,
    Author,
    Provenance,
    Record,
    SourceKind,
    normalize_doi,
    normalize_pmid,
)
from rea.store.connection import Store

_COLUMNS = (
    "source",
    "source_kind",
    "stage",
    "run_id",
    "import_id",
    "snapshot",
    "snapshot_sha256",
    "position",
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
    "journal_abbrev",
    "issn_json",
    "year",
    "epub_year",
    "volume",
    "issue",
    "pages",
    "language",
    "pub_types_json",
    "keywords_json",
    "mesh_json",
    "url",
    "extra_json",
)

_INSERT = (
    f"INSERT INTO records ({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)})"
)


_quote = json.encoder.encode_basestring_ascii  # the C string encoder json.dumps uses


def _json_list(items: Iterable[str]) -> str:
    """``json.dumps(list(items))``, byte for byte, without its per-call overhead."""
    return "[" + ", ".join(map(_quote, items)) + "]"


def _json_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """``json.dumps([[a, b], ...])``, byte for byte."""
    return "[" + ", ".join(f"[{_quote(a)}, {_quote(b)}]" for a, b in pairs) + "]"


def row_of(record: Record) -> dict[str, object]:
    """The column values a record is stored with (as imported, without an import id)."""
    return _row(record, None)


def _row(record: Record, import_id: int | None) -> dict[str, object]:
    p = record.provenance
    return {
        "source": p.source,
        "source_kind": p.kind.value,
        "stage": p.stage,
        "run_id": p.run_id,
        "import_id": import_id,
        "snapshot": p.snapshot,
        "snapshot_sha256": p.snapshot_sha256,
        "position": p.position,
        "source_id": record.source_id,
        "pmid": normalize_pmid(record.pmid),
        "doi": normalize_doi(record.doi),
        "pmcid": record.pmcid,
        "eid": record.eid,
        "wos_ut": record.wos_ut,
        "title": record.title,
        "abstract_json": _json_pairs((s.label, s.text) for s in record.abstract),
        "authors_json": _json_pairs((a.family, a.given) for a in record.authors),
        "journal": record.journal,
        "journal_abbrev": record.journal_abbrev,
        "issn_json": _json_list(record.issn),
        "year": record.year,
        "epub_year": record.epub_year,
        "volume": record.volume,
        "issue": record.issue,
        "pages": record.pages,
        "language": record.language,
        "pub_types_json": _json_list(record.publication_types),
        "keywords_json": _json_list(record.keywords),
        "mesh_json": _json_list(record.mesh),
        "url": record.url,
        "extra_json": json.dumps(record.extra, sort_keys=True) if record.extra else "{}",
    }


def insert_records(
    conn: sqlite3.Connection, records: Iterable[Record], *, import_id: int | None = None
) -> list[int]:
    """Insert records inside the caller's transaction; returns their new ids in order."""
    ids = []
    for record in records:
        cursor = conn.execute(_INSERT, _row(record, import_id))
        ids.append(int(cursor.lastrowid or 0))
    return ids


def insert_many(
    conn: sqlite3.Connection, records: Iterable[Record], *, import_id: int | None = None
) -> int:
    """Insert records inside the caller's transaction with one ``executemany``; returns how
    many (faster than :func:`insert_records` when the new ids are not needed)."""
    before = conn.total_changes
    conn.executemany(_INSERT, (_row(r, import_id) for r in records))
    return conn.total_changes - before


def add_records(
    store: Store, records: Sequence[Record], *, import_id: int | None = None
) -> list[int]:
    """Insert a whole batch in one transaction: all of it is stored, or none."""
    with store.transaction() as conn:
        return insert_records(conn, records, import_id=import_id)


@dataclass(frozen=True)
class StoredRecord:
    record_id: int
    record: Record


def _record(row: sqlite3.Row) -> StoredRecord:
    provenance = Provenance(
        source=row["source"],
        stage=row["stage"],
        run_id=row["run_id"],
        snapshot=row["snapshot"],
        snapshot_sha256=row["snapshot_sha256"],
        position=row["position"],
        kind=SourceKind(row["source_kind"]),
    )
    record = Record(
        provenance=provenance,
        title=row["title"],
        abstract=tuple(
            AbstractSection(label=a, text=b) for a, b in json.loads(row["abstract_json"])
        ),
        authors=tuple(Author(family=f, given=g) for f, g in json.loads(row["authors_json"])),
        journal=row["journal"],
        journal_abbrev=row["journal_abbrev"],
        issn=tuple(json.loads(row["issn_json"])),
        year=row["year"],
        epub_year=row["epub_year"],
        volume=row["volume"],
        issue=row["issue"],
        pages=row["pages"],
        language=row["language"],
        publication_types=tuple(json.loads(row["pub_types_json"])),
        keywords=tuple(json.loads(row["keywords_json"])),
        mesh=tuple(json.loads(row["mesh_json"])),
        pmid=row["pmid"],
        doi=row["doi"],
        pmcid=row["pmcid"],
        eid=row["eid"],
        wos_ut=row["wos_ut"],
        source_id=row["source_id"],
        url=row["url"],
        extra=json.loads(row["extra_json"]),
    )
    return StoredRecord(record_id=int(row["record_id"]), record=record)


def iter_records(
    store: Store, *, stage: str | None = None, source: str | None = None
) -> Iterator[StoredRecord]:
    """Stored records in id order, optionally of one stage and/or source."""
    sql = "SELECT * FROM records WHERE (:stage IS NULL OR stage = :stage)"
    sql += " AND (:source IS NULL OR source = :source) ORDER BY record_id"
    for row in store.conn.execute(sql, {"stage": stage, "source": source}):
        yield _record(row)


def get_record(store: Store, record_id: int) -> StoredRecord | None:
    row = store.conn.execute(
        "SELECT * FROM records WHERE record_id = :id", {"id": record_id}
    ).fetchone()
    return _record(row) if row else None


def count_records(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM records").fetchone()[0])
