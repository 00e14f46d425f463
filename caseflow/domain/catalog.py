"""Every event class of every aggregate, by stored topic, with its public stream name."""

from __future__ import annotations

from functools import cache

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


def all_names() -> list[str]:
    return sorted(names_by_topic().values())


def all_types() -> list[str]:
    return [ce_type(n) for n in all_names()]
