"""Commands (DESIGN §5): each POST appends one event and answers its id, version and position.

The service layer is synchronous: each command runs, with its org-scope check, on the command
executor (see `executor.py`), off the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from starlette.responses import Response

from caseflow.domain.case import Case
from caseflow.infra.http.commands_models import (
    AssignmentIn,
    Body,
    CaseCreatedOut,
    CaseIn,
    ClosureIn,
    CommandOut,
    DecisionIn,
    EvaluationIn,
    ExtensionIn,
    LeaderIn,
    OrgIn,
    RequestIn,
    ResolutionIn,
    ReviewDecisionIn,
    ScreeningIn,
    SupervisionIn,
    VisitIn,
)
from caseflow.infra.http.deps import COMMAND_HEADERS, Command, command
from caseflow.infra.http.fastroute import CommandRoute
from caseflow.infra.http.openapi import COMMAND_ERRORS, CREATE_ERRORS
from caseflow.services import authz, querycodes
from caseflow.services.app import CommandResult
from caseflow.services.authz import Action

router = APIRouter(tags=["commands"], route_class=CommandRoute)
HEADERS = {"parameters": COMMAND_HEADERS}
# A create has no version to be conditional on: If-Match there is refused (412), not offered.
CREATE_HEADERS = {"parameters": [h for h in COMMAND_HEADERS if h["name"] != "If-Match"]}
CREATE: dict = {
    "status_code": 201,
    "response_model": CommandOut,
    "responses": CREATE_ERRORS,
    "openapi_extra": CREATE_HEADERS,
}
ON_CASE: dict = {
    "response_model": CommandOut,
    "responses": COMMAND_ERRORS,
    "openapi_extra": HEADERS,
}
A = Action
RegisterOrgCmd = Annotated[Command, Depends(command(A.REGISTER_ORG))]
RegisterLeaderCmd = Annotated[Command, Depends(command(A.REGISTER_LEADER))]
ReceiveCmd = Annotated[Command, Depends(command(A.RECEIVE))]
ScreenCmd = Annotated[Command, Depends(command(A.SCREEN))]
AssignCmd = Annotated[Command, Depends(command(A.ASSIGN))]
VisitCmd = Annotated[Command, Depends(command(A.VISIT))]
ExtendCmd = Annotated[Command, Depends(command(A.EXTEND))]
ResolveCmd = Annotated[Command, Depends(command(A.RESOLVE))]
EvaluateCmd = Annotated[Command, Depends(command(A.EVALUATE))]
RequestReviewCmd = Annotated[Command, Depends(command(A.REQUEST_REVIEW))]
ReviewCmd = Annotated[Command, Depends(command(A.REVIEW))]
RequestRecheckCmd = Annotated[Command, Depends(command(A.REQUEST_RECHECK))]
RecheckCmd = Annotated[Command, Depends(command(A.RECHECK))]
SuperviseCmd = Annotated[Command, Depends(command(A.SUPERVISE))]
CloseCmd = Annotated[Command, Depends(command(A.CLOSE))]


async def _on_case(
    cmd: Command,
    action: Action,
    case_id: UUID,
    body: Body,
    method: Callable[..., CommandResult],
    check: Callable[[Case], None] | None = None,
    **fields: object,
) -> Response:
    def work() -> CommandResult:
        return method(cmd.context(body, action, check), case_id, **{**body.fields(), **fields})

    return cmd.respond(await cmd.api.commands.run(work))


def _served(cmd: Command, body: DecisionIn) -> dict:
    # Default after hashing the body, so a retry that leaves served_at out still matches.
    return {"served_at": body.served_at or cmd.app.clock()}


# ------------------------------------------------------------------ orgs, leaders


@router.post("/orgs", **CREATE, summary="Register an org (office, unit or department)")
async def register_org(body: OrgIn, cmd: RegisterOrgCmd) -> Response:
    result = await cmd.api.commands.run(
        lambda: cmd.app.register_org(cmd.context(body), **body.fields())
    )
    return cmd.respond(result, 201, location=f"/orgs/{result.id}")


@router.post("/leaders", **CREATE, summary="Register a leader")
async def register_leader(body: LeaderIn, cmd: RegisterLeaderCmd) -> Response:
    result = await cmd.api.commands.run(
        lambda: cmd.app.register_leader(cmd.context(body), **body.fields())
    )
    return cmd.respond(result, 201, location=f"/leaders/{result.id}/statistics")


# ----------------------------------------------------------------------- cases


@router.post(
    "/cases", **(CREATE | {"response_model": CaseCreatedOut}), summary="Register a petition (登记)"
)
async def register_case(body: CaseIn, cmd: ReceiveCmd) -> Response:
    """Answers the petitioner's query code (查询码) once: only its digest is recorded."""
    code = querycodes.new_code()

    def work() -> CommandResult:
        actor, orgs = cmd.who.actor, cmd.api.orgs
        authz.require_org(actor, A.RECEIVE, body.receiving_org_id, orgs)
        if body.prior_case_id is not None:  # a repeat may link only to a case the caller sees
            authz.require_case(actor, A.RECEIVE, cmd.app.case(body.prior_case_id), orgs)
        return cmd.app.receive(
            cmd.context(body), **body.fields(), query_code_hash=querycodes.digest(code)
        )

    result = await cmd.api.commands.run(work)
    # A replay (same Idempotency-Key) recorded the first request's digest: this code is not it.
    extra = {"query_code": None if result.replayed else code}
    return cmd.respond(result, 201, location=f"/cases/{result.id}", extra=extra)


@router.post(
    "/cases/{case_id}/screening",
    **ON_CASE,
    summary="Screen: accept, forward, reject or route (受理审查)",
)
async def screen(case_id: UUID, body: ScreeningIn, cmd: ScreenCmd) -> Response:
    return await _on_case(cmd, A.SCREEN, case_id, body, cmd.app.screen)


@router.post(
    "/cases/{case_id}/assignment",
    **ON_CASE,
    summary="Assign to a unit and a responsible leader (交办 / 包案)",
)
async def assign(case_id: UUID, body: AssignmentIn, cmd: AssignCmd) -> Response:
    def check(case: Case) -> None:
        leader_org = cmd.app.leader(body.leader_id).org_id
        authz.require_tasking(cmd.who.actor, body.unit_id, leader_org, cmd.api.orgs)

    return await _on_case(cmd, A.ASSIGN, case_id, body, cmd.app.assign, check)


@router.post(
    "/cases/{case_id}/visits",
    **ON_CASE,
    summary="Record a leader's visit with the petitioners (接访, 约访, 下访, 回访)",
)
async def visit(case_id: UUID, body: VisitIn, cmd: VisitCmd) -> Response:
    def check(case: Case) -> None:
        leader_org = cmd.app.leader(body.leader_id).org_id
        authz.require_visit(cmd.who.actor, case, leader_org, cmd.api.orgs)

    return await _on_case(cmd, A.VISIT, case_id, body, cmd.app.visit, check)


@router.post(
    "/cases/{case_id}/extensions",
    **ON_CASE,
    summary="Extend the handling deadline (at most 30 days in total)",
)
async def extend(case_id: UUID, body: ExtensionIn, cmd: ExtendCmd) -> Response:
    return await _on_case(cmd, A.EXTEND, case_id, body, cmd.app.extend)


@router.post(
    "/cases/{case_id}/resolution", **ON_CASE, summary="Resolve with a written reply (办结)"
)
async def resolve(case_id: UUID, body: ResolutionIn, cmd: ResolveCmd) -> Response:
    return await _on_case(cmd, A.RESOLVE, case_id, body, cmd.app.resolve, **_served(cmd, body))


@router.post(
    "/cases/{case_id}/evaluations",
    **ON_CASE,
    summary="Record the petitioner's satisfaction with the current stage",
)
async def evaluate(case_id: UUID, body: EvaluationIn, cmd: EvaluateCmd) -> Response:
    return await _on_case(cmd, A.EVALUATE, case_id, body, cmd.app.evaluate)


@router.post(
    "/cases/{case_id}/review-requests", **ON_CASE, summary="Request a review (复查), within 30 days"
)
async def request_review(case_id: UUID, body: RequestIn, cmd: RequestReviewCmd) -> Response:
    return await _on_case(cmd, A.REQUEST_REVIEW, case_id, body, cmd.app.request_review)


@router.post("/cases/{case_id}/review-decisions", **ON_CASE, summary="Decide the review (复查意见)")
async def review(case_id: UUID, body: ReviewDecisionIn, cmd: ReviewCmd) -> Response:
    return await _on_case(cmd, A.REVIEW, case_id, body, cmd.app.review, **_served(cmd, body))


@router.post(
    "/cases/{case_id}/recheck-requests",
    **ON_CASE,
    summary="Request a re-check (复核), within 30 days",
)
async def request_recheck(case_id: UUID, body: RequestIn, cmd: RequestRecheckCmd) -> Response:
    return await _on_case(cmd, A.REQUEST_RECHECK, case_id, body, cmd.app.request_recheck)


@router.post(
    "/cases/{case_id}/recheck-decisions", **ON_CASE, summary="Decide the re-check (复核意见): final"
)
async def recheck(case_id: UUID, body: ReviewDecisionIn, cmd: RecheckCmd) -> Response:
    return await _on_case(cmd, A.RECHECK, case_id, body, cmd.app.recheck, **_served(cmd, body))


@router.post(
    "/cases/{case_id}/supervision", **ON_CASE, summary="Open or clear oversight (督办, 挂牌督办)"
)
async def supervise(case_id: UUID, body: SupervisionIn, cmd: SuperviseCmd) -> Response:
    return await _on_case(cmd, A.SUPERVISE, case_id, body, cmd.app.supervise)


@router.post("/cases/{case_id}/closure", **ON_CASE, summary="Close the case (销号)")
async def close(case_id: UUID, body: ClosureIn, cmd: CloseCmd) -> Response:
    return await _on_case(cmd, A.CLOSE, case_id, body, cmd.app.close_case)
