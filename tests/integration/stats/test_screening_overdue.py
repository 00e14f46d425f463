"""A petition whose screening is overdue and not done counts against 及时受理率 in the period its
due day fell in (counted at query time: it depends on today); once screened, late, it counts as
a late screening in the period of its received date instead."""

from __future__ import annotations

from datetime import date

from caseflow.domain.values import Decision, OrgLevel
from caseflow.infra.views import kpis_sql

from . import scenario


def _timely(views, org, period: str, today: date) -> tuple[int, int, int]:
    own = kpis_sql.org_kpis(views.reader, org, period, today=today)["own"]
    rate = own["rates"]["timely_screening"]
    return rate["numerator"], rate["denominator"], own["counts"]["screening_overdue"]


def test_an_overdue_unscreened_petition_counts_in_the_period_of_its_due_day(views, clock):
    s = scenario.Script(views.container.app, clock)
    s.at(scenario.local(2026, 1, 2)).org("K", OrgLevel.COUNTY)
    s.at(scenario.local(2026, 1, 5)).receive("A", "K")  # due 20 January, never screened yet
    views.catch_up()
    k = s.orgs["K"]
    assert _timely(views, k, "2026-01", date(2026, 1, 20)) == (0, 0, 0)  # the last day: not due
    assert _timely(views, k, "2026-01", date(2026, 1, 21)) == (0, 1, 1)
    assert _timely(views, k, "2026-W04", date(2026, 3, 1)) == (0, 1, 1)  # 19-25 January
    assert _timely(views, k, "2026-02", date(2026, 3, 1)) == (0, 0, 0)
    subtree = kpis_sql.kpis_by_org(
        views.reader, "2026-01", level="county", today=date(2026, 1, 21)
    ).items[0]["subtree"]
    assert subtree["rates"]["timely_screening"]["denominator"] == 1

    s.at(scenario.local(2026, 1, 25)).screen("A")  # late
    views.catch_up()
    assert _timely(views, k, "2026-01", date(2026, 3, 1)) == (0, 1, 0)  # now a late screening


def test_a_forwarded_petition_the_receiving_body_leaves_unscreened_counts_against_it(views, clock):
    s = scenario.Script(views.container.app, clock)
    s.at(scenario.local(2026, 1, 2)).org("K", OrgLevel.COUNTY)
    s.org("M", OrgLevel.COUNTY)
    s.at(scenario.local(2026, 1, 5)).receive("A", "K")
    s.at(scenario.local(2026, 1, 8))  # forwarded to M: M's 15 days run to 23 January
    s.app.screen(
        s.ctx(),
        s.cases["A"],
        decision=Decision.FORWARD,
        category=None,
        to_org_id=s.orgs["M"],
        reason="",
        route_channel=None,
        notified_at=None,
    )
    views.catch_up()
    k, m = s.orgs["K"], s.orgs["M"]
    assert _timely(views, k, "2026-01", date(2026, 3, 1)) == (1, 1, 0)  # K forwarded in time
    assert _timely(views, m, "2026-01", date(2026, 1, 23)) == (0, 0, 0)  # M's last day
    assert _timely(views, m, "2026-01", date(2026, 1, 24)) == (0, 1, 1)  # then overdue at M
    s.at(scenario.local(2026, 1, 30)).screen("A")  # M decides, late
    views.catch_up()
    assert _timely(views, m, "2026-01", date(2026, 3, 1)) == (0, 1, 0)
