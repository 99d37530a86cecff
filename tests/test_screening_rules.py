"""Screening rules without the store: screening.toml checks, assignment, final status, kappa,
highlighting."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rea.errors import ConfigError, NotFound
from rea.screening import (
    Phase,
    Status,
    assigned_reviewers,
    highlight,
    load_screening_config,
    term_pattern,
)
from rea.screening_vocab import Rules, Tally, cohen_kappa, outcome
from tests.helpers import REPO
from tests.screening_support import SCREENING_TOML


def test_the_reference_review_config_loads() -> None:
    config = load_screening_config(REPO / "searches" / "pcn-rea" / "screening.toml")
    assert config.blind and config.maybe_counts_as_include
    assert [r.name for r in config.reviewers] == ["JS", "AH", "MS"]
    assert config.phases[Phase.FULL_TEXT].screeners == ("JS", "AH")
    assert config.phases[Phase.TITLE_ABSTRACT].double_screen_share == 0.2
    assert config.phases[Phase.FULL_TEXT].reason_required
    assert config.reason("commissioning-only", Phase.FULL_TEXT).label.startswith("Collaboration")
    with pytest.raises(NotFound, match="unknown exclusion reason 'no-full-text'"):
        config.reason("no-full-text", Phase.TITLE_ABSTRACT)
    with pytest.raises(NotFound, match="unknown reviewer 'ZZ'"):
        config.reviewer("ZZ")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "screening.toml"
    path.write_text(text)
    return path


def test_bad_toml_names_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "blind = true\nmaybe_counts_as_include = yes\n")
    with pytest.raises(ConfigError) as err:
        load_screening_config(path)
    assert err.value.message().startswith(f"{path}:2:")
    assert "not valid TOML" in err.value.message()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("double_screen_share = 1.0", "double_screen_share = 1.5"), "double_screen_share"),
        (('roles = ["adjudicator"]', 'roles = ["boss"]'), "unknown role 'boss'"),
        (('code = "commissioning-only"', 'code = "Commissioning Only"'), "reason code"),
        (("reason_required = true", "reason_requird = true"), "unknown setting"),
    ],
)
def test_bad_settings_name_file_and_line(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    text = SCREENING_TOML.format(share=0.5, maybe="true")
    assert change[0] in text
    text = text.replace(change[0], change[1], 1)
    line = 1 + next(i for i, x in enumerate(text.splitlines()) if change[1] in x)
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_screening_config(path)
    assert message in err.value.what
    assert err.value.message().startswith(f"{path}:{line} ")


def test_double_screening_needs_two_screeners(tmp_path: Path) -> None:
    text = SCREENING_TOML.format(share=0.5, maybe="true").replace(
        'name = "MS"\nroles = ["screener"]', 'name = "MS"\nroles = ["adjudicator"]'
    )
    with pytest.raises(ConfigError, match="needs two screeners"):
        load_screening_config(_write(tmp_path, text))


def test_assignment_is_stable_and_shares_as_configured() -> None:
    screeners = ("AH", "MS")
    first = [assigned_reviewers(w, Phase.TITLE_ABSTRACT, screeners, 0.2) for w in range(1, 5001)]
    again = [assigned_reviewers(w, Phase.TITLE_ABSTRACT, screeners, 0.2) for w in range(1, 5001)]
    assert first == again
    doubles = sum(1 for a in first if len(a) == 2)
    assert 900 < doubles < 1100  # about a fifth
    singles = Counter(a[0] for a in first if len(a) == 1)
    assert abs(singles["AH"] - singles["MS"]) < 300  # split evenly
    assert all(
        len(a) == 1
        for w in range(1, 500)
        for a in [assigned_reviewers(w, Phase.FULL_TEXT, screeners, 0.0)]
    )
    assert all(
        set(assigned_reviewers(w, Phase.FULL_TEXT, screeners, 1.0)) == {"AH", "MS"}
        for w in range(1, 500)
    )
    three = [assigned_reviewers(w, Phase.FULL_TEXT, ("A", "B", "C"), 1.0) for w in range(1, 300)]
    assert all(len(set(a)) == 2 for a in three)


def _tally(**counts: int | str | None) -> Tally:
    base: dict[str, object] = {
        "work_id": 1, "n_assigned": 2, "n_decided": 2,
        "n_include": 0, "n_exclude": 0, "n_maybe": 0,
    }  # fmt: skip
    base.update(counts)
    return Tally(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("counts", "maybe_inc", "status", "conflict"),
    [
        ({"n_decided": 1, "n_include": 1}, True, Status.PENDING, ""),
        ({"n_include": 2}, True, Status.INCLUDED, ""),
        ({"n_include": 1, "n_maybe": 1}, True, Status.INCLUDED, ""),
        ({"n_include": 1, "n_maybe": 1}, False, Status.CONFLICT, "maybe"),
        ({"n_include": 1, "n_exclude": 1}, True, Status.CONFLICT, "disagree"),
        ({"n_maybe": 1, "n_exclude": 1}, True, Status.CONFLICT, "disagree"),
        ({"n_exclude": 2, "n_exclude_reasons": 2}, True, Status.CONFLICT, "reasons"),
        (
            {"n_exclude": 2, "n_exclude_reasons": 1, "exclude_reason": "x"},
            True,
            Status.EXCLUDED,
            "",
        ),
        (
            {"n_include": 1, "n_exclude": 1, "resolution": "exclude", "resolution_reason": "y"},
            True,
            Status.EXCLUDED,
            "",
        ),
    ],
)
def test_final_status(
    counts: dict[str, int | str], maybe_inc: bool, status: Status, conflict: str
) -> None:
    rules = Rules(maybe_counts_as_include=maybe_inc, reason_required={Phase.FULL_TEXT: True})
    got = outcome(_tally(**counts), Phase.FULL_TEXT, rules)
    assert got.status is status
    assert got.conflict == conflict


def test_cohen_kappa_matches_a_worked_example() -> None:
    # 50 works: both include 20, both exclude 15, A include/B exclude 5, A exclude/B include 10
    pairs = [("include", "include")] * 20 + [("exclude", "exclude")] * 15
    pairs += [("include", "exclude")] * 5 + [("exclude", "include")] * 10
    # po = 0.7; pe = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = 0.4
    assert cohen_kappa(pairs) == pytest.approx(0.4)
    assert cohen_kappa([("include", "include")] * 3) is None
    assert cohen_kappa([]) is None


def test_terms_are_highlighted_with_truncation_and_phrases() -> None:
    pattern = term_pattern(['"primary care*"', "collaborat*", "GP*", '"super partnership*"'])
    text = "Collaborative GPs in primary-care networks and super-partnerships; a GPS is not."
    marked = [piece for is_term, piece in highlight(text, pattern) if is_term]
    assert marked == ["Collaborative", "GPs", "primary-care", "super-partnerships", "GPS"]
    assert "".join(piece for _, piece in highlight(text, pattern)) == text
    assert highlight("no terms", term_pattern([])) == [(False, "no terms")]
