"""Web of Science exports: plain text ("Other file formats" > Plain text) and tab-delimited."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
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

_TAG = re.compile(r"^([A-Z][A-Z0-9]) (.*)$")
_SPLIT_FIELDS = ("DE", "ID")  # "; "-separated lists


def scan(path: Path, lines: Iterable[tuple[int, str]]) -> Iterator[Tagged]:
    """Each record's tags and lines, one record at a time; raises on a broken structure."""
    found = 0
    current: Tagged | None = None
    last_tag = ""
    for number, line in lines:
        if not line.strip():
            continue
        if line.startswith(("FN ", "VR ")) and current is None:
            continue
        if line.strip() == "EF":
            break
        if line.strip() == "ER":
            if current is None:
                raise fail(path, number, "ER", "ER without a record (no PT before it)")
            found += 1
            yield current
            current = None
            continue
        if line.startswith("   "):
            if current is None:
                raise fail(path, number, None, "continuation line outside a record")
            current.add(last_tag, line.strip(), number)
            continue
        match = _TAG.match(line)
        if not match:
            raise fail(
                path,
                number,
                None,
                f"not a Web of Science line (expected 'TG value'): {line[:40]!r}",
            )
        if current is None:
            current = Tagged(start=number)
        last_tag = match.group(1)
        current.add(last_tag, match.group(2), number)
    if current is not None:
        raise fail(path, current.start, "ER", "the last record has no ER line (file cut short?)")
    if not found:
        raise fail(path, None, None, "no Web of Science records in the file")


def _joined(values: list[str]) -> str:
    return " ".join(" ".join(values).split())


def to_record(
    get: Mapping[str, list[str]],
    lines: Mapping[str, int],
    start: int,
    path: Path,
    position: int,
    provenance: Provenance,
) -> Record:
    def one(*tags: str) -> str:
        for tag in tags:
            text = _joined(get.get(tag, []))
            if text:
                return text
        return ""

    def listed(tag: str, sep: str = ";") -> tuple[str, ...]:
        text = " ".join(get.get(tag, []))
        return tuple(k.strip() for k in text.split(sep) if k.strip())

    title = one("TI")
    if not title:
        raise fail(path, start, "TI", f"record {position} has no title (TI)")
    ut = one("UT")
    authors = get.get("AF") or get.get("AU") or []
    names = [n for a in authors for n in (a.split(";") if ";" in a else [a]) if n.strip()]
    first_page, last_page = one("BP"), one("EP")
    pages = f"{first_page}-{last_page}" if first_page and last_page else (first_page or one("AR"))
    pmid = one("PM")
    if pmid and not pmid.isdigit():
        raise fail(path, lines.get("PM", start), "PM", f"PubMed id is not a number: {pmid!r}")
    abstract = one("AB")
    return Record(
        provenance=replace(provenance, position=position),
        title=title,
        abstract=(AbstractSection(text=abstract),) if abstract else (),
        authors=tuple(split_name(n) for n in names),
        journal=one("SO"),
        journal_abbrev=one("J9", "JI"),
        issn=issns(one("SN"), one("EI")),
        year=year_of(one("PY"), path, lines.get("PY", start), "PY"),
        volume=one("VL"),
        issue=one("IS"),
        pages=normalize_pages(pages),
        language=one("LA"),
        publication_types=listed("DT") or tuple(t for t in (one("PT"),) if t),
        keywords=listed("DE") + listed("ID"),
        pmid=normalize_pmid(pmid),
        doi=normalize_doi(one("DI")),
        wos_ut=ut,
        source_id=ut,
    )


def read(path: Path, provenance: Provenance) -> Iterator[Record]:
    """Plain-text export, read as a stream."""
    for position, tags in enumerate(scan(path, text_lines(path)), start=1):
        lines = {t: n[0] for t, n in tags.lines.items()}
        yield to_record(tags.values, lines, tags.start, path, position, provenance)


def read_tab(path: Path, provenance: Provenance) -> Iterator[Record]:
    """Tab-delimited export: a header of field tags (``PT AU … UT``), one record per line."""
    reader = csv.reader(
        (line + "\n" for _, line in text_lines(path)), delimiter="\t", quoting=csv.QUOTE_NONE
    )
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise fail(path, 1, None, "empty file") from None
    if "TI" not in header:
        raise fail(path, 1, "TI", "the header has no TI column (is this a WoS tab export?)")
    position = 0
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        while row and len(row) > len(header) and not row[-1].strip():
            row = row[:-1]  # WoS ends lines with a tab
        if len(row) != len(header):
            raise fail(
                path,
                line,
                None,
                f"{len(row)} tab-separated cells where the header has {len(header)}",
            )
        position += 1
        values = {h: [v] for h, v in zip(header, row, strict=True) if v.strip()}
        for tag in ("AU", "AF"):
            if tag in values:
                values[tag] = [n for n in values[tag][0].split(";") if n.strip()]
        lines = dict.fromkeys(header, line)
        yield to_record(values, lines, line, path, position, provenance)
