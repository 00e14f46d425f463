"""`caseflow serve`: the HTTP API with the projections (and, when Kafka is configured, the relay)
running in the same process.

`--workers N` serves from N processes sharing the port (uvicorn's supervisor starts them, and
restarts one that dies). Each process runs the projections' runners too, but every runner takes
its lock first (a file lock on SQLite, an advisory lock on PostgreSQL): one process works and the
others stand by to take over. The parent sets up the store, seeds the demo and prints the
development tokens once, before the workers start."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import typer

log = logging.getLogger("caseflow.serve")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    demo_if_empty: Annotated[
        bool,
        typer.Option(
            "--demo-if-empty", help="Seed demo orgs, leaders and cases when the store is empty"
        ),
    ] = False,
    host: Annotated[str | None, typer.Option(help="Overrides CASEFLOW_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides CASEFLOW_PORT")] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request")] = True,
    projections: Annotated[
        bool,
        typer.Option(
            help="Run the projections (and relay) in this process; off when a worker runs them"
        ),
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="API processes sharing the port (one runs each projection)"
        ),
    ] = 1,
) -> None:
    """Serve the API on CASEFLOW_HOST:CASEFLOW_PORT (127.0.0.1:8000 by default)."""
    import uvicorn

    from caseflow.infra import logs
    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.http import create_app
    from caseflow.infra.settings import Settings

    overrides: dict[str, Any] = {
        k: v for k, v in {"host": host, "port": port}.items() if v is not None
    }
    settings = Settings(**overrides)
    json_lines = settings.log_format == "json"
    logs.configure(json_lines)
    if workers > 1:
        return _serve_workers(
            settings,
            workers,
            projections=projections,
            access_log=access_log,
            demo_if_empty=demo_if_empty,
            log_config=logs.uvicorn_log_config(json_lines),
        )
    container = bootstrap(settings)
    try:
        if demo_if_empty:
            _seed_if_empty(container)
        app = create_app(container, background=projections, settle_heap=True)
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            access_log=access_log,
            log_level="info",
            timeout_graceful_shutdown=5,
            server_header=False,
            log_config=logs.uvicorn_log_config(json_lines),
        )
    finally:
        container.close()


def _serve_workers(
    settings,
    workers: int,
    *,
    projections: bool,
    access_log: bool,  # noqa: ANN001
    demo_if_empty: bool,
    log_config: dict | None,
) -> None:
    import os
    import shutil
    import tempfile

    import uvicorn

    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.http.app import METRICS_DIR, WORKER_BACKGROUND, dev_tokens

    # Tables, demo data and the token banner once, here, rather than raced for by the workers.
    container = bootstrap(settings)
    try:
        if demo_if_empty:
            _seed_if_empty(container)
        dev_tokens(container)
    finally:
        container.close()
    # A fresh directory per run: prometheus_client's multiprocess files must not outlive it.
    metrics_dir = tempfile.mkdtemp(prefix="caseflow-metrics-")
    os.environ.update(
        {
            "CASEFLOW_HOST": settings.host,
            "CASEFLOW_PORT": str(settings.port),
            WORKER_BACKGROUND: "1" if projections else "0",
            METRICS_DIR: metrics_dir,
        }
    )
    log.info("serving from %d processes", workers)
    try:
        uvicorn.run(
            "caseflow.infra.http.app:worker_app",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            access_log=access_log,
            log_level="info",
            timeout_graceful_shutdown=5,
            server_header=False,
            log_config=log_config,
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _seed_if_empty(container) -> None:  # noqa: ANN001 - Container
    try:
        from caseflow.demo.seed import seed_if_empty
    except ImportError as e:
        typer.echo(f"--demo-if-empty: demo seeding is not available ({e})", err=True)
        raise typer.Exit(2) from None
    seeded = seed_if_empty(container)
    if seeded:
        log.info("seeded demo data: %s", seeded)
