"""Leaders in office over HTTP: registration takes `in_office_from`; departures, moves and
renames are commands of operators and supervisors; every refusal is a 4xx that records nothing.
(The clock stands at 2026-03-02 10:00 in Shanghai; the world's leader took office that day.)"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from caseflow.domain.errors import InvalidInput
from caseflow.services.app import Actor, Context


def _leader(client, world, **over):
    body = {"name": "Leader Sun", "title": "Head", "org_id": str(world.county)} | over
    return client.post("/leaders", json=body, headers=world.h("operator"))


def _last_event(container, aggregate_id):
    return container.app.history(UUID(str(aggregate_id)))[-1]


def refused(client, container, path, body, status, rule=None, who="operator"):
    """POST `path` is refused with `status` (naming `rule`), and the log did not grow."""
    head = container.log.head()
    r = client.post(path, json=body, headers={"Authorization": f"Bearer {who}"})
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    if rule is not None:
        assert r.json()["rule"] == rule
    assert container.log.head() == head
    return r.json()


def test_a_leader_registered_without_a_day_took_office_today(client, world, http_container):
    r = _leader(client, world)
    assert r.status_code == 201, r.text
    event = _last_event(http_container, r.json()["id"])
    assert str(event.in_office_from) == "2026-03-02"


def test_a_leader_registered_with_the_day_they_took_office(client, world, http_container):
    r = _leader(client, world, in_office_from="2025-11-17")
    assert str(_last_event(http_container, r.json()["id"]).in_office_from) == "2025-11-17"


def test_taking_office_in_the_future_is_refused(client, world, http_container):
    body = {"name": "Leader Sun", "org_id": str(world.county), "in_office_from": "2026-03-03"}
    refused(client, http_container, "/leaders", body, 422, "time.future")


def test_a_malformed_day_is_refused(client, world, http_container):
    body = {"name": "Leader Sun", "org_id": str(world.county), "in_office_from": "03/01/2026"}
    refused(client, http_container, "/leaders", body, 422)


def test_a_leader_leaves_office(client, world, http_container):
    r = client.post(
        f"/leaders/{world.leader}/departure",
        json={"on": "2026-03-02"},
        headers=world.h("supervisor"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    assert str(_last_event(http_container, world.leader).on) == "2026-03-02"


def test_leaving_office_twice_is_409_and_records_nothing(client, world, http_container):
    client.post(f"/leaders/{world.leader}/departure", json={}, headers=world.h("operator"))
    refused(
        client, http_container, f"/leaders/{world.leader}/departure", {}, 409, "left_office.twice"
    )


def test_leaving_before_taking_office_is_409(client, world, http_container):
    refused(
        client,
        http_container,
        f"/leaders/{world.leader}/departure",
        {"on": "2026-03-01"},
        409,
        "left_office.before_office",
    )


def test_leaving_in_the_future_is_422(client, world, http_container):
    refused(
        client,
        http_container,
        f"/leaders/{world.leader}/departure",
        {"on": "2026-03-05"},
        422,
        "time.future",
    )


def test_a_leader_moves_to_another_org(client, world, http_container):
    leader = _leader(client, world, in_office_from="2026-01-05").json()["id"]
    r = client.post(
        f"/leaders/{leader}/move",
        json={"to_org_id": str(world.city), "on": "2026-02-16"},
        headers=world.h("operator"),
    )
    assert r.status_code == 200, r.text
    moved = _last_event(http_container, leader)
    assert (moved.to_org_id, str(moved.level), str(moved.on)) == (world.city, "city", "2026-02-16")


def test_a_move_to_an_unknown_org_is_404(client, world, http_container):
    refused(
        client, http_container, f"/leaders/{world.leader}/move", {"to_org_id": str(uuid4())}, 404
    )


def test_a_move_on_the_day_office_was_taken_is_409(client, world, http_container):
    refused(
        client,
        http_container,
        f"/leaders/{world.leader}/move",
        {"to_org_id": str(world.city)},
        409,
        "moved.before_office",
    )


def test_a_move_after_leaving_office_is_409(client, world, http_container):
    leader = _leader(client, world, in_office_from="2026-01-05").json()["id"]
    client.post(
        f"/leaders/{leader}/departure", json={"on": "2026-01-31"}, headers=world.h("operator")
    )
    refused(
        client,
        http_container,
        f"/leaders/{leader}/move",
        {"to_org_id": str(world.city), "on": "2026-02-16"},
        409,
        "moved.after_leaving",
    )


def test_an_unknown_leader_is_404(client, world, http_container):
    refused(client, http_container, f"/leaders/{uuid4()}/departure", {}, 404)


def test_renames_are_recorded(client, world, http_container):
    r = client.post(
        f"/leaders/{world.leader}/rename",
        json={"name": "Leader Li Jr."},
        headers=world.h("operator"),
    )
    assert r.status_code == 200, r.text
    renamed = _last_event(http_container, world.leader)
    assert (renamed.name, renamed.title) == ("Leader Li Jr.", "Deputy head")
    r = client.post(
        f"/orgs/{world.county}/rename", json={"name": "New County"}, headers=world.h("supervisor")
    )
    assert r.status_code == 200, r.text
    assert _last_event(http_container, world.county).name == "New County"


@pytest.mark.parametrize("path", ["/leaders/{leader}/rename", "/orgs/{county}/rename"])
def test_a_rename_to_no_name_is_422(client, world, http_container, path):
    refused(
        client,
        http_container,
        path.format(leader=world.leader, county=world.county),
        {"name": ""},
        422,
    )


@pytest.mark.parametrize("who", ["registrar", "handler", "leader", "analyst"])
def test_only_operators_and_supervisors_change_the_directory(client, world, http_container, who):
    for path, body in (
        (f"/leaders/{world.leader}/departure", {}),
        (f"/leaders/{world.leader}/move", {"to_org_id": str(world.city)}),
        (f"/leaders/{world.leader}/rename", {"name": "X"}),
        (f"/orgs/{world.county}/rename", {"name": "X"}),
    ):
        refused(client, http_container, path, body, 403, who=who)


def test_a_retried_departure_appends_nothing(client, world, http_container):
    headers = world.h("operator", **{"Idempotency-Key": "leave-1"})
    first = client.post(f"/leaders/{world.leader}/departure", json={}, headers=headers)
    head = http_container.log.head()
    again = client.post(f"/leaders/{world.leader}/departure", json={}, headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
    assert http_container.log.head() == head


def test_a_date_and_time_given_for_a_day_is_refused_by_the_service(http_container, world):
    ctx = Context(actor=Actor("op-1", "operator"))
    with pytest.raises(InvalidInput) as caught:
        http_container.app.leave_office(ctx, world.leader, on=datetime(2026, 3, 1, tzinfo=UTC))
    assert caught.value.rule == "leader.on_type"


def _visit(client, world, case_id, leader_id, day):
    return client.post(
        f"/cases/{case_id}/visits",
        headers=world.h("handler"),
        json={"leader_id": str(leader_id), "mode": "reception", "visited_on": day},
    )


def test_a_visit_falls_within_the_leaders_term(client, world, http_container):
    case = client.post(
        "/cases",
        json=world.case(received_at="2026-02-10T09:00:00+08:00"),
        headers=world.h("handler"),
    ).json()["id"]
    leader = _leader(client, world, in_office_from="2026-02-16").json()["id"]
    assert (
        client.post(
            f"/leaders/{leader}/departure", json={"on": "2026-02-25"}, headers=world.h("operator")
        ).status_code
        == 200
    )
    for day, rule in (
        ("2026-02-15", "visited.before_office"),
        ("2026-02-26", "visited.after_office"),
    ):
        head = http_container.log.head()
        r = _visit(client, world, case, leader, day)
        assert r.status_code == 409, r.text
        assert r.json()["rule"] == rule
        assert http_container.log.head() == head
    # both ends of the term are days in office
    for day in ("2026-02-16", "2026-02-25"):
        assert _visit(client, world, case, leader, day).status_code == 200, day
