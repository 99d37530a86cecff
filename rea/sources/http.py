"""The one HTTP client of rea: deadlines, retries with back-off, a shared rate, a base URL.

Every request to a search API goes through :class:`Http`. It

- sends every request with a connect timeout, a read timeout (the longest silence between two
  pieces of the answer) and an overall deadline (a server that trickles bytes cannot hold a
  request for longer than :data:`DEFAULT_DEADLINE`);
- waits for a slot of the service's rate, shared by every rea process of the user on the machine
  (:mod:`rea.sources.ratelimit`), with a margin under the published limit;
- retries 429, 5xx, dropped connections, timeouts and whatever the caller's ``check`` marks as
  transient (an ``<ERROR>`` body in an HTTP 200, an answer that is not data), with exponential
  back-off that honours ``Retry-After`` up to :data:`RETRY_AFTER_CEILING` seconds;
- stops early when the same non-data answer comes back several times in a row
  (:class:`~rea.errors.UnreadableAnswer`, carrying what the service said), and names a 413/414 as
  a query that is too long;
- never logs or raises a message that holds a secret (URLs and parameters are redacted).

``sleep`` and ``clock`` are injectable so that tests do not wait for real back-off.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

from rea import __version__
from rea.config import redact, redact_url
from rea.errors import (
    NotData,
    QueryTooLong,
    SourceError,
    TransientSourceError,
    UnreadableAnswer,
)
from rea.sources.ratelimit import RateLimiter, limiter_for

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Clock = Callable[[], float]

OFFLINE_HINT = (
    "check the network connection; to work offline, start `rea replay --recordings DIR` and set "
    "REA_PUBMED_URL and REA_SCOPUS_URL to the addresses it prints"
)

#: (connect, read) timeout in seconds: the read timeout is the longest silence allowed.
DEFAULT_TIMEOUT = (10.0, 60.0)
#: Seconds a whole request may take, from sending to the last byte of the answer.
DEFAULT_DEADLINE = 300.0
#: The longest wait rea accepts from a ``Retry-After`` header (seconds); a longer one is cut to
#: this, and the attempt still counts.
RETRY_AFTER_CEILING = 120.0
_CHUNK = 256 * 1024


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

#: A request parameter: one value, or several, sent as the parameter repeated (``id=1&id=2``:
#: E-utilities' elink then links each id on its own).
ParamValue = str | tuple[str, ...]
Params = Mapping[str, ParamValue]


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


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries in all, the first included
    backoff: float = 1.0  # first wait, doubled each time
    max_wait: float = RETRY_AFTER_CEILING  # no wait is longer, Retry-After included
    identical: int = 4  # the same non-data answer this many times in a row: stop asking


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

    api: str  # name of the service's shared rate, e.g. "ncbi", "scopus"
    base_url: str
    rate: float  # the service's published limit, requests per second
    headers: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Sleep = time.sleep
    session: requests.Session = field(default_factory=make_session)
    on_retry: Callable[[str], None] | None = None
    state_dir: Path | None = None  # where the rate is shared with other processes
    clock: Clock = time.monotonic
    limiter: RateLimiter | None = None  # default: the service's, shared (limiter_for)
    max_body: int | None = None  # bytes; a longer answer is refused (downloads of full texts)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if urlsplit(self.base_url).hostname in ("127.0.0.1", "localhost", "::1"):
            self.session.trust_env = False  # a proxy from the environment must not see loopback
        if self.limiter is None:
            folder = self.state_dir / "rate" if self.state_dir is not None else None
            self.limiter = limiter_for(self.api, self.rate, folder)
        self._answered = False

    @property
    def slots(self) -> RateLimiter:
        assert self.limiter is not None
        return self.limiter

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path}" if path else self.base_url

    def request(
        self,
        method: str,
        path: str,
        params: Params,
        *,
        check: Check | None = None,
    ) -> HttpResponse:
        """One request, retried while it fails transiently; returns the first good response.

        ``params`` go in the query string for GET and in the form body for POST. ``check``
        raises :class:`TransientSourceError` (retry; :class:`NotData` for an answer that is not
        data) or another :class:`SourceError` (stop) for a response that looks fine to HTTP.
        The same :class:`NotData` message several times in a row stops the retries with an
        :class:`UnreadableAnswer` saying what the service sent.
        """
        url = self.url(path)
        shown = redact_url(url)
        last: TransientSourceError | None = None
        only_not_data = True
        same: tuple[str, int] = ("", 0)
        for attempt in range(1, self.retry.attempts + 1):
            self.slots.wait(self.sleep)
            retry_after: float | None = None
            try:
                response = self._send(method, url, params)
                self._check_length(response, params)
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
                if isinstance(exc, NotData):
                    same = (exc.what, same[1] + 1) if exc.what == same[0] else (exc.what, 1)
                    if same[1] >= self.retry.identical:
                        raise UnreadableAnswer(
                            f"{self.api} answered the same way {same[1]} times in a row: "
                            f"{exc.what}",
                            where=shown,
                            status=exc.status,
                            hint="this is what the service said; it is not retried further",
                        ) from exc
                else:
                    only_not_data = False
                    same = ("", 0)
                    if exc.status is not None:
                        retry_after = parse_retry_after(response.header("Retry-After"))
                self._pause(attempt, retry_after, exc)
                continue
            return response
        assert last is not None
        if only_not_data:
            raise UnreadableAnswer(
                f"{self.api}: no usable answer in {self.retry.attempts} attempts: {last.what}",
                where=shown,
                status=last.status,
                hint="the service kept sending something that is not data; wait a while, then "
                "rerun with --resume",
            ) from last
        hint = "the service is failing or throttling; wait a while, then rerun with --resume"
        if last.status is None and "connection" in last.what:
            hint = OFFLINE_HINT
        raise SourceError(
            f"{self.api}: gave up after {self.retry.attempts} attempts: {last.what}",
            where=shown,
            status=last.status,
            hint=hint,
        ) from last

    def _send(self, method: str, url: str, params: Params) -> HttpResponse:
        shown = redact_url(url)
        started = self.clock()
        try:
            if method == "POST":
                raw = self.session.post(
                    url, data=dict(params), headers=self.headers, timeout=self.timeout, stream=True
                )
            else:
                raw = self.session.get(
                    url,
                    params=dict(params),
                    headers=self.headers,
                    timeout=self.timeout,
                    stream=True,
                )
            try:
                body = self._read_body(raw, started, shown)
            finally:
                raw.close()
        except requests.Timeout:
            raise TransientSourceError(f"{self.api}: timed out", where=shown) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            text = str(exc)
            refused = "resolve" in text.lower() or "Failed to establish a new connection" in text
            if refused and not self._answered:
                # no network, no DNS, or nothing listening: retrying will not help
                raise SourceError(
                    f"{self.api}: cannot connect ({_reason(text)})",
                    where=shown,
                    hint=OFFLINE_HINT,
                ) from None
            what = redact(f"{self.api}: connection failed ({type(exc).__name__})", self.secrets)
            raise TransientSourceError(what, where=shown) from None
        headers = {k.lower(): v for k, v in raw.headers.items()}
        self._answered = True  # from now on a refused connection is a server restarting
        return HttpResponse(status=raw.status_code, headers=headers, body=body, url=shown)

    def _read_body(self, raw: requests.Response, started: float, shown: str) -> bytes:
        """The whole body, read piece by piece so that the deadline is checked as it comes."""
        chunks: list[bytes] = []
        size = 0
        stream = raw.raw
        while True:
            if self.clock() - started > self.deadline:
                raise TransientSourceError(
                    f"{self.api}: no complete answer within {self.deadline:.0f}s (the server "
                    "sends too slowly)",
                    where=shown,
                )
            try:
                chunk = stream.read1(_CHUNK, decode_content=True)
            except ReadTimeoutError:
                raise requests.Timeout() from None
            except (ProtocolError, DecodeError) as exc:
                raise requests.exceptions.ChunkedEncodingError(exc) from None
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if self.max_body is not None and size > self.max_body:
                raise SourceError(
                    f"{self.api}: the answer is larger than {self.max_body:,} bytes; not read "
                    "further",
                    where=shown,
                    hint="a file this large is not a report's full text; fetch it by hand",
                )

    def _check_length(self, response: HttpResponse, params: Params) -> None:
        if response.status in (413, 414):
            longest = max((len(str(v)) for v in params.values()), default=0)
            raise QueryTooLong(
                f"{self.api}: query too long (HTTP {response.status}): the query is {longest:,} "
                "characters",
                where=response.url,
                status=response.status,
                hint="shorten the query: drop redundant terms (`rea query lint`), or split a "
                "long block into two searches",
            )

    def _check_status(self, response: HttpResponse) -> None:
        if response.status == 429 or response.status >= 500:
            raise TransientSourceError(
                f"{self.api}: HTTP {response.status}", where=response.url, status=response.status
            )

    def _pause(self, attempt: int, retry_after: float | None, exc: TransientSourceError) -> None:
        """Back off before the next attempt: the shared next slot moves, so every rea process
        of the user holds back (a service that throttles or fails does so for all of them)."""
        if attempt >= self.retry.attempts:
            return
        wait = min(self.retry.max_wait, self.retry.backoff * 2 ** (attempt - 1))
        capped = ""
        if retry_after is not None:
            if retry_after > self.retry.max_wait:
                capped = f" (Retry-After asked for {retry_after:.0f}s; rea waits at most "
                capped += f"{self.retry.max_wait:.0f}s)"
            wait = min(self.retry.max_wait, max(wait, retry_after))
        message = redact(f"{exc.message()}; retry {attempt} in {wait:.1f}s{capped}", self.secrets)
        if self.on_retry is not None:
            self.on_retry(message)
        else:
            log.warning(message)
        self.slots.defer(wait)  # the next wait for a slot sleeps it
