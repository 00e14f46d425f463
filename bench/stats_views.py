"""Rebuild speed of the statistics views (`leader_stats`, `kpis`) on SQLite, against the bare rate
of reading and decoding the same events from the store, measured in the same run.

The history is the cached synthetic one of `bench/_history.py` (generated once under
./var/bench/). Each side reads the whole log in batches of 5,000; rates are medians over chunks
of ~50,000 events of CPU time of this process (the machine is shared and noisy: wall time
mostly measures the neighbours). The views are rebuilt with the framework's
`rebuild()` into a fresh view store, one projection at a time and then both together.
Goal (for all four views together, see bench on the framework): >= 0.5 of the bare read.
Run: `python -m bench stats_views` (BENCH_STATS_EVENTS=100000 for a smaller history).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench._history import ensure
from caseflow.domain.policy import Policy
from caseflow.infra.eventlog import EventLog
from caseflow.infra.settings import Settings
from caseflow.infra.store import event_store_env
from caseflow.infra.views.backends import sqlite_store
from caseflow.projections.kpis import Kpis
from caseflow.projections.leader_stats import LeaderStats
from caseflow.projections.rebuild import rebuild
from caseflow.services.app import CaseflowApp

BATCH = 5000
CHUNK = 50_000


class Rates:
    """Events/s per chunk of ~CHUNK events, from (events so far, time) samples."""

    def __init__(self) -> None:
        self.t0 = self.last_t = time.process_time()
        self.last_n = 0
        self.chunks: list[float] = []
        self.total = 0

    def sample(self, n: int) -> None:
        now = time.process_time()
        self.total = n
        if n - self.last_n >= CHUNK:
            self.chunks.append((n - self.last_n) / (now - self.last_t))
            self.last_n, self.last_t = n, now

    @property
    def median(self) -> float:
        if self.chunks:
            return statistics.median(self.chunks)
        return self.total / max(time.process_time() - self.t0, 1e-9)


def bare_read(log: EventLog) -> Rates:
    rates, position, n = Rates(), 0, 0
    while batch := log.read(position, BATCH):
        position, n = batch[-1].position, n + len(batch)
        rates.sample(n)
    return rates


def rebuild_rate(log: EventLog, projections: list) -> Rates:
    views = Path(tempfile.mkdtemp(prefix="caseflow-stats-bench-"))
    store = sqlite_store(views)
    try:
        store.setup(projections)
        rates = Rates()
        result = rebuild(
            projections, store, log, batch_size=BATCH, progress=lambda p: rates.sample(p.events)
        )
        assert sorted(result.switched) == sorted(p.name for p in projections), result
        return rates
    finally:
        store.close()
        shutil.rmtree(views, ignore_errors=True)


def main() -> None:
    events = int(os.environ.get("BENCH_STATS_EVENTS", "1000000"))
    settings = Settings(data_dir=ensure(events))
    app = CaseflowApp(event_store_env(settings), policy=settings.policy())
    log = EventLog(app.recorder, app.mapper.transcoder)
    policy = Policy()
    try:
        base = bare_read(log)
        print(f"history: {base.total:,} events ({settings.data_dir})")
        print(f"bare read + decode: {base.median:,.0f} events/CPU-s")
        for label, projections in (
            ("leader_stats", [LeaderStats(policy)]),
            ("kpis", [Kpis(policy)]),
            ("leader_stats + kpis", [LeaderStats(policy), Kpis(policy)]),
        ):
            rates = rebuild_rate(log, projections)
            print(
                f"rebuild {label}: {rates.median:,.0f} events/CPU-s "
                f"(ratio to bare read {rates.median / base.median:.2f})"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {peak:,.0f} MB")
    finally:
        app.close()
