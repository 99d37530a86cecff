"""What every export reader shares: decoding, located errors, tagged-line records, years."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from rea.errors import ImportFormatError, Location
from rea.records import Author, parse_author
from rea.text import CONTROL

_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


#: Characters ``str.splitlines`` breaks lines at besides CR and LF; readers always did too.
_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")

_removed: ContextVar[Counter[str] | None] = ContextVar("removed_controls", default=None)


@contextmanager
def counting_controls() -> Iterator[Counter[str]]:
    """Count, by character, the control characters the readers remove while the block runs."""
    counter: Counter[str] = Counter()
    token = _removed.set(counter)
    try:
        yield counter
    finally:
        _removed.reset(token)


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """The file's lines, numbered from 1, read as a stream: UTF-8 with or without a byte-order
    mark (or UTF-16 with one), any line ending; control characters (NUL, escape …) removed and
    counted (see :func:`counting_controls`); a bad byte is an error naming line and column."""
    with path.open("rb") as raw:
        encoding = "utf-16" if raw.read(2) in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    counter = _removed.get()
    number = 0
    with path.open("r", encoding=encoding, newline=None) as handle:
        try:
            for raw_line in handle:
                text = raw_line[:-1] if raw_line.endswith("\n") else raw_line
                parts = _OTHER_BREAKS.split(text) if _OTHER_BREAKS.search(text) else (text,)
                for part in parts:
                    number += 1
                    if CONTROL.search(part):
                        if counter is not None:
                            counter.update(CONTROL.findall(part))
                        part = CONTROL.sub("", part)
                    yield number, part
        except UnicodeDecodeError as exc:
            raise _bad_byte(path, encoding, exc) from None


def _bad_byte(path: Path, encoding: str, exc: UnicodeDecodeError) -> ImportFormatError:
    """Where the first byte that does not decode is: line and column."""
    if encoding == "utf-16":
        return ImportFormatError(f"not valid UTF-16: {exc.reason}", where=str(path))
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as bad:
                return ImportFormatError(
                    f"not UTF-8 (byte 0x{raw[bad.start]:02x})",
                    where=Location(path, number, bad.start + 1),
                    hint="export the file again as UTF-8",
                )
    return ImportFormatError(f"not UTF-8: {exc.reason}", where=str(path))


def read_text(path: Path) -> str:
    """The whole file as text (see :func:`text_lines`); for readers whose parser needs it all."""
    return "".join(line + "\n" for _, line in text_lines(path))


def fail(path: Path, line: int | None, field: str | None, what: str) -> ImportFormatError:
    return ImportFormatError(what, where=Location(path, line, field=field))


def year_of(value: str, path: Path, line: int | None, field: str) -> int | None:
    """The year in a date field; an unreadable non-empty value is an error at its line."""
    value = value.strip()
    if not value:
        return None
    match = _YEAR.search(value)
    if not match:
        raise fail(path, line, field, f"no year in {value[:40]!r}")
    return int(match.group(1))


def split_name(name: str) -> Author:
    """``Family, Given`` or ``Family G.`` or ``Given Family`` → Author (see ``parse_author``)."""
    return parse_author(name) or Author(family="")


def issns(*values: str) -> tuple[str, ...]:
    """ISSNs found in free text (``1999-7777(Electronic)``, ``ISSN-1234-4567``, ``09601643``)."""
    found = []
    for value in values:
        for match in re.finditer(r"(?<![\dX])(\d{4})-?(\d{3}[\dXx])(?![\dX])", value):
            found.append(f"{match.group(1)}-{match.group(2).upper()}")
    return tuple(dict.fromkeys(found))


@dataclass
class Tagged:
    """One record of a tagged format: values per tag (in order) and the line of each value."""

    start: int
    values: dict[str, list[str]] = field(default_factory=dict)
    lines: dict[str, list[int]] = field(default_factory=dict)

    def add(self, tag: str, value: str, line: int) -> None:
        self.values.setdefault(tag, []).append(value)
        self.lines.setdefault(tag, []).append(line)

    def extend_last(self, tag: str, text: str, sep: str = " ") -> None:
        self.values[tag][-1] = f"{self.values[tag][-1]}{sep}{text}".strip()

    def first(self, *tags: str) -> str:
        for tag in tags:
            for value in self.values.get(tag, []):
                if value.strip():
                    return value.strip()
        return ""

    def all(self, *tags: str) -> list[str]:
        return [v.strip() for t in tags for v in self.values.get(t, []) if v.strip()]

    def line(self, *tags: str) -> int:
        for tag in tags:
            if self.lines.get(tag):
                return self.lines[tag][0]
        return self.start


def numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        yield number, line.rstrip("\r")
