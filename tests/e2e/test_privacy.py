"""Personal data at rest (docs/privacy.md), over real HTTP on SQLite and PostgreSQL: planted
markers in every personal field are found in no raw store file (WAL included), no `pg_dump`,
no log line; after `caseflow privacy erase` no read by any role shows them, time travel and a
rebuild still answer, and the petitioner's query code opens nothing."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from caseflow.infra.cli import build
from tests.e2e.test_lifecycle import _setup
from tests.rawscan import store_bytes


def _markers() -> dict[str, str]:
    tag = f"MRK{uuid4().hex[:10]}"
    return {
        f: f"{tag}-{f}"
        for f in (
            "name",
            "id_number",
            "phone",
            "address",
            "representative",
            "request",
            "review_reason",
            "recheck_reason",
        )
    }


def _found(markers: dict[str, str], data: bytes) -> list[str]:
    return [m for m in markers.values() if m.encode() in data]


def _raw_store(live) -> bytes:
    """Every byte the store keeps (tests/rawscan.py)."""
    return store_bytes(live.container.settings)


def _drive(live, ids, m: dict[str, str]) -> tuple[str, str, int]:
    """A case registered with markers in every personal field, taken to a re-check request."""
    now = datetime.now(UTC)
    body = {
        "channel": "visit",
        "received_at": (now - timedelta(minutes=5)).isoformat(),
        "receiving_org_id": ids["county"],
        "petitioners": [{k: m[k] for k in ("name", "id_number", "phone", "address")}],
        "headcount": 2,
        "representatives": [m["representative"]],
        "subject": "Unpaid wages",
        "request": m["request"],
        "region": "E2E County",
    }
    r = live.client("registrar").post("/cases", json=body)
    assert r.status_code == 201, r.text
    case, code = r.json()["id"], r.json()["query_code"]
    steps = [
        ("registrar", "screening", {"decision": "accept", "category": "appeal"}),
        ("handler", "assignment", {"unit_id": ids["county"], "leader_id": ids["leader"]}),
        ("handler", "resolution", {"outcome": "supported", "reply": "Wages to be paid"}),
        ("registrar", "review-requests", {"reason": m["review_reason"]}),
        ("reviewer", "review-decisions", {"outcome": "upheld", "reply": "Upheld"}),
        ("registrar", "recheck-requests", {"reason": m["recheck_reason"]}),
    ]
    position = 0
    for who, path, step in steps:
        r = live.client(who).post(f"/cases/{case}/{path}", json=step)
        assert r.status_code == 200, (path, r.text)
        position = r.json()["position"]
    return case, code, position


def _reads(live, case: str, position: int) -> dict[str, str]:
    """What every role can read about the case (and the public feed), as text."""
    at = {"min_position": position}
    out = {}
    for who in ("supervisor", "registrar", "handler", "analyst", "operator"):
        c = live.client(who)
        for path, params in (
            (f"/cases/{case}", {}),
            (f"/cases/{case}/history", {}),
            (f"/cases/{case}/history", {"as_of": "1"}),
            ("/audit", {"actor": "reg-1", "limit": 500}),
            ("/events", {"limit": 1000}),
        ):
            r = c.get(path, params={**at, **params})
            assert r.status_code in (200, 403), (who, path, r.text)
            out[f"{who} {path} {params}"] = r.text
    return out


def _rebuild(live, name: str) -> None:
    op = live.client("operator")
    assert op.post(f"/admin/projections/{name}/rebuild").status_code == 202
    deadline = time.monotonic() + 60
    while (run := op.get(f"/admin/projections/{name}/rebuild").json())["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert run["state"] == "finished", run


def test_no_personal_data_at_rest_and_none_after_erasure(live_api, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    live = live_api
    ids = _setup(live)
    m = _markers()
    case, code, position = _drive(live, ids, m)
    reads = _reads(live, case, position)

    # the roles that may see personal data get it whole, decrypted on the way out ...
    detail = reads[f"supervisor /cases/{case} {{}}"]
    assert {m["name"], m["request"], m["representative"]} <= set(_found(m, detail.encode()))
    history = reads[f"supervisor /cases/{case}/history {{}}"]
    assert set(_found(m, history.encode())) == set(m.values())
    # ... analysts and the feed never
    for where, text in reads.items():
        if where.startswith("analyst") or "/events" in where:
            assert _found(m, text.encode()) == [], where
    # nothing personal in any byte the store keeps, nor in any log line
    assert _found(m, _raw_store(live)) == []
    assert _found(m, caplog.text.encode()) == []
    public = live.client(None).get(f"/public/cases/{code}")
    assert public.status_code == 200, public.text

    settings = live.container.settings
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CASEFLOW_DATABASE_URL", settings.database_url)
    run = CliRunner().invoke(build(), ["privacy", "erase", case, "--reason", "Petitioner asked"])
    assert run.exit_code == 0, run.output
    again = CliRunner().invoke(build(), ["privacy", "erase", case, "--reason", "twice"])
    assert again.exit_code == 2 and "erased already" in again.output

    erased_at = live.container.log.head()
    after = _reads(live, case, erased_at)
    for where, text in after.items():
        assert _found(m, text.encode()) == [], where
    sup = live.client("supervisor")
    petition = sup.get(f"/cases/{case}").json()["petition"]
    assert petition == {"petitioners": [], "representatives": [], "request": "", "erased": True}
    history = sup.get(f"/cases/{case}/history").json()
    assert history["events"][-1]["event"] == "case.erased"
    assert history["events"][0]["payload"]["erased"] is True
    # time travel and rebuilds still answer, and still without the data
    then = sup.get(f"/cases/{case}/history", params={"as_of": "3"}).json()
    assert then["state"]["status"] == "assigned" and len(then["events"]) == 3
    for name in ("audit", "case_status"):
        _rebuild(live, name)
    rebuilt = sup.get(f"/cases/{case}/history").json()
    assert [e["event"] for e in rebuilt["events"]] == [e["event"] for e in history["events"]]
    assert _found(m, str(rebuilt).encode()) == []
    # the petitioner's code opens nothing now
    assert live.client(None).get(f"/public/cases/{code}").status_code == 404
    assert _found(m, _raw_store(live)) == []
    assert _found(m, caplog.text.encode()) == []


def test_a_case_erased_before_its_request_keeps_nothing_of_later_grounds(live_api, monkeypatch):
    """Sealed fields recorded after erasure are not kept at all (there is no key to seal with)."""
    live = live_api
    ids = _setup(live)
    m = _markers()
    settings = live.container.settings
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CASEFLOW_DATABASE_URL", settings.database_url)
    body = {
        "channel": "letter",
        "received_at": datetime.now(UTC).isoformat(),
        "receiving_org_id": ids["county"],
        "petitioners": [{"name": m["name"]}],
        "headcount": 1,
        "representatives": [],
        "subject": "Land",
        "request": m["request"],
        "region": "E2E County",
    }
    case = live.client("registrar").post("/cases", json=body).json()["id"]
    run = CliRunner().invoke(build(), ["privacy", "erase", case, "--reason", "Court order"])
    assert run.exit_code == 0, run.output
    for who, path, step in (
        ("registrar", "screening", {"decision": "accept", "category": "appeal"}),
        ("handler", "assignment", {"unit_id": ids["county"], "leader_id": ids["leader"]}),
        ("handler", "resolution", {"outcome": "supported", "reply": "Paid"}),
        ("registrar", "review-requests", {"reason": m["review_reason"]}),
    ):
        r = live.client(who).post(f"/cases/{case}/{path}", json=step)
        assert r.status_code == 200, (path, r.text)
    history = (
        live.client("supervisor")
        .get(f"/cases/{case}/history", params={"min_position": live.container.log.head()})
        .json()
    )
    assert history["events"][-1]["payload"]["reason"] == ""
    assert _found(m, _raw_store(live)) == []


@pytest.mark.parametrize("backend_settings", ["sqlite"], indirect=True)
def test_an_unknown_case_is_a_clear_cli_error(live_api, monkeypatch):
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(live_api.container.settings.data_dir))
    run = CliRunner().invoke(build(), ["privacy", "erase", str(uuid4()), "--reason", "x"])
    assert run.exit_code == 2 and "no case with id" in run.output.lower(), run.output


def test_master_key_rotation_while_requests_run(backend_settings, tmp_path):
    """The API runs with the new master key and the old one named as previous; `caseflow
    privacy rotate-key` (another process) rewraps every data key while requests read the
    petitions: every read answers 200 with the petition whole."""
    import subprocess
    import threading

    from caseflow.infra.auth import Principal
    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.http import create_app
    from caseflow.infra.privacy.masterkey import write_key_file
    from caseflow.services.authz import Role
    from tests.e2e.server import live
    from tests.integration.stream.conftest import cli_env
    from tests.processes import caseflow_cmd
    from tests.unit.stream.scenario import PII_MARK, drive

    old, new = tmp_path / "old.key", tmp_path / "new.key"
    write_key_file(old)
    write_key_file(new)
    before = backend_settings.model_copy(update={"master_key": None, "master_key_file": old})
    c = bootstrap(before)
    drive(c.app, 8)
    c.close()
    both = before.model_copy(update={"master_key_file": new, "previous_master_key_files": str(old)})
    container = bootstrap(both)
    cases = [
        str(e.aggregate_id) for e in container.log.read(0, 100_000) if e.name == "case.received"
    ]
    app = create_app(container, tokens={"sup": Principal("sup-1", Role.SUPERVISOR)}, keepalive=0.3)
    answers: list[tuple[int, bool]] = []
    stop = threading.Event()
    try:
        with live(app) as url:
            head = {"min_position": container.log.head()}

            def read() -> None:
                import httpx

                with httpx.Client(
                    base_url=url, headers={"Authorization": "Bearer sup"}, timeout=30
                ) as h:
                    while not stop.is_set():
                        for case in cases:
                            r = h.get(f"/cases/{case}", params=head)
                            names = [
                                p["name"]
                                for p in (r.json().get("petition") or {}).get("petitioners", [])
                            ]
                            answers.append((r.status_code, any(PII_MARK in n for n in names)))

            readers = [threading.Thread(target=read) for _ in range(3)]
            for t in readers:
                t.start()
            env = {
                **cli_env(both),
                "CASEFLOW_MASTER_KEY": "",
                "CASEFLOW_MASTER_KEY_FILE": str(new),
                "CASEFLOW_PREVIOUS_MASTER_KEY_FILES": str(old),
            }
            run = subprocess.run(
                caseflow_cmd("privacy", "rotate-key"),
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            stop.set()
            for t in readers:
                t.join()
    finally:
        container.close()
    assert run.returncode == 0, run.stderr
    assert "rewrapped 8 data key(s)" in run.stdout
    assert len(answers) > len(cases) and set(answers) == {(200, True)}
