"""Extensions: while assigned and unresolved, at most 30 days in total, with approval."""

from __future__ import annotations

from caseflow.domain.errors import InvalidInput, RuleViolation
from tests.unit.domain.builders import accepted, assigned, extend, refused, resolved


def test_an_assigned_case_can_be_extended() -> None:
    assert extend(assigned(), 15).extension_days == 15


def test_extensions_summing_to_30_days_are_granted() -> None:
    case = extend(extend(assigned(), 20), 10)
    assert case.extension_days == 30


def test_extensions_summing_to_31_days_are_refused() -> None:
    case = extend(assigned(), 20)
    message = refused(case, RuleViolation, "extended.total", lambda: extend(case, 11))
    assert "at most 30 days" in message and "20 granted already" in message


def test_a_single_31_day_extension_is_refused() -> None:
    case = assigned()
    refused(case, RuleViolation, "extended.total", lambda: extend(case, 31))


def test_a_zero_day_extension_is_refused() -> None:
    case = assigned()
    refused(case, InvalidInput, "extended.days", lambda: extend(case, 0))


def test_an_extension_without_approver_is_refused() -> None:
    case = assigned()
    refused(case, InvalidInput, "extended.approved_by", lambda: extend(case, 10, approved_by=""))


def test_extending_before_assignment_is_refused() -> None:
    case = accepted()
    refused(case, RuleViolation, "extended.when", lambda: extend(case, 10))


def test_extending_after_resolution_is_refused() -> None:
    case = resolved()
    refused(case, RuleViolation, "extended.when", lambda: extend(case, 10))
