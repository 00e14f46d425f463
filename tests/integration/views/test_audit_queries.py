"""The audit trail by case and by actor and time range, paged, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.views.conftest import catch_up
from tests.unit.projections.world import T0, day


def test_history_of_a_case_in_version_order_with_paging(views, world):
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    world.assign(case, day(3, 6))
    catch_up(views)
    first = views.audit_for(case, limit=2)
    assert [r["version"] for r in first.items] == [1, 2] and first.total == 3
    rest = views.audit_for(case, after_position=int(first.next), limit=2)
    assert [r["version"] for r in rest.items] == [3] and rest.next is None
    assert rest.items[0]["summary"].startswith("Assigned: unit ")
    # the payload keeps the petition sealed (docs/privacy.md); reads open it for who may see it
    payload = first.items[0]["payload"]
    assert "petitioners" not in payload and payload["sealed"]["n"]["petitioners"] == 1
    assert "Test Person (synthetic)" not in str(payload) and payload["sealed"]["ct"]


def test_what_an_actor_did_in_a_recorded_time_range(views, world):
    case = world.receive(T0)
    world.screen(case, day(3, 5))
    world.assign(case, day(3, 6))
    world.resolve(case, day(3, 9))
    catch_up(views)
    mine = views.audit_by_actor("handler-1")
    assert [r["event"] for r in mine.items] == ["case.screened", "case.resolved"]
    screened_at = mine.items[0]["recorded_at"]
    later = views.audit_by_actor("handler-1", since=screened_at + timedelta(microseconds=1))
    assert [r["event"] for r in later.items] == ["case.resolved"] and later.total == 1
    none = views.audit_by_actor("handler-1", until=screened_at)
    assert none.items == [] and none.total == 0


def test_what_happened_in_an_org_s_subtree(views, world):
    from caseflow.projections.queries import AuditQuery

    in_county = world.receive(T0)
    world.screen(in_county, day(3, 5))
    in_other_city = world.receive(day(3, 1), org=world.other_city)
    catch_up(views)
    county = views.audit(AuditQuery(within_org=world.county))
    assert {r["aggregate_id"] for r in county.items} == {in_county, world.county}
    city = views.audit(AuditQuery(within_org=world.city, event="case.screened"))
    assert [r["aggregate_id"] for r in city.items] == [in_county] and city.total == 1
    other = views.audit(AuditQuery(within_org=world.other_city, actor_id="registrar-1"))
    assert [r["aggregate_id"] for r in other.items] == [in_other_city]
