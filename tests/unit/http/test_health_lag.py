"""/health says degraded when a view or the relay leaves events waiting too long, not only when
something has failed: a relay whose broker is away has no error to show until a send times out,
while what it owes keeps waiting."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from caseflow.infra.bootstrap import Container, bootstrap
from caseflow.infra.http import create_app
from caseflow.infra.settings import Settings
from tests.unit.http.world import World, build_world

RELAY = "relay:caseflow.events"


@pytest.fixture
def kafka_container(tmp_path, http_clock) -> Iterator[Container]:
    # Kafka configured, but no relay runs anywhere: nothing will ever publish.
    c = bootstrap(
        Settings(data_dir=tmp_path / "var", kafka_bootstrap="127.0.0.1:9", health_max_lag=0.2),
        clock=http_clock,
    )
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def client(kafka_container: Container) -> Iterator[TestClient]:
    world: World = build_world(kafka_container)
    views = kafka_container.views
    for runner in views.runners():  # the views are caught up; only the relay lags
        runner.catch_up()
    app = create_app(kafka_container, tokens=world.principals, background=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_a_relay_that_leaves_events_waiting_past_the_limit_makes_health_degraded(client):
    time.sleep(0.3)
    body = client.get("/health").json()
    relay = {v["name"]: v for v in body["views"]}[RELAY]
    assert relay["error"] is None and relay["lag_events"] > 0
    assert relay["waiting_seconds"] > 0.2
    assert body["status"] == "degraded" and body["lagging"] == [RELAY]


def test_within_the_limit_the_same_lag_is_reported_but_health_stays_ok(client, kafka_container):
    kafka_container.settings.health_max_lag = 3600.0
    body = client.get("/health").json()
    relay = {v["name"]: v for v in body["views"]}[RELAY]
    assert relay["lag_events"] > 0 and relay["state"] == "stopped"
    assert body["status"] == "ok" and body["lagging"] == []
