"""The worker's signer: checkpoints after every N events; no key is an error at start."""

from __future__ import annotations

import time
from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from typer.testing import CliRunner

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.cli import build
from caseflow.infra.integrity.checkpoints import CheckpointDir, write_key_pair
from caseflow.infra.integrity.signer import start_signer
from caseflow.infra.settings import Settings


def _write(container, n: int) -> None:
    container.app.recorder.insert_events(
        [
            StoredEvent(originator_id=uuid4(), originator_version=1, topic="t", state=b"{}")
            for _ in range(n)
        ]
    )


def test_the_signer_signs_after_every_n_events(tmp_path):
    signing, public = write_key_pair(tmp_path / "keys")
    settings = Settings(
        data_dir=tmp_path / "var",
        audit_signing_key_file=signing,
        audit_public_key_file=public,
        audit_checkpoint_every=10,
    )
    container = bootstrap(settings)
    signer = start_signer(container)
    try:
        _write(container, 4)
        time.sleep(1.5)
        assert CheckpointDir(settings.checkpoint_dir).load(None)[0] == []
        _write(container, 8)
        deadline = time.monotonic() + 10
        while not CheckpointDir(settings.checkpoint_dir).load(None)[0]:
            assert time.monotonic() < deadline, "no checkpoint signed"
            time.sleep(0.1)
        good, refused = CheckpointDir(settings.checkpoint_dir).load(signer.private.public_key())
        assert [c.position for c in good] == [12] and refused == []
    finally:
        signer.stop()
        container.close()


def test_a_worker_asked_for_checkpoints_without_a_key_stops_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CASEFLOW_AUDIT_CHECKPOINT_INTERVAL", "60")
    out = CliRunner().invoke(build(), ["worker"])
    assert out.exit_code == 2
    assert "no signing key: set CASEFLOW_AUDIT_SIGNING_KEY_FILE" in out.output
