"""PubMed MEDLINE / ``.nbib`` text (and MEDLINE-like exports such as ERIC's), read with
Bio.Medline after a line-by-line scan that locates structural errors."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from Bio import Medline

from rea.records import (
    AbstractSection,
    Author,
    Provenance,
    Record,
    normalize_doi,
    normalize_pages,
    normalize_pmid,
)
from rea.sources.readers.common import (
    Tagged,
    fail,
    issns,
    split_name,
    text_lines,
    year_of,
)

_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3})\s*- ?(.*)$")


def scan(path: Path, lines: Iterable[tuple[int, str]]) -> Iterator[tuple[Tagged, str]]:
    """Each record's tags and lines, and its text, one record at a time (records end at a
    blank line); raises on a broken structure."""
    current: Tagged | None = None
    block: list[str] = []
    last_tag = ""
    found = 0
    for number, line in lines:
        if not line.strip():
            if current is not None:
                found += 1
                yield current, "\n".join(block) + "\n"
                current, block = None, []
            continue
        if line.startswith(" "):
            if current is None:
                raise fail(path, number, None, "continuation line outside a record")
            current.extend_last(last_tag, line.strip())
            block.append(line)
            continue
        match = _TAG.match(line)
        if not match:
            raise fail(
                path, number, None, f"not a MEDLINE line (expected 'TAG - value'): {line[:40]!r}"
            )
        if current is None:
            current = Tagged(start=number)
        last_tag = match.group(1)
        current.add(last_tag, match.group(2), number)
        block.append(line)
    if current is not None:
        found += 1
        yield current, "\n".join(block) + "\n"
    if not found:
        raise fail(path, None, None, "no MEDLINE records in the file")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def to_record(
    entry: dict[str, Any], tags: Tagged, path: Path, position: int, provenance: Provenance
) -> Record:
    pmid_raw = str(entry.get("PMID", "")).strip()
    if pmid_raw and not pmid_raw.isdigit():
        raise fail(path, tags.line("PMID"), "PMID", f"PMID is not a number: {pmid_raw[:30]!r}")
    title = " ".join(str(entry.get("TI", "") or entry.get("BTI", "")).split())
    doi = ""
    for aid in _as_list(entry.get("AID")) + _as_list(entry.get("LID")):
        if "[doi]" in aid or "doi.org" in aid or aid.strip().startswith("10."):
            doi = normalize_doi(aid.replace("[doi]", ""))
            if doi:
                break
    full = _as_list(entry.get("FAU"))
    authors = tuple(split_name(a) for a in (full or _as_list(entry.get("AU"))))
    if not authors:
        authors = tuple(Author(family=c) for c in _as_list(entry.get("CN")))
    abstract = " ".join(str(entry.get("AB", "")).split())
    epub = None
    dep = str(entry.get("DEP", ""))
    if dep[:4].isdigit():
        epub = int(dep[:4])
    pmc = str(entry.get("PMC", "")).strip()
    record = Record(
        provenance=replace(provenance, position=position),
        title=title,
        abstract=(AbstractSection(text=abstract),) if abstract else (),
        authors=authors,
        journal=str(entry.get("JT", "")).strip(),
        journal_abbrev=str(entry.get("TA", "")).strip(),
        issn=issns(*_as_list(entry.get("IS")), *_as_list(entry.get("ISSN"))),
        year=year_of(str(entry.get("DP", "")), path, tags.line("DP"), "DP") or epub,
        epub_year=epub,
        volume=str(entry.get("VI", "")).strip(),
        issue=str(entry.get("IP", "")).strip(),
        pages=normalize_pages(str(entry.get("PG", ""))),
        language=";".join(_as_list(entry.get("LA"))),
        publication_types=tuple(_as_list(entry.get("PT"))),
        keywords=tuple(_as_list(entry.get("OT"))),
        mesh=tuple(m.split("/")[0].lstrip("*") for m in _as_list(entry.get("MH"))),
        pmid=normalize_pmid(pmid_raw),
        doi=doi,
        pmcid=pmc,
        source_id=pmid_raw or str(entry.get("OID", "")).strip(),
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid_raw}/" if pmid_raw else "",
    )
    return record


def read(path: Path, provenance: Provenance) -> Iterator[Record]:
    """Records one at a time: Biopython reads each record's text as it is reached."""
    for position, (tags, block) in enumerate(scan(path, text_lines(path)), start=1):
        entries = list(Medline.parse(io.StringIO(block)))  # type: ignore[no-untyped-call]
        if len(entries) != 1:
            raise fail(path, tags.start, None, f"MEDLINE reader found {len(entries)} records here")
        yield to_record(dict(entries[0]), tags, path, position, provenance)
