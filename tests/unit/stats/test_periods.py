"""Period arithmetic: keys, bounds, ISO weeks at year boundaries, local days, quota periods."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from caseflow.domain.policy import Policy
from caseflow.projections import periods as p


def test_keys_of_a_day_name_its_week_month_quarter_half_and_year():
    assert p.keys_of(date(2026, 2, 26)) == ("2026-W09", "2026-02", "2026-Q1", "2026-H1", "2026")


def test_first_days_of_january_can_belong_to_the_previous_iso_year():
    # 1 Jan 2027 is a Friday: that week's Thursday is 31 Dec 2026, so it is week 53 of 2026.
    assert p.key_of(p.WEEK, date(2027, 1, 1)) == "2026-W53"
    assert p.key_of(p.YEAR, date(2027, 1, 1)) == "2027"


def test_last_days_of_december_can_belong_to_the_next_iso_year():
    # 29 Dec 2025 is a Monday whose Thursday is 1 Jan 2026: week 1 of 2026.
    assert p.key_of(p.WEEK, date(2025, 12, 29)) == "2026-W01"


def test_week_key_parses_to_monday_through_sunday():
    week = p.parse("2026-W01")
    assert (week.start, week.end) == (date(2025, 12, 29), date(2026, 1, 4))


def test_week_53_exists_only_in_long_iso_years():
    assert p.parse("2026-W53").end == date(2027, 1, 3)
    with pytest.raises(ValueError, match="not a period"):
        p.parse("2025-W53")


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),  # leap year
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_period_bounds_are_inclusive_local_days(key, start, end):
    period = p.parse(key)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("key", ["2026-13", "2026-Q5", "2026-H3", "2026-W00", "26-01", "March", ""])
def test_malformed_period_keys_are_refused_with_the_formats(key):
    with pytest.raises(ValueError, match="2026-W09"):
        p.parse(key)


def test_period_keys_are_normalised_to_upper_case():
    assert p.parse("2026-q1").key == "2026-Q1"


def test_next_period_crosses_the_year():
    assert p.parse("2026-W53").next().key == "2027-W01"
    assert p.parse("2026-12").next().key == "2027-01"
    assert p.parse("2026-H2").next().key == "2027-H1"


def test_a_moment_after_four_in_the_afternoon_utc_is_the_next_day_in_shanghai():
    # 2026-03-31 16:30 UTC is 00:30 on 1 April in Asia/Shanghai: April, Q2, not March, Q1.
    day = Policy().local_date(datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    assert day == date(2026, 4, 1)
    assert p.keys_of(day)[1:3] == ("2026-04", "2026-Q2")


def test_the_same_moment_stays_on_its_utc_day_in_a_utc_deployment():
    day = Policy(timezone="UTC").local_date(datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    assert p.keys_of(day)[1] == "2026-03"


def test_a_finer_quota_gives_the_weeks_whose_thursday_lies_in_the_month():
    # March 2026: Sun 1 .. Tue 31. W09 (23 Feb - 1 Mar) has its Thursday in February;
    # W14 (30 Mar - 5 Apr) has its Thursday on 2 April: neither is a March week.
    weeks = p.quota_periods(p.WEEK, p.parse("2026-03"))
    assert [w.key for w in weeks] == ["2026-W10", "2026-W11", "2026-W12", "2026-W13"]


def test_a_finer_quota_gives_every_month_of_the_year():
    months = p.quota_periods(p.MONTH, p.parse("2026"))
    assert [m.key for m in months] == [f"2026-{n:02d}" for n in range(1, 13)]


def test_a_coarser_quota_gives_the_one_period_enclosing_the_request():
    assert [h.key for h in p.quota_periods(p.HALF_YEAR, p.parse("2026-05"))] == ["2026-H1"]


def test_a_week_is_judged_in_the_quarter_of_its_thursday():
    # 2026-W27 runs Mon 29 Jun .. Sun 5 Jul; its Thursday (2 Jul) is in Q3.
    assert [q.key for q in p.quota_periods(p.QUARTER, p.parse("2026-W27"))] == ["2026-Q3"]


def test_the_iso_weeks_of_a_year_are_those_of_its_iso_week_year():
    weeks = p.quota_periods(p.WEEK, p.parse("2026"))
    assert (weeks[0].key, weeks[-1].key, len(weeks)) == ("2026-W01", "2026-W53", 53)


def test_counters_of_a_day_are_rolled_into_its_five_periods():
    counters = p.PeriodCounters(2)
    counters.bump("x", date(2026, 1, 31), 0)  # W05, January
    counters.bump("x", date(2026, 2, 1), 0, 2)  # also W05, but February
    counters.bump("x", date(2026, 2, 2), 1)  # W06, February
    assert counters.by_period() == {
        ("x", "2026-W05"): [3, 0],
        ("x", "2026-W06"): [0, 1],
        ("x", "2026-01"): [1, 0],
        ("x", "2026-02"): [2, 1],
        ("x", "2026-Q1"): [3, 1],
        ("x", "2026-H1"): [3, 1],
        ("x", "2026"): [3, 1],
    }


def test_counters_that_cancel_out_still_name_their_periods():
    counters = p.PeriodCounters(1)
    counters.bump("x", date(2026, 1, 5), 0)
    counters.bump("x", date(2026, 1, 5), 0, -1)
    assert counters.by_period() == {("x", key): [0] for key in p.keys_of(date(2026, 1, 5))}
