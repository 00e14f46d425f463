"""The FastAPI application factory. Adapters are built in the lifespan and kept on `app.state`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import orjson
from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline
from starlette.responses import JSONResponse

from caseflow import __version__
from caseflow.infra import auth, logs
from caseflow.infra.background import background_runners, start_background
from caseflow.infra.bootstrap import Container, bootstrap
from caseflow.infra.devtokens import WithMinted
from caseflow.infra.http import (
    problems,
    routes_commands,
    routes_directory,
    routes_docs,
    routes_events,
    routes_integrity,
    routes_ops,
    routes_public,
    routes_queries,
    routes_stats,
)
from caseflow.infra.http.deps import document_security
from caseflow.infra.http.executor import CommandExecutor
from caseflow.infra.http.metrics import Metrics
from caseflow.infra.http.middleware import MetricsMiddleware, RequestGuard, RequestId
from caseflow.infra.http.openapi import document_problems
from caseflow.infra.http.ratelimit import PublicLimits
from caseflow.infra.http.state import Api
from caseflow.infra.http.stream import LogTail
from caseflow.infra.oidc import load_verifier
from caseflow.infra.settings import Settings
from caseflow.projections.source import settle_heap as settle
from caseflow.services.authz import OrgTree

log = logging.getLogger("caseflow.http")
# Threads the event streams read and encode in: catching up from position 0, a stream reads as
# fast as it can, and a cap's worth of them in the shared pool left /health queueing for seconds.
# One: busy threads contend for the GIL with the one answering /health, and more did not read
# faster (bench streams, 100 streams from 0, load ~9 on 2 CPUs: /health p99 ~90 ms with one,
# ~190-370 ms with four, 3.9 s before; events streamed in 8 s about the same).
STREAM_THREADS = 1

DESCRIPTION = """Event-sourced casework for petitions (信访): every command appends one event;
queries read the projections. Authenticate with `Authorization: Bearer <token>`. Errors are
RFC 9457 `application/problem+json`; each problem `type` links to a page that explains it
(`/problems`). The JSON Schema of every event of the feed is at `/schemas`. See `docs/api.md`
for a walk through one case's life."""


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson (UUIDs, datetimes, dates, enums and dataclasses included)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def create_app(
    container: Container | None = None,
    *,
    settings: Settings | None = None,
    background: bool = True,
    tokens: Mapping[str, auth.Principal] | None = None,
    read_wait: float = 5.0,
    keepalive: float = 15.0,
    announce: bool = True,
    metrics_dir: str | None = None,
    settle_heap: bool = False,
) -> FastAPI:
    """The API over `container` (kept open: the caller owns it), or over a container bootstrapped
    from `settings` in the lifespan (and closed with it). With `background`, the projection
    runners (and the Kafka relay when configured) run in this process. `tokens` adds principals
    to those the settings name (tests). `announce`: print the development tokens (one process of
    several leaves that to their parent). `metrics_dir`: request metrics shared by the processes
    of `serve --workers N` (see `metrics.py`). `settle_heap`: once started, hide what start-up
    built from the garbage collector (`settle_heap`; servers, not tests that build many apps)."""
    settings = container.settings if container is not None else settings or Settings()
    metrics = Metrics(shared_dir=metrics_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = container is None
        c = (
            container
            if container is not None
            else await anyio.to_thread.run_sync(bootstrap, settings)
        )
        runners: list[Any] = []
        tail = LogTail(c.log)
        api: Api | None = None
        try:
            loaded = auth.load_tokens(c.settings, {**dev_tokens(c, announce), **(tokens or {})})
            # tokens minted by `caseflow dev token` work without a restart
            book = WithMinted(loaded, Path(c.settings.data_dir)) if c.settings.dev else loaded
            jwt = load_verifier(c.settings)
            if not len(book) and jwt is None:
                log.warning(
                    "no bearer tokens are configured: requests that need one will be "
                    "refused (401). Set CASEFLOW_TOKENS_FILE (`caseflow tokens init "
                    "FILE` writes one), CASEFLOW_TOKENS, CASEFLOW_OIDC_ISSUER, or "
                    "CASEFLOW_DEV=1 to try it."
                )
            api = Api(
                container=c,
                tokens=book,
                orgs=OrgTree(_parent_of(c)),
                metrics=metrics,
                tail=tail,
                commands=CommandExecutor(16 if c.settings.uses_postgres else 8),
                views=c.views,
                read_wait=read_wait,
                keepalive=keepalive,
                disclosure=c.settings.disclosure(),
                jwt=jwt,
                public_limits=PublicLimits.of(c.settings),
                stream_threads=anyio.CapacityLimiter(STREAM_THREADS),
            )
            metrics.watch_positions(_positions(api))
            routes_integrity.watch(api)
            app.state.api = api
            if background:
                runners = _start_background(c)
            if settle_heap:
                settle()
            yield
        finally:
            if api is not None:
                await anyio.to_thread.run_sync(routes_ops.stop_rebuilds, api)
            # Each runner may be waiting out its idle timeout: stop them all at once.
            async with anyio.create_task_group() as tg:
                for runner in runners:
                    tg.start_soon(anyio.to_thread.run_sync, runner.stop)
            tail.stop()
            if api is not None:
                api.commands.close()
            metrics.close()
            if owned:
                c.close()

    # Swagger UI (/docs) and ReDoc (/redoc) from the files fastapi-offline ships: no CDN, so
    # they work on a closed network.
    app = FastAPIOffline(
        title="Caseflow",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=OrjsonResponse,
        docs_url="/docs",
        redoc_url="/redoc",
        telemetry=None if settings.otel else {"tracing": False, "metrics": False, "logs": False},
    )
    problems.install(app)
    document_security(app)
    routes_public.hide_codes_in_logs()
    document_problems(app)
    for module in (
        routes_commands,
        routes_directory,
        routes_queries,
        routes_stats,
        routes_events,
        routes_ops,
        routes_public,
        routes_integrity,
        routes_docs,
    ):
        _mount(app, module.router)
    # Last added runs first: the request id is set before the guard may refuse the request, and
    # the guard sees the request before metrics time it.
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestId)
    return app


def _mount(app: FastAPI, router: APIRouter) -> None:
    """The router's routes, added to the app's own router as they are (with their tags and
    route class). `include_router` would wrap the router, and every request would then be
    matched against its routes twice. Our routers have no prefix and no router-wide
    dependency, which is what makes adding them plainly equivalent (the OpenAPI document is
    the same); one that gains either is refused here rather than silently mismatched."""
    if router.prefix or router.dependencies or router.responses or router.callbacks:
        raise ValueError("_mount takes plain routers: use app.include_router for this one")
    app.router.routes.extend(router.routes)


def _parent_of(c: Container):  # noqa: ANN202 - Callable[[UUID], UUID | None]
    def parent_of(org_id):  # noqa: ANN001, ANN202
        return c.app.org(org_id).parent_id

    return parent_of


def _positions(api: Api):  # noqa: ANN202 - metrics.PositionsFn
    def positions() -> tuple[int, list[Any]]:
        return api.log.head(), api.views.statuses() if api.views is not None else []

    return positions


def _start_background(c: Container) -> list[Any]:
    """Projection runners, plus the Kafka relay when CASEFLOW_KAFKA_BOOTSTRAP is set: both come
    from `caseflow.infra.background.background_runners` (the relay is `c.relay`)."""
    return start_background(c, background_runners(c))


def dev_tokens(c: Container, announce: bool = True) -> dict[str, auth.Principal]:
    """In development mode: a token per role, bound to the demo tree (and, with `announce`,
    printed for the user with a file of shell exports)."""
    if not c.settings.dev:
        return {}
    root = auth.root_org(c.log)
    minted = auth.dev_tokens(Path(c.settings.data_dir), root)
    if not announce:
        return minted
    base = f"http://{c.settings.host}:{c.settings.port}"
    env_path = Path(c.settings.data_dir) / auth.DEV_ENV_FILE
    env_path.write_text(auth.dev_env(minted, base, root), encoding="utf-8")
    env_path.chmod(0o600)
    print(auth.dev_banner(minted, base, root, env_path), flush=True)
    return minted


# How `caseflow serve --workers N` tells its worker processes what it was asked (uvicorn builds
# each one's app by importing `worker_app`, so there are no arguments to pass).
WORKER_BACKGROUND = "CASEFLOW_SERVE_BACKGROUND"
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def worker_app() -> FastAPI:
    """The app of one process of `caseflow serve --workers N`: settings from the environment the
    parent prepared; the parent has set up the store and printed the development tokens. Each
    process runs the projections' runners when asked to; their locks let one process work and
    keep the others standing by to take over."""
    import os

    settings = Settings()
    logs.configure(settings.log_format == "json")  # a fresh process: as its parent
    return create_app(
        settings=settings,
        background=os.environ.get(WORKER_BACKGROUND, "1") == "1",
        announce=False,
        metrics_dir=os.environ.get(METRICS_DIR) or None,
        settle_heap=True,
    )
