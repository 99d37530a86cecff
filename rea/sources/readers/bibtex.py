"""BibTeX exports (Scopus, Web of Science, reference managers), read with bibtexparser 2.

The file is read as a stream and handed to bibtexparser a few hundred entries at a time (each
chunk starts where an ``@`` opens a block outside braces; ``@string`` definitions seen so far go
in front of every chunk), so memory holds one chunk's parse at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import bibtexparser

from rea.records import (
    AbstractSection,
    Provenance,
    Record,
    normalize_doi,
    normalize_pages,
    normalize_pmid,
)
from rea.sources.readers.common import (
    fail,
    issns,
    split_name,
    text_lines,
    year_of,
)


def _clean(value: str) -> str:
    return " ".join(re.sub(r"(?<!\\)[{}]", "", value).split())


#: Entries per chunk handed to bibtexparser.
CHUNK_ENTRIES = 200

_BLOCK_START = re.compile(r"^\s*@\s*(\w+)")
_OPEN = re.compile(r"(?<!\\)\{")
_CLOSE = re.compile(r"(?<!\\)\}")


def _chunks(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """The file's text in chunks of whole blocks, each with the ``@string`` definitions seen
    before it in front; with each, the offset that turns a (0-based) line of the chunk's text
    into the file's line."""
    strings: list[str] = []  # the lines of every @string block so far
    prefix: list[str] = []  # those in front of the current chunk
    chunk: list[str] = []
    first = 1  # the file's line of chunk[0]
    entries = 0
    depth = 0
    in_strings = False
    for number, line in lines:
        start = _BLOCK_START.match(line) if depth <= 0 else None
        if start is not None:
            if entries >= CHUNK_ENTRIES:
                yield first - len(prefix), "\n".join(prefix + chunk) + "\n"
                chunk, entries = [], 0
            in_strings = start.group(1).lower() == "string"
            entries += 1
            depth = 0
        if not chunk:
            prefix, first = list(strings), number
        chunk.append(line)
        if in_strings:
            strings.append(line)
        depth += len(_OPEN.findall(line)) - len(_CLOSE.findall(line))
    if chunk:
        yield first - len(prefix), "\n".join(prefix + chunk) + "\n"


def _entries(path: Path) -> Iterator[tuple[int, Any]]:
    """(line offset, entry) for every entry of the file, read chunk by chunk."""
    for offset, text in _chunks(text_lines(path)):
        library = bibtexparser.parse_string(text)  # type: ignore[attr-defined]
        if library.failed_blocks:
            block = library.failed_blocks[0]
            line = getattr(block, "start_line", None)
            reason = getattr(block, "error", None)
            raise fail(
                path,
                None if line is None else line + offset,
                None,
                f"cannot read this BibTeX entry ({type(block).__name__}"
                f"{': ' + str(reason) if reason else ''})",
            )
        for entry in library.entries:
            yield offset, entry


def read(path: Path, provenance: Provenance) -> Iterator[Record]:
    position = 0
    for position, (offset, entry) in enumerate(_entries(path), start=1):
        fields = {f.key.lower(): _clean(str(f.value)) for f in entry.fields}
        line = (entry.start_line or 0) + offset
        lines = {f.key.lower(): (f.start_line or 0) + offset for f in entry.fields}
        title = fields.get("title", "")
        authors = [a for a in re.split(r"\s+and\s+", fields.get("author", "")) if a.strip()]
        unique = fields.get("unique-id", "")
        eid = ""
        url = fields.get("url", "")
        match = re.search(r"eid=([\w.-]+)", url)
        if match:
            eid = match.group(1)
        abstract = fields.get("abstract", "")
        keywords = re.split(
            r"[;,]\s*", fields.get("keywords", "") or fields.get("author_keywords", "")
        )
        record = Record(
            provenance=replace(provenance, position=position),
            title=title,
            abstract=(AbstractSection(text=abstract),) if abstract else (),
            authors=tuple(split_name(a) for a in authors),
            journal=fields.get("journal", "") or fields.get("booktitle", ""),
            journal_abbrev=fields.get("journal-iso", "") or fields.get("abbrev_source_title", ""),
            issn=issns(fields.get("issn", "")),
            year=year_of(fields.get("year", ""), path, lines.get("year", line), "year"),
            volume=fields.get("volume", ""),
            issue=fields.get("number", ""),
            pages=normalize_pages(fields.get("pages", "").replace("--", "-")),
            language=fields.get("language", ""),
            publication_types=tuple(
                t
                for t in (
                    fields.get("type", "") or fields.get("document_type", ""),
                    entry.entry_type,
                )
                if t
            ),
            keywords=tuple(k.strip() for k in keywords if k.strip()),
            pmid=normalize_pmid(fields.get("pmid", "")),
            doi=normalize_doi(fields.get("doi", "")),
            eid=eid,
            wos_ut=unique if unique.upper().startswith("WOS:") else "",
            source_id=unique or eid or entry.key,
            url=url,
        )
        yield record
    if position == 0:
        raise fail(path, None, None, "no BibTeX entries in the file")
