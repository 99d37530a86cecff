"""Prioritised screening in a review: the ranked queue, blinding, stopping, PRISMA automation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rea.errors import ConfigError, ScreeningError
from rea.pipeline import ranking as rp
from rea.pipeline import screening as sp
from rea.screening import Phase, load_screening_config
from rea.store import open_store
from tests.helpers import run_cli
from tests.ranking_support import labelled_set, make_ranked_review

TA = Phase.TITLE_ABSTRACT


def _review(tmp_path: Path, order: str = "prioritised") -> tuple[Path, list[bool]]:
    texts, labels = labelled_set(n=120, included=12, seed=4)
    paths = make_ranked_review(tmp_path, texts, order=order)
    return paths.root, labels


def _work(labels: list[bool], included: bool, nth: int = 0) -> int:
    """The work id (1-based) of the nth include (or exclude)."""
    return [i + 1 for i, x in enumerate(labels) if x is included][nth]


def test_queue_learns_from_own_decisions_and_records_the_order(tmp_path: Path) -> None:
    root, labels = _review(tmp_path)
    paths = sp.ReviewPaths(root)
    context = sp.open_screen(paths, TA, "AH")
    try:
        session = context.session
        assert isinstance(session, rp.RankedSession)
        assert session.order.name == "random"  # no include and exclude yet
        sp.decide(paths, _work(labels, True), "include", phase=TA, reviewer="AH")
        sp.decide(paths, _work(labels, False), "exclude", phase=TA, reviewer="AH")
    finally:
        context.close()
    context = sp.open_screen(paths, TA, "AH")
    try:
        session = context.session
        assert isinstance(session, rp.RankedSession)
        assert session.ranker.wait_until_current(60)
        assert session.refresh()
        assert session.order.name == "prioritised"
        # the first ten works shown: most of them are includes (12 of 118 left in all)
        shown = []
        for _ in range(10):
            assert session.current is not None
            work = session.current.work_id
            shown.append(labels[work - 1])
            session.decide(sp.Decision.INCLUDE if labels[work - 1] else sp.Decision.EXCLUDE)
            # the reviewer reads the work while the ranker retrains; here: wait for it
            assert session.ranker.wait_until_current(60)
            session.refresh()
        assert sum(shown) >= 5
    finally:
        context.close()
    with open_store(paths.store, create=False) as store:
        orders = [r[0] for r in store.conn.execute("SELECT queue_order FROM decisions")]
    assert orders[:2] == ["", ""]  # rea decide: not from a queue
    assert set(orders[2:]) == {"prioritised"}


def test_a_blind_reviewer_never_learns_from_unreconciled_decisions(tmp_path: Path) -> None:
    root, labels = _review(tmp_path)
    paths = sp.ReviewPaths(root)
    inc, exc = _work(labels, True), _work(labels, False)
    sp.decide(paths, inc, "include", phase=TA, reviewer="MS")
    sp.decide(paths, exc, "exclude", phase=TA, reviewer="MS")
    config = load_screening_config(paths.screening)
    with open_store(paths.store, create=False) as store:
        # MS's decisions are not final (AH has not screened those works): AH sees nothing
        assert rp.reviewer_labels(store, config, TA, "AH") == {}
        assert rp.reviewer_labels(store, config, TA, "MS") == {inc: True, exc: False}
    context = sp.open_screen(paths, TA, "AH")
    try:
        session = context.session
        assert isinstance(session, rp.RankedSession)
        assert not session.ranker.wait_for_model(1.0)
        assert session.order.name == "random"
    finally:
        context.close()
    # once both agree the decisions are final and every reviewer's queue may use them
    sp.decide(paths, inc, "include", phase=TA, reviewer="AH")
    sp.decide(paths, exc, "exclude", phase=TA, reviewer="AH")
    with open_store(paths.store, create=False) as store:
        assert rp.reviewer_labels(store, config, TA, "AH") == {inc: True, exc: False}
    # a disagreement stays out of the other reviewer's model until it is resolved
    other = _work(labels, False, 1)
    sp.decide(paths, other, "include", phase=TA, reviewer="MS")
    sp.decide(paths, other, "exclude", phase=TA, reviewer="AH")
    with open_store(paths.store, create=False) as store:
        assert rp.reviewer_labels(store, config, TA, "MS")[other] is True
        assert rp.reviewer_labels(store, config, TA, "AH")[other] is False


def test_random_order_and_bad_settings(tmp_path: Path) -> None:
    root, _ = _review(tmp_path, order="random")
    paths = sp.ReviewPaths(root)
    assert rp.load_ranking_settings(paths.screening).order is rp.Order.RANDOM
    context = sp.open_screen(paths, TA, "AH")
    try:
        assert context.session.order.name == "random"
        ids = [context.session.current.work_id] if context.session.current else []
        assert ids and ids != [1]  # not the id order
    finally:
        context.close()
    text = paths.screening.read_text(encoding="utf-8").replace('"random"', '"smart"')
    paths.screening.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown queue order 'smart'"):
        rp.load_ranking_settings(paths.screening)


@pytest.mark.slow
def test_stats_show_stopping_and_a_stop_is_recorded_for_prisma(tmp_path: Path) -> None:
    root, labels = _review(tmp_path)
    paths = sp.ReviewPaths(root)
    review = ["--review", str(root)]
    result = run_cli(["screen", "stop", *review, "--phase", "title_abstract", "--by", "AH",
                      "--rule", "consecutive"], cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert "no include yet" in result.stderr
    # both reviewers screen the first 80 works alike (final decisions), 40 stay unscreened
    with sp.opened(paths) as (store, config):
        for work in range(1, 81):
            for reviewer in ("AH", "MS"):
                decision = sp.Decision.INCLUDE if labels[work - 1] else sp.Decision.EXCLUDE
                request = sp.DecisionRequest(work, TA, reviewer, decision)
                sp.record_decision(store, config, request)
    result = run_cli(["screen", "stats", *review], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "stopping: about" in result.stdout
    assert "consecutive excludes:" in result.stdout and "statistical:" in result.stdout
    result = run_cli(["screen", "stop", *review, "--phase", "title_abstract", "--by", "MS",
                      "--rule", "judgement", "--note", "time is up"], cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "40 works never screened" in result.stdout
    data = json.loads(run_cli(["screen", "stats", *review, "--json"], cwd=tmp_path).stdout)
    ta = next(p for p in data if p["phase"] == "title_abstract")
    assert ta["stopping"]["stopped"]["by"] == "MS"
    assert ta["stopping"]["screened"] == 80
    with open_store(paths.store, create=False) as store:
        excluded = rp.automation_exclusions(store, TA)
        assert excluded.stopped and excluded.count == 40 and excluded.rule == "judgement"
        # a work screened after the stop is no longer counted as excluded by automation
    sp.decide(paths, 81, "exclude", phase=TA, reviewer="AH")
    with open_store(paths.store, create=False) as store:
        assert rp.automation_exclusions(store, TA).count == 39
    rp.record_stop(paths, phase=TA, by="AH", rule="judgement", withdraw=True)
    with open_store(paths.store, create=False) as store:
        assert not rp.automation_exclusions(store, TA).stopped
    with pytest.raises(ScreeningError, match="nothing to withdraw"):
        rp.record_stop(paths, phase=TA, by="AH", rule="judgement", withdraw=True)


def test_a_ranker_failure_is_raised_on_the_session_thread(tmp_path: Path) -> None:
    root, labels = _review(tmp_path)
    paths = sp.ReviewPaths(root)
    sp.decide(paths, _work(labels, True), "include", phase=TA, reviewer="AH")
    sp.decide(paths, _work(labels, False), "exclude", phase=TA, reviewer="AH")
    context = sp.open_screen(paths, TA, "AH")
    try:
        session = context.session
        assert isinstance(session, rp.RankedSession)
        assert session.ranker.wait_until_current(60)
        session.ranker.error = ValueError("boom")
        with pytest.raises(RuntimeError, match="ranking model failed"):
            session.refresh()
    finally:
        context.close()


def test_features_are_cached_in_the_review_folder(tmp_path: Path) -> None:
    root, labels = _review(tmp_path)
    paths = sp.ReviewPaths(root)
    sp.decide(paths, _work(labels, True), "include", phase=TA, reviewer="AH")
    sp.decide(paths, _work(labels, False), "exclude", phase=TA, reviewer="AH")
    scores = []
    for _ in range(2):
        context = sp.open_screen(paths, TA, "AH")
        try:
            session = context.session
            assert isinstance(session, rp.RankedSession)
            assert session.ranker.wait_until_current(60)
            scores.append(session.ranker.latest()[1])
        finally:
            context.close()
        cached = list((root / "ranking").glob("features-*.npz"))
        assert len(cached) == 1
        if len(scores) == 1:
            first = cached[0].stat().st_mtime_ns
    assert cached[0].stat().st_mtime_ns == first  # read, not written again
    assert scores[0] == scores[1]
