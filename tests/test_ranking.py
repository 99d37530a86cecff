"""The ranker, queue orders, metrics and stopping rules (rea.ranking)."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from rea.errors import ReaError
from rea.ranking.metrics import atd, evaluate, recall_curve, rrf, wss
from rea.ranking.model import featurize, train_and_score
from rea.ranking.order import Order, next_works, retrain_due
from rea.ranking.simulation import simulate
from rea.ranking.stopping import Verdict, assess, buscar_p_value, relevant_left_upper
from tests.ranking_support import labelled_set


def _ranks(relevant_positions: list[int], n: int) -> list[bool]:
    return [i in relevant_positions for i in range(1, n + 1)]


def test_metrics_on_a_hand_made_ranking() -> None:
    # 10 records, relevant at positions 1, 2 and 5
    labels = _ranks([1, 2, 5], 10)
    # 95 % of 3 relevant rounds up to 3, reached after 5 records: 1 - 5/10 - 0.05
    assert wss(labels, 10, 3) == pytest.approx(45.0)
    # 10 % of 10 records = the first record: 1 of 3 found
    assert rrf(labels, 10, 3) == pytest.approx(100 / 3)
    # 0, 1 and 4 records screened before each: (0 + 0.1 + 0.4) / 3
    assert atd(labels, 10, 3) == pytest.approx(100 * 0.5 / 3)
    assert recall_curve(labels) == [(0, 0), (1, 1), (2, 2), (5, 3)]


def test_metrics_of_perfect_and_worst_rankings() -> None:
    perfect = evaluate(_ranks([1, 2], 100), 100)
    assert (perfect.wss95, perfect.rrf10, perfect.atd) == pytest.approx((93.0, 100.0, 0.5))
    worst = evaluate(_ranks([99, 100], 100), 100)
    assert (worst.wss95, worst.rrf10, worst.atd) == pytest.approx((-5.0, 0.0, 98.5))


def test_metrics_count_records_never_screened() -> None:
    # the replay stopped after the last relevant record: 20 of 200 records screened
    labels = _ranks([3, 20], 20)
    m = evaluate(labels, 200)
    assert m.wss95 == pytest.approx(100 * (1 - 20 / 200 - 0.05))
    assert m.rrf10 == pytest.approx(100.0)
    with pytest.raises(ReaError, match="finds 1 of 2"):
        atd(_ranks([3], 20), 200, 2)


def test_ranker_scores_includes_above_excludes() -> None:
    texts, labels = labelled_set()
    features = featurize(texts)
    known = {i: labels[i] for i in range(60)}  # the first 60 decisions (3 or so includes)
    assert True in known.values()
    scores = train_and_score(features, known)
    unseen = range(60, len(texts))
    inc = [scores[i] for i in unseen if labels[i]]
    exc = [scores[i] for i in unseen if not labels[i]]
    # the share of (include, exclude) pairs ranked correctly (the AUC)
    auc = sum(a > b for a in inc for b in exc) / (len(inc) * len(exc))
    assert auc > 0.85


def test_ranker_needs_an_include_and_an_exclude() -> None:
    features = featurize(["a b c", "d e f", "g h i"])
    with pytest.raises(ReaError, match="one include and one exclude"):
        train_and_score(features, {0: True, 1: True})


def test_prioritised_screening_finds_includes_far_sooner_than_random() -> None:
    texts, labels = labelled_set()
    features = featurize(texts)
    prioritised, random_order = [], []
    for seed in range(4):
        for order, out in ((Order.PRIORITISED, prioritised), (Order.RANDOM, random_order)):
            run = simulate(features, labels, seed=seed, order=order)
            out.append(run.metrics())
    p_wss = statistics.fmean(m.wss95 for m in prioritised)
    r_wss = statistics.fmean(m.wss95 for m in random_order)
    p_atd = statistics.fmean(m.atd for m in prioritised)
    r_atd = statistics.fmean(m.atd for m in random_order)
    # random order saves nothing on average (WSS about 0, ATD about 50 %)
    assert p_wss > r_wss + 30
    assert p_atd < r_atd / 2


def test_simulation_excludes_prior_records_and_is_repeatable() -> None:
    texts, labels = labelled_set(n=200, included=10)
    features = featurize(texts)
    a = simulate(features, labels, seed=3)
    b = simulate(features, labels, seed=3)
    assert a.screened == b.screened
    assert len(a.prior) == 2
    assert labels[a.prior[0]] and not labels[a.prior[1]]
    assert not set(a.prior) & set(a.screened)
    assert a.n_pool == 198 and a.n_relevant == 9
    # the replay ends at the last relevant record: all 9 found, and the last one screened is one
    assert sum(a.screened_labels()) == 9 and a.screened_labels()[-1]


def test_queue_is_random_until_a_model_exists_then_by_score() -> None:
    works = [11, 12, 13, 14, 15]
    no_model = next_works(works, None, Order.PRIORITISED, seed=1, step=0, limit=5)
    assert sorted(p.key for p in no_model) == works
    assert {p.picked_by for p in no_model} == {Order.RANDOM}
    scores = {11: 0.1, 12: 2.0, 13: -1.0, 14: 0.5, 15: 1.0}
    ranked = next_works(works, scores, Order.PRIORITISED, seed=1, step=0, limit=5)
    assert [p.key for p in ranked] == [12, 15, 14, 11, 13]
    assert next_works(works, scores, Order.PRIORITISED, seed=9, step=4)[0].key == 12
    # the same step gives the same work; random order ignores the scores
    again = next_works(works, scores, Order.RANDOM, seed=1, step=2)
    assert again == next_works(works, scores, Order.RANDOM, seed=1, step=2)


def test_mixed_order_takes_about_its_share_at_random() -> None:
    works = list(range(2000))
    scores = {w: float(w) for w in works}
    picks = next_works(works, scores, Order.MIXED, seed=5, step=0, limit=1000, random_share=0.2)
    random_share = sum(p.picked_by is Order.RANDOM for p in picks) / len(picks)
    assert 0.15 < random_share < 0.25
    assert len({p.key for p in picks}) == 1000
    by_score = [p.key for p in picks if p.picked_by is Order.PRIORITISED]
    assert by_score == sorted(by_score, reverse=True)
    assert by_score[0] == 1999


def test_unknown_order_is_a_clear_error() -> None:
    assert Order.parse(" Mixed ") is Order.MIXED
    with pytest.raises(ReaError, match="unknown queue order 'smart'"):
        Order.parse("smart")


def test_retraining_schedule() -> None:
    assert retrain_due(5, None)
    assert all(retrain_due(n, n - 1) for n in range(2, 101))  # every decision up to 100
    assert not retrain_due(2000, 1961) and retrain_due(2000, 1960)  # every 40 at 2,000
    assert not retrain_due(20_000, 19_601) and retrain_due(20_000, 19_600)


def test_stop_after_includes_dry_up() -> None:
    # 1,000 works: 40 includes among the first 100 screened, then 800 excludes in a row
    decisions = [i % 5 < 2 for i in range(100)] + [False] * 800
    report = assess(decisions, 1000)
    assert report.consecutive.verdict is Verdict.STOP
    assert report.statistical.verdict is Verdict.STOP
    assert report.p_value < 0.05
    assert report.relevant_left_upper <= 2
    assert report.estimated_relevant_left == 0
    # the same run with 400 works still unscreened: 3 more relevant ones are not ruled out
    early = assess(decisions[:600], 1000)
    assert early.consecutive.verdict is Verdict.STOP
    assert early.statistical.verdict is Verdict.CONTINUE


def test_continue_while_includes_keep_coming() -> None:
    # 500 of 1,000 works screened, an include every 25th: about 20 more are likely left
    decisions = [i % 25 == 0 for i in range(500)]
    report = assess(decisions, 1000)
    assert report.consecutive.verdict is Verdict.CONTINUE
    assert report.statistical.verdict is Verdict.CONTINUE
    assert report.estimated_relevant_left == pytest.approx(20.0)
    assert report.relevant_left_upper >= 20
    assert report.p_value > 0.5


def test_too_early_without_an_include() -> None:
    report = assess([False] * 30, 1000)
    assert report.consecutive.verdict is Verdict.TOO_EARLY
    assert report.statistical.verdict is Verdict.TOO_EARLY


def test_statistical_rule_depends_on_the_recall_target() -> None:
    # 20 includes early, then a run of 150 excludes among 2,000 works (1,000 unscreened)
    decisions = [i % 10 == 0 for i in range(200)] + [False] * 650 + [False] * 150
    loose = buscar_p_value(decisions, 2000, recall_target=0.8)
    strict = buscar_p_value(decisions, 2000, recall_target=0.99)
    assert loose < 0.05 < strict
    assert relevant_left_upper(decisions, 2000, 0.95) < relevant_left_upper(decisions, 2000, 0.99)


def test_everything_screened_means_stop() -> None:
    decisions = [True, False, False, True] + [False] * 6
    report = assess(decisions, 10)
    assert report.remaining == 0 and report.relevant_left_upper == 0
    assert report.statistical.verdict is Verdict.STOP


def test_many_excludes_are_sampled_and_the_ranking_still_works() -> None:
    from rea.ranking.model import ModelSettings

    texts, labels = labelled_set(n=400, included=40, seed=2)
    features = featurize(texts)
    known = {i: labels[i] for i in range(300)}
    few = ModelSettings(max_excludes=50)  # 50 of the ~270 excludes in each fit
    scores = train_and_score(features, known, few)
    assert scores.shape == (400,)
    unseen = range(300, 400)
    inc = [scores[i] for i in unseen if labels[i]]
    exc = [scores[i] for i in unseen if not labels[i]]
    assert sum(a > b for a in inc for b in exc) / (len(inc) * len(exc)) > 0.85
    # repeatable: the sample depends on the number of decisions only
    assert (train_and_score(features, known, few) == scores).all()


def test_statistical_rule_rarely_stops_before_the_target_in_random_order() -> None:
    import random

    rng = random.Random(11)
    works, relevant, early, stopped = 1500, 40, 0, 0
    for _ in range(20):
        labels = [True] * relevant + [False] * (works - relevant)
        rng.shuffle(labels)
        for n in range(100, works + 1, 100):
            if buscar_p_value(labels[:n], works, 0.95) < 0.05:
                stopped += 1
                early += sum(labels[:n]) / relevant < 0.95
                break
    # a 95 % confidence rule: at most about 1 in 20 stops may come before 95 % recall
    assert stopped >= 15
    assert early <= 2


def test_includes_together_outweigh_the_excludes_by_the_stated_ratio() -> None:
    import numpy as np

    from rea.ranking.model import sample_weights

    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0], dtype=np.int64)
    weights = sample_weights(y, 20.0)
    assert weights.sum() == pytest.approx(len(y))
    assert weights[y == 1].sum() / weights[y == 0].sum() == pytest.approx(20.0)
    assert len(set(weights[y == 1])) == 1 and len(set(weights[y == 0])) == 1


def test_two_sessions_caching_the_same_features_at_once_both_succeed(tmp_path: Path) -> None:
    import threading

    from rea.ranking.model import load_features, save_features

    texts, _ = labelled_set(n=200, included=20, seed=3)
    features = featurize(texts)
    path = tmp_path / "ranking" / "features-same.npz"
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(20):
                save_features(features, path)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (load_features(path).matrix != features.matrix).nnz == 0
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left


def _histories() -> list[tuple[list[bool], int]]:
    """Screening histories of many shapes: prioritised (includes early), random, bursty,
    short and long, few and many works left."""
    import random

    rng = random.Random(5)
    found: list[tuple[list[bool], int]] = []
    for _ in range(60):
        works = rng.randint(20, 3000)
        screened = rng.randint(1, works)
        decay = rng.choice([0.0, 0.002, 0.01, 0.05])
        base = rng.choice([0.01, 0.05, 0.2, 0.5])
        history = [rng.random() < base * (2.718 ** (-decay * i)) for i in range(screened)]
        found.append((history, works))
    return found


def test_point_estimate_never_exceeds_its_upper_bound() -> None:
    for history, works in _histories():
        for confidence in (0.8, 0.95, 0.99):
            report = assess(history, works, confidence=confidence)
            assert report.estimated_relevant_left <= report.relevant_left_upper
            # printed rounded, too
            assert round(report.estimated_relevant_left) <= report.relevant_left_upper


def test_every_stop_names_its_rule_its_promise_and_the_works_left() -> None:
    stops = 0
    for history, works in _histories():
        report = assess(history, works)
        assert [r.rule for r in report.rules] == ["statistical", "knee", "consecutive excludes"]
        for rule in report.rules:
            assert rule.guarantee.startswith("promises ")
            if rule.verdict is Verdict.STOP:
                stops += 1
                assert f"{works - len(history):,} works stay unscreened" in rule.detail
    assert stops >= 10  # the histories do reach stops
    heuristic = assess([True] + [False] * 400, 1000)
    assert heuristic.consecutive.verdict is Verdict.STOP
    assert "no recall" in heuristic.consecutive.guarantee
    assert "no recall" in heuristic.knee.guarantee if heuristic.knee else False
    assert "recall ≥ 95% with 95% confidence" in heuristic.statistical.guarantee


def test_knee_rule_waits_for_a_bend_and_150_works() -> None:
    from rea.ranking.stopping import knee_stop, target_sample_size

    # 30 includes in the first 90 works, then excludes: the rule asks for a ratio of 156 − 30,
    # reached once the rate after the knee is 1/126 of the rate before it (about 370 excludes)
    bent = [i % 3 == 0 for i in range(90)] + [False] * 400
    assert knee_stop(bent)
    assert not knee_stop(bent[:400])
    assert not knee_stop([i % 3 == 0 for i in range(30)] + [False] * 110)  # under 150 works
    # includes still coming at an even rate: no knee
    steady = [i % 10 == 0 for i in range(1000)]
    assert not knee_stop(steady)
    # a lone include found late, then excludes: the rate barely changed (the rule asks for 155)
    assert not knee_stop([False] * 50 + [True] + [False] * 200)
    assert target_sample_size(0.95, 0.95) == 59
    assert target_sample_size(0.7, 0.95) == 9
