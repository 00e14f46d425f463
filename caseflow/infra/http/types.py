"""Input types that turn hostile input into a 422 naming the field, before it reaches the store:
NUL bytes and lone surrogates (PostgreSQL and UTF-8 cannot hold them), naive or out-of-range
datetimes, and integers beyond what SQL columns hold."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

MAX_POSITION = 2**53  # JSON-safe and far below SQL BIGINT
MIN_YEAR, MAX_YEAR = 1900, 2999


def _clean(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})$"
)


def _rfc3339(value: object) -> object:
    # Pydantic would also take a number (Unix seconds) or a digit string for a datetime; a
    # business time is written as a date and time with its offset, nothing else.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value.strip()):
        raise ValueError(
            "must be an RFC 3339 date-time string with a time zone offset, e.g. "
            "2026-03-01T09:00:00+08:00"
        )
    return value


def _sane_time(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}") from None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise ValueError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return value


def _sane_date(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return value


Text = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_clean)]
Line = Annotated[str, StringConstraints(max_length=500), AfterValidator(_clean)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_clean)]
Time = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339),
    AfterValidator(_sane_time),
    Field(description="RFC 3339 date-time with a time zone offset"),
]
Day = Annotated[date, AfterValidator(_sane_date)]
Position = Annotated[int, Field(ge=0, le=MAX_POSITION)]
