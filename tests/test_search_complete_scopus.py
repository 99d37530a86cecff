"""Scopus searches that prove they are complete, driven through paging faults of the replay
server over real loopback HTTP: distinct EIDs against totalResults, restarts, slicing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from rea.completeness import SearchState
from rea.errors import SourceError
from rea.pipeline.search import SearchTask, run_searches
from rea.sources import scopus
from rea.sources.replay import ReplayServer
from rea.sources.snapshots import RunDir
from rea.store import open_store
from rea.store.records import iter_records
from tests.sources_support import (
    SCOPUS_QUERY,
    Searched,
    make_review,
    no_sleep,
    scopus_entry,
    search_through,
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
CURSOR_REFUSED = {"kind": "cursor_forbidden", "service": "scopus", "times": -1}


def search(
    tmp_path: Path,
    rec: Path,
    faults: list[dict[str, Any]] = (),  # type: ignore[assignment]
    *,
    task: SearchTask = TASK,
    **options: Any,
) -> Searched:
    return search_through(tmp_path, rec, task, faults, env={"SCOPUS_API_KEY": KEY}, **options)


def cursors(found: Searched) -> list[str]:
    return [r.params.get("cursor", "") for r in found.seen]


@pytest.mark.parametrize("kind", ["cursor_stuck", "cursor_repeat", "empty_page", "same_page"])
def test_a_faulty_page_is_asked_again_and_every_eid_is_kept_once(tmp_path: Path, kind: str) -> None:
    rec = tmp_path / "rec"
    eids = write_scopus(rec, 110)
    found = search(tmp_path, rec, [{"kind": kind, "service": "scopus", "after": 1}])
    assert found.ids == eids
    assert found.task.state is SearchState.COMPLETE and found.current == 110
    assert found.task.problems and "asking again" in found.task.problems[0]
    assert len(found.seen) == 6  # five pages, one of them asked twice


@pytest.mark.parametrize("kind", ["cursor_stuck", "cursor_repeat", "empty_page", "same_page"])
def test_a_fault_that_repeats_restarts_the_paging_from_the_first_page(
    tmp_path: Path, kind: str
) -> None:
    rec = tmp_path / "rec"
    eids = write_scopus(rec, 110)
    # the third page goes wrong three times in a row: the paging starts again from cursor=*
    faults = [{"kind": kind, "service": "scopus", "after": 2, "times": 3}]
    found = search(tmp_path, rec, faults)
    assert sorted(found.ids) == sorted(eids)
    assert found.task.state is SearchState.COMPLETE
    assert cursors(found).count("*") == 2
    assert found.manifest["passes"] == 2


def test_a_fault_on_every_page_ends_incomplete_with_the_number_missing(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_scopus(rec, 110)
    found = search(tmp_path, rec, [{"kind": "cursor_stuck", "service": "scopus", "times": -1}])
    assert found.task.state is SearchState.INCOMPLETE
    assert found.task.missing_count == 110 - len(found.ids) > 0
    assert len(found.ids) == len(set(found.ids))
    assert found.manifest["state"] == "incomplete" and found.current == 0


def test_records_shifting_under_start_paging_are_paged_again(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    eids = write_scopus(rec, 80)
    faults = [
        CURSOR_REFUSED,
        # after the first page, three records arrive at the front: the rest shifts by three
        {"kind": "insert_entries", "service": "scopus", "after": 2, "count": 3},
    ]
    found = search(tmp_path, rec, faults)
    assert found.task.state is SearchState.COMPLETE
    assert found.task.reported_count == 83 and len(set(found.ids)) == 83
    assert set(eids) <= set(found.ids)
    assert any("shifted" in p for p in found.task.problems)


def test_a_year_above_the_start_limit_is_cut_by_predicates_that_partition_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scopus, "START_LIMIT", 100)
    rec = tmp_path / "rec"
    entries = []
    for i in range(260):
        entry = scopus_entry(i, 2015 + (i >= 250))
        entry["subtype"] = ("ar", "ar", "re", "cp", "le")[i % 5]
        entries.append(entry)
    from rea.sources.replay import record_scopus_search

    record_scopus_search(rec, SCOPUS_QUERY, entries)
    task = SearchTask("s", "scopus", SCOPUS_QUERY, {}, "2015-01-01", "2016-12-31")
    found = search(tmp_path, rec, [CURSOR_REFUSED], server={"start_limit": 100}, task=task)
    assert sorted(found.ids) == sorted(e["eid"] for e in entries)
    assert found.task.state is SearchState.COMPLETE
    queries = {r.params["query"] for r in found.seen}
    assert f"({SCOPUS_QUERY}) AND DOCTYPE(ar)" in queries
    assert f"({SCOPUS_QUERY}) AND NOT DOCTYPE(ar)" in queries
    assert all(int(r.params.get("start", 0)) < 100 for r in found.seen)


def test_a_stale_cursor_on_resume_restarts_the_paging_without_blaming_the_query(
    tmp_path: Path,
) -> None:
    rec = tmp_path / "rec"
    eids = write_scopus(rec, 110)
    paths = make_review(tmp_path)
    with ReplayServer(rec) as first:
        first.add_fault("http_503", service="scopus", after=2, times=-1)
        with pytest.raises(SourceError, match="gave up"):
            run_searches(
                paths, [TASK], settings=settings_for(first, SCOPUS_API_KEY=KEY), sleep=no_sleep
            )
    [run_dir] = (paths.root / "runs").iterdir()
    said: list[str] = []
    with ReplayServer(rec) as later:  # a new server: its cursors are not the old ones
        result = run_searches(
            paths,
            resume=run_dir.name,
            settings=settings_for(later, SCOPUS_API_KEY=KEY),
            sleep=no_sleep,
            progress=said.append,
        )
        asked = [r.params.get("cursor") for r in later.requests]
    task = result.tasks[0]
    assert task.state is SearchState.COMPLETE
    assert asked[0] not in (None, "*") and asked[1] == "*"  # the stored cursor, then a restart
    assert any("no longer accepted" in p for p in task.problems)
    assert not any("query" in line.lower() and "check" in line.lower() for line in said)
    with open_store(paths.store) as store:
        stored = [s.record.eid for s in iter_records(store)]
    assert sorted(stored) == sorted(eids) and len(stored) == 110
    assert RunDir.open(paths.root, run_dir.name).finished


def test_the_standard_view_warning_does_not_ask_for_a_token_that_is_set(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_scopus(rec, 5, complete_view=False)
    paths = make_review(tmp_path)
    with ReplayServer(rec) as replay:
        settings = settings_for(replay, SCOPUS_API_KEY=KEY, SCOPUS_INSTTOKEN="token-abcdef")
        result = run_searches(paths, [TASK], settings=settings, sleep=no_sleep)
    [warning] = result.tasks[0].warnings
    assert "NO ABSTRACTS" in warning and "SCOPUS_INSTTOKEN is set" in warning
    assert "or set SCOPUS_INSTTOKEN" not in warning


def test_entries_without_an_eid_make_the_search_incomplete(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    entries = [scopus_entry(i, 2015) for i in range(30)]
    for entry in entries[:2]:
        del entry["eid"]
        del entry["dc:identifier"]
    from rea.sources.replay import record_scopus_search

    record_scopus_search(rec, SCOPUS_QUERY, entries)
    found = search(tmp_path, rec)
    assert found.task.state is SearchState.INCOMPLETE and found.task.missing_count == 2
    assert any("no EID" in p for p in found.task.problems)
    assert Counter(found.ids).most_common(1)[0][1] == 1


def test_no_hits_once_is_asked_again_before_it_is_believed(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    eids = write_scopus(rec, 30)
    found = search(tmp_path, rec, [{"kind": "zero_hits", "service": "scopus"}])
    assert found.ids == eids and found.task.state is SearchState.COMPLETE


def test_a_cursor_refused_after_the_first_page_pages_by_start_offsets(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    eids = write_scopus(rec, 60)
    faults = [{"kind": "cursor_forbidden", "service": "scopus", "after": 1, "times": -1}]
    found = search(tmp_path, rec, faults)
    assert sorted(found.ids) == sorted(eids) and found.task.state is SearchState.COMPLETE
    assert found.manifest["paging"] == "start"


def test_a_total_that_no_predicate_cuts_ends_incomplete_and_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scopus, "START_LIMIT", 100)
    rec = tmp_path / "rec"
    write_scopus(rec, 40, years=(2015, 2015))
    faults = [
        CURSOR_REFUSED,
        {"kind": "wrong_count", "service": "scopus", "times": -1, "count": 500},
    ]
    task = SearchTask("s", "scopus", SCOPUS_QUERY, {}, "2015-01-01", "2015-12-31")
    found = search(tmp_path, rec, faults, server={"start_limit": 100}, task=task)
    assert found.task.state is SearchState.INCOMPLETE and found.task.missing_count == 460
    assert len(found.seen) < 2 * len(scopus.SPLIT_PREDICATES) + 30


def test_records_deleted_while_cursor_paging_are_not_counted_against_one_missed(
    tmp_path: Path,
) -> None:
    """Two records deleted at the front while paging by cursor shift the rest back: one record
    is never on any page, and the deleted one was kept, so the counts agree by chance. Only a
    paging on a database that stayed still may be believed."""
    rec = tmp_path / "rec"
    eids = write_scopus(rec, 130)
    faults = [{"kind": "delete_entries", "service": "scopus", "times": 2, "count": 1}]
    found = search(tmp_path, rec, faults)
    assert found.task.state is SearchState.COMPLETE
    assert sorted(found.ids) == sorted(eids[2:])  # what the database holds at the end
    assert found.manifest["passes"] == 2


def test_a_cut_scopus_refuses_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scopus, "START_LIMIT", 100)
    monkeypatch.setattr(scopus, "SPLIT_PREDICATES", ("NOSUCHFIELD(x)", "DOCTYPE(ar)"))
    rec = tmp_path / "rec"
    entries = [scopus_entry(i, 2015) for i in range(150)]
    for i, entry in enumerate(entries):
        entry["subtype"] = "ar" if i % 2 else "re"
    from rea.sources.replay import record_scopus_search

    record_scopus_search(rec, SCOPUS_QUERY, entries)
    task = SearchTask("s", "scopus", SCOPUS_QUERY, {}, "2015-01-01", "2015-12-31")
    found = search(tmp_path, rec, [CURSOR_REFUSED], server={"start_limit": 100}, task=task)
    assert found.task.state is SearchState.COMPLETE and len(found.ids) == 150
    assert any("refused the cut NOSUCHFIELD(x)" in p for p in found.task.problems)
