"""Write an imported strategy as ``strategy.toml``: concept blocks and an expression over them.

A concept block is an OR group of terms, headings and proximities (or one of them alone), where
a few terms ANDed (``wasting AND syndrome``) may stand among the alternatives; each
distinct concept becomes one block, so a concept written twice in the native strategy is one
block used twice. Block names come from their first term (``neoplasms``, ``primary-care``).
"""

from __future__ import annotations

import re
from datetime import date

from rea.query.ast import (
    Group,
    Heading,
    Near,
    Node,
    Not,
    Term,
    iter_terms,
)
from rea.query.databases import DATABASES
from rea.query.native.common import Imported
from rea.query.render.neutral import to_text

API_SOURCES = ("pubmed", "scopus")
DEFAULTS = {("ti", "ab"): "title_abstract", ("ti", "ab", "kw"): "title_abstract_keywords"}


def _leaf(node: Node) -> bool:
    return isinstance(node, Term | Heading | Near)


def _small(node: Node) -> bool:
    """A leaf, or terms ANDed or NOTed with no group below (``wasting AND syndrome``)."""
    if _leaf(node):
        return True
    if isinstance(node, Not):
        return _leaf(node.left) and _leaf(node.right)
    return isinstance(node, Group) and node.op == "AND" and all(_leaf(c) for c in node.children)


def _is_concept(node: Node) -> bool:
    """One concept: a leaf, or an OR group of leaves and small AND groups of leaves."""
    if _leaf(node):
        return True
    return isinstance(node, Group) and node.op == "OR" and all(_small(c) for c in node.children)


class _Blocks:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.names: dict[str, str] = {}

    def name(self, node: Node) -> str:
        key = to_text(node)
        if key in self.names:
            return self.names[key]
        first = next(iter(_leaves(node)), None)
        base = re.sub(r"[^a-z0-9]+", "-", (first or "block").lower()).strip("-")[:30].strip("-")
        if not base or not base[0].isalpha() or base.upper() in ("AND", "OR", "NOT"):
            base = f"b-{base}" if base else "block"
        name, n = base, 2
        while name in self.nodes:
            name, n = f"{base}-{n}", n + 1
        self.nodes[name] = node
        self.names[key] = name
        return name

    def walk(self, node: Node) -> Node:
        if _is_concept(node):
            return Term((self.name(node),))
        if isinstance(node, Not):
            return Not(self.walk(node.left), self.walk(node.right))
        assert isinstance(node, Group)
        if node.op == "OR":
            loose = [c for c in node.children if _small(c)]
            rest = [self.walk(c) for c in node.children if not any(c is k for k in loose)]
            if loose:
                concept = loose[0] if len(loose) == 1 else Group("OR", tuple(loose))
                rest.insert(0, Term((self.name(concept),)))
            return rest[0] if len(rest) == 1 else Group("OR", tuple(rest))
        return Group(node.op, tuple(self.walk(c) for c in node.children))


def _leaves(node: Node) -> list[str]:
    if isinstance(node, Term | Heading):
        return [node.text.replace("*", "")]
    kids = node.children if isinstance(node, Group) else (node.left, node.right)
    return [t for c in kids for t in _leaves(c)]


def _default_fields(tree: Node) -> tuple[str, ...]:
    counts: dict[tuple[str, ...], int] = {}
    for term in iter_terms(tree):
        if term.fields in DEFAULTS:
            counts[term.fields] = counts.get(term.fields, 0) + 1
    if not counts:
        return ("ti", "ab")
    return max(counts, key=lambda f: (counts[f], -len(f)))


def _untag(node: Node, default: tuple[str, ...]) -> Node:
    """Terms in the default fields lose their tag (the strategy's [filters] fields says it)."""
    if isinstance(node, Term):
        return Term(
            node.words,
            node.quoted,
            None,
            None if node.fields == default else node.fields,
            node.exact,
        )
    if isinstance(node, Heading):
        return node
    if isinstance(node, Group):
        return Group(node.op, tuple(_untag(c, default) for c in node.children))
    if isinstance(node, Near):
        return Near(
            _untag(node.left, default), _untag(node.right, default), node.distance, node.ordered
        )
    return Not(_untag(node.left, default), _untag(node.right, default))


def _wrap(text: str, width: int = 96) -> str:
    """Boolean text broken before OR at top level of long lines."""
    if len(text) <= width:
        return text
    lines, line, depth, quoted, i = [], "", 0, False, 0
    parts = re.split(r"( OR )", text)
    for part in parts:
        if part == " OR " and len(line) > width - 20 and depth == 0:
            lines.append(line)
            line = "OR "
            continue
        for ch in part:
            if ch == '"':
                quoted = not quoted
            elif not quoted and ch == "(":
                depth += 1
            elif not quoted and ch == ")":
                depth -= 1
        line += part
        i += 1
    lines.append(line)
    return "\n".join(lines)


def _toml_string(text: str) -> str:
    if "'''" in text:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    return f"'''\n{text}\n'''"


def to_toml(
    imported: Imported,
    *,
    review_id: str,
    title: str,
    source: str,
    today: date | None = None,
) -> str:
    """The strategy file of an imported search."""
    assert imported.tree is not None
    db = DATABASES[imported.db]
    fields = _default_fields(imported.tree)
    tree = _untag(imported.tree, fields)
    blocks = _Blocks()
    expression = blocks.walk(tree)
    start = imported.date_from or date(1900, 1, 1)
    end = imported.date_to or (today or date.today())
    notes = list(imported.notes)
    if imported.date_from is None or imported.date_to is None:
        notes.append(
            "no complete date limit was found: the stage runs from "
            f"{start.isoformat()} to {end.isoformat()}; set the dates"
        )
    if imported.review_filter:
        notes.append("a review filter was found: render with --review-filter to add it back")
    languages = imported.languages
    out = [
        f"# Imported by `rea query import --from {db.id}` from {source}.",
        "# What could not be carried over is listed here (and was printed by the import):",
        *[f"#   - {n}" for n in notes],
        *([] if notes else ["#   (nothing)"]),
        "format = 1",
        "",
        "[review]",
        f'id = "{review_id}"',
        f"title = {_basic(title)}",
        "",
        "[sources]",
        (f'api = ["{db.id}"]' if db.id in API_SOURCES else f'import = ["{db.id}"]'),
        "",
        "[filters]",
        f'fields = "{DEFAULTS[fields]}"',
        f"languages = [{', '.join(_basic(lang) for lang in languages)}]",
    ]
    if imported.subject_areas:
        out.append(
            "scopus_subject_areas = [" + ", ".join(_basic(a) for a in imported.subject_areas) + "]"
        )
    for name, node in blocks.nodes.items():
        out += ["", f"[blocks.{name}]", f"text = {_toml_string(_wrap(to_text(node)))}"]
    out += [
        "",
        "[query]",
        f"expression = {_toml_string(_wrap(to_text(expression)))}",
        "",
        "[[stages]]",
        'id = "imported"',
        f'label = "As imported from {db.label}"',
        f"date_from = {start.isoformat()}",
        f"date_to = {end.isoformat()}",
        "",
    ]
    return "\n".join(out)


def _basic(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


__all__ = ["to_toml"]
