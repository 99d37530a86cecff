"""The fast PubMed XML reader agrees field by field with Bio.Entrez's full reading of every real
article in the fixtures, so that its speed costs no correctness."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from Bio import Entrez
from hypothesis import given
from hypothesis import strategies as st

from rea.records import Provenance, normalize_doi, normalize_pages
from rea.sources.pubmed_xml import parse_articles
from tests.sources_support import PUBMED

ARTICLE_FILES = sorted(p for p in PUBMED.glob("*.xml") if not p.name.startswith("esearch"))
_MARKUP = re.compile(r"<[^>]*>")  # with escape=True a literal "<" in text is "&lt;"
_YEAR = re.compile(r"(1[6-9]\d\d|20\d\d)")


def _plain(value: Any) -> str:
    """Entrez text (read with ``escape=True``: inline markup kept as tags, the rest escaped)
    as plain text with runs of space folded, which is what a record keeps."""
    return " ".join(html.unescape(_MARKUP.sub("", str(value or ""))).split())


def _year(date: Any) -> int | None:
    for key in ("Year", "MedlineDate"):
        match = _YEAR.search(_plain(date.get(key, "")))
        if match:
            return int(match.group(1))
    return None


def _ids(*lists: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for id_list in lists:
        for item in id_list:
            kind = item.attributes.get("IdType", "")
            if kind and kind not in found and _plain(item):
                found[kind] = _plain(item)
    return found


def _authors(author_list: Any) -> list[tuple[str, str]]:
    authors = []
    for author in author_list:
        collective = _plain(author.get("CollectiveName"))
        family = _plain(author.get("LastName")) or collective
        given = _plain(author.get("ForeName")) or _plain(author.get("Initials"))
        if family:
            authors.append((family, "" if collective else given))
    return authors


def _abstract(abstract: Any) -> list[tuple[str, str]]:
    return [
        (part.attributes.get("Label", ""), _plain(part))
        for part in abstract.get("AbstractText", [])
        if _plain(part)
    ]


def _texts(items: Any) -> list[str]:
    if isinstance(items, str):
        items = [items]
    return [t for t in map(_plain, items) if t]


def _doi_of(ids: dict[str, str], elocations: Any) -> str:
    doi = ids.get("doi", "")
    if not doi:
        for eloc in elocations:
            if eloc.attributes.get("EIdType") == "doi":
                doi = _plain(eloc)
    return normalize_doi(doi)


def _from_article(entry: Any) -> dict[str, Any]:
    citation = entry["MedlineCitation"]
    article = citation["Article"]
    journal = article.get("Journal", {})
    issue = journal.get("JournalIssue", {})
    info = citation.get("MedlineJournalInfo", {})
    ids = _ids(entry.get("PubmedData", {}).get("ArticleIdList", []))
    epub = None
    for date in article.get("ArticleDate", []):
        if date.attributes.get("DateType", "Electronic") == "Electronic":
            epub = _year(date)
    pmid = _plain(citation["PMID"])
    return {
        "title": _plain(article.get("ArticleTitle")) or _plain(article.get("VernacularTitle")),
        "abstract": _abstract(article.get("Abstract", {})),
        "authors": _authors(article.get("AuthorList", [])),
        "journal": _plain(journal.get("Title")),
        "journal_abbrev": _plain(info.get("MedlineTA")) or _plain(journal.get("ISOAbbreviation")),
        "issn": list(
            dict.fromkeys(_texts(journal.get("ISSN", [])) + _texts(info.get("ISSNLinking", [])))
        ),
        "year": _year(issue.get("PubDate", {})) or epub,
        "epub_year": epub,
        "volume": _plain(issue.get("Volume")),
        "issue": _plain(issue.get("Issue")),
        "pages": normalize_pages(_plain(article.get("Pagination", {}).get("MedlinePgn"))),
        "language": ";".join(_texts(article.get("Language", []))),
        "publication_types": _texts(article.get("PublicationTypeList", [])),
        "keywords": [k for kl in citation.get("KeywordList", []) for k in _texts(kl)],
        "mesh": _texts(h["DescriptorName"] for h in citation.get("MeshHeadingList", [])),
        "pmid": pmid,
        "doi": _doi_of(ids, article.get("ELocationID", [])),
        "pmcid": ids.get("pmc", ""),
        "extra": {},
    }


def _from_book(entry: Any) -> dict[str, Any]:
    document = entry["BookDocument"]
    book = document.get("Book", {})
    ids = _ids(
        document.get("ArticleIdList", []),
        entry.get("PubmedBookData", {}).get("ArticleIdList", []),
    )
    book_title = _plain(book.get("BookTitle"))
    authors: list[tuple[str, str]] = []
    for author_list in [*document.get("AuthorList", []), *book.get("AuthorList", [])]:
        if author_list.attributes.get("Type", "authors") == "authors":
            authors = _authors(author_list)
            if authors:
                break
    extra = {"book_title": book_title} if book_title else {}
    if _texts(book.get("Isbn", [])):
        extra["isbn"] = ";".join(_texts(book.get("Isbn", [])))
    if "bookaccession" in ids:
        extra["bookaccession"] = ids["bookaccession"]
    return {
        "title": _plain(document.get("ArticleTitle")) or book_title,
        "abstract": _abstract(document.get("Abstract", {})),
        "authors": authors,
        "journal": book_title,
        "journal_abbrev": "",
        "issn": [],
        "year": _year(book.get("PubDate", {})),
        "epub_year": None,
        "volume": "",
        "issue": "",
        "pages": "",
        "language": ";".join(_texts(document.get("Language", []))),
        "publication_types": _texts(document.get("PublicationType", [])) or ["Book Chapter"],
        "keywords": [k for kl in document.get("KeywordList", []) for k in _texts(kl)],
        "mesh": [],
        "pmid": _plain(document["PMID"]),
        "doi": _doi_of(ids, book.get("ELocationID", [])),
        "pmcid": ids.get("pmc", ""),
        "extra": extra,
    }


def _entrez_records(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as handle:
        parsed = Entrez.read(handle, escape=True)
    # Bio.Entrez groups the two kinds; the fixtures hold one kind per file
    return [_from_article(a) for a in parsed["PubmedArticle"]] + [
        _from_book(b) for b in parsed["PubmedBookArticle"]
    ]


def _fast_records(path: Path) -> list[dict[str, Any]]:
    records = parse_articles(path.read_bytes(), Provenance("pubmed", "s"))
    return [
        {
            "title": r.title,
            "abstract": [(s.label, s.text) for s in r.abstract],
            "authors": [(a.family, a.given) for a in r.authors],
            "journal": r.journal,
            "journal_abbrev": r.journal_abbrev,
            "issn": list(r.issn),
            "year": r.year,
            "epub_year": r.epub_year,
            "volume": r.volume,
            "issue": r.issue,
            "pages": r.pages,
            "language": r.language,
            "publication_types": list(r.publication_types),
            "keywords": list(r.keywords),
            "mesh": list(r.mesh),
            "pmid": r.pmid,
            "doi": r.doi,
            "pmcid": r.pmcid,
            "extra": r.extra,
        }
        for r in records
    ]


@pytest.mark.parametrize("path", ARTICLE_FILES, ids=[p.name for p in ARTICLE_FILES])
def test_fast_reader_agrees_with_bio_entrez(path: Path) -> None:
    expected = _entrez_records(path)
    got = _fast_records(path)
    assert [r["pmid"] for r in got] == [r["pmid"] for r in expected]
    for mine, theirs in zip(got, expected, strict=True):
        for field, value in theirs.items():
            assert mine[field] == value, (path.name, mine["pmid"], field)


def test_the_fixtures_exercise_every_kept_field() -> None:
    """The agreement above means something only if the real records hold these fields."""
    records = [r for path in ARTICLE_FILES for r in _fast_records(path)]
    assert len(records) == 8
    for field in ("abstract", "authors", "issn", "keywords", "mesh", "publication_types"):
        assert any(r[field] for r in records), field
    assert any(label for r in records for label, _ in r["abstract"])
    assert any(r["epub_year"] for r in records) and any(r["pmcid"] for r in records)
    assert any(r["doi"] for r in records) and any(r["extra"] for r in records)
    # inline markup (<i>, <sup>) is read through: the text inside it is kept
    assert any(r["title"] == "CACNA1C-Related Disorders" for r in records)
    assert any(r["journal"] == "GeneReviews®" for r in records)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_space_folding_is_that_of_str_split(text: str) -> None:
    from rea.sources.pubmed_xml import _fold

    assert _fold(text) == " ".join(text.split())


def test_an_article_left_open_is_an_error_wherever_it_is() -> None:
    from rea.errors import ImportFormatError

    data = (PUBMED / "pubmed1.xml").read_bytes()
    start = data.index(b"<PubmedArticle>")
    end = data.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")
    article = data[start:end]
    open_one = article.replace(b"</PubmedArticle>", b"")
    head, tail = data[:start], data[end:]
    cut_short = head + article + article[: len(article) // 2]
    open_before_complete = head + open_one + article + tail
    for broken in (cut_short, open_before_complete):
        with pytest.raises(ImportFormatError, match="malformed XML"):
            list(parse_articles(broken, Provenance("pubmed", "s")))
    whole = len(list(parse_articles(data, Provenance("pubmed", "s"))))
    doubled = parse_articles(head + article + article + tail, Provenance("pubmed", "s"))
    assert len(list(doubled)) == whole + 1


def test_malformed_xml_in_a_part_no_field_comes_from_is_still_an_error() -> None:
    from rea.errors import ImportFormatError

    data = (PUBMED / "efetch_pubmed_commentson_38700094.xml").read_bytes()
    broken = data.replace(b"</Affiliation>", b"</Affiliatio>", 1)
    line = broken[: broken.index(b"</Affiliatio>")].count(b"\n") + 1
    with pytest.raises(ImportFormatError) as info:
        list(parse_articles(broken, Provenance("pubmed", "s"), where="page.xml"))
    assert str(info.value.where).startswith(f"page.xml:{line}:")
