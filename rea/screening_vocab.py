"""The screening vocabulary and its two rules, one floor below everything that counts.

Screening, the PRISMA counts, the report and the web pages all read the words and the rules
here, and keep no copy of their own (DESIGN.md, "A rule lives in one room"):

- the words: :class:`Phase`, :class:`Decision` (and :data:`UNDO`, the log's withdrawal),
  :class:`Status`, :class:`Retrieval`, :class:`StudyType`, :class:`Role`;
- **the final-decision rule**, :func:`outcome`: from a :class:`Tally` of one work's standing
  decisions in one phase (the store counts them; this module decides);
- **the agreement rule**, :func:`agreement`: Cohen's kappa, one definition.

Pure: no I/O, no third-party import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import combinations
from typing import NamedTuple, Protocol


class Phase(StrEnum):
    TITLE_ABSTRACT = "title_abstract"
    FULL_TEXT = "full_text"

    @property
    def label(self) -> str:
        return "title/abstract" if self is Phase.TITLE_ABSTRACT else "full text"


class Decision(StrEnum):
    """What a reviewer decides on a work in a phase."""

    INCLUDE = "include"
    EXCLUDE = "exclude"
    MAYBE = "maybe"


#: The decision log's word for a withdrawn decision: the reviewer's standing decision on the
#: work is gone (the work is pending again for them). Never a standing decision itself.
UNDO = "undo"


class Role(StrEnum):
    SCREENER = "screener"
    ADJUDICATOR = "adjudicator"


class Retrieval(StrEnum):
    SOUGHT = "sought"
    NOT_RETRIEVED = "not_retrieved"
    RETRIEVED = "retrieved"


class StudyType(StrEnum):
    REVIEW = "review"
    PRIMARY = "primary"
    GREY = "grey"


class Status(StrEnum):
    """Where a work stands in a phase once every assigned reviewer's decision is counted."""

    PENDING = "pending"  # some assigned reviewer has not decided yet
    INCLUDED = "included"
    EXCLUDED = "excluded"
    CONFLICT = "conflict"  # decided, but needs a resolution

    @property
    def final(self) -> bool:
        """Included or excluded; pending and conflict are *awaiting a decision*."""
        return self in (Status.INCLUDED, Status.EXCLUDED)


@dataclass(frozen=True)
class Rules:
    """The review's settings the final-decision rule reads (screening.toml; these defaults are
    those of a screening.toml that does not set them)."""

    maybe_counts_as_include: bool = True
    reason_required: Mapping[Phase, bool] = field(
        default_factory=lambda: {Phase.TITLE_ABSTRACT: False, Phase.FULL_TEXT: True}
    )

    def requires_reason(self, phase: Phase) -> bool:
        return bool(self.reason_required.get(phase, False))


class TallyLike(Protocol):
    """What :func:`outcome` reads: a :class:`Tally`, or anything with the same fields."""

    @property
    def work_id(self) -> int: ...
    @property
    def n_assigned(self) -> int: ...
    @property
    def n_decided(self) -> int: ...
    @property
    def n_include(self) -> int: ...
    @property
    def n_exclude(self) -> int: ...
    @property
    def n_maybe(self) -> int: ...
    @property
    def n_exclude_reasons(self) -> int: ...
    @property
    def exclude_reason(self) -> str: ...
    @property
    def resolution(self) -> str | None: ...
    @property
    def resolution_reason(self) -> str: ...


class Tally(NamedTuple):
    """The standing decisions on one work in one phase, counted (the store's
    ``screening_tally``): how many reviewers are assigned, how many of them have a standing
    decision, of which how many include, exclude and maybe; whether the exclusions give one
    reason (``n_exclude_reasons`` 0, 1, or 2 for two or more) and which; the standing
    resolution, if any. A named tuple: tens of thousands are made per count."""

    work_id: int
    n_assigned: int
    n_decided: int
    n_include: int
    n_exclude: int
    n_maybe: int
    n_exclude_reasons: int = 0
    exclude_reason: str = ""
    resolution: str | None = None
    resolution_reason: str = ""


class Outcome(NamedTuple):
    """The final status of a work in a phase, and why."""

    work_id: int
    phase: Phase
    status: Status
    reason: str = ""  # the exclusion reason of a final exclusion
    resolved: bool = False  # decided by a resolution rather than by agreement
    conflict: str = ""  # 'disagree', 'maybe' or 'reasons' when status is CONFLICT


def outcome(tally: TallyLike, phase: Phase, rules: Rules) -> Outcome:
    """**The final-decision rule.** Turn one work's counted decisions into its final status.

    1. A standing resolution is the final word (include or exclude, with its reason).
    2. Otherwise the work is *pending* until every reviewer assigned to it has a standing
       decision (a withdrawn decision does not count).
    3. Then agreement decides: an exclude beside an include or a maybe is a *conflict*
       (``disagree``); a maybe that does not count as include (``maybe_counts_as_include``
       false) is a conflict (``maybe``); where the phase requires a reason, exclusions giving
       different reasons are a conflict (``reasons``), so that each excluded report has exactly
       one reason to count; all excluding is *excluded* (with their reason); else *included*.
    """
    w = tally.work_id
    if tally.resolution:
        status = Status.INCLUDED if tally.resolution == Decision.INCLUDE else Status.EXCLUDED
        return Outcome(w, phase, status, tally.resolution_reason or "", resolved=True)
    return unresolved_outcome(tally, phase, rules)


def unresolved_outcome(tally: TallyLike, phase: Phase, rules: Rules) -> Outcome:
    """The rule without its first step: what the reviewers' decisions alone say (a resolution
    is only in order where this is a conflict)."""
    w = tally.work_id
    if tally.n_decided < tally.n_assigned or tally.n_decided == 0:
        return Outcome(w, phase, Status.PENDING)
    maybe_includes = rules.maybe_counts_as_include
    if tally.n_exclude and (tally.n_include or tally.n_maybe):
        return Outcome(w, phase, Status.CONFLICT, conflict="disagree")
    if tally.n_maybe and not maybe_includes:
        return Outcome(w, phase, Status.CONFLICT, conflict="maybe")
    if tally.n_exclude:
        if rules.requires_reason(phase) and tally.n_exclude_reasons > 1:
            return Outcome(w, phase, Status.CONFLICT, conflict="reasons")
        return Outcome(w, phase, Status.EXCLUDED, tally.exclude_reason or "")
    return Outcome(w, phase, Status.INCLUDED)


def tally_of(
    work_id: int,
    assigned: Iterable[str],
    standing: Mapping[str, tuple[str, str]],
    resolution: tuple[str, str] | None = None,
) -> Tally:
    """Count one work's standing decisions into a :class:`Tally` as the store does: over the
    assigned reviewers, ``standing`` mapping a reviewer to (decision, reason)."""
    names = set(assigned)
    decided = [standing[r] for r in names if r in standing]
    reasons = {why for d, why in decided if d == Decision.EXCLUDE}
    return Tally(
        work_id=work_id,
        n_assigned=len(names),
        n_decided=len(decided),
        n_include=sum(1 for d, _ in decided if d == Decision.INCLUDE),
        n_exclude=sum(1 for d, _ in decided if d == Decision.EXCLUDE),
        n_maybe=sum(1 for d, _ in decided if d == Decision.MAYBE),
        n_exclude_reasons=min(len(reasons), 2),
        exclude_reason=max(reasons) if reasons else "",
        resolution=resolution[0] if resolution else None,
        resolution_reason=resolution[1] if resolution else "",
    )


# --- agreement ------------------------------------------------------------------------------

#: How rea measures agreement, as the report and docs/screening.md state it.
KAPPA_DEFINITION = (
    "Cohen's kappa for each pair of reviewers, per phase, over the works of that phase on "
    "which both hold a standing decision (a withdrawn decision does not count; resolutions are "
    "not reviewers' decisions and do not count), with include, exclude and maybe as three "
    "categories. The works of a phase are those screened in it: every current work at "
    "title/abstract, the works finally included at title/abstract at full text. Kappa is "
    "undefined (shown as –) when there is no such work or both reviewers used one category "
    "only."
)


@dataclass(frozen=True)
class Agreement:
    """Agreement of two reviewers in one phase on the works both decided."""

    phase: Phase
    a: str
    b: str
    n: int  # works both decided
    agreed: int  # … on which their decisions are the same
    kappa: float | None  # Cohen's kappa; None when undefined

    @property
    def observed(self) -> float | None:
        return self.agreed / self.n if self.n else None

    def as_dict(self) -> dict[str, object]:
        return {
            "phase": self.phase.value,
            "reviewers": [self.a, self.b],
            "n": self.n,
            "agreed": self.agreed,
            "percent_agreement": None if self.n == 0 else round(100 * self.agreed / self.n, 1),
            "kappa": None if self.kappa is None else round(self.kappa, 3),
        }


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' labels (any categories); None when undefined."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for x, y in pairs if x == y) / n
    expected = 0.0
    for c in {x for x, _ in pairs} | {y for _, y in pairs}:
        expected += (sum(1 for x, _ in pairs if x == c) / n) * (
            sum(1 for _, y in pairs if y == c) / n
        )
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def agreement(
    phase: Phase, votes: Mapping[int, Mapping[str, str]], members: Iterable[int] | None = None
) -> list[Agreement]:
    """**The agreement rule** (:data:`KAPPA_DEFINITION`): one :class:`Agreement` per pair of
    reviewers who both decided at least one work of the phase, ordered by names.

    ``votes`` maps a work to each reviewer's standing decision in the phase; ``members`` are
    the works of the phase (None: every work in ``votes``).
    """
    keep = None if members is None else set(members)
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for work, by_reviewer in votes.items():
        if keep is not None and work not in keep:
            continue
        for a, b in combinations(sorted(by_reviewer), 2):
            pairs.setdefault((a, b), []).append((by_reviewer[a], by_reviewer[b]))
    return [
        Agreement(phase, a, b, len(v), sum(1 for x, y in v if x == y), cohen_kappa(v))
        for (a, b), v in sorted(pairs.items())
    ]
