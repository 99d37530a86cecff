"""The interactive screen driven by real keystrokes on a pseudo-terminal, a kill -9 in the
middle of a session, and two processes deciding on the same store at once."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from rea.config import ReviewPaths
from rea.pipeline import screening as pipeline
from rea.screening import Phase
from tests.helpers import REPO
from tests.screening_support import PtyProcess, make_review, run_in_pty, wait_until

TA = Phase.TITLE_ABSTRACT


def decisions(paths: ReviewPaths, reviewer: str) -> list[tuple[int, str, str, str, str]]:
    with sqlite3.connect(paths.store) as conn:
        rows = conn.execute(
            "SELECT work_id, decision, reason, via, queue_order FROM decisions"
            " WHERE reviewer = ? ORDER BY decision_id",
            (reviewer,),
        ).fetchall()
    return [tuple(r) for r in rows]


def count(paths: ReviewPaths, sql: str) -> int:
    with sqlite3.connect(paths.store) as conn:
        return int(conn.execute(sql).fetchone()[0])


def screen(paths: ReviewPaths, reviewer: str = "AH") -> PtyProcess:
    return run_in_pty(
        [
            "screen",
            "--review",
            str(paths.root),
            "--phase",
            "title_abstract",
            "--reviewer",
            reviewer,
        ],
        cwd=paths.root.parent.parent,
    )


def test_screening_with_keystrokes_from_first_work_to_quit(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 5, share=1.0)
    pipeline.decide(paths, 1, "exclude", phase=TA, reviewer="MS", reason="commissioning-only",
                    note="secret-note-of-MS")  # fmt: skip
    n = lambda: len(decisions(paths, "AH"))  # noqa: E731
    term = screen(paths)
    try:
        term.expect("Study 00001 of")
        term.expect("1 of 5")
        term.expect("Found by: ")
        term.send("?")
        term.expect("Eligibility criteria")
        term.send("x")  # back to the work
        term.send("i")
        wait_until(lambda: n() == 1)
        term.send("e")
        term.expect("Exclude: why?")
        term.send("2")
        wait_until(lambda: n() == 2)
        term.send("n")
        term.send("check the methods\r")
        wait_until(lambda: count(paths, "SELECT count(*) FROM screening_notes") == 1)
        term.send("m")
        wait_until(lambda: n() == 3)
        term.send("s")  # skip work 4
        term.expect("work 4 skipped")
        term.send("i")  # work 5
        wait_until(lambda: n() == 4)
        term.send("u")  # undo work 5: it is shown again
        wait_until(lambda: n() == 5)
        term.send("e")
        term.send("\r")  # exclude without a reason (allowed at title/abstract)
        wait_until(lambda: n() == 6)
        term.send("i")  # work 4, the skipped one, comes back last
        wait_until(lambda: n() == 7)
        term.expect("All works in your queue are screened")
        term.send("q")
        assert term.wait() == 0
    finally:
        term.close()
    assert b"AH: 5 of 5 screened at title/abstract." in term.output
    assert b"Warning" not in term.output
    # the strategy's collaborat* is drawn highlighted (reverse video) in the abstract
    assert re.search(rb"\x1b\[[0-9;]*;7mcollaborate\x1b", term.output)
    assert b"secret-note-of-MS" not in term.output  # blind: nothing of MS's is shown
    assert decisions(paths, "AH") == [
        (1, "include", "", "screen", "id"),
        (2, "exclude", "commissioning-only", "screen", "id"),
        (3, "maybe", "", "screen", "id"),
        (5, "include", "", "screen", "id"),
        (5, "undo", "", "screen", ""),
        (5, "exclude", "", "screen", "id"),
        (4, "include", "", "screen", "id"),
    ]
    with sqlite3.connect(paths.store) as conn:
        note = conn.execute("SELECT work_id, reviewer, note FROM screening_notes").fetchone()
    assert note == (3, "AH", "check the methods")


def test_kill_9_loses_at_most_the_decision_being_typed(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 8, share=0.0)
    mine = sorted(
        w for w, r in _assignments(paths) if r == "AH"
    )  # AH's half of the works, by the stable hash
    assert len(mine) >= 4, mine
    term = screen(paths)
    try:
        term.expect(f"Study {mine[0]:05d} of")
        for i in range(3):
            term.send("i")
            wait_until(lambda i=i: len(decisions(paths, "AH")) == i + 1)
        term.send("e")  # a decision half typed: the reason is not picked yet
        term.expect("Exclude: why?")
        term.kill9()
    finally:
        term.close()
    assert [d[:2] for d in decisions(paths, "AH")] == [(w, "include") for w in mine[:3]]
    with sqlite3.connect(paths.store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    term = screen(paths)
    try:
        term.expect(f"Study {mine[3]:05d} of")  # the first work not decided
        term.expect(f"4 of {len(mine)}")
        term.send("q")
        assert term.wait() == 0
    finally:
        term.close()
    assert len(decisions(paths, "AH")) == 3


def _assignments(paths: ReviewPaths) -> list[tuple[int, str]]:
    from rea.screening import ensure_assignments, load_screening_config
    from rea.store import open_store
    from rea.store.screening import assignments

    with open_store(paths.store) as store:
        ensure_assignments(store, load_screening_config(paths.screening), TA)
        return assignments(store, TA.value)


WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from rea.config import ReviewPaths
    from rea.pipeline.screening import decide
    from rea.screening import Phase

    root, start, plan = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
    paths = ReviewPaths(root)
    while time.time() < start:
        time.sleep(0.001)
    for item in plan:
        reviewer, decision, first, last = item.split(":")
        for work in range(int(first), int(last) + 1):
            decide(paths, work, decision, phase=Phase.TITLE_ABSTRACT, reviewer=reviewer)
    """
)


def test_two_processes_deciding_at_once_lose_and_double_nothing(tmp_path: Path) -> None:
    import time

    n = 120
    paths = make_review(tmp_path, n, share=1.0)
    start = time.time() + 1.5
    plans = [
        [f"AH:include:1:{n}", f"MS:exclude:1:{n // 2}"],
        [f"MS:exclude:1:{n}", f"AH:include:1:{n // 2}"],  # overlaps the other process
    ]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(paths.root), str(start), *plan],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for plan in plans
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    ah = decisions(paths, "AH")
    ms = decisions(paths, "MS")
    assert sorted(w for w, *_ in ah) == list(range(1, n + 1))  # none lost, none doubled
    assert sorted(w for w, *_ in ms) == list(range(1, n + 1))
    assert {d[1] for d in ah} == {"include"} and {d[1] for d in ms} == {"exclude"}
    stats = pipeline.screening_stats(paths)[0]
    assert stats.conflicts == n
    assert [(r.reviewer, r.screened, r.remaining) for r in stats.reviewers] == [
        ("AH", n, 0),
        ("MS", n, 0),
    ]


def test_full_text_screen_needs_a_reason_and_asks_the_study_type(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 3, share=1.0)
    for work in (1, 2):
        for reviewer in ("AH", "MS"):
            pipeline.decide(paths, work, "include", phase=TA, reviewer=reviewer)
    pipeline.set_retrieval(paths, 1, "retrieved", by="AH", location="pdfs/w1.pdf")
    term = run_in_pty(
        ["screen", "--review", str(paths.root), "--phase", "full_text", "--reviewer", "AH"],
        cwd=tmp_path,
    )
    try:
        term.expect("Study 00001 of")
        term.expect("pdfs/w1.pdf")
        term.expect("1 of 2")  # work 3 is not included at title/abstract: not in full text
        term.send("i")
        term.expect("Study type of the work just included?")
        term.send("p")
        wait_until(lambda: count(paths, "SELECT count(*) FROM study_types") == 1)
        term.send("e")
        term.expect("Exclude: why?")
        term.send("\r")
        term.expect("an exclusion here needs a reason")
        term.send("3")  # no-full-text, offered at full text only
        wait_until(
            lambda: count(paths, "SELECT count(*) FROM decisions WHERE phase = 'full_text'") == 2
        )
        term.send("q")
        assert term.wait() == 0
    finally:
        term.close()
    with sqlite3.connect(paths.store) as conn:
        rows = conn.execute(
            "SELECT work_id, decision, reason FROM decisions WHERE phase = 'full_text'"
        ).fetchall()
        types = conn.execute("SELECT work_id, study_type, recorded_by FROM study_types").fetchall()
    assert rows == [(1, "include", ""), (2, "exclude", "no-full-text")]
    assert types == [(1, "primary", "AH")]


def test_a_long_work_scrolls_on_a_small_terminal(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 1, share=0.0)
    term = run_in_pty(
        ["screen", "--review", str(paths.root), "--phase", "title_abstract", "--reviewer",
         _assignments(paths)[0][1]],
        cwd=tmp_path,
        rows=10,
    )  # fmt: skip
    try:
        term.expect("rows 5 of 8 · space: more")
        assert b"RESULTS" not in term.output
        term.send(" ")
        term.expect("RESULTS: ")
        term.expect("end · b: back")
        term.send("b")
        # only what changed is redrawn: the "more" hint comes back over the "end" one
        wait_until(lambda: (term.read(0.05), term.output.count(b"space: more"))[1] >= 2)
        term.send("q")
        assert term.wait() == 0
    finally:
        term.close()
