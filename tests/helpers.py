"""Test helpers: paths anchored at this file, and the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from click.testing import Result

TESTS = Path(__file__).parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"


def run_cli(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``rea ARGS`` as a user would, in a subprocess; returns the finished process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rea", *args],
        cwd=cwd or REPO,
        env=full_env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def invoke(
    args: Sequence[str], *, env: dict[str, str] | None = None, input: str | None = None
) -> Result:
    """Run ``rea ARGS`` in this process (click's CliRunner): ``exit_code``, ``stdout``,
    ``stderr``. A bug (anything but a ReaError) raises here with its traceback."""
    from click.testing import CliRunner

    from rea.cli import main

    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)
