"""Importing export files: real exports of each format, one malformed file per format with the
exact error location, duplicates, and all-or-nothing storage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rea.errors import DuplicateImport, ImportFormatError
from rea.pipeline.imports import import_file
from rea.records import SourceKind
from rea.sources.readers import detect
from rea.store import open_store
from rea.store.records import iter_records
from tests.helpers import run_cli
from tests.sources_support import EXPORTS, OTHER_STAGE, PUBMED, STAGE, make_review

WOS_TAB_HEADER = "PT\tAU\tAF\tTI\tSO\tLA\tDT\tDE\tAB\tSN\tPY\tVL\tIS\tBP\tEP\tDI\tPM\tUT\t"
WOS_TAB_ROWS = [
    "J\tParkes-Loach, PS; Majeed, AP\tParkes-Loach, PS; Majeed, AP\tInteractions stabilizing "
    "the core light-harvesting complex\tBIOCHEMISTRY\tEnglish\tArticle\tLH1; B820\tAbstract "
    "text.\t0006-2960\t2004\t43\t23\t7003\t7016\t10.1021/bi049798f\t15170338\t"
    "WOS:000221807500019\t",
    "J\tCao, WX; Ye, X\tCao, WX; Ye, X\tProximal and distal influences on ligand binding\t"
    "BIOCHEMISTRY\tEnglish\tArticle\t\t\t0006-2960\t2004\t43\t23\t7017\t7027\t10.1021/bi0497291\t"
    "15170339\tWOS:000221807500020\t",
]

OVID = """<1>
VN  - Ovid Technologies
DB  - Ovid MEDLINE(R) ALL
UI  - 34853009
TI  - Primary care networks in England: an early
      evaluation of the first two years
FA  - Smith, John
FA  - Jones, Anna B
SO  - BMJ. 375:e067126, 2021 12 01.
JN  - BMJ
IS  - 0959-8138
VO  - 375
PG  - e067126
YR  - 2021
LG  - English
PT  - Journal Article
MH  - *Primary Health Care/og [Organization & Administration]
MH  - England
KW  - networks
AB  - Background: networks were set up in 2019.
DO  - https://dx.doi.org/10.1136/bmj-2021-067126

<2>
VN  - Ovid Technologies
DB  - Ovid MEDLINE(R) ALL
UI  - 33246200
TI  - Integrated care and general practice
AU  - Brown C
YR  - 2020
DO  - 10.1000/example.2020.1
"""

GREY = (
    "title,organisation,year,url,type,date_accessed,found_via,notes\n"
    "PCN DES guidance 2020/21,NHS England,2020,https://www.england.nhs.uk/pcn,report,"
    "2021-03-01,NHS England website,\n"
    '"Networks, one year on",The King\'s Fund,2020,https://www.kingsfund.org.uk/x,web page,'
    '2021-03-02,The King\'s Fund website,"mentions PCN, DES"\n'
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _records(paths):  # type: ignore[no-untyped-def]
    with open_store(paths.store) as store:
        return [s.record for s in iter_records(store)]


REAL = [
    ("colrev_psycinfo_ris.ris", "ris", 1),
    ("litstudy_example.ris", "ris", 25),
    ("rispy_example_bom.ris", "ris", 1),
    ("rispy_example_full.ris", "ris", 2),
    ("colrev_nbib_data.nbib", "medline", 1),
    ("colrev_scopus_bib.bib", "bibtex", 11),
    ("colrev_web_of_science_bib.bib", "bibtex", 2),
    ("rispy_example_wos.txt", "wos", 2),
    ("wostools_single-article.txt", "wos", 1),
    ("litstudy_scopus.csv", "scopus-csv", 58),
    ("litstudy_scopus_v2.csv", "scopus-csv", 88),
]


@pytest.mark.parametrize(("name", "fmt", "count"), REAL)
def test_real_exports_are_detected_and_imported(
    tmp_path: Path, name: str, fmt: str, count: int
) -> None:
    paths = make_review(tmp_path)
    result = import_file(paths, EXPORTS / name, source="db", stage=STAGE)
    assert (result.format, result.n_records) == (fmt, count)
    records = _records(paths)
    assert len(records) == count
    assert all(r.provenance.source == "db" and r.provenance.stage == STAGE for r in records)
    assert (paths.root / result.path).read_bytes() == (EXPORTS / name).read_bytes()


@pytest.mark.parametrize("name", ["pubmed_result1.txt", "pubmed_result3.txt"])
def test_single_medline_records_import(tmp_path: Path, name: str) -> None:
    paths = make_review(tmp_path)
    result = import_file(paths, PUBMED / name, source="pubmed-file", stage=STAGE)
    assert (result.format, result.n_records) == ("medline", 1)
    [record] = _records(paths)
    assert record.pmid and record.title and record.authors


def test_medline_text_keeps_ids_authors_and_mesh(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    import_file(paths, PUBMED / "pubmed_result2.txt", source="pubmed-file", stage=STAGE)
    records = _records(paths)
    assert len(records) == 4
    first = records[0]
    assert first.pmid == "16403221" and first.doi == "10.1186/1471-2105-7-10"
    assert first.authors[0].family == "Casbon" and first.year == 2006
    assert "Databases, Protein" in first.mesh


def test_scopus_csv_layouts_give_the_same_fields(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    import_file(paths, EXPORTS / "litstudy_scopus.csv", source="scopus", stage=STAGE)
    import_file(paths, EXPORTS / "litstudy_scopus_v2.csv", source="scopus", stage=OTHER_STAGE)
    records = _records(paths)
    old = next(r for r in records if r.title == "Scalable molecular dynamics with NAMD")
    assert old.authors[0].family == "Phillips" and old.authors[0].given == "J.C."
    assert old.eid.startswith("2-s2.0-") and old.year == 2005
    new = next(r for r in records if r.provenance.stage == OTHER_STAGE)
    assert new.authors[0].family == "Hao" and new.authors[0].given == "Jie"
    assert new.issn == ("0014-0139",)


def test_wos_tab_delimited_ovid_and_grey_csv(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    tab = _write(tmp_path, "savedrecs.txt", "\n".join([WOS_TAB_HEADER, *WOS_TAB_ROWS]) + "\n")
    assert detect(tab) == "wos-tab"
    import_file(paths, tab, source="wos", stage=STAGE)
    ovid = _write(tmp_path, "ovid.txt", OVID)
    assert detect(ovid) == "ovid"
    import_file(paths, ovid, source="ovid", stage=STAGE)
    grey = _write(tmp_path, "grey.csv", GREY)
    assert detect(grey) == "grey-csv"
    import_file(paths, grey, source="nhs-england", stage=STAGE)
    records = _records(paths)
    wos = [r for r in records if r.provenance.source == "wos"]
    assert [r.wos_ut for r in wos] == ["WOS:000221807500019", "WOS:000221807500020"]
    assert wos[0].authors[1].family == "Majeed" and wos[0].pages == "7003-7016"
    ovid_records = [r for r in records if r.provenance.source == "ovid"]
    assert ovid_records[0].pmid == "34853009" and ovid_records[0].doi == "10.1136/bmj-2021-067126"
    assert ovid_records[0].title.endswith("evaluation of the first two years")
    assert ovid_records[0].mesh == ("Primary Health Care", "England")
    grey_records = [r for r in records if r.provenance.source == "nhs-england"]
    assert {r.provenance.kind for r in grey_records} == {SourceKind.OTHER}
    assert grey_records[1].title == "Networks, one year on"
    assert grey_records[1].extra["notes"] == "mentions PCN, DES"


def _ris_missing_er(tmp_path: Path) -> tuple[Path, str]:
    lines = (EXPORTS / "rispy_example_full.ris").read_text(encoding="utf-8").splitlines()
    first_er = next(i for i, line in enumerate(lines) if line.startswith("ER"))
    second_ty = next(i for i, line in enumerate(lines) if i > first_er and line.startswith("TY"))
    del lines[first_er]
    return _write(tmp_path, "bad.ris", "\n".join(lines) + "\n"), f":{second_ty} field TY"


def _medline_junk_line(tmp_path: Path) -> tuple[Path, str]:
    lines = (PUBMED / "pubmed_result3.txt").read_text(encoding="utf-8").splitlines()
    lines.insert(6, "this line is not MEDLINE")
    return _write(tmp_path, "bad.nbib", "\n".join(lines) + "\n"), ":7"


def _bibtex_bad_year(tmp_path: Path) -> tuple[Path, str]:
    text = (EXPORTS / "colrev_web_of_science_bib.bib").read_text(encoding="utf-8-sig")
    text = text.replace("Year = {2022}", "Year = {in press}", 1)
    assert "in press" in text
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "in press" in row)
    return _write(tmp_path, "bad.bib", text), f":{line} field year"


def _wos_bad_year(tmp_path: Path) -> tuple[Path, str]:
    lines = (EXPORTS / "rispy_example_wos.txt").read_text(encoding="utf-8-sig").splitlines()
    py = [i for i, line in enumerate(lines) if line.startswith("PY ")][1]
    lines[py] = "PY forthcoming"
    return _write(tmp_path, "bad.txt", "\n".join(lines) + "\n"), f":{py + 1} field PY"


def _wos_tab_short_row(tmp_path: Path) -> tuple[Path, str]:
    rows = [WOS_TAB_HEADER, WOS_TAB_ROWS[0], "J\tCao, WX\tonly three cells"]
    return _write(tmp_path, "bad-tab.txt", "\n".join(rows) + "\n"), ":3"


def _scopus_csv_bad_year(tmp_path: Path) -> tuple[Path, str]:
    text = (EXPORTS / "litstudy_scopus_v2.csv").read_text(encoding="utf-8-sig")
    marker = '"Gender-specific visual perturbation effects on muscle activation during incline '
    start = text.index(marker)
    end_year = text.index('","', start + len(marker))
    after = text.index('","', end_year + 3)
    text = text[: end_year + 3] + "n.d." + text[after:]
    line = text[:start].count("\n") + 1
    return _write(tmp_path, "bad.csv", text), f":{line} field Year"


def _ovid_stray_text(tmp_path: Path) -> tuple[Path, str]:
    return _write(tmp_path, "bad-ovid.txt", "stray words\n" + OVID), ":1"


def _grey_missing_title(tmp_path: Path) -> tuple[Path, str]:
    text = GREY + ",Healthwatch,2021,https://healthwatch.co.uk,web page,,,\n"
    return _write(tmp_path, "bad-grey.csv", text), ":4 field title"


MALFORMED = {
    "ris": _ris_missing_er,
    "medline": _medline_junk_line,
    "bibtex": _bibtex_bad_year,
    "wos": _wos_bad_year,
    "wos-tab": _wos_tab_short_row,
    "scopus-csv": _scopus_csv_bad_year,
    "ovid": _ovid_stray_text,
    "grey-csv": _grey_missing_title,
}


@pytest.mark.parametrize("fmt", sorted(MALFORMED))
def test_malformed_file_names_file_line_and_field(tmp_path: Path, fmt: str) -> None:
    paths = make_review(tmp_path)
    bad, location = MALFORMED[fmt](tmp_path)
    with pytest.raises(ImportFormatError) as info:
        import_file(paths, bad, source="db", stage=STAGE, format=fmt)
    assert str(info.value.where) == f"{bad}{location}", info.value.message()
    assert not paths.store.exists() or _records(paths) == []
    assert not paths.imports.exists() or not any(paths.imports.iterdir())


def test_same_file_twice_is_refused_unless_forced(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    source = EXPORTS / "rispy_example_full.ris"
    copy = tmp_path / "renamed.ris"
    shutil.copyfile(source, copy)
    import_file(paths, source, source="embase", stage=STAGE)
    with pytest.raises(DuplicateImport, match="imported already"):
        import_file(paths, copy, source="embase", stage=STAGE)
    import_file(paths, copy, source="embase", stage=STAGE, force=True)
    assert len(_records(paths)) == 4


def test_cli_import_prints_and_refuses_duplicates(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    args = [
        "import",
        str(EXPORTS / "wostools_single-article.txt"),
        "--source",
        "wos",
        "--stage",
        STAGE,
        "--review",
        str(paths.root),
    ]
    first = run_cli(args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "imported 1 records" in first.stdout and "(wos;" in first.stdout
    again = run_cli(args, cwd=tmp_path)
    assert again.returncode == 1
    assert again.stderr.startswith("Error: ") and "imported already" in again.stderr
    assert "Hint: pass --force" in again.stderr
    bad = _write(tmp_path, "bad-grey.csv", GREY + ",Healthwatch,2021,,,,,\n")
    broken = run_cli(
        ["import", str(bad), "--source", "hw", "--stage", STAGE, "--review", str(paths.root)],
        cwd=tmp_path,
    )
    assert broken.returncode == 1
    assert f"{bad}:4 field title" in broken.stderr and "Traceback" not in broken.stderr


def test_unknown_stage_is_refused_and_other_sources_count_as_other(tmp_path: Path) -> None:
    from rea.errors import NotFound

    paths = make_review(tmp_path)
    with pytest.raises(NotFound, match=r"no stage '2013-2019-all'.*1998-2012-reviews"):
        import_file(
            paths, EXPORTS / "rispy_example_full.ris", source="embase", stage="2013-2019-all"
        )
    result = import_file(
        paths, EXPORTS / "rispy_example_full.ris", source="citation_searching", stage=STAGE
    )
    assert result.kind == "other"
    assert {r.provenance.kind for r in _records(paths)} == {SourceKind.OTHER}


RIS_WRAPPED = """TY  - JOUR
TI  - Primary care networks in England:
an early evaluation - the first two years
AU  - Smith, John
PY  - 2021
AB  - Networks were set up in 2019.
UK - based practices joined them.
ER  -
"""


@pytest.mark.parametrize(
    ("line", "where", "what"),
    [
        ("TI - Primary care networks", ":3 field TI", "looks like a field but is not a RIS tag"),
        ("au  - Smith, John", ":3 field AU", "looks like a field but is not a RIS tag"),
        ("AU  -Smith, John", ":3 field AU", "looks like a field but is not a RIS tag"),
    ],
)
def test_a_ris_line_that_is_neither_a_tag_nor_a_continuation_is_an_error(
    tmp_path: Path, line: str, where: str, what: str
) -> None:
    paths = make_review(tmp_path)
    text = f"TY  - JOUR\nPY  - 2021\n{line}\nER  - \n"
    bad = _write(tmp_path, "bad.ris", text)
    with pytest.raises(ImportFormatError) as info:
        import_file(paths, bad, source="db", stage=STAGE)
    assert where in info.value.message() and what in info.value.message()
    assert _records(paths) == []


def test_text_under_a_one_line_field_is_an_error_and_wrapped_text_a_continuation(
    tmp_path: Path,
) -> None:
    paths = make_review(tmp_path)
    bad = _write(tmp_path, "bad.ris", "TY  - JOUR\nPY  - 2021\nsome stray words\nER  - \n")
    with pytest.raises(ImportFormatError, match="neither a RIS tag line nor a continuation"):
        import_file(paths, bad, source="db", stage=STAGE)
    good = _write(tmp_path, "wrapped.ris", RIS_WRAPPED)
    import_file(paths, good, source="db", stage=STAGE)
    (record,) = _records(paths)
    assert record.title.startswith("Primary care networks in England:")
    assert "first two years" in record.title
    assert "UK - based practices" in record.abstract_text
