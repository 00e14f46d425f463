"""The relay as a runner consumer, against the fake producer and in-memory positions."""

from __future__ import annotations

import pytest

from caseflow.infra.kafka.fake import FakeProducer
from caseflow.infra.kafka.producer import DeliveryFailed
from caseflow.infra.kafka.relay import KafkaRelay
from caseflow.projections.base import PoisonEvent, PositionMoved
from caseflow.projections.runner import Runner
from tests.unit.stream.fakes import FakePositions

TOPIC = "caseflow.events"


@pytest.fixture
def producer() -> FakeProducer:
    return FakeProducer()


@pytest.fixture
def positions() -> FakePositions:
    return FakePositions()


@pytest.fixture
def relay(producer, positions) -> KafkaRelay:
    return KafkaRelay(producer, positions, topic=TOPIC, source="/caseflow", partitions=6)


def ids(records) -> list[bytes]:
    return [dict(r.headers)["ce_id"] for r in records]


def first_copies(records) -> list[bytes]:
    seen, out = set(), []
    for i in ids(records):
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out


def test_publishes_a_batch_in_log_order_then_records_its_position(relay, producer, events):
    relay.handle(events[:20])
    assert ids(producer.written) == [str(e.id).encode() for e in events[:20]]
    assert relay.position() == events[19].position


def test_creates_the_topic_with_the_configured_partitions_before_publishing(
    relay, producer, events
):
    relay.handle(events[:1])
    assert producer.topics == {TOPIC: 6}


def test_unacknowledged_batch_leaves_the_position_and_abandons_the_session(relay, producer, events):
    relay.handle(events[:5])
    producer.fail_acks = 1
    with pytest.raises(DeliveryFailed):
        relay.handle(events[5:15])
    assert relay.position() == events[4].position
    assert producer.resets == 1


def test_retried_batch_is_resent_whole_so_first_copies_are_in_log_order(
    relay, producer, memory_log, events
):
    producer.fail_acks = 2
    runner = Runner(relay, memory_log, batch_size=10)
    for _ in range(2):
        with pytest.raises(DeliveryFailed):
            runner.step()
    runner.catch_up()
    assert len(producer.written) > len(events)  # duplicates: at-least-once
    assert first_copies(producer.written) == [str(e.id).encode() for e in events]
    assert relay.position() == events[-1].position


def test_position_commit_failing_after_the_ack_republishes_rather_than_skips(
    relay, producer, positions, events
):
    positions.fail_next_commit = True
    with pytest.raises(ConnectionError):
        relay.handle(events[:10])
    relay.handle(events[:10])
    assert ids(producer.written) == ids(producer.written[:10]) * 2
    assert relay.position() == events[9].position


def test_events_already_published_are_skipped(relay, producer, events):
    relay.handle(events[:10])
    relay.handle(events[:15])
    assert ids(producer.written) == [str(e.id).encode() for e in events[:15]]


def test_unpublishable_event_stops_the_relay_after_publishing_what_precedes_it(
    relay, producer, events
):
    bad = events[7]
    producer.too_large = lambda record: dict(record.headers)["ce_id"] == str(bad.id).encode()
    with pytest.raises(PoisonEvent) as failed:
        relay.handle(events[:12])
    assert failed.value.event == bad
    assert relay.position() == events[6].position
    assert ids(producer.written) == [str(e.id).encode() for e in events[:7]]


def test_runner_reports_the_relay_lag(relay, memory_log, events):
    runner = Runner(relay, memory_log, batch_size=10)
    runner.step()
    status = runner.status()
    assert (status.position, status.lag_events) == (events[9].position, len(events) - 10)


def test_a_standby_instance_reports_the_live_instances_position(relay, positions, events):
    standby = KafkaRelay(FakeProducer(), positions, topic=TOPIC, source="/caseflow", partitions=6)
    assert standby.position() == 0
    relay.handle(events[:8])
    assert standby.position() == events[7].position


def test_an_instance_that_lost_the_race_resumes_after_the_winner(
    relay, producer, positions, events
):
    other = KafkaRelay(FakeProducer(), positions, topic=TOPIC, source="/caseflow", partitions=6)
    relay.handle(events[:5])
    other.handle(events[5:10])  # e.g. our lock lapsed and another instance carried on
    with pytest.raises(PositionMoved):
        relay.handle(events[5:10])
    relay.handle(events[:12])
    assert relay.position() == events[11].position
    assert ids(producer.written)[-2:] == [str(e.id).encode() for e in events[10:12]]


def test_broker_unreachable_at_start_is_retried_until_it_answers(
    relay, producer, memory_log, events
):
    producer.unreachable = True
    runner = Runner(relay, memory_log, batch_size=10)
    for _ in range(3):
        with pytest.raises(DeliveryFailed):
            runner.step()
    assert relay.position() == 0
    producer.unreachable = False
    runner.catch_up()
    assert ids(producer.written) == [str(e.id).encode() for e in events]
    assert producer.topics == {TOPIC: 6}
