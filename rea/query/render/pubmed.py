"""PubMed: every term tagged ``[tiab]``, dates as a ``[dp]`` range, ``english[la]``.

Rules, from the PubMed User Guide (https://pubmed.ncbi.nlm.nih.gov/help/):
- "Search field tags turn off Automatic Term Mapping"; ``[tiab]`` is Title/Abstract
  (#using-search-field-tags, #tiab). Each term is tagged on its own.
- A phrase with a truncated last word is written in quotes with the tag: ``"primary care*"[tiab]``;
  "At least four characters must be provided in the truncated term"; "The truncated term must be
  the last word in the phrase" (#truncating-search-terms). The legacy PubMed searched only the
  first 600 variants of a truncated term; the current PubMed has no such limit (University of
  Hawaii PubMed guide, guides.library.manoa.hawaii.edu/pubmed/truncation; NLM PubMed tutorial).
- Quoted phrases are looked up in PubMed's phrase index; a phrase not in it is reported as not
  found (#phrase-index, #quoted-phrase-not-found).
- "PubMed processes searches in a left-to-right sequence" (#combining-with-boolean-operators):
  the output is fully parenthesised.
- Date ranges: ``"1998/01/01"[dp] : "2012/12/31"[dp]`` (#date-search-range), publication date
  including print and electronic dates. The same range goes to E-utilities ESearch as
  ``datetype=pdat&mindate=…&maxdate=…``.
- Language ``english[la]`` and publication type ``review[pt]`` are PubMed search field tags
  (#search-tags, #publication-types).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.query.ast import Term
from rea.query.render.common import Notes, join, review_note, runnable_words

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    from rea.query.render import RenderedQuery

    notes = Notes()
    fields = options.fields or strategy.filters.fields
    if fields == "title_abstract_keywords":
        notes.add(
            "PubMed has no title/abstract/keyword field: terms are searched in [tiab] "
            "(author keywords are in [ot])"
        )

    def term(t: Term) -> str:
        words = runnable_words(t, "pubmed", notes)
        text = " ".join(words)
        quoted = t.quoted or len(words) > 1
        if quoted and len(words) > 1 and not any("*" in w for w in words):
            notes.add(
                "quoted phrases are searched through PubMed's phrase index; a phrase that is "
                "not in it is reported as 'quoted phrase not found' (check Search Details)"
            )
        return f'"{text}"[tiab]' if quoted else f"{text}[tiab]"

    body = join(strategy.query(stage.id), term)
    start = stage.date_from.strftime("%Y/%m/%d")
    end = stage.date_to.strftime("%Y/%m/%d")
    parts = [f"({body})", f'("{start}"[dp] : "{end}"[dp])']
    languages = [f"{lang.lower()}[la]" for lang in stage.languages]
    if languages:
        parts.append(languages[0] if len(languages) == 1 else f"({' OR '.join(languages)})")
    if options.review_filter:
        parts.append("review[pt]")
        notes.add(review_note("pubmed", "review[pt]"))
    params = {"datetype": "pdat", "mindate": start, "maxdate": end}
    return RenderedQuery(
        db="pubmed",
        stage=stage.id,
        text=" AND ".join(parts),
        warnings=notes.tuple(),
        params=params,
    )
