"""Scopus: ``TITLE-ABS(...)``, loose phrases, ``PUBYEAR``, ``LANGUAGE``, ``SUBJAREA``.

Rules, from Scopus's search help and the Scopus Search API guide
(https://dev.elsevier.com/sc_search_tips.html, formerly
schema.elsevier.com/dtds/document/bkapi/search/SCOPUSSearchTips.htm; help.scopus.com search tips):
- ``TITLE-ABS`` searches title and abstract, as the review did; ``TITLE-ABS-KEY`` adds keywords
  and is used only when the strategy or the caller asks for keywords.
- Double quotes make a loose phrase: words together, plurals and spelling variants included,
  punctuation such as hyphens ignored, wildcards allowed (``"primary care*"``); braces
  ``{...}`` would be an exact phrase in which ``*`` is a literal character, so rea never uses them.
- Words side by side without an operator are ANDed.
- Precedence is OR, then AND, then AND NOT ("AND NOT ... should be used at the end"): the output
  is fully parenthesised and NOT is written ``AND NOT``.
- ``PUBYEAR > 1997 AND PUBYEAR < 2013`` limits by whole publication years (PUBYEAR takes > < =
  or AFT/BEF/IS); ``LANGUAGE(english)``; ``SUBJAREA(MEDI OR SOCI ...)`` by the 27 four-letter
  subject area codes (MEDI, SOCI, NURS, MULT, HEAL among them); ``DOCTYPE(re)`` reviews. These
  field codes are Scopus advanced search's; the pages read for them were Scopus query examples
  (e.g. github.com/muschellij2/rscopus/issues/50, github.com/troettge/Transparency-Ling/issues/3)
  rather than Elsevier's field-code list, which the reference library did not hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.query.ast import Term
from rea.query.render.common import Notes, join, review_note, runnable_words, whole_years

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    from rea.query.render import RenderedQuery

    notes = Notes()
    fields = options.fields or strategy.filters.fields
    field = "TITLE-ABS-KEY" if fields == "title_abstract_keywords" else "TITLE-ABS"

    def term(t: Term) -> str:
        words = runnable_words(t, "scopus", notes)
        text = " ".join(words)
        return f'"{text}"' if t.quoted or len(words) > 1 else text

    body = join(strategy.query(stage.id), term, not_="AND NOT")
    first, last = whole_years(stage, "scopus", notes)
    parts = [f"{field}({body})", f"PUBYEAR > {first - 1} AND PUBYEAR < {last + 1}"]
    languages = [lang.lower() for lang in stage.languages]
    if len(languages) == 1:
        parts.append(f"LANGUAGE({languages[0]})")
    elif languages:
        parts.append("(" + " OR ".join(f"LANGUAGE({lang})" for lang in languages) + ")")
    areas = strategy.filters.scopus_subject_areas
    if areas:
        parts.append(f"SUBJAREA({' OR '.join(areas)})")
    if options.review_filter:
        parts.append("DOCTYPE(re)")
        notes.add(review_note("scopus", "DOCTYPE(re)"))
    return RenderedQuery(
        db="scopus", stage=stage.id, text=" AND ".join(parts), warnings=notes.tuple(), params={}
    )
