"""Leader statistics and KPIs of the scripted history (`scenario.py`), worked out by hand.

Every expected number below was computed from the script with pen and paper before the code ran;
the comment next to it says where it comes from. Periods of the days that matter
(ISO weeks: W01 = 29 Dec – 4 Jan, W02 = 5–11 Jan, W03 = 12–18 Jan, W05 = 26 Jan – 1 Feb,
W06 = 2–8 Feb, W08 = 16–22 Feb, W14 = 30 Mar – 5 Apr, W16 = 13–19 Apr, W25 = 15–21 Jun,
W27 = 29 Jun – 5 Jul). "Today" for compliance is 2026-07-15 (in H2, Q3, July, W29).

Handling due dates (accepted day + 60, + extensions):
    A accepted 01-08 → due 03-09, served 02-20: on time
    C accepted 01-12 → due 03-13, served 01-13: on time
    B accepted 01-25 → due 03-26, +20 days → 04-15, served 04-01 (Shanghai): on time
    F accepted 04-16 → due 06-15, served 06-16: late
Screening due dates (received day + 15):
    A 01-05 → 01-20, screened 01-08 on time      B 01-06 → 01-21, screened 01-25 late
    C 01-10 → 01-25, screened 01-12 on time      D 02-01 → 02-16, screened 02-20 late
    E 03-01 → 03-16, screened 03-02 on time      F 04-01 → 04-16, screened 04-16 on time
"""

from __future__ import annotations

import pytest

from caseflow.infra.views import kpis_sql, leader_stats_sql

from . import scenario
from .conftest import TODAY

ZERO = dict.fromkeys(
    [
        "reception_days",
        "batches",
        "person_times",
        "resolved_on_site",
        "owned",
        "owned_resolved",
        "owned_on_time",
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
    ],
    0,
)
KPI_ZERO = dict.fromkeys(
    [
        "received",
        "repeat",
        "screened",
        "screened_on_time",
        "resolved",
        "resolved_on_time",
        "evaluated",
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
        "first_time",
        "screening_overdue",
    ],
    0,
)


def leader(views, key: str, period: str, **kw) -> dict:
    return leader_stats_sql.leader_statistics(
        views.reader, views.ids.leaders[key], period, today=TODAY, policy=views.policy, **kw
    )


def org(views, key: str, period: str) -> dict:
    return kpis_sql.org_kpis(views.reader, views.ids.orgs[key], period)


def ratios(figures: dict) -> dict:
    return {name: (r["numerator"], r["denominator"]) for name, r in figures["rates"].items()}


# ------------------------------------------------------------------ leader statistics


def test_county_leader_first_quarter(scripted):
    assert leader(scripted, "LK", "2026-Q1")["counts"] == ZERO | {
        "reception_days": 2,  # 01-09 (A) and 01-31 (B)
        "batches": 2,  # the same two visits
        "person_times": 5,  # 3 + 2
        "owned": 1,  # A (01-08); B was his from 01-26 until re-assigned to LT on 02-03
        "owned_resolved": 1,  # A, served 02-20
        "owned_on_time": 1,  # A due 03-09
        "satisfied": 1,  # A's rating
    }


def test_reassignment_takes_the_case_out_of_the_old_leaders_week(scripted):
    # B was assigned to LK in W05 and re-assigned away: W05 keeps only his 01-31 visit.
    assert leader(scripted, "LK", "2026-W05")["counts"] == ZERO | {
        "reception_days": 1,
        "batches": 1,
        "person_times": 2,
    }


def test_county_leader_january_and_february(scripted):
    assert leader(scripted, "LK", "2026-01")["counts"] == ZERO | {
        "reception_days": 2,
        "batches": 2,
        "person_times": 5,
        "owned": 1,
    }  # A
    assert leader(scripted, "LK", "2026-02")["counts"] == ZERO | {
        "owned_resolved": 1,
        "owned_on_time": 1,
        "satisfied": 1,
    }  # A resolved 02-20


def test_township_leader_first_quarter(scripted):
    assert leader(scripted, "LT", "2026-Q1")["counts"] == ZERO | {
        "reception_days": 2,  # 01-12 (two visits, one day) and 02-05
        "batches": 3,  # two on 01-12, one on 02-05
        "person_times": 8,  # 5 + 1 + 2
        "resolved_on_site": 1,  # the first visit of 01-12
        "owned": 3,  # C (01-12), B (re-assigned 02-03), E (03-02)
        "owned_resolved": 1,  # C (01-13); B's reply is served on 04-01 Shanghai time, Q2
        "owned_on_time": 1,  # C
        "dissatisfied": 1,  # C's rating
    }


def test_township_leader_april_holds_b_served_at_midnight_shanghai(scripted):
    # B served 2026-03-31 16:00 UTC = 04-01 00:00 Shanghai: April, W14; on time by extension.
    item = leader(scripted, "LT", "2026-04")
    assert item["counts"] == ZERO | {
        "owned_resolved": 1,
        "owned_on_time": 1,
        "basically_satisfied": 1,
    }
    assert leader(scripted, "LT", "2026-W14")["counts"] == item["counts"]


def test_township_leader_half_year_rates(scripted):
    item = leader(scripted, "LT", "2026-H1")
    assert item["counts"]["owned_resolved"] == 2  # C and B
    assert ratios(item) == {
        "on_time_resolution": (2, 2),  # both on time
        "satisfaction": (1, 2),
    }  # B basically satisfied; C dissatisfied


def test_city_leader_second_quarter(scripted):
    assert leader(scripted, "LC", "2026-Q2")["counts"] == ZERO | {
        "reception_days": 1,  # return visit 06-30
        "batches": 1,
        "person_times": 4,
        "owned": 1,  # F (04-17)
        "owned_resolved": 1,  # F (06-16)
        "owned_on_time": 0,  # F late by one day
        "satisfied": 1,  # F's rating
    }


def test_province_leader_half_year(scripted):
    assert leader(scripted, "LP", "2026-H1")["counts"] == ZERO | {
        "reception_days": 1,
        "batches": 1,
        "person_times": 6,
    }  # joint reception 02-10


def test_a_leader_without_activity_has_zeros(scripted):
    assert leader(scripted, "LK2", "2026")["counts"] == ZERO


# ------------------------------------------------------------------ compliance


def test_township_leader_met_one_week_of_five_in_january(scripted):
    # Weeks whose Thursday is in January: W01 (Thu 01-01) .. W05 (Thu 01-29).
    # LT received on 01-12 (W03) only; in office since 2025-12-29, so W01 counts.
    c = leader(scripted, "LT", "2026-01")["compliance"]
    assert (c["quota"], c["status"], c["met"], c["missed"], c["pending"]) == (
        "week",
        "non_compliant",
        1,
        4,
        0,
    )
    assert [(p["key"], p["status"]) for p in c["periods"]] == [
        ("2026-W01", "missed"),
        ("2026-W02", "missed"),
        ("2026-W03", "met"),
        ("2026-W04", "missed"),
        ("2026-W05", "missed"),
    ]


def test_county_leader_met_january_only_in_the_first_quarter(scripted):
    c = leader(scripted, "LK", "2026-Q1")["compliance"]
    assert [(p["key"], p["reception_days"], p["status"]) for p in c["periods"]] == [
        ("2026-01", 2, "met"),
        ("2026-02", 0, "missed"),
        ("2026-03", 0, "missed"),
    ]
    assert c["compliant"] is False


def test_city_leader_year_is_judged_on_past_quarters_only(scripted):
    c = leader(scripted, "LC", "2026")["compliance"]
    assert [(p["key"], p["status"]) for p in c["periods"]] == [
        ("2026-Q1", "missed"),
        ("2026-Q2", "met"),  # 06-30
        ("2026-Q3", "pending"),
        ("2026-Q4", "future"),
    ]
    assert (c["status"], c["judged"]) == ("non_compliant", 3)


def test_province_leader_is_compliant_for_the_first_half_and_pending_for_the_year(scripted):
    assert leader(scripted, "LP", "2026-H1")["compliance"]["status"] == "compliant"
    year = leader(scripted, "LP", "2026")["compliance"]
    assert (year["status"], year["met"], year["pending"]) == ("pending", 1, 1)


# ------------------------------------------------------------------ leader lists


def test_leaders_in_an_org_subtree_sorted_by_person_times(scripted):
    page = leader_stats_sql.leaders_statistics(
        scripted.reader,
        "2026-Q1",
        today=TODAY,
        policy=scripted.policy,
        org_id=scripted.ids.orgs["K"],
    )
    assert [(i["leader"]["name"], i["counts"]["person_times"]) for i in page.items] == [
        ("Leader LT", 8),
        ("Leader LK", 5),
    ]  # K's subtree is K and T
    assert (page.total, page.next) == (2, None)


def test_leaders_filtered_by_compliance(scripted):
    page = leader_stats_sql.leaders_statistics(
        scripted.reader,
        "2026",
        today=TODAY,
        policy=scripted.policy,
        compliance="non_compliant",
        sort="name",
        descending=False,
    )
    # LP is pending (H1 met, H2 under way); every other leader missed a past quota period.
    assert [i["leader"]["name"] for i in page.items] == [
        "Leader LC",
        "Leader LK",
        "Leader LK2",
        "Leader LT",
    ]


def test_leaders_of_one_level_paged(scripted):
    first = leader_stats_sql.leaders_statistics(
        scripted.reader,
        "2026",
        today=TODAY,
        policy=scripted.policy,
        level="county",
        sort="batches",
        limit=1,
    )
    assert ([i["leader"]["name"] for i in first.items], first.total, first.next) == (
        ["Leader LK"],
        2,
        1,
    )
    second = leader_stats_sql.leaders_statistics(
        scripted.reader,
        "2026",
        today=TODAY,
        policy=scripted.policy,
        level="county",
        sort="batches",
        limit=1,
        offset=1,
    )
    assert ([i["leader"]["name"] for i in second.items], second.next) == (["Leader LK2"], None)


# ------------------------------------------------------------------ KPIs


def test_county_office_first_quarter_kpis(scripted):
    k = org(scripted, "K", "2026-Q1")["own"]
    assert k["counts"] == KPI_ZERO | {
        "received": 3,  # A, B, D
        "screened": 3,
        "screened_on_time": 1,  # A; B and D late
        "resolved": 1,  # A (unit K); B was resolved by unit T
        "resolved_on_time": 1,
        "evaluated": 1,
        "satisfied": 1,
        "first_time": 1,  # A: no review, no repeat
    }
    assert ratios(k) == {
        "timely_screening": (1, 3),
        "on_time_resolution": (1, 1),
        "evaluation_participation": (1, 1),
        "satisfaction": (1, 1),
        "repeat_petition": (0, 3),
        "first_time_resolution": (1, 1),
    }


def test_township_office_loses_first_time_resolution_to_a_repeat_petition(scripted):
    t = org(scripted, "T", "2026-Q1")["own"]
    assert t["counts"] == KPI_ZERO | {
        "received": 2,  # C, E
        "repeat": 1,  # E names C
        "screened": 2,
        "screened_on_time": 2,
        "resolved": 1,
        "resolved_on_time": 1,  # C
        "evaluated": 1,
        "dissatisfied": 1,
        "first_time": 0,  # C was petitioned again (E, 03-01)
    }
    assert t["rates"]["satisfaction"]["ratio"] == 0.0


def test_township_office_loses_first_time_resolution_to_a_review_request(scripted):
    t = org(scripted, "T", "2026-Q2")["own"]
    assert t["counts"] == KPI_ZERO | {
        "resolved": 1,
        "resolved_on_time": 1,
        "evaluated": 1,
        "basically_satisfied": 1,
        "first_time": 0,
    }  # B: review requested 04-20
    assert t["rates"]["timely_screening"]["ratio"] is None  # nothing received in Q2


def test_city_office_counts_shanghai_dates(scripted):
    # F received 03-31 16:30 UTC = 04-01 Shanghai: April, not March; screened on day 15.
    assert org(scripted, "C", "2026-03")["own"]["counts"] == KPI_ZERO
    c = org(scripted, "C", "2026-Q2")["own"]
    assert c["counts"] == KPI_ZERO | {
        "received": 1,
        "screened": 1,
        "screened_on_time": 1,
        "resolved": 1,
        "resolved_on_time": 0,  # F late by a day
        "evaluated": 1,
        "satisfied": 1,
        "first_time": 1,
    }


def test_province_subtree_rolls_up_the_year(scripted):
    p = org(scripted, "P", "2026")
    assert p["own"]["counts"] == KPI_ZERO
    assert p["subtree"]["counts"] == KPI_ZERO | {
        "received": 6,  # A B D (K), C E (T), F (C)
        "repeat": 1,  # E
        "screened": 6,
        "screened_on_time": 4,  # A C E F
        "resolved": 4,  # A C B F
        "resolved_on_time": 3,  # all but F
        "evaluated": 4,
        "satisfied": 2,  # A F
        "basically_satisfied": 1,  # B
        "dissatisfied": 1,  # C
        "first_time": 2,  # A F (C repeated, B reviewed)
    }
    assert ratios(p["subtree"]) == {
        "timely_screening": (4, 6),
        "on_time_resolution": (3, 4),
        "evaluation_participation": (4, 4),
        "satisfaction": (3, 4),
        "repeat_petition": (1, 6),
        "first_time_resolution": (2, 4),
    }


def test_county_subtree_first_quarter(scripted):
    k = org(scripted, "K", "2026-Q1")["subtree"]["counts"]
    # K: A B D received, A resolved; T: C E received (E repeat), C resolved.
    assert k == KPI_ZERO | {
        "received": 5,
        "repeat": 1,
        "screened": 5,
        "screened_on_time": 3,
        "resolved": 2,
        "resolved_on_time": 2,
        "evaluated": 2,
        "satisfied": 1,
        "dissatisfied": 1,
        "first_time": 1,
    }


def test_orgs_under_a_parent_sorted_by_a_rate_with_empty_ones_last(scripted):
    page = kpis_sql.kpis_by_org(
        scripted.reader,
        "2026",
        parent_id=scripted.ids.orgs["C"],
        sort="on_time_resolution",
        descending=True,
    )
    # Children of C: K (subtree resolved A, C, B: 3 of 3 on time) and K2 (nothing: null).
    assert [(i["org"]["name"], ratios(i["subtree"])["on_time_resolution"]) for i in page.items] == [
        ("Test county office K", (3, 3)),
        ("Test county office K2", (0, 0)),
    ]


def test_orgs_of_a_level_below_a_parent(scripted):
    page = kpis_sql.kpis_by_org(
        scripted.reader, "2026-Q1", parent_id=scripted.ids.orgs["P"], level="township"
    )
    assert [i["org"]["name"] for i in page.items] == ["Test township office T"]
    assert page.items[0]["own"] == page.items[0]["subtree"]  # T has nothing below it


@pytest.mark.parametrize("period", ["2026-13", "Q1", "2026-W54"])
def test_a_malformed_period_is_refused_with_the_formats(scripted, period):
    from caseflow.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="2026-W09"):
        org(scripted, "P", period)


# ------------------------------------------------------------------ clocks


def _clocks(views, key: str) -> set[tuple]:
    from caseflow.domain.case import Case

    case = views.container.app.get(Case, views.ids.cases[key])
    return {
        (
            c.name,
            c.started_on.isoformat(),
            c.due_on.isoformat(),
            c.done_on and c.done_on.isoformat(),
            c.on_time,
            c.overdue,
        )
        for c in case.clocks(scenario.ENTERED, views.policy)
    }


def test_clocks_of_each_case_on_15_july(scripted):
    assert _clocks(scripted, "A") == {
        ("screening", "2026-01-05", "2026-01-20", "2026-01-08", True, False),
        ("handling", "2026-01-08", "2026-03-09", "2026-02-20", True, False),
        ("review_window", "2026-02-20", "2026-03-22", None, None, True),
    }  # lapsed, unused
    assert _clocks(scripted, "B") == {
        ("screening", "2026-01-06", "2026-01-21", "2026-01-25", False, False),
        ("handling", "2026-01-25", "2026-04-15", "2026-04-01", True, False),  # + 20 days
        ("review_window", "2026-04-01", "2026-05-01", "2026-04-20", True, False),
        ("review", "2026-04-20", "2026-05-20", None, None, True),
    }  # never decided: overdue
    assert _clocks(scripted, "D") == {
        ("screening", "2026-02-01", "2026-02-16", "2026-02-20", False, False)
    }
    assert _clocks(scripted, "F") == {
        ("screening", "2026-04-01", "2026-04-16", "2026-04-16", True, False),
        ("handling", "2026-04-16", "2026-06-15", "2026-06-16", False, False),
        ("review_window", "2026-06-16", "2026-07-16", None, None, False),
    }  # one day left
