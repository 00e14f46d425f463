"""`caseflow serve`: the HTTP API with the projections (and, when Kafka is configured, the relay)
running in the same process."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

log = logging.getLogger("caseflow.serve")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    demo_if_empty: Annotated[bool, typer.Option(
        "--demo-if-empty", help="Seed demo orgs, leaders and cases when the store is empty"),
    ] = False,
    host: Annotated[str | None, typer.Option(help="Overrides CASEFLOW_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides CASEFLOW_PORT")] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request")] = True,
    projections: Annotated[bool, typer.Option(
        help="Run the projections (and relay) in this process; off when a worker runs them")
    ] = True,
) -> None:
    """Serve the API on CASEFLOW_HOST:CASEFLOW_PORT (127.0.0.1:8000 by default)."""
    import uvicorn

    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.http import create_app
    from caseflow.infra.settings import Settings

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings(**overrides)
    container = bootstrap(settings)
    try:
        if demo_if_empty:
            _seed_if_empty(container)
        app = create_app(container, background=projections)
        uvicorn.run(app, host=settings.host, port=settings.port, access_log=access_log,
                    log_level="info", timeout_graceful_shutdown=5, server_header=False)
    finally:
        container.close()


def _seed_if_empty(container) -> None:  # noqa: ANN001 - Container
    try:
        from caseflow.services.seed import seed_if_empty
    except ImportError as e:
        typer.echo(f"--demo-if-empty: demo seeding is not available ({e})", err=True)
        raise typer.Exit(2) from None
    seeded = seed_if_empty(container)
    if seeded:
        log.info("seeded demo data: %s", seeded)
