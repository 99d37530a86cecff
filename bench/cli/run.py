"""Benchmark: how long a `rea` command takes to start, as a user runs it (a new process).

Start-up is what every command pays before it does its work: the interpreter and the imports
of the CLI (heavy libraries — scipy, pandas, scikit-learn, lxml, jinja2, Biopython, CairoSVG,
WeasyPrint — are imported only where they are used). The target is under 0.5 s. Each command
runs 7 times; the median and the slowest are printed. The commands that do work run on a copy
of the reference review's queries only (no store), so they measure start-up plus a small job.

Prints its figures; reads only files in the repository.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNS = 7
TARGET = 0.5

COMMANDS = (
    ["--version"],
    ["--help"],
    ["prisma", "--help"],
    ["screen", "stats", "--help"],
    ["report", "--help"],
    ["query", "render", "--db", "pubmed", "--stage", "2013-2018-all"],
    ["query", "lint"],
)


def main() -> int:
    rea = Path(sys.executable).with_name("rea")
    launcher = [str(rea)] if rea.exists() else [sys.executable, "-m", "rea"]
    with tempfile.TemporaryDirectory() as tmp:
        review = Path(tmp) / "searches" / "pcn-rea"
        review.mkdir(parents=True)
        shutil.copy(REPO / "searches" / "pcn-rea" / "strategy.toml", review)
        env = {**os.environ, "REA_REVIEW": str(review)}
        print(f"{'command':<58} {'median':>8} {'slowest':>8}")
        worst = 0.0
        for args in COMMANDS:
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                subprocess.run(
                    [*launcher, *args], cwd=tmp, env=env, check=True, capture_output=True
                )
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            worst = max(worst, median)
            print(f"rea {' '.join(args):<54} {median:7.3f}s {max(times):7.3f}s")
    verdict = "within" if worst < TARGET else "OVER"
    print(f"slowest median {worst:.3f} s: {verdict} the {TARGET} s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
