"""Kafka relay: throughput against kafka-python's bare producer, and end-to-end latency.

Throughput: the relay (read the log → public payload + CloudEvents headers → idempotent produce →
wait for every ack → record the position, one batch at a time) over a cached synthetic history,
against a bare `KafkaProducer` sending the very same records (key, headers, value: encoded before
the clock starts) and flushing once. Two bare variants: kafka-python's defaults, and the relay's
producer settings; the ratio is taken against the faster one. Medians of alternating rounds.

Latency: commands appended through the service layer at a steady rate while `caseflow relay`
runs as its own process (as a worker would) and a consumer in this process notes when each event
arrives; latency = arrival - the moment the command returned (its commit).

Needs a broker: CASEFLOW_TEST_KAFKA_BOOTSTRAP or CASEFLOW_KAFKA_BOOTSTRAP (scripts/services.sh).
`BENCH_RELAY_EVENTS` (default 20000) sets the size, `BENCH_RELAY_ROUNDS` (3) the rounds.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from caseflow.infra.eventlog import EventLog, event_id
from caseflow.infra.kafka.envelope import to_record
from caseflow.infra.kafka.producer import Producer, ProducerConfig
from caseflow.infra.kafka.relay import KafkaRelay
from caseflow.infra.settings import Settings
from caseflow.infra.store import event_store_env
from caseflow.projections.runner import Runner
from caseflow.services.app import CaseflowApp

BATCH_SIZE = 2000
SOURCE = "/caseflow"


def _topic() -> str:
    return f"caseflow.bench.{uuid.uuid4().hex[:10]}"


def _bootstrap() -> str | None:
    return os.environ.get("CASEFLOW_TEST_KAFKA_BOOTSTRAP") or os.environ.get(
        "CASEFLOW_KAFKA_BOOTSTRAP"
    )


# ---------------------------------------------------------------- throughput


def relay_rate(bootstrap: str, log: EventLog, events: int, work: Path) -> float:
    """Events/s of the relay publishing the first `events` events of `log` to a new topic."""
    from caseflow.infra.views.backends import sqlite_store

    topic = _topic()
    store = sqlite_store(Path(tempfile.mkdtemp(dir=work)))  # positions: never the cached history
    producer = Producer(ProducerConfig(bootstrap=bootstrap, client_id="bench-relay"))
    producer.ensure_topic(topic, 6)  # outside the clock, as for the bare producer
    relay = KafkaRelay(producer, store, topic=topic, source=SOURCE, partitions=6)
    runner = Runner(relay, log, batch_size=BATCH_SIZE)
    relay.position()
    started = time.perf_counter()
    runner.catch_up(events)
    elapsed = time.perf_counter() - started
    relay.close()
    store.close()
    assert relay.position() >= events
    return relay.position() / elapsed


def bare_rate(bootstrap: str, records: list, *, tuned: bool) -> float:
    """Events/s of a bare idempotent `KafkaProducer` sending `records` and flushing once."""
    topic = _topic()
    Producer(ProducerConfig(bootstrap=bootstrap)).ensure_topic(topic, 6)
    options = {"enable_idempotence": True, "acks": "all"}
    if tuned:
        c = ProducerConfig(bootstrap=bootstrap)
        options.update(
            linger_ms=c.linger_ms, batch_size=c.batch_size, max_request_size=c.max_request_size
        )
    producer = KafkaProducer(bootstrap_servers=bootstrap, client_id="bench-bare", **options)
    producer.send(topic, b"warm-up").get(30)  # connection and metadata outside the clock
    started = time.perf_counter()
    futures = [producer.send(topic, value=r.value, key=r.key, headers=r.headers) for r in records]
    producer.flush()
    elapsed = time.perf_counter() - started
    assert all(f.succeeded() for f in futures)
    producer.close()
    return len(records) / elapsed


def throughput(bootstrap: str, events: int, rounds: int, work: Path) -> None:
    from bench._history import ensure

    data = ensure(events)
    settings = Settings(data_dir=data)
    app = CaseflowApp(event_store_env(settings))
    log = EventLog(app.recorder, app.mapper.transcoder)
    records = [to_record(e, SOURCE) for e in log.read(0, events)]
    size = sum(len(r.value) for r in records) / len(records)
    relay, bare, tuned = [], [], []
    for _ in range(rounds):
        relay.append(relay_rate(bootstrap, log, events, work))
        bare.append(bare_rate(bootstrap, records, tuned=False))
        tuned.append(bare_rate(bootstrap, records, tuned=True))
    app.close()
    r, b, t = (statistics.median(x) for x in (relay, bare, tuned))
    runs = lambda xs: ", ".join(f"{x:,.0f}" for x in xs)  # noqa: E731
    print(
        f"records: {len(records):,} events, {size:.0f} B payload on average, "
        f"relay batch {BATCH_SIZE}, {rounds} rounds (medians)"
    )
    print(f"relay (log -> Kafka, acked, position recorded): {r:>9,.0f} events/s   [{runs(relay)}]")
    print(f"bare KafkaProducer, library defaults:           {b:>9,.0f} events/s   [{runs(bare)}]")
    print(f"bare KafkaProducer, relay's producer settings:  {t:>9,.0f} events/s   [{runs(tuned)}]")
    print(
        f"ratio relay / best bare: {r / max(b, t):.2f}  (goal >= 0.5)   "
        f"absolute goal 20,000 events/s: {'met' if r >= 20_000 else 'NOT met'}"
    )


# ------------------------------------------------------------------- latency


def latency(bootstrap: str, work: Path, commands: int = 400, rate: float = 80.0) -> None:
    from caseflow.domain.values import Channel, OrgLevel, Petitioner
    from caseflow.infra.bootstrap import bootstrap as build
    from caseflow.services.app import Actor, Context

    topic = _topic()
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(dir=work)), kafka_bootstrap=bootstrap, kafka_topic=topic
    )
    Producer(ProducerConfig(bootstrap=bootstrap)).ensure_topic(topic, settings.kafka_partitions)
    container = build(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    env.update(
        CASEFLOW_DATA_DIR=str(settings.data_dir),
        CASEFLOW_KAFKA_BOOTSTRAP=bootstrap,
        CASEFLOW_KAFKA_TOPIC=topic,
    )
    relay = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from caseflow.infra.cli import main; main()",
            "relay",
            "--status-every",
            "3600",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    arrived: dict[bytes, float] = {}
    stop = threading.Event()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=100)
    tps = [TopicPartition(topic, p) for p in range(settings.kafka_partitions)]
    consumer.assign(tps)
    consumer.seek_to_end(*tps)
    for tp in tps:
        consumer.position(tp)

    def consume() -> None:
        while not stop.is_set():
            for batch in consumer.poll(timeout_ms=100).values():
                now = time.monotonic()
                for r in batch:
                    arrived.setdefault(dict(r.headers)["ce_id"], now)

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    try:
        app = container.app
        ctx = Context(actor=Actor("bench-registrar", "registrar"))
        registered = app.register_org(ctx, name="Bench County Office", level=OrgLevel.COUNTY)
        org, first = registered.id, str(event_id(registered.id, registered.version)).encode()
        ready_by = time.monotonic() + 60
        while first not in arrived:  # the relay process is up and the consumer attached
            if time.monotonic() > ready_by:
                raise RuntimeError("the relay did not publish within 60 s")
            time.sleep(0.05)
        committed: dict[bytes, float] = {}
        start = time.monotonic()
        for i in range(commands):
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
            result = app.receive(
                ctx,
                channel=Channel.ONLINE,
                received_at=app.clock() - timedelta(minutes=1),
                receiving_org_id=org,
                petitioners=(Petitioner(f"Bench Petitioner {i} (synthetic)"),),
                headcount=1,
                representatives=(),
                subject="wage arrears",
                request="synthetic",
                region="Bench",
            )
            committed[str(event_id(result.id, result.version)).encode()] = time.monotonic()
        deadline = time.monotonic() + 30
        while not committed.keys() <= arrived.keys() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        reader.join(5)
        consumer.close()
        relay.terminate()
        relay.wait(30)
        container.close()
    lost = len(committed.keys() - arrived.keys())
    ms = sorted((arrived[k] - t) * 1000 for k, t in committed.items() if k in arrived)
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
    print(
        f"latency command commit -> consumer ({commands} commands at {rate:.0f}/s, "
        f"relay in its own process): p50 {p(0.50):.0f} ms, p99 {p(0.99):.0f} ms, "
        f"max {ms[-1]:.0f} ms{f', {lost} NOT ARRIVED' if lost else ''}   (goal p99 <= 1000 ms)"
    )


def main() -> None:
    bootstrap = _bootstrap()
    if not bootstrap:
        print(
            "skipped: no Kafka broker (scripts/services.sh start; "
            'eval "$(scripts/services.sh env)")'
        )
        return
    events = int(os.environ.get("BENCH_RELAY_EVENTS", "20000"))
    rounds = int(os.environ.get("BENCH_RELAY_ROUNDS", "3"))
    with tempfile.TemporaryDirectory(prefix="caseflow-bench-relay-") as work:
        throughput(bootstrap, events, rounds, Path(work))
        latency(bootstrap, Path(work))


if __name__ == "__main__":
    main()
