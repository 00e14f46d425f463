"""The public event feed: CloudEvents structured JSON pages and a server-sent event stream,
read straight from the event log, with the public payload only (no petitioner personal data)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from caseflow.infra.auth import Principal
from caseflow.infra.http.deps import api_of, permit
from caseflow.infra.http.openapi import QUERY_ERRORS, _problem
from caseflow.infra.http.problems import Problem, invalid
from caseflow.infra.http.stream import EventStream, public_events
from caseflow.infra.http.types import MAX_POSITION, Position
from caseflow.services.authz import Action
from caseflow.services.public import structured

router = APIRouter(tags=["event feed"])
BATCH_JSON = "application/cloudevents-batch+json"
MAX_PAGE = 1000
STREAM_RETRY_AFTER = 5  # seconds a client refused a stream waits before asking again


class CloudEvent(BaseModel):
    """CloudEvents 1.0, structured mode. `data` is the public payload of the event."""

    specversion: str = Field(examples=["1.0"])
    id: str = Field(description="Event id: stable across re-deliveries, de-duplicate on it")
    source: str
    type: str = Field(examples=["caseflow.case.screened.v1"])
    subject: str = Field(description="The aggregate (case, org, leader) id")
    time: str = Field(description="When the event was recorded")
    sequence: str = Field(description="Global log position, zero-padded to 20 digits")
    datacontenttype: str
    dataschema: str = Field(description="URL of the JSON Schema of `data` (GET /schemas/…)")
    data: dict[str, Any]


class _BatchResponse(JSONResponse):
    """Documents the batch media type (the endpoint renders its body itself)."""

    media_type = BATCH_JSON


@router.get(
    "/events",
    response_model=list[CloudEvent],
    response_class=_BatchResponse,
    responses=QUERY_ERRORS,
    summary="A page of the public event feed",
)
def events(
    request: Request,
    _who: Annotated[Principal, Depends(permit(Action.READ_FEED))],
    after: Annotated[Position, Query(description="Position to read after (0: from the start)")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> Response:
    """Events with position > `after`, oldest first, as a JSON array of CloudEvents (the
    `application/cloudevents-batch+json` format). Page on with `after` = the last `sequence`
    (the `Link: rel="next"` header has it when the page is full)."""
    api = api_of(request)
    batch = api.log.read(after, limit)
    source = api.settings.event_source
    base = api.settings.public_url or str(request.base_url)
    body = orjson.dumps([structured(e, source, api.disclosure, base) for e in batch])
    headers = {"Caseflow-Head": str(api.log.head())}
    if len(batch) == limit:
        headers["Link"] = f'</events?after={batch[-1].position}&limit={limit}>; rel="next"'
    return Response(body, media_type=BATCH_JSON, headers=headers)


@router.get(
    "/events/stream",
    responses={
        **QUERY_ERRORS,
        200: {
            "description": "Server-sent events: `id` = position, `event` = CloudEvents type, "
            "`data` = the CloudEvent (structured JSON)",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        503: _problem(
            "This process has as many streams open as it serves "
            "(CASEFLOW_MAX_STREAMS); retry after Retry-After"
        ),
    },
    response_class=Response,
    summary="The public event feed as server-sent events",
)
async def stream(
    request: Request,
    _who: Annotated[Principal, Depends(permit(Action.READ_FEED))],
    after: Annotated[Position, Query(description="Start after this position")] = 0,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=20,
            description="Resume after this position (sent by EventSource on reconnect)",
        ),
    ] = None,
) -> EventStream:
    """Every event after `after` (or `Last-Event-ID`, which wins), then new ones as they are
    recorded. A `: keep-alive` comment is sent every 15 seconds."""
    if last_event_id is not None and last_event_id.strip():
        if not last_event_id.strip().isdigit() or int(last_event_id) > MAX_POSITION:
            raise invalid("header.Last-Event-ID", "expected an event position (a number)")
        after = int(last_event_id)
    api = api_of(request)
    if api.open_streams >= api.settings.max_streams:
        raise Problem(
            503,
            "too-many-streams",
            "Too many event streams",
            f"This server has {api.settings.max_streams} event streams open, its "
            "limit; retry later, or page through GET /events.",
            headers={"Retry-After": str(STREAM_RETRY_AFTER)},
        )
    # Fail before streaming if the store is down (on the streams' threads, like their reads).
    await anyio.to_thread.run_sync(api.log.head, limiter=api.stream_threads)
    api.open_streams += 1  # one event loop per process: no lock needed
    api.metrics.streams.inc()

    def closed() -> None:
        api.open_streams -= 1
        api.metrics.streams.dec()

    frames = public_events(
        api.log,
        api.tail,
        after,
        api.settings.event_source,
        api.keepalive,
        api.disclosure,
        limiter=api.stream_threads,
        schema_base=api.settings.public_url or str(request.base_url),
    )
    return EventStream(frames, on_close=closed, keepalive=api.keepalive)
