"""Every error is RFC 9457 problem+json with a 4xx that says what to fix; hostile input never
gets a 5xx."""

from __future__ import annotations

from uuid import UUID

import orjson
import pytest

PROBLEM = "application/problem+json"


def _problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def _case(client, world):
    r = client.post("/cases", json=world.case(), headers=world.h("registrar"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_missing_field_is_422_naming_it(client, world):
    body = world.case()
    del body["subject"]
    p = _problem(client.post("/cases", json=body, headers=world.h("registrar")), 422)
    assert {"field": "body.subject", "message": "Field required"} in p["errors"]


def test_a_naive_datetime_is_422_naming_the_field(client, world):
    body = world.case(received_at="2026-03-01T09:00:00")
    p = _problem(client.post("/cases", json=body, headers=world.h("registrar")), 422)
    assert p["errors"][0]["field"] == "body.received_at"


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_datetimes_at_the_edge_of_the_calendar_are_422(client, world, moment):
    body = world.case(received_at=moment)
    _problem(client.post("/cases", json=body, headers=world.h("registrar")), 422)


def test_a_malformed_uuid_in_the_path_is_422(client, world):
    r = client.post(
        "/cases/not-a-uuid/screening", json={"decision": "accept"}, headers=world.h("registrar")
    )
    assert _problem(r, 422)["errors"][0]["field"] == "path.case_id"


def test_a_huge_integer_is_422(client, world):
    body = world.case(headcount=10**30)
    p = _problem(client.post("/cases", json=body, headers=world.h("registrar")), 422)
    assert p["errors"][0]["field"] == "body.headcount"


def test_a_nul_byte_in_a_string_is_422(client, world):
    body = world.case(subject="wages\x00owed")
    p = _problem(client.post("/cases", json=body, headers=world.h("registrar")), 422)
    assert "NUL" in p["errors"][0]["message"]


def test_a_lone_surrogate_is_422(client, world):
    raw = b'{"reason": "\\ud800"}'
    case = _case(client, world)
    r = client.post(
        f"/cases/{case}/closure",
        content=raw,
        headers=world.h("registrar", **{"content-type": "application/json"}),
    )
    assert _problem(r, 422)["errors"][0]["field"] == "body.reason"


def test_deeply_nested_json_is_4xx(client, world):
    raw = b'{"reason": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    case = _case(client, world)
    r = client.post(
        f"/cases/{case}/closure",
        content=raw,
        headers=world.h("registrar", **{"content-type": "application/json"}),
    )
    assert 400 <= r.status_code < 500 and r.headers["content-type"] == PROBLEM


def test_invalid_json_is_400(client, world):
    r = client.post(
        "/cases",
        content=b"{not json",
        headers=world.h("registrar", **{"content-type": "application/json"}),
    )
    _problem(r, 400)


def test_a_body_that_is_not_json_is_415(client, world):
    r = client.post(
        "/cases",
        content=b"subject=x",
        headers=world.h("registrar", **{"content-type": "application/x-www-form-urlencoded"}),
    )
    _problem(r, 415)


def test_a_declared_oversized_body_is_413(client, world):
    big = world.case(request="x" * 70_000)
    p = _problem(client.post("/cases", json=big, headers=world.h("registrar")), 413)
    assert "64000" in p["detail"]


def test_a_streamed_oversized_body_is_413(client, world):
    def chunks():
        yield b'{"request": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    r = client.post(
        "/cases",
        content=chunks(),
        headers=world.h("registrar", **{"content-type": "application/json"}),
    )
    _problem(r, 413)


def test_an_unknown_route_is_404(client):
    assert "/no/such/thing" in _problem(client.get("/no/such/thing"), 404)["detail"]


def test_a_wrong_method_is_405_naming_every_method_the_resource_takes(client):
    r = client.delete("/cases")  # GET lists cases, POST registers one: two routes, one path
    assert "DELETE is not allowed" in _problem(r, 405)["detail"]
    assert r.headers["allow"] == "GET, POST"
    r = client.get(f"/cases/{UUID(int=1)}/screening")
    _problem(r, 405)
    assert r.headers["allow"] == "POST"


def test_no_token_is_401_with_a_challenge(client, world):
    r = client.post("/cases", json=world.case())
    _problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_an_unknown_token_is_401(client, world):
    _problem(client.post("/cases", json=world.case(), headers=world.h("forged")), 401)


def test_a_role_that_may_not_is_403(client, world):
    _problem(client.post("/cases", json=world.case(), headers=world.h("analyst")), 403)


def test_an_unknown_case_is_404(client, world):
    r = client.post(
        "/cases/00000000-0000-4000-8000-000000000000/screening",
        json={"decision": "accept", "category": "appeal"},
        headers=world.h("registrar"),
    )
    assert "00000000-0000-4000-8000-000000000000" in _problem(r, 404)["detail"]


def test_a_domain_rule_is_409_with_the_rule(client, world):
    case = _case(client, world)
    r = client.post(
        f"/cases/{case}/resolution",
        json={"outcome": "supported", "reply": "done"},
        headers=world.h("handler"),
    )
    p = _problem(r, 409)
    assert p["rule"] == "resolved.when" and "assigned" in p["detail"]


def test_invalid_domain_input_is_422_naming_the_field(client, world):
    body = world.case(headcount=1, petitioners=[{"name": "A"}, {"name": "B"}])
    p = _problem(client.post("/cases", json=body, headers=world.h("registrar")), 422)
    assert p["rule"].startswith("received.")


def test_a_malformed_if_match_is_422(client, world):
    case = _case(client, world)
    r = client.post(
        f"/cases/{case}/screening",
        json={"decision": "accept", "category": "appeal"},
        headers=world.h("registrar", **{"If-Match": "yesterday"}),
    )
    assert _problem(r, 422)["errors"][0]["field"] == "header.If-Match"


def test_a_malformed_idempotency_key_is_422(client, world):
    r = client.post(
        "/cases",
        json=world.case(),
        headers=world.h("registrar", **{"Idempotency-Key": "has spaces in it"}),
    )
    assert _problem(r, 422)["errors"][0]["field"] == "header.Idempotency-Key"


def test_a_future_registration_is_409(client, world):
    body = world.case(received_at="2030-01-01T00:00:00+00:00")
    assert (
        _problem(client.post("/cases", json=body, headers=world.h("registrar")), 409)["rule"]
        == "time.future"
    )


@pytest.mark.parametrize("content_type", [None, "text/plain"])
def test_json_sent_without_a_json_content_type_is_415(client, world, content_type):
    extra = {"content-type": content_type} if content_type else {}
    before = client.app.state.api.app.recorder.max_notification_id()
    r = client.post(
        "/cases", content=orjson.dumps(world.case()), headers=world.h("registrar", **extra)
    )
    _problem(r, 415)
    assert client.app.state.api.app.recorder.max_notification_id() == before


@pytest.mark.parametrize("moment", [1772326800, "1772326800", 1772326800.5, "2026-03-01"])
def test_a_time_that_is_not_an_rfc3339_string_with_offset_is_422(client, world, moment):
    p = _problem(
        client.post("/cases", json=world.case(received_at=moment), headers=world.h("registrar")),
        422,
    )
    assert p["errors"][0]["field"] == "body.received_at"
    assert "RFC 3339" in p["errors"][0]["message"]
