"""The relay: follows the event log and publishes every event to Kafka (DESIGN §5).

It is a `Consumer` for the generic projection `Runner`, which supplies the reading, batching,
waiting, lag reporting, backoff and the one-active-instance lock. What the relay adds:

- one batch in flight: send every record of the batch, wait until the broker acknowledged all of
  them, and only then record the new position (in the view store, like a projection's position);
- on any delivery failure: abandon the producer session (so nothing of it can land later out of
  order), raise, and let the runner back off and retry the same batch from the recorded
  position. Records acknowledged before the failure are sent again: delivery is at-least-once
  and consumers de-duplicate on `ce_id`. Because batch N+1 is never sent before all of batch N
  was acknowledged, the first copy of every event arrives in log order per key.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kafka.errors import KafkaError, MessageSizeTooLargeError

from caseflow.infra.kafka.envelope import to_record
from caseflow.infra.kafka.producer import DeliveryFailed, Producer
from caseflow.projections.base import PoisonEvent, PositionMoved, Projection
from caseflow.projections.source import LoggedEvent
from caseflow.projections.store import Cursor, ViewStore
from caseflow.services.public import WITHHOLD_ALL, Disclosure

log = logging.getLogger(__name__)


class RelayPosition(Projection):
    """No tables: lets the relay keep its position in the view store's position bookkeeping
    (same database as the views, same compare-and-set per batch) without a table of its own."""

    tables = ()

    def __init__(self, name: str):
        self.name = name  # per instance: one position per topic

    def handle(self, events, rows) -> None:  # noqa: ANN001 - never called with rows to write
        """Nothing to write: only the position advances."""


class KafkaRelay:
    """Publishes events to one topic and records its position only after Kafka acknowledged."""

    def __init__(self, producer: Producer, store: ViewStore, *, topic: str, source: str,
                 partitions: int, name: str | None = None,
                 disclosure: Disclosure = WITHHOLD_ALL, schema_base: str | None = None):
        self.producer, self.store = producer, store
        self.topic, self.source, self.partitions = topic, source, partitions
        self.disclosure, self.schema_base = disclosure, schema_base
        # One position per topic: pointing the relay at a new topic republishes the whole log.
        self.name = name or f"relay:{topic}"
        self._marker = RelayPosition(self.name)
        self._cursor: Cursor | None = None
        self._set_up = False
        self._topic_checked = False
        self.published = 0  # records acknowledged by this instance (a count for status lines)

    # ------------------------------------------------------------------ Consumer

    def position(self) -> int:
        """The last position whose event (and every one before it) Kafka acknowledged."""
        # Cached only once this instance has published; until then (a standby) it is read fresh,
        # so that status shows the live instance's progress.
        return (self._cursor or self._stored()).position

    def refresh(self) -> None:
        """Nothing to re-check: only the instance holding the lock moves the position."""

    def handle(self, events: Sequence[LoggedEvent]) -> None:
        """Publish `events` past the position, wait for every ack, then record the position."""
        cursor = self._cursor or self._stored()
        events = [e for e in events if e.position > cursor.position]
        if not events:
            return
        self._ensure_topic()
        futures = []
        try:
            for i, event in enumerate(events):
                try:
                    record = to_record(event, self.source, self.disclosure, self.schema_base)
                    futures.append(self.producer.send(self.topic, record.value, key=record.key,
                                                      headers=record.headers))
                except (MessageSizeTooLargeError, TypeError, ValueError) as exc:
                    # This event can never be published: publish what precedes it, then stop.
                    self.producer.wait_acked(futures)
                    if i:
                        self._advance(cursor, events[i - 1])
                        self.published += i
                    raise PoisonEvent(self.name, event, exc) from exc
            self.producer.wait_acked(futures)
        except DeliveryFailed:
            self.producer.reset()
            raise
        self._advance(cursor, events[-1])
        self.published += len(events)

    def close(self) -> None:
        """Flush and disconnect the producer (the runner calls this when it stops)."""
        self.producer.close()

    # ----------------------------------------------------------------- internals

    def _stored(self) -> Cursor:
        if not self._set_up:
            self.store.setup([self._marker])
            self._set_up = True
        return self.store.record(self.name).active

    def _advance(self, cursor: Cursor, last: LoggedEvent) -> None:
        try:
            with self.store.batch(self._marker, cursor.generation, cursor.position) as batch:
                batch.advance(last.position, last.recorded_at)
        except PositionMoved:
            # Another instance recorded a position meanwhile (it held the lock while ours had
            # lapsed): what we sent is a duplicate; re-read and carry on from there.
            self._cursor = None
            raise
        except Exception:
            self._cursor = None
            raise
        self._cursor = Cursor(cursor.generation, last.position, last.recorded_at)

    def _ensure_topic(self) -> None:
        if self._topic_checked:
            return
        try:
            self.producer.ensure_topic(self.topic, self.partitions)
        except DeliveryFailed:
            raise
        except KafkaError as exc:
            # E.g. not allowed to create topics: the topic may exist anyway; sending will tell.
            log.warning("could not create topic %s: %s", self.topic, exc)
        self._topic_checked = True
