"""The server-sent event stream over real HTTP: ids are positions, resume with Last-Event-ID,
new events arrive live, idle connections get keep-alives, and a client that goes away ends its
generator on the server."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest

from caseflow.domain.values import OrgLevel
from caseflow.infra.auth import Principal
from caseflow.services.app import Actor, Context
from tests.unit.http.world import pii_in


def _frames(lines, count: int, timeout: float = 10.0) -> list[dict]:
    """The next `count` event frames (comments skipped) as {id, event, data}."""
    out, frame, deadline = [], {}, time.monotonic() + timeout
    for line in lines:
        if time.monotonic() > deadline:
            break
        if line == "":
            if "data" in frame:
                out.append(frame)
                if len(out) == count:
                    return out
            frame = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(": ")
            frame[key] = value
    return out


def _orgs(live, n: int) -> list[int]:
    ctx = Context(actor=Actor("setup", "operator"))
    return [
        live.container.app.register_org(ctx, name=f"Org {i}", level=OrgLevel.PROVINCE).position
        for i in range(n)
    ]


def _stream(live, **headers):
    client = live.client("analyst")
    return client, client.stream(
        "GET", "/events/stream", headers=headers, timeout=httpx.Timeout(10, read=10)
    )


@pytest.fixture
def backend_settings(tmp_path):  # the stream reads the log only: SQLite is enough here
    from caseflow.infra.settings import Settings

    return Settings(data_dir=tmp_path / "var")


def test_each_event_is_a_frame_whose_id_is_its_position(live_api):
    positions = _orgs(live_api, 3)
    client, stream = _stream(live_api)
    with client, stream as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        frames = _frames(r.iter_lines(), 3)
    assert [int(f["id"]) for f in frames] == positions
    for f in frames:
        envelope = orjson.loads(f["data"])
        assert f["event"] == envelope["type"] == "caseflow.org.registered.v1"
        assert int(envelope["sequence"]) == int(f["id"])


def test_last_event_id_resumes_after_that_position(live_api):
    positions = _orgs(live_api, 4)
    client, stream = _stream(live_api, **{"Last-Event-ID": str(positions[1])})
    with client, stream as r:
        frames = _frames(r.iter_lines(), 2)
    assert [int(f["id"]) for f in frames] == positions[2:]


def test_events_recorded_while_streaming_arrive(live_api):
    _orgs(live_api, 1)
    client, stream = _stream(live_api)
    with client, stream as r:
        lines = r.iter_lines()
        _frames(lines, 1)
        (later,) = _orgs(live_api, 1)
        (frame,) = _frames(lines, 1)
    assert int(frame["id"]) == later


def test_an_idle_stream_sends_keep_alive_comments(live_api):
    client, stream = _stream(live_api)
    with client, stream as r:
        lines = r.iter_lines()
        seen = [next(lines) for _ in range(4)]
    assert ": keep-alive" in seen


def test_a_client_that_disconnects_ends_its_stream(live_api):
    _orgs(live_api, 1)
    gauge = live_api.app.state.api.metrics.streams
    assert _settled(gauge, 0)
    client, stream = _stream(live_api)
    with client, stream as r:
        # Keep the line iterator referenced: an iterator that is dropped closes the response,
        # and with it the connection (that, not the server, ended 1 stream in 12 here before).
        lines = r.iter_lines()
        assert _frames(lines, 1)
        assert gauge._value.get() == 1
        time.sleep(0.3)  # a stream that is still read stays open on the server
        assert gauge._value.get() == 1
    assert _settled(gauge, 0)  # the client went away: its stream ended on the server


def _settled(gauge, value: float, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while gauge._value.get() != value and time.monotonic() < deadline:
        time.sleep(0.05)
    return gauge._value.get() == value


def test_a_malformed_last_event_id_is_422(live_api):
    with live_api.client("analyst") as c:
        r = c.get("/events/stream", headers={"Last-Event-ID": "abc"})
    assert r.status_code == 422


def test_the_stream_carries_no_personal_data(live_api):
    from uuid import UUID

    from caseflow.services.authz import Role
    from tests.unit.http.world import PII

    (org_position,) = _orgs(live_api, 1)
    org = live_api.container.log.read(org_position - 1, 1)[0].aggregate_id
    live_api.grant("registrar", Principal("reg", Role.REGISTRAR, UUID(str(org))))
    body = {
        "channel": "letter",
        "received_at": "2026-01-05T09:00:00+08:00",
        "receiving_org_id": str(org),
        "subject": "Land compensation",
        "petitioners": [{k: PII[k] for k in ("name", "id_number", "phone", "address")}],
        "representatives": [PII["representative"]],
        "request": PII["request"],
    }
    with live_api.client("registrar") as c:
        assert c.post("/cases", json=body).status_code == 201
    client, stream = _stream(live_api)
    with client, stream as r:
        frames = _frames(r.iter_lines(), 2)
    assert frames[-1]["event"] == "caseflow.case.received.v1"
    assert pii_in(str(frames)) == []
