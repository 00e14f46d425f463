"""An in-memory stand-in for `Producer`, for unit tests of the relay (no broker, no threads).

`written` is what "the topic" holds. Failures are scripted: `unreachable = True` refuses
everything, as a broker that is down; `fail_acks = n` makes the next n `wait_acked` calls write
only part of what was queued and raise, as a broker that dies mid-batch would;
`too_large = predicate` rejects matching records at `send`, as an oversized record is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kafka.errors import MessageSizeTooLargeError

from caseflow.infra.kafka.producer import DeliveryFailed, Headers, ProducerConfig


@dataclass
class FakeRecord:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass
class FakeFuture:
    record: FakeRecord
    is_done: bool = False
    exception: Exception | None = None

    def failed(self) -> bool:
        return self.exception is not None


@dataclass
class FakeProducer:
    config: ProducerConfig = field(default_factory=lambda: ProducerConfig(bootstrap="fake:9092"))
    written: list[FakeRecord] = field(default_factory=list)
    fail_acks: int = 0
    too_large: Callable[[FakeRecord], bool] = lambda record: False
    topics: dict[str, int] = field(default_factory=dict)
    unreachable: bool = False  # the broker is down: nothing can be sent or created
    resets: int = 0
    closed: bool = False
    _queued: list[FakeFuture] = field(default_factory=list)

    @property
    def connected(self) -> bool:
        return not self.closed

    def send(
        self, topic: str, value: bytes, *, key: bytes | None = None, headers: Headers = ()
    ) -> FakeFuture:
        if self.unreachable:
            raise DeliveryFailed("cannot connect to Kafka at fake:9092")
        record = FakeRecord(topic, key, value, list(headers))
        if self.too_large(record):
            raise MessageSizeTooLargeError("record too large")
        future = FakeFuture(record)
        self._queued.append(future)
        return future

    def wait_acked(self, futures: Sequence[FakeFuture], timeout: float | None = None) -> None:
        queued, self._queued = self._queued, []
        if self.fail_acks:
            self.fail_acks -= 1
            # A prefix reached the broker before it went away; the rest never did.
            landed = queued[: len(queued) // 2]
            for f in landed:
                self.written.append(f.record)
                f.is_done = True
            raise DeliveryFailed("scripted failure")
        for f in queued:
            self.written.append(f.record)
            f.is_done = True
        if any(not f.is_done for f in futures):
            raise DeliveryFailed("not acknowledged")

    def ensure_topic(self, topic: str, partitions: int) -> bool:
        if self.unreachable:
            raise DeliveryFailed("cannot reach Kafka at fake:9092")
        created = topic not in self.topics
        self.topics.setdefault(topic, partitions)
        return created

    def reset(self) -> None:
        self._queued = []
        self.resets += 1

    def close(self, timeout: float = 5.0) -> None:
        self.closed = True
