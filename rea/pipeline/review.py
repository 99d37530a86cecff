"""`rea init`: a new review folder, made from the reference review as a worked template."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rea.config import ReviewPaths
from rea.errors import ConfigError
from rea.files import write_text_atomic
from rea.query import load_strategy
from rea.screening import load_screening_config

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

HEADER = """\
# The search strategy of the review {name!r}, started from the reference review's (the rapid
# evidence assessment of primary care networks in England, Smith et al. 2020): keep its form,
# replace its title, blocks, stages and sources with your own. docs/query.md has the format;
# `rea query lint --strict` peer-reviews it.
"""


@dataclass(frozen=True)
class NewReview:
    paths: ReviewPaths
    files: tuple[Path, ...]


def init_review(folder: Path, name: str | None = None) -> NewReview:
    """Create ``folder`` (e.g. ``searches/my-review``) with a ``strategy.toml`` and a
    ``screening.toml`` to edit, both valid as they are; refuses a folder that exists."""
    name = name or folder.name
    if not _NAME.match(name):
        raise ConfigError(
            f"a review name is lower case letters, digits, '-' and '_', not {name!r}",
            hint="e.g. rea init pcn-update-2026",
        )
    if folder.exists():
        raise ConfigError(
            "the folder exists already; rea init makes a new review only",
            where=str(folder),
            hint="choose another name, or edit the review that is there",
        )
    sample = resources.files("rea.demo").joinpath("sample")
    strategy = sample.joinpath("strategy.toml").read_text(encoding="utf-8")
    body = strategy[strategy.index("format = ") :]
    body = re.sub(r'(?m)^id = ".*"$', f'id = "{name}"', body, count=1)
    body = re.sub(
        r'(?m)^title = ".*"$',
        'title = "The title of your review (edit strategy.toml)"',
        body,
        count=1,
    )
    body = re.sub(r'(?m)^(prospero|reference) = ".*"\n', "", body)
    paths = ReviewPaths(folder)
    written = [paths.strategy, paths.screening]
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the folder: {exc.strerror}", where=str(folder)) from exc
    write_text_atomic(paths.strategy, HEADER.format(name=name) + body, what="strategy.toml")
    write_text_atomic(
        paths.screening,
        sample.joinpath("screening.toml").read_text(encoding="utf-8"),
        what="screening.toml",
    )
    load_strategy(paths.strategy)  # both are valid as written
    load_screening_config(paths.screening)
    return NewReview(paths, tuple(written))
