"""`caseflow relay` (event log → Kafka) and `caseflow consume` (an example analytics consumer)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.settings import Settings
from caseflow.projections.base import ConsumerStatus
from caseflow.projections.runner import Follower, Runner

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command(
        "relay",
        help="Publish the event log to Kafka (CloudEvents, key = aggregate id). "
        "One instance publishes at a time; others stand by.",
    )(relay)
    app.command(
        "consume",
        help="Example analytics consumer: counts cases and leader receptions "
        "from the stream, de-duplicating on ce_id.",
    )(consume)


def _settings_with_kafka() -> Settings:
    settings = Settings()
    if not settings.kafka_bootstrap:
        typer.echo("Kafka is not configured: set CASEFLOW_KAFKA_BOOTSTRAP=host:port.", err=True)
        raise typer.Exit(2)
    return settings


def _logging(level: int) -> None:
    from caseflow.infra import logs
    from caseflow.infra.settings import Settings

    logs.configure(
        Settings().log_format == "json", level, "%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("kafka").setLevel(logging.ERROR)  # its INFO/WARNING chatter is per connection


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _status_line(s: ConsumerStatus, published: int) -> str:
    lag = f"lag {s.lag_events} events"
    if s.lag_seconds:
        lag += f" ({s.lag_seconds:.1f} s)"
    line = f"{s.name}: {s.state}, position {s.position} of {s.head}, {lag}, published {published}"
    return line + (f"; error: {s.error}" if s.error else "")


def relay(
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size", min=1, help="Events per batch (default CASEFLOW_PROJECTION_BATCH_SIZE)"
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Publish up to the current head, then exit")
    ] = False,
    status_every: Annotated[
        float, typer.Option("--status-every", min=0.1, help="Seconds between status lines")
    ] = 10.0,
) -> None:
    from caseflow.infra.relay import relay_runner

    _logging(logging.INFO)
    settings = _settings_with_kafka()
    container = bootstrap(settings)
    stop = _stop_on_signals()
    runner = relay_runner(container, batch_size=batch_size)
    try:
        if once:
            _relay_once(runner, stop)
        else:
            runner.start()
            while not stop.wait(status_every):
                typer.echo(_status_line(runner.status(), _published(runner)))
            runner.stop()
        typer.echo(_status_line(runner.status(), _published(runner)))
    finally:
        container.close()


def _published(runner: Runner) -> int:
    """Records the relay behind `runner` has had acknowledged."""
    from caseflow.infra.kafka.relay import KafkaRelay

    relay = runner.consumer
    return relay.published if isinstance(relay, KafkaRelay) else 0


def _relay_once(runner: Runner, stop: threading.Event) -> None:
    """Publish up to the head as it is now, through the log's one follower (its until-the-head
    mode), with the same backoff as the running relay while the broker is away."""
    if not runner.take_lock():
        typer.echo(f"{runner.name}: another instance is publishing; nothing done.", err=True)
        raise typer.Exit(1)
    Follower([runner]).run(until_head=True, stop=stop)


def consume(
    group: Annotated[str, typer.Option(help="Kafka consumer group")] = "caseflow-analytics",
    output: Annotated[Path | None, typer.Option(help="Write the counts to this JSON file")] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            help="De-duplication and counts (SQLite); default <data_dir>/analytics-<group>.sqlite3"
        ),
    ] = None,
    print_every: Annotated[
        float, typer.Option(min=0, help="Seconds between summary lines (0: never)")
    ] = 10.0,
    idle_exit: Annotated[
        float | None, typer.Option(min=0.1, help="Exit after this many seconds without a record")
    ] = None,
    session_timeout_ms: Annotated[
        int, typer.Option(min=1000, help="How soon a dead member's partitions move to another")
    ] = 10_000,
    heartbeat_ms: Annotated[int, typer.Option(min=100)] = 1_000,
    name: Annotated[str, typer.Option(help="This member's name (default host-pid)")] = "",
) -> None:
    from caseflow.infra.kafka.analytics import AnalyticsStore, StateMismatch
    from caseflow.infra.kafka.consumer import AnalyticsConsumer, ConsumerConfig

    _logging(logging.WARNING)
    settings = _settings_with_kafka()
    assert settings.kafka_bootstrap is not None  # (_settings_with_kafka refuses to go on)
    config = ConsumerConfig(
        bootstrap=settings.kafka_bootstrap,
        topic=settings.kafka_topic,
        group=group,
        name=name,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=heartbeat_ms,
    )
    store = AnalyticsStore(
        state or Path(settings.data_dir) / f"analytics-{group}.sqlite3",
        timezone=settings.timezone,
        consumer=name,
    )
    consumer = AnalyticsConsumer(config, store, output=output, report=lambda line: typer.echo(line))
    stop = _stop_on_signals()

    def stop_when_asked() -> None:
        stop.wait()
        consumer.stop()

    threading.Thread(target=stop_when_asked, daemon=True).start()
    started = time.monotonic()
    try:
        consumer.run(idle_exit=idle_exit, print_every=print_every or None)
    except StateMismatch as e:
        typer.echo(f"{consumer.name}: not started: {e}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()
    typer.echo(f"{consumer.name}: stopped after {time.monotonic() - started:.1f} s")
