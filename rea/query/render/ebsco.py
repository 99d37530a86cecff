"""CINAHL on EBSCOhost: ``TI (...) OR AB (...)``, ``(MH "x+")``, ``Nn``/``Wn``, ``DT``, ``LA``.

Rules (the registry entry in :mod:`rea.query.databases` cites the pages), from EBSCO's help
(help.ebsco.com EBSCO Interfaces User Guide, "How are phrases searched?"; EBSCO proximity guides):
- Field codes before the term or group: ``TI`` title, ``AB`` abstract, ``KW`` author keywords;
  title and abstract as ``(TI (…) OR AB (…))`` for each group of terms.
- Phrases in double quotes (wildcards allowed); ``*`` any run of characters, ``?`` one, ``#``
  zero or one. "Stop words are always ignored, even if they are enclosed in quotation marks"
  (any word then matches in their place): ``rea query lint`` flags phrases that start or end
  with one.
- CINAHL Subject Headings: ``(MH "x+")`` exploded, ``(MH "x")`` this heading only, ``(MM ...)``
  major concept.
- ``Nn`` within n words in any order, ``Wn`` in the order entered (n words between at most).
- ``DT 1998-2012`` publication years, ``LA English``; ``PT Review`` only when asked. Search
  history lines are S1, S2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.query.ast import Heading, Near, Term
from rea.query.render.common import Renderer, render_with, review_note, whole_years

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy


class Ebsco(Renderer):
    WRAP = "groups"

    def word_text(self, words: tuple[str, ...], term: Term) -> str:
        text = " ".join(words)
        return f'"{text}"' if len(words) > 1 else text

    def wrap(self, inner: str, fields: tuple[str, ...], single: bool) -> str:
        codes = [self.db.field_codes[f] for f in fields]
        parts = [f"{code} {inner}" if single else f"{code} ({inner})" for code in codes]
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def heading(self, h: Heading) -> str:
        return f'({"MM" if h.major else "MH"} "{h.name}{"+" if h.explode else ""}")'

    def near_operator(self, node: Near) -> str:
        return f"{'W' if node.ordered else 'N'}{node.distance + self.db.proximity_offset}"

    def filters(self) -> list[str]:
        first, last = whole_years(self.ctx)
        parts = [f"DT {first}-{last}"]
        languages = [lang.capitalize() for lang in self.ctx.stage.languages]
        if len(languages) == 1:
            parts.append(f"LA {languages[0]}")
        elif languages:
            parts.append("(" + " OR ".join(f"LA {lang}" for lang in languages) + ")")
        if self.ctx.options.review_filter:
            parts.append("PT Review")
            self.notes.add(review_note(self.db.id, "PT Review"))
        return parts


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    return render_with(Ebsco, strategy, stage, options, "cinahl")
