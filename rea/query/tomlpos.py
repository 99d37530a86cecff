"""Where a key or a string value sits in a TOML file.

``tomllib`` gives values but no positions; errors and lints must name line and column, so this
small scanner finds ``[table]`` headers, ``key = value`` lines and the first character inside a
string value. It understands the layout ``rea`` documents (one key per line, tables as headers,
``[[stages]]`` arrays of tables); for other layouts it returns None and callers fall back to the
table's or the file's position.
"""

from __future__ import annotations

import re

from rea.query.ast import Pos

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')\s*=\s*")


def _clean(name: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in name.split("."))


class TomlPositions:
    def __init__(self, raw: str) -> None:
        self.lines = raw.splitlines()
        # (table name, occurrence index, first line index, end line index) of each header
        self.tables: list[tuple[str, int, int, int]] = []
        seen: dict[str, int] = {}
        in_string: str | None = None
        starts: list[tuple[str, int, int]] = [("", 0, 0)]
        for i, line in enumerate(self.lines):
            if in_string is None:
                match = _HEADER.match(line)
                if match:
                    name = _clean(match.group(2))
                    index = seen.get(name, 0)
                    seen[name] = index + 1
                    starts.append((name, index, i))
            for delim in ('"""', "'''"):
                count = line.count(delim)
                if count % 2 == 1 and (in_string is None or in_string == delim):
                    in_string = delim if in_string is None else None
        for k, (name, index, first) in enumerate(starts):
            end = starts[k + 1][2] if k + 1 < len(starts) else len(self.lines)
            self.tables.append((name, index, first, end))

    def table(self, name: str, index: int = 0) -> Pos | None:
        for table, occurrence, first, _ in self.tables:
            if table == name and occurrence == index and name:
                return Pos(first + 1, 1)
        return None

    def _key_line(self, table: str, key: str, index: int) -> tuple[int, re.Match[str]] | None:
        for name, occurrence, first, end in self.tables:
            if name != table or occurrence != index:
                continue
            for i in range(first + (1 if name else 0), end):
                match = _KEY.match(self.lines[i])
                if match and _clean(match.group(1)) == key:
                    return i, match
        return None

    def key(self, table: str, key: str, index: int = 0) -> Pos | None:
        """Position of ``key`` in ``[table]`` (the ``index``-th ``[[table]]``)."""
        found = self._key_line(table, key, index)
        if found is None:
            return self.table(table, index)
        i, match = found
        return Pos(i + 1, match.start(1) + 1)

    def value(self, table: str, key: str, index: int = 0) -> Pos | None:
        """Position of the first character of the value's text (inside its quotes)."""
        found = self._key_line(table, key, index)
        if found is None:
            return None
        i, match = found
        line = self.lines[i]
        col = match.end()
        for delim in ('"""', "'''"):
            if line.startswith(delim, col):
                rest = line[col + 3 :]
                if rest.strip() == "":
                    return Pos(i + 2, 1)  # TOML trims a newline right after the delimiter
                return Pos(i + 1, col + 4)
        if col < len(line) and line[col] in "\"'":
            return Pos(i + 1, col + 2)
        return Pos(i + 1, col + 1)

    def basic_string_map(self, start: Pos, value: str) -> list[Pos] | None:
        """For a basic (double-quoted) string whose text starts at ``start``: the file position of
        each character of the decoded ``value`` (escapes such as ``\\"`` take two or more
        characters in the file). None if the string is not basic or cannot be followed."""
        line, col = start.line - 1, start.column - 1
        if line >= len(self.lines):
            return None
        before = self.lines[line][:col] if col > 0 else self.lines[line - 1] + "\n"
        if not before.rstrip("\n").endswith('"'):
            return None
        out: list[Pos] = []
        k = 0
        while k < len(value):
            if line >= len(self.lines):
                return None
            text = self.lines[line]
            if col >= len(text):  # end of a line inside a multi-line string
                if value[k] != "\n":
                    return None
                out.append(Pos(line + 1, col + 1))
                line, col, k = line + 1, 0, k + 1
                continue
            ch = text[col]
            if ch == "\\":
                nxt = text[col + 1] if col + 1 < len(text) else ""
                if nxt == "" or nxt.isspace():  # line-ending backslash: skip to next non-space
                    line, col = line + 1, 0
                    while line < len(self.lines) and not self.lines[line][col:].strip():
                        line += 1
                    if line < len(self.lines):
                        col = len(self.lines[line]) - len(self.lines[line].lstrip())
                    continue
                width = {"u": 6, "U": 10}.get(nxt, 2)
                out.append(Pos(line + 1, col + 1))
                col, k = col + width, k + 1
                continue
            if ch != value[k]:
                return None
            out.append(Pos(line + 1, col + 1))
            col, k = col + 1, k + 1
        out.append(Pos(line + 1, col + 1))
        return out

    def strings_in_array(self, table: str, key: str, index: int = 0) -> list[Pos]:
        """Positions inside each string of an array value, in order (single-line strings)."""
        found = self._key_line(table, key, index)
        if found is None:
            return []
        i, match = found
        out: list[Pos] = []
        depth = 0
        col = match.end()
        while i < len(self.lines):
            line = self.lines[i]
            j = col
            while j < len(line):
                ch = line[j]
                if ch == "#":
                    break
                if ch == "[":
                    depth += 1
                elif ch == "]":
                    depth -= 1
                    if depth <= 0:
                        return out
                elif ch in "\"'":
                    close = line.find(ch, j + 1)
                    while ch == '"' and close > 0 and line[close - 1] == "\\":
                        close = line.find(ch, close + 1)
                    out.append(Pos(i + 1, j + 2))
                    if close == -1:
                        return out
                    j = close
                j += 1
            i += 1
            col = 0
        return out
