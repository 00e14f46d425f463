"""`caseflow worker` and `caseflow serve` run the relay when CASEFLOW_KAFKA_BOOTSTRAP is set."""

from __future__ import annotations

import signal
import socket
import subprocess
import time

import httpx
import pytest

from caseflow.infra.bootstrap import bootstrap
from tests.integration.stream.conftest import cli_env, read_topic
from tests.processes import caseflow_cmd
from tests.unit.stream.scenario import drive

pytestmark = pytest.mark.kafka


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seeded(settings) -> int:
    c = bootstrap(settings)
    try:
        drive(c.app, 3)
        return c.log.head()
    finally:
        c.close()


def test_worker_relays_the_log_when_kafka_is_configured(sqlite_stream_settings, tmp_path):
    s = sqlite_stream_settings
    head = seeded(s)
    worker = subprocess.Popen(
        caseflow_cmd("worker", "--status-every", "1"),
        env=cli_env(s),
        stdout=(tmp_path / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        records = read_topic(s.kafka_bootstrap, s.kafka_topic, at_least=head, timeout=45)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    assert len({dict(r.headers)["ce_id"] for r in records}) == head
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()


def test_serve_relays_the_log_and_reports_the_relay_in_health(sqlite_stream_settings, tmp_path):
    s = sqlite_stream_settings
    head = seeded(s)
    port = free_port()
    env = {**cli_env(s), "CASEFLOW_PORT": str(port)}
    server = subprocess.Popen(
        caseflow_cmd("serve", "--no-access-log"),
        env=env,
        stdout=(tmp_path / "serve.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        read_topic(s.kafka_bootstrap, s.kafka_topic, at_least=head, timeout=45)
        relay: dict = {}
        deadline = time.monotonic() + 20
        while relay.get("position") != head and time.monotonic() < deadline:
            try:
                views = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()["views"]
                relay = next((v for v in views if v["name"] == f"relay:{s.kafka_topic}"), {})
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert relay.get("position") == head and relay.get("lag_events") == 0, relay
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
