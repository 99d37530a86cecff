"""Changes of mind that cannot corrupt the numbers, through the CLI (in-process): undo of a
decision whose work went on to full text, resolve without a conflict, override, studies of
several reports, superseded search runs, and the import checks."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from rea.cli import main
from rea.config import ReviewPaths
from rea.pipeline import screening as pipeline
from rea.screening import Phase
from rea.store import open_store
from rea.store.sources import RunSearchRow, finish_run, save_search, start_run
from tests.helpers import REPO
from tests.screening_support import make_review, work_title

TA = Phase.TITLE_ABSTRACT
FT = Phase.FULL_TEXT


def rea(paths: ReviewPaths, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--review", str(paths.root)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def rows(paths: ReviewPaths, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(paths.store) as conn:
        return list(conn.execute(f"SELECT * FROM {table}"))


def through_full_text(paths: ReviewPaths, work: int) -> None:
    """Both reviewers include the work at title/abstract and at full text."""
    for reviewer in ("AH", "MS"):
        pipeline.decide(paths, work, "include", phase=TA, reviewer=reviewer)
    pipeline.set_retrieval(paths, work, "retrieved", by="AH", location="pdfs/w.pdf")
    for reviewer in ("AH", "MS"):
        pipeline.decide(paths, work, "include", phase=FT, reviewer=reviewer)


def prisma(paths: ReviewPaths) -> dict[str, object]:
    code, out, err = rea(paths, "prisma", "--json")
    assert code == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def test_undo_of_a_decision_whose_work_went_on_to_full_text(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 2, share=1.0)
    through_full_text(paths, 1)
    before = rows(paths, "decisions")
    code, _, err = rea(
        paths, "decide", "1", "undo", "--phase", "title_abstract", "--reviewer", "MS"
    )
    assert code == 1
    assert err.startswith(
        "Error: undoing MS's include at title/abstract would take work 1 out of full text, "
        "where it has decisions: AH include, MS include"
    )
    assert "rea decide 1 undo --phase full_text --reviewer AH" in err
    assert "--withdraw-later" in err
    assert rows(paths, "decisions") == before  # nothing written
    code, out, err = rea(paths, "decide", "1", "undo", "--phase", "title_abstract",
                         "--reviewer", "MS", "--withdraw-later")  # fmt: skip
    assert code == 0, err
    assert "withdrawn at full text: AH include, MS include" in out
    trail = [(r[2], r[3], r[4], r[6], r[8]) for r in rows(paths, "decisions")[len(before) :]]
    assert trail[0] == ("title_abstract", "MS", "undo", "", "cli")
    note = "withdrawn with the title/abstract change: undoing MS's include at title/abstract"
    assert sorted(trail[1:]) == [
        ("full_text", "AH", "undo", note, "cascade"),
        ("full_text", "MS", "undo", note, "cascade"),
    ]
    data = prisma(paths)
    total = data["total"]
    assert isinstance(total, dict)
    assert total["databases"]["awaiting_screening"] == 2  # work 1 waits for MS again
    assert total["included"]["reports"] == 0


def test_resolve_without_a_conflict_needs_override_and_says_so(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 2, share=1.0)
    for reviewer in ("AH", "MS"):
        pipeline.decide(paths, 1, "include", phase=TA, reviewer=reviewer)
    code, _, err = rea(paths, "resolve", "1", "exclude", "--phase", "title_abstract", "--by", "JS")
    assert code == 1
    assert err.startswith("Error: work 1 has no conflict at title/abstract: its reviewers agree")
    assert "--override" in err
    assert rows(paths, "resolutions") == []
    pipeline.decide(paths, 2, "include", phase=TA, reviewer="AH")  # MS has not decided
    code, _, err = rea(paths, "resolve", "2", "include", "--phase", "title_abstract", "--by", "JS")
    assert code == 1 and "not every reviewer assigned to it has decided" in err
    code, out, err = rea(paths, "resolve", "1", "exclude", "--phase", "title_abstract",
                         "--by", "JS", "--override", "--note", "out of scope")  # fmt: skip
    assert code == 0, err
    assert out.strip() == "work 1 overridden at title/abstract by JS (exclude; override)"
    (row,) = rows(paths, "resolutions")
    assert row[-1] == 1  # the override column
    total = prisma(paths)["total"]
    assert isinstance(total, dict)
    assert total["databases"]["records_excluded"] == 1


def test_a_real_conflict_resolves_without_override(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 1, share=1.0)
    pipeline.decide(paths, 1, "include", phase=TA, reviewer="AH")
    pipeline.decide(paths, 1, "exclude", phase=TA, reviewer="MS")
    code, out, err = rea(
        paths, "resolve", "1", "include", "--phase", "title_abstract", "--by", "JS"
    )
    assert (code, out.strip()) == (0, "work 1 included at title/abstract by JS"), err
    (row,) = rows(paths, "resolutions")
    assert row[-1] == 0


def test_reports_linked_to_one_study_count_once(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 3, share=1.0)
    for work in (1, 2, 3):
        through_full_text(paths, work)
    code, out, err = rea(paths, "study", "link", "1", "3", "--by", "JS")
    assert (code, out.strip()) == (0, "study 1: reports 1, 3"), err
    included = prisma(paths)["total"]["included"]  # type: ignore[index]
    assert (included["studies"], included["reports"]) == (2, 3)
    assert included["studies_with_several_reports"] == {"1": [1, 3]}
    assert rea(paths, "study", "list")[1].strip() == "study 1: reports 1, 3"
    code, out, _ = rea(paths, "study", "unlink", "1", "--by", "JS")
    assert out.strip() == "work 1 taken out of study 1"
    included = prisma(paths)["total"]["included"]  # type: ignore[index]
    assert (included["studies"], included["reports"]) == (3, 3)


def test_only_included_reports_make_a_study(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 2, share=1.0)
    through_full_text(paths, 1)
    code, _, err = rea(paths, "study", "link", "1", "2", "--by", "JS")
    assert code == 1
    assert "work 2 is not in the full-text phase" in err
    assert rows(paths, "study_links") == []


def test_a_rerun_search_is_counted_once_and_the_old_run_shown_as_superseded(
    tmp_path: Path,
) -> None:
    from rea.pipeline.dedup import run as dedup

    paths = make_review(tmp_path, 0)
    from rea.records import Provenance, Record

    def run(run_id: str, at: str, items: range) -> None:
        with open_store(paths.store) as store:
            start_run(store, run_id, at, "test", f"runs/{run_id}")
            search = RunSearchRow(run_id, "2013-2018-all", "pubmed", "q", None, 0, (), "m", at)
            save_search(
                store,
                search,
                [
                    Record(
                        Provenance("pubmed", "2013-2018-all", run_id=run_id),
                        title=work_title(n),
                        pmid=str(30000000 + n),
                        year=2015,
                    )
                    for n in items
                ],
            )
            finish_run(store, run_id, at)

    run("run-a", "2026-02-01T00:00:00+00:00", range(1, 6))
    dedup(paths)
    first = prisma(paths)["total"]
    run("run-b", "2026-03-01T00:00:00+00:00", range(1, 7))  # the same five and one new
    dedup(paths)
    data = prisma(paths)
    total = data["total"]
    assert isinstance(first, dict) and isinstance(total, dict)
    assert first["identification"]["databases"] == {"pubmed": 5}
    assert total["identification"]["databases"] == {"pubmed": 6}  # not 11
    assert total["identification"]["duplicates"] == 0
    states = {(s["run_id"], s["source"]): s["state"] for s in data["searches"]}  # type: ignore[union-attr]
    assert states[("run-a", "pubmed")] == "superseded"
    assert states[("run-b", "pubmed")] == "current"
    _, out, _ = rea(paths, "prisma")
    assert "not counted: run run-a 2013-2018-all/pubmed (5 records, superseded)" in out


RIS = """TY  - JOUR
TI  - Federations of general practices in England
AU  - Smith, J
PY  - 2015
DO  - 10.9999/fed.1
ER  -
"""


def test_import_under_a_source_the_strategy_does_not_list(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 0)
    export = tmp_path / "kf.ris"
    export.write_text(RIS, encoding="utf-8")
    args = ["import", str(export), "--source", "embase", "--stage", "2013-2018-all"]
    code, _, err = rea(paths, *args)
    assert code == 1
    assert err.startswith("Error: ") and "the strategy lists no source 'embase'" in err
    assert "sources listed: pubmed, scopus, wos, ovid, gponline" in err
    assert rows(paths, "imports") == []
    strategy = (paths.root / "strategy.toml").read_text(encoding="utf-8")
    code, _, err = rea(paths, *args, "--add-source")
    assert code == 0, err
    edited = (paths.root / "strategy.toml").read_text(encoding="utf-8")
    assert 'import = ["wos", "ovid", "embase"]' in edited
    assert edited.replace(', "embase"', "") == strategy  # nothing else changed
    assert len(rows(paths, "imports")) == 1


def test_a_file_whose_records_are_all_stored_already_is_reported(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 0)
    first, second = tmp_path / "a.ris", tmp_path / "b.ris"
    first.write_text(RIS, encoding="utf-8")
    second.write_text("Provider: exported again\n\n" + RIS, encoding="utf-8")  # other bytes
    args = ["--source", "wos", "--stage", "2013-2018-all"]
    assert rea(paths, "import", str(first), *args)[0] == 0
    code, _, err = rea(paths, "import", str(second), *args)
    assert code == 1
    assert "all 1 records of this file are stored already from an earlier import of wos" in err
    assert len(rows(paths, "imports")) == 1 and len(rows(paths, "records")) == 1
    assert rea(paths, "import", str(second), *args, "--force")[0] == 0
    assert len(rows(paths, "records")) == 2


def test_rea_init_makes_a_review_the_next_commands_work_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "searches" / "pcn-rea", tmp_path / "searches" / "pcn-rea")
    runner = CliRunner()
    made = runner.invoke(main, ["init", "my-review"])
    assert made.exit_code == 0, made.stderr
    assert "export REA_REVIEW=searches/my-review" in made.stdout
    strategy = (tmp_path / "searches" / "my-review" / "strategy.toml").read_text("utf-8")
    assert 'id = "my-review"' in strategy and "prospero" not in strategy
    lint = runner.invoke(main, ["query", "lint"], env={"REA_REVIEW": "searches/my-review"})
    assert lint.exit_code == 0, lint.stderr
    again = runner.invoke(main, ["init", "my-review"])
    assert again.exit_code == 1 and "the folder exists already" in again.stderr
    bad = runner.invoke(main, ["init", "My Review"])
    assert bad.exit_code == 1 and "lower case letters" in bad.stderr


def test_stats_count_reports_not_retrieved_apart_from_pending(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 2, share=1.0)
    for work in (1, 2):
        for reviewer in ("AH", "MS"):
            pipeline.decide(paths, work, "include", phase=TA, reviewer=reviewer)
    pipeline.set_retrieval(paths, 2, "not_retrieved", by="AH")
    code, out, _ = rea(paths, "screen", "stats")
    assert code == 0
    assert "full text: 2 works · included 0 · excluded 0 · pending 1 · not retrieved 1" in out


def test_a_decisions_file_cannot_take_a_work_out_of_full_text_either(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 2, share=1.0)
    through_full_text(paths, 1)
    before = rows(paths, "decisions")
    sheet = tmp_path / "ms.csv"
    sheet.write_text(
        "work_id,phase,reviewer,decision\n2,title_abstract,MS,include\n"
        "1,title_abstract,MS,exclude\n",
        encoding="utf-8",
    )
    code, _, err = rea(paths, "screen", "import", str(sheet))
    assert code == 1
    assert err.startswith(f"Error: {sheet}:3: MS's exclude would take work 1 out of full text")
    assert rows(paths, "decisions") == before  # the whole file refused
