"""A command that waits longer than the busy timeout for the review's store says which command
holds it and what to do, in one Error line and a hint; never a traceback."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import FIXTURES, REPO, invoke

HOLD = """
import sys
from rea.store import open_store
review = sys.argv[1]
sys.argv = ["rea", "dedup", "--review", review]   # how a user started the holding command
store = open_store(review + "/store.sqlite")
with store.transaction() as conn:
    conn.execute("INSERT INTO works (created_at) VALUES ('now')")
    print("holding", flush=True)
    sys.stdin.readline()                             # until the test lets go
print("released", flush=True)
"""


def review(tmp_path: Path) -> Path:
    root = tmp_path / "searches" / "pcn-rea"
    root.mkdir(parents=True)
    for name in ("strategy.toml", "screening.toml"):
        shutil.copyfile(REPO / "searches" / "pcn-rea" / name, root / name)
    shutil.copyfile(FIXTURES / "stores" / "v4-ranking.sqlite", root / "store.sqlite")
    invoke(["screen", "stats", "--review", str(root)])  # migrated before anyone holds it
    return root


@contextmanager
def held_by_another_command(root: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None and process.stdin is not None
        assert process.stdout.readline().strip() == "holding"
        yield process
        if process.poll() is not None:
            return  # the test killed it
        process.stdin.write("\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == "released"
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


DECIDE = ["decide", "4", "include", "--phase", "title_abstract", "--reviewer", "JS"]


def test_a_held_review_names_the_command_holding_it(tmp_path: Path) -> None:
    root = review(tmp_path)
    with held_by_another_command(root) as holder:
        result = invoke([*DECIDE, "--review", str(root)], env={"REA_BUSY_TIMEOUT": "0.3"})
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert lines[0].startswith("Error: ")
        assert f"`rea dedup --review {root}` (process {holder.pid}, since " in lines[0]
        assert "has held its store for more than 0.3 s" in lines[0]
        assert lines[1].startswith("Hint: wait for `rea dedup")
        assert f"kill {holder.pid}" in lines[1]
        assert "Traceback" not in result.stderr
    # once it is released the note is gone and the same command goes through
    assert not (root / "store.sqlite-holder").exists()
    result = invoke([*DECIDE, "--review", str(root)], env={"REA_BUSY_TIMEOUT": "0.3"})
    assert result.exit_code == 0, result.stderr


def test_a_review_held_by_another_program_says_so(tmp_path: Path) -> None:
    root = review(tmp_path)
    other = sqlite3.connect(root / "store.sqlite", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        result = invoke([*DECIDE, "--review", str(root)], env={"REA_BUSY_TIMEOUT": "0.2"})
    finally:
        other.rollback()
        other.close()
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "the review is busy: another program has held its store for more than 0.2 s" in (
        result.stderr
    )


def test_a_stale_note_of_a_killed_command_does_not_block(tmp_path: Path) -> None:
    root = review(tmp_path)
    with held_by_another_command(root) as holder:
        holder.kill()  # kill -9 while holding: SQLite releases the lock, the note stays
        holder.wait()
        assert (root / "store.sqlite-holder").exists()
        result = invoke([*DECIDE, "--review", str(root)], env={"REA_BUSY_TIMEOUT": "0.3"})
        assert result.exit_code == 0, result.stderr
        # the killed command's insert was rolled back
        with sqlite3.connect(root / "store.sqlite") as conn:
            assert conn.execute("SELECT count(*) FROM works").fetchone()[0] == 8


def test_a_bad_busy_timeout_is_an_error_line(tmp_path: Path) -> None:
    root = review(tmp_path)
    result = invoke([*DECIDE, "--review", str(root)], env={"REA_BUSY_TIMEOUT": "soon"})
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: REA_BUSY_TIMEOUT must be a number of seconds")
    assert os.environ.get("REA_BUSY_TIMEOUT") is None
