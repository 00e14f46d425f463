"""Wiring of the Kafka relay: settings → producer → relay → a `Runner` for the log's follower.

`caseflow relay` runs it alone; `caseflow serve` and `caseflow worker` run it beside the
projections (through `caseflow.infra.background.background_runners`, which takes the
container's `relay`) when `CASEFLOW_KAFKA_BOOTSTRAP` is set. The runner holds a lock named
after the relay (advisory lock on PostgreSQL, file lock on SQLite), so however many processes
run it, one publishes and the others stand by.
"""

from __future__ import annotations

import logging
from typing import Protocol

from caseflow.infra.kafka.producer import Producer, ProducerConfig
from caseflow.infra.kafka.relay import KafkaRelay
from caseflow.infra.settings import Settings
from caseflow.infra.views import Views
from caseflow.projections.runner import Runner
from caseflow.projections.source import EventSource
from caseflow.projections.store import ViewStore

# Broker outages are retried with exponential backoff from 0.1 s up to this many seconds, so a
# returning broker is used within a few seconds while a long outage costs little.
MAX_BACKOFF = 5.0


class Wiring(Protocol):
    """What the relay needs of the composition root's container (`bootstrap.Container`)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def log(self) -> EventSource: ...
    @property
    def views(self) -> Views: ...


class KafkaNotConfigured(RuntimeError):
    """The relay needs `CASEFLOW_KAFKA_BOOTSTRAP`."""


def build_relay(
    settings: Settings,
    store: ViewStore,
    *,
    client_id: str = "caseflow-relay",
    producer: Producer | None = None,
) -> KafkaRelay:
    """The relay for `settings.kafka_topic`, keeping its position in `store`."""
    if not settings.kafka_bootstrap:
        raise KafkaNotConfigured("set CASEFLOW_KAFKA_BOOTSTRAP (host:port[,host:port]) to relay")
    kafka_log = logging.getLogger("kafka")
    if kafka_log.level == logging.NOTSET:
        # kafka-python logs every connection at INFO; the relay reports what matters itself.
        kafka_log.setLevel(logging.WARNING)
    producer = producer or Producer(
        ProducerConfig(bootstrap=settings.kafka_bootstrap, client_id=client_id)
    )
    return KafkaRelay(
        producer,
        store,
        topic=settings.kafka_topic,
        source=settings.event_source,
        partitions=settings.kafka_partitions,
        disclosure=settings.disclosure(),
        schema_base=settings.public_url,
    )


def view_store(container: Wiring) -> ViewStore:
    """The view store the container's views use (positions and locks live there)."""
    return container.views.store


def relay_runner(
    container: Wiring, *, batch_size: int | None = None, producer: Producer | None = None
) -> Runner:
    """A runner (not started) that relays the container's event log to Kafka."""
    store = view_store(container)
    relay = build_relay(container.settings, store, producer=producer)
    views = container.views
    runner = Runner(
        relay,
        container.log,
        lock=store.lock(relay.name),
        wait=views.waiter,
        batch_size=batch_size or container.settings.projection_batch_size,
        max_backoff=MAX_BACKOFF,
    )
    views.attach(runner)  # position, lag and errors in /admin/projections, /health, /metrics
    return runner


def start_relay(container: Wiring, *, batch_size: int | None = None) -> Runner:
    """Run the relay in a daemon thread; `stop()` the returned runner to end it."""
    return relay_runner(container, batch_size=batch_size).start()
