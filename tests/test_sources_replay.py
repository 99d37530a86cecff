"""The replay server itself: recorded exchanges byte for byte, faults.json, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from rea.errors import ConfigError
from rea.sources.replay import ReplayServer
from tests.sources_support import PUBMED, replay, write_pubmed


def _get(url: str, params: dict[str, str]) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"{url}?{urllib.parse.urlencode(params)}", timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _exchange(rec: Path) -> bytes:
    body = (PUBMED / "esearch1.xml").read_bytes()
    (rec / "exchanges").mkdir(parents=True)
    (rec / "exchanges" / "esearch1.xml").write_bytes(body)
    exchange = {
        "service": "pubmed",
        "path": "esearch.fcgi",
        "params": {"db": "pubmed", "term": "biopython"},
        "status": 200,
        "headers": {"Content-Type": "text/xml; charset=UTF-8"},
        "body_file": "esearch1.xml",
    }
    (rec / "exchanges" / "esearch1.json").write_text(json.dumps(exchange))
    return body


def test_exchange_is_answered_byte_for_byte_ignoring_key_tool_email(tmp_path: Path) -> None:
    body = _exchange(tmp_path)
    with replay(tmp_path) as server:
        params = {"db": "pubmed", "term": "biopython", "api_key": "x", "tool": "t", "email": "e"}
        status, got = _get(f"{server.pubmed_url}/esearch.fcgi", params)
        assert (status, got) == (200, body)
        status, got = _get(f"{server.pubmed_url}/esearch.fcgi", {"db": "pubmed", "term": "x"})
        assert status == 404 and got.startswith(b"rea replay: no recording matches")
        assert b'"term": "x"' in got
        assert len(server.unmatched) == 1


def test_esearch_pages_and_caps_like_pubmed(tmp_path: Path) -> None:
    pmids = write_pubmed(tmp_path, 30, term="t")
    with replay(tmp_path) as server:
        status, got = _get(
            f"{server.pubmed_url}/esearch.fcgi", {"term": "t", "retstart": "10", "retmax": "5"}
        )
    assert status == 200
    assert b"<Count>30</Count>" in got
    assert got.count(b"<Id>") == 5 and f"<Id>{pmids[10]}</Id>".encode() in got


def test_faults_json_and_the_cli(tmp_path: Path) -> None:
    write_pubmed(tmp_path, 3, term="t")
    faults = [
        {
            "service": "pubmed",
            "path": "esearch.fcgi",
            "kind": "error_body",
            "message": "Search Backend failed: try later",
        }
    ]
    (tmp_path / "faults.json").write_text(json.dumps(faults))
    process = subprocess.Popen(
        [sys.executable, "-m", "rea", "replay", "--recordings", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert process.stdout is not None
        pubmed_line = process.stdout.readline().strip()
        scopus_line = process.stdout.readline().strip()
        assert pubmed_line.startswith("REA_PUBMED_URL=http://127.0.0.1:")
        assert scopus_line.startswith("REA_SCOPUS_URL=http://127.0.0.1:")
        url = pubmed_line.split("=", 1)[1]
        first = _get(f"{url}/esearch.fcgi", {"term": "t"})
        second = _get(f"{url}/esearch.fcgi", {"term": "t"})
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert first == (200, first[1]) and b"<ERROR>Search Backend failed: try later" in first[1]
    assert b"<Count>3</Count>" in second[1]


def test_bad_recordings_are_reported_with_their_location(tmp_path: Path) -> None:
    (tmp_path / "pubmed" / "searches").mkdir(parents=True)
    (tmp_path / "pubmed" / "searches" / "bad.json").write_text('{"term": "x",\n "ids": [}\n')
    with pytest.raises(ConfigError) as info:
        ReplayServer(tmp_path)
    assert str(info.value.where).endswith("bad.json:2:10")
    (tmp_path / "pubmed" / "searches" / "bad.json").unlink()
    (tmp_path / "faults.json").write_text('[{"kind": "meteor_strike"}]')
    with pytest.raises(ConfigError, match="unknown fault kind"):
        ReplayServer(tmp_path)
