"""`rea prisma` and `rea report` on a review folder, run as a user runs them."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO, run_cli
from tests.prisma_support import STAGE_A, STAGE_B, known_store


@pytest.fixture
def review(tmp_path: Path) -> Path:
    folder = tmp_path / "pcn"
    folder.mkdir()
    shutil.copy(REPO / "searches" / "pcn-rea" / "strategy.toml", folder / "strategy.toml")
    known_store(folder / "store.sqlite").store.close()
    return folder


def test_prisma_text_json_and_csv(review: Path, tmp_path: Path) -> None:
    text = run_cli(["prisma", "--review", str(review)], cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert f"== {STAGE_A}" in text.stdout and "== total" in text.stdout
    assert "records screened" in text.stdout
    data = json.loads(run_cli(["prisma", "--review", str(review), "--json"]).stdout)
    assert [s["label"] for s in data["stages"]] == [STAGE_A, STAGE_B]
    assert data["total"]["included"]["studies"] == 4
    out = tmp_path / "fig2.csv"
    result = run_cli(["prisma", "--review", str(review), "--stage", STAGE_B, "--csv", str(out)])
    assert result.returncode == 0, result.stderr
    rows = {r["data"]: r["n"] for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows["records_screened"] == "3"
    assert rows["database_specific_results"] == "PubMed, 1; Web of Science, 2"


def test_prisma_names_the_box_that_does_not_add_up(tmp_path: Path) -> None:
    review = tmp_path / "pcn"
    review.mkdir()
    shutil.copy(REPO / "searches" / "pcn-rea" / "strategy.toml", review / "strategy.toml")
    built = known_store(review / "store.sqlite")
    built.record("w9", "scopus", STAGE_B)
    built.decide("w9", "title_abstract", "AH", "include")
    built.decide("w9", "title_abstract", "MS", "exclude")
    built.store.close()
    interim = run_cli(["prisma", "--review", str(review)])
    assert interim.returncode == 0, interim.stderr
    assert interim.stdout.startswith("INTERIM: some works still await a decision")
    assert re.search(r"^records awaiting a decision +1$", interim.stdout, re.M)
    assert "interim: 1 work awaits a decision" in interim.stderr
    result = run_cli(["prisma", "--review", str(review), "--final"])
    assert result.returncode == 1
    assert result.stderr.startswith("Error: records_screened: works without a final")
    assert "Hint: finish screening" in result.stderr
    assert "Traceback" not in result.stderr


def test_prisma_without_a_store_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    shutil.copy(REPO / "searches" / "pcn-rea" / "strategy.toml", folder / "strategy.toml")
    result = run_cli(["prisma", "--review", str(folder)])
    assert result.returncode == 1
    assert "no store here yet" in result.stderr


def test_report_command_writes_html_and_svgs(review: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(["report", "--review", str(review), "--out", str(out)])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out / "report.html")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "CRD42018110790" in html
    assert "Early evidence of the development of primary care networks" in html
    assert html.count('class="prisma-flow"') == 3
    assert "[tiab]" in html  # the rendered PubMed query
    assert sorted(p.name for p in out.glob("*.svg")) == sorted(
        [f"flow-{STAGE_A}.svg", f"flow-{STAGE_B}.svg", "flow-total.svg"]
    )


def test_report_says_when_the_run_searched_another_query(review: Path, tmp_path: Path) -> None:
    from rea.store import open_store

    with open_store(review / "store.sqlite") as store, store.transaction() as conn:
        for source, query in (("pubmed", "an older query"), ("scopus", None)):
            conn.execute(
                "INSERT OR REPLACE INTO run_searches (run_id, stage, source, query, reported_count,"
                " fetched_count, manifest, finished_at) VALUES ('run-1', :stage, :source,"
                " :query, 40, 3, 'runs/run-1/manifest.json', '2026-01-01T00:00:00+00:00')",
                {"stage": STAGE_A, "source": source, "query": query or "x"},
            )
    out = tmp_path / "out"
    assert run_cli(["report", "--review", str(review), "--out", str(out)]).returncode == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("(40 reported by the database in the latest run)") == 2
    assert html.count("The latest run sent a different query text") == 2
