"""The boolean parser: the syntax librarians write, errors at line:column, and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rea.errors import StrategyError
from rea.query import Group, Node, Not, Pos, Term, parse, parse_with_findings
from rea.query.render.neutral import to_text
from tests.query_support import VERBATIM


def t(*words: str, quoted: bool = False) -> Term:
    return Term(words, quoted or len(words) > 1)


def test_operators_in_any_case_phrases_hyphens_and_truncation() -> None:
    tree = parse('("primary care*" or GP*) and NOT co-operat* AnD "super-partnership*"')
    assert tree == Group(
        "AND",
        (
            Not(Group("OR", (t("primary", "care*"), t("GP*"))), t("co-operat*")),
            t("super-partnership*", quoted=True),
        ),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NOT binds tighter than AND, AND tighter than OR; equal operators group from the left
        ("a OR b AND c", Group("OR", (t("a"), Group("AND", (t("b"), t("c")))))),
        ("a AND b NOT c", Group("AND", (t("a"), Not(t("b"), t("c"))))),
        ("a NOT b NOT c", Not(Not(t("a"), t("b")), t("c"))),
        ("a AND NOT b", Not(t("a"), t("b"))),
        ("(a OR b) AND c", Group("AND", (Group("OR", (t("a"), t("b"))), t("c")))),
    ],
)
def test_precedence(text: str, expected: Node) -> None:
    assert parse(text) == expected


def test_positions_are_file_positions() -> None:
    tree = parse('a OR\n  "b c"', origin=Pos(10, 5))
    assert isinstance(tree, Group)
    assert [c.pos for c in tree.children] == [Pos(10, 5), Pos(11, 3)]


def test_verbatim_box4_missing_opening_quote_is_an_error_at_its_column() -> None:
    text = VERBATIM.read_text(encoding="utf-8")
    with pytest.raises(StrategyError) as info:
        parse(text, path=VERBATIM)
    assert str(info.value.where) == f"{VERBATIM}:7:400"
    assert "closing quote without an opening quote" in info.value.what
    assert text.splitlines()[6][399] == '"'


def test_parser_repairs_the_missing_quote_and_goes_on() -> None:
    tree, findings = parse_with_findings(VERBATIM.read_text(encoding="utf-8"))
    assert [(f.code, f.severity, str(f.pos)) for f in findings] == [
        ("unbalanced-quote", "error", "7:400")
    ]
    assert tree is not None
    assert any(term.text == "family physician*" for term in _terms(tree))


def _terms(node: Node) -> list[Term]:
    from rea.query.ast import iter_terms

    return iter_terms(node)


@pytest.mark.parametrize(
    ("text", "code", "pos"),
    [
        ('a OR "b c', "unbalanced-quote", "1:6"),
        ("(a OR b", "unbalanced-parenthesis", "1:1"),
        ("a OR b)", "unbalanced-parenthesis", "1:7"),
        ("a AND ()", "empty-group", "1:7"),
        ("a OR\nOR b", "missing-operand", "1:3"),
        ("a AND", "missing-operand", "1:3"),
        ('a OR ""', "empty-phrase", "1:6"),
        ("NOT a", "missing-operand", "1:1"),
        ("", "empty-group", "1:1"),
    ],
)
def test_errors_have_line_and_column(text: str, code: str, pos: str) -> None:
    _, findings = parse_with_findings(text)
    errors = [(f.code, str(f.pos)) for f in findings if f.severity == "error"]
    assert errors[0] == (code, pos)
    with pytest.raises(StrategyError):
        parse(text)


@pytest.mark.parametrize(
    ("text", "code", "pos"),
    [
        ("primary care", "implicit-and", "1:9"),
        ("a OR b AND c", "mixed-operators", "1:8"),
        ("a AND b OR c", "mixed-operators", "1:3"),
        ("a OR b NOT c", "mixed-operators", "1:8"),
    ],
)
def test_ambiguous_text_parses_with_a_warning(text: str, code: str, pos: str) -> None:
    tree, findings = parse_with_findings(text)
    assert tree is not None
    assert [(f.code, f.severity, str(f.pos)) for f in findings] == [(code, "warning", pos)]


def test_unambiguous_text_has_no_warnings() -> None:
    for text in ("(a OR b) AND c", "a AND b NOT c", "a OR (b AND c)", '"a b" OR c*'):
        assert parse_with_findings(text)[1] == []


# -- round trips: parse(to_text(tree)) == tree ----------------------------------------------------
_word = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9'-]{0,7}\*?", fullmatch=True).filter(
    lambda w: w.upper() not in ("AND", "OR", "NOT")
)
_term = st.one_of(
    st.builds(lambda w, q: Term((w,), q), _word, st.booleans()),
    st.builds(lambda ws: Term(tuple(ws), True), st.lists(_word, min_size=2, max_size=4)),
)


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    groups = st.builds(
        lambda op, cs: Group(op, tuple(cs)),
        st.sampled_from(["AND", "OR"]),
        st.lists(children, min_size=2, max_size=4),
    )
    return st.one_of(groups, st.builds(Not, children, children))


trees = st.recursive(_term, _extend, max_leaves=16)


@settings(max_examples=150, deadline=None)
@given(trees)
def test_neutral_text_parses_back_to_the_same_tree(tree: Node) -> None:
    text = to_text(tree)
    parsed, findings = parse_with_findings(text)
    assert findings == []
    assert parsed == tree


@settings(max_examples=60, deadline=None)
@given(trees)
def test_round_trip_survives_line_breaks_and_lower_case_operators(tree: Node) -> None:
    text = to_text(tree).replace(" AND ", "\nand ").replace(" OR ", " or\n  ")
    assert parse(text) == tree
