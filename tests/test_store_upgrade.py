"""Stores made by earlier versions of rea open with today's: they migrate (an earlier text of an
edited migration is repaired, every row kept) and every command works on them. A store whose
schema is not what its version promises, and a file that is no rea store, get an Error line."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from rea.errors import StoreError
from rea.store import SCHEMA_VERSION, open_store
from rea.store.schema import (
    Schema,
    earlier_origin,
    migrations,
    promised,
    read_schema,
    same_shape,
)
from tests.helpers import FIXTURES, REPO, invoke

STORES = FIXTURES / "stores"
FIXTURE_STORES = sorted(STORES.glob("*.sqlite"))
REASON = "not-gp-collaboration"


def review_with(tmp_path: Path, store: Path) -> Path:
    """A review folder with today's pcn-rea settings and a copy of ``store``."""
    root = tmp_path / "searches" / "pcn-rea"
    root.mkdir(parents=True)
    for name in ("strategy.toml", "screening.toml"):
        shutil.copyfile(REPO / "searches" / "pcn-rea" / name, root / name)
    shutil.copyfile(store, root / "store.sqlite")
    return root


def rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, read without rea."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables
        }
    finally:
        conn.close()


def column_names(path: Path, table: str) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    finally:
        conn.close()


def ok(args: list[str]) -> str:
    result = invoke(args)
    assert result.exit_code == 0, f"rea {' '.join(args)}: {result.stderr}"
    return result.stdout


def test_there_are_stores_of_at_least_three_earlier_versions() -> None:
    made_by = (STORES / "README.md").read_text(encoding="utf-8")
    assert len(FIXTURE_STORES) >= 3
    for store in FIXTURE_STORES:
        assert store.name in made_by  # each says which commit made it


@pytest.mark.parametrize("fixture", FIXTURE_STORES, ids=lambda p: p.stem)
def test_an_earlier_store_migrates_keeping_every_row(tmp_path: Path, fixture: Path) -> None:
    root = review_with(tmp_path, fixture)
    store_path = root / "store.sqlite"
    before = rows(store_path)
    with open_store(store_path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert same_shape(read_schema(store.conn), promised(SCHEMA_VERSION))
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    after = rows(store_path)
    for table, old in before.items():
        assert table in after, f"table {table} is gone"
        new_columns = column_names(store_path, table)
        conn = sqlite3.connect(f"file:{fixture}?mode=ro", uri=True)
        old_columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
        conn.close()
        assert set(old_columns) <= set(new_columns), f"{table} lost a column"
        # every earlier row is there, with its values, under the same column names
        kept = {
            tuple(dict(zip(new_columns, r, strict=True))[c] for c in old_columns)
            for r in after[table]
        }
        assert set(old) <= kept, f"{table} lost rows"
        assert len(after[table]) == len(old), (
            f"{table} has {len(after[table])} rows, had {len(old)}"
        )
    # opening again changes nothing
    with open_store(store_path):
        pass
    assert rows(store_path) == after


@pytest.mark.parametrize("fixture", FIXTURE_STORES, ids=lambda p: p.stem)
def test_every_command_works_on_an_earlier_store(tmp_path: Path, fixture: Path) -> None:
    review = str(review_with(tmp_path, fixture))
    r = ["--review", review]
    ok(["runs", *r])
    export = FIXTURES / "sources" / "exports" / "rispy_example_full.ris"
    ok(["import", str(export), "--source", "ovid", "--stage", "2013-2018-all", *r])
    ok(["dedup", *r])
    with open_store(Path(review) / "store.sqlite") as store:
        first_work = store.conn.execute("SELECT min(work_id) FROM works").fetchone()[0]
    ok(["dedup", "explain", str(first_work), *r])
    ok(["dedup", "export", "--format", "csv", "--out", str(tmp_path / "works.csv"), *r])
    ok(["dedup", "export", "--format", "ris", "--out", str(tmp_path / "works.ris"), *r])
    ok(["screen", "stats", *r])
    ok(["conflicts", *r])
    ok(["screen", "export", "--reviewer", "JS", "--out", str(tmp_path / "js.csv"), *r])
    # finish the review: exclude every work nobody has decided on, settle the full texts
    with open_store(Path(review) / "store.sqlite") as store:
        undecided = [
            row[0]
            for row in store.conn.execute(
                "SELECT work_id FROM works WHERE merged_into IS NULL AND work_id NOT IN"
                " (SELECT work_id FROM decisions)"
            )
        ]
        maybes = [
            row[0]
            for row in store.conn.execute(
                "SELECT DISTINCT work_id FROM current_decisions WHERE decision = 'maybe'"
            )
        ]

    def exclude(work: int, phase: str) -> None:
        for reviewer in ("JS", "AH"):
            ok(
                [
                    "decide",
                    str(work),
                    "exclude",
                    "--phase",
                    phase,
                    "--reason",
                    REASON,
                    *r,
                    "--reviewer",
                    reviewer,
                ]
            )

    for work in undecided:
        exclude(work, "title_abstract")
    for work in maybes:
        ok(["fulltext", str(work), "retrieved", "--location", "pdfs/w.pdf", "--by", "JS", *r])
        exclude(work, "full_text")
    counts = ok(["prisma", "--json", *r])
    assert "records_screened" in counts
    ok(["prisma", "--csv", str(tmp_path / "prisma.csv"), *r])
    ok(["report", *r])
    assert (Path(review) / "report" / "report.html").is_file()


def schema_of(store: Path) -> tuple[int, Schema]:
    """A fixture's version and schema, read without rea opening (or repairing) it."""
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0]), read_schema(conn)
    finally:
        conn.close()


def test_todays_migrations_still_make_the_latest_earlier_store() -> None:
    """A migration that has landed is never edited: the store the rea of the latest fixture
    made is exactly what today's migrations promise for its version (no repair needed)."""
    latest = max(FIXTURE_STORES, key=lambda p: (int(p.stem[1 : p.stem.index("-")]), p.name))
    version, actual = schema_of(latest)
    assert same_shape(actual, promised(version))
    assert earlier_origin(actual, version) is None


def test_every_earlier_store_is_known_as_such() -> None:
    """Each fixture either matches what its version promises or what earlier texts made."""
    for fixture in FIXTURE_STORES:
        version, actual = schema_of(fixture)
        assert same_shape(actual, promised(version)) or earlier_origin(actual, version)


# -- drift ------------------------------------------------------------------------------------


def fresh_store(tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite"
    open_store(path).close()
    return path


def tamper(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def refusal(path: Path) -> str:
    with pytest.raises(StoreError) as caught:
        open_store(path)
    return caught.value.message()


def test_an_extra_column_is_named(tmp_path: Path) -> None:
    path = fresh_store(tmp_path)
    tamper(path, "ALTER TABLE works ADD COLUMN colour TEXT")
    message = refusal(path)
    assert f"not what its version {SCHEMA_VERSION} promises" in message
    assert "table works has an extra column colour" in message
    assert str(path) in message


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = fresh_store(tmp_path)
    tamper(path, "DROP VIEW current_records", "ALTER TABLE records DROP COLUMN url")
    message = refusal(path)
    assert "table records has no column url" in message
    assert "view current_records is missing" in message


def test_a_changed_column_and_a_changed_view_are_named(tmp_path: Path) -> None:
    path = fresh_store(tmp_path)
    conn = sqlite3.connect(path)
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'works'").fetchone()
    conn.close()
    changed = re.sub(r"created_at\s+TEXT NOT NULL", "created_at INTEGER", sql)
    assert changed != sql
    tamper(
        path,
        "PRAGMA writable_schema = ON",
        f"UPDATE sqlite_master SET sql = '{changed}' WHERE name = 'works'",
        "PRAGMA writable_schema = OFF",
        "DROP VIEW current_study_types",
        "CREATE VIEW current_study_types AS SELECT * FROM study_types",
    )
    message = refusal(path)
    assert "column works.created_at is INTEGER, where TEXT NOT NULL is expected" in message
    assert "view current_study_types is defined differently" in message


def test_a_table_of_another_program_is_named(tmp_path: Path) -> None:
    path = fresh_store(tmp_path)
    tamper(path, "CREATE TABLE notes (x TEXT)")
    assert "table notes should not be there" in refusal(path)


def test_drift_is_an_error_line_from_the_command_line(tmp_path: Path) -> None:
    root = review_with(tmp_path, fresh_store(tmp_path))
    tamper(root / "store.sqlite", "DROP INDEX records_doi")
    result = invoke(["screen", "stats", "--review", str(root)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "index records_doi is missing" in result.stderr
    assert str(root / "store.sqlite") in result.stderr


def test_every_object_of_the_schema_is_checked(tmp_path: Path) -> None:
    """Dropping any one table, index, view or trigger that the migrations make is refused,
    naming it (the check is derived from the migrations, not from a list)."""
    base = fresh_store(tmp_path / "base")
    for (kind, name), _entry in promised(SCHEMA_VERSION).items():
        path = tmp_path / f"{kind}-{name}.sqlite"
        shutil.copyfile(base, path)
        tamper(path, "PRAGMA foreign_keys = OFF", f'DROP {kind.upper()} "{name}"')
        assert f"{kind} {name} is missing" in refusal(path)


def test_the_check_follows_new_migrations() -> None:
    """The promise of each version is what the migrations up to it make."""
    for version in range(1, SCHEMA_VERSION + 1):
        made = {e.name for e in promised(version).values()}
        statements = " ".join(m.sql for m in migrations()[:version])
        for name in made:
            assert re.search(rf"\b{re.escape(name)}\b", statements)
    assert promised(SCHEMA_VERSION).keys() > promised(1).keys()


# -- files that are not rea stores ----------------------------------------------------------


def error_line_for(tmp_path: Path, content: bytes) -> str:
    root = review_with(tmp_path, fresh_store(tmp_path))
    store = root / "store.sqlite"
    for suffix in ("-wal", "-shm"):
        store.with_name(store.name + suffix).unlink(missing_ok=True)
    store.write_bytes(content)
    result = invoke(["screen", "stats", "--review", str(root)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: "), result.stderr
    assert str(store) in result.stderr
    return result.stderr


def test_a_text_file_is_not_a_store(tmp_path: Path) -> None:
    assert "not an SQLite database" in error_line_for(tmp_path, b"TY  - JOUR\nER  - \n" * 50)


def test_an_empty_file_is_not_taken_for_a_new_store(tmp_path: Path) -> None:
    assert "empty (0 bytes)" in error_line_for(tmp_path, b"")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_a_truncated_store_is_refused(tmp_path: Path, keep: float) -> None:
    data = FIXTURE_STORES[-1].read_bytes()
    assert "cut short" in error_line_for(tmp_path, data[: int(len(data) * keep)])


def test_a_cut_header_is_refused(tmp_path: Path) -> None:
    data = FIXTURE_STORES[-1].read_bytes()
    assert "cut short" in error_line_for(tmp_path, data[:60])


def test_a_damaged_store_is_refused(tmp_path: Path) -> None:
    data = bytearray(FIXTURE_STORES[-1].read_bytes())
    data[100:1024] = b"\xff" * 924  # the rest of the first page: the schema table
    message = error_line_for(tmp_path, bytes(data))
    assert "damaged" in message


def test_another_programs_database_is_not_a_store(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE items (itemID INTEGER PRIMARY KEY, title TEXT)")
    conn.commit()
    conn.close()
    message = error_line_for(tmp_path, other.read_bytes())
    assert "not a rea store" in message and "items" in message
