"""Screening through the real CLI: decisions, conflicts, resolution, full text, stats, CSV, and
every bad input refused with an Error: line and nothing changed."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from rea.config import ReviewPaths
from rea.pipeline import screening as pipeline
from rea.screening import Phase
from rea.store import SCHEMA_VERSION, open_store
from rea.store.records import add_records
from rea.store.works import create_work, link_record
from tests.helpers import run_cli
from tests.screening_support import make_review

TA = Phase.TITLE_ABSTRACT
FT = Phase.FULL_TEXT


def rea(paths: ReviewPaths, *args: str) -> tuple[int, str, str]:
    result = run_cli([*args, "--review", str(paths.root)], cwd=paths.root.parent.parent)
    return result.returncode, result.stdout, result.stderr


def snapshot(paths: ReviewPaths) -> list[tuple[object, ...]]:
    """Every row of every screening table, to prove that a refused action changed nothing."""
    with sqlite3.connect(paths.store) as conn:
        rows: list[tuple[object, ...]] = []
        for table in ("decisions", "resolutions", "retrieval", "study_types", "screening_notes"):
            rows += [(table, *r) for r in conn.execute(f"SELECT * FROM {table}")]
        return rows


def decide(paths: ReviewPaths, work: int, decision: str, phase: Phase, reviewer: str,
           reason: str = "") -> None:  # fmt: skip
    pipeline.decide(paths, work, decision, phase=phase, reviewer=reviewer, reason=reason)


def test_dual_screening_conflict_resolution_and_full_text(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 4, share=1.0)
    # work 1: both include; work 2: disagree; work 3: both exclude; work 4: include + maybe
    code, out, err = rea(paths, "decide", "1", "include", "--phase", "title_abstract",
                         "--reviewer", "AH")  # fmt: skip
    assert (code, out.strip(), err) == (0, "AH: work 1 include", "")
    decide(paths, 1, "include", TA, "MS")
    decide(paths, 2, "include", TA, "AH")
    decide(paths, 2, "exclude", TA, "MS", "commissioning-only")
    decide(paths, 3, "exclude", TA, "AH")
    decide(paths, 3, "exclude", TA, "MS")
    decide(paths, 4, "include", TA, "AH")
    decide(paths, 4, "maybe", TA, "MS")

    code, out, _ = rea(paths, "conflicts")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "2\ttitle_abstract\tdisagree\tAH include, MS exclude (commissioning-only)"
    )

    # a screener alone may not settle it; the adjudicator may
    code, _, err = rea(paths, "resolve", "2", "include", "--phase", "title_abstract", "--by", "AH")
    assert code == 1 and err.startswith("Error: AH is not an adjudicator")
    code, out, _ = rea(paths, "resolve", "2", "include", "--phase", "title_abstract", "--by", "JS")
    assert code == 0
    assert rea(paths, "conflicts")[1].strip() == "No open conflicts."

    # included at title/abstract (1, 2 by resolution, 4 as maybe counts as include) → full text
    code, out, _ = rea(paths, "screen", "export", "--phase", "full_text", "--reviewer", "AH")
    assert [r["work_id"] for r in csv.DictReader(io.StringIO(out))] == ["1", "2", "4"]

    code, _, err = rea(paths, "decide", "3", "include", "--phase", "full_text", "--reviewer", "AH")
    assert code == 1
    assert err.startswith(
        "Error: work 3 is not in the full-text phase (its title/abstract status is excluded)"
    )

    assert (
        rea(paths, "fulltext", "1", "retrieved", "--by", "AH", "--location", "pdfs/w1.pdf")[0] == 0
    )
    assert rea(paths, "fulltext", "2", "not_retrieved", "--by", "AH")[0] == 0
    code, _, err = rea(paths, "decide", "2", "include", "--phase", "full_text", "--reviewer", "AH")
    assert code == 1 and "recorded as not retrieved" in err
    decide(paths, 1, "include", FT, "AH")
    decide(paths, 1, "include", FT, "MS")
    decide(paths, 4, "exclude", FT, "AH", "no-relevant-findings" if False else "no-full-text")
    decide(paths, 4, "exclude", FT, "MS", "commissioning-only")
    code, out, _ = rea(paths, "conflicts", "--json")
    found = json.loads(out)
    assert [(c["work_id"], c["phase"], c["kind"]) for c in found] == [(4, "full_text", "reasons")]
    code, _, err = rea(paths, "resolve", "4", "exclude", "--phase", "full_text", "--by", "AH,MS")
    assert code == 1 and "needs a reason" in err
    assert rea(paths, "resolve", "4", "exclude", "--phase", "full_text", "--by", "AH,MS",
               "--reason", "commissioning-only")[0] == 0  # fmt: skip
    assert rea(paths, "study-type", "1", "primary", "--by", "AH")[0] == 0
    code, _, err = rea(paths, "study-type", "4", "review", "--by", "AH")
    assert code == 1 and "excluded at full text" in err

    code, out, _ = rea(paths, "screen", "stats", "--all-reviewers", "--json")
    stats = {s["phase"]: s for s in json.loads(out)}
    ta = stats["title_abstract"]
    assert (ta["works"], ta["included"], ta["excluded"], ta["conflicts"], ta["resolved"]) == (
        4,
        3,
        1,
        0,
        1,
    )
    ah = next(r for r in ta["reviewers"] if r["reviewer"] == "AH")
    assert (ah["screened"], ah["included"], ah["excluded"], ah["remaining"]) == (4, 3, 1, 0)
    assert ta["agreement"][0]["n"] == 4
    ft = stats["full_text"]
    assert (ft["works"], ft["included"], ft["excluded"], ft["pending"]) == (3, 1, 1, 0)
    assert ft["not_retrieved"] == 1  # work 2: it cannot be screened, so it is not pending
    code, out, _ = rea(paths, "screen", "stats", "--all-reviewers")
    assert "kappa AH–MS" in out and "full text: 3 works" in out

    with open_store(paths.store) as store:
        from rea.screening import final_decisions, load_screening_config
        from rea.store.screening import current_retrievals, current_study_types

        config = load_screening_config(paths.screening)
        finals = {f.work_id: f for f in final_decisions(store, config, FT)}
        assert finals[4].reason == "commissioning-only" and finals[4].resolved
        assert current_study_types(store)[1].study_type == "primary"
        assert current_retrievals(store)[1].location == "pdfs/w1.pdf"


def test_undo_and_change_of_mind_are_new_rows(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 2, share=0.0)
    decide(paths, 1, "include", TA, "AH")
    decide(paths, 1, "include", TA, "AH")  # repeated: not doubled
    decide(paths, 1, "exclude", TA, "AH")
    assert (
        rea(paths, "decide", "1", "undo", "--phase", "title_abstract", "--reviewer", "AH")[0] == 0
    )
    rows = [r[5] for r in snapshot(paths) if r[0] == "decisions"]
    assert rows == ["include", "exclude", "undo"]
    code, _, err = rea(
        paths, "decide", "1", "undo", "--phase", "title_abstract", "--reviewer", "AH"
    )
    assert code == 1 and err.startswith(
        "Error: AH has no decision on work 1 at title/abstract to undo"
    )


def test_export_for_a_reviewer_is_blind(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 3, share=1.0)
    decide(paths, 1, "exclude", TA, "MS", "commissioning-only")
    decide(paths, 2, "include", TA, "AH")
    _, out, _ = rea(paths, "screen", "export", "--reviewer", "AH", "--phase", "title_abstract")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["work_id"], r["reviewer"], r["decision"]) for r in rows] == [
        ("1", "AH", ""), ("2", "AH", "include"), ("3", "AH", "")
    ]  # fmt: skip
    assert "commissioning-only" not in out and "MS" not in out and "final_status" not in out
    _code, out, _ = rea(paths, "screen", "export", "--all-reviewers")
    assert "MS" in out and "final_status" in out


def test_csv_round_trip_from_a_spreadsheet(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 3, share=1.0)
    sheet = tmp_path / "ah.csv"
    assert rea(paths, "screen", "export", "--reviewer", "AH", "--out", str(sheet))[0] == 0
    rows = list(csv.DictReader(sheet.open()))
    rows[0]["decision"], rows[1]["decision"], rows[1]["reason"] = (
        "include",
        "exclude",
        "commissioning-only",
    )
    with sheet.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, out, _ = rea(paths, "screen", "import", str(sheet))
    assert (code, out.strip()) == (
        0,
        "2 decisions stored, 0 unchanged, 1 rows without a decision (3 rows read)",
    )
    code, out, _ = rea(paths, "screen", "import", str(sheet))
    assert out.startswith("0 decisions stored, 2 unchanged")
    decisions = [r for r in snapshot(paths) if r[0] == "decisions"]
    assert [(r[2], r[4], r[5], r[9]) for r in decisions] == [
        (1, "AH", "include", "import"), (2, "AH", "exclude", "import")
    ]  # fmt: skip


TA_ = ["--phase", "title_abstract"]
FT_ = ["--phase", "full_text"]
BAD_INPUTS = [
    (["decide", "99", "include", *TA_, "--reviewer", "AH"], "no work 99 in this review"),
    (["decide", "1", "include", *TA_, "--reviewer", "ZZ"], "unknown reviewer 'ZZ'"),
    (["decide", "1", "exclude", *TA_, "--reviewer", "AH", "--reason", "bogus"],
     "unknown exclusion reason 'bogus'"),
    (["decide", "1", "include", *FT_, "--reviewer", "AH"],
     "work 1 is not in the full-text phase (its title/abstract status is pending)"),
    (["decide", "2", "exclude", *FT_, "--reviewer", "AH"],
     "an exclusion at full text needs a reason"),
    (["decide", "1", "include", *TA_, "--reviewer", "JS"], "JS does not screen at title/abstract"),
    (["decide", "1", "include", *TA_, "--reviewer", "AH", "--reason", "commissioning-only"],
     "a reason goes with exclude only"),
    (["resolve", "1", "include", *TA_, "--by", "ZZ"], "unknown reviewer 'ZZ'"),
    (["fulltext", "2", "retrieved", "--by", "AH"], "a retrieved full text needs its location"),
    (["study-type", "3", "review", "--by", "AH"], "work 3 is not in the full-text phase"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "error"), BAD_INPUTS)
def test_bad_input_is_refused_and_changes_nothing(
    tmp_path: Path, args: list[str], error: str
) -> None:
    paths = make_review(tmp_path, 3, share=0.0)
    decide(paths, 2, "include", TA, "AH")
    decide(paths, 2, "include", TA, "MS")
    before = snapshot(paths)
    code, _out, err = rea(paths, *args)
    assert code == 1
    assert err.startswith("Error: ") and error in err.splitlines()[0], err
    assert "Traceback" not in err
    assert snapshot(paths) == before


def test_unknown_reviewer_and_reason_name_the_choices(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 1)
    _, _, err = rea(
        paths, "decide", "1", "include", "--phase", "title_abstract", "--reviewer", "ZZ"
    )
    assert "unknown reviewer 'ZZ'" in err and "Hint: reviewers in screening.toml: AH, MS, JS" in err
    _code, _, err = rea(paths, "decide", "1", "exclude", "--phase", "title_abstract",
                       "--reviewer", "AH", "--reason", "bogus")  # fmt: skip
    assert "unknown exclusion reason 'bogus'" in err and "commissioning-only" in err


def test_a_csv_with_one_bad_row_is_refused_whole(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 3, share=0.0)
    sheet = tmp_path / "labels.csv"
    sheet.write_text(
        "work_id,phase,reviewer,decision,reason\n"
        "1,title_abstract,AH,include,\n"
        "2,title_abstract,AH,exclude,commissioning-only\n"
        "3,title_abstract,AH,exclude,no-such-reason\n"
    )
    before = snapshot(paths)
    code, _, err = rea(paths, "screen", "import", str(sheet))
    assert code == 1
    assert err.startswith(f"Error: {sheet}:4: unknown exclusion reason 'no-such-reason'")
    assert snapshot(paths) == before
    sheet.write_text("work_id,phase,reviewer,decision\n1,title_abstract,AH,yes\n")
    code, _, err = rea(paths, "screen", "import", str(sheet))
    assert err.startswith(
        f"Error: {sheet}:2 field decision: decision must be include, exclude or maybe"
    )
    sheet.write_text(
        "work_id,phase,reviewer,decision\n1,title_abstract,AH,include\n1,title_abstract,AH,exclude\n"
    )
    code, _, err = rea(paths, "screen", "import", str(sheet))
    assert err.startswith(f"Error: {sheet}:3: work 1 has a second decision by AH")
    sheet.write_text("work,decision\n1,include\n")
    code, _, err = rea(paths, "screen", "import", str(sheet))
    assert err.startswith(f"Error: {sheet}:1: missing column(s): work_id, phase, reviewer")
    assert snapshot(paths) == before


def test_a_store_of_an_older_schema_migrates(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 1)
    old = paths.store
    old.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(old) + suffix).unlink(missing_ok=True)
    from rea.records import Provenance, Record

    with open_store(old, upto=2) as store:
        assert store.schema_version == 2
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO runs (run_id, started_at, finished_at, rea_version, path)"
                " VALUES ('r', 'now', 'now', 'old', 'runs/r')"
            )
            conn.execute(
                "INSERT INTO run_searches (run_id, stage, source, query, fetched_count, manifest,"
                " finished_at) VALUES ('r', 's', 'pubmed', '', 1, '', 'now')"
            )
        ids = add_records(store, [Record(Provenance("pubmed", "s", run_id="r"), title="Old work")])
        with store.transaction() as conn:
            link_record(conn, ids[0], create_work(conn), rule="first")
        assert (
            store.conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'decisions'"
            ).fetchone()[0]
            == 0
        )
    code, _out, err = rea(
        paths, "decide", "1", "include", "--phase", "title_abstract", "--reviewer", "AH"
    )
    assert (code, err) == (0, "")
    with open_store(old) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.conn.execute("SELECT decision FROM decisions").fetchone()[0] == "include"


def test_labels_from_asreview_come_back(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 3, share=0.0)
    sheet = tmp_path / "asreview_result.csv"
    sheet.write_text(
        "work_id,title,included\n1,Study 1,1\n2,Study 2,0\n3,Study 3,-1\n", encoding="utf-8"
    )
    code, out, err = rea(
        paths, "screen", "import", str(sheet), "--phase", "title_abstract", "--reviewer", "AH"
    )
    assert (code, err) == (0, "")
    assert out.startswith("2 decisions stored, 0 unchanged, 1 rows without a decision")
    decisions = [(r[2], r[4], r[5]) for r in snapshot(paths) if r[0] == "decisions"]
    assert decisions == [(1, "AH", "include"), (2, "AH", "exclude")]
