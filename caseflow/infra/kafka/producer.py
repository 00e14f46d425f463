"""A thin, typed wrapper over kafka-python's `KafkaProducer` (in the spirit of quix-streams'
producer): it connects on first use, always runs idempotent with `acks=all`, bounds how long it
retries, and turns "was everything acknowledged?" into one call.

Why the retry settings look the way they do: within one producer session kafka-python retries a
failed request itself, and the idempotent producer keeps each partition in order across those
retries (at most 5 requests in flight). What breaks ordering is a batch that *expires* inside a
session: the client then bumps its epoch and sends the records behind it anyway, leaving a gap.
So retries are bounded in time by `ack_timeout` (a caller-side deadline, well below
`delivery_timeout_ms`), and a caller that misses the deadline calls `reset()`: the session is
abandoned before anything in it can expire, and the next send starts a fresh producer id.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import (
    KafkaConnectionError,
    KafkaError,
    MessageSizeTooLargeError,
    RetriableError,
    TopicAlreadyExistsError,
)
from kafka.producer.future import FutureRecordMetadata

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]
_UNREACHABLE = (KafkaConnectionError, RetriableError, OSError)


class DeliveryFailed(Exception):
    """Records were not acknowledged in time (broker down, timeout, rejected record)."""


@dataclass(frozen=True)
class ProducerConfig:
    """Tuning knobs. The defaults suit a relay that sends a batch and then waits for its acks."""

    bootstrap: str
    client_id: str = "caseflow"
    # The relay flushes at the end of every batch, so a long linger costs no latency; it keeps the
    # sender thread from waking (and taking the GIL) for half-full batches while the main thread
    # is still appending: measured ~20% more events/s than 50 ms (bench/relay.py).
    linger_ms: int = 500
    batch_size: int = 512 * 1024
    max_request_size: int = 1024 * 1024
    # How long one `wait_acked` may take before the caller gives the session up (seconds).
    ack_timeout: float = 15.0
    # Must exceed ack_timeout (see the module docstring); retries are bounded by this time, as in
    # the Java client whose `retries` default is also "as many as fit in the delivery timeout".
    delivery_timeout_ms: int = 120_000
    request_timeout_ms: int = 10_000
    max_block_ms: int = 5_000  # how long a send may wait for metadata (broker unreachable)
    connect_timeout_ms: int = 5_000
    compression_type: str | None = None


class Producer:
    """Idempotent, `acks=all` Kafka producer that connects lazily. Not thread-safe: one owner."""

    def __init__(self, config: ProducerConfig):
        if config.delivery_timeout_ms <= config.ack_timeout * 1000 + config.linger_ms:
            raise ValueError("delivery_timeout_ms must exceed ack_timeout (+ linger)")
        self.config = config
        self._producer: KafkaProducer | None = None

    @property
    def connected(self) -> bool:
        """True once a session exists (it may since have lost the broker)."""
        return self._producer is not None

    def send(
        self, topic: str, value: bytes, *, key: bytes | None = None, headers: Headers = ()
    ) -> FutureRecordMetadata:
        """Queue one record (connecting first if needed); the future resolves on acknowledgement.

        Raises `DeliveryFailed` when the broker cannot be reached or the topic's metadata does not
        arrive within `max_block_ms`; `kafka.errors.MessageSizeTooLargeError` for a record that
        can never be sent."""
        try:
            return self._session().send(topic, value=value, key=key, headers=list(headers))
        except KafkaError as exc:
            if isinstance(exc, MessageSizeTooLargeError):
                raise
            raise DeliveryFailed(f"could not queue a record for {topic}: {exc}") from exc

    def wait_acked(
        self, futures: Sequence[FutureRecordMetadata], timeout: float | None = None
    ) -> None:
        """Send everything queued and block until every future in `futures` is acknowledged.

        Raises `DeliveryFailed` if any record failed or `timeout` (default `ack_timeout`) passed;
        the caller should then `reset()` and send the same records again."""
        if self._producer is None:
            if futures:
                raise DeliveryFailed("no producer session: the records were never sent")
            return
        try:
            self._producer.flush(self.config.ack_timeout if timeout is None else timeout)
        except KafkaError as exc:
            raise DeliveryFailed(f"not acknowledged in time: {exc}") from exc
        for f in futures:
            if not f.is_done:
                raise DeliveryFailed("not acknowledged in time")
            if f.failed():
                raise DeliveryFailed(f"rejected: {type(f.exception).__name__}: {f.exception}")

    def reset(self) -> None:
        """Abandon the current session without waiting: queued records are dropped and the next
        `send` connects afresh with a new producer id (the caller resends what was unacked)."""
        producer, self._producer = self._producer, None
        if producer is not None:
            _close_now(producer)

    def close(self, timeout: float = 5.0) -> None:
        """Flush what is queued (up to `timeout` seconds) and disconnect."""
        producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            producer.close(timeout=timeout)
        except Exception:  # a producer that lost its broker must not mask the caller's error
            log.debug("producer close failed; forcing", exc_info=True)
            _close_now(producer)

    def ensure_topic(self, topic: str, partitions: int) -> bool:
        """Create `topic` with `partitions` partitions unless it exists; True if it was created.

        The replication factor is left to the broker (`default.replication.factor`), right for a
        one-node development broker and a cluster alike. An existing topic is never changed:
        more partitions would move keys to other partitions and break per-case order. Raises
        `DeliveryFailed` when the broker cannot be reached."""
        try:
            return _ensure_topic(
                self.config.bootstrap,
                topic,
                partitions,
                timeout_ms=self.config.request_timeout_ms,
                connect_timeout_ms=self.config.connect_timeout_ms,
            )
        except _UNREACHABLE as exc:
            raise DeliveryFailed(f"cannot reach Kafka at {self.config.bootstrap}: {exc}") from exc

    def _session(self) -> KafkaProducer:
        if self._producer is None:
            c = self.config
            try:
                self._producer = KafkaProducer(
                    bootstrap_servers=c.bootstrap,
                    client_id=c.client_id,
                    enable_idempotence=True,
                    acks="all",
                    # Ordering with idempotence holds for up to 5 requests in flight per broker.
                    max_in_flight_requests_per_connection=5,
                    linger_ms=c.linger_ms,
                    batch_size=c.batch_size,
                    max_request_size=c.max_request_size,
                    delivery_timeout_ms=c.delivery_timeout_ms,
                    request_timeout_ms=c.request_timeout_ms,
                    max_block_ms=c.max_block_ms,
                    bootstrap_timeout_ms=c.connect_timeout_ms,
                    compression_type=c.compression_type,
                    retry_backoff_ms=200,
                    reconnect_backoff_max_ms=2_000,
                )
            except KafkaError as exc:
                raise DeliveryFailed(f"cannot connect to Kafka at {c.bootstrap}: {exc}") from exc
        return self._producer


def _close_now(producer: KafkaProducer) -> None:
    try:
        producer.close(timeout=0)
    except Exception:  # close(0) flushes with a zero timeout first, which may raise
        sender = getattr(producer, "_sender", None)
        if sender is not None:
            sender.force_close()
        producer._closed = True  # noqa: SLF001 - keep kafka-python's atexit hook from retrying


def _ensure_topic(
    bootstrap: str, topic: str, partitions: int, *, timeout_ms: int, connect_timeout_ms: int
) -> bool:
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="caseflow-admin",
        request_timeout_ms=timeout_ms,
        bootstrap_timeout_ms=connect_timeout_ms,
    )
    try:
        try:
            admin.create_topics(
                [NewTopic(topic, num_partitions=partitions, replication_factor=-1)],
                timeout_ms=timeout_ms,
            )
            log.info("created topic %s with %d partitions", topic, partitions)
            return True
        except TopicAlreadyExistsError:
            pass
        described = admin.describe_topics([topic])
        have = len(described[0]["partitions"]) if described else None
        if have is not None and have != partitions:
            log.warning(
                "topic %s exists with %d partitions (settings say %d); leaving it as is",
                topic,
                have,
                partitions,
            )
        return False
    finally:
        admin.close()
