"""The CSV template for grey literature (websites, organisations) and citation-searching hits.

Columns (header names, any order; only ``title`` is required): ``title``, ``authors``
(``Family, Given; Family, Given``), ``organisation``, ``year``, ``url``, ``doi``, ``pmid``,
``type`` (report, web page, news item…), ``abstract``, ``date_accessed``, ``found_via``
(the website searched, or for citation searching the record whose references or citations
led here), ``notes``. See docs/sources.md.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from rea.records import (
    AbstractSection,
    Author,
    Provenance,
    Record,
    SourceKind,
    normalize_doi,
    normalize_pmid,
)
from rea.sources.readers.common import fail, split_name, text_lines, year_of

COLUMNS = (
    "title",
    "authors",
    "organisation",
    "year",
    "url",
    "doi",
    "pmid",
    "type",
    "abstract",
    "date_accessed",
    "found_via",
    "notes",
)


def read(path: Path, provenance: Provenance) -> Iterator[Record]:
    reader = csv.DictReader(line + "\n" for _, line in text_lines(path))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "title" not in header:
        raise fail(
            path,
            1,
            "title",
            "the header has no 'title' column (see the template in docs/sources.md)",
        )
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise fail(
            path,
            1,
            unknown[0],
            f"unknown column {unknown[0]!r}; the template has: {', '.join(COLUMNS)}",
        )
    reader.fieldnames = header
    position = 0
    end = reader.line_num
    for row in reader:
        line, end = end + 1, reader.line_num  # a row can span lines: name its first
        if None in row or any(v is None for v in row.values()):
            raise fail(
                path, line, None, f"the row does not have the {len(header)} cells of the header"
            )
        if not any(v.strip() for v in row.values()):
            continue
        position += 1
        get = {k: (v or "").strip() for k, v in row.items()}
        if not get["title"]:
            raise fail(path, line, "title", f"row {position} has no title")
        pmid = get.get("pmid", "")
        if pmid and not pmid.isdigit():
            raise fail(path, line, "pmid", f"pmid is not a number: {pmid!r}")
        authors = tuple(split_name(a) for a in get.get("authors", "").split(";") if a.strip())
        if not authors and get.get("organisation"):
            authors = (Author(family=get["organisation"]),)
        extra = {
            k: get[k] for k in ("organisation", "date_accessed", "found_via", "notes") if get.get(k)
        }
        yield Record(
            provenance=replace(provenance, position=position, kind=SourceKind.OTHER),
            title=" ".join(get["title"].split()),
            abstract=(AbstractSection(text=get["abstract"]),) if get.get("abstract") else (),
            authors=authors,
            year=year_of(get.get("year", ""), path, line, "year"),
            url=get.get("url", ""),
            doi=normalize_doi(get.get("doi", "")),
            pmid=normalize_pmid(pmid),
            publication_types=(get["type"],) if get.get("type") else (),
            source_id=get.get("url", ""),
            extra=extra,
        )
