"""The neutral form: the tree written back in the parser's own syntax.

``parse(to_text(tree)) == tree`` for every tree (a property test checks it). Every group that is
not a single term is written in parentheses, so the text means the same under any database's
operator precedence.
"""

from __future__ import annotations

from rea.query.ast import Group, Heading, Near, Node, Term


def to_text(node: Node) -> str:
    if isinstance(node, Term | Heading):
        return node.written()
    if isinstance(node, Group):
        return f" {node.op} ".join(_child(c) for c in node.children)
    if isinstance(node, Near):
        return f"{_child(node.left)} {node.operator} {_child(node.right)}"
    return f"{_child(node.left)} NOT {_child(node.right)}"


def _child(node: Node) -> str:
    return node.written() if isinstance(node, Term | Heading) else f"({to_text(node)})"
