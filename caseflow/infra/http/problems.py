"""RFC 9457 problem details for every error the API gives, and the handlers that turn our
service and domain errors (and FastAPI's / Starlette's own) into them, once."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from caseflow.domain.errors import DomainError, InvalidInput
from caseflow.services.errors import Conflict, Forbidden, IdempotencyKeyReused, NotFound

PROBLEM_JSON = "application/problem+json"
# Relative: it resolves against the API that answered, which serves a page per type there.
TYPE_BASE = "/problems/"
log = logging.getLogger("caseflow.http")


class FieldError(BaseModel):
    field: str = Field(description="Where: `body.petitioners.0.name`, `query.limit`, …")
    message: str


class ProblemModel(BaseModel):
    """RFC 9457 problem details (plus our extension members)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    rule: str | None = Field(None, description="The domain rule that refused the command")
    current_version: int | None = Field(None, description="On a version conflict")
    errors: list[FieldError] | None = Field(None, description="On invalid input, per field")
    reason: str | None = Field(
        None,
        description="Why a sign-in was refused: missing, "
        "unknown_token, expired, wrong_issuer, wrong_audience, "
        "bad_signature, unknown_role, …",
    )


class Problem(Exception):
    """An error response the HTTP layer decides on itself (auth, headers, limits)."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.headers, self.extra = headers or {}, extra


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def invalid(field: str, message: str) -> Problem:
    """A 422 naming one field, for checks the models cannot express."""
    return Problem(
        422,
        "invalid-input",
        "Invalid input",
        f"{field}: {message}",
        errors=[{"field": field, "message": message}],
    )


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc)


def _safe(value: Any) -> str:
    # Error messages quote input; keep them printable and short whatever the input was.
    text = str(value).encode("utf-8", "replace").decode("utf-8")[:500]
    return text.removeprefix("Value error, ")


def install(app: FastAPI) -> None:
    """Register the handlers that make every error a problem+json response."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, e: Problem) -> Response:
        return problem_response(
            e.status,
            e.slug,
            e.title,
            e.detail,
            instance=request.url.path,
            headers=e.headers,
            **e.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, e: RequestValidationError) -> Response:
        if any(err.get("type") == "json_invalid" for err in e.errors()):
            # Not JSON at all: a malformed request (400), not a JSON value that fails the schema.
            return problem_response(
                400,
                "malformed-json",
                "Malformed JSON",
                "The request body is not valid JSON.",
                instance=request.url.path,
            )
        errors = [
            {"field": _location(err.get("loc", ())), "message": _safe(err.get("msg", ""))}
            for err in e.errors()
        ]
        detail = "; ".join(f"{x['field']}: {x['message']}" for x in errors[:5]) or "invalid input"
        return problem_response(
            422, "invalid-input", "Invalid input", detail, instance=request.url.path, errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed", 400: "Bad request"}
        detail = e.detail if isinstance(e.detail, str) else "error"
        if e.status_code == 404 and detail == "Not Found":
            detail = f"There is no resource at {request.url.path}."
        headers = dict(e.headers or {})
        if e.status_code == 405:
            # The router answers from the first route whose path matched; the resource may
            # take other methods on other routes (GET and POST /cases): name them all.
            allowed = _allowed_methods(request)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
                detail = f"{request.method} is not allowed here; use {', '.join(allowed)}."
        return problem_response(
            e.status_code,
            f"http-{e.status_code}",
            titles.get(e.status_code, "HTTP error"),
            _safe(detail),
            instance=request.url.path,
            headers=headers,
        )

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, e: NotFound) -> Response:
        return problem_response(404, "not-found", "Not found", str(e), instance=request.url.path)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, e: Forbidden) -> Response:
        return problem_response(403, "forbidden", "Forbidden", str(e), instance=request.url.path)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, e: Conflict) -> Response:
        headers = {"ETag": f'"{e.current_version}"'} if e.current_version is not None else None
        return problem_response(
            409,
            "version-conflict",
            "Version conflict",
            str(e),
            instance=request.url.path,
            headers=headers,
            current_version=e.current_version,
        )

    @app.exception_handler(IdempotencyKeyReused)
    async def _key_reused(request: Request, e: IdempotencyKeyReused) -> Response:
        return problem_response(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            str(e),
            instance=request.url.path,
            errors=[{"field": "header.Idempotency-Key", "message": str(e)}],
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, e: DomainError) -> Response:
        if isinstance(e, InvalidInput):
            return problem_response(
                422,
                "invalid-input",
                "Invalid input",
                str(e),
                instance=request.url.path,
                rule=e.rule,
                errors=[{"field": f"body.{e.field}", "message": str(e)}],
            )
        return problem_response(
            409,
            "rule-violation",
            "Not allowed by the rules",
            str(e),
            instance=request.url.path,
            rule=e.rule,
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, e: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "internal",
            "Internal error",
            "Something went wrong on our side; it has been logged.",
            instance=request.url.path,
        )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app takes at this request's path."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for route in request.app.router.routes:
        regex, route_methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
        if regex is not None and route_methods and regex.match(path):
            methods |= set(route_methods)
    return sorted(methods)
