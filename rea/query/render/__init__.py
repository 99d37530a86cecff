"""Render a strategy's stage into a database's native query.

:func:`render` is the one entry point. Each database's renderer (named by its entry in
:mod:`rea.query.databases`) turns the stage's tree into text and says, as warnings, whatever it
could not express exactly; it never silently searches something else. A database's own review
filter is added only when asked (``review_filter=True``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rea.errors import RenderError
from rea.query.databases import DATABASES
from rea.query.strategy import FIELDS, Stage, Strategy


@dataclass(frozen=True)
class RenderedQuery:
    """A native query: ``text`` to paste or send, ``params`` the fetcher sends besides it."""

    db: str
    stage: str
    text: str
    warnings: tuple[str, ...] = ()
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Options:
    """What a caller may change when rendering."""

    review_filter: bool = False
    fields: str | None = None


Renderer = Callable[[Strategy, Stage, Options], RenderedQuery]


def _renderer(db: str) -> Renderer:
    module = importlib.import_module(f"rea.query.render.{DATABASES[db].renderer}")
    function: Renderer = getattr(module, "render_" + db.replace("-", "_"), None) or module.render
    return function


def render(strategy: Strategy, db: str, stage_id: str, **options: Any) -> RenderedQuery:
    """The native query of ``stage_id`` for ``db`` (an id of :data:`rea.query.DATABASES`).

    Options: ``review_filter=True`` adds the database's own review filter (``review[pt]``,
    ``DOCTYPE(re)``, ``DT=(Review)``, Ovid ``limit N to "review"``…) on top of the strategy's
    terms; ``fields="title_abstract_keywords"`` searches keywords too where the database can.
    """
    if db not in DATABASES:
        raise RenderError(f"unknown database {db!r}", hint=f"choose one of: {', '.join(DATABASES)}")
    allowed = set(Options.__dataclass_fields__)
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise RenderError(
            f"unknown render option(s): {', '.join(unknown)}",
            hint=f"options: {', '.join(sorted(allowed))}",
        )
    opts = Options(**options)
    if opts.fields is not None and opts.fields not in FIELDS:
        raise RenderError(f"fields must be one of {', '.join(FIELDS)}")
    stage = strategy.stage(stage_id)
    return _renderer(db)(strategy, stage, opts)
