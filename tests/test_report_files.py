"""The report as files: PNG and PDF beside the SVGs, a folder replaced whole (also when killed
at a random moment), --out refusing a folder of other files, a missing converter as an Error
line, what the report shows first, and a hostile record whose links run nothing when every
one is clicked in a real headless browser."""

from __future__ import annotations

import builtins
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rea.cli import main
from rea.config import ReviewPaths
from rea.pipeline import screening as pipeline
from rea.pipeline.prisma import build_report
from rea.report import ReferenceView
from rea.report.html import safe_href
from rea.screening import Phase
from rea.store import open_store
from tests.browser_support import chromium
from tests.helpers import REPO
from tests.screening_support import make_review

TA, FT = Phase.TITLE_ABSTRACT, Phase.FULL_TEXT


def screened(tmp_path: Path, n: int = 4) -> ReviewPaths:
    """A review of ``n`` works: 1 and 2 included, 3 excluded at full text, the rest excluded
    at title/abstract."""
    paths = make_review(tmp_path, n, share=1.0)
    for work in range(1, n + 1):
        for reviewer in ("AH", "MS"):
            decision = "include" if work <= 3 else "exclude"
            pipeline.decide(paths, work, decision, phase=TA, reviewer=reviewer)
    for work in (1, 2, 3):
        pipeline.set_retrieval(paths, work, "retrieved", by="AH", location="pdfs/x.pdf")
        for reviewer in ("AH", "MS"):
            if work == 3:
                pipeline.decide(
                    paths, work, "exclude", phase=FT, reviewer=reviewer, reason="no-full-text"
                )
            else:
                pipeline.decide(paths, work, "include", phase=FT, reviewer=reviewer)
    return paths


def test_the_report_opens_with_what_a_reader_looks_for(tmp_path: Path) -> None:
    paths = screened(tmp_path)
    pipeline.link_study(paths, [1, 2], by="JS")
    files = build_report(paths, tmp_path / "out", final=True)
    html = files.html.read_text(encoding="utf-8")
    order = ["flows", "numbers", "included", "excluded", "agreement", "strategy", "provenance"]
    at = [html.index(f'<section id="{name}">') for name in order]
    assert at == sorted(at)
    assert "Interim report" not in html
    excluded = html[html.index('<section id="excluded">') : html.index('<section id="agreement">')]
    assert "Full text could not be assessed." in excluded and 'data-work="3"' in excluded
    included = html[html.index('<section id="included">') : html.index('<section id="excluded">')]
    assert included.count("<li data-work=") == 2  # work 2 listed under work 1's study
    assert "Also reported in:" in included
    assert "kappa for each pair of reviewers, per phase" in html


def test_an_interim_report_says_so_and_final_refuses(tmp_path: Path) -> None:
    paths = screened(tmp_path, 5)
    pipeline.decide(paths, 5, "include", phase=TA, reviewer="AH")
    pipeline.decide(paths, 5, "exclude", phase=TA, reviewer="MS")  # a conflict
    files = build_report(paths, tmp_path / "out", images_too=False)
    html = files.html.read_text(encoding="utf-8")
    assert "<title>Interim: " in html and 'id="interim"' in html
    assert 'data-box="awaiting_screening" data-n="1"' in html
    result = CliRunner().invoke(main, ["report", "--review", str(paths.root), "--final"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: records_screened: works without a final")


def test_an_override_is_listed_in_the_report(tmp_path: Path) -> None:
    paths = screened(tmp_path)
    pipeline.resolve_work(paths, 4, "include", phase=TA, by="JS", override=True, note="key paper")
    html = build_report(paths, tmp_path / "out", images_too=False).html.read_text("utf-8")
    section = html[html.index('<section id="overrides">') :]
    assert '<td class="n">4</td><td>title abstract</td><td>include</td>' in section
    assert "key paper" in section


def test_diagrams_come_as_png_and_pdf_and_the_report_as_pdf(tmp_path: Path) -> None:
    from pypdf import PdfReader

    paths = screened(tmp_path)
    files = build_report(paths, tmp_path / "out", final=True)
    assert [p.name for p in files.pngs] == [
        "flow-1998-2012-reviews.png",
        "flow-2013-2018-all.png",
        "flow-total.png",
    ]
    for png in files.pngs:
        head = png.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(head[16:20], "big")
        assert width >= 2000  # drawn at twice the SVG's 1070 px
    flow_pdf = PdfReader(str(tmp_path / "out" / "flow-total.pdf"))
    text = flow_pdf.pages[0].extract_text()
    assert "Records screened" in text and "Studies included in review" in text
    report = PdfReader(str(tmp_path / "out" / "report.pdf"))
    assert len(report.pages) >= 3
    whole = "\n".join(page.extract_text() for page in report.pages)
    assert "Reports excluded at full text, with reasons" in whole
    assert "Full text could not be assessed" in whole


def test_a_missing_converter_is_an_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = screened(tmp_path)
    real_import = builtins.__import__

    def no_cairo(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "cairosvg":
            raise OSError('no library called "cairo-2" was found')  # what cairocffi says
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "cairosvg", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_cairo)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", "--review", str(paths.root), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        'Error: cannot draw the diagrams as PNG and PDF: no library called "cairo-2" was found'
    )
    assert "apt-get install libcairo2" in result.stderr and "--svg-only" in result.stderr
    assert not out.exists()  # nothing half-written
    fallback = CliRunner().invoke(
        main, ["report", "--review", str(paths.root), "--out", str(out), "--svg-only"]
    )
    assert fallback.exit_code == 0, fallback.stderr
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".png") == []


def test_out_refuses_a_folder_of_other_files(tmp_path: Path) -> None:
    paths = screened(tmp_path)
    desk = tmp_path / "Desktop"
    desk.mkdir()
    (desk / "thesis.docx").write_text("my work")
    result = CliRunner().invoke(
        main, ["report", "--review", str(paths.root), "--out", str(desk), "--svg-only"]
    )
    assert result.exit_code == 1
    assert "holds files that are not a rea report (thesis.docx)" in result.stderr
    assert sorted(p.name for p in desk.iterdir()) == ["thesis.docx"]
    again = tmp_path / "again"
    for _ in range(2):  # a report folder is replaced by the next report
        done = CliRunner().invoke(
            main, ["report", "--review", str(paths.root), "--out", str(again), "--svg-only"]
        )
        assert done.exit_code == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".again")) == []


def _set(folder: Path) -> dict[str, bytes]:
    """A report folder's files, without what differs between two writes of the same report:
    when it was written (in the HTML), and a PDF's creation date and ids (its pages' text is
    compared instead; a cut PDF does not open)."""
    from pypdf import PdfReader

    found = {}
    for p in sorted(folder.iterdir()):
        data = p.read_bytes()
        if p.suffix == ".pdf":
            text = "\f".join(page.extract_text() for page in PdfReader(str(p)).pages)
            data = text.encode("utf-8")
        if p.suffix in (".html", ".pdf"):
            data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", b"-", data)
        found[p.name] = data
    return found


@pytest.mark.slow
def test_a_kill_at_any_moment_leaves_the_old_report_or_the_new(tmp_path: Path) -> None:
    """`rea report` (PNG and PDF too, a few seconds of writing) killed at random moments: the
    folder holds the old report or the new one, whole, never a mix; leftovers of the killed
    processes are cleaned up by the next report."""
    paths = screened(tmp_path)
    out, reference, backup = tmp_path / "report", tmp_path / "reference", tmp_path / "backup"
    args = [sys.executable, "-m", "rea", "report", "--review", str(paths.root)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def report(folder: Path) -> None:
        subprocess.run([*args, "--out", str(folder)], env=env, check=True, capture_output=True,
                       timeout=120)  # fmt: skip

    report(out)
    shutil.copytree(out, backup)
    old = _set(out)
    pipeline.decide(paths, 4, "undo", phase=TA, reviewer="MS")  # the numbers change
    started = time.monotonic()
    report(reference)
    took = time.monotonic() - started  # kills fall anywhere in a run, and a few after it
    new = _set(reference)
    assert new != old and set(new) == set(old)
    rng = random.Random(11)
    outcomes = []
    for _ in range(6):
        proc = subprocess.Popen([*args, "--out", str(out)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(rng.uniform(0.3, 1.1 * took))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        now = _set(out)
        assert now in (old, new), f"a mix of two reports: {sorted(now)}"
        outcomes.append("new" if now == new else "old")
        shutil.rmtree(out)
        shutil.copytree(backup, out)
    assert "old" in outcomes and "new" in outcomes, outcomes  # both moments were hit
    report(out)
    assert _set(out) == new
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report.")] == []


def test_only_http_https_and_doi_links_are_links() -> None:
    assert safe_href("10.1000/a<b>") == "https://doi.org/10.1000/a%3Cb%3E"
    assert safe_href(url="https://example.org/x?y=1") == "https://example.org/x?y=1"
    assert safe_href(url="HTTP://example.org/") == "HTTP://example.org/"
    for bad in (
        "javascript:alert(1)",
        " javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "vbscript:msgbox",
        "//evil.example/x",
        "http:/no-host",
        'https://a.example/"onmouseover="x',
        "https://user@evil.example/",
    ):
        assert safe_href(url=bad) is None, bad
    assert ReferenceView(1, "c", url="javascript:x").href is None


HOSTILE = "<img src=x onerror=\"fetch('http://127.0.0.1:{port}/img')\">"


@pytest.mark.slow
def test_clicking_every_link_of_a_hostile_record_runs_nothing(tmp_path: Path) -> None:
    """A record whose every field is an attack; the report opened in headless chromium (with
    chromedriver), every link clicked: nothing runs, nothing is fetched."""
    import http.server
    import threading

    hits: list[str] = []

    class Listener(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    evil = HOSTILE.format(port=port)
    script = f"<script>fetch('http://127.0.0.1:{port}/script')</script>"
    paths = make_review(tmp_path, 2, share=1.0)
    with open_store(paths.store) as store, store.transaction() as conn:
        conn.execute(
            "UPDATE records SET title = :t, journal = :j, url = :u, doi = :d WHERE record_id = 1",
            {
                "t": evil + script,
                "j": script,
                "u": f"javascript:fetch('http://127.0.0.1:{port}/js')",
                "d": f"10.1/\"><script>fetch('http://127.0.0.1:{port}/doi')</script>",
            },
        )
        conn.execute(
            "UPDATE records SET title = :t, url = :u, doi = '' WHERE record_id = 2",
            {"t": "Second " + evil, "u": f"http://127.0.0.1:{port}/plain-link"},
        )
    for work in (1, 2):
        for reviewer in ("AH", "MS"):
            pipeline.decide(paths, work, "include", phase=TA, reviewer=reviewer)
        pipeline.set_retrieval(paths, work, "retrieved", by="AH", location="x.pdf")
        for reviewer in ("AH", "MS"):
            pipeline.decide(paths, work, "include", phase=FT, reviewer=reviewer)
    files = build_report(paths, tmp_path / "out", final=True, images_too=False)
    html = files.html.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "script-src 'none'" in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert all(h.startswith(("#", "https://doi.org/", "http://", "https://")) for h in hrefs)

    from playwright.sync_api import sync_playwright

    executable = chromium()  # skips locally, fails in CI, without a browser
    with sync_playwright() as p:
        # nothing leaves the machine: every host name but 127.0.0.1 resolves to nowhere
        browser = p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        try:
            page = browser.new_page()
            ran: list[str] = []
            page.on("dialog", lambda d: (ran.append(d.message), d.dismiss()))
            page.goto(files.html.as_uri())
            count = page.locator("a").count()
            assert count >= 8
            for index in range(count):
                page.goto(files.html.as_uri())
                link = page.locator("a").nth(index)
                href = link.get_attribute("href") or ""
                assert not href.lower().startswith(("javascript:", "data:", "file:"))
                try:
                    link.click(timeout=5000)
                except Exception as exc:  # a link to nowhere: the navigation fails, as it should
                    assert "net::ERR" in str(exc) or "Timeout" in str(exc), exc
                page.wait_for_timeout(150)
            page.wait_for_timeout(500)
            assert ran == []
        finally:
            browser.close()
            server.shutdown()
    assert [h for h in hits if h != "/plain-link"] == []  # only the plain http link was fetched
