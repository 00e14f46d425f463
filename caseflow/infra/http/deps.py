"""Request dependencies: the adapters (from `app.state`), the caller (bearer token), the
permission check, and the command context built from If-Match / Idempotency-Key / X-Request-Id.

Each is one flat `async` function of the request that reads its headers itself: FastAPI's
per-request cost grows with every declared parameter and sub-dependency (it showed as the largest
item of a command's profile). The headers and the bearer scheme are documented in OpenAPI by hand
(`COMMAND_HEADERS` here, `document_security` for the scheme)."""

# No `from __future__ import annotations` here: FastAPI must see the closures' annotations
# (they name local variables) as objects, not strings.

import hashlib
import re
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import orjson
from fastapi import FastAPI, Request
from pydantic import BaseModel
from starlette.responses import Response

from caseflow.domain.case import Case
from caseflow.infra import logs
from caseflow.infra.auth import Principal
from caseflow.infra.http.problems import Problem, invalid
from caseflow.infra.http.state import Api
from caseflow.services import authz
from caseflow.services.app import CommandResult, Context
from caseflow.services.authz import Action

OPEN_PATHS = frozenset({"/health", "/health/live", "/health/ready", "/metrics", "/problems",
                        "/problems/{slug}", "/schemas", "/schemas/{name}"})
COMMAND_HEADERS = [
    {"name": "If-Match", "in": "header", "required": False,
     "description": 'Perform only if the aggregate is at this version, e.g. "3"',
     "schema": {"type": "string", "maxLength": 100}},
    {"name": "Idempotency-Key", "in": "header", "required": False,
     "description": "A retry with the same key and body returns the first answer, records "
                    "nothing (1-200 visible ASCII characters)",
     "schema": {"type": "string", "maxLength": 200}},
    {"name": "X-Request-Id", "in": "header", "required": False,
     "description": "Recorded as the event's correlation id (1-200 visible ASCII characters)",
     "schema": {"type": "string", "maxLength": 200}},
]
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,15})"?\s*$')
_TOKENISH = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII, as HTTP header tokens go


def api_of(request: Request) -> Api:
    return request.app.state.api


def authenticate(request: Request) -> Principal:
    """The caller behind the bearer token; 401 without a valid one."""
    challenge = 'Bearer realm="caseflow"'
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "unauthenticated", "Unauthenticated",
                      "Send a bearer token: Authorization: Bearer <token>.",
                      headers={"WWW-Authenticate": challenge})
    found = api_of(request).tokens.lookup(token.strip())
    if found is None:
        raise Problem(401, "unauthenticated", "Unauthenticated",
                      "That bearer token is not known.",
                      headers={"WWW-Authenticate": challenge + ', error="invalid_token"'})
    request.state.principal = found
    return found


def permit(action: Action) -> Callable[..., Any]:
    """A dependency: the caller, if their role may perform `action` (403 otherwise)."""

    async def allowed(request: Request) -> Principal:
        who = authenticate(request)
        authz.require(who.actor, action)
        return who

    allowed.__name__ = f"permit_{action.name.lower()}"
    return allowed


def document_security(app: FastAPI) -> None:
    """Put the bearer scheme into the OpenAPI document (Swagger's Authorize button) for every
    operation but the open ones, since the dependencies read the header themselves."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            spec.setdefault("components", {})["securitySchemes"] = {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "A token from CASEFLOW_TOKENS or the tokens file "
                               "(development mode prints one per role)"}}
            for path, operations in spec["paths"].items():
                if path not in OPEN_PATHS:
                    for operation in operations.values():
                        operation["security"] = [{"bearer": []}]
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    m = _ETAG.match(value) if len(value) <= 100 else None
    if not m:
        raise invalid("header.If-Match", 'expected the version, e.g. If-Match: "3"')
    return int(m.group(1))


def _token_header(name: str, value: str | None) -> str | None:
    if value is not None and not _TOKENISH.match(value):
        raise invalid(f"header.{name}", "1 to 200 visible ASCII characters")
    return value


class Command:
    """Everything a command endpoint needs besides its body: who, the adapters, the headers."""

    def __init__(self, request: Request, who: Principal, if_match: str | None,
                 idempotency_key: str | None, request_id: str | None):
        self.request, self.who, self.api = request, who, api_of(request)
        self.app = self.api.app
        self.expected_version = _if_match(if_match)
        self.key = _token_header("Idempotency-Key", idempotency_key)
        _token_header("X-Request-Id", request_id)  # a malformed one is refused (422)
        # The id the RequestId middleware gave the request (the caller's own when sent), so
        # that the event's correlation id is the one in the logs and the response header.
        self.request_id = logs.request_id.get() or request_id or uuid4().hex

    def context(self, body: BaseModel, action: Action | None = None) -> Context:
        """The service Context; the request hash covers caller, route, path and body. With
        `action`, an org-scoped caller is checked against the case as the command loads it."""
        request_hash = None
        if self.key:
            route = getattr(self.request.scope.get("route"), "path", self.request.url.path)
            params = sorted((k, str(v)) for k, v in self.request.path_params.items())
            what = [self.who.subject, self.request.method, route, params,
                    body.model_dump(mode="json")]
            canonical = orjson.dumps(what, option=orjson.OPT_SORT_KEYS)
            request_hash = hashlib.sha256(canonical).hexdigest()
        authorize = None
        if action is not None and self.who.role in authz.ORG_SCOPED:
            actor, orgs = self.who.actor, self.api.orgs

            def authorize(case: Case) -> None:
                authz.require_case(actor, action, (case.receiving_org_id, case.unit_id), orgs)

        return Context(actor=self.who.actor, correlation_id=self.request_id,
                       idempotency_key=self.key, request_hash=request_hash,
                       expected_version=self.expected_version, authorize=authorize)

    def respond(self, result: CommandResult, status: int = 200,
                location: str | None = None) -> Response:
        body = orjson.dumps({"id": str(result.id), "version": result.version,
                             "position": result.position})
        headers = {"ETag": f'"{result.version}"', "Caseflow-Position": str(result.position)}
        if location:
            headers["Location"] = location
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status_code=status, headers=headers, media_type="application/json")


def command(action: Action) -> Callable[..., Any]:
    """A dependency giving a `Command` for a caller whose role may perform `action`."""

    async def build(request: Request) -> Command:
        who = authenticate(request)
        authz.require(who.actor, action)
        h = request.headers
        return Command(request, who, h.get("if-match"), h.get("idempotency-key"),
                       h.get("x-request-id"))

    build.__name__ = f"command_{action.name.lower()}"
    return build
