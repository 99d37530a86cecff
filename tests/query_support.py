"""Helpers for the query tests: the shipped strategy, and strategy files written on the fly."""

from __future__ import annotations

from pathlib import Path

from rea.query import Group, Node, Not, Term
from tests.helpers import REPO

REVIEW = REPO / "searches" / "pcn-rea"
STRATEGY = REVIEW / "strategy.toml"
VERBATIM = REVIEW / "box4-as-printed.txt"

MINIMAL = """\
[review]
id = "demo"
title = "A demo review"

[blocks.a]
text = '''"primary care*" OR GP*'''

[blocks.b]
terms = ["network*", "alliance"]

[query]
expression = "a AND b"

[[stages]]
id = "all"
date_from = 2000-01-01
date_to = 2001-12-31
"""


def write(tmp_path: Path, text: str, name: str = "strategy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def canonical(node: Node) -> Node:
    """A tree reduced to its meaning for comparison: quotes normalised, nested groups of the same
    operator flattened, repeated children dropped, AND/OR children sorted."""
    from rea.query.render.neutral import to_text

    if isinstance(node, Term):
        return Term(tuple(w.lower() for w in node.words), node.is_phrase)
    if isinstance(node, Not):
        return Not(canonical(node.left), canonical(node.right))
    children: dict[str, Node] = {}
    for child in (canonical(c) for c in node.children):
        flat = child.children if isinstance(child, Group) and child.op == node.op else (child,)
        for c in flat:
            children.setdefault(to_text(c), c)
    if len(children) == 1:
        return next(iter(children.values()))
    return Group(node.op, tuple(children[k] for k in sorted(children)))


def strip_truncation(node: Node, words: set[str]) -> Node:
    """The tree with ``*`` removed from the given words (how PubMed and WoS search GP*)."""
    if isinstance(node, Term):
        return Term(tuple(w.rstrip("*") if w in words else w for w in node.words), node.quoted)
    if isinstance(node, Group):
        return Group(node.op, tuple(strip_truncation(c, words) for c in node.children))
    return Not(strip_truncation(node.left, words), strip_truncation(node.right, words))
