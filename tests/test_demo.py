"""`rea demo` end to end in a temporary folder, outside the repository, offline."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from rea.pipeline.demo import match_items, sample_items
from rea.store import open_store
from rea.store.prisma import record_keys
from tests.browser_support import measure
from tests.helpers import REPO, run_cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    cwd = tmp_path_factory.mktemp("elsewhere")
    folder = cwd / "pcn-demo"
    result = run_cli(
        ["demo", "--dir", str(folder)],
        cwd=cwd,
        env={"REA_PUBMED_URL": "", "REA_SCOPUS_URL": "", "SCOPUS_API_KEY": "", "NCBI_API_KEY": ""},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return folder, result.stdout, result.stderr


@pytest.mark.slow
def test_demo_prints_each_step_and_the_report(demo: tuple[Path, str, str]) -> None:
    folder, stdout, stderr = demo
    for step in ("queries", "search", "import", "dedup", "screen", "prisma", "report"):
        assert any(line.startswith(step) for line in stderr.splitlines()), step
    assert "127.0.0.1" in stderr
    assert f"report: {folder / 'report' / 'report.html'}" in stdout
    assert (folder / "report" / "report.html").is_file()
    assert len(list((folder / "runs").iterdir())) == 1
    # the closing lines are commands that work in a new shell (a full path to this rea)
    assert "every work that can be screened is decided" in stdout
    assert "2 reports at full text were not retrieved" in stdout
    rea = "rea" if shutil.which("rea") else str(Path(sys.executable).with_name("rea"))
    assert f"progress: {rea} screen stats --review {folder}" in stdout


@pytest.mark.slow
def test_demo_includes_exactly_the_works_chapter_3_cites(demo: tuple[Path, str, str]) -> None:
    folder, _, _ = demo
    data = json.loads(run_cli(["prisma", "--review", str(folder), "--json"]).stdout)
    included = set(data["total"]["works"]["included"])
    items = sample_items()
    cited = set(json.loads((REPO / "rea/demo/sample/items.json").read_text())["chapter3_cited"])
    with open_store(folder / "store.sqlite") as store:
        matched = match_items(record_keys(store), items)
    assert included, "nothing included"
    assert all(int(matched[w]["ref"]) in cited for w in included)
    found_cited = {w for w, item in matched.items() if int(item["ref"]) in cited}
    assert found_cited == included
    total = data["total"]
    assert total["included"]["by_type"]["review"] >= 1
    not_retrieved = (
        total["databases"]["reports_not_retrieved"]
        + total["other_methods"]["reports_not_retrieved"]
    )
    assert not_retrieved == 2  # the sample's two reports that were never found
    assert total["identification"]["duplicates"] > 0
    assert set(total["identification"]["other_methods"]) == {
        "citation_searching",
        "gponline",
        "hsj",
        "pulse",
    }
    kappa = {a["phase"]: a for a in data["agreement"]}
    assert kappa["title_abstract"]["n"] > 50 and kappa["title_abstract"]["kappa"] < 1


@pytest.mark.slow
def test_demo_report_in_the_browser_matches_prisma(demo: tuple[Path, str, str]) -> None:
    folder, _, _ = demo
    data = json.loads(run_cli(["prisma", "--review", str(folder), "--json"]).stdout)
    seen = measure(folder / "report" / "report.html")
    svgs = {s["flow"]: s for s in seen["svgs"]}  # type: ignore[attr-defined]
    assert set(svgs) == {"1998-2012-reviews", "2013-2018-all", "total"}
    flows = {f["label"]: f for f in [*data["stages"], data["total"]]}
    for label, svg in svgs.items():
        assert svg["width"] > 600 and svg["height"] > 300
        numbers = svg["numbers"]
        flow = flows[label]
        assert numbers["records_screened"]["n"] == flow["databases"]["records_screened"]
        assert numbers["new_studies"]["n"] == flow["included"]["studies"]
        assert numbers["database_results"]["n"] == flow["identification"]["databases_total"]


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    result = run_cli(["demo", "--dir", str(tmp_path / "mine")], cwd=tmp_path)
    assert result.returncode == 1
    assert "was not made by `rea demo`" in result.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("name", ["strategy.toml", "screening.toml"])
def test_bundled_settings_are_the_reviews(name: str) -> None:
    bundled = REPO / "rea" / "demo" / "sample" / name
    review = REPO / "searches" / "pcn-rea" / name
    assert bundled.read_bytes() == review.read_bytes(), (
        f"the demo bundles its own copy of {name}: copy {review} to {bundled}"
    )


def test_sample_is_on_topic_and_documented() -> None:
    items = sample_items()
    assert len(items) == 115
    titles = " ".join(str(i["title"]).lower() for i in items)
    assert titles.count("general practice") >= 10
