"""The `rea serve` commands: invite, revoke and links in-process; the server itself in a
subprocess (it prints its address, and warns when it listens beyond this computer)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from rea.cli import main
from tests.helpers import REPO
from tests.serve_support import review


def rea(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_invite_prints_a_link_revoke_stops_it_and_links_lists_them(tmp_path: Path) -> None:
    paths = review(tmp_path)
    where = str(paths.root)
    code, out, _ = rea("serve", "invite", "AH", "--review", where)
    assert code == 0
    assert re.fullmatch(r"http://127\.0\.0\.1:8765/login/[A-Za-z0-9_-]{40,}\n", out)
    code, out, err = rea("serve", "invite", "AH", "--review", where, "--url", "https://s.example")
    assert code == 0 and out.startswith("https://s.example/login/")
    assert "earlier link no longer works" in err
    code, out, _ = rea("serve", "links", "--review", where)
    lines = out.splitlines()
    assert len(lines) == 2 and "revoked" in lines[0] and lines[1].endswith("valid")
    code, out, _ = rea("serve", "revoke", "AH", "--review", where)
    assert (code, out) == (0, "AH: 1 link revoked\n")
    code, out, _ = rea("serve", "links", "--review", where, "--json")
    assert all(row["revoked_at"] for row in json.loads(out))


def test_inviting_someone_who_is_not_a_reviewer_is_an_error_line(tmp_path: Path) -> None:
    paths = review(tmp_path)
    code, _, err = rea("serve", "invite", "XX", "--review", str(paths.root))
    assert code == 1
    assert err.startswith("Error: ") and "unknown reviewer 'XX'" in err
    code, _, err = rea("serve", "invite", "AH", "--review", str(paths.root), "--url", "ftp://x")
    assert code == 1 and "http:// or https://" in err


@pytest.mark.slow
@pytest.mark.parametrize(("host", "warns"), [("127.0.0.1", False), ("0.0.0.0", True)])
def test_rea_serve_prints_its_address_and_warns_off_loopback(
    tmp_path: Path, host: str, warns: bool
) -> None:
    paths = review(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rea", "serve", "--review", str(paths.root), "--host", host,
         "--port", "0"],
        stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            lines.append(line)
            if line.startswith("Serving") or not line:
                break
        text = "".join(lines)
        match = re.search(r"Serving test-rea at http://[^:]+:(\d+)", text)
        assert match, text
        assert ("behind TLS" in text) is warns
        answer = requests.get(f"http://127.0.0.1:{match.group(1)}/progress", timeout=30)
        assert answer.status_code == 403  # no link, no page
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    assert proc.returncode == 0
