"""CommandRoute answers exactly as FastAPI's own handler would, for good and bad requests."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from caseflow.infra.http import routes_commands
from caseflow.infra.http.fastroute import CommandRoute, _fast_handler

CASE = "123e4567-e89b-12d3-a456-426614174000"


class Outcome(StrEnum):
    explained = "explained"
    supported = "supported"


class DecisionIn(BaseModel):
    outcome: Outcome
    reply: str = Field(min_length=1, max_length=20)
    served_at: datetime | None = None


async def caller(request: Request) -> str:
    token = request.headers.get("authorization")
    if token != "Bearer ok":
        raise HTTPException(401, "no")
    return token


Caller = Annotated[str, Depends(caller)]


def _app() -> FastAPI:
    app = FastAPI()
    for prefix, route_class in (("/fast", CommandRoute), ("/slow", None)):
        router = APIRouter(**({"route_class": route_class} if route_class else {}))

        @router.post("/cases/{case_id}/resolution")
        async def resolve(case_id: UUID, body: DecisionIn, who: Caller) -> Response:
            return JSONResponse(
                {"case": str(case_id), "who": who, "body": body.model_dump(mode="json")}
            )

        app.include_router(router, prefix=prefix)
    return app


REQUESTS = [
    ("good", CASE, "application/json", b'{"outcome": "explained", "reply": "Done"}', True),
    (
        "charset",
        CASE,
        "application/json; charset=utf-8",
        b'{"outcome": "supported", "reply": "Done"}',
        True,
    ),
    ("bad field", CASE, "application/json", b'{"outcome": "maybe", "reply": ""}', True),
    ("extra and missing", CASE, "application/json", b'{"x": 1}', True),
    ("malformed", CASE, "application/json", b'{"outcome": ', True),
    ("malformed without auth", CASE, "application/json", b'{"outcome": ', False),
    ("null", CASE, "application/json", b"null", True),
    ("array", CASE, "application/json", b"[1, 2]", True),
    ("empty", CASE, "application/json", b"", True),
    ("nan", CASE, "application/json", b'{"outcome": "explained", "reply": NaN}', True),
    ("no content type", CASE, None, b'{"outcome": "explained", "reply": "Done"}', True),
    ("text", CASE, "text/plain", b'{"outcome": "explained", "reply": "Done"}', True),
    ("bad path", "not-a-uuid", "application/json", b'{"outcome": "explained", "reply": "D"}', True),
    ("bad path and body", "nope", "application/json", b'{"reply": 5}', True),
    ("no auth", CASE, "application/json", b'{"outcome": "explained", "reply": "Done"}', False),
    ("no auth, bad body", CASE, "application/json", b'{"reply": 5}', False),
    (
        "bad time",
        CASE,
        "application/json",
        b'{"outcome": "explained", "reply": "Done", "served_at": "yesterday"}',
        True,
    ),
]


@pytest.mark.parametrize(
    "case_id,content_type,body,auth", [r[1:] for r in REQUESTS], ids=[r[0] for r in REQUESTS]
)
def test_command_route_answers_as_fastapi_does(case_id, content_type, body, auth):
    client = TestClient(_app(), raise_server_exceptions=False)
    headers = {"authorization": "Bearer ok"} if auth else {}
    if content_type:
        headers["content-type"] = content_type
    answers = [
        client.post(f"/{side}/cases/{case_id}/resolution", content=body, headers=headers)
        for side in ("fast", "slow")
    ]
    fast, slow = answers
    assert (fast.status_code, fast.headers.get("content-type"), fast.content) == (
        slow.status_code,
        slow.headers.get("content-type"),
        slow.content,
    )


def test_every_command_route_takes_the_quick_path():
    routes = [r for r in routes_commands.router.routes if isinstance(r, CommandRoute)]
    assert len(routes) == len(routes_commands.router.routes) > 10
    assert all(_fast_handler(r, r.get_route_handler()) is not None for r in routes)
