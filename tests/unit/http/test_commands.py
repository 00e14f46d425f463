"""Commands: version and position in every answer, If-Match, Idempotency-Key."""

from __future__ import annotations

from uuid import uuid4

ACCEPT = {"decision": "accept", "category": "appeal"}


def _case(client, world, **headers):
    r = client.post("/cases", json=world.case(), headers=world.h("registrar", **headers))
    assert r.status_code == 201, r.text
    return r


def test_registering_a_case_answers_id_version_position_and_location(client, world):
    r = _case(client, world)
    body = r.json()
    assert body["version"] == 1 and body["position"] > 0
    assert r.headers["location"] == f"/cases/{body['id']}"
    assert r.headers["etag"] == '"1"'


def test_positions_grow_with_each_command(client, world):
    case = _case(client, world).json()
    r = client.post(f"/cases/{case['id']}/screening", json=ACCEPT, headers=world.h("registrar"))
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["position"] == case["position"] + 1


def test_if_match_with_the_current_version_succeeds(client, world):
    case = _case(client, world).json()["id"]
    r = client.post(
        f"/cases/{case}/screening", json=ACCEPT, headers=world.h("registrar", **{"If-Match": '"1"'})
    )
    assert r.status_code == 200, r.text


def test_if_match_with_a_stale_version_is_409_with_the_current_version(
    client, world, http_container
):
    case = _case(client, world).json()["id"]
    head = http_container.log.head()
    r = client.post(
        f"/cases/{case}/screening", json=ACCEPT, headers=world.h("registrar", **{"If-Match": "7"})
    )
    assert r.status_code == 409
    assert r.json()["current_version"] == 1 and r.headers["etag"] == '"1"'
    assert http_container.log.head() == head


def test_a_retry_with_the_same_key_returns_the_first_answer_and_appends_nothing(
    client, world, http_container
):
    first = _case(client, world, **{"Idempotency-Key": "reg-001"})
    head = http_container.log.head()
    again = _case(client, world, **{"Idempotency-Key": "reg-001"})
    # The petitioner's query code is answered once, by the first: the server does not keep it.
    assert again.json() == first.json() | {"query_code": None} and again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert http_container.log.head() == head


def test_a_retried_case_command_appends_nothing(client, world, http_container):
    case = _case(client, world).json()["id"]
    h = world.h("registrar", **{"Idempotency-Key": "screen-1"})
    first = client.post(f"/cases/{case}/screening", json=ACCEPT, headers=h)
    head = http_container.log.head()
    again = client.post(f"/cases/{case}/screening", json=ACCEPT, headers=h)
    assert again.status_code == 200 and again.json() == first.json()
    assert http_container.log.head() == head


def test_a_key_reused_with_a_different_body_is_422(client, world, http_container):
    case = _case(client, world).json()["id"]
    h = world.h("registrar", **{"Idempotency-Key": "screen-2"})
    client.post(f"/cases/{case}/screening", json=ACCEPT, headers=h)
    head = http_container.log.head()
    r = client.post(
        f"/cases/{case}/screening", json={**ACCEPT, "category": "suggestion"}, headers=h
    )
    assert r.status_code == 422 and r.json()["type"].endswith("idempotency-key-reused")
    assert http_container.log.head() == head


def test_a_key_reused_on_another_case_is_422_and_records_nothing(client, world, http_container):
    first, second = (_case(client, world).json()["id"] for _ in range(2))
    h = world.h("registrar", **{"Idempotency-Key": "screen-3"})
    assert client.post(f"/cases/{first}/screening", json=ACCEPT, headers=h).status_code == 200
    head = http_container.log.head()
    r = client.post(f"/cases/{second}/screening", json=ACCEPT, headers=h)
    assert r.status_code == 422 and r.json()["type"].endswith("idempotency-key-reused")
    assert r.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert http_container.log.head() == head


def test_a_key_reused_on_another_route_and_case_is_422(client, world, http_container):
    h = world.h("registrar", **{"Idempotency-Key": "reg-002"})
    client.post("/cases", json=world.case(), headers=h)
    other = _case(client, world).json()["id"]
    head = http_container.log.head()
    r = client.post(f"/cases/{other}/screening", json=ACCEPT, headers=h)
    assert r.status_code == 422 and r.json()["type"].endswith("idempotency-key-reused")
    assert http_container.log.head() == head


def test_a_key_reused_by_another_caller_is_not_their_replay(client, world):
    case = _case(client, world).json()["id"]
    client.post(
        f"/cases/{case}/screening",
        json=ACCEPT,
        headers=world.h("registrar", **{"Idempotency-Key": "k"}),
    )
    r = client.post(
        f"/cases/{case}/screening",
        json=ACCEPT,
        headers=world.h("handler", **{"Idempotency-Key": "k"}),
    )
    assert r.status_code == 422


def test_the_request_id_becomes_the_correlation_id(client, world, http_container):
    r = _case(client, world, **{"X-Request-Id": "req-abc-123"})
    assert r.headers["x-request-id"] == "req-abc-123"
    (event,) = http_container.log.read(r.json()["position"] - 1, 1)
    assert event.meta.correlation_id == "req-abc-123" and event.meta.actor_id == "reg-1"


def test_a_resolution_without_served_at_is_served_now(client, world, http_container, http_clock):
    case = _case(client, world).json()["id"]
    client.post(f"/cases/{case}/screening", json=ACCEPT, headers=world.h("registrar"))
    client.post(
        f"/cases/{case}/assignment",
        json={"unit_id": str(world.county), "leader_id": str(world.leader)},
        headers=world.h("handler"),
    )
    r = client.post(
        f"/cases/{case}/resolution",
        json={"outcome": "explained", "reply": "ok"},
        headers=world.h("handler"),
    )
    assert r.status_code == 200, r.text
    (event,) = http_container.log.read(r.json()["position"] - 1, 1)
    assert event.data["served_at"] == http_clock.now


def test_a_handler_of_another_county_may_not_touch_the_case(client, world, http_container):
    case = _case(client, world).json()["id"]
    head = http_container.log.head()
    r = client.post(f"/cases/{case}/screening", json=ACCEPT, headers=world.h("handler-other"))
    unknown = client.post(
        f"/cases/{uuid4()}/screening", json=ACCEPT, headers=world.h("handler-other")
    )
    # the very answer an unknown id gets: nobody outside learns the case exists
    assert r.status_code == unknown.status_code == 404
    assert r.json()["detail"] == f"No case with id {case}."
    assert http_container.log.head() == head


def test_a_handler_of_the_city_above_may_act_on_the_county_case(client, world):
    case = _case(client, world).json()["id"]
    r = client.post(f"/cases/{case}/screening", json=ACCEPT, headers=world.h("handler-city"))
    assert r.status_code == 200, r.text


def test_a_registrar_may_not_register_for_an_org_outside_their_scope(client, world):
    body = world.case(receiving_org_id=str(world.other_county))
    assert client.post("/cases", json=body, headers=world.h("registrar")).status_code == 403


def test_operators_register_orgs_and_leaders(client, world):
    r = client.post(
        "/orgs",
        json={"name": "Town", "level": "township", "parent_id": str(world.county)},
        headers=world.h("operator"),
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/leaders",
        json={"name": "Leader Zhao", "title": "Mayor", "org_id": r.json()["id"]},
        headers=world.h("operator"),
    )
    assert r.status_code == 201, r.text


def test_an_org_below_a_lower_level_is_409(client, world):
    r = client.post(
        "/orgs",
        json={"name": "Wrong", "level": "province", "parent_id": str(world.county)},
        headers=world.h("operator"),
    )
    assert r.status_code == 409 and r.json()["rule"] == "org.parent_level"
