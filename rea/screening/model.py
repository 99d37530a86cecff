"""Screening's pure rules of its own: who screens what, and the highlighting of search terms.

The vocabulary (phases, decisions, statuses…), the final-decision rule and the agreement rule
live one floor down, in :mod:`rea.screening_vocab`, where PRISMA and the report read them too;
they are re-exported here for screening's callers. No I/O here."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from rea.screening_vocab import (
    UNDO,
    Agreement,
    Decision,
    Outcome,
    Phase,
    Retrieval,
    Role,
    Rules,
    Status,
    StudyType,
    Tally,
    agreement,
    cohen_kappa,
    outcome,
    unresolved_outcome,
)

__all__ = [
    "UNDO",
    "Agreement",
    "Decision",
    "Outcome",
    "Phase",
    "Retrieval",
    "Role",
    "Rules",
    "Status",
    "StudyType",
    "Tally",
    "agreement",
    "assigned_reviewers",
    "cohen_kappa",
    "highlight",
    "outcome",
    "term_pattern",
    "unresolved_outcome",
]


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
