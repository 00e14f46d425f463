"""A petitioner follows their case by its query code (查询码), without an account: what they see,
what they may not see, rating a decision, and guessing made useless."""

from __future__ import annotations

import logging
import re

import pytest

from caseflow.infra.http.ratelimit import PublicLimits, RateLimit
from tests.unit.http.world import pii_in

ACCEPT = {"decision": "accept", "category": "appeal"}
WRONG = "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-A"


@pytest.fixture
def client(views_client):
    return views_client


def _register(client, world, http_container, **over):
    r = client.post("/cases", json=world.case(**over), headers=world.h("registrar"))
    assert r.status_code == 201, r.text
    body = r.json()
    views = http_container.views
    assert views.wait_for(body["position"], timeout=5, names=("query_codes",))
    return body


def _decide(client, world, case_id):
    h = world.h("handler")
    for path, body in (
        ("screening", ACCEPT),
        ("assignment", {"unit_id": str(world.county), "leader_id": str(world.leader)}),
        ("extensions", {"days": 10, "reason": "site survey", "approved_by": "leader-1"}),
        ("resolution", {"outcome": "explained", "reply": "ok"}),
    ):
        r = client.post(f"/cases/{case_id}/{path}", json=body, headers=h)
        assert r.status_code == 200, r.text


def test_registration_answers_a_long_random_query_code_once(client, world, http_container):
    first = _register(client, world, http_container)["query_code"]
    second = _register(client, world, http_container)["query_code"]
    assert re.fullmatch(r"([A-Z2-7]{5}-){5}[A-Z2-7]", first) and first != second


def test_only_the_codes_digest_is_stored(client, world, http_container):
    body = _register(client, world, http_container)
    events = [e for e in http_container.log.read(0, 1000) if e.name == "case.received"]
    assert body["query_code"] not in repr(events)
    assert body["query_code"].replace("-", "") not in repr(events)


def test_the_right_code_shows_status_and_the_notices_owed(client, world, http_container):
    code = _register(client, world, http_container)["query_code"]
    r = client.get(f"/public/cases/{code}")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["status"] == "registered" and body["received_on"] == "2026-03-01"
    acceptance = {
        "notice": "acceptance_decision",
        "due_on": "2026-03-16",
        "served_on": None,
        "state": "open",
        "overdue": False,
    }
    assert body["notices"] == [acceptance] and body["next_due"] == acceptance
    assert body["evaluation_open"] is None


def test_the_code_reads_forgiving_case_spaces_and_dashes(client, world, http_container):
    code = _register(client, world, http_container)["query_code"]
    typed = code.lower().replace("-", " ")
    assert client.get(f"/public/cases/{typed}").status_code == 200


def test_after_the_reply_the_petitioner_sees_its_dates_the_extension_and_their_window(
    client, world, http_container
):
    body = _register(client, world, http_container)
    _decide(client, world, body["id"])
    seen = client.get(f"/public/cases/{body['query_code']}").json()
    assert seen["status"] == "resolved"
    assert [(n["notice"], n["state"]) for n in seen["notices"]] == [
        ("acceptance_decision", "done"),
        ("reply", "done"),
    ]
    assert seen["notices"][1]["due_on"] == "2026-05-11"  # 60 days + the 10 of the extension
    assert seen["extensions"] == [{"granted_on": "2026-03-02", "days": 10}]
    assert seen["rights"] == [{"right": "request_review", "until": "2026-04-01", "state": "open"}]
    assert seen["next_due"] is None and seen["evaluation_open"] == "resolution"


def test_nothing_internal_and_no_personal_data_is_shown(client, world, http_container):
    body = _register(client, world, http_container)
    _decide(client, world, body["id"])
    text = client.get(f"/public/cases/{body['query_code']}").text
    assert pii_in(text) == []
    for internal in (
        body["id"],
        str(world.county),
        str(world.leader),
        "handler-1",
        "reg-1",
        "site survey",
        "Wage arrears",
        "explained",
    ):
        assert internal not in text


def test_a_code_shows_its_own_case_only(client, world, http_container):
    mine = _register(client, world, http_container)["query_code"]
    other = _register(client, world, http_container, received_at="2026-02-20T09:00:00+08:00")
    assert client.get(f"/public/cases/{mine}").json()["received_on"] == "2026-03-01"
    assert client.get(f"/public/cases/{other['query_code']}").json()["received_on"] == "2026-02-20"


@pytest.mark.parametrize("code", [WRONG, "not-a-code", "x" * 100])
def test_a_wrong_code_is_404_and_counted(client, world, http_container, code):
    _register(client, world, http_container)
    r = client.get(f"/public/cases/{code}")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert "caseflow_public_lookup_failures_total 1.0" in client.get("/metrics").text


def test_a_replayed_registration_does_not_answer_a_code_it_did_not_record(client, world):
    h = world.h("registrar", **{"Idempotency-Key": "reg-42"})
    first = client.post("/cases", json=world.case(), headers=h)
    again = client.post("/cases", json=world.case(), headers=h)
    assert first.json()["query_code"] and again.json()["query_code"] is None


def test_the_petitioner_rates_the_reply_as_themselves(client, world, http_container):
    body = _register(client, world, http_container)
    _decide(client, world, body["id"])
    r = client.post(f"/public/cases/{body['query_code']}/evaluation", json={"rating": "satisfied"})
    assert r.status_code == 200, r.text
    assert r.json() == {"stage": "resolution", "rating": "satisfied"}
    (event,) = [e for e in http_container.log.read(0, 1000) if e.name == "case.evaluated"]
    assert (event.aggregate_id, event.meta.actor_role) == (_uuid(body["id"]), "petitioner")
    again = client.post(
        f"/public/cases/{body['query_code']}/evaluation", json={"rating": "dissatisfied"}
    )
    assert again.status_code == 409 and again.json()["rule"] == "evaluated.once_per_stage"


def test_nothing_is_rated_before_a_decision_is_served(client, world, http_container):
    code = _register(client, world, http_container)["query_code"]
    r = client.post(f"/public/cases/{code}/evaluation", json={"rating": "satisfied"})
    assert r.status_code == 409 and r.json()["rule"] == "evaluated.after_decision"


def test_a_rating_with_a_wrong_code_changes_nothing(client, world, http_container):
    _register(client, world, http_container)
    head = http_container.log.head()
    r = client.post(f"/public/cases/{WRONG}/evaluation", json={"rating": "satisfied"})
    assert r.status_code == 404 and http_container.log.head() == head


def test_guessing_from_one_address_is_throttled(client, world, http_container):
    code = _register(client, world, http_container)["query_code"]
    client.app.state.api.public_limits = PublicLimits(RateLimit(5, 60), RateLimit(100, 60))
    answers = [client.get(f"/public/cases/{WRONG[:-1]}{c}").status_code for c in "BCDEF"]
    r = client.get(f"/public/cases/{code}")  # even the right code, from that address, waits
    assert answers == [404] * 5 and r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.headers["content-type"] == "application/problem+json"


def test_one_code_is_throttled_whatever_the_address(client, world, http_container):
    code = _register(client, world, http_container)["query_code"]
    client.app.state.api.public_limits = PublicLimits(RateLimit(100, 60), RateLimit(3, 60))
    answers = [client.get(f"/public/cases/{code}").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_the_public_routes_need_no_token_in_the_openapi_document(client):
    spec = client.get("/openapi.json").json()
    assert "security" not in spec["paths"]["/public/cases/{code}"]["get"]
    assert spec["paths"]["/cases"]["post"]["security"] == [{"bearer": []}]


def test_a_code_never_reaches_the_logs(client, world, http_container, caplog):
    code = _register(client, world, http_container)["query_code"]
    access = logging.getLogger("uvicorn.access")  # uvicorn may have stopped it propagating
    access.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO), caplog.at_level(logging.INFO, logger=access.name):
            assert client.get(f"/public/cases/{code}").status_code == 200
            # what uvicorn's access log writes for that request
            access.info(
                '%s - "%s %s HTTP/%s" %d',
                "127.0.0.1:50000",
                "GET",
                f"/public/cases/{code}",
                "1.1",
                200,
            )
    finally:
        access.removeHandler(caplog.handler)
    server = "\n".join(r.getMessage() for r in caplog.records if r.name != "httpx")  # not ours
    assert code not in server and "/public/cases/<code> HTTP/1.1" in server


def _uuid(text):
    from uuid import UUID

    return UUID(text)
