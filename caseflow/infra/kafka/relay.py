"""The relay: follows the event log and publishes every event to Kafka (DESIGN §5).

It is a `Consumer` moved by the log's one follower (`caseflow.projections.runner`), which
supplies the reading, batching, waiting, lag reporting, backoff and the one-active-instance lock.
Its position is a row of its own in the view store's `consumer_positions` (with the error it is
retrying and its last error, so `caseflow projections status` in another process shows them).
What the relay adds:

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
from datetime import datetime

from kafka.errors import KafkaError, MessageSizeTooLargeError

from caseflow.infra.kafka.envelope import to_record
from caseflow.infra.kafka.producer import DeliveryFailed, Producer
from caseflow.projections.base import PoisonEvent
from caseflow.projections.source import LoggedEvent
from caseflow.projections.store import ViewStore
from caseflow.services.public import WITHHOLD_ALL, Disclosure

log = logging.getLogger(__name__)


class KafkaRelay:
    """Publishes events to one topic and records its position only after Kafka acknowledged."""

    def __init__(
        self,
        producer: Producer,
        store: ViewStore,
        *,
        topic: str,
        source: str,
        partitions: int,
        name: str | None = None,
        disclosure: Disclosure = WITHHOLD_ALL,
        schema_base: str | None = None,
    ):
        self.producer, self.store = producer, store
        self.topic, self.source, self.partitions = topic, source, partitions
        self.disclosure, self.schema_base = disclosure, schema_base
        # One position per topic: pointing the relay at a new topic republishes the whole log.
        self.name = name or f"relay:{topic}"
        self._at: tuple[int, datetime | None] | None = None  # cached once it has published
        self._topic_checked = False
        self.published = 0  # records acknowledged by this instance (a count for status lines)

    # ------------------------------------------------------------------ Consumer

    def position(self) -> int:
        """The last position whose event (and every one before it) Kafka acknowledged."""
        # Cached only once this instance has published; until then (a standby) it is read fresh,
        # so that status shows the live instance's progress.
        return (self._at or self._stored())[0]

    def refresh(self) -> None:
        """Nothing to re-check: only the instance holding the lock moves the position."""

    def handle(self, events: Sequence[LoggedEvent]) -> None:
        """Publish `events` past the position, wait for every ack, then record the position."""
        at = (self._at or self._stored())[0]
        events = [e for e in events if e.position > at]
        if not events:
            return
        self._ensure_topic()
        futures = []
        try:
            for i, event in enumerate(events):
                try:
                    record = to_record(event, self.source, self.disclosure, self.schema_base)
                    futures.append(
                        self.producer.send(
                            self.topic, record.value, key=record.key, headers=record.headers
                        )
                    )
                except (MessageSizeTooLargeError, TypeError, ValueError) as exc:
                    # This event can never be published: publish what precedes it, then stop.
                    self.producer.wait_acked(futures)
                    if i:
                        self._advance(at, events[i - 1])
                        self.published += i
                    raise PoisonEvent(self.name, event, exc) from exc
            self.producer.wait_acked(futures)
        except DeliveryFailed:
            self.producer.reset()
            raise
        self._advance(at, events[-1])
        self.published += len(events)

    def close(self) -> None:
        """Flush and disconnect the producer (the runner calls this when it stops)."""
        self.producer.close()

    def record_error(self, error: str | None) -> None:
        """Keep the error being retried (None: past it) in the position row, for status."""
        self.store.record_consumer_error(self.name, error)

    # ----------------------------------------------------------------- internals

    def _stored(self) -> tuple[int, datetime | None]:
        record = self.store.consumer_position(self.name)
        return record.position, record.recorded_at

    def _advance(self, at: int, last: LoggedEvent) -> None:
        try:
            self.store.advance_consumer(self.name, at, last.position, last.recorded_at)
        except Exception:
            # PositionMoved: another instance recorded a position meanwhile (it held the lock
            # while ours had lapsed), so what we sent is a duplicate. Either way: re-read the
            # position and carry on from there.
            self._at = None
            raise
        self._at = (last.position, last.recorded_at)

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
