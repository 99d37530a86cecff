"""The report in a real headless browser: it loads, its diagrams show the JSON's numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rea.prisma import compute
from rea.report import ReferenceView, ReportContext, flow_svg, format_reference, write_report
from tests.browser_support import measure
from tests.prisma_support import STAGE_A, STAGE_B, known_store

EVIL = "<script>document.body.setAttribute('data-pwned','1')</script><b>PCN</b> & networks"


def expected_numbers(flow: dict[str, Any]) -> dict[str, int]:
    ident, dbr, oth, inc = (
        flow["identification"],
        flow["databases"],
        flow["other_methods"],
        flow["included"],
    )
    out = {
        "database_results": ident["databases_total"],
        "register_results": 0,
        "duplicates": ident["duplicates"],
        "excluded_automatic": ident["excluded_automatic"],
        "excluded_other": ident["excluded_other"],
        "records_screened": dbr["records_screened"],
        "records_excluded": dbr["records_excluded"],
        "dbr_sought_reports": dbr["reports_sought"],
        "dbr_notretrieved_reports": dbr["reports_not_retrieved"],
        "dbr_assessed": dbr["reports_assessed"],
        "dbr_excluded": dbr["reports_excluded_total"],
        "other_sought_reports": oth["reports_sought"],
        "other_notretrieved_reports": oth["reports_not_retrieved"],
        "other_assessed": oth["reports_assessed"],
        "other_excluded": oth["reports_excluded_total"],
        "new_studies": inc["studies"],
        "new_reports": inc["reports"],
    }
    if ident["other_methods"]:
        out["other_identified_works"] = oth["identified_works"]
        out["other_not_sought"] = oth["not_sought"]
    optional = {
        "other_awaiting": oth["awaiting"],
        "awaiting_screening": dbr["awaiting_screening"],
        "dbr_awaiting": dbr["reports_awaiting"],
        "other_reports_awaiting": oth["reports_awaiting"],
    }
    out.update({k: v for k, v in optional.items() if v})
    out.update({f"database:{k}": v for k, v in ident["databases"].items()})
    out.update({f"other:{k}": v for k, v in ident["other_methods"].items()})
    out.update({f"dbr_excluded:{k}": v for k, v in dbr["reports_excluded"].items()})
    out.update({f"other_excluded:{k}": v for k, v in oth["reports_excluded"].items()})
    return out


def context(tmp_path: Path, title: str = "Primary care networks") -> tuple[ReportContext, Any]:
    built = known_store(tmp_path / "store.sqlite")
    counts = compute(built.store, stages=[STAGE_A, STAGE_B])
    ctx = ReportContext(
        review_id="pcn-rea",
        title=title,
        prospero="CRD42018110790",
        rea_version="0.1.0",
        generated_at="2026-01-01T00:00:00+00:00",
        flows=[f.as_dict() for f in counts.flows()],
        stage_labels={STAGE_A: "1998–2012, reviews", STAGE_B: "2013–2018, all designs"},
        total_rule=counts.rule,
        agreement=[a.as_dict() for a in counts.agreement],
        included={"review": [ReferenceView(1, "Smith J. A review. BMJ 2012;344:e980.")]},
    )
    return ctx, counts


@pytest.mark.slow
def test_report_loads_and_diagrams_show_the_json_numbers(tmp_path: Path) -> None:
    ctx, counts = context(tmp_path)
    files = write_report(ctx, tmp_path / "report")
    seen = measure(files.html)
    svgs = {s["flow"]: s for s in seen["svgs"]}  # type: ignore[attr-defined]
    assert set(svgs) == {STAGE_A, STAGE_B, "total"}
    for flow in counts.flows():
        svg = svgs[flow.label]
        assert svg["display"] != "none" and svg["visibility"] == "visible"
        assert svg["width"] > 600 and svg["height"] > 300
        assert svg["boxes"] >= 12
        expected = expected_numbers(flow.as_dict())
        shown = {k: v["n"] for k, v in svg["numbers"].items() if not k.startswith("type:")}
        assert shown == expected
        for key, value in svg["numbers"].items():
            if not key.startswith("type:"):
                assert f"(n\u00a0=\u00a0{value['n']})" in value["text"], key
    assert svgs["total"]["numbers"]["new_studies"]["n"] == 4


@pytest.mark.slow
def test_html_in_the_title_is_shown_as_text(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, title=EVIL)
    files = write_report(ctx, tmp_path / "report")
    html = files.html.read_text(encoding="utf-8")
    assert "<script>document" not in html
    seen = measure(files.html)
    assert seen["h1"] == EVIL
    assert seen["title"] == EVIL
    assert seen["pwned"] is False


def test_svg_files_stand_alone(tmp_path: Path) -> None:
    ctx, counts = context(tmp_path)
    files = write_report(ctx, tmp_path / "report")
    assert [p.name for p in files.svgs] == [
        f"flow-{STAGE_A}.svg",
        f"flow-{STAGE_B}.svg",
        "flow-total.svg",
    ]
    import xml.etree.ElementTree as ET

    root = ET.parse(files.svgs[-1]).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    numbers = {
        el.get("data-box"): int(el.get("data-n") or -1)
        for el in root.iter()
        if el.get("data-box") and not str(el.get("data-box")).startswith("type:")
    }
    assert numbers == expected_numbers(counts.total.as_dict())


def test_reason_text_is_escaped_in_the_svg() -> None:
    flow = {
        "label": "x",
        "identification": {
            "databases": {"pubmed": 1},
            "databases_total": 1,
            "other_methods": {},
            "other_methods_total": 0,
            "duplicates": 0,
            "excluded_automatic": 0,
            "excluded_other": 0,
        },
        "databases": {
            "records_screened": 1,
            "records_excluded": 0,
            "reports_sought": 1,
            "reports_not_retrieved": 0,
            "reports_assessed": 1,
            "reports_excluded": {"<img src=x onerror=alert(1)>": 1},
            "reports_excluded_total": 1,
        },
        "other_methods": {
            "reports_sought": 0,
            "reports_not_retrieved": 0,
            "reports_assessed": 0,
            "reports_excluded": {},
            "reports_excluded_total": 0,
        },
        "included": {"studies": 0, "reports": 0, "by_type": {"review": 0}},
    }
    svg = flow_svg(flow)
    assert "<img" not in svg and "&lt;img" in svg


def test_reference_format_of_scopus_initials_and_reports() -> None:
    assert (
        format_reference(
            [("Soares", "C.B."), ("Breton", "M.")], "Mandated networks?", "Lond J Prim Care", 2014
        )
        == "Soares CB, Breton M. Mandated networks? Lond J Prim Care 2014."
    )
    assert (
        format_reference(
            [("Rosen", "Rebecca")], "Is bigger better?", "", 2016, publisher="Nuffield Trust"
        )
        == "Rosen R. Is bigger better? Nuffield Trust; 2016."
    )


def test_reference_format() -> None:
    text = format_reference(
        [("Smith", "JA"), ("Mays", "N")],
        "GP led commissioning: time for a cool appraisal",
        "BMJ",
        2012,
        "344",
        "",
        "e980",
        "10.1136/bmj.e980",
    )
    assert text == (
        "Smith JA, Mays N. GP led commissioning: time for a cool appraisal. BMJ 2012;344:e980. "
        "doi:10.1136/bmj.e980"
    )


def test_missing_browser_fails_in_ci_and_skips_locally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.browser_support import chromium

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium is not installed"):
        chromium()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        chromium()
