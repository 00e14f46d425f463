"""Reception-frequency compliance: met, missed, pending, future and before-office periods."""

from __future__ import annotations

from datetime import date

from caseflow.domain.policy import Policy
from caseflow.projections.periods import parse
from caseflow.projections.reception_quota import judge

POLICY = Policy()


def statuses(result) -> dict[str, str]:
    return {p.key: p.status for p in result.periods}


def test_a_county_leader_is_judged_on_each_month_of_the_quarter():
    result = judge("county", parse("2026-Q1"), {"2026-01": 2}, date(2026, 7, 15),
                   date(2025, 12, 1), POLICY)
    assert statuses(result) == {"2026-01": "met", "2026-02": "missed", "2026-03": "missed"}
    assert (result.status, result.compliant, result.met, result.missed) == (
        "non_compliant", False, 1, 2)


def test_the_current_period_without_a_reception_day_is_pending():
    result = judge("province", parse("2026"), {"2026-H1": 1}, date(2026, 7, 15),
                   date(2025, 12, 1), POLICY)
    assert statuses(result) == {"2026-H1": "met", "2026-H2": "pending"}
    assert (result.status, result.compliant) == ("pending", None)


def test_the_current_period_with_a_reception_day_is_met_before_it_ends():
    result = judge("province", parse("2026-H2"), {"2026-H2": 1}, date(2026, 7, 15),
                   date(2025, 12, 1), POLICY)
    assert (result.status, result.compliant) == ("compliant", True)


def test_the_last_day_of_a_period_is_still_pending():
    result = judge("county", parse("2026-03"), {}, date(2026, 3, 31), date(2025, 1, 1), POLICY)
    assert result.status == "pending"


def test_future_periods_do_not_count_against_the_leader():
    result = judge("city", parse("2026"), {"2026-Q1": 1}, date(2026, 2, 1), date(2025, 1, 1),
                   POLICY)
    assert statuses(result) == {"2026-Q1": "met", "2026-Q2": "future", "2026-Q3": "future",
                                "2026-Q4": "future"}
    assert result.judged == 1
    assert result.status == "compliant"


def test_periods_that_began_before_the_leader_took_office_are_not_judged():
    result = judge("township", parse("2026-01"), {"2026-W03": 1}, date(2026, 7, 1),
                   date(2026, 1, 7), POLICY)
    assert statuses(result) == {"2026-W01": "before_office", "2026-W02": "before_office",
                                "2026-W03": "met", "2026-W04": "missed", "2026-W05": "missed"}


def test_a_request_finer_than_the_quota_gets_the_enclosing_quota_period():
    result = judge("province", parse("2026-W07"), {"2026-H1": 1}, date(2026, 7, 15),
                   date(2025, 1, 1), POLICY)
    assert [p.key for p in result.periods] == ["2026-H1"]
    assert result.compliant is True


def test_village_leaders_have_no_quota():
    result = judge("village", parse("2026"), {}, date(2026, 7, 15), date(2025, 1, 1), POLICY)
    assert (result.quota, result.status, result.periods) == (None, "not_applicable", ())


def test_a_period_wholly_in_the_future_is_not_due():
    result = judge("county", parse("2027-01"), {}, date(2026, 7, 15), date(2025, 1, 1), POLICY)
    assert (result.status, result.compliant) == ("not_due", None)


def test_quotas_follow_the_policy():
    weekly = Policy(reception_quota={"province": "week"})
    result = judge("province", parse("2026-02"), {}, date(2026, 7, 15), date(2025, 1, 1), weekly)
    assert [p.key for p in result.periods] == ["2026-W06", "2026-W07", "2026-W08", "2026-W09"]
