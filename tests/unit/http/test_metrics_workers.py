"""`serve --workers N` metrics: a worker that crashed with event streams open stops counting as
soon as it is gone (uvicorn starts another; the dead one never closed its metrics)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from caseflow.infra.http.metrics import Metrics

# A worker process: two streams open, then it dies without closing anything (a crash).
CRASHING_WORKER = """
import os
from caseflow.infra.http.metrics import Metrics
m = Metrics(shared_dir=os.environ["PROMETHEUS_MULTIPROC_DIR"])
m.streams.inc(2)
os._exit(1)
"""


def streams(metrics: Metrics) -> float:
    """The open-stream count a scrape reports (no series: no worker has counted any)."""
    lines = [
        x
        for x in metrics.render().decode().splitlines()
        if x.startswith("caseflow_http_event_streams ")
    ]
    return float(lines[0].split()[1]) if lines else 0.0


def test_a_crashed_worker_no_longer_counts_its_open_streams(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    worker = subprocess.run([sys.executable, "-c", CRASHING_WORKER], env=env, timeout=60)
    assert worker.returncode == 1
    assert list(tmp_path.glob("gauge_livesum_*.db"))  # what it left behind
    metrics = Metrics(shared_dir=str(tmp_path))  # a surviving worker, scraped
    assert streams(metrics) == 0
    assert not list(tmp_path.glob("gauge_livesum_*.db"))


def test_a_live_worker_s_streams_are_still_counted(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    alive = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WORKER.replace("os._exit(1)", "input()")],
        env=env,
        stdin=subprocess.PIPE,
        text=True,
    )
    try:
        metrics = Metrics(shared_dir=str(tmp_path))
        deadline = time.monotonic() + 60
        while streams(metrics) != 2:  # until it has started and opened them
            assert time.monotonic() < deadline and alive.poll() is None
            time.sleep(0.05)
        assert list(tmp_path.glob("gauge_livesum_*.db"))  # kept: its process is alive
    finally:
        alive.communicate("\n", timeout=30)
