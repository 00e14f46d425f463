"""Free text typed in someone's own words (the petitioner's grounds for a review, replies,
instructions, a meeting place) never reaches analysts or the feed unless the deployment
publishes that field; caseworkers and supervisors read it whole."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest
from fastapi.testclient import TestClient

from caseflow.infra.bootstrap import Container, bootstrap
from caseflow.infra.http import create_app
from caseflow.infra.http.stream import public_events
from caseflow.infra.kafka.envelope import to_record
from caseflow.infra.settings import Settings
from tests.backends import FrozenClock
from tests.unit.http.world import World, build_world

# One marker per free-text field; each must stay out of every analyst's and the feed's reads.
TYPED = {
    "subject": "TYPED-SUBJECT my landlord Mr Q",
    "instructions": "TYPED-INSTRUCTIONS call her at home",
    "location": "TYPED-LOCATION her flat 3-201",
    "extension": "TYPED-EXTENSION she is in hospital",
    "reply": "TYPED-REPLY you will be paid",
    "review": "TYPED-REVIEW-REASON my husband was beaten",
    "review_reply": "TYPED-REVIEW-REPLY upheld",
    "recheck": "TYPED-RECHECK-REASON they threatened my son",
    "recheck_reply": "TYPED-RECHECK-REPLY final",
    "instruction": "TYPED-SUPERVISION-INSTRUCTION hurry",
    "closure": "TYPED-CLOSURE she moved away",
}


def _client(tmp_path, published: str = "") -> Iterator[tuple[TestClient, World, Container]]:
    clock = FrozenClock()
    settings = Settings(data_dir=tmp_path / "var", publish_free_text=published)
    container = bootstrap(settings, clock=clock)
    world = build_world(container)
    app = create_app(container, tokens=world.principals, background=True, read_wait=5.0)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            _whole_life(client, world, clock)
            yield client, world, container
    finally:
        container.close()


def _post(client: TestClient, world: World, who: str, path: str, body: dict) -> dict:
    r = client.post(path, json=body, headers=world.h(who))
    assert r.status_code in (200, 201), (path, r.text)
    return r.json()


def _whole_life(client: TestClient, world: World, clock: FrozenClock) -> None:
    case = _post(client, world, "registrar", "/cases", world.case(subject=TYPED["subject"]))["id"]
    c = f"/cases/{case}"
    _post(
        client, world, "registrar", f"{c}/screening", {"decision": "accept", "category": "appeal"}
    )
    _post(
        client,
        world,
        "supervisor",
        f"{c}/supervision",
        {"instruction": TYPED["instruction"], "due_at": "2026-03-20T00:00:00+08:00"},
    )
    _post(
        client,
        world,
        "handler",
        f"{c}/assignment",
        {
            "unit_id": str(world.county),
            "leader_id": str(world.leader),
            "instructions": TYPED["instructions"],
        },
    )
    _post(
        client,
        world,
        "leader",
        f"{c}/visits",
        {
            "leader_id": str(world.leader),
            "mode": "reception",
            "visited_on": "2026-03-02",
            "location": TYPED["location"],
        },
    )
    _post(
        client,
        world,
        "handler",
        f"{c}/extensions",
        {"days": 10, "reason": TYPED["extension"], "approved_by": "director"},
    )
    _post(
        client,
        world,
        "handler",
        f"{c}/resolution",
        {"outcome": "explained", "reply": TYPED["reply"]},
    )
    _post(client, world, "registrar", f"{c}/review-requests", {"reason": TYPED["review"]})
    _post(
        client,
        world,
        "supervisor",
        f"{c}/review-decisions",
        {"outcome": "upheld", "reply": TYPED["review_reply"]},
    )
    _post(client, world, "registrar", f"{c}/recheck-requests", {"reason": TYPED["recheck"]})
    _post(
        client,
        world,
        "supervisor",
        f"{c}/recheck-decisions",
        {"outcome": "upheld", "reply": TYPED["recheck_reply"]},
    )
    last = _post(client, world, "registrar", f"{c}/closure", {"reason": TYPED["closure"]})
    world.case_id, world.last_position = case, last["position"]  # type: ignore[attr-defined]


def _reads(client: TestClient, world: World, who: str) -> str:
    """Everything `who` can read about the case, concatenated."""
    case, wait = world.case_id, {"min_position": world.last_position}  # type: ignore[attr-defined]
    h = world.h(who)
    out = [
        client.get(f"/cases/{case}", params=wait, headers=h).text,
        client.get("/cases", params=wait, headers=h).text,
        client.get(f"/cases/{case}/history", params=wait, headers=h).text,
        client.get(f"/cases/{case}/history", params={"as_of": "3"}, headers=h).text,
    ]
    if who in ("analyst", "supervisor", "operator"):
        for actor in ("reg-1", "handler-1", "leader-1", "sup-1"):
            out.append(client.get("/audit", params={"actor": actor, **wait}, headers=h).text)
        out.append(client.get("/events", params={"limit": 1000}, headers=h).text)
    return "\n".join(out)


@pytest.fixture
def withheld(tmp_path) -> Iterator[tuple[TestClient, World, Container]]:
    yield from _client(tmp_path)


def test_analysts_read_none_of_the_free_text(withheld):
    client, world, _ = withheld
    text = _reads(client, world, "analyst")
    assert world.case_id in text  # type: ignore[attr-defined]  # they did read the case
    assert [k for k, v in TYPED.items() if v in text] == []


def test_operators_and_the_feed_read_none_of_the_free_text(withheld):
    client, world, _ = withheld
    text = _reads(client, world, "operator")
    assert "caseflow.case.review_requested.v1" in text
    assert [k for k, v in TYPED.items() if v in text] == []


def test_kafka_records_carry_none_of_the_free_text(withheld):
    _, _, container = withheld
    values = b"".join(
        to_record(e, "/t", container.settings.disclosure()).value
        for e in container.log.read(0, 1000)
    )
    assert b"caseflow" not in values and b"to_org_id" in values
    assert [k for k, v in TYPED.items() if v.encode() in values] == []


def test_the_sse_stream_carries_none_of_the_free_text(withheld):
    client, world, container = withheld
    api = client.app.state.api

    async def frames() -> bytes:
        out = b""
        stream = public_events(container.log, api.tail, 0, "/t", 0.1, api.disclosure)
        async for frame in stream:
            out += frame
            if b"caseflow.case.closed.v1" in frame:
                break
        await stream.aclose()
        return out

    text = anyio.run(frames)
    assert b"caseflow.case.recheck_requested.v1" in text
    assert [k for k, v in TYPED.items() if v.encode() in text] == []


def test_supervisors_and_caseworkers_read_it_whole(withheld):
    client, world, _ = withheld
    supervisor = _reads(client, world, "supervisor")
    assert [k for k, v in TYPED.items() if v not in supervisor] == []
    handler = _reads(client, world, "handler")
    assert TYPED["review"] in handler and TYPED["recheck"] in handler


def test_a_deployment_can_publish_one_field_and_only_that(tmp_path):
    for client, world, _ in _client(tmp_path, published="case.visited.location"):
        text = _reads(client, world, "analyst")
        assert [k for k, v in TYPED.items() if v in text] == ["location"]


def test_an_unknown_published_field_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match="not a free-text field"):
        Settings(data_dir=tmp_path, publish_free_text="case.received.request")
