"""Web of Science Core Collection advanced search: ``TI=``/``AB=``, ``PY=``, ``LA=``.

Rules, from the Web of Science help (https://webofscience.help.clarivate.com/Content/
search-rules.htm; images.webofknowledge.com/WOKRS58B4/help/WOK/hs_wildcards.html;
images.webofknowledge.com/data/WOKRS529MR9/help/CCC/hs_topic.html):
- ``TS=`` (Topic) searches title, abstract, author keywords and Keywords Plus; the review
  searched titles and abstracts, so rea writes ``TI=(…) OR AB=(…)`` for each group of terms
  (a term in the title and another in the abstract still match, as in a title/abstract field).
  ``TS=`` is used when the strategy asks for keywords too.
- Quotation marks search an exact phrase and turn lemmatization off ("mouse" does not find
  mice); wildcards turn lemmatization off as well; ``*`` may be used inside quotes.
- "At least three characters must precede the wildcard in Title and Topic searches".
- Precedence: NEAR, SAME, NOT, AND, OR; the output is fully parenthesised.
- ``PY=(1998-2012)`` publication years; ``LA=(English)``; ``DT=(Review)`` document type.
- Editions (e.g. the Social Sciences Citation Index) are chosen in the interface, not in the
  query string.
- The help has limited a query to 49 Boolean operators (the limit now applies to All Fields
  searches only); a longer query is counted and flagged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.query.ast import Group, Node, Not, Term
from rea.query.render.common import Notes, join, review_note, runnable_words, whole_years

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy

EDITION_NAMES = {
    "SSCI": "Social Sciences Citation Index (SSCI)",
    "SCI": "Science Citation Index Expanded (SCI-EXPANDED)",
    "AHCI": "Arts & Humanities Citation Index (A&HCI)",
    "ESCI": "Emerging Sources Citation Index (ESCI)",
}
OPERATOR_LIMIT = 49
OPERATOR_WORDS = {"NEAR", "SAME"}


def _terms_only(node: Node) -> bool:
    return isinstance(node, Term) or (
        isinstance(node, Group)
        and node.op == "OR"
        and all(isinstance(c, Term) for c in node.children)
    )


def _wrapped(text: str) -> bool:
    """Is the whole text one parenthesised unit (its first ``(`` closed by its last ``)``)?"""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth, quoted = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0 and i < len(text) - 1:
                return False
    return True


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    from rea.query.render import RenderedQuery

    notes = Notes()
    fields = options.fields or strategy.filters.fields

    def term(t: Term) -> str:
        words = runnable_words(t, "wos", notes)
        text = " ".join(words)
        quoted = t.quoted or len(words) > 1
        if quoted and not any("*" in w for w in words):
            notes.add(
                'quoted terms are searched without lemmatization ("general practice" does not '
                'find "general practices"), as Web of Science documents for quotation marks'
            )
        if not quoted and (text.upper() in OPERATOR_WORDS or text.upper().startswith("NEAR/")):
            quoted = True  # a bare NEAR or SAME would be read as an operator
        return f'"{text}"' if quoted else text

    tree = strategy.query(stage.id)
    if fields == "title_abstract_keywords":
        body = f"TS=({join(tree, term)})"
    else:
        notes.add(
            "searched in titles (TI=) and abstracts (AB=), as the strategy asks; TS= (Topic) "
            "would also search author keywords and Keywords Plus"
        )

        def fielded(node: Node) -> str:
            if _terms_only(node):
                inner = join(node, term)
                return f"(TI=({inner}) OR AB=({inner}))"
            if isinstance(node, Group):
                op = f" {node.op} "
                return "(" + op.join(fielded(c) for c in node.children) + ")"
            assert isinstance(node, Not)
            return f"({fielded(node.left)} NOT {fielded(node.right)})"

        body = fielded(tree)
    first, last = whole_years(stage, "wos", notes)
    years = f"{first}" if first == last else f"{first}-{last}"
    parts = [body if _wrapped(body) else f"({body})", f"PY=({years})"]
    languages = [lang.capitalize() for lang in stage.languages]
    if languages:
        parts.append(f"LA=({' OR '.join(languages)})")
    if options.review_filter:
        parts.append("DT=(Review)")
        notes.add(review_note("wos", "DT=(Review)"))
    text = " AND ".join(parts)
    editions = strategy.filters.wos_editions
    if editions:
        names = ", ".join(EDITION_NAMES.get(e, e) for e in editions)
        notes.add(
            f"select the edition(s) {names} under Web of Science Core Collection > Editions "
            "before running: editions cannot be set in the query string"
        )
    operators = sum(text.count(f" {op} ") for op in ("AND", "OR", "NOT"))
    if operators > OPERATOR_LIMIT:
        notes.add(
            f"the query has {operators} Boolean operators; Web of Science's help has limited a "
            f"query to {OPERATOR_LIMIT} (today only for All Fields): if it is refused, run each "
            "part as its own search and combine them in the search history (#1 OR #2 ...)"
        )
    return RenderedQuery(db="wos", stage=stage.id, text=text, warnings=notes.tuple(), params={})
