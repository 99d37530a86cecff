"""The invariant every search keeps, whatever the services do: the distinct identifiers stored
equal the count reported and the search is complete, or the search says it is incomplete with
the number missing and is not used; a record the database does not hold is never stored, and
none twice. Checked over random sequences of faults on the replay server (real loopback HTTP),
not only case by case, so that a fault nobody listed breaks a test rather than a review."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rea.completeness import SearchState
from rea.errors import ReaError
from rea.pipeline.search import SearchTask, run_searches
from rea.sources.replay import ReplayServer
from rea.sources.snapshots import list_runs
from rea.store import open_store
from rea.store.records import iter_records
from rea.store.sources import current_record_ids
from tests.sources_support import (
    SCOPUS_QUERY,
    TERM,
    make_review,
    no_sleep,
    settings_for,
    write_scopus,
    write_small_pubmed,
)

#: faults that do not change what the database holds (every kind the server has, but the ones
#: that change the database or answer "no hits" without end, which the targeted tests cover
#: with their own expectations)
PUBMED_KINDS = [
    "http_429",
    "http_500",
    "http_503",
    "error_body",
    "empty_200",
    "truncated",
    "plain_text",
    "json_instead",
    "html_page",
    "bad_document",
    "drop_connection",
    "cut_connection",
    "short_batch",
    "empty_batch",
    "extra_record",
    "duplicate_record",
    "forbidden_characters",
    "post_refused",
    "wrong_count",
]
SCOPUS_KINDS = [
    "http_429",
    "http_500",
    "http_503",
    "error_body",
    "empty_200",
    "truncated",
    "plain_text",
    "xml_instead",
    "html_page",
    "bad_document",
    "drop_connection",
    "cut_connection",
    "cursor_stuck",
    "cursor_repeat",
    "empty_page",
    "same_page",
    "wrong_count",
]


def faults(kinds: list[str], paths: list[str | None]) -> st.SearchStrategy[list[dict[str, Any]]]:
    one = st.fixed_dictionaries(
        {
            "kind": st.sampled_from(kinds),
            "path": st.sampled_from(paths),
            "after": st.integers(0, 4),
            "times": st.sampled_from([1, 1, 2, 3, 5, -1]),
        }
    )
    return st.lists(one, max_size=5)


def check_invariant(
    paths: Any, truth: set[str], source: str, outcome: Any, error: ReaError | None
) -> None:
    with open_store(paths.store) as store:
        rows = [s.record for s in iter_records(store)]
        current = current_record_ids(store)
    ids = [r.source_id for r in rows]
    assert len(ids) == len(set(ids)), "a record stored twice"
    assert set(ids) <= truth, f"stored records the database does not hold: {set(ids) - truth}"
    [run] = list(list_runs(paths.root))
    if error is not None:
        # gave up: the run is resumable, never finished, and nothing of it is current
        assert not run.finished and current == []
        return
    assert run.finished
    [task] = outcome.tasks
    if task.state is SearchState.COMPLETE:
        assert set(ids) == truth and task.reported_count == len(truth) == task.fetched_count
        assert task.missing_count == 0 and len(current) == len(ids)
    else:
        assert task.state is SearchState.INCOMPLETE and current == []
        assert task.missing_count == max(0, (task.reported_count or 0) - len(set(ids)))
        assert task.missing_count or task.surplus_count or task.reasons


SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


@SETTINGS
@given(faults(PUBMED_KINDS, ["esearch.fcgi", "efetch.fcgi", None]))
def test_pubmed_keeps_the_invariant_under_any_faults(chosen: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        truth = set(
            write_small_pubmed(
                tmp / "rec", 430, term=TERM, first_pmid=90_000_001, years=(2013, 2018)
            )
        )
        task = SearchTask(
            "s", "pubmed", TERM, {"mindate": "2013", "maxdate": "2018"}, "2013-01-01", "2018-12-31"
        )
        paths = make_review(tmp)
        outcome = error = None
        with ReplayServer(tmp / "rec") as server:
            for fault in chosen:
                server.add_fault(service="pubmed", **fault)
            try:
                outcome = run_searches(paths, [task], settings=settings_for(server), sleep=no_sleep)
            except ReaError as exc:
                error = exc
        check_invariant(paths, truth, "pubmed", outcome, error)


@SETTINGS
@given(faults(SCOPUS_KINDS, [None]))
def test_scopus_keeps_the_invariant_under_any_faults(chosen: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        truth = set(write_scopus(tmp / "rec", 130))
        task = SearchTask("s", "scopus", SCOPUS_QUERY, {}, "2013-01-01", "2018-12-31")
        paths = make_review(tmp)
        outcome = error = None
        with ReplayServer(tmp / "rec") as server:
            for fault in chosen:
                server.add_fault(service="scopus", **fault)
            try:
                outcome = run_searches(
                    paths,
                    [task],
                    settings=settings_for(server, SCOPUS_API_KEY="key-0123456789"),
                    sleep=no_sleep,
                )
            except ReaError as exc:
                error = exc
        check_invariant(paths, truth, "scopus", outcome, error)
