"""Screening (受理审查): once, right after registration; the repeat-of-final rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.values import Category, Decision, LegalChannel, Status
from tests.unit.domain.builders import (
    NEXT_LEVEL,
    POLICY,
    RECEIVED,
    SUPERIOR,
    accepted,
    close,
    day,
    receive,
    rechecked,
    refused,
    resolved,
    screen,
)


def test_accepting_a_petition_moves_it_to_accepted() -> None:
    case = screen(receive(), Decision.ACCEPT)
    assert case.status is Status.ACCEPTED
    assert case.category is Category.APPEAL


@pytest.mark.parametrize(
    ("decision", "status"),
    [
        (Decision.FORWARD, Status.FORWARDED),
        (Decision.REJECT, Status.REJECTED),
        (Decision.ROUTE, Status.ROUTED),
    ],
)
def test_a_non_accept_decision_sets_its_status(decision: Decision, status: Status) -> None:
    assert screen(receive(), decision).status is status


def test_forwarding_records_the_org_it_goes_to() -> None:
    case = screen(receive(), Decision.FORWARD)
    assert case.pending_events[-1].to_org_id == SUPERIOR


@pytest.mark.parametrize("channel", list(LegalChannel))
def test_routing_records_the_legal_channel(channel: LegalChannel) -> None:
    case = screen(receive(), Decision.ROUTE, route_channel=channel)
    assert case.pending_events[-1].route_channel is channel


def test_accepting_without_any_category_is_refused() -> None:
    case = receive()
    refused(
        case,
        InvalidInput,
        "screened.category",
        lambda: screen(case, Decision.ACCEPT, category=None),
    )


def test_accepting_uses_the_category_given_at_registration() -> None:
    case = screen(receive(category=Category.ACCUSATION), Decision.ACCEPT, category=None)
    assert case.category is Category.ACCUSATION


def test_forwarding_without_a_target_org_is_refused() -> None:
    case = receive()
    refused(
        case,
        InvalidInput,
        "screened.to_org_id",
        lambda: screen(case, Decision.FORWARD, to_org_id=None),
    )


def test_rejecting_without_a_reason_is_refused() -> None:
    case = receive()
    refused(
        case, InvalidInput, "screened.reason", lambda: screen(case, Decision.REJECT, reason=" ")
    )


def test_routing_without_a_legal_channel_is_refused() -> None:
    case = receive()
    refused(
        case,
        InvalidInput,
        "screened.route_channel",
        lambda: screen(case, Decision.ROUTE, route_channel=None),
    )


def test_unknown_decision_is_refused() -> None:
    case = receive()
    refused(case, InvalidInput, "screened.decision", lambda: screen(case, "postpone"))


def test_decision_given_as_text_is_stored_as_its_enum() -> None:
    case = screen(receive(), "reject", reason="重复")
    assert case.pending_events[-1].decision is Decision.REJECT


def test_a_second_screening_is_refused() -> None:
    case = accepted()
    message = refused(case, RuleViolation, "screened.when", lambda: screen(case, Decision.REJECT))
    assert "right after the petition is registered" in message


def test_the_body_a_petition_was_forwarded_to_decides_on_acceptance() -> None:
    case = screen(receive(), Decision.FORWARD, at=day(3))
    assert case.orgs == (case.receiving_org_id, SUPERIOR, None)
    screen(case, Decision.ACCEPT, at=day(10))
    assert case.status is Status.ACCEPTED and case.accepted_at == day(10)
    assert (case.screened_at, case.forwarded_at, case.forward_screened_at) == (
        day(3),
        day(3),
        day(10),
    )
    clocks = {c.name: c for c in case.clocks(day(10), POLICY)}
    assert clocks["screening"].done_on == day(3).date()  # the receiving office's decision
    forwarded = clocks["forwarded_screening"]  # the forwarded-to body's 15 days, from day 3
    assert forwarded.started_on == day(3).date() and forwarded.on_time


def test_a_forwarded_petition_is_not_screened_before_it_was_forwarded() -> None:
    case = screen(receive(), Decision.FORWARD, at=day(3))
    refused(case, RuleViolation, "screened.order", lambda: screen(case, Decision.ACCEPT, at=day(2)))


def test_a_petition_is_not_forwarded_to_the_body_deciding_on_it() -> None:
    case = screen(receive(), Decision.FORWARD, at=day(3))
    refused(
        case,
        RuleViolation,
        "screened.forward_to_self",
        lambda: screen(case, Decision.FORWARD, at=day(4)),
    )


def test_screening_dated_before_receipt_is_refused() -> None:
    case = receive()
    refused(
        case,
        RuleViolation,
        "screened.order",
        lambda: screen(case, at=RECEIVED - timedelta(minutes=1)),
    )


def test_late_screening_is_recorded_not_refused() -> None:
    case = screen(receive(), at=day(40))
    assert case.status is Status.ACCEPTED
    assert case.screened_at == day(40)


def test_naive_notification_time_is_refused() -> None:
    case = receive()
    refused(
        case,
        InvalidInput,
        "time.notified_at_naive",
        lambda: screen(case, notified_at=day(2).replace(tzinfo=None)),
    )


# ---- repeat petitions on a final matter (the same facts and reasons are not accepted again)


@pytest.mark.parametrize("decision", [Decision.ACCEPT, Decision.FORWARD, Decision.ROUTE])
def test_repeat_of_a_final_case_cannot_be_taken_up(decision: Decision) -> None:
    case = receive()
    message = refused(
        case,
        RuleViolation,
        "screened.repeat_of_final",
        lambda: screen(case, decision, prior_is_final=True),
    )
    assert "must be rejected" in message


def test_repeat_of_a_final_case_is_rejected_and_marked() -> None:
    case = screen(receive(), Decision.REJECT, prior_is_final=True)
    assert case.status is Status.REJECTED
    assert case.pending_events[-1].repeat_of_final is True


def test_repeat_of_an_open_case_may_be_accepted() -> None:
    assert screen(receive(), Decision.ACCEPT, prior_is_final=False).status is Status.ACCEPTED


def test_a_rechecked_case_is_final() -> None:
    assert rechecked().is_final


def test_a_case_closed_after_its_decision_is_final() -> None:
    assert close(resolved(), day(60)).is_final


def test_a_resolved_case_still_open_to_review_is_not_final() -> None:
    assert not resolved().is_final


def test_a_case_closed_after_rejection_is_not_final() -> None:
    assert not close(screen(receive(), Decision.REJECT), day(5)).is_final


def test_a_case_rejected_as_repeat_of_a_final_case_is_final_itself() -> None:
    # otherwise a third petition linking to the rejected repeat would reopen the final matter
    assert screen(receive(), Decision.REJECT, prior_is_final=True).is_final


def test_every_body_a_petition_passed_through_keeps_seeing_it() -> None:
    case = screen(receive(), Decision.FORWARD, at=day(3))  # to SUPERIOR
    screen(case, Decision.FORWARD, at=day(4), to_org_id=NEXT_LEVEL)
    assert case.forwarded_to == NEXT_LEVEL
    assert case.orgs == (case.receiving_org_id, SUPERIOR, NEXT_LEVEL, None)
