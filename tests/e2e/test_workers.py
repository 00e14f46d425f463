"""`caseflow serve --workers 2` on SQLite and PostgreSQL, as a real process tree over real HTTP:
commands from many clients spread over both processes, the log has no gaps or duplicates, each
projection runs in exactly one process (the views count every event once), a query with
`min_position` reads its writes whichever process answers it, and `/metrics` sums the requests
of both processes whichever one is scraped."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from caseflow.domain.values import OrgLevel
from caseflow.infra.bootstrap import bootstrap
from caseflow.services.app import Actor, Context
from tests.e2e.server import free_port
from tests.integration.stream.conftest import cli_env
from tests.processes import caseflow_cmd, spawned_children

HANDLER, SUPERVISOR = "workers-handler", "workers-supervisor"
CLIENTS = 8
CASES_PER_CLIENT = 8


@pytest.fixture
def served(backend_settings, tmp_path):
    c = bootstrap(backend_settings)
    try:
        ctx = Context(actor=Actor("ops", "operator"))
        org = c.app.register_org(ctx, name="County", level=OrgLevel.COUNTY).id
        leader = c.app.register_leader(ctx, name="Head", title="Head", org_id=org).id
    finally:
        c.close()
    env = {
        **cli_env(backend_settings),
        "CASEFLOW_PORT": str(port := free_port()),
        "CASEFLOW_TOKENS": f"{HANDLER}=desk:handler:{org},{SUPERVISOR}=sup:supervisor",
    }
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        caseflow_cmd("serve", "--workers", "2", "--no-access-log"),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            # Both workers have finished starting up (uvicorn says so once per process); until
            # then the one that is up takes every connection.
            started = (tmp_path / "serve.log").read_text().count("Application startup complete")
            try:
                if (
                    started == 2
                    and len(spawned_children(server.pid)) == 2
                    and httpx.get(base + "/health", timeout=2).status_code == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        yield base, server, str(org), str(leader)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            assert server.wait(30) == 0, (tmp_path / "serve.log").read_text()
        finally:
            if server.poll() is None:
                server.kill()
            log.close()


def _lifecycle(base: str, org: str, leader: str) -> list[dict]:
    """Register, screen, assign and resolve cases, each case on a new connection (so that
    connections, and with them requests, land on both processes); every answer."""
    answers = []
    received = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    for _ in range(CASES_PER_CLIENT):
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {HANDLER}"}, timeout=30
        ) as client:
            r = client.post(
                "/cases",
                json={
                    "channel": "letter",
                    "receiving_org_id": org,
                    "received_at": received,
                    "subject": "Wage arrears",
                    "petitioners": [{"name": "Workers Test"}],
                },
            )
            assert r.status_code == 201, r.text
            case = r.json()["id"]
            answers.append(r.json())
            for path, body in (
                ("screening", {"decision": "accept", "category": "appeal"}),
                ("assignment", {"unit_id": org, "leader_id": leader}),
                ("resolution", {"outcome": "explained", "reply": "Explained"}),
            ):
                r = client.post(f"/cases/{case}/{path}", json=body)
                assert r.status_code == 200, r.text
                answers.append(r.json())
    return answers


def _answered_requests(pid: int) -> bool:
    """Whether worker `pid` has counted a request: prometheus_client's multiprocess mode
    writes each process's counters to `counter_<pid>.db` in the shared directory."""
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    shared = next(
        v.partition(b"=")[2] for v in environ if v.startswith(b"PROMETHEUS_MULTIPROC_DIR=")
    )
    return (Path(shared.decode()) / f"counter_{pid}.db").exists()


def _requests_counted(metrics: str, route: str) -> float:
    pattern = (
        rf'caseflow_http_requests_total{{method="POST",route="{re.escape(route)}",'
        r'status="2\d\d"} ([0-9.e+]+)'
    )
    return sum(float(v) for v in re.findall(pattern, metrics))


def test_two_processes_share_the_work_and_the_views_count_each_event_once(served):
    base, server, org, leader = served
    workers = spawned_children(server.pid)
    ops = {"Authorization": f"Bearer {SUPERVISOR}"}

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [
            a
            for batch in pool.map(lambda _: _lifecycle(base, org, leader), range(CLIENTS))
            for a in batch
        ]

    cases = CLIENTS * CASES_PER_CLIENT
    positions = sorted(a["position"] for a in answers)
    assert len(set(positions)) == len(positions) == cases * 4
    # Both processes answered requests (each counts them in a file of its own).
    assert len(workers) == 2 and all(_answered_requests(pid) for pid in workers), workers

    head = positions[-1]
    with httpx.Client(base_url=base, headers=ops, timeout=30) as client:
        # Read-your-writes through whichever process answers: several times, fresh connections.
        for _ in range(4):
            with httpx.Client(base_url=base, headers=ops, timeout=30) as fresh:
                page = fresh.get(
                    "/cases", params={"min_position": head, "status": "resolved", "limit": 200}
                ).json()
                assert page["total"] == cases, page
        kpis = client.get("/statistics/kpis", params={"min_position": head}).json()["items"]
        counts = kpis[0]["own"]["counts"]
        assert (counts["received"], counts["screened"], counts["resolved"]) == (cases,) * 3, kpis
        audit = client.get(
            "/audit", params={"actor": "desk", "limit": 500, "min_position": head}
        ).json()
        # One audit row per event: a projection that ran in both processes would double them.
        assert sorted(row["position"] for row in audit["items"]) == positions
        status = {v["name"]: v for v in client.get("/admin/projections").json()}
        assert status and all(v["position"] == head for v in status.values()), status

        # Metrics: both processes' requests, whichever process answers the scrape.
        for _ in range(3):
            with httpx.Client(base_url=base, headers=ops, timeout=30) as fresh:
                text = fresh.get("/metrics").text
            assert _requests_counted(text, "/cases") == cases
            assert _requests_counted(text, "/cases/{case_id}/resolution") == cases
