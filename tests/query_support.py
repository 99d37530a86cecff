"""Helpers for the query tests: the shipped strategy, and strategy files written on the fly."""

from __future__ import annotations

from pathlib import Path

from rea.query import Group, Node, Not, Term
from rea.query.ast import Heading, Near
from tests.helpers import REPO

REVIEW = REPO / "searches" / "pcn-rea"
STRATEGY = REVIEW / "strategy.toml"
VERBATIM = REVIEW / "box4-as-printed.txt"
FIXTURES = Path(__file__).parent / "fixtures" / "query"

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


def canonical(node: Node, default: tuple[str, ...] = ("ti", "ab")) -> Node:
    """A tree reduced to its meaning for comparison: quotes of single words ignored, fields made
    explicit, a proximity over OR groups written as one proximity per pair of terms, nested
    groups of the same operator flattened, repeated children dropped, AND/OR children sorted."""
    from rea.query.render.neutral import to_text

    if isinstance(node, Term):
        fields = node.fields if node.fields is not None else default
        return Term(tuple(w.lower() for w in node.words), node.is_phrase, None, fields, node.exact)
    if isinstance(node, Heading):
        return Heading(node.vocabulary, node.name.lower(), node.explode, node.major)
    if isinstance(node, Not):
        return Not(canonical(node.left, default), canonical(node.right, default))
    if isinstance(node, Near):
        lefts = _alternatives(canonical(node.left, default))
        rights = _alternatives(canonical(node.right, default))
        pairs = [Near(a, b, node.distance, node.ordered) for a in lefts for b in rights]
        if len(pairs) == 1:
            return pairs[0]
        return canonical(Group("OR", tuple(pairs)), default)
    children: dict[str, Node] = {}
    for child in (canonical(c, default) for c in node.children):
        flat = child.children if isinstance(child, Group) and child.op == node.op else (child,)
        for c in flat:
            children.setdefault(to_text(c), c)
    if node.op == "OR":  # x in the title OR x in the abstract: x in title and abstract
        merged: dict[tuple[object, ...], Term] = {}
        for key, child in list(children.items()):
            if isinstance(child, Term):
                same = (child.words, child.is_phrase, child.exact)
                if same in merged:
                    fields = set(merged[same].fields or ()) | set(child.fields or ())
                    order = tuple(f for f in ("ti", "ab", "kw") if f in fields)
                    merged[same] = Term(child.words, child.is_phrase, None, order, child.exact)
                else:
                    merged[same] = child
                del children[key]
        for term in merged.values():
            children.setdefault(to_text(term), term)
    if len(children) == 1:
        return next(iter(children.values()))
    return Group(node.op, tuple(children[k] for k in sorted(children)))


def _alternatives(node: Node) -> tuple[Node, ...]:
    return node.children if isinstance(node, Group) and node.op == "OR" else (node,)


def declared_forms(node: Node, forms: dict[str, tuple[str, ...]]) -> Node:
    """The tree with each term listed in ``forms`` replaced by an OR group of its forms (how
    PubMed and Web of Science search GP* when the strategy declares GP and GPs)."""
    if isinstance(node, Term):
        if node.text in forms:
            return Group("OR", tuple(Term((f,), False) for f in forms[node.text]))
        return node
    if isinstance(node, Group):
        return Group(node.op, tuple(declared_forms(c, forms) for c in node.children))
    assert isinstance(node, Not)
    return Not(declared_forms(node.left, forms), declared_forms(node.right, forms))


def anded_phrases(node: Node) -> Node:
    """The tree with each phrase holding a wildcard written as its words ANDed (how Europe PMC
    searches such a phrase)."""
    if isinstance(node, Term):
        if node.is_phrase and node.truncated:
            return Group("AND", tuple(Term((w,), False, None, node.fields) for w in node.words))
        return node
    if isinstance(node, Group):
        return Group(node.op, tuple(anded_phrases(c) for c in node.children))
    assert isinstance(node, Not)
    return Not(anded_phrases(node.left), anded_phrases(node.right))
