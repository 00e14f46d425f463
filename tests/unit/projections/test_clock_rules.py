"""The views take their due dates and on-time judgements from `domain/clocks.py`: for random
histories, under the clock rules as written and under changed ones, `case_status`, `kpis` and
`leader_stats` agree with the domain's own clocks (and the status view with the Case's
lifecycle) -- so a rule changed in `clocks.py` shows in every view, and no view keeps a copy of
the arithmetic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.domain import clocks
from caseflow.domain.policy import DEFAULT_POLICY
from caseflow.projections import registry
from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.memory import MemoryViewStore
from tests.unit.projections.histories import apply, histories
from tests.unit.projections.world import T0, World


@contextmanager
def rules_changed(extra_days: int) -> Iterator[None]:
    """Every clock's limit in `clocks.LIMITS` moved by `extra_days` (0: the rules as written)."""
    saved = dict(clocks.LIMITS)
    for name, limit in saved.items():
        clocks.LIMITS[name] = lambda p, ext, f=limit: f(p, ext) + extra_days
    try:
        yield
    finally:
        clocks.LIMITS.clear()
        clocks.LIMITS.update(saved)


def fold(world: World) -> MemoryViewStore:
    """Every registered view, built from the world's log."""
    projections = registry.build(DEFAULT_POLICY)
    store = MemoryViewStore()
    store.setup(projections)
    for p in projections:
        consumer = ProjectionConsumer(p, store)
        consumer.handle(world.log.read(0, 1_000_000))
    return store


def _years(store: MemoryViewStore, view: str, column: str) -> int:
    """A counter summed over the year rows (each fact counts once per kind of period)."""
    rows = store.data(view)[view].values()
    return sum(r[column] for r in rows if r["period"].isdigit())


def _column(clock_name: str) -> str:
    return "supervision_due_on" if clock_name == "oversight" else f"{clock_name}_due_on"


def check_views_against_the_domain(world: World, store: MemoryViewStore) -> dict[str, Any]:
    status = store.data("case_status")["case_status"]
    unscreened = store.data("kpis")["kpis_unscreened"]
    resolved = on_time = 0
    for (case_id,), row in status.items():
        case = world.app.case(case_id)
        by_name = {c.name: c for c in case.clocks(world.clock.now, DEFAULT_POLICY)}
        assert row["status"] == case.status  # the domain's lifecycle, not a copy of it
        for name, c in by_name.items():
            assert row[_column(name)] == c.due_on, (name, case_id)
        handling = by_name.get("handling")
        if handling is not None and handling.state == "done":
            resolved += 1
            on_time += bool(handling.on_time)
        if (case_id,) in unscreened:  # the clock the office is on now
            clock = by_name["forwarded_screening" if case.forwarded_at else "screening"]
            assert unscreened[case_id,]["due_on"] == clock.due_on
    assert _years(store, "kpis", "resolved") == resolved
    assert _years(store, "kpis", "resolved_on_time") == on_time
    assert _years(store, "leader_stats", "owned_resolved") == resolved
    assert _years(store, "leader_stats", "owned_on_time") == on_time
    return {"resolved": resolved, "on_time": on_time}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, extra_days=st.sampled_from((0, 0, 9, -12, 30)))
def test_every_view_judges_due_dates_as_the_domain_clocks_do(history, extra_days):
    with rules_changed(extra_days):
        world = World()
        apply(world, history)
        check_views_against_the_domain(world, fold(world))


def _late_resolution() -> World:
    """One case accepted on 1 March and resolved 62 days later: late by the 60-day rule."""
    world = World()
    case: UUID = world.receive(T0)
    world.screen(case, T0 + timedelta(hours=2))
    world.assign(case, T0 + timedelta(days=1))
    world.resolve(case, T0 + timedelta(days=62))
    return world


@pytest.mark.parametrize("extra_days, on_time", [(0, 0), (5, 1)])
def test_a_rule_changed_in_clocks_changes_every_view(extra_days, on_time):
    with rules_changed(extra_days):
        world = _late_resolution()
        store = fold(world)
        assert check_views_against_the_domain(world, store) == {"resolved": 1, "on_time": on_time}
        (row,) = store.data("case_status")["case_status"].values()
        assert (
            row["handling_due_on"]
            == (T0 + timedelta(days=60 + extra_days)).astimezone(DEFAULT_POLICY.tz).date()
        )
