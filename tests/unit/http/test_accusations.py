"""An accusation (检举控告) names the accused org and leader: it never goes to them (回避), and
they, like anyone outside the case's scope, get the answer an unknown id gets (404). The
accused's identity is personal data: caseworkers on the case see it, analysts and the feed never."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from caseflow.domain.values import OrgLevel
from caseflow.infra.auth import Principal
from caseflow.infra.http import create_app
from caseflow.services.app import Actor, Context
from caseflow.services.authz import Role
from tests.unit.http.world import World, pii_in

ACCEPT = {"decision": "accept", "category": "accusation"}


@pytest.fixture
def accused(http_container, world: World) -> Iterator[tuple[TestClient, World, dict]]:
    """A petition received by the city accusing the county and its leader Li."""
    ctx = Context(actor=Actor("setup", "operator"))
    township = http_container.app.register_org(
        ctx, name="Test Township", level=OrgLevel.TOWNSHIP, parent_id=world.county
    ).id
    city_leader = http_container.app.register_leader(
        ctx, name="Leader Wu", title="Deputy mayor", org_id=world.city
    ).id
    world.principals.update(
        {
            "registrar-city": Principal("reg-city", Role.REGISTRAR, world.city),
            "leader-city": Principal(str(city_leader), Role.LEADER, world.city),
            # the accused leader signs in as himself; his token is the city's (he was promoted)
            "accused-leader": Principal(str(world.leader), Role.LEADER, world.city),
            "handler-township": Principal("handler-t", Role.HANDLER, township),
        }
    )
    app = create_app(http_container, tokens=world.principals, background=True, read_wait=5.0)
    with TestClient(app, raise_server_exceptions=False) as client:
        body = world.case(
            receiving_org_id=str(world.city),
            category="accusation",
            accused_org_id=str(world.county),
            accused_leader_id=str(world.leader),
        )
        r = client.post("/cases", json=body, headers=world.h("registrar-city"))
        assert r.status_code == 201, r.text
        case = r.json()
        r = client.post(
            f"/cases/{case['id']}/screening", json=ACCEPT, headers=world.h("registrar-city")
        )
        assert r.status_code == 200, r.text
        yield (
            client,
            world,
            {
                "id": case["id"],
                "township": township,
                "city_leader": city_leader,
                "position": r.json()["position"],
            },
        )


def _assign(client, world, case, unit, leader):
    return client.post(
        f"/cases/{case}/assignment",
        headers=world.h("registrar-city"),
        json={"unit_id": str(unit), "leader_id": str(leader)},
    )


def test_an_accusation_is_not_assigned_to_the_accused_org(accused, http_container):
    client, world, case = accused
    head = http_container.log.head()
    r = _assign(client, world, case["id"], world.county, case["city_leader"])
    assert r.status_code == 409 and r.json()["rule"] == "assigned.to_accused"
    assert http_container.log.head() == head


def test_nor_to_an_org_under_the_accused_org(accused):
    client, world, case = accused
    r = _assign(client, world, case["id"], case["township"], case["city_leader"])
    assert r.status_code == 409 and r.json()["rule"] == "assigned.to_accused"


def test_the_accused_leader_does_not_own_the_accusation(accused):
    client, world, case = accused
    r = _assign(client, world, case["id"], world.city, world.leader)
    assert r.status_code == 409 and r.json()["rule"] == "assigned.accused_leader"


def test_another_unit_and_leader_may_take_it(accused):
    client, world, case = accused
    r = _assign(client, world, case["id"], world.city, case["city_leader"])
    assert r.status_code == 200, r.text


def test_an_accusation_is_not_forwarded_to_the_accused(world, http_container, accused):
    client, _, _ = accused
    body = world.case(receiving_org_id=str(world.city), accused_org_id=str(world.county))
    case = client.post("/cases", json=body, headers=world.h("registrar-city")).json()["id"]
    r = client.post(
        f"/cases/{case}/screening",
        headers=world.h("registrar-city"),
        json={"decision": "forward", "to_org_id": str(world.county)},
    )
    assert r.status_code == 409 and r.json()["rule"] == "screened.to_accused"


def test_only_an_accusation_names_the_accused(accused):
    client, world, _ = accused
    body = world.case(
        receiving_org_id=str(world.city), category="appeal", accused_org_id=str(world.county)
    )
    r = client.post("/cases", json=body, headers=world.h("registrar-city"))
    assert r.status_code == 422 and r.json()["rule"] == "received.accused"


@pytest.mark.parametrize("who", ["handler-city", "leader-city", "supervisor"])
def test_the_body_above_and_supervisors_see_it(accused, who):
    client, world, case = accused
    r = client.get(f"/cases/{case['id']}", headers=world.h(who))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("who", ["accused-leader", "handler-township"])
def test_the_accused_get_404_on_every_read_and_command(accused, who):
    client, world, case = accused
    h, c = world.h(who), case["id"]
    expected = f"No case with id {c}."
    for path in (f"/cases/{c}", f"/cases/{c}/history", f"/cases/{c}/history?as_of=1"):
        r = client.get(path, headers=h)
        assert r.status_code == 404 and r.json()["detail"] == expected, path
    r = client.post(
        f"/cases/{c}/visits",
        headers=h,
        json={"leader_id": str(world.leader), "mode": "reception", "visited_on": "2026-03-02"},
    )
    assert r.status_code == 404 and r.json()["detail"] == expected
    listed = client.get("/cases", params={"min_position": case["position"]}, headers=h).json()
    assert c not in {item["case_id"] for item in listed["items"]}
    # a repeat petition cannot link to it either (that would confirm it exists)
    body = world.case(receiving_org_id=str(world.county), prior_case_id=c)
    r = client.post("/cases", json=body, headers=world.h("handler"))
    assert r.status_code == 404 and r.json()["detail"] == expected


def test_the_accused_org_s_own_staff_do_not_find_it_in_lists(accused):
    client, world, case = accused
    # handler-city sees it in the list: the city is the receiving org
    wait = {"min_position": case["position"]}
    city = client.get("/cases", params=wait, headers=world.h("handler-city")).json()
    assert case["id"] in {i["case_id"] for i in city["items"]}
    # the county's handler is below the city, in whose list it is: still never theirs
    county = client.get(
        "/cases", params={**wait, "org": str(world.city)}, headers=world.h("handler")
    ).json()
    assert case["id"] not in {i["case_id"] for i in county["items"]}


def test_analysts_and_the_feed_never_learn_who_is_accused(accused):
    client, world, case = accused
    wait = {"min_position": case["position"]}
    analyst = world.h("analyst")
    history = client.get(f"/cases/{case['id']}/history", params=wait, headers=analyst).json()
    audit = client.get("/audit", params={"actor": "reg-city", **wait}, headers=analyst).json()
    feed = client.get("/events", params={"limit": 1000}, headers=world.h("operator")).json()
    detail = client.get(f"/cases/{case['id']}", headers=analyst).text
    payloads = [e["payload"] for e in history["events"] + audit["items"]]
    payloads += [e["data"] for e in feed if e["type"] == "caseflow.case.received.v1"]
    assert payloads and all(
        "accused_org_id" not in p and "accused_leader_id" not in p for p in payloads
    )
    assert "accused" not in str(history["state"]) and "accused" not in detail
    assert pii_in(str(history) + str(audit) + str(feed) + detail) == []
    sup = client.get(f"/cases/{case['id']}/history", params=wait, headers=world.h("supervisor"))
    received = next(e for e in sup.json()["events"] if e["event"] == "case.received")
    assert received["payload"]["accused_org_id"] == str(world.county)


def test_an_unknown_accused_org_is_404_and_records_nothing(accused, http_container):
    client, world, _ = accused
    head = http_container.log.head()
    body = world.case(receiving_org_id=str(world.city), accused_org_id=str(uuid4()))
    r = client.post("/cases", json=body, headers=world.h("registrar-city"))
    assert r.status_code == 404 and http_container.log.head() == head


def test_staff_of_the_accused_org_lose_sight_of_an_accusation_handed_in_there(accused):
    """The letter was handed in at the accused county's own office: its staff register it and
    from then on the city above handles it (回避)."""
    client, world, _ = accused
    body = world.case(category="accusation", accused_org_id=str(world.county))
    r = client.post("/cases", json=body, headers=world.h("registrar"))
    assert r.status_code == 201, r.text
    case, wait = r.json()["id"], {"min_position": r.json()["position"]}
    for who in ("registrar", "handler", "leader"):  # the county's own staff
        r = client.get(f"/cases/{case}", headers=world.h(who))
        assert r.status_code == 404, who
        listed = client.get("/cases", params=wait, headers=world.h(who)).json()
        assert case not in {i["case_id"] for i in listed["items"]}, who
        r = client.post(
            f"/cases/{case}/visits",
            headers=world.h(who),
            json={"leader_id": str(world.leader), "mode": "reception", "visited_on": "2026-03-02"},
        )
        assert r.status_code == 404, who
    assert client.get(f"/cases/{case}", headers=world.h("handler-city")).status_code == 200
    listed = client.get("/cases", params=wait, headers=world.h("handler-city")).json()
    assert case in {i["case_id"] for i in listed["items"]}
