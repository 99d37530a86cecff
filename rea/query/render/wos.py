"""Web of Science Core Collection advanced search: ``TI=``/``AB=``, ``NEAR/x``, ``PY=``, ``LA=``.

Rules (the registry entry in :mod:`rea.query.databases` cites the pages), from the Web of Science
help (webofscience.help.clarivate.com/Content/search-rules.htm and search-operators.html;
images.webofknowledge.com .../hs_wildcards.html, hs_topic.html):
- ``TS=`` (Topic) searches title, abstract, author keywords and Keywords Plus; for title and
  abstract rea writes ``TI=(…) OR AB=(…)`` for each group of terms, so that a term in the title
  and another in the abstract still match; ``TS=`` when keywords are asked for too (Keywords
  Plus included, with a note); ``AK=`` author keywords.
- Lemmatization: "The product does not retrieve synonyms and lemmatized terms when you enclosed
  search terms in quotation marks" (``"mouse"`` does not find mice); wildcards turn it off too.
  So a single word is written without quotes unless the strategy marks it ``[exact]``; a phrase
  needs its quotes (without them the words are ANDed) and a warning says it is not lemmatized.
- "At least three characters must precede the wildcard in Title and Topic searches": shorter
  stems are written as the forms the strategy declares for them.
- ``NEAR/x``: at most x words between the terms, in any order; AND may not stand inside NEAR,
  OR may. Web of Science has no ordered proximity: PRE/n is searched as NEAR/n, with a warning.
- Precedence NEAR, SAME, NOT, AND, OR; the output is fully parenthesised.
- "You can use up to 49 of these operators in a single search query": a longer query is written
  as search-history lines (#1, #2 ... combined with #n AND #m), each within 49 operators.
- ``PY=(1998-2012)``; ``LA=(English)``; ``DT=(Review)`` only when asked. Editions (e.g. the
  Social Sciences Citation Index) are chosen in the interface, not in the query string.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.query.ast import Heading, Near, Term
from rea.query.render.common import Renderer, render_with, review_note, whole_years

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy

EDITION_NAMES = {
    "SSCI": "Social Sciences Citation Index (SSCI)",
    "SCI": "Science Citation Index Expanded (SCI-EXPANDED)",
    "AHCI": "Arts & Humanities Citation Index (A&HCI)",
    "ESCI": "Emerging Sources Citation Index (ESCI)",
}
OPERATOR_WORDS = {"NEAR", "SAME", "AND", "OR", "NOT"}


class WebOfScience(Renderer):
    WRAP = "groups"

    def word_text(self, words: tuple[str, ...], term: Term) -> str:
        text = " ".join(words)
        single = len(words) == 1
        operator = text.upper() in OPERATOR_WORDS or text.upper().startswith("NEAR/")
        if single and not term.exact and not operator:
            return text
        if not any("*" in w for w in words):
            self.notes.add(
                'quoted terms are searched without lemmatization ("general practice" does not '
                'find "general practices"), as Web of Science documents for quotation marks'
            )
        return f'"{text}"'

    def wrap(self, inner: str, fields: tuple[str, ...], single: bool) -> str:
        if fields == ("ti", "ab", "kw"):
            self.notes.add(
                "keywords searched with TS= (Topic): title, abstract, author keywords and "
                "Keywords Plus"
            )
            return f"TS=({inner})"
        if fields == ("ti", "ab"):
            self.notes.add(
                "searched in titles (TI=) and abstracts (AB=), as the strategy asks; TS= (Topic) "
                "would also search author keywords and Keywords Plus"
            )
        codes = [self.db.field_codes[f] for f in fields]
        if len(codes) == 1:
            return f"{codes[0]}=({inner})"
        return "(" + " OR ".join(f"{code}=({inner})" for code in codes) + ")"

    def heading(self, h: Heading) -> str:  # never called: prepare() turns headings into phrases
        return self.expr(Term(tuple(h.name.split()), True))

    def near_operator(self, node: Near) -> str:
        if node.ordered:
            self.notes.add(
                f"Web of Science has no ordered proximity: {node.operator} is searched as "
                f"NEAR/{node.distance}, in either order (more records)"
            )
        return f"NEAR/{node.distance}"

    def filters(self) -> list[str]:
        first, last = whole_years(self.ctx)
        parts = [f"PY=({first if first == last else f'{first}-{last}'})"]
        languages = [lang.capitalize() for lang in self.ctx.stage.languages]
        if languages:
            parts.append(f"LA=({' OR '.join(languages)})")
        if self.ctx.options.review_filter:
            parts.append("DT=(Review)")
            self.notes.add(review_note("wos", "DT=(Review)"))
        editions = self.ctx.strategy.filters.wos_editions
        if editions:
            names = ", ".join(EDITION_NAMES.get(e, e) for e in editions)
            self.notes.add(
                f"select the edition(s) {names} under Web of Science Core Collection > Editions "
                "before running: editions cannot be set in the query string"
            )
        return parts


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    return render_with(WebOfScience, strategy, stage, options, "wos")
