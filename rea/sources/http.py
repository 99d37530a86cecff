"""The one HTTP client of rea: timeouts, retries with back-off, a throttle per API, a base URL.

Every request to a search API goes through :class:`Http`. It

- sends every request with a (connect, read) timeout;
- waits between requests so that one API never gets more than its rate (the throttle of an API
  is shared by every :class:`Http` that talks to it, in this process);
- retries 429, 5xx, dropped connections, timeouts and whatever the caller's ``check`` marks as
  transient (e.g. an ``<ERROR>`` body in an HTTP 200), with exponential back-off that honours
  ``Retry-After``;
- never logs or raises a message that holds a secret (URLs and parameters are redacted).

``sleep`` and ``clock`` are injectable so that tests do not wait for real back-off.
"""

from __future__ import annotations

import email.utils
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from rea import __version__
from rea.config import redact, redact_url
from rea.errors import SourceError, TransientSourceError

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Clock = Callable[[], float]

OFFLINE_HINT = (
    "check the network connection; to work offline, start `rea replay --recordings DIR` and set "
    "REA_PUBMED_URL and REA_SCOPUS_URL to the addresses it prints"
)

#: (connect, read) timeout in seconds for every request.
DEFAULT_TIMEOUT = (10.0, 120.0)


@dataclass(frozen=True)
class HttpResponse:
    """What came back: status, headers (lower-case names), the body byte for byte."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str  # redacted

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def text(self, limit: int | None = None) -> str:
        body = self.body if limit is None else self.body[:limit]
        return body.decode("utf-8", errors="replace")


Check = Callable[[HttpResponse], None]


class Throttle:
    """At most ``rate`` requests per second; thread-safe."""

    def __init__(self, rate: float, *, clock: Clock = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, sleep: Sleep = time.sleep) -> None:
        """Block until the next request may go (``sleep`` is injectable for tests)."""
        with self._lock:
            now = self.clock()
            if now < self._next:
                sleep(self._next - now)
            self._next = self.clock() + self.interval


_THROTTLES: dict[str, Throttle] = {}
_THROTTLES_LOCK = threading.Lock()


def shared_throttle(api: str, rate: float) -> Throttle:
    """The throttle of one API (e.g. ``ncbi``), created on first use and shared afterwards.

    A later call with a different rate (an API key was set) updates the interval.
    """
    with _THROTTLES_LOCK:
        throttle = _THROTTLES.get(api)
        if throttle is None:
            throttle = _THROTTLES[api] = Throttle(rate)
        else:
            throttle.interval = 1.0 / rate if rate > 0 else 0.0
        return throttle


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries in all, the first included
    backoff: float = 1.0  # first wait, doubled each time
    max_wait: float = 120.0


def parse_retry_after(value: str, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


def _reason(text: str) -> str:
    """The last readable cause in a urllib3 error message (``[Errno 111] Connection refused``)."""
    match = re.findall(r"\[Errno -?\d+\] [^'\")]+", text)
    return match[-1].strip() if match else "connection failed"


def make_session() -> requests.Session:
    """The requests session every API call uses (no proxy from the environment for loopback)."""
    session = requests.Session()
    session.headers["User-Agent"] = f"rea/{__version__} (+https://github.com/rea-project/rea)"
    return session


@dataclass
class Http:
    """A client for one API at one base URL."""

    api: str  # name of the throttle, e.g. "ncbi", "scopus"
    base_url: str
    rate: float  # requests per second
    headers: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Sleep = time.sleep
    session: requests.Session = field(default_factory=make_session)
    on_retry: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if urlsplit(self.base_url).hostname in ("127.0.0.1", "localhost", "::1"):
            self.session.trust_env = False  # a proxy from the environment must not see loopback
        self.throttle = shared_throttle(self.api, self.rate)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path}" if path else self.base_url

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        *,
        check: Check | None = None,
    ) -> HttpResponse:
        """One request, retried while it fails transiently; returns the first good response.

        ``params`` go in the query string for GET and in the form body for POST. ``check``
        raises :class:`TransientSourceError` (retry) or another :class:`SourceError` (stop) for a
        response that looks fine to HTTP but is not data.
        """
        url = self.url(path)
        shown = redact_url(url)
        last: TransientSourceError | None = None
        for attempt in range(1, self.retry.attempts + 1):
            self.throttle.wait(self.sleep)
            try:
                response = self._send(method, url, params)
            except TransientSourceError as exc:
                last = exc
                self._pause(attempt, None, exc)
                continue
            try:
                if check is not None:
                    check(response)
                self._check_status(response)
                if response.status >= 400:
                    raise SourceError(
                        f"{self.api}: HTTP {response.status}: {response.text(300)}",
                        where=shown,
                        status=response.status,
                    )
            except TransientSourceError as exc:
                last = exc
                wait = parse_retry_after(response.header("Retry-After"))
                self._pause(attempt, wait, exc)
                continue
            return response
        assert last is not None
        hint = "the service is failing or throttling; wait a while, then rerun with --resume"
        if last.status is None and "connection" in last.what:
            hint = OFFLINE_HINT
        raise SourceError(
            f"{self.api}: gave up after {self.retry.attempts} attempts: {last.what}",
            where=shown,
            status=last.status,
            hint=hint,
        ) from last

    def _send(self, method: str, url: str, params: Mapping[str, str]) -> HttpResponse:
        shown = redact_url(url)
        try:
            if method == "POST":
                raw = self.session.post(
                    url, data=dict(params), headers=self.headers, timeout=self.timeout
                )
            else:
                raw = self.session.get(
                    url, params=dict(params), headers=self.headers, timeout=self.timeout
                )
            body = raw.content
        except requests.Timeout:
            raise TransientSourceError(f"{self.api}: timed out", where=shown) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            text = str(exc)
            if "resolve" in text.lower() or "Failed to establish a new connection" in text:
                # no network, no DNS, or nothing listening: retrying will not help
                raise SourceError(
                    f"{self.api}: cannot connect ({_reason(text)})",
                    where=shown,
                    hint=OFFLINE_HINT,
                ) from None
            what = redact(f"{self.api}: connection failed ({type(exc).__name__})", self.secrets)
            raise TransientSourceError(what, where=shown) from None
        headers = {k.lower(): v for k, v in raw.headers.items()}
        return HttpResponse(status=raw.status_code, headers=headers, body=body, url=shown)

    def _check_status(self, response: HttpResponse) -> None:
        if response.status == 429 or response.status >= 500:
            raise TransientSourceError(
                f"{self.api}: HTTP {response.status}", where=response.url, status=response.status
            )

    def _pause(self, attempt: int, retry_after: float | None, exc: TransientSourceError) -> None:
        if attempt >= self.retry.attempts:
            return
        wait = min(self.retry.max_wait, self.retry.backoff * 2 ** (attempt - 1))
        if retry_after is not None:
            wait = min(self.retry.max_wait, max(wait, retry_after))
        message = redact(f"{exc.message()}; retry {attempt} in {wait:.1f}s", self.secrets)
        log.warning(message)
        if self.on_retry is not None:
            self.on_retry(message)
        self.sleep(wait)
