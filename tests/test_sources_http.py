"""The HTTP client's throttle and Retry-After parsing."""

from __future__ import annotations

import pytest

from rea.sources.http import Throttle, parse_retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_throttle_spaces_requests_at_the_rate() -> None:
    clock = FakeClock()
    throttle = Throttle(3.0, clock=clock)
    for _ in range(4):
        throttle.wait(clock.sleep)
    assert clock.slept == pytest.approx([1 / 3] * 3)
    clock.now += 5  # idle for a while: the next request goes at once
    throttle.wait(clock.sleep)
    assert len(clock.slept) == 3


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
