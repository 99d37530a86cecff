"""How long `rea demo` takes, step by step (the target: the whole demo in under a minute).

Runs the demo into a temporary folder three times and prints the wall time of each step and of
the whole, the median over the runs. Needs nothing outside the repository.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rea.pipeline.demo import run_demo

RUNS = 3


def main() -> int:
    per_step: dict[str, list[float]] = {}
    totals: list[float] = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            last = time.perf_counter()
            start = last

            def tick(line: str) -> None:
                nonlocal last
                now = time.perf_counter()
                per_step.setdefault(line.split()[0], []).append(now - last)
                last = now

            result = run_demo(Path(tmp) / "demo", progress=tick)
            totals.append(time.perf_counter() - start)
    print(f"rea demo, median of {RUNS} runs ({len(result.steps)} steps)")
    for step, times in per_step.items():
        print(f"  {step:<8} {statistics.median(times):7.2f} s")
    print(f"  {'total':<8} {statistics.median(totals):7.2f} s   (target: under 60 s)")
    return 0 if statistics.median(totals) < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
