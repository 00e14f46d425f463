"""Review (复查): requested within 30 days of the reply, once; decided after the request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from caseflow.domain.errors import RuleViolation, WindowClosed
from caseflow.domain.values import ReviewOutcome, Status
from tests.unit.domain.builders import (
    TZ,
    assign,
    assigned,
    day,
    receive,
    refused,
    request_review,
    resolve,
    resolved,
    review,
    review_requested,
    reviewed,
    screen,
)


def test_review_request_within_30_days_is_recorded() -> None:
    assert request_review(resolved(), day(35)).status is Status.REVIEW_REQUESTED


def test_review_request_on_day_30_after_the_reply_is_recorded() -> None:
    # resolved on day 20: the 30th day after is day 50; late evening still counts
    assert request_review(resolved(), day(50, hour=23, minute=59)).status is Status.REVIEW_REQUESTED


def test_review_request_after_30_days_is_refused() -> None:
    case = resolved()
    message = refused(
        case,
        WindowClosed,
        "review_requested.window",
        lambda: request_review(case, day(51, hour=0, minute=1)),
    )
    assert "within 30 days" in message and "2026-04-20" in message


def test_review_window_is_counted_in_the_deployment_zone_not_utc() -> None:
    # Reply served at 23:30 Shanghai on 1 March (15:30 UTC, same date). The last day is 31 March.
    served = datetime(2026, 3, 1, 23, 30, tzinfo=TZ)
    case = resolve(assign(screen(receive(), at=served), at=served), served)
    late = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 31 March in UTC, 1 April local
    refused(case, WindowClosed, "review_requested.window", lambda: request_review(case, late))


def test_review_request_late_in_utc_but_in_time_locally_is_recorded() -> None:
    # Served 00:30 on 2 March in Shanghai, which is still 1 March in UTC: the window runs to
    # 1 April local, even though that is 31 days after the UTC date of service.
    served = datetime(2026, 3, 2, 0, 30, tzinfo=TZ)
    case = resolve(
        assign(
            screen(
                receive(received_at=served - timedelta(hours=2)), at=served - timedelta(hours=1)
            ),
            at=served,
        ),
        served,
    )
    on_time = datetime(2026, 4, 1, 15, 0, tzinfo=UTC)  # 23:00 on 1 April local
    assert request_review(case, on_time).status is Status.REVIEW_REQUESTED


def test_review_request_before_the_reply_is_refused() -> None:
    case = assigned()
    refused(case, RuleViolation, "review_requested.when", lambda: request_review(case, day(10)))


def test_a_second_review_request_is_refused() -> None:
    case = review_requested()
    refused(case, RuleViolation, "review_requested.when", lambda: request_review(case, day(26)))


def test_review_request_records_the_superior_body() -> None:
    case = review_requested()
    assert case.review_org_id == case.pending_events[-1].to_org_id


def test_review_decision_after_the_request_is_recorded() -> None:
    case = review(review_requested(), day(40))
    assert case.status is Status.REVIEWED
    assert case.pending_events[-1].outcome is ReviewOutcome.UPHELD


def test_a_late_review_decision_is_recorded_not_refused() -> None:
    assert review(review_requested(), day(90)).status is Status.REVIEWED


def test_review_decision_without_a_request_is_refused() -> None:
    case = resolved()
    refused(case, RuleViolation, "reviewed.when", lambda: review(case, day(30)))


def test_a_second_review_decision_is_refused() -> None:
    case = reviewed()
    refused(case, RuleViolation, "reviewed.when", lambda: review(case, day(41)))
