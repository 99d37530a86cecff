"""A real headless browser (Debian's chromium) for the report tests.

Without chromium the tests skip locally, and fail when ``CI=true`` (CI installs it through
``.ci/system-packages``).
"""

from __future__ import annotations

import html as html_module
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--mute-audio",
)

#: Appended to a copy of the report: measures what a reader sees and writes it into the DOM.
MEASURE = """
<script>
(function () {
  const out = {title: document.title, h1: document.querySelector('h1').textContent,
               pwned: document.body.hasAttribute('data-pwned'), svgs: []};
  for (const svg of document.querySelectorAll('svg.prisma-flow')) {
    const r = svg.getBoundingClientRect();
    const style = getComputedStyle(svg);
    const numbers = {};
    for (const t of svg.querySelectorAll('[data-box]')) {
      numbers[t.getAttribute('data-box')] = {n: Number(t.getAttribute('data-n')),
                                             text: t.textContent};
    }
    const boxes = svg.querySelectorAll('g.box rect');
    let hits = 0;
    for (const rect of boxes) {
      const b = rect.getBoundingClientRect();
      const el = document.elementFromPoint(b.left + 3, b.top + b.height / 2 - window.scrollY);
      if (el && svg.contains(el)) hits++;
    }
    out.svgs.push({flow: svg.getAttribute('data-flow'), width: r.width, height: r.height,
                   display: style.display, visibility: style.visibility,
                   boxes: boxes.length, numbers: numbers});
  }
  const pre = document.createElement('pre');
  pre.id = 'rea-measure';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed: CI must install it (.ci/system-packages)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def measure(report: Path) -> dict[str, object]:
    """Open a copy of ``report`` with the measuring script in headless chromium."""
    browser = chromium()
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "measured.html"
        html = report.read_text(encoding="utf-8")
        # the report forbids every script (its Content-Security-Policy): the copy measured
        # drops that one tag so that the measuring script may run
        html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
        page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
        result = subprocess.run(
            [
                browser,
                *FLAGS,
                f"--user-data-dir={tmp}/profile",
                "--window-size=1280,2000",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    match = re.search(r'<pre id="rea-measure">(.*?)</pre>', result.stdout, re.S)
    assert match, f"chromium gave no measurement: {result.stderr[-2000:]}"
    data: dict[str, object] = json.loads(html_module.unescape(match.group(1)))
    return data


def screenshot(report: Path, out: Path) -> Path:
    browser = chromium()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                browser,
                *FLAGS,
                f"--user-data-dir={tmp}/profile",
                "--window-size=1280,1800",
                f"--screenshot={out}",
                report.as_uri(),
            ],
            capture_output=True,
            timeout=90,
            check=True,
        )
    return out
