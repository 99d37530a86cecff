"""Queue orders (random, prioritised, mixed) and the retraining schedule.

The same two functions serve the live screening queue and ``rea simulate``: :func:`next_works`
picks what to show next from the unscreened candidates and their scores, :func:`retrain_due` says
when the model trained on ``k`` decisions is too old for ``n`` decisions.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from rea.errors import ReaError

K = TypeVar("K", bound=Hashable)

DEFAULT_RANDOM_SHARE = 0.1
"""In ``mixed`` order, the share of works picked at random rather than by score."""

EVERY_DECISION_UNTIL = 100
"""The model is retrained after every decision until this many exist …"""

RETRAIN_SHARE = 0.02
"""… and after that whenever the decisions have grown by this share since the last training."""


class Order(enum.StrEnum):
    """How a review's queue is ordered (``order`` in ``screening.toml``)."""

    RANDOM = "random"
    PRIORITISED = "prioritised"
    MIXED = "mixed"

    @classmethod
    def parse(cls, value: str) -> Order:
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(o.value for o in cls)
            raise ReaError(f"unknown queue order {value!r}", hint=f"use one of: {names}") from None


@dataclass(frozen=True)
class Pick(Generic[K]):
    """One work chosen for the queue and how: ``random`` or ``prioritised``."""

    key: K
    picked_by: Order


def next_works(
    candidates: Sequence[K],
    scores: Mapping[K, float] | None,
    order: Order,
    *,
    seed: int,
    step: int,
    limit: int = 1,
    random_share: float = DEFAULT_RANDOM_SHARE,
) -> list[Pick[K]]:
    """The first ``limit`` works of the queue, best first.

    ``scores`` is ``None`` (or lacks candidates) while no model exists yet: then the order is
    random, whatever ``order`` says. ``seed`` and ``step`` (the number of decisions so far) make
    the choice repeatable: asking again before deciding shows the same work. In ``mixed`` order
    each position is random with probability ``random_share``, otherwise by score.
    """
    if not 0.0 <= random_share <= 1.0:
        raise ReaError(f"random_share must be between 0 and 1, not {random_share}")
    keys = list(candidates)
    if not keys or limit <= 0:
        return []
    rng = np.random.default_rng([seed, step])
    # a random tiebreak keeps equal scores (and the no-model case) in a fair random order
    shuffled = rng.permutation(len(keys))
    scored = scores is not None and all(k in scores for k in keys)
    if order is Order.RANDOM or not scored:
        return [Pick(keys[int(i)], Order.RANDOM) for i in shuffled[:limit]]
    assert scores is not None
    values = np.fromiter((scores[k] for k in keys), dtype=np.float64, count=len(keys))
    if limit == 1:
        best = int(shuffled[int(np.argmax(values[shuffled]))])
        by_score = [best]
    else:
        by_score = [int(shuffled[i]) for i in np.argsort(-values[shuffled], kind="stable")]
    if order is Order.PRIORITISED:
        return [Pick(keys[i], Order.PRIORITISED) for i in by_score[:limit]]
    # mixed: draw for each position whether it is random, then fill from the two orders
    taken: set[int] = set()
    picks: list[Pick[K]] = []
    random_iter = iter(int(i) for i in shuffled)
    score_iter = iter(by_score if limit > 1 else by_score + [int(i) for i in shuffled])
    draws = rng.random(min(limit, len(keys)))
    for draw in draws:
        source, how = (
            (random_iter, Order.RANDOM) if draw < random_share else (score_iter, Order.PRIORITISED)
        )
        for i in source:
            if i not in taken:
                taken.add(i)
                picks.append(Pick(keys[i], how))
                break
    return picks


def retrain_due(n_decisions: int, trained_on: int | None) -> bool:
    """Whether a model trained on ``trained_on`` decisions should be retrained at ``n_decisions``.

    After every decision until :data:`EVERY_DECISION_UNTIL`; then when the decisions have grown
    by :data:`RETRAIN_SHARE` (every 2 decisions at 100, every 40 at 2,000, every 400 at 20,000).
    """
    if trained_on is None or trained_on > n_decisions:
        return True
    step = 1 if n_decisions <= EVERY_DECISION_UNTIL else max(1, int(RETRAIN_SHARE * n_decisions))
    return n_decisions - trained_on >= step
