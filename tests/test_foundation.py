"""The foundation: the CLI's help and error translation, the store, redaction, the layers."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import pytest

from rea.config import Settings, redact, redact_params, redact_url
from rea.errors import Location, StoreError
from rea.records import normalize_doi, normalize_pages, normalize_pmid
from rea.store import SCHEMA_VERSION, open_store
from tests.helpers import REPO, run_cli


def test_help_has_an_example() -> None:
    result = run_cli(["--help"])
    assert result.returncode == 0
    assert "Example:" in result.stdout


def test_every_subcommand_help_has_an_example() -> None:
    import click

    from rea.cli import main

    missing = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
        ctx = click.Context(cmd, info_name=" ".join(path) or "rea")
        if "Example" not in cmd.get_help(ctx):
            missing.append(" ".join(path) or "rea")

    walk(main, [])
    assert missing == []


def test_unknown_review_is_an_error_line(tmp_path: Path) -> None:
    result = run_cli(["prisma", "--review", str(tmp_path / "nope")], cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr


def test_location_formats_file_line_column() -> None:
    assert str(Location("s.toml", 3, 7)) == "s.toml:3:7"
    assert str(Location("a.ris", 12, field="TI")) == "a.ris:12 field TI"


def test_store_is_wal_with_foreign_keys_and_latest_schema(tmp_path: Path) -> None:
    with open_store(tmp_path / "r.sqlite") as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError), store.transaction() as conn:
            conn.execute(
                "INSERT INTO record_work (record_id, work_id, rule, linked_at)"
                " VALUES (:r, :w, 'first', 'now')",
                {"r": 1, "w": 99},
            )


def test_old_store_migrates(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    open_store(path, upto=1).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    with open_store(path) as store:
        assert store.schema_version == SCHEMA_VERSION


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(StoreError, match="newer than this rea"):
        open_store(path)


def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    with open_store(tmp_path / "r.sqlite") as store:
        with pytest.raises(RuntimeError), store.transaction() as conn:
            conn.execute("INSERT INTO works (created_at) VALUES (:t)", {"t": "now"})
            raise RuntimeError("boom")
        assert store.conn.execute("SELECT count(*) FROM works").fetchone()[0] == 0


def test_redaction() -> None:
    url = "https://h/esearch.fcgi?term=x&api_key=SECRET123&tool=rea"
    assert "SECRET123" not in redact_url(url)
    assert redact_params({"X-ELS-APIKey": "k", "q": "x"}) == {"X-ELS-APIKey": "***", "q": "x"}
    assert "SECRET123" not in redact("failed: api_key=SECRET123", ["SECRET123"])
    settings = Settings.from_env({"SCOPUS_API_KEY": "abc", "REA_SCOPUS_URL": "http://127.0.0.1:9/"})
    assert settings.scopus_url == "http://127.0.0.1:9"
    assert settings.secrets() == ["abc"]


def test_normalisers() -> None:
    assert normalize_doi("https://doi.org/10.1136/BMJ.K1234.") == "10.1136/bmj.k1234"
    assert normalize_doi("doi:10.3310/hsdr-tr-129678") == "10.3310/hsdr-tr-129678"
    assert normalize_doi("not a doi") == ""
    assert normalize_pages("221-8") == "221-228"
    assert normalize_pages("1199–1201") == "1199-1201"
    assert normalize_pages("e123") == "e123"
    assert normalize_pmid("PMID: 34853009") == "34853009"


# Layers, downward only (DESIGN.md): a module may import only from layers below its own.
# `web` (rea serve) is a front end like `cli`, over the same pipeline; only the `rea serve`
# command launches it, so it sits just under `cli` and never imports it.
LAYERS: list[set[str]] = [
    {"cli"},
    {"web"},
    {"pipeline"},
    {"report", "screening", "prisma", "dedup", "sources", "ranking"},
    {"store"},
    {"records", "query", "config", "files", "screening_vocab", "completeness"},
    {"errors", "text"},
]


def _layer(name: str) -> int | None:
    for i, layer in enumerate(LAYERS):
        if name in layer:
            return i
    return None


def test_imports_go_downward_only() -> None:
    problems = []
    for path in sorted((REPO / "rea").rglob("*.py")):
        rel = path.relative_to(REPO / "rea").with_suffix("")
        own = _layer(rel.parts[0])
        if own is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] != "rea" or len(parts) < 2:
                    continue
                other = _layer(parts[1])
                if other is None or parts[1] == rel.parts[0]:
                    continue
                if other <= own:
                    problems.append(f"{rel} imports {name}")
    assert problems == []


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    from rea.errors import ReaError
    from rea.files import write_text_atomic

    target = tmp_path / "out.csv"
    write_text_atomic(target, "a,b\r\n1,2\r\n")
    assert target.read_bytes() == b"a,b\r\n1,2\r\n"  # line endings as given
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(target, "x\ud800")  # not encodable: fails after the file is opened
    assert target.read_bytes() == b"a,b\r\n1,2\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with pytest.raises(ReaError, match="cannot write the export") as caught:
        write_text_atomic(target / "inside.csv", "x", what="the export")  # a file as folder
    assert str(target / "inside.csv") in caught.value.message()


#: The screening vocabulary and its two rules: defined once, in rea/screening_vocab.py.
ONE_ROOM = {"Phase", "Decision", "Status", "Retrieval", "StudyType", "Role", "Tally", "Outcome"}
ONE_ROOM |= {"outcome", "unresolved_outcome", "cohen_kappa", "agreement", "Agreement"}


def test_the_screening_words_and_rules_live_in_one_room() -> None:
    copies = []
    for path in sorted((REPO / "rea").rglob("*.py")):
        if path.name == "screening_vocab.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef | ast.FunctionDef) and node.name in ONE_ROOM:
                copies.append(f"{path.relative_to(REPO)}: {node.name}")
    assert copies == []
    sql = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "rea" / "store").glob("*.py"))
    # the store counts (tallies); it does not decide: no final status is computed in SQL
    assert "'conflict'" not in sql and "'included'" not in sql


def test_the_cli_starts_without_heavy_libraries() -> None:
    """Start-up stays fast (bench/cli measures it): heavy libraries are imported where used."""
    import subprocess
    import sys

    heavy = ["scipy", "pandas", "sklearn", "lxml", "jinja2", "Bio", "cairosvg", "weasyprint"]
    code = f"import sys, rea.cli; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.split() == []
