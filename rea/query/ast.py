"""The syntax tree of a boolean search: terms, subject headings, AND / OR groups, NOT, proximity.

Positions (:class:`Pos`) say where a node was written (1-based line and column in the file it came
from); they take no part in equality, so two trees that mean the same search compare equal however
they were laid out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Operator = Literal["AND", "OR"]

#: The text fields a term can be searched in, in their canonical order: title, abstract, keywords.
FIELD_ORDER = ("ti", "ab", "kw")
#: The subject-heading vocabularies a strategy can name (MeSH, Emtree, CINAHL Subject Headings,
#: the APA Thesaurus of Psychological Index Terms).
VOCABULARIES = ("mesh", "emtree", "cinahl", "apa")


@dataclass(frozen=True, order=True)
class Pos:
    """A 1-based line and column."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


def canonical_fields(fields: tuple[str, ...] | frozenset[str] | set[str]) -> tuple[str, ...]:
    """The fields in their canonical order, each once."""
    return tuple(f for f in FIELD_ORDER if f in fields)


def fields_tag(fields: tuple[str, ...]) -> str:
    """How the neutral syntax writes a set of fields: ``tiab`` for title and abstract."""
    return "tiab" if fields == ("ti", "ab") else ",".join(fields)


@dataclass(frozen=True)
class Term:
    """One search term: a word (``alliance``, ``network*``, ``co-operat*``) or a phrase.

    ``words`` keeps the spelling as written (case and ``*`` included). ``quoted`` is True when the
    term was written in double quotes; a term of several words is always a phrase. ``fields``
    narrows the term to some text fields (``("ti",)``); None means the strategy's default fields.
    ``exact`` asks databases that fold word forms together (Web of Science's lemmatization,
    Scopus's loose phrases) to match the spelling as written.
    """

    words: tuple[str, ...]
    quoted: bool = False
    pos: Pos | None = field(default=None, compare=False)
    fields: tuple[str, ...] | None = None
    exact: bool = False

    @property
    def text(self) -> str:
        """The term without quotes, e.g. ``primary care*``."""
        return " ".join(self.words)

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1

    @property
    def truncated(self) -> bool:
        return any("*" in word for word in self.words)

    @property
    def key(self) -> str:
        """What the term matches, for comparing terms: lower case, quotes ignored."""
        return self.text.lower()

    def tags(self) -> list[str]:
        out = [fields_tag(self.fields)] if self.fields is not None else []
        return [*out, "exact"] if self.exact else out

    def written(self) -> str:
        """The term as the neutral syntax writes it (quoted if it was quoted or is a phrase)."""
        text = f'"{self.text}"' if self.quoted or self.is_phrase else self.text
        tags = self.tags()
        return f"{text}[{','.join(tags)}]" if tags else text


@dataclass(frozen=True)
class Heading:
    """A subject heading of a controlled vocabulary: ``"Primary Health Care"[mh]``.

    ``explode`` also searches the narrower headings below it in the vocabulary's tree;
    ``major`` only records where it is a major topic (MeSH major topic, Emtree major focus).
    """

    vocabulary: str
    name: str
    explode: bool = True
    major: bool = False
    pos: Pos | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return f"{self.vocabulary}:{self.name.lower()}"

    @property
    def text(self) -> str:
        return self.name

    def tag(self) -> str:
        """The neutral tag: ``mh``, ``mh:noexp``, ``majr``, ``emtree:major:noexp``..."""
        if self.vocabulary == "mesh":
            base = "majr" if self.major else "mh"
            return f"{base}:noexp" if not self.explode else base
        parts = [self.vocabulary]
        if self.major:
            parts.append("major")
        if not self.explode:
            parts.append("noexp")
        return ":".join(parts)

    def written(self) -> str:
        return f'"{self.name}"[{self.tag()}]'


@dataclass(frozen=True)
class Group:
    """Children joined by one operator: ``a OR b OR c`` or ``a AND b``."""

    op: Operator
    children: tuple[Node, ...]
    pos: Pos | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Not:
    """``left NOT right``: records matching ``left`` but not ``right``."""

    left: Node
    right: Node
    pos: Pos | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Near:
    """``left NEAR/n right``: both sides with at most ``distance`` words between them, in either
    order; ``ordered`` (``PRE/n``) keeps ``left`` first. Each side is a term or an OR group of
    terms."""

    left: Node
    right: Node
    distance: int
    ordered: bool = False
    pos: Pos | None = field(default=None, compare=False)

    @property
    def operator(self) -> str:
        return f"{'PRE' if self.ordered else 'NEAR'}/{self.distance}"


Node = Term | Heading | Group | Not | Near


def children(node: Node) -> tuple[Node, ...]:
    """The direct children of a node."""
    if isinstance(node, Group):
        return node.children
    if isinstance(node, Not | Near):
        return (node.left, node.right)
    return ()


def iter_terms(node: Node) -> list[Term]:
    """Every term of the tree, left to right (subject headings are not terms)."""
    if isinstance(node, Term):
        return [node]
    return [t for child in children(node) for t in iter_terms(child)]


def iter_headings(node: Node) -> list[Heading]:
    """Every subject heading of the tree, left to right."""
    if isinstance(node, Heading):
        return [node]
    return [h for child in children(node) for h in iter_headings(child)]


def iter_groups(node: Node) -> list[Group]:
    """Every AND / OR group of the tree, outermost first."""
    own = [node] if isinstance(node, Group) else []
    return [*own, *(g for child in children(node) for g in iter_groups(child))]


def iter_near(node: Node) -> list[Near]:
    """Every proximity node of the tree, outermost first."""
    own = [node] if isinstance(node, Near) else []
    return [*own, *(n for child in children(node) for n in iter_near(child))]
