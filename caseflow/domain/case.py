"""The Case aggregate: one petition matter from registration (登记) to closure (销号).

This module holds the facts: the events (stored by topic `caseflow.domain.case:Case.<Event>`)
and how each evolves the case's state. The decisions — the command methods that check the rules
of DESIGN §2 — live in `case_rules.py` and are mixed in.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from caseflow.domain.base import Entity, RemembersKeys, event_name
from caseflow.domain.case_rules import DECIDED, NON_ACCEPT, CaseDecisions, S
from caseflow.domain.clocks import ClockFacts, ClockState, case_clocks
from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.policy import Policy
from caseflow.domain.values import (
    Category,
    Channel,
    Decision,
    LegalChannel,
    Meta,
    Outcome,
    Petitioner,
    Rating,
    ReviewOutcome,
    Stage,
    Status,
    SupervisionLevel,
    VisitMode,
)


class Case(CaseDecisions, Entity):
    class Event(RemembersKeys, Entity.Event):
        meta: Meta
        # A step of the lifecycle: closure may not predate it (see `last_step_at`). Visits
        # (dated by day) and evaluations (allowed after closure) are not.
        ordered = True

        @property
        def at(self) -> datetime:
            """Business time: when this happened in the world (not when it was recorded)."""
            return self.meta.occurred_at

        def mutate(self, aggregate: Any) -> Any:
            case = super().mutate(aggregate)
            if self.ordered and (case.last_step_at is None or self.at > case.last_step_at):
                case.last_step_at = self.at
            return case

    class Received(Event, Entity.Created):
        # v2: an accusation may name the accused org and leader (personal data, 回避), and the
        # petitioner's query code is kept as its hash.
        class_version = 2

        channel: Channel
        received_at: datetime
        receiving_org_id: UUID
        petitioners: tuple[Petitioner, ...]
        headcount: int
        representatives: tuple[str, ...]
        subject: str
        request: str
        region: str
        category: Category | None
        prior_case_id: UUID | None
        registered_by: str
        accused_org_id: UUID | None
        accused_leader_id: UUID | None
        query_code_hash: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(accused_org_id=None, accused_leader_id=None, query_code_hash=None)

        @property
        def at(self) -> datetime:
            return self.received_at

        def apply(self, case: Case) -> None:
            case.status = S.REGISTERED
            case.received_at = self.received_at
            case.receiving_org_id = self.receiving_org_id
            case.category = self.category
            case.prior_case_id = self.prior_case_id
            case.accused_org_id = self.accused_org_id
            case.accused_leader_id = self.accused_leader_id

    class Screened(Event):
        decision: Decision
        category: Category | None
        to_org_id: UUID | None
        reason: str
        route_channel: LegalChannel | None
        notified_at: datetime | None
        repeat_of_final: bool

        def apply(self, case: Case) -> None:
            at = self.meta.occurred_at
            if case.status is S.FORWARDED:  # the decision of the body it was forwarded to
                case.forward_screened_at = at
            else:
                case.screened_at = at
            case.status = screened_status(self.decision)
            case.category = self.category or case.category
            if self.decision is Decision.ACCEPT:
                case.accepted_at = at
            elif self.decision is Decision.FORWARD:
                case.forwarded_to, case.forwarded_at, case.forward_screened_at = (
                    self.to_org_id,
                    at,
                    None,
                )
                if self.to_org_id is not None:  # always, for a forward (`screen` checks)
                    case.forwarded_through += (self.to_org_id,)
            case.repeat_of_final = self.repeat_of_final

    class Assigned(Event):
        unit_id: UUID
        leader_id: UUID
        handler_id: str | None
        instructions: str

        def apply(self, case: Case) -> None:
            case.status = STATUS_AFTER[type(self)]
            case.unit_id, case.leader_id = self.unit_id, self.leader_id
            case.assigned_at = self.meta.occurred_at

    class Visited(Event):
        leader_id: UUID
        mode: VisitMode
        visited_on: date
        location: str
        visitors: int
        resolved_on_site: bool
        ordered = False

    class Extended(Event):
        days: int
        reason: str
        approved_by: str

        def apply(self, case: Case) -> None:
            case.extension_days += self.days

    class Resolved(Event):
        outcome: Outcome
        reply: str
        served_at: datetime

        @property
        def at(self) -> datetime:
            return self.served_at

        def apply(self, case: Case) -> None:
            case.status = STATUS_AFTER[type(self)]
            case.decided_at = case.resolved_at = self.served_at
            case.decided_stage = Stage.RESOLUTION

    class Evaluated(Event):
        stage: Stage
        rating: Rating
        ordered = False

        def apply(self, case: Case) -> None:
            case.evaluated.add(self.stage)

    class ReviewRequested(Event):
        to_org_id: UUID
        reason: str

        def apply(self, case: Case) -> None:
            case.status = STATUS_AFTER[type(self)]
            case.review_requested_at = self.meta.occurred_at
            case.review_org_id = self.to_org_id

    class Reviewed(Event):
        outcome: ReviewOutcome
        reply: str
        served_at: datetime

        @property
        def at(self) -> datetime:
            return self.served_at

        def apply(self, case: Case) -> None:
            case.status = STATUS_AFTER[type(self)]
            case.decided_at = case.reviewed_at = self.served_at
            case.decided_stage = Stage.REVIEW

    class RecheckRequested(Event):
        to_org_id: UUID
        reason: str

        def apply(self, case: Case) -> None:
            case.status = STATUS_AFTER[type(self)]
            case.recheck_requested_at = self.meta.occurred_at

    class Rechecked(Event):
        outcome: ReviewOutcome
        reply: str
        served_at: datetime

        @property
        def at(self) -> datetime:
            return self.served_at

        def apply(self, case: Case) -> None:
            case.status = STATUS_AFTER[type(self)]
            case.decided_at = case.rechecked_at = self.served_at
            case.decided_stage = Stage.RECHECK

    class Supervised(Event):
        level: SupervisionLevel
        instruction: str
        due_at: datetime | None
        cleared: bool

        def apply(self, case: Case) -> None:
            case.supervision_open = not self.cleared
            if self.cleared:
                case.supervision_cleared_at = self.meta.occurred_at
            else:
                case.supervision_opened_at = self.meta.occurred_at
                case.supervision_due_at = self.due_at
                case.supervision_cleared_at = None

    class Closed(Event):
        reason: str
        waived: bool

        def apply(self, case: Case) -> None:
            case.previous_status = case.status
            case.status = STATUS_AFTER[type(self)]
            case.closed_at = self.meta.occurred_at

    class Erased(Event):
        """The case's personal data was destroyed (crypto-shredding): its data key is gone, so
        the sealed fields of its events read as erased from now on. No personal data in it."""

        reason: str
        ordered = False

        def apply(self, case: Case) -> None:
            case.erased_at = self.meta.occurred_at

    def erase(self, *, reason: str, meta: Meta) -> None:
        """Record that the personal data was destroyed (at any stage; once)."""
        if self.erased_at is not None:
            raise RuleViolation(
                "The personal data of this case has been erased already.", "erased.once"
            )
        if not reason.strip():
            raise InvalidInput(
                "An erasure needs its reason (a request, the retention rule).", "erased.reason"
            )
        self.trigger_event(self.Erased, reason=reason.strip(), meta=meta)

    def __init__(self) -> None:
        self.idempotency_keys = {}
        self.erased_at: datetime | None = None
        self.status = STATUS_AFTER[Case.Received]
        self.previous_status: Status | None = None
        self.screened_at: datetime | None = None
        self.forwarded_at: datetime | None = None
        self.forward_screened_at: datetime | None = None
        self.unit_id: UUID | None = None
        self.leader_id: UUID | None = None
        self.extension_days = 0
        self.decided_at: datetime | None = None
        self.decided_stage: Stage | None = None
        self.evaluated: set[Stage] = set()
        self.supervision_open = False
        self.repeat_of_final = False
        self.review_org_id: UUID | None = None
        self.forwarded_to: UUID | None = None  # 转送: the body that decides on acceptance
        self.forwarded_through: tuple[UUID, ...] = ()  # every body it was forwarded to
        self.accused_org_id: UUID | None = None
        self.accused_leader_id: UUID | None = None
        self.assigned_at: datetime | None = None  # the latest assignment
        self.last_step_at: datetime | None = None  # the latest step's business time
        # business times that start and stop the statutory clocks (see clock_facts)
        self.accepted_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.review_requested_at: datetime | None = None
        self.reviewed_at: datetime | None = None
        self.recheck_requested_at: datetime | None = None
        self.rechecked_at: datetime | None = None
        self.supervision_opened_at: datetime | None = None
        self.supervision_due_at: datetime | None = None
        self.supervision_cleared_at: datetime | None = None
        self.closed_at: datetime | None = None

    # ----------------------------------------------------------------- queries

    @property
    def orgs(self) -> tuple[UUID | None, ...]:
        """The orgs whose staff work on this case: the receiving office, the body it was
        forwarded to and the unit it is assigned to (the work, and the permissions, follow it;
        the sending office keeps seeing what became of it)."""
        return (self.receiving_org_id, *self.forwarded_through, self.unit_id)

    @property
    def awaiting_forwarded_decision(self) -> bool:
        """Forwarded (转送), and the receiving body has not decided on acceptance yet."""
        return self.status is S.FORWARDED

    @property
    def is_final(self) -> bool:
        """After the re-check, or once a decision took effect, the same matter is not taken again.

        A petition rejected as a repeat of a final matter is about that same final matter, so a
        further repeat that links to it is final too (the chain cannot be used to reopen it)."""
        if self.status is S.RECHECKED or self.repeat_of_final:
            return True
        return self.status is S.CLOSED and self.previous_status in DECIDED

    def clock_facts(self) -> ClockFacts:
        """The business times that start and stop this case's statutory clocks."""
        return ClockFacts(
            received_at=self.received_at,
            screened_at=self.screened_at,
            forwarded_at=self.forwarded_at,
            forward_screened_at=self.forward_screened_at,
            accepted_at=self.accepted_at,
            extension_days=self.extension_days,
            resolved_at=self.resolved_at,
            review_requested_at=self.review_requested_at,
            reviewed_at=self.reviewed_at,
            recheck_requested_at=self.recheck_requested_at,
            rechecked_at=self.rechecked_at,
            supervision_opened_at=self.supervision_opened_at,
            supervision_due_at=self.supervision_due_at,
            supervision_cleared_at=self.supervision_cleared_at,
            closed_at=self.closed_at,
        )

    def clocks(self, now: datetime, policy: Policy) -> list[ClockState]:
        """Every clock this case has started, evaluated at `now` (DESIGN §3)."""
        return case_clocks(self.clock_facts(), now, policy)


# The lifecycle of DESIGN §2, stated once: the status each event leaves a case in (a screening's
# depends on its decision). The events above apply it; the status view reads it by event name
# (`status_after`) rather than keep a copy.
STATUS_AFTER: dict[type[Case.Event], Status] = {
    Case.Received: S.REGISTERED,
    Case.Assigned: S.ASSIGNED,
    Case.Resolved: S.RESOLVED,
    Case.ReviewRequested: S.REVIEW_REQUESTED,
    Case.Reviewed: S.REVIEWED,
    Case.RecheckRequested: S.RECHECK_REQUESTED,
    Case.Rechecked: S.RECHECKED,
    Case.Closed: S.CLOSED,
}
_BY_NAME = {event_name(cls): status for cls, status in STATUS_AFTER.items()}
_SCREENED = event_name(Case.Screened)


def screened_status(decision: Decision) -> Status:
    """The status a screening leaves a case in: accepted, or forwarded / rejected / routed."""
    return NON_ACCEPT.get(decision, S.ACCEPTED)


def status_after(event: str, decision: str | None = None) -> Status | None:
    """The status event `event` (a stream name, `case.assigned`) leaves a case in; a screening's
    by its `decision`. None: the event leaves the status as it was."""
    if event == _SCREENED and decision is not None:
        return screened_status(Decision(decision))
    return _BY_NAME.get(event)
