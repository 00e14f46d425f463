"""Input guards shared by the aggregates: turn malformed values into `InvalidInput` with a rule,
so a bad request is refused with a message instead of failing deep inside a command."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TypeVar

from caseflow.domain.errors import InvalidInput

E = TypeVar("E", bound=Enum)


def aware(moment: datetime, field: str) -> None:
    """Refuse anything but a time-zone-aware datetime: statutory days are counted in a zone."""
    if not isinstance(moment, datetime):
        raise InvalidInput(f"{field} must be a date and time.", f"time.{field}_type")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{field} needs a time zone offset.", f"time.{field}_naive")


def member(kind: type[E], value: E | str | None, rule: str) -> E | None:
    """Accept an enum member or its value (adapters may pass plain strings); None stays None."""
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise InvalidInput(f"{value!r} is not one of: {allowed}.", rule) from None
