"""The relay against a real broker, on both event store backends."""

from __future__ import annotations

import time

import orjson
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from jsonschema import Draft202012Validator
from kafka.admin import KafkaAdminClient

from caseflow import schemas
from caseflow.domain.base import ce_type
from caseflow.infra.relay import relay_runner, view_store
from tests.integration.stream.conftest import (
    by_key,
    first_copies,
    header,
    log_by_key,
    read_topic,
)
from tests.unit.stream.scenario import PII_MARK, drive, pii_strings

pytestmark = pytest.mark.kafka

CASES = 12


def relay_everything(container, batch_size: int = 50):
    runner = relay_runner(container, batch_size=batch_size)
    try:
        runner.catch_up()
    finally:
        runner.consumer.close()
    return runner


def test_every_event_arrives_exactly_once_after_dedup_in_log_order_per_key(stream_container):
    c = stream_container
    drive(c.app, CASES)
    relay_everything(c)
    events = c.log.read(0, 100_000)
    records = read_topic(c.settings.kafka_bootstrap, c.settings.kafka_topic, at_least=len(events))
    unique = first_copies(records)
    assert [
        header(r, "ce_id") for r in sorted(unique, key=lambda r: int(header(r, "ce_sequence")))
    ] == [str(e.id).encode() for e in events]
    assert by_key(unique) == log_by_key(events)


def test_each_key_stays_on_one_partition(sqlite_container):
    c = sqlite_container
    drive(c.app, CASES)
    relay_everything(c)
    records = read_topic(c.settings.kafka_bootstrap, c.settings.kafka_topic, at_least=c.log.head())
    partitions: dict[bytes, set[int]] = {}
    for r in records:
        partitions.setdefault(r.key, set()).add(r.partition)
    assert all(len(p) == 1 for p in partitions.values())
    assert len({p for ps in partitions.values() for p in ps}) > 1  # keys do spread


def test_headers_parse_with_the_cloudevents_sdk(sqlite_container):
    c = sqlite_container
    drive(c.app, 4)
    relay_everything(c)
    events = {str(e.id): e for e in c.log.read(0, 100_000)}
    records = read_topic(c.settings.kafka_bootstrap, c.settings.kafka_topic, at_least=len(events))
    for r in records:
        event = from_binary(
            KafkaMessage(headers=dict(r.headers), key=r.key, value=r.value), JSONFormat()
        )
        logged = events[event.get_id()]
        assert event.get_specversion() == "1.0"
        assert event.get_type() == ce_type(logged.name)
        assert event.get_source() == c.settings.event_source
        assert event.get_subject() == str(logged.aggregate_id) == r.key.decode()
        assert event.get_time() == logged.recorded_at
        assert event.get_extension("sequence") == f"{logged.position:020d}"
        assert event.get_datacontenttype() == "application/json"
        assert event.get_data()["version"] == logged.version


def test_published_payloads_validate_against_their_schema_and_hold_no_personal_data(
    sqlite_container,
):
    c = sqlite_container
    drive(c.app, CASES)
    relay_everything(c)
    records = read_topic(c.settings.kafka_bootstrap, c.settings.kafka_topic, at_least=c.log.head())
    personal = [s.encode() for i in range(CASES) for s in pii_strings(i)] + [PII_MARK.encode()]
    types = set()
    for r in records:
        t = header(r, "ce_type").decode()
        types.add(t)
        validator = Draft202012Validator(
            schemas.schema(t), format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        errors = [e.message for e in validator.iter_errors(orjson.loads(r.value))]
        assert errors == [], (t, errors)
        raw = r.value + b"".join(v for _, v in r.headers) + r.key
        assert not [p for p in personal if p in raw], t
    assert types == set(schemas.types())


def test_topic_is_created_with_the_configured_partitions(sqlite_stream_settings):
    from caseflow.infra.bootstrap import bootstrap

    c = bootstrap(sqlite_stream_settings.model_copy(update={"kafka_partitions": 3}))
    try:
        drive(c.app, 1)
        relay_everything(c)
        admin = KafkaAdminClient(bootstrap_servers=c.settings.kafka_bootstrap)
        try:
            described = admin.describe_topics([c.settings.kafka_topic])
        finally:
            admin.close()
        assert len(described[0]["partitions"]) == 3
    finally:
        c.close()


def test_position_is_recorded_in_the_view_store_once_acknowledged(stream_container):
    c = stream_container
    drive(c.app, 3)
    runner = relay_everything(c, batch_size=7)
    store = view_store(c)
    assert store.consumer_position(runner.name).position == c.log.head()
    assert runner.status().lag_events == 0


def test_relay_status_is_reported_beside_the_projections(stream_container):
    c = stream_container
    drive(c.app, 2)
    runner = relay_runner(c, batch_size=5)
    runner.step()
    statuses = {s.name: s for s in c.views.statuses()}
    relay = statuses[runner.name]
    assert (relay.position, relay.head, relay.lag_events) == (5, c.log.head(), c.log.head() - 5)
    runner.consumer.close()


def test_running_relay_publishes_new_commands_within_a_second(sqlite_container):
    c = sqlite_container
    drive(c.app, 1)
    runner = relay_runner(c).start()
    try:
        read_topic(c.settings.kafka_bootstrap, c.settings.kafka_topic, at_least=c.log.head())
        from tests.unit.stream.scenario import Directory, receive

        d = Directory(c.app)
        appended = time.monotonic()
        receive(c.app, d, 99, c.app.clock())
        deadline = appended + 5
        while runner.consumer.position() < c.log.head() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert time.monotonic() - appended < 1.0
    finally:
        runner.stop()


def test_only_one_relay_instance_publishes_at_a_time(stream_container):
    c = stream_container
    first, second = relay_runner(c, batch_size=5), relay_runner(c, batch_size=5)
    first.standby_interval = second.standby_interval = 0.2
    first.start()
    deadline = time.monotonic() + 10
    while first.state != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    second.start()
    try:
        drive(c.app, 6)
        read_topic(c.settings.kafka_bootstrap, c.settings.kafka_topic, at_least=c.log.head())
        time.sleep(0.5)
        assert (first.state, second.state) == ("running", "standby")
        assert second.consumer.published == 0
    finally:
        first.stop()
        second.stop()
    records = read_topic(c.settings.kafka_bootstrap, c.settings.kafka_topic, at_least=c.log.head())
    assert len(records) == c.log.head()  # nobody published anything twice


def test_an_erased_case_streams_its_erasure_and_nothing_personal(stream_container):
    c = stream_container
    drive(c.app, 3)  # the third case is erased (docs/privacy.md)
    relay_everything(c)
    events = c.log.read(0, 100_000)
    erased = next(e.aggregate_id for e in events if e.name == "case.erased")
    records = [
        r
        for r in read_topic(
            c.settings.kafka_bootstrap, c.settings.kafka_topic, at_least=len(events)
        )
        if r.key == str(erased).encode()
    ]
    types = [header(r, "ce_type").decode() for r in records]
    assert types[0] == "caseflow.case.received.v1" and "caseflow.case.erased.v1" in types
    assert not [r for r in records if PII_MARK.encode() in r.value]
    received = orjson.loads(records[0].value)
    assert received["petitioner_count"] == 1 and "sealed" not in received
