"""BibTeX exports (Scopus, Web of Science, reference managers), read with bibtexparser 2."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

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
    read_text,
    split_name,
    year_of,
)


def _clean(value: str) -> str:
    return " ".join(re.sub(r"(?<!\\)[{}]", "", value).split())


def read(path: Path, provenance: Provenance) -> Iterator[Record]:
    text = read_text(path)
    library = bibtexparser.parse_string(text)  # type: ignore[attr-defined]
    if library.failed_blocks:
        block = library.failed_blocks[0]
        line = getattr(block, "start_line", None)
        reason = getattr(block, "error", None)
        raise fail(
            path,
            None if line is None else line + 1,
            None,
            f"cannot read this BibTeX entry ({type(block).__name__}"
            f"{': ' + str(reason) if reason else ''})",
        )
    if not library.entries:
        raise fail(path, None, None, "no BibTeX entries in the file")
    for position, entry in enumerate(library.entries, start=1):
        fields = {f.key.lower(): _clean(str(f.value)) for f in entry.fields}
        line = (entry.start_line or 0) + 1
        lines = {f.key.lower(): (f.start_line or 0) + 1 for f in entry.fields}
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
