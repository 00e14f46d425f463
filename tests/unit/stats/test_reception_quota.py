"""Reception-frequency compliance: met, missed, pending and future periods, judged only in
office (before_office / after_office otherwise), at the level of the org held."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from caseflow.domain.policy import Policy
from caseflow.domain.tenure import Posting, Term
from caseflow.projections import reception_quota
from caseflow.projections.periods import parse
from caseflow.projections.reception_quota import plan

POLICY = Policy()
COUNTY, CITY = uuid4(), uuid4()


def judge(level, requested, days, today, since, policy=POLICY, left_on=None):
    """A leader of `level` in office from `since` (until `left_on`), never moved."""
    term = Term((Posting(since, COUNTY, level),), left_on)
    return reception_quota.judge(plan(term, requested, policy), days, today, level, policy)


def statuses(result) -> dict[str, str]:
    return {p.key: p.status for p in result.periods}


def test_a_county_leader_is_judged_on_each_month_of_the_quarter():
    result = judge(
        "county", parse("2026-Q1"), {"2026-01": 2}, date(2026, 7, 15), date(2025, 12, 1), POLICY
    )
    assert statuses(result) == {"2026-01": "met", "2026-02": "missed", "2026-03": "missed"}
    assert (result.status, result.compliant, result.met, result.missed) == (
        "non_compliant",
        False,
        1,
        2,
    )


def test_the_current_period_without_a_reception_day_is_pending():
    result = judge(
        "province", parse("2026"), {"2026-H1": 1}, date(2026, 7, 15), date(2025, 12, 1), POLICY
    )
    assert statuses(result) == {"2026-H1": "met", "2026-H2": "pending"}
    assert (result.status, result.compliant) == ("pending", None)


def test_the_current_period_with_a_reception_day_is_met_before_it_ends():
    result = judge(
        "province", parse("2026-H2"), {"2026-H2": 1}, date(2026, 7, 15), date(2025, 12, 1), POLICY
    )
    assert (result.status, result.compliant) == ("compliant", True)


def test_the_last_day_of_a_period_is_still_pending():
    result = judge("county", parse("2026-03"), {}, date(2026, 3, 31), date(2025, 1, 1), POLICY)
    assert result.status == "pending"


def test_future_periods_do_not_count_against_the_leader():
    result = judge(
        "city", parse("2026"), {"2026-Q1": 1}, date(2026, 2, 1), date(2025, 1, 1), POLICY
    )
    assert statuses(result) == {
        "2026-Q1": "met",
        "2026-Q2": "future",
        "2026-Q3": "future",
        "2026-Q4": "future",
    }
    assert result.judged == 1
    assert result.status == "compliant"


def test_periods_before_the_leader_took_office_are_not_judged():
    result = judge(
        "township", parse("2026-01"), {"2026-W03": 1}, date(2026, 7, 1), date(2026, 1, 12), POLICY
    )
    assert statuses(result) == {
        "2026-W01": "before_office",
        "2026-W02": "before_office",
        "2026-W03": "met",
        "2026-W04": "missed",
        "2026-W05": "missed",
    }


def test_a_period_in_office_on_at_least_half_its_days_is_judged():
    # took office on Thursday 8 January: W02 (5-11 Jan) in office 4 of 7 days; Friday: 3 of 7
    thursday = judge("township", parse("2026-W02"), {}, date(2026, 7, 1), date(2026, 1, 8))
    friday = judge("township", parse("2026-W02"), {}, date(2026, 7, 1), date(2026, 1, 9))
    assert (statuses(thursday), statuses(friday)) == (
        {"2026-W02": "missed"},
        {"2026-W02": "before_office"},
    )


def test_a_partly_held_period_is_pending_until_its_last_day_in_office():
    # a county leader leaving on 20 July holds July for 20 of 31 days: judged, over on the 20th
    july = parse("2026-07")
    assert statuses(
        judge("county", july, {}, date(2026, 7, 20), date(2025, 1, 1), left_on=date(2026, 7, 20))
    ) == {"2026-07": "pending"}
    assert statuses(
        judge("county", july, {}, date(2026, 7, 21), date(2025, 1, 1), left_on=date(2026, 7, 20))
    ) == {"2026-07": "missed"}


def test_periods_after_leaving_office_are_not_judged():
    # left office on 10 June: June held for 10 of 30 days, then nothing
    result = judge(
        "county",
        parse("2026-Q2"),
        {"2026-04": 1, "2026-05": 1},
        date(2026, 12, 1),
        date(2025, 1, 1),
        left_on=date(2026, 6, 10),
    )
    assert statuses(result) == {"2026-04": "met", "2026-05": "met", "2026-06": "after_office"}
    assert result.status == "compliant"
    later = judge(
        "county",
        parse("2026-Q3"),
        {},
        date(2026, 12, 1),
        date(2025, 1, 1),
        left_on=date(2026, 6, 10),
    )
    assert set(statuses(later).values()) == {"after_office"}
    assert (later.status, later.judged) == ("not_due", 0)


def test_a_leader_who_took_office_mid_quarter_and_moved_mid_year():
    # county leader from Wednesday 11 February (monthly quota), city from 15 May (quarterly).
    # Reception days in office: 20 March; 5 May (county); 10 June (city). February is held for
    # 18 of 28 days: judged on those days (none: a reception on 9 February was before office).
    # Each period is judged at the level held on its last day in office: January (before
    # office) to April at county level, month by month; May's and June's last days fall in
    # the city posting, so from Q2 on quarter by quarter. "Today" is 15 July.
    term = Term(
        (Posting(date(2026, 2, 11), COUNTY, "county"), Posting(date(2026, 5, 15), CITY, "city"))
    )
    slots = plan(term, parse("2026"), POLICY)
    days = {"2026-02": 0, "2026-03": 1, "2026-Q2": 2}
    result = reception_quota.judge(slots, days, date(2026, 7, 15), "city", POLICY)
    assert [(p.key, p.level, p.status) for p in result.periods] == [
        ("2026-01", "county", "before_office"),
        ("2026-02", "county", "missed"),
        ("2026-03", "county", "met"),
        ("2026-04", "county", "missed"),
        ("2026-Q2", "city", "met"),
        ("2026-Q3", "city", "pending"),
        ("2026-Q4", "city", "future"),
    ]
    assert (result.quota, result.status, result.met, result.missed, result.pending) == (
        "quarter",
        "non_compliant",
        2,
        2,
        1,
    )
    february = next(s for s in slots if s.period.key == "2026-02")
    assert (february.first, february.last, february.whole) == (
        date(2026, 2, 11),
        date(2026, 2, 28),
        False,
    )


def test_a_request_finer_than_the_quota_gets_the_enclosing_quota_period():
    result = judge(
        "province", parse("2026-W07"), {"2026-H1": 1}, date(2026, 7, 15), date(2025, 1, 1), POLICY
    )
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
