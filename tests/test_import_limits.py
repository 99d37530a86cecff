"""Hostile and outsized imports: a size limit with a clear message (a 2 GB file refused at
once), control characters removed with a count, files read as streams (records one at a time),
and a killed import that leaves nothing behind the next import does not clean."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rea.config import format_size, parse_size
from rea.errors import ConfigError, ImportFormatError
from rea.pipeline.imports import import_file
from rea.records import Provenance
from rea.sources.readers import detect, read_file
from rea.sources.readers.bibtex import CHUNK_ENTRIES
from tests.helpers import REPO, invoke
from tests.sources_support import STAGE, make_review

PROVENANCE = Provenance(source="test", stage=STAGE)


def ris(n: int, *, title: str = "Federations of general practices {i}") -> str:
    return "".join(
        f"TY  - JOUR\nTI  - {title.format(i=i)}\nAU  - Smith, J\nPY  - 2015\n"
        f"DO  - 10.9999/x.{i}\nER  - \n\n"
        for i in range(n)
    )


def test_a_2_gb_file_is_refused_at_once(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    huge = tmp_path / "huge.ris"
    with huge.open("wb") as handle:  # sparse: 2 GB long, nothing on disk
        handle.truncate(2 * 1024**3)
    started = time.monotonic()
    result = invoke(
        ["import", str(huge), "--source", "scopus", "--stage", STAGE, "--review", str(paths.root)]
    )
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {huge}: the file is 2.0 GB, above the import limit")
    assert "--max-size" in result.stderr and "REA_IMPORT_MAX_SIZE" in result.stderr
    assert not paths.store.exists() or _count(paths.store, "records") == 0
    assert not any(paths.imports.glob("*")) if paths.imports.exists() else True


def test_the_limit_is_set_by_environment_and_option(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    export = tmp_path / "small.ris"
    export.write_text(ris(3), encoding="utf-8")
    argv = ["import", str(export), "--source", "scopus", "--stage", STAGE]
    argv += ["--review", str(paths.root)]
    result = invoke(argv, env={"REA_IMPORT_MAX_SIZE": "100"})
    assert result.exit_code == 1 and "above the import limit of 100 bytes" in result.stderr
    result = invoke([*argv, "--max-size", "1K"], env={"REA_IMPORT_MAX_SIZE": "100"})
    assert result.exit_code == 0, result.stderr
    bad = invoke([*argv, "--force", "--max-size", "lots"])
    assert bad.exit_code == 1 and "not a size: 'lots'" in bad.stderr


def test_sizes_read_and_written() -> None:
    assert parse_size("512M") == 512 * 1024**2
    assert parse_size("2G") == parse_size("2 GB") == parse_size("2gib") == 2 * 1024**3
    assert parse_size("1.5K") == 1536 and parse_size("700") == 700
    assert format_size(2 * 1024**3) == "2.0 GB" and format_size(512 * 1024**2) == "512 MB"
    with pytest.raises(ConfigError):
        parse_size("-1G")


def test_control_characters_are_removed_and_counted(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    export = tmp_path / "dirty.ris"
    text = ris(2, title="Net\x00works\x00 in \x1b[31mEngland\x1b[0m {i}\x07")
    export.write_bytes(text.replace("PY  - 2015", "PY  - 20\x0015").encode("utf-8"))
    result = invoke(
        ["import", str(export), "--source", "scopus", "--stage", STAGE, "--review", str(paths.root)]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(
        "Warning: removed 12 control characters from the text (NUL ×6, ESC ×4, BEL ×2)"
    )
    conn = sqlite3.connect(paths.store)
    titles = [r[0] for r in conn.execute("SELECT title FROM records ORDER BY record_id")]
    years = {r[0] for r in conn.execute("SELECT year FROM records")}
    conn.close()
    assert titles == ["Networks in [31mEngland[0m 0", "Networks in [31mEngland[0m 1"]
    assert years == {2015}
    raw = paths.root / next(p for p in paths.imports.iterdir()).relative_to(paths.root)
    assert raw.read_bytes() == export.read_bytes()  # the kept copy is the file as it came


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.ris", ris(1)),
        ("a.nbib", "PMID- 1\nTI  - Federations\nDP  - 2015\n\nPMID- 2\nTI  - Networks\n"),
        ("a.txt", "FN Clarivate\nVR 1.0\nPT J\nTI Federations\nPY 2015\nUT WOS:1\nER\nEF\n"),
        ("a.csv", "title,year\nFederations,2015\nNetworks,2016\n"),
    ],
)
def test_every_reader_removes_a_nul_byte(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text.replace("Federations", "Fede\x00rations"), encoding="utf-8")
    read = read_file(path, detect(path), PROVENANCE)
    assert read.removed == {"NUL": 1}
    assert read.records[0].title.startswith("Federations")


def test_a_bad_byte_is_located_while_streaming(tmp_path: Path) -> None:
    path = tmp_path / "latin1.ris"
    path.write_bytes(ris(3).encode("utf-8").replace(b"practices 2", b"pr\xe4ctices 2"))
    with pytest.raises(ImportFormatError) as caught:
        read_file(path, "ris", PROVENANCE)
    # record 3 starts on line 15; its title is line 16, "pr" at columns 30-31
    assert caught.value.message() == f"{path}:16:32: not UTF-8 (byte 0xe4)"


def test_bibtex_is_read_in_chunks_with_its_strings_and_lines(tmp_path: Path) -> None:
    n = CHUNK_ENTRIES * 2 + 50
    entries = [
        f"@article{{k{i},\n  title = {{Federations {i}}},\n  journal = bjgp,\n"
        f"  author = {{Smith, J}},\n  year = {{{2015 if i != n - 3 else 'soon'}}}\n}}\n"
        for i in range(n)
    ]
    path = tmp_path / "big.bib"
    path.write_text('@string{bjgp = "Br J Gen Pract"}\n\n' + "\n".join(entries), encoding="utf-8")
    with pytest.raises(ImportFormatError) as caught:
        read_file(path, "bibtex", PROVENANCE)
    year_line = 3 + 7 * (n - 3) + 4  # entries from line 3, 7 lines each; year is the 5th
    assert caught.value.message().startswith(f"{path}:{year_line} field year: no year")
    path.write_text(path.read_text(encoding="utf-8").replace("{soon}", "{2016}"), "utf-8")
    records = read_file(path, "bibtex", PROVENANCE).records
    assert len(records) == n
    assert {r.journal for r in records} == {"Br J Gen Pract"}
    assert [r.title for r in records[::100]] == [f"Federations {i}" for i in range(0, n, 100)]


def _count(store: Path, table: str) -> int:
    conn = sqlite3.connect(store)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_a_killed_import_leaves_nothing_the_next_one_does_not_clean(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    big = tmp_path / "big.ris"
    big.write_text(ris(8_000), encoding="utf-8")
    small = tmp_path / "small.ris"
    small.write_text(ris(2, title="Networks {i}"), encoding="utf-8")
    argv = [sys.executable, "-m", "rea", "import", str(big), "--source", "scopus"]
    argv += ["--stage", STAGE, "--review", str(paths.root)]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    subprocess.run(argv, cwd=REPO, env=env, check=True, capture_output=True)
    span = time.monotonic() - started
    assert _count(paths.store, "records") == 8_000
    rng = random.Random(7)
    for i in range(5):
        other = tmp_path / f"big{i}.ris"  # new bytes each time: a new kept copy
        other.write_text(ris(8_000, title=f"Federations {i}" + " {i}"), encoding="utf-8")
        argv[4] = str(other)
        process = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.2, 1.0) * span)
        process.send_signal(signal.SIGKILL)
        process.wait()
        conn = sqlite3.connect(paths.store)
        partial = conn.execute(
            "SELECT count(*) FROM imports AS i WHERE n_records <>"
            " (SELECT count(*) FROM records AS r WHERE r.import_id = i.import_id)"
        ).fetchone()[0]
        stray = conn.execute(
            "SELECT count(*) FROM records WHERE import_id NOT IN (SELECT import_id FROM imports)"
        ).fetchone()[0]
        conn.close()
        assert (partial, stray) == (0, 0)  # whole imports only
        # the next import tidies what the killed one left
        import_file(paths, small, source=f"embase{i}", stage=STAGE, force=True, add_source=True)
        left = sorted(p.name for p in paths.imports.iterdir())
        conn = sqlite3.connect(paths.store)
        named = sorted(Path(r[0]).name for r in conn.execute("SELECT DISTINCT path FROM imports"))
        conn.close()
        assert left == named, "a temporary or orphan copy is left in imports/"
