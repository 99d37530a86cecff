"""The citation services' answers read into links and records (example answers written from each
service's documented format, tests/fixtures/scholarly/SOURCES.md), and hits gathered from what
several services said."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rea.errors import NotData
from rea.records import SourceKind
from rea.sources import citations as sc
from rea.sources.pubmed_xml import read_elink
from rea.sources.snapshots import Page
from tests.helpers import FIXTURES

SCHOLARLY = FIXTURES / "scholarly"


def page(body: bytes, name: str = "p.json") -> Page:
    return Page("k", Path(name), f"citations/run/{name}", "sha", body, reused=False)


def fixture(name: str) -> Page:
    return page((SCHOLARLY / name).read_bytes(), name)


PROV = sc.citation_provenance("2013-2018-all", "cit-run", "citations/run/p.json", "sha", 1)


def test_crossref_items_give_records_and_reference_lists() -> None:
    [item] = sc.read_crossref_list(fixture("crossref-works.json"))
    record = sc.crossref_record(item, PROV)
    assert record.doi == "10.3399/bjgp17x692597" and record.source_id == "doi:10.3399/bjgp17x692597"
    assert record.title.startswith("Building managed primary care practice networks")
    assert record.abstract[0].text.startswith("Networks of general practices")  # JATS stripped
    assert [a.family for a in record.authors] == ["Pawa", "Robson"]
    assert (record.year, record.volume, record.issue, record.pages) == (
        2017,
        "67",
        "664",
        "e764-e774",
    )
    assert record.provenance.kind is SourceKind.OTHER
    assert record.provenance.source == "citation_searching"
    with_doi, text_only, structured = item["reference"]
    assert with_doi["DOI"] == "10.1136/bmj.325.7373.1126"
    ref = sc.reference_record(text_only, PROV, "k2")
    assert ref.title.startswith("Addicott R, Ham C. Commissioning") and ref.source_id == "ref:k2"
    ref = sc.reference_record(structured, PROV, "k3")
    assert ref.title.startswith("Stories and metaphors") and ref.year == 2014
    assert ref.authors[0].family == "Swanson" and ref.journal == "BMC Fam Pract"


def test_openalex_works_give_identifiers_references_and_the_abstract() -> None:
    answer = sc.read_openalex(fixture("openalex-works.json"))
    [work] = answer["results"]
    ids = sc.openalex_ids(work)
    assert ids == sc.Ids(
        doi="10.3399/bjgp17x692597", pmid="28893765", openalex="W2756447722", pmcid="PMC5647920"
    )
    record = sc.openalex_record(work, PROV)
    assert record.abstract[0].text == "Networks of general practices in east London."
    assert [a.family for a in record.authors] == ["Pawa", "Robson"]
    assert record.journal == "British Journal of General Practice" and record.pages == "e764-e774"
    assert [sc.openalex_id(w) for w in work["referenced_works"]] == ["W2108817025", "W2001736389"]


def test_opencitations_rows_name_every_identifier_of_each_side() -> None:
    rows = sc.read_opencitations(fixture("opencitations-references.json"))
    cited = [sc.opencitations_ids(r["cited"]) for r in rows]
    assert cited == [
        sc.Ids(doi="10.1136/bmj.325.7373.1126", pmid="12424172", openalex="W2108817025"),
        sc.Ids(doi="10.1186/1471-2296-15-41"),
    ]


def test_elink_gives_the_links_of_each_id_asked() -> None:
    answer = read_elink((SCHOLARLY / "elink-refs.xml").read_bytes(), "pubmed_pubmed_refs")
    assert answer.links == {"28893765": ("24886000", "12424172"), "30268108": ()}
    assert read_elink(
        (SCHOLARLY / "elink-refs.xml").read_bytes(), "pubmed_pubmed_citedin"
    ).links == {
        "28893765": (),
        "30268108": (),
    }


@pytest.mark.parametrize(
    ("reader", "body"),
    [
        (sc.read_opencitations, b""),
        (sc.read_opencitations, b'[{"oci": "1-2", "citing": "doi:10.1/a"'),  # truncated
        (sc.read_opencitations, b'{"error": "not found"}'),
        (sc.read_opencitations, b"<!DOCTYPE html><html>Service unavailable</html>"),
        (sc.read_crossref_list, b'{"status": "failed", "message": [{"type": "x"}]}'),
        (sc.read_crossref_list, b'{"status": "ok", "message": {"total-results": 3}}'),
        (sc.read_openalex, b'{"error": "Invalid query parameters error.", "message": "x"}'),
        (sc.read_openalex, b'{"results": []}'),
        (sc.read_openalex, b"Unable to route request!"),
    ],
)
def test_what_is_not_data_is_refused(reader: object, body: bytes) -> None:
    with pytest.raises(NotData):
        reader(page(body))  # type: ignore[operator]


def test_elink_that_is_not_data_is_refused() -> None:
    for body in (
        b"",
        b"{}",
        b"<eLinkResult><ERROR>Invalid uid</ERROR></eLinkResult>",
        b"<eLinkResult><LinkSet>",
    ):
        with pytest.raises(NotData):
            read_elink(body, "pubmed_pubmed_refs")


def link(ids: sc.Ids, service: str = "opencitations", seed: int = 1) -> sc.Link:
    return sc.Link(seed, sc.Direction.BACKWARD, service, ids)


def described(ids: sc.Ids, service: str, title: str) -> sc.Described:
    from rea.records import Record

    return sc.Described(ids, Record(PROV, title=title, doi=ids.doi, pmid=ids.pmid), service)


def test_a_doi_from_one_service_and_a_pmid_from_another_are_one_hit_when_a_record_joins_them() -> (
    None
):
    hits, disagreements = sc.gather_hits(
        [link(sc.Ids(doi="10.1/a")), link(sc.Ids(pmid="11"), "pubmed", seed=2)],
        [described(sc.Ids(doi="10.1/a", pmid="11"), "pubmed", "A")],
    )
    [hit] = hits
    assert hit.ids == sc.Ids(doi="10.1/a", pmid="11") and disagreements == []
    assert hit.services == ("opencitations", "pubmed")
    assert hit.record("s", "r").source_id == "doi:10.1/a"


def test_identifiers_that_would_give_one_hit_two_dois_are_kept_apart() -> None:
    hits, disagreements = sc.gather_hits(
        [link(sc.Ids(doi="10.1/a")), link(sc.Ids(doi="10.1/b"))],
        [
            described(sc.Ids(doi="10.1/a", pmid="11"), "pubmed", "A"),
            described(sc.Ids(doi="10.1/b", pmid="11"), "openalex", "B"),
        ],
    )
    assert sorted(h.ids.doi for h in hits) == ["10.1/a", "10.1/b"]
    assert len(disagreements) == 1 and "openalex says doi:10.1/b is pmid:11" in disagreements[0]


def test_the_best_description_wins_and_keeps_every_identifier() -> None:
    hits, _ = sc.gather_hits(
        [link(sc.Ids(openalex="W1")), link(sc.Ids(doi="10.1/a"), "crossref")],
        [
            described(sc.Ids(doi="10.1/a"), "crossref", "from Crossref"),
            described(sc.Ids(doi="10.1/a", openalex="W1", pmid="12"), "openalex", "from OpenAlex"),
        ],
    )
    [hit] = hits
    record = hit.record("s", "r")
    assert record.title == "from OpenAlex" and record.pmid == "12"
    assert json.loads(json.dumps(record.extra))["described_by"] == "openalex"


def test_a_hit_no_service_described_keeps_its_identifier_and_where_it_was_seen() -> None:
    [hit] = sc.gather_hits(
        [sc.Link(1, sc.Direction.FORWARD, "pubmed", sc.Ids(pmid="99"), "citations/r/x.xml", "abc")],
        [],
    )[0]
    record = hit.record("s", "r")
    assert (record.pmid, record.title, record.source_id) == ("99", "", "pmid:99")
    assert record.provenance.snapshot == "citations/r/x.xml" and not hit.resolved
