"""`caseflow privacy encrypt-existing` on stores written before sealing: the committed wave-1
fixture (SQLite) and a chain-sealed store with signed checkpoints (SQLite and PostgreSQL).
Afterwards no personal data is in the raw store, the chain and its checkpoints verify, reads
are unchanged, and a second run has nothing to do."""

from __future__ import annotations

import base64
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from eventsourcing.persistence import Mapper
from typer.testing import CliRunner

from caseflow.domain.values import Category, Channel, Petitioner
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.cli import build
from caseflow.infra.integrity.checkpoints import load_public_key, load_signing_key, write_key_pair
from caseflow.infra.integrity.service import Integrity
from caseflow.infra.integrity.store import chain_store
from caseflow.infra.privacy.migrate import (
    RECORD_PREFIX,
    MigrationRefused,
    encrypt_existing,
    pending,
)
from caseflow.infra.settings import Settings
from tests.rawscan import store_bytes
from tests.unit.stream.scenario import PII_MARK, REGISTRAR, drive

FIXTURE = Path(__file__).parents[2] / "fixtures" / "wave1_store" / "events.sqlite3"


def _raw(settings: Settings) -> bytes:
    return store_bytes(settings)


def _in(text: str, raw: bytes) -> bool:
    """`text` in `raw`, as UTF-8 or as JSON's ASCII escapes (older stores wrote those)."""
    return text.encode() in raw or json.dumps(text)[1:-1].encode() in raw


def _petitions(container) -> dict:
    out = {}
    for e in container.log.read(0, 100_000):
        if e.name == "case.received":
            first = next(iter(container.app.events.get(e.aggregate_id, lte=1)))
            out[e.aggregate_id] = (first.petitioners, first.representatives, first.request)
    return out


def test_the_wave1_fixture_is_sealed_and_still_verifies(tmp_path, monkeypatch):
    data = tmp_path / "var"
    data.mkdir()
    shutil.copy(FIXTURE, data / "events.sqlite3")
    settings = Settings(data_dir=data)
    c = bootstrap(settings)  # opening chains the old store (docs/integrity.md)
    before = _petitions(c)
    leaders = {e.data.get("name") for e in c.log.read(0, 100_000) if e.name.startswith("leader.")}
    # (the seed's synthetic names are drawn from one pool: a leader may share one)
    names = [
        x
        for p in before.values()
        for q in p[0]
        for x in (q.name, q.id_number, q.phone)
        if x and x not in leaders
    ]
    raw = _raw(settings)
    assert all(_in(n, raw) for n in names) and len(pending(c.log)) > len(before) == 150
    c.close()

    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(data))
    run = CliRunner().invoke(build(), ["privacy", "encrypt-existing"])
    assert run.exit_code == 0, run.output
    assert "sealed 163 event(s)" in run.output  # 150 registrations, 13 requests' grounds
    raw = _raw(settings)
    assert [n for n in names if _in(n, raw)] == []
    verify = CliRunner().invoke(build(), ["audit", "verify", "--json"])
    assert verify.exit_code == 0, verify.output
    c = bootstrap(settings)
    try:
        assert _petitions(c) == before and pending(c.log) == {}
    finally:
        c.close()
    again = CliRunner().invoke(build(), ["privacy", "encrypt-existing"])
    assert again.exit_code == 0 and "nothing to do" in again.output


def _old_store(settings: Settings) -> dict:
    """A store written as before sealing (the library's plain mapper), chained, with a signed
    checkpoint of its head."""
    c = bootstrap(settings)
    plain = Mapper(c.app.mapper.transcoder)
    c.app.mapper = c.app.events.mapper = plain
    try:
        drive(c.app, 4)
        Integrity(settings, chain_store(c.app.recorder)).checkpoint(
            load_signing_key(settings.audit_signing_key_file)
        )
        return _petitions(c)
    finally:
        c.close()


def _signed(settings: Settings, tmp_path: Path) -> Settings:
    signing, public = write_key_pair(tmp_path / "keys")
    return settings.model_copy(
        update={"audit_signing_key_file": signing, "audit_public_key_file": public}
    )


def test_a_chain_sealed_store_is_resealed_with_a_signed_record(backend_settings, tmp_path):
    settings = _signed(backend_settings, tmp_path)
    before = _old_store(settings)
    assert PII_MARK.encode() in _raw(settings)
    c = bootstrap(settings)
    try:
        done = encrypt_existing(c)
        assert done.sealed == 4 + 2  # registrations, and the review and re-check grounds
        assert done.superseded and done.record is not None
        assert _petitions(c) == before
        integrity = Integrity(settings, chain_store(c.app.recorder))
        report = integrity.verify()
        assert report.intact, report.findings
        assert report.checkpoints_checked >= 1  # the new checkpoint of the re-sealed head
    finally:
        c.close()
    assert PII_MARK.encode() not in _raw(settings)
    record = orjson.loads(done.record.read_bytes())
    message = (
        f"{RECORD_PREFIX}\n{record['first_position']}\n{record['old_head']}\n"
        f"{record['new_head']}\n{record['events_sealed']}\n{record['time']}\n"
    ).encode()
    load_public_key(settings.audit_public_key_file).verify(
        base64.b64decode(record["signature"]), message
    )  # raises if not signed by the key


def test_without_the_signing_key_signed_checkpoints_are_not_superseded(backend_settings, tmp_path):
    settings = _signed(backend_settings, tmp_path)
    _old_store(settings)
    unsigned = settings.model_copy(update={"audit_signing_key_file": None})
    c = bootstrap(unsigned)
    try:
        with pytest.raises(MigrationRefused, match="CASEFLOW_AUDIT_SIGNING_KEY_FILE"):
            encrypt_existing(c)
        assert len(pending(c.log)) == 6  # nothing changed
    finally:
        c.close()


def test_a_broken_chain_is_not_migrated(tmp_path):
    settings = _signed(Settings(data_dir=tmp_path / "var"), tmp_path)
    _old_store(settings)
    import sqlite3

    con = sqlite3.connect(Path(settings.data_dir) / "events.sqlite3")
    con.execute("UPDATE stored_events SET state = state || x'20' WHERE rowid = 3")
    con.commit()
    con.close()
    c = bootstrap(settings)
    try:
        with pytest.raises(MigrationRefused, match="does not verify"):
            encrypt_existing(c)
        assert len(pending(c.log)) == 6
    finally:
        c.close()


def test_the_accused_of_a_plain_accusation_are_sealed_by_the_migration(tmp_path):
    settings = Settings(data_dir=tmp_path / "var")
    c = bootstrap(settings)
    c.app.mapper = c.app.events.mapper = Mapper(c.app.mapper.transcoder)  # as before sealing
    try:
        d = drive(c.app, 1)
        accused_leader = d.leaders[0]
        case = c.app.receive(
            REGISTRAR,
            channel=Channel.LETTER,
            received_at=datetime.now(UTC) - timedelta(days=1),
            receiving_org_id=d.city,
            petitioners=(Petitioner(name="n", id_number="i", phone="p", address="a"),),
            headcount=1,
            representatives=(),
            subject="s",
            request="r",
            region="x",
            category=Category.ACCUSATION,
            accused_org_id=d.county,
            accused_leader_id=accused_leader,
        ).id
        assert accused_leader.hex.encode() in _stored_state(c, case)  # plain before
    finally:
        c.close()
    c = bootstrap(settings)
    try:
        encrypt_existing(c)
    finally:
        c.close()
    c = bootstrap(settings)
    try:
        state = _stored_state(c, case)
        assert accused_leader.hex.encode() not in state
        assert orjson.loads(state)["accused_leader_id"] == {
            "$u": c.sealer.pseudonym(accused_leader).hex
        }
        opened = c.app.case(case)
        assert (opened.accused_org_id, opened.accused_leader_id) == (d.county, accused_leader)
    finally:
        c.close()


def _stored_state(c, case) -> bytes:
    (e,) = [e for e in c.app.recorder.select_events(case) if e.originator_version == 1]
    return e.state
