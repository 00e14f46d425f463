"""A status report asks the log for its head (and the events its lags need) once, not once per
projection: /health asks for every projection's status, often."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from caseflow.projections.runner import OnePass, status_of
from caseflow.projections.source import LoggedEvent

T0 = datetime(2026, 3, 1, tzinfo=UTC)


class CountingLog:
    def __init__(self, n: int):
        self.heads = self.reads = 0
        self.events = [
            LoggedEvent(p, None, None, 1, "case.received", T0 + timedelta(seconds=p), None, {})
            for p in range(1, n + 1)
        ]

    def head(self) -> int:
        self.heads += 1
        return len(self.events)

    def read(self, after: int, limit: int) -> list[LoggedEvent]:
        self.reads += 1
        return self.events[after : after + limit]


def test_one_report_reads_the_head_once_and_each_event_once():
    log = CountingLog(10)
    source = OnePass(log)
    reports = [status_of(name, "running", 4, source) for name in ("a", "b", "c")]
    assert [(r.head, r.lag_events, r.lag_seconds) for r in reports] == [(10, 6, 6.0)] * 3
    assert (log.heads, log.reads) == (1, 2)  # the newest event and the one at position 4


def test_without_it_each_projection_asks_again():
    log = CountingLog(10)
    for name in ("a", "b", "c"):
        status_of(name, "running", 4, log)
    assert (log.heads, log.reads) == (3, 6)
