"""When to stop screening: relevant records left, and two stopping rules with verdicts.

Input is the screening history of one phase: the decisions in the order they were made (``True``
for include) and the number of works in the phase. Three things come out:

* an **estimate of the relevant works left**: the inclusion rate of the most recent decisions
  times the works not yet screened (in prioritised order this over-estimates, because the
  likeliest works were screened first), and an **upper bound** at the stated confidence from the
  hypergeometric test below;
* the **consecutive-excludes rule**: stop after ``N`` excludes in a row (a heuristic with no
  guarantee; the default ``N`` is 5 % of the works, at least 50);
* the **statistical rule** of Callaghan & Müller-Hansen (2020, *Systematic Reviews* 9:273): treat
  the last ``n`` screened works as a random sample of the works that were unscreened before them
  (conservative under prioritisation, which screens likelier works first); test the null
  hypothesis "recall is below the target" with the hypergeometric distribution, for every ``n``,
  and stop when the smallest p-value is below ``1 − confidence``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import hypergeom

from rea.errors import ReaError

DEFAULT_RECALL_TARGET = 0.95
DEFAULT_CONFIDENCE = 0.95
RECENT_WINDOW = 200
"""Decisions whose inclusion rate gives the point estimate of relevant works left."""


class Verdict(enum.StrEnum):
    STOP = "stop"
    CONTINUE = "continue"
    TOO_EARLY = "too early"


@dataclass(frozen=True)
class RuleResult:
    """One rule's verdict, with the figure it rests on and one plain sentence."""

    rule: str
    verdict: Verdict
    detail: str


@dataclass(frozen=True)
class StoppingReport:
    """Everything ``rea screen stats`` shows about stopping for one phase."""

    works: int
    screened: int
    included: int
    remaining: int
    estimated_relevant_left: float
    relevant_left_upper: int
    recall_target: float
    confidence: float
    consecutive_excludes: int
    consecutive: RuleResult
    statistical: RuleResult
    p_value: float


def consecutive_threshold(works: int) -> int:
    """The default run of excludes: 5 % of the works, at least 50."""
    return max(50, math.ceil(0.05 * works))


def trailing_excludes(decisions: Sequence[bool]) -> int:
    """Excludes since the last include (all decisions if there is no include)."""
    run = 0
    for included in reversed(decisions):
        if included:
            break
        run += 1
    return run


def _windows(decisions: Sequence[bool], works: int) -> tuple[NDArray[np.int64], ...]:
    """For every window of the last ``n`` decisions: n, relevant in it, the urn's size."""
    seen = len(decisions)
    flags = np.fromiter((1 if d else 0 for d in reversed(decisions)), dtype=np.int64, count=seen)
    n = np.arange(1, seen + 1, dtype=np.int64)
    k = np.cumsum(flags)
    urn = (works - seen) + n
    return n, k, urn


def _min_p(
    n: NDArray[np.int64],
    k: NDArray[np.int64],
    urn: NDArray[np.int64],
    relevant_in_urn: NDArray[np.int64],
) -> float:
    ok = relevant_in_urn <= urn
    if not ok.any():
        return 0.0  # the hypothesis needs more relevant works than there are: impossible
    p = hypergeom.cdf(k[ok], urn[ok], relevant_in_urn[ok], n[ok])
    return float(np.min(p))


def buscar_p_value(decisions: Sequence[bool], works: int, recall_target: float) -> float:
    """The smallest p-value, over all windows, of "recall so far is below ``recall_target``"."""
    if not 0.0 < recall_target < 1.0:
        raise ReaError(f"the recall target must be between 0 and 1, not {recall_target}")
    found = sum(1 for d in decisions if d)
    if found == 0 or not decisions:
        return 1.0
    n, k, urn = _windows(decisions, works)
    # under H0 the total of relevant works is at least floor(found / target) + 1; the window's
    # urn then holds that total minus the relevant ones found before the window
    least_total = math.floor(found / recall_target) + 1
    relevant_in_urn = least_total - (found - k)
    return _min_p(n, k, urn, relevant_in_urn)


def relevant_left_upper(decisions: Sequence[bool], works: int, confidence: float) -> int:
    """The most relevant unscreened works that the same test cannot rule out at ``confidence``."""
    unseen = works - len(decisions)
    if unseen <= 0:
        return 0
    if not decisions:
        return unseen
    n, k, urn = _windows(decisions, works)
    alpha = 1.0 - confidence
    low, high = 0, unseen  # p(low) >= alpha always holds for 0 left; find the largest such
    if _min_p(n, k, urn, k + high) >= alpha:
        return high
    while high - low > 1:
        mid = (low + high) // 2
        if _min_p(n, k, urn, k + mid) >= alpha:
            low = mid
        else:
            high = mid
    return low


def assess(
    decisions: Sequence[bool],
    works: int,
    *,
    recall_target: float = DEFAULT_RECALL_TARGET,
    confidence: float = DEFAULT_CONFIDENCE,
    run_length: int | None = None,
) -> StoppingReport:
    """Estimate the relevant works left and give each stopping rule's verdict."""
    if works < len(decisions):
        raise ReaError(f"{len(decisions)} decisions but only {works} works")
    if not 0.0 < confidence < 1.0:
        raise ReaError(f"the confidence must be between 0 and 1, not {confidence}")
    screened = len(decisions)
    included = sum(1 for d in decisions if d)
    remaining = works - screened
    recent = decisions[-RECENT_WINDOW:]
    rate = sum(1 for d in recent if d) / len(recent) if recent else 0.0
    threshold = run_length if run_length is not None else consecutive_threshold(works)
    run = trailing_excludes(decisions)

    if included == 0:
        consecutive = RuleResult(
            "consecutive excludes", Verdict.TOO_EARLY, "no include yet; keep screening"
        )
    elif run >= threshold or remaining == 0:
        consecutive = RuleResult(
            "consecutive excludes",
            Verdict.STOP,
            f"{run} excludes in a row (rule: {threshold})",
        )
    else:
        consecutive = RuleResult(
            "consecutive excludes",
            Verdict.CONTINUE,
            f"{run} excludes in a row; the rule asks for {threshold}",
        )

    p = buscar_p_value(decisions, works, recall_target)
    target = f"recall ≥ {recall_target:.0%} with {confidence:.0%} confidence"
    if included == 0:
        statistical = RuleResult(
            "statistical", Verdict.TOO_EARLY, f"no include yet; cannot test {target}"
        )
    elif remaining == 0 or p < 1.0 - confidence:
        statistical = RuleResult("statistical", Verdict.STOP, f"{target} reached (p = {p:.3g})")
    else:
        statistical = RuleResult(
            "statistical",
            Verdict.CONTINUE,
            f"{target} not shown yet (p = {p:.3g}, needs < {1.0 - confidence:.2g})",
        )
    return StoppingReport(
        works=works,
        screened=screened,
        included=included,
        remaining=remaining,
        estimated_relevant_left=rate * remaining,
        relevant_left_upper=relevant_left_upper(decisions, works, confidence),
        recall_target=recall_target,
        confidence=confidence,
        consecutive_excludes=run,
        consecutive=consecutive,
        statistical=statistical,
        p_value=p,
    )
