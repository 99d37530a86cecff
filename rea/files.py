"""Writing a file whole or not at all: a temporary file in the same folder, renamed into place;
and a folder replaced whole (:func:`new_folder_beside`, :func:`swap_folder_in`)."""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from rea.errors import ReaError


def write_text_atomic(path: Path, text: str, *, what: str = "the file") -> None:
    """Write ``text`` (UTF-8, line endings as given) so that a reader never sees half a file.

    An existing file is replaced only once the new one is complete; a failure leaves it as it
    was and removes the temporary file. ``what`` names the file in the error.
    """
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise ReaError(f"cannot write {what}: {exc.strerror or exc}", where=str(path)) from exc
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise


# --- a folder replaced whole ----------------------------------------------------------------

RENAME_EXCHANGE = 2  # renameat2 flag (Linux ≥ 3.15): swap two paths atomically


def new_folder_beside(target: Path) -> Path:
    """An empty temporary folder next to ``target`` (same file system, so it can be swapped in),
    named after this process; leftovers of killed processes are removed first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-{os.getpid()}-"))


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
    aside = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
    aside.rmdir()
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
    if pid == os.getpid():
        return False  # an earlier attempt of this very process, abandoned
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
