"""`rea query` as a user runs it: real subprocesses, exact error lines and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rea.query import DATABASES
from tests.helpers import run_cli
from tests.query_support import MINIMAL, REVIEW, VERBATIM, write


def test_render_prints_the_query_and_warnings_on_stderr() -> None:
    result = run_cli(
        ["query", "render", "--db", "pubmed", "--stage", "2013-2018-all", "--review", str(REVIEW)]
    )
    assert result.returncode == 0, result.stderr
    golden = (REVIEW / "queries" / "2013-2018-all" / "pubmed.txt").read_text(encoding="utf-8")
    assert result.stdout == golden
    assert "Warning: PubMed needs at least 4 characters before * (GP*)" in result.stderr


def test_render_json_has_the_api_parameters_and_review_filter_on_request() -> None:
    args = ["query", "render", "--db", "pubmed", "--stage", "1998-2012-reviews", "--json"]
    result = run_cli([*args, "--review", str(REVIEW), "--review-filter"])
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["params"] == {
        "datetype": "pdat",
        "mindate": "1998/01/01",
        "maxdate": "2012/12/31",
    }
    assert data["text"].endswith("AND english[la] AND review[pt]")


def test_render_all_writes_every_stage_and_database(tmp_path: Path) -> None:
    out = tmp_path / "queries"
    result = run_cli(["query", "render", "--all", "--out", str(out), "--review", str(REVIEW)])
    assert result.returncode == 0, result.stderr
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted(
        [f"{s}/{db}.txt" for s in ("1998-2012-reviews", "2013-2018-all") for db in DATABASES]
        + ["NOTES.md"]
    )


def test_unknown_stage_is_an_error_line() -> None:
    result = run_cli(
        ["query", "render", "--db", "ovid", "--stage", "2019-all", "--review", str(REVIEW)]
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ")
    assert "no stage '2019-all'" in result.stderr and "Traceback" not in result.stderr


def test_lint_verbatim_box4_reports_positions_and_fails_on_its_error() -> None:
    result = run_cli(["query", "lint", "--verbatim", str(VERBATIM)])
    assert result.returncode == 1
    assert (
        f"{VERBATIM}:7:400: error: closing quote without an opening quote "
        "(after family physician*) [unbalanced-quote]" in result.stdout
    )
    assert f'{VERBATIM}:7:275: warning: "cooperat*" is already in this group' in result.stdout
    assert f"{VERBATIM}:1:122: warning: " in result.stdout
    assert "Error: lint found errors" in result.stderr


def test_strict_makes_warnings_fail(tmp_path: Path) -> None:
    text = write(tmp_path, '"primary care*" OR "primary care*"\n', "search.txt")
    plain = run_cli(["query", "lint", "--verbatim", str(text)])
    strict = run_cli(["query", "lint", "--strict", "--verbatim", str(text)])
    assert plain.returncode == 0
    assert f"{text}:1:20: warning: " in plain.stdout
    assert strict.returncode == 1
    assert "Error: lint found warnings (--strict)" in strict.stderr


def test_shipped_strategy_passes_strict_lint_and_shows_its_stages() -> None:
    lint = run_cli(["query", "lint", "--strict", "--review", str(REVIEW)])
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "0 error(s), 0 warning(s), 7 accepted" in lint.stderr
    show = run_cli(["query", "show", "--review", str(REVIEW)])
    assert show.returncode == 0
    assert "1998-2012-reviews  1998-01-01 .. 2012-12-31" in show.stdout
    assert "2013-2018-all  2013-01-01 .. 2018-09-21" in show.stdout
    assert "(drops review*)" in show.stdout


@pytest.mark.parametrize(
    ("replace", "by", "where", "message"),
    [
        ("[query]", "[query", "11:7", "not valid TOML"),
        ("OR GP*", "OR (GP*", "6:30", "[blocks.a] text: this ( is never closed"),
        ('"a AND b"', '"a AND bb"', "12:21", "[query] expression: unknown block name bb"),
        ("date_to = 2001-12-31", 'date_to = "31/12/2001"', "17:1", "is not a date"),
    ],
)
def test_malformed_strategy_gives_one_error_line_with_file_line_column(
    tmp_path: Path, replace: str, by: str, where: str, message: str
) -> None:
    review = tmp_path / "demo"
    review.mkdir()
    assert replace in MINIMAL
    path = write(review, MINIMAL.replace(replace, by))
    result = run_cli(["query", "show", "--review", str(review)], cwd=tmp_path)
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"Error: {path}:{where}: "), result.stderr
    assert message in first
    assert "Traceback" not in result.stderr


# -- rea query import (in-process) ---------------------------------------------------------------
def _invoke(args: list[str]) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from rea.cli import main

    result = CliRunner().invoke(main, args)
    return result.exit_code, result.stdout, result.stderr


def test_import_writes_a_strategy_that_loads_and_renders_again(tmp_path: Path) -> None:
    from rea.query import load_strategy

    out = tmp_path / "searches" / "ovarian-nact" / "strategy.toml"
    fixture = REVIEW.parents[1] / "tests" / "fixtures" / "query" / "ovid_coleridge2021.txt"
    code, stdout, stderr = _invoke(
        ["query", "import", "--from", "ovid", str(fixture), "--out", str(out)]
    )
    assert code == 0, stderr
    assert stdout.strip() == str(out)
    assert "Note: not carried over: drug therapy.fs." in stderr.splitlines()
    assert "4 block(s); 5 note(s)" in stderr
    strategy = load_strategy(out)
    assert strategy.review_id == "ovarian-nact"
    assert [b.name for b in strategy.blocks] == [
        "ovarian-neoplasms",
        "chemotherap",
        "surg",
        "randomized",
    ]
    text = out.read_text(encoding="utf-8")
    assert "#   - not carried over: surgery.fs." in text  # the notes stay in the file
    # the imported strategy renders for another database
    code, stdout, stderr = _invoke(
        ["query", "render", "--db", "embase", "--stage", "imported", "--review", str(out.parent)]
    )
    assert code == 0, stderr
    assert "'Ovarian Neoplasms'" not in stdout  # a MeSH heading is not an Emtree heading
    assert any("MeSH" in line and "Embase" in line for line in stderr.splitlines())


def test_import_refuses_to_replace_a_strategy_and_reads_to_stdout(tmp_path: Path) -> None:
    out = tmp_path / "strategy.toml"
    out.write_text("mine\n", encoding="utf-8")
    query = tmp_path / "q.txt"
    query.write_text('"hip pain"[tiab:~2] AND english[la]\n', encoding="utf-8")
    code, _, stderr = _invoke(
        ["query", "import", "--from", "pubmed", str(query), "--out", str(out)]
    )
    assert code == 1
    assert stderr.startswith(f"Error: {out}: the strategy file exists already")
    assert out.read_text(encoding="utf-8") == "mine\n"
    code, stdout, _ = _invoke(["query", "import", "--from", "pubmed", str(query)])
    assert code == 0
    assert "hip NEAR/2 pain" in stdout and 'languages = ["english"]' in stdout


def test_import_of_unreadable_syntax_is_an_error_line_with_its_place(tmp_path: Path) -> None:
    query = tmp_path / "history.txt"
    query.write_text("#1 TS=(cancer)\n#2 #1 AND #7\n", encoding="utf-8")
    code, _, stderr = _invoke(["query", "import", "--from", "wos", str(query)])
    assert code == 1
    assert stderr.splitlines()[0] == f"Error: {query}:2:11: #7 refers to no earlier line"


def test_render_of_a_new_database_prints_its_query() -> None:
    code, stdout, stderr = _invoke(
        ["query", "render", "--db", "cochrane", "--stage", "2013-2018-all", "--review", str(REVIEW)]
    )
    assert code == 0, stderr
    golden = (REVIEW / "queries" / "2013-2018-all" / "cochrane.txt").read_text(encoding="utf-8")
    assert stdout == golden
    assert "Search Manager's limits" in stderr
