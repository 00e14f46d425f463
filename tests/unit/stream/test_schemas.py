"""The public schema files: complete, valid, strict, and free of petitioner personal data."""

from __future__ import annotations

import orjson
import pytest
from jsonschema import Draft202012Validator

from caseflow import schemas
from caseflow.domain.base import ce_type
from caseflow.domain.catalog import all_types
from caseflow.services.public import public_payload
from tests.unit.stream.scenario import PII_MARK

FORMATS = Draft202012Validator.FORMAT_CHECKER


def validator(t: str) -> Draft202012Validator:
    return Draft202012Validator(schemas.schema(t), format_checker=FORMATS)


def test_every_event_type_has_exactly_one_public_schema():
    assert set(schemas.types()) == set(all_types())


@pytest.mark.parametrize("t", schemas.types())
def test_schema_is_valid_draft_2020_12_named_for_its_type(t):
    schema = schemas.schema(t)
    Draft202012Validator.check_schema(schema)
    assert schema["title"] == t
    assert schema["additionalProperties"] is False


def test_public_payload_of_every_event_validates_against_its_schema(events):
    seen = set()
    for e in events:
        payload = orjson.loads(orjson.dumps(public_payload(e)))
        errors = [err.message for err in validator(ce_type(e.name)).iter_errors(payload)]
        assert errors == [], (e.name, errors)
        seen.add(ce_type(e.name))
    assert seen == set(all_types())


@pytest.mark.parametrize(
    "field", ["petitioners", "representatives", "request", "id_number", "phone", "address"]
)
def test_received_schema_refuses_petitioner_personal_data(events, field):
    received = next(e for e in events if e.name == "case.received")
    payload = orjson.loads(orjson.dumps(public_payload(received)))
    payload[field] = "Zhang San"
    assert not validator("caseflow.case.received.v1").is_valid(payload)


def test_every_schema_refuses_fields_it_does_not_list(events):
    for e in events:
        payload = orjson.loads(orjson.dumps(public_payload(e)))
        payload["petitioner_name"] = "Zhang San"
        assert not validator(ce_type(e.name)).is_valid(payload), e.name


def test_public_payloads_carry_none_of_the_petitioners_personal_data(events):
    for e in events:
        assert PII_MARK.encode() not in orjson.dumps(public_payload(e)), e.name
    assert any(PII_MARK in str(e.data) for e in events), "the fixture must contain the PII"


def test_schema_of_an_unknown_type_is_a_key_error():
    with pytest.raises(KeyError):
        schemas.schema("caseflow.case.invented.v1")
