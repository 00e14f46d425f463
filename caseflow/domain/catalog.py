"""Every event class of every aggregate, by stored topic, with its public stream name."""

from __future__ import annotations

from functools import cache
from typing import Any

from eventsourcing.utils import get_topic

from caseflow.domain.base import ce_type, event_name
from caseflow.domain.case import Case
from caseflow.domain.org import Leader, Org

AGGREGATES = (Case, Org, Leader)


@cache
def names_by_topic() -> dict[str, str]:
    """Stored topic (`caseflow.domain.case:Case.Screened`) → name (`case.screened`)."""
    out = {}
    for agg in AGGREGATES:
        for name, value in vars(agg).items():
            # eventsourcing generates a `Created` class on every aggregate; ours are created by
            # `Received` / `Registered`, so that one is never stored and has no stream name.
            if (
                isinstance(value, type)
                and issubclass(value, agg.Event)
                and value is not agg.Event
                and name != "Created"
            ):
                out[get_topic(value)] = event_name(value)
    return out


@cache
def versioned_by_topic() -> dict[str, type]:
    """Stored topic → event class, for the classes that have been versioned (class_version > 1)."""
    out = {}
    for agg in AGGREGATES:
        for value in vars(agg).values():
            if isinstance(value, type) and getattr(value, "class_version", 1) > 1:
                out[get_topic(value)] = value
    return out


def upcast(cls: type, state: dict[str, Any]) -> None:
    """Bring a stored event's state up to `cls`'s current version in place, as the library's
    mapper does for domain events (readers that decode state without the mapper call this)."""
    version = state.pop("class_version", 1)
    while version < cls.class_version:  # type: ignore[attr-defined]
        getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
        version += 1


def all_names() -> list[str]:
    return sorted(names_by_topic().values())


def all_types() -> list[str]:
    return [ce_type(n) for n in all_names()]
