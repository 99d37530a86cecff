"""Replaying a labelled set through the ranker, as the screening queue would have ordered it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rea.errors import ReaError
from rea.ranking.metrics import Metrics, evaluate
from rea.ranking.model import (
    DEFAULT_SETTINGS,
    Features,
    ModelSettings,
    ModelState,
    featurize,
    train_and_score,
)
from rea.ranking.order import DEFAULT_RANDOM_SHARE, Order, next_works, retrain_due


@dataclass(frozen=True)
class Simulation:
    """One replay: the prior records, then the records in the order they were screened."""

    seed: int
    prior: tuple[int, ...]
    screened: tuple[int, ...]
    labels: tuple[bool, ...]
    retrains: int
    training_seconds: float

    @property
    def n_pool(self) -> int:
        """Records that could be screened after the prior ones."""
        return len(self.labels) - len(self.prior)

    @property
    def n_relevant(self) -> int:
        """Relevant records left to find after the prior ones."""
        return sum(self.labels) - sum(self.labels[i] for i in self.prior)

    def screened_labels(self) -> list[bool]:
        return [self.labels[i] for i in self.screened]

    def metrics(self) -> Metrics:
        """WSS@95, RRF@10 and ATD, prior records excluded."""
        return evaluate(self.screened_labels(), self.n_pool, self.n_relevant)


def choose_prior(
    labels: Sequence[bool], seed: int, includes: int = 1, excludes: int = 1
) -> tuple[int, ...]:
    """``includes`` known includes and ``excludes`` known excludes, drawn by ``seed``."""
    rng = np.random.default_rng(seed)
    inc = [i for i, x in enumerate(labels) if x]
    exc = [i for i, x in enumerate(labels) if not x]
    if len(inc) <= includes or len(exc) < excludes:
        raise ReaError(
            f"the set has {len(inc)} includes and {len(exc)} excludes; a simulation needs more "
            f"than {includes} include(s) and at least {excludes} exclude(s)"
        )
    picked = [int(i) for i in rng.choice(inc, size=includes, replace=False)]
    picked += [int(i) for i in rng.choice(exc, size=excludes, replace=False)]
    return tuple(picked)


def simulate(
    texts: Sequence[str] | Features,
    labels: Sequence[bool],
    *,
    seed: int,
    order: Order = Order.PRIORITISED,
    random_share: float = DEFAULT_RANDOM_SHARE,
    settings: ModelSettings = DEFAULT_SETTINGS,
    stop_when_all_found: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Simulation:
    """Screen the set from 1 known include + 1 known exclude (drawn by ``seed``) to the end.

    Each step shows the queue's next record (:func:`rea.ranking.order.next_works`) and reveals its
    label; the model is retrained on :func:`rea.ranking.order.retrain_due`'s schedule, the one the
    live queue uses. With ``stop_when_all_found`` the replay ends once every relevant record is
    found (the metrics need no more); the rest would be screened in score order anyway.
    """
    features = texts if isinstance(texts, Features) else featurize(list(texts), settings)
    if features.n != len(labels):
        raise ReaError(f"{features.n} texts but {len(labels)} labels")
    prior = choose_prior(labels, seed)
    known: dict[int, bool] = {i: labels[i] for i in prior}
    unscreened = [i for i in range(len(labels)) if i not in known]
    left = sum(labels) - sum(known.values())
    screened: list[int] = []
    trained_on: int | None = None
    scores: dict[int, float] | None = None
    retrains = 0
    seconds = 0.0
    state = ModelState()
    while unscreened and not (stop_when_all_found and left == 0):
        if order is not Order.RANDOM and retrain_due(len(known), trained_on):
            started = time.perf_counter()
            values = train_and_score(features, known, settings, state)
            seconds += time.perf_counter() - started
            scores = dict(enumerate(values.tolist()))
            trained_on = len(known)
            retrains += 1
        pick = next_works(
            unscreened, scores, order, seed=seed, step=len(known), random_share=random_share
        )[0]
        index = pick.key
        known[index] = labels[index]
        left -= 1 if labels[index] else 0
        screened.append(index)
        unscreened.remove(index)
        if progress is not None:
            progress(len(screened), len(labels) - len(prior))
    return Simulation(
        seed=seed,
        prior=prior,
        screened=tuple(screened),
        labels=tuple(bool(x) for x in labels),
        retrains=retrains,
        training_seconds=seconds,
    )
