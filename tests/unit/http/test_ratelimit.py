"""The sliding-window rate limit behind the query-code lookups."""

from __future__ import annotations

from caseflow.infra.http.ratelimit import RateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_hits_past_the_limit_wait_until_the_oldest_leaves_the_window():
    clock = Clock()
    limit = RateLimit(2, 60, clock=clock)
    assert limit.hit("a") is None
    clock.now += 10
    assert limit.hit("a") is None
    assert limit.hit("a") == 50  # the first hit leaves the window 50 s from now
    clock.now += 50
    assert limit.hit("a") is None


def test_keys_are_limited_separately():
    limit = RateLimit(1, 60, clock=Clock())
    assert limit.hit("a") is None and limit.hit("b") is None
    assert limit.hit("a") is not None


def test_memory_is_bounded_by_forgetting_the_least_recent_key():
    limit = RateLimit(1, 60, max_keys=3, clock=Clock())
    for key in "abcd":
        limit.hit(key)
    assert len(limit._hits) == 3 and "a" not in limit._hits
