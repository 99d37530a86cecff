"""Files rea writes: whole or not at all, only where a regular file belongs, safe to open.

- :func:`write_text_atomic` writes a temporary file beside the target and renames it into place,
  so a reader (or a kill) never sees half a file. It refuses a target that is a folder, a device,
  a pipe or a socket (or a symlink to one); a symlink to a regular file is followed, so the link
  stays and its file is replaced. A new file gets the user's normal permissions (the umask); a
  replaced one keeps its own.
- :func:`new_folder_beside` and :func:`swap_folder_in` (or :func:`replacing_folder`, the two as
  one ``with`` block) replace a whole folder at once (Linux: one ``renameat2`` exchange), so a
  reader or a kill sees the old set of files or the new set, never a mix.
- :func:`csv_text` writes CSV whose every cell is safe to open in a spreadsheet: a cell that a
  spreadsheet would run as a formula (OWASP: one starting with ``=``, ``+``, ``-``, ``@``, tab or
  carriage return; and line feed) gets a leading ``'``, control characters (terminal escapes
  among them) are removed, and a carriage return inside a cell becomes a line feed, so that every
  line break in a cell is quoted (a bare CR would start a new row, and a formula, in a
  spreadsheet). :func:`from_spreadsheet_cell` undoes the prefix when rea reads its CSV back.
"""

from __future__ import annotations

import csv
import ctypes
import errno
import io
import os
import re
import secrets
import shutil
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rea.errors import ReaError
from rea.text import remove_controls

#: What a spreadsheet takes for the start of a formula (OWASP, "CSV Injection"), and the line
#: feed a carriage return becomes.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


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


# --- a folder replaced whole ----------------------------------------------------------------

RENAME_EXCHANGE = 2  # renameat2 flag (Linux ≥ 3.15): swap two paths atomically


def new_folder_beside(target: Path) -> Path:
    """An empty temporary folder next to ``target`` (same file system, so it can be swapped in),
    named after this process; leftovers of killed processes are removed first. It has the
    permissions ``target`` has, or for a new folder those the umask gives (not owner-only)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    new = target.parent / f".{target.name}.new-{os.getpid()}-{secrets.token_hex(4)}"
    os.mkdir(new)  # mkdir applies the umask, as for any new folder
    if target.is_dir():
        os.chmod(new, stat.S_IMODE(target.stat().st_mode))
    return new


def swap_folder_in(new: Path, target: Path) -> None:
    """Make the complete folder ``new`` be ``target`` at once, and remove the old ``target``.

    A reader (or a process killed at any moment) sees the old folder or the new one, never a
    mix: on Linux the two are exchanged in one ``renameat2(RENAME_EXCHANGE)``; elsewhere the old
    folder is renamed aside first, and a kill between the two renames is repaired by the next
    call (the old folder is put back before anything else is done).
    """
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old folder
        return
    aside = target.parent / f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
    os.rename(target, aside)
    os.rename(new, target)
    shutil.rmtree(aside, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically where the system can (Linux); False where it cannot."""
    if sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE)
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EXDEV):
        return False  # not supported by this kernel or file system
    raise OSError(error, os.strerror(error), str(b))


def _remove_leftovers(target: Path) -> None:
    """Put back an old folder left aside by a kill between two renames, and remove the new
    folders that killed processes left behind."""
    parent, name = target.parent, target.name
    if not target.exists():
        aside = sorted(parent.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime)
        if aside:
            os.rename(aside[-1], target)
    for leftover in parent.glob(f".{name}.new-*"):
        match = re.match(rf"^\.{re.escape(name)}\.new-(\d+)-", leftover.name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in parent.glob(f".{name}.old-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    # a folder of this very process is an earlier attempt, abandoned
    return pid != os.getpid() and process_alive(pid)


@contextmanager
def replacing_folder(target: Path, *, what: str = "the folder") -> Iterator[Path]:
    """:func:`new_folder_beside` and :func:`swap_folder_in` as one block: yields the new folder
    to write into; when the block ends it takes ``target``'s place at once. If the block raises,
    the new folder is removed and ``target`` stays as it was."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ReaError(f"cannot write {what}: the path is not a folder", where=str(target))
    try:
        new = new_folder_beside(target)
    except OSError as exc:
        raise ReaError(f"cannot write {what}: {exc.strerror or exc}", where=str(target)) from exc
    try:
        yield new
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    try:
        swap_folder_in(new, target)
    except OSError as exc:
        shutil.rmtree(new, ignore_errors=True)
        raise ReaError(f"cannot write {what}: {exc.strerror or exc}", where=str(target)) from exc


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (leftovers of gone ones go)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def spreadsheet_cell(value: object) -> str:
    """``value`` as a CSV cell no spreadsheet runs: controls removed, a formula start quoted."""
    text = "" if value is None else str(value)
    text = remove_controls(text)[0].replace("\r\n", "\n").replace("\r", "\n")
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
