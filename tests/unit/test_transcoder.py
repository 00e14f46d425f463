"""The orjson transcoder round-trips our value types exactly (no I/O; the same cases through a
real store on SQLite and PostgreSQL are in tests/integration/services/test_transcoder_store.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import IntEnum
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow.domain.values import Category, Meta, Petitioner, Status
from caseflow.infra.transcoder import OrjsonTranscoder, decode_value, encode_value
from tests.exact import assert_exact

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Priority(IntEnum):
    LOW = 1
    HIGH = 2


def round_trip(value):
    return decode_value(encode_value(value))


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=8))),
        datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
        datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=SHANGHAI),
    ],
    ids=["utc", "fixed-offset", "negative-offset", "named-zone"],
)
def test_aware_datetimes_round_trip_with_their_zone(value: datetime) -> None:
    assert_exact(round_trip(value), value)


def test_a_named_zone_keeps_its_daylight_saving_rules() -> None:
    # 02:30 on 25 October 2026 happens twice in Berlin; the second one (fold=1) is CET
    value = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin"))
    back = round_trip(value)
    assert_exact(back, value)
    assert (back + timedelta(days=1)).utcoffset() == timedelta(hours=1)


def test_naive_datetime_stays_naive() -> None:
    assert_exact(round_trip(datetime(2026, 3, 1, 10, 0)), datetime(2026, 3, 1, 10, 0))


def test_date_stays_a_date_not_a_datetime() -> None:
    assert_exact(round_trip(date(2026, 2, 28)), date(2026, 2, 28))


def test_uuid_round_trips() -> None:
    value = uuid4()
    assert_exact(round_trip(value), value)


@pytest.mark.parametrize("text", ["0.10", "123456789012345678901234567890.000001", "-1E+3", "NaN"])
def test_decimal_keeps_every_digit_and_its_exponent(text: str) -> None:
    back = round_trip(Decimal(text))
    assert str(back) == text


@pytest.mark.parametrize("member", [Category.ACCUSATION, Status.RECHECK_REQUESTED, Priority.HIGH])
def test_enum_members_come_back_as_the_same_member(member) -> None:
    assert round_trip(member) is member


def test_tuples_stay_tuples_and_lists_stay_lists() -> None:
    value = {"t": (1, (2, 3), [4, (5,)]), "l": [(), []]}
    assert_exact(round_trip(value), value)


def test_nested_value_objects_round_trip() -> None:
    value = (
        Petitioner("测试-张三", "000000TEST00000001", "100-0000-0001", "测试路1号"),
        Meta("u-1", "registrar", "c-1", None, datetime(2026, 3, 1, tzinfo=SHANGHAI), "k-1", "h-1"),
    )
    assert_exact(round_trip(value), value)


def test_sets_and_frozensets_round_trip() -> None:
    value = {"s": {1, 2}, "f": frozenset({"a"})}
    assert_exact(round_trip(value), value)


@pytest.mark.parametrize("value", [{"$dt": "not a date"}, {"$m": {"$u": "x"}}, {"a": {"$t": [1]}}])
def test_a_plain_dict_that_looks_like_a_tag_is_kept_as_written(value: dict) -> None:
    assert_exact(round_trip(value), value)


def test_an_unsupported_type_is_refused_with_its_name() -> None:
    with pytest.raises(TypeError, match="complex"):
        encode_value({"x": 1j})


def test_the_transcoder_class_uses_the_same_encoding() -> None:
    transcoder = OrjsonTranscoder()
    value = {"at": datetime(2026, 3, 1, tzinfo=UTC), "id": uuid4()}
    assert transcoder.encode(value) == encode_value(value)
    assert_exact(transcoder.decode(transcoder.encode(value)), value)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.text(max_size=8),
    st.floats(allow_nan=False, allow_infinity=False),
    st.uuids(),
    st.dates(),
    st.datetimes(
        timezones=st.sampled_from([UTC, SHANGHAI, timezone(timedelta(hours=-5))]),
        allow_imaginary=False,
    ),
    st.decimals(allow_nan=False, places=4),
    st.sampled_from(list(Category)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=4), inner, max_size=4),
    ),
    max_leaves=20,
)


@given(values)
def test_any_nesting_of_supported_values_round_trips_exactly(value) -> None:
    assert_exact(round_trip(value), value)
