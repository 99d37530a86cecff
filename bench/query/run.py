"""Benchmark: parse, lint and render speed for the reference strategy and larger generated ones.

Prints its figures; reads only files in the repository.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from rea.query import DATABASES, load_strategy, render  # noqa: E402
from rea.query.lint import lint_strategy, lint_text  # noqa: E402
from rea.query.native import read_native  # noqa: E402
from rea.query.parser import parse  # noqa: E402

REVIEW = REPO / "searches" / "pcn-rea"


def timed(label: str, repeat: int, func: object) -> None:
    assert callable(func)
    start = time.perf_counter()
    for _ in range(repeat):
        func()
    per = (time.perf_counter() - start) / repeat * 1000
    print(f"{label:<58} {per:9.2f} ms")


def main() -> int:
    strategy_path = REVIEW / "strategy.toml"
    verbatim = (REVIEW / "box4-as-printed.txt").read_text(encoding="utf-8")
    strategy = load_strategy(strategy_path)
    timed("load strategy.toml (pcn-rea)", 200, lambda: load_strategy(strategy_path))
    timed(
        f"lint the printed Box 4 text ({len(verbatim):,} characters)",
        200,
        lambda: lint_text(verbatim),
    )
    timed("lint strategy.toml (pcn-rea)", 200, lambda: lint_strategy(strategy))

    def render_every() -> None:
        for stage in strategy.stages:
            for db in DATABASES:
                render(strategy, db, stage.id)

    timed(f"render 2 stages x {len(DATABASES)} databases", 20, render_every)
    rendered = [
        (db, render(strategy, db, stage.id).text) for stage in strategy.stages for db in DATABASES
    ]

    def import_every() -> None:
        for db, text in rendered:
            read_native(text, db)

    timed(f"import the {len(rendered)} rendered queries back", 20, import_every)
    # a large strategy: 40 OR groups of 25 terms each, ANDed in pairs and ORed (1,000 terms)
    groups = [
        "(" + " OR ".join(f'"concept{g} term{t}*"' for t in range(25)) + ")" for g in range(40)
    ]
    big = " OR ".join(f"({groups[i]} AND {groups[i + 1]})" for i in range(0, 40, 2))
    print(f"generated text: {len(big):,} characters, 1,000 terms")
    timed("parse the generated text", 20, lambda: parse(big))
    timed("lint the generated text", 5, lambda: lint_text(big))
    return 0


if __name__ == "__main__":
    sys.exit(main())
