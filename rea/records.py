"""The one record schema every source yields, and the normalisers that storage relies on.

A :class:`Record` is one bibliographic item as one source returned it, with its provenance.
This module is pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import unquote


class SourceKind(StrEnum):
    """How a record reached the review."""

    DATABASE = "database"  # a bibliographic database, by API or by export
    OTHER = "other"  # websites, organisations, citation searching (PRISMA's "other methods")


@dataclass(frozen=True)
class Author:
    family: str
    given: str = ""

    def __str__(self) -> str:
        return f"{self.family}, {self.given}" if self.given else self.family


@dataclass(frozen=True)
class AbstractSection:
    """One part of an abstract; structured abstracts keep their labels (BACKGROUND, METHODS…)."""

    text: str
    label: str = ""


@dataclass(frozen=True)
class Provenance:
    """Where a record came from: the source, and either a run's snapshot or an imported file."""

    source: str  # e.g. "pubmed", "scopus", "wos", "ovid", "gponline"
    stage: str  # the strategy's stage id
    run_id: str | None = None  # a search run (API), None for imports
    snapshot: str | None = None  # path of the raw response or imported file, relative to review
    snapshot_sha256: str | None = None
    position: int | None = None  # 1-based position of the record in that snapshot or file
    kind: SourceKind = SourceKind.DATABASE


@dataclass(frozen=True)
class Record:
    """One bibliographic item as one source returned it."""

    provenance: Provenance
    title: str = ""
    abstract: tuple[AbstractSection, ...] = ()
    authors: tuple[Author, ...] = ()
    journal: str = ""
    journal_abbrev: str = ""
    issn: tuple[str, ...] = ()
    year: int | None = None
    epub_year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    language: str = ""
    publication_types: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()
    pmid: str = ""
    doi: str = ""
    pmcid: str = ""
    eid: str = ""  # Scopus
    wos_ut: str = ""  # Web of Science accession number
    source_id: str = ""  # the id the source itself uses for this record
    url: str = ""
    extra: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def abstract_text(self) -> str:
        parts = [f"{s.label}: {s.text}" if s.label else s.text for s in self.abstract]
        return "\n".join(parts)

    @property
    def unidentified(self) -> bool:
        """Neither a title nor an identifier: kept, but only its citation can match it."""
        return not (
            self.title.strip() or self.doi or self.pmid or self.eid or self.wos_ut or self.pmcid
        )


class DocumentKind(StrEnum):
    """What kind of item a record is, whatever vocabulary its source used for it."""

    ARTICLE = "article"  # a journal article (also magazine and newspaper items)
    MEETING = "meeting"  # a conference paper or a meeting abstract
    THESIS = "thesis"
    BOOK = "book"
    CHAPTER = "chapter"
    REPORT = "report"
    UNKNOWN = "unknown"  # a generic type (RIS GEN, BibTeX misc) or none


# RIS type codes, BibTeX/BibLaTeX entry types and the databases' own document types, all folded
# to lower case; the same item exported as RIS or as BibTeX gets the same kind.
_KINDS: dict[str, DocumentKind] = {
    # RIS
    "jour": DocumentKind.ARTICLE,
    "ejour": DocumentKind.ARTICLE,
    "jfull": DocumentKind.ARTICLE,
    "mgzn": DocumentKind.ARTICLE,
    "news": DocumentKind.ARTICLE,
    "inpr": DocumentKind.ARTICLE,
    "abst": DocumentKind.MEETING,
    "conf": DocumentKind.MEETING,
    "cpaper": DocumentKind.MEETING,
    "thes": DocumentKind.THESIS,
    "book": DocumentKind.BOOK,
    "ebook": DocumentKind.BOOK,
    "edbook": DocumentKind.BOOK,
    "chap": DocumentKind.CHAPTER,
    "echap": DocumentKind.CHAPTER,
    "rprt": DocumentKind.REPORT,
    "govdoc": DocumentKind.REPORT,
    "gen": DocumentKind.UNKNOWN,
    # BibTeX and BibLaTeX
    "article": DocumentKind.ARTICLE,
    "inproceedings": DocumentKind.MEETING,
    "conference": DocumentKind.MEETING,
    "proceedings": DocumentKind.MEETING,
    "phdthesis": DocumentKind.THESIS,
    "mastersthesis": DocumentKind.THESIS,
    "thesis": DocumentKind.THESIS,
    "inbook": DocumentKind.CHAPTER,
    "incollection": DocumentKind.CHAPTER,
    "booklet": DocumentKind.BOOK,
    "techreport": DocumentKind.REPORT,
    "report": DocumentKind.REPORT,
    "misc": DocumentKind.UNKNOWN,
    # databases (PubMed, Embase, Scopus, Web of Science, Ovid, PsycINFO)
    "journal article": DocumentKind.ARTICLE,
    "congress": DocumentKind.MEETING,
    "meeting abstract": DocumentKind.MEETING,
    "conference abstract": DocumentKind.MEETING,
    "conference paper": DocumentKind.MEETING,
    "conference review": DocumentKind.MEETING,
    "proceedings paper": DocumentKind.MEETING,
    "conference proceeding": DocumentKind.MEETING,
    "dissertation": DocumentKind.THESIS,
    "dissertation abstract": DocumentKind.THESIS,
    "book chapter": DocumentKind.CHAPTER,
}


def document_kind(publication_types: tuple[str, ...], entry_type: str = "") -> DocumentKind:
    """The kind of item from its publication types (RIS code, BibTeX entry type, database type).

    The most specific kind wins: a record typed both ``Journal Article`` and ``Congress`` is a
    meeting item; ``Article; Proceedings Paper`` (Web of Science) too.
    """
    found: set[DocumentKind] = set()
    for value in (*publication_types, entry_type):
        for part in re.split(r"[;|]", value.lower()):
            kind = _KINDS.get(" ".join(part.split()))
            if kind is not None:
                found.add(kind)
    for kind in (
        DocumentKind.MEETING,
        DocumentKind.THESIS,
        DocumentKind.CHAPTER,
        DocumentKind.BOOK,
        DocumentKind.REPORT,
        DocumentKind.ARTICLE,
    ):
        if kind in found:
            return kind
    return DocumentKind.UNKNOWN


_DOI_PREFIX = re.compile(
    r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/|(?:dx\.)?doi\.org/|https?://doi\.org/)", re.I
)


def normalize_doi(value: str | None) -> str:
    """``10.1000/xyz`` from ``doi:10.1000/XYZ``, ``https://doi.org/10.1000/XYZ`` …; lower case.

    Returns "" when the value holds no DOI.
    """
    if not value:
        return ""
    text = value.strip()
    if "%" in text:
        text = unquote(text)  # URL forms: 10.1016/S0025-7753%2817%2930624-3
    text = _DOI_PREFIX.sub("", text).strip()
    match = re.search(r"10\.\d{4,9}/\S+", text)
    if not match:
        return ""
    doi = match.group(0).rstrip(".,;)]}>")
    return doi.lower()


def normalize_pmid(value: str | int | None) -> str:
    """Digits of a PMID, or "" when there are none."""
    if value is None:
        return ""
    match = re.search(r"\d+", str(value))
    return match.group(0).lstrip("0") if match else ""


def normalize_pages(value: str | None) -> str:
    """``221-228`` from ``221-8``, ``221–228``, ``pp. 221-228``; a single page stays as it is."""
    if not value:
        return ""
    text = value.strip().replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"^(?:pp?\.?\s*)", "", text, flags=re.I)
    match = re.fullmatch(r"([A-Za-z]*)(\d+)\s*-+\s*([A-Za-z]*)(\d+)", text)
    if not match:
        return text
    prefix, first, _, last = match.groups()
    if len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return f"{prefix}{first}-{prefix}{last}" if prefix else f"{first}-{last}"


_NOT_WORD = re.compile(r"[^\w\s]|_")


def fold_text(value: str) -> str:
    """Lower case, transliterated to ASCII, punctuation and runs of space folded to one space.

    ``Sørensen`` = ``Sorensen``, ``Łódź`` = ``Lodz``, ``straße`` = ``strasse``, ``Москва`` =
    ``moskva``: anyascii (ISC licence) transliterates every script the same way everywhere.
    """
    if not value.isascii():
        from anyascii import anyascii

        value = anyascii(value)
    return " ".join(_NOT_WORD.sub(" ", value.lower()).split())


_INITIALS = re.compile(r"^(?:[A-Z]\.?\s?-?){1,4}$")
_RUN_TOGETHER = re.compile(r"\s*(.+?)\s+((?:[A-Z]\.\s?-?)+)")


def parse_author(text: str) -> Author | None:
    """One author from ``Surname, Given``, ``Surname I.``, ``Surname IJ`` or ``Given Surname``."""
    text = " ".join(text.replace("\u00a0", " ").split()).strip(" ;")
    if not text:
        return None
    if "," in text:
        family, given = (part.strip() for part in text.split(",", 1))
        return Author(family=family or given, given=given if family else "")
    words = text.split(" ")
    if len(words) == 1:
        return Author(family=text)
    cut = len(words)
    while cut > 1 and _INITIALS.fullmatch(words[cut - 1]) and words[cut - 1].isupper():
        cut -= 1
    if cut < len(words):
        return Author(family=" ".join(words[:cut]), given=" ".join(words[cut:]))
    if all(_INITIALS.fullmatch(w) for w in words[:-1]) or words[0][:1].isupper():
        return Author(family=words[-1], given=" ".join(words[:-1]))
    return Author(family=text)


def split_authors(value: str | None) -> tuple[Author, ...]:
    """Authors from one string in the forms exports use.

    ``Surname, I and Surname, I`` (BibTeX), ``Surname I; Surname I`` (RIS/WoS/Scopus),
    ``Surname I, Surname I`` (PubMed AU list) and the run-together EndNote form
    ``Adeli K.Lewis G. F.`` (no separator between authors).
    """
    if not value:
        return ()
    text = " ".join(value.split())
    if " and " in text:
        parts = text.split(" and ")
    elif ";" in text:
        parts = text.split(";")
    elif re.search(r"\.[A-Z][a-z]", text):
        parts = [f"{m.group(1)} {m.group(2)}" for m in _RUN_TOGETHER.finditer(text)]
    elif "," in text and all(
        len(p.split()) >= 2 and _INITIALS.fullmatch(p.split()[-1]) for p in text.split(",")
    ):
        parts = text.split(",")
    else:
        parts = [text]
    authors = (parse_author(p) for p in parts)
    return tuple(a for a in authors if a is not None)
