"""Opening a review's SQLite store: WAL, busy timeout, foreign keys, numbered migrations.

Migrations are the files ``migrations/NNNN_name.sql``, applied in order inside one transaction
each; ``PRAGMA user_version`` holds the number of the last one applied. A database written by an
older rea opens and migrates; one written by a newer rea is refused; one whose schema is not
what its version promises is repaired or refused (:mod:`rea.store.schema`).

Whoever holds the write lock says so in ``store.sqlite-holder`` (command, process id, since when)
for as long as it holds it, so that a command that waited longer than the busy timeout
(``REA_BUSY_TIMEOUT`` seconds, default 30) can say which command holds the review.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from rea.config import busy_timeout
from rea.errors import ReaError, StoreError
from rea.files import write_text_atomic
from rea.store.schema import (
    differences,
    drift_error,
    earlier_origin,
    keeps_promise,
    migrations,
    read_schema,
    rebuild,
    split_sql,
)

SCHEMA_VERSION = len(migrations())


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
        with _locked(self.conn, self.path):
            yield self.conn

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])


def _holder_file(path: Path) -> Path:
    return path.with_name(path.name + "-holder")


def this_command() -> str:
    """How this process was started, as a user would type it (``rea dedup --review …``)."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if program in ("rea", "__main__.py", "-m"):
        program = "rea"
    command = " ".join([program, *sys.argv[1:]])
    return command if len(command) <= 200 else command[:199] + "…"


def _claim(path: Path) -> Path | None:
    """Say, while holding the write lock, who holds it; None if the note cannot be written
    (a read-only folder: the lock works without it)."""
    note = {
        "command": this_command(),
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    holder = _holder_file(path)
    try:
        write_text_atomic(holder, json.dumps(note), what="the store's holder note")
    except ReaError:
        return None
    return holder


def _release(holder: Path | None) -> None:
    if holder is not None:
        holder.unlink(missing_ok=True)


@contextmanager
def _locked(conn: sqlite3.Connection, path: Path) -> Iterator[None]:
    """One write transaction, its holder noted: committed, or rolled back whole."""
    begin(conn, path)
    holder = _claim(path)
    try:
        yield
    except BaseException:
        _release(holder)
        conn.rollback()
        raise
    _release(holder)
    conn.execute("COMMIT")


def begin(conn: sqlite3.Connection, path: Path) -> None:
    """``BEGIN IMMEDIATE``: take the write lock, waiting up to the busy timeout; a lock held
    longer is an error naming the command that holds it."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if _is_busy(exc):
            raise busy_error(path) from exc
        raise


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def busy_error(path: Path) -> StoreError:
    """The review's store stayed locked for the whole busy timeout: say who holds it."""
    waited = f"{busy_timeout():g} s"
    try:
        note = json.loads(_holder_file(path).read_text(encoding="utf-8"))
        command, pid, host, since = note["command"], int(note["pid"]), note["host"], note["since"]
    except (OSError, ValueError, KeyError, TypeError):
        return StoreError(
            f"the review is busy: another program has held its store for more than {waited}",
            where=str(path),
            hint="wait for the other rea command (or program using the store) to finish, then "
            "run this one again; REA_BUSY_TIMEOUT sets how many seconds to wait",
        )
    where = f"process {pid}" + ("" if host == socket.gethostname() else f" on {host}")
    return StoreError(
        f"the review is busy: `{command}` ({where}, since {since}) has held its store for more "
        f"than {waited}",
        where=str(path),
        hint=f"wait for `{command}` to finish, then run this command again; if it is stuck, stop "
        f"it (Ctrl-C in its terminal, or kill {pid}): what it had not finished is rolled back "
        "and nothing stored is lost. REA_BUSY_TIMEOUT sets how many seconds to wait",
    )


def _connect(path: Path, *, threads: bool = False) -> sqlite3.Connection:
    timeout = busy_timeout()
    try:
        conn = sqlite3.connect(
            path, timeout=timeout, isolation_level=None, check_same_thread=not threads
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store: {exc}", where=str(path)) from exc
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise _unreadable(path, exc) from exc
    if str(mode).lower() != "wal":
        raise StoreError(f"cannot switch the store to WAL mode (got {mode})", where=str(path))
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def migrate(conn: sqlite3.Connection, path: Path, upto: int | None = None) -> int:
    """Check the store's schema against its version (repairing an earlier store, refusing
    drift), then apply every newer migration; return the new version."""
    known = migrations()
    target = len(known) if upto is None else upto
    current = _user_version(conn)
    if current > len(known):
        raise StoreError(
            f"the store has schema version {current}, newer than this rea knows ({len(known)})",
            where=str(path),
            hint="upgrade rea",
        )
    if current == 0:
        strangers = sorted(e.name for e in read_schema(conn).values() if e.type == "table")
        if strangers:
            raise StoreError(
                "not a rea store: an SQLite database with tables of its own ("
                + ", ".join(strangers[:5])
                + (", …" if len(strangers) > 5 else "")
                + ")",
                where=str(path),
                hint="a review's store is <review>/store.sqlite, made by rea",
            )
    else:
        current = _ensure_schema(conn, path, current)
    for migration in known:
        if migration.number <= current or migration.number > target:
            continue
        with _locked(conn, path):
            # re-read inside the lock: another process may have migrated meanwhile
            if _user_version(conn) >= migration.number:
                continue
            try:
                for statement in split_sql(migration.sql):
                    conn.execute(statement)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"migration {migration.name} failed: {exc}", where=str(path)
                ) from exc
            conn.execute(f"PRAGMA user_version = {migration.number}")
    return _user_version(conn)


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _ensure_schema(conn: sqlite3.Connection, path: Path, version: int) -> int:
    """The store's schema is what ``version`` promises, or is made so when an earlier text of
    the migrations made it; anything else is refused. Returns the version it then has."""
    actual = read_schema(conn)
    if keeps_promise(actual, version):
        return version
    if earlier_origin(actual, version) is None:
        raise drift_error(path, version, differences(conn, actual, version))
    conn.execute("PRAGMA foreign_keys = OFF")  # no effect inside a transaction: set it first
    try:
        with _locked(conn, path):
            now = _user_version(conn)
            actual = read_schema(conn)  # another process may have repaired it meanwhile
            if now == version and not keeps_promise(actual, version):
                rebuild(conn, actual, version, path)
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    if now != version:
        return _ensure_schema(conn, path, now)
    return version


def open_store(
    path: Path | str, *, create: bool = True, upto: int | None = None, threads: bool = False
) -> Store:
    """Open (and if needed create and migrate) the store at ``path``.

    A file that is not a rea store (not SQLite, cut short, someone else's database) or whose
    schema is not what its version promises is refused with a :class:`StoreError` naming it.
    ``upto`` stops at an older schema version; tests use it to build an old database.
    ``threads`` lets the connection be used from several threads, one at a time (the caller
    serialises its use, as ``rea serve`` does with a lock per screening session).
    """
    path = Path(path)
    if not path.exists() and not create:
        raise StoreError(
            "no store here yet", where=str(path), hint="run `rea search` or `rea import` first"
        )
    _check_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = _connect(path, threads=threads)
    try:
        migrate(conn, path, upto)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise _unreadable(path, exc) from exc
    except BaseException:
        conn.close()
        raise
    return Store(conn, path)


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _check_file(path: Path) -> None:
    """Refuse, before SQLite sees it, a store path that is no SQLite file or is cut short."""
    if not path.exists():
        return
    if not path.is_file():
        raise StoreError("the store's path is not a regular file", where=str(path))
    size = path.stat().st_size
    if size == 0:
        raise StoreError(
            "the store file is empty (0 bytes): cut short, or not made by rea",
            where=str(path),
            hint="restore it from a backup; remove it only if the review has nothing stored yet",
        )
    with path.open("rb") as handle:
        header = handle.read(100)
    if not header.startswith(_SQLITE_MAGIC):
        raise StoreError(
            "not a rea store: the file is not an SQLite database",
            where=str(path),
            hint="a review's store is <review>/store.sqlite, made by rea",
        )
    if len(header) < 100:
        raise StoreError(f"the store file is cut short ({size} bytes)", where=str(path))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counted = header[24:28] == header[92:96]  # the page count is valid for this version
    wal = path.with_name(path.name + "-wal")
    busy_wal = wal.exists() and wal.stat().st_size > 32  # pages may still be in the WAL
    if counted and not busy_wal and size < pages * page_size:
        raise StoreError(
            f"the store file is cut short: {size} bytes where its header counts "
            f"{pages * page_size}",
            where=str(path),
            hint="restore it from a backup",
        )


def _unreadable(path: Path, exc: sqlite3.DatabaseError) -> StoreError:
    """A store SQLite cannot read: damaged, or not a database at all (or locked too long)."""
    if _is_busy(exc):
        return busy_error(path)
    return StoreError(
        f"cannot read the store ({exc}): damaged, or not a rea store",
        where=str(path),
        hint="restore it from a backup",
    )
