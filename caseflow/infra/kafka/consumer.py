"""`caseflow consume`: an example analytics consumer of the event stream.

It joins a consumer group (so several processes split the topic's partitions, and one takes over
the partitions of another that dies), de-duplicates on `ce_id`, and commits offsets to Kafka only
after the records' effects are committed to its own state file. A crash between the two replays
some records, which the de-duplication then skips: counts stay exact. It refuses to start when
the group committed offsets its state file has not folded in (a lost state file): it would skip
those records and silently undercount.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
from kafka import KafkaConsumer
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition

from caseflow.infra.kafka.analytics import AnalyticsStore, Message, StateMismatch, check_state
from caseflow.infra.kafka.envelope import NotACloudEvent, Received, from_record

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsumerConfig:
    bootstrap: str
    topic: str
    group: str = "caseflow-analytics"
    name: str = ""  # this member's name in the state file (default: host-pid)
    session_timeout_ms: int = 10_000  # how soon a dead member's partitions move to another
    heartbeat_interval_ms: int = 1_000
    max_poll_records: int = 1_000
    poll_timeout_ms: int = 500


class _Assignment(ConsumerRebalanceListener):
    def __init__(self, on_change: Callable[[list[int]], None]):
        self.partitions: list[int] = []
        self._on_change = on_change

    def on_partitions_revoked(self, revoked):  # noqa: ANN001 - kafka-python callback
        self.partitions = [p for p in self.partitions if p not in {tp.partition for tp in revoked}]

    def on_partitions_assigned(self, assigned):  # noqa: ANN001 - kafka-python callback
        self.partitions = sorted({*self.partitions, *(tp.partition for tp in assigned)})
        if assigned:
            self._on_change(self.partitions)


class AnalyticsConsumer:
    """Polls the topic, folds records into an `AnalyticsStore`, then commits their offsets."""

    def __init__(
        self,
        config: ConsumerConfig,
        store: AnalyticsStore,
        *,
        output: Path | None = None,
        report: Callable[[str], None] = print,
    ):
        self.config, self.store, self.output, self.report = config, store, output, report
        self.name = config.name or f"{socket.gethostname()}-{os.getpid()}"
        store.consumer = self.name
        self.stopping = threading.Event()
        self._last_write = 0.0
        self._dirty = False
        self.assignment = _Assignment(
            lambda parts: self.report(f"{self.name}: assigned partitions {parts}")
        )

    def run(self, *, idle_exit: float | None = None, print_every: float | None = None) -> None:
        """Consume until `stop()` (or `idle_exit` seconds pass without a record)."""
        c = self.config
        consumer = KafkaConsumer(
            bootstrap_servers=c.bootstrap,
            group_id=c.group,
            client_id=self.name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=c.session_timeout_ms,
            heartbeat_interval_ms=c.heartbeat_interval_ms,
            max_poll_records=c.max_poll_records,
        )
        try:
            # The group's offsets first, then the state: a member of the group folds records
            # into the state before it commits their offsets, so read in this order the state
            # is never behind for a member running alongside (read the other way round, a
            # commit landing between the two reads refused a healthy second member).
            committed = _committed(consumer, c.topic)
            check_state(self.store.next_offsets(), committed)
        except StateMismatch:
            consumer.close(autocommit=False)
            raise
        consumer.subscribe([c.topic], listener=self.assignment)
        last_record = last_print = time.monotonic()
        try:
            while not self.stopping.is_set():
                polled = consumer.poll(timeout_ms=c.poll_timeout_ms)
                now = time.monotonic()
                if polled:
                    self._process(consumer, polled)
                    last_record = now
                self._write_output()
                if print_every and now - last_print >= print_every:
                    self.report(self._line())
                    last_print = now
                if idle_exit is not None and now - last_record >= idle_exit:
                    break
        finally:
            self._write_output(force=True)
            try:
                consumer.close(autocommit=False)
            except KafkaError:
                log.debug("consumer close failed", exc_info=True)

    def stop(self) -> None:
        self.stopping.set()

    def _process(self, consumer: KafkaConsumer, polled: dict) -> None:
        messages, offsets = [], {}
        for tp, records in polled.items():
            for r in records:
                messages.append(Message(tp.partition, r.offset, _decode(r)))
            offsets[TopicPartition(tp.topic, tp.partition)] = OffsetAndMetadata(
                records[-1].offset + 1, "", -1
            )
        self.store.apply(messages)  # committed here first ...
        try:
            consumer.commit(offsets)  # ... then the offsets: a crash in between replays, deduped
        except CommitFailedError as exc:
            # The group rebalanced meanwhile: whoever owns these partitions now gets the records
            # again and skips them as duplicates.
            log.warning(
                "%s: offset commit refused (%s); the new owner will skip duplicates", self.name, exc
            )
        self._dirty = True

    def _line(self) -> str:
        s = self.store.summary()
        visits = sum(x["batches"] for x in s["leader_receptions"])
        people = sum(x["person_times"] for x in s["leader_receptions"])
        cases = sum(x["cases"] for x in s["cases_by_day"])
        return (
            f"{self.name}: {s['events']} events ({s['duplicates_skipped']} duplicates "
            f"skipped), {cases} cases, receptions {visits} batches / {people} person-times, "
            f"partitions {self.assignment.partitions}"
        )

    def _write_output(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.output is None or not (force or self._dirty and now - self._last_write >= 0.5):
            return
        self._last_write, self._dirty = now, False
        tmp = self.output.with_name(f".{self.output.name}.{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps(self.store.summary(), option=orjson.OPT_INDENT_2))
        tmp.replace(self.output)  # atomic: readers never see half a file


def _committed(consumer: KafkaConsumer, topic: str) -> dict[int, int | None]:
    """The group's committed offset of every partition of `topic` (None: none committed)."""
    partitions = consumer.partitions_for_topic(topic) or set()
    return {p: consumer.committed(TopicPartition(topic, p)) for p in sorted(partitions)}


def _decode(record) -> Received | None:  # noqa: ANN001 - kafka-python ConsumerRecord
    try:
        return from_record(list(record.headers or ()), record.value)
    except (NotACloudEvent, orjson.JSONDecodeError, UnicodeDecodeError, TypeError):
        log.warning(
            "skipping a record that is not a caseflow CloudEvent at offset %s", record.offset
        )
        return None
