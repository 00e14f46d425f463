"""Request and response bodies of the commands (one model per POST of DESIGN §5)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from caseflow.domain.values import (
    Category,
    Channel,
    Decision,
    LegalChannel,
    OrgLevel,
    Outcome,
    Petitioner,
    Rating,
    ReviewOutcome,
    SupervisionLevel,
    VisitMode,
)
from caseflow.infra.http.types import Day, Line, Name, Text, Time


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def fields(self) -> dict[str, Any]:
        """Keyword arguments for the service command."""
        return {name: getattr(self, name) for name in type(self).model_fields}


class CommandOut(BaseModel):
    id: UUID = Field(description="The case, org or leader the event belongs to")
    version: int = Field(description="The aggregate's version after the command (for If-Match)")
    position: int = Field(description="Global log position of the event (for min_position)")


class CaseCreatedOut(CommandOut):
    query_code: str | None = Field(
        None, description="The petitioner's query code (查询码) for GET /public/cases/{code}: "
                          "shown this once and stored only as a digest; null on a replay")


# ------------------------------------------------------------------ orgs, leaders


class OrgIn(Body):
    name: Name
    level: OrgLevel
    parent_id: UUID | None = Field(None, description="The org above; none for a root")


class LeaderIn(Body):
    name: Name
    title: Line = ""
    org_id: UUID


# ----------------------------------------------------------------------- cases


class PetitionerIn(Body):
    name: Name
    id_number: Line = ""
    phone: Line = ""
    address: Line = ""


class CaseIn(Body):
    channel: Channel
    received_at: Time
    receiving_org_id: UUID
    petitioners: list[PetitionerIn] = Field(min_length=1, max_length=500)
    headcount: int | None = Field(None, ge=1, le=100_000,
                                  description="People present; defaults to the petitioners named")
    representatives: list[Name] = Field(default_factory=list, max_length=100)
    subject: Name
    request: Text = Field("", description="The petitioner's request in their words (personal)")
    region: Line = ""
    category: Category | None = None
    prior_case_id: UUID | None = Field(None, description="An earlier case on the same matter")
    accused_org_id: UUID | None = Field(
        None, description="An accusation's accused org (personal data: never published; the "
                          "case is never assigned or forwarded there, and its staff cannot see it)")
    accused_leader_id: UUID | None = Field(
        None, description="An accusation's accused leader (personal data: never published; "
                          "never owns the case, cannot see it)")

    def fields(self) -> dict[str, Any]:
        out = super().fields()
        out["petitioners"] = tuple(Petitioner(**p.model_dump()) for p in self.petitioners)
        out["representatives"] = tuple(self.representatives)
        out["headcount"] = self.headcount or len(self.petitioners)
        return out


class ScreeningIn(Body):
    decision: Decision
    category: Category | None = None
    to_org_id: UUID | None = Field(None, description="Where a forwarded petition goes")
    reason: Text = ""
    route_channel: LegalChannel | None = Field(None, description="For decision `route`")
    notified_at: Time | None = Field(None, description="When the petitioner was told")


class AssignmentIn(Body):
    unit_id: UUID
    leader_id: UUID
    handler_id: Line | None = None
    instructions: Text = ""


class VisitIn(Body):
    leader_id: UUID
    mode: VisitMode
    visited_on: Day
    location: Line = ""
    visitors: int = Field(1, ge=1, le=100_000, description="Persons received (人次)")
    resolved_on_site: bool = False


class ExtensionIn(Body):
    days: int = Field(ge=1, le=3650)
    reason: Text
    approved_by: Name


class DecisionIn(Body):
    """A written reply: the resolution, the review or the re-check decision."""

    reply: Text
    served_at: Time | None = Field(None, description="When it was served; defaults to now")


class ResolutionIn(DecisionIn):
    outcome: Outcome


class ReviewDecisionIn(DecisionIn):
    outcome: ReviewOutcome


class EvaluationIn(Body):
    rating: Rating


class RequestIn(Body):
    """A petitioner's request for review (复查) or re-check (复核)."""

    to_org_id: UUID | None = Field(None, description="Defaults to the superior body")
    reason: Text = ""


class SupervisionIn(Body):
    level: SupervisionLevel = SupervisionLevel.SUPERVISE
    instruction: Text = ""
    due_at: Time | None = Field(None, description="Required when opening")
    cleared: bool = Field(False, description="True clears the open supervision")


class ClosureIn(Body):
    reason: Text
    waived: bool = Field(False, description="The petitioner waived the open request window")
