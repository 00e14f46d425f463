"""Request and response bodies of the commands (one model per POST of DESIGN §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
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
    Stage,
    SupervisionLevel,
    VisitMode,
)
from caseflow.infra.http.types import Day, Line, Name, Text, Time


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The field holding the business time of what the command records (the event's
    # `occurred_at`); it goes to the command's context, not to its keyword arguments.
    at_field: ClassVar[str | None] = None

    def fields(self) -> dict[str, Any]:
        """Keyword arguments for the service command."""
        return {
            name: getattr(self, name) for name in type(self).model_fields if name != self.at_field
        }

    def occurred_at(self) -> datetime | None:
        """The business time sent, if any (the service defaults it to now)."""
        return getattr(self, self.at_field) if self.at_field else None


def _at(what: str) -> Any:
    return Field(
        None,
        description=f"When {what} (business time, RFC 3339 with an offset); "
        "defaults to now. Never in the future, never before the "
        "step it follows.",
    )


class CommandOut(BaseModel):
    id: UUID = Field(description="The case, org or leader the event belongs to")
    version: int = Field(description="The aggregate's version after the command (for If-Match)")
    position: int = Field(description="Global log position of the event (for min_position)")


class CaseCreatedOut(CommandOut):
    query_code: str | None = Field(
        None,
        description="The petitioner's query code (查询码) for GET /public/cases/{code}: "
        "shown this once and stored only as a digest; null on a replay",
    )


# ------------------------------------------------------------------ orgs, leaders


class OrgIn(Body):
    name: Name
    level: OrgLevel
    parent_id: UUID | None = Field(None, description="The org above; none for a root")


class LeaderIn(Body):
    name: Name
    title: Line = ""
    org_id: UUID
    in_office_from: Day | None = Field(
        None,
        description="The day the leader took office (local date; default today, never in "
        "the future)",
    )


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
    headcount: int | None = Field(
        None, ge=1, le=100_000, description="People present; defaults to the petitioners named"
    )
    representatives: list[Name] = Field(default_factory=list, max_length=100)
    subject: Name
    request: Text = Field("", description="The petitioner's request in their words (personal)")
    region: Line = ""
    category: Category | None = None
    prior_case_id: UUID | None = Field(None, description="An earlier case on the same matter")
    accused_org_id: UUID | None = Field(
        None,
        description="An accusation's accused org (personal data: never published; the "
        "case is never assigned or forwarded there, and its staff cannot see it)",
    )
    accused_leader_id: UUID | None = Field(
        None,
        description="An accusation's accused leader (personal data: never published; "
        "never owns the case, cannot see it)",
    )

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
    decided_at: Time | None = _at("the screening decision was made; not before receipt")
    at_field = "decided_at"


class AssignmentIn(Body):
    unit_id: UUID
    leader_id: UUID
    handler_id: Line | None = None
    instructions: Text = ""
    assigned_at: Time | None = _at("the case was assigned; not before acceptance")
    at_field = "assigned_at"


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
    approved_at: Time | None = _at("the extension was approved; not before assignment")
    at_field = "approved_at"


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
    stage: Stage | None = Field(
        None,
        description="The stage rated (resolution, review, "
        "recheck); defaults to the latest decided stage",
    )
    evaluated_at: Time | None = _at("the petitioner evaluated; not before the decision")
    at_field = "evaluated_at"


class RequestIn(Body):
    """A petitioner's request for review (复查) or re-check (复核)."""

    to_org_id: UUID | None = Field(
        None,
        description="A body above the one that decided "
        "(an ancestor in the org tree); defaults to its parent",
    )
    reason: Text = ""
    requested_at: Time | None = _at("the petitioner asked; judged against the 30-day window")
    at_field = "requested_at"


class SupervisionIn(Body):
    level: SupervisionLevel = SupervisionLevel.SUPERVISE
    instruction: Text = ""
    due_at: Time | None = Field(None, description="Required when opening")
    cleared: bool = Field(False, description="True clears the open supervision")
    decided_at: Time | None = _at("oversight was opened or cleared")
    at_field = "decided_at"


class ClosureIn(Body):
    reason: Text
    waived: bool = Field(False, description="The petitioner waived the open request window")
    closed_at: Time | None = _at("the case was closed; not before the last step it closes")
    at_field = "closed_at"
