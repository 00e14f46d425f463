"""The `kpis` projection driven with hand-made events through in-memory rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from caseflow.domain.policy import Policy
from caseflow.projections.kpis import Kpis, rate

from .events import Log, local
from .fake_rows import MemoryRows


@pytest.fixture
def log() -> Log:
    return Log()


@pytest.fixture
def view() -> MemoryRows:
    return MemoryRows(Kpis(Policy()))


def kpis(view: MemoryRows, org, period: str) -> dict:
    return view.row("kpis", org, period)


def resolved_case(log: Log, office, unit, served_at=None):
    case = log.received(office)
    log.screened(case)
    log.assigned(case, unit, log.leader(unit))
    log.resolved(case, served_at)
    return case


def test_screening_on_the_fifteenth_day_is_timely(log, view):
    office = log.org()
    case = log.received(office, received_at=local(2026, 3, 1, 9))
    log.at = local(2026, 3, 16, 23, 59)
    log.screened(case, "reject")
    view.run(log.events)
    row = kpis(view, office, "2026-03")
    assert (row["screened"], row["screened_on_time"]) == (1, 1)


def test_screening_on_the_sixteenth_day_is_late(log, view):
    office = log.org()
    case = log.received(office, received_at=local(2026, 3, 1, 9))
    log.at = local(2026, 3, 17, 0, 1)
    log.screened(case, "forward")
    view.run(log.events)
    row = kpis(view, office, "2026-03")
    assert (row["screened"], row["screened_on_time"]) == (1, 0)


def test_screening_counts_in_the_period_of_the_shanghai_received_date(log, view):
    office = log.org()
    case = log.received(office, received_at=datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    log.at = local(2026, 4, 16, 23, 59)  # day 15 counted from 1 April (Shanghai)
    log.screened(case)
    view.run(log.events)
    row = kpis(view, office, "2026-Q2")
    assert (row["received"], row["screened"], row["screened_on_time"]) == (1, 1, 1)


def test_handling_kpis_belong_to_the_unit_of_the_latest_assignment(log, view):
    office, first, second = log.org(), log.org(), log.org()
    case = log.received(office)
    log.screened(case)
    log.assigned(case, first, log.leader(first))
    log.assigned(case, second, log.leader(second))
    log.resolved(case)
    view.run(log.events)
    assert kpis(view, second, "2026-01")["resolved"] == 1
    assert (first, "2026-01") not in view.data["kpis"]


def test_a_case_resolved_without_review_or_repeat_is_a_first_time_resolution(log, view):
    office = log.org()
    resolved_case(log, office, office)
    view.run(log.events)
    assert kpis(view, office, "2026-01")["first_time"] == 1


def test_a_review_request_takes_back_the_first_time_resolution(log, view):
    office = log.org()
    case = resolved_case(log, office, office, served_at=local(2026, 1, 20))
    view.run(log.events)
    log.events.clear()
    log.at = local(2026, 2, 10)
    log.review_requested(case)
    view.run(log.events)
    row = kpis(view, office, "2026-01")
    assert (row["resolved"], row["first_time"]) == (1, 0)


def test_a_later_repeat_petition_takes_back_the_prior_first_time_resolution_once(log, view):
    office = log.org()
    prior = resolved_case(log, office, office, served_at=local(2026, 1, 20))
    log.at = local(2026, 3, 1)
    log.received(office, prior_case_id=prior)
    log.received(office, prior_case_id=prior)
    view.run(log.events)
    assert kpis(view, office, "2026-01")["first_time"] == 0
    assert kpis(view, office, "2026-03")["repeat"] == 2


def test_a_case_petitioned_again_before_its_resolution_is_never_first_time(log, view):
    office = log.org()
    case = log.received(office)
    log.screened(case)
    log.assigned(case, office, log.leader(office))
    log.received(office, prior_case_id=case)
    log.resolved(case)
    view.run(log.events)
    assert kpis(view, office, "2026-01")["first_time"] == 0


def test_a_repeat_petition_counts_for_the_office_receiving_it(log, view):
    first_office, second_office = log.org(), log.org()
    prior = log.received(first_office)
    log.received(second_office, prior_case_id=prior)
    view.run(log.events)
    assert kpis(view, second_office, "2026-01")["repeat"] == 1
    assert kpis(view, first_office, "2026-01")["repeat"] == 0


def test_evaluations_count_in_the_resolution_period_of_the_unit(log, view):
    office = log.org()
    case = resolved_case(log, office, office, served_at=local(2026, 1, 30))
    log.at = local(2026, 2, 2)
    log.evaluated(case, "satisfied")
    view.run(log.events)
    row = kpis(view, office, "2026-01")
    assert (row["evaluated"], row["satisfied"]) == (1, 1)


def test_split_batches_give_the_same_rows_as_one_batch(log, view):
    office = log.org()
    prior = resolved_case(log, office, office, served_at=local(2026, 1, 20))
    log.evaluated(prior, "dissatisfied")
    log.review_requested(prior)
    log.received(office, prior_case_id=prior)
    whole = MemoryRows(Kpis(Policy()))
    whole.run(log.events)
    for event in log.events:
        view.run([event])
    assert view.data == whole.data


def test_a_rate_is_null_when_its_denominator_is_zero():
    counts = dict.fromkeys(["received", "repeat"], 0)
    assert rate(counts, "repeat_petition") == {"numerator": 0, "denominator": 0, "ratio": None}


def test_satisfaction_counts_basically_satisfied_as_satisfied():
    counts = {"satisfied": 1, "basically_satisfied": 2, "evaluated": 4}
    assert rate(counts, "satisfaction") == {"numerator": 3, "denominator": 4, "ratio": 0.75}


def test_a_forwarded_petition_s_second_screening_counts_for_the_body_it_went_to(log, view):
    sender, receiver = log.org(), log.org()
    case = log.received(sender, received_at=local(2026, 3, 25, 9))
    log.at = local(2026, 3, 30, 10)
    log.screened(case, "forward", to_org_id=receiver)
    log.at = local(2026, 4, 14, 10)  # the forward day + 15: on time
    log.screened(case)
    view.run(log.events)
    assert (
        kpis(view, sender, "2026-03")["screened"],
        kpis(view, receiver, "2026-03")["screened"],
        kpis(view, receiver, "2026-03")["screened_on_time"],
    ) == (1, 1, 1)


def test_an_orgs_name_follows_its_rename(log, view):
    county = log.org("county", name="Old County")
    log.org_renamed(county, "New County")
    view.run(log.events)
    row = view.row("kpis_orgs", county)
    assert (row["name"], row["level"]) == ("New County", "county")
