"""Input guards shared by the aggregates: turn malformed values into `InvalidInput` with a rule,
so a bad request is refused with a message instead of failing deep inside a command."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TypeVar, overload

from caseflow.domain.errors import InvalidInput, RuleViolation

E = TypeVar("E", bound=Enum)


def aware(moment: datetime, field: str) -> None:
    """Refuse anything but a time-zone-aware datetime: statutory days are counted in a zone."""
    if not isinstance(moment, datetime):
        raise InvalidInput(f"{field} must be a date and time.", f"time.{field}_type", field)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{field} needs a time zone offset.", f"time.{field}_naive", field)


@overload
def member(kind: type[E], value: E | str, rule: str) -> E: ...


@overload
def member(kind: type[E], value: E | str | None, rule: str) -> E | None: ...


def member(kind: type[E], value: E | str | None, rule: str) -> E | None:
    """Accept an enum member or its value (adapters may pass plain strings); None stays None."""
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise InvalidInput(f"{value!r} is not one of: {allowed}.", rule) from None


def on_or_after(
    moment: datetime, earlier: datetime | None, what: str, step: str, rule: str
) -> None:
    """Business times keep the order of the steps: a step is never dated before the step it
    follows (entered after the fact or not). `earlier` None: that step has no time to keep."""
    if earlier is not None and moment < earlier:
        raise RuleViolation(
            f"{what} cannot be dated before {step} ({earlier.isoformat()}); it was dated "
            f"{moment.isoformat()}.",
            rule,
        )
