"""PubMed searches that prove they are complete, driven through faults of the replay server over
real loopback HTTP: what is stored, what the manifest says, the state and the exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rea.cli import main
from rea.completeness import SearchState
from rea.errors import SourceError, UnreadableAnswer
from rea.pipeline.search import SearchTask, run_searches
from rea.query import load_strategy, render
from rea.sources import pubmed
from rea.sources.replay import ReplayServer
from rea.store import open_store
from rea.store.sources import current_record_ids, search_aliases
from tests.sources_support import (
    STRATEGY,
    TERM,
    Searched,
    make_review,
    no_sleep,
    search_through,
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


def search(
    tmp_path: Path,
    rec: Path,
    faults: list[dict[str, Any]] = (),  # type: ignore[assignment]
    *,
    task: SearchTask = TASK,
    **options: Any,
) -> Searched:
    return search_through(tmp_path, rec, task, faults, **options)


def stored_pages(found: Searched) -> list[bytes]:
    return [p.read_bytes() for p in (found.paths.root / found.result.path).rglob("pages/*.xml")]


def test_records_not_asked_for_are_never_stored(tmp_path: Path) -> None:
    """An answer holding a PMID outside its batch, one from another batch, and one twice."""
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 450)
    faults = [
        {"kind": "extra_record", "service": "pubmed", "path": "efetch.fcgi", "pmid": pmids[-1]},
        {"kind": "extra_record", "service": "pubmed", "path": "efetch.fcgi", "after": 1},
        {"kind": "duplicate_record", "service": "pubmed", "path": "efetch.fcgi", "times": -1},
    ]
    found = search(tmp_path, rec, faults)
    assert found.ids == pmids  # each once, in the listed order, nothing else
    assert found.task.state is SearchState.COMPLETE
    assert (found.task.reported_count, found.task.fetched_count) == (450, 450)
    assert any("not asked for" in p for p in found.task.problems)
    assert found.current == 450


def test_a_merged_pmid_is_an_alias_and_its_record_is_stored_once(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 30)
    old, new = pmids[3], pmids[20]  # both listed: the record must not be stored twice
    gone, elsewhere = pmids[5], "90000999"  # listed, merged into a PMID the search did not list
    write_pubmed(rec, 1, term="another", first_pmid=int(elsewhere))
    found = search(tmp_path, rec, merged={old: new, gone: elsewhere})
    assert sorted(found.ids) == sorted([p for p in pmids if p not in (old, gone)] + [elsewhere])
    assert len(found.ids) == len(set(found.ids))
    assert found.task.state is SearchState.COMPLETE
    assert found.manifest["aliases"] == {old: new, gone: elsewhere}
    with open_store(found.paths.store) as store:
        assert search_aliases(store, found.result.run_id, TASK.stage, "pubmed") == {
            old: new,
            gone: elsewhere,
        }


def test_an_empty_batch_is_asked_for_again_not_read_from_the_first_answer(
    tmp_path: Path,
) -> None:
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 40)
    found = search(tmp_path, rec, [{"kind": "empty_batch", "path": "efetch.fcgi"}])
    assert found.ids == pmids and found.task.state is SearchState.COMPLETE
    fetches = [r for r in found.seen if r.path == "efetch.fcgi"]
    assert len(fetches) == 2 and fetches[0].params["id"] == fetches[1].params["id"]
    sets = [p for p in stored_pages(found) if b"PubmedArticleSet" in p]
    assert len(sets) == 2  # the empty first answer and the second, each kept as it came


@pytest.mark.parametrize(
    "kind",
    [
        "empty_200",
        "truncated",
        "plain_text",
        "json_instead",
        "html_page",
        "bad_document",
        "error_body",
        "cut_connection",
    ],
)
@pytest.mark.parametrize("endpoint", ["esearch.fcgi", "efetch.fcgi"])
def test_an_answer_that_is_not_data_is_retried_and_never_stored(
    tmp_path: Path, kind: str, endpoint: str
) -> None:
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 12)
    found = search(tmp_path, rec, [{"kind": kind, "path": endpoint, "times": 2}])
    assert found.ids == pmids and found.task.state is SearchState.COMPLETE
    assert len([r for r in found.seen if r.path == endpoint]) == 3
    root = found.paths.root / found.result.path
    bodies = [p for p in root.rglob("pages/*") if not p.name.endswith(".meta.json")]
    assert len(bodies) == 2  # one esearch and one efetch answer: nothing else was kept
    for body in bodies:
        data = body.read_bytes().strip()
        assert data.startswith(b"<?xml") and data.endswith((b"</eSearchResult>", b"Set>"))


def test_a_permanent_error_is_reported_after_a_few_tries_as_what_pubmed_said(
    tmp_path: Path,
) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 5)
    message = "Search Backend failed: Exception: database is unavailable"
    faults = [{"kind": "error_body", "path": "esearch.fcgi", "times": -1, "message": message}]
    with pytest.raises(UnreadableAnswer) as caught:
        search(tmp_path, rec, faults)
    assert message in caught.value.what and "4 times in a row" in caught.value.what


def test_a_record_pubmed_never_serves_readably_is_found_and_reported(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 40)
    bad = pmids[13]
    faults = [
        {
            "kind": "error_body",
            "path": "efetch.fcgi",
            "times": -1,
            "match": {"id": bad},
            "message": "Unable to obtain query #1",
        }
    ]
    found = search(tmp_path, rec, faults)
    assert found.ids == [p for p in pmids if p != bad]
    assert found.task.state is SearchState.INCOMPLETE and found.task.missing_count == 1
    assert any("Unable to obtain query #1" in r and bad in r for r in found.task.reasons)
    assert found.manifest["state"] == "incomplete" and found.manifest["missing_pmids"] == [bad]
    assert found.current == 0  # never the current search


def test_characters_xml_forbids_are_dropped_counted_and_the_record_read(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 10)
    faults = [{"kind": "forbidden_characters", "path": "efetch.fcgi", "times": -1}]
    found = search(tmp_path, rec, faults)
    assert found.ids == pmids and found.task.state is SearchState.COMPLETE
    assert found.manifest["dropped_characters"] == 2
    assert any(b"\x0b" in page for page in stored_pages(found))  # the answer kept as it came


def test_esearch_messages_are_kept_shown_and_an_error_when_strict(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 10)
    said = {
        "errors": {"PhraseNotFound": "primary care netwrk"},
        "warnings": {
            "QuotedPhraseNotFound": '"gp federation"',
            "OutputMessage": "Wildcard search for 'netw*' used only the first 600 variations.",
        },
    }
    faults = [{"kind": "esearch_messages", "path": "esearch.fcgi", "times": -1, **said}]
    found = search(tmp_path, rec, faults)
    expected = [
        ["PhraseNotFound", "primary care netwrk"],
        ["QuotedPhraseNotFound", '"gp federation"'],
        ["OutputMessage", "Wildcard search for 'netw*' used only the first 600 variations."],
    ]
    assert found.manifest["esearch_messages"] == expected
    assert [list(m) for m in found.task.messages] == expected
    assert found.task.state is SearchState.COMPLETE  # what PubMed ran was fetched whole
    with pytest.raises(SourceError, match="PubMed did not run the query as written") as caught:
        search(tmp_path / "strict", rec, faults, strict=True)
    assert "PhraseNotFound: primary care netwrk" in caught.value.what


def test_count_growing_past_the_cap_between_calls_plans_from_each_calls_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pubmed, "ESEARCH_CAP", 50)
    rec = tmp_path / "rec"
    write_pubmed(rec, 55, years=(2013, 2013))
    # after the first esearch (55 > 50: two slices), 40 records arrive in the first slice
    faults = [
        {"kind": "grow", "path": "esearch.fcgi", "after": 1, "count": 40, "pdat": "2013/02/01"}
    ]
    found = search(tmp_path, rec, faults, server={"esearch_cap": 50})
    assert found.task.state is SearchState.COMPLETE
    assert (found.task.reported_count, found.task.fetched_count) == (95, 95)
    assert len(set(found.ids)) == 95
    listed = [r for r in found.seen if r.path == "esearch.fcgi"]
    assert len(listed) >= 5  # the whole range, two slices, the grown slice cut again, recount


def test_one_day_over_the_cap_is_cut_by_pmid_ranges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pubmed, "ESEARCH_CAP", 50)
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 130, years=(2015, 2015))
    search_file = next((rec / "pubmed" / "searches").glob("*.json"))
    recorded = json.loads(search_file.read_text())
    for item in recorded["ids"]:
        item["pdat"] = "2015/06/01"  # every record on one day
    search_file.write_text(json.dumps(recorded))
    found = search(tmp_path, rec, server={"esearch_cap": 50})
    assert sorted(found.ids) == sorted(pmids)
    assert found.task.state is SearchState.COMPLETE and not found.task.warnings
    terms = [r.params["term"] for r in found.seen if r.path == "esearch.fcgi"]
    assert any(t.endswith("[uid]") for t in terms)


def test_a_count_the_listing_never_matches_is_incomplete_and_not_current(
    tmp_path: Path,
) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 10, count=12)
    found = search(tmp_path, rec)
    assert found.task.state is SearchState.INCOMPLETE
    assert (found.task.reported_count, found.task.fetched_count) == (12, 10)
    assert found.task.missing_count == 2
    assert found.manifest["state"] == "incomplete" and found.manifest["missing_count"] == 2
    assert found.current == 0
    accepted = search(tmp_path / "accepted", rec, accept_incomplete=True)
    assert accepted.task.state is SearchState.ACCEPTED and accepted.current == 10


def test_the_cli_exits_3_on_an_incomplete_search_and_runs_accept_makes_it_current(
    tmp_path: Path,
) -> None:
    rec = tmp_path / "rec"
    term = render(load_strategy(STRATEGY), "pubmed", TASK.stage).text
    write_pubmed(rec, 10, count=12, term=term)
    paths = make_review(tmp_path)
    runner = CliRunner()
    with ReplayServer(rec) as replay:
        env = {**replay.env(), "NCBI_API_KEY": "", "SCOPUS_API_KEY": ""}
        args = ["search", "--review", str(paths.root), "--stage", TASK.stage]
        result = runner.invoke(main, [*args, "--source", "pubmed"], env=env)
    assert result.exit_code == 3, result.output
    assert "INCOMPLETE: 2 missing" in result.stdout
    assert "why: the database reported 12 records but listed 10" in result.stdout
    assert "not used for dedup and PRISMA" in result.stderr
    listed = runner.invoke(main, ["runs", "--review", str(paths.root)])
    assert "INCOMPLETE: 2 missing" in listed.stdout and "[current]" not in listed.stdout
    run_id = listed.stdout.split()[0]
    accepted = runner.invoke(
        main, ["runs", "accept", run_id, "--review", str(paths.root), "--note", "checked"]
    )
    assert accepted.exit_code == 0, accepted.output
    assert f"accepted {TASK.stage}/pubmed of run {run_id} (2 missing)" in accepted.stdout
    listed = runner.invoke(main, ["runs", "--review", str(paths.root)])
    assert "incomplete, accepted as current: 2 missing  [current]" in listed.stdout
    again = runner.invoke(main, ["runs", "accept", run_id, "--review", str(paths.root)])
    assert again.exit_code == 1 and "no incomplete search to accept" in again.stderr


def test_the_report_shows_incomplete_searches_and_pubmed_messages_beside_the_query(
    tmp_path: Path,
) -> None:
    from rea.pipeline import dedup
    from rea.pipeline.prisma import build_report
    from tests.prisma_support import Builder

    rec = tmp_path / "rec"
    strategy = load_strategy(STRATEGY)
    stage = strategy.stage(TASK.stage)
    term = render(strategy, "pubmed", TASK.stage).text
    write_pubmed(rec, 10, count=12, term=term, years=(2014, 2014))
    paths = make_review(tmp_path)
    task = SearchTask(
        TASK.stage, "pubmed", term, {}, stage.date_from.isoformat(), stage.date_to.isoformat()
    )
    said = {"errors": {"PhraseNotFound": "super partnership*"}}
    with ReplayServer(rec) as replay:
        replay.add_fault("esearch_messages", path="esearch.fcgi", times=-1, **said)
        settings = settings_for(replay)
        run_searches(paths, [task], settings=settings, sleep=no_sleep, accept_incomplete=True)
        later = run_searches(paths, [task], settings=settings, sleep=no_sleep)
    dedup.run(paths)
    with open_store(paths.store) as store:  # both reviewers exclude every work: a whole flow
        screened = Builder(store)
        for (work_id,) in store.conn.execute("SELECT work_id FROM works").fetchall():
            screened.works[str(work_id)] = int(work_id)
            screened.both(str(work_id), "title_abstract", "exclude", "off topic")
    html = build_report(paths).html.read_text(encoding="utf-8")
    section = html[html.index('<section id="strategy">') : html.index('<section id="provenance">')]
    assert "This search is incomplete: 2 of the records the database reported" in section
    assert "accepted as the current search (rea search --accept-incomplete)" in section
    assert f"The latest search (run {later.run_id}) is incomplete: 2 records missing" in section
    assert "<strong>PhraseNotFound</strong>: super partnership*" in section


def test_runs_diff_says_when_a_side_is_incomplete(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 10)
    paths = make_review(tmp_path)
    with ReplayServer(rec) as replay:
        first = run_searches(paths, [TASK], settings=settings_for(replay), sleep=no_sleep)
        # the second time, PubMed lists the same ids but one is never served
        replay.add_fault("short_batch", path="efetch.fcgi", times=-1, match={"id": pmids[-1]})
        second = run_searches(paths, [TASK], settings=settings_for(replay), sleep=no_sleep)
    assert second.tasks[0].state is SearchState.INCOMPLETE
    shown = CliRunner().invoke(
        main, ["runs", "diff", first.run_id, second.run_id, "--review", str(paths.root)]
    )
    assert f"{TASK.stage} / pubmed: 10 -> 9 (+0 added, -1 removed)" in shown.stdout
    assert f"the search of run {second.run_id} is incomplete (1 missing)" in shown.stdout
    with open_store(paths.store) as store:  # the complete first run stays the current one
        assert len(current_record_ids(store)) == 10


def test_no_hits_once_is_asked_again_before_it_is_believed(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 12)
    found = search(tmp_path, rec, [{"kind": "zero_hits", "path": "esearch.fcgi"}])
    assert found.ids == pmids and found.task.state is SearchState.COMPLETE
    assert any("counted 0 records, then 12" in p for p in found.task.problems)


def test_a_server_that_refuses_post_is_asked_by_get(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    pmids = write_pubmed(rec, 12)
    found = search(tmp_path, rec, [{"kind": "post_refused", "times": -1}])
    assert found.ids == pmids and found.task.state is SearchState.COMPLETE
    assert [r.method for r in found.seen] == ["POST", "GET", "GET"]


def test_a_count_that_stays_over_the_cap_however_narrow_the_slice_ends_incomplete(
    tmp_path: Path,
) -> None:
    rec = tmp_path / "rec"
    write_pubmed(rec, 10)
    faults = [{"kind": "wrong_count", "path": "esearch.fcgi", "times": -1, "count": 20_000}]
    found = search(tmp_path, rec, faults)
    assert found.task.state is SearchState.INCOMPLETE and found.task.reported_count == 20_000
    assert found.task.missing_count == 20_000 - 10
    listed = [r for r in found.seen if r.path == "esearch.fcgi"]
    budget = pubmed.SLICE_BUDGET + 10 * 3  # the slices 20,000 may use, then the rounds stop
    assert len(listed) <= budget + 5  # bounded, not a split without end
