"""The search strategy as data: the model and the loader of ``strategy.toml``.

The format is documented for users in ``docs/query.md``. A strategy is either named concept
blocks (each a boolean text, usually terms joined by OR) with an ``expression`` over the block
names, or one plain boolean ``text``. Stages share the strategy and state only what changes: dates,
languages, terms dropped or added.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rea.errors import Location, NotFound, StrategyError
from rea.query.ast import Group, Heading, Near, Node, Not, Pos, Term, iter_headings, iter_terms
from rea.query.databases import DATABASE_IDS
from rea.query.findings import Finding
from rea.query.parser import TAG_HELP, TagSpec, parse_with_findings, read_tag
from rea.query.tomlpos import TomlPositions

#: Databases rea renders queries for (their descriptions: :mod:`rea.query.databases`).
DATABASES = DATABASE_IDS
#: The version of the strategy file format this code reads.
FORMAT = 1
#: Which fields the terms are searched in.
FIELDS = ("title_abstract", "title_abstract_keywords")


@dataclass(frozen=True)
class Stage:
    """One search stage: its own dates, languages and changes to the shared terms."""

    id: str
    label: str
    date_from: date
    date_to: date
    languages: tuple[str, ...] = ("english",)
    drop_terms: tuple[str, ...] = ()
    drop_blocks: tuple[str, ...] = ()
    add_terms: tuple[tuple[str, Node], ...] = ()


@dataclass(frozen=True)
class Block:
    """A named concept: a boolean text, usually terms joined by OR."""

    name: str
    label: str
    node: Node
    pos: Pos | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Filters:
    """Limits applied besides the terms."""

    fields: str = "title_abstract"
    scopus_subject_areas: tuple[str, ...] = ()
    wos_editions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Acceptance:
    """A lint finding the review team looked at and kept (``[lint] accept``), with the reason."""

    code: str
    reason: str
    term: str | None = None
    db: str | None = None


@dataclass(frozen=True)
class Strategy:
    """A review's search strategy. Build it with :func:`load_strategy`."""

    review_id: str
    title: str
    prospero: str | None
    stages: tuple[Stage, ...]
    api_sources: tuple[str, ...] = ()
    import_sources: tuple[str, ...] = ()
    other_sources: tuple[str, ...] = ()
    blocks: tuple[Block, ...] = ()
    expression: Node | None = None
    text: Node | None = None
    filters: Filters = Filters()
    path: Path | None = None
    findings: tuple[Finding, ...] = ()
    accepted: tuple[Acceptance, ...] = ()
    truncation: tuple[tuple[str, tuple[Term, ...]], ...] = ()

    def forms(self, term: Term) -> tuple[Term, ...] | None:
        """The forms declared in ``[truncation]`` for a truncated term (``GP*`` -> GP, GPs)."""
        for key, forms in self.truncation:
            if key == term.key:
                return forms
        return None

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        known = ", ".join(s.id for s in self.stages)
        raise NotFound(
            f"no stage {stage_id!r} in this strategy (stages: {known})",
            where=str(self.path) if self.path else None,
        )

    def block(self, name: str) -> Block:
        for block in self.blocks:
            if block.name == name:
                return block
        raise NotFound(f"no block {name!r} in this strategy")

    def query(self, stage_id: str) -> Node:
        """The whole search of a stage as one tree: blocks substituted, stage changes applied."""
        stage = self.stage(stage_id)
        node = _resolve(self, stage)
        if node is None:
            raise StrategyError(
                f"stage {stage.id!r} drops every term; nothing is left to search",
                where=str(self.path) if self.path else None,
            )
        return node

    def terms(self, stage_id: str) -> list[str]:
        """The plain terms a stage searches for (``primary care*``), each once, in order; subject
        headings are not words of the text and are left out."""
        seen: dict[str, str] = {}
        for term in iter_terms(self.query(stage_id)):
            seen.setdefault(term.key, term.text)
        return list(seen.values())


# -- resolving a stage -------------------------------------------------------------------------
def _map_terms(node: Node, change: Callable[[Term | Heading], Node | None]) -> Node | None:
    """The tree with each term or heading replaced by ``change(leaf)``; a leaf mapped to None is
    removed, and groups left empty disappear (a NOT whose right side is gone keeps its left side;
    a proximity that lost a side is gone)."""
    if isinstance(node, Term | Heading):
        return change(node)
    if isinstance(node, Group):
        kept = [c for c in (_map_terms(child, change) for child in node.children) if c]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Group(node.op, tuple(kept), node.pos)
    left, right = _map_terms(node.left, change), _map_terms(node.right, change)
    if isinstance(node, Near):
        if left is None or right is None:
            return None
        return Near(left, right, node.distance, node.ordered, node.pos)
    if left is None:
        return None
    return left if right is None else Not(left, right, node.pos)


def _drop(node: Node, keys: frozenset[str]) -> Node | None:
    """The tree without the terms (and headings) in ``keys``."""
    return _map_terms(node, lambda leaf: None if leaf.key in keys else leaf)


def _substitute(node: Node, blocks: Mapping[str, Node | None]) -> Node | None:
    """The expression over block names with each name replaced by its block's tree."""
    return _map_terms(node, lambda leaf: blocks[leaf.text])


def drop_key(text: str) -> str:
    """What a ``drop_terms`` item matches: a term (``review*``) or a heading (``"X"[mh]``)."""
    node, findings = parse_with_findings(text)
    if isinstance(node, Term | Heading) and not any(f.severity == "error" for f in findings):
        return node.key
    return text.lower().strip('"')


def _or(a: Node, b: Node) -> Node:
    left = a.children if isinstance(a, Group) and a.op == "OR" else (a,)
    right = b.children if isinstance(b, Group) and b.op == "OR" else (b,)
    return Group("OR", (*left, *right), a.pos)


def _resolve(strategy: Strategy, stage: Stage) -> Node | None:
    keys = frozenset(drop_key(t) for t in stage.drop_terms)
    if strategy.text is not None:
        return _drop(strategy.text, keys)
    added = dict(stage.add_terms)
    nodes: dict[str, Node | None] = {}
    for block in strategy.blocks:
        node: Node | None = block.node
        if block.name in added:
            node = _or(block.node, added[block.name])
        nodes[block.name] = None if block.name in stage.drop_blocks else _drop_opt(node, keys)
    assert strategy.expression is not None
    return _substitute(strategy.expression, nodes)


def _drop_opt(node: Node | None, keys: frozenset[str]) -> Node | None:
    return None if node is None else _drop(node, keys)


# -- loading -------------------------------------------------------------------------------------
_TAGGED = re.compile(r"^(.*?)\[([^\[\]]+)\]$")


def read_tag_or_none(text: str) -> TagSpec | None:
    try:
        return read_tag(text)
    except ValueError:
        return None


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

_TOP_KEYS = {
    "format",
    "review",
    "sources",
    "filters",
    "blocks",
    "query",
    "stages",
    "lint",
    "truncation",
}
_ACCEPT_KEYS = {"code", "term", "db", "reason"}
_REVIEW_KEYS = {"id", "title", "prospero", "reference", "note"}
_SOURCE_KEYS = {"api", "import", "other"}
_FILTER_KEYS = {"fields", "languages", "scopus_subject_areas", "wos_editions"}
_BLOCK_KEYS = {"label", "text", "terms", "note"}
_QUERY_KEYS = {"expression", "text"}
_STAGE_KEYS = {
    "id",
    "label",
    "date_from",
    "date_to",
    "languages",
    "drop_terms",
    "drop_blocks",
    "add_terms",
    "note",
}


class _Loader:
    def __init__(self, path: Path, raw: str) -> None:
        self.path = path
        self.raw = raw
        self.pos = TomlPositions(raw)
        self.findings: list[Finding] = []

    def fail(self, what: str, at: Pos | None, hint: str | None = None) -> StrategyError:
        where = Location(self.path, at.line, at.column) if at else Location(self.path)
        return StrategyError(what, where=where, hint=hint)

    def check_keys(
        self, data: Mapping[str, Any], allowed: set[str], table: str, i: int = 0
    ) -> None:
        for key in data:
            if key not in allowed:
                shown = f"[{table}] " if table else ""
                raise self.fail(
                    f"unknown key {key!r} in {shown or 'the top level'}".strip(),
                    self.pos.key(table, key, i),
                    hint=f"allowed: {', '.join(sorted(allowed))}",
                )

    def text(self, data: Mapping[str, Any], table: str, key: str, i: int = 0) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(
                f"[{table}] {key} must be a non-empty string", self.pos.key(table, key, i)
            )
        return value

    def strings(self, data: Mapping[str, Any], table: str, key: str, i: int = 0) -> tuple[str, ...]:
        value = data.get(key, [])
        shown = "[[stages]]" if table == "stages" else f"[{table}]"
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{shown} {key} must be a list of strings", self.pos.key(table, key, i))
        if len(set(value)) != len(value):
            raise self.fail(f"{shown} {key} names an item twice", self.pos.key(table, key, i))
        return tuple(value)

    def boolean(self, value: Any, table: str, key: str, i: int = 0) -> Node:
        """Parse a boolean text value; errors carry their position in the file."""
        if not isinstance(value, str):
            raise self.fail(f"[{table}] {key} must be a string", self.pos.key(table, key, i))
        origin = self.pos.value(table, key, i) or Pos(1, 1)
        places = self.pos.basic_string_map(origin, value)
        node, findings = parse_with_findings(value, path=self.path, origin=origin, places=places)
        for finding in findings:
            if finding.severity == "error":
                raise self.fail(f"[{table}] {key}: {finding.message}", finding.pos, finding.hint)
        self.findings.extend(findings)
        assert node is not None
        return node

    def term_list(self, value: Any, table: str, key: str) -> Node:
        """``terms = ["primary care*", "GP*"]``: each item one term, joined by OR."""
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail(
                f"[{table}] {key} must be a non-empty list of terms", self.pos.key(table, key)
            )
        places = self.pos.strings_in_array(table, key)
        terms: list[Node] = []
        for n, item in enumerate(value):
            at = places[n] if n < len(places) else self.pos.key(table, key)
            tagged = _TAGGED.match(item.strip())
            tag = read_tag_or_none(tagged.group(2)) if tagged else None
            if tagged and tag is None:
                raise self.fail(f"[{table}] {key}: unknown tag in {item!r}", at, hint=TAG_HELP)
            if tagged:
                item = tagged.group(1)
            quoted = len(item) >= 2 and item.startswith('"') and item.endswith('"')
            words = tuple(item.strip('"').split())
            if not words or any(ch in item.strip('"') for ch in '()"[]'):
                raise self.fail(
                    f"[{table}] {key}: {item!r} is not one term",
                    at,
                    hint="write one word or phrase per item, or use text = '''...''' "
                    "for boolean text",
                )
            if len(words) == 1 and words[0].upper() in ("AND", "OR", "NOT"):
                raise self.fail(f"[{table}] {key}: {item!r} is an operator, not a term", at)
            if tag is not None and tag.heading is not None:
                vocabulary, explode, major = tag.heading
                terms.append(Heading(vocabulary, " ".join(words), explode, major, at))
                continue
            fields = tag.fields if tag is not None else None
            exact = tag.exact if tag is not None else False
            terms.append(Term(words, quoted, at, fields, exact))
        return terms[0] if len(terms) == 1 else Group("OR", tuple(terms), terms[0].pos)

    def day(self, data: Mapping[str, Any], key: str, i: int) -> date:
        value = data.get(key)
        at = self.pos.key("stages", key, i)
        if value is None:
            raise self.fail(
                f"[[stages]] {data.get('id', i + 1)!s}: {key} is missing",
                self.pos.table("stages", i),
                hint=f"add e.g. {key} = 1998-01-01",
            )
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise self.fail(
                    f"[[stages]] {key} {value!r} is not a date", at, hint="write e.g. 1998-01-01"
                ) from None
        if type(value) is not date:
            raise self.fail(
                f"[[stages]] {key} must be a date such as 1998-01-01",
                at or self.pos.table("stages", i),
            )
        return value

    def load(self) -> Strategy:
        try:
            data = tomllib.loads(self.raw)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            match = _TOML_AT.search(message)
            at = Pos(int(match.group(1)), int(match.group(2))) if match else None
            what = _TOML_AT.sub("", message)
            raise self.fail(f"not valid TOML: {what}", at) from None
        self.check_keys(data, _TOP_KEYS, "")
        version = data.get("format", FORMAT)
        if version != FORMAT:
            raise self.fail(
                f"strategy format {version!r} is not one this rea reads (format {FORMAT})",
                self.pos.key("", "format"),
                hint="upgrade rea, or write format = 1",
            )

        review = data.get("review")
        if not isinstance(review, dict):
            raise self.fail("the strategy needs a [review] table with id and title", Pos(1, 1))
        self.check_keys(review, _REVIEW_KEYS, "review")
        review_id = review.get("id", self.path.parent.name)
        if not isinstance(review_id, str) or not _ID.match(review_id):
            raise self.fail(
                "[review] id must be a name of letters, digits, - and _",
                self.pos.key("review", "id"),
            )
        title = self.text(review, "review", "title")
        prospero = review.get("prospero")
        if prospero is not None and not isinstance(prospero, str):
            raise self.fail(
                "[review] prospero must be a string", self.pos.key("review", "prospero")
            )

        sources = data.get("sources", {})
        self.check_keys(sources, _SOURCE_KEYS, "sources")
        api = self.strings(sources, "sources", "api")
        for name in api:
            if name not in DATABASES:
                raise self.fail(
                    f"[sources] api names {name!r}, which rea cannot search",
                    self.pos.key("sources", "api"),
                    hint=f"databases rea renders: {', '.join(DATABASES)}",
                )
        imports = self.strings(sources, "sources", "import")
        other = self.strings(sources, "sources", "other")

        filters_data = data.get("filters", {})
        self.check_keys(filters_data, _FILTER_KEYS, "filters")
        fields = filters_data.get("fields", "title_abstract")
        if fields not in FIELDS:
            raise self.fail(
                f"[filters] fields must be one of {', '.join(FIELDS)}",
                self.pos.key("filters", "fields"),
            )
        languages = (
            self.strings(filters_data, "filters", "languages")
            if "languages" in filters_data
            else ("english",)
        )
        filters = Filters(
            fields=fields,
            scopus_subject_areas=self.strings(filters_data, "filters", "scopus_subject_areas"),
            wos_editions=self.strings(filters_data, "filters", "wos_editions"),
        )

        blocks = self.load_blocks(data.get("blocks", {}))
        expression, text = self.load_query(data.get("query"), blocks)
        stages = self.load_stages(data.get("stages"), languages, blocks, text)
        strategy = Strategy(
            review_id=review_id,
            title=title.strip(),
            prospero=prospero,
            stages=stages,
            api_sources=api,
            import_sources=imports,
            other_sources=other,
            blocks=blocks,
            expression=expression,
            text=text,
            filters=filters,
            path=self.path,
            findings=tuple(self.findings),
            accepted=self.load_accepted(data.get("lint", {})),
            truncation=self.load_truncation(data.get("truncation", {})),
        )
        for stage in stages:
            self.check_drops(strategy, stage)
        return strategy

    def load_blocks(self, data: Any) -> tuple[Block, ...]:
        if not isinstance(data, dict):
            raise self.fail("[blocks] must be a table of named blocks", self.pos.table("blocks"))
        blocks: list[Block] = []
        for name, body in data.items():
            table = f"blocks.{name}"
            at = self.pos.table(table) or self.pos.key("blocks", name)
            if not _NAME.match(name) or name.upper() in ("AND", "OR", "NOT"):
                raise self.fail(
                    f"block name {name!r} must start with a letter and hold only letters, "
                    "digits, - and _ (and not be AND, OR or NOT)",
                    at,
                )
            if isinstance(body, str):
                node = self.boolean(body, "blocks", name)
                blocks.append(Block(name, name, node, at))
                continue
            if not isinstance(body, dict):
                raise self.fail(f"[{table}] must be a table or a string", at)
            self.check_keys(body, _BLOCK_KEYS, table)
            if ("text" in body) == ("terms" in body):
                raise self.fail(f"[{table}] needs either text or terms (one of them)", at)
            if "text" in body:
                node = self.boolean(body["text"], table, "text")
            else:
                node = self.term_list(body["terms"], table, "terms")
            label = body.get("label", name)
            if not isinstance(label, str):
                raise self.fail(f"[{table}] label must be a string", self.pos.key(table, "label"))
            blocks.append(Block(name, label, node, at))
        return tuple(blocks)

    def load_query(self, data: Any, blocks: tuple[Block, ...]) -> tuple[Node | None, Node | None]:
        if not isinstance(data, dict):
            raise self.fail(
                "the strategy needs a [query] table with expression (over block names) or text",
                self.pos.table("query") or Pos(1, 1),
            )
        self.check_keys(data, _QUERY_KEYS, "query")
        if ("expression" in data) == ("text" in data):
            raise self.fail(
                "[query] needs either expression (over block names) or text (one of them)",
                self.pos.table("query"),
            )
        if "text" in data:
            if blocks:
                raise self.fail(
                    "[query] text is a whole search; with [blocks] write expression instead",
                    self.pos.key("query", "text"),
                )
            return None, self.boolean(data["text"], "query", "text")
        expression = self.boolean(data["expression"], "query", "expression")
        names = {b.name for b in blocks}
        for term in iter_terms(expression):
            if term.quoted or term.is_phrase or term.text not in names:
                known = ", ".join(sorted(names)) or "none"
                raise self.fail(
                    f"[query] expression: unknown block name {term.written()}",
                    term.pos,
                    hint=f"blocks: {known}",
                )
        return expression, None

    def load_stages(
        self,
        data: Any,
        languages: tuple[str, ...],
        blocks: tuple[Block, ...],
        text: Node | None,
    ) -> tuple[Stage, ...]:
        if not isinstance(data, list) or not data:
            raise self.fail(
                "the strategy needs at least one [[stages]] table", self.pos.table("stages")
            )
        stages: list[Stage] = []
        names = {b.name for b in blocks}
        for i, body in enumerate(data):
            if not isinstance(body, dict):
                raise self.fail("[[stages]] must be tables", self.pos.table("stages", i))
            self.check_keys(body, _STAGE_KEYS, "stages", i)
            stage_id = body.get("id")
            if not isinstance(stage_id, str) or not _ID.match(stage_id):
                raise self.fail(
                    "[[stages]] id must be a name of letters, digits, - and _",
                    self.pos.key("stages", "id", i),
                )
            if any(s.id == stage_id for s in stages):
                raise self.fail(
                    f"stage id {stage_id!r} used twice", self.pos.key("stages", "id", i)
                )
            date_from = self.day(body, "date_from", i)
            date_to = self.day(body, "date_to", i)
            if date_to < date_from:
                raise self.fail(
                    f"stage {stage_id!r} ends ({date_to}) before it starts ({date_from})",
                    self.pos.key("stages", "date_to", i),
                )
            label = body.get("label", stage_id)
            drop_blocks = self.strings(body, "stages", "drop_blocks", i)
            for name in drop_blocks:
                if name not in names:
                    raise self.fail(
                        f"stage {stage_id!r} drops unknown block {name!r}",
                        self.pos.key("stages", "drop_blocks", i),
                    )
            added: list[tuple[str, Node]] = []
            add = body.get("add_terms", {})
            if not isinstance(add, dict):
                raise self.fail(
                    "add_terms must be a table: block name = boolean text",
                    self.pos.key("stages", "add_terms", i),
                )
            if add and text is not None:
                raise self.fail(
                    "add_terms needs [blocks]; with a plain [query] text, write another stage",
                    self.pos.key("stages", "add_terms", i),
                )
            for name, value in add.items():
                if name not in names:
                    raise self.fail(
                        f"stage {stage_id!r} adds terms to unknown block {name!r}",
                        self.pos.key("stages", "add_terms", i),
                    )
                added.append((name, self.boolean(value, "stages", "add_terms", i)))
            stages.append(
                Stage(
                    id=stage_id,
                    label=str(label),
                    date_from=date_from,
                    date_to=date_to,
                    languages=(
                        self.strings(body, "stages", "languages", i)
                        if "languages" in body
                        else languages
                    ),
                    drop_terms=self.strings(body, "stages", "drop_terms", i),
                    drop_blocks=drop_blocks,
                    add_terms=tuple(added),
                )
            )
        return tuple(stages)

    def load_accepted(self, data: Any) -> tuple[Acceptance, ...]:
        at = self.pos.table("lint") or self.pos.key("", "lint")
        if not isinstance(data, dict):
            raise self.fail("[lint] must be a table", at)
        self.check_keys(data, {"accept"}, "lint")
        rules = data.get("accept", [])
        where = self.pos.key("lint", "accept") or at
        if not isinstance(rules, list):
            raise self.fail("[lint] accept must be a list of tables", where)
        out: list[Acceptance] = []
        for rule in rules:
            if not isinstance(rule, dict) or set(rule) - _ACCEPT_KEYS:
                raise self.fail(
                    "each [lint] accept item is a table of code, reason and optionally term, db",
                    where,
                )
            code, reason = rule.get("code"), rule.get("reason")
            if not isinstance(code, str) or not isinstance(reason, str) or not reason.strip():
                raise self.fail(
                    "each [lint] accept item needs a code and a reason",
                    where,
                    hint='e.g. { code = "subsumed-term", term = "scope", reason = "as printed" }',
                )
            if code == "unsupported":
                raise self.fail(
                    "[lint] accept cannot keep an unsupported truncation: the rendered query "
                    "would search less",
                    where,
                    hint='declare the forms it stands for: [truncation] "GP*" = ["GP", "GPs"]',
                )
            term, db = rule.get("term"), rule.get("db")
            if term is not None and not isinstance(term, str):
                raise self.fail("[lint] accept term must be a string", where)
            if db is not None and db not in DATABASES:
                raise self.fail(f"[lint] accept db must be one of {', '.join(DATABASES)}", where)
            out.append(Acceptance(code, reason.strip(), term, db))
        return tuple(out)

    def load_truncation(self, data: Any) -> tuple[tuple[str, tuple[Term, ...]], ...]:
        """``[truncation] "GP*" = ["GP", "GPs"]``: the forms a truncated term stands for, used
        where a database cannot run the truncation (a stem under its minimum)."""
        at = self.pos.table("truncation") or self.pos.key("", "truncation")
        if not isinstance(data, dict):
            raise self.fail('[truncation] must be a table: "GP*" = ["GP", "GPs"]', at)
        out: list[tuple[str, tuple[Term, ...]]] = []
        for key, forms in data.items():
            where = self.pos.key("truncation", key) or at
            term_key = key.strip('"').lower()
            if "*" not in term_key:
                raise self.fail(
                    f"[truncation] {key!r} has no *: list forms for a truncated term",
                    where,
                    hint='e.g. "GP*" = ["GP", "GPs"]',
                )
            if (
                not isinstance(forms, list)
                or not forms
                or not all(isinstance(f, str) and f.strip() for f in forms)
            ):
                raise self.fail(f"[truncation] {key!r} must list the forms as strings", where)
            terms: list[Term] = []
            for form in forms:
                words = tuple(form.strip('"').split())
                if "*" in form or any(ch in form.strip('"') for ch in '()"[]'):
                    raise self.fail(
                        f"[truncation] {key!r}: {form!r} must be a plain word or phrase "
                        "(no *, quotes, brackets)",
                        where,
                    )
                if len(words) != len(term_key.split()):
                    raise self.fail(
                        f"[truncation] {key!r}: {form!r} has {len(words)} word(s), the term "
                        f"{len(term_key.split())}",
                        where,
                    )
                terms.append(Term(words, len(words) > 1, where))
            out.append((term_key, tuple(terms)))
        return tuple(out)

    def check_drops(self, strategy: Strategy, stage: Stage) -> None:
        index = strategy.stages.index(stage)
        everything = (
            [strategy.text]
            if strategy.text is not None
            else [b.node for b in strategy.blocks] + [n for _, n in stage.add_terms]
        )
        keys = {t.key for node in everything for t in iter_terms(node)}
        keys |= {h.key for node in everything for h in iter_headings(node)}
        for term in stage.drop_terms:
            if drop_key(term) not in keys:
                raise self.fail(
                    f"stage {stage.id!r} drops {term!r}, which the strategy does not contain",
                    self.pos.key("stages", "drop_terms", index),
                    hint="write the term as the strategy does, e.g. review*",
                )
        try:
            strategy.query(stage.id)
        except StrategyError as exc:
            raise self.fail(exc.what, self.pos.table("stages", index)) from None


def load_strategy(path: Path) -> Strategy:
    """Read and check ``strategy.toml``; raises :class:`StrategyError` naming file, line, column."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StrategyError("no such strategy file", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StrategyError(f"cannot read the strategy: {exc}", where=str(path)) from None
    return _Loader(path, raw).load()
