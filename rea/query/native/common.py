"""What the readers of native search syntax share: tokens, a precedence parser, field limits,
search-history lines and the limits (dates, languages) found beside the terms.

A reader turns one database's text into :class:`Tok` tokens; :class:`Parser` builds the neutral
tree from them with the database's operator precedence; :class:`Imported` holds the tree, the
limits and a note for everything that could not be carried over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from rea.errors import Location, StrategyError
from rea.query.ast import Group, Heading, Near, Node, Not, Term, canonical_fields


@dataclass
class Imported:
    """A native strategy read back: the tree, the limits found beside it, and notes."""

    db: str
    tree: Node | None = None
    date_from: date | None = None
    date_to: date | None = None
    languages: list[str] = field(default_factory=list)
    review_filter: bool = False
    notes: list[str] = field(default_factory=list)
    subject_areas: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


@dataclass(frozen=True)
class Tok:
    """``kind``: ( ) OP NEAR LEAF OPEN (a field limit opening a group) SUFFIX REF EOF."""

    kind: str
    value: Any = None
    at: int = 0


class NativeError(StrategyError):
    """A native strategy that cannot be read, with its line and column."""


def fail(
    what: str, text: str, at: int, path: str | None, line: int = 1, column: int = 1
) -> NativeError:
    """An error at offset ``at`` of ``text``, which starts at ``line`` and ``column`` of its
    file."""
    before = text[:at]
    row = before.count("\n")
    col = at - (before.rfind("\n") + 1) + (column if row == 0 else 1)
    return NativeError(what, where=Location(path or "<text>", line + row, col))


# -- tree helpers ------------------------------------------------------------------------------
def with_fields(node: Node, fields: tuple[str, ...] | None) -> Node:
    """``node`` with ``fields`` given to every term that has none of its own yet."""
    if fields is None:
        return node
    if isinstance(node, Term):
        return node if node.fields is not None else replace(node, fields=fields)
    if isinstance(node, Heading):
        return node
    if isinstance(node, Group):
        return Group(node.op, tuple(with_fields(c, fields) for c in node.children), node.pos)
    if isinstance(node, Near):
        return Near(
            with_fields(node.left, fields),
            with_fields(node.right, fields),
            node.distance,
            node.ordered,
            node.pos,
        )
    return Not(with_fields(node.left, fields), with_fields(node.right, fields), node.pos)


def strip_fields(node: Node) -> Node:
    if isinstance(node, Term):
        return replace(node, fields=None, pos=None)
    if isinstance(node, Heading):
        return node
    if isinstance(node, Group):
        return Group(node.op, tuple(strip_fields(c) for c in node.children))
    if isinstance(node, Near):
        return Near(strip_fields(node.left), strip_fields(node.right), node.distance, node.ordered)
    return Not(strip_fields(node.left), strip_fields(node.right))


def field_sets(node: Node) -> set[tuple[str, ...] | None]:
    if isinstance(node, Term):
        return {node.fields}
    if isinstance(node, Heading):
        return {("heading",)}
    kids = node.children if isinstance(node, Group) else (node.left, node.right)
    out: set[tuple[str, ...] | None] = set()
    for child in kids:
        out |= field_sets(child)
    return out


def merge_field_copies(node: Node) -> Node:
    """``TI=(x) OR AB=(x)`` read back as x in title and abstract: the children of an OR group
    that are the same search in different single fields are merged into one."""
    if isinstance(node, Term | Heading):
        return node
    if isinstance(node, Not):
        return Not(merge_field_copies(node.left), merge_field_copies(node.right), node.pos)
    if isinstance(node, Near):
        return node
    kids = [merge_field_copies(c) for c in node.children]
    if node.op == "OR":
        merged: list[Node] = []
        index: dict[Node, int] = {}
        for child in kids:
            sets = field_sets(child)
            if len(sets) != 1 or None in sets or ("heading",) in sets:
                merged.append(child)
                continue
            key = strip_fields(child)
            fields = next(iter(sets))
            assert fields is not None
            if key in index:
                at = index[key]
                old = field_sets(merged[at])
                old_fields = next(iter(old))
                assert old_fields is not None
                union = canonical_fields(set(old_fields) | set(fields))
                merged[at] = _refield(merged[at], union)
            else:
                index[key] = len(merged)
                merged.append(child)
        kids = merged
    flat: list[Node] = []
    for child in kids:
        if isinstance(child, Group) and child.op == node.op:
            flat.extend(child.children)
        else:
            flat.append(child)
    return flat[0] if len(flat) == 1 else Group(node.op, tuple(flat), node.pos)


def _refield(node: Node, fields: tuple[str, ...]) -> Node:
    return with_fields(strip_fields(node), fields)


def join(op: str, left: Node, right: Node) -> Node:
    """``left op right`` with groups of the same operator flattened."""
    if op == "NOT":
        return Not(left, right)
    kids: list[Node] = []
    for side in (left, right):
        if isinstance(side, Group) and side.op == op:
            kids.extend(side.children)
        else:
            kids.append(side)
    return Group("AND" if op == "AND" else "OR", tuple(kids))


# -- the parser ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class NearOp:
    distance: int
    ordered: bool
    text: str


class Parser:
    """Precedence climbing over tokens. ``levels`` lists operator names from the loosest to the
    tightest binding (``NEAR`` for proximity); operators on one level group from the left.
    ``resolve`` turns a REF token (a search-history number) into its tree."""

    def __init__(
        self,
        tokens: Sequence[Tok],
        levels: Sequence[set[str]],
        *,
        text: str,
        path: str | None,
        line: int = 1,
        resolve: Callable[[Any, int], Node] | None = None,
        implicit: str = "AND",
        note: Callable[[str], None] | None = None,
        column: int = 1,
    ) -> None:
        self.tokens = list(tokens)
        self.i = 0
        self.levels = levels
        self.text = text
        self.path = path
        self.line = line
        self.resolve = resolve
        self.implicit = implicit
        self.note = note
        self.column = column

    def peek(self) -> Tok:
        return self.tokens[self.i]

    def take(self) -> Tok:
        tok = self.tokens[self.i]
        if tok.kind != "EOF":
            self.i += 1
        return tok

    def error(self, what: str, tok: Tok | None = None) -> NativeError:
        tok = tok or self.peek()
        return fail(what, self.text, tok.at, self.path, self.line, self.column)

    def parse(self) -> Node:
        node = self.expr(0)
        if self.peek().kind != "EOF":
            tok = self.peek()
            raise self.error(f"unexpected {tok.value if tok.value else tok.kind}")
        return node

    def op_name(self, tok: Tok) -> str | None:
        if tok.kind == "OP":
            return str(tok.value)
        if tok.kind == "NEAR":
            return "NEAR"
        if tok.kind in ("LEAF", "(", "OPEN", "REF"):
            return self.implicit
        return None

    def level_of(self, name: str) -> int:
        for n, names in enumerate(self.levels):
            if name in names:
                return n
        raise KeyError(name)

    def expr(self, level: int) -> Node:
        if level >= len(self.levels):
            return self.primary()
        left = self.expr(level + 1)
        while True:
            tok = self.peek()
            name = self.op_name(tok)
            if name is None or name not in self.levels[level]:
                return left
            if tok.kind in ("OP", "NEAR"):
                self.take()
            right = self.expr(level + 1)
            if tok.kind == "NEAR":
                near: NearOp = tok.value
                left = Near(left, right, near.distance, near.ordered)
            else:
                left = join(name, left, right)

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "LEAF":
            return self.suffixed(tok.value)
        if tok.kind == "REF":
            assert self.resolve is not None
            return self.suffixed(self.resolve(tok.value, tok.at))
        if tok.kind in ("(", "OPEN"):
            inner = self.expr(0)
            close = self.take()
            if close.kind == "EOF" and self.note is not None:
                where = fail("", self.text, tok.at, self.path, self.line, self.column).where
                self.note(
                    f"the parenthesis at {where} is never closed: read as closed at the end "
                    "of the text"
                )
            elif close.kind != ")":
                raise self.error("this parenthesis is never closed", tok)
            node = with_fields(inner, tok.value) if tok.kind == "OPEN" else inner
            return self.suffixed(node)
        what = "the end of the text" if tok.kind == "EOF" else repr(tok.value or tok.kind)
        raise self.error(f"expected a term or a group, found {what}", tok)

    def suffixed(self, node: Node) -> Node:
        while self.peek().kind == "SUFFIX":
            node = with_fields(node, self.take().value)
        return node


# -- text helpers ----------------------------------------------------------------------------
def term_of(text: str, *, quoted: bool = False) -> Term:
    """A term from its words (``$`` and other truncation symbols already turned into ``*``)."""
    words = tuple(text.split())
    return Term(words, quoted or len(words) > 1)


YEAR = re.compile(r"(1[89]\d\d|20\d\d)")


def years(imported: Imported, first: int | None, last: int | None) -> None:
    if first is not None:
        imported.date_from = date(first, 1, 1)
    if last is not None:
        imported.date_to = date(last, 12, 31)


def clean_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]


@dataclass(frozen=True)
class Limit(Term):
    """A date, language or document-type limit found among the terms; taken out of the tree
    by :func:`take_limits`."""

    kind: str = ""
    value: str = ""


def limit(kind: str, value: str) -> Limit:
    return Limit((f"<{kind}>",), False, kind=kind, value=value)


def take_limits(node: Node | None, imported: Imported) -> Node | None:
    """Remove the limits ANDed onto the search and record them in ``imported``."""
    if node is None:
        return None
    if isinstance(node, Limit):
        _record(node, imported)
        return None
    if isinstance(node, Group) and node.op == "AND":
        kept: list[Node | None] = []
        for child in node.children:
            if isinstance(child, Limit):
                _record(child, imported)
            elif (
                isinstance(child, Group)
                and child.op == "OR"
                and all(isinstance(c, Limit) for c in child.children)
            ):
                for c in child.children:
                    _record(c, imported)  # type: ignore[arg-type]
            elif child.__class__ is Term or isinstance(child, Heading):
                kept.append(child)
            else:
                kept.append(take_limits(child, imported))
        rest = [k for k in kept if k is not None]
        if not rest:
            return None
        return rest[0] if len(rest) == 1 else Group("AND", tuple(rest), node.pos)
    if _has_limit(node):
        return _drop_limits(node, imported)
    return node


def _has_limit(node: Node) -> bool:
    if isinstance(node, Limit):
        return True
    if isinstance(node, Group):
        return any(_has_limit(c) for c in node.children)
    if isinstance(node, Not | Near):
        return _has_limit(node.left) or _has_limit(node.right)
    return False


def _drop_limits(node: Node, imported: Imported) -> Node | None:
    """The tree without the limits inside it (each noted: a limit can only be carried over when
    it is ANDed onto the whole search)."""
    if isinstance(node, Limit):
        if node.kind == "other":
            imported.note(f"not carried over: {node.value}")
        else:
            imported.note(
                f"a {node.kind} limit inside the search (not ANDed onto all of it) is not "
                f"carried over: {node.value}"
            )
        return None
    if isinstance(node, Group):
        kept = [k for k in (_drop_limits(c, imported) for c in node.children) if k is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Group(node.op, tuple(kept), node.pos)
    if isinstance(node, Not):
        left, right = _drop_limits(node.left, imported), _drop_limits(node.right, imported)
        if left is None:
            return None
        return left if right is None else Not(left, right, node.pos)
    return node


LANGUAGE_NAMES = {
    "eng": "english",
    "fre": "french",
    "ger": "german",
    "spa": "spanish",
    "dut": "dutch",
    "ita": "italian",
    "por": "portuguese",
    "swe": "swedish",
}


def _record(node: Limit, imported: Imported) -> None:
    if node.kind == "language":
        lang = node.value.strip('"').lower()
        lang = LANGUAGE_NAMES.get(lang, lang)
        if lang not in imported.languages:
            imported.languages.append(lang)
    elif node.kind == "from":
        imported.date_from = date.fromisoformat(node.value)
    elif node.kind == "to":
        imported.date_to = date.fromisoformat(node.value)
    elif node.kind == "review":
        imported.review_filter = True
        imported.note(f"the review filter ({node.value}) is kept as review_filter, not as a term")
    elif node.kind == "subject_area":
        imported.subject_areas.extend(node.value.split())
    else:
        imported.note(f"not carried over: {node.value}")


def day(text: str, *, end: bool = False) -> str:
    """``1998``, ``1998/01``, ``1998/01/01`` or ``1998-01-01`` as an ISO date (the first or the
    last day of the year or month)."""
    parts = [int(p) for p in re.split(r"[/-]", text.strip()) if p]
    year = parts[0]
    if len(parts) == 1:
        return date(year, 12, 31).isoformat() if end else date(year, 1, 1).isoformat()
    month = parts[1]
    if len(parts) == 2:
        if not end:
            return date(year, month, 1).isoformat()
        nxt = date(year + month // 12, month % 12 + 1, 1)
        return date.fromordinal(nxt.toordinal() - 1).isoformat()
    return date(year, month, parts[2]).isoformat()


def history_lines(text: str, pattern: str) -> list[tuple[str, str, int, int]] | None:
    """Numbered search-history lines (``#1 …``, ``S1 …``, ``1 …``): (number, query, line and
    column where the query starts), counts at the end dropped; None if the text is not
    numbered lines.
    ``pattern`` matches the number at the start of a line (group 1: the number)."""
    rows: list[tuple[str, str, int, int]] = []
    number = re.compile(pattern)
    for n, raw in enumerate(clean_lines(text), start=1):
        if not raw.strip():
            continue
        match = number.match(raw)
        if not match:
            if rows and raw[:1].isspace():  # a continuation of the line before
                key, query, at, column = rows[-1]
                rows[-1] = (key, f"{query} {raw.strip()}", at, column)
                continue
            return None
        query = re.sub(r"(\t|\s{2,})[\d,]+\s*$", "", raw[match.end() :]).rstrip()
        rows.append((match.group(1), query, n, match.end() + 1))
    return rows or None


Rule = tuple["re.Pattern[str]", Callable[["re.Match[str]"], list[Tok]]]


def scan(
    text: str, rules: Sequence[Rule], *, path: str | None, line: int = 1, column: int = 1
) -> list[Tok]:
    """Tokens of ``text``: at each place the first rule whose pattern matches gives the tokens."""
    out: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        for pattern, make in rules:
            match = pattern.match(text, i)
            if match and match.end() > i:
                out.extend(make(match))
                i = match.end()
                break
        else:
            raise fail(f"cannot read {text[i : i + 20]!r}", text, i, path, line, column)
    out.append(Tok("EOF", None, n))
    return out


def words_to_term(text: str, *, quoted: bool, truncation: str = "*") -> Term:
    """A term from native words: the database's truncation symbol becomes ``*``."""
    words = tuple(w.replace(truncation, "*") if truncation != "*" else w for w in text.split())
    return Term(words, quoted or len(words) > 1)


def read_lines(
    text: str,
    pattern: str,
    parse_line: Callable[[str, int, int, dict[str, Node]], Node | None],
    imported: Imported,
) -> Node | None:
    """Search-history lines (or one query when the text is not numbered lines): each line's
    tree, with references to earlier lines resolved; the tree of the last line that searches."""
    rows = history_lines(text, pattern)
    if rows is None:
        return parse_line(" ".join(clean_lines(text)), 1, 1, {})
    done: dict[str, Node] = {}
    last: Node | None = None
    for number, query, line, column in rows:
        node = parse_line(query, line, column, done)
        if node is not None:
            done[number] = node
            last = node
    return last


def read_with_rules(
    db: str,
    text: str,
    *,
    path: str | None,
    rules: Callable[[Imported], Sequence[Rule]],
    levels: Sequence[set[str]],
    numbered: str,
    ref: str = "#{n}",
    after: Callable[[Node], Node] | None = None,
) -> Imported:
    """Read a query, or numbered search-history lines (``numbered`` matches a line's number),
    with the database's token ``rules`` and operator ``levels``; ``after`` rewrites each line's
    tree (e.g. Cochrane's NEXT chains as phrases)."""
    imported = Imported(db)
    made = rules(imported)

    def parse_line(query: str, line: int, column: int, done: dict[str, Node]) -> Node:
        tokens = scan(query, made, path=path, line=line, column=column)

        def resolve(number: str, at: int) -> Node:
            if number not in done:
                what = f"{ref.format(n=number)} refers to no earlier line"
                raise fail(what, query, at, path, line, column)
            return done[number]

        tree = Parser(
            tokens,
            levels,
            text=query,
            path=path,
            line=line,
            column=column,
            resolve=resolve,
            note=imported.note,
        ).parse()
        return after(tree) if after is not None else tree

    tree = take_limits(read_lines(text, numbered, parse_line, imported), imported)
    imported.tree = merge_field_copies(tree) if tree is not None else None
    return imported
