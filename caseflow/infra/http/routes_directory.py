"""The directory's commands after registration (DESIGN §9, leaders in office): a leader leaves
office, moves to another org or is renamed; an org is renamed. Each POST appends one event to the
leader or org and answers its id, version and position; operators and supervisors may, as they
may register them. (`POST /orgs` and `POST /leaders` are in `routes_commands.py`.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import Field
from starlette.responses import Response

from caseflow.infra.http.commands_models import Body, CommandOut
from caseflow.infra.http.deps import COMMAND_HEADERS, Command, command
from caseflow.infra.http.fastroute import CommandRoute
from caseflow.infra.http.openapi import COMMAND_ERRORS
from caseflow.infra.http.types import Day, Line, Name
from caseflow.services.app import CommandResult
from caseflow.services.authz import Action

router = APIRouter(tags=["commands"], route_class=CommandRoute)
ON_DIRECTORY: dict = {
    "response_model": CommandOut,
    "responses": COMMAND_ERRORS,
    "openapi_extra": {"parameters": COMMAND_HEADERS},
}
LeaderCmd = Annotated[Command, Depends(command(Action.REGISTER_LEADER))]
OrgCmd = Annotated[Command, Depends(command(Action.REGISTER_ORG))]


class DepartureIn(Body):
    on: Day | None = Field(
        None, description="The last day in office (local date; default today, never in the future)"
    )


class MoveIn(Body):
    to_org_id: UUID = Field(description="The org the leader now holds office in")
    on: Day | None = Field(
        None,
        description="The first day in the new org (local date; default today, never in the future)",
    )


class LeaderRenameIn(Body):
    name: Name
    title: Line | None = Field(None, description="Unchanged when left out")


class OrgRenameIn(Body):
    name: Name


async def _run(
    cmd: Command, body: Body, method: Callable[..., CommandResult], id: UUID
) -> Response:
    return cmd.respond(
        await cmd.api.commands.run(lambda: method(cmd.context(body), id, **body.fields()))
    )


@router.post(
    "/leaders/{leader_id}/departure",
    **ON_DIRECTORY,
    summary="A leader leaves office (statistics stay; later periods are not judged)",
)
async def leave_office(leader_id: UUID, body: DepartureIn, cmd: LeaderCmd) -> Response:
    return await _run(cmd, body, cmd.app.leave_office, leader_id)


@router.post(
    "/leaders/{leader_id}/move",
    **ON_DIRECTORY,
    summary="A leader moves to another org (statistics follow the leader)",
)
async def move_leader(leader_id: UUID, body: MoveIn, cmd: LeaderCmd) -> Response:
    return await _run(cmd, body, cmd.app.move_leader, leader_id)


@router.post(
    "/leaders/{leader_id}/rename", **ON_DIRECTORY, summary="Change a leader's name or title"
)
async def rename_leader(leader_id: UUID, body: LeaderRenameIn, cmd: LeaderCmd) -> Response:
    return await _run(cmd, body, cmd.app.rename_leader, leader_id)


@router.post(
    "/orgs/{org_id}/rename",
    **ON_DIRECTORY,
    summary="Rename an org (its level and place in the tree stay)",
)
async def rename_org(org_id: UUID, body: OrgRenameIn, cmd: OrgCmd) -> Response:
    return await _run(cmd, body, cmd.app.rename_org, org_id)
