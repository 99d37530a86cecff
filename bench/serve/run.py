"""`rea serve` benchmark: 50,000 works, 8 reviewers deciding at once over HTTP on loopback.

Builds a fresh review in a temporary folder (8 screeners, a fifth of the works double-screened),
starts `rea serve` in its own process on a free loopback port, gives each reviewer a personal
link, and lets 8 client threads (one per reviewer, each with its own HTTP connection and
cookies) screen as fast as the server answers: each request records a decision and returns the
next work's page data. Prints, over all decisions:
- the time from sending a decision to holding the next work's data (median, p95, max);
- decisions per second, and errors (non-200 answers, or a next work that was already decided);
- lost decisions (answered 200 but not in the store) and doubled ones (more than one standing
  decision row per reviewer and work), read from the store after the server stopped.

Target: p95 < 100 ms, 0 errors, 0 lost or doubled. Run it alone under `nice -n 10`.
Titles and abstracts come from ../shared/data/screening (real records, cycled) when present,
otherwise generated text is used (the message says which).
"""

from __future__ import annotations

import csv
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from rea.config import ReviewPaths  # noqa: E402
from rea.pipeline.serve import invite  # noqa: E402
from rea.records import AbstractSection, Author, Provenance, Record  # noqa: E402
from rea.store import open_store  # noqa: E402
from rea.store.records import add_records  # noqa: E402
from rea.store.works import create_work, link_record  # noqa: E402

N_WORKS = 50_000
REVIEWERS = [f"R{k}" for k in range(1, 9)]
DECISIONS_EACH = int(os.environ.get("REA_BENCH_DECISIONS", "250"))
TIME_LIMIT = 240.0  # seconds: the clients stop by then whatever they have done
SHARED_DATA = Path(os.environ.get("REA_SHARED_DATA", REPO.parent / "shared" / "data"))
SHARED = SHARED_DATA / "screening" / "synergy_v1_Nagtegaal_2019.csv"
STRATEGY = REPO / "searches" / "pcn-rea" / "strategy.toml"

SCREENING = (
    "blind = true\nmaybe_counts_as_include = true\n"
    'criteria = ["Collaboration between general practices"]\n'
    'exclusion_words = ["commissioning", "dental"]\n'
    + "".join(f'[[reviewers]]\nname = "{r}"\nroles = ["screener"]\n' for r in REVIEWERS)
    + '[[reviewers]]\nname = "ADJ"\nroles = ["adjudicator"]\n'
    + "[phases.title_abstract]\ndouble_screen_share = 0.2\n"
    + "[phases.full_text]\ndouble_screen_share = 1.0\nreason_required = true\n"
    + '[[exclusion_reasons]]\ncode = "not-gp"\nlabel = "Not about general practices"\n'
    + '[[exclusion_reasons]]\ncode = "wrong-design"\nlabel = "Wrong design"\n'
)


def texts() -> list[tuple[str, str]]:
    if SHARED.is_file():
        with SHARED.open(encoding="utf-8") as f:
            rows = [(r["title"], r["abstract"]) for r in csv.DictReader(f) if r["title"]]
        print(f"titles and abstracts: {len(rows)} real records from {SHARED.name}, cycled")
        return rows
    print("titles and abstracts: generated (../shared/data/screening not found)")
    words = [
        "primary",
        "care",
        "network",
        "general",
        "practice",
        "federation",
        "collaboration",
        "cost",
        "impact",
    ]
    return [
        (
            " ".join(words[(i + k) % len(words)] for k in range(12)),
            " ".join(words[(i * k) % len(words)] for k in range(220)),
        )
        for i in range(500)
    ]


def build(folder: Path) -> ReviewPaths:
    folder.mkdir(parents=True)
    (folder / "strategy.toml").write_text(STRATEGY.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "screening.toml").write_text(SCREENING, encoding="utf-8")
    paths = ReviewPaths(folder)
    source = texts()
    started = time.perf_counter()
    with open_store(paths.store) as store:
        with store.transaction() as conn:  # one finished search run, current for both sources
            conn.execute(
                "INSERT INTO runs (run_id, started_at, finished_at, rea_version, path)"
                " VALUES ('bench', '2026-01-01', '2026-01-01', 'bench', 'runs/bench')"
            )
            conn.executemany(
                "INSERT INTO run_searches (run_id, stage, source, query, fetched_count, manifest,"
                " finished_at) VALUES ('bench', '2013-2018-all', :s, '', 0, '', '2026-01-01')",
                [{"s": "pubmed"}, {"s": "scopus"}],
            )
        records = [
            Record(
                provenance=Provenance(("pubmed", "scopus")[i % 2], "2013-2018-all", "bench"),
                title=source[i % len(source)][0],
                abstract=(AbstractSection(source[i % len(source)][1]),),
                authors=tuple(Author(f"Author{k}", "A") for k in range(5)),
                journal="BMJ Open",
                year=2013 + i % 6,
                pmid=str(20_000_000 + i),
            )
            for i in range(N_WORKS)
        ]
        ids = add_records(store, records)
        with store.transaction() as conn:
            for record_id in ids:
                link_record(conn, record_id, create_work(conn), rule="first")
    print(f"store of {N_WORKS:,} works built in {time.perf_counter() - started:.1f} s")
    return paths


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Reviewer(threading.Thread):
    """One reviewer's browser: opens the link, then decides work after work."""

    def __init__(self, name: str, link: str, base: str, start: threading.Barrier) -> None:
        super().__init__(name=f"bench-{name}", daemon=True)
        self.reviewer, self.link, self.base, self.start_line = name, link, base, start
        self.times: list[float] = []
        self.opened = 0.0
        self.errors: list[str] = []
        self.decided: list[int] = []

    def run(self) -> None:
        http = requests.Session()
        try:
            http.get(self.link, timeout=60)
            page = http.get(f"{self.base}/screen/title_abstract", timeout=60).text
            match = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page)
            if not match:
                self.errors.append("no CSRF token on the screening page")
                return
            headers = {"X-CSRF-Token": match.group(1)}
            started = time.perf_counter()
            data = http.get(f"{self.base}/api/screen/title_abstract?fresh=1", timeout=120).json()
            self.opened = time.perf_counter() - started
        except requests.RequestException as exc:
            self.errors.append(f"opening: {exc}")
            return
        self.start_line.wait()
        deadline = time.monotonic() + TIME_LIMIT
        seen: set[int] = set()
        for i in range(DECISIONS_EACH):
            if data.get("work") is None or time.monotonic() > deadline:
                break
            work = int(data["work"]["work_id"])
            if i % 10 < 6:
                body = {"work_id": work, "decision": "exclude", "reason": "not-gp"}
            else:
                body = {"work_id": work, "decision": "include" if i % 10 < 9 else "maybe"}
            started = time.perf_counter()
            try:
                answer = http.post(
                    f"{self.base}/api/screen/title_abstract/decide",
                    json=body,
                    headers=headers,
                    timeout=60,
                )
            except requests.RequestException as exc:
                self.errors.append(f"work {work}: {exc}")
                continue
            elapsed = time.perf_counter() - started
            if answer.status_code != 200:
                self.errors.append(f"work {work}: HTTP {answer.status_code} {answer.text[:200]}")
                continue
            self.times.append(elapsed)
            self.decided.append(work)
            seen.add(work)
            data = answer.json()
            if data.get("work") and int(data["work"]["work_id"]) in seen:
                self.errors.append(f"work {data['work']['work_id']} shown again after deciding")


def time_pages(paths: ReviewPaths, base: str) -> list[tuple[str, float]]:
    """One load of each other page, as a screener (R1) and as the adjudicator sees it."""
    out = []
    for who, name, path in (
        ("R1", "progress", "/progress"),
        ("R1", "my decisions", "/decisions"),
        ("R1", "my decisions searched", "/decisions?q=federation&decision=exclude"),
        ("ADJ", "conflicts", "/conflicts/title_abstract"),
    ):
        http = requests.Session()
        http.get(invite(paths, who, base_url=base).url, timeout=60)
        started = time.perf_counter()
        answer = http.get(base + path, timeout=300)
        elapsed = time.perf_counter() - started
        out.append((f"{name} ({who}, HTTP {answer.status_code})", elapsed))
    return out


def start_server(paths: ReviewPaths) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rea", "serve", "--review", str(paths.root), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        match = re.search(r"at (http://127\.0\.0\.1:\d+)", line)
        if match:
            return proc, match.group(1)
    raise SystemExit(f"rea serve did not start (exit {proc.wait()})")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        paths = build(Path(tmp) / "searches" / "bench")
        proc, base = start_server(paths)
        try:
            start_line = threading.Barrier(len(REVIEWERS) + 1)
            clients = [
                Reviewer(r, invite(paths, r, base_url=base).url, base, start_line)
                for r in REVIEWERS
            ]
            for c in clients:
                c.start()
            start_line.wait(timeout=600)
            started = time.perf_counter()
            for c in clients:
                c.join(TIME_LIMIT + 120)
            wall = time.perf_counter() - started
            pages = time_pages(paths, base)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)
        times = [t for c in clients for t in c.times]
        errors = [e for c in clients for e in c.errors]
        answered = sum(len(c.decided) for c in clients)
        opened = [c.opened for c in clients]
        with sqlite3.connect(paths.store) as conn:
            rows = conn.execute(
                "SELECT count(*), count(DISTINCT reviewer || ':' || work_id) FROM decisions"
                " WHERE via = 'web'"
            ).fetchone()
            stored = {
                (str(r), int(w))
                for r, w in conn.execute("SELECT reviewer, work_id FROM standing_decisions")
            }
        lost = sum(1 for c in clients for w in c.decided if (c.reviewer, w) not in stored)
        doubled = int(rows[0]) - int(rows[1])
        print(
            f"{len(REVIEWERS)} reviewers, {N_WORKS:,} works: queues opened in "
            f"median {statistics.median(opened) * 1000:.0f} ms, max {max(opened) * 1000:.0f} ms"
        )
        if not times:
            print(f"no decision answered; errors: {errors[:5]}")
            return 1
        p95 = percentile(times, 0.95)
        print(
            f"decision → next work's page data ({len(times)} decisions over HTTP): "
            f"median {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
            f"max {max(times) * 1000:.1f} ms (target: p95 < 100 ms)"
        )
        print(
            f"throughput: {answered / wall:.1f} decisions/s with {len(REVIEWERS)} reviewers at "
            f"once; errors: {len(errors)}; lost: {lost}; doubled: {doubled}"
        )
        print("other pages, after the decisions: " + ", ".join(
            f"{name} {seconds * 1000:.0f} ms" for name, seconds in pages
        ))  # fmt: skip
        for e in errors[:5]:
            print(f"  error: {e}")
        return 0 if not errors and not lost and not doubled else 1


if __name__ == "__main__":
    sys.exit(main())
