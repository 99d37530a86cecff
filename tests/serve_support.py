"""Helpers for the `rea serve` tests: a review served on a free loopback port in this process,
and an HTTP client per reviewer (real HTTP through requests, cookies and CSRF token kept)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from rea.config import ReviewPaths
from rea.pipeline import serve as pipeline
from rea.web.server import Server, start_server
from tests.screening_support import make_review

CSRF = re.compile(r'<meta name="csrf-token" content="([0-9a-f]*)">')


@contextmanager
def served(paths: ReviewPaths) -> Iterator[Server]:
    """The review served on 127.0.0.1 at a free port until the block ends."""
    server = start_server(paths, "127.0.0.1", 0, threads=4)
    thread = server.run_in_thread()
    try:
        yield server
    finally:
        server.stop()
        thread.join(10)


@dataclass
class Client:
    """One reviewer's browser, as far as HTTP goes."""

    base: str
    http: requests.Session = field(default_factory=requests.Session)
    csrf: str = ""

    def login(self, link: str) -> requests.Response:
        response = self.http.get(link, timeout=30)
        page = self.http.get(f"{self.base}/progress", timeout=30)
        match = CSRF.search(page.text)
        self.csrf = match.group(1) if match else ""
        return response

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self.base + path, timeout=30, allow_redirects=False, **kw)

    def post(
        self, path: str, json: Any = None, data: Any = None, *, csrf: bool = True, **kw: Any
    ) -> requests.Response:
        headers = {"X-CSRF-Token": self.csrf} if csrf and json is not None else {}
        if data is not None and csrf:
            data = {"csrf": self.csrf, **data}
        return self.http.post(
            self.base + path,
            json=json,
            data=data,
            headers=headers,
            timeout=30,
            allow_redirects=False,
            **kw,
        )


def client(server: Server, reviewer: str) -> Client:
    link = pipeline.invite(server.review.paths, reviewer, base_url=server.url).url
    c = Client(server.url)
    c.login(link)
    assert c.csrf, f"{reviewer} got no CSRF token after opening the link"
    return c


def review(tmp_path: Path, n_works: int = 6, share: float = 1.0) -> ReviewPaths:
    return make_review(tmp_path, n_works, share=share)
