"""Documents the API serves about itself: a page for each problem `type` (the URI every
problem+json names resolves here) and the public JSON Schemas of the event feed (each CloudEvent's
`dataschema`). No token needed: they describe the API, not its data."""

from __future__ import annotations

import html
from typing import Annotated, NamedTuple

from fastapi import APIRouter, Path, Request
from starlette.responses import HTMLResponse, Response

from caseflow import schemas
from caseflow.infra.http.openapi import _problem
from caseflow.infra.http.problems import TYPE_BASE, Problem
from caseflow.services.public import schema_url

router = APIRouter(tags=["documents"])
SCHEMA_JSON = "application/schema+json"


class ProblemType(NamedTuple):
    status: str
    title: str
    meaning: str
    remedy: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    "invalid-input": ProblemType(
        "422",
        "Invalid input",
        "A field is missing, malformed or out of range; `errors` names "
        "each field (`body.petitioners.0.name`, `query.limit`, `header.If-Match`).",
        "Correct the named fields and send the request again.",
    ),
    "rule-violation": ProblemType(
        "409",
        "Not allowed by the rules",
        "The command is well formed but the case's rules "
        "refuse it now (e.g. a review request after its 30-day window); `rule` names the rule.",
        "Read the case's state (GET /cases/{id}); the detail says what the rule needs.",
    ),
    "version-conflict": ProblemType(
        "409",
        "Version conflict",
        "`If-Match` named another version than the case's, or a "
        "concurrent command got there first; `current_version` (and the ETag) says which it is.",
        "Read the case again, decide again, and retry with the new version.",
    ),
    "idempotency-key-reused": ProblemType(
        "422",
        "Idempotency-Key reused",
        "This Idempotency-Key was used before with another request.",
        "Use a new key for a new request; resend the same body to replay the first.",
    ),
    "not-found": ProblemType(
        "404",
        "Not found",
        "No case, org, leader or projection of that id or name (a case the "
        "caller may not see also answers 404).",
        "Check the id; list what exists first.",
    ),
    "forbidden": ProblemType(
        "403",
        "Forbidden",
        "The caller's role or org may not do this.",
        "Ask someone whose role and org cover it.",
    ),
    "unauthenticated": ProblemType(
        "401",
        "Unauthenticated",
        "No bearer token, one the server does not know, or a JWT it "
        "refused; `reason` says which (missing, unknown_token, expired, wrong_issuer, "
        "wrong_audience, bad_signature, unknown_key, malformed, ...).",
        "Send `Authorization: Bearer <token>` with a token the server was given, or a fresh one "
        "from the identity provider.",
    ),
    "sign-in-unavailable": ProblemType(
        "503",
        "Sign-in unavailable",
        "The identity provider's signing keys (JWKS) could not be "
        "fetched, so a JWT cannot be checked.",
        "Retry after the Retry-After header's seconds.",
    ),
    "too-many-requests": ProblemType(
        "429",
        "Too many requests",
        "Too many query-code lookups from this address, or for this code, in the window.",
        "Wait the Retry-After header's seconds.",
    ),
    "precondition-failed": ProblemType(
        "412",
        "Precondition failed",
        "If-Match cannot hold: a create has no version to match, and a weak tag never matches.",
        "Send If-Match only on a command to an existing case, "
        'with the strong tag ("3") of its version.',
    ),
    "malformed-json": ProblemType(
        "400",
        "Malformed JSON",
        "The body was sent as JSON but does not parse.",
        "Send well-formed JSON (check quotes, commas and brackets).",
    ),
    "bad-request": ProblemType(
        "400",
        "Bad request",
        "The request could not be read (e.g. a Content-Length that is not a number).",
        "Send a well-formed HTTP request.",
    ),
    "unsupported-media-type": ProblemType(
        "415",
        "Unsupported media type",
        "The body is not JSON.",
        "Send the body as JSON with `Content-Type: application/json`.",
    ),
    "content-too-large": ProblemType(
        "413",
        "Content too large",
        "The body is larger than CASEFLOW_MAX_BODY_BYTES.",
        "Send a smaller body.",
    ),
    "views-behind": ProblemType(
        "503",
        "Views behind",
        "The views did not reach `min_position` in time.",
        "Retry after the Retry-After header's seconds.",
    ),
    "too-many-streams": ProblemType(
        "503",
        "Too many event streams",
        "The process serves CASEFLOW_MAX_STREAMS event streams already.",
        "Retry after Retry-After seconds, or page through GET /events.",
    ),
    "rebuild-running": ProblemType(
        "409",
        "Already rebuilding",
        "A rebuild of that projection is running (in this process or another).",
        "Follow it at GET /admin/projections/{name}/rebuild.",
    ),
    "not-ready": ProblemType(
        "503",
        "Not ready",
        "The process cannot reach the event store (GET /health/ready).",
        "Send traffic to another process; retry after Retry-After seconds.",
    ),
    "no-views": ProblemType(
        "409",
        "Views unavailable",
        "This process has no view store.",
        "Ask a process that runs the views.",
    ),
    "internal": ProblemType(
        "500",
        "Internal error",
        "A bug on the server's side; it has been logged. Nothing was "
        "recorded unless the answer says so.",
        "Report it; retrying is safe with an Idempotency-Key.",
    ),
    "http-{status}": ProblemType(
        "4xx",
        "HTTP error",
        "What the HTTP layer answers itself: no such path (`http-404`), a "
        "method the path does not take (`http-405`, with `Allow`), and the like.",
        "Check the method and path against the API document (/docs).",
    ),
}


def _known(slug: str) -> ProblemType | None:
    if slug in PROBLEM_TYPES:
        return PROBLEM_TYPES[slug]
    status = slug.removeprefix("http-")
    if slug.startswith("http-") and status.isdigit() and len(status) == 3:
        return PROBLEM_TYPES["http-{status}"]._replace(status=status)
    return None


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}"
        f"</title><body>{body}</body></html>"
    )


@router.get("/problems", response_class=HTMLResponse, summary="Every problem type")
def problem_types() -> HTMLResponse:
    items = "".join(
        f'<li><a href="{TYPE_BASE}{html.escape(slug)}">{html.escape(slug)}</a> '
        f"({p.status}): {html.escape(p.title)}</li>"
        for slug, p in PROBLEM_TYPES.items()
    )
    return _page(
        "Caseflow problem types",
        "<h1>Problem types</h1><p>Every error the API "
        "answers is RFC 9457 problem+json; its <code>type</code> links here.</p>"
        f"<ul>{items}</ul>",
    )


@router.get(
    "/problems/{slug}",
    response_class=HTMLResponse,
    summary="One problem type",
    responses={404: _problem("No problem type of that name")},
)
def problem_type(slug: Annotated[str, Path(max_length=60)]) -> HTMLResponse:
    found = _known(slug)
    if found is None:
        raise Problem(
            404,
            "not-found",
            "Not found",
            f"No problem type of that name; GET {TYPE_BASE[:-1]} lists them.",
        )
    e = html.escape
    return _page(
        f"{e(found.title)} - Caseflow",
        f"<h1>{e(found.title)}</h1><p>HTTP status {found.status}; "
        f"<code>type</code>: <code>{TYPE_BASE}{e(slug)}</code></p>"
        f"<h2>What it means</h2><p>{e(found.meaning)}</p>"
        f"<h2>What to do</h2><p>{e(found.remedy)}</p>",
    )


@router.get("/schemas", summary="The public JSON Schema of every event type")
def schema_index(request: Request) -> dict[str, str]:
    return {t: schema_url(str(request.base_url), t) for t in schemas.types()}


@router.get(
    "/schemas/{name}",
    response_class=Response,
    summary="One event type's JSON Schema",
    responses={
        200: {
            "content": {SCHEMA_JSON: {"schema": {"type": "object"}}},
            "description": "JSON Schema (draft 2020-12) of the `data`",
        },
        404: _problem("No event type of that name"),
    },
)
def schema_file(name: Annotated[str, Path(max_length=100)]) -> Response:
    ce_type = name.removesuffix(".json")
    if ce_type not in schemas.types():
        raise Problem(
            404, "not-found", "Not found", "No public schema of that name; GET /schemas lists them."
        )
    return Response(schemas.text(ce_type), media_type=SCHEMA_JSON)
