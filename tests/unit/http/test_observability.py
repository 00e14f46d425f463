"""What an operator watches: metrics that parse (process, GC, lag in seconds, failed views,
relay send errors), liveness apart from readiness, request ids in logs and responses, the
version."""

from __future__ import annotations

import io
import logging

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from caseflow import __version__
from caseflow.infra import logs
from caseflow.infra.cli import build
from caseflow.infra.http.metrics import Metrics
from caseflow.projections.base import ConsumerStatus
from tests.unit.http.test_ops import store_down


@pytest.fixture
def client(views_client):
    return views_client


def _families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_metrics_parse_and_carry_the_process_gc_and_lag_families(client, world):
    r = client.post("/cases", json=world.case(), headers=world.h("registrar"))
    client.get("/cases", params={"min_position": r.json()["position"]}, headers=world.h("handler"))
    families = _families(client.get("/metrics").text)
    assert {
        "process_cpu_seconds",
        "process_resident_memory_bytes",
        "python_gc_collections",
        "caseflow_event_log_head",
        "caseflow_projection_lag_seconds",
        "caseflow_projection_failed",
        "caseflow_http_requests",
    } <= set(families)
    lag = {
        s.labels["projection"]: s.value for s in families["caseflow_projection_lag_seconds"].samples
    }
    assert lag["case_status"] == 0.0
    assert {s.value for s in families["caseflow_projection_failed"].samples} == {0.0}


def test_metrics_report_the_relay_s_lag_and_send_errors_and_failed_views():
    def status(name: str, state: str, position: int, **extra) -> ConsumerStatus:
        return ConsumerStatus(name, state, position, 10, 10 - position, 4.5, extra=extra)

    metrics = Metrics()
    metrics.watch_positions(
        lambda: (
            10,
            [status("kpis", "failed", 7), status("relay:caseflow.events", "running", 6, errors=3)],
        )
    )
    families = _families(metrics.render().decode())
    samples = {
        (s.name, tuple(s.labels.values())): s.value for f in families.values() for s in f.samples
    }
    assert samples[("caseflow_relay_lag_seconds", ("caseflow.events",))] == 4.5
    assert samples[("caseflow_relay_lag_events", ("caseflow.events",))] == 4
    assert samples[("caseflow_relay_send_errors_total", ("caseflow.events",))] == 3
    assert samples[("caseflow_projection_failed", ("kpis",))] == 1
    assert ("caseflow_projection_position", ("relay:caseflow.events",)) not in samples


def test_metrics_say_how_long_events_have_waited_and_whether_the_relay_is_failing():
    relay = ConsumerStatus(
        "relay:caseflow.events",
        "running",
        6,
        10,
        4,
        4.5,
        error="DeliveryFailed: broker down",
        waiting_seconds=42.0,
    )
    view = ConsumerStatus("kpis", "running", 10, 10, 0, 0.0)
    metrics = Metrics()
    metrics.watch_positions(lambda: (10, [view, relay]))
    families = _families(metrics.render().decode())
    samples = {
        (s.name, tuple(s.labels.values())): s.value for f in families.values() for s in f.samples
    }
    assert samples[("caseflow_relay_waiting_seconds", ("caseflow.events",))] == 42.0
    assert samples[("caseflow_relay_error", ("caseflow.events",))] == 1
    assert samples[("caseflow_projection_waiting_seconds", ("kpis",))] == 0.0


def test_liveness_and_readiness_need_no_token(client):
    assert client.get("/health/live").json() == {"status": "alive"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_a_process_whose_store_is_down_is_alive_but_not_ready(client, monkeypatch):
    store_down(client, monkeypatch)
    assert client.get("/health/live").status_code == 200
    r = client.get("/health/ready")
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/not-ready" and "no disk" not in r.text
    assert int(r.headers["Retry-After"]) > 0


def test_every_response_carries_a_request_id_the_caller_s_when_it_sent_a_plain_one(client):
    made = client.get("/health/live").headers["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/health/live").headers["X-Request-ID"]
    given = client.get("/health/live", headers={"X-Request-ID": "probe-7"})
    assert given.headers["X-Request-ID"] == "probe-7"
    odd = client.get("/health/live", headers={"X-Request-ID": "a b" + "x" * 300})
    assert odd.headers["X-Request-ID"] != "a b" + "x" * 300
    refused = client.post("/cases", content=b"x", headers={"Content-Type": "text/plain"})
    assert refused.status_code == 415 and refused.headers["X-Request-ID"]


@pytest.fixture
def json_logs():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure(json_lines=True)
    out = io.StringIO()
    root.handlers[0].setStream(out)  # (stderr, as configured, is pytest's to capture)
    try:
        yield out
    finally:
        root.handlers[:], root.level = saved


def test_json_log_lines_carry_the_request_id(client, monkeypatch, json_logs):
    store_down(client, monkeypatch)
    client.get("/health/ready", headers={"X-Request-ID": "probe-8"})
    lines = [orjson.loads(x) for x in json_logs.getvalue().splitlines()]
    ours = [x for x in lines if x["request_id"] == "probe-8"]
    assert ours and ours[0]["logger"] == "caseflow.http" and ours[0]["level"] == "WARNING"
    assert "not ready" in ours[0]["message"]


def test_caseflow_version_prints_the_installed_version():
    result = CliRunner().invoke(build(), ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"caseflow {__version__}"
