"""Request headers mean what they say: If-Match on a create, or with a weak tag, cannot hold
(412, nothing recorded)."""

from __future__ import annotations

import pytest


def _head(client) -> int:
    return client.app.state.api.app.recorder.max_notification_id()


@pytest.mark.parametrize("tag", ['"1"', "*", 'W/"1"'])
def test_if_match_on_a_create_is_412(client, world, tag):
    before = _head(client)
    r = client.post("/cases", json=world.case(), headers=world.h("registrar", **{"If-Match": tag}))
    assert r.status_code == 412, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert _head(client) == before
    r = client.post(
        "/orgs",
        json={"name": "Township", "level": "township", "parent_id": str(world.county)},
        headers=world.h("operator", **{"If-Match": tag}),
    )
    assert r.status_code == 412, r.text
    assert _head(client) == before


def test_a_weak_tag_never_matches(client, world):
    case = client.post("/cases", json=world.case(), headers=world.h("registrar")).json()
    before = _head(client)
    r = client.post(
        f"/cases/{case['id']}/screening",
        json={"decision": "accept", "category": "appeal"},
        headers=world.h("registrar", **{"If-Match": f'W/"{case["version"]}"'}),
    )
    assert r.status_code == 412, r.text
    assert _head(client) == before


def test_a_strong_tag_of_the_current_version_matches(client, world):
    case = client.post("/cases", json=world.case(), headers=world.h("registrar")).json()
    r = client.post(
        f"/cases/{case['id']}/screening",
        json={"decision": "accept", "category": "appeal"},
        headers=world.h("registrar", **{"If-Match": f'"{case["version"]}"'}),
    )
    assert r.status_code == 200, r.text
