"""PubMed XML (efetch ``retmode=xml``) to :class:`~rea.records.Record`, streamed.

The article sets are parsed with the standard library's expat-based ``iterparse``, one article at
a time, each element cleared once read: this keeps memory flat and runs several times faster than
building Bio.Entrez's nested dictionaries (measured with ``bench/ingest``). ``esearch`` answers
are small and are read with Bio.Entrez (see :mod:`rea.sources.pubmed`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from rea.errors import ImportFormatError, Location
from rea.records import AbstractSection, Author, Provenance, Record, normalize_doi, normalize_pages

_YEAR = re.compile(r"(1[6-9]\d\d|20\d\d)")


def _text(element: ET.Element | None) -> str:
    """All the text of an element, inline markup (``<i>``, ``<sup>``) included, spaces folded."""
    if element is None:
        return ""
    if len(element) == 0:
        return " ".join((element.text or "").split())
    return " ".join("".join(element.itertext()).split())


def _year(date: ET.Element | None) -> int | None:
    if date is None:
        return None
    for tag in ("Year", "MedlineDate"):
        match = _YEAR.search(_text(date.find(tag)))
        if match:
            return int(match.group(1))
    return None


def _authors(author_list: ET.Element | None) -> tuple[Author, ...]:
    if author_list is None:
        return ()
    authors = []
    for author in author_list.findall("Author"):
        collective = _text(author.find("CollectiveName"))
        family = _text(author.find("LastName")) or collective
        given = _text(author.find("ForeName")) or _text(author.find("Initials"))
        if family:
            authors.append(Author(family=family, given="" if collective else given))
    return tuple(authors)


def _abstract(abstract: ET.Element | None) -> tuple[AbstractSection, ...]:
    if abstract is None:
        return ()
    sections = []
    for part in abstract.findall("AbstractText"):
        text = _text(part)
        if text:
            label = part.get("Label") or ""
            sections.append(AbstractSection(text=text, label=label))
    return tuple(sections)


def _ids(*lists: ET.Element | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for id_list in lists:
        if id_list is None:
            continue
        for item in id_list.findall("ArticleId"):
            kind = item.get("IdType", "")
            if kind and kind not in found and _text(item):
                found[kind] = _text(item)
    return found


def _texts(parent: ET.Element | None, path: str) -> tuple[str, ...]:
    if parent is None:
        return ()
    return tuple(t for t in (_text(e) for e in parent.findall(path)) if t)


def _article(element: ET.Element, provenance: Provenance) -> Record:
    citation = element.find("MedlineCitation")
    if citation is None:
        raise ValueError("PubmedArticle without MedlineCitation")
    article = citation.find("Article")
    if article is None:
        raise ValueError("MedlineCitation without Article")
    journal = article.find("Journal")
    issue = journal.find("JournalIssue") if journal is not None else None
    pmid = _text(citation.find("PMID"))
    ids = _ids(element.find("PubmedData/ArticleIdList"))
    doi = ids.get("doi", "")
    if not doi:
        for eloc in article.findall("ELocationID"):
            if eloc.get("EIdType") == "doi":
                doi = _text(eloc)
    issns = tuple(
        dict.fromkeys(
            [
                *(_texts(journal, "ISSN")),
                *(_texts(citation, "MedlineJournalInfo/ISSNLinking")),
            ]
        )
    )
    epub = None
    for date in article.findall("ArticleDate"):
        if date.get("DateType", "Electronic") == "Electronic":
            epub = _year(date)
    year = _year(issue.find("PubDate") if issue is not None else None) or epub
    keywords = _texts(citation, "KeywordList/Keyword")
    mesh = _texts(citation, "MeshHeadingList/MeshHeading/DescriptorName")
    languages = _texts(article, "Language")
    return Record(
        provenance=provenance,
        title=_text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle")),
        abstract=_abstract(article.find("Abstract")),
        authors=_authors(article.find("AuthorList")),
        journal=_text(journal.find("Title")) if journal is not None else "",
        journal_abbrev=_text(citation.find("MedlineJournalInfo/MedlineTA"))
        or (_text(journal.find("ISOAbbreviation")) if journal is not None else ""),
        issn=issns,
        year=year,
        epub_year=epub,
        volume=_text(issue.find("Volume")) if issue is not None else "",
        issue=_text(issue.find("Issue")) if issue is not None else "",
        pages=normalize_pages(_text(article.find("Pagination/MedlinePgn"))),
        language=";".join(languages),
        publication_types=_texts(article, "PublicationTypeList/PublicationType"),
        keywords=keywords,
        mesh=mesh,
        pmid=pmid,
        doi=normalize_doi(doi),
        pmcid=ids.get("pmc", ""),
        source_id=pmid,
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else "",
    )


def _book(element: ET.Element, provenance: Provenance) -> Record:
    document = element.find("BookDocument")
    if document is None:
        raise ValueError("PubmedBookArticle without BookDocument")
    book = document.find("Book")
    pmid = _text(document.find("PMID"))
    ids = _ids(document.find("ArticleIdList"), element.find("PubmedBookData/ArticleIdList"))
    doi = ids.get("doi", "")
    if not doi and book is not None:
        for eloc in book.findall("ELocationID"):
            if eloc.get("EIdType") == "doi":
                doi = _text(eloc)
    book_title = _text(book.find("BookTitle")) if book is not None else ""
    authors: tuple[Author, ...] = ()
    for author_list in [
        *document.findall("AuthorList"),
        *(book.findall("AuthorList") if book is not None else []),
    ]:
        if author_list.get("Type", "authors") == "authors":
            authors = _authors(author_list)
            if authors:
                break
    extra = {"book_title": book_title} if book_title else {}
    isbn = _texts(book, "Isbn")
    if isbn:
        extra["isbn"] = ";".join(isbn)
    if "bookaccession" in ids:
        extra["bookaccession"] = ids["bookaccession"]
    return Record(
        provenance=provenance,
        title=_text(document.find("ArticleTitle")) or book_title,
        abstract=_abstract(document.find("Abstract")),
        authors=authors,
        journal=book_title,
        year=_year(book.find("PubDate") if book is not None else None),
        language=";".join(_texts(document, "Language")),
        publication_types=_texts(document, "PublicationType") or ("Book Chapter",),
        keywords=_texts(document, "KeywordList/Keyword"),
        pmid=pmid,
        doi=normalize_doi(doi),
        pmcid=ids.get("pmc", ""),
        source_id=pmid,
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else "",
        extra=extra,
    )


_KINDS = (
    (b"<PubmedArticle>", b"</PubmedArticle>"),
    (b"<PubmedBookArticle>", b"</PubmedBookArticle>"),
)
#: Parts of a record that no field of :class:`Record` comes from; cut out before parsing
#: (the raw bytes stay in the snapshot), which more than halves the parsing work.
_UNUSED = re.compile(
    rb"<(ReferenceList|AffiliationInfo|History|CommentsCorrectionsList|ChemicalList|GrantList"
    rb"|InvestigatorList|SupplMeshList|DataBankList|Sections|OtherAbstract|CoiStatement"
    rb"|GeneralNote|CopyrightInformation|Identifier|OtherID)>"
)


def _cut(element: bytes) -> bytes:
    kept = []
    start = 0
    match = _UNUSED.search(element)
    while match is not None:
        closing = b"</" + match.group(1) + b">"
        end = element.find(closing, match.end())
        if end < 0:
            break
        kept.append(element[start : match.start()])
        start = end + len(closing)
        match = _UNUSED.search(element, start)
    if not kept:
        return element
    kept.append(element[start:])
    return b"".join(kept)


def article_spans(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of every ``<PubmedArticle>``/``<PubmedBookArticle>`` element, in order;
    an element that is not closed ends the iteration at its start (caught by the caller)."""
    at = data.find(b"<Pubmed")
    while at >= 0:
        for opening, closing in _KINDS:
            if data.startswith(opening, at):
                end = data.find(closing, at)
                if end < 0:
                    return
                end += len(closing)
                yield at, end
                at = data.find(b"<Pubmed", end)
                break
        else:
            at = data.find(b"<Pubmed", at + 1)


def _xml_error(
    raw: bytes, data: bytes, start: int, position: int, where: str, cut_error: ET.ParseError
) -> ImportFormatError:
    """The error located in the file: the uncut article is parsed again for its position."""
    error = cut_error
    try:
        ET.fromstring(raw)
    except ET.ParseError as exc:
        error = exc
    line, column = error.position
    line += data.count(b"\n", 0, start)
    return ImportFormatError(
        f"malformed XML in article {position}: {str(error).split(':')[0]}",
        where=Location(where, line, column),
    )


def parse_articles(
    data: bytes | Path, provenance: Provenance, *, where: str = "PubMed XML"
) -> Iterator[Record]:
    """Records of a ``<PubmedArticleSet>``, in document order; positions counted from 1.

    Each article is cut out of the document and parsed on its own by expat (C code, no Python
    work per element), so that memory stays flat and large sets go fast. Raises
    :class:`ImportFormatError` naming the line and column of malformed XML.
    """
    if isinstance(data, Path):
        data = data.read_bytes()
    position = 0
    for start, end in article_spans(data):
        position += 1
        raw = data[start:end]
        try:
            element = ET.fromstring(_cut(raw))
        except ET.ParseError as cut_error:
            raise _xml_error(raw, data, start, position, where, cut_error) from None
        here = Provenance(  # faster than dataclasses.replace, which matters at 100,000
            source=provenance.source,
            stage=provenance.stage,
            run_id=provenance.run_id,
            snapshot=provenance.snapshot,
            snapshot_sha256=provenance.snapshot_sha256,
            position=position,
            kind=provenance.kind,
        )
        try:
            if element.tag == "PubmedArticle":
                yield _article(element, here)
            else:
                yield _book(element, here)
        except ValueError as exc:
            raise ImportFormatError(
                f"article {position}: {exc}", where=Location(where, field=element.tag)
            ) from None
    opened = data.count(b"<PubmedArticle>") + data.count(b"<PubmedBookArticle>")
    if opened != position:
        raise ImportFormatError(
            f"malformed XML: {opened} articles start but {position} are complete",
            where=Location(where),
        )


_PMID_IN_ARTICLE = re.compile(rb"<PMID[^>]*>\s*(\d+)\s*</PMID>")


def split_articles(data: bytes) -> Iterator[tuple[str, bytes]]:
    """(PMID, element bytes) of every ``<PubmedArticle>``/``<PubmedBookArticle>`` in ``data``,
    cut out byte for byte (no re-serialisation)."""
    for start, end in article_spans(data):
        element = data[start:end]
        pmid = _PMID_IN_ARTICLE.search(element)
        if pmid:
            yield pmid.group(1).decode("ascii"), element
