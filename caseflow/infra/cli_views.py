"""`caseflow projections status|rebuild` and `caseflow worker` (projections and relay, no HTTP)."""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import threading
from typing import Annotated, Any

import orjson
import typer

log = logging.getLogger("caseflow.worker")
projections_app = typer.Typer(no_args_is_help=True, help="Views built from the event log.")


def register(app: typer.Typer) -> None:
    app.add_typer(projections_app, name="projections")
    app.command("worker")(worker)


def _container() -> Any:
    from caseflow.infra.bootstrap import bootstrap

    return bootstrap()


@projections_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Position, head of the log, lag (events and seconds), state and failures of every view,
    and of the Kafka relay when one is configured."""
    container = _container()
    try:
        statuses = container.views.statuses()
    finally:
        container.close()
    if as_json:
        typer.echo(
            orjson.dumps(
                [dataclasses.asdict(s) for s in statuses], option=orjson.OPT_INDENT_2
            ).decode()
        )
        raise typer.Exit(1 if any(s.state == "failed" for s in statuses) else 0)
    from rich.console import Console
    from rich.table import Table

    table = Table("projection", "state", "gen", "position", "head", "lag", "lag s", "notes")
    for s in statuses:
        notes = []
        if s.failed_position is not None:
            notes.append(f"stopped at {s.failed_event}: {s.error}")
        elif s.error:
            notes.append(s.error)
        elif s.last_error:
            notes.append(f"last error: {s.last_error}")
        if s.rebuild:
            r = s.rebuild
            notes.append(
                f"rebuild g{r['generation']} {r['state']} at {r['position']} "
                f"(lag {r['lag_events']})" + (f": {r['error']}" if r.get("error") else "")
            )
            if r.get("shares"):
                shares = r["shares"]
                notes.append(
                    f"split by case: shares at {', '.join(map(str, shares['positions']))} "
                    f"of {shares['target']}"
                )
        if s.extra.get("rebuild_due"):
            notes.append("schema changed: rebuild due")
        lag_s = "-" if s.lag_seconds is None else f"{s.lag_seconds:.1f}"
        style = "red" if s.state == "failed" else None
        gen = "-" if s.generation is None else str(s.generation)  # the relay has none
        table.add_row(
            s.name,
            s.state,
            gen,
            str(s.position),
            str(s.head),
            str(s.lag_events),
            lag_s,
            "; ".join(notes),
            style=style,
        )
    Console().print(table)
    if any(s.state == "failed" for s in statuses):
        raise typer.Exit(1)


@projections_app.command("rebuild")
def rebuild(
    names: Annotated[list[str] | None, typer.Argument(help="Projections (default: all)")] = None,
    restart: Annotated[
        bool, typer.Option(help="Discard an unfinished rebuild and start from position 0")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="Events per read")] = 5000,
    commit_every: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=1_000_000,
            help="Most events per commit of each view (default 200,000; a view also commits "
            "whenever it holds 50,000 changed rows)",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=16,
            help="Processes to rebuild in (default: 2 on a machine with 2 CPUs or more). "
            "PostgreSQL: each folds its share of the cases of every view; SQLite: each "
            "rebuilds a group of the views, reading the log itself",
        ),
    ] = None,
) -> None:
    """Rebuild views from the log into new tables while the old ones serve; switch when caught
    up. Interrupted (Ctrl-C, crash), the next run resumes where it stopped."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from caseflow.projections import registry
    from caseflow.projections.rebuild import RebuildBusy

    unknown = [n for n in names or () if n not in registry.names()]
    if unknown:
        typer.echo(
            f"unknown projection(s): {', '.join(unknown)}; known: {', '.join(registry.names())}",
            err=True,
        )
        raise typer.Exit(2)
    container = _container()
    views = container.views
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        if restart:
            for name in names or registry.names():
                views.store.discard_rebuild(name)
        columns = (
            TextColumn("[bold]rebuild"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>9,.0f} events/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        )
        with Progress(*columns) as bar:
            task = bar.add_task("rebuild", total=None, rate=0.0)
            first: list[int] = []

            def progress(p: Any) -> None:
                if not first:
                    first.append(p.position - p.events)
                base = first[0]
                bar.update(
                    task, completed=p.position - base, total=max(1, p.head - base), rate=p.rate
                )

            result = views.rebuild(
                names or None,
                progress=progress,
                stop=stop,
                batch_size=batch_size,
                commit_every=commit_every,
                jobs=jobs or min(2, os.cpu_count() or 1),
            )
    except RebuildBusy as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(3) from None
    finally:
        signal.signal(signal.SIGINT, previous)
        container.close()
    rate = result.events / result.seconds if result.seconds else 0
    typer.echo(f"{result.events} events in {result.seconds:.1f} s ({rate:,.0f} events/s)")
    if result.switched:
        typer.echo(f"switched: {', '.join(result.switched)}")
    if result.skipped:
        typer.echo(f"already switched by the run this one resumed: {', '.join(result.skipped)}")
    for name, failure in result.failed.items():
        typer.echo(f"FAILED {name}: {failure}", err=True)
    if result.interrupted:
        typer.echo("interrupted: run the same command again to resume", err=True)
    if result.failed:  # (a process that died stops the others: a failure, not a Ctrl-C)
        raise typer.Exit(1)
    if result.interrupted:
        raise typer.Exit(130)


def worker(
    status_every: Annotated[float, typer.Option(help="Seconds between status log lines")] = 60,
) -> None:
    """Run the projections (and the Kafka relay when CASEFLOW_KAFKA_BOOTSTRAP is set) without
    HTTP, until SIGTERM or Ctrl-C. Several workers may run: one is active per view."""
    from caseflow.infra import logs
    from caseflow.infra.background import background_runners, start_background
    from caseflow.infra.integrity.checkpoints import KeyProblem
    from caseflow.infra.integrity.signer import start_signer
    from caseflow.infra.settings import Settings

    logs.configure(Settings().log_format == "json")  # as `caseflow serve`
    container = _container()
    try:
        signer = start_signer(container)
    except KeyProblem as e:
        container.close()
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runners = start_background(container, background_runners(container))
    log.info("worker started: %s", ", ".join(r.name for r in runners))
    try:
        while not stop.wait(status_every):
            for r in runners:
                s = r.status()
                log.info(
                    "%s %s position=%s lag=%s%s",
                    s.name,
                    s.state,
                    s.position,
                    s.lag_events,
                    f" error={s.error}" if s.error else "",
                )
    finally:
        for r in runners:
            r.stop()
        if signer is not None:
            signer.stop()
        container.close()
        log.info("worker stopped")
