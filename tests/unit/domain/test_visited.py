"""Visits (接访, 约访, 下访, 回访): any time before closure; after the reply only return visits."""

from __future__ import annotations

from datetime import datetime

import pytest

from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.values import Decision, VisitMode
from tests.unit.domain.builders import (
    assigned,
    close,
    day,
    local,
    receive,
    refused,
    resolved,
    reviewed,
    screen,
    visit,
)


def test_a_visit_before_screening_is_recorded() -> None:
    case = visit(receive(), VisitMode.RECEPTION, on=local(0))
    assert case.pending_events[-1].mode is VisitMode.RECEPTION


@pytest.mark.parametrize("mode", list(VisitMode))
def test_every_visit_mode_is_recorded_while_assigned(mode: VisitMode) -> None:
    assert visit(assigned(), mode).pending_events[-1].mode is mode


def test_visit_records_the_people_received() -> None:
    assert visit(assigned(), visitors=12).pending_events[-1].visitors == 12


def test_a_visit_on_a_forwarded_case_not_yet_closed_is_recorded() -> None:
    assert visit(screen(receive(), Decision.FORWARD)).version == 3


def test_a_return_visit_after_resolution_is_recorded() -> None:
    case = visit(resolved(), VisitMode.RETURN, on=local(22))
    assert case.pending_events[-1].mode is VisitMode.RETURN


def test_a_return_visit_after_the_review_decision_is_recorded() -> None:
    assert visit(reviewed(), VisitMode.RETURN, on=local(41)).version == 7


@pytest.mark.parametrize("mode", [m for m in VisitMode if m is not VisitMode.RETURN])
def test_other_visits_after_resolution_are_refused(mode: VisitMode) -> None:
    case = resolved()
    message = refused(
        case, RuleViolation, "visited.after_resolution", lambda: visit(case, mode, on=local(22))
    )
    assert "return visits" in message


def test_a_visit_on_a_closed_case_is_refused() -> None:
    case = close(screen(receive(), Decision.REJECT), day(5))
    refused(
        case, RuleViolation, "visited.closed", lambda: visit(case, VisitMode.RETURN, on=local(6))
    )


def test_a_visit_receiving_nobody_is_refused() -> None:
    case = assigned()
    refused(case, InvalidInput, "visited.visitors", lambda: visit(case, visitors=0))


def test_a_visit_dated_before_registration_is_refused() -> None:
    case = assigned()
    refused(case, RuleViolation, "visited.order", lambda: visit(case, on=local(-1)))


def test_a_visit_on_the_day_of_registration_is_recorded() -> None:
    assert visit(receive(), on=local(0)).pending_events[-1].visited_on == local(0)


def test_visit_date_given_as_a_datetime_is_refused() -> None:
    case = assigned()
    refused(
        case,
        InvalidInput,
        "visited.visited_on",
        lambda: visit(case, on=datetime(2026, 3, 5, 10, 0)),
    )


def test_unknown_visit_mode_is_refused() -> None:
    case = assigned()
    refused(case, InvalidInput, "visited.mode", lambda: visit(case, "teleport"))
