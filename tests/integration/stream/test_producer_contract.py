"""The same cases against the fake producer and the real one on the broker (port contract)."""

from __future__ import annotations

import pytest

from caseflow.infra.kafka.fake import FakeProducer
from caseflow.infra.kafka.producer import Producer, ProducerConfig
from tests.integration.stream.conftest import read_topic, unique_topic

pytestmark = pytest.mark.kafka


@pytest.fixture(params=["fake", "kafka"])
def producer_and_reader(request):
    if request.param == "fake":
        fake = FakeProducer()
        yield (
            fake,
            lambda topic, n: [
                (r.key, r.value, r.headers) for r in fake.written if r.topic == topic
            ],
        )
        return
    bootstrap = request.getfixturevalue("kafka_bootstrap")
    real = Producer(ProducerConfig(bootstrap=bootstrap, client_id="contract-test"))

    def read(topic: str, n: int) -> list:
        return [
            (r.key, r.value, list(r.headers))
            for r in sorted(
                read_topic(bootstrap, topic, at_least=n), key=lambda r: (r.partition, r.offset)
            )
        ]

    yield real, read
    real.close()


def test_ensure_topic_creates_it_once(producer_and_reader):
    producer, _ = producer_and_reader
    topic = unique_topic()
    assert producer.ensure_topic(topic, 3) is True
    assert producer.ensure_topic(topic, 3) is False


def test_acknowledged_records_are_on_the_topic_in_order_with_their_headers(producer_and_reader):
    producer, read = producer_and_reader
    topic = unique_topic()
    producer.ensure_topic(topic, 1)
    sent = [(b"case-1", f'{{"n": {i}}}'.encode(), [("ce_id", str(i).encode())]) for i in range(5)]
    futures = [
        producer.send(topic, value, key=key, headers=headers) for key, value, headers in sent
    ]
    producer.wait_acked(futures)
    assert read(topic, 5) == sent


def test_a_reset_session_sends_again(producer_and_reader):
    producer, read = producer_and_reader
    topic = unique_topic()
    producer.ensure_topic(topic, 1)
    producer.wait_acked([producer.send(topic, b"1", key=b"k")])
    producer.reset()
    producer.wait_acked([producer.send(topic, b"2", key=b"k")])
    assert [value for _, value, _ in read(topic, 2)] == [b"1", b"2"]


def test_waiting_for_nothing_needs_no_connection(producer_and_reader):
    producer, _ = producer_and_reader
    producer.wait_acked([])


@pytest.fixture(params=["fake", "kafka"])
def unreachable_producer(request):
    if request.param == "fake":
        yield FakeProducer(unreachable=True)
        return
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    real = Producer(
        ProducerConfig(
            bootstrap=f"127.0.0.1:{port}",
            connect_timeout_ms=1_000,
            max_block_ms=1_000,
            request_timeout_ms=2_000,
        )
    )
    yield real
    real.close()


def test_an_unreachable_broker_is_a_delivery_failure(unreachable_producer):
    from caseflow.infra.kafka.producer import DeliveryFailed

    with pytest.raises(DeliveryFailed):
        unreachable_producer.ensure_topic(unique_topic(), 1)
    with pytest.raises(DeliveryFailed):
        unreachable_producer.send(unique_topic(), b"x", key=b"k")
