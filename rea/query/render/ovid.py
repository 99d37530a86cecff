"""Ovid (MEDLINE, Embase, APA PsycInfo): numbered lines, ``.ti,ab.``, ``$``, ``adjN``, ``limit``.

Rules (the registry entries in :mod:`rea.query.databases` cite the pages), from Ovid's help
(resourcecenter.ovid.com/site/help/documentation/ospa/en/Content/syntax.htm "Advanced Search
Techniques": ``term.xy,yz.``; tools.ovid.com/ovidgo/searches/training.php on ADJ and ADJn; the
NSW CIAP guide to Ovid truncation and phrases; Jefferson's Ovid guide on adjacent words):
- ``term.ti,ab.`` searches a word or phrase in title and abstract; ``(a or b).ti,ab.`` a group.
  Keywords are ``.kf.`` in MEDLINE, ``.kw.`` in Embase, ``.id.`` (key concepts) in PsycInfo.
- Words typed side by side are searched as a phrase, without quotes; quotes are needed only when
  a phrase contains an operator word (and, or, not, adj, near, with, same).
- ``$`` (or ``*``) truncates; rea writes ``$``. A wildcard may stand inside a word but "can be
  used anywhere in your search term, except as the first character".
- ``ADJn``: "the adjacent terms separated by n-1 words apart, the terms occurring in any order":
  rea's NEAR/n (at most n words between) is ``adj(n+1)``; Ovid has no ordered proximity, so
  PRE/n is searched as adj(n+1) in either order, with a warning.
- Subject headings: ``exp Heading/`` exploded, ``Heading/`` this heading only, ``*Heading/``
  major topic (MeSH in MEDLINE, Emtree in Embase, the APA Thesaurus in PsycInfo).
- Search lines are combined by number: ``or/1-3``, ``and/4-6`` for runs of lines, ``1 and 5``
  otherwise; ``limit N to english language``; ``limit N to yr="1998 - 2012"`` (publication
  years); ``limit N to "review"`` only when asked.
- Paste the lines into Advanced Search with "Map Term to Subject Heading" off (field-qualified
  lines are not mapped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.query.ast import Heading, Near, Term
from rea.query.render.common import Lines, Renderer, render_with, review_note, whole_years

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy

OPERATOR_WORDS = {"and", "or", "not", "adj", "near", "with", "same"}


class OvidLines(Lines):
    def prefix(self, n: int) -> str:
        return f"{n} "

    def combine(self, numbers: list[int], op: str) -> str:
        if op == "NOT":
            return f"{numbers[0]} not {numbers[1]}"
        lines = sorted(set(numbers))
        word = op.lower()
        if len(lines) > 2 and lines == list(range(lines[0], lines[0] + len(lines))):
            return f"{word}/{lines[0]}-{lines[-1]}"
        return f" {word} ".join(str(n) for n in lines)


class Ovid(Renderer):
    AND, OR, NOT = "and", "or", "not"
    WRAP = "groups"

    def word_text(self, words: tuple[str, ...], term: Term) -> str:
        text = " ".join(w.replace("*", self.db.truncation.symbol) for w in words)
        if any(w.lower() in OPERATOR_WORDS for w in words):
            return f'"{text}"'
        return text

    def wrap(self, inner: str, fields: tuple[str, ...], single: bool) -> str:
        codes = ",".join(self.db.field_codes[f] for f in fields)
        return f"{inner}.{codes}." if single else f"({inner}).{codes}."

    def heading(self, h: Heading) -> str:
        return f"{'exp ' if h.explode else ''}{'*' if h.major else ''}{h.name}/"

    def near_operator(self, node: Near) -> str:
        if node.ordered:
            self.notes.add(
                f"Ovid has no ordered proximity: {node.operator} is searched as "
                f"adj{node.distance + 1}, in either order (more records)"
            )
        return f"adj{node.distance + self.db.proximity_offset}"

    def near(self, node: Near) -> str:
        return f"({super().near(node)})"

    def run(self) -> RenderedQuery:
        ctx = self.ctx
        tree = self.prepare(ctx.strategy.query(ctx.stage.id))
        lines = OvidLines(self)
        last = lines.node(tree)
        languages = [lang.lower() for lang in ctx.stage.languages]
        if languages:
            which = languages[0] if len(languages) == 1 else f"({' or '.join(languages)})"
            last = lines.emit(f"limit {last} to {which} language")
        first_year, last_year = whole_years(ctx)
        last = lines.emit(f'limit {last} to yr="{first_year} - {last_year}"')
        if ctx.options.review_filter:
            last = lines.emit(f'limit {last} to "review"')
            self.notes.add(review_note(self.db.id, 'limit to "review"'))
        fields = ctx.default_fields
        if "kw" in fields:
            self.notes.add(
                f"keywords searched with .{self.db.field_codes['kw']}. ({self.db.label})"
            )
        self.notes.add(
            "enter the lines one by one in Ovid's Advanced Search with 'Map Term to Subject "
            "Heading' off; line numbers assume an empty search history"
        )
        return self.result(lines.text())


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    return render_with(Ovid, strategy, stage, options, "ovid")


def render_ovid_embase(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    return render_with(Ovid, strategy, stage, options, "ovid-embase")


def render_psycinfo(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    return render_with(Ovid, strategy, stage, options, "psycinfo")
