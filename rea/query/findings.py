"""A finding: one problem in a search text or strategy (a parse error or a lint), with its place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rea.errors import Location
from rea.query.ast import Pos

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """``code`` names the rule (``duplicate-term``); ``severity`` is ``error`` when the text cannot
    be searched as written, ``warning`` when it can but a reviewer should look; ``db`` names the
    one database a finding concerns, if any."""

    code: str
    severity: Severity
    message: str
    pos: Pos | None = None
    path: str | None = None
    hint: str | None = None
    db: str | None = None
    term: str | None = None
    accepted: str | None = None

    def location(self) -> Location:
        return Location(
            self.path or "<text>",
            self.pos.line if self.pos else None,
            self.pos.column if self.pos else None,
        )

    def __str__(self) -> str:
        where = f" ({self.db})" if self.db else ""
        severity = "accepted" if self.accepted else self.severity
        text = f"{self.location()}: {severity}: {self.message} [{self.code}]{where}"
        if self.accepted:
            return f"{text}\n    accepted: {self.accepted}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text
