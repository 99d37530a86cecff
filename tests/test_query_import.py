"""Reading native strategies back: every rendered query imports as the strategy it came from
(the shipped strategy and random trees, for every database), and published strategies import
with their block structure."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rea.query import DATABASES, Node, Stage, Strategy, Term, load_strategy, render
from rea.query.ast import Group, Heading, Near, Not
from rea.query.databases import DATABASES as ENTRIES
from rea.query.native import read_native
from tests.query_support import STRATEGY, anded_phrases, canonical, declared_forms

STAGES = ("1998-2012-reviews", "2013-2018-all")
GP = {"GP*": ("GP", "GPs")}


def _expected(db: str, tree: Node) -> Node:
    """The stage's tree as the database searches it: declared forms where it cannot truncate GP*,
    wildcard phrases ANDed where quotes cannot hold a wildcard (Europe PMC)."""
    if db in ("pubmed", "wos"):
        tree = declared_forms(tree, GP)
    if db == "europepmc":
        tree = anded_phrases(tree)
    return tree


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("db", DATABASES)
def test_every_rendered_query_of_the_shipped_strategy_imports_as_the_strategy(
    db: str, stage: str
) -> None:
    strategy = load_strategy(STRATEGY)
    rendered = render(strategy, db, stage)
    imported = read_native(rendered.text, db)
    assert imported.tree is not None
    assert canonical(imported.tree) == canonical(_expected(db, strategy.query(stage)))
    stage_obj = strategy.stage(stage)
    if db == "cochrane":  # dates and the Trials tab are limits set in the interface
        assert imported.date_from is None and imported.languages == []
        return
    exact = db in ("pubmed", "europepmc")
    assert imported.date_from == (
        stage_obj.date_from if exact else date(stage_obj.date_from.year, 1, 1)
    )
    assert imported.date_to == (
        stage_obj.date_to if exact else date(stage_obj.date_to.year, 12, 31)
    )
    assert imported.languages == ["english"]
    assert imported.notes == [] or db == "wos"


# -- random strategies, every database -----------------------------------------------------------
_AVOID = {"near", "next", "same", "with", "exp", "limit", "and", "not"}
_word = st.from_regex(r"[a-z]{4,8}", fullmatch=True).filter(lambda w: w not in _AVOID)


def _trees(db: str) -> st.SearchStrategy[Node]:
    entry = ENTRIES[db]
    phrase_star = entry.truncation.phrase_fallback is None or db == "cochrane"
    fields = [None, ("ti",), ("ti", "ab", "kw")] + ([] if db == "pubmed" else [("ab",)])

    def term(words: list[str], star: bool, f: tuple[str, ...] | None) -> Term:
        last = words[-1] + ("*" if star and (len(words) == 1 or phrase_star) else "")
        return Term((*words[:-1], last), len(words) > 1, None, f)

    terms = st.builds(
        term,
        st.lists(_word, min_size=1, max_size=3),
        st.booleans(),
        st.sampled_from(fields),
    )
    leaves: list[st.SearchStrategy[Node]] = [terms]
    if entry.vocabulary is not None:
        leaves.append(
            st.builds(
                lambda name, explode, major: Heading(entry.vocabulary or "", name, explode, major),
                _word.map(str.capitalize),
                st.booleans() if db != "europepmc" else st.just(False),
                st.booleans() if db != "europepmc" else st.just(False),
            )
        )
    single = st.builds(lambda w: Term((w,), False), _word)
    side: st.SearchStrategy[Node] = single
    if db not in ("pubmed", "europepmc"):  # these take single words on each side
        side = st.one_of(
            single,
            st.lists(single, min_size=2, max_size=3, unique=True).map(
                lambda ts: Group("OR", tuple(ts))
            ),
        )
    ordered = st.booleans() if db in ("scopus", "embase", "cinahl") else st.just(False)
    near = st.builds(Near, side, side, st.integers(0, 5), ordered)
    leaves.append(near)
    leaf = st.one_of(*leaves)
    return st.recursive(
        leaf,
        lambda kids: st.one_of(
            st.builds(
                lambda op, cs: Group(op, tuple(cs)),
                st.sampled_from(["AND", "OR"]),
                st.lists(kids, min_size=2, max_size=4),
            ),
            st.builds(Not, kids, kids),
        ),
        max_leaves=12,
    )


def _strategy_of(tree: Node) -> Strategy:
    stage = Stage("s", "s", date(2001, 1, 1), date(2003, 12, 31))
    return Strategy("r", "t", None, (stage,), text=tree)


@pytest.mark.parametrize("db", DATABASES)
def test_import_of_a_rendered_query_gives_back_the_strategy(db: str) -> None:
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(_trees(db))
    def round_trip(tree: Node) -> None:
        rendered = render(_strategy_of(tree), db, "s")
        imported = read_native(rendered.text, db)
        assert imported.tree is not None
        assert canonical(imported.tree) == canonical(tree), (db, rendered.text)

    round_trip()
