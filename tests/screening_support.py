"""Helpers for the screening tests: a review folder with a store of records grouped into works."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

from rea.config import ReviewPaths
from rea.records import AbstractSection, Author, Provenance, Record
from rea.store import open_store
from rea.store.records import add_records
from rea.store.works import create_work, link_record
from tests.helpers import REPO

SCREENING_TOML = """\
blind = true
maybe_counts_as_include = {maybe}
criteria = ["Collaboration between general practices", "Published in English"]
highlight = ["general practice*", "federation*"]

[[reviewers]]
name = "AH"
roles = ["screener"]

[[reviewers]]
name = "MS"
roles = ["screener"]

[[reviewers]]
name = "JS"
roles = ["adjudicator"]

[phases.title_abstract]
double_screen_share = {share}

[phases.full_text]
double_screen_share = 1.0
reason_required = true

[[exclusion_reasons]]
code = "not-gp-collaboration"
label = "Not about collaboration between general practices"

[[exclusion_reasons]]
code = "commissioning-only"
label = "Collaboration for commissioning only"

[[exclusion_reasons]]
code = "no-full-text"
label = "Full text could not be assessed"
phases = ["full_text"]
"""


def work_title(n: int) -> str:
    return f"Study {n:05d} of general practice federations in England"


def review_folder(root: Path, name: str, screening_toml: str) -> ReviewPaths:
    """``root/searches/name`` with ``screening_toml``, the reference review's strategy (its terms
    are highlighted on the screen) and a store holding one finished search run, ``run-1``, of
    PubMed, Scopus and Web of Science in both stages, no records yet."""
    folder = root / "searches" / name
    folder.mkdir(parents=True)
    strategy = REPO / "searches" / "pcn-rea" / "strategy.toml"
    (folder / "strategy.toml").write_text(strategy.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "screening.toml").write_text(screening_toml, encoding="utf-8")
    paths = ReviewPaths(folder)
    with open_store(paths.store) as store, store.transaction() as conn:
        conn.execute(
            "INSERT INTO runs (run_id, started_at, finished_at, rea_version, path)"
            " VALUES ('run-1', '2026-01-01T00:00:00+00:00', '2026-01-01T00:01:00+00:00',"
            " 'test', 'runs/run-1')"
        )
        conn.executemany(
            "INSERT INTO run_searches (run_id, stage, source, query, fetched_count, manifest,"
            " finished_at) VALUES ('run-1', :stage, :source, '', 0, '',"
            " '2026-01-01T00:01:00+00:00')",
            [
                {"stage": stage, "source": source}
                for stage in ("1998-2012-reviews", "2013-2018-all", "all")
                for source in ("pubmed", "scopus", "wos")
            ],
        )
    return paths


def make_review(
    root: Path,
    n_works: int = 6,
    *,
    share: float = 1.0,
    maybe_counts_as_include: bool = True,
    records_per_work: int = 1,
) -> ReviewPaths:
    """A review folder under ``root`` with screening.toml and a store of ``n_works`` works
    (work ids 1..n), each with ``records_per_work`` records (PubMed, then Scopus)."""
    paths = review_folder(
        root,
        "test-rea",
        SCREENING_TOML.format(share=share, maybe=str(maybe_counts_as_include).lower()),
    )
    with open_store(paths.store) as store:
        records = []
        for n in range(1, n_works + 1):
            for k in range(records_per_work):
                source = ("pubmed", "scopus", "wos")[k % 3]
                records.append(
                    Record(
                        provenance=Provenance(source=source, stage="2013-2018-all", run_id="run-1"),
                        title=work_title(n),
                        abstract=(
                            AbstractSection(
                                f"We studied how general practices collaborate in federation {n}.",
                                "BACKGROUND",
                            ),
                            AbstractSection("Networks improved access.", "RESULTS"),
                        ),
                        authors=(Author("Smith", "J"), Author("Sidhu", "M")),
                        journal="Br J Gen Pract",
                        year=2015 + n % 4,
                        pmid=str(30000000 + n),
                    )
                )
        ids = add_records(store, records)
        with store.transaction() as conn:
            for n in range(n_works):
                work = create_work(conn)
                for k in range(records_per_work):
                    link_record(conn, ids[n * records_per_work + k], work, rule="first")
    return paths


def run_in_pty(args: list[str], *, cwd: Path, rows: int = 40, cols: int = 120) -> PtyProcess:
    return PtyProcess(args, cwd=cwd, rows=rows, cols=cols)


class PtyProcess:
    """``python -m rea ARGS`` on a pseudo-terminal: type keys, read what it draws."""

    def __init__(self, args: list[str], *, cwd: Path, rows: int, cols: int) -> None:
        import fcntl
        import pty
        import struct
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "COLUMNS": str(cols)}
        env["PYTHONPATH"] = str(REPO)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rea", *args],
            cwd=cwd,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.output = b""

    def read(self, timeout: float = 0.1) -> bytes:
        got = b""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                break
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
        self.output += got
        return got

    def expect(self, text: str, timeout: float = 20.0) -> None:
        """Wait until ``text`` has been drawn (anywhere since the start)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text.encode() in self.output:
                return
            self.read(0.1)
        tail = self.output[-3000:].decode("utf-8", "replace")
        raise AssertionError(f"{text!r} not shown within {timeout}s; screen tail:\n{tail}")

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait(self, timeout: float = 20.0) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.read(0.1)
            code = self.proc.poll()
            if code is not None:
                self.read(0.2)
                return code
        raise AssertionError("the screen did not exit")

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self.master)


def wait_until(predicate: object, timeout: float = 20.0) -> None:
    """Poll ``predicate()`` until true."""
    assert callable(predicate)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
