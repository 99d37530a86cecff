"""Ovid MEDLINE: numbered search lines, ``.ti,ab.``, ``$`` truncation, ``limit`` lines.

Rules, from Ovid's help (resourcecenter.ovid.com/site/help/documentation/ospa/en/Content/
syntax.htm "Advanced Search Techniques": ``term.xy,yz.``; Ovid's command-line syntax help
"Truncation and Wild Cards" and "..L/n yr=x", mirrored at zatoka.icm.edu.pl/OVIDWEB/
ovidweb.cgi?HC=syntax; Jefferson's Ovid guide, jeffline.tju.edu/AISR/Forum/03/01/articles/
ovid.html, on adjacent words as phrases; the NSW CIAP guide to Ovid truncation and phrases,
https://ciap.health.nsw.gov.au/training/ebp-learning-modules/module3/
truncation-wildcards-and-phrases-on-ovid-databases.html):
- ``term.ti,ab.`` searches a word or phrase in title and abstract; ``(a or b).ti,ab.`` a group.
- Words typed side by side are searched as a phrase, without quotes; quotes are needed only when
  a phrase contains an operator word (and, or, not, adj, near, with, same).
- ``$`` (or ``*``) truncates at the end of a word; ``#`` and ``?`` are in-word wildcards; no
  wildcard may start a word. rea writes ``$``.
- Search lines are combined by number: ``or/1-3``, ``and/4-6`` for runs of lines, ``1 and 5``
  otherwise.
- ``limit N to english language``; ``limit N to yr="1998 - 2012"`` (publication years);
  ``limit N to "review"`` (publication type) only when asked.
- Paste the lines into Advanced Search with "Map Term to Subject Heading" off (field-qualified
  lines are not mapped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.query.ast import Node, Not, Term
from rea.query.render.common import Notes, review_note, runnable_words, whole_years

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy

OPERATOR_WORDS = {"and", "or", "not", "adj", "near", "with", "same"}


def _combine(numbers: list[int], op: str) -> str:
    """``or/1-3`` for a run of three or more lines, ``1 or 5`` otherwise (order does not matter
    to AND and OR, so the numbers are sorted)."""
    lines = sorted(set(numbers))
    if len(lines) > 2 and lines == list(range(lines[0], lines[0] + len(lines))):
        return f"{op}/{lines[0]}-{lines[-1]}"
    return f" {op} ".join(str(n) for n in lines)


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    from rea.query.render import RenderedQuery

    notes = Notes()
    fields = options.fields or strategy.filters.fields
    suffix = ".ti,ab,kw." if fields == "title_abstract_keywords" else ".ti,ab."
    if fields == "title_abstract_keywords":
        notes.add("keywords searched with .kw. (author keywords in Ovid MEDLINE)")
    lines: list[str] = []
    seen: dict[str, int] = {}

    def emit(text: str) -> int:
        """A new search line, or the number of an identical earlier one."""
        if text not in seen:
            lines.append(text)
            seen[text] = len(lines)
        return seen[text]

    def term(t: Term) -> str:
        words = runnable_words(t, "ovid", notes)
        text = " ".join(w.replace("*", "$") for w in words)
        if any(w.lower() in OPERATOR_WORDS for w in words):
            return f'"{text}"'
        return text

    def terms_line(terms: list[Term]) -> int:
        inner = " or ".join(term(t) for t in terms)
        return emit(f"({inner}){suffix}" if len(terms) > 1 else f"{inner}{suffix}")

    def line(node: Node) -> int:
        if isinstance(node, Term):
            return terms_line([node])
        if isinstance(node, Not):
            left, right = line(node.left), line(node.right)
            return emit(f"{left} not {right}")
        if node.op == "OR":
            loose = [c for c in node.children if isinstance(c, Term)]
            numbers = [terms_line(loose)] if loose else []
            numbers += [line(c) for c in node.children if not isinstance(c, Term)]
            if len(set(numbers)) == 1:
                return numbers[0]
            return emit(_combine(numbers, "or"))
        numbers = [line(c) for c in node.children]
        if len(set(numbers)) == 1:
            return numbers[0]
        return emit(_combine(numbers, "and"))

    last = line(strategy.query(stage.id))
    languages = [lang.lower() for lang in stage.languages]
    if languages:
        which = languages[0] if len(languages) == 1 else f"({' or '.join(languages)})"
        last = emit(f"limit {last} to {which} language")
    first_year, last_year = whole_years(stage, "ovid", notes)
    last = emit(f'limit {last} to yr="{first_year} - {last_year}"')
    if options.review_filter:
        last = emit(f'limit {last} to "review"')
        notes.add(review_note("ovid", 'limit to "review"'))
    notes.add(
        "enter the lines one by one in Ovid's Advanced Search with 'Map Term to Subject "
        "Heading' off; line numbers assume an empty search history"
    )
    text = "\n".join(f"{n} {text}" for n, text in enumerate(lines, start=1))
    return RenderedQuery(db="ovid", stage=stage.id, text=text, warnings=notes.tuple(), params={})
