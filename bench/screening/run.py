"""Screening benchmark with 50,000 works.

Measures, on a fresh store in a temporary folder:
- opening a reviewer's session (assigning 50,000 works and building the queue);
- keypress → next work shown: the real screen (prompt_toolkit application, its key bindings,
  the decision written and committed, the next work read and drawn to a terminal-sized
  output), timed from the key reaching the application's input to the end of the next render;
- decisions written per second through the same checked write path as `rea decide`;
- `rea screen stats`, `rea conflicts` and an export over the whole review.

Titles and abstracts come from ../shared/data/screening (real records, cycled) when present,
otherwise generated text is used (the message says which).
"""

from __future__ import annotations

import asyncio
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from prompt_toolkit.data_structures import Size  # noqa: E402
from prompt_toolkit.input import create_pipe_input  # noqa: E402
from prompt_toolkit.output.vt100 import Vt100_Output  # noqa: E402

from rea.cli.screen_tui import ScreenApp  # noqa: E402
from rea.config import ReviewPaths  # noqa: E402
from rea.pipeline.screening import open_screen  # noqa: E402
from rea.records import AbstractSection, Author, Provenance, Record  # noqa: E402
from rea.screening import (  # noqa: E402
    Decision,
    DecisionRequest,
    Phase,
    conflicts,
    export_csv,
    load_screening_config,
    record_decision,
    stats,
    term_pattern,
)
from rea.screening.service import check_decision, write_decision  # noqa: E402
from rea.store import open_store  # noqa: E402
from rea.store.records import add_records  # noqa: E402
from rea.store.works import create_work, link_record  # noqa: E402

N_WORKS = 50_000
KEYPRESSES = 400
WRITES = 2_000
SHARED_DATA = Path(os.environ.get("REA_SHARED_DATA", REPO.parent / "shared" / "data"))
SHARED = SHARED_DATA / "screening" / "synergy_v1_Nagtegaal_2019.csv"

CONFIG = (REPO / "searches" / "pcn-rea" / "screening.toml").read_text()
TERMS = [
    "primary care*", "primary health care*", "general practice", "GP*", "family physician*",
    "family doctor*", "collaborat*", "alliance", "primary care network*", "network*",
    "federation*", "cooperat*", "cluster*", "effective*", "efficien*", "impact*", "cost*",
    "econom*", "review*",
]  # fmt: skip


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
    (folder / "strategy.toml").write_text("# benchmark\n")
    (folder / "screening.toml").write_text(CONFIG)
    paths = ReviewPaths(folder)
    source = texts()
    started = time.perf_counter()
    with open_store(paths.store) as store:
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO runs (run_id, started_at, finished_at, rea_version, path)"
                " VALUES ('bench', '2026-01-01', '2026-01-01', 'bench', 'runs/bench')"
            )
            for db in ("pubmed", "scopus"):  # a finished search: its records are current
                conn.execute(
                    "INSERT INTO run_searches (run_id, stage, source, query, fetched_count,"
                    " manifest, finished_at) VALUES ('bench', '2013-2018-all', :s, '', 0, '',"
                    " '2026-01-01')",
                    {"s": db},
                )
        records = []
        for i in range(N_WORKS):
            title, abstract = source[i % len(source)]
            records.append(
                Record(
                    provenance=Provenance(("pubmed", "scopus")[i % 2], "2013-2018-all", "bench"),
                    title=title,
                    abstract=(AbstractSection(abstract),),
                    authors=tuple(Author(f"Author{k}", "A") for k in range(5)),
                    journal="BMJ Open",
                    year=2013 + i % 6,
                    pmid=str(20_000_000 + i),
                )
            )
        ids = add_records(store, records)
        with store.transaction() as conn:
            for record_id in ids:
                link_record(conn, record_id, create_work(conn), rule="first")
    print(f"store of {N_WORKS:,} works built in {time.perf_counter() - started:.1f} s")
    return paths


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def drive_screen(app: ScreenApp, send: object, n: int) -> tuple[list[float], list[float]]:
    """Press keys like a reviewer; time each decision's key to the next work drawn."""
    rendered = asyncio.Event()
    app.app.after_render += lambda _: rendered.set()
    task = asyncio.ensure_future(app.app.run_async())
    await asyncio.wait_for(rendered.wait(), 30)
    assert callable(send)
    times = []
    cpu = []
    for i in range(n):
        shown = app.session.current
        if i % 10 < 6:  # excluded with a reason: 'e' opens the reasons, the digit decides
            rendered.clear()
            send("e")
            await asyncio.wait_for(rendered.wait(), 30)
            key = str(1 + i % 3)
        else:
            key = "i" if i % 10 < 9 else "m"
        rendered.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        send(key)
        await asyncio.wait_for(rendered.wait(), 30)
        while app.session.current is shown:  # a render may come before the decision's
            rendered.clear()
            await asyncio.wait_for(rendered.wait(), 30)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    send("q")
    await asyncio.wait_for(task, 30)
    return times, cpu


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        paths = build(Path(tmp) / "searches" / "bench")
        config = load_screening_config(paths.screening)

        started = time.perf_counter()
        context = open_screen(paths, Phase.TITLE_ABSTRACT, "JS")
        opened = time.perf_counter() - started
        print(
            f"session opened in {opened * 1000:.0f} ms "
            f"(JS has {context.session.total:,} works of {N_WORKS:,}; "
            f"double-screened share 0.2)"
        )
        with open(os.devnull, "w") as devnull, create_pipe_input() as pipe:
            output = Vt100_Output(devnull, lambda: Size(rows=45, columns=120), term="xterm")
            app = ScreenApp(context, term_pattern(TERMS), input=pipe, output=output)
            times, cpu = asyncio.run(drive_screen(app, pipe.send_text, KEYPRESSES))
        context.close()
        print(
            f"keypress → next work shown ({KEYPRESSES} decisions in the real screen): "
            f"median {statistics.median(times) * 1000:.1f} ms, "
            f"p95 {percentile(times, 0.95) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms "
            f"(target: median < 50 ms); CPU time of it: median "
            f"{statistics.median(cpu) * 1000:.1f} ms, p95 {percentile(cpu, 0.95) * 1000:.1f} ms"
        )

        with open_store(paths.store) as store:
            works = list(range(1, WRITES + 1))
            started = time.perf_counter()
            for w in works:
                record_decision(
                    store, config, DecisionRequest(w, Phase.TITLE_ABSTRACT, "AH", Decision.INCLUDE)
                )
            elapsed = time.perf_counter() - started
            print(
                f"decisions written one by one (checked, one transaction each): "
                f"{WRITES / elapsed:,.0f} per second"
            )

            # fill the review: every work screened by its assigned reviewers
            started = time.perf_counter()
            with store.transaction() as conn:
                rows = conn.execute(
                    "SELECT work_id, reviewer FROM assignments WHERE phase = 'title_abstract'"
                ).fetchall()
                for k, (w, r) in enumerate(rows):
                    decision = (Decision.INCLUDE, Decision.EXCLUDE, Decision.EXCLUDE)[
                        (w * 7 + k) % 3
                    ]
                    request = DecisionRequest(w, Phase.TITLE_ABSTRACT, r, decision)
                    check_decision(conn, config, request)
                    write_decision(conn, config, request, via="import")
            elapsed = time.perf_counter() - started
            print(
                f"decisions written in one transaction (as rea screen import does): "
                f"{len(rows) / elapsed:,.0f} per second ({len(rows):,} decisions)"
            )

            started = time.perf_counter()
            stats(store, config)
            first = time.perf_counter() - started
            runs, cpu_runs = [], []
            for _ in range(3):
                started, started_cpu = time.perf_counter(), time.process_time()
                found = stats(store, config)
                runs.append(time.perf_counter() - started)
                cpu_runs.append(time.process_time() - started_cpu)
            ta = found[0]
            print(
                f"rea screen stats over {ta.works:,} works and "
                f"{sum(r.screened for r in ta.reviewers):,} standing decisions "
                f"(full-text phase: {found[1].works:,} works): median of 3 "
                f"{statistics.median(runs) * 1000:.0f} ms (target < 1 s; CPU time "
                f"{statistics.median(cpu_runs) * 1000:.0f} ms); the first call, which "
                f"also assigns the {found[1].works:,} new full-text works, {first * 1000:.0f} ms"
            )
            started = time.perf_counter()
            open_conflicts = conflicts(store, config)
            print(
                f"rea conflicts ({len(open_conflicts):,} found): "
                f"{(time.perf_counter() - started) * 1000:.0f} ms"
            )
            started = time.perf_counter()
            text = export_csv(store, config)
            print(
                f"rea screen export ({text.count(chr(10)) - 1:,} rows): "
                f"{(time.perf_counter() - started) * 1000:.0f} ms"
            )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(load average while running: {load:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
