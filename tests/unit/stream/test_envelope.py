"""An event as a Kafka record: CloudEvents 1.0 binary mode, as DESIGN §5 fixes it."""

from __future__ import annotations

import orjson
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from caseflow.domain.base import ce_type
from caseflow.infra.kafka.envelope import from_record, to_record
from caseflow.services.public import public_payload

SOURCE = "/caseflow"
HEADERS = [
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_subject",
    "ce_time",
    "ce_sequence",
    "content-type",
]


def test_record_carries_exactly_the_cloudevents_binary_headers(events):
    record = to_record(events[0], SOURCE)
    assert [name for name, _ in record.headers] == HEADERS


def test_record_key_and_subject_are_the_aggregate_id(events):
    e = events[-1]
    record = to_record(e, SOURCE)
    headers = dict(record.headers)
    assert record.key == str(e.aggregate_id).encode()
    assert headers["ce_subject"] == record.key


def test_sequence_is_the_global_position_zero_padded_to_20_digits(events):
    e = events[11]
    assert dict(to_record(e, SOURCE).headers)["ce_sequence"] == f"{e.position:020d}".encode()
    assert len(dict(to_record(e, SOURCE).headers)["ce_sequence"]) == 20


def test_value_is_the_public_payload_as_json(events):
    e = next(e for e in events if e.name == "case.received")
    assert orjson.loads(to_record(e, SOURCE).value) == orjson.loads(orjson.dumps(public_payload(e)))


def test_records_parse_with_the_cloudevents_sdk(events):
    for e in events:
        record = to_record(e, SOURCE)
        message = KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
        parsed = from_binary(message, JSONFormat())
        assert parsed.get_specversion() == "1.0"
        assert parsed.get_id() == str(e.id)
        assert parsed.get_type() == ce_type(e.name)
        assert parsed.get_source() == SOURCE
        assert parsed.get_subject() == str(e.aggregate_id)
        assert parsed.get_time() == e.recorded_at
        assert parsed.get_datacontenttype() == "application/json"
        assert parsed.get_extension("sequence") == f"{e.position:020d}"
        assert parsed.get_data()["aggregate_id"] == str(e.aggregate_id)


def test_from_record_reads_back_attributes_and_payload(events):
    e = events[5]
    record = to_record(e, SOURCE)
    received = from_record(record.headers, record.value)
    assert (received.id, received.type, received.position) == (
        str(e.id),
        ce_type(e.name),
        e.position,
    )
    assert received.data["version"] == e.version


def test_records_name_the_served_schema_when_the_api_s_public_url_is_known(events):
    event = events[0]
    plain = dict(to_record(event, "/caseflow").headers)
    assert "ce_dataschema" not in plain
    named = dict(to_record(event, "/caseflow", schema_base="https://cf.example/").headers)
    assert (
        named["ce_dataschema"] == f"https://cf.example/schemas/{ce_type(event.name)}.json".encode()
    )


def test_the_relay_names_schemas_at_the_configured_public_url(tmp_path):
    from caseflow.infra.kafka.fake import FakeProducer
    from caseflow.infra.relay import build_relay
    from caseflow.infra.settings import Settings
    from caseflow.projections.memory import MemoryViewStore

    settings = Settings(
        data_dir=tmp_path, kafka_bootstrap="fake:9092", public_url="https://cf.example"
    )
    relay = build_relay(settings, MemoryViewStore(), producer=FakeProducer())
    assert relay.schema_base == "https://cf.example"
