"""Fixtures for the stream tests: a container whose settings point at the test broker and a
topic of its own, and helpers that read a topic back."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from caseflow.infra.bootstrap import Container, bootstrap
from caseflow.infra.settings import Settings


def unique_topic() -> str:
    return f"caseflow.test.stream.{uuid.uuid4().hex[:10]}"


@pytest.fixture
def stream_settings(backend_settings: Settings, kafka_bootstrap: str) -> Settings:
    """The backend's settings (SQLite or PostgreSQL) plus Kafka with a fresh topic name."""
    return backend_settings.model_copy(
        update={
            "kafka_bootstrap": kafka_bootstrap,
            "kafka_topic": unique_topic(),
            "kafka_partitions": 6,
        }
    )


@pytest.fixture
def sqlite_stream_settings(tmp_path: Path, kafka_bootstrap: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        kafka_bootstrap=kafka_bootstrap,
        kafka_topic=unique_topic(),
        kafka_partitions=6,
    )


@pytest.fixture
def stream_container(stream_settings: Settings) -> Iterator[Container]:
    """Bootstrapped on each backend in turn."""
    c = bootstrap(stream_settings)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def sqlite_container(sqlite_stream_settings: Settings) -> Iterator[Container]:
    """Bootstrapped on SQLite only: for behaviour that does not depend on the event store."""
    c = bootstrap(sqlite_stream_settings)
    try:
        yield c
    finally:
        c.close()


def read_topic(bootstrap: str, topic: str, *, at_least: int, timeout: float = 30.0) -> list:
    """Every record of `topic` from the start, once at least `at_least` have arrived (or fail)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=1000,
    )
    try:
        deadline = time.monotonic() + timeout
        partitions = None
        while not partitions and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                time.sleep(0.2)
        assert partitions, f"topic {topic} does not exist"
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records: list = []
        while len(records) < at_least and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        assert len(records) >= at_least, f"only {len(records)} of {at_least} records arrived"
        # Anything else already there (duplicates) comes along in one more short poll.
        for batch in consumer.poll(timeout_ms=300).values():
            records.extend(batch)
        return records
    finally:
        consumer.close()


def header(record, name: str) -> bytes:
    return dict(record.headers)[name]


def first_copies(records: list) -> list:
    """De-duplication on `ce_id`, keeping each event's first copy (what a consumer counts)."""
    seen, out = set(), []
    for r in records:
        ce_id = header(r, "ce_id")
        if ce_id not in seen:
            seen.add(ce_id)
            out.append(r)
    return out


def by_key(records: list) -> dict[bytes, list[int]]:
    """Positions (`ce_sequence`) per key, in partition order."""
    out: dict[bytes, list[int]] = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        out.setdefault(r.key, []).append(int(header(r, "ce_sequence")))
    return out


def log_by_key(events) -> dict[bytes, list[int]]:
    out: dict[bytes, list[int]] = {}
    for e in events:
        out.setdefault(str(e.aggregate_id).encode(), []).append(e.position)
    return out


def cli_env(settings: Settings) -> dict[str, str]:
    """Environment for a `caseflow` subprocess that sees the same stores and broker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    env.update(
        {
            "CASEFLOW_DATA_DIR": str(settings.data_dir),
            "CASEFLOW_KAFKA_BOOTSTRAP": settings.kafka_bootstrap or "",
            "CASEFLOW_KAFKA_TOPIC": settings.kafka_topic,
            "CASEFLOW_KAFKA_PARTITIONS": str(settings.kafka_partitions),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if settings.database_url:
        env["CASEFLOW_DATABASE_URL"] = settings.database_url
    if settings.master_key is not None:  # the store's personal fields are sealed under it
        env["CASEFLOW_MASTER_KEY"] = settings.master_key.get_secret_value()
    if settings.master_key_file is not None:
        env["CASEFLOW_MASTER_KEY_FILE"] = str(settings.master_key_file)
    return env
