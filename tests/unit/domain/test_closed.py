"""Closure (销号): after a non-accept screening, after the re-check, or after a decision whose
request window has lapsed or was waived."""

from __future__ import annotations

import pytest

from caseflow.domain.errors import RuleViolation
from caseflow.domain.values import Decision, Status
from tests.unit.domain.builders import (
    accepted,
    assigned,
    close,
    day,
    receive,
    recheck_requested,
    rechecked,
    refused,
    resolved,
    review_requested,
    reviewed,
    screen,
)


@pytest.mark.parametrize("decision", [Decision.FORWARD, Decision.REJECT, Decision.ROUTE])
def test_a_case_not_accepted_can_be_closed(decision: Decision) -> None:
    case = close(screen(receive(), decision), day(3))
    assert case.status is Status.CLOSED
    assert case.previous_status is not Status.CLOSED


def test_a_rechecked_case_can_be_closed() -> None:
    assert close(rechecked(), day(61)).status is Status.CLOSED


def test_closing_a_resolved_case_while_its_review_window_is_open_is_refused() -> None:
    case = resolved()  # served day 20; the window runs to day 50
    message = refused(case, RuleViolation, "closed.window_open", lambda: close(case, day(50)))
    assert "may still request a review until 2026-04-20" in message


def test_a_resolved_case_can_be_closed_once_its_review_window_lapsed() -> None:
    assert close(resolved(), day(51)).status is Status.CLOSED


def test_a_resolved_case_can_be_closed_when_the_petitioner_waived_review() -> None:
    case = close(resolved(), day(21), waived=True)
    assert case.status is Status.CLOSED
    assert case.pending_events[-1].waived is True


def test_closing_a_reviewed_case_while_its_recheck_window_is_open_is_refused() -> None:
    case = reviewed()  # reviewed day 40; the re-check window runs to day 70
    refused(case, RuleViolation, "closed.window_open", lambda: close(case, day(70)))


def test_a_reviewed_case_can_be_closed_once_its_recheck_window_lapsed() -> None:
    assert close(reviewed(), day(71)).status is Status.CLOSED


@pytest.mark.parametrize(
    "build", [receive, accepted, assigned, review_requested, recheck_requested]
)
def test_closing_a_case_still_in_progress_is_refused(build) -> None:
    case = build()
    message = refused(case, RuleViolation, "closed.when", lambda: close(case, day(200)))
    assert "cannot be closed" in message


def test_closing_twice_is_refused() -> None:
    case = close(rechecked(), day(61))
    refused(case, RuleViolation, "closed.when", lambda: close(case, day(62)))


def test_closure_records_when_it_happened() -> None:
    assert close(rechecked(), day(61)).closed_at == day(61)
