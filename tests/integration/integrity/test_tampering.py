"""An administrator's raw SQL against the event store, on SQLite and PostgreSQL: every kind of
change is found and located by `verify`; an intact log verifies clean."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.integrity import chain
from caseflow.infra.integrity.checkpoints import write_key_pair
from caseflow.infra.integrity.service import Integrity, open_store
from caseflow.infra.settings import Settings
from caseflow.infra.store import postgres_events_table

N = 60  # events written by 20 threads at once (group commit on SQLite)


class Admin:
    """Raw SQL on the events table and its chain, as the database's administrator."""

    def __init__(self, settings: Settings):
        self.pg = bool(settings.database_url)
        if self.pg:
            import psycopg

            self.conn = psycopg.connect(settings.database_url, autocommit=True)
            self.pos, self.p = "notification_id", "%s"
            self.table = postgres_events_table()
        else:
            self.conn = sqlite3.connect(settings.data_dir / "events.sqlite3", isolation_level=None)
            self.pos, self.p = "rowid", "?"
            self.table = "stored_events"

    def run(self, sql: str, *params: object) -> list[tuple]:
        sql = sql.replace("stored_events", self.table)
        cur = self.conn.execute(sql.format(pos=self.pos, p=self.p), params)
        return cur.fetchall() if cur.description else []

    def event(self, position: int) -> tuple:
        return self.run(
            "SELECT originator_id, originator_version, topic, state "
            "FROM stored_events WHERE {pos} = {p}",
            position,
        )[0]


@pytest.fixture
def store(backend_settings, tmp_path):
    signing, public = write_key_pair(tmp_path / "keys")
    settings = backend_settings.model_copy(
        update={"audit_signing_key_file": signing, "audit_public_key_file": public}
    )
    container = bootstrap(settings)
    recorder = container.app.recorder

    def write(_: int) -> None:
        recorder.insert_events(
            [
                StoredEvent(
                    originator_id=uuid4(), originator_version=1, topic="t", state=b'{"n": 1}'
                )
                for _ in range(3)
            ]
        )

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(write, range(N // 3)))
    container.close()
    admin = Admin(settings)
    yield settings, admin
    admin.conn.close()


def _verify(settings: Settings):
    return Integrity(settings, open_store(settings)).verify()


def _checkpoint(settings: Settings) -> None:
    from caseflow.infra.integrity.checkpoints import load_signing_key

    Integrity(settings, open_store(settings)).checkpoint(
        load_signing_key(settings.audit_signing_key_file)
    )


def _kinds(report) -> list[tuple[str, int]]:
    return [(f.kind, f.position) for f in report.findings]


def test_an_intact_log_written_by_many_writers_verifies_clean(store):
    settings, admin = store
    report = _verify(settings)
    assert report.intact, report.findings
    assert report.events == N and report.head == N


def test_an_altered_payload_byte_is_found_with_its_aggregate_and_version(store):
    settings, admin = store
    oid, version, _, state = admin.event(20)
    forged = bytes(state[:2]) + bytes([state[2] ^ 1]) + bytes(state[3:])
    admin.run("UPDATE stored_events SET state = {p} WHERE {pos} = 20", forged)
    report = _verify(settings)
    assert _kinds(report) == [("altered", 20)]
    assert report.findings[0].version == version
    assert report.findings[0].aggregate_id.replace("-", "") == str(oid).replace("-", "")


@pytest.mark.parametrize("with_link", [False, True])
def test_a_deleted_event_is_found(store, with_link):
    settings, admin = store
    admin.run("DELETE FROM stored_events WHERE {pos} = 30")
    if with_link:
        admin.run("DELETE FROM stored_events_chain WHERE position = 30")
    assert _kinds(_verify(settings)) == [("deleted", 30)]


def test_a_forged_event_at_the_next_position_is_found(store):
    settings, admin = store
    oid = uuid4()
    admin.run(
        "INSERT INTO stored_events (originator_id, originator_version, topic, state, {pos}) "
        "VALUES ({p}, 1, 't', {p}, {p})",
        oid if admin.pg else oid.hex,
        b"{}",
        N + 1,
    )
    assert _kinds(_verify(settings)) == [("inserted", N + 1)]


def test_an_event_replaced_with_a_forged_link_breaks_the_chain_at_the_next(store):
    settings, admin = store
    admin.run("DELETE FROM stored_events WHERE {pos} = 31")  # make room, then fill it
    admin.run("DELETE FROM stored_events_chain WHERE position = 31")
    prev = admin.run("SELECT chainhash FROM stored_events_chain WHERE position = 30")[0][0]
    oid = uuid4()
    forged = chain.link_hash(bytes(prev), 31, oid, 1, "t", b"{}")
    admin.run(
        "INSERT INTO stored_events (originator_id, originator_version, topic, state, {pos}) "
        "VALUES ({p}, 1, 't', {p}, 31)",
        oid if admin.pg else oid.hex,
        b"{}",
    )
    admin.run("INSERT INTO stored_events_chain VALUES (31, 30, {p})", forged)
    report = _verify(settings)
    assert _kinds(report) == [("altered", 32)]
    assert "or the event before it was replaced" in report.findings[0].detail


def test_two_swapped_events_are_found_as_moved(store):
    settings, admin = store
    admin.run("UPDATE stored_events SET {pos} = -1 WHERE {pos} = 40")
    admin.run("UPDATE stored_events SET {pos} = 40 WHERE {pos} = 41")
    admin.run("UPDATE stored_events SET {pos} = 41 WHERE {pos} = -1")
    report = _verify(settings)
    assert _kinds(report) == [("moved", 40), ("moved", 41)]
    assert "written at position 41" in report.findings[0].detail


def test_a_renumbered_event_is_found_as_moved(store):
    settings, admin = store
    admin.run("UPDATE stored_events SET {pos} = 1000 WHERE {pos} = 12")
    report = _verify(settings)
    assert _kinds(report) == [("moved", 1000)]
    assert "written at position 12" in report.findings[0].detail


def test_a_truncated_tail_is_found_by_the_signed_checkpoint(store):
    settings, admin = store
    _checkpoint(settings)
    admin.run("DELETE FROM stored_events WHERE {pos} > 50")
    admin.run("DELETE FROM stored_events_chain WHERE position > 50")
    report = _verify(settings)
    assert _kinds(report) == [("truncated", N)]
    assert "the log ends at 50" in report.findings[0].detail


def test_a_chain_recomputed_after_a_change_is_found_by_the_signed_checkpoint(store):
    settings, admin = store
    _checkpoint(settings)
    admin.run("UPDATE stored_events SET state = {p} WHERE {pos} = 25", b'{"n": 2}')
    prev = bytes(admin.run("SELECT chainhash FROM stored_events_chain WHERE position = 24")[0][0])
    for position in range(25, N + 1):  # the administrator rewrites every later link
        oid, version, topic, state = admin.event(position)
        prev = chain.link_hash(prev, position, oid, version, topic, bytes(state))
        admin.run(
            "UPDATE stored_events_chain SET chainhash = {p} WHERE position = {p}", prev, position
        )
    report = _verify(settings)
    assert _kinds(report) == [("rewritten", N)]
    assert "after position 0" in report.findings[0].detail


def test_a_checkpoint_signed_with_another_key_is_refused(store, tmp_path):
    settings, admin = store
    other, _ = write_key_pair(tmp_path / "other")
    _checkpoint(
        settings.model_copy(update={"audit_signing_key_file": other, "audit_public_key_file": None})
    )
    report = _verify(settings)
    assert [f.kind for f in report.findings] == ["checkpoint"]
    assert "does not verify" in report.findings[0].detail
    assert report.checkpoints_checked == 0
