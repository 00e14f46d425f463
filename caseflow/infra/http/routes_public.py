"""A petitioner follows their own case with the query code (查询码) given at registration: no
account, no token. They see where the case stands and the notices the office owes them, and can
rate the stage just decided. Nothing internal (ids, orgs, staff, free text) and nothing of anyone
else. A wrong code is a 404; lookups are rate limited per client address and per code (429 with
Retry-After) and failed ones counted (`caseflow_public_lookup_failures_total`)."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

import anyio
from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from caseflow.domain.case import Case
from caseflow.domain.clocks import ClockState
from caseflow.domain.policy import Policy
from caseflow.domain.values import Rating, Stage, Status
from caseflow.infra.http.commands_models import EvaluationIn
from caseflow.infra.http.deps import api_of
from caseflow.infra.http.openapi import PUBLIC_COMMAND_ERRORS, PUBLIC_ERRORS
from caseflow.infra.http.problems import Problem
from caseflow.infra.http.state import Api
from caseflow.services import querycodes
from caseflow.services.app import Actor, Context

router = APIRouter(tags=["petitioners"])
PUBLIC_PATH = "/public/cases/"
_CODE_IN_PATH = re.compile(r"(/public/cases/)[^/?#\s\"]+")
PETITIONER = Actor(id="petitioner", role="petitioner")  # who the events say acted
Code = Path(
    max_length=100,
    description="The query code given at registration, e.g. "
    "`K3QZ7-ABCDE-…` (case, spaces and dashes do not matter)",
)
# The office's duties a petitioner is told of, by the clock that tracks each (oversight is
# internal and not shown).
NOTICES = {
    "screening": "acceptance_decision",
    "handling": "reply",
    "review": "review_decision",
    "recheck": "recheck_decision",
}
# The URL carries a credential: no cache keeps the answer, no link passes the URL on.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
RIGHTS = {"review_window": "request_review", "recheck_window": "request_recheck"}


class NoticeOut(BaseModel):
    notice: Literal["acceptance_decision", "reply", "review_decision", "recheck_decision"]
    due_on: date = Field(description="The last day the office has to serve it")
    served_on: date | None = Field(description="When it was served, once it was")
    state: Literal["open", "done", "stopped"]
    overdue: bool


class ExtensionOut(BaseModel):
    granted_on: date
    days: int = Field(description="Days added to the time for the reply")


class RightOut(BaseModel):
    right: Literal["request_review", "request_recheck"]
    until: date = Field(description="The last day to use it")
    state: Literal["open", "done", "stopped"]


class PublicCaseOut(BaseModel):
    status: Status
    received_on: date
    notices: list[NoticeOut] = Field(description="What the office owes you, in order")
    extensions: list[ExtensionOut] = Field(description="Extensions of the time for the reply")
    next_due: NoticeOut | None = Field(description="The next notice the office owes you")
    rights: list[RightOut] = Field(description="Your windows to ask for a review / re-check")
    evaluation_open: Stage | None = Field(description="The stage you may rate now, if any")


class EvaluationOut(BaseModel):
    stage: Stage
    rating: Rating


@router.get(
    "/public/cases/{code}",
    response_model=PublicCaseOut,
    responses=PUBLIC_ERRORS,
    summary="Follow your case by its query code (查询码)",
)
async def follow(request: Request, response: Response, code: str = Code) -> PublicCaseOut:
    api = api_of(request)
    case, events = await _find(request, code)
    response.headers.update(PRIVATE)
    return _public(case, events, api.app.clock(), api.app.policy)


@router.post(
    "/public/cases/{code}/evaluation",
    response_model=EvaluationOut,
    responses=PUBLIC_COMMAND_ERRORS,
    summary="Rate the stage just decided (satisfied, basically satisfied, …)",
)
async def evaluate_as_petitioner(
    body: EvaluationIn, request: Request, response: Response, code: str = Code
) -> EvaluationOut:
    """The same command staff record with `POST /cases/{id}/evaluations`, as the petitioner."""
    api = api_of(request)
    case, _ = await _find(request, code)
    response.headers.update(PRIVATE)
    ctx = Context(actor=PETITIONER, correlation_id=uuid4().hex)
    result = await api.commands.run(lambda: api.app.evaluate(ctx, case.id, rating=body.rating))
    rated = await anyio.to_thread.run_sync(lambda: api.app.get(Case, case.id, result.version))
    return EvaluationOut(stage=rated.decided_stage, rating=body.rating)


async def _find(request: Request, code: str) -> tuple[Case, list[Any]]:
    """The case the code belongs to and its events, within the rate limits; 404 for any wrong
    code. The digest the registration recorded is compared in constant time."""
    api = api_of(request)
    limits = api.public_limits
    _within(limits.per_address.hit(request.client.host if request.client else "-"))
    normal = querycodes.normalize(code)
    if normal is None:
        raise _wrong_code(api)
    code_hash = querycodes.digest(normal)
    _within(limits.per_code.hit(code_hash))
    case_id = await anyio.to_thread.run_sync(api.views.case_by_code, code_hash)
    if case_id is None:
        raise _wrong_code(api)
    case, events = await anyio.to_thread.run_sync(_load, api, case_id)
    if not querycodes.matches(getattr(events[0], "query_code_hash", None), code_hash):
        raise _wrong_code(api)
    if case.erased_at is not None:  # erased (crypto-shredded): the code opens nothing any more
        raise _wrong_code(api)
    return case, events


class HideCodes(logging.Filter):
    """A query code is a credential: in log lines (uvicorn's access log, our own) the path shows
    `/public/cases/<code>` instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(a, str) and PUBLIC_PATH in a for a in record.args
        ):
            record.args = tuple(
                _CODE_IN_PATH.sub(r"\1<code>", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str) and PUBLIC_PATH in record.msg:
            record.msg = _CODE_IN_PATH.sub(r"\1<code>", record.msg)
        return True


def hide_codes_in_logs() -> None:
    """Install `HideCodes` on the loggers that name request paths (once per process)."""
    for name in ("uvicorn.access", "caseflow.http"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, HideCodes) for f in logger.filters):
            logger.addFilter(HideCodes())


def _within(retry_after: int | None) -> None:
    if retry_after is not None:
        raise Problem(
            429,
            "too-many-requests",
            "Too many requests",
            f"Too many lookups; try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


def _wrong_code(api: Api) -> Problem:
    api.metrics.public_lookup_failures.inc()
    return Problem(404, "not-found", "Not found", "No case has that query code.")


def _load(api: Api, case_id: UUID) -> tuple[Case, list[Any]]:
    return api.app.get(Case, case_id), api.app.history(case_id)


def _public(case: Case, events: list[Any], now: datetime, policy: Policy) -> PublicCaseOut:
    clocks = case.clocks(now, policy)
    notices = [_notice(c) for c in clocks if c.name in NOTICES]
    open_ = [n for n in notices if n.state == "open"]
    return PublicCaseOut(
        status=case.status,
        received_on=policy.local_date(case.received_at),
        notices=notices,
        extensions=[
            ExtensionOut(granted_on=policy.local_date(e.meta.occurred_at), days=e.days)
            for e in events
            if isinstance(e, Case.Extended)
        ],
        next_due=min(open_, key=lambda n: n.due_on) if open_ else None,
        rights=[
            RightOut(right=RIGHTS[c.name], until=c.due_on, state=c.state)
            for c in clocks
            if c.name in RIGHTS
        ],
        evaluation_open=(
            case.decided_stage
            if case.decided_stage is not None and case.decided_stage not in case.evaluated
            else None
        ),
    )


def _notice(c: ClockState) -> NoticeOut:
    return NoticeOut(
        notice=NOTICES[c.name],
        due_on=c.due_on,
        served_on=c.done_on,
        state=c.state,
        overdue=c.overdue,
    )
