"""Aggregates are copied before a command changes them (the repository caches the original);
our cheap copy must be as independent as a deep copy, and the org/leader cache must stay valid."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import is_dataclass
from datetime import date, datetime
from enum import Enum
from uuid import UUID

from caseflow.domain.case import Case
from caseflow.domain.org import Leader, Org
from caseflow.domain.values import Rating, Stage
from caseflow.services.app import IMMUTABLE
from tests.unit.domain.builders import day, meta, resolved

IMMUTABLE_VALUES = (str, int, float, bool, type(None), datetime, date, UUID, Enum)


def _immutable(value) -> bool:
    if isinstance(value, tuple):
        return all(_immutable(v) for v in value)
    return isinstance(value, IMMUTABLE_VALUES) or (
        is_dataclass(value) and type(value).__dataclass_params__.frozen
    )


def test_a_copied_case_shares_no_mutable_state_with_the_original() -> None:
    case = resolved()
    case.collect_events()
    clone = deepcopy(case)
    clone.evaluate(rating=Rating.SATISFIED, meta=meta(day(21), key="k-1"))
    assert Stage.RESOLUTION in clone.evaluated and Stage.RESOLUTION not in case.evaluated
    assert clone.recall("k-1") and not case.recall("k-1")
    assert clone.version == case.version + 1 and not case.pending_events


def test_a_copy_has_the_same_state() -> None:
    case = resolved()
    assert vars(deepcopy(case)) == vars(case)


def test_case_state_holds_only_immutable_values_or_flat_containers_of_them() -> None:
    # what makes the cheap copy a deep one (Entity.__deepcopy__ copies top-level containers)
    case = resolved()
    case.evaluate(rating=Rating.SATISFIED, meta=meta(day(21), key="k-1"))
    for name, value in vars(case).items():
        if isinstance(value, dict):
            assert all(_immutable(k) and _immutable(v) for k, v in value.items()), name
        elif isinstance(value, (set, list)):
            assert all(_immutable(v) for v in value), name
        else:
            assert _immutable(value), name


def test_the_orgs_kept_once_read_never_change_what_commands_read() -> None:
    # the service keeps orgs once read: their only later event is a rename, and commands read
    # an org's level and parent (never its name); leaders move and leave office, so are not kept
    events = [
        k
        for k, v in vars(Org).items()
        if isinstance(v, type) and issubclass(v, Org.Event) and k not in ("Event", "Created")
    ]
    assert sorted(events) == ["Registered", "Renamed"]
    assert set(Org.Renamed.__annotations__) == {"name"}
    assert IMMUTABLE == (Org,) and Leader not in IMMUTABLE and Case not in IMMUTABLE
