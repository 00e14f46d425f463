"""Statutory clocks (DESIGN §3): calendar days in the deployment's zone, limits configurable."""

from __future__ import annotations

from datetime import UTC, date, datetime

from caseflow.domain.clocks import ClockFacts, ClockState, case_clocks
from caseflow.domain.policy import Policy
from tests.unit.domain.builders import (
    POLICY,
    RECEIVED,
    TZ,
    assigned,
    day,
    extend,
    receive,
    request_review,
    resolve,
    resolved,
    review,
    review_requested,
    reviewed,
    screen,
)


def clock(case_or_facts, name: str, now: datetime, policy: Policy = POLICY) -> ClockState:
    facts = case_or_facts if isinstance(case_or_facts, ClockFacts) else case_or_facts.clock_facts()
    return next(c for c in case_clocks(facts, now, policy) if c.name == name)


# ---- screening: 15 days from receipt


def test_screening_on_day_15_is_on_time() -> None:
    assert clock(screen(receive(), at=day(15, hour=23, minute=59)), "screening", day(16)).on_time


def test_screening_on_day_16_is_late() -> None:
    assert (
        clock(screen(receive(), at=day(16, hour=0, minute=1)), "screening", day(16)).on_time
        is False
    )


def test_unscreened_case_is_not_overdue_on_day_15() -> None:
    state = clock(receive(), "screening", day(15, hour=23, minute=59))
    assert (state.state, state.overdue, state.days_left) == ("open", False, 0)


def test_unscreened_case_is_overdue_on_day_16() -> None:
    state = clock(receive(), "screening", day(16, hour=0, minute=1))
    assert (state.overdue, state.days_left) == (True, -1)


def test_screening_due_date_is_15_days_after_receipt() -> None:
    assert clock(receive(), "screening", day(1)).due_on == date(2026, 3, 16)


def test_receipt_just_after_local_midnight_counts_from_the_local_date() -> None:
    # 16:30 UTC on 1 March is 00:30 on 2 March in Shanghai: due 17 March, not 16 March
    case = receive(received_at=datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    assert clock(case, "screening", day(1)).due_on == date(2026, 3, 17)


def test_receipt_just_before_local_midnight_counts_from_that_day() -> None:
    case = receive(received_at=datetime(2026, 3, 1, 23, 59, tzinfo=TZ))
    assert clock(case, "screening", day(1)).due_on == date(2026, 3, 16)


def test_the_same_instant_falls_on_another_day_in_a_utc_deployment() -> None:
    received = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    facts = ClockFacts(received_at=received)
    assert clock(facts, "screening", received, Policy(timezone="UTC")).due_on == date(2026, 3, 16)


def test_screening_limit_is_configurable() -> None:
    assert clock(receive(), "screening", day(1), Policy(screening_days=10)).due_on == date(
        2026, 3, 11
    )


# ---- handling: 60 days from acceptance plus extensions


def test_handling_is_due_60_days_after_acceptance() -> None:
    case = assigned()  # accepted on day 2 (3 March)
    assert clock(case, "handling", day(3)).due_on == date(2026, 5, 2)


def test_extensions_move_the_handling_due_date() -> None:
    case = extend(extend(assigned(), 20), 10)
    assert clock(case, "handling", day(50)).due_on == date(2026, 6, 1)


def test_resolution_on_the_extended_due_date_is_on_time() -> None:
    case = resolve(extend(assigned(), 30), day(92))  # 3 March + 90 days = 1 June = day 92
    assert clock(case, "handling", day(92)).on_time


def test_resolution_a_day_after_the_extended_due_date_is_late() -> None:
    case = resolve(extend(assigned(), 30), day(93))
    assert clock(case, "handling", day(93)).on_time is False


def test_handling_clock_does_not_start_before_acceptance() -> None:
    assert [c.name for c in receive().clocks(day(1), POLICY)] == ["screening"]


# ---- review and re-check windows and dues


def test_review_window_is_open_for_30_days_after_the_reply() -> None:
    state = clock(resolved(), "review_window", day(20))  # served day 20 = 21 March
    assert (state.owner, state.due_on, state.days_left) == ("petitioner", date(2026, 4, 20), 30)


def test_review_window_is_done_when_a_review_is_requested() -> None:
    state = clock(review_requested(), "review_window", day(30))
    assert (state.state, state.on_time) == ("done", True)


def test_review_is_due_30_days_after_the_request() -> None:
    assert clock(review_requested(), "review", day(26)).due_on == date(2026, 4, 25)  # day 25 + 30


def test_a_review_decided_on_day_31_is_late() -> None:
    case = review(review_requested(), day(56))
    assert clock(case, "review", day(56)).on_time is False


def test_a_review_decided_on_day_30_is_on_time() -> None:
    case = review(review_requested(), day(55))
    assert clock(case, "review", day(55)).on_time


def test_recheck_window_runs_30_days_from_the_review_decision() -> None:
    assert clock(reviewed(), "recheck_window", day(41)).due_on == date(2026, 5, 10)  # day 40+30


# ---- closure and oversight


def test_closure_stops_open_clocks_without_overdue() -> None:
    facts = ClockFacts(received_at=RECEIVED, closed_at=day(3))
    state = clock(facts, "screening", day(100))
    assert (state.state, state.overdue) == ("stopped", False)


def test_oversight_clock_runs_to_the_given_due_date() -> None:
    facts = ClockFacts(
        received_at=RECEIVED, supervision_opened_at=day(5), supervision_due_at=day(12)
    )
    state = clock(facts, "oversight", day(12, hour=23))
    assert (state.due_on, state.overdue) == (date(2026, 3, 13), False)


def test_oversight_open_past_its_due_date_is_overdue() -> None:
    facts = ClockFacts(
        received_at=RECEIVED, supervision_opened_at=day(5), supervision_due_at=day(12)
    )
    assert clock(facts, "oversight", day(13)).overdue


def test_oversight_cleared_after_its_due_date_was_late() -> None:
    facts = ClockFacts(
        received_at=RECEIVED,
        supervision_opened_at=day(5),
        supervision_due_at=day(12),
        supervision_cleared_at=day(13),
    )
    assert clock(facts, "oversight", day(20)).on_time is False


def test_a_full_lifecycle_reports_every_clock_it_started() -> None:
    case = request_review(resolved(), day(21))
    names = [c.name for c in case.clocks(day(22), POLICY)]
    assert names == ["screening", "handling", "review_window", "review"]
