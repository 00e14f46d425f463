"""Oversight (督办, 挂牌督办): opened or cleared any time after registration until closure."""

from __future__ import annotations

from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.values import Decision, SupervisionLevel
from tests.unit.domain.builders import close, day, meta, receive, refused, resolved, screen


def supervise(case, *, cleared=False, due_at=None, level=SupervisionLevel.SUPERVISE, at=None):
    due = due_at if due_at is not None or cleared else day(30)
    case.supervise(
        level=level,
        instruction="限期办结",
        due_at=due,
        cleared=cleared,
        meta=meta(at or day(5), role="supervisor"),
    )
    return case


def test_supervision_can_be_opened_right_after_registration() -> None:
    case = supervise(receive())
    assert case.supervision_open
    assert case.supervision_due_at == day(30)


def test_a_case_can_be_listed_for_oversight() -> None:
    event = supervise(receive(), level="listed").pending_events[-1]
    assert event.level is SupervisionLevel.LISTED


def test_opening_supervision_without_a_due_date_is_refused() -> None:
    case = receive()
    refused(
        case,
        InvalidInput,
        "supervised.due_at",
        lambda: case.supervise(
            level=SupervisionLevel.SUPERVISE,
            instruction="",
            due_at=None,
            cleared=False,
            meta=meta(day(5)),
        ),
    )


def test_open_supervision_can_be_cleared() -> None:
    case = supervise(supervise(resolved()), cleared=True, at=day(21))
    assert not case.supervision_open
    assert case.supervision_cleared_at == day(21)


def test_clearing_when_nothing_is_open_is_refused() -> None:
    case = receive()
    refused(case, RuleViolation, "supervised.clear_open", lambda: supervise(case, cleared=True))


def test_supervising_a_closed_case_is_refused() -> None:
    case = close(screen(receive(), Decision.REJECT), day(4))
    refused(case, RuleViolation, "supervised.closed", lambda: supervise(case))


def test_naive_due_date_is_refused() -> None:
    case = receive()
    refused(
        case,
        InvalidInput,
        "time.due_at_naive",
        lambda: supervise(case, due_at=day(30).replace(tzinfo=None)),
    )
