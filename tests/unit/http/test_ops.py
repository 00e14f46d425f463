"""Operations: health, Prometheus metrics, projection status and rebuild."""

from __future__ import annotations

import gc
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from caseflow.infra.http import create_app, routes_ops
from caseflow.projections.rebuild import RebuildResult
from tests.together import at_once


@pytest.fixture
def client(views_client):
    return views_client


def _register(client, world) -> dict:
    r = client.post("/cases", json=world.case(), headers=world.h("registrar"))
    assert r.status_code == 201, r.text
    return r.json()


def test_health_needs_no_token_and_reports_views_and_lag(client, world):
    case = _register(client, world)
    client.get("/cases", params={"min_position": case["position"]}, headers=world.h("handler"))
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["store"]["head"] >= case["position"]
    assert {v["name"] for v in body["views"]} >= {"case_status", "audit", "kpis"}
    assert all("lag_events" in v for v in body["views"])


def test_health_is_degraded_when_a_view_failed(client, monkeypatch):
    views = client.app.state.api.views
    failed = SimpleNamespace(
        name="kpis",
        state="failed",
        position=1,
        head=2,
        lag_events=1,
        lag_seconds=0.0,
        error="boom",
        failed_position=2,
        failed_event=None,
        generation=1,
        rebuild=None,
    )
    monkeypatch.setattr(views, "statuses", lambda: [failed])
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "degraded"


def store_down(client, monkeypatch) -> None:
    """The event store stops answering (its head cannot be read)."""

    def down():
        raise OSError("no disk")

    monkeypatch.setattr(client.app.state.api.container.log, "head", down)


def test_health_is_503_when_the_store_is_unreachable(client, monkeypatch):
    store_down(client, monkeypatch)
    r = client.get("/health")
    assert r.status_code == 503 and r.json()["status"] == "down"


def test_metrics_count_requests_by_route_template(client, world):
    case = _register(client, world)
    client.get(f"/cases/{case['id']}", headers=world.h("handler"))
    text = client.get("/metrics").text
    assert 'route="/cases/{case_id}"' in text and case["id"] not in text
    assert 'caseflow_http_requests_total{method="POST",route="/cases",status="201"}' in text
    assert "caseflow_http_request_duration_seconds_bucket" in text


def test_metrics_expose_projection_positions_and_lag(client, world):
    _register(client, world)
    text = client.get("/metrics").text
    assert 'caseflow_projection_position{projection="case_status"}' in text
    assert 'caseflow_projection_lag_events{projection="audit"}' in text
    assert "caseflow_event_log_head" in text


def test_unknown_paths_share_one_metrics_label(client):
    client.get("/scan/1"), client.get("/scan/2")
    text = client.get("/metrics").text
    assert "/scan/" not in text and 'route="<unmatched>"' in text


def test_projection_status_lists_every_projection(client, world):
    r = client.get("/admin/projections", headers=world.h("operator"))
    assert r.status_code == 200
    assert {p["name"] for p in r.json()} >= {
        "directory",
        "case_status",
        "audit",
        "leader_stats",
        "kpis",
    }


def _followed(client, world, name: str, timeout: float = 30.0) -> dict:
    """The rebuild's state once it is no longer running."""
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/admin/projections/{name}/rebuild", headers=world.h("operator"))
        assert run.status_code == 200, run.text
        if run.json()["state"] != "running" or time.monotonic() > deadline:
            return run.json()
        time.sleep(0.05)


def test_a_rebuild_starts_in_the_background_and_can_be_followed_until_it_switches(client, world):
    _register(client, world)
    r = client.post("/admin/projections/audit/rebuild", headers=world.h("operator"))
    assert r.status_code == 202 and r.json()["state"] == "running"
    assert r.headers["Location"] == "/admin/projections/audit/rebuild"
    run = _followed(client, world, "audit")
    assert run["state"] == "finished" and run["switched"] == ["audit"], run
    statuses = client.get("/admin/projections", headers=world.h("operator")).json()
    audit = next(p for p in statuses if p["name"] == "audit")
    assert audit["generation"] == 2 and audit["rebuild"] is None


def test_rebuilding_an_unknown_projection_is_404(client, world):
    r = client.post("/admin/projections/nonsense/rebuild", headers=world.h("operator"))
    assert r.status_code == 404 and "case_status" in r.json()["detail"]
    r = client.get("/admin/projections/nonsense/rebuild", headers=world.h("operator"))
    assert r.status_code == 404


def test_a_second_rebuild_while_one_runs_is_409(client, world, monkeypatch):
    views = client.app.state.api.views

    def slow(names, stop=None, locks=()):
        time.sleep(1)
        for lock in locks:
            lock.release()
        return RebuildResult()

    monkeypatch.setattr(views, "rebuild", slow)
    first = client.post("/admin/projections/kpis/rebuild", headers=world.h("operator"))
    second = client.post("/admin/projections/kpis/rebuild", headers=world.h("operator"))
    assert (first.status_code, second.status_code) == (202, 409)


def test_of_two_rebuild_requests_at_once_one_is_accepted_and_runs_the_other_is_409(
    client, world, monkeypatch
):
    _register(client, world)
    answers: list[int] = []
    # The accepted rebuild holds until both requests are answered: a small view can otherwise
    # be rebuilt and its lock let go before the second request asks, and both are rightly 202.
    answered = threading.Event()
    rebuild = routes_ops._rebuild

    def held(*args: Any) -> None:
        answered.wait(10)
        rebuild(*args)

    monkeypatch.setattr(routes_ops, "_rebuild", held)

    def ask() -> None:
        r = client.post("/admin/projections/kpis/rebuild", headers=world.h("operator"))
        answers.append(r.status_code)

    for generation in range(2, 12):
        answers.clear()
        answered.clear()
        errors = at_once(ask, 2)
        answered.set()
        assert not errors and sorted(answers) == [202, 409], answers
        run = _followed(client, world, "kpis")
        assert run["state"] == "finished", run
        assert client.app.state.api.views.status("kpis").generation == generation


@pytest.mark.parametrize("settle", [True, False])
def test_a_server_hides_its_start_up_objects_from_the_collector_only_when_asked(
    http_container, world, settle
):
    gc.unfreeze()
    app = create_app(http_container, tokens=world.principals, background=False, settle_heap=settle)
    try:
        with TestClient(app) as c:
            assert c.get("/health").status_code == 200
            frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()  # the rest of the session builds many apps: let them be collected
    assert (frozen > 10_000) is settle  # the app, the store and the modules loaded by then
