"""What the database renderers share: truncation rules, fields, headings, search-history lines.

A renderer is a :class:`Renderer` subclass that says how its database writes a term, a field
limit, a heading, a proximity, the operators, a search-history line and the stage's filters. The
base class walks the tree and keeps the meaning: every group that is not a single term is
parenthesised (the databases disagree on precedence), nothing is dropped without a warning, and a
query over the database's limits is written as numbered search-history lines, each within them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rea.errors import RenderError
from rea.query.ast import Group, Heading, Near, Node, Not, Term
from rea.query.databases import DATABASES, Database, database, truncation_problems

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy

DEFAULT_FIELDS = {"title_abstract": ("ti", "ab"), "title_abstract_keywords": ("ti", "ab", "kw")}
VOCABULARY_NAMES = {
    "mesh": "MeSH",
    "emtree": "Emtree",
    "cinahl": "CINAHL Subject Headings",
    "apa": "APA Thesaurus",
}
FIELD_NAMES = {"ti": "title", "ab": "abstract", "kw": "keywords"}


class Notes:
    """The warnings of one rendering, each said once, in order."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)

    def tuple(self) -> tuple[str, ...]:
        return tuple(self.items)


def _strip_unrunnable(term: Term, db: Database) -> tuple[str, ...]:
    """The words with each wildcard ``db`` cannot run removed (what it would search instead)."""
    words = list(term.words)
    for i, word in enumerate(words):
        if "*" in word and truncation_problems(Term((word,)), db):
            words[i] = word.replace("*", "")
    return tuple(words)


@dataclass
class Context:
    strategy: Strategy
    stage: Stage
    options: Options
    db: Database
    notes: Notes = field(default_factory=Notes)

    @property
    def default_fields(self) -> tuple[str, ...]:
        return DEFAULT_FIELDS[self.options.fields or self.strategy.filters.fields]


class Renderer:
    """The walk every database shares; subclasses fill in the syntax."""

    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    #: "query": the field limit wraps the largest subtree whose terms share fields (Scopus,
    #: TITLE-ABS(...)); "groups": each OR group of terms (Embase.com, Cochrane, EBSCO, WoS);
    #: "terms": every term carries its own tag (PubMed, Europe PMC).
    WRAP = "groups"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.notes = ctx.notes

    # -- to override ------------------------------------------------------------------------
    def word_text(self, words: tuple[str, ...], term: Term) -> str:
        """A runnable term's text as it stands inside a field limit."""
        text = " ".join(words)
        return f'"{text}"' if len(words) > 1 else text

    def wrap(self, inner: str, fields: tuple[str, ...], single: bool) -> str:
        """``inner`` limited to ``fields``: one term when ``single``, else an infix expression
        without outer parentheses."""
        raise NotImplementedError

    def heading(self, h: Heading) -> str:
        raise NotImplementedError

    def near_operator(self, node: Near) -> str:
        """The database's proximity operator for ``node`` (already converted to its counting)."""
        raise NotImplementedError

    def filters(self) -> list[str]:
        """Date, language and other limits, ANDed after the strategy (in one query)."""
        return []

    def line_ref(self, n: int) -> str:
        assert self.db.history is not None
        return self.db.history.format(n=n)

    # -- terms -------------------------------------------------------------------------------
    def fields_of(self, term: Term) -> tuple[str, ...]:
        return term.fields if term.fields is not None else self.ctx.default_fields

    def alternatives(self, term: Term) -> list[str]:
        """The term as one or more runnable texts (several: the forms declared for a truncation
        the database cannot run)."""
        problems = truncation_problems(term, self.db)
        if not problems:
            return [self.word_text(term.words, term)]
        forms = self.ctx.strategy.forms(term)
        if forms is not None:
            shown = " OR ".join(f.text for f in forms)
            self.notes.add(
                f"{'; '.join(problems)}: searched as {shown}, the forms the strategy declares "
                f"for {term.text} ([truncation])"
            )
            out: list[str] = []
            for form in forms:
                out += self.alternatives(Term(form.words, form.quoted, term.pos, term.fields))
            return list(dict.fromkeys(out))
        words = _strip_unrunnable(term, self.db)
        self.notes.add(
            f"{'; '.join(problems)}: searched as {' '.join(words)!r} instead of {term.text!r}, "
            f"which finds less; declare the forms you mean in strategy.toml, e.g. "
            f'[truncation] "{term.text}" = ["{" ".join(words)}", ...]'
        )
        return [self.word_text(words, term)]

    # -- proximity ---------------------------------------------------------------------------
    def near(self, node: Near) -> str:
        left, right = self.side(node.left), self.side(node.right)
        return f"{left} {self.near_operator(node)} {right}"

    def side(self, node: Node) -> str:
        if isinstance(node, Term):
            forms = self.alternatives(node)
            return forms[0] if len(forms) == 1 else f"({f' {self.OR} '.join(forms)})"
        if isinstance(node, Near):
            return f"({self.near(node)})"
        assert isinstance(node, Group)
        alts: list[str] = []
        for child in node.children:
            if isinstance(child, Term):
                alts += self.alternatives(child)
            else:
                alts.append(self.side(child))
        return f"({f' {self.OR} '.join(alts)})"

    @staticmethod
    def side_terms(node: Node) -> list[Term] | None:
        """The terms of a proximity side (a term or an OR group of terms); None when the side
        holds a proximity of its own."""
        if isinstance(node, Term):
            return [node]
        if isinstance(node, Group) and all(isinstance(c, Term) for c in node.children):
            return [c for c in node.children if isinstance(c, Term)]
        return None

    def near_fallback(self, node: Near, why: str) -> str:
        """Proximity the database cannot run: both sides ANDed (finds more, never less)."""
        self.notes.add(
            f"{why}: {self.side(node.left)} {node.operator} {self.side(node.right)} is searched "
            f"as both sides ANDed in the same fields, which finds more records"
        )
        return f"{self.side(node.left)} {self.AND} {self.side(node.right)}"

    # -- fields ------------------------------------------------------------------------------
    def leaf_fields(self, node: Node) -> set[tuple[str, ...]] | None:
        """The field sets of the terms under ``node``; None if it holds a heading."""
        if isinstance(node, Heading):
            return None
        if isinstance(node, Term):
            return {self.fields_of(node)}
        out: set[tuple[str, ...]] = set()
        kids = node.children if isinstance(node, Group) else (node.left, node.right)
        for child in kids:
            sub = self.leaf_fields(child)
            if sub is None:
                return None
            out |= sub
        return out

    @staticmethod
    def terms_only(node: Node) -> bool:
        """A term, a proximity, or an OR group of those."""
        if isinstance(node, Term | Near):
            return True
        return (
            isinstance(node, Group)
            and node.op == "OR"
            and all(isinstance(c, Term | Near) for c in node.children)
        )

    def wrappable(self, node: Node) -> tuple[str, ...] | None:
        """The one field set ``node`` can be limited to as a whole, if any."""
        fields = self.leaf_fields(node)
        if fields is None or len(fields) != 1:
            return None
        if self.WRAP == "query" or self.terms_only(node):
            return next(iter(fields))
        return None

    # -- the walk ----------------------------------------------------------------------------
    def plain(self, node: Node) -> str:
        """Infix text of a subtree whose field limit is written around it."""
        if isinstance(node, Term):
            alts = self.alternatives(node)
            return alts[0] if len(alts) == 1 else f"({f' {self.OR} '.join(alts)})"
        if isinstance(node, Near):
            return self.near(node)
        if isinstance(node, Group):
            op = self.AND if node.op == "AND" else self.OR
            parts: list[str] = []
            for child in node.children:
                if isinstance(child, Term) and node.op == "OR":
                    parts += self.alternatives(child)
                else:
                    parts.append(self.plain_child(child))
            return f" {op} ".join(_once(parts))
        assert isinstance(node, Not)
        return f"{self.plain_child(node.left)} {self.NOT} {self.plain_child(node.right)}"

    def plain_child(self, node: Node) -> str:
        text = self.plain(node)
        if isinstance(node, Term) and not text.startswith("("):
            return text
        return f"({text})"

    def expr(self, node: Node) -> str:
        """Infix text of any subtree with field limits and headings in place."""
        fields = self.wrappable(node)
        if fields is not None:
            inner = self.plain(node)
            return self.wrap(inner, fields, not _top_level_ops(inner))
        if isinstance(node, Heading):
            return self.heading(node)
        if isinstance(node, Near):
            raise RenderError("a proximity must have the same fields on both sides")
        if isinstance(node, Group):
            op = self.AND if node.op == "AND" else self.OR
            return f" {op} ".join(dict.fromkeys(self.expr_child(c) for c in node.children))
        assert isinstance(node, Not)
        return f"{self.expr_child(node.left)} {self.NOT} {self.expr_child(node.right)}"

    def expr_child(self, node: Node) -> str:
        text = self.expr(node)
        return f"({text})" if _top_level_ops(text) else text

    # -- headings of other vocabularies ------------------------------------------------------
    def prepare(self, node: Node) -> Node:
        """The tree with every heading the database cannot search replaced by its closest form:
        left out of an OR group that has other members when the database indexes another
        vocabulary, otherwise searched as a phrase in the default fields (with a warning)."""
        if isinstance(node, Heading):
            return self.heading_fallback(node)
        if isinstance(node, Group):
            kids = list(node.children)
            if node.op == "OR" and self.db.vocabulary is not None:
                own = [c for c in kids if not self.foreign_heading(c)]
                if own and len(own) < len(kids):
                    for heading in (c for c in kids if self.foreign_heading(c)):
                        assert isinstance(heading, Heading)
                        self.notes.add(
                            f"{heading.written()} is a {VOCABULARY_NAMES[heading.vocabulary]} "
                            f"heading; {self.db.label} indexes {self.vocabulary_name}: left out "
                            "here (its group searches the other terms)"
                        )
                    kids = own
            prepared = tuple(self.prepare(c) for c in kids)
            return prepared[0] if len(prepared) == 1 else Group(node.op, prepared, node.pos)
        if isinstance(node, Not):
            return Not(self.prepare(node.left), self.prepare(node.right), node.pos)
        return node

    @property
    def vocabulary_name(self) -> str:
        return VOCABULARY_NAMES.get(self.db.vocabulary or "", "no subject headings")

    def foreign_heading(self, node: Node) -> bool:
        return isinstance(node, Heading) and node.vocabulary != self.db.vocabulary

    def heading_fallback(self, h: Heading) -> Node:
        if h.vocabulary == self.db.vocabulary:
            return h
        self.notes.add(
            f"{h.written()}: {self.db.label} has no {VOCABULARY_NAMES[h.vocabulary]} headings; "
            f'searched as the phrase "{h.name}" in {self.fields_label()}, which misses records '
            "indexed with the heading that do not use its words"
        )
        return Term(tuple(h.name.split()), True, h.pos)

    def fields_label(self) -> str:
        return " and ".join(FIELD_NAMES[f] for f in self.ctx.default_fields)

    # -- one query or search-history lines ---------------------------------------------------
    def run(self) -> RenderedQuery:

        tree = self.prepare(self.ctx.strategy.query(self.ctx.stage.id))
        text = self.single(tree)
        if self.fits(text):
            return self.result(text)
        if self.db.history is None:
            self.notes.add(
                f"the query is over {self.db.label}'s limits ({self.limit_text()}) and "
                f"{self.db.label} keeps no search history to combine parts: run it in parts "
                "and combine the records"
            )
            return self.result(text)
        self.notes.add(
            f"the query as one line is over {self.db.label}'s limits ({self.limit_text()}): it "
            "is written as numbered search-history lines, each within them, combined at the end"
        )
        return self.result(self.history(tree))

    def result(self, text: str, params: dict[str, str] | None = None) -> RenderedQuery:
        from rea.query.render import RenderedQuery

        return RenderedQuery(
            db=self.db.id,
            stage=self.ctx.stage.id,
            text=text,
            warnings=self.notes.tuple(),
            params=params if params is not None else self.params(),
        )

    def params(self) -> dict[str, str]:
        return {}

    def single(self, tree: Node) -> str:
        body = self.expr(tree)
        parts = [f"({body})" if _top_level_ops(body) else body]
        parts += self.filters()
        return f" {self.AND} ".join(parts) if len(parts) > 1 else body

    def fits(self, text: str) -> bool:
        limits = self.db.limits
        if limits.operators is not None and count_operators(text) > limits.operators:
            return False
        if limits.characters is not None and len(text) > limits.characters:
            return False
        return limits.terms is None or count_terms(text) <= limits.terms

    def limit_text(self) -> str:
        limits, parts = self.db.limits, []
        if limits.operators is not None:
            parts.append(f"{limits.operators} operators")
        if limits.terms is not None:
            parts.append(f"{limits.terms} terms")
        if limits.characters is not None:
            parts.append(f"{limits.characters} characters")
        return ", ".join(parts)

    def history(self, tree: Node) -> str:
        lines = Lines(self)
        last = lines.node(tree)
        filters = self.filters()
        if filters:
            lines.emit(f" {self.AND} ".join([self.line_ref(last), *filters]))
        self.notes.add(
            "enter the lines in order into an empty search history: the line numbers they "
            "combine assume it"
        )
        return lines.text()


def _once(parts: list[str]) -> list[str]:
    """Each part once, ignoring case (the databases' text searches ignore it)."""
    seen: dict[str, str] = {}
    for part in parts:
        seen.setdefault(part.lower(), part)
    return list(seen.values())


def count_operators(text: str) -> int:
    """Boolean and proximity operators in a query (outside quotes)."""
    outside = re.sub(r'"[^"]*"', " ", text)
    words = re.findall(
        r"(?<![\w/-])(AND|OR|NOT|NEAR/\d+|W/\d+|PRE/\d+|ADJ\d*|N\d+|W\d+)(?![\w/])",
        outside,
        flags=re.IGNORECASE,
    )
    return len(words)


def count_terms(text: str) -> int:
    outside = re.sub(r'"[^"]*"', " x ", text)
    return len(re.findall(r"[^\s()]+", outside)) - count_operators(text)


def _wrapped(text: str) -> bool:
    """Is the whole text one parenthesised unit (its first ``(`` closed by its last ``)``)?"""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth, quoted = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0 and i < len(text) - 1:
                return False
    return True


def _top_level_ops(text: str) -> bool:
    """Does the text have an operator outside all parentheses (and quotes)?"""
    depth, quoted = 0, False
    out: list[str] = []
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif depth == 0 and not quoted:
            out.append(ch)
    return count_operators("".join(out)) > 0


class Lines:
    """Numbered search-history lines: one per group of terms (split further if a group is over
    the database's limits), combined by number."""

    def __init__(self, renderer: Renderer) -> None:
        self.r = renderer
        self.lines: list[str] = []
        self.seen: dict[str, int] = {}

    def emit(self, text: str) -> int:
        """A new line, or the number of an identical earlier one."""
        if text not in self.seen:
            self.lines.append(text)
            self.seen[text] = len(self.lines)
        return self.seen[text]

    def text(self) -> str:
        return "\n".join(f"{self.prefix(n)}{line}" for n, line in enumerate(self.lines, start=1))

    def prefix(self, n: int) -> str:
        return f"{self.r.line_ref(n)} "

    def combine(self, numbers: list[int], op: str) -> str:
        refs = [self.r.line_ref(n) for n in numbers]
        word = self.r.AND if op == "AND" else self.r.OR if op == "OR" else self.r.NOT
        return f" {word} ".join(refs)

    def fits(self, text: str) -> bool:
        return self.r.fits(text)

    def combined(self, numbers: list[int], op: str) -> int:
        numbers = sorted(set(numbers))
        if len(numbers) == 1:
            return numbers[0]
        text = self.combine(numbers, op)
        if self.fits(text) or len(numbers) <= 2:
            return self.emit(text)
        half = len(numbers) // 2
        return self.combined(
            [self.combined(numbers[:half], op), self.combined(numbers[half:], op)], op
        )

    def terms_line(self, node: Node) -> int:
        """A line for a term, proximity or OR group of those; split into several lines while it is
        over the limits."""
        text = self.r.expr(node)
        if self.fits(text) or not isinstance(node, Group) or len(node.children) < 2:
            return self.emit(text)
        half = len(node.children) // 2
        parts = [Group("OR", node.children[:half]), Group("OR", node.children[half:])]
        parts = [p.children[0] if len(p.children) == 1 else p for p in parts]  # type: ignore[misc]
        return self.combined([self.terms_line(p) for p in parts], "OR")

    def node(self, node: Node) -> int:
        if self.r.wrappable(node) is not None and self.r.terms_only(node):
            return self.terms_line(node)
        if isinstance(node, Heading):
            return self.emit(self.r.heading(node))
        if isinstance(node, Term | Near):
            return self.terms_line(node)
        if isinstance(node, Not):
            left, right = self.node(node.left), self.node(node.right)
            return self.emit(self.combine([left, right], "NOT"))
        assert isinstance(node, Group)
        if node.op == "OR":
            # subject headings first, then the words, as searchers write Ovid strategies
            numbers = [self.node(c) for c in node.children if isinstance(c, Heading)]
            loose = [c for c in node.children if isinstance(c, Term | Near)]
            if loose:
                by_fields: dict[tuple[str, ...], list[Node]] = {}
                for child in loose:
                    fields = self.r.leaf_fields(child) or set()
                    by_fields.setdefault(sorted(fields)[0], []).append(child)
                for group in by_fields.values():
                    numbers.append(
                        self.node(group[0] if len(group) == 1 else Group("OR", tuple(group)))
                    )
            numbers += [
                self.node(c) for c in node.children if not isinstance(c, Term | Near | Heading)
            ]
            return self.combined(numbers, "OR")
        return self.combined([self.node(c) for c in node.children], "AND")


def whole_years(ctx: Context) -> tuple[int, int]:
    """The stage's years; a note if the stage starts or ends inside a year."""
    stage, name = ctx.stage, ctx.db.label
    start, end = stage.date_from, stage.date_to
    if (start.month, start.day) != (1, 1):
        ctx.notes.add(
            f"{name} limits by publication year only: the stage starts on {start}, "
            f"the query starts on 1 January {start.year}"
        )
    if (end.month, end.day) != (12, 31):
        ctx.notes.add(
            f"{name} limits by publication year only: the stage ends on {end}, the "
            f"query takes all of {end.year}; screen out records published after {end}, or run "
            f"the search on that date"
        )
    return start.year, end.year


def review_note(db: str, syntax: str) -> str:
    return (
        f"review filter added on request: {syntax} keeps only records {DATABASES[db].label} "
        "indexes as reviews; it is not part of the strategy as written"
    )


def no_review_filter(db: str) -> str:
    return (
        f"no review filter is written for {DATABASES[db].label}: the query searches every "
        "design; limit to reviews in the interface if the stage asks for them"
    )


def render_with(
    cls: type[Renderer], strategy: Strategy, stage: Stage, options: Options, db_id: str
) -> RenderedQuery:
    return cls(Context(strategy, stage, options, database(db_id))).run()
