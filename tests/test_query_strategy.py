"""The strategy file: the shipped reference review, the contract, and located errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rea.errors import NotFound, StrategyError
from rea.query import load_strategy
from tests.query_support import MINIMAL, STRATEGY, write


def test_reference_review_loads_with_its_two_stages() -> None:
    strategy = load_strategy(STRATEGY)
    assert strategy.review_id == "pcn-rea"
    assert strategy.prospero == "CRD42018110790"
    assert strategy.title.startswith("Early evidence of the development of primary care networks")
    assert [s.id for s in strategy.stages] == ["1998-2012-reviews", "2013-2018-all"]
    first, second = strategy.stages
    assert (first.date_from, first.date_to) == (date(1998, 1, 1), date(2012, 12, 31))
    assert (second.date_from, second.date_to) == (date(2013, 1, 1), date(2018, 9, 21))
    assert first.languages == second.languages == ("english",)
    assert strategy.api_sources == ("pubmed", "scopus")
    assert strategy.import_sources == ("wos", "ovid")
    assert strategy.other_sources == ("gponline", "pulse", "hsj", "citation_searching")
    assert strategy.filters.scopus_subject_areas == ("MEDI", "SOCI", "NURS", "MULT", "HEAL")
    assert strategy.filters.wos_editions == ("SSCI",)


def test_only_the_reviews_stage_searches_review_terms() -> None:
    strategy = load_strategy(STRATEGY)
    reviews = strategy.terms("1998-2012-reviews")
    everything = strategy.terms("2013-2018-all")
    assert "review*" in reviews
    assert "review*" not in everything
    assert set(reviews) - set(everything) == {"review*"}
    # the corrections: each term once, the missing quote repaired, network truncated everywhere
    assert reviews.count("primary care*") == 1
    assert "family physician*" in reviews
    assert "network" not in reviews


def test_unknown_stage_is_not_found() -> None:
    strategy = load_strategy(STRATEGY)
    with pytest.raises(NotFound, match="2019-all"):
        strategy.stage("2019-all")


def test_term_list_blocks_and_text_blocks_mean_the_same(tmp_path: Path) -> None:
    strategy = load_strategy(write(tmp_path, MINIMAL))
    assert strategy.terms("all") == ["primary care*", "GP*", "network*", "alliance"]


@pytest.mark.parametrize(
    ("replace", "by", "line", "column", "message"),
    [
        ('title = "A demo review"', 'title = "A demo review', 3, 23, "not valid TOML"),
        ("'''\"primary care*\" OR GP*'''", "'''\"primary care* OR GP*'''", 6, 11, "never closed"),
        ('expression = "a AND b"', 'expression = "a AND c"', 12, 21, "unknown block name c"),
        ("date_to = 2001-12-31", 'date_to = "2001-13-31"', 17, 1, "not a date"),
        ("date_to = 2001-12-31", "date_to = 1999-12-31", 17, 1, "ends (1999-12-31) before"),
        (
            '[review]\nid = "demo"',
            '[review]\nid = "demo"\ntitel = "x"',
            3,
            1,
            "unknown key 'titel'",
        ),
    ],
)
def test_errors_name_file_line_and_column(
    tmp_path: Path, replace: str, by: str, line: int, column: int, message: str
) -> None:
    assert replace in MINIMAL
    path = write(tmp_path, MINIMAL.replace(replace, by))
    with pytest.raises(StrategyError) as info:
        load_strategy(path)
    assert message in info.value.what
    assert str(info.value.where) == f"{path}:{line}:{column}"


def test_dropping_a_term_the_strategy_lacks_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + 'drop_terms = ["reviews*"]\n')
    with pytest.raises(StrategyError, match="drops 'reviews\\*'"):
        load_strategy(path)


def test_the_documented_example_strategy_works(tmp_path: Path) -> None:
    from rea.query import render
    from rea.query.lint import lint_strategy
    from tests.helpers import REPO

    doc = (REPO / "docs" / "query.md").read_text(encoding="utf-8")
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    strategy = load_strategy(write(tmp_path, example))
    assert [s.id for s in strategy.stages] == ["2000-2015-reviews", "2016-2024-all"]
    assert "virtual ward*" in strategy.terms("2016-2024-all")
    assert "systematic review*" not in strategy.terms("2016-2024-all")
    assert "systematic review*" in strategy.terms("2000-2015-reviews")
    for db in ("pubmed", "scopus", "wos", "ovid"):
        assert render(strategy, db, "2016-2024-all").text
    findings = lint_strategy(strategy)
    assert [(f.code, f.term, bool(f.accepted)) for f in findings] == [
        ("subsumed-term", "remote monitoring programme*", True)
    ]


def test_a_newer_format_is_refused_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "format = 2\n" + MINIMAL)
    with pytest.raises(StrategyError, match="format 2") as info:
        load_strategy(path)
    assert str(info.value.where) == f"{path}:1:1"


def test_an_empty_language_list_means_no_language_limit(tmp_path: Path) -> None:
    from rea.query import render

    strategy = load_strategy(write(tmp_path, MINIMAL + "languages = []\n"))
    assert strategy.stage("all").languages == ()
    assert "[la]" not in render(strategy, "pubmed", "all").text
    assert "LANGUAGE(" not in render(strategy, "scopus", "all").text
    assert "language" not in render(strategy, "ovid", "all").text
    default = load_strategy(write(tmp_path, MINIMAL, "default.toml"))
    assert default.stage("all").languages == ("english",)


@pytest.mark.parametrize(
    ("value", "line", "column"),
    [
        ('text = "\\"a b\\" OR (c"', 6, 20),  # escapes in a basic string
        ('text = """\n\\"a b\\" OR (c\n"""', 7, 12),  # and in a multi-line one
        ("text = '''\n\"a b\" OR (c\n'''", 7, 10),  # a literal string needs no escapes
    ],
)
def test_positions_are_exact_in_every_kind_of_toml_string(
    tmp_path: Path, value: str, line: int, column: int
) -> None:
    text = MINIMAL.replace("text = '''\"primary care*\" OR GP*'''", value)
    path = write(tmp_path, text)
    with pytest.raises(StrategyError, match="never closed") as info:
        load_strategy(path)
    assert str(info.value.where) == f"{path}:{line}:{column}"
    assert path.read_text(encoding="utf-8").splitlines()[line - 1][column - 1] == "("
