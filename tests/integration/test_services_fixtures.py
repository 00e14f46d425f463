"""The service fixtures hand out working PostgreSQL servers and Kafka brokers."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.timeout(180)


@pytest.mark.postgres
def test_postgres_answers(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, connect_timeout=5) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
        version = conn.execute("show server_version_num").fetchone()[0]
    assert int(version) >= 130000  # fresh_postgres_url relies on DROP DATABASE ... WITH (FORCE)


@pytest.mark.postgres
def test_fresh_database_is_empty_and_isolated(postgres_url: str, fresh_postgres_url: str) -> None:
    import psycopg

    assert fresh_postgres_url != postgres_url
    with psycopg.connect(fresh_postgres_url, autocommit=True) as conn:
        dbname = conn.execute("select current_database()").fetchone()[0]
        assert dbname.startswith("caseflow_test_")
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()[0]
        assert tables == 0
        conn.execute("create table marker (id int primary key)")
        conn.execute("insert into marker values (42)")
        assert conn.execute("select id from marker").fetchall() == [(42,)]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert conn.execute(
            "select count(*) from pg_database where datname = %s", (dbname,)
        ).fetchone() == (1,)


@pytest.mark.kafka
def test_kafka_round_trip(kafka_bootstrap: str, kafka_topic: str) -> None:
    from kafka import KafkaConsumer, KafkaProducer

    key = uuid.uuid4().hex.encode()
    value = b'{"hello": "caseflow"}'
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    try:
        meta = producer.send(kafka_topic, key=key, value=value, headers=[("ce_id", b"evt-1")]).get(
            timeout=30
        )
    finally:
        producer.close()
    assert meta.topic == kafka_topic
    assert meta.offset == 0

    consumer = KafkaConsumer(
        kafka_topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        consumer_timeout_ms=30_000,
    )
    try:
        received = next(iter(consumer))
    finally:
        consumer.close()
    assert received.key == key
    assert received.value == value
    assert received.partition == meta.partition
    assert dict(received.headers) == {"ce_id": b"evt-1"}


@pytest.mark.kafka
def test_kafka_survives_restart(kafka_bootstrap: str, kafka_topic: str, kafka_control) -> None:
    from kafka import KafkaConsumer, KafkaProducer

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    producer.send(kafka_topic, key=b"k", value=b"before").get(timeout=30)
    producer.close()

    kafka_control.restart()

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    producer.send(kafka_topic, key=b"k", value=b"after").get(timeout=60)
    producer.close()

    consumer = KafkaConsumer(
        kafka_topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        consumer_timeout_ms=30_000,
    )
    try:
        values = []
        for message in consumer:
            values.append(message.value)
            if len(values) == 2:
                break
    finally:
        consumer.close()
    # Same key, same partition: order is kept and data written before the restart survived it.
    assert values == [b"before", b"after"]
