"""The schema a store promises, and the store's own: drift is refused, earlier schemas repaired.

A store's ``PRAGMA user_version`` says which migrations it has had; what that promises is the
schema a fresh store gets from those migrations, built in memory from the migration files (so a
new migration needs no hand-kept list). Opening a store compares its tables, columns, indexes,
views and triggers with that promise:

- the same: nothing to do;
- the same as what an *earlier text* of those migrations made: migrations 0001–0003 were edited
  on main after stores had been made with them; their earlier texts are kept, as they were, in
  ``migrations/earlier/`` (``NNNN_name.<blob>.sql``, the git blob they were). Such a store is
  rebuilt to today's schema in one transaction, every row kept;
- anything else: refused, naming each difference.

Definitions are compared after normalising their SQL (comments, spacing, identifier quotes and
letter case do not count), so a comment edited in a migration is no difference.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from rea.errors import StoreError

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_EARLIER_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.([0-9a-f]{7,40})\.sql$")

#: Prefix of the tables an earlier store's rows wait in while the store is rebuilt.
_EARLIER_PREFIX = "_rea_earlier_"


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str


@cache
def migrations() -> tuple[Migration, ...]:
    """Today's migrations, in order; they must be numbered 1..n without gaps."""
    found = []
    for entry in resources.files("rea.store").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.number)
    numbers = [m.number for m in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise StoreError(f"migrations are not numbered 1..n without gaps: {numbers}")
    return tuple(found)


@cache
def _earlier_texts() -> dict[int, tuple[Migration, ...]]:
    """The texts migrations had on main before they were edited, by migration number."""
    found: dict[int, list[Migration]] = {}
    folder = resources.files("rea.store").joinpath("migrations").joinpath("earlier")
    if not folder.is_dir():
        return {}
    for entry in folder.iterdir():
        match = _EARLIER_NAME.match(entry.name)
        if match:
            number = int(match.group(1))
            found.setdefault(number, []).append(
                Migration(number, entry.name, entry.read_text("utf-8"))
            )
    return {n: tuple(sorted(texts, key=lambda m: m.name)) for n, texts in found.items()}


def split_sql(script: str) -> list[str]:
    """Statements of a migration script (``executescript`` would commit our transaction)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


# -- reading a schema -------------------------------------------------------------------------

_SPECIAL = re.compile(
    r"""('(?:[^']|'')*'          # string literal: kept as written
      | "(?:[^"]|"")*"           # quoted identifiers: unquoted
      | `[^`]*` | \[[^\]]*\]
      | --[^\n]* | /\*.*?(?:\*/|\Z))  # comments: dropped""",
    re.S | re.X,
)


def normalise_sql(sql: str) -> str:
    """A definition without comments, extra spaces, identifier quotes or letter case."""
    out: list[str] = []
    for i, piece in enumerate(_SPECIAL.split(sql)):
        if i % 2 == 0:
            out.append(piece.lower())
        elif piece.startswith("'"):
            out.append(piece)
        elif piece.startswith(("--", "/*")):
            out.append(" ")
        else:
            out.append(piece[1:-1].replace('""', '"').lower())
    text = re.sub(r"\s+", " ", "".join(out))
    return re.sub(r" ?([(),;=]) ?", r"\1", text).strip()


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    notnull: bool
    default: str | None
    pk: int

    def describe(self) -> str:
        parts = [self.type or "(no type)"]
        if self.notnull:
            parts.append("NOT NULL")
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        if self.pk:
            parts.append("PRIMARY KEY")
        return " ".join(parts)


@dataclass(frozen=True)
class Entry:
    """One table, index, view or trigger of a schema."""

    type: str
    name: str
    table: str
    sql: str
    shape: str  # the normalised definition

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.name)


Schema = dict[tuple[str, str], Entry]


def read_schema(conn: sqlite3.Connection) -> Schema:
    """Every table, index, view and trigger of the database, in the order they were made."""
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master"
        " WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY rowid"
    ).fetchall()
    schema: Schema = {}
    for kind, name, table, sql in rows:
        entry = Entry(str(kind), str(name), str(table), str(sql), normalise_sql(str(sql)))
        schema[entry.key] = entry
    return schema


def columns(conn: sqlite3.Connection, table: str) -> list[Column]:
    rows = conn.execute(
        'SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_xinfo(:table)',
        {"table": table},
    ).fetchall()
    return [Column(str(n), str(t).upper(), bool(nn), d, int(pk)) for n, t, nn, d, pk in rows]


def same_shape(a: Schema, b: Schema) -> bool:
    return a.keys() == b.keys() and all(a[k].shape == b[k].shape for k in a)


def _build(scripts: Iterable[str]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.execute("BEGIN")
        for script in scripts:
            for statement in split_sql(script):
                conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        conn.close()
        raise
    return conn


@cache
def _promised(version: int) -> tuple[Schema, dict[str, tuple[Column, ...]]]:
    conn = _build(m.sql for m in migrations()[:version])
    try:
        schema = read_schema(conn)
        tables = {
            e.name: tuple(columns(conn, e.name)) for e in schema.values() if e.type == "table"
        }
    finally:
        conn.close()
    return schema, tables


def promised(version: int) -> Schema:
    """The schema a fresh store has at ``version`` (built from today's migrations)."""
    return _promised(version)[0]


def keeps_promise(actual: Schema, version: int) -> bool:
    """Whether ``actual`` is the schema ``version`` promises."""
    return same_shape(actual, promised(version))


def earlier_origin(actual: Schema, version: int) -> str | None:
    """If ``actual`` is what an earlier text of migrations 1..``version`` made, which texts."""
    earlier = _earlier_texts()
    if not any(n <= version for n in earlier):
        return None
    today = migrations()[:version]
    choices = [(m, *earlier.get(m.number, ())) for m in today]
    for combination in itertools.product(*choices):
        if all(m in today for m in combination):
            continue
        made = _made_by(combination)
        if made is not None and same_shape(made, actual):
            return ", ".join(m.name for m in combination if m not in today)
    return None


@cache
def _made_by(scripts: tuple[Migration, ...]) -> Schema | None:
    """The schema these texts make, or None where they cannot be applied one after another
    (a later migration that needs what only today's text of an earlier one makes)."""
    try:
        conn = _build(m.sql for m in scripts)
    except sqlite3.Error:
        return None
    try:
        return read_schema(conn)
    finally:
        conn.close()


# -- naming the differences -------------------------------------------------------------------


def differences(conn: sqlite3.Connection, actual: Schema, version: int) -> list[str]:
    """What in ``actual`` (read from ``conn``) differs from what ``version`` promises."""
    want, want_columns = _promised(version)
    found: list[str] = []
    for key, entry in want.items():
        have = actual.get(key)
        if have is None:
            found.append(f"{entry.type} {entry.name} is missing")
        elif have.shape != entry.shape:
            if entry.type == "table":
                found.extend(
                    _table_differences(entry.name, columns(conn, entry.name), want_columns)
                )
            else:
                found.append(f"{entry.type} {entry.name} is defined differently")
    for key, entry in actual.items():
        if key not in want:
            found.append(f"{entry.type} {entry.name} should not be there")
    return found


def _table_differences(
    table: str, have: Sequence[Column], want_columns: dict[str, tuple[Column, ...]]
) -> list[str]:
    want = want_columns[table]
    have_by = {c.name: c for c in have}
    want_by = {c.name: c for c in want}
    found = [f"table {table} has no column {c.name}" for c in want if c.name not in have_by]
    found += [f"table {table} has an extra column {c.name}" for c in have if c.name not in want_by]
    for column in want:
        other = have_by.get(column.name)
        if other is not None and other != column:
            found.append(
                f"column {table}.{column.name} is {other.describe()}, "
                f"where {column.describe()} is expected"
            )
    if not found:
        if [c.name for c in have] != [c.name for c in want]:
            found.append(f"table {table} has its columns in another order")
        else:
            found.append(f"table {table} has other constraints (CHECK, UNIQUE or foreign keys)")
    return found


def drift_error(path: Path, version: int, found: Sequence[str]) -> StoreError:
    shown = "; ".join(found[:6]) + (f"; and {len(found) - 6} more" if len(found) > 6 else "")
    return StoreError(
        f"the store's schema is not what its version {version} promises: {shown}",
        where=str(path),
        hint="the store was changed outside rea, or made by an unreleased rea; restore it from "
        "a backup, or open it with the rea that made it and export what you need",
    )


# -- rebuilding an earlier store --------------------------------------------------------------

_TRIGGER_TARGET = re.compile(
    r"\b(?:insert(?: or \w+)? into|replace into|delete from|update(?: or \w+)?) (\w+)"
)


def _derived_tables(schema: Schema) -> set[str]:
    """Tables that triggers write (their rows follow from the others')."""
    found: set[str] = set()
    for entry in schema.values():
        if entry.type == "trigger":
            body = entry.shape.split(" begin ", 1)[-1]
            found.update(_TRIGGER_TARGET.findall(body))
    return found


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


def rebuild(conn: sqlite3.Connection, actual: Schema, version: int, path: Path) -> None:
    """Give the store exactly the schema ``version`` promises, keeping every row.

    Must run inside a write transaction on a connection with foreign keys off. Views and
    triggers are dropped, each table moves aside, the promised schema is created, and the rows
    are copied back in the order the tables were made, so that triggers fill the tables they
    keep (standing decisions, tallies) as they would have been filled live. A row with nowhere
    to go stops the rebuild: nothing is dropped that holds data.
    """
    want, want_columns = _promised(version)
    derived = _derived_tables(want)
    old_tables = [e.name for e in actual.values() if e.type == "table"]
    for table in old_tables:
        if table in derived:
            continue
        if table not in want_columns:
            if _count(conn, table):
                raise StoreError(
                    f"table {table} holds rows that schema version {version} has no place for",
                    where=str(path),
                )
            continue
        lost = {c.name for c in columns(conn, table)} - {c.name for c in want_columns[table]}
        if lost and _count(conn, table):
            raise StoreError(
                f"table {table} has columns that schema version {version} has no place for: "
                + ", ".join(sorted(lost)),
                where=str(path),
            )
    conn.execute("PRAGMA legacy_alter_table = ON")  # renaming must not rewrite other tables
    try:
        for entry in actual.values():
            if entry.type in ("trigger", "view"):
                conn.execute(f'DROP {entry.type.upper()} "{entry.name}"')
        for entry in actual.values():
            if entry.type == "index":
                conn.execute(f'DROP INDEX "{entry.name}"')
        for table in old_tables:
            conn.execute(f'ALTER TABLE "{table}" RENAME TO "{_EARLIER_PREFIX}{table}"')
        for entry in want.values():
            conn.execute(entry.sql)
        for entry in want.values():
            if entry.type != "table" or entry.name not in old_tables or entry.name in derived:
                continue
            old = f"{_EARLIER_PREFIX}{entry.name}"
            kept = {c.name for c in columns(conn, old)}
            names = ", ".join(f'"{c.name}"' for c in want_columns[entry.name] if c.name in kept)
            without_rowid = "without rowid" in entry.shape
            order = "" if without_rowid else " ORDER BY rowid"
            conn.execute(f'INSERT INTO "{entry.name}" ({names}) SELECT {names} FROM "{old}"{order}')
        for table in old_tables:
            conn.execute(f'DROP TABLE "{_EARLIER_PREFIX}{table}"')
    finally:
        conn.execute("PRAGMA legacy_alter_table = OFF")
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise StoreError(
            f"{len(broken)} row(s) refer to rows that do not exist (first: {table} row {rowid} "
            f"-> {parent})",
            where=str(path),
        )
    if not same_shape(read_schema(conn), want):
        raise StoreError(
            f"rebuilding the store to schema version {version} did not give that schema",
            where=str(path),
        )
