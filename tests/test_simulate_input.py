"""``rea simulate`` reads labelled sets as users have them, or refuses them with an Error line.

Every file here is built by the test: one kind of input per test (an ASReview LAB export, a
partly labelled file, float labels, separators, encodings, files that are not CSV at all).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rea.cli import main
from rea.errors import ImportFormatError
from rea.pipeline.simulate import read_labelled_csv

ROWS = [
    ("Nudging physicians to prescribe generics", "A default order set changed prescribing.", 1),
    ("Mouse kinase pathways", "Protein binding in tumour cells.", 0),
    ("Peer comparison letters for antibiotic use", "Feedback reduced prescriptions.", 1),
    ("Receptor expression in plasma", "Enzyme assay of a cohort.", 0),
    ("Électronic alerts and guideline adherence", "Décision support for clinicians.", 1),
    ("Gene sequencing of mutations", "", 0),
]


def _csv(rows: list[list[str]], sep: str = ",") -> str:
    def cell(value: str) -> str:
        if any(c in value for c in (sep, '"', "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(sep.join(cell(v) for v in row) + "\r\n" for row in rows)


def _plain(label_header: str = "included", labels: list[str] | None = None) -> list[list[str]]:
    values = labels if labels is not None else [str(x) for _, _, x in ROWS]
    return [["title", "abstract", label_header]] + [
        [t, a, v] for (t, a, _), v in zip(ROWS, values, strict=True)
    ]


def test_asreview_lab_export_is_read_without_naming_its_label_column(tmp_path: Path) -> None:
    # ASReview LAB's export: record_id first, its own label column, empty label = not screened
    header = ["record_id", "title", "abstract", "authors", "asreview_label", "asreview_time"]
    rows = [header]
    for i, (title, abstract, label) in enumerate(ROWS):
        rows.append([str(i), title, abstract, "Smith, J.", str(label), "2024-05-01 10:00:00"])
    rows.append(["6", "An unscreened record", "Not labelled yet.", "Doe, A.", "", ""])
    rows.append(["7", "Another unscreened record", "", "", "", ""])
    path = tmp_path / "asreview_export.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    data = read_labelled_csv(path)
    assert data.label_column == "asreview_label"
    assert data.labels == (True, False, True, False, True, False)
    assert data.unlabelled == 2
    assert data.texts[0] == f"{ROWS[0][0]} {ROWS[0][1]}"


def test_partly_labelled_file_skips_and_counts_unlabelled_rows(tmp_path: Path) -> None:
    path = tmp_path / "partly.csv"
    path.write_text(_csv(_plain(labels=["1", "", "1", "NA", "1", "0"])), encoding="utf-8")
    data = read_labelled_csv(path)
    assert data.labels == (True, True, True, False)
    assert data.unlabelled == 2
    # the CLI says so, beside the figures
    result = CliRunner().invoke(
        main, ["simulate", str(path), "--seeds", "1", "--svg", str(tmp_path / "c.svg")]
    )
    assert result.exit_code == 0, result.output
    assert "2 rows without a label (not screened) were left out" in result.output


def test_a_file_with_no_label_at_all_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "unscreened.csv"
    path.write_text(_csv(_plain(labels=[""] * len(ROWS))), encoding="utf-8")
    result = CliRunner().invoke(main, ["simulate", str(path)])
    assert result.exit_code == 1
    assert f"Error: {path}:2 field included: none of the 6 rows has a label" in result.output
    assert "Hint: simulate needs screened records" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == [path]  # no SVG written


def test_labels_written_as_floats_are_read(tmp_path: Path) -> None:
    path = tmp_path / "floats.csv"
    path.write_text(_csv(_plain(labels=["1.0", "0.0", "1.0", "0", "1", "0.00"])), "utf-8")
    assert read_labelled_csv(path).labels == (True, False, True, False, True, False)
    bad = tmp_path / "bad.csv"
    bad.write_text(_csv(_plain(labels=["1.0", "0.0", "0.5", "0", "1", "0"])), "utf-8")
    with pytest.raises(ImportFormatError) as caught:
        read_labelled_csv(bad)
    assert caught.value.message().endswith(
        "bad.csv:4 field included: label '0.5' is not 1/0, true/false, yes/no or include/exclude"
    )


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated_files_are_read(tmp_path: Path, sep: str) -> None:
    rows = _plain()
    rows[1][1] = "Costs fell by 2,5 %; prescriptions too."  # the other separators inside a field
    path = tmp_path / "sep.csv"
    path.write_text(_csv(rows, sep), encoding="utf-8")
    data = read_labelled_csv(path)
    assert data.separator == sep
    assert data.labels == (True, False, True, False, True, False)
    assert "2,5 %; prescriptions" in data.texts[0]


def test_wrong_field_count_names_the_separator_read(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("title;abstract;included\nA;B;1\nC;D,E;0;extra\n", encoding="utf-8")
    with pytest.raises(ImportFormatError) as caught:
        read_labelled_csv(path)
    assert "mixed.csv:3: row has 4 fields, the header 3" in caught.value.message()
    assert caught.value.hint is not None and "semicolon-separated" in caught.value.hint


def test_latin1_file_is_read_with_its_accents(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(_csv(_plain(), ";").encode("latin-1"))
    data = read_labelled_csv(path)
    assert data.encoding == "windows-1252"
    assert data.texts[4].startswith("Électronic alerts")
    result = CliRunner().invoke(
        main, ["simulate", str(path), "--seeds", "1", "--svg", str(tmp_path / "c.svg")]
    )
    assert result.exit_code == 0, result.output
    assert "read as windows-1252 (the file is not valid UTF-8)" in result.output


def test_utf8_with_byte_order_mark_finds_its_first_column(tmp_path: Path) -> None:
    rows = _plain()
    rows[0] = ["title", "abstract", "label_included"]  # the BOM sits before "title"
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv(rows).encode("utf-8"))
    data = read_labelled_csv(path)
    assert data.label_column == "label_included"
    assert data.texts[4].startswith("Électronic")


def test_utf16_tab_separated_excel_text_is_read(tmp_path: Path) -> None:
    # Excel's "Unicode text": UTF-16 with a byte order mark, tab separated
    path = tmp_path / "excel.txt"
    path.write_bytes(_csv(_plain(), "\t").encode("utf-16"))
    data = read_labelled_csv(path)
    assert (data.encoding, data.separator) == ("utf-16", "\t")
    assert data.labels == (True, False, True, False, True, False)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "book.csv:1: an Excel workbook (or another zip file)"),
        (b"title,included\nA,1\nB\x00\x00,0\n", "book.csv:3: the file holds NUL bytes"),
        (b"\xff\xfet\x00i\x00t\x00\x00\xd8", "book.csv: starts as UTF-16 but byte"),
        (b"   \n\n", "book.csv:1: the file is empty"),
    ],
)
def test_files_that_are_not_text_csv_are_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "book.csv"
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["simulate", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output
    assert "Traceback" not in result.output


def test_json_reports_what_was_read(tmp_path: Path) -> None:
    path = tmp_path / "partly.csv"
    path.write_bytes(_csv(_plain(labels=["1", "", "1", "0", "1", "0"]), "\t").encode("latin-1"))
    result = CliRunner().invoke(
        main, ["simulate", str(path), "--seeds", "1", "--json", "--svg", str(tmp_path / "c.svg")]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["label_column"] == "included"
    assert data["unlabelled_rows_skipped"] == 1
    assert data["encoding"] == "windows-1252"
    assert data["records"] == 5
