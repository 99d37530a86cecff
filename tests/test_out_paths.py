"""Files written where the user said: never into a folder, a device, a pipe or a symlink to one;
a regular file with the user's normal permissions, written whole; and a rendered set of queries
replaced at once, even when the command is killed."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rea.errors import ReaError
from rea.files import replacing_folder, write_text_atomic
from tests.helpers import REPO, invoke
from tests.prisma_support import known_store
from tests.screening_support import make_review


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def refused(path: Path) -> str:
    with pytest.raises(ReaError) as caught:
        write_text_atomic(path, "text\n", what="the export")
    assert str(path) in caught.value.message()
    return caught.value.message()


def test_a_folder_a_device_a_pipe_and_links_to_them_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    links = {
        "to-folder": folder,
        "to-device": Path("/dev/null"),
        "to-pipe": fifo,
    }
    for name, to in links.items():
        (tmp_path / name).symlink_to(to)
    assert "the path is a folder" in refused(folder)
    assert "the path is a folder" in refused(tmp_path / "to-folder")
    assert "not a regular file" in refused(Path("/dev/null"))
    assert "not a regular file" in refused(tmp_path / "to-device")
    assert "not a regular file" in refused(fifo)  # refused at once: nothing waits on the pipe
    assert "not a regular file" in refused(tmp_path / "to-pipe")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere" / "x.csv")
    assert "symlink to nothing" in refused(tmp_path / "dangling")
    assert stat.S_ISFIFO(fifo.stat().st_mode) and folder.is_dir()  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["folder", "pipe", "dangling", *links]
    )  # no temporary file left behind


def test_a_symlink_to_a_file_stays_and_its_file_is_replaced(tmp_path: Path) -> None:
    real = tmp_path / "exports" / "latest.csv"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    write_text_atomic(link, "new\n")
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text(encoding="utf-8") == "new\n"


def test_a_new_file_gets_the_umask_and_a_replaced_one_keeps_its_mode(
    tmp_path: Path, umask_022: None
) -> None:
    new = tmp_path / "new.csv"
    write_text_atomic(new, "x\n")
    assert stat.S_IMODE(new.stat().st_mode) == 0o644
    os.umask(0o027)
    other = tmp_path / "other.csv"
    write_text_atomic(other, "x\n")
    assert stat.S_IMODE(other.stat().st_mode) == 0o640
    os.chmod(new, 0o664)
    write_text_atomic(new, "y\n")
    assert stat.S_IMODE(new.stat().st_mode) == 0o664
    assert new.read_text(encoding="utf-8") == "y\n"


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")

    with pytest.raises(TypeError):
        write_text_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_every_output_option_refuses_a_folder_and_a_device(tmp_path: Path) -> None:
    screening = make_review(tmp_path / "s", 2)
    pcn = tmp_path / "p"
    pcn.mkdir()
    shutil.copy(REPO / "searches" / "pcn-rea" / "strategy.toml", pcn / "strategy.toml")
    known_store(pcn / "store.sqlite").store.close()
    commands = [
        ["screen", "export", "--reviewer", "AH", "--review", str(screening.root), "--out"],
        ["dedup", "export", "--format", "csv", "--review", str(screening.root), "--out"],
        ["dedup", "export", "--format", "ris", "--review", str(screening.root), "--out"],
        ["prisma", "--review", str(pcn), "--csv"],
    ]
    folder = tmp_path / "a-folder"
    folder.mkdir()
    for command in commands:
        for target, says in (
            (folder, "a folder|a directory"),
            (Path("/dev/null"), "not a regular"),
        ):
            result = invoke([*command, str(target)])
            assert result.exit_code != 0, command
            # rea's own Error line, or click's usage error (which also starts "Error: ")
            error = next(line for line in result.stderr.splitlines() if line.startswith("Error: "))
            assert re.search(says, error) and str(target) in error, (command, error)
    assert list(folder.iterdir()) == []


# -- a set of files replaced at once ----------------------------------------------------------


def test_a_folder_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "queries"
    target.mkdir()
    (target / "a.txt").write_text("old a\n", encoding="utf-8")
    with pytest.raises(RuntimeError), replacing_folder(target) as new:
        (new / "a.txt").write_text("new a\n", encoding="utf-8")
        raise RuntimeError("stopped half-way")
    assert (target / "a.txt").read_text(encoding="utf-8") == "old a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queries"]
    with replacing_folder(target) as new:
        (new / "b.txt").write_text("new b\n", encoding="utf-8")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queries"]


def test_leftovers_of_a_killed_command_are_tidied(tmp_path: Path) -> None:
    target = tmp_path / "queries"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    pid = int(dead.stdout)
    (tmp_path / f".queries.new-{pid}-0a0a").mkdir()  # killed while writing
    old = tmp_path / f".queries.old-{pid}-0b0b"  # killed between the fallback's renames
    old.mkdir()
    (old / "a.txt").write_text("old a\n", encoding="utf-8")
    with replacing_folder(target) as new:
        assert (target / "a.txt").read_text(encoding="utf-8") == "old a\n"  # put back first
        (new / "a.txt").write_text("new a\n", encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queries"]


KILL_RENDER = 8


def rendered_set(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_make_queries_killed_at_random_moments_leaves_the_old_set_or_the_new(
    tmp_path: Path,
) -> None:
    review = tmp_path / "searches" / "pcn-rea"
    review.mkdir(parents=True)
    strategy = (REPO / "searches" / "pcn-rea" / "strategy.toml").read_text(encoding="utf-8")
    (review / "strategy.toml").write_text(strategy, encoding="utf-8")
    out = review / "queries"
    (out).mkdir()
    (out / "README.md").write_text("kept by the team\n", encoding="utf-8")
    argv = [sys.executable, "-m", "rea", "query", "render", "--all", "--review", str(review)]
    argv += ["--out", str(out)]
    assert subprocess.run(argv, capture_output=True, check=False).returncode == 0
    old = rendered_set(out)
    # a changed strategy renders differently: every query file changes
    changed = strategy.replace('"primary care network*"', '"primary care networks"', 1)
    assert changed != strategy
    (review / "strategy.toml").write_text(changed, encoding="utf-8")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    # how long a full render takes, to kill within it
    started = time.monotonic()
    subprocess.run(argv, capture_output=True, check=True, env=env)
    span = time.monotonic() - started
    new = rendered_set(out)
    assert new != old and new["README.md"] == "kept by the team\n"
    rng = random.Random(13)
    for _ in range(KILL_RENDER):
        (review / "strategy.toml").write_text(
            strategy if rendered_set(out) == new else changed, encoding="utf-8"
        )
        before = rendered_set(out)
        after = old if before == new else new
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env=env)  # fmt: skip
        time.sleep(rng.uniform(0.3, 1.0) * span)
        process.send_signal(signal.SIGKILL)
        process.wait()
        now = rendered_set(out)
        assert now in (before, after), "a mix of the old and the new set"
    # (which side each kill lands on depends on the machine's speed; both happen here)
    subprocess.run(argv, capture_output=True, check=True, env=env)
    assert sorted(p.name for p in review.iterdir()) == ["queries", "strategy.toml"]  # tidied
