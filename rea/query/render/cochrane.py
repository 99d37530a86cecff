"""Cochrane Library (CENTRAL) Search Manager: ``(a OR b):ti,ab``, ``NEXT``, ``[mh "x"]``.

Rules (the registry entry in :mod:`rea.query.databases` cites the pages), from the Cochrane
Library's Search Manager help (cochranelibrary.com/search-manager-help) and the Cochrane Handbook:
- Field limits after a term or group: ``:ti,ab``, ``:ti,ab,kw``.
- "Phrase search does NOT support the use of wildcards": a phrase with a wildcard is written with
  NEXT between its words (``(primary NEXT care*)``), adjacent words in order, the same records.
- Word variants are not searched by default in the Search Manager; quotes make a phrase.
- MeSH: ``[mh "x"]`` exploded, ``[mh ^"x"]`` this term only, ``[mh "x"[mj]]`` major topic.
- ``NEAR/n`` (either order; "NEAR ... will find the search terms within six words of each other")
  counts like Embase.com's ``NEAR/n``, so rea's NEAR/n is written NEAR/(n+1); ``NEXT`` joins
  adjacent words in order (PRE/0); a longer ordered proximity is searched in either order, with
  a warning.
- Dates and the CENTRAL (Trials) tab are set with the Search Manager's limits, not in the query:
  the output says which to set. The Cochrane Library has no language limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.query.ast import Heading, Near, Term
from rea.query.render.common import Renderer, no_review_filter, render_with

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy


class Cochrane(Renderer):
    WRAP = "groups"

    def word_text(self, words: tuple[str, ...], term: Term) -> str:
        if len(words) == 1:
            return words[0]
        if any("*" in w for w in words):
            return "(" + " NEXT ".join(words) + ")"
        return '"' + " ".join(words) + '"'

    def wrap(self, inner: str, fields: tuple[str, ...], single: bool) -> str:
        codes = ",".join(self.db.field_codes[f] for f in fields)
        return f"{inner}:{codes}" if single else f"({inner}):{codes}"

    def heading(self, h: Heading) -> str:
        name = f'{"" if h.explode else "^"}"{h.name}"'
        return f"[mh {name}[mj]]" if h.major else f"[mh {name}]"

    def near_operator(self, node: Near) -> str:
        if node.ordered and node.distance == 0:
            return "NEXT"
        if node.ordered:
            self.notes.add(
                f"the Cochrane Library's NEXT takes no distance: {node.operator} is searched as "
                f"NEAR/{node.distance + 1}, in either order (more records)"
            )
        return f"NEAR/{node.distance + self.db.proximity_offset}"

    def filters(self) -> list[str]:
        stage = self.ctx.stage
        self.notes.add(
            f"set the Search Manager's limits before running: publication year from "
            f"{stage.date_from.year} to {stage.date_to.year}, and the Trials (CENTRAL) results"
        )
        if (stage.date_from.month, stage.date_from.day) != (1, 1) or (
            stage.date_to.month,
            stage.date_to.day,
        ) != (12, 31):
            self.notes.add(
                f"the Cochrane Library limits by publication year only: screen out records "
                f"outside {stage.date_from} to {stage.date_to}"
            )
        if stage.languages:
            self.notes.add(
                f"the Cochrane Library has no language limit: screen out records not in "
                f"{', '.join(stage.languages)}"
            )
        if self.ctx.options.review_filter:
            self.notes.add(no_review_filter("cochrane"))
        return []


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    return render_with(Cochrane, strategy, stage, options, "cochrane")
