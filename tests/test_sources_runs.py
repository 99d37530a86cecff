"""`rea search`, `rea runs`, `rea runs diff` end to end on the reference strategy, over the replay
server: a kill -9 in the middle of a run and --resume, and no secret in any file written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rea.config import ReviewPaths
from rea.query import load_strategy, render
from rea.sources.replay import ReplayServer
from rea.store import open_store
from rea.store.records import iter_records
from tests.helpers import REPO, run_cli
from tests.sources_support import STRATEGY, make_review, replay, write_pubmed, write_scopus

NCBI_KEY = "ncbi-FAKE-KEY-5f3a9c1e7b2d4086"
SCOPUS_KEY = "scopus-FAKE-KEY-8e2b7d4c1a9f3065"
INSTTOKEN = "insttoken-FAKE-1c7e9a3b5d2f4608"
SECRETS = (NCBI_KEY, SCOPUS_KEY, INSTTOKEN)


def write_recordings(rec: Path, n_pubmed: int = 250, n_scopus: int = 30, shift: int = 0) -> None:
    """Recordings answering every stage x API source of the reference strategy; ``shift`` moves
    the window of records (a later run: some records gone, some new)."""
    strategy = load_strategy(STRATEGY)
    for number, stage in enumerate(strategy.stages):
        years = (stage.date_from.year, stage.date_to.year)
        text = render(strategy, "pubmed", stage.id).text
        write_pubmed(
            rec, n_pubmed, term=text, first_pmid=90_000_000 + number * 100_000 + shift, years=years
        )
        query = render(strategy, "scopus", stage.id).text
        write_scopus(rec, n_scopus + number, query=query, years=years)


def env_for(server: ReplayServer) -> dict[str, str]:
    return {
        **server.env(),
        "NCBI_API_KEY": NCBI_KEY,
        "NCBI_EMAIL": "info@example.org",
        "SCOPUS_API_KEY": SCOPUS_KEY,
        "SCOPUS_INSTTOKEN": INSTTOKEN,
    }


def stored(paths: ReviewPaths, run_id: str) -> list[tuple[str, str, str, str, str]]:
    with open_store(paths.store) as store:
        return [
            (
                s.record.provenance.stage,
                s.record.provenance.source,
                s.record.source_id,
                s.record.title,
                s.record.doi,
            )
            for s in iter_records(store)
            if s.record.provenance.run_id == run_id
        ]


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rec = tmp_path_factory.mktemp("rec")
    write_recordings(rec)
    return rec


def test_search_runs_and_no_secret_is_written(tmp_path: Path, recordings: Path) -> None:
    paths = make_review(tmp_path)
    with replay(recordings) as server:
        env = env_for(server)
        result = run_cli(["search", "--review", str(paths.root)], cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        listed = run_cli(["runs", "--review", str(paths.root), "--json"], cwd=tmp_path, env=env)
        imported = run_cli(
            [
                "import",
                str(REPO / "tests/fixtures/sources/exports/rispy_example_wos.txt"),
                "--source",
                "wos",
                "--stage",
                "2013-2018-all",
                "--review",
                str(paths.root),
            ],
            cwd=tmp_path,
            env=env,
        )
        assert imported.returncode == 0, imported.stderr
        sent = [r for r in server.requests if r.service == "pubmed"]
        assert sent and all(r.params["api_key"] == NCBI_KEY for r in sent)
        scopus_sent = [r for r in server.requests if r.service == "scopus"]
        assert scopus_sent and all(r.headers["X-ELS-APIKey"] == SCOPUS_KEY for r in scopus_sent)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("run ")
    assert any(
        "1998-2012-reviews" in line and "pubmed" in line and "250 records of 250" in line
        for line in lines
    )
    assert any(
        "2013-2018-all" in line and "scopus" in line and "31 records of 31" in line
        for line in lines
    )
    runs = json.loads(listed.stdout)
    assert len(runs) == 1 and runs[0]["finished"] is True
    assert {(s["stage"], s["source"]) for s in runs[0]["searches"]} == {
        ("1998-2012-reviews", "pubmed"),
        ("1998-2012-reviews", "scopus"),
        ("2013-2018-all", "pubmed"),
        ("2013-2018-all", "scopus"),
    }
    # the planted keys reached the server but appear in no file written, nor in any output
    written = [p for p in paths.root.rglob("*") if p.is_file()]
    assert len(written) > 20
    for path in written:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret} written to {path}"
    for output in (result.stdout, result.stderr, listed.stdout, imported.stdout):
        assert not any(secret in output for secret in SECRETS)
    meta = next(paths.root.rglob("pages/*.meta.json")).read_text()
    assert '"api_key": "***"' in meta


def test_finished_run_is_never_modified_and_diff_shows_changes(
    tmp_path: Path, recordings: Path
) -> None:
    paths = make_review(tmp_path)
    with replay(recordings) as server:
        first = run_cli(
            ["search", "--review", str(paths.root), "--json"], cwd=tmp_path, env=env_for(server)
        )
    assert first.returncode == 0, first.stderr
    run_a = json.loads(first.stdout)["run_id"]
    before = {p: p.read_bytes() for p in (paths.root / "runs" / run_a).rglob("*") if p.is_file()}
    rec_b = tmp_path / "rec-b"
    write_recordings(rec_b, shift=5)  # five records gone, five new, per PubMed stage
    with replay(rec_b) as server:
        env = env_for(server)
        again = run_cli(
            ["search", "--review", str(paths.root), "--resume", run_a], cwd=tmp_path, env=env
        )
        second = run_cli(["search", "--review", str(paths.root), "--json"], cwd=tmp_path, env=env)
    assert again.returncode == 1
    assert "finished and is never changed" in again.stderr and "Traceback" not in again.stderr
    assert second.returncode == 0, second.stderr
    run_b = json.loads(second.stdout)["run_id"]
    assert run_b != run_a
    after = {p: p.read_bytes() for p in (paths.root / "runs" / run_a).rglob("*") if p.is_file()}
    assert after == before
    diff = run_cli(
        ["runs", "diff", run_a, run_b, "--review", str(paths.root), "--show", "2"], cwd=tmp_path
    )
    assert diff.returncode == 0, diff.stderr
    assert "1998-2012-reviews / pubmed: 250 -> 250 (+5 added, -5 removed)" in diff.stdout
    assert "2013-2018-all / scopus: 31 -> 31 (+0 added, -0 removed)" in diff.stdout
    assert "  + 90000250" in diff.stdout and "  - 90000000" in diff.stdout
    from rea.store.sources import current_record_ids

    with open_store(paths.store) as store:
        current = set(current_record_ids(store))
        by_run = {s.record_id: s.record.provenance.run_id for s in iter_records(store)}
    assert current and {by_run[i] for i in current} == {run_b}
    assert len(current) == sum(1 for r in by_run.values() if r == run_b)


def _search_process(paths: ReviewPaths, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rea", "search", "--review", str(paths.root), *extra],
        cwd=paths.root.parent.parent,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_then_resume_gives_the_same_records(tmp_path: Path, recordings: Path) -> None:
    whole = make_review(tmp_path / "whole")
    cut = make_review(tmp_path / "cut")
    with replay(recordings) as server:
        env = env_for(server)
        done = run_cli(["search", "--review", str(whole.root), "--json"], cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        run_whole = json.loads(done.stdout)["run_id"]

        server.add_fault("slow", service="pubmed", path="efetch.fcgi", after=1, times=-1, delay=2)
        process = _search_process(cut, env)
        deadline = time.monotonic() + 60
        efetch_pages: list[Path] = []
        while time.monotonic() < deadline and len(efetch_pages) < 1:
            time.sleep(0.05)
            efetch_pages = [
                p
                for p in cut.root.glob("runs/*/*/pubmed/pages/*.xml")
                if b"<PubmedArticleSet>" in p.read_bytes()
            ]
        assert efetch_pages, "the search never stored an efetch page"
        time.sleep(0.3)  # the next batch is now in flight, held by the slow fault
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        [run_dir] = list((cut.root / "runs").iterdir())
        assert not (run_dir / "manifest.json").exists()  # incomplete, and it shows
        listed = run_cli(["runs", "--review", str(cut.root)], cwd=tmp_path)
        assert "INCOMPLETE" in listed.stdout

        server.clear_faults()
        stored_before = {p.name for p in run_dir.rglob("pages/*")}
        requests_before = len(server.requests)
        resumed = run_cli(
            ["search", "--review", str(cut.root), "--resume", run_dir.name], cwd=tmp_path, env=env
        )
        assert resumed.returncode == 0, resumed.stderr
        fetched_again = [r for r in server.requests[requests_before:] if r.path == "efetch.fcgi"]
    stored_after = {p.name for p in run_dir.rglob("pages/*")}
    assert stored_before <= stored_after
    first_batch = efetch_pages[0].read_bytes()
    asked_again = {pmid for r in fetched_again for pmid in r.params["id"].split(",")}
    assert not any(
        f'<PMID Version="1">{p}</PMID>'.encode() in first_batch for p in asked_again
    )  # stored pages were not fetched again
    assert (run_dir / "manifest.json").is_file()
    assert stored(cut, run_dir.name) == stored(whole, run_whole)


def test_no_key_and_no_network_say_what_to_set(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    import socket

    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = {
        "SCOPUS_API_KEY": "",
        "NCBI_API_KEY": "",
        "REA_PUBMED_URL": f"{closed}/pubmed",
        "REA_SCOPUS_URL": f"{closed}/scopus",
    }
    no_key = run_cli(["search", "--review", str(paths.root)], cwd=tmp_path, env=env)
    assert no_key.returncode == 1
    assert no_key.stderr.splitlines()[0] == (
        "Error: SCOPUS_API_KEY is not set, so Scopus cannot be searched"
    )
    assert "Hint: get a key at https://dev.elsevier.com" in no_key.stderr
    assert "environment variable SCOPUS_API_KEY" in no_key.stderr  # named, not masked
    offline = run_cli(
        ["search", "--review", str(paths.root), "--source", "pubmed"], cwd=tmp_path, env=env
    )
    assert offline.returncode == 1
    assert "cannot connect" in offline.stderr and "Connection refused" in offline.stderr
    assert "REA_PUBMED_URL" in offline.stderr and "Traceback" not in offline.stderr
