"""Everything the CLI prints passes :func:`rea.text.for_terminal`: record text (titles, notes,
sources, reasons) can never drive the user's terminal, whichever command prints it.

:func:`safe_output` puts a filter in front of ``sys.stdout`` and ``sys.stderr`` for the length of
one command. What writes to the streams' binary buffers directly (the full-screen ``rea screen``,
whose own renderer escapes what it shows) passes untouched.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rea.text import for_terminal


class TerminalSafe:
    """A text stream that writes through to ``stream`` without escape sequences or controls."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._stream.write(for_terminal(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def safe_output() -> Iterator[None]:
    """Filter ``sys.stdout`` and ``sys.stderr`` until the block ends."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = TerminalSafe(out)
    sys.stderr = TerminalSafe(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
