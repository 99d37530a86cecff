"""What the database renderers share: walking the tree, date checks, notes."""

from __future__ import annotations

from collections.abc import Callable

from rea.query.ast import Group, Node, Term
from rea.query.lint import DB_NAMES, DB_RULES, unsupported
from rea.query.strategy import Stage


class Notes:
    """The warnings of one rendering, each said once, in order."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)

    def tuple(self) -> tuple[str, ...]:
        return tuple(self.items)


def join(
    node: Node,
    term: Callable[[Term], str],
    *,
    and_: str = "AND",
    or_: str = "OR",
    not_: str = "NOT",
) -> str:
    """The tree in infix form; every group that is not a single term is parenthesised, so the
    text means the same whatever the database's operator precedence."""

    def child(n: Node) -> str:
        return term(n) if isinstance(n, Term) else f"({walk(n)})"

    def walk(n: Node) -> str:
        if isinstance(n, Term):
            return term(n)
        if isinstance(n, Group):
            op = and_ if n.op == "AND" else or_
            return f" {op} ".join(child(c) for c in n.children)
        return f"{child(n.left)} {not_} {child(n.right)}"

    return walk(node)


def runnable_words(term: Term, db: str, notes: Notes) -> tuple[str, ...]:
    """The term's words with whatever ``db`` cannot run removed (and a note saying so)."""
    problems = unsupported(term, db)
    if not problems:
        return term.words
    words = list(term.words)
    min_stem = int(DB_RULES[db]["min_stem"])
    for i, word in enumerate(words):
        if "*" not in word:
            continue
        last = i == len(words) - 1
        stem_len = sum(ch.isalnum() for ch in word.split("*", 1)[0])
        if (
            (word.startswith("*") and not DB_RULES[db]["leading"])
            or 0 < stem_len < min_stem
            or (DB_RULES[db]["phrase_last_only"] and not last)
        ):
            words[i] = word.replace("*", "")
        elif "*" in word.strip("*") and not DB_RULES[db]["inner"]:
            words[i] = word.split("*", 1)[0] + "*"
    shown = " ".join(words)
    notes.add(
        f"{'; '.join(problems)}: searched as {shown!r} instead of {term.text!r}; add the "
        "other forms you mean (e.g. GPs) to the strategy"
    )
    return tuple(words)


def whole_years(stage: Stage, db: str, notes: Notes) -> tuple[int, int]:
    """The stage's years; a note if the stage starts or ends inside a year."""
    start, end = stage.date_from, stage.date_to
    if (start.month, start.day) != (1, 1):
        notes.add(
            f"{DB_NAMES[db]} limits by publication year only: the stage starts on {start}, "
            f"the query starts on 1 January {start.year}"
        )
    if (end.month, end.day) != (12, 31):
        notes.add(
            f"{DB_NAMES[db]} limits by publication year only: the stage ends on {end}, the "
            f"query takes all of {end.year}; screen out records published after {end}, or run "
            f"the search on that date"
        )
    return start.year, end.year


def review_note(db: str, syntax: str) -> str:
    return (
        f"review filter added on request: {syntax} keeps only records {DB_NAMES[db]} indexes "
        "as reviews; it is not part of the strategy as written"
    )
