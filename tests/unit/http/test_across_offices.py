"""Work across offices: a petition received in one county, forwarded (转送) to a county under
another city, accepted, assigned and resolved there — each step seen from both sides."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from caseflow.domain.values import OrgLevel
from caseflow.infra.auth import Principal
from caseflow.infra.bootstrap import Container
from caseflow.infra.http import create_app
from caseflow.services.app import Actor, Context
from caseflow.services.authz import Role
from tests.unit.http.world import World


@dataclass
class Offices:
    client: TestClient
    world: World
    a: UUID  # county A (world.county), under city 1
    b: UUID  # county B, under city 2
    city2: UUID
    leader_b: UUID

    def post(self, who: str, path: str, body: dict, status: int = 200) -> dict:
        r = self.client.post(path, json=body, headers=self.world.h(who))
        assert r.status_code == status, (who, path, r.text)
        return r.json()

    def get(self, who: str, path: str, **params) -> tuple[int, dict]:
        r = self.client.get(path, params=params, headers=self.world.h(who))
        return r.status_code, r.json()

    def listed(self, who: str, position: int, **params) -> set[str]:
        status, page = self.get(who, "/cases", min_position=position, **params)
        assert status == 200, page
        return {item["case_id"] for item in page["items"]}


@pytest.fixture
def offices(http_container: Container, world: World) -> Iterator[Offices]:
    ctx = Context(actor=Actor("setup", "operator"))
    app = http_container.app
    city2 = app.register_org(ctx, name="City Two", level=OrgLevel.CITY, parent_id=world.province).id
    b = app.register_org(ctx, name="County B", level=OrgLevel.COUNTY, parent_id=city2).id
    leader_b = app.register_leader(ctx, name="Leader Zhao", title="Deputy head", org_id=b).id
    world.principals.update(
        {
            "registrar-b": Principal("reg-b", Role.REGISTRAR, b),
            "handler-b": Principal("handler-b", Role.HANDLER, b),
            "handler-city2": Principal("handler-c2", Role.HANDLER, city2),
        }
    )
    api = create_app(http_container, tokens=world.principals, background=True, read_wait=5.0)
    with TestClient(api, raise_server_exceptions=False) as client:
        yield Offices(client, world, world.county, b, city2, leader_b)


def _forwarded(o: Offices) -> tuple[str, int]:
    case = o.post("registrar", "/cases", o.world.case(), 201)["id"]
    r = o.post(
        "registrar",
        f"/cases/{case}/screening",
        {"decision": "forward", "to_org_id": str(o.b), "reason": "the matter is B's"},
    )
    return case, r["position"]


def test_a_forwarded_petition_reaches_the_inbox_of_the_body_it_went_to(offices):
    o = offices
    case, position = _forwarded(o)
    assert case in o.listed("registrar-b", position, inbox="true")
    assert case not in o.listed("registrar", position, inbox="true")  # not A's work now
    assert case in o.listed("registrar", position)  # A still sees where it went
    status, row = o.get("registrar", f"/cases/{case}")
    assert status == 200 and row["status"] == "forwarded"
    assert row["forwarded_to_org_id"] == str(o.b)


def test_the_body_it_went_to_decides_within_15_days_of_the_forward(offices, http_clock):
    o = offices
    case, _ = _forwarded(o)
    http_clock.advance(days=10)
    r = o.post(
        "registrar-b", f"/cases/{case}/screening", {"decision": "accept", "category": "appeal"}
    )
    status, row = o.get("handler-b", f"/cases/{case}", min_position=r["position"])
    assert status == 200 and row["status"] == "accepted"
    clocks = {c["name"]: c for c in row["clocks"]}
    assert clocks["screening"]["on_time"] is True  # A forwarded it on day 0
    forwarded = clocks["forwarded_screening"]  # B's 15 days run from the forward
    assert forwarded["started_on"] == "2026-03-02" and forwarded["due_on"] == "2026-03-17"
    assert forwarded["on_time"] is True


def test_the_sending_office_does_not_decide_for_the_body_it_forwarded_to(offices, http_container):
    o = offices
    case, _ = _forwarded(o)
    head = http_container.log.head()
    r = o.client.post(
        f"/cases/{case}/screening",
        json={"decision": "accept", "category": "appeal"},
        headers=o.world.h("registrar"),
    )
    assert r.status_code == 403 and http_container.log.head() == head
    # the body above B may act for it
    o.post(
        "handler-city2", f"/cases/{case}/screening", {"decision": "accept", "category": "appeal"}
    )


def test_the_whole_life_is_seen_from_both_sides(offices):
    o = offices
    case, _ = _forwarded(o)
    o.post("registrar-b", f"/cases/{case}/screening", {"decision": "accept", "category": "appeal"})
    r = o.post(
        "handler-b",
        f"/cases/{case}/assignment",
        {"unit_id": str(o.b), "leader_id": str(o.leader_b)},
    )
    assert case in o.listed("handler-b", r["position"], inbox="true")  # assigned, unresolved
    r = o.post("handler-b", f"/cases/{case}/resolution", {"outcome": "supported", "reply": "paid"})
    assert case not in o.listed("handler-b", r["position"], inbox="true")
    for who in ("registrar", "handler", "registrar-b", "handler-b", "handler-city2"):
        status, row = o.get(who, f"/cases/{case}", min_position=r["position"])
        assert status == 200 and row["status"] == "resolved", who
        status, history = o.get(who, f"/cases/{case}/history")
        assert status == 200 and len(history["events"]) == 5, who
    status, _ = o.get("handler-other", f"/cases/{case}")  # a county of neither side
    assert status == 404
    # the KPIs count each screening where it was made
    status, kpis_a = o.get(
        "analyst", "/statistics/kpis", org=str(o.a), period="2026-03", min_position=r["position"]
    )
    assert status == 200, kpis_a
    status, kpis_b = o.get("analyst", "/statistics/kpis", org=str(o.b), period="2026-03")
    own_a, own_b = _own(kpis_a), _own(kpis_b)
    assert (own_a["screened"], own_a["screened_on_time"]) == (1, 1)
    assert (own_b["screened"], own_b["screened_on_time"]) == (1, 1)
    assert (own_b["resolved"], own_a["resolved"]) == (1, 0)


def test_inbox_for_a_caller_without_an_office_needs_org(offices):
    o = offices
    case, position = _forwarded(o)
    status, body = o.get("supervisor", "/cases", inbox="true")
    assert status == 422 and body["errors"][0]["field"] == "query.org"
    assert case in o.listed("supervisor", position, inbox="true", org=str(o.b))


def _own(page: dict) -> dict:
    item = page["items"][0] if "items" in page else page
    return item["own"]["counts"]


def _accepted_in_a(o: Offices) -> str:
    case = o.post("registrar", "/cases", o.world.case(), 201)["id"]
    o.post("registrar", f"/cases/{case}/screening", {"decision": "accept", "category": "appeal"})
    return case


def test_an_office_assigns_only_to_its_own_units_and_leaders(offices, http_container):
    o = offices
    case = _accepted_in_a(o)
    head = http_container.log.head()
    for unit, leader in ((o.b, o.world.leader), (o.a, o.leader_b)):
        r = o.client.post(
            f"/cases/{case}/assignment",
            headers=o.world.h("registrar"),
            json={"unit_id": str(unit), "leader_id": str(leader)},
        )
        assert r.status_code == 403, r.text
    assert http_container.log.head() == head
    o.post(
        "registrar",
        f"/cases/{case}/assignment",
        {"unit_id": str(o.a), "leader_id": str(o.world.leader)},
    )


def test_a_visit_is_recorded_for_a_leader_of_the_office_or_of_the_case_s_unit(
    offices, http_container
):
    o = offices
    case = _accepted_in_a(o)
    visit = {"leader_id": str(o.leader_b), "mode": "reception", "visited_on": "2026-03-02"}
    head = http_container.log.head()
    r = o.client.post(f"/cases/{case}/visits", json=visit, headers=o.world.h("registrar"))
    assert r.status_code == 403 and http_container.log.head() == head
    # once B's leader owns the case (forwarded to B, assigned there), A may record his visit
    forwarded, _ = _forwarded(o)
    o.post(
        "registrar-b", f"/cases/{forwarded}/screening", {"decision": "accept", "category": "appeal"}
    )
    o.post(
        "handler-b",
        f"/cases/{forwarded}/assignment",
        {"unit_id": str(o.b), "leader_id": str(o.leader_b)},
    )
    o.post("registrar", f"/cases/{forwarded}/visits", visit)


def test_an_unknown_leader_is_404_and_records_nothing(offices, http_container):
    o = offices
    case = _accepted_in_a(o)
    head = http_container.log.head()
    nobody = "00000000-0000-4000-8000-000000000000"
    r = o.client.post(
        f"/cases/{case}/assignment",
        headers=o.world.h("registrar"),
        json={"unit_id": str(o.a), "leader_id": nobody},
    )
    assert r.status_code == 404 and http_container.log.head() == head


def test_audit_by_org_subtree_and_time_window(offices, http_clock):
    o = offices
    case, position = _forwarded(o)
    wait = {"min_position": position}
    status, city2 = o.get("supervisor", "/audit", org=str(o.city2), **wait)
    assert status == 200
    mine = [e for e in city2["items"] if e["aggregate_id"] == case]
    assert [e["event"] for e in mine] == ["case.received", "case.screened"]
    assert {e["event"] for e in city2["items"]} >= {"org.registered"}  # its orgs' own events
    _, other = o.get("supervisor", "/audit", org=str(o.world.other_county), **wait)
    assert case not in {e["aggregate_id"] for e in other["items"]}
    later = (http_clock.now.replace(year=2027)).isoformat()
    _, empty = o.get("supervisor", "/audit", org=str(o.city2), since=later, **wait)
    assert empty["items"] == [] and empty["total"] == 0
    _, both = o.get("analyst", "/audit", org=str(o.city2), actor="reg-b", **wait)
    assert both["items"] == []  # reg-b did nothing yet
    status, body = o.get("analyst", "/audit")
    assert status == 422 and body["errors"][0]["field"] == "query.actor"


def test_a_case_s_history_pages(offices):
    o = offices
    case, position = _forwarded(o)
    o.post("registrar-b", f"/cases/{case}/screening", {"decision": "accept", "category": "appeal"})
    r = o.post(
        "handler-b",
        f"/cases/{case}/assignment",
        {"unit_id": str(o.b), "leader_id": str(o.leader_b)},
    )
    seen, after = [], 0
    while True:
        status, page = o.get(
            "handler-b",
            f"/cases/{case}/history",
            limit=2,
            after_position=after,
            min_position=r["position"],
        )
        assert status == 200 and len(page["events"]) <= 2
        seen += [e["version"] for e in page["events"]]
        if page["next"] is None:
            break
        after = int(page["next"])
    assert seen == [1, 2, 3, 4]
