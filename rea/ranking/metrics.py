"""How well a screening order finds the relevant records: WSS@95, RRF@10, ATD, the recall curve.

All metrics take the screening order *after* the prior records (the records a simulation was
started with do not count) as a sequence of labels, ``True`` for relevant, in the order in which
they were screened. ``n_total`` is the number of records that could be screened (all records
minus the prior ones); a screening that stopped early passes only the labels it saw, and
``n_total`` tells how many there were in all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rea.errors import ReaError


@dataclass(frozen=True)
class Metrics:
    """The three figures, as percentages (0–100)."""

    wss95: float
    rrf10: float
    atd: float
    n_total: int
    n_relevant: int


def _positions(labels: Sequence[bool], n_total: int) -> list[int]:
    if n_total < len(labels):
        raise ReaError(f"n_total ({n_total}) is smaller than the records screened ({len(labels)})")
    return [i for i, relevant in enumerate(labels, start=1) if relevant]


def _check_complete(found: list[int], n_relevant: int) -> None:
    if n_relevant <= 0:
        raise ReaError("there is no relevant record to find (besides the prior ones)")
    if len(found) < n_relevant:
        raise ReaError(
            f"the order finds {len(found)} of {n_relevant} relevant records; "
            "every relevant record must appear in it"
        )


def wss(labels: Sequence[bool], n_total: int, n_relevant: int, recall: float = 0.95) -> float:
    """Work saved over sampling at ``recall``: 1 − (screened to reach ⌈recall·R⌉)/N − (1 − recall).

    Returned as a percentage.
    """
    found = _positions(labels, n_total)
    _check_complete(found, math.ceil(recall * n_relevant))
    needed = math.ceil(recall * n_relevant)
    screened = found[needed - 1]
    return 100.0 * (1.0 - screened / n_total - (1.0 - recall))


def rrf(labels: Sequence[bool], n_total: int, n_relevant: int, share: float = 0.10) -> float:
    """Relevant records found: the percentage of the relevant ones among the first ⌊share·N⌋."""
    if n_relevant <= 0:
        raise ReaError("there is no relevant record to find (besides the prior ones)")
    cutoff = math.floor(share * n_total)
    found = _positions(labels, n_total)
    return 100.0 * sum(1 for p in found if p <= cutoff) / n_relevant


def atd(labels: Sequence[bool], n_total: int, n_relevant: int) -> float:
    """Average time to discovery: the mean share of records screened before each relevant one.

    A relevant record found at position ``p`` (1-based) had ``p − 1`` records screened before it;
    ATD is the mean of ``(p − 1) / N`` over the relevant records, as a percentage.
    """
    found = _positions(labels, n_total)
    _check_complete(found, n_relevant)
    return 100.0 * sum((p - 1) / n_total for p in found[:n_relevant]) / n_relevant


def evaluate(labels: Sequence[bool], n_total: int, n_relevant: int | None = None) -> Metrics:
    """All three metrics for one screening order; ``n_relevant`` defaults to the ones in it."""
    relevant = sum(1 for x in labels if x) if n_relevant is None else n_relevant
    return Metrics(
        wss95=wss(labels, n_total, relevant),
        rrf10=rrf(labels, n_total, relevant),
        atd=atd(labels, n_total, relevant),
        n_total=n_total,
        n_relevant=relevant,
    )


def recall_curve(labels: Sequence[bool], n_relevant: int | None = None) -> list[tuple[int, int]]:
    """The points (records screened, relevant found) after each relevant find, from (0, 0)."""
    points = [(0, 0)]
    found = 0
    for i, relevant in enumerate(labels, start=1):
        if relevant:
            found += 1
            points.append((i, found))
    if n_relevant is not None and found > n_relevant:
        raise ReaError(f"the order finds {found} relevant records, more than {n_relevant}")
    return points
