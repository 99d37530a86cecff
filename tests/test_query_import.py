"""Reading native strategies back: every rendered query imports as the strategy it came from
(the shipped strategy and random trees, for every database), and published strategies import
with their block structure."""

from __future__ import annotations

from datetime import date
from pathlib import Path

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


# -- published strategies ------------------------------------------------------------------------
def _imported(name: str, db: str, lines: int | None = None) -> tuple[Node, list[str], str]:
    """The tree, the notes and the strategy.toml of a published strategy (its first ``lines``
    search lines if given)."""
    from rea.query.native import to_toml
    from tests.query_support import FIXTURES

    text = (FIXTURES / name).read_text(encoding="utf-8")
    if lines is not None:
        kept, count = [], 0
        for row in text.splitlines():
            count += bool(row[:1].strip())
            if count > lines:
                break
            kept.append(row)
        text = "\n".join(kept)
    imported = read_native(text, db, path=name)
    assert imported.tree is not None
    toml = to_toml(imported, review_id="published", title="t", source=name, today=date(2024, 1, 1))
    return imported.tree, imported.notes, toml


def _load(toml: str, tmp_path: Path) -> Strategy:
    path = tmp_path / "strategy.toml"
    path.write_text(toml, encoding="utf-8")
    return load_strategy(path)


def _expression(strategy: Strategy) -> str:
    from rea.query.render.neutral import to_text

    assert strategy.expression is not None
    return to_text(strategy.expression)


def _block_text(strategy: Strategy, name: str) -> str:
    from rea.query.render.neutral import to_text

    return to_text(strategy.block(name).node)


def test_published_pubmed_string_reads_left_to_right_and_repairs_its_parenthesis(
    tmp_path: Path,
) -> None:
    _, notes, toml = _imported("pubmed_scheepers2020.txt", "pubmed")
    strategy = _load(toml, tmp_path)
    # PubMed reads "(myeloid OR lymphoid AND neoplas*)" left to right: (myeloid OR lymphoid) AND
    assert _expression(strategy) == "(hematologic-neoplasms OR (myeloid AND neoplas)) AND frailty"
    assert _block_text(strategy, "myeloid") == "myeloid OR lymphoid"
    haem = _block_text(strategy, "hematologic-neoplasms")
    assert haem.startswith('"Hematologic Neoplasms"[mh] OR "Leukemia"[mh]')
    assert "(haematolog*[default] AND malignan*)" not in haem  # untagged terms stay untagged
    assert "(haematolog* AND malignan*)" in haem and '"plasma cell dyscrasia*"' in haem
    frailty = _block_text(strategy, "frailty")
    assert frailty == (
        '"frailty" OR "Geriatric Assessment"[mh] OR frail* OR vulnerabl* '
        'OR "geriatric assessment*" OR geriatric*'
    )
    assert any("1:1 is never closed" in n for n in notes)
    assert any("[all fields]" in n for n in notes)


def test_published_pubmed_history_keeps_its_four_concepts(tmp_path: Path) -> None:
    _, notes, toml = _imported("pubmed_takaoka2024.txt", "pubmed")
    strategy = _load(toml, tmp_path)
    assert _expression(strategy) == "neoplasms AND cachexia AND diagnosis AND epidemiologic-studies"
    assert _block_text(strategy, "neoplasms") == '"Neoplasms"[mh] OR Cancer OR Tumor'
    assert _block_text(strategy, "cachexia") == (
        '"Cachexia"[mh] OR "Wasting Syndrome"[mh] OR Disease-related malnutrition'.replace(
            "Disease-related malnutrition", '"Disease-related malnutrition"'
        )
    )
    assert notes == ["not carried over: Clinical Study[publication type]"]


def test_published_wos_history_keeps_its_four_concepts(tmp_path: Path) -> None:
    _, notes, toml = _imported("wos_takaoka2024.txt", "wos")
    strategy = _load(toml, tmp_path)
    assert _expression(strategy) == "neoplasms AND cachexia AND diagnosis AND clinical"
    # TS = Wasting Syndrome is Wasting AND Syndrome in Web of Science (implicit AND)
    assert _block_text(strategy, "cachexia") == (
        "Cachexia OR (Wasting AND Syndrome) OR (Disease-related AND malnutrition)"
    )
    assert strategy.filters.fields == "title_abstract_keywords"
    assert any("Keywords Plus" in n for n in notes)


def test_published_ovid_strategy_keeps_headings_adjacency_and_says_what_it_drops(
    tmp_path: Path,
) -> None:
    _, notes, toml = _imported("ovid_coleridge2021.txt", "ovid")
    strategy = _load(toml, tmp_path)
    assert _expression(strategy) == "ovarian-neoplasms AND chemotherap AND surg AND randomized"
    assert _block_text(strategy, "ovarian-neoplasms") == (
        '"Ovarian Neoplasms"[mh] OR (ovar* NEAR/4 (neoplas* OR tumor* OR tumour* OR cancer* '
        "OR malignan* OR carcinoma*))"
    )
    assert '"Neoadjuvant Therapy"[mh:noexp]' in _block_text(strategy, "chemotherap")
    assert '"Surgical Procedures, Operative"[mh]' in _block_text(strategy, "surg")
    assert '"clinical trials as topic"[mh:noexp]' in _block_text(strategy, "randomized")
    assert set(notes) == {
        "mp (multi-purpose: also heading words, substance names) is read as title, abstract "
        "and keywords",
        "not carried over: drug therapy.fs.",
        "not carried over: surgery.fs.",
        "not carried over: randomized controlled trial.pt.",
        "not carried over: controlled clinical trial.pt.",
    }


def test_published_ovid_lines_with_major_headings_and_nested_adjacency(tmp_path: Path) -> None:
    _, _, toml = _imported("ovid_mcdonald2023.txt", "ovid", lines=3)
    strategy = _load(toml, tmp_path)
    assert _expression(strategy) == "neoplasms AND cachexia"
    assert '"Weight Loss"[majr:noexp]' in _block_text(strategy, "cachexia")
    assert strategy.filters.fields == "title_abstract_keywords"  # .ti,ab,kf.
    _, _, toml = _imported("ovid_mcdonald2023.txt", "ovid")
    nested = _load(toml, tmp_path)
    text = _block_text(nested, "cachexia")
    assert "(appetite* OR weight) NEAR/1 (loss OR loosing OR losing)" in text  # adj2
    assert text.endswith(
        "NEAR/3 (neoplasm* OR cancer* OR tumor* OR tumour* OR oncol* OR "
        "malign* OR carcinom* OR adenocarcinom* OR adenoma OR metasta*)"
    )  # adj4


def test_published_scopus_sets_with_w_n_proximity(tmp_path: Path) -> None:
    _, _, toml = _imported("scopus_kulchycki2024.txt", "scopus")
    strategy = _load(toml, tmp_path)
    assert _expression(strategy) == "cancer"  # #1 or #2: one population concept
    text = _block_text(strategy, "cancer")
    assert "tumo*r*" in text and "HSCT" in text
    assert "(peripheral OR pbsc OR pbscs) NEAR/3 transplant*" in text
    assert strategy.filters.fields == "title_abstract_keywords"


def test_published_cochrane_lines_with_mesh_forms(tmp_path: Path) -> None:
    _, _, toml = _imported("cochrane_mcdonald2023.txt", "cochrane")
    strategy = _load(toml, tmp_path)
    assert _expression(strategy) == "neoplasms AND cachexia"
    cachexia = _block_text(strategy, "cachexia")
    assert '"Emaciation"[mh:noexp]' in cachexia and '"Wasting syndrome"[mh:noexp]' in cachexia
    assert '"Weight Loss"[mh:noexp]' in cachexia  # MeSH descriptor: [...] this term only
    assert '"Starvation"[mh]' in cachexia


def test_pubmed_as_its_details_box_shows_it() -> None:
    details = (
        '("primary health care"[MeSH Terms] OR ("primary"[All Fields] AND "health"[All Fields] '
        'AND "care"[All Fields])) AND ("network"[Title/Abstract] OR "networks"[Title/Abstract]) '
        'AND (2013/01/01:2018/09/21[Date - Publication]) AND ("english"[Language])'
    )
    imported = read_native(details, "pubmed")
    assert imported.date_from == date(2013, 1, 1) and imported.date_to == date(2018, 9, 21)
    assert imported.languages == ["english"]
    from rea.query.render.neutral import to_text

    assert imported.tree is not None
    assert to_text(imported.tree) == (
        '("primary health care"[mh] OR ("primary"[tiab] AND "health"[tiab] AND "care"[tiab])) '
        'AND ("network"[tiab] OR "networks"[tiab])'
    )
    assert any("All Fields" in n for n in imported.notes)
