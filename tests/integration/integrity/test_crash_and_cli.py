"""The chain survives a writer killed mid-write; `caseflow audit` over it, and over bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.cli import build
from caseflow.infra.integrity.service import Integrity, open_store
from tests.unit.projections.world import T0, Clock, World

WRITER = """
import sys, threading
from uuid import uuid4
from eventsourcing.persistence import StoredEvent
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.settings import Settings
container = bootstrap(Settings())
recorder = container.app.recorder
def write():
    while True:
        recorder.insert_events([StoredEvent(originator_id=uuid4(), originator_version=1,
                                            topic="t", state=b"{}") for _ in range(2)])
for _ in range(8):
    threading.Thread(target=write, daemon=True).start()
print("writing", flush=True)
threading.Event().wait()
"""


def _env(settings) -> dict[str, str]:
    env = {**os.environ, "CASEFLOW_DATA_DIR": str(settings.data_dir)}
    env.pop("CASEFLOW_DATABASE_URL", None)
    if settings.database_url:
        env["CASEFLOW_DATABASE_URL"] = settings.database_url
    return env


def test_writers_killed_mid_write_leave_a_chain_that_verifies_clean(backend_settings):
    bootstrap(backend_settings).close()
    integrity = Integrity(backend_settings, open_store(backend_settings))
    for _ in range(2):  # twice: two writer processes at once, both killed -9 mid-write
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER], env=_env(backend_settings), stdout=subprocess.PIPE
            )
            for _ in range(2)
        ]
        for proc in procs:
            assert proc.stdout.readline().strip() == b"writing"
        deadline = time.monotonic() + 120  # a loaded machine writes slowly
        start = integrity.heads()[0]
        while integrity.heads()[0] < start + 1500 and time.monotonic() < deadline:
            time.sleep(0.05)
        for proc in procs:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    report = integrity.verify()
    assert report.intact, report.findings[:3]
    assert report.events >= 3000


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(tmp_path / "var"))
    from caseflow.infra.settings import Settings

    container = bootstrap(Settings(data_dir=tmp_path / "var"), clock=Clock())
    World(app=container.app, clock=Clock()).receive(T0)
    container.close()
    return tmp_path / "var"


def test_verify_exits_0_on_an_intact_log_and_1_naming_the_break(seeded):
    import sqlite3

    runner = CliRunner()
    out = runner.invoke(build(), ["audit", "verify", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["intact"] is True
    with sqlite3.connect(seeded / "events.sqlite3") as conn:
        conn.execute("UPDATE stored_events SET topic = topic || 'x' WHERE rowid = 3")
    out = runner.invoke(build(), ["audit", "verify", "--json"])
    assert out.exit_code == 1
    found = json.loads(out.output)["findings"]
    assert [(f["kind"], f["position"]) for f in found] == [("altered", 3)]
    out = runner.invoke(build(), ["audit", "verify"])
    assert out.exit_code == 1 and "altered" in out.output and "BROKEN" in out.output


def test_verify_of_a_foreign_file_names_what_it_found(tmp_path, monkeypatch):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "events.sqlite3").write_bytes(b"not a database at all" * 100)
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(tmp_path / "var"))
    out = CliRunner().invoke(build(), ["audit", "verify"])
    assert out.exit_code == 2
    assert "cannot read the event log" in out.output and "Traceback" not in out.output


def test_checkpoint_without_a_signing_key_is_a_clear_error_and_writes_nothing(seeded):
    out = CliRunner().invoke(build(), ["audit", "checkpoint"])
    assert out.exit_code == 2
    assert "CASEFLOW_AUDIT_SIGNING_KEY_FILE" in out.output
    assert not (seeded / "checkpoints").exists()


def test_checkpoint_with_a_key_that_is_not_ed25519_is_refused(seeded, tmp_path, monkeypatch):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "ec.pem").write_bytes(pem)
    monkeypatch.setenv("CASEFLOW_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "ec.pem"))
    out = CliRunner().invoke(build(), ["audit", "checkpoint"])
    assert out.exit_code == 2 and "not an Ed25519 key" in out.output
    assert not (seeded / "checkpoints").exists()


def test_inserts_refused_for_a_taken_version_leave_no_link(backend_settings):
    from concurrent.futures import ThreadPoolExecutor
    from uuid import uuid4

    from eventsourcing.persistence import IntegrityError, StoredEvent

    container = bootstrap(backend_settings)
    recorder, taken = container.app.recorder, uuid4()

    def insert(i: int) -> str:
        aggregate = taken if i % 3 == 0 else uuid4()  # a third race for one aggregate version
        try:
            recorder.insert_events(
                [StoredEvent(aggregate, 1, "t", b"{}"), StoredEvent(aggregate, 2, "t", b"{}")]
            )
        except IntegrityError:
            return "conflict"
        return "ok"

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(insert, range(120)))
    container.close()
    assert outcomes.count("conflict") == 39
    report = Integrity(backend_settings, open_store(backend_settings)).verify()
    assert report.intact, report.findings[:3]
    assert report.events == report.links == 2 * 81
