"""``rea simulate`` end to end, and its errors for bad CSV files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from rea.errors import ImportFormatError, ReaError
from rea.pipeline.simulate import read_labelled_csv, run_simulation
from tests.helpers import FIXTURES, run_cli

SUBSET = FIXTURES / "ranking" / "nagtegaal2019_subset.csv"


@pytest.mark.slow
def test_simulate_prints_metrics_and_writes_the_recall_curve(tmp_path: Path) -> None:
    svg = tmp_path / "out" / "curve.svg"
    result = run_cli(["simulate", str(SUBSET), "--seeds", "2", "--svg", str(svg)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "200 records, 20 included (label_included), 6 without abstract" in out
    assert "WSS@95" in out and "RRF@10" in out and "ATD" in out
    assert "100% screened  100.0% found" in out
    assert f"recall curve written to {svg}" in out
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    lines = root.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 2  # one curve per seed


@pytest.mark.slow
def test_simulate_json_beats_random_order(tmp_path: Path) -> None:
    args = ["simulate", str(SUBSET), "--seeds", "2", "--json", "--svg", str(tmp_path / "c.svg")]
    prioritised = run_cli(args, cwd=tmp_path)
    assert prioritised.returncode == 0, prioritised.stderr
    data = json.loads(prioritised.stdout)
    assert [run["seed"] for run in data["runs"]] == [0, 1]
    random_run = run_cli([*args, "--order", "random"], cwd=tmp_path)
    random_data = json.loads(random_run.stdout)
    # random order finds the includes after about half the records; the ranker far sooner
    assert data["mean_sd"]["atd"][0] < random_data["mean_sd"]["atd"][0] - 15
    assert data["mean_sd"]["wss95"][0] > random_data["mean_sd"]["wss95"][0] + 15
    assert (tmp_path / "c.svg").exists()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("title,abstract\nA,B\n", "bad.csv:1: no label column (asreview_label, included, label"),
        ("name,abstract,included\nA,B,1\n", "bad.csv:1: no title column"),
        (
            'title,abstract,included\nA,"two\nlines",1\nB,x,0\nC,y,maybe\n',
            "bad.csv:5 field included: label 'maybe' is not 1/0",
        ),
        ("title,abstract,included\nA,B,1\nC,D\n", "bad.csv:3: row has 2 fields, the header 3"),
        ("title,abstract,included\n", "bad.csv:2: the file has a header but no rows"),
        ("", "bad.csv:1: the file is empty"),
    ],
)
def test_bad_csv_is_refused_with_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    bad = _write(tmp_path / "bad.csv", content)
    with pytest.raises(ImportFormatError) as caught:
        read_labelled_csv(bad)
    assert message in caught.value.message()


@pytest.mark.slow
def test_bad_csv_is_an_error_line_and_writes_nothing(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.csv", "title,abstract,included\nA,x,1\nB,y,0\nC,z,2\n")
    result = run_cli(["simulate", str(bad)], cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {bad}:4 field included: label '2' is not 1/0")
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == [bad]
    result = run_cli(["simulate", str(tmp_path / "none.csv")], cwd=tmp_path)
    assert result.returncode == 1 and "cannot read the file" in result.stderr


def test_too_few_includes_and_named_label_column(tmp_path: Path) -> None:
    two = _write(tmp_path / "two.csv", "title,included\nA,1\nB,1\n")
    with pytest.raises(ReaError, match="2 includes among 2 rows"):
        run_simulation(two, seeds=[0])
    with pytest.raises(ImportFormatError) as caught:
        read_labelled_csv(SUBSET, "label_abstract")
    assert "no label column 'label_abstract'" in caught.value.message()
    assert caught.value.hint == "the header has: record_id, title, abstract, label_included"
