"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from rea.config import ReviewPaths, find_review

F = TypeVar("F", bound=Callable[..., Any])


def review_option(func: F) -> F:
    """``--review PATH``: the review folder (default: $REA_REVIEW or the only one in searches/)."""
    return click.option(
        "--review",
        "review",
        metavar="PATH",
        default=None,
        help="Review folder (default: $REA_REVIEW, or the only folder in ./searches).",
    )(func)


def resolve_review(value: str | None) -> ReviewPaths:
    return find_review(value)


def json_option(func: F) -> F:
    """``--json``: print machine-readable JSON on stdout instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")(func)
