"""`rea dedup …` as a user runs it: in a subprocess, including the interactive review."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rispy

from rea.store import dedup as db
from rea.store import open_store
from tests.dedup_support import PCN_PUBMED, PCN_SCOPUS, PCN_WOS, add, make_review, variant
from tests.helpers import REPO, run_cli

DOUBTFUL = variant(PCN_SCOPUS, doi="10.3399/bjgp20X999999", source_id="doubtful")


def _review(tmp_path: Path) -> tuple[Path, list[int]]:
    paths = make_review(tmp_path)
    ids = add(paths, [PCN_PUBMED, PCN_SCOPUS, PCN_WOS, DOUBTFUL])
    return paths.root, ids


def test_dedup_prints_the_counts(tmp_path: Path) -> None:
    root, _ = _review(tmp_path)
    result = run_cli(["dedup", "--review", str(root)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "records: 4" in out and "works: 2" in out and "duplicates removed: 2" in out
    assert "  scopus: 2 records, 1 duplicates removed" in out
    assert "new records joining already-screened works: 0" in out
    assert "pairs waiting for review: 1" in out


def test_explain_undo_and_export(tmp_path: Path) -> None:
    root, ids = _review(tmp_path)
    run_cli(["dedup", "--review", str(root)], cwd=tmp_path)
    with open_store(root / "store.sqlite") as store:
        work = db.links(store)[ids[0]]
    result = run_cli(["dedup", "explain", str(work), "--review", str(root)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"work {work}: 3 record(s)" in result.stdout
    assert f"record {ids[0]} [pubmed]" in result.stdout and "rule first" in result.stdout
    assert f"matched to record {ids[0]}" in result.stdout and "title 1" in result.stdout
    result = run_cli(
        ["dedup", "undo", str(ids[2]), "--reviewer", "JS", "--review", str(root)], cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert f"record {ids[2]} left work {work}" in result.stdout
    out = tmp_path / "works.ris"
    result = run_cli(
        ["dedup", "export", "--format", "ris", "--out", str(out), "--review", str(root)],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "3 works written" in result.stdout
    with out.open(encoding="utf-8-sig") as handle:
        assert len(rispy.load(handle)) == 3


def test_errors_are_one_line(tmp_path: Path) -> None:
    root, _ = _review(tmp_path)
    run_cli(["dedup", "--review", str(root)], cwd=tmp_path)
    result = run_cli(["dedup", "explain", "999", "--review", str(root)], cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "Error: no work 999"
    assert "Traceback" not in result.stderr
    result = run_cli(
        [
            "dedup",
            "review",
            "--decide",
            "1",
            "1",
            "merge",
            "--reviewer",
            "JS",
            "--review",
            str(root),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: record 1: a record cannot be compared with itself")


def test_review_non_interactive_decision(tmp_path: Path) -> None:
    root, ids = _review(tmp_path)
    run_cli(["dedup", "--review", str(root)], cwd=tmp_path)
    result = run_cli(
        [
            "dedup",
            "review",
            "--decide",
            str(ids[0]),
            str(ids[3]),
            "merge",
            "--reviewer",
            "JS",
            "--review",
            str(root),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "merged work" in result.stdout
    result = run_cli(["dedup", "--review", str(root)], cwd=tmp_path)
    assert "works: 1" in result.stdout and "pairs waiting for review: 0" in result.stdout


def test_review_reads_keys_from_stdin(tmp_path: Path) -> None:
    root, ids = _review(tmp_path)
    run_cli(["dedup", "--review", str(root)], cwd=tmp_path)
    result = run_cli(
        ["dedup", "review", "--reviewer", "JS", "--review", str(root)],
        cwd=tmp_path,
        input="x\ns\n",
    )
    assert result.returncode == 0, result.stderr
    assert "*doi" in result.stdout  # the differing field is marked
    assert "please press m, s, n or q" in result.stdout
    assert "1 decision(s) stored" in result.stdout
    with open_store(root / "store.sqlite") as store:
        decisions = db.current_decisions(store)
    assert [(d.decision, d.decided_by) for d in decisions] == [("separate", "JS")]
    assert ids[3] in (decisions[0].record_a, decisions[0].record_b)


def test_review_in_a_terminal_single_keys(tmp_path: Path) -> None:
    root, ids = _review(tmp_path)
    run_cli(["dedup", "--review", str(root)], cwd=tmp_path)
    try:
        leader, follower = pty.openpty()
    except OSError as exc:  # a machine without pseudo-terminals
        pytest.skip(f"no pseudo-terminal: {exc}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rea", "dedup", "review", "--reviewer", "JS", "--review", str(root)],
        cwd=REPO,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "COLUMNS": "100"},
    )
    os.close(follower)
    seen = b""

    def read_until(marker: bytes, timeout: float = 30) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(leader, 4096)
                except OSError:
                    break
        assert marker in seen, seen.decode(errors="replace")

    read_until(b"q=quit >")
    # one key, no Enter; the terminal switches to raw mode after the prompt and drops what was
    # typed before, as a real terminal does, so the key is pressed again until it is taken
    for _ in range(20):
        os.write(leader, b"m")
        try:
            read_until(b"decision(s) stored", timeout=1)
            break
        except AssertionError:
            continue
    read_until(b"decision(s) stored")
    proc.wait(timeout=30)
    os.close(leader)
    assert proc.returncode == 0
    assert b"merged work" in seen
    with open_store(root / "store.sqlite") as store:
        links = db.links(store)
    assert links[ids[3]] == links[ids[0]]


def test_explain_shows_an_erratum_as_related_to_its_article(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from rea.cli import main

    paths = make_review(tmp_path)
    erratum = variant(
        PCN_PUBMED,
        pmid="32600001",
        doi="",
        title="Correction to: Primary care networks in England: a qualitative study of early "
        "implementation [Br J Gen Pract 2020;70(697):e567-74]",
        issue="699",
        pages="e700",
        publication_types=("Published Erratum",),
    )
    ids = add(paths, [PCN_PUBMED, PCN_SCOPUS, erratum])
    runner = CliRunner()
    assert runner.invoke(main, ["dedup", "--review", str(paths.root)]).exit_code == 0
    with open_store(paths.store) as store:
        links = db.links(store)
    article_work, erratum_work = links[ids[0]], links[ids[2]]
    assert article_work != erratum_work and links[ids[1]] == article_work
    shown = runner.invoke(
        main, ["dedup", "explain", str(article_work), "--review", str(paths.root)]
    )
    assert shown.exit_code == 0, shown.output
    assert (
        f"related erratum: record {ids[2]} [pubmed, work {erratum_work}], kept apart, about "
        f"record {ids[0]}: Correction to: Primary care networks"
    ) in shown.stdout
    back = runner.invoke(main, ["dedup", "explain", str(erratum_work), "--review", str(paths.root)])
    assert f"related article: record {ids[0]} [pubmed, work {article_work}]" in back.stdout
