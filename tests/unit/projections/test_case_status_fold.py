"""case_status, checked against dates worked out by hand (Asia/Shanghai, default limits:
screening 15 days, handling 60 + extensions, review/re-check windows and dues 30)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from caseflow.domain.clocks import case_clocks
from caseflow.domain.policy import DEFAULT_POLICY
from caseflow.domain.values import Decision
from caseflow.projections.case_status import CaseStatus, clock_facts
from caseflow.projections.memory import MemoryRows
from tests.unit.projections.world import T0, World, day


@pytest.fixture
def world() -> World:
    return World()


def fold(world: World, case) -> dict:
    projection = CaseStatus(DEFAULT_POLICY)
    rows = MemoryRows(projection.tables)
    projection.handle([e for e in world.events() if e.name in projection.interests], rows)
    return rows.get("case_status", (case,))


def test_received_case_is_registered_with_screening_due_15_days_later(world):
    case = world.receive(T0)  # 1 March, 09:00 local
    row = fold(world, case)
    assert row["status"] == "registered"
    assert row["received_on"] == date(2026, 3, 1)
    assert row["screening_due_on"] == date(2026, 3, 16)
    assert row["next_due_on"] == date(2026, 3, 16)
    assert row["receiving_org_id"] == world.county
    assert row["version"] == 1 and row["last_event"] == "case.received"


def test_received_late_evening_utc_counts_on_the_next_local_day(world):
    case = world.receive(day(3, 1, hour_utc=17))  # 01:00 on 2 March in Shanghai
    assert fold(world, case)["screening_due_on"] == date(2026, 3, 17)


def test_accepted_case_owes_handling_60_days_after_acceptance(world):
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    row = fold(world, case)
    assert row["status"] == "accepted" and row["decision"] == "accept"
    assert row["category"] == "appeal"
    assert row["accepted_at"] == day(3, 5)
    assert row["handling_due_on"] == date(2026, 5, 4)  # 5 March + 60 days
    assert row["next_due_on"] == date(2026, 5, 4)  # screening is done


def test_extensions_push_the_handling_due_date(world):
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    world.assign(case, day(3, 6))
    world.extend(case, day(4, 20), 15)
    world.extend(case, day(4, 25), 10)
    row = fold(world, case)
    assert row["extension_days"] == 25
    assert row["handling_due_on"] == date(2026, 5, 29)  # 4 May + 25
    assert (row["unit_id"], row["leader_id"], row["handler_id"]) == (
        world.county,
        world.leader,
        "handler-7",
    )
    assert row["status"] == "assigned"


def test_a_full_life_to_closure_keeps_every_clock_fact(world):
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    world.assign(case, day(3, 6))
    world.visit(case, day(3, 10))
    world.resolve(case, day(5, 10))
    world.evaluate(case, day(5, 12))
    world.request_review(case, day(5, 20))
    world.review(case, day(6, 10))
    world.request_recheck(case, day(6, 15))
    world.recheck(case, day(7, 1))
    world.close(case, day(7, 2))
    row = fold(world, case)
    assert row["status"] == "closed" and row["version"] == 11
    assert row["review_window_due_on"] == date(2026, 6, 9)  # 10 May + 30
    assert row["review_due_on"] == date(2026, 6, 19)  # 20 May + 30
    assert row["recheck_window_due_on"] == date(2026, 7, 10)  # 10 June + 30
    assert row["recheck_due_on"] == date(2026, 7, 15)  # 15 June + 30
    assert row["outcome"] == "revised" and row["satisfaction"] == "satisfied"
    assert row["closed_at"] == day(7, 2)
    assert row["next_due_on"] is None  # nothing is owed on a closed case


def test_review_request_makes_the_review_decision_the_next_duty(world):
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    world.assign(case, day(3, 6))
    world.resolve(case, day(5, 10))
    world.request_review(case, day(5, 20))
    row = fold(world, case)
    assert row["status"] == "review_requested"
    assert row["next_due_on"] == date(2026, 6, 19)


def test_supervision_due_date_is_a_duty_until_cleared(world):
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    world.supervise(case, day(3, 6), due=day(3, 20))
    row = fold(world, case)
    assert row["supervision_open"] is True and row["supervision_level"] == "listed"
    assert row["supervision_due_on"] == date(2026, 3, 20)
    assert row["next_due_on"] == date(2026, 3, 20)  # before handling's 4 May
    world.supervise(case, day(3, 8), cleared=True)
    row = fold(world, case)
    assert row["supervision_open"] is False
    assert row["next_due_on"] == date(2026, 5, 4)


def test_rejected_case_has_no_further_duty(world):
    case = world.receive(T0)
    world.screen(case, day(3, 3), decision=Decision.REJECT)
    row = fold(world, case)
    assert row["status"] == "rejected" and row["next_due_on"] is None


def test_collective_and_repeat_flags(world):
    first = world.receive(T0)
    second = world.receive(day(3, 2), headcount=6, prior=first)
    row = fold(world, second)
    assert row["collective"] is True and row["repeat"] is True
    assert row["prior_case_id"] == first
    assert fold(world, first)["collective"] is False


@pytest.mark.parametrize("today_offset", [0, 10, 15, 16, 40, 70])
def test_next_due_on_agrees_with_the_domain_clocks_on_overdue(world, today_offset):
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    world.supervise(case, day(3, 6), due=day(3, 20))
    row = fold(world, case)
    now = T0 + timedelta(days=today_offset)
    today = DEFAULT_POLICY.local_date(now)
    overdue_by_view = row["next_due_on"] is not None and row["next_due_on"] < today
    clocks = case_clocks(clock_facts(row), now, DEFAULT_POLICY)
    assert overdue_by_view == any(c.overdue for c in clocks if c.owner == "office")
