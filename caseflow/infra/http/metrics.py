"""Prometheus metrics of the API: requests by route template, the process and its garbage
collector, and the event log head, projection and relay positions and lag, failed projections
and relay send errors, read when scraped (never cached, so they cannot go stale).

Under `caseflow serve --workers N` every process counts into files of a shared directory
(prometheus_client's multiprocess mode, `PROMETHEUS_MULTIPROC_DIR`, set by the parent before the
workers start) and a scrape, whichever process answers it, sums them all."""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from prometheus_client import (
    GC_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from caseflow.projections.base import ConsumerStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
log = logging.getLogger("caseflow.http")

# () -> (log head, the status of every projection and of the relay)
PositionsFn = Callable[[], tuple[int, Sequence[ConsumerStatus]]]
RELAY = "relay:"  # how the relay's status is named (`relay:<topic>`)


class _Positions(Collector):
    def __init__(self, positions: PositionsFn):
        self.positions = positions

    def collect(self) -> Iterable[Metric]:
        try:
            head, statuses = self.positions()
        except Exception:  # a scrape must not fail because the store is briefly unreachable
            log.warning("could not read positions for /metrics", exc_info=True)
            return
        yield GaugeMetricFamily(
            "caseflow_event_log_head", "Position of the newest event", value=head
        )
        views = [s for s in statuses if not s.name.startswith(RELAY)]
        relays = [s for s in statuses if s.name.startswith(RELAY)]
        yield from _lags("projection", "a projection", views, head)
        yield from _lags("relay", "the Kafka relay", relays, head)
        failed = GaugeMetricFamily(
            "caseflow_projection_failed",
            "1 while a projection is stopped at a poison event",
            labels=["projection"],
        )
        for s in views:
            failed.add_metric([s.name], 1 if s.state == "failed" else 0)
        yield failed
        errors = CounterMetricFamily(
            "caseflow_relay_send_errors",
            "Relay rounds that failed "
            "to publish (broker down, refused), since this process "
            "started",
            labels=["relay"],
        )
        failing = GaugeMetricFamily(
            "caseflow_relay_error",
            "1 while the relay is retrying "
            "after an error (broker down, refused), as its running "
            "instance recorded",
            labels=["relay"],
        )
        for s in relays:
            errors.add_metric([s.name[len(RELAY) :]], s.extra.get("errors", 0))
            failing.add_metric([s.name[len(RELAY) :]], 1 if s.error else 0)
        yield errors
        yield failing


def _lags(kind: str, what: str, statuses: Sequence[ConsumerStatus], head: int) -> Iterable[Metric]:
    position = GaugeMetricFamily(
        f"caseflow_{kind}_position", f"Last event position {what} has processed", labels=[kind]
    )
    lag = GaugeMetricFamily(
        f"caseflow_{kind}_lag_events", f"Events {what} has yet to process", labels=[kind]
    )
    seconds = GaugeMetricFamily(
        f"caseflow_{kind}_lag_seconds",
        f"Recorded time of the newest event minus that of the last {what} processed",
        labels=[kind],
    )
    waiting = GaugeMetricFamily(
        f"caseflow_{kind}_waiting_seconds",
        f"How long the oldest event {what} has not handled has waited (0: caught up)",
        labels=[kind],
    )
    for s in sorted(statuses, key=lambda s: s.name):
        label = s.name[len(RELAY) :] if kind == "relay" else s.name
        position.add_metric([label], s.position)
        lag.add_metric([label], max(head - s.position, 0))
        if s.lag_seconds is not None:
            seconds.add_metric([label], s.lag_seconds)
        waiting.add_metric([label], s.waiting_seconds or 0.0)
    return position, lag, seconds, waiting


class Metrics:
    """One registry per app, so that several apps in one process (tests) do not collide. With
    `shared_dir` (a worker of several), request counts and open streams are read, when scraped,
    from every worker's files in that directory."""

    def __init__(self, shared_dir: str | None = None) -> None:
        self.registry = CollectorRegistry()
        self.shared_dir = shared_dir
        self.requests = Counter(
            "caseflow_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "caseflow_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.streams = Gauge(
            "caseflow_http_event_streams",
            "Open /events/stream connections",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.public_lookup_failures = Counter(
            "caseflow_public_lookup_failures",
            "Lookups by a query code that matched no case",
            registry=self.registry,
        )
        # The process's CPU, memory and file descriptors, and the collector's work (of the
        # process that answers the scrape, under --workers).
        self._scraped: list[Collector] = [PROCESS_COLLECTOR, GC_COLLECTOR]
        for collector in self._scraped:
            self.registry.register(collector)
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        # `labels()` validates and looks the series up under a lock on every call; the series
        # are few (route templates), so each pair is looked up once and kept.
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
        series[0].inc()
        series[1].observe(seconds)

    def watch_positions(self, positions: PositionsFn) -> None:
        """Export the log head, each projection's and the relay's position and lag (events and
        seconds), failed projections and relay send errors, read at scrape time."""
        collector = _Positions(positions)
        self.registry.register(collector)
        self._scraped.append(collector)

    def watch(self, collector: Collector) -> None:
        """Export what `collector` yields at scrape time."""
        self.registry.register(collector)
        self._scraped.append(collector)

    def render(self) -> bytes:
        if self.shared_dir is None:
            return generate_latest(self.registry)
        self._forget_dead()
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.shared_dir)
        for collector in self._scraped:
            registry.register(collector)
        return generate_latest(registry)

    def _forget_dead(self) -> None:
        """A worker that crashed never closed: uvicorn starts another, but the dead one's
        open-stream count would be summed until the server stops. Its files go when it is gone."""
        assert self.shared_dir is not None
        for path in glob.glob(os.path.join(self.shared_dir, "gauge_livesum_*.db")):
            pid = int(os.path.basename(path)[len("gauge_livesum_") : -len(".db")])
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                mark_process_dead(pid, self.shared_dir)
            except PermissionError:  # alive, another user's
                pass

    def close(self) -> None:
        """A worker that ends takes its open-stream count with it (its request counts stay)."""
        if self.shared_dir is not None:
            mark_process_dead(os.getpid(), self.shared_dir)
