"""Request dependencies: the adapters (from `app.state`), the caller (bearer token), the
permission check, and the command context built from If-Match / Idempotency-Key / X-Request-Id.

Each is one flat `async` function of the request that reads its headers itself: FastAPI's
per-request cost grows with every declared parameter and sub-dependency (it showed as the largest
item of a command's profile). The headers and the bearer scheme are documented in OpenAPI by hand
(`COMMAND_HEADERS` here, `document_security` for the scheme)."""

# No `from __future__ import annotations` here: FastAPI must see the closures' annotations
# (they name local variables) as objects, not strings.

import hashlib
import logging
import re
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import anyio
import orjson
from fastapi import FastAPI, Request
from pydantic import BaseModel
from starlette.responses import Response

from caseflow.domain.case import Case
from caseflow.infra import logs
from caseflow.infra.auth import Principal
from caseflow.infra.http.problems import Problem, invalid
from caseflow.infra.http.state import Api
from caseflow.infra.oidc import SignInRefused
from caseflow.services import authz
from caseflow.services.app import CommandResult, Context
from caseflow.services.authz import Action

OPEN_PATHS = frozenset(
    {
        "/health",
        "/health/live",
        "/health/ready",
        "/metrics",
        "/problems",
        "/problems/{slug}",
        "/schemas",
        "/schemas/{name}",
    }
)
PUBLIC_PREFIX = "/public/"  # a petitioner's routes: the query code is the credential
COMMAND_HEADERS = [
    {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": 'Perform only if the aggregate is at this version, e.g. "3"',
        "schema": {"type": "string", "maxLength": 100},
    },
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "A retry with the same key and body returns the first answer, records "
        "nothing (1-200 visible ASCII characters)",
        "schema": {"type": "string", "maxLength": 200},
    },
    {
        "name": "X-Request-Id",
        "in": "header",
        "required": False,
        "description": "Recorded as the event's correlation id (1-200 visible ASCII characters)",
        "schema": {"type": "string", "maxLength": 200},
    },
]
_ETAG = re.compile(r'^\s*(W/)?"?(\d{1,15})"?\s*$')
CREATES = frozenset({Action.RECEIVE, Action.REGISTER_ORG, Action.REGISTER_LEADER})
log = logging.getLogger("caseflow.auth")
_TOKENISH = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII, as HTTP header tokens go


def api_of(request: Request) -> Api:
    return request.app.state.api


async def authenticate(request: Request) -> Principal:
    """The caller behind the bearer token (from the token file, or a JWT from the identity
    provider); a 401 / 403 naming the reason otherwise, logged without the token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _refused(
            request, "missing", 401, "Send a bearer token: Authorization: Bearer <token>."
        )
    api = api_of(request)
    found = api.tokens.lookup(token)
    if found is None and api.jwt is not None and token.count(".") == 2:
        try:  # may fetch the JWKS: not on the event loop
            found = await anyio.to_thread.run_sync(api.jwt.verify, token)
        except SignInRefused as e:
            raise _refused(request, e.reason, e.status, str(e)) from None
    if found is None:
        raise _refused(request, "unknown_token", 401, "That bearer token is not known.")
    request.state.principal = found
    return found


def _refused(request: Request, reason: str, status: int, detail: str) -> Problem:
    """The problem for a refused sign-in, with its RFC 6750 challenge; the refusal is logged."""
    client = request.client.host if request.client else "-"
    log.warning(
        "sign-in refused: %s (%s %s from %s)", reason, request.method, request.url.path, client
    )
    if status == 503:  # the identity provider's keys could not be fetched
        return Problem(
            503,
            "sign-in-unavailable",
            "Sign-in unavailable",
            detail,
            headers={"Retry-After": "30"},
            reason=reason,
        )
    challenge = 'Bearer realm="caseflow"'
    if reason != "missing":  # RFC 6750 3.1: no error code when no credentials were sent
        code = "insufficient_scope" if status == 403 else "invalid_token"
        challenge += f', error="{code}", error_description="{reason.replace("_", " ")}"'
    headers = {"WWW-Authenticate": challenge}
    if status == 403:  # signed in, but the token's role claim names no role of ours
        return Problem(403, "forbidden", "Forbidden", detail, headers=headers, reason=reason)
    return Problem(
        401, "unauthenticated", "Unauthenticated", detail, headers=headers, reason=reason
    )


def check_case(api: Api, who: Principal, case_id: UUID) -> None:
    """May `who` read this case? From the aggregate (authoritative, never behind): 404 when it is
    absent, out of scope or accusing the caller -- the same answer, which reveals nothing."""
    authz.require_case(who.actor, Action.READ_CASES, api.app.case(case_id), api.orgs)


def permit(action: Action) -> Callable[..., Any]:
    """A dependency: the caller, if their role may perform `action` (403 otherwise)."""

    async def allowed(request: Request) -> Principal:
        who = await authenticate(request)
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
            spec.setdefault("components", {})["securitySchemes"] = {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from CASEFLOW_TOKENS or the tokens file "
                    "(development mode prints one per role), or a JWT from the "
                    "identity provider (CASEFLOW_OIDC_*)",
                }
            }
            for path, operations in spec["paths"].items():
                if path not in OPEN_PATHS and not path.startswith(PUBLIC_PREFIX):
                    for operation in operations.values():
                        operation["security"] = [{"bearer": []}]
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _if_match(value: str | None, create: bool) -> int | None:
    if value is None:
        return None
    if create:
        # RFC 9110 §13.1.1: a new record has no current version, so no tag (nor "*") matches.
        raise Problem(
            412,
            "precondition-failed",
            "Precondition failed",
            "If-Match cannot hold for a record that does not exist yet: send it only "
            "with commands on an existing case.",
        )
    if value.strip() == "*":
        return None
    m = _ETAG.match(value) if len(value) <= 100 else None
    if not m:
        raise invalid("header.If-Match", 'expected the version, e.g. If-Match: "3"')
    if m.group(1):
        # If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches.
        raise Problem(
            412,
            "precondition-failed",
            "Precondition failed",
            f"A weak tag ({value.strip()[:30]}) never matches If-Match: send the "
            'version as a strong tag, e.g. If-Match: "3".',
        )
    return int(m.group(2))


def _token_header(name: str, value: str | None) -> str | None:
    if value is not None and not _TOKENISH.match(value):
        raise invalid(f"header.{name}", "1 to 200 visible ASCII characters")
    return value


class Command:
    """Everything a command endpoint needs besides its body: who, the adapters, the headers."""

    def __init__(
        self,
        request: Request,
        who: Principal,
        if_match: str | None,
        idempotency_key: str | None,
        request_id: str | None,
        create: bool = False,
    ):
        self.request, self.who, self.api = request, who, api_of(request)
        self.app = self.api.app
        self.expected_version = _if_match(if_match, create)
        self.key = _token_header("Idempotency-Key", idempotency_key)
        _token_header("X-Request-Id", request_id)  # a malformed one is refused (422)
        # The id the RequestId middleware gave the request (the caller's own when sent), so
        # that the event's correlation id is the one in the logs and the response header.
        self.request_id = logs.request_id.get() or request_id or uuid4().hex

    def context(
        self,
        body: BaseModel,
        action: Action | None = None,
        check: Callable[[Case], None] | None = None,
    ) -> Context:
        """The service Context; the request hash covers caller, route, path and body. With
        `action`, the caller is checked against the case as the command loads it (its scope,
        and whether the case accuses them), then by `check` (what the body asks of others)."""
        request_hash = None
        if self.key:
            route = getattr(self.request.scope.get("route"), "path", self.request.url.path)
            params = sorted((k, str(v)) for k, v in self.request.path_params.items())
            what = [
                self.who.subject,
                self.request.method,
                route,
                params,
                body.model_dump(mode="json"),
            ]
            canonical = orjson.dumps(what, option=orjson.OPT_SORT_KEYS)
            request_hash = hashlib.sha256(canonical).hexdigest()
        authorize = None
        if action is not None:
            actor, orgs = self.who.actor, self.api.orgs

            def authorize(case: Case) -> None:
                authz.require_case(actor, action, case, orgs)
                if check is not None:
                    check(case)

        occurred_at = body.occurred_at() if hasattr(body, "occurred_at") else None
        return Context(
            actor=self.who.actor,
            correlation_id=self.request_id,
            idempotency_key=self.key,
            request_hash=request_hash,
            expected_version=self.expected_version,
            occurred_at=occurred_at,
            authorize=authorize,
        )

    def respond(
        self,
        result: CommandResult,
        status: int = 200,
        location: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Response:
        body = orjson.dumps(
            {
                "id": str(result.id),
                "version": result.version,
                "position": result.position,
                **(extra or {}),
            }
        )
        headers = {"ETag": f'"{result.version}"', "Caseflow-Position": str(result.position)}
        if location:
            headers["Location"] = location
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status_code=status, headers=headers, media_type="application/json")


def command(action: Action) -> Callable[..., Any]:
    """A dependency giving a `Command` for a caller whose role may perform `action`."""

    async def build(request: Request) -> Command:
        who = await authenticate(request)
        authz.require(who.actor, action)
        h = request.headers
        return Command(
            request,
            who,
            h.get("if-match"),
            h.get("idempotency-key"),
            h.get("x-request-id"),
            create=action in CREATES,
        )

    build.__name__ = f"command_{action.name.lower()}"
    return build
