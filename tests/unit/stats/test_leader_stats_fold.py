"""The `leader_stats` projection driven with hand-made events through in-memory rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from caseflow.domain.policy import Policy
from caseflow.projections.leader_stats import LeaderStats

from .events import Log, local
from .fake_rows import MemoryRows


@pytest.fixture
def log() -> Log:
    return Log()


@pytest.fixture
def view() -> MemoryRows:
    return MemoryRows(LeaderStats(Policy()))


def stats(view: MemoryRows, leader, period: str) -> dict:
    return view.row("leader_stats", leader, period)


def accepted_case(log: Log, leader, unit=None):
    unit = unit or log.org()
    case = log.received(unit)
    log.screened(case)
    log.assigned(case, unit, leader)
    return case


def test_two_visits_on_one_day_are_one_reception_day_two_batches(log, view):
    leader, case = log.leader(log.org()), None
    case = log.received(log.org())
    log.visited(case, leader, date(2026, 1, 12), visitors=5, resolved_on_site=True)
    log.visited(case, leader, date(2026, 1, 12), visitors=1)
    view.run(log.events)
    row = stats(view, leader, "2026-W03")
    assert (
        row["reception_days"],
        row["batches"],
        row["person_times"],
        row["resolved_on_site"],
    ) == (1, 2, 6, 1)


def test_a_day_seen_in_an_earlier_batch_is_not_counted_again(log, view):
    leader, case = log.leader(log.org()), log.received(log.org())
    log.visited(case, leader, date(2026, 1, 12))
    view.run(log.events)
    log.events.clear()
    log.visited(case, leader, date(2026, 1, 12))
    log.visited(case, leader, date(2026, 1, 13))
    view.run(log.events)
    assert stats(view, leader, "2026-01")["reception_days"] == 2
    assert stats(view, leader, "2026-01")["batches"] == 3


def test_visits_count_for_the_visiting_leader_not_the_owner(log, view):
    owner, visitor = log.leader(log.org()), log.leader(log.org())
    case = accepted_case(log, owner)
    log.visited(case, visitor, date(2026, 1, 6), visitors=3)
    view.run(log.events)
    assert stats(view, visitor, "2026")["person_times"] == 3
    assert stats(view, owner, "2026")["person_times"] == 0


def test_an_assigned_case_is_owned_in_the_period_of_assignment(log, view):
    leader = log.leader(log.org())
    log.at = local(2026, 1, 31, 23, 30)  # Saturday night in Shanghai, 15:30 UTC
    accepted_case(log, leader)
    view.run(log.events)
    assert stats(view, leader, "2026-01")["owned"] == 1
    assert stats(view, leader, "2026-W05")["owned"] == 1


def test_reassignment_moves_the_case_to_the_new_leader_and_period(log, view):
    first, second = log.leader(log.org()), log.leader(log.org())
    unit = log.org()
    case = accepted_case(log, first, unit)  # 5 January
    log.at = local(2026, 2, 3)
    log.assigned(case, unit, second)
    view.run(log.events)
    assert stats(view, first, "2026-01")["owned"] == 0
    assert stats(view, second, "2026-02")["owned"] == 1
    assert stats(view, second, "2026-Q1")["owned"] == 1


def test_reassignment_across_batches_gives_the_same_rows(log, view):
    first, second, unit = log.leader(log.org()), log.leader(log.org()), log.org()
    case = accepted_case(log, first, unit)
    log.at = local(2026, 2, 3)
    log.assigned(case, unit, second)
    whole = MemoryRows(LeaderStats(Policy()))
    whole.run(log.events)
    for event in log.events:
        view.run([event])
    assert view.data == whole.data


def test_reassignment_to_the_same_leader_keeps_the_original_period(log, view):
    leader, unit = log.leader(log.org()), log.org()
    case = accepted_case(log, leader, unit)
    log.at = local(2026, 2, 3)
    log.assigned(case, unit, leader)
    view.run(log.events)
    assert stats(view, leader, "2026-01")["owned"] == 1
    assert (leader, "2026-02") not in view.data["leader_stats"]


def test_resolution_within_sixty_days_of_acceptance_is_on_time(log, view):
    leader = log.leader(log.org())
    case = accepted_case(log, leader)  # accepted 5 January: due 6 March
    log.resolved(case, served_at=local(2026, 3, 6, 23, 59))
    view.run(log.events)
    row = stats(view, leader, "2026-03")
    assert (row["owned_resolved"], row["owned_on_time"]) == (1, 1)


def test_resolution_after_sixty_days_is_late(log, view):
    leader = log.leader(log.org())
    case = accepted_case(log, leader)
    log.resolved(case, served_at=local(2026, 3, 7, 0, 1))
    view.run(log.events)
    row = stats(view, leader, "2026-03")
    assert (row["owned_resolved"], row["owned_on_time"]) == (1, 0)


def test_extensions_move_the_handling_due_date(log, view):
    leader = log.leader(log.org())
    case = accepted_case(log, leader)
    log.extended(case, 10)
    log.extended(case, 5)  # due 6 March + 15 = 21 March
    log.resolved(case, served_at=local(2026, 3, 21))
    view.run(log.events)
    assert stats(view, leader, "2026-03")["owned_on_time"] == 1


def test_resolution_is_counted_on_its_shanghai_day(log, view):
    leader = log.leader(log.org())
    case = accepted_case(log, leader)
    log.resolved(case, served_at=datetime(2026, 3, 31, 16, 0, tzinfo=UTC))  # 1 April
    view.run(log.events)
    assert stats(view, leader, "2026-04")["owned_resolved"] == 1
    assert stats(view, leader, "2026-Q2")["owned_resolved"] == 1


def test_a_utc_deployment_counts_the_same_resolution_in_march(log):
    view = MemoryRows(LeaderStats(Policy(timezone="UTC")))
    leader = log.leader(log.org())
    case = accepted_case(log, leader)
    log.resolved(case, served_at=datetime(2026, 3, 31, 16, 0, tzinfo=UTC))
    view.run(log.events)
    assert stats(view, leader, "2026-03")["owned_resolved"] == 1


def test_ratings_count_in_the_period_of_resolution(log, view):
    leader = log.leader(log.org())
    case = accepted_case(log, leader)
    log.resolved(case, served_at=local(2026, 1, 20))
    log.at = local(2026, 2, 2)
    log.evaluated(case, "basically_satisfied")
    view.run(log.events)
    assert stats(view, leader, "2026-01")["basically_satisfied"] == 1
    assert (leader, "2026-02") not in view.data["leader_stats"]


def test_ratings_of_the_review_stage_are_not_the_owners(log, view):
    leader = log.leader(log.org())
    case = accepted_case(log, leader)
    log.resolved(case)
    log.evaluated(case, "dissatisfied", stage="review")
    view.run(log.events)
    assert stats(view, leader, "2026")["dissatisfied"] == 0


def test_leaders_and_orgs_are_kept_for_filters(log, view):
    province = log.org("province")
    county = log.org("county", parent_id=province)
    leader = log.leader(county, level="county", name="Wang")
    view.run(log.events)
    assert view.row("leader_stats_leaders", leader)["level"] == "county"
    assert view.row("leader_stats_leaders", leader)["registered_on"] == date(2026, 1, 5)
    assert view.row("leader_stats_orgs", county)["parent_id"] == province


# ------------------------------------------------------------------ terms of office


def term(view: MemoryRows, leader) -> dict:
    return view.row("leader_stats_terms", leader)


def test_a_leader_is_in_office_from_the_day_given(log, view):
    leader = log.leader(log.org(), in_office_from=date(2026, 1, 2))
    view.run(log.events)
    assert term(view, leader)["postings"][0]["start"] == "2026-01-02"
    assert term(view, leader)["left_on"] is None


def test_an_old_registration_is_in_office_from_its_local_day(log, view):
    log.at = datetime(2026, 1, 4, 17, 0, tzinfo=UTC)  # 5 January, 01:00 in Shanghai
    leader = log.leader(log.org())
    view.run(log.events)
    assert term(view, leader)["postings"][0]["start"] == "2026-01-05"


def test_a_move_adds_a_posting_and_the_statistics_stay_with_the_leader(log, view):
    county, city = log.org("county"), log.org("city")
    leader = log.leader(county, in_office_from=date(2026, 2, 11))
    case = log.received(county)
    log.visited(case, leader, date(2026, 3, 20))
    log.moved(leader, city, "city", date(2026, 5, 15))
    log.visited(case, leader, date(2026, 6, 10), visitors=3)
    view.run(log.events)
    assert [(p["start"], p["level"]) for p in term(view, leader)["postings"]] == [
        ("2026-02-11", "county"),
        ("2026-05-15", "city"),
    ]
    assert (
        view.row("leader_stats_leaders", leader)["org_id"],
        view.row("leader_stats_leaders", leader)["level"],
    ) == (city, "city")
    year = stats(view, leader, "2026")
    assert (year["reception_days"], year["batches"], year["person_times"]) == (2, 2, 4)


def test_a_departure_ends_the_term(log, view):
    leader = log.leader(log.org(), in_office_from=date(2026, 1, 2))
    view.run(log.events)
    log.events.clear()
    log.left_office(leader, date(2026, 6, 30))
    view.run(log.events)
    assert term(view, leader)["left_on"] == date(2026, 6, 30)


def test_an_old_stores_leader_without_a_term_row_gets_one_on_a_move(log, view):
    county, city = log.org("county"), log.org("city")
    leader = log.leader(county)  # registered on 5 January
    view.run(log.events)
    del view.data["leader_stats_terms"][(leader,)]  # as a store built before terms were
    log.events.clear()
    log.moved(leader, city, "city", date(2026, 3, 1))
    view.run(log.events)
    assert [(p["start"], p["org_id"]) for p in term(view, leader)["postings"]] == [
        ("2026-01-05", str(county)),
        ("2026-03-01", str(city)),
    ]


def test_renames_follow_the_leader_and_the_org(log, view):
    county = log.org("county", name="Old County")
    leader = log.leader(county, name="Wang")
    log.leader_renamed(leader, "Wang Jr.", "Deputy Head")
    log.org_renamed(county, "New County")
    view.run(log.events)
    row = view.row("leader_stats_leaders", leader)
    assert (row["name"], row["title"]) == ("Wang Jr.", "Deputy Head")
    assert view.row("leader_stats_orgs", county)["name"] == "New County"
