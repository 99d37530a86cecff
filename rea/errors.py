"""The one exception tree of rea.

Library code raises a subclass of :class:`ReaError`; the CLI catches ``ReaError`` once and prints
``Error: <what> (<where>)`` plus an optional hint, then exits with the error's ``exit_code``.
Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file (or a source name), and optionally line, column and field."""

    path: str | Path | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        text = str(self.path) if self.path is not None else ""
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        if self.field:
            text += f" field {self.field}" if text else f"field {self.field}"
        return text


class ReaError(Exception):
    """Base of every error that a user can act on.

    ``what`` says what is wrong, ``where`` where (file:line:col, source, HTTP status), ``hint``
    how to fix it.
    """

    exit_code = 1

    def __init__(
        self,
        what: str,
        *,
        where: Location | str | None = None,
        hint: str | None = None,
    ) -> None:
        self.what = what
        self.where = where
        self.hint = hint
        super().__init__(self.message())

    def message(self) -> str:
        where = str(self.where) if self.where is not None else ""
        return f"{where}: {self.what}" if where else self.what


class ConfigError(ReaError):
    """A setting, environment variable or review folder is missing or wrong."""


class StrategyError(ReaError):
    """A strategy file or boolean search text cannot be read or parsed."""


class LintFailed(ReaError):
    """``--strict`` lint found warnings."""


class RenderError(ReaError):
    """A strategy cannot be expressed in a database's syntax at all."""


class SourceError(ReaError):
    """A search API answered with an error or could not be reached."""

    def __init__(
        self,
        what: str,
        *,
        where: Location | str | None = None,
        hint: str | None = None,
        status: int | None = None,
    ) -> None:
        self.status = status
        super().__init__(what, where=where, hint=hint)


class TransientSourceError(SourceError):
    """A failure worth retrying (429, 5xx, an error body in an HTTP 200, a dropped connection)."""


class NotData(TransientSourceError):
    """An answer that HTTP calls a success but that is not the data asked for (an empty body, a
    truncated one, plain text, JSON where XML was asked, XML that does not parse, an error
    message in the body). Retried like any transient failure, and never stored."""


class UnreadableAnswer(SourceError):
    """A request kept getting answers that are not data (the same one several times in a row,
    or until the attempts ran out); ``what`` says what the service sent."""


class QueryTooLong(SourceError):
    """The service refused the request as too long (HTTP 413/414)."""


class QuotaExceeded(SourceError):
    """The API key's quota is spent; retrying before the reset is pointless."""


class BlockedError(SourceError):
    """The service returned a block page instead of data."""


class ImportFormatError(ReaError):
    """An export file is malformed; ``where`` names file, line and field."""


class DuplicateImport(ReaError):
    """The same file (by checksum) was imported already."""


class SnapshotError(ReaError):
    """A run or snapshot is missing, incomplete or would be overwritten."""


class StoreError(ReaError):
    """The review's database cannot be opened, migrated or written."""


class NotFound(ReaError):
    """An identifier (work, record, run, reviewer, reason, stage) does not exist."""


class ScreeningError(ReaError):
    """A screening action is not allowed in the current state."""


class LaterPhaseDecisions(ScreeningError):
    """A title/abstract change would take a work out of full text, where it has decisions: it
    may go ahead only with those withdrawn too (``--withdraw-later``, or a confirmation)."""


class DedupError(ReaError):
    """A deduplication action is not allowed (e.g. undoing a merge that does not exist)."""


class PrismaInconsistency(ReaError):
    """PRISMA numbers that do not add up; names the box and the works involved."""


class ReportError(ReaError):
    """The report cannot be built."""
