"""Files rea writes: whole or not at all, only where a regular file belongs, safe to open.

- :func:`write_text_atomic` writes a temporary file beside the target and renames it into place,
  so a reader (or a kill) never sees half a file. It refuses a target that is a folder, a device,
  a pipe or a socket (or a symlink to one); a symlink to a regular file is followed, so the link
  stays and its file is replaced. A new file gets the user's normal permissions (the umask); a
  replaced one keeps its own.
- :func:`csv_text` writes CSV whose every cell is safe to open in a spreadsheet: a cell that a
  spreadsheet would run as a formula (OWASP: one starting with ``=``, ``+``, ``-``, ``@``, tab or
  carriage return; and line feed) gets a leading ``'``, control characters (terminal escapes
  among them) are removed, and a carriage return inside a cell becomes a line feed, so that every
  line break in a cell is quoted (a bare CR would start a new row, and a formula, in a
  spreadsheet). :func:`from_spreadsheet_cell` undoes the prefix when rea reads its CSV back.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from rea.errors import ReaError

#: What a spreadsheet takes for the start of a formula (OWASP, "CSV Injection"), and the line
#: feed a carriage return becomes.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

#: C0 and C1 control characters (ESC among them) except tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def target_of(path: Path, what: str = "the file") -> Path:
    """The regular file that writing ``path`` should replace or create.

    A folder, device, pipe or socket (or a symlink to one, or a symlink to nothing) is refused
    with an error naming the path; a symlink to a regular file gives that file.
    """
    try:
        info = os.stat(path)  # follows a symlink
    except FileNotFoundError:
        if path.is_symlink():
            raise ReaError(
                f"cannot write {what}: the path is a symlink to nothing ({os.readlink(path)})",
                where=str(path),
            ) from None
        return path
    except OSError as exc:
        raise ReaError(f"cannot write {what}: {exc.strerror or exc}", where=str(path)) from exc
    if stat.S_ISDIR(info.st_mode):
        raise ReaError(
            f"cannot write {what}: the path is a folder",
            where=str(path),
            hint="name a file in it, e.g. " + str(path / "out.csv"),
        )
    if not stat.S_ISREG(info.st_mode):
        raise ReaError(
            f"cannot write {what}: the path is not a regular file (a device, pipe or socket)",
            where=str(path),
        )
    return path.resolve() if path.is_symlink() else path


def write_text_atomic(path: Path, text: str, *, what: str = "the file") -> None:
    """Write ``text`` (UTF-8, line endings as given) so that a reader never sees half a file.

    An existing file is replaced only once the new one is complete; a failure leaves it as it
    was and removes the temporary file. ``what`` names the file in the error.
    """
    target = target_of(path, what)
    tmp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        existing = target.stat().st_mode if target.exists() else None
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        # os.open applies the umask to 0o666, as any program creating a file does
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if existing is not None:
            os.chmod(tmp, stat.S_IMODE(existing))
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise ReaError(f"cannot write {what}: {exc.strerror or exc}", where=str(path)) from exc
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise


def spreadsheet_cell(value: object) -> str:
    """``value`` as a CSV cell no spreadsheet runs: controls removed, a formula start quoted."""
    text = "" if value is None else str(value)
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text


def from_spreadsheet_cell(text: str) -> str:
    """A cell read back from rea's own CSV: the ``'`` that :func:`spreadsheet_cell` added goes."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def csv_text(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, lineterminator: str = "\r\n"
) -> str:
    """CSV (minimal quoting) of ``header`` and ``rows``, every cell through
    :func:`spreadsheet_cell`. The one way rea writes CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    writer.writerow([spreadsheet_cell(h) for h in header])
    for row in rows:
        writer.writerow([spreadsheet_cell(v) for v in row])
    return buffer.getvalue()
