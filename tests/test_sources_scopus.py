"""Scopus searches over the loopback replay server: views, paging, refusals and quotas."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from rea.errors import ConfigError, QuotaExceeded, SourceError
from rea.pipeline.search import SearchTask, run_searches
from rea.sources import scopus
from rea.sources.scopus import parse_reset
from rea.store import open_store
from rea.store.records import iter_records
from tests.sources_support import (
    SCOPUS_QUERY,
    make_review,
    no_sleep,
    replay,
    settings_for,
    write_scopus,
)

TASK = SearchTask(
    stage="2013-2018-all",
    source="scopus",
    query=SCOPUS_QUERY,
    params={},
    date_from="2013-01-01",
    date_to="2018-12-31",
)
KEY = "fake-scopus-key-0123456789"


def _search(tmp_path: Path, rec: Path, faults=(), task: SearchTask = TASK, **env: str):  # type: ignore[no-untyped-def]
    paths = make_review(tmp_path)
    with replay(rec) as server:
        for fault in faults:
            server.add_fault(**fault)
        settings = settings_for(server, SCOPUS_API_KEY=KEY, **env)
        result = run_searches(paths, [task], settings=settings, sleep=no_sleep)
        seen = list(server.requests)
    with open_store(paths.store) as store:
        records = [s.record for s in iter_records(store)]
    return paths, result, records, seen


def test_cursor_paging_in_complete_view(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    eids = write_scopus(rec, 60)
    _, result, records, seen = _search(tmp_path, rec)
    assert [r.eid for r in records] == eids
    assert seen[0].params.get("cursor") == "*"
    assert all(r.params["view"] == "COMPLETE" and r.params["count"] == "25" for r in seen)
    assert len(seen) == 3  # 25 + 25 + 10, stopping at the total
    assert seen[0].headers["X-ELS-APIKey"] == KEY
    first = records[0]
    assert first.abstract and first.authors[1].family == "Jones"
    assert first.doi and first.pmid and first.issn == ("0960-1643", "1478-5242")
    assert first.publication_types == ("Article",) and first.year == 2013
    assert result.tasks[0].reported_count == 60 and result.tasks[0].warnings == ()


def test_insttoken_is_sent_when_set(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_scopus(rec, 3)
    _, _, _, seen = _search(tmp_path, rec, SCOPUS_INSTTOKEN="fake-token-abcdef")
    assert seen[0].headers["X-ELS-Insttoken"] == "fake-token-abcdef"


def test_unentitled_key_falls_back_to_standard_with_a_loud_warning(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_scopus(rec, 30, complete_view=False)
    paths, result, records, seen = _search(tmp_path, rec)
    assert len(records) == 30
    assert all(not r.abstract for r in records)
    assert records[0].authors[0].family == "Smith"  # dc:creator only
    assert "NO ABSTRACTS" in result.tasks[0].warnings[0]
    assert [r.params["view"] for r in seen] == ["COMPLETE", "STANDARD"]
    manifest = (paths.root / result.path / "2013-2018-all/scopus/manifest.json").read_text()
    assert '"view": "STANDARD"' in manifest and "NO ABSTRACTS" in manifest


def test_refused_cursor_falls_back_to_start_offsets(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    eids = write_scopus(rec, 60)
    faults = [{"kind": "cursor_forbidden", "service": "scopus", "times": -1}]
    _, _result, records, seen = _search(tmp_path, rec, faults)
    assert sorted(r.eid for r in records) == sorted(eids)
    starts = [r.params["start"] for r in seen if "start" in r.params]
    assert starts[-3:] == ["0", "25", "50"]


def test_over_5000_without_cursor_splits_by_year(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    eids = write_scopus(rec, 5_100, years=(2013, 2014))
    faults = [{"kind": "cursor_forbidden", "service": "scopus", "times": -1}]
    task = SearchTask("s", "scopus", SCOPUS_QUERY, {}, "2013-01-01", "2014-12-31")
    _, _result, records, seen = _search(tmp_path, rec, faults, task=task)
    assert len(records) == 5_100 and set(r.eid for r in records) == set(eids)
    assert {r.params.get("date") for r in seen if "date" in r.params} == {"2013", "2014"}
    assert all(int(r.params.get("start", 0)) < 5000 for r in seen)


def test_empty_result_set_is_zero_hits(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_scopus(rec, 0)
    _, result, records, _ = _search(tmp_path, rec)
    assert records == []
    assert (result.tasks[0].reported_count, result.tasks[0].fetched_count) == (0, 0)


def test_throttling_429_is_retried(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_scopus(rec, 30)
    faults = [{"kind": "http_429", "service": "scopus", "retry_after": "2"}]
    _, _, records, seen = _search(tmp_path, rec, faults)
    assert len(records) == 30 and len(seen) == 3


@pytest.mark.parametrize(
    ("reset", "shown"),
    [
        ("1893456000", "2030-01-01 00:00 UTC"),
        ("1893456000000", "2030-01-01 00:00 UTC"),
        ("Tue, 01 Jan 2030 00:00:00 GMT", "2030-01-01 00:00 UTC"),
        ("garbage", "an unknown time"),
    ],
)
def test_quota_exceeded_stops_and_says_when_it_resets(
    tmp_path: Path, reset: str, shown: str
) -> None:
    rec = tmp_path / "rec"
    write_scopus(rec, 30)
    faults = [{"kind": "quota_exceeded", "service": "scopus", "reset": reset}]
    with pytest.raises(QuotaExceeded, match=f"resets at {shown}"):
        _search(tmp_path, rec, faults)


def test_reset_in_seconds_from_now() -> None:
    when = parse_reset("3600", now=1_800_000_000)
    assert when == datetime.fromtimestamp(1_800_003_600, tz=UTC)


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (400, "Bad query", "Scopus rejected the request (400): Bad query"),
        (401, "Invalid API Key", "Scopus refused the API key (401)"),
        (403, "Requestor is not entitled", "Scopus denied access (403)"),
    ],
)
def test_refusals_are_clear_errors(
    tmp_path: Path, status: int, message: str, expected: str
) -> None:
    import json

    from rea.sources.http import HttpResponse

    error = {"service-error": {"status": {"statusCode": "X", "statusText": message}}}
    body = json.dumps(error).encode()
    response = HttpResponse(status, {"content-type": "application/json"}, body, "http://x")
    with pytest.raises(SourceError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        scopus.check_scopus(response)


@pytest.mark.parametrize("kind", ["http_413", "http_414"])
def test_a_query_too_long_says_so_with_its_length(tmp_path: Path, kind: str) -> None:
    from rea.errors import QueryTooLong

    rec = tmp_path / "rec"
    write_scopus(rec, 5)
    faults = [{"kind": kind, "service": "scopus"}]
    with pytest.raises(QueryTooLong) as caught:
        _search(tmp_path, rec, faults)
    assert f"query too long (HTTP {kind[5:]}): the query is {len(SCOPUS_QUERY)} characters" in (
        caught.value.what
    )
    assert "block" not in caught.value.message().lower()


def test_bad_query_over_the_wire_fails_at_once(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_scopus(rec, 5)
    faults = [{"kind": "http_400", "service": "scopus", "message": "Error translating query"}]
    with pytest.raises(SourceError, match="Error translating query"):
        _search(tmp_path, rec, faults)


def test_missing_key_says_what_to_set(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    with replay(None) as server, pytest.raises(ConfigError, match="SCOPUS_API_KEY") as info:
        run_searches(paths, [TASK], settings=settings_for(server), sleep=no_sleep)
    assert "--source pubmed" in str(info.value.hint)
    assert not (paths.root / "runs").exists() or not any((paths.root / "runs").iterdir())


def test_a_creator_with_a_particle_keeps_the_whole_surname() -> None:
    from rea.records import Provenance
    from rea.sources.scopus import entry_record

    entry = {"eid": "2-s2.0-1", "dc:title": "T", "dc:creator": "van der Berg J."}
    record = entry_record(entry, Provenance(source="scopus", stage="s"))
    assert (record.authors[0].family, record.authors[0].given) == ("van der Berg", "J.")
