"""Scopus CSV exports, in the old layout (``Authors`` as ``Smith J., Jones A.``) and the 2023
layout (every field quoted, ``Authors`` ``;``-separated, ``Author full names``)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from rea.records import (
    AbstractSection,
    Author,
    Provenance,
    Record,
    normalize_doi,
    normalize_pages,
    normalize_pmid,
)
from rea.sources.readers.common import fail, issns, split_name, text_lines, year_of

REQUIRED = ("Title", "Year")


def _authors(row: dict[str, str]) -> tuple[Author, ...]:
    full = row.get("Author full names", "").strip()
    if full:
        names = [re.sub(r"\s*\(\d+\)\s*$", "", n) for n in full.split(";")]
        return tuple(split_name(n) for n in names if n.strip())
    short = row.get("Authors", "").strip()
    if not short or short.lower() == "[no author name available]":
        return ()
    parts = short.split(";") if ";" in short else short.split(".,")
    names = [
        p.strip() + ("." if ";" not in short and not p.strip().endswith(".") else "")
        for p in parts
        if p.strip()
    ]
    return tuple(split_name(n) for n in names)


def _pages(row: dict[str, str]) -> str:
    start, end = row.get("Page start", "").strip(), row.get("Page end", "").strip()
    if start and end:
        return normalize_pages(f"{start}-{end}")
    return start or row.get("Art. No.", "").strip()


def read(path: Path, provenance: Provenance) -> Iterator[Record]:
    reader = csv.reader(line + "\n" for _, line in text_lines(path))
    header = next(reader, [])
    for column in REQUIRED:
        if column not in header:
            raise fail(
                path, 1, column, f"the header has no {column!r} column (is this a Scopus CSV?)"
            )
    funding = header.index("Funding Text 1") if "Funding Text 1" in header else None
    position = 0
    end = reader.line_num
    for cells in reader:
        line, end = end + 1, reader.line_num  # a row can span lines: name its first
        if not any(c.strip() for c in cells):
            continue
        extra = len(cells) - len(header)
        if extra > 0 and funding is not None:
            # older exports put "Funding Text 2", "3"… in cells that have no header
            cells = cells[: funding + 1] + cells[funding + 1 + extra :]
        if len(cells) != len(header):
            raise fail(path, line, None, f"{len(cells)} cells where the header has {len(header)}")
        row = dict(zip(header, cells, strict=True))
        position += 1
        title = row["Title"].strip()
        eid = row.get("EID", "").strip()
        if not title and not eid:
            raise fail(path, line, "Title", f"record {position} has neither title nor EID")
        abstract = row.get("Abstract", "").strip()
        if abstract == "[No abstract available]":
            abstract = ""
        keywords = [
            k.strip()
            for col in ("Author Keywords", "Index Keywords")
            for k in row.get(col, "").split(";")
            if k.strip()
        ]
        yield Record(
            provenance=replace(provenance, position=position),
            title=" ".join(title.split()),
            abstract=(AbstractSection(text=abstract),) if abstract else (),
            authors=_authors(row),
            journal=row.get("Source title", "").strip(),
            journal_abbrev=row.get("Abbreviated Source Title", "").strip(),
            issn=issns(row.get("ISSN", "")),
            year=year_of(row["Year"], path, line, "Year"),
            volume=row.get("Volume", "").strip(),
            issue=row.get("Issue", "").strip(),
            pages=_pages(row),
            language=row.get("Language of Original Document", "").strip(),
            publication_types=tuple(t for t in (row.get("Document Type", "").strip(),) if t),
            keywords=tuple(dict.fromkeys(keywords)),
            pmid=normalize_pmid(row.get("PubMed ID", "")),
            doi=normalize_doi(row.get("DOI", "")),
            eid=eid,
            source_id=eid,
            url=row.get("Link", "").strip(),
        )
