"""Read a Scopus advanced search back (one query, or search-history lines ``#1 …``).

What it reads (Scopus search tips, dev.elsevier.com/sc_search_tips.html): field functions
``TITLE-ABS-KEY(…)``, ``TITLE-ABS(…)``, ``TITLE(…)``, ``ABS(…)``, ``AUTHKEY(…)`` (``KEY(…)`` is
read as keywords, with a note), loose phrases ``"…"`` and exact ones ``{…}``, ``AND``, ``OR``,
``AND NOT``, ``W/n``, ``PRE/n``; limits ``PUBYEAR > 1997``, ``PUBYEAR AFT 1979``,
``LANGUAGE(english)``, ``LIMIT-TO(LANGUAGE, "English")``, ``SUBJAREA(…)``, ``DOCTYPE(re)``.
Precedence: OR, then W/n and PRE/n, then AND, then AND NOT.
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

LEVELS = [{"NOT"}, {"AND"}, {"NEAR"}, {"OR"}]
FUNCTIONS = {
    "TITLE-ABS-KEY": ("ti", "ab", "kw"),
    "TITLE-ABS": ("ti", "ab"),
    "TITLE": ("ti",),
    "ABS": ("ab",),
    "AUTHKEY": ("kw",),
    "KEY": ("kw",),
}


def _rules(imported: Imported) -> list[Rule]:
    def open_field(m: re.Match[str]) -> list[Tok]:
        name = m.group(1).upper()
        if name == "KEY":
            imported.note("KEY(...) searches author keywords and index terms: read as keywords")
        return [Tok("OPEN", FUNCTIONS[name], m.start())]

    def pubyear(m: re.Match[str]) -> list[Tok]:
        op, year = m.group(1).upper(), int(m.group(2))
        if op in (">", "AFT"):
            return [Tok("LEAF", limit("from", f"{year + 1}-01-01"), m.start())]
        if op in ("<", "BEF"):
            return [Tok("LEAF", limit("to", f"{year - 1}-12-31"), m.start())]
        both = [limit("from", f"{year}-01-01"), limit("to", f"{year}-12-31")]
        return [
            Tok("LEAF", both[0], m.start()),
            Tok("OP", "AND", m.start()),
            Tok("LEAF", both[1], m.start()),
        ]

    def function_limit(m: re.Match[str]) -> list[Tok]:
        name, inside = m.group(1).upper(), m.group(2)
        values = [v.strip().strip('"') for v in re.split(r"\s+OR\s+|,", inside) if v.strip()]
        if name in ("LIMIT-TO", "EXCLUDE"):
            field_name, values = values[0].upper(), values[1:]
            if name == "EXCLUDE":
                return [Tok("LEAF", limit("other", m.group(0)), m.start())]
            name = field_name
        if name == "LANGUAGE":
            leaves = [limit("language", v) for v in values]
        elif name == "SUBJAREA":
            leaves = [limit("subject_area", " ".join(values))]
        elif name == "DOCTYPE" and [v.lower() for v in values] == ["re"]:
            leaves = [limit("review", m.group(0))]
        elif name == "PUBYEAR" and values:
            years = sorted(int(v) for v in values if v.isdigit())
            leaves = [limit("from", f"{years[0]}-01-01"), limit("to", f"{years[-1]}-12-31")]
        else:
            leaves = [limit("other", m.group(0))]
        out: list[Tok] = []
        for leaf in leaves:
            if out:
                out.append(Tok("OP", "AND", m.start()))
            out.append(Tok("LEAF", leaf, m.start()))
        return out

    return [
        (re.compile(r"PUBYEAR\s*(>|<|=|AFT|BEF|IS)\s*(\d{4})", re.I), pubyear),
        (
            re.compile(r"(LANGUAGE|SUBJAREA|DOCTYPE|LIMIT-TO|EXCLUDE)\s*\(([^()]*)\)", re.I),
            function_limit,
        ),
        (
            re.compile(r"(TITLE-ABS-KEY|TITLE-ABS|TITLE|ABS|AUTHKEY|KEY)\s*\(", re.I),
            open_field,
        ),
        (re.compile(r"[()]"), lambda m: [Tok(m.group(0), None, m.start())]),
        (re.compile(r"AND\s+NOT(?![\w/-])", re.I), lambda m: [Tok("OP", "NOT", m.start())]),
        (
            re.compile(r"(AND|OR)(?![\w/-])", re.I),
            lambda m: [Tok("OP", m.group(1).upper(), m.start())],
        ),
        (
            re.compile(r"(W|PRE)/(\d+)(?![\w/-])", re.I),
            lambda m: [
                Tok(
                    "NEAR",
                    NearOp(int(m.group(2)), m.group(1).upper() == "PRE", m.group(0)),
                    m.start(),
                )
            ],
        ),
        (re.compile(r"#(\d+)"), lambda m: [Tok("REF", m.group(1), m.start())]),
        (
            re.compile(r'"([^"]*)"'),
            lambda m: [Tok("LEAF", words_to_term(m.group(1), quoted=True), m.start())],
        ),
        (
            re.compile(r"\{([^}]*)\}"),
            lambda m: [Tok("LEAF", _exact(m.group(1)), m.start())],
        ),
        (
            re.compile(r'[^\s()"{}]+'),
            lambda m: [Tok("LEAF", words_to_term(m.group(0), quoted=False), m.start())],
        ),
    ]


def _exact(text: str) -> Term:
    term = words_to_term(text, quoted=True)
    return Term(term.words, term.quoted, None, None, True)


def read(text: str, *, path: str | None = None) -> Imported:
    return read_with_rules(
        "scopus",
        text,
        path=path,
        rules=_rules,
        levels=LEVELS,
        numbered=r"^\s*#?(\d+)\s+",
        ref="#{n}",
    )
