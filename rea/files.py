"""Writing a file whole or not at all: a temporary file in the same folder, renamed into place."""

from __future__ import annotations

import os
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
