"""Queries: read-your-writes with min_position, org scope, personal data only for those who may
see it, time travel, audit, statistics."""

from __future__ import annotations

import pytest

from tests.unit.http.world import PII, pii_in

ACCEPT = {"decision": "accept", "category": "appeal"}


@pytest.fixture
def client(views_client):
    return views_client


def _case(client, world):
    r = client.post("/cases", json=world.case(), headers=world.h("registrar"))
    assert r.status_code == 201, r.text
    return r.json()


def _screen(client, world, case_id):
    r = client.post(f"/cases/{case_id}/screening", json=ACCEPT, headers=world.h("registrar"))
    assert r.status_code == 200, r.text
    return r.json()


def test_min_position_reads_your_own_write(client, world):
    case = _case(client, world)
    screened = _screen(client, world, case["id"])
    r = client.get(
        f"/cases/{case['id']}",
        params={"min_position": screened["position"]},
        headers=world.h("handler"),
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert r.headers["etag"] == '"2"'


def test_min_position_beyond_the_log_is_422(client, world):
    r = client.get("/cases", params={"min_position": 10**9}, headers=world.h("handler"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.min_position"


def test_views_that_do_not_catch_up_in_time_give_503_with_retry_after(client, world, monkeypatch):
    case = _case(client, world)
    views = client.app.state.api.views
    monkeypatch.setattr(views, "wait_for", lambda *a, **k: False)
    r = client.get("/cases", params={"min_position": case["position"]}, headers=world.h("handler"))
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert r.json()["type"].endswith("views-behind")


def test_caseworkers_in_scope_see_the_petition(client, world):
    case = _case(client, world)
    r = client.get(
        f"/cases/{case['id']}",
        params={"min_position": case["position"]},
        headers=world.h("handler"),
    )
    assert r.json()["petition"]["petitioners"][0]["id_number"] == PII["id_number"]


def test_analysts_see_the_case_without_personal_data(client, world):
    case = _case(client, world)
    r = client.get(
        f"/cases/{case['id']}",
        params={"min_position": case["position"]},
        headers=world.h("analyst"),
    )
    assert r.status_code == 200 and "petition" not in r.json()
    assert pii_in(r.text) == []


def test_a_handler_of_another_county_may_not_read_the_case(client, world):
    case = _case(client, world)
    for path in ("", "/history"):
        r = client.get(f"/cases/{case['id']}{path}", headers=world.h("handler-other"))
        assert r.status_code == 404, path
        assert r.json()["detail"] == f"No case with id {case['id']}."


def test_the_case_list_is_limited_to_the_callers_org_and_below(client, world):
    case = _case(client, world)
    params = {"min_position": case["position"]}
    mine = client.get("/cases", params=params, headers=world.h("handler")).json()
    other = client.get("/cases", params=params, headers=world.h("handler-other")).json()
    above = client.get("/cases", params=params, headers=world.h("handler-city")).json()
    assert [c["case_id"] for c in mine["items"]] == [case["id"]]
    assert other["items"] == [] and len(above["items"]) == 1


def test_the_case_list_filters_by_status(client, world):
    first, second = _case(client, world), _case(client, world)
    screened = _screen(client, world, second["id"])
    r = client.get(
        "/cases",
        params={"status": "accepted", "min_position": screened["position"]},
        headers=world.h("supervisor"),
    )
    assert [c["case_id"] for c in r.json()["items"]] == [second["id"]]
    assert first["id"] not in r.text


def test_a_small_case_list_has_an_exact_total(client, world):
    first, second = _case(client, world), _case(client, world)
    body = client.get(
        "/cases", params={"min_position": second["position"]}, headers=world.h("supervisor")
    ).json()
    assert body["total"] == 2 and body["total_capped"] is False
    assert {c["case_id"] for c in body["items"]} == {first["id"], second["id"]}


def test_an_unknown_case_is_404(client, world):
    r = client.get("/cases/00000000-0000-4000-8000-000000000000", headers=world.h("supervisor"))
    assert r.status_code == 404


def test_history_as_of_a_version_shows_the_case_then(client, world):
    case = _case(client, world)
    screened = _screen(client, world, case["id"])
    r = client.get(
        f"/cases/{case['id']}/history",
        params={"as_of": "1", "min_position": screened["position"]},
        headers=world.h("supervisor"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"]["status"] == "registered"
    assert [e["event"] for e in body["events"]] == ["case.received"]


def test_history_without_as_of_is_the_whole_trail(client, world):
    case = _case(client, world)
    screened = _screen(client, world, case["id"])
    r = client.get(
        f"/cases/{case['id']}/history",
        params={"min_position": screened["position"]},
        headers=world.h("supervisor"),
    )
    assert [e["event"] for e in r.json()["events"]] == ["case.received", "case.screened"]
    assert r.json()["events"][0]["payload"]["request"] == PII["request"]


def test_history_for_an_analyst_has_no_personal_data(client, world):
    case = _case(client, world)
    r = client.get(
        f"/cases/{case['id']}/history",
        params={"min_position": case["position"]},
        headers=world.h("analyst"),
    )
    assert r.status_code == 200 and pii_in(r.text) == []


def test_an_unreadable_as_of_is_422(client, world):
    case = _case(client, world)
    r = client.get(
        f"/cases/{case['id']}/history",
        params={"as_of": "last tuesday"},
        headers=world.h("supervisor"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.as_of"


def test_audit_by_actor_lists_what_they_did(client, world):
    case = _case(client, world)
    screened = _screen(client, world, case["id"])
    r = client.get(
        "/audit",
        params={"actor": "reg-1", "min_position": screened["position"]},
        headers=world.h("supervisor"),
    )
    assert [i["event"] for i in r.json()["items"]] == ["case.received", "case.screened"]


def test_audit_for_an_analyst_has_no_personal_data(client, world):
    case = _case(client, world)
    r = client.get(
        "/audit",
        params={"actor": "reg-1", "min_position": case["position"]},
        headers=world.h("analyst"),
    )
    assert r.json()["items"] and pii_in(r.text) == []


def test_an_unknown_period_is_422(client, world):
    r = client.get("/statistics/kpis", params={"period": "2026-13"}, headers=world.h("analyst"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.period"


def test_statistics_of_an_unknown_leader_is_404(client, world):
    r = client.get(
        "/leaders/00000000-0000-4000-8000-000000000000/statistics", headers=world.h("analyst")
    )
    assert r.status_code == 404


def test_leader_statistics_count_a_visit(client, world):
    case = _case(client, world)
    r = client.post(
        f"/cases/{case['id']}/visits",
        json={
            "leader_id": str(world.leader),
            "mode": "reception",
            "visited_on": "2026-03-02",
            "visitors": 3,
        },
        headers=world.h("leader"),
    )
    assert r.status_code == 200, r.text
    s = client.get(
        f"/leaders/{world.leader}/statistics",
        params={"period": "2026-03", "min_position": r.json()["position"]},
        headers=world.h("leader"),
    ).json()
    assert s["counts"]["batches"] == 1 and s["counts"]["person_times"] == 3
