"""Read a Web of Science advanced search back (one query, or search-history lines ``#1 …``).

What it reads (Web of Science help, search-rules.htm, search-operators.html): field tags
``TS=``, ``TI=``, ``AB=``, ``AK=`` before a parenthesised group or a term (``TS = Neoplasms``),
``AND``, ``OR``, ``NOT``, ``NEAR/x`` (``NEAR`` alone is NEAR/15), ``SAME`` (read as AND, with a
note), set references ``#1``; quotes around a single word turn lemmatization off and are read as
``[exact]``; limits ``PY=(1998-2012)``, ``LA=(English)``, ``DT=(Review)``. Precedence: NEAR, SAME,
NOT, AND, OR.
"""

from __future__ import annotations

import re

from rea.query.ast import Term
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
TAGS = {"TS": ("ti", "ab", "kw"), "TI": ("ti",), "AB": ("ab",), "AK": ("kw",)}


def _leaf(text: str, quoted: bool) -> Term:
    term = words_to_term(text, quoted=quoted)
    if quoted and not term.is_phrase and not term.truncated:
        return Term(term.words, True, None, None, True)
    return term


def _rules(imported: Imported) -> list[Rule]:
    def field_tag(m: re.Match[str]) -> list[Tok]:
        tag = m.group(1).upper()
        if tag == "TS":
            imported.note(
                "TS= (Topic) also searches Keywords Plus: read as title, abstract and keywords"
            )
        return [Tok("OPEN", TAGS[tag], m.start())]

    def bare_tag(m: re.Match[str]) -> list[Tok]:
        tag, value = m.group(1).upper(), m.group(2).strip()
        if tag == "TS":
            imported.note(
                "TS= (Topic) also searches Keywords Plus: read as title, abstract and keywords"
            )
        out = [Tok("OPEN", TAGS[tag], m.start())]
        for word in value.split():
            if out[-1].kind == "LEAF":
                out.append(Tok("OP", "AND", m.start()))
            out.append(Tok("LEAF", words_to_term(word, quoted=False), m.start()))
        return [*out, Tok(")", None, m.end())]

    def limit_tag(m: re.Match[str]) -> list[Tok]:
        tag, value = m.group(1).upper(), m.group(2) or m.group(3) or ""
        value = value.strip()
        if tag == "PY":
            years = re.findall(r"\d{4}", value)
            if years:
                a, b = years[0], years[-1]
                return [
                    Tok("LEAF", limit("from", f"{a}-01-01"), m.start()),
                    Tok("OP", "AND", m.start()),
                    Tok("LEAF", limit("to", f"{b}-12-31"), m.start()),
                ]
        if tag == "LA":
            out: list[Tok] = []
            for lang in re.split(r"\s+OR\s+", value, flags=re.I):
                if out:
                    out.append(Tok("OP", "OR", m.start()))
                out.append(Tok("LEAF", limit("language", lang.strip().strip('"')), m.start()))
            return out
        if tag == "DT" and value.strip('"').lower() == "review":
            return [Tok("LEAF", limit("review", m.group(0)), m.start())]
        return [Tok("LEAF", limit("other", m.group(0)), m.start())]

    return [
        (re.compile(r"(PY|LA|DT|WC|SU|DO|SO)\s*=\s*(?:\(([^()]*)\)|(\S+))", re.I), limit_tag),
        (re.compile(r"(TS|TI|AB|AK)\s*=\s*\(", re.I), field_tag),
        (
            re.compile(r"(TS|TI|AB|AK)\s*=\s*((?:(?!\b(?:AND|OR|NOT|NEAR)\b)[^()#])+)", re.I),
            bare_tag,
        ),
        (re.compile(r"[()]"), lambda m: [Tok(m.group(0), None, m.start())]),
        (
            re.compile(r"(AND|OR|NOT)(?![\w/-])", re.I),
            lambda m: [Tok("OP", m.group(1).upper(), m.start())],
        ),
        (re.compile(r"SAME(?![\w/-])", re.I), lambda m: _same(imported, m)),
        (
            re.compile(r"NEAR(?:/(\d+))?(?![\w-])", re.I),
            lambda m: [Tok("NEAR", NearOp(int(m.group(1) or 15), False, m.group(0)), m.start())],
        ),
        (re.compile(r"#(\d+)"), lambda m: [Tok("REF", m.group(1), m.start())]),
        (re.compile(r'"([^"]*)"'), lambda m: [Tok("LEAF", _leaf(m.group(1), True), m.start())]),
        (re.compile(r'[^\s()"]+'), lambda m: [Tok("LEAF", _leaf(m.group(0), False), m.start())]),
    ]


def _same(imported: Imported, m: re.Match[str]) -> list[Tok]:
    imported.note("SAME is read as AND (outside the address field they search alike)")
    return [Tok("OP", "AND", m.start())]


def read(text: str, *, path: str | None = None) -> Imported:
    return read_with_rules(
        "wos",
        text,
        path=path,
        rules=_rules,
        levels=LEVELS,
        numbered=r"^\s*#(\d+)\s+",
        ref="#{n}",
    )
