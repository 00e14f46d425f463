"""A consumer that is not a projection (the Kafka relay) keeps a position row of its own, on
SQLite and PostgreSQL: compare-and-set like a projection's, its errors kept for another
process's status, and carried over from where the relay kept it before (a table-less
projection's row in view_generations)."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from caseflow.infra.cli import build
from caseflow.infra.views.sqlstore import META
from caseflow.projections.base import PositionMoved
from tests.unit.projections.world import T0

RELAY = "relay:caseflow.events"


def test_a_new_consumer_starts_at_zero_and_moves_only_from_where_it_stands(views):
    store = views.store
    assert store.consumer_position("relay:a").position == 0
    store.advance_consumer("relay:a", 0, 7, T0)
    with pytest.raises(PositionMoved):
        store.advance_consumer("relay:a", 0, 9, T0)  # another instance moved it meanwhile
    record = store.consumer_position("relay:a")
    assert (record.position, record.recorded_at) == (7, T0)
    assert store.consumer_position("relay:b").position == 0


def test_an_error_is_shown_while_retried_and_kept_as_the_last_error_after(views):
    store = views.store
    store.consumer_position("relay:a")
    store.record_consumer_error("relay:a", "DeliveryFailed: broker down")
    failing = store.consumer_position("relay:a")
    assert failing.error == failing.last_error == "DeliveryFailed: broker down"
    store.advance_consumer("relay:a", 0, 3, T0)
    past = store.consumer_position("relay:a")
    assert past.error is None and past.last_error == "DeliveryFailed: broker down"
    assert past.last_error_at is not None


def test_a_position_kept_the_old_way_is_carried_over_once(views):
    store = views.store
    with store.transaction() as cur:
        cur.execute(
            store.d.sql(
                f"INSERT INTO {META} (projection, generation, state, position, schema_version) "
                "VALUES (?, 1, 'active', 42, 1)"
            ),
            ("relay:old",),
        )
    assert store.consumer_position("relay:old").position == 42
    with store.transaction() as cur:
        left = cur.execute(
            store.d.sql(f"SELECT COUNT(*) FROM {META} WHERE projection = ?"), ("relay:old",)
        ).fetchone()[0]
    assert left == 0


def test_the_configured_relay_is_reported_beside_the_views_with_its_lag_and_errors(views, world):
    world.receive(T0)
    views.settings = views.settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:9"})
    views.store.consumer_position(RELAY)
    views.store.advance_consumer(RELAY, 0, 2, T0)
    views.store.record_consumer_error(RELAY, "DeliveryFailed: broker down")
    statuses = {s.name: s for s in views.statuses()}
    relay = statuses[RELAY]
    head = world.log.head()
    assert (relay.position, relay.head, relay.lag_events) == (2, head, head - 2)
    assert relay.state == "stopped" and relay.error == "DeliveryFailed: broker down"
    assert relay.last_error == "DeliveryFailed: broker down"
    assert relay.waiting_seconds is not None and relay.waiting_seconds >= 0


def test_projections_status_lists_the_relay_in_the_table_and_in_json(container, world, monkeypatch):
    world.receive(T0)
    s = container.settings
    monkeypatch.setenv("CASEFLOW_KAFKA_BOOTSTRAP", "127.0.0.1:9")
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(s.data_dir))
    if s.database_url:
        monkeypatch.setenv("CASEFLOW_DATABASE_URL", s.database_url)
    store = container.views.store
    store.consumer_position(RELAY)
    store.record_consumer_error(RELAY, "DeliveryFailed: broker down")
    cli = CliRunner()
    listed = cli.invoke(build(), ["projections", "status", "--json"])
    relay = {r["name"]: r for r in orjson.loads(listed.output)}[RELAY]
    assert relay["lag_events"] == container.log.head() and relay["position"] == 0
    assert relay["error"] == relay["last_error"] == "DeliveryFailed: broker down"
    table = cli.invoke(build(), ["projections", "status"], env={"COLUMNS": "200"})
    assert RELAY in table.output and "broker down" in table.output
