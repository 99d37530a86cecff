"""PubMed XML (efetch ``retmode=xml``) to :class:`~rea.records.Record`, streamed.

The article sets are parsed with the standard library's expat-based ``iterparse``, one article at
a time, each element cleared once read: this keeps memory flat and runs several times faster than
building Bio.Entrez's nested dictionaries (measured with ``bench/ingest``). ``esearch`` answers
are small and are read with Bio.Entrez (see :mod:`rea.sources.pubmed`).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from rea.errors import ImportFormatError, Location
from rea.records import AbstractSection, Author, Provenance, Record, normalize_doi, normalize_pages

_YEAR = re.compile(r"(1[6-9]\d\d|20\d\d)")


def _text(element: ET.Element | None) -> str:
    """All the text of an element, inline markup (``<i>``, ``<sup>``) included, spaces folded."""
    if element is None:
        return ""
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


def parse_articles(
    data: bytes | Path, provenance: Provenance, *, where: str = "PubMed XML"
) -> Iterator[Record]:
    """Records of a ``<PubmedArticleSet>``, in document order; positions counted from 1.

    Raises :class:`ImportFormatError` naming the line and column of malformed XML.
    """
    source = io.BytesIO(data) if isinstance(data, bytes) else open(data, "rb")  # noqa: SIM115
    position = 0
    try:
        parser = ET.iterparse(source, events=("start", "end"))
        depth = 0
        for event, element in parser:
            if event == "start":
                depth += 1
                continue
            depth -= 1
            if depth != 1 or element.tag not in ("PubmedArticle", "PubmedBookArticle"):
                continue
            position += 1
            here = replace(provenance, position=position)
            try:
                if element.tag == "PubmedArticle":
                    yield _article(element, here)
                else:
                    yield _book(element, here)
            except ValueError as exc:
                raise ImportFormatError(
                    f"article {position}: {exc}", where=Location(where, field=element.tag)
                ) from None
            element.clear()
    except ET.ParseError as exc:
        line, column = exc.position
        raise ImportFormatError(
            f"malformed XML: {exc.msg if hasattr(exc, 'msg') else exc}",
            where=Location(where, line, column),
        ) from None
    finally:
        source.close()


_PMID_IN_ARTICLE = re.compile(rb"<PMID[^>]*>\s*(\d+)\s*</PMID>")


def split_articles(data: bytes) -> Iterator[tuple[str, bytes]]:
    """(PMID, element bytes) of every ``<PubmedArticle>``/``<PubmedBookArticle>`` in ``data``,
    cut out byte for byte (no re-serialisation)."""
    for match in re.finditer(
        rb"<(PubmedArticle|PubmedBookArticle)>.*?</\1>", data, flags=re.DOTALL
    ):
        element = match.group(0)
        pmid = _PMID_IN_ARTICLE.search(element)
        if pmid:
            yield pmid.group(1).decode("ascii"), element
