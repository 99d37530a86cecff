"""Read a Cochrane Library Search Manager strategy back (lines ``#1 …``, or one query).

What it reads (Cochrane Library Search Manager help): terms and quoted phrases with field limits
``:ti,ab,kw`` after a term or a parenthesised group; words joined by ``NEXT`` (adjacent, in order)
as a phrase; ``NEAR/n`` (either order; read as n-1 words between, as rea writes it) and ``NEAR``
alone (NEAR/6); MeSH ``[mh "x"]``, ``[mh ^"x"]`` (this term only), ``[mh "x"[mj]]``, and the
Search Manager's ``MeSH descriptor: [x] explode all trees`` / ``this term only``; dates as the
exported ``with Publication Year from 1990 to 2021``. ``Any MeSH descriptor with qualifier(s)``
lines are not carried over.
"""

from __future__ import annotations

import re

from rea.query.ast import Group, Heading, Near, Node, Term
from rea.query.native.common import (
    Imported,
    NearOp,
    Rule,
    Tok,
    limit,
    read_with_rules,
    words_to_term,
)

LEVELS = [{"OR"}, {"AND"}, {"NOT"}, {"NEAR"}]


def _fields(code: str) -> tuple[str, ...]:
    fields = {c.strip().lower() for c in code.split(",")}
    return tuple(f for f in ("ti", "ab", "kw") if f in fields)


def _rules(imported: Imported) -> list[Rule]:
    def mh(m: re.Match[str]) -> list[Tok]:
        noexp, name, major = m.group(1), m.group(2), m.group(3)
        return [Tok("LEAF", Heading("mesh", name, not noexp, bool(major)), m.start())]

    def descriptor(m: re.Match[str]) -> list[Tok]:
        name, how = m.group(1).strip(), (m.group(2) or "").lower()
        return [Tok("LEAF", Heading("mesh", name, "explode" in how), m.start())]

    def qualifier(m: re.Match[str]) -> list[Tok]:
        return [Tok("LEAF", limit("other", m.group(0)), m.start())]

    def term(m: re.Match[str], quoted: bool) -> list[Tok]:
        out = [Tok("LEAF", words_to_term(m.group(1), quoted=quoted), m.start())]
        if m.group(2):
            out.append(Tok("SUFFIX", _fields(m.group(2)), m.start()))
        return out

    def years(m: re.Match[str]) -> list[Tok]:
        return [
            Tok("OP", "AND", m.start()),
            Tok("LEAF", limit("from", f"{m.group(1)}-01-01"), m.start()),
            Tok("OP", "AND", m.start()),
            Tok("LEAF", limit("to", f"{m.group(2)}-12-31"), m.start()),
        ]

    return [
        (re.compile(r'\[mh\s+(\^?)"([^"]+)"(\[mj\])?\]', re.I), mh),
        (re.compile(r"\[mh\s+(\^?)([^\]\[\"]+?)(\[mj\])?\]", re.I), mh),
        (
            re.compile(
                r"MeSH descriptor:?\s*\[?([^\]]+?)\]?\s+(explode all trees|this term only)", re.I
            ),
            descriptor,
        ),
        (
            re.compile(r"Any MeSH descriptor with qualifiers?(?:\(s\))?:?\s*\[?[^\]]*\]?", re.I),
            qualifier,
        ),
        (
            re.compile(
                r"with (?:Publication Year|Cochrane Library publication date) "
                r"from (\d{4}) to (\d{4})(?:, in \w+)?",
                re.I,
            ),
            years,
        ),
        (re.compile(r"[()]"), lambda m: [Tok(m.group(0), None, m.start())]),
        (
            re.compile(r":([a-z]{2}(?:,[a-z]{2})*)", re.I),
            lambda m: [Tok("SUFFIX", _fields(m.group(1)), m.start())],
        ),
        (
            re.compile(r"(AND|OR|NOT)(?![\w/-])", re.I),
            lambda m: [Tok("OP", m.group(1).upper(), m.start())],
        ),
        (
            re.compile(r"NEAR(?:/(\d+))?(?![\w-])", re.I),
            lambda m: [
                Tok("NEAR", NearOp(max(int(m.group(1) or 6) - 1, 0), False, m.group(0)), m.start())
            ],
        ),
        (
            re.compile(r"NEXT(?![\w/-])", re.I),
            lambda m: [Tok("NEAR", NearOp(0, True, "NEXT"), m.start())],
        ),
        (re.compile(r"#(\d+)"), lambda m: [Tok("REF", m.group(1), m.start())]),
        (re.compile(r'"([^"]*)"(?::([a-z]{2}(?:,[a-z]{2})*))?', re.I), lambda m: term(m, True)),
        (re.compile(r'([^\s()":]+)(?::([a-z]{2}(?:,[a-z]{2})*))?', re.I), lambda m: term(m, False)),
    ]


def _phrases(node: Node) -> Node:
    """Words joined by NEXT read as the phrase they stand for."""
    if isinstance(node, Near) and node.ordered and node.distance == 0:
        words = _next_words(node)
        if words is not None:
            return Term(tuple(words), True, None, _one_field(node))
    if isinstance(node, Group):
        return Group(node.op, tuple(_phrases(c) for c in node.children), node.pos)
    if isinstance(node, Near):
        return Near(_phrases(node.left), _phrases(node.right), node.distance, node.ordered)
    if hasattr(node, "left") and hasattr(node, "right") and not isinstance(node, Term | Heading):
        from rea.query.ast import Not

        assert isinstance(node, Not)
        return Not(_phrases(node.left), _phrases(node.right), node.pos)
    return node


def _next_words(node: Node) -> list[str] | None:
    if isinstance(node, Term) and not node.is_phrase:
        return list(node.words)
    if isinstance(node, Near) and node.ordered and node.distance == 0:
        left, right = _next_words(node.left), _next_words(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _one_field(node: Node) -> tuple[str, ...] | None:
    if isinstance(node, Term):
        return node.fields
    if isinstance(node, Near):
        return _one_field(node.left)
    return None


def read(text: str, *, path: str | None = None) -> Imported:
    return read_with_rules(
        "cochrane",
        text,
        path=path,
        rules=_rules,
        levels=LEVELS,
        numbered=r"^\s*#(\d+)\s+",
        ref="#{n}",
        after=_phrases,
    )
