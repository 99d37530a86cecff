"""Helpers for the query tests: the shipped strategy, and strategy files written on the fly."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import REPO

REVIEW = REPO / "searches" / "pcn-rea"
STRATEGY = REVIEW / "strategy.toml"
VERBATIM = REVIEW / "box4-as-printed.txt"

MINIMAL = """\
[review]
id = "demo"
title = "A demo review"

[blocks.a]
text = '''"primary care*" OR GP*'''

[blocks.b]
terms = ["network*", "alliance"]

[query]
expression = "a AND b"

[[stages]]
id = "all"
date_from = 2000-01-01
date_to = 2001-12-31
"""


def write(tmp_path: Path, text: str, name: str = "strategy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
