"""Read a PubMed search back: one query (as written, or as the Details box shows it) or numbered
search-history lines (``#1 …``, ``#3 #1 AND #2``).

What it reads (PubMed User Guide): terms and quoted phrases with field tags (``[tiab]``,
``[Title/Abstract]``, ``[ti]``, ``[ot]``; ``[tw]`` and ``[All Fields]`` are read as title and
abstract, with a note); consecutive words before a tag form a phrase ("use a search tag: breast
feed*[tiab]", NLM Tech Bull 2024); MeSH ``[mh]``, ``[MeSH Terms]``, ``[mh:noexp]``, ``[majr]``;
proximity ``"a b"[tiab:~N]``; dates ``("1998/01/01"[dp] : "2012/12/31"[dp])``, ``2012[dp]``
and the Details box's ``2013/01/01:2018/09/21[Date - Publication]``; ``english[la]``;
``review[pt]``. PubMed reads operators left to right.
"""

from __future__ import annotations

import re

from rea.query.ast import Group, Heading, Near, Node, Term
from rea.query.native.common import (
    Imported,
    NearOp,
    Parser,
    Tok,
    day,
    fail,
    history_lines,
    limit,
    merge_field_copies,
    take_limits,
)

LEVELS = [{"AND", "OR", "NOT"}]  # "PubMed processes searches in a left-to-right sequence"
FIELDS = {
    "tiab": ("ti", "ab"),
    "title/abstract": ("ti", "ab"),
    "ti": ("ti",),
    "title": ("ti",),
    "ot": ("kw",),
    "other term": ("kw",),
}
LOOSE_FIELDS = {
    "tw": "Text Words",
    "text word": "Text Words",
    "all fields": "All Fields",
    "all": "All Fields",
}
HEADINGS = {
    "mh": (True, False),
    "mesh": (True, False),
    "mesh terms": (True, False),
    "mh:noexp": (False, False),
    "mesh:noexp": (False, False),
    "mesh terms:noexp": (False, False),
    "majr": (True, True),
    "mesh major topic": (True, True),
    "majr:noexp": (False, True),
    "mesh major topic:noexp": (False, True),
}
DATE_RANGE = re.compile(
    r'\(?\s*"?(\d{4}(?:/\d{1,2}(?:/\d{1,2})?)?)"?\[(?:dp|pdat|date - publication)\]\s*:\s*'
    r'"?(\d{4}(?:/\d{1,2}(?:/\d{1,2})?)?|3000)"?\[(?:dp|pdat|date - publication)\]\s*\)?',
    re.IGNORECASE,
)
OPERATORS = {"AND", "OR", "NOT"}
DATE_TAGS = ("dp", "pdat", "date - publication", "publication date")


class _Lexer:
    def __init__(
        self, text: str, imported: Imported, path: str | None, line: int, column: int
    ) -> None:
        self.text, self.imported, self.path, self.line = text, imported, path, line
        self.column = column
        self.out: list[Tok] = []
        self.run: list[tuple[str, int]] = []  # bare words waiting for a tag or an operator

    def flush(self) -> None:
        for word, at in self.run:
            self.out.append(Tok("LEAF", Term((word,), False), at))
        self.run = []

    def tokens(self) -> list[Tok]:
        text, i, n = self.text, 0, len(self.text)
        while i < n:
            ch = text[i]
            date_range = DATE_RANGE.match(text, i)
            if ch.isspace():
                i += 1
            elif date_range:
                self.flush()
                start, end = date_range.group(1), date_range.group(2)
                self.out.append(Tok("LEAF", limit("from", day(start)), i))
                if end != "3000":
                    self.out.append(Tok("OP", "AND", i))
                    self.out.append(Tok("LEAF", limit("to", day(end, end=True)), i))
                i = date_range.end()
            elif ch in "()":
                self.flush()
                self.out.append(Tok(ch, None, i))
                i += 1
            elif ch == "#" and i + 1 < n and text[i + 1].isdigit():
                self.flush()
                j = i + 1
                while j < n and text[j].isdigit():
                    j += 1
                self.out.append(Tok("REF", text[i + 1 : j], i))
                i = j
            elif ch == '"':
                self.flush()
                end = text.find('"', i + 1)
                if end == -1:
                    raise fail(
                        "this quote is never closed", text, i, self.path, self.line, self.column
                    )
                self.run = [(w, i) for w in text[i + 1 : end].split()]
                i = end + 1
                tag, i = self.tag(i)
                self.emit_run(tag, i, quoted=True)
            elif ch == "[":
                tag, i = self.tag(i)
                self.emit_run(tag, i, quoted=False)
            else:
                j = i
                while j < n and not text[j].isspace() and text[j] not in '()"[':
                    j += 1
                word = text[i:j]
                if word in OPERATORS:
                    self.flush()
                    self.out.append(Tok("OP", word, i))
                else:
                    self.run.append((word, i))
                i = j
        self.flush()
        self.out.append(Tok("EOF", None, n))
        return self.out

    def tag(self, i: int) -> tuple[str | None, int]:
        j = i
        while j < len(self.text) and self.text[j] == " ":
            j += 1
        if j < len(self.text) and self.text[j] == "[":
            end = self.text.find("]", j)
            if end == -1:
                raise fail(
                    "this [ is never closed", self.text, j, self.path, self.line, self.column
                )
            return " ".join(self.text[j + 1 : end].lower().split()), end + 1
        return None, i

    def emit_run(self, tag: str | None, at: int, *, quoted: bool) -> None:
        words = [w for w, _ in self.run]
        start = self.run[0][1] if self.run else at
        self.run = []
        if not words:
            raise fail("a tag must follow a term", self.text, at, self.path, self.line, self.column)
        self.out.append(Tok("LEAF", self.leaf(words, tag, quoted), start))

    def leaf(self, words: list[str], tag: str | None, quoted: bool) -> Node:
        text = " ".join(words)
        term = Term(tuple(words), quoted or len(words) > 1)
        if tag is None:
            return term
        proximity = re.fullmatch(r"(tiab|ti|title/abstract|title):~(\d+)", tag)
        if proximity:
            fields = FIELDS[proximity.group(1)]
            if len(words) > 2:
                self.imported.note(
                    f'"{text}"[{tag}]: a proximity of {len(words)} words is read as the first '
                    "word NEAR the rest as a phrase"
                )
            return Near(
                Term((words[0],), False, None, fields),
                Term(tuple(words[1:]), len(words) > 2, None, fields),
                int(proximity.group(2)),
            )
        if tag in FIELDS:
            return Term(term.words, term.quoted, None, FIELDS[tag])
        if tag in LOOSE_FIELDS:
            self.imported.note(
                f"[{tag}] is read as title and abstract; PubMed's {LOOSE_FIELDS[tag]} also "
                "searches other fields"
            )
            return Term(term.words, term.quoted, None, ("ti", "ab"))
        if tag in HEADINGS:
            explode, major = HEADINGS[tag]
            return Heading("mesh", text, explode, major)
        if tag in ("la", "lang", "language"):
            return limit("language", text)
        if tag in ("pt", "publication type") and text.lower() in ("review", "systematic review"):
            return limit("review", f"{text}[pt]")
        span = re.fullmatch(r"(\d{4}(?:/\d{1,2}){0,2})\s*:\s*(\d{4}(?:/\d{1,2}){0,2})", text)
        if tag in DATE_TAGS and span:  # as PubMed's Details box writes a range
            first = limit("from", day(span.group(1)))
            if span.group(2).startswith("3000"):
                return first
            return Group("AND", (first, limit("to", day(span.group(2), end=True))))
        if tag in DATE_TAGS and re.fullmatch(r"\d{4}", text):
            return Group("AND", (limit("from", day(text)), limit("to", day(text, end=True))))
        return limit("other", f"{text}[{tag}]")


def read(text: str, *, path: str | None = None) -> Imported:
    imported = Imported("pubmed")
    rows = history_lines(text, r"^\s*#(\d+)\s+")
    if rows is None:
        tree: Node | None = _parse(text, imported, path, 1, 1, {})
    else:
        done: dict[str, Node] = {}
        for number, query, line, column in rows:
            done[number] = _parse(query, imported, path, line, column, done)
        tree = done[rows[-1][0]]
    tree = take_limits(tree, imported)
    imported.tree = merge_field_copies(tree) if tree is not None else None
    return imported


def _parse(
    text: str,
    imported: Imported,
    path: str | None,
    line: int,
    column: int,
    done: dict[str, Node],
) -> Node:
    tokens = _Lexer(text, imported, path, line, column).tokens()

    def resolve(number: str, at: int) -> Node:
        if number not in done:
            raise fail(f"#{number} refers to no earlier line", text, at, path, line, column)
        return done[number]

    parser = Parser(
        tokens,
        LEVELS,
        text=text,
        path=path,
        line=line,
        column=column,
        resolve=resolve,
        note=imported.note,
    )
    return parser.parse()


__all__ = ["NearOp", "read"]
