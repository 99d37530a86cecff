"""The syntax tree of a boolean search: terms, AND / OR groups and NOT.

Positions (:class:`Pos`) say where a node was written (1-based line and column in the file it came
from); they take no part in equality, so two trees that mean the same search compare equal however
they were laid out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Operator = Literal["AND", "OR"]


@dataclass(frozen=True, order=True)
class Pos:
    """A 1-based line and column."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass(frozen=True)
class Term:
    """One search term: a word (``alliance``, ``network*``, ``co-operat*``) or a phrase.

    ``words`` keeps the spelling as written (case and ``*`` included). ``quoted`` is True when the
    term was written in double quotes; a term of several words is always a phrase.
    """

    words: tuple[str, ...]
    quoted: bool = False
    pos: Pos | None = field(default=None, compare=False)

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

    def written(self) -> str:
        """The term as the neutral syntax writes it (quoted if it was quoted or is a phrase)."""
        return f'"{self.text}"' if self.quoted or self.is_phrase else self.text


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


Node = Term | Group | Not


def iter_terms(node: Node) -> list[Term]:
    """Every term of the tree, left to right."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Group):
        return [t for child in node.children for t in iter_terms(child)]
    return iter_terms(node.left) + iter_terms(node.right)


def iter_groups(node: Node) -> list[Group]:
    """Every AND / OR group of the tree, outermost first."""
    if isinstance(node, Term):
        return []
    if isinstance(node, Group):
        return [node, *(g for child in node.children for g in iter_groups(child))]
    return iter_groups(node.left) + iter_groups(node.right)
