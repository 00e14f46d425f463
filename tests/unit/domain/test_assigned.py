"""Assignment (交办 / 包案): after acceptance, before resolution, may repeat."""

from __future__ import annotations

from uuid import uuid4

import pytest

from caseflow.domain.errors import RuleViolation
from caseflow.domain.values import Decision, Status
from tests.unit.domain.builders import (
    LEADER,
    UNIT,
    accepted,
    assign,
    assigned,
    receive,
    refused,
    resolved,
    screen,
)


def test_an_accepted_case_can_be_assigned_to_a_unit_and_leader() -> None:
    case = assign(accepted())
    assert case.status is Status.ASSIGNED
    assert (case.unit_id, case.leader_id) == (UNIT, LEADER)


def test_reassignment_replaces_the_unit_and_leader() -> None:
    other_unit, other_leader = uuid4(), uuid4()
    case = assign(assigned(), unit_id=other_unit, leader_id=other_leader)
    assert (case.unit_id, case.leader_id) == (other_unit, other_leader)
    assert case.version == 4


def test_assigning_before_screening_is_refused() -> None:
    case = receive()
    message = refused(case, RuleViolation, "assigned.when", lambda: assign(case))
    assert "after acceptance and before resolution" in message


@pytest.mark.parametrize("decision", [Decision.FORWARD, Decision.REJECT, Decision.ROUTE])
def test_assigning_a_case_that_was_not_accepted_is_refused(decision: Decision) -> None:
    case = screen(receive(), decision)
    refused(case, RuleViolation, "assigned.when", lambda: assign(case))


def test_assigning_after_resolution_is_refused() -> None:
    case = resolved()
    refused(case, RuleViolation, "assigned.when", lambda: assign(case))
