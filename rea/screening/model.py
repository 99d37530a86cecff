"""Screening vocabulary and the pure rules: phases, decisions, who screens what, final status,
agreement (Cohen's kappa) and the highlighting of search terms. No I/O here."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, Protocol


class Phase(StrEnum):
    TITLE_ABSTRACT = "title_abstract"
    FULL_TEXT = "full_text"

    @property
    def label(self) -> str:
        return "title/abstract" if self is Phase.TITLE_ABSTRACT else "full text"


class Decision(StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"
    MAYBE = "maybe"


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


class TallyLike(Protocol):
    """What :func:`outcome` reads: a :class:`Tally`, or a store's row of the same fields."""

    @property
    def work_id(self) -> int: ...
    @property
    def phase(self) -> str: ...
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


@dataclass(frozen=True)
class Tally:
    """The standing decisions on one work in one phase, counted (one row of ``screening_tally``)."""

    work_id: int
    phase: Phase
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
    """The final status of a work in a phase, and why (a named tuple: tens of thousands are
    made per count)."""

    work_id: int
    phase: Phase
    status: Status
    reason: str = ""  # the exclusion reason of a final exclusion
    resolved: bool = False  # decided by a resolution rather than by agreement
    conflict: str = ""  # 'disagree', 'maybe' or 'reasons' when status is CONFLICT


def outcome(
    tally: TallyLike, phase: Phase, *, maybe_counts_as_include: bool, reason_required: bool
) -> Outcome:
    """Turn counted decisions into a final status.

    A resolution is the final word. Otherwise the work is pending until every assigned reviewer
    has decided; then agreement decides. With ``maybe_counts_as_include`` a maybe is an include
    (rapid reviews err on the side of inclusion); without it a maybe needs a resolution. When
    reasons are required (full text), exclusions with different reasons need a resolution too, so
    that each excluded report has exactly one reason to count.
    """
    w, p = tally.work_id, phase
    if tally.resolution:
        status = Status.INCLUDED if tally.resolution == Decision.INCLUDE else Status.EXCLUDED
        return Outcome(w, p, status, tally.resolution_reason or "", resolved=True)
    if tally.n_decided < tally.n_assigned or tally.n_decided == 0:
        return Outcome(w, p, Status.PENDING)
    inclusive = tally.n_include + (tally.n_maybe if maybe_counts_as_include else 0)
    if tally.n_exclude and (inclusive or tally.n_maybe):
        return Outcome(w, p, Status.CONFLICT, conflict="disagree")
    if tally.n_maybe and not maybe_counts_as_include:
        return Outcome(w, p, Status.CONFLICT, conflict="maybe")
    if tally.n_exclude:
        if reason_required and tally.n_exclude_reasons > 1:
            return Outcome(w, p, Status.CONFLICT, conflict="reasons")
        return Outcome(w, p, Status.EXCLUDED, tally.exclude_reason or "")
    return Outcome(w, p, Status.INCLUDED)


def _hash(phase: Phase, work_id: int) -> int:
    digest = hashlib.blake2b(f"{phase.value}:{work_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def assigned_reviewers(
    work_id: int, phase: Phase, screeners: Sequence[str], double_share: float
) -> tuple[str, ...]:
    """Who screens a work: stable for a given work id, phase, screener list and share.

    A hash of phase and work id decides whether the work is double-screened (a share
    ``double_share`` of works is) and which screener(s) get it, so the split is even and does
    not depend on the order in which works arrive.
    """
    if not screeners:
        return ()
    h = _hash(phase, work_id)
    n = len(screeners)
    first = (h >> 16) % n
    double = (h % 10_000) < round(double_share * 10_000)
    if not double or n == 1:
        return (screeners[first],)
    second = (first + 1 + (h >> 40) % (n - 1)) % n
    return (screeners[first], screeners[second])


@dataclass(frozen=True)
class Agreement:
    """Agreement of two reviewers on the works both decided."""

    a: str
    b: str
    n: int  # works both decided
    observed: float | None  # share of those where they agree
    kappa: float | None  # Cohen's kappa; None when undefined (no works, or one category only)


def cohen_kappa(a: str, b: str, pairs: Sequence[tuple[str, str]]) -> Agreement:
    """Cohen's kappa over paired decisions (include / exclude / maybe as three categories)."""
    n = len(pairs)
    if n == 0:
        return Agreement(a, b, 0, None, None)
    observed = sum(1 for x, y in pairs if x == y) / n
    categories = {x for x, _ in pairs} | {y for _, y in pairs}
    expected = 0.0
    for c in categories:
        pa = sum(1 for x, _ in pairs if x == c) / n
        pb = sum(1 for _, y in pairs if y == c) / n
        expected += pa * pb
    if expected >= 1.0:
        return Agreement(a, b, n, observed, None)
    return Agreement(a, b, n, observed, (observed - expected) / (1.0 - expected))


def term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern matching any search term.

    Terms are the strategy's plain terms: quotes are dropped, ``*`` truncates (``collaborat*``
    matches collaboration, collaborative), and the words of a phrase may be separated by any
    white space or a hyphen (``super partnership*`` matches super-partnerships).
    """
    parts = []
    for raw in sorted({t.strip().strip('"').strip() for t in terms}, key=len, reverse=True):
        if not raw or raw == "*":
            continue
        words = [w for w in re.split(r"[\s-]+", raw) if w]
        pieces = [re.escape(w).replace(r"\*", r"\w*") for w in words]
        body = r"[\s\-]+".join(pieces)
        end = "" if raw.endswith("*") else r"\b"
        parts.append(rf"\b{body}{end}")
    if not parts:
        return None
    return re.compile("|".join(parts), re.IGNORECASE)


def highlight(text: str, pattern: re.Pattern[str] | None) -> list[tuple[bool, str]]:
    """``text`` cut into (is_term, piece) runs."""
    if pattern is None or not text:
        return [(False, text)] if text else []
    runs: list[tuple[bool, str]] = []
    pos = 0
    for match in pattern.finditer(text):
        if match.start() == match.end():
            continue
        if match.start() > pos:
            runs.append((False, text[pos : match.start()]))
        runs.append((True, match.group(0)))
        pos = match.end()
    if pos < len(text):
        runs.append((False, text[pos:]))
    return runs
