"""Read an EBSCOhost (CINAHL) search back (one query, or search-history lines ``S1 …``).

What it reads (EBSCO help): field codes ``TI``, ``AB``, ``KW`` before a term or a parenthesised
group; CINAHL headings ``(MH "x+")`` exploded, ``(MH "x")``, ``(MM "x")`` major; ``Nn`` (either
order) and ``Wn`` (in order), n words between at most; ``AND``, ``OR``, ``NOT``; limits
``DT 1998-2012``, ``LA English``, ``PT Review``. EBSCO reads operators left to right.
"""

from __future__ import annotations

import re

from rea.query.ast import Heading
from rea.query.native.common import (
    Imported,
    NearOp,
    Rule,
    Tok,
    limit,
    read_with_rules,
    words_to_term,
)

LEVELS = [{"AND", "OR", "NOT"}, {"NEAR"}]
CODES = {"TI": ("ti",), "AB": ("ab",), "KW": ("kw",)}


def _rules(imported: Imported) -> list[Rule]:
    def heading(m: re.Match[str]) -> list[Tok]:
        code, name = m.group(1).upper(), m.group(2)
        explode = name.endswith("+")
        return [
            Tok(
                "LEAF",
                Heading("cinahl", name.rstrip("+").strip(), explode, code == "MM"),
                m.start(),
            )
        ]

    def field_limit(m: re.Match[str]) -> list[Tok]:
        code, value = m.group(1).upper(), m.group(2).strip()
        if code == "DT":
            years = re.findall(r"\d{4}", value)
            return [
                Tok("LEAF", limit("from", f"{years[0]}-01-01"), m.start()),
                Tok("OP", "AND", m.start()),
                Tok("LEAF", limit("to", f"{years[-1]}-12-31"), m.start()),
            ]
        if code == "LA":
            return [Tok("LEAF", limit("language", value), m.start())]
        if code == "PT" and value.strip('"').lower() == "review":
            return [Tok("LEAF", limit("review", m.group(0)), m.start())]
        return [Tok("LEAF", limit("other", m.group(0)), m.start())]

    def field(m: re.Match[str]) -> list[Tok]:
        return [Tok("OPEN", CODES[m.group(1).upper()], m.start())]

    return [
        (re.compile(r'\(\s*(MH|MM)\s+"([^"]+)"\s*\)'), heading),
        (re.compile(r'(MH|MM)\s+"([^"]+)"'), heading),
        (re.compile(r"(DT|LA|PT)\s+((?:\"[^\"]*\")|[\w-]+)"), field_limit),
        (re.compile(r"(TI|AB|KW)\s*\("), field),
        (re.compile(r'(TI|AB|KW)\s+(("([^"]*)")|([^\s()"]+))'), _field_term),
        (re.compile(r"[()]"), lambda m: [Tok(m.group(0), None, m.start())]),
        (re.compile(r"(AND|OR|NOT)(?![\w/-])"), lambda m: [Tok("OP", m.group(1), m.start())]),
        (
            re.compile(r"(N|W)(\d+)(?![\w/-])"),
            lambda m: [
                Tok("NEAR", NearOp(int(m.group(2)), m.group(1) == "W", m.group(0)), m.start())
            ],
        ),
        (re.compile(r"S(\d+)(?![\w])"), lambda m: [Tok("REF", m.group(1), m.start())]),
        (
            re.compile(r'"([^"]*)"'),
            lambda m: [Tok("LEAF", words_to_term(m.group(1), quoted=True), m.start())],
        ),
        (
            re.compile(r'[^\s()"]+'),
            lambda m: [Tok("LEAF", words_to_term(m.group(0), quoted=False), m.start())],
        ),
    ]


def _field_term(m: re.Match[str]) -> list[Tok]:
    """``TI "phrase"`` or ``TI word``: the field limits that one term."""
    code = m.group(1).upper()
    quoted = m.group(4) is not None
    text = m.group(4) if quoted else m.group(5)
    term = words_to_term(text, quoted=quoted)
    return [
        Tok("OPEN", CODES[code], m.start()),
        Tok("LEAF", term, m.start()),
        Tok(")", None, m.end()),
    ]


def read(text: str, *, path: str | None = None) -> Imported:
    return read_with_rules(
        "cinahl",
        text,
        path=path,
        rules=_rules,
        levels=LEVELS,
        numbered=r"^\s*S(\d+)\s+",
        ref="S{n}",
    )
