"""Response bodies of the queries. Rows come from the views; models list the fields clients can
rely on and allow more (views may grow columns without breaking clients)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Clock(Open):
    name: str
    owner: str
    started_on: date
    due_on: date
    done_on: date | None = None
    state: str
    days_left: int | None = None
    overdue: bool
    on_time: bool | None = None


class CaseRow(Open):
    """One case as the `case_status` view has it (no petitioner personal data)."""

    case_id: UUID
    status: str
    category: str | None = None
    channel: str | None = None
    receiving_org_id: UUID | None = None
    unit_id: UUID | None = None
    forwarded_to_org_id: UUID | None = Field(
        None, description="The body it was forwarded to (转送), deciding on acceptance"
    )
    forwarded_at: datetime | None = None
    leader_id: UUID | None = None
    handler_id: str | None = None
    subject: str | None = Field(
        None,
        description="Free text: absent for analysts unless published (CASEFLOW_PUBLISH_FREE_TEXT)",
    )
    received_at: datetime | None = None
    next_due_on: date | None = None
    overdue: bool | None = None
    version: int
    position: int


class Petition(BaseModel):
    """Personal data: only for registrars, handlers and leaders in scope, and supervisors."""

    petitioners: list[dict[str, Any]]
    representatives: list[str]
    request: str
    erased: bool = Field(
        default=False,
        description="The personal data was erased (its data key "
        "destroyed): the fields above are empty for good",
    )


class CaseDetail(CaseRow):
    clocks: list[Clock] | None = None
    petition: Petition | None = Field(None, description="Absent for roles without personal data")


class CasePage(BaseModel):
    items: list[CaseRow]
    total: int | None = None
    total_capped: bool = Field(
        False, description="True when `total` is a lower bound (the list counts to 10,000)"
    )
    next: str | None = Field(None, description="Pass as `after` for the next page")


class AuditRow(Open):
    position: int
    aggregate_id: UUID
    aggregate_type: str | None = None
    version: int
    event: str
    recorded_at: datetime
    occurred_at: datetime | None = None
    actor_id: str
    actor_role: str
    correlation_id: str | None = None
    causation_id: str | None = None
    summary: str | None = None
    payload: dict[str, Any] = Field(description="Without personal data for analysts/operators")
    chainhash: str | None = Field(
        default=None,
        description="The event's link in the log's hash chain (hex; null: not "
        "chained). See GET /cases/{id}/integrity and docs/integrity.md",
    )


class AuditPage(BaseModel):
    items: list[AuditRow]
    total: int | None = None
    next: str | None = Field(None, description="Pass as `after_position` for the next page")


class History(BaseModel):
    case_id: UUID
    as_of: str | None = Field(None, description="The version or time asked for")
    state: dict[str, Any] = Field(description="The case as it stood (then)")
    events: list[AuditRow]
    next: str | None = Field(
        None, description="Pass as `after_position` for the next page of events"
    )
