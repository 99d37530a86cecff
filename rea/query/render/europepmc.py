"""Europe PMC: ``TITLE_ABS:term`` for every term, ``MESH:"x"``, ``FIRST_PDATE:[… TO …]``.

Rules (the registry entry in :mod:`rea.query.databases` cites the pages), from Europe PMC's search
syntax reference (europepmc.org/searchsyntax; the same query goes to its REST search):
- A field prefix on every term: ``TITLE_ABS:`` title and abstract, ``TITLE:``, ``ABSTRACT:``,
  ``KW:`` keywords; operators AND, OR, NOT in capitals; parentheses group.
- Phrases in double quotes; ``*`` truncates a single word. Europe PMC's Lucene-based search does
  not expand wildcards inside a quoted phrase: such a phrase is searched as its words ANDed in the
  same field (more records), with a warning.
- Proximity ``TITLE_ABS:"a b"~N`` (single words without wildcards); other proximities are searched
  with AND (more records), with a warning.
- ``MESH:"x"`` searches records indexed with the MeSH heading (MEDLINE records); explosion and
  major topic are not written in the query (warnings say so).
- ``FIRST_PDATE:[1998-01-01 TO 2012-12-31]`` the stage's exact dates; ``LANG:"eng"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.query.ast import Heading, Near, Term
from rea.query.render.common import Context, Renderer, no_review_filter, render_with

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy

LANGUAGE_CODES = {
    "english": "eng",
    "french": "fre",
    "german": "ger",
    "spanish": "spa",
    "dutch": "dut",
    "italian": "ita",
    "portuguese": "por",
    "swedish": "swe",
}
PREFIX = {("ti", "ab"): "TITLE_ABS", ("ti",): "TITLE", ("ab",): "ABSTRACT", ("kw",): "KW"}


class EuropePmc(Renderer):
    WRAP = "query"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.loose: list[str] = []

    def prefixes(self, fields: tuple[str, ...]) -> list[str]:
        if fields in PREFIX:
            return [PREFIX[fields]]
        if fields == ("ti", "ab", "kw"):
            return ["TITLE_ABS", "KW"]
        return [PREFIX[(f,)] for f in fields]

    def fielded(self, text: str, fields: tuple[str, ...]) -> str:
        parts = [f"{p}:{text}" for p in self.prefixes(fields)]
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def word_text(self, words: tuple[str, ...], term: Term) -> str:
        fields = self.fields_of(term)
        if len(words) == 1:
            return self.fielded(words[0], fields)
        if any("*" in w for w in words):
            self.loose.append(" ".join(words))
            return "(" + " AND ".join(self.fielded(w, fields) for w in words) + ")"
        return self.fielded('"' + " ".join(words) + '"', fields)

    def wrap(self, inner: str, fields: tuple[str, ...], single: bool) -> str:
        return inner if single else f"({inner})"

    def heading(self, h: Heading) -> str:
        if h.explode:
            self.notes.add(
                f"{h.written()}: Europe PMC's MESH: field is not documented to explode; narrower "
                "headings may not be searched (add them to the strategy)"
            )
        if h.major:
            self.notes.add(
                f"{h.written()}: no major-topic limit is written for Europe PMC (more records)"
            )
        return f'MESH:"{h.name}"'

    def near(self, node: Near) -> str:
        sides = [node.left, node.right]
        if node.ordered:
            return self.near_fallback(node, "Europe PMC's proximity has no word order")
        if not all(isinstance(s, Term) and not s.is_phrase and not s.truncated for s in sides):
            return self.near_fallback(
                node, "Europe PMC's proximity takes single words without wildcards"
            )
        left, right = node.left, node.right
        assert isinstance(left, Term) and isinstance(right, Term)
        fields = self.fields_of(left)
        return self.fielded(f'"{left.text} {right.text}"~{node.distance}', fields)

    def filters(self) -> list[str]:
        if self.loose:
            shown = ", ".join(f'"{p}"' for p in dict.fromkeys(self.loose))
            self.notes.add(
                "Europe PMC cannot use wildcards inside a quoted phrase: each such phrase is "
                f"searched as its words ANDed in the same field, which finds more records ({shown})"
            )
        stage = self.ctx.stage
        parts = [f"FIRST_PDATE:[{stage.date_from.isoformat()} TO {stage.date_to.isoformat()}]"]
        codes = [LANGUAGE_CODES.get(lang.lower(), lang.lower()[:3]) for lang in stage.languages]
        if len(codes) == 1:
            parts.append(f'LANG:"{codes[0]}"')
        elif codes:
            parts.append("(" + " OR ".join(f'LANG:"{c}"' for c in codes) + ")")
        if self.ctx.options.review_filter:
            self.notes.add(no_review_filter("europepmc"))
        return parts


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    return render_with(EuropePmc, strategy, stage, options, "europepmc")
