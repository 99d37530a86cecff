"""Opening a review's SQLite store: WAL, busy timeout, foreign keys, numbered migrations.

Migrations are the files ``migrations/NNNN_name.sql``, applied in order inside one transaction
each; ``PRAGMA user_version`` holds the number of the last one applied. A database written by an
older rea opens and migrates; one written by a newer rea is refused.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from rea.errors import StoreError

BUSY_TIMEOUT_MS = 30_000

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("rea.store").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise StoreError(f"migrations are not numbered 1..n without gaps: {numbers}")
    return found


SCHEMA_VERSION = len(_migrations())


class Store:
    """One open connection to a review's store.

    Use :meth:`transaction` for every write: it is ``BEGIN IMMEDIATE`` … ``COMMIT``, so two
    processes writing at once queue on the busy timeout instead of failing or interleaving.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An explicit write transaction; rolled back whole if anything inside raises."""
        if self.conn.in_transaction:
            # nested use: a savepoint, so an inner failure undoes only the inner part
            name = f"sp_{id(self)}_{self.conn.total_changes}"
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
                raise
            self.conn.execute(f"RELEASE {name}")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])


def _connect(path: Path, *, threads: bool = False) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(
            path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=not threads,
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store: {exc}", where=str(path)) from exc
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StoreError(f"cannot switch the store to WAL mode (got {mode})", where=str(path))
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def migrate(conn: sqlite3.Connection, path: Path, upto: int | None = None) -> int:
    """Apply every migration newer than the database's ``user_version``; return the new version."""
    migrations = _migrations()
    target = len(migrations) if upto is None else upto
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > len(migrations):
        raise StoreError(
            f"the store has schema version {current}, newer than this rea knows "
            f"({len(migrations)})",
            where=str(path),
            hint="upgrade rea",
        )
    for number, name, sql in migrations:
        if number <= current or number > target:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # re-read inside the lock: another process may have migrated meanwhile
            now = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if now >= number:
                conn.execute("COMMIT")
                continue
            for statement in _split_sql(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.rollback()
            raise StoreError(f"migration {name} failed: {exc}", where=str(path)) from exc
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _split_sql(script: str) -> list[str]:
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


def open_store(
    path: Path | str, *, create: bool = True, upto: int | None = None, threads: bool = False
) -> Store:
    """Open (and if needed create and migrate) the store at ``path``.

    ``upto`` stops at an older schema version; tests use it to build an old database.
    ``threads`` lets the connection be used from several threads, one at a time (the caller
    serialises its use, as ``rea serve`` does with a lock per screening session).
    """
    path = Path(path)
    if not path.exists() and not create:
        raise StoreError(
            "no store here yet", where=str(path), hint="run `rea search` or `rea import` first"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = _connect(path, threads=threads)
    try:
        migrate(conn, path, upto)
    except BaseException:
        conn.close()
        raise
    return Store(conn, path)
