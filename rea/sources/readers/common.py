"""What every export reader shares: decoding, located errors, tagged-line records, years."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rea.errors import ImportFormatError, Location
from rea.records import Author, parse_author

_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


def read_text(path: Path) -> str:
    """The file as text: UTF-8 with or without a byte-order mark; a bad byte is located."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").replace("\r\n", "\n")
        except UnicodeDecodeError as exc:
            raise ImportFormatError(f"not valid UTF-16: {exc.reason}", where=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ImportFormatError(
            f"not UTF-8 (byte 0x{data[exc.start]:02x})",
            where=Location(path, line, column),
            hint="export the file again as UTF-8",
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
