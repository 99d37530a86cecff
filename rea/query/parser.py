"""The boolean parser for search text as librarians write it (and as Box 4 prints it).

Syntax:

- terms: bare words (``alliance``, ``network*``, ``super-partnership*``) or phrases in double
  quotes (``"primary care*"``); ``*`` truncates, inside or outside a phrase;
- tags after a term, in square brackets: fields (``[ti]``, ``[ab]``, ``[kw]``, ``[tiab]``, or a
  list such as ``[ti,kw]``), ``[exact]`` (no lemmatization or loose-phrase matching), and subject
  headings: ``"Primary Health Care"[mh]`` (MeSH, exploded), ``[mh:noexp]``, ``[majr]`` (major
  topic), ``[majr:noexp]``, and the same for Emtree, CINAHL Headings and the APA Thesaurus
  (``[emtree]``, ``[emtree:noexp]``, ``[emtree:major]``, ``[cinahl]``, ``[apa:noexp]``...);
- operators ``AND``, ``OR``, ``NOT`` (and ``AND NOT``, read as ``NOT``) in any case;
- proximity: ``a NEAR/n b`` (at most n words between them, either order) and ``a PRE/n b``
  (``a`` first); each side a term or a parenthesised OR group of terms;
- parentheses group.

Precedence, tightest first: ``NEAR``/``PRE``, ``NOT``, then ``AND``, then ``OR``; operators of
equal precedence group from the left. So ``a OR b AND c`` means ``a OR (b AND c)`` and
``a AND b NOT c`` means ``a AND (b NOT c)``. This is Web of Science's order; PubMed reads
strictly left to right and Scopus binds ``OR`` before ``AND``, which is why every renderer
writes its output fully parenthesised and the lint ``mixed-operators`` asks for parentheses
wherever the databases would disagree.

Two terms side by side with no operator are read as ``AND`` (PubMed, Scopus and Web of Science do
so) with the warning ``implicit-and``: Ovid reads adjacent words as a phrase.

:func:`parse` raises :class:`rea.errors.StrategyError` at the first error, naming line and column;
:func:`parse_with_findings` goes on after errors (repairing what it can, e.g. a phrase that lacks
its opening quote) and returns every error as a :class:`Finding`, so that lints can still run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rea.errors import Location, StrategyError
from rea.query.ast import (
    VOCABULARIES,
    Group,
    Heading,
    Near,
    Node,
    Not,
    Pos,
    Term,
    canonical_fields,
)
from rea.query.findings import Finding

OPERATORS = ("AND", "OR", "NOT")
START = Pos(1, 1)
PROXIMITY = re.compile(r"^(NEAR|PRE)/(\d{1,3})$", re.IGNORECASE)

#: Field tags: the neutral names and the PubMed spellings a pasted text may carry.
FIELD_TAGS = {
    "ti": ("ti",),
    "ab": ("ab",),
    "kw": ("kw",),
    "tiab": ("ti", "ab"),
    "tiabkw": ("ti", "ab", "kw"),
    "title": ("ti",),
    "title/abstract": ("ti", "ab"),
}
#: Subject-heading tags: vocabulary, explode, major.
HEADING_TAGS = {
    "mh": ("mesh", True, False),
    "mesh": ("mesh", True, False),
    "mesh terms": ("mesh", True, False),
    "mh:noexp": ("mesh", False, False),
    "mesh:noexp": ("mesh", False, False),
    "mesh terms:noexp": ("mesh", False, False),
    "majr": ("mesh", True, True),
    "mesh major topic": ("mesh", True, True),
    "majr:noexp": ("mesh", False, True),
    "mesh major topic:noexp": ("mesh", False, True),
}
TAG_HELP = (
    "tags: [ti] [ab] [kw] [tiab] [ti,kw] [exact]; headings [mh] [mh:noexp] [majr] "
    "[majr:noexp] [emtree] [emtree:noexp] [emtree:major] [cinahl] [apa] (and :noexp, :major)"
)


@dataclass(frozen=True)
class TagSpec:
    """What a ``[...]`` tag after a term says."""

    fields: tuple[str, ...] | None = None
    exact: bool = False
    heading: tuple[str, bool, bool] | None = None  # vocabulary, explode, major


def read_tag(text: str) -> TagSpec:
    """Read the inside of a tag (``tiab``, ``ti,exact``, ``mh:noexp``); ValueError if unknown."""
    raw = " ".join(text.lower().split())
    heading = HEADING_TAGS.get(raw)
    if heading is not None:
        return TagSpec(heading=heading)
    parts = raw.split(":")
    if parts[0] in VOCABULARIES and parts[0] != "mesh":
        options = set(parts[1:])
        if options - {"noexp", "major"} or len(options) != len(parts) - 1:
            raise ValueError(f"unknown heading option in [{text}]")
        return TagSpec(heading=(parts[0], "noexp" not in options, "major" in options))
    fields: set[str] = set()
    exact = False
    for item in (i.strip() for i in raw.split(",")):
        if item == "exact":
            exact = True
        elif item in FIELD_TAGS:
            fields.update(FIELD_TAGS[item])
        else:
            raise ValueError(f"unknown tag [{text}]")
    return TagSpec(canonical_fields(fields) if fields else None, exact)


@dataclass(frozen=True)
class Token:
    kind: str  # "(" ")" "AND" "OR" "NOT" "NEAR" "TERM" "EMPTY" (an empty phrase) "EOF"
    pos: Pos
    term: Term | Heading | None = None
    text: str = ""
    distance: int = 0
    ordered: bool = False


class _Positions:
    """Turns offsets into the text into file positions, given where the text starts in its file
    (or, for text that was decoded from escapes, the file position of every character)."""

    def __init__(self, text: str, origin: Pos, places: Sequence[Pos] | None = None) -> None:
        self.origin = origin
        self.places = places if places is not None and len(places) == len(text) + 1 else None
        self.starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.starts.append(i + 1)

    def at(self, offset: int) -> Pos:
        if self.places is not None:
            return self.places[min(offset, len(self.places) - 1)]
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        column = offset - self.starts[lo] + 1
        if lo == 0:
            return Pos(self.origin.line, self.origin.column + column - 1)
        return Pos(self.origin.line + lo, column)


class _Reader:
    def __init__(
        self, text: str, origin: Pos, path: str | None, places: Sequence[Pos] | None = None
    ) -> None:
        self.text = text
        self.path = path
        self.positions = _Positions(text, origin, places)
        self.findings: list[Finding] = []

    def error(self, code: str, message: str, pos: Pos, hint: str | None = None) -> None:
        self.findings.append(Finding(code, "error", message, pos, self.path, hint))

    def warn(self, code: str, message: str, pos: Pos, hint: str | None = None) -> None:
        self.findings.append(Finding(code, "warning", message, pos, self.path, hint))

    # -- tokens ------------------------------------------------------------------------------
    def tokens(self) -> list[Token]:
        text, at = self.text, self.positions.at
        out: list[Token] = []
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch.isspace():
                i += 1
            elif ch in "()":
                out.append(Token(ch, at(i)))
                i += 1
            elif ch == '"':
                i = self._phrase(i, out)
            elif ch == "[":
                i = self._tag(i, out)
            else:
                j = i
                while j < n and not text[j].isspace() and text[j] not in '()"[':
                    j += 1
                word = text[i:j]
                proximity = PROXIMITY.match(word)
                if word.upper() in OPERATORS:
                    out.append(Token(word.upper(), at(i), text=word))
                elif proximity:
                    ordered = proximity.group(1).upper() == "PRE"
                    distance = int(proximity.group(2))
                    out.append(Token("NEAR", at(i), text=word, distance=distance, ordered=ordered))
                else:
                    out.append(Token("TERM", at(i), Term((word,), False, at(i)), word))
                if j < n and text[j] == '"':
                    self._stray_closing_quote(j, out)
                    j += 1
                i = j
        out.append(Token("EOF", at(n)))
        return self._merge_and_not(out)

    def _tag(self, i: int, out: list[Token]) -> int:
        """``[tiab]`` after a term: fields, exact, or a subject heading."""
        text, at = self.text, self.positions.at
        end = text.find("]", i)
        line_end = text.find("\n", i)
        line_end = len(text) if line_end == -1 else line_end
        if end == -1 or end > line_end:
            self.error("syntax", "this [ is never closed on its line", at(i), hint=TAG_HELP)
            return line_end
        inside = text[i + 1 : end]
        previous = out[-1] if out else None
        if previous is None or previous.kind != "TERM" or not isinstance(previous.term, Term):
            self.error("syntax", f"a tag [{inside}] must follow a term", at(i), hint=TAG_HELP)
            return end + 1
        if text[i - 1].isspace():
            self.error("syntax", f"no space is allowed before [{inside}]", at(i))
            return end + 1
        try:
            spec = read_tag(inside)
        except ValueError as exc:
            self.error("syntax", str(exc), at(i), hint=TAG_HELP)
            return end + 1
        term = previous.term
        if spec.heading is not None:
            vocabulary, explode, major = spec.heading
            if term.truncated:
                self.error("syntax", "a subject heading cannot be truncated", term.pos or at(i))
                return end + 1
            if term.fields is not None or term.exact:
                self.error("syntax", "a subject heading takes no other tag", at(i))
                return end + 1
            node: Term | Heading = Heading(vocabulary, term.text, explode, major, term.pos)
        else:
            fields = spec.fields if spec.fields is not None else term.fields
            node = replace(term, fields=fields, exact=term.exact or spec.exact)
        out[-1] = Token("TERM", previous.pos, node, previous.text + text[i : end + 1])
        return end + 1

    def _phrase(self, i: int, out: list[Token]) -> int:
        text, at = self.text, self.positions.at
        end = text.find('"', i + 1)
        line_end = text.find("\n", i)
        line_end = len(text) if line_end == -1 else line_end
        if end == -1 or end > line_end:
            self.error(
                "unbalanced-quote",
                "this quote is never closed on its line",
                at(i),
                hint="add the closing double quote at the end of the phrase",
            )
            words = tuple(text[i + 1 : line_end].split())
            if words:
                out.append(Token("TERM", at(i), Term(words, True, at(i)), text[i:line_end]))
            return line_end
        words = tuple(text[i + 1 : end].split())
        if not words:
            self.error("empty-phrase", "empty phrase", at(i), hint="remove the empty quotes")
            out.append(Token("EMPTY", at(i)))
        else:
            out.append(Token("TERM", at(i), Term(words, True, at(i)), text[i : end + 1]))
        return end + 1

    def _stray_closing_quote(self, j: int, out: list[Token]) -> None:
        """A quote glued to the end of a word closes a phrase whose opening quote is missing."""
        k = len(out)
        while k > 0 and out[k - 1].kind == "TERM" and _bare_word(out[k - 1].term):
            k -= 1
        words = tuple(w for tok in out[k:] if isinstance(tok.term, Term) for w in tok.term.words)
        start = out[k].pos
        self.error(
            "unbalanced-quote",
            f"closing quote without an opening quote (after {' '.join(words)})",
            self.positions.at(j),
            hint=f'write "{" ".join(words)}" with both quotes',
        )
        del out[k:]
        out.append(Token("TERM", start, Term(words, True, start), " ".join(words)))

    @staticmethod
    def _merge_and_not(tokens: list[Token]) -> list[Token]:
        merged: list[Token] = []
        for tok in tokens:
            if tok.kind == "NOT" and merged and merged[-1].kind == "AND":
                merged[-1] = Token("NOT", merged[-1].pos, text=f"{merged[-1].text} {tok.text}")
            else:
                merged.append(tok)
        return merged


def _bare_word(node: Term | Heading | None) -> bool:
    return isinstance(node, Term) and not node.quoted and node.fields is None and not node.exact


class _Parser:
    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.tokens = reader.tokens()
        self.i = 0
        # AND / NOT chains written without parentheses: id(node) -> position of the operator
        self.bare: dict[int, Pos] = {}

    def _errors(self) -> int:
        return sum(f.severity == "error" for f in self.reader.findings)

    def peek(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "EOF":
            self.i += 1
        return tok

    def parse(self) -> Node | None:
        parts: list[Node] = []
        node = self.parse_or()
        if node is not None:
            parts.append(node)
        while self.peek().kind != "EOF":
            tok = self.advance()
            if tok.kind == "EMPTY":
                pass
            elif tok.kind == ")":
                self.reader.error("unbalanced-parenthesis", "this ) has no matching (", tok.pos)
            else:
                self.reader.error("syntax", f"unexpected {tok.text or tok.kind}", tok.pos)
            node = self.parse_or()
            if node is not None:
                parts.append(node)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Group("OR", tuple(parts), parts[0].pos)

    def parse_or(self) -> Node | None:
        first = self.parse_and()
        children = [first] if first is not None else []
        start = self.peek().pos if first is None else first.pos
        while self.peek().kind == "OR":
            op = self.advance()
            if not children:
                self.reader.error("missing-operand", "OR has nothing on its left", op.pos)
            before = self._errors()
            right = self.parse_and()
            if right is None:
                self._missing_right(op, before)
            else:
                children.append(right)
        if not children:
            return None
        if len(children) > 1:
            for child in children:
                if id(child) in self.bare:
                    self.reader.warn(
                        "mixed-operators",
                        "OR mixed with AND, NOT or proximity without parentheses",
                        self.bare[id(child)],
                        hint="add parentheses: PubMed reads left to right, Scopus does OR first, "
                        "Web of Science does NEAR, NOT and AND first",
                    )
        return children[0] if len(children) == 1 else Group("OR", tuple(children), start)

    def parse_and(self) -> Node | None:
        first = self.parse_not()
        children = [first] if first is not None else []
        start = self.peek().pos if first is None else first.pos
        operator: Pos | None = self.bare.get(id(first)) if first is not None else None
        while True:
            tok = self.peek()
            if tok.kind == "AND":
                operator = operator or tok.pos
                self.advance()
                if not children:
                    self.reader.error("missing-operand", "AND has nothing on its left", tok.pos)
                before = self._errors()
                right = self.parse_not()
                if right is None:
                    self._missing_right(tok, before)
                else:
                    children.append(right)
            elif tok.kind in ("TERM", "(") and children:
                operator = operator or tok.pos
                self.reader.warn(
                    "implicit-and",
                    "no operator between two terms; read as AND",
                    tok.pos,
                    hint="write AND, or quote the words if they are a phrase "
                    "(Ovid reads adjacent words as a phrase)",
                )
                right = self.parse_not()
                if right is not None:
                    children.append(right)
            else:
                break
        if not children:
            return None
        if len(children) == 1:
            return children[0]
        node = Group("AND", tuple(children), start)
        if operator is not None:
            self.bare[id(node)] = operator
        return node

    def parse_not(self) -> Node | None:
        left = self.parse_near()
        while self.peek().kind == "NOT":
            op = self.advance()
            before = self._errors()
            right = self.parse_near()
            if left is None:
                self.reader.error(
                    "missing-operand",
                    "NOT has nothing on its left",
                    op.pos,
                    hint="write the terms to keep, then NOT and the terms to exclude",
                )
                left = right
            elif right is None:
                self._missing_right(op, before)
            else:
                left = Not(left, right, left.pos)
                self.bare[id(left)] = op.pos
        return left

    def parse_near(self) -> Node | None:
        left = self.parse_primary()
        while self.peek().kind == "NEAR":
            op = self.advance()
            before = self._errors()
            right = self.parse_primary()
            if left is None:
                self.reader.error("missing-operand", f"{op.text} has nothing on its left", op.pos)
                left = right
                continue
            if right is None:
                self._missing_right(op, before)
                continue
            for side in (left, right):
                if not _proximity_operand(side):
                    self.reader.error(
                        "syntax",
                        f"each side of {op.text} must be a term or an OR group of terms",
                        side.pos or op.pos,
                        hint="write one proximity at a time, e.g. (a OR b) NEAR/3 (c OR d); "
                        "subject headings and AND/NOT cannot stand inside a proximity",
                    )
                    break
            else:
                left = Near(left, right, op.distance, op.ordered, left.pos)
                self.bare[id(left)] = op.pos
        return left

    def parse_primary(self) -> Node | None:
        tok = self.peek()
        if tok.kind == "EMPTY":  # already reported by the tokenizer
            self.advance()
            return None
        if tok.kind == "TERM":
            self.advance()
            return tok.term
        if tok.kind == "(":
            self.advance()
            inner = self.parse_or()
            close = self.peek()
            if close.kind == ")":
                self.advance()
                if inner is None:
                    self.reader.error(
                        "empty-group", "empty group ()", tok.pos, hint="remove it or add terms"
                    )
                    return None
            elif close.kind == "EOF":
                self.reader.error(
                    "unbalanced-parenthesis",
                    "this ( is never closed",
                    tok.pos,
                    hint="add the missing )",
                )
            else:
                self.reader.error(
                    "syntax",
                    f"expected ) to close the ( at {tok.pos}, found {close.text or close.kind}",
                    close.pos,
                )
            if inner is not None:
                self.bare.pop(id(inner), None)
            if isinstance(inner, Group):
                return Group(inner.op, inner.children, tok.pos)
            return inner
        return None

    def _missing_right(self, op: Token, errors_before: int) -> None:
        """Report an operator without a right operand, unless that operand's own error (an empty
        group or phrase) was reported already."""
        if self._errors() > errors_before or self.tokens[self.i - 1].kind == "EMPTY":
            return
        found = self.peek()
        what = "the end of the text" if found.kind == "EOF" else (found.text or found.kind)
        self.reader.error(
            "missing-operand",
            f"{op.text.upper() or op.kind} needs a term or a group after it, found {what}",
            op.pos,
        )


def parse_with_findings(
    text: str,
    *,
    path: str | Path | None = None,
    origin: Pos = START,
    places: Sequence[Pos] | None = None,
) -> tuple[Node | None, list[Finding]]:
    """Parse ``text``, going on after errors; returns the tree (None if nothing could be read)
    and every error and parser warning as :class:`Finding` (errors have severity ``error``).

    ``origin`` is where ``text`` starts in ``path`` so that positions are file positions;
    ``places`` (one position per character, plus one for the end) replaces it for text decoded
    from escapes.
    """
    reader = _Reader(text, origin, str(path) if path is not None else None, places)
    parser = _Parser(reader)
    node = parser.parse()
    if node is None and not any(f.severity == "error" for f in reader.findings):
        reader.error("empty-group", "the search text is empty", origin)
    return node, sorted(reader.findings, key=lambda f: f.pos or Pos(0, 0))


def parse(text: str, *, path: str | Path | None = None, origin: Pos = START) -> Node:
    """Parse ``text`` into a tree; raises :class:`StrategyError` at the first error."""
    node, findings = parse_with_findings(text, path=path, origin=origin)
    for finding in findings:
        if finding.severity == "error":
            raise _as_error(finding)
    assert node is not None
    return node


def _as_error(finding: Finding) -> StrategyError:
    pos = finding.pos
    return StrategyError(
        finding.message,
        where=Location(
            finding.path or "<text>", pos.line if pos else None, pos.column if pos else None
        ),
        hint=finding.hint,
    )


def _proximity_operand(node: Node) -> bool:
    """A term, a proximity, or an OR group of those."""
    if isinstance(node, Term | Near):
        return True
    return (
        isinstance(node, Group)
        and node.op == "OR"
        and all(isinstance(c, Term | Near) for c in node.children)
    )
