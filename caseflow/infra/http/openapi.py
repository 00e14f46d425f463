"""The error responses each kind of operation documents (all problem+json), so that clients and
schemathesis know every status an operation can answer."""

from __future__ import annotations

from typing import Any

from caseflow.infra.http.problems import PROBLEM_JSON, ProblemModel


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "model": ProblemModel,
            "content": {PROBLEM_JSON: {}}}


_AUTH = {
    401: _problem("No bearer token, or an unknown one"),
    403: _problem("The caller's role or org may not do this"),
}
_INPUT = {422: _problem("Invalid input; `errors` names each field")}
_BODY = {
    400: _problem("The request could not be read"),
    413: _problem("The body is larger than the limit"),
    415: _problem("The body is not JSON"),
}

CREATE_ERRORS = {
    **_AUTH, **_INPUT, **_BODY,
    404: _problem("A referenced org, leader or case does not exist"),
    409: _problem("Refused by a rule, or a concurrent write got there first"),
    412: _problem("If-Match was sent: a new record has no version to match"),
}
COMMAND_ERRORS = {
    **CREATE_ERRORS,
    404: _problem("No such case (or a referenced org / leader does not exist)"),
    409: _problem("Refused by a rule (`rule` names it) or If-Match did not match "
                  "(`current_version` says what it is)"),
    412: _problem("If-Match named a weak tag, which never matches"),
}
QUERY_ERRORS = {
    **_AUTH, **_INPUT,
    503: _problem("The views did not reach min_position in time; retry after Retry-After"),
}
ITEM_ERRORS = {**QUERY_ERRORS, 404: _problem("No such item")}
