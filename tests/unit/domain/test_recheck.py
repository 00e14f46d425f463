"""Re-check (复核): requested within 30 days of the review decision, once; its decision is final."""

from __future__ import annotations

from caseflow.domain.errors import RuleViolation, WindowClosed
from caseflow.domain.values import Status
from tests.unit.domain.builders import (
    day,
    recheck,
    recheck_requested,
    rechecked,
    refused,
    request_recheck,
    resolved,
    review_requested,
    reviewed,
)


def test_recheck_request_within_30_days_of_the_review_is_recorded() -> None:
    assert request_recheck(reviewed(), day(55)).status is Status.RECHECK_REQUESTED


def test_recheck_request_on_day_30_after_the_review_is_recorded() -> None:
    # reviewed on day 40: day 70 is the last
    case = request_recheck(reviewed(), day(70, hour=23, minute=59))
    assert case.status is Status.RECHECK_REQUESTED


def test_recheck_request_after_30_days_is_refused() -> None:
    case = reviewed()
    message = refused(
        case,
        WindowClosed,
        "recheck_requested.window",
        lambda: request_recheck(case, day(71, hour=0, minute=1)),
    )
    assert "re-check must be requested within 30 days" in message


def test_recheck_request_before_the_review_decision_is_refused() -> None:
    case = review_requested()
    refused(case, RuleViolation, "recheck_requested.when", lambda: request_recheck(case, day(30)))


def test_recheck_request_skipping_the_review_is_refused() -> None:
    case = resolved()
    refused(case, RuleViolation, "recheck_requested.when", lambda: request_recheck(case, day(25)))


def test_a_second_recheck_request_is_refused() -> None:
    case = recheck_requested()
    refused(case, RuleViolation, "recheck_requested.when", lambda: request_recheck(case, day(46)))


def test_recheck_decision_after_the_request_is_final() -> None:
    case = recheck(recheck_requested(), day(60))
    assert case.status is Status.RECHECKED
    assert case.is_final


def test_recheck_decision_without_a_request_is_refused() -> None:
    case = reviewed()
    refused(case, RuleViolation, "rechecked.when", lambda: recheck(case, day(50)))


def test_a_second_recheck_decision_is_refused() -> None:
    case = rechecked()
    refused(case, RuleViolation, "rechecked.when", lambda: recheck(case, day(61)))
