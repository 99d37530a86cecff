"""Render for scopus."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rea.errors import RenderError

if TYPE_CHECKING:
    from rea.query.render import Options, RenderedQuery
    from rea.query.strategy import Stage, Strategy


def render(strategy: Strategy, stage: Stage, options: Options) -> RenderedQuery:
    raise RenderError("the scopus renderer is not written yet")
