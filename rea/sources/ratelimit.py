"""Request rates shared by every ``rea`` process of the user on this machine.

A service's published limit (NCBI: 3 requests per second, 10 with an API key; Scopus: 9) holds
for the user's address or key, not for one process: two ``rea search`` runs at once, or a search
beside a citation search, must share it. Each service has a small file under the user's state
folder (``$REA_STATE_DIR``, else ``$XDG_STATE_HOME/rea``, else ``~/.local/state/rea``) holding the
time of its next free slot. A process that wants to send takes an exclusive ``fcntl`` lock on the
file, reserves the next slot (the later of now and the stored time), stores the slot after it,
releases the lock and sleeps until its slot: requests leave evenly spaced whichever process sends
them, and nobody holds the lock while waiting.

The spacing keeps a safety margin (:data:`MARGIN`) under the published limit, since requests
that leave evenly spaced may still arrive closer together. A ``Retry-After`` from the service
moves the shared next slot, so every process waits, not only the one that was told to.

Where ``fcntl`` is missing (Windows) or the state folder cannot be written, the limiter falls back
to one clock per process and says so once in the log.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

try:  # POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Clock = Callable[[], float]

#: The share of a published limit left unused (0.15: at most 85 % of it is sent).
MARGIN = 0.15

#: A stored next slot further ahead than this (seconds) is not believed: the clock was set back,
#: or a process reserved slots it never used; the slot restarts from now.
STALE_AFTER = 60.0


@dataclass(frozen=True)
class ServiceLimit:
    """The published request limit of one service (requests per second)."""

    service: str  # the name of the shared slot file, e.g. "ncbi"
    per_second: float
    per_second_with_key: float | None = None  # when a key lifts the limit

    def rate(self, *, keyed: bool = False) -> float:
        if keyed and self.per_second_with_key:
            return self.per_second_with_key
        return self.per_second


#: Published limits of the services rea talks to; a new service is one entry.
LIMITS: dict[str, ServiceLimit] = {
    # https://www.ncbi.nlm.nih.gov/books/NBK25497/ (E-utilities usage guidelines)
    "ncbi": ServiceLimit("ncbi", 3.0, 10.0),
    # https://dev.elsevier.com/api_key_settings.html (Scopus Search: 9 requests/s per key)
    "scopus": ServiceLimit("scopus", 9.0),
    # Citation searching and full-text retrieval (rea.sources.citations, rea.sources.fulltext):
    # OpenCitations publishes no limit (https://api.opencitations.net/index/v2, "no account and
    # no credentials"); rea keeps to a modest 3/s.
    "opencitations": ServiceLimit("opencitations", 3.0),
    # Crossref's REST API since 1 December 2025: list queries (rea's batched
    # /works?filter=doi:…) 1/s in the public pool, 3/s in the polite pool (a mailto); see
    # https://www.crossref.org/documentation/retrieve-metadata/rest-api/access-and-authentication/
    # "keyed" here means: a contact address is sent.
    "crossref": ServiceLimit("crossref", 1.0, 3.0),
    # OpenAlex: at most 100 requests/s for anyone, list calls cost credits (an API key is
    # required since 13 February 2026; https://developers.openalex.org/api-reference/authentication);
    # rea keeps to 10/s.
    "openalex": ServiceLimit("openalex", 10.0),
    # Unpaywall: 100,000 calls a day with an email (https://unpaywall.org/products/api), no
    # per-second figure; rea keeps to 5/s.
    "unpaywall": ServiceLimit("unpaywall", 5.0),
    # Europe PMC's RESTful API publishes no per-second limit; rea keeps to 5/s.
    "europepmc": ServiceLimit("europepmc", 5.0),
    # Downloads of open-access copies from publishers' and repositories' sites: polite, 2/s in
    # all (one shared slot whatever the host).
    "download": ServiceLimit("download", 2.0),
}


class RateLimiter:
    """Slots for one service, spaced at ``rate * (1 - MARGIN)`` per second, shared through a
    locked file by every process that uses the same ``folder``."""

    def __init__(
        self,
        service: str,
        rate: float,
        folder: Path | None,
        *,
        clock: Clock = time.time,
        margin: float = MARGIN,
    ) -> None:
        self.service = service
        self.clock = clock
        self.margin = margin
        self.interval = 0.0
        self.set_rate(rate)
        self._thread_lock = threading.Lock()
        self._local_next = 0.0
        self.path: Path | None = None
        if folder is not None and fcntl is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                self.path = folder / f"{service}.next"
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            except OSError as exc:
                log.warning(
                    "cannot share the %s request rate with other rea processes (%s); "
                    "this process keeps its own",
                    service,
                    exc,
                )
                self.path = None

    @property
    def shared(self) -> bool:
        return self.path is not None

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        self.interval = 1.0 / (rate * (1.0 - self.margin)) if rate > 0 else 0.0

    def wait(self, sleep: Sleep = time.sleep) -> float:
        """Reserve the next slot and sleep until it; returns the seconds waited."""
        with self._thread_lock:
            slot = self._reserve(lambda now, stored: (max(now, stored), None))
        delay = slot - self.clock()
        if delay > 0:
            sleep(delay)
            return delay
        return 0.0

    def defer(self, seconds: float) -> None:
        """Nobody sends for ``seconds`` from now (a service said ``Retry-After``)."""
        with self._thread_lock:
            self._reserve(lambda now, stored: (now, max(stored, now + seconds)))

    def _reserve(self, choose: Callable[[float, float], tuple[float, float | None]]) -> float:
        """Under the lock: ``choose(now, stored_next)`` gives (slot, new_next or None for
        slot + interval); the new next slot is stored and the slot returned."""
        if self.path is None:
            now = self.clock()
            stored = self._local_next if self._local_next <= now + STALE_AFTER else now
            slot, following = choose(now, stored)
            self._local_next = slot + self.interval if following is None else following
            return slot
        assert fcntl is not None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = self.clock()
            try:
                stored = float(os.pread(fd, 64, 0).decode("ascii").strip() or 0.0)
            except (ValueError, UnicodeDecodeError):
                stored = 0.0  # a torn or foreign file: start again from now
            if stored > now + STALE_AFTER:
                stored = now
            slot, following = choose(now, stored)
            value = slot + self.interval if following is None else following
            text = f"{value:.6f}".encode("ascii")
            os.pwrite(fd, text.ljust(32), 0)
            return slot
        finally:
            os.close(fd)  # releases the lock


_LIMITERS: dict[tuple[str, str], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(service: str, rate: float, folder: Path | None) -> RateLimiter:
    """The limiter of ``service`` for this process (one per service and state folder); a later
    call with another rate (an API key was set) changes its spacing."""
    key = (service, str(folder))
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = RateLimiter(service, rate, folder)
        elif limiter.rate != rate:
            limiter.set_rate(rate)
        return limiter
