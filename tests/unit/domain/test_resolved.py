"""Resolution (办结): a written reply, after assignment; lateness is recorded, never refused."""

from __future__ import annotations

from datetime import timedelta

from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.values import Outcome, Status
from tests.unit.domain.builders import (
    POLICY,
    RECEIVED,
    accepted,
    assigned,
    day,
    meta,
    refused,
    resolve,
    resolved,
)


def test_an_assigned_case_is_resolved_with_a_written_reply() -> None:
    case = resolve(assigned(), day(20))
    assert case.status is Status.RESOLVED
    assert case.resolved_at == day(20)


def test_resolving_an_accepted_but_unassigned_case_is_refused() -> None:
    case = accepted()
    message = refused(case, RuleViolation, "resolved.when", lambda: resolve(case))
    assert "after the case is assigned" in message


def test_a_second_resolution_is_refused() -> None:
    case = resolved()
    refused(case, RuleViolation, "resolved.when", lambda: resolve(case, day(21)))


def test_a_late_resolution_is_recorded_and_its_clock_shows_late() -> None:
    case = resolve(assigned(), day(100))
    assert case.status is Status.RESOLVED
    handling = next(c for c in case.clocks(day(100), POLICY) if c.name == "handling")
    assert handling.on_time is False


def test_a_reply_served_before_receipt_is_refused() -> None:
    case = assigned()
    refused(
        case, RuleViolation, "resolved.order", lambda: resolve(case, RECEIVED - timedelta(hours=1))
    )


def test_a_reply_served_at_a_naive_time_is_refused() -> None:
    case = assigned()
    refused(
        case,
        InvalidInput,
        "time.served_at_naive",
        lambda: resolve(case, day(20).replace(tzinfo=None)),
    )


def test_unknown_outcome_is_refused() -> None:
    case = assigned()
    refused(
        case,
        InvalidInput,
        "resolved.outcome",
        lambda: case.resolve(outcome="maybe", reply="", served_at=day(20), meta=meta(day(20))),
    )


def test_outcome_is_recorded() -> None:
    case = assigned()
    case.resolve(outcome="not_supported", reply="不予支持", served_at=day(20), meta=meta(day(20)))
    assert case.pending_events[-1].outcome is Outcome.NOT_SUPPORTED
