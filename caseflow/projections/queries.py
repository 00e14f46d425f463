"""What the API asks of the views: filters, pages. Plain data, no SQL (answered by
`caseflow.infra.views.queries`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

MAX_LIMIT = 500


@dataclass(frozen=True)
class CaseQuery:
    """Filters of `GET /cases` (DESIGN §5); every one optional, all combined with AND."""

    status: str | tuple[str, ...] | None = None
    org_id: UUID | None = None  # receiving org
    unit_id: UUID | None = None  # responsible unit
    leader_id: UUID | None = None
    handler_id: str | None = None
    category: str | None = None
    channel: str | None = None
    overdue: bool | None = None  # an open office duty is past its due date (as of `today`)
    received_from: date | None = None  # local dates, inclusive
    received_to: date | None = None
    within_org: UUID | None = None  # receiving org or unit is this org or below it
    # Work sent to this body that awaits it: forwarded to it and not yet screened or assigned
    # by it, or assigned to it as the unit and not yet resolved.
    inbox_of: UUID | None = None
    repeat: bool | None = None
    collective: bool | None = None
    supervised: bool | None = None  # oversight open
    supervision_level: str | None = None
    decision: str | None = None  # the screening decision
    # Leave out the accusations against the caller: those naming one of these orgs (the
    # caller's org and the orgs above it) or this leader (the caller, if a leader); each id
    # given also as the keyed pseudonym the store keeps for it (infra/privacy/sealing.py).
    not_accusing_orgs: tuple[UUID, ...] = ()
    not_accusing_leaders: tuple[UUID, ...] = ()
    limit: int = 50
    offset: int = 0
    after: str | None = None  # keyset cursor from `Page.next` (then `offset` is ignored)


@dataclass(frozen=True)
class AuditQuery:
    """Audit rows: a case's history (`aggregate_id`) or what an actor did in a recorded-time range
    ([since, until)), in log order."""

    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    aggregate_id: UUID | None = None
    within_org: UUID | None = None  # cases of this org's subtree (and its orgs' own events)
    event: str | None = None
    limit: int = 100
    after_position: int = 0  # keyset: rows after this log position


Cursor = TypeVar("Cursor", str, int)


@dataclass
class Page(Generic[Cursor]):
    """One page of any list query of the API: the items, how many match in all, and where the
    next page starts (None on the last): a keyset cursor (`str`: cases, audit) or the offset
    (`int`: statistics lists)."""

    items: list[dict[str, Any]]
    total: int
    next: Cursor | None = None
    # e.g. {"total_capped": True}: `total` is a lower bound (the status list counts to 10,000)
    extra: dict[str, Any] = field(default_factory=dict)


def clamp_limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))
