"""Live lag: commands at a steady 200/s; how long from a command's commit until its event is
visible in `case_status`. Goal: p99 <= 200 ms.

    python -m bench lag            (BENCH_LAG_SECONDS=20, BENCH_RATE=200)

Two set-ups on SQLite: projections in the same process as the commands (`caseflow serve`), and
in a separate worker process (`caseflow worker`: it only learns of new events by polling).
Baseline in the same run: the commands' own latency (p99), which the lag is divided by.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _drive(container: Any, seconds: float, rate: float) -> tuple[list[float], list[float]]:
    """Issue commands at `rate`/s; per command: (commit latency, commit → visible lag)."""
    from caseflow.domain.errors import DomainError
    from tests.unit.projections.world import World

    views = container.views
    world = World(app=container.app)
    rng = random.Random(3)
    cases: list[list[Any]] = []  # [case id, steps done]
    pending: list[tuple[int, float]] = []  # (position, committed at)
    lags: list[float] = []
    lock, done = threading.Lock(), threading.Event()

    def watch() -> None:
        while not done.is_set() or pending:
            position = views.position("case_status")
            now = time.perf_counter()
            with lock:
                while pending and pending[0][0] <= position:
                    lags.append(now - pending.pop(0)[1])
            time.sleep(0.001)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    latencies: list[float] = []
    interval, next_at, end = 1 / rate, time.perf_counter(), time.perf_counter() + seconds
    while next_at < end:
        time.sleep(max(0.0, next_at - time.perf_counter()))
        next_at += interval
        at = world.clock.now = world.clock.now + timedelta(minutes=1)
        started = time.perf_counter()
        try:
            if not cases or rng.random() < 0.35:
                cases.append([world.receive(at), 0])
                position = container.log.head()  # ours: the only writer
            else:  # the next step of a recent open case: screen, assign, resolve
                i = rng.randrange(max(0, len(cases) - 300), len(cases))
                case = cases[i]
                step = (world.screen, world.assign, world.resolve)[case[1]]
                position = step(case[0], at).position
                case[1] += 1
                if case[1] == 3:
                    cases.pop(i)
        except DomainError:
            continue
        committed = time.perf_counter()
        latencies.append(committed - started)
        with lock:
            pending.append((position, committed))
    done.set()
    watcher.join(30)
    return latencies, lags


def _report(label: str, latencies: list[float], lags: list[float]) -> None:
    p99_lag, p99_cmd = _percentile(lags, 99), _percentile(latencies, 99)
    print(
        f"{label}: {len(lags)} commands; commit -> visible in case_status: "
        f"p50 {statistics.median(lags) * 1000:.1f} ms, p99 {p99_lag * 1000:.1f} ms "
        f"(goal <= 200), max {max(lags) * 1000:.1f} ms; command latency p99 "
        f"{p99_cmd * 1000:.1f} ms; lag/command ratio {p99_lag / p99_cmd:.2f}",
        flush=True,
    )


def main() -> None:
    from caseflow.infra.background import start_background
    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.settings import Settings

    seconds = float(os.environ.get("BENCH_LAG_SECONDS", "20"))
    rate = float(os.environ.get("BENCH_RATE", "200"))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "inprocess")
        container = bootstrap(settings)
        start_background(container, container.views.runners())  # as `serve` does
        try:
            _report(
                f"in-process runners (serve), {rate:.0f} commands/s",
                *_drive(container, seconds, rate),
            )
        finally:
            container.close()

        data_dir = Path(tmp) / "worker"
        container = bootstrap(Settings(data_dir=data_dir))
        env = {**os.environ, "CASEFLOW_DATA_DIR": str(data_dir)}
        caseflow = str(Path(sys.executable).with_name("caseflow"))
        worker = subprocess.Popen(
            [caseflow, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            time.sleep(3)  # let the worker start and take its locks
            _report(
                f"separate worker process, {rate:.0f} commands/s", *_drive(container, seconds, rate)
            )
        finally:
            worker.terminate()
            worker.wait(10)
            container.close()
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
