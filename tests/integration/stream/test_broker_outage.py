"""The broker stops mid-stream and comes back: the relay backs off, reports its lag, and then
delivers everything, in order per case."""

from __future__ import annotations

import threading
import time

import pytest

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.kafka.producer import Producer, ProducerConfig
from caseflow.infra.relay import relay_runner
from tests.integration.stream.conftest import by_key, first_copies, header, log_by_key, read_topic
from tests.unit.stream.scenario import Directory, drive

pytestmark = pytest.mark.kafka


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_broker_stopped_mid_stream_and_restarted_loses_nothing_and_keeps_case_order(
    sqlite_stream_settings, kafka_control
):
    c = bootstrap(sqlite_stream_settings)
    s = c.settings
    # A short ack deadline so the outage is noticed quickly (the default is 15 s).
    producer = Producer(
        ProducerConfig(
            bootstrap=s.kafka_bootstrap,
            ack_timeout=2.0,
            connect_timeout_ms=2_000,
            max_block_ms=2_000,
        )
    )
    runner = relay_runner(c, batch_size=20, producer=producer)
    runner.max_backoff = 1.0
    d = Directory(c.app)
    writing = threading.Event()
    writing.set()
    written = [0]

    def write() -> None:  # commands keep coming throughout, as in an office
        while writing.is_set():
            drive(c.app, 1, start=written[0], directory=d)
            written[0] += 1
            time.sleep(0.02)

    writer = threading.Thread(target=write, daemon=True)
    runner.start()
    writer.start()
    try:
        wait_until(lambda: runner.consumer.published >= 100, 30, "the first 100 events")
        kafka_control.stop()
        down_at = runner.consumer.position()
        wait_until(lambda: runner.error is not None, 30, "the relay to notice the outage")
        wait_until(lambda: c.log.head() > down_at + 50, 30, "commands during the outage")
        status = runner.status()
        assert status.lag_events > 0 and status.error
        assert runner.consumer.position() <= down_at + 20  # at most the batch in flight
        kafka_control.start()
        time.sleep(0.5)
        writing.clear()
        writer.join()
        wait_until(lambda: runner.consumer.position() == c.log.head(), 60, "catching up")
        assert runner.status().error is None
    finally:
        writing.clear()
        runner.stop()
    events = c.log.read(0, 1_000_000)
    records = read_topic(s.kafka_bootstrap, s.kafka_topic, at_least=len(events))
    unique = first_copies(records)
    assert sorted(header(r, "ce_id") for r in unique) == sorted(str(e.id).encode() for e in events)
    assert by_key(unique) == log_by_key(events)
    c.close()
