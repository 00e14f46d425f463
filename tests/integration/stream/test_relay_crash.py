"""`caseflow relay` killed with SIGKILL in the middle of a batch, then restarted: delivery is
at-least-once, and what a de-duplicating consumer makes of the topic equals the log."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter

import pytest
from kafka import KafkaConsumer, TopicPartition

from caseflow.domain.base import ce_type
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.kafka.analytics import AnalyticsStore, Message
from caseflow.infra.kafka.envelope import from_record
from caseflow.infra.relay import view_store
from tests.integration.stream.conftest import (
    by_key,
    cli_env,
    first_copies,
    header,
    log_by_key,
    read_topic,
)
from tests.processes import caseflow_cmd
from tests.unit.stream.scenario import drive

pytestmark = pytest.mark.kafka


def published(consumer: KafkaConsumer, topic: str) -> int:
    parts = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in parts]
    return sum(consumer.end_offsets(tps).values()) if tps else 0


def test_relay_killed_mid_batch_and_restarted_delivers_at_least_once_and_dedup_equals_log(
    sqlite_stream_settings, tmp_path
):
    s = sqlite_stream_settings
    c = bootstrap(s)
    # Enough events that the relay (batches of 10) is usually still busy when the kill lands; on
    # an attempt where it had already finished (a starved watcher), more events are added.
    directory, cases = drive(c.app, 600), 600
    name = f"relay:{s.kafka_topic}"
    env = cli_env(s)
    killed_mid_batch = 0
    for _attempt in range(6):
        watch = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap, group_id=None)
        relay = subprocess.Popen(
            caseflow_cmd("relay", "--batch-size", "10"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            before = published(watch, s.kafka_topic)
            deadline = time.monotonic() + 60
            while published(watch, s.kafka_topic) <= before + 30:
                assert time.monotonic() < deadline, "the relay did not start publishing"
                time.sleep(0.01)
        finally:
            relay.send_signal(signal.SIGKILL)
            relay.wait(10)
            watch.close()
        position = view_store(c).consumer_position(name).position
        records = read_topic(s.kafka_bootstrap, s.kafka_topic, at_least=1)
        newest = max(int(header(r, "ce_sequence")) for r in records)
        # Acknowledged by the broker but not yet recorded: those will be sent again.
        killed_mid_batch += newest > position
        if killed_mid_batch:
            break
        if position >= c.log.head():  # killed too late: it had relayed everything
            drive(c.app, 600, start=cases, directory=directory)
            cases += 600
    assert killed_mid_batch, "never caught the relay between publishing and recording"
    head = c.log.head()

    done = subprocess.run(
        caseflow_cmd("relay", "--once", "--batch-size", "10"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert view_store(c).consumer_position(name).position == head

    events = c.log.read(0, 1_000_000)
    records = read_topic(s.kafka_bootstrap, s.kafka_topic, at_least=len(events))
    assert len(records) > len(events)  # at-least-once: the interrupted batch went out twice
    unique = first_copies(records)
    assert by_key(unique) == log_by_key(events)

    # The example consumer's de-duplicated result equals the log.
    store = AnalyticsStore(tmp_path / "analytics.sqlite3", timezone=s.timezone)
    store.apply(
        [
            Message(r.partition, r.offset, from_record(r.headers, r.value))
            for r in sorted(records, key=lambda r: (r.partition, r.offset))
        ]
    )
    summary = store.summary()
    assert summary["events"] == len(events)
    assert summary["duplicates_skipped"] == len(records) - len(events)
    assert summary["by_type"] == dict(Counter(ce_type(e.name) for e in events))
    assert sorted(ce_id for ce_id, *_ in store.seen()) == sorted(str(e.id) for e in events)
    store.close()
    c.close()
