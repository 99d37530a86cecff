"""Embase.com: ``'phrase*':ti,ab``, Emtree ``'x'/exp``, ``NEAR/n``, ``[1998-2012]/py``.

Rules (the registry entry in :mod:`rea.query.databases` cites the pages), from the Embase.com
search hints (embase.com/info/helpfiles/search-hints/boolean-operators):
- Field limits follow a term or a parenthesised group: ``(a OR b):ti,ab``; ``:kw`` author
  keywords; ``:ti,ab,kw``.
- Phrases in quotes (rea writes single quotes, as Embase's own query builder does), wildcards
  allowed inside; ``*`` any run of characters, ``?`` one.
- Emtree: ``'x'/exp`` exploded, ``'x'/de`` this term only, ``'x'/exp/mj`` and ``'x'/mj`` major
  focus.
- "NEAR/n requests terms that are within n words of each other, in either order. For example,
  symptom NEAR/5 headache retrieves records with at most 4 words between": rea's NEAR/n (at most
  n words between) is written NEAR/(n+1), PRE/n as NEXT/(n+1); "the proximity operators NEAR and
  NEXT can be used with parentheses, truncation and field limits".
- ``[1998-2012]/py`` publication years, ``[english]/lim``, ``[review]/lim`` only when asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.query.ast import Heading, Near, Term
from rea.query.render.common import Renderer, render_with, review_note, whole_years

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy


class Embase(Renderer):
    WRAP = "groups"

    def word_text(self, words: tuple[str, ...], term: Term) -> str:
        text = " ".join(words)
        return f"'{text}'" if len(words) > 1 or "-" in text else text

    def wrap(self, inner: str, fields: tuple[str, ...], single: bool) -> str:
        codes = ",".join(self.db.field_codes[f] for f in fields)
        return f"{inner}:{codes}" if single else f"({inner}):{codes}"

    def heading(self, h: Heading) -> str:
        suffix = "/exp" if h.explode else "/de"
        if h.major:
            suffix = "/exp/mj" if h.explode else "/mj"
        return f"'{h.name}'{suffix}"

    def near_operator(self, node: Near) -> str:
        word = "NEXT" if node.ordered else "NEAR"
        return f"{word}/{node.distance + self.db.proximity_offset}"

    def filters(self) -> list[str]:
        first, last = whole_years(self.ctx)
        parts = [f"[{first}-{last}]/py"]
        languages = [lang.lower() for lang in self.ctx.stage.languages]
        if len(languages) == 1:
            parts.append(f"[{languages[0]}]/lim")
        elif languages:
            parts.append("(" + " OR ".join(f"[{lang}]/lim" for lang in languages) + ")")
        if self.ctx.options.review_filter:
            parts.append("[review]/lim")
            self.notes.add(review_note("embase", "[review]/lim"))
        return parts


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    return render_with(Embase, strategy, stage, options, "embase")
