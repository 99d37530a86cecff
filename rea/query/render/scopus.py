"""Scopus: ``TITLE-ABS(...)``, loose phrases, ``W/n``, ``PUBYEAR``, ``LANGUAGE``, ``SUBJAREA``.

Rules (the registry entry in :mod:`rea.query.databases` cites the pages), from Scopus's search
tips (https://dev.elsevier.com/sc_search_tips.html; help.scopus.com h_bscssrchboolop.htm and
h_bscssrchFASTprox.htm):
- ``TITLE-ABS`` searches title and abstract, as the review did; ``TITLE-ABS-KEY`` adds keywords
  (author keywords and index terms) and is used only when the strategy asks for keywords;
  ``TITLE()``, ``ABS()``, ``AUTHKEY()`` for single fields.
- Double quotes make a loose phrase (plurals and spelling variants included, punctuation
  ignored, wildcards allowed); braces ``{...}`` an exact one, used for terms marked ``[exact]``
  (an exact phrase cannot hold wildcards). A single word is written without quotes, unless it
  holds a hyphen (a loose phrase then also finds it with a space).
- ``*`` may stand anywhere in a word, also at its start.
- Precedence is OR, then W/n and PRE/n, then AND, then AND NOT: the output is fully
  parenthesised and NOT is written ``AND NOT``.
- ``W/n`` (any order) and ``PRE/n`` (in order), n the most words between; "Scopus will not
  support boolean operators (AND, OR, AND NOT) as an argument to a proximity expression": an OR
  group on a side is written as one proximity per pair of terms, ORed (the same records).
- Scopus has no subject-heading vocabulary of its own: a heading is searched as a phrase.
- ``PUBYEAR > 1997 AND PUBYEAR < 2013``, ``LANGUAGE(english)``, ``SUBJAREA(MEDI OR SOCI ...)``,
  ``DOCTYPE(re)`` (only when asked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.query.ast import Heading, Near, Term
from rea.query.render.common import Renderer, render_with, review_note, whole_years

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy

FIELD_FUNCTIONS = {
    ("ti", "ab"): "TITLE-ABS",
    ("ti", "ab", "kw"): "TITLE-ABS-KEY",
    ("ti",): "TITLE",
    ("ab",): "ABS",
    ("kw",): "AUTHKEY",
}


class Scopus(Renderer):
    WRAP = "query"
    NOT = "AND NOT"

    def word_text(self, words: tuple[str, ...], term: Term) -> str:
        text = " ".join(words)
        if term.exact and not any("*" in w for w in words):
            return f"{{{text}}}"
        if term.exact:
            self.notes.add(
                f"{term.text}: Scopus's exact phrases {{...}} take no wildcards; searched as a "
                "loose phrase (plurals and spelling variants included)"
            )
        return f'"{text}"' if len(words) > 1 or "-" in text else text

    def wrap(self, inner: str, fields: tuple[str, ...], single: bool) -> str:
        if fields == ("ti", "ab", "kw"):
            self.notes.add(
                "keywords searched with TITLE-ABS-KEY: Scopus's KEY holds author keywords and "
                "index terms"
            )
        function = FIELD_FUNCTIONS.get(fields)
        if function is not None:
            return f"{function}({inner})"
        return "(" + " OR ".join(f"{FIELD_FUNCTIONS[(f,)]}({inner})" for f in fields) + ")"

    def heading(self, h: Heading) -> str:  # never called: prepare() turns headings into phrases
        return self.expr(Term(tuple(h.name.split()), True))

    def near_operator(self, node: Near) -> str:
        return f"{'PRE' if node.ordered else 'W'}/{node.distance}"

    def near(self, node: Near) -> str:
        left, right = self.side_terms(node.left), self.side_terms(node.right)
        if left is None or right is None:
            return self.near_fallback(node, "Scopus cannot nest one proximity inside another")
        op = self.near_operator(node)
        pairs = [
            f"{a} {op} {b}"
            for x in left
            for y in right
            for a in self.alternatives(x)
            for b in self.alternatives(y)
        ]
        return pairs[0] if len(pairs) == 1 else "(" + " OR ".join(f"({p})" for p in pairs) + ")"

    def filters(self) -> list[str]:
        first, last = whole_years(self.ctx)
        parts = [f"PUBYEAR > {first - 1} AND PUBYEAR < {last + 1}"]
        languages = [lang.lower() for lang in self.ctx.stage.languages]
        if len(languages) == 1:
            parts.append(f"LANGUAGE({languages[0]})")
        elif languages:
            parts.append("(" + " OR ".join(f"LANGUAGE({lang})" for lang in languages) + ")")
        areas = self.ctx.strategy.filters.scopus_subject_areas
        if areas:
            parts.append(f"SUBJAREA({' OR '.join(areas)})")
        if self.ctx.options.review_filter:
            parts.append("DOCTYPE(re)")
            self.notes.add(review_note("scopus", "DOCTYPE(re)"))
        return parts


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    return render_with(Scopus, strategy, stage, options, "scopus")
