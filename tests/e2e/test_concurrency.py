"""Concurrency over real HTTP on SQLite and PostgreSQL: parallel conditional commands on one
case → exactly one wins per version and the rest get 409; parallel retries of one idempotent
request append once; the log has no gaps or duplicates."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx

from caseflow.infra.auth import Principal
from caseflow.services.authz import Role
from tests.unit.http.world import PII

CONTENDERS = 6
ROUNDS = 4


def _world(live) -> dict:
    with live.client("operator") as op:
        province = op.post("/orgs", json={"name": "P", "level": "province"}).json()["id"]
        leader = op.post("/leaders", json={"name": "L", "org_id": province}).json()["id"]
    live.grant("leader", Principal("leader-1", Role.LEADER, UUID(province)))
    live.grant("registrar", Principal("reg-1", Role.REGISTRAR, UUID(province)))
    with live.client("registrar") as reg:
        r = reg.post(
            "/cases",
            json={
                "channel": "visit",
                "receiving_org_id": province,
                "subject": "Demolition",
                "received_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                "petitioners": [{"name": PII["name"]}],
            },
        )
        assert r.status_code == 201, r.text
    return {"case": r.json()["id"], "leader": leader}


def _visit(leader: str) -> dict:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    return {"leader_id": leader, "mode": "reception", "visited_on": today, "visitors": 1}


def _race(live, n: int, path: str, body: dict, headers: dict) -> list[httpx.Response]:
    """`n` clients post the same thing at the same moment."""
    clients = [live.client("leader") for _ in range(n)]
    start = threading.Barrier(n)

    def go(client: httpx.Client) -> httpx.Response:
        start.wait()
        return client.post(path, json=body, headers=headers)

    try:
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(go, clients))
    finally:
        for c in clients:
            c.close()


def _case_events(live, case: str) -> list:
    return [e for e in live.container.log.read(0, 100_000) if str(e.aggregate_id) == case]


def test_parallel_conditional_commands_one_winner_per_version(live_api):
    w = _world(live_api)
    path = f"/cases/{w['case']}/visits"
    for version in range(1, ROUNDS + 1):
        answers = _race(
            live_api, CONTENDERS, path, _visit(w["leader"]), {"If-Match": f'"{version}"'}
        )
        statuses = Counter(r.status_code for r in answers)
        assert statuses == {200: 1, 409: CONTENDERS - 1}, [r.text for r in answers]
        winner = next(r for r in answers if r.status_code == 200).json()
        assert winner["version"] == version + 1
        assert all(
            r.json()["current_version"] == version + 1 for r in answers if r.status_code == 409
        )
    versions = [e.version for e in _case_events(live_api, w["case"])]
    assert versions == list(range(1, ROUNDS + 2))


def test_parallel_unconditional_commands_all_land_in_order(live_api):
    w = _world(live_api)
    answers = _race(live_api, CONTENDERS, f"/cases/{w['case']}/visits", _visit(w["leader"]), {})
    assert [r.status_code for r in answers] == [200] * CONTENDERS
    assert sorted(r.json()["version"] for r in answers) == list(range(2, CONTENDERS + 2))
    versions = [e.version for e in _case_events(live_api, w["case"])]
    assert versions == list(range(1, CONTENDERS + 2))


def test_parallel_retries_of_one_request_append_once(live_api):
    w = _world(live_api)
    head = live_api.container.log.head()
    answers = _race(
        live_api,
        CONTENDERS,
        f"/cases/{w['case']}/visits",
        _visit(w["leader"]),
        {"Idempotency-Key": "visit-2026-001"},
    )
    assert [r.status_code for r in answers] == [200] * CONTENDERS
    assert len({r.text for r in answers}) == 1
    assert live_api.container.log.head() == head + 1


def test_the_log_has_no_duplicates_and_positions_only_grow(live_api):
    w = _world(live_api)
    _race(live_api, CONTENDERS, f"/cases/{w['case']}/visits", _visit(w["leader"]), {})
    with live_api.client("analyst") as c:
        feed = c.get("/events", params={"limit": 1000}).json()
    positions = [int(e["sequence"]) for e in feed]
    ids = [e["id"] for e in feed]
    assert positions == list(range(1, len(positions) + 1))  # no gaps, no duplicates
    assert len(set(ids)) == len(ids)
    per_case = [(e["data"]["version"]) for e in feed if e["subject"] == w["case"]]
    assert per_case == list(range(1, CONTENDERS + 2))
