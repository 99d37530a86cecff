"""Runs that cannot end "finished" without their records: a real kill at each step of finishing
a run, a store left behind by an older rea, and two real `rea search` processes sharing one
request rate against a server that enforces it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from rea.cli import main
from rea.config import ReviewPaths, Settings
from rea.errors import ReaError
from rea.pipeline.search import plan_searches, run_searches
from rea.query import load_strategy, render
from rea.sources.replay import ReplayServer
from rea.sources.snapshots import RunDir
from rea.store import open_store
from rea.store.sources import current_record_ids
from tests.sources_support import STRATEGY, make_review, write_pubmed, write_small_pubmed

STAGES = [s.id for s in load_strategy(STRATEGY).stages]


def pubmed_recordings(rec: Path, n: int, *, small: bool = False) -> None:
    """Recordings answering the PubMed search of every stage of the reference strategy."""
    strategy = load_strategy(STRATEGY)
    for number, stage in enumerate(strategy.stages):
        term = render(strategy, "pubmed", stage.id).text
        years = (stage.date_from.year, stage.date_from.year)  # all inside the stage's dates
        first = 90_000_000 + number * 100_000
        if small:
            write_small_pubmed(rec, n, term=term, first_pmid=first, years=years)
        else:
            write_pubmed(rec, n, term=term, first_pmid=first, years=years)


#: a search in a real process that kills itself (SIGKILL) when it reaches one step
KILLER = """
import os, signal, sys
from pathlib import Path
import rea.pipeline.search as pipeline
from rea.config import ReviewPaths, Settings
from rea.errors import ReaError
from rea.pipeline.search import plan_searches, run_searches
from rea.sources.snapshots import RunDir, SourceSnapshot

step = sys.argv[2]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if step == "search-manifest":
    SourceSnapshot.finish = die
elif step == "store-finish":
    pipeline.finish_run = die
elif step == "run-manifest":
    RunDir.finish = die
tasks = pipeline.plan_searches(ReviewPaths(Path(sys.argv[1])), source="pubmed")
pipeline.run_searches(ReviewPaths(Path(sys.argv[1])), tasks)
"""


def killed_at(step: str, paths: ReviewPaths, server: ReplayServer) -> RunDir:
    env = {**os.environ, **server.env(), "NCBI_EMAIL": "info@example.org", "NCBI_API_KEY": "k"}
    process = subprocess.run(
        [sys.executable, "-c", KILLER, str(paths.root), step],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr
    [run] = [RunDir(paths.root, p.name) for p in (paths.root / "runs").iterdir()]
    return run


def current(paths: ReviewPaths) -> int:
    with open_store(paths.store) as store:
        return len(current_record_ids(store))


@pytest.mark.parametrize("step", ["search-manifest", "store-finish", "run-manifest"])
def test_a_kill_at_any_step_leaves_a_resumable_run_or_a_finished_one_with_its_records(
    tmp_path: Path, step: str
) -> None:
    rec = tmp_path / "rec"
    pubmed_recordings(rec, 30)
    paths = make_review(tmp_path)
    runner = CliRunner()
    with ReplayServer(rec) as server:
        run = killed_at(step, paths, server)
        # the invariant: a run whose manifest says finished always has its records current
        assert not run.finished or current(paths) == 60
        if step == "run-manifest":
            # the store finished the run: its records are current at once, and resuming it (or
            # `rea runs`) writes the manifest that the kill interrupted
            assert current(paths) == 60 and not run.finished
            resumed = runner.invoke(
                main, ["search", "--review", str(paths.root), "--resume", run.run_id]
            )
            assert resumed.exit_code == 0, resumed.output
            assert "was finished in the store; its manifest is written" in resumed.stderr
            listed = runner.invoke(main, ["runs", "--review", str(paths.root)])
            assert run.finished and "finished" in listed.stdout
            assert listed.stdout.count("[current]") == 2
        else:
            assert current(paths) == 0  # not finished: nothing of it is used yet
            listed = runner.invoke(main, ["runs", "--review", str(paths.root)])
            assert "INCOMPLETE (rea search --resume" in listed.stdout
            asked = {json.dumps(r.params, sort_keys=True) for r in server.requests}
            resumed = runner.invoke(
                main,
                ["search", "--review", str(paths.root), "--resume", run.run_id],
                env={**server.env(), "NCBI_API_KEY": "k"},
            )
            assert resumed.exit_code == 0, resumed.output
            again = [json.dumps(r.params, sort_keys=True) for r in server.requests]
            assert len(again) > len(asked) or step == "store-finish"
            assert len(set(again)) == len(again)  # stored pages are never asked for again
    assert run.finished and current(paths) == 60
    assert json.loads(run.manifest_path.read_text())["finished_at"]


def test_a_store_finished_after_the_manifest_by_an_older_rea_is_settled(tmp_path: Path) -> None:
    """An older rea wrote the run's manifest before the store: killed between the two, its run
    looked finished but had no current records. Opening the runs settles it."""
    rec = tmp_path / "rec"
    pubmed_recordings(rec, 20)
    paths = make_review(tmp_path)
    runner = CliRunner()
    with ReplayServer(rec) as server:
        done = runner.invoke(
            main,
            ["search", "--review", str(paths.root), "--source", "pubmed"],
            env={**server.env(), "NCBI_API_KEY": "k"},
        )
    assert done.exit_code == 0, done.output
    with sqlite3.connect(paths.store) as conn:  # the state such a kill left
        conn.execute("UPDATE runs SET finished_at = NULL")
    assert current(paths) == 0
    listed = runner.invoke(main, ["runs", "--review", str(paths.root)])
    assert listed.stdout.count("[current]") == 2 and current(paths) == 40


def test_searches_stored_by_an_older_rea_keep_their_current_records(tmp_path: Path) -> None:
    """A store made before completeness was checked: a search short of its count stays the
    current one (the older rea used it), marked as accepted with the number missing."""
    path = tmp_path / "store.sqlite"
    folder = Path(__file__).parents[1] / "rea" / "store" / "migrations"
    [ours] = [int(p.name[:4]) for p in folder.glob("*_search_state.sql")]
    with open_store(path, upto=ours - 1) as store, store.transaction() as conn:
        conn.execute(
            "INSERT INTO runs VALUES ('2020-01-01T000000Z', 'then', 'then', '0.1', 'runs/x')"
        )
        for source, reported, fetched in (("pubmed", 12, 10), ("scopus", 5, 5)):
            conn.execute(
                "INSERT INTO run_searches VALUES ('2020-01-01T000000Z', 's', :source, 'q',"
                " :reported, :fetched, '[]', 'm', 'then')",
                {"source": source, "reported": reported, "fetched": fetched},
            )
            for n in range(fetched):
                conn.execute(
                    "INSERT INTO records (source, source_kind, stage, run_id, source_id)"
                    " VALUES (:source, 'database', 's', '2020-01-01T000000Z', :id)",
                    {"source": source, "id": f"{source}{n}"},
                )
    with open_store(path) as store:
        from rea.store.sources import run_searches

        rows = {r.source: r for r in run_searches(store, "2020-01-01T000000Z")}
        assert len(current_record_ids(store)) == 15
    assert (rows["pubmed"].state.value, rows["pubmed"].missing_count) == ("accepted", 2)
    assert rows["scopus"].state.value == "complete"


def test_two_search_processes_share_the_rate_and_get_no_429(tmp_path: Path) -> None:
    """Two real `rea search` processes of one user against a server that refuses more than
    10 requests in any second: with the shared rate they stay under it."""
    rec = tmp_path / "rec"
    pubmed_recordings(rec, 1000, small=True)  # per process: 2 x (1 esearch + 5 efetch)
    with ReplayServer(rec, rate_limits={"pubmed": 10}) as server:
        processes = []
        for n in range(2):
            paths = make_review(tmp_path / str(n))
            env = {
                **os.environ,
                **server.env(),
                "NCBI_API_KEY": "k" * 36,
                "NCBI_EMAIL": f"process{n}@example.org",  # tells their requests apart
                "REA_STATE_DIR": str(tmp_path / "state"),
            }
            argv = ["search", "--review", str(paths.root), "--source", "pubmed"]
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "rea", *argv],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        outputs = [p.communicate(timeout=300)[1] for p in processes]
        seen = list(server.requests)
        refused = len(server.refused)
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert refused == 0
    spans = [
        [r.at for r in seen if r.params.get("email") == f"process{n}@example.org"] for n in (0, 1)
    ]
    assert all(len(s) == 12 for s in spans)
    assert max(min(s) for s in spans) < min(max(s) for s in spans), "the two never overlapped"
    times = sorted(r.at for r in seen)
    assert len(times) / (times[-1] - times[0]) <= 10


def test_without_the_shared_rate_the_same_two_searches_are_refused(tmp_path: Path) -> None:
    """The control of the test above: the same two searches at once, in two threads of this
    process, each with a rate of its own (another state folder each), exceed the limit."""
    rec = tmp_path / "rec"
    pubmed_recordings(rec, 1000, small=True)
    with ReplayServer(rec, rate_limits={"pubmed": 10}) as server:

        def one(n: int) -> None:
            paths = make_review(tmp_path / str(n))
            env = {
                **server.env(),
                "NCBI_API_KEY": "k" * 36,
                "REA_STATE_DIR": str(tmp_path / str(n)),
            }
            tasks = plan_searches(paths, source="pubmed")
            with contextlib.suppress(ReaError):  # refusals past the retries are fine here
                run_searches(paths, tasks, settings=Settings.from_env(env), sleep=time.sleep)

        threads = [threading.Thread(target=one, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while not server.refused and any(t.is_alive() for t in threads):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        refused = len(server.refused)
        server.clear_faults()
        for thread in threads:
            thread.join(timeout=120)
    assert refused > 0
