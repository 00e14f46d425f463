"""Leaders in office, on SQLite and PostgreSQL: a leader who took office mid-quarter and moved
mid-year, and one who left office, judged period by period (worked out by hand below).

    2026-02-11  orgs P province, C city < P, K county < C; leaders LM and LD take office in K
                (county: one reception day a month)
    2026-02-12  LM receives X's petitioners, recorded for 9 February (before taking office)
    2026-03-20  LM receives (20 March)
    2026-05-06  LM receives (5 May); LD's departure recorded: left office on 20 April
    2026-05-15  LM moves to C (city: one reception day a quarter) from 15 May
    2026-06-10  LM receives (10 June, 3 visitors)
    "today"     2026-07-15

LM for 2026: January before office; February held 11-28 (18 of 28 days: judged, on those days
only, so the 9 February reception does not count): missed; March met; April missed; May and June
end in the city posting, so from the second quarter on LM is judged quarter by quarter: Q2 met
(5 May and 10 June), Q3 pending, Q4 future. Statistics stay with LM: 4 reception days, 7
person-times in 2026. LD for Q2: April held 1-20 (20 of 30 days): missed; May, June after office.
"""

from __future__ import annotations

from datetime import date

import pytest

from caseflow.domain.values import OrgLevel, VisitMode
from caseflow.infra.views.leader_stats_sql import leader_statistics, leaders_statistics
from caseflow.projections.rebuild import rebuild

from .conftest import TODAY
from .scenario import CTX, Script, local


@pytest.fixture
def tenure(views, container, clock, monkeypatch):
    s = Script(container.app, clock)
    # LM's visit of 9 February predates his term: refused today (visited.before_office), it
    # stands here for a log written before visits were checked against terms, which the
    # statistics must still judge rightly.
    monkeypatch.setattr("caseflow.services.app._in_office", lambda *_: None)
    s.at(local(2026, 2, 11))
    s.org("P", OrgLevel.PROVINCE)
    s.org("C", OrgLevel.CITY, "P")
    s.org("K", OrgLevel.COUNTY, "C")
    s.leader("LM", "K")
    s.leader("LD", "K")
    s.receive("X", "K", received_at=local(2026, 2, 5))
    s.at(local(2026, 2, 12)).visit("X", "LM", VisitMode.RECEPTION, date(2026, 2, 9), 2)
    monkeypatch.undo()
    s.at(local(2026, 3, 20)).visit("X", "LM", VisitMode.RECEPTION, date(2026, 3, 20), 1)
    s.at(local(2026, 5, 6)).visit("X", "LM", VisitMode.RECEPTION, date(2026, 5, 5), 1)
    container.app.leave_office(CTX, s.leaders["LD"], on=date(2026, 4, 20))
    s.at(local(2026, 5, 15))
    container.app.move_leader(CTX, s.leaders["LM"], to_org_id=s.orgs["C"])
    s.at(local(2026, 6, 10)).visit("X", "LM", VisitMode.DOWNWARD, date(2026, 6, 10), 3)
    views.catch_up(batch_size=1)
    return views, s


def stats(views, leader, period):
    return leader_statistics(views.reader, leader, period, today=TODAY, policy=views.policy)


def test_the_mover_is_judged_month_by_month_then_quarter_by_quarter(tenure):
    views, s = tenure
    c = stats(views, s.leaders["LM"], "2026")["compliance"]
    assert [(p["key"], p["level"], p["status"]) for p in c["periods"]] == [
        ("2026-01", "county", "before_office"),
        ("2026-02", "county", "missed"),
        ("2026-03", "county", "met"),
        ("2026-04", "county", "missed"),
        ("2026-Q2", "city", "met"),
        ("2026-Q3", "city", "pending"),
        ("2026-Q4", "city", "future"),
    ]
    assert (c["quota"], c["status"], c["met"], c["missed"], c["pending"]) == (
        "quarter",
        "non_compliant",
        2,
        2,
        1,
    )


def test_a_partly_held_month_counts_only_reception_days_in_office(tenure):
    views, s = tenure
    february = stats(views, s.leaders["LM"], "2026-02")
    assert february["counts"]["reception_days"] == 1  # the statistics keep the reception
    assert february["compliance"]["periods"] == [
        {
            "key": "2026-02",
            "start": "2026-02-01",
            "end": "2026-02-28",
            "reception_days": 0,
            "status": "missed",
            "level": "county",
        }
    ]


def test_a_month_after_the_move_is_judged_on_its_quarter(tenure):
    views, s = tenure
    c = stats(views, s.leaders["LM"], "2026-05")["compliance"]
    assert [(p["key"], p["status"]) for p in c["periods"]] == [("2026-Q2", "met")]
    assert c["status"] == "compliant"


def test_statistics_follow_the_leader_across_the_move(tenure):
    views, s = tenure
    item = stats(views, s.leaders["LM"], "2026")
    assert (
        item["counts"]["reception_days"],
        item["counts"]["batches"],
        item["counts"]["person_times"],
    ) == (4, 4, 7)
    assert (item["leader"]["org_id"], item["leader"]["level"]) == (s.orgs["C"], "city")
    assert (item["leader"]["in_office_from"], item["leader"]["left_office_on"]) == (
        "2026-02-11",
        None,
    )
    listed = leaders_statistics(
        views.reader, "2026", today=TODAY, policy=views.policy, org_id=s.orgs["C"], level="city"
    )
    assert [i["leader"]["id"] for i in listed.items] == [s.leaders["LM"]]
    assert listed.items[0]["counts"]["person_times"] == 7


def listed(views, period, org=None, level=None):
    page = leaders_statistics(
        views.reader,
        period,
        today=TODAY,
        policy=views.policy,
        org_id=org,
        level=level,
        sort="name",
        descending=False,
    )
    return [i["leader"]["name"] for i in page.items]


def test_a_list_names_the_leaders_in_office_in_the_org_during_the_period(tenure):
    views, s = tenure
    county, city = s.orgs["K"], s.orgs["C"]
    assert listed(views, "2026-Q1", county) == ["Leader LD", "Leader LM"]
    assert listed(views, "2026-Q2", county) == ["Leader LD", "Leader LM"]  # LM until 14 May
    assert listed(views, "2026-05", city) == ["Leader LM"]  # from 15 May
    assert listed(views, "2026-Q3", county) == []  # LD left, LM moved
    assert listed(views, "2026-Q1", level="city") == []
    assert listed(views, "2026-06", level="city") == ["Leader LM"]
    assert listed(views, "2026-01") == []  # nobody had taken office


def test_a_leader_who_left_is_not_judged_after_leaving(tenure):
    views, s = tenure
    item = stats(views, s.leaders["LD"], "2026-Q2")
    assert [(p["key"], p["status"]) for p in item["compliance"]["periods"]] == [
        ("2026-04", "missed"),
        ("2026-05", "after_office"),
        ("2026-06", "after_office"),
    ]
    assert item["leader"]["left_office_on"] == "2026-04-20"
    assert stats(views, s.leaders["LD"], "2026-Q3")["compliance"]["status"] == "not_due"


def test_a_rebuild_gives_the_terms_of_live_processing(tenure):
    views, _ = tenure
    generation = views.store.record("leader_stats").active.generation
    live = {
        t: views.table(t, generation)
        for t in (
            "leader_stats",
            "leader_stats_terms",
            "leader_stats_postings",
            "leader_stats_leaders",
        )
    }
    result = rebuild(views.projections, views.store, views.container.log, batch_size=3)
    assert "leader_stats" in result.switched
    generation = views.store.record("leader_stats").active.generation
    assert {t: views.table(t, generation) for t in live} == live
    assert len(live["leader_stats_terms"]) == 2


def test_a_store_built_before_terms_answers_as_before(projected, ids):
    """Views built by the code before terms have no term or posting rows: every leader then
    holds their registered org from the day they were registered (the hand-computed history's
    leaders never moved, so the answers must not change)."""
    views = projected

    def answers():
        out = [
            stats(views, ids.leaders[k], period)
            for k in ids.leaders
            for period in ("2025-12", "2026-Q1", "2026")
        ]
        for period in ("2025", "2026-Q1", "2026-H1"):
            for org in (None, ids.orgs["K"]):
                page = leaders_statistics(
                    views.reader, period, today=TODAY, policy=views.policy, org_id=org, level=None
                )
                out.append([i["leader"]["id"] for i in page.items])
        return out

    before = answers()
    generation = views.store.record("leader_stats").active.generation
    with views.store.transaction() as cur:
        for table in ("leader_stats_terms", "leader_stats_postings"):
            cur.execute(f"DELETE FROM {table}_g{generation}")
    assert views.table("leader_stats_terms", generation) == []
    assert answers() == before
    assert before[-1]  # (the lists are not empty)
