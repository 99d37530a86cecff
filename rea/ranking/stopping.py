"""When to stop screening: relevant records left, and stopping rules with verdicts.

Input is the screening history of one phase: the decisions in the order they were made (``True``
for include) and the number of works in the phase. Out come:

* an **estimate of the relevant works left**: the inclusion rate of the most recent decisions
  times the works not yet screened, never above the upper bound; and that **upper bound** at the
  stated confidence from the hypergeometric test below;
* the **statistical rule** of Callaghan & Müller-Hansen (2020, *Systematic Reviews* 9:273,
  "buscar"): treat the last ``n`` screened works as a random sample of the works that were
  unscreened before them (conservative under prioritisation, which screens likelier works
  first); test the null hypothesis "recall is below the target" with the hypergeometric
  distribution, for every ``n``, and stop when the smallest p-value is below ``1 − confidence``.
  Its guarantee rests on no assumption about the ranking; the price is that, with few relevant
  works, it needs a long run of excludes (see ``docs/ranking.md``);
* the **knee rule** of Cormack & Grossman (2016, "Engineering quality and reliability in
  technology-assisted review", SIGIR): stop when the gain curve (relevant found against works
  screened) has bent, i.e. the rate of includes before its knee is at least
  ``156 − min(found, 150)`` times the rate after it, and at least 150 works have been screened.
  A heuristic: it promises no recall, and how it fared in simulation is in ``docs/ranking.md``;
* the **consecutive-excludes rule**: stop after ``N`` excludes in a row (default 5 % of the works,
  at least 50). A heuristic with no recall guarantee, least of all on small sets;
* the **target method** of Cormack & Grossman (2016) exists here only as a plan
  (:func:`target_sample_size`): it needs a random sample drawn before ranked screening, which a
  prioritised queue does not have; the benchmark replays it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rea.errors import ReaError

DEFAULT_RECALL_TARGET = 0.95
DEFAULT_CONFIDENCE = 0.95
RECENT_WINDOW = 200
"""Decisions whose inclusion rate gives the point estimate of relevant works left."""


class Verdict(enum.StrEnum):
    STOP = "stop"
    CONTINUE = "continue"
    TOO_EARLY = "too early"


STATISTICAL = "statistical"
KNEE = "knee"
CONSECUTIVE = "consecutive"
RULES = (STATISTICAL, KNEE, CONSECUTIVE)
"""The rules ``rea screen stats`` gives a verdict for, the default (statistical) first."""
KNEE_MIN_SCREENED = 150
"""The knee rule never stops before this many works are screened (Cormack & Grossman 2016)."""


@dataclass(frozen=True)
class RuleResult:
    """One rule's verdict, with what it promises, the figure it rests on, one plain sentence."""

    rule: str
    verdict: Verdict
    detail: str
    guarantee: str = ""
    """What the rule promises when it says STOP (or that it promises nothing)."""


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
    knee: RuleResult | None = None

    @property
    def rules(self) -> tuple[RuleResult, ...]:
        """Every rule's verdict, the default (statistical) rule first."""
        extra = () if self.knee is None else (self.knee,)
        return (self.statistical, *extra, self.consecutive)


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
    from scipy.stats import hypergeom  # imported where used: scipy.stats takes 0.6 s to load

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


def knee_ratio(decisions: Sequence[bool]) -> tuple[float, int]:
    """The knee rule's slope ratio and the knee's position (works screened up to it).

    The knee is the point of the gain curve farthest above the straight line from the origin to
    the current point; the ratio is the rate of includes up to the knee over the rate after it
    (with one include added after it, so that a run of excludes gives a finite ratio).
    """
    screened = len(decisions)
    found = np.cumsum(np.fromiter((1 if d else 0 for d in decisions), np.int64, screened))
    if screened == 0 or found[-1] == 0:
        return 0.0, 0
    i = np.arange(1, screened + 1)
    # distance above the line, up to a constant factor
    lift = found * screened - found[-1] * i
    knee = int(np.argmax(lift[:-1])) + 1 if screened > 1 else screened
    if knee >= screened:
        return 0.0, knee
    before = found[knee - 1] / knee
    after = (found[-1] - found[knee - 1] + 1) / (screened - knee)
    return float(before / after), knee


def knee_stop(decisions: Sequence[bool]) -> bool:
    """Cormack & Grossman's knee rule (with their adjustment for few includes)."""
    found = sum(1 for d in decisions if d)
    if found == 0 or len(decisions) < KNEE_MIN_SCREENED:
        return False
    ratio, _ = knee_ratio(decisions)
    return ratio >= 156 - min(found, 150)


def target_sample_size(recall_target: float, confidence: float) -> int:
    """The target method's plan: how many relevant works its random sample must hold.

    The sample's relevant works (the "target set") are a random subset of all relevant ones;
    ranked screening stops once each of them has been found. Recall falls below the target only
    if all of them landed in the found share, with probability at most ``target ** T``; ``T`` is
    the smallest number that makes it ``1 − confidence`` or less (59 for 95 % with 95 %).
    """
    return math.ceil(math.log(1.0 - confidence) / math.log(recall_target))


def rule_verdict(
    rule: str,
    decisions: Sequence[bool],
    works: int,
    *,
    recall_target: float = DEFAULT_RECALL_TARGET,
    confidence: float = DEFAULT_CONFIDENCE,
    run_length: int | None = None,
) -> Verdict:
    """One rule's verdict alone (what ``assess`` gives, without the other figures)."""
    found = sum(1 for d in decisions if d)
    if found == 0:
        return Verdict.TOO_EARLY
    if len(decisions) >= works:
        return Verdict.STOP
    if rule == STATISTICAL:
        stop = buscar_p_value(decisions, works, recall_target) < 1.0 - confidence
    elif rule == KNEE:
        stop = knee_stop(decisions)
    elif rule == CONSECUTIVE:
        threshold = run_length if run_length is not None else consecutive_threshold(works)
        stop = trailing_excludes(decisions) >= threshold
    else:
        raise ReaError(f"unknown stopping rule {rule!r}", hint="use one of: " + ", ".join(RULES))
    return Verdict.STOP if stop else Verdict.CONTINUE


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
    upper = relevant_left_upper(decisions, works, confidence)
    unscreened = f"{remaining:,} works stay unscreened"

    consecutive_promise = "promises no recall: a heuristic, least reliable on small sets"
    if included == 0:
        consecutive = RuleResult(
            "consecutive excludes",
            Verdict.TOO_EARLY,
            "no include yet; keep screening",
            consecutive_promise,
        )
    elif run >= threshold or remaining == 0:
        consecutive = RuleResult(
            "consecutive excludes",
            Verdict.STOP,
            f"{run} excludes in a row (rule: {threshold}); {unscreened}",
            consecutive_promise,
        )
    else:
        consecutive = RuleResult(
            "consecutive excludes",
            Verdict.CONTINUE,
            f"{run} excludes in a row; the rule asks for {threshold}",
            consecutive_promise,
        )

    p = buscar_p_value(decisions, works, recall_target)
    target = f"recall ≥ {recall_target:.0%} with {confidence:.0%} confidence"
    promise = f"promises {target}; a hypergeometric test that assumes nothing of the ranking"
    if included == 0:
        statistical = RuleResult(
            "statistical", Verdict.TOO_EARLY, "no include yet; nothing to test", promise
        )
    elif remaining == 0 or p < 1.0 - confidence:
        statistical = RuleResult(
            "statistical",
            Verdict.STOP,
            f"p = {p:.3g} < {1.0 - confidence:.2g}; {unscreened}",
            promise,
        )
    else:
        statistical = RuleResult(
            "statistical",
            Verdict.CONTINUE,
            f"{target} not shown yet (p = {p:.3g}, needs < {1.0 - confidence:.2g})",
            promise,
        )

    knee_promise = "promises no recall: a heuristic"
    ratio, knee_at = knee_ratio(decisions)
    knee_needs = 156 - min(included, 150)
    if included == 0:
        knee = RuleResult("knee", Verdict.TOO_EARLY, "no include yet", knee_promise)
    elif remaining == 0 or knee_stop(decisions):
        knee = RuleResult(
            "knee",
            Verdict.STOP,
            f"includes came {ratio:.0f} times as often before the knee (at {knee_at:,} works) "
            f"as after it (rule: {knee_needs}); {unscreened}",
            knee_promise,
        )
    else:
        why = (
            f"{screened} works screened; the rule waits for {KNEE_MIN_SCREENED}"
            if screened < KNEE_MIN_SCREENED
            else f"the slope ratio at the knee is {ratio:.1f}; the rule asks for {knee_needs}"
        )
        knee = RuleResult("knee", Verdict.CONTINUE, why, knee_promise)
    return StoppingReport(
        works=works,
        screened=screened,
        included=included,
        remaining=remaining,
        # the recent rate over-estimates under prioritisation; never above the upper bound
        estimated_relevant_left=min(rate * remaining, float(upper)),
        relevant_left_upper=upper,
        recall_target=recall_target,
        confidence=confidence,
        consecutive_excludes=run,
        consecutive=consecutive,
        statistical=statistical,
        p_value=p,
        knee=knee,
    )
