"""RIS exports (Scopus, Embase, PsycINFO, IEEE, reference managers), read with rispy.

The file is read as a stream, line by line, so that structural errors (a record without ``ER``,
a field outside a record) and bad values name their line; rispy then reads the values of each
``TY``..``ER`` block as it is reached, so memory holds one record's text at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import rispy

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

_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3})  -(?: (.*)|$)")  # as rispy reads it: two spaces
#: A line that starts with a RIS tag but is not a tag line (one space or three before the
#: hyphen, none after it, a lower-case tag): taken for a continuation, its text would be glued
#: onto the field above.
_LIKE_A_TAG = re.compile(r"^\s*([A-Za-z][A-Za-z0-9])\s*-")
#: The RIS tags (rispy's "UK" stands for unknown tags, not a tag of its own).
_TAGS = frozenset(rispy.TAG_KEY_MAPPING) - {"UK"}
#: Fields whose value never runs on to the next line (a type, a year, pages, an identifier).
_ONE_LINE = frozenset({"TY", "PY", "Y1", "DA", "SP", "EP", "VL", "IS", "SN", "DO", "AN", "ER"})


def scan(path: Path, lines: Iterable[tuple[int, str]]) -> Iterator[tuple[Tagged, str]]:
    """Each record's tags and lines, and its text (``TY`` to ``ER``), one record at a time;
    raises on a broken structure."""
    current: Tagged | None = None
    block: list[str] = []
    found = 0
    last_tag = ""
    for number, line in lines:
        match = _TAG.match(line)
        if current is not None:
            block.append(line)
        if not match:
            if current is None or not line.strip():
                continue  # header lines before a record ("Provider: …", "1."), blank lines
            like = _LIKE_A_TAG.match(line)
            if like and like.group(1).upper() in _TAGS:
                raise fail(
                    path,
                    number,
                    line.strip()[:2].upper(),
                    f"{line.strip()[:40]!r} looks like a field but is not a RIS tag line "
                    "(two capitals or digits, two spaces, a hyphen and a space: 'TI  - …')",
                )
            if last_tag in _ONE_LINE:
                raise fail(
                    path,
                    number,
                    last_tag,
                    f"{line.strip()[:40]!r} is neither a RIS tag line nor a continuation "
                    f"({last_tag} is a one-line field)",
                )
            continue  # the value of the field above, wrapped onto this line
        tag, value = match.group(1), (match.group(2) or "")
        last_tag = tag
        if tag == "TY":
            if current is not None:
                raise fail(
                    path,
                    number,
                    "TY",
                    f"a new record starts but the record of line {current.start} has no ER",
                )
            current = Tagged(start=number)
            current.add(tag, value, number)
            block = [line]
        elif tag == "ER":
            if current is None:
                raise fail(path, number, "ER", "ER without a record (no TY before it)")
            found += 1
            yield current, "\n".join(block) + "\n"
            current, block = None, []
        elif current is None:
            raise fail(path, number, tag, "field outside a record (no TY before it)")
        else:
            current.add(tag, value, number)
    if current is not None:
        raise fail(path, current.start, "ER", "the last record has no ER line (file cut short?)")
    if not found:
        raise fail(path, None, "TY", "no RIS records (no line starts with 'TY  - ')")


def _first(entry: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, list):
            value = next((v for v in value if str(v).strip()), "")
        if value and str(value).strip():
            return " ".join(str(value).split())
    return ""


def _list(entry: dict[str, Any], *keys: str) -> list[str]:
    out: list[str] = []
    for key in keys:
        value = entry.get(key)
        if isinstance(value, list):
            out.extend(str(v).strip() for v in value if str(v).strip())
        elif value and str(value).strip():
            out.append(str(value).strip())
    return out


def read(path: Path, provenance: Provenance) -> Iterator[Record]:
    """Records one at a time: each TY..ER block is read by rispy as it is reached."""
    for position, (tags, block) in enumerate(scan(path, text_lines(path)), start=1):
        entries = rispy.loads(block, skip_unknown_tags=False)
        if len(entries) != 1:
            raise fail(
                path,
                tags.start,
                None,
                f"RIS reader found {len(entries)} records in the TY..ER block of this line",
            )
        entry = entries[0]
        title = _first(entry, "title", "primary_title", "translated_title")
        year_raw = _first(entry, "year", "publication_year", "date")
        year = year_of(year_raw, path, tags.line("PY", "Y1", "DA"), "PY")
        start, end = _first(entry, "start_page"), _first(entry, "end_page")
        urls = _list(entry, "urls")
        eid = next((m.group(1) for u in urls if (m := re.search(r"eid=([\w.-]+)", u))), "")
        pmid = tags.first("PMID") or (
            _first(entry, "accession_number")
            if "pubmed" in _first(entry, "name_of_database", "database_provider").lower()
            else ""
        )
        abstract = _first(entry, "abstract", "notes_abstract")
        record = Record(
            provenance=replace(provenance, position=position),
            title=title,
            abstract=(AbstractSection(text=abstract),) if abstract else (),
            authors=tuple(split_name(a) for a in _list(entry, "authors", "first_authors")),
            journal=_first(
                entry,
                "secondary_title",
                "journal_name",
                "alternate_title3",
                "alternate_title1",
                "alternate_title2",
            ),
            journal_abbrev=_first(entry, "alternate_title2", "alternate_title1"),
            issn=issns(*_list(entry, "issn")),
            year=year,
            volume=_first(entry, "volume"),
            issue=_first(entry, "number"),
            pages=normalize_pages(f"{start}-{end}" if start and end else start),
            language=_first(entry, "language"),
            publication_types=tuple(
                t for t in (_first(entry, "type_of_reference"), _first(entry, "type_of_work")) if t
            ),
            keywords=tuple(_list(entry, "keywords")),
            pmid=normalize_pmid(pmid),
            doi=normalize_doi(_first(entry, "doi")),
            eid=eid,
            source_id=eid or _first(entry, "accession_number", "id"),
            url=urls[0] if urls else "",
        )
        yield record
