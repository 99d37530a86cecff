"""PubMed: every term tagged (``[tiab]``), MeSH ``[mh]``, a ``[dp]`` date range, ``english[la]``.

Rules (the registry entry in :mod:`rea.query.databases` cites the pages), from the PubMed User
Guide (https://pubmed.ncbi.nlm.nih.gov/help/) and the NLM Technical Bulletin:
- "Search field tags turn off Automatic Term Mapping"; ``[tiab]`` Title/Abstract, ``[ti]``
  Title, ``[ot]`` Other Term (author keywords). PubMed has no abstract-only tag: an abstract-only
  term is searched in ``[tiab]`` (more records) with a warning.
- Wildcards since June 2024 (Tech Bull 458:e5): ``*`` for zero or more characters anywhere in a
  term or phrase, several per term or phrase (``organi*ation*``, ``"colo* cancer*"``), "at least
  4 characters before the first wildcard"; no leading wildcard. A stem under four characters is
  written as the forms the strategy declares for it (``GP* -> GP OR GPs``).
- MeSH: ``"x"[mh]`` exploded, ``"x"[mh:noexp]``, ``"x"[majr]`` major topic, ``[majr:noexp]``.
- Proximity (Tech Bull 449:e4): ``"hip pain"[tiab:~2]``, N words between at most, any order,
  in ``[ti]`` and ``[tiab]`` only, single words without wildcards; other proximities are searched
  with AND (more records), with a warning.
- Quoted phrases are looked up in PubMed's phrase index; a phrase not in it is reported as not
  found (#phrase-index, #quoted-phrase-not-found).
- "PubMed processes searches in a left-to-right sequence": the output is fully parenthesised.
- Dates ``("1998/01/01"[dp] : "2012/12/31"[dp])``, also sent to ESearch as
  ``datetype=pdat&mindate=…&maxdate=…``; ``english[la]``; ``review[pt]`` only when asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.query.ast import Heading, Near, Term
from rea.query.render.common import Renderer, render_with, review_note

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy


class PubMed(Renderer):
    WRAP = "query"

    def tag(self, fields: tuple[str, ...]) -> str:
        if "ab" in fields and "ti" not in fields:
            self.notes.add(
                "PubMed has no abstract-only field: abstract terms are searched in [tiab] "
                "(title and abstract), which finds more records"
            )
        text_fields = [f for f in fields if f in ("ti", "ab")]
        tag = "tiab" if "ab" in text_fields else "ti" if text_fields else None
        if "kw" in fields and tag is not None:
            self.notes.add(
                "keywords: PubMed searches author keywords in [ot] (Other Term); a term asked in "
                "title, abstract and keywords is searched as [tiab] OR [ot]"
            )
        if tag is None:
            return "ot"
        return f"{tag}|ot" if "kw" in fields else tag

    def word_text(self, words: tuple[str, ...], term: Term) -> str:
        text = " ".join(words)
        quoted = len(words) > 1  # a single word needs no quotes behind a tag
        if quoted and not any("*" in w for w in words):
            self.notes.add(
                "quoted phrases are searched through PubMed's phrase index; a phrase that is "
                "not in it is reported as 'quoted phrase not found' (check Search Details)"
            )
        shown = f'"{text}"' if quoted else text
        tag = self.tag(self.fields_of(term))
        if "|" in tag:
            first, second = tag.split("|")
            return f"({shown}[{first}] OR {shown}[{second}])"
        return f"{shown}[{tag}]"

    def wrap(self, inner: str, fields: tuple[str, ...], single: bool) -> str:
        return inner if single else f"({inner})"

    def heading(self, h: Heading) -> str:
        tag = h.tag()
        return f'"{h.name}"[{tag}]'

    def near(self, node: Near) -> str:
        left, right = self.side_terms(node.left), self.side_terms(node.right)
        if left is None or right is None:
            return self.near_fallback(node, "PubMed cannot nest one proximity inside another")
        terms = [*left, *right]
        fields = self.fields_of(terms[0])
        if node.ordered:
            return self.near_fallback(node, "PubMed's proximity has no word order")
        if any(t.truncated for t in terms):
            return self.near_fallback(node, "PubMed's proximity takes no wildcards")
        if fields not in (("ti",), ("ti", "ab")):
            return self.near_fallback(node, "PubMed's proximity works in [ti] and [tiab] only")
        tag = "ti" if fields == ("ti",) else "tiab"
        pairs = [f'"{a.text} {b.text}"[{tag}:~{node.distance}]' for a in left for b in right]
        if any(a.is_phrase or b.is_phrase for a in terms for b in terms):
            self.notes.add(
                "PubMed's proximity counts every word of a phrase on its own: "
                f"{node.operator} with a phrase on one side is looser than the strategy's"
            )
        return pairs[0] if len(pairs) == 1 else "(" + " OR ".join(pairs) + ")"

    def filters(self) -> list[str]:
        stage = self.ctx.stage
        start, end = stage.date_from.strftime("%Y/%m/%d"), stage.date_to.strftime("%Y/%m/%d")
        parts = [f'("{start}"[dp] : "{end}"[dp])']
        languages = [f"{lang.lower()}[la]" for lang in stage.languages]
        if languages:
            parts.append(languages[0] if len(languages) == 1 else f"({' OR '.join(languages)})")
        if self.ctx.options.review_filter:
            parts.append("review[pt]")
            self.notes.add(review_note("pubmed", "review[pt]"))
        return parts

    def params(self) -> dict[str, str]:
        stage = self.ctx.stage
        return {
            "datetype": "pdat",
            "mindate": stage.date_from.strftime("%Y/%m/%d"),
            "maxdate": stage.date_to.strftime("%Y/%m/%d"),
        }


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    return render_with(PubMed, strategy, stage, options, "pubmed")
