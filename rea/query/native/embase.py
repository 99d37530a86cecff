"""Read an Embase.com search back (one query, or search-history lines ``#1 …``).

What it reads (Embase.com search hints): terms and quoted phrases (single or double quotes) with
field limits ``:ti,ab,kw`` after a term or a parenthesised group; Emtree ``'x'/exp``, ``'x'/de``,
``'x'/mj``, ``'x'/exp/mj``; ``NEAR/n`` (n-1 words between, either order) and ``NEXT/n`` (in
order); ``AND``, ``OR``, ``NOT``; limits ``[1998-2012]/py``, ``[english]/lim``, ``[review]/lim``.
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

LEVELS = [{"OR"}, {"AND"}, {"NOT"}, {"NEAR"}]
CODES = {"ti": ("ti",), "ab": ("ab",), "kw": ("kw",), "de": None}


def _fields(code: str, imported: Imported) -> tuple[str, ...]:
    fields: set[str] = set()
    for c in code.lower().split(","):
        c = c.strip()
        if c in ("ti", "ab", "kw"):
            fields.add(c)
        else:
            imported.note(
                f":{c} is not a title, abstract or keyword field: read as title and abstract"
            )
            fields.update(("ti", "ab"))
    return tuple(f for f in ("ti", "ab", "kw") if f in fields)


def _rules(imported: Imported) -> list[Rule]:
    def heading(m: re.Match[str]) -> list[Tok]:
        name, kind = m.group(2), m.group(3).lower()
        explode = kind.startswith("/exp")
        major = kind.endswith("/mj")
        return [Tok("LEAF", Heading("emtree", name, explode, major), m.start())]

    def bracket_limit(m: re.Match[str]) -> list[Tok]:
        value, kind = m.group(1).strip(), m.group(2).lower()
        if kind == "py":
            years = re.findall(r"\d{4}", value)
            return [
                Tok("LEAF", limit("from", f"{years[0]}-01-01"), m.start()),
                Tok("OP", "AND", m.start()),
                Tok("LEAF", limit("to", f"{years[-1]}-12-31"), m.start()),
            ]
        if value.lower() == "review":
            return [Tok("LEAF", limit("review", m.group(0)), m.start())]
        if value.lower() in ("english", "french", "german", "spanish", "dutch", "italian"):
            return [Tok("LEAF", limit("language", value), m.start())]
        return [Tok("LEAF", limit("other", m.group(0)), m.start())]

    def suffix(m: re.Match[str]) -> list[Tok]:
        return [Tok("SUFFIX", _fields(m.group(1), imported), m.start())]

    def term(m: re.Match[str], quoted: bool) -> list[Tok]:
        text = m.group(1)
        out = [Tok("LEAF", words_to_term(text, quoted=quoted), m.start())]
        if m.group(2):
            out.append(Tok("SUFFIX", _fields(m.group(2), imported), m.start()))
        return out

    return [
        (re.compile(r"(['\"])([^'\"]+)\1(/exp/mj|/exp|/de|/mj)", re.I), heading),
        (re.compile(r"\[([^\]]+)\]/(py|lim)", re.I), bracket_limit),
        (re.compile(r"[()]"), lambda m: [Tok(m.group(0), None, m.start())]),
        (re.compile(r":([a-z]{2}(?:,[a-z]{2})*)", re.I), suffix),
        (
            re.compile(r"(AND|OR|NOT)(?![\w/-])", re.I),
            lambda m: [Tok("OP", m.group(1).upper(), m.start())],
        ),
        (
            re.compile(r"(NEAR|NEXT)/(\d+)", re.I),
            lambda m: [
                Tok(
                    "NEAR",
                    NearOp(max(int(m.group(2)) - 1, 0), m.group(1).upper() == "NEXT", m.group(0)),
                    m.start(),
                )
            ],
        ),
        (re.compile(r"#(\d+)"), lambda m: [Tok("REF", m.group(1), m.start())]),
        (re.compile(r"'([^']*)'(?::([a-z]{2}(?:,[a-z]{2})*))?", re.I), lambda m: term(m, True)),
        (re.compile(r'"([^"]*)"(?::([a-z]{2}(?:,[a-z]{2})*))?', re.I), lambda m: term(m, True)),
        (
            re.compile(r"([^\s()'\":]+)(?::([a-z]{2}(?:,[a-z]{2})*))?", re.I),
            lambda m: term(m, False),
        ),
    ]


def read(text: str, *, path: str | None = None) -> Imported:
    return read_with_rules(
        "embase",
        text,
        path=path,
        rules=_rules,
        levels=LEVELS,
        numbered=r"^\s*#(\d+)\.?\s+",
        ref="#{n}",
    )


__all__ = ["CODES", "read"]
