"""The state and machinery of a `Case` that its command mixins (`case_rules.CaseDecisions`,
`case_appeals.AppealDecisions`) use, declared for the type checker only.

At run time `CaseState` is `object`: class annotations on an aggregate would become fields of its
created event in eventsourcing, and the attributes are set by `Case.__init__` and the events'
`apply` (caseflow/domain/case.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any
    from uuid import UUID

    from caseflow.domain.base import Entity
    from caseflow.domain.values import Category, Meta, Stage, Status

    class CaseState(Entity):
        status: Status
        received_at: datetime
        receiving_org_id: UUID
        category: Category | None
        prior_case_id: UUID | None
        accused_org_id: UUID | None
        accused_leader_id: UUID | None
        accepted_at: datetime | None
        assigned_at: datetime | None
        forwarded_at: datetime | None
        forwarded_to: UUID | None
        extension_days: int
        last_step_at: datetime | None
        decided_at: datetime | None
        decided_stage: Stage | None
        evaluated: set[Stage]
        resolved_at: datetime | None
        review_requested_at: datetime | None
        reviewed_at: datetime | None
        recheck_requested_at: datetime | None
        rechecked_at: datetime | None
        supervision_open: bool
        supervision_opened_at: datetime | None
        supervision_cleared_at: datetime | None

        # the events (nested classes of Case)
        Received: type[Any]
        Screened: type[Any]
        Assigned: type[Any]
        Visited: type[Any]
        Extended: type[Any]
        Resolved: type[Any]
        Evaluated: type[Any]
        ReviewRequested: type[Any]
        Reviewed: type[Any]
        RecheckRequested: type[Any]
        Rechecked: type[Any]
        Supervised: type[Any]
        Closed: type[Any]

        def _serve(
            self,
            event: type,
            required: Status,
            name: str,
            when: str,
            outcome: object,
            reply: str,
            served_at: datetime,
            meta: Meta,
        ) -> None: ...

        def _require(self, allowed: set[Status], event: str, when: str) -> None: ...

else:
    CaseState = object
