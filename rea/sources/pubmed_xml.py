"""PubMed XML (efetch ``retmode=xml``) to :class:`~rea.records.Record`, streamed.

Each article is cut out of the page, stripped of the bulky parts no field of :class:`Record`
comes from (a journal article's history and reference list, a book's sections and references;
the raw bytes stay in the snapshot), and a page's articles are parsed by libxml2 through lxml
in one call. The fields are then read in one loop over the children of the few elements that
hold them, so that little Python work is spent on elements that are not kept. libxml2 builds
the tree about four times faster than the standard library's ElementTree, and building
Bio.Entrez's nested dictionaries is slower still (measured with ``bench/ingest``); a test
checks that this reading and Bio.Entrez's agree field by field on the real fixture records.
``esearch`` answers are read here too (:func:`read_esearch`), checked to be data before they are
stored: Bio.Entrez's reader refuses an answer without an XML declaration and any element its DTD
lacks, which would turn a harmless change of the service into a search that cannot run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from rea.errors import ImportFormatError, Location, NotData
from rea.records import AbstractSection, Author, Provenance, Record, normalize_doi, normalize_pages

#: an lxml element (lxml ships no type information)
Element = Any

_YEAR = re.compile(r"(1[6-9]\d\d|20\d\d)")


def _parser() -> Any:
    """A libxml2 parser that never reads a DTD or the network and drops comments."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )


def _fold(text: str) -> str:
    """``" ".join(text.split())``: runs of any white space (Unicode's too) to one space, none at
    the ends. Most texts need no change, which is checked far faster than splitting them: every
    white space character but the ASCII space is non-printable."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _text(element: Element | None) -> str:
    """All the text of an element, inline markup (``<i>``, ``<sup>``) included, spaces folded."""
    if element is None:
        return ""
    if len(element) == 0:
        text = element.text
        return _fold(text) if text else ""
    return _fold(etree.tostring(element, method="text", encoding="unicode", with_tail=False))


def _year(date: Element | None) -> int | None:
    if date is None:
        return None
    year = medline = None
    for part in date:
        tag = part.tag
        if tag == "Year":
            year = year if year is not None else part
        elif tag == "MedlineDate":
            medline = medline if medline is not None else part
    for found in (year, medline):
        match = _YEAR.search(_text(found))
        if match:
            return int(match.group(1))
    return None


def _authors(author_list: Element | None) -> tuple[Author, ...]:
    if author_list is None:
        return ()
    authors = []
    for author in author_list:
        if author.tag != "Author":
            continue
        family = given = initials = collective = None
        for part in author:
            tag = part.tag
            if tag == "LastName" and family is None:
                family = _text(part)
            elif tag == "ForeName" and given is None:
                given = _text(part)
            elif tag == "Initials" and initials is None:
                initials = _text(part)
            elif tag == "CollectiveName" and collective is None:
                collective = _text(part)
        name = family or collective
        if name:
            authors.append(Author(name, "" if collective else (given or initials or "")))
    return tuple(authors)


def _abstract(abstract: Element | None) -> tuple[AbstractSection, ...]:
    if abstract is None:
        return ()
    sections = []
    for part in abstract:
        text = _text(part) if part.tag == "AbstractText" else ""
        if text:
            sections.append(AbstractSection(text=text, label=part.get("Label") or ""))
    return tuple(sections)


def _ids(found: dict[str, str], id_list: Element | None) -> dict[str, str]:
    """The first non-empty id of each ``IdType``, added to ``found``."""
    if id_list is not None:
        for item in id_list:
            kind = item.get("IdType", "") if item.tag == "ArticleId" else ""
            if kind and kind not in found:
                text = _text(item)
                if text:
                    found[kind] = text
    return found


def _texts(parent: Element, tag: str) -> list[str]:
    """The non-empty texts of the children of ``parent`` named ``tag``."""
    return [t for t in (_text(e) for e in parent if e.tag == tag) if t]


def _first(parent: Element | None, tag: str) -> Element | None:
    """The first child named ``tag`` (what ElementTree's ``find(tag)`` gives), or None."""
    if parent is None:
        return None
    for child in parent:
        if child.tag == tag:
            return child
    return None


def _doi(parent: Element, doi: str) -> str:
    """``doi``, else the last ``ELocationID`` of type doi among the children of ``parent``."""
    if doi:
        return doi
    for eloc in parent:
        if eloc.tag == "ELocationID" and eloc.get("EIdType") == "doi":
            doi = _text(eloc)
    return doi


def _add(texts: list[str], element: Element) -> None:
    text = _text(element)
    if text:
        texts.append(text)


def _article(element: Element, provenance: Provenance) -> Record:
    """One ``<PubmedArticle>``. Each child of the elements that hold fields is looked at once
    (a plain loop over children: lxml's tag-filtered iterators cost more than they save here),
    keeping the first of a kind where ElementTree's ``find`` would and all where ``findall``
    would."""
    citation = id_list = None
    for child in element:
        if child.tag == "MedlineCitation":
            citation = citation if citation is not None else child
        elif child.tag == "PubmedData" and id_list is None:
            for part in child:
                if part.tag == "ArticleIdList":
                    id_list = part
                    break
    if citation is None:
        raise ValueError("PubmedArticle without MedlineCitation")
    pmid_element = abbrev_element = article = None
    issns: list[str] = []
    linking: list[str] = []
    keywords: list[str] = []
    mesh: list[str] = []
    for child in citation:
        tag = child.tag
        if tag == "PMID":
            pmid_element = pmid_element if pmid_element is not None else child
        elif tag == "Article":
            article = article if article is not None else child
        elif tag == "MedlineJournalInfo":
            for part in child:
                if part.tag == "MedlineTA":
                    abbrev_element = abbrev_element if abbrev_element is not None else part
                elif part.tag == "ISSNLinking":
                    _add(linking, part)
        elif tag == "KeywordList":
            for part in child:
                if part.tag == "Keyword":
                    _add(keywords, part)
        elif tag == "MeshHeadingList":
            for heading in child:
                if heading.tag == "MeshHeading":
                    for part in heading:
                        if part.tag == "DescriptorName":
                            _add(mesh, part)
    if article is None:
        raise ValueError("MedlineCitation without Article")
    journal = issue = pub_date = title = vernacular = pages_element = abstract = authors = None
    doi = ""
    epub = None
    languages: list[str] = []
    types: list[str] = []
    for child in article:
        tag = child.tag
        if tag == "Journal":
            journal = journal if journal is not None else child
        elif tag == "ArticleTitle":
            title = title if title is not None else child
        elif tag == "Pagination" and pages_element is None:
            for part in child:
                if part.tag == "MedlinePgn":
                    pages_element = part
                    break
        elif tag == "ELocationID":
            if child.get("EIdType") == "doi":
                doi = _text(child)
        elif tag == "Abstract":
            abstract = abstract if abstract is not None else child
        elif tag == "AuthorList":
            authors = authors if authors is not None else child
        elif tag == "Language":
            _add(languages, child)
        elif tag == "PublicationTypeList":
            for part in child:
                if part.tag == "PublicationType":
                    _add(types, part)
        elif tag == "VernacularTitle":
            vernacular = vernacular if vernacular is not None else child
        elif tag == "ArticleDate" and child.get("DateType", "Electronic") == "Electronic":
            epub = _year(child)
    journal_title = iso_abbrev = volume = issue_number = None
    if journal is not None:
        for child in journal:
            tag = child.tag
            if tag == "ISSN":
                _add(issns, child)
            elif tag == "JournalIssue":
                issue = issue if issue is not None else child
            elif tag == "Title":
                journal_title = journal_title if journal_title is not None else child
            elif tag == "ISOAbbreviation":
                iso_abbrev = iso_abbrev if iso_abbrev is not None else child
    if issue is not None:
        for child in issue:
            tag = child.tag
            if tag == "Volume":
                volume = volume if volume is not None else child
            elif tag == "Issue":
                issue_number = issue_number if issue_number is not None else child
            elif tag == "PubDate":
                pub_date = pub_date if pub_date is not None else child
    pmid = _text(pmid_element)
    ids = _ids({}, id_list)
    return Record(
        provenance=provenance,
        title=_text(title) or _text(vernacular),
        abstract=_abstract(abstract),
        authors=_authors(authors),
        journal=_text(journal_title),
        journal_abbrev=_text(abbrev_element) or _text(iso_abbrev),
        issn=tuple(dict.fromkeys(issns + linking)),
        year=_year(pub_date) or epub,
        epub_year=epub,
        volume=_text(volume),
        issue=_text(issue_number),
        pages=normalize_pages(_text(pages_element)),
        language=";".join(languages),
        publication_types=tuple(types),
        keywords=tuple(keywords),
        mesh=tuple(mesh),
        pmid=pmid,
        doi=normalize_doi(ids.get("doi") or doi),
        pmcid=ids.get("pmc", ""),
        source_id=pmid,
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else "",
    )


def _book(element: Element, provenance: Provenance) -> Record:
    """One ``<PubmedBookArticle>``, read like an article: one loop over the children of each
    element that holds fields, with the same first-of-a-kind rules."""
    document = book_data = None
    for child in element:
        if child.tag == "BookDocument" and document is None:
            document = child
        elif child.tag == "PubmedBookData" and book_data is None:
            book_data = _first(child, "ArticleIdList")
    if document is None:
        raise ValueError("PubmedBookArticle without BookDocument")
    book = pmid = id_list = title = abstract = None
    author_lists = []
    languages: list[str] = []
    types: list[str] = []
    keywords: list[str] = []
    for child in document:
        tag = child.tag
        if tag == "Book":
            book = book if book is not None else child
        elif tag == "PMID":
            pmid = pmid if pmid is not None else child
        elif tag == "ArticleIdList":
            id_list = id_list if id_list is not None else child
        elif tag == "ArticleTitle":
            title = title if title is not None else child
        elif tag == "Abstract":
            abstract = abstract if abstract is not None else child
        elif tag == "AuthorList":
            author_lists.append(child)
        elif tag == "Language":
            _add(languages, child)
        elif tag == "PublicationType":
            _add(types, child)
        elif tag == "KeywordList":
            keywords.extend(_texts(child, "Keyword"))
    ids = _ids(_ids({}, id_list), book_data)
    doi = ids.get("doi", "")
    book_title = pub_date = None
    isbn: list[str] = []
    if book is not None:
        doi = _doi(book, doi)
        for child in book:
            tag = child.tag
            if tag == "BookTitle":
                book_title = book_title if book_title is not None else child
            elif tag == "PubDate":
                pub_date = pub_date if pub_date is not None else child
            elif tag == "AuthorList":
                author_lists.append(child)  # after the document's own, as before
            elif tag == "Isbn":
                _add(isbn, child)
    authors: tuple[Author, ...] = ()
    for author_list in author_lists:
        if author_list.get("Type", "authors") == "authors":
            authors = _authors(author_list)
            if authors:
                break
    pmid_text = _text(pmid)
    title_text = _text(book_title)
    extra = {"book_title": title_text} if title_text else {}
    if isbn:
        extra["isbn"] = ";".join(isbn)
    if "bookaccession" in ids:
        extra["bookaccession"] = ids["bookaccession"]
    return Record(
        provenance=provenance,
        title=_text(title) or title_text,
        abstract=_abstract(abstract),
        authors=authors,
        journal=title_text,
        year=_year(pub_date),
        language=";".join(languages),
        publication_types=tuple(types) or ("Book Chapter",),
        keywords=tuple(keywords),
        pmid=pmid_text,
        doi=normalize_doi(doi),
        pmcid=ids.get("pmc", ""),
        source_id=pmid_text,
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid_text}/" if pmid_text else "",
        extra=extra,
    )


_KINDS = (
    (b"<PubmedArticle>", b"</PubmedArticle>"),
    (b"<PubmedBookArticle>", b"</PubmedBookArticle>"),
)
#: Parts of a record that no field of :class:`Record` comes from; cut out of book articles
#: (and unusual journal articles) before parsing; the raw bytes stay in the snapshot.
_UNUSED = re.compile(
    rb"<(ReferenceList|AffiliationInfo|History|CommentsCorrectionsList|ChemicalList|GrantList"
    rb"|InvestigatorList|SupplMeshList|DataBankList|Sections|OtherAbstract|CoiStatement"
    rb"|GeneralNote|CopyrightInformation|Identifier|OtherID)>"
)


def _cut_unused(element: bytes) -> bytes:
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


_PUBMED_DATA = b"<PubmedData>"
_IDS_OPEN = b"<ArticleIdList>"
_IDS_CLOSE = b"</ArticleIdList>"


def _cut(element: bytes) -> bytes:
    """The article without the parts no field comes from. Of a journal article's
    ``<PubmedData>`` (history, status, reference list: often two thirds of the bytes) only the
    leading ``<ArticleIdList>`` is kept, found with plain byte searches; its
    ``<MedlineCitation>`` is parsed whole (cutting affiliations or grants out of it costs as
    much as libxml2 takes to parse them). Other articles lose the parts named in ``_UNUSED``."""
    data_at = element.find(_PUBMED_DATA)
    if data_at >= 0 and element.startswith(b"<PubmedArticle>"):
        ids_at = element.find(_IDS_OPEN, data_at)
        ids_end = element.find(_IDS_CLOSE, ids_at) if ids_at >= 0 else -1
        refs_at = element.find(b"<ReferenceList", data_at)
        if (
            ids_end >= 0
            and (refs_at < 0 or ids_end < refs_at)
            # what is dropped holds no start of another article and ends <PubmedData>
            and element.find(b"<Pubmed", ids_end) < 0
            and element.rfind(b"</PubmedData>") > ids_end
        ):
            return b"".join(
                (
                    element[:data_at],
                    _PUBMED_DATA,
                    element[ids_at : ids_end + len(_IDS_CLOSE)],
                    b"</PubmedData></PubmedArticle>",
                )
            )
    return _cut_unused(element)


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
    raw: bytes, data: bytes, start: int, position: int, where: str, cut_error: Exception
) -> ImportFormatError:
    """The error located in the file: the uncut article is parsed again for its position."""
    error = cut_error
    try:
        etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        error = exc
    line, column = getattr(error, "position", (1, 0))
    line += data.count(b"\n", 0, start)
    message = getattr(error, "msg", "") or str(error)
    return ImportFormatError(
        f"malformed XML in article {position}: {message.split(',')[0]}",
        where=Location(where, line, column),
    )


#: articles parsed as one document at a time (bounds memory on very large pages)
_CHUNK = 500


def _parse_chunk(data: bytes, spans: list[tuple[int, int]], first: int, where: str) -> Any:
    """The cut articles of ``spans`` parsed as one document (one call into libxml2); on
    malformed XML the failing article is found and located in ``data``."""
    parser = _parser()
    pieces = [_cut(data[start:end]) for start, end in spans]
    try:
        return etree.fromstring(
            b"".join([b"<PubmedArticleSet>", *pieces, b"</PubmedArticleSet>"]), parser
        )
    except etree.XMLSyntaxError as joined_error:
        for offset, ((start, end), piece) in enumerate(zip(spans, pieces, strict=True)):
            try:
                etree.fromstring(piece, parser)
            except etree.XMLSyntaxError as cut_error:
                raw = data[start:end]
                raise _xml_error(raw, data, start, first + offset, where, cut_error) from None
        raise ImportFormatError(f"malformed XML: {joined_error}", where=Location(where)) from None


def parse_articles(
    data: bytes | Path, provenance: Provenance, *, where: str = "PubMed XML"
) -> Iterator[Record]:
    """Records of a ``<PubmedArticleSet>``, in document order; positions counted from 1.

    The articles are cut out of the document, stripped of what no field comes from, and
    parsed by libxml2 a few hundred at a time, so that memory stays flat and large sets go
    fast. Raises :class:`ImportFormatError` naming the line and column of malformed XML.
    """
    if isinstance(data, Path):
        data = data.read_bytes()
    source, stage, run_id = provenance.source, provenance.stage, provenance.run_id
    snapshot, sha256, kind = provenance.snapshot, provenance.snapshot_sha256, provenance.kind
    spans = list(article_spans(data))
    # article_spans stops only at an article that is not closed, so looking after the last
    # complete one is enough (an article opened inside another fails to parse)
    tail = spans[-1][1] if spans else 0
    if data.find(b"<PubmedArticle>", tail) >= 0 or data.find(b"<PubmedBookArticle>", tail) >= 0:
        opened = data.count(b"<PubmedArticle>") + data.count(b"<PubmedBookArticle>")
        raise ImportFormatError(
            f"malformed XML: {opened} articles start but {len(spans)} are complete",
            where=Location(where),
        )
    position = 0
    for chunk in range(0, len(spans), _CHUNK):
        root = _parse_chunk(data, spans[chunk : chunk + _CHUNK], chunk + 1, where)
        for element in root:
            position += 1
            here = Provenance(  # faster than dataclasses.replace, which matters at 100,000
                source, stage, run_id, snapshot, sha256, position, kind
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


_PMID_IN_ARTICLE = re.compile(rb"<PMID[^>]*>\s*(\d+)\s*</PMID>")


def split_articles(data: bytes) -> Iterator[tuple[str, bytes]]:
    """(PMID, element bytes) of every ``<PubmedArticle>``/``<PubmedBookArticle>`` in ``data``,
    cut out byte for byte (no re-serialisation)."""
    for start, end in article_spans(data):
        element = data[start:end]
        pmid = _PMID_IN_ARTICLE.search(element)
        if pmid:
            yield pmid.group(1).decode("ascii"), element


# --- reading E-utilities answers before they are stored ------------------------------------------

#: Characters XML 1.0 forbids, as raw UTF-8 bytes: C0 controls but tab, newline and carriage
#: return, and U+FFFE/U+FFFF.
_FORBIDDEN_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
_CHAR_REF = re.compile(rb"&#(x[0-9A-Fa-f]+|[0-9]+);")


def _allowed(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def drop_forbidden_characters(data: bytes) -> tuple[bytes, int]:
    """``data`` without the characters XML 1.0 forbids (raw, or written as ``&#…;``) and
    without byte sequences that are not UTF-8 (each becomes U+FFFD); returns the cleaned bytes
    and how many characters were dropped or replaced."""
    dropped = 0
    cleaned, n = _FORBIDDEN_BYTES.subn(b"", data)
    dropped += n

    def reference(match: re.Match[bytes]) -> bytes:
        nonlocal dropped
        text = match.group(1)
        try:
            code = int(text[1:], 16) if text[:1] in (b"x", b"X") else int(text)
        except ValueError:
            return match.group(0)
        if _allowed(code):
            return match.group(0)
        dropped += 1
        return b""

    if b"&#" in cleaned:
        cleaned = _CHAR_REF.sub(reference, cleaned)
    try:
        cleaned.decode("utf-8")
    except UnicodeDecodeError:
        text = cleaned.decode("utf-8", errors="replace")
        dropped += text.count("\ufffd") - cleaned.count("\ufffd".encode())
        cleaned = text.encode("utf-8")
    return cleaned, dropped


def _xml_body(data: bytes, endpoint: str) -> bytes:
    """The answer without a byte-order mark and outer white space, if it can be XML at all."""
    stripped = data.removeprefix(b"\xef\xbb\xbf").strip()
    if not stripped:
        raise NotData(f"{endpoint} answered an empty body")
    if not stripped.startswith(b"<"):
        kind = "JSON" if stripped[:1] in (b"{", b"[") else "plain text"
        raise _not_data(f"{endpoint} answered {kind}, not XML", stripped)
    return stripped


def _not_data(what: str, body: bytes) -> NotData:
    return NotData(f"{what} (answer begins {_preview(body)})")


def _preview(body: bytes) -> str:
    text = " ".join(body[:80].decode("utf-8", errors="replace").split())
    return repr(text) if text else "empty"


def _root(data: bytes) -> tuple[Element | None, str]:
    """The parsed XML document, or None and why it does not parse."""
    try:
        return etree.fromstring(data, _parser()), ""
    except etree.XMLSyntaxError as exc:
        return None, str(exc.msg if hasattr(exc, "msg") else exc).split(",")[0]


def _error_text(data: bytes) -> str | None:
    match = re.search(rb"<ERROR>(.*?)</ERROR>", data, re.DOTALL)
    if match is None:
        return None
    return " ".join(match.group(1).decode("utf-8", errors="replace").split())


@dataclass(frozen=True)
class EsearchAnswer:
    """One esearch answer: the count, the identifiers listed, and PubMed's own messages about
    the query (``ErrorList`` / ``WarningList`` entries as (kind, text))."""

    count: int
    ret_start: int
    ids: tuple[str, ...]
    messages: tuple[tuple[str, str], ...]
    translation: str


def read_esearch(data: bytes) -> EsearchAnswer:
    """An esearch XML answer, checked to be one; :class:`NotData` otherwise (an empty body,
    plain text, JSON, HTML, a truncated or malformed document, an ``<ERROR>`` instead of data)."""
    stripped = _xml_body(data, "esearch")
    root, why = _root(stripped)
    if root is None:
        raise _not_data(f"esearch answer is not well-formed XML: {why}", stripped)
    if root.tag != "eSearchResult":
        raise _not_data(f"esearch answer has root <{root.tag}>, not <eSearchResult>", stripped)
    error = root.find("ERROR")
    if error is not None:
        raise NotData(f"E-utilities answered an error instead of data: {_text(error)}")
    count_text = root.findtext("Count")
    if count_text is None or not count_text.strip().isdigit():
        raise _not_data("esearch answer has no Count", stripped)
    ids = []
    id_list = root.find("IdList")
    if id_list is not None:
        for item in id_list:
            value = (item.text or "").strip()
            if item.tag != "Id" or not value.isdigit():
                raise _not_data(f"esearch IdList holds {value!r}, not a PMID", stripped)
            ids.append(value)
    elif int(count_text) > 0 and root.findtext("RetMax", "0").strip() not in ("", "0"):
        raise _not_data("esearch answer has a Count but no IdList", stripped)
    messages: list[tuple[str, str]] = []
    for block in ("ErrorList", "WarningList"):
        found = root.find(block)
        if found is not None:
            for item in found:
                text = _text(item)
                if isinstance(item.tag, str) and text:
                    messages.append((item.tag, text))
    start_text = (root.findtext("RetStart") or "0").strip()
    return EsearchAnswer(
        count=int(count_text),
        ret_start=int(start_text) if start_text.isdigit() else 0,
        ids=tuple(ids),
        messages=tuple(messages),
        translation=_text(root.find("QueryTranslation")),
    )


@dataclass(frozen=True)
class EfetchAnswer:
    """One efetch answer: its records, the PMIDs it says were deleted, and how many characters
    XML forbids were dropped to read it."""

    records: tuple[Record, ...]
    deleted: tuple[str, ...]
    dropped_characters: int


def read_efetch(data: bytes, provenance: Provenance, *, where: str) -> EfetchAnswer:
    """An efetch XML answer read whole, or :class:`NotData`: the document must be one complete
    ``<PubmedArticleSet>`` whose every article parses. Characters XML 1.0 forbids are dropped
    (and counted) first, so that one odd record does not make a page unreadable for ever."""
    stripped = _xml_body(data, "efetch")
    message = _error_text(stripped[:4096])
    if message is not None and b"<PubmedArticleSet" not in stripped[:4096]:
        raise NotData(f"E-utilities answered an error instead of data: {message}")
    cleaned, dropped = drop_forbidden_characters(stripped)
    spans = list(article_spans(cleaned))
    # the document without its articles: a small skeleton that must itself be well-formed
    pieces = []
    at = 0
    for start, end in spans:
        pieces.append(cleaned[at:start])
        at = end
    pieces.append(cleaned[at:])
    skeleton = b"".join(pieces)
    root, why = _root(skeleton)
    if root is None:
        raise _not_data(f"efetch answer is not a complete XML document: {why}", stripped)
    if root.tag != "PubmedArticleSet":
        raise _not_data(f"efetch answer has root <{root.tag}>, not <PubmedArticleSet>", stripped)
    deleted = tuple(
        pmid
        for block in root.iter("DeleteCitation")
        for pmid in (_text(p) for p in block.iter("PMID"))
        if pmid
    )
    try:
        records = tuple(parse_articles(cleaned, provenance, where=where))
    except ImportFormatError as exc:
        raise NotData(f"efetch answer does not parse: {exc.what}") from None
    return EfetchAnswer(records, deleted, dropped)


def parse_xml(data: bytes) -> tuple[Element | None, str]:
    """Any XML document (a full text's JATS XML), parsed safely: no DTD, no network, no entity
    expansion; None and why when it does not parse."""
    return _root(data)


@dataclass(frozen=True)
class ElinkAnswer:
    """One elink answer asked with the ids repeated (``id=1&id=2``): per PMID asked, the PMIDs
    it links to under the link name asked; a PMID the answer has no link set for is absent."""

    links: dict[str, tuple[str, ...]]


def read_elink(data: bytes, linkname: str) -> ElinkAnswer:
    """An elink XML answer (``eLinkResult``, one ``LinkSet`` per id asked), checked to be one;
    :class:`NotData` otherwise. Links under another link name are not read."""
    stripped = _xml_body(data, "elink")
    root, why = _root(stripped)
    if root is None:
        raise _not_data(f"elink answer is not well-formed XML: {why}", stripped)
    if root.tag != "eLinkResult":
        raise _not_data(f"elink answer has root <{root.tag}>, not <eLinkResult>", stripped)
    link_sets = root.findall("LinkSet")
    error = root.find("ERROR")
    if error is not None and not link_sets:
        raise NotData(f"E-utilities answered an error instead of data: {_text(error)}")
    links: dict[str, tuple[str, ...]] = {}
    for link_set in link_sets:
        asked = [_text(i) for i in link_set.iterfind("IdList/Id")]
        if len(asked) != 1 or not asked[0].isdigit() or asked[0] == "0":
            continue  # an id NCBI does not know comes back as 0, or as a set without links
        found: list[str] = []
        for db in link_set.iterfind("LinkSetDb"):
            if _text(db.find("LinkName")) != linkname:
                continue
            found.extend(t for t in (_text(i) for i in db.iterfind("Link/Id")) if t.isdigit())
        links[asked[0]] = tuple(dict.fromkeys(found))
    return ElinkAnswer(links)
