"""PubMed searches over the loopback replay server: paging, date splitting, faults, snapshots."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from rea.errors import BlockedError, SourceError
from rea.pipeline.search import SearchTask, run_searches
from rea.sources import pubmed
from rea.sources.snapshots import RunDir
from rea.store import open_store
from rea.store.records import iter_records
from tests.sources_support import (
    TERM,
    make_review,
    no_sleep,
    replay,
    settings_for,
    write_pubmed,
)

TASK = SearchTask(
    stage="2013-2018-all",
    source="pubmed",
    query=TERM,
    params={"mindate": "2013/01/01", "maxdate": "2018/12/31", "datetype": "pdat"},
    date_from="2013-01-01",
    date_to="2018-12-31",
)


class Waits:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _search(
    tmp_path: Path,
    recordings: Path,
    faults: list[dict[str, object]] | None = None,
    sleep: Waits | None = None,
    progress: Callable[[str], None] | None = None,
    **extra: str,
):  # type: ignore[no-untyped-def]
    paths = make_review(tmp_path)
    with replay(recordings) as server:
        for fault in faults or []:
            server.add_fault(**fault)  # type: ignore[arg-type]
        result = run_searches(
            paths,
            [TASK],
            settings=settings_for(server, **extra),
            sleep=sleep or no_sleep,
            progress=progress,
        )
        seen = list(server.requests)
    with open_store(paths.store) as store:
        records = [s.record for s in iter_records(store)]
    return paths, result, records, seen


def test_search_stores_every_record_with_provenance(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 450)
    paths, result, records, seen = _search(tmp_path, rec)
    assert [r.pmid for r in records] == pmids
    task = result.tasks[0]
    assert (task.reported_count, task.fetched_count, task.warnings) == (450, 450, ())
    first = records[0]
    assert first.provenance.run_id == result.run_id
    assert first.provenance.stage == "2013-2018-all"
    snapshot = paths.root / str(first.provenance.snapshot)
    assert snapshot.is_file()
    import hashlib

    assert hashlib.sha256(snapshot.read_bytes()).hexdigest() == first.provenance.snapshot_sha256
    # efetch by POST in batches of 200, tool and email on every call
    fetches = [r for r in seen if r.path == "efetch.fcgi"]
    assert [r.method for r in fetches] == ["POST"] * 3
    assert [len(r.params["id"].split(",")) for r in fetches] == [200, 200, 50]
    assert all(r.params["tool"] == "rea" and r.params["email"] for r in seen)
    manifest = json.loads(
        (paths.root / result.path / "2013-2018-all/pubmed/manifest.json").read_text()
    )
    assert manifest["reported_count"] == 450 and manifest["fetched_count"] == 450
    assert manifest["query"] == TERM and manifest["rea_version"]
    assert (paths.root / result.path / "manifest.json").is_file()


def test_book_article_structured_abstract_and_ids_are_kept(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 8)
    _, _, records, _ = _search(tmp_path, rec)
    books = [r for r in records if r.extra.get("bookaccession") == "NBK1403"]
    assert books and books[0].title == "CACNA1C-Related Disorders"
    structured = [r for r in records if r.doi == "10.2147/ahmt.s429238"]
    assert [s.label for s in structured[0].abstract] == [
        "BACKGROUND",
        "METHODS",
        "RESULTS",
        "CONCLUSION",
    ]
    assert structured[0].pmcid == "PMC10562508"


def test_count_at_the_cap_splits_the_date_range(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 10_050)
    paths = make_review(tmp_path)
    with replay(rec) as server:
        settings = settings_for(server)
        run = RunDir.create(paths.root, [])
        search = pubmed.PubmedSearch(
            pubmed.make_http(settings, sleep=no_sleep),
            settings,
            run.source("s", "pubmed"),
            TERM,
            params=TASK.params,
        )
        found = search.search_ids()
        seen = list(server.requests)
    assert sorted(found) == sorted(pmids) and search.warnings == []
    sliced = [r.params for r in seen if r.params["retmax"] != "0"]
    assert len(sliced) >= 2
    assert all(p["datetype"] == "pdat" and p["mindate"] and p["maxdate"] for p in sliced)
    assert len((run.path / "s/pubmed/pmids.txt").read_text().split()) == 10_050


def test_split_search_stores_the_union(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 250)
    monkeypatch.setattr(pubmed, "ESEARCH_CAP", 60)
    _, result, records, seen = _search(tmp_path, rec)
    assert sorted(r.pmid for r in records) == sorted(pmids)
    assert result.tasks[0].reported_count == 250 and result.tasks[0].warnings == ()
    assert len([r for r in seen if r.path == "esearch.fcgi"]) > 4


def test_count_mismatch_is_warned_and_written(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 10, count=12)
    paths, result, records, _ = _search(tmp_path, rec)
    assert len(records) == 10
    warning = result.tasks[0].warnings[0]
    assert "reported 12" in warning and "10 distinct" in warning
    manifest = json.loads(
        (paths.root / result.path / "2013-2018-all/pubmed/manifest.json").read_text()
    )
    assert manifest["warnings"] == [warning]


def test_429_with_retry_after_and_500_are_retried(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 30)
    said: list[str] = []
    faults = [
        {"kind": "http_429", "service": "pubmed", "path": "efetch.fcgi", "retry_after": "7"},
        {"kind": "http_500", "service": "pubmed", "path": "esearch.fcgi", "times": 2},
    ]
    _, _result, records, seen = _search(tmp_path, rec, faults, progress=said.append)
    assert len(records) == 30
    # exponential back-off on esearch, then Retry-After honoured on efetch
    waits = [m.split(" in ")[-1] for m in said if "; retry " in m]
    assert waits == ["1.0s", "2.0s", "7.0s"]
    assert len([r for r in seen if r.path == "esearch.fcgi"]) == 3


def test_error_body_in_http_200_is_retried_and_never_stored(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 5)
    faults = [
        {
            "kind": "error_body",
            "service": "pubmed",
            "path": "efetch.fcgi",
            "message": "Unable to route request!",
        }
    ]
    paths, result, records, _ = _search(tmp_path, rec, faults)
    assert len(records) == 5
    stored = list((paths.root / result.path).rglob("pages/*.xml"))
    assert not any(b"<ERROR>" in p.read_bytes() for p in stored)


def test_short_batch_is_refetched(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 20)
    faults = [{"kind": "short_batch", "service": "pubmed", "path": "efetch.fcgi", "drop": 3}]
    _, _result, records, seen = _search(tmp_path, rec, faults)
    assert sorted(r.pmid for r in records) == sorted(pmids)
    fetches = [r for r in seen if r.path == "efetch.fcgi"]
    assert len(fetches[1].params["id"].split(",")) == 3


def test_dropped_connection_is_retried(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 5)
    faults = [{"kind": "drop_connection", "service": "pubmed", "path": "efetch.fcgi"}]
    _, _, records, _ = _search(tmp_path, rec, faults)
    assert len(records) == 5


def test_slow_response_hits_the_timeout_and_is_retried(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 5)
    paths = make_review(tmp_path)
    with replay(rec) as server:
        server.add_fault("slow", service="pubmed", path="efetch.fcgi", delay=1.5)
        settings = settings_for(server)
        http = pubmed.make_http(settings, sleep=no_sleep)
        http.timeout = (2.0, 0.5)
        run = RunDir.create(paths.root, [])
        search = pubmed.PubmedSearch(http, settings, run.source("s", "pubmed"), TERM)
        search.search_ids()
        records = list(search.fetch_records(run.run_id, "s"))
        assert len(records) == 5
        assert len([r for r in server.requests if r.path == "efetch.fcgi"]) == 2


def test_400_fails_at_once_with_the_message(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 5)
    faults = [{"kind": "http_400", "service": "pubmed", "message": "Invalid query syntax"}]
    with pytest.raises(SourceError, match=r"HTTP 400.*Invalid query syntax"):
        _search(tmp_path, rec, faults)


def test_blocked_page_stops_with_advice(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 5)
    faults = [{"kind": "blocked", "service": "pubmed", "path": "efetch.fcgi"}]
    with pytest.raises(BlockedError) as info:
        _search(tmp_path, rec, faults)
    assert "NCBI_API_KEY" in str(info.value.hint)


def test_persistent_failure_gives_up_with_resume_hint(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 5)
    faults = [{"kind": "http_503", "service": "pubmed", "times": -1}]
    with pytest.raises(SourceError, match="gave up after 6 attempts") as info:
        _search(tmp_path, rec, faults)
    assert "--resume" in str(info.value.hint)


def test_unrecorded_request_fails_loudly(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 5, term="something else")
    with pytest.raises(SourceError, match="no recording matches"):
        _search(tmp_path, rec)
    assert "rea replay: no recording matches" in capfd.readouterr().err


def test_api_key_lifts_the_rate_with_a_margin(tmp_path: Path) -> None:
    from rea.sources.ratelimit import MARGIN

    rec = tmp_path / "rec"
    write_pubmed(rec, 5)
    with replay(rec) as server:
        keyed = pubmed.make_http(settings_for(server, NCBI_API_KEY="k" * 36))
        assert keyed.slots.interval == pytest.approx(1 / (10 * (1 - MARGIN)))
        plain = pubmed.make_http(settings_for(server))
        assert plain.slots is keyed.slots  # one limiter for everything that calls NCBI
        assert plain.slots.interval == pytest.approx(1 / (3 * (1 - MARGIN)))
        assert plain.slots.shared  # and shared with the user's other rea processes


def test_medline_date_and_electronic_date_give_years(tmp_path: Path) -> None:
    from rea.records import Provenance
    from rea.sources.pubmed_xml import parse_articles
    from tests.sources_support import PUBMED

    data = (PUBMED / "pubmed2.xml").read_bytes()
    first = data.index(b"<PubDate>")
    end = data.index(b"</PubDate>", first)
    changed = data[:first] + b"<PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate>" + data[end:]
    records = list(parse_articles(changed, Provenance("pubmed", "s")))
    assert records[0].year == 1998
    structured = (PUBMED / "efetch_pubmed_structured_abstract_37822558.xml").read_bytes()
    [record] = parse_articles(structured, Provenance("pubmed", "s"))
    assert (record.year, record.epub_year) == (2023, 2023)


def test_malformed_article_xml_is_located(tmp_path: Path) -> None:
    from rea.errors import ImportFormatError
    from rea.records import Provenance
    from rea.sources.pubmed_xml import parse_articles
    from tests.sources_support import PUBMED

    data = (PUBMED / "pubmed2.xml").read_bytes().replace(b"</ArticleTitle>", b"</Title>", 1)
    line = data[: data.index(b"</Title>")].count(b"\n") + 1
    with pytest.raises(ImportFormatError) as info:
        list(parse_articles(data, Provenance("pubmed", "s"), where="page.xml"))
    assert str(info.value.where).startswith(f"page.xml:{line}:")


def test_real_zero_hit_esearch_answer_gives_an_empty_search(tmp_path: Path) -> None:
    from tests.sources_support import PUBMED

    rec = tmp_path / "rec"
    (rec / "exchanges").mkdir(parents=True)
    (rec / "exchanges" / "esearch8.xml").write_bytes((PUBMED / "esearch8.xml").read_bytes())
    exchange = {
        "service": "pubmed",
        "path": "esearch.fcgi",
        "params": {"db": "pubmed", "term": "abcXYZ", "retmax": "9999", "retstart": "0"},
        "body_file": "esearch8.xml",
    }
    (rec / "exchanges" / "esearch8.json").write_text(json.dumps(exchange))
    exchange["params"]["retmax"] = "0"  # no hits is asked twice
    (rec / "exchanges" / "esearch8-again.json").write_text(json.dumps(exchange))
    task = SearchTask(stage="s", source="pubmed", query="abcXYZ")
    paths = make_review(tmp_path)
    with replay(rec) as server:
        result = run_searches(paths, [task], settings=settings_for(server), sleep=no_sleep)
    assert (result.tasks[0].reported_count, result.tasks[0].fetched_count) == (0, 0)
