"""A review's ``screening.toml``: phases, criteria, exclusion reasons, reviewers, blinding.

Every problem is reported with the file and, where it can be found, the line of the key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from rea.errors import ConfigError, Location, NotFound
from rea.screening.model import Decision, Phase, Role, Rules

E = TypeVar("E", bound=StrEnum)

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Reviewer:
    name: str  # short, as typed on the command line, e.g. "JS"
    full_name: str
    roles: frozenset[Role]

    @property
    def screens(self) -> bool:
        return Role.SCREENER in self.roles

    @property
    def adjudicates(self) -> bool:
        return Role.ADJUDICATOR in self.roles


@dataclass(frozen=True)
class Reason:
    code: str  # e.g. "not-collaboration"
    label: str
    phases: frozenset[Phase]


@dataclass(frozen=True)
class PhaseSettings:
    phase: Phase
    double_screen_share: float  # 0 = one reviewer per work, 1 = two, 0.2 = a fifth by two
    reason_required: bool  # an exclusion must name a reason
    screeners: tuple[str, ...]  # who screens in this phase, in order


@dataclass(frozen=True)
class ScreeningConfig:
    path: Path
    blind: bool
    maybe_counts_as_include: bool
    criteria: tuple[str, ...]
    reviewers: tuple[Reviewer, ...]
    reasons: tuple[Reason, ...]
    phases: dict[Phase, PhaseSettings]
    highlight: tuple[str, ...] = ()  # extra terms to highlight besides the strategy's
    exclusion_words: tuple[str, ...] = ()  # words that suggest exclusion (a second colour)

    def reviewer(self, name: str) -> Reviewer:
        for reviewer in self.reviewers:
            if reviewer.name == name:
                return reviewer
        known = ", ".join(r.name for r in self.reviewers)
        raise NotFound(
            f"unknown reviewer {name!r}",
            where=str(self.path),
            hint=f"reviewers in screening.toml: {known}",
        )

    def screener(self, name: str, phase: Phase) -> Reviewer:
        reviewer = self.reviewer(name)
        if name not in self.phases[phase].screeners:
            raise NotFound(
                f"{name} does not screen at {phase.label}",
                where=str(self.path),
                hint="screeners of this phase: " + ", ".join(self.phases[phase].screeners),
            )
        return reviewer

    def reason(self, code: str, phase: Phase) -> Reason:
        for reason in self.reasons:
            if reason.code == code and phase in reason.phases:
                return reason
        known = ", ".join(r.code for r in self.reasons_for(phase))
        raise NotFound(
            f"unknown exclusion reason {code!r} at {phase.label}",
            where=str(self.path),
            hint=f"reasons: {known}",
        )

    @property
    def rules(self) -> Rules:
        """What the final-decision rule reads of these settings."""
        return Rules(
            maybe_counts_as_include=self.maybe_counts_as_include,
            reason_required={p: s.reason_required for p, s in self.phases.items()},
        )

    def reasons_for(self, phase: Phase) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if phase in r.phases)

    def counts_as_include(self, decision: Decision) -> bool:
        return decision is Decision.INCLUDE or (
            decision is Decision.MAYBE and self.maybe_counts_as_include
        )


def _line_of(text: str, key: str, table: str | None = None, nth: int = 0) -> int | None:
    """The line of ``key = …`` (inside the nth ``[table]``/``[[table]]`` when given)."""
    lines = text.splitlines()
    start = 0
    if table is not None:
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
        seen = -1
        for i, line in enumerate(lines):
            if header.match(line):
                seen += 1
                if seen == nth:
                    start = i
                    break
        else:
            return None
    keypat = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for i in range(start, len(lines)):
        if i > start and table is not None and lines[i].lstrip().startswith("["):
            break
        if keypat.match(lines[i]):
            return i + 1
    return start + 1 if table is not None else None


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def fail(
        self,
        what: str,
        key: str,
        table: str | None = None,
        nth: int = 0,
        hint: str | None = None,
    ) -> ConfigError:
        line = _line_of(self.text, key.split(".")[-1], table, nth)
        return ConfigError(what, where=Location(self.path, line, field=key), hint=hint)

    def string(self, data: dict[str, Any], key: str, table: str | None = None, nth: int = 0) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key} must be a non-empty string", key, table, nth)
        return value.strip()

    def strings(
        self, data: dict[str, Any], key: str, table: str | None = None, nth: int = 0
    ) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(f"{key} must be a list of non-empty strings", key, table, nth)
        return tuple(v.strip() for v in value)

    def tables(self, data: dict[str, Any], key: str, example: str) -> list[dict[str, Any]]:
        """The entries of an array of tables ``[[key]]``: at least one, each a table."""
        value = data.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(f"at least one [[{key}]] entry is needed", key, hint=example)
        if not all(isinstance(v, dict) for v in value):
            raise self.fail(f"each entry of {key} must be a [[{key}]] table", key)
        return value

    def choices(
        self,
        data: dict[str, Any],
        key: str,
        kind: type[E],
        default: tuple[E, ...],
        table: str,
        nth: int,
    ) -> frozenset[E]:
        """A list of names from an enumeration (roles, phases); ``default`` when absent."""
        names = self.strings(data, key, table, nth)
        if not names:
            return frozenset(default)
        found = set()
        for name in names:
            try:
                found.add(kind(name))
            except ValueError:
                raise self.fail(
                    f"unknown {key.rstrip('s')} {name!r}",
                    key,
                    table,
                    nth,
                    hint=f"{key}: " + ", ".join(k.value for k in kind),
                ) from None
        return frozenset(found)

    def unknown(
        self, data: dict[str, Any], allowed: set[str], table: str | None = None, nth: int = 0
    ) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(
                    f"unknown setting {key!r}",
                    key,
                    table,
                    nth,
                    hint="known here: " + ", ".join(sorted(allowed)),
                )


def load_screening_config(path: Path) -> ScreeningConfig:
    """Read and check a ``screening.toml``; raises :class:`ConfigError` naming file and line."""
    if not path.is_file():
        raise ConfigError(
            "no screening.toml in the review folder",
            where=str(path),
            hint="copy searches/pcn-rea/screening.toml and adapt it (see docs/screening.md)",
        )
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = Location(path, int(match.group(1)), int(match.group(2))) if match else str(path)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(f"not valid TOML: {message}", where=where) from exc
    r = _Reader(path, text)
    r.unknown(
        data,
        {"blind", "maybe_counts_as_include", "criteria", "highlight", "exclusion_words"}
        | {"reviewers", "ranking"}
        | {"exclusion_reasons", "phases"},
    )

    blind = data.get("blind", True)
    if not isinstance(blind, bool):
        raise r.fail("blind must be true or false", "blind")
    maybe = data.get("maybe_counts_as_include", True)
    if not isinstance(maybe, bool):
        raise r.fail("maybe_counts_as_include must be true or false", "maybe_counts_as_include")
    criteria = r.strings(data, "criteria")
    highlight = r.strings(data, "highlight")
    exclusion_words = r.strings(data, "exclusion_words")

    reviewers: list[Reviewer] = []
    example = '[[reviewers]]\nname = "JS"\nroles = ["screener"]'
    for i, entry in enumerate(r.tables(data, "reviewers", example)):
        r.unknown(entry, {"name", "full_name", "roles"}, "reviewers", i)
        name = r.string(entry, "name", "reviewers", i)
        if not _NAME.match(name):
            raise r.fail(
                f"reviewer name {name!r} must be letters, digits, '.', '_' or '-' (e.g. JS)",
                "name",
                "reviewers",
                i,
            )
        if any(x.name == name for x in reviewers):
            raise r.fail(f"reviewer {name!r} is listed twice", "name", "reviewers", i)
        roles = r.choices(entry, "roles", Role, (Role.SCREENER,), "reviewers", i)
        full = entry.get("full_name", name)
        if not isinstance(full, str):
            raise r.fail("full_name must be a string", "full_name", "reviewers", i)
        reviewers.append(Reviewer(name, full, roles))

    reasons: list[Reason] = []
    example = '[[exclusion_reasons]]\ncode = "wrong-setting"\nlabel = "Not primary care"'
    for i, entry in enumerate(r.tables(data, "exclusion_reasons", example)):
        r.unknown(entry, {"code", "label", "phases"}, "exclusion_reasons", i)
        code = r.string(entry, "code", "exclusion_reasons", i)
        if not _CODE.match(code):
            raise r.fail(
                f"reason code {code!r} must be lower case letters, digits, '-' or '_'",
                "code",
                "exclusion_reasons",
                i,
            )
        if any(x.code == code for x in reasons):
            raise r.fail(f"reason {code!r} is listed twice", "code", "exclusion_reasons", i)
        label = r.string(entry, "label", "exclusion_reasons", i)
        phases_of = r.choices(entry, "phases", Phase, tuple(Phase), "exclusion_reasons", i)
        reasons.append(Reason(code, label, phases_of))

    raw_phases = data.get("phases", {})
    if not isinstance(raw_phases, dict):
        raise r.fail("phases must be tables [phases.title_abstract] …", "phases")
    all_screeners = tuple(x.name for x in reviewers if x.screens)
    phases: dict[Phase, PhaseSettings] = {}
    for name in raw_phases:
        if name not in {p.value for p in Phase}:
            raise r.fail(
                f"unknown phase {name!r}",
                name,
                hint="phases: title_abstract, full_text",
            )
    for phase in Phase:
        table = f"phases.{phase.value}"
        entry = raw_phases.get(phase.value, {})
        if not isinstance(entry, dict):
            raise r.fail(f"{table} must be a table", phase.value)
        r.unknown(entry, {"double_screen_share", "reason_required", "screeners"}, table)
        share = entry.get("double_screen_share", 1.0 if phase is Phase.FULL_TEXT else 0.0)
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise r.fail(
                "double_screen_share must be a number from 0 (one reviewer per work) "
                "to 1 (two reviewers per work)",
                "double_screen_share",
                table,
            )
        required = entry.get("reason_required", phase is Phase.FULL_TEXT)
        if not isinstance(required, bool):
            raise r.fail("reason_required must be true or false", "reason_required", table)
        screeners = r.strings(entry, "screeners", table) or all_screeners
        for s in screeners:
            if not any(x.name == s and x.screens for x in reviewers):
                raise r.fail(
                    f"{s!r} is not a reviewer with the screener role",
                    "screeners",
                    table,
                )
        if not screeners:
            raise r.fail(
                f"nobody screens at {phase.label}: give a reviewer the screener role",
                "reviewers",
            )
        if float(share) > 0 and len(screeners) < 2:
            raise r.fail(
                f"double screening at {phase.label} needs two screeners, found {len(screeners)}",
                "double_screen_share",
                table,
                hint="add a screener or set double_screen_share = 0",
            )
        if required and not any(phase in x.phases for x in reasons):
            raise r.fail(
                f"exclusions at {phase.label} need a reason but none is listed for that phase",
                "exclusion_reasons",
            )
        phases[phase] = PhaseSettings(phase, float(share), required, screeners)

    return ScreeningConfig(
        path=path,
        blind=blind,
        maybe_counts_as_include=maybe,
        criteria=criteria,
        reviewers=tuple(reviewers),
        reasons=tuple(reasons),
        phases=phases,
        highlight=highlight,
        exclusion_words=exclusion_words,
    )
