"""Ovid MEDLINE (and Embase) exports in Ovid's tagged format.

Records start with a ``<N>`` line or follow a blank line; a field is ``TAG - value`` with a tag
of two to four capitals; continuation lines are indented, or (in Ovid's EndNote-style export)
not indented at all, and both are joined to the field above. Tags read: ``UI``/``AN`` (PMID
when numeric), ``TI``, ``AB``, ``FA``/``AU``, ``JN``/``JT``/``SO``, ``IS``/``IE``, ``VO``/``VI``,
``IP``, ``PG``, ``YR``/``DP``, ``LG``/``LA``, ``PT``, ``MH``, ``KW``/``KF``, ``DO``/``DI``,
``PM``/``PMC``, ``XL``/``UR``, ``DB``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from rea.records import (
    AbstractSection,
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

_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3})\s*-(?:\s(.*)|$)")
_START = re.compile(r"^<\d+>\s*$")


def scan(path: Path, lines: Iterable[tuple[int, str]]) -> Iterator[Tagged]:
    """Each record's tags and lines, one record at a time; raises on a broken structure."""
    found = 0
    current: Tagged | None = None
    last_tag = ""
    for number, line in lines:
        if _START.match(line) or not line.strip():
            if current is not None:
                found += 1
                yield current
                current = None
            continue
        match = _TAG.match(line)
        if match:
            if current is None:
                current = Tagged(start=number)
            last_tag = match.group(1)
            current.add(last_tag, match.group(2) or "", number)
        elif current is None:
            raise fail(
                path,
                number,
                None,
                f"text outside a record (expected '<1>' or 'TAG - value'): {line[:40]!r}",
            )
        else:
            current.extend_last(last_tag, line.strip())
    if current is not None:
        found += 1
        yield current
    if not found:
        raise fail(path, None, None, "no Ovid records in the file")


def _doi(values: list[str]) -> str:
    for value in values:
        doi = normalize_doi(value)
        if doi:
            return doi
    return ""


def read(path: Path, provenance: Provenance) -> Iterator[Record]:
    for position, tags in enumerate(scan(path, text_lines(path)), start=1):
        title = tags.first("TI")
        if not title:
            raise fail(path, tags.start, "TI", f"record {position} has no title (TI)")
        ui = tags.first("UI", "AN", "PMID")
        pmid = ui if ui.isdigit() else ""
        if tags.first("PMID") and not tags.first("PMID").isdigit():
            raise fail(path, tags.line("PMID"), "PMID", "PMID is not a number")
        year_tag = "YR" if tags.first("YR") else "DP"
        year = year_of(tags.first("YR", "DP"), path, tags.line(year_tag), year_tag)
        abstract = tags.first("AB")
        authors = tags.all("FA") or tags.all("AU")
        pmc = next((v for v in tags.all("PM", "PMC") if v.upper().startswith("PMC")), "")
        yield Record(
            provenance=replace(provenance, position=position),
            title=title,
            abstract=(AbstractSection(text=abstract),) if abstract else (),
            authors=tuple(split_name(a) for a in authors),
            journal=tags.first("JN", "JT", "JO"),
            journal_abbrev=tags.first("JA", "TA"),
            issn=issns(*tags.all("IS", "IE", "SN")),
            year=year,
            volume=tags.first("VO", "VI"),
            issue=tags.first("IP"),
            pages=normalize_pages(tags.first("PG")),
            language=";".join(tags.all("LG", "LA")),
            publication_types=tuple(tags.all("PT")),
            keywords=tuple(tags.all("KW", "KF", "OT")),
            mesh=tuple(m.lstrip("*").split("/")[0].strip() for m in tags.all("MH")),
            pmid=normalize_pmid(pmid),
            doi=_doi(tags.all("DO", "DI", "AID", "LID")),
            pmcid=pmc,
            source_id=ui,
            url=tags.first("XL", "UR"),
            extra={"database": tags.first("DB")} if tags.first("DB") else {},
        )
