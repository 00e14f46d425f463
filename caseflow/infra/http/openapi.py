"""The error responses each kind of operation documents (all problem+json), so that clients and
schemathesis know every status an operation can answer, and the touches the OpenAPI document gets
once built: every error typed as `application/problem+json` with the `Problem` schema (FastAPI
would put a response model under `application/json`, and adds its own 422 schema), and
operationIds that read as the operation's name (`registerCase`, not `register_case_cases_post`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from caseflow.infra.http.problems import PROBLEM_JSON, ProblemModel

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# Reports, not errors: /health answers 503 with its usual body when the store is down.
NOT_PROBLEMS = {("/health", "503")}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


def operation_id(route: APIRoute) -> str:
    """`register_case` → `registerCase`: what generated clients name their methods."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def document_problems(app: FastAPI) -> None:
    """Type every 4xx/5xx response of the OpenAPI document as problem+json (`Problem`), and
    name each operation after its function (routes are made by our routers, not by the app,
    so FastAPI's `generate_unique_id_function` of the app never sees them)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            problem = ProblemModel.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(problem.pop("$defs", {}))
            schemas["Problem"] = problem
            for path, operations in spec["paths"].items():
                for operation in operations.values():
                    for status, response in operation.get("responses", {}).items():
                        if status[0] in "45" and (path, status) not in NOT_PROBLEMS:
                            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
            for route in app.routes:
                if isinstance(route, APIRoute) and route.include_in_schema:
                    for method in route.methods or ():
                        found = spec["paths"].get(route.path_format, {}).get(method.lower())
                        if found is not None:
                            found["operationId"] = operation_id(route)
            for unused in ("HTTPValidationError", "ValidationError", "ProblemModel"):
                schemas.pop(unused, None)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# `responses=` of a route: status code → OpenAPI response object
Responses = dict[int | str, dict[str, Any]]

_AUTH: Responses = {
    401: _problem(
        "No bearer token, an unknown one, or a JWT refused (`reason` says why: "
        "expired, wrong_issuer, wrong_audience, bad_signature, …)"
    ),
    403: _problem(
        "The caller's role or org may not do this, or a JWT's role claim names no "
        "role (`reason`: unknown_role)"
    ),
    503: _problem(
        "JWT sign-in: the identity provider's keys could not be fetched; retry after Retry-After"
    ),
}
_INPUT: Responses = {422: _problem("Invalid input; `errors` names each field")}
_BODY: Responses = {
    400: _problem("The request could not be read"),
    413: _problem("The body is larger than the limit"),
    415: _problem("The body is not JSON"),
}

CREATE_ERRORS: Responses = {
    **_AUTH,
    **_INPUT,
    **_BODY,
    404: _problem("A referenced org, leader or case does not exist"),
    409: _problem("Refused by a rule, or a concurrent write got there first"),
    412: _problem("If-Match was sent: a new record has no version to match"),
}
COMMAND_ERRORS: Responses = {
    **CREATE_ERRORS,
    404: _problem("No such case (or a referenced org / leader does not exist)"),
    409: _problem(
        "Refused by a rule (`rule` names it) or If-Match did not match "
        "(`current_version` says what it is)"
    ),
    412: _problem("If-Match named a weak tag, which never matches"),
}
QUERY_ERRORS: Responses = {
    **_AUTH,
    **_INPUT,
    503: _problem(
        "The views did not reach min_position in time, or (JWT sign-in) the "
        "identity provider's keys could not be fetched; retry after Retry-After"
    ),
}
ITEM_ERRORS: Responses = {**QUERY_ERRORS, 404: _problem("No such item")}

# A petitioner's routes (by query code, no token): a wrong code is a 404, too many tries a 429.
PUBLIC_ERRORS: Responses = {
    404: _problem("No case has that query code"),
    422: _problem("Invalid input; `errors` names each field"),
    429: _problem("Too many lookups from this address or for this code; see Retry-After"),
}
PUBLIC_COMMAND_ERRORS: Responses = {
    **PUBLIC_ERRORS,
    **_BODY,
    409: _problem("Not allowed now (`rule` says why): nothing decided yet, or rated already"),
}
