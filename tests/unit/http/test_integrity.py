"""GET /admin/integrity, GET /cases/{id}/integrity (checked by the offline script in docs/),
and a failed verification on /health and /metrics."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from caseflow.infra.integrity.checkpoints import load_signing_key, write_key_pair
from caseflow.infra.integrity.service import Integrity, open_store

SCRIPT = Path(__file__).parents[3] / "docs" / "check_case_integrity.py"


def _case(client, world) -> dict:
    r = client.post("/cases", json=world.case(), headers=world.h("registrar"))
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def keys(tmp_path):
    return write_key_pair(tmp_path / "keys")


def _integrity(http_container, keys) -> Integrity:
    settings = http_container.settings.model_copy(
        update={"audit_signing_key_file": keys[0], "audit_public_key_file": keys[1]}
    )
    return Integrity(settings, open_store(settings))


def test_admin_integrity_shows_the_head_and_is_for_supervisors_and_operators(client, world):
    case = _case(client, world)
    r = client.get("/admin/integrity", headers=world.h("operator"))
    assert r.status_code == 200, r.text
    assert r.json()["head"]["position"] == case["position"]
    assert r.json()["last_verification"] is None
    assert client.get("/admin/integrity", headers=world.h("analyst")).status_code == 403


def test_a_case_history_checks_offline_against_a_signed_checkpoint(
    client, world, http_container, keys, tmp_path
):
    case = _case(client, world)
    integrity = _integrity(http_container, keys)
    integrity.checkpoint(load_signing_key(keys[0]))
    client.app.state.api.integrity = integrity
    r = client.get(f"/cases/{case['id']}/integrity", headers=world.h("handler"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["checkpoint"]["position"] >= case["position"]
    (tmp_path / "case.json").write_text(r.text)
    run = subprocess.run(
        [sys.executable, SCRIPT, tmp_path / "case.json", keys[1]], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "signature ok" in run.stdout
    body["events"][0]["state"] = body["events"][0]["state"][:-4] + "AAAA"  # a printed change
    (tmp_path / "case.json").write_text(json.dumps(body))
    run = subprocess.run(
        [sys.executable, SCRIPT, tmp_path / "case.json", keys[1]], capture_output=True, text=True
    )
    assert run.returncode == 1 and "ALTERED" in run.stdout


def test_a_case_integrity_is_not_for_analysts_and_404_for_an_unknown_case(client, world):
    case = _case(client, world)
    assert (
        client.get(f"/cases/{case['id']}/integrity", headers=world.h("analyst")).status_code == 403
    )
    r = client.get(
        "/cases/00000000-0000-0000-0000-000000000001/integrity", headers=world.h("supervisor")
    )
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem")


def test_a_failed_verification_shows_on_health_and_metrics(client, world, http_container, keys):
    _case(client, world)
    assert client.get("/health").json()["integrity"]["verification_failed"] is None
    with sqlite3.connect(http_container.settings.data_dir / "events.sqlite3") as conn:
        conn.execute("UPDATE stored_events SET state = state || x'20' WHERE rowid = 1")
    assert not _integrity(http_container, keys).verify().intact
    body = client.get("/health").json()
    assert body["status"] == "degraded" and body["integrity"]["verification_failed"] is True
    assert "caseflow_integrity_verification_failed 1.0" in client.get("/metrics").text


def test_the_history_and_the_feed_carry_each_events_chain_hash(views_client, world):
    case = _case(views_client, world)
    links = views_client.get(f"/cases/{case['id']}/integrity", headers=world.h("handler")).json()
    expected = {e["position"]: e["chainhash"] for e in links["events"]}
    history = views_client.get(
        f"/cases/{case['id']}/history",
        params={"min_position": case["position"]},
        headers=world.h("analyst"),
    ).json()
    assert {e["position"]: e["chainhash"] for e in history["events"]} == expected
    feed = views_client.get(
        "/events", params={"after": case["position"] - 1}, headers=world.h("analyst")
    ).json()
    assert feed[0]["chainhash"] == expected[case["position"]]


def test_the_kafka_record_carries_ce_chainhash(http_container, world):
    from caseflow.infra.kafka.envelope import to_record

    events = http_container.log.read(0, 1000)
    assert events and all(e.chainhash is not None for e in events)
    headers = dict(to_record(events[-1], "/caseflow").headers)
    assert headers["ce_chainhash"] == events[-1].chainhash.hex().encode()
