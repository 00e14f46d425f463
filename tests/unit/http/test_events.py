"""The public event feed: CloudEvents structured JSON, paging, and no personal data."""

from __future__ import annotations

import orjson
from cloudevents.core.formats.json import JSONFormat

from tests.unit.http.world import pii_in


def _register(client, world, n=1):
    for _ in range(n):
        r = client.post("/cases", json=world.case(), headers=world.h("registrar"))
        assert r.status_code == 201, r.text


def test_the_feed_is_a_batch_of_structured_cloudevents(client, world):
    _register(client, world)
    r = client.get("/events", params={"after": 0, "limit": 100}, headers=world.h("analyst"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/cloudevents-batch+json")
    events = r.json()
    for item in events:
        event = JSONFormat().read(None, orjson.dumps(item))  # the SDK validates attributes
        assert event.get_specversion() == "1.0" and event.get_id() == item["id"]
    received = [e for e in events if e["type"] == "caseflow.case.received.v1"]
    assert received and received[0]["sequence"] == f"{int(received[0]['sequence']):020d}"


def test_the_feed_pages_with_after_and_a_next_link(client, world):
    _register(client, world, 3)
    first = client.get("/events", params={"limit": 2}, headers=world.h("analyst"))
    assert 'rel="next"' in first.headers["link"]
    last = int(first.json()[-1]["sequence"])
    second = client.get("/events", params={"after": last, "limit": 2}, headers=world.h("analyst"))
    assert int(second.json()[0]["sequence"]) == last + 1


def test_the_feed_never_carries_petitioner_personal_data(client, world):
    _register(client, world)
    r = client.get("/events", params={"limit": 1000}, headers=world.h("supervisor"))
    assert pii_in(r.text) == []
    received = next(e for e in r.json() if e["type"] == "caseflow.case.received.v1")
    assert received["data"]["petitioner_count"] == 1
    assert "petitioners" not in received["data"] and "request" not in received["data"]


def test_the_feed_is_not_for_caseworkers(client, world):
    assert client.get("/events", headers=world.h("handler")).status_code == 403


def test_a_limit_over_the_maximum_is_422(client, world):
    r = client.get("/events", params={"limit": 10_000}, headers=world.h("analyst"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.limit"


def test_an_after_beyond_the_log_gives_an_empty_page(client, world):
    r = client.get("/events", params={"after": 10**12}, headers=world.h("analyst"))
    assert r.status_code == 200 and orjson.loads(r.content) == []
