"""Whether a search is complete: the one rule, shared by the fetchers, the store and the report.

A search of one stage x source is **complete** when every identifier the database listed is
stored (itself, or under the identifier the database merged it into), nothing is stored that the
database did not list, nothing is stored twice, and the number of identifiers accounted for equals
the count the database reported for the query. Anything else is **incomplete**, with the number
missing (or the number beyond the reported count) and the reasons; an incomplete search the user
accepted explicitly is **accepted**: it is used as the current search, and shown as incomplete.

This module is pure: it judges numbers and identifier sets that its callers read from the store.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class SearchState(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    ACCEPTED = "accepted"  # incomplete, accepted by the user as the current search

    @property
    def current_candidate(self) -> bool:
        """Whether a search in this state may be the current search of its stage x source."""
        return self is not SearchState.INCOMPLETE


@dataclass(frozen=True)
class Completeness:
    """The judgement of one search, with the numbers it rests on."""

    state: SearchState
    reported: int | None  # what the database said the query matches
    listed: int  # identifiers the database listed (for Scopus: the distinct ones on its pages)
    stored: int  # distinct identifiers stored
    aliased: int  # listed identifiers stored under the identifier they were merged into
    missing: int  # reported minus accounted for, when positive
    surplus: int  # accounted for minus reported, when positive
    reasons: tuple[str, ...] = ()

    @property
    def accounted(self) -> int:
        return self.reported - self.missing + self.surplus if self.reported is not None else 0

    def summary(self) -> str:
        """One line: ``complete`` or what is wrong, for listings and messages."""
        if self.state is SearchState.COMPLETE:
            return "complete"
        parts = []
        if self.missing:
            parts.append(f"{self.missing} missing")
        if self.surplus:
            parts.append(f"{self.surplus} more than reported")
        if not parts and self.reasons:
            parts.append(self.reasons[0])
        label = "INCOMPLETE" if self.state is SearchState.INCOMPLETE else "incomplete, accepted"
        return f"{label}: {', '.join(parts)}" if parts else label


def _sample(ids: Collection[str], limit: int = 10) -> str:
    shown = sorted(ids)[:limit]
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(shown) + more


def assess(
    *,
    reported: int | None,
    stored_ids: Collection[str],
    listed: Sequence[str] | None = None,
    aliases: Mapping[str, str] | None = None,
    duplicate_rows: int = 0,
    unidentified_rows: int = 0,
    known_missing: Mapping[str, str] | None = None,
    accepted: bool = False,
) -> Completeness:
    """Judge one search.

    ``stored_ids`` are the distinct identifiers stored (read back from the store, not taken from
    the fetcher's word); ``listed`` the identifiers the database listed for the query (None when
    the answer pages are the listing, as for Scopus); ``aliases`` old -> new identifiers the
    database merged; ``duplicate_rows`` stored rows beyond one per identifier;
    ``unidentified_rows`` stored rows without an identifier; ``known_missing`` why a listed
    identifier was not stored, where the fetcher knows.
    """
    aliases = dict(aliases or {})
    stored = set(stored_ids)
    universe = set(listed) if listed is not None else set(stored)
    accounted = {i for i in universe if i in stored or aliases.get(i) in stored}
    aliased = sum(1 for i in accounted if i not in stored)
    reasons: list[str] = []
    if reported is None:
        reasons.append("the database reported no count for the query")
    missing = max(0, (reported or 0) - len(accounted)) if reported is not None else 0
    surplus = max(0, len(accounted) - reported) if reported is not None else 0
    if listed is not None and reported is not None and len(universe) != reported:
        reasons.append(
            f"the database reported {reported} records but listed {len(universe)} distinct "
            "identifiers"
        )
    lost = universe - accounted
    if lost:
        known = dict(known_missing or {})
        why = sorted({known[i] for i in lost if i in known})
        text = f"{len(lost)} listed identifiers were not stored ({_sample(lost)})"
        if why:
            text += ": " + "; ".join(why[:5])
        reasons.append(text)
    if listed is not None:
        unasked = stored - universe - set(aliases.values())
        if unasked:
            reasons.append(
                f"{len(unasked)} stored identifiers were never listed for the query "
                f"({_sample(unasked)})"
            )
    if duplicate_rows:
        reasons.append(f"{duplicate_rows} records are stored more than once")
    if unidentified_rows:
        reasons.append(f"{unidentified_rows} stored records have no identifier")
    if reported is not None and listed is None and surplus:
        reasons.append(
            f"{len(accounted)} distinct identifiers were stored but the database reported "
            f"{reported}"
        )
    if reported is not None and missing and not lost and listed is None:
        reasons.append(
            f"{len(accounted)} distinct identifiers were stored but the database reported "
            f"{reported}"
        )
    complete = not reasons and missing == 0 and surplus == 0
    if complete:
        state = SearchState.COMPLETE
    else:
        state = SearchState.ACCEPTED if accepted else SearchState.INCOMPLETE
    return Completeness(
        state=state,
        reported=reported,
        listed=len(universe),
        stored=len(stored),
        aliased=aliased,
        missing=missing,
        surplus=surplus,
        reasons=tuple(reasons),
    )
