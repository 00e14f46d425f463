"""Event streams cannot hold a server: it stops at once with streams open, and a process serves
at most CASEFLOW_MAX_STREAMS of them (503 with Retry-After beyond) while /health still answers."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import httpx
import pytest

from caseflow.infra.settings import Settings
from tests.e2e.server import free_port
from tests.processes import caseflow_cmd


@pytest.fixture
def backend_settings(tmp_path):  # streams read the log only: SQLite is enough here
    return Settings(data_dir=tmp_path / "var")


def _open_streams(
    url: str, token: str, count: int, started: threading.Barrier | None, stop: threading.Event
) -> list[threading.Thread]:
    """`count` clients that each open a stream, read its first line, and hold it open."""

    def hold() -> None:
        with (
            httpx.Client(
                base_url=url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=httpx.Timeout(10, read=30),
            ) as c,
            c.stream("GET", "/events/stream") as r,
        ):
            lines = r.iter_lines()
            next(lines)
            if started is not None:
                started.wait(10)
            try:
                for _ in lines:
                    if stop.is_set():
                        return
            except httpx.HTTPError:
                pass  # the server went away: what the shutdown test asks of it

    threads = [threading.Thread(target=hold, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    return threads


def test_a_server_with_open_streams_stops_within_2_seconds_and_logs_no_error(tmp_path):
    port, out = free_port(), tmp_path / "serve.log"
    env = {
        **os.environ,
        "CASEFLOW_DATA_DIR": str(tmp_path / "var"),
        "CASEFLOW_PORT": str(port),
        "CASEFLOW_TOKENS": "feed=analyst-1:analyst",
    }
    env.pop("CASEFLOW_DATABASE_URL", None)
    server = subprocess.Popen(
        caseflow_cmd("serve", "--no-projections", "--no-access-log"),
        env=env,
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        started, stop = threading.Barrier(4), threading.Event()
        clients = _open_streams(url, "feed", 3, started, stop)
        started.wait(15)
        asked = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(15)
        took = time.monotonic() - asked
        for t in clients:
            t.join(5)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    log = out.read_text()
    # uvicorn stops cleanly, then re-raises the signal it caught (the exit says what ended it)
    assert server.returncode in (0, -signal.SIGTERM), log
    assert took < 2.0, f"stopped after {took:.1f} s\n{log}"
    assert "Traceback" not in log and " ERROR " not in log, log


def test_streams_beyond_the_cap_are_503_with_retry_after_while_health_answers(live_api):
    live_api.container.settings.max_streams = 2  # read per request, from the settings
    stop = threading.Event()
    started = threading.Barrier(3)
    _open_streams(live_api.url, "analyst", 2, started, stop)
    try:
        started.wait(15)
        with live_api.client("analyst") as c:
            refused = c.get("/events/stream")
            health = c.get("/health")
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["Retry-After"]) > 0
        assert health.status_code == 200
    finally:
        stop.set()
        live_api.container.settings.max_streams = 100
