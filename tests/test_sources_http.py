"""The HTTP client's shared rate, deadline, Retry-After ceiling and repeated non-data answers."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest

from rea.errors import NotData, QueryTooLong, SourceError, UnreadableAnswer
from rea.sources.http import Http, HttpResponse, RetryPolicy, parse_retry_after
from rea.sources.ratelimit import MARGIN, RateLimiter
from rea.sources.replay import ReplayServer
from tests.sources_support import replay, write_pubmed


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_slots_are_spaced_with_a_margin_under_the_rate(tmp_path: Path) -> None:
    clock = FakeClock()
    limiter = RateLimiter("svc", 3.0, tmp_path, clock=clock)
    for _ in range(4):
        limiter.wait(clock.sleep)
    assert clock.slept == pytest.approx([1 / (3 * (1 - MARGIN))] * 3)
    clock.now += 5  # idle for a while: the next request goes at once
    limiter.wait(clock.sleep)
    assert len(clock.slept) == 3


def test_two_limiters_on_one_folder_share_the_slots(tmp_path: Path) -> None:
    """Two processes (here two limiters, each with its own in-process state) reading the same
    slot file never get the same slot."""
    clock = FakeClock()
    first = RateLimiter("svc", 2.0, tmp_path, clock=clock)
    second = RateLimiter("svc", 2.0, tmp_path, clock=clock)
    waits = [first.wait(lambda s: None), second.wait(lambda s: None), first.wait(lambda s: None)]
    interval = 1 / (2 * (1 - MARGIN))
    assert waits == pytest.approx([0.0, interval, 2 * interval])
    alone = RateLimiter("svc", 2.0, tmp_path / "elsewhere", clock=clock)
    assert alone.wait(lambda s: None) == 0.0  # another folder: another user's slots


def test_retry_after_moves_every_process(tmp_path: Path) -> None:
    clock = FakeClock()
    first = RateLimiter("svc", 10.0, tmp_path, clock=clock)
    second = RateLimiter("svc", 10.0, tmp_path, clock=clock)
    first.defer(30.0)
    assert second.wait(lambda s: None) == pytest.approx(30.0)


def test_a_slot_file_far_in_the_future_is_not_believed(tmp_path: Path) -> None:
    clock = FakeClock()
    (tmp_path / "svc.next").write_text(f"{clock.now + 86_400:.6f}")  # a clock set back a day
    limiter = RateLimiter("svc", 3.0, tmp_path, clock=clock)
    assert limiter.wait(clock.sleep) == 0.0


def test_threads_of_one_process_get_distinct_slots(tmp_path: Path) -> None:
    limiter = RateLimiter("svc", 1000.0, tmp_path)
    slots: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(20):
            slot = limiter._reserve(lambda now, stored: (max(now, stored), None))
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ordered = sorted(slots)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    assert len(slots) == 80 and min(gaps) >= limiter.interval * 0.999


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None


def _http(server_url: str, tmp_path: Path, **kwargs: object) -> tuple[Http, list[float]]:
    clock = FakeClock()
    http = Http(
        api="test",
        base_url=server_url,
        rate=1000.0,
        sleep=clock.sleep,
        limiter=RateLimiter("test", 1000.0, tmp_path, clock=clock),
        **kwargs,  # type: ignore[arg-type]
    )
    return http, clock.slept


def test_retry_after_is_honoured_up_to_the_ceiling(tmp_path: Path) -> None:
    messages: list[str] = []
    with replay(None) as server:
        server.add_fault("http_429", service="pubmed", retry_after="3600")
        server.add_fault("http_429", service="pubmed", retry_after="5", after=0)
        http, waits = _http(
            server.pubmed_url, tmp_path, retry=RetryPolicy(max_wait=30.0), on_retry=messages.append
        )
        with pytest.raises(SourceError):  # the third answer is the replay server's 404
            http.request("GET", "esearch.fcgi", {"term": "x"})
    assert [round(w) for w in waits if w >= 1] == [30, 5]
    assert messages[0].endswith(
        "retry 1 in 30.0s (Retry-After asked for 3600s; rea waits at most 30s)"
    )
    assert messages[1].endswith("retry 2 in 5.0s")


def test_a_trickling_server_is_cut_at_the_deadline(tmp_path: Path) -> None:
    write_pubmed(tmp_path / "rec", 3, term="x")  # an answer of about ten 64-byte pieces
    with replay(tmp_path / "rec") as server:
        server.add_fault("trickle", service="pubmed", times=-1, delay=0.3)
        http, _ = _http(server.pubmed_url, tmp_path, deadline=1.0, retry=RetryPolicy(attempts=2))
        with pytest.raises(SourceError, match=r"no complete answer within 1s") as caught:
            http.request("GET", "esearch.fcgi", {"term": "x"})
        assert len(server.requests) == 2
    assert "gave up after 2 attempts" in caught.value.what


def test_the_same_non_data_answer_stops_after_a_few_tries(tmp_path: Path) -> None:
    calls: list[int] = []

    def check(response: HttpResponse) -> None:
        calls.append(response.status)
        raise NotData("PubMed said: Invalid uid 0 at position 0")

    with replay(None) as server:
        http, _ = _http(server.pubmed_url, tmp_path, retry=RetryPolicy(attempts=9, identical=3))
        with pytest.raises(UnreadableAnswer, match="the same way 3 times in a row: PubMed said"):
            http.request("GET", "esearch.fcgi", {"term": "x"}, check=check)
    assert len(calls) == 3


def test_414_is_a_query_too_long_with_its_length(tmp_path: Path) -> None:
    with replay(None) as server:
        server.add_fault("http_414", service="pubmed")
        http, _ = _http(server.pubmed_url, tmp_path)
        with pytest.raises(QueryTooLong, match=r"query too long \(HTTP 414\): the query is 5,000"):
            http.request("GET", "esearch.fcgi", {"term": "x" * 5000})


def test_a_server_that_restarts_mid_search_is_waited_for(tmp_path: Path) -> None:
    """Nothing listening before any answer: no network (an error at once). Nothing listening
    after answers came: a server restarting (retried)."""
    write_pubmed(tmp_path / "rec", 3, term="x")
    first = ReplayServer(tmp_path / "rec").start()
    port = first.port
    http = Http(api="test", base_url=first.pubmed_url, rate=1000.0, state_dir=tmp_path)
    assert http.request("POST", "esearch.fcgi", {"term": "x"}).status == 200
    first.stop()
    later: list[ReplayServer] = []
    threading.Timer(
        0.3, lambda: later.append(ReplayServer(tmp_path / "rec", port=port).start())
    ).start()
    try:
        assert http.request("POST", "esearch.fcgi", {"term": "x"}).status == 200
    finally:
        time.sleep(0.4)
        for server in later:
            server.stop()
