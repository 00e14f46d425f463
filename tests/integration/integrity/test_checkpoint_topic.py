"""Checkpoints also go to the Kafka topic when one is configured; `--from-checkpoint` walks
only what came after the newest one, and still checks that one's link."""

from __future__ import annotations

import pytest
from kafka import KafkaConsumer

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.integrity.checkpoints import (
    Checkpoint,
    is_signed_by,
    load_signing_key,
    write_key_pair,
)
from caseflow.infra.integrity.service import Integrity, open_store
from caseflow.infra.settings import Settings
from tests.unit.projections.world import T0, Clock, World


def _store(tmp_path, **settings) -> tuple[Settings, object]:
    signing, public = write_key_pair(tmp_path / "keys")
    s = Settings(
        data_dir=tmp_path / "var",
        audit_signing_key_file=signing,
        audit_public_key_file=public,
        **settings,
    )
    container = bootstrap(s, clock=Clock())
    World(app=container.app, clock=Clock()).receive(T0)
    container.close()
    return s, load_signing_key(signing)


@pytest.mark.kafka
def test_a_checkpoint_is_also_published_to_the_checkpoint_topic(
    tmp_path, kafka_bootstrap, kafka_topic
):
    settings, key = _store(
        tmp_path, kafka_bootstrap=kafka_bootstrap, audit_checkpoint_topic=kafka_topic
    )
    cp = Integrity(settings, open_store(settings)).checkpoint(key)
    consumer = KafkaConsumer(
        kafka_topic,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=10_000,
    )
    try:
        received = [Checkpoint.from_json(m.value) for m in consumer]
    finally:
        consumer.close()
    assert received == [cp] and is_signed_by(received[0], key.public_key())


def test_from_checkpoint_checks_what_came_after_and_the_checkpoints_own_link(tmp_path):
    import sqlite3

    settings, key = _store(tmp_path)
    integrity = Integrity(settings, open_store(settings))
    cp = integrity.checkpoint(key)
    container = bootstrap(settings, clock=Clock())
    World(app=container.app, clock=Clock()).receive(T0)
    container.close()
    report = integrity.verify(from_last_checkpoint=True)
    assert report.intact and report.start == cp.position and report.head > cp.position
    with sqlite3.connect(settings.data_dir / "events.sqlite3") as conn:
        conn.execute("UPDATE stored_events SET state = state || x'20' WHERE rowid = 2")
        conn.execute("UPDATE stored_events SET state = x'00' WHERE rowid = ?", (cp.position + 2,))
        conn.execute(
            "UPDATE stored_events_chain SET chainhash = x'00' WHERE position = ?", (cp.position,)
        )
    found = [(f.kind, f.position) for f in integrity.verify(from_last_checkpoint=True).findings]
    assert found == [("rewritten", cp.position), ("altered", cp.position + 2)]


def test_a_change_between_many_checkpoints_is_found_and_each_checkpoint_is_checked(tmp_path):
    import sqlite3

    settings, key = _store(tmp_path)
    integrity = Integrity(settings, open_store(settings))
    container = bootstrap(settings, clock=Clock())
    world = World(app=container.app, clock=Clock())
    for _ in range(4):  # a checkpoint after every few events, all in one verify window
        world.receive(T0)
        integrity.checkpoint(key)
    container.close()
    head = integrity.heads()[0]
    with sqlite3.connect(settings.data_dir / "events.sqlite3") as conn:
        conn.execute("UPDATE stored_events SET topic = topic || ' ' WHERE rowid = ?", (head - 1,))
    report = integrity.verify()
    assert report.checkpoints_checked == 4
    assert [(f.kind, f.position) for f in report.findings] == [("altered", head - 1)]
