"""PRISMA 2020 counts on a store where every box is known, and every consistency check."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest

from rea.errors import PrismaInconsistency
from rea.prisma import check, compute, template_rows, to_template_csv
from rea.records import SourceKind
from rea.screening_vocab import cohen_kappa
from tests.prisma_support import STAGE_A, STAGE_B, Builder, known_store

TEMPLATE = Path(__file__).parent / "fixtures" / "prisma" / "PRISMA2020_template.csv"


@pytest.fixture
def built(tmp_path: Path) -> Builder:
    return known_store(tmp_path / "store.sqlite")


def test_stage_a_boxes(built: Builder) -> None:
    flow = compute(built.store, stages=[STAGE_A, STAGE_B]).flow(STAGE_A)
    assert flow.database_records == {"pubmed": 3, "scopus": 2}
    assert flow.other_records == {"citation_searching": 2}
    assert flow.duplicates == 1
    assert flow.records_screened == 4
    assert flow.records_excluded == 1
    assert flow.reports_sought == 3
    assert flow.reports_not_retrieved == 1
    assert flow.reports_assessed == 2
    assert flow.reports_excluded == {"wrong setting": 1}
    assert (flow.other_sought, flow.other_not_retrieved, flow.other_assessed) == (1, 0, 1)
    assert flow.new_studies == flow.new_reports == 2
    assert flow.included_by_type == {"review": 1, "primary": 1, "grey": 0}


def test_stage_b_boxes(built: Builder) -> None:
    flow = compute(built.store, stages=[STAGE_A, STAGE_B]).flow(STAGE_B)
    assert flow.database_records == {"pubmed": 1, "wos": 2}
    assert flow.duplicates == 0
    assert (flow.records_screened, flow.records_excluded, flow.reports_sought) == (3, 1, 2)
    assert (flow.reports_not_retrieved, flow.reports_assessed) == (0, 2)
    assert flow.reports_excluded == {}
    assert flow.other_records == {"gponline": 1}
    assert flow.new_studies == 3
    assert flow.included_by_type == {"review": 1, "primary": 1, "grey": 1}


def test_total_counts_a_work_found_in_both_stages_once(built: Builder) -> None:
    counts = compute(built.store, stages=[STAGE_A, STAGE_B])
    total = counts.total
    assert total.database_records == {"pubmed": 4, "scopus": 2, "wos": 2}
    assert total.other_records == {"citation_searching": 2, "gponline": 1}
    assert total.duplicates == 2  # w1 three times among database records
    assert (total.records_screened, total.records_excluded, total.reports_sought) == (6, 2, 4)
    assert (total.reports_not_retrieved, total.reports_assessed) == (1, 3)
    assert total.new_studies == 4  # w1, w5, w6, w8: w1 once although both stages found it
    per_stage = sum(f.new_studies for f in counts.stages)
    assert per_stage == 5
    assert total.included_by_type == {"review": 1, "primary": 2, "grey": 1}
    assert "once" in counts.rule


def test_json_carries_the_works_of_each_box(built: Builder) -> None:
    data = json.loads(compute(built.store).to_json())
    total = data["total"]
    assert total["included"]["studies"] == 4
    assert sorted(total["works"]["included"]) == sorted(
        built.works[w] for w in ("w1", "w5", "w6", "w8")
    )
    assert [s["label"] for s in data["stages"]] == [STAGE_A, STAGE_B]


def test_agreement_is_cohens_kappa(built: Builder) -> None:
    agreement = {a.phase: a for a in compute(built.store).agreement}
    ta = agreement["title_abstract"]
    assert (ta.a, ta.b) == ("AH", "MS")
    assert (ta.n, ta.agreed) == (8, 7)  # w4 disagrees; w7's MS include was undone
    assert ta.kappa == pytest.approx(
        cohen_kappa(
            [("include", "include")] * 5 + [("exclude", "exclude")] * 2 + [("include", "exclude")]
        )
    )
    assert cohen_kappa([("include", "include"), ("exclude", "exclude")]) == 1.0
    assert cohen_kappa([]) is None


def test_unlinked_record_names_the_duplicates_box(built: Builder) -> None:
    record_id = built.record(None, "pubmed", STAGE_A)
    with pytest.raises(PrismaInconsistency, match="duplicates") as info:
        compute(built.store)
    assert str(record_id) in info.value.what
    assert info.value.hint and "rea dedup" in info.value.hint


def test_unresolved_conflict_names_records_screened_and_the_work(built: Builder) -> None:
    built.record("w9", "scopus", STAGE_B)
    built.decide("w9", "title_abstract", "AH", "include")
    built.decide("w9", "title_abstract", "MS", "exclude")
    with pytest.raises(PrismaInconsistency, match="records_screened") as info:
        compute(built.store, final=True)
    assert f"(1 work: {built.works['w9']})" in info.value.what
    interim = compute(built.store)  # mid-review: an "awaiting decision" box, not an error
    assert interim.interim and interim.total.awaiting_screening == 1
    assert interim.total.works["awaiting_screening"] == [built.works["w9"]]
    assert interim.total.records_screened == 7


def test_a_reviewer_still_to_decide_keeps_the_work_pending(built: Builder) -> None:
    built.record("w9", "scopus", STAGE_B)
    built.decide("w9", "title_abstract", "AH", "exclude")  # MS, also assigned, has not decided
    assert compute(built.store).total.awaiting_screening == 1
    with pytest.raises(PrismaInconsistency, match="records_screened"):
        compute(built.store, final=True)
    built.record("w10", "scopus", STAGE_B)
    built.assign("w10", "title_abstract", ("AH",))  # single-screened: AH's word is final
    built.decide("w10", "title_abstract", "AH", "exclude")
    assert compute(built.store).total.records_excluded == 3


def test_full_text_entries_of_a_work_no_longer_sought_are_not_counted(built: Builder) -> None:
    before = compute(built.store, final=True).total
    built.both("w2", "full_text", "include")  # w2 was excluded at title/abstract
    built.retrieval("w2", "retrieved")
    after = compute(built.store, final=True).total
    assert after.as_dict() == before.as_dict()


def test_not_retrieved_with_a_decision(built: Builder) -> None:
    built.both("w4", "full_text", "exclude", "wrong setting")
    with pytest.raises(PrismaInconsistency, match="dbr_notretrieved_reports"):
        compute(built.store)


def test_sought_without_full_text_decision(built: Builder) -> None:
    built.record("w9", "scopus", STAGE_B)
    built.both("w9", "title_abstract", "include")
    with pytest.raises(PrismaInconsistency, match="dbr_assessed") as info:
        compute(built.store, final=True)
    assert str(built.works["w9"]) in info.value.what
    assert compute(built.store).total.reports_awaiting == 1


def test_other_methods_awaiting_at_either_phase(built: Builder) -> None:
    built.record("w9", "hsj", STAGE_B, kind=SourceKind.OTHER)
    with pytest.raises(PrismaInconsistency, match="other_sought_reports"):
        compute(built.store, final=True)
    assert compute(built.store).total.other_awaiting == 1
    built.both("w9", "title_abstract", "include")
    built.retrieval("w9", "retrieved")
    with pytest.raises(PrismaInconsistency, match="other_assessed"):
        compute(built.store, final=True)
    total = compute(built.store).total
    assert (total.other_awaiting, total.other_reports_awaiting, total.other_sought) == (0, 1, 3)


@pytest.mark.parametrize(
    ("change", "box"),
    [
        ({"duplicates": 0}, "records_screened"),
        ({"records_excluded": 0}, "dbr_sought_reports"),
        ({"reports_not_retrieved": 0}, "dbr_assessed"),
        ({"other_not_retrieved": 1}, "other_assessed"),
        ({"new_studies": 9}, "new_studies"),
        ({"included_by_type": {"review": 2, "primary": 1, "grey": 0}}, "new_studies"),
        ({"new_reports": 1}, "new_reports"),
    ],
)
def test_each_box_that_does_not_add_up_is_named(
    built: Builder, change: dict[str, object], box: str
) -> None:
    flow = compute(built.store).flow(STAGE_A)
    check(flow)
    with pytest.raises(PrismaInconsistency) as info:
        check(dataclasses.replace(flow, **change))  # type: ignore[arg-type]
    assert info.value.where == box
    assert "works:" in info.value.what or "work:" in info.value.what


def test_template_csv_has_the_template_fields(built: Builder) -> None:
    text = to_template_csv(compute(built.store).total)
    rows = list(csv.DictReader(io.StringIO(text)))
    with TEMPLATE.open(encoding="utf-8") as handle:
        template = list(csv.DictReader(handle))
    assert list(rows[0].keys()) == list(template[0].keys())
    assert [r["data"] for r in rows] == [r["data"] for r in template]
    assert [r["data"] for r in template_rows()] == [r["data"] for r in template]
    n = {r["data"]: r["n"] for r in rows}
    assert n["database_results"] == "8"
    assert n["database_specific_results"] == "PubMed, 4; Scopus, 2; Web of Science, 2"
    assert (n["website_results"], n["citations_results"]) == ("1", "2")
    assert n["duplicates"] == "2"
    assert (n["records_screened"], n["records_excluded"]) == ("6", "2")
    assert (n["dbr_sought_reports"], n["dbr_notretrieved_reports"]) == ("4", "1")
    assert n["dbr_assessed"] == "3"
    assert n["dbr_excluded"] == "wrong setting, 1"
    assert (n["new_studies"], n["total_studies"]) == ("4", "4")
    # the package keeps only the digits of plain numbers: every plain n is digits
    named = {
        "database_specific_results",
        "register_specific_results",
        "dbr_excluded",
        "other_excluded",
    }
    assert all(v.isdigit() for k, v in n.items() if k not in named and k != "NA")


STOPPING_TABLES = (
    "CREATE TABLE IF NOT EXISTS stopping_decisions (stop_id INTEGER PRIMARY KEY, phase TEXT NOT"
    " NULL, decided_by TEXT NOT NULL, rule TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',"
    " withdrawn INTEGER NOT NULL DEFAULT 0, works INTEGER NOT NULL, screened INTEGER NOT NULL,"
    " included INTEGER NOT NULL, estimated_left REAL NOT NULL, upper_left INTEGER NOT NULL,"
    " recall_target REAL NOT NULL, confidence REAL NOT NULL, p_value REAL NOT NULL,"
    " verdict TEXT NOT NULL, decided_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS stopping_unscreened (stop_id INTEGER NOT NULL, work_id INTEGER"
    " NOT NULL, PRIMARY KEY (stop_id, work_id))",
)


def _stop(built: Builder, works: list[str], *, withdrawn: int = 0) -> None:
    with built.store.transaction() as conn:
        for sql in STOPPING_TABLES:
            conn.execute(sql)
        stop_id = conn.execute(
            "INSERT INTO stopping_decisions (phase, decided_by, rule, withdrawn, works, screened,"
            " included, estimated_left, upper_left, recall_target, confidence, p_value, verdict,"
            " decided_at) VALUES ('title_abstract', 'JS', 'consecutive', :withdrawn, 10, 8, 4,"
            " 0.1, 1, 0.95, 0.95, 0.2, 'stop', '2026-01-01')",
            {"withdrawn": withdrawn},
        ).lastrowid
        for work in works:
            conn.execute(
                "INSERT INTO stopping_unscreened (stop_id, work_id) VALUES (:s, :w)",
                {"s": stop_id, "w": built.works[work]},
            )


def test_works_left_when_screening_stopped_are_excluded_by_automation(built: Builder) -> None:
    built.record("w9", "scopus", STAGE_B)
    built.record("w10", "scopus", STAGE_B)
    _stop(built, ["w9", "w10"])
    flow = compute(built.store).flow(STAGE_B)
    assert flow.records_screened == 5
    assert (flow.records_excluded, flow.records_excluded_automation) == (3, 2)
    assert flow.reports_sought == 2
    _stop(built, ["w9", "w10"], withdrawn=1)
    with pytest.raises(PrismaInconsistency, match="records_screened"):
        compute(built.store, final=True)


def test_template_csv_keeps_reasons_with_commas_whole(built: Builder) -> None:
    built.record("w9", "scopus", STAGE_B)
    built.both("w9", "title_abstract", "include")
    built.retrieval("w9", "retrieved")
    built.both("w9", "full_text", "exclude", "no demographics, impacts; or barriers")
    text = to_template_csv(compute(built.store).flow(STAGE_B))
    n = {r["data"]: r["n"] for r in csv.DictReader(io.StringIO(text))}
    assert n["dbr_excluded"] == "no demographics – impacts – or barriers, 1"
    # what the PRISMA2020 package does with the cell: split on ';', the name ends at ','
    entries = [e.split(",")[0] for e in n["dbr_excluded"].split(";")]
    assert entries == ["no demographics – impacts – or barriers"]
