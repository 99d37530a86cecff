"""Every CSV rea writes opens in a real spreadsheet (LibreOffice Calc, headless) without running a
formula, however hostile the records' titles, sources and notes; the text is all still there.

Without LibreOffice the test skips locally and fails when ``CI=true`` (CI installs it through
``.ci/system-packages``).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rea.files import FORMULA_STARTS, csv_text, from_spreadsheet_cell, spreadsheet_cell
from rea.store import open_store
from tests.helpers import REPO, invoke
from tests.prisma_support import STAGE_B, Builder
from tests.screening_support import SCREENING_TOML

#: Cells that a spreadsheet runs (or would run, in Excel) as a formula.
HOSTILE = [
    "=1+1",
    '=HYPERLINK("http://example.org/x","click me")',
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is missing: .ci/system-packages installs it")
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def convert(files: list[Path], out: Path) -> dict[str, str]:
    """Open every CSV in LibreOffice Calc at once and save it as flat OpenDocument XML."""
    profile = out / "profile"
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "fods",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return {f.name: (out / f"{f.stem}.fods").read_text(encoding="utf-8") for f in files}


def hostile_review(root: Path) -> Path:
    """A finished review whose titles, one source's name and the notes are formulas."""
    folder = root / "searches" / "hostile"
    folder.mkdir(parents=True)
    shutil.copyfile(REPO / "searches" / "pcn-rea" / "strategy.toml", folder / "strategy.toml")
    (folder / "screening.toml").write_text(
        SCREENING_TOML.format(maybe="true", share="1.0"), encoding="utf-8"
    )
    with open_store(folder / "store.sqlite") as store:
        b = Builder(store)
        for i, text in enumerate(HOSTILE):
            b.record(f"w{i}", "pubmed", STAGE_B, title=text)
        b.record("w0", HOSTILE[1], STAGE_B, title=HOSTILE[0])  # a source named as a formula
        with store.transaction() as conn:  # run-1 is the finished search of each source
            conn.execute(
                "INSERT OR IGNORE INTO run_searches (run_id, stage, source, query, fetched_count,"
                " manifest, finished_at) SELECT DISTINCT run_id, stage, source, 'q', 1,"
                " 'runs/run-1/manifest.json', '2026-01-01T00:00:00+00:00' FROM records"
            )
    r = ["--review", str(folder)]
    ta, ft = ["--phase", "title_abstract"], ["--phase", "full_text"]
    for i, note in enumerate(HOSTILE):
        work = str(i + 1)
        decision = "include" if i == 0 else "exclude"
        reason = [] if i == 0 else ["--reason", "not-gp-collaboration"]
        for reviewer in ("AH", "MS"):
            done = invoke(
                ["decide", work, decision, *ta, "--reviewer", reviewer, "--note", note, *reason, *r]
            )
            assert done.exit_code == 0, done.stderr
    retrieved = ["fulltext", "1", "retrieved", "--location", "w1.pdf", "--by", "AH", *r]
    assert invoke(retrieved).exit_code == 0
    for reviewer in ("AH", "MS"):
        assert invoke(["decide", "1", "include", *ft, "--reviewer", reviewer, *r]).exit_code == 0
    assert invoke(["study-type", "1", "primary", "--by", "AH", *r]).exit_code == 0
    return folder


def test_every_csv_export_opens_in_a_spreadsheet_without_a_formula(tmp_path: Path) -> None:
    folder = hostile_review(tmp_path)
    r = ["--review", str(folder)]
    exports = tmp_path / "exports"
    exports.mkdir()
    made = {
        "screen.csv": ["screen", "export", "--all-reviewers", "--out"],
        "screen-ah.csv": ["screen", "export", "--reviewer", "AH", "--out"],
        "dedup.csv": ["dedup", "export", "--format", "csv", "--out"],
        "prisma.csv": ["prisma", "--csv"],
    }
    for name, args in made.items():
        result = invoke([*args, str(exports / name), *r])
        assert result.exit_code == 0, f"{name}: {result.stderr}"
    # the same hostile cells written without rea's care: the spreadsheet must run these
    control = exports / "control.csv"
    with control.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["title"], *([h] for h in HOSTILE)])
    opened = convert([*(exports / n for n in made), control], tmp_path / "opened")

    assert "table:formula=" in opened["control.csv"]  # the check can fail
    for name in made:
        assert "table:formula=" not in opened[name], f"{name} holds a formula"
    # nothing was lost: the text of every hostile cell is in the exports a spreadsheet shows
    for name in ("screen.csv", "dedup.csv"):
        with (exports / name).open(encoding="utf-8", newline="") as handle:
            cells = {from_spreadsheet_cell(c) for row in csv.reader(handle) for c in row}
        for text in HOSTILE:
            assert text.replace("\r", "\n") in cells, f"{name} lost {text!r}"
    prisma = (exports / "prisma.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in prisma


def test_the_screening_export_reads_back_as_it_was(tmp_path: Path) -> None:
    """rea's own CSV goes back in unchanged: the quote it added is taken off again."""
    folder = hostile_review(tmp_path)
    out = tmp_path / "ah.csv"
    r = ["--review", str(folder)]
    assert invoke(["screen", "export", "--reviewer", "AH", "--out", str(out), *r]).exit_code == 0
    result = invoke(["screen", "import", str(out), *r])
    assert result.exit_code == 0, result.stderr
    assert "0 decisions stored" in result.stdout or "unchanged" in result.stdout


def test_every_formula_start_is_quoted_and_only_those() -> None:
    for start in FORMULA_STARTS:
        written = start.replace("\r", "\n")
        assert spreadsheet_cell(start + "x") == "'" + written + "x"
        assert from_spreadsheet_cell(spreadsheet_cell(start + "x")) == written + "x"
    for safe in ("Primary care networks", "1998", "'quoted already", "", "x=1"):
        assert spreadsheet_cell(safe) == safe
        assert from_spreadsheet_cell(safe) == safe


def test_control_characters_never_reach_a_csv() -> None:
    text = csv_text(["title"], [["A \x1b[31mred\x1b[0m title\x00 with\x07 a bell\x9b"]])
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text)
    assert "A [31mred[0m title with a bell" in text


def test_every_csv_writer_goes_through_the_one_helper() -> None:
    """Any later CSV writer uses rea.files.csv_text too: nothing else in the package writes CSV
    (the demo's sample builder writes the *input* files a grey-literature export would be)."""
    allowed = {REPO / "rea" / "files.py", REPO / "rea" / "demo" / "build_sample.py"}
    found = []
    for path in sorted((REPO / "rea").rglob("*.py")):
        if path in allowed:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\bcsv\.writer\(", r"\bcsv\.DictWriter\(", r"\.to_csv\("):
            if re.search(pattern, text):
                found.append(f"{path.relative_to(REPO)}: {pattern}")
    assert found == []
