"""Operations: health, Prometheus metrics, projection status and rebuild."""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from caseflow.infra.auth import Principal
from caseflow.infra.http.deps import api_of, permit
from caseflow.infra.http.metrics import CONTENT_TYPE
from caseflow.infra.http.openapi import QUERY_ERRORS, _problem
from caseflow.infra.http.problems import Problem
from caseflow.infra.http.responses import json_response
from caseflow.infra.http.routes_integrity import verification_failed
from caseflow.infra.http.state import Api
from caseflow.projections import registry
from caseflow.projections.store import Lock
from caseflow.services.authz import Action

router = APIRouter(tags=["operations"])
ProjectionName = Annotated[str, Path(max_length=100, description="case_status, audit, …")]
log = logging.getLogger("caseflow.http")


class ProjectionStatus(BaseModel):
    name: str
    state: str = Field(description="running | standby | stopped | failed | rebuilding | …")
    position: int
    head: int
    lag_events: int
    lag_seconds: float | None = None
    error: str | None = None
    failed_position: int | None = None
    failed_event: str | None = None
    generation: int | None = None
    rebuild: dict[str, Any] | None = None
    waiting_seconds: float | None = Field(
        None,
        description="How long the oldest event it has not handled has waited (null: "
        "caught up); past CASEFLOW_HEALTH_MAX_LAG /health says degraded",
    )
    last_error: str | None = Field(None, description="Its latest error, kept after recovery")


class StoreHealth(BaseModel):
    ok: bool
    head: int | None = None
    error: str | None = None


class Health(BaseModel):
    status: str = Field(
        description="ok | degraded (a view or the relay failed, is failing, or "
        "lags) | down (no store)"
    )
    store: StoreHealth
    views: list[ProjectionStatus]
    lagging: list[str] = Field(
        default_factory=list,
        description="Views and relays whose oldest unhandled event has "
        "waited longer than CASEFLOW_HEALTH_MAX_LAG seconds",
    )
    integrity: dict[str, bool | None] = Field(
        description="verification_failed: the last `caseflow audit verify` found a break "
        "(null: none recorded)"
    )


def stop_rebuilds(api: Api, timeout: float = 30.0) -> None:
    """Ask background rebuilds to stop and wait for them (at shutdown)."""
    api.rebuild_stop.set()
    for thread in api.rebuilds.values():
        thread.join(timeout)


def statuses(api: Api) -> list[dict[str, Any]]:
    if api.views is None:
        return []
    out = []
    for s in api.views.statuses():
        row = (
            dataclasses.asdict(s)
            if dataclasses.is_dataclass(s) and not isinstance(s, type)
            else dict(s)
        )
        row.pop("extra", None)
        out.append(row)
    return out


@router.get(
    "/health",
    response_model=Health,
    summary="Store and views reachable, lag",
    responses={503: {"model": Health, "description": "The event store is unreachable"}},
)
def health(request: Request) -> Response:
    """No token needed, so that load balancers and orchestrators can ask."""
    api = api_of(request)
    try:
        store: dict[str, Any] = {"ok": True, "head": api.log.head()}
    except Exception as e:  # reported, not raised: this is what /health is for
        store = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    try:
        views = statuses(api) if store["ok"] else []
    except Exception as e:
        views = [
            {
                "name": "views",
                "state": "failed",
                "position": 0,
                "head": 0,
                "lag_events": 0,
                "error": f"{type(e).__name__}: {e}",
            }
        ]
    failing = any(v.get("state") == "failed" or v.get("error") for v in views)
    # Lag, not only errors: a relay whose broker is away keeps retrying a send for up to its
    # ack deadline before it has an error to show, while the events it owes keep waiting.
    limit = api.settings.health_max_lag
    lagging = [v["name"] for v in views if (v.get("waiting_seconds") or 0) > limit]
    broken = verification_failed(api)  # the last `audit verify` found a break
    status = "down" if not store["ok"] else "degraded" if failing or broken or lagging else "ok"
    return json_response(
        {
            "status": status,
            "store": store,
            "views": views,
            "lagging": lagging,
            "integrity": {"verification_failed": broken},
        },
        503 if status == "down" else 200,
    )


@router.get("/health/live", summary="The process answers (liveness)")
async def live() -> dict[str, str]:
    """No token, no store: 200 while the process can answer at all (restart it when not)."""
    return {"status": "alive"}


@router.get(
    "/health/ready",
    summary="Ready to serve (readiness)",
    responses={503: _problem("The event store cannot be reached; retry after Retry-After")},
)
def ready(request: Request) -> dict[str, Any]:
    """No token: 200 when the event store answers (send traffic here), 503 problem+json when
    it does not (send it elsewhere meanwhile). A failed view does not make a process unready:
    commands and the other views still work; `/health` reports it."""
    api = api_of(request)
    try:
        head = api.log.head()
    except Exception as e:  # reported, not raised: this is what the probe is for
        log.warning("not ready: event store unreachable: %s", type(e).__name__)
        raise Problem(
            503,
            "not-ready",
            "Not ready",
            "The event store cannot be reached.",
            headers={"Retry-After": "5"},
        ) from None
    return {"status": "ready", "head": head}


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics",
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Prometheus text exposition format",
        }
    },
)
def metrics(request: Request) -> Response:
    """Request rate and latency by route template; log head; projection positions and lag."""
    return Response(api_of(request).metrics.render(), media_type=CONTENT_TYPE)


@router.get(
    "/admin/projections",
    response_model=list[ProjectionStatus],
    responses=QUERY_ERRORS,
    summary="Projection positions, lag and state",
)
def projections(
    request: Request, _who: Annotated[Principal, Depends(permit(Action.READ_PROJECTIONS))]
) -> Response:
    return json_response(statuses(api_of(request)))


class RebuildState(BaseModel):
    name: str
    state: str = Field(
        description="running | finished | interrupted | failed | none (no "
        "rebuild asked of this process since it started)"
    )
    switched: list[str] = Field(default_factory=list)
    error: str | None = None
    progress: dict[str, Any] | None = Field(
        None, description="The shadow generation being built (as in GET /admin/projections)"
    )


@router.post(
    "/admin/projections/{name}/rebuild",
    status_code=202,
    response_model=RebuildState,
    responses={
        **QUERY_ERRORS,
        404: _problem("No projection of that name"),
        409: _problem("A rebuild of it is already running"),
    },
    summary="Rebuild a projection from position 0 (the old view serves meanwhile)",
)
def rebuild(
    request: Request,
    name: ProjectionName,
    _who: Annotated[Principal, Depends(permit(Action.REBUILD_PROJECTIONS))],
) -> Response:
    """Takes the rebuild's lock, starts it in the background and answers 202: the rebuild
    that was accepted is the one that runs (a second request, here or in another process,
    gets 409). Follow it at the `Location` given (`GET /admin/projections/{name}/rebuild`);
    the view switches when the rebuild has caught up."""
    api = api_of(request)
    _known(api, name)
    lock = api.views.store.lock(f"rebuild-{name}")
    if not lock.acquire():
        raise Problem(
            409, "rebuild-running", "Already rebuilding", f"A rebuild of {name} is already running."
        )
    runs = api.rebuild_runs
    runs[name] = {"name": name, "state": "running", "switched": [], "error": None}
    thread = threading.Thread(
        target=_rebuild, args=(api, name, lock, runs[name]), daemon=True, name=f"rebuild:{name}"
    )
    api.rebuilds[name] = thread
    thread.start()
    return Response(
        orjson.dumps(runs[name]),
        status_code=202,
        media_type="application/json",
        headers={"Location": f"/admin/projections/{name}/rebuild"},
    )


@router.get(
    "/admin/projections/{name}/rebuild",
    response_model=RebuildState,
    responses={**QUERY_ERRORS, 404: _problem("No projection of that name")},
    summary="How the last rebuild asked of this process is going",
)
def rebuild_state(
    request: Request,
    name: ProjectionName,
    _who: Annotated[Principal, Depends(permit(Action.READ_PROJECTIONS))],
) -> Response:
    api = api_of(request)
    _known(api, name)
    run = dict(
        api.rebuild_runs.get(name) or {"name": name, "state": "none", "switched": [], "error": None}
    )
    run["progress"] = api.views.status(name).rebuild
    return json_response(run)


def _known(api: Api, name: str) -> None:
    if name not in registry.names():
        raise Problem(
            404,
            "not-found",
            "Not found",
            f"No projection named {name[:100]!r}; known: {', '.join(registry.names())}.",
        )
    if api.views is None:
        raise Problem(409, "no-views", "Views unavailable", "This process has no view store.")


def _rebuild(api: Api, name: str, lock: Lock, run: dict[str, Any]) -> None:
    try:
        # Shutdown sets `rebuild_stop`; an interrupted rebuild resumes on the next request.
        result = api.views.rebuild([name], locks=[lock], stop=api.rebuild_stop)
    except Exception as exc:
        lock.release()
        run.update(state="failed", error=f"{type(exc).__name__}")
        log.exception("rebuild of %s failed", name)
        return
    failure = result.failed.get(name)
    run.update(
        switched=result.switched,
        state="failed" if failure else "interrupted" if result.interrupted else "finished",
        error=str(failure) if failure else None,
    )
    log.info("rebuild of %s: %s", name, run["state"])
