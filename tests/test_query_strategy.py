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
