"""Satisfaction evaluation: after a decision is served, once per stage."""

from __future__ import annotations

from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.values import Decision, Rating, Stage
from tests.unit.domain.builders import (
    assigned,
    close,
    day,
    meta,
    receive,
    rechecked,
    refused,
    resolved,
    review_requested,
    reviewed,
    screen,
)


def evaluate(case, rating=Rating.SATISFIED):
    case.evaluate(rating=rating, meta=meta(max(day(30), case.decided_at or day(30))))
    return case


def test_a_resolved_case_is_evaluated_for_the_resolution_stage() -> None:
    event = evaluate(resolved()).pending_events[-1]
    assert (event.stage, event.rating) == (Stage.RESOLUTION, Rating.SATISFIED)


def test_evaluating_before_any_decision_is_refused() -> None:
    case = assigned()
    message = refused(case, RuleViolation, "evaluated.after_decision", lambda: evaluate(case))
    assert "after a written reply" in message


def test_evaluating_the_same_stage_twice_is_refused() -> None:
    case = evaluate(resolved())
    refused(
        case, RuleViolation, "evaluated.once_per_stage", lambda: evaluate(case, Rating.DISSATISFIED)
    )


def test_the_resolution_stage_can_be_evaluated_while_a_review_is_pending() -> None:
    assert evaluate(review_requested()).pending_events[-1].stage is Stage.RESOLUTION


def test_the_review_stage_is_evaluated_separately_from_the_resolution() -> None:
    case = reviewed()
    case.evaluated.add(Stage.RESOLUTION)
    assert evaluate(case).pending_events[-1].stage is Stage.REVIEW


def test_the_recheck_stage_is_evaluated_after_the_recheck() -> None:
    assert evaluate(rechecked()).pending_events[-1].stage is Stage.RECHECK


def test_a_decided_case_can_still_be_evaluated_after_closure() -> None:
    assert evaluate(close(resolved(), day(60))).pending_events[-1].stage is Stage.RESOLUTION


def test_a_rejected_case_cannot_be_evaluated() -> None:
    case = screen(receive(), Decision.REJECT)
    refused(case, RuleViolation, "evaluated.after_decision", lambda: evaluate(case))


def test_unknown_rating_is_refused() -> None:
    case = resolved()
    refused(case, InvalidInput, "evaluated.rating", lambda: evaluate(case, "meh"))


def test_an_evaluation_names_an_earlier_stage_after_a_later_decision() -> None:
    case = reviewed()
    case.evaluate(rating=Rating.DISSATISFIED, stage=Stage.RESOLUTION, meta=meta(day(41)))
    assert case.pending_events[-1].stage is Stage.RESOLUTION
    assert evaluate(case).pending_events[-1].stage is Stage.REVIEW  # the latest, by default


def test_an_evaluation_of_a_stage_not_decided_is_refused() -> None:
    case = review_requested()
    refused(
        case,
        RuleViolation,
        "evaluated.stage_decided",
        lambda: case.evaluate(rating=Rating.SATISFIED, stage=Stage.REVIEW, meta=meta(day(30))),
    )


def test_an_evaluation_dated_before_the_decision_it_rates_is_refused() -> None:
    case = resolved()
    refused(
        case,
        RuleViolation,
        "evaluated.order",
        lambda: case.evaluate(rating=Rating.SATISFIED, meta=meta(day(19))),
    )
