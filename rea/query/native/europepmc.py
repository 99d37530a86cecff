"""Read a Europe PMC search back (one query).

What it reads (Europe PMC search syntax): ``FIELD:term``, ``FIELD:"phrase"``,
``FIELD:(…)`` for ``TITLE_ABS``, ``TITLE``, ``ABSTRACT``, ``KW``; ``MESH:"x"`` (read as the
heading alone, not exploded: Europe PMC does not document explosion); proximity
``FIELD:"a b"~N``; ``AND``, ``OR``, ``NOT``; limits
``FIRST_PDATE:[1998-01-01 TO 2012-12-31]``, ``PUB_YEAR:[1998 TO 2012]``, ``PUB_YEAR:2000``,
``LANG:"eng"``. Terms without a field are read as the strategy's default fields, with a note
(Europe PMC would search them everywhere, full text included).
"""

from __future__ import annotations

import re

from rea.query.ast import Heading, Near, Node, Term
from rea.query.native.common import (
    Imported,
    Parser,
    Rule,
    Tok,
    day,
    limit,
    merge_field_copies,
    scan,
    take_limits,
    words_to_term,
)

LEVELS = [{"OR"}, {"AND"}, {"NOT"}]
FIELDS = {"TITLE_ABS": ("ti", "ab"), "TITLE": ("ti",), "ABSTRACT": ("ab",), "KW": ("kw",)}


def _rules(imported: Imported) -> list[Rule]:
    def fielded(m: re.Match[str]) -> list[Tok]:
        name, value, distance = m.group(1).upper(), m.group(2), m.group(3)
        fields = FIELDS[name]
        if value.startswith('"'):
            words = value.strip('"').split()
            if distance is not None and len(words) == 2:
                node: Node = Near(
                    Term((words[0],), False, None, fields),
                    Term((words[1],), False, None, fields),
                    int(distance),
                )
                return [Tok("LEAF", node, m.start())]
            term = words_to_term(" ".join(words), quoted=True)
        else:
            term = words_to_term(value, quoted=False)
        return [Tok("LEAF", Term(term.words, term.quoted, None, fields), m.start())]

    def dates(m: re.Match[str]) -> list[Tok]:
        a, b = m.group(2), m.group(3)
        out = [Tok("LEAF", limit("from", day(a)), m.start())]
        if not b.startswith("3000"):
            out += [
                Tok("OP", "AND", m.start()),
                Tok("LEAF", limit("to", day(b, end=True)), m.start()),
            ]
        return out

    def one_year(m: re.Match[str]) -> list[Tok]:
        year = m.group(1)
        return [
            Tok("LEAF", limit("from", day(year)), m.start()),
            Tok("OP", "AND", m.start()),
            Tok("LEAF", limit("to", day(year, end=True)), m.start()),
        ]

    def untagged(m: re.Match[str], quoted: bool) -> list[Tok]:
        imported.note(
            "terms without a field are read as the strategy's default fields (Europe PMC "
            "searches them everywhere, full text included)"
        )
        return [Tok("LEAF", words_to_term(m.group(1), quoted=quoted), m.start())]

    return [
        (
            re.compile(r"(FIRST_PDATE|PUB_YEAR)\s*:\s*\[\s*([\d-]+)\s+TO\s+([\d-]+)\s*\]", re.I),
            dates,
        ),
        (re.compile(r"PUB_YEAR\s*:\s*(\d{4})", re.I), one_year),
        (
            re.compile(r'LANG\s*:\s*"?(\w+)"?', re.I),
            lambda m: [Tok("LEAF", limit("language", m.group(1)), m.start())],
        ),
        (
            re.compile(r'MESH\s*:\s*"([^"]+)"', re.I),
            lambda m: [Tok("LEAF", Heading("mesh", m.group(1), explode=False), m.start())],
        ),
        (
            re.compile(r"(TITLE_ABS|TITLE|ABSTRACT|KW)\s*:\s*\(", re.I),
            lambda m: [Tok("OPEN", FIELDS[m.group(1).upper()], m.start())],
        ),
        (
            re.compile(r'(TITLE_ABS|TITLE|ABSTRACT|KW)\s*:\s*("[^"]*"|[^\s()"]+)(?:~(\d+))?', re.I),
            fielded,
        ),
        (
            re.compile(r'([A-Z_]+)\s*:\s*("[^"]*"|[^\s()"]+)'),
            lambda m: [Tok("LEAF", limit("other", m.group(0)), m.start())],
        ),
        (re.compile(r"[()]"), lambda m: [Tok(m.group(0), None, m.start())]),
        (re.compile(r"(AND|OR|NOT)(?![\w/-])"), lambda m: [Tok("OP", m.group(1), m.start())]),
        (re.compile(r'"([^"]*)"'), lambda m: untagged(m, True)),
        (re.compile(r'([^\s()"]+)'), lambda m: untagged(m, False)),
    ]


def read(text: str, *, path: str | None = None) -> Imported:
    imported = Imported("europepmc")
    query = " ".join(text.split())
    tokens = scan(query, _rules(imported), path=path)
    tree = take_limits(
        Parser(tokens, LEVELS, text=query, path=path, note=imported.note).parse(), imported
    )
    imported.tree = merge_field_copies(tree) if tree is not None else None
    return imported
