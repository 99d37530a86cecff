"""Read an Ovid search history back (MEDLINE, Embase, APA PsycInfo): numbered lines.

What it reads (Ovid's help, resourcecenter.ovid.com ... syntax.htm; the Ovid field guides): term
lines ``(a or b).ti,ab.``, ``term.ti,ab,kf.`` (adjacent words are a phrase; ``$`` and ``*``
truncate; ``$n`` limited truncation is read as ``*`` with a note), subject headings
``exp Heading/``, ``Heading/``, ``*Heading/`` (``Heading/og`` with a subheading: the subheading is
not carried over), ``adjN`` (N-1 words between, either order) and ``adj`` (adjacent, in order),
combinations ``or/1-5``, ``and/6,22``, ``1 and 2``, ``16 not 17``, and ``limit N to english
language``, ``limit N to yr="1998 - 2012"``. Field codes: ti, ab, kf / kw / id (keywords); tw
(text word) and mp (multi-purpose) are read as title and abstract (and keywords), with a note;
sh and hw as a subject heading; pt, fs, nm and other codes are not carried over.
"""

from __future__ import annotations

import re

from rea.query.ast import Heading, Node, Term
from rea.query.native.common import (
    Imported,
    NearOp,
    Parser,
    Tok,
    fail,
    history_lines,
    limit,
    merge_field_copies,
    take_limits,
)

LEVELS = [{"AND", "OR", "NOT"}, {"NEAR"}]
VOCABULARY = {"ovid": "mesh", "ovid-embase": "emtree", "psycinfo": "apa"}
FIELD_CODES = {"ti": ("ti",), "ab": ("ab",), "kf": ("kw",), "kw": ("kw",), "id": ("kw",)}
LOOSE = {
    "tw": (("ti", "ab"), "tw (text word) is read as title and abstract"),
    "mp": (
        ("ti", "ab", "kw"),
        "mp (multi-purpose: also heading words, substance names) is "
        "read as title, abstract and keywords",
    ),
}
SUFFIX = re.compile(r"^(.*?)\.([a-z]{2}(?:,[a-z]{2})*)\.$", re.I)
COMBO = re.compile(r"^(and|or)/([\d,\-\s]+)$", re.I)


class _Lexer:
    def __init__(
        self, text: str, db: str, imported: Imported, path: str | None, line: int, column: int
    ) -> None:
        self.text, self.db, self.imported, self.path, self.line = text, db, imported, path, line
        self.column = column
        self.out: list[Tok] = []
        self.run: list[str] = []
        self.quoted = False
        self.explode = False
        self.start = 0

    def word(self, raw: str) -> str:
        limited = re.search(r"\$\d+", raw)
        if limited:
            self.imported.note(f"{raw}: limited truncation ${limited.group(0)[1:]} is read as *")
        word = re.sub(r"\$\d*", "*", raw)
        if "?" in word or "#" in word:
            self.imported.note(
                f"{raw}: the wildcards ? and # are kept as written (rea's syntax has only *)"
            )
        return word

    def flush(self, fields: tuple[str, ...] | None = None, code: str | None = None) -> None:
        if not self.run:
            if code is not None:
                self.suffix(code)
            return
        words = [self.word(w) for w in self.run]
        term: Node = Term(tuple(words), self.quoted or len(words) > 1)
        self.run, self.quoted = [], False
        self.out.append(Tok("LEAF", term, self.start))
        if code is not None:
            self.suffix(code)

    def suffix(self, code: str) -> None:
        codes = [c.lower() for c in code.split(",")]
        fields: set[str] = set()
        for c in codes:
            if c in FIELD_CODES:
                fields.update(FIELD_CODES[c])
            elif c in LOOSE:
                fields.update(LOOSE[c][0])
                self.imported.note(LOOSE[c][1])
            elif c in ("sh", "hw"):
                self.heading_from_last(explode=False)
                return
            else:
                last = self.out.pop()
                self.out.append(
                    Tok("LEAF", limit("other", f"{_show(last.value)}.{code}."), last.at)
                )
                return
        order = tuple(f for f in ("ti", "ab", "kw") if f in fields)
        self.out.append(Tok("SUFFIX", order, self.start))

    def heading_from_last(self, *, explode: bool) -> None:
        last = self.out.pop()
        assert isinstance(last.value, Term)
        name = " ".join(last.value.words)
        self.out.append(Tok("LEAF", Heading(VOCABULARY[self.db], name, explode), last.at))

    def heading(self, name_words: list[str], qualifier: str | None) -> None:
        name = " ".join(name_words).strip('"')
        major = name.startswith("*")
        name = name.lstrip("*").strip().strip('"')
        if qualifier:
            self.imported.note(
                f"{name}/{qualifier}: the subheading /{qualifier} is not carried over (the "
                "heading is searched without it, which finds more)"
            )
        heading = Heading(VOCABULARY[self.db], name, self.explode, major)
        self.out.append(Tok("LEAF", heading, self.start))
        self.run, self.explode, self.quoted = [], False, False

    def tokens(self) -> list[Tok]:
        text, i, n = self.text, 0, len(self.text)
        while i < n:
            ch = text[i]
            if ch.isspace():
                i += 1
                continue
            if ch in "()":
                self.flush()
                if ch == ")" and i + 1 < n and text[i + 1] == ".":
                    match = re.match(r"\)\.([a-z]{2}(?:,[a-z]{2})*)\.", text[i:], re.I)
                    if match:
                        self.out.append(Tok(")", None, i))
                        self.suffix(match.group(1))
                        i += match.end()
                        continue
                self.out.append(Tok(ch, None, i))
                i += 1
                continue
            if ch == '"':
                end = text.find('"', i + 1)
                if end == -1:
                    raise fail(
                        "this quote is never closed", text, i, self.path, self.line, self.column
                    )
                if not self.run:
                    self.start = i
                self.run += text[i + 1 : end].split()
                self.quoted = True
                i = end + 1
                rest = re.match(r"(/|\.([a-z]{2}(?:,[a-z]{2})*)\.)", text[i:], re.I)
                if rest and rest.group(1) == "/":
                    self.heading(self.run, None)
                    i += 1
                elif rest:
                    self.flush(code=rest.group(2))
                    i += rest.end()
                continue
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            raw = text[i:j]
            self.token(raw, i)
            i = j
        self.flush()
        self.out.append(Tok("EOF", None, n))
        return self.out

    def token(self, raw: str, at: int) -> None:
        low = raw.lower()
        combo = COMBO.match(raw)
        if low in ("and", "or", "not") and self.run is not None:
            self.flush()
            self.out.append(Tok("OP", low.upper(), at))
        elif re.fullmatch(r"adj\d*", low):
            self.flush()
            distance = int(low[3:]) - 1 if low[3:] else 0
            self.out.append(Tok("NEAR", NearOp(max(distance, 0), not low[3:], raw), at))
        elif combo:
            self.flush()
            numbers = _numbers(combo.group(2))
            self.out.append(Tok("(", None, at))
            for k, number in enumerate(numbers):
                if k:
                    self.out.append(Tok("OP", combo.group(1).upper(), at))
                self.out.append(Tok("REF", number, at))
            self.out.append(Tok(")", None, at))
        elif raw.isdigit() and not self.run:
            self.out.append(Tok("REF", raw, at))
        elif low == "exp" and not self.run:
            self.explode = True
            self.start = at
        else:
            if not self.run:
                self.start = at
            heading = re.fullmatch(r"(.*)/([a-z]{2})?", raw, re.I)
            suffix = SUFFIX.match(raw)
            if heading:
                self.heading([*self.run, heading.group(1)], heading.group(2))
            elif suffix:
                if suffix.group(1):
                    self.run.append(suffix.group(1))
                self.flush(code=suffix.group(2))
            else:
                self.run.append(raw)


def _numbers(text: str) -> list[str]:
    out: list[str] = []
    for part in text.replace(" ", "").split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            out += [str(k) for k in range(int(a), int(b) + 1)]
        elif part:
            out.append(part)
    return out


def _show(node: object) -> str:
    if isinstance(node, Term):
        return node.text
    return str(node)


def _limit_line(match: re.Match[str], done: dict[str, Node], imported: Imported) -> Node:
    number, what = match.group(1), match.group(2).strip()
    if number not in done:
        raise ValueError(number)
    base = done[number]
    inner = what[1:-1] if what.startswith("(") and what.endswith(")") else what
    leaves: list[Node] = []
    for item in re.split(r"\s+and\s+", inner, flags=re.I):
        item = item.strip()
        language = re.fullmatch(r"(\w+) language", item, re.I)
        years = re.fullmatch(r'yr\s*=\s*"\s*(\d{4})\s*-\s*(\d{4}|current)\s*"', item, re.I)
        if language:
            leaves.append(limit("language", language.group(1)))
        elif years:
            leaves.append(limit("from", f"{years.group(1)}-01-01"))
            if years.group(2).isdigit():
                leaves.append(limit("to", f"{years.group(2)}-12-31"))
        elif item.strip('"').lower() == "review":
            leaves.append(limit("review", f"limit to {item}"))
        else:
            leaves.append(limit("other", f"limit to {item}"))
    from rea.query.ast import Group

    return Group("AND", (base, *leaves))


def read(text: str, *, path: str | None = None, db: str = "ovid") -> Imported:
    imported = Imported(db)
    rows = history_lines(text, r"^\s*(\d+)\.?\s+")
    if rows is None:
        rows = [("1", " ".join(text.split()), 1, 1)]
    done: dict[str, Node] = {}
    last: Node | None = None
    for number, query, line, column in rows:
        limit_match = re.fullmatch(r"limit\s+(\d+)\s+to\s+(.+)", query, re.I)
        if limit_match:
            try:
                node = _limit_line(limit_match, done, imported)
            except ValueError:
                raise fail(
                    f"limit {limit_match.group(1)} refers to no earlier line",
                    query,
                    0,
                    path,
                    line,
                    column,
                ) from None
        else:
            tokens = _Lexer(query, db, imported, path, line, column).tokens()

            def resolve(
                ref: str, at: int, query: str = query, line: int = line, column: int = column
            ) -> Node:
                if ref not in done:
                    where = (query, at, path, line, column)
                    raise fail(f"line {ref} is not an earlier line", *where)
                return done[ref]

            node = Parser(
                tokens,
                LEVELS,
                text=query,
                path=path,
                line=line,
                column=column,
                resolve=resolve,
                note=imported.note,
            ).parse()
        done[number] = node
        last = node
    tree = take_limits(last, imported)
    imported.tree = merge_field_copies(tree) if tree is not None else None
    return imported


def read_ovid_embase(text: str, *, path: str | None = None) -> Imported:
    return read(text, path=path, db="ovid-embase")


def read_psycinfo(text: str, *, path: str | None = None) -> Imported:
    return read(text, path=path, db="psycinfo")
