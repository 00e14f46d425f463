"""A store written before the chain existed (tests/fixtures/wave1_store) is sealed once, when
first opened or by `caseflow audit seal`; after that the chain covers it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.cli import build
from caseflow.infra.integrity.service import Integrity, open_store
from caseflow.infra.settings import Settings

FIXTURE = Path(__file__).parents[2] / "fixtures" / "wave1_store" / "events.sqlite3"


@pytest.fixture
def old_store(tmp_path, monkeypatch) -> Settings:
    (tmp_path / "var").mkdir()
    shutil.copy(FIXTURE, tmp_path / "var" / "events.sqlite3")
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(tmp_path / "var"))
    return Settings(data_dir=tmp_path / "var")


def _count(settings: Settings, sql: str) -> int:
    with sqlite3.connect(settings.data_dir / "events.sqlite3") as conn:
        return conn.execute(sql).fetchone()[0]


def test_an_old_store_is_unsealed_until_opened_then_verifies_clean(old_store):
    report = Integrity(old_store, open_store(old_store)).verify()
    assert [f.kind for f in report.findings] == ["unsealed"]
    bootstrap(old_store).close()
    events = _count(old_store, "SELECT COUNT(*) FROM stored_events")
    assert _count(old_store, "SELECT COUNT(*) FROM stored_events_chain") == events > 900
    report = Integrity(old_store, open_store(old_store)).verify()
    assert report.intact and report.events == events


def test_audit_seal_chains_an_old_store_and_new_events_follow_it(old_store):
    out = CliRunner().invoke(build(), ["audit", "seal"])
    assert out.exit_code == 0, out.output
    events = _count(old_store, "SELECT COUNT(*) FROM stored_events")
    assert f"chain head at position {events} of {events}" in out.output
    container = bootstrap(old_store)
    from tests.unit.projections.world import T0, Clock, World

    World(app=container.app, clock=Clock()).receive(T0)
    container.close()
    out = CliRunner().invoke(build(), ["audit", "verify", "--json"])
    assert out.exit_code == 0, out.output


def test_an_unchained_event_after_sealing_stays_a_finding_on_reopening(old_store):
    bootstrap(old_store).close()
    with sqlite3.connect(old_store.data_dir / "events.sqlite3") as conn:
        conn.execute(
            "INSERT INTO stored_events SELECT originator_id, originator_version + 1000, "
            "topic, state FROM stored_events WHERE rowid = 5"
        )
    bootstrap(old_store).close()  # not sealed again: the chain is not empty
    report = Integrity(old_store, open_store(old_store)).verify()
    assert [f.kind for f in report.findings] == ["inserted"]
