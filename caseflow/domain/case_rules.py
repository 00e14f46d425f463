"""How a Case decides: the command methods that check DESIGN §2 and trigger the events.

Mixed into `Case` (caseflow/domain/case.py), which holds the events and how they evolve state.
Commands raise a `DomainError` naming the rule; lateness never refuses a record (the clocks flag
it); windows that the law gives the petitioner (review, re-check) are enforced.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Self
from uuid import UUID

from caseflow.domain.case_appeals import AppealDecisions
from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.guards import aware as _aware
from caseflow.domain.guards import member as _member
from caseflow.domain.guards import on_or_after as _on_or_after
from caseflow.domain.policy import Policy
from caseflow.domain.values import (
    Category,
    Channel,
    Decision,
    LegalChannel,
    Meta,
    Outcome,
    Petitioner,
    Stage,
    Status,
    SupervisionLevel,
    VisitMode,
)

S = Status
NON_ACCEPT = {Decision.FORWARD: S.FORWARDED, Decision.REJECT: S.REJECTED, Decision.ROUTE: S.ROUTED}
DECIDED = {S.RESOLVED: Stage.RESOLUTION, S.REVIEWED: Stage.REVIEW, S.RECHECKED: Stage.RECHECK}
AFTER_RESOLUTION = {
    S.RESOLVED,
    S.REVIEW_REQUESTED,
    S.REVIEWED,
    S.RECHECK_REQUESTED,
    S.RECHECKED,
}


class CaseDecisions(AppealDecisions):
    """Command methods of `Case`; `self` is always a Case."""

    @classmethod
    def receive(
        cls,
        *,
        id: UUID,
        channel: Channel,
        received_at: datetime,
        receiving_org_id: UUID,
        petitioners: tuple[Petitioner, ...],
        headcount: int,
        representatives: tuple[str, ...],
        subject: str,
        request: str,
        region: str,
        registered_by: str,
        meta: Meta,
        policy: Policy,
        category: Category | None = None,
        prior_case_id: UUID | None = None,
        accused_org_id: UUID | None = None,
        accused_leader_id: UUID | None = None,
        query_code_hash: str | None = None,
    ) -> Self:
        _aware(received_at, "received_at")
        channel = _member(Channel, channel, "received.channel")
        category = _member(Category, category, "received.category")
        if not petitioners:
            raise InvalidInput("A petition needs at least one petitioner.", "received.petitioners")
        if headcount < len(petitioners):
            raise InvalidInput(
                f"Headcount {headcount} is less than the {len(petitioners)} petitioners named.",
                "received.headcount",
            )
        if len(representatives) > headcount:
            raise InvalidInput(
                f"{len(representatives)} representatives cannot speak for a headcount of "
                f"{headcount}.",
                "received.representatives_headcount",
                "representatives",
            )
        if len(representatives) > policy.max_representatives:
            raise RuleViolation(
                f"A collective petition chooses at most {policy.max_representatives} "
                f"representatives; {len(representatives)} were given.",
                "received.representatives",
            )
        if not subject.strip():
            raise InvalidInput("A petition needs a subject.", "received.subject")
        if (accused_org_id or accused_leader_id) and category not in (None, Category.ACCUSATION):
            raise InvalidInput(
                "Only an accusation (检举控告) names the accused; this petition's category is "
                f"{category}.",
                "received.accused",
            )
        return cls._create(
            cls.Received,
            id=id,
            channel=channel,
            received_at=received_at,
            receiving_org_id=receiving_org_id,
            petitioners=tuple(petitioners),
            headcount=headcount,
            representatives=tuple(representatives),
            subject=subject.strip(),
            request=request,
            region=region,
            category=category,
            prior_case_id=prior_case_id,
            registered_by=registered_by,
            accused_org_id=accused_org_id,
            accused_leader_id=accused_leader_id,
            query_code_hash=query_code_hash,
            meta=meta,
        )

    def screen(
        self,
        *,
        decision: Decision,
        category: Category | None,
        to_org_id: UUID | None,
        reason: str,
        route_channel: LegalChannel | None,
        notified_at: datetime | None,
        prior_is_final: bool,
        meta: Meta,
        to_org_line: tuple[UUID, ...] = (),
    ) -> None:
        self._require(
            {S.REGISTERED, S.FORWARDED},
            "screened",
            "right after the petition is registered, and by the body it was forwarded to",
        )
        if self.status is S.FORWARDED:
            _on_or_after(
                meta.occurred_at,
                self.forwarded_at,
                "Screening",
                "the petition was forwarded",
                "screened.order",
            )
        else:
            _on_or_after(
                meta.occurred_at,
                self.received_at,
                "Screening",
                "the petition was received",
                "screened.order",
            )
        decision = _member(Decision, decision, "screened.decision")
        category = _member(Category, category, "screened.category")
        route_channel = _member(LegalChannel, route_channel, "screened.route_channel")
        if notified_at is not None:
            _aware(notified_at, "notified_at")
        if prior_is_final and decision is not Decision.REJECT:
            raise RuleViolation(
                "The prior case on the same matter is final (re-checked, or closed after a "
                "decision): a repeat petition on the same facts and reasons must be rejected.",
                "screened.repeat_of_final",
            )
        if decision is Decision.ACCEPT and not (category or self.category):
            raise InvalidInput("Accepting a petition needs its category.", "screened.category")
        if decision is Decision.FORWARD and to_org_id is None:
            raise InvalidInput(
                "Forwarding needs the org it goes to (to_org_id).", "screened.to_org_id"
            )
        if decision is Decision.FORWARD:
            deciding = self.forwarded_to if self.status is S.FORWARDED else self.receiving_org_id
            if to_org_id == deciding:
                raise RuleViolation(
                    "A petition is forwarded to another body than the one deciding on it.",
                    "screened.forward_to_self",
                )
            line = to_org_line or ((to_org_id,) if to_org_id else ())
            self._not_to_the_accused(line, "screened.to_accused")
        if decision is Decision.REJECT and not reason.strip():
            raise InvalidInput("Rejecting a petition needs a reason.", "screened.reason")
        if decision is Decision.ROUTE and route_channel is None:
            raise InvalidInput(
                "Routing to a legal channel needs the channel (route_channel).",
                "screened.route_channel",
            )
        self.trigger_event(
            self.Screened,
            decision=decision,
            category=category,
            to_org_id=to_org_id,
            reason=reason,
            route_channel=route_channel,
            notified_at=notified_at,
            repeat_of_final=prior_is_final,
            meta=meta,
        )

    def assign(
        self,
        *,
        unit_id: UUID,
        leader_id: UUID,
        handler_id: str | None,
        instructions: str,
        meta: Meta,
        unit_line: tuple[UUID, ...] = (),
    ) -> None:
        self._require(
            {S.ACCEPTED, S.ASSIGNED}, "assigned", "after acceptance and before resolution"
        )
        self._not_to_the_accused(unit_line or (unit_id,), "assigned.to_accused")
        if self.accused_leader_id is not None and leader_id == self.accused_leader_id:
            raise RuleViolation(
                "The accused leader cannot own the accusation against them (回避).",
                "assigned.accused_leader",
            )
        if self.assigned_at is None:
            _on_or_after(
                meta.occurred_at,
                self.accepted_at,
                "Assignment",
                "the petition was accepted",
                "assigned.order",
            )
        else:
            _on_or_after(
                meta.occurred_at,
                self.assigned_at,
                "A re-assignment",
                "the assignment it replaces",
                "assigned.order",
            )
        self.trigger_event(
            self.Assigned,
            unit_id=unit_id,
            leader_id=leader_id,
            handler_id=handler_id,
            instructions=instructions,
            meta=meta,
        )

    def visit(
        self,
        *,
        leader_id: UUID,
        mode: VisitMode,
        visited_on: date,
        location: str,
        visitors: int,
        resolved_on_site: bool,
        meta: Meta,
        policy: Policy,
    ) -> None:
        if self.status is S.CLOSED:
            raise RuleViolation("A closed case takes no more visits.", "visited.closed")
        mode = _member(VisitMode, mode, "visited.mode")
        if self.status in AFTER_RESOLUTION and mode is not VisitMode.RETURN:
            raise RuleViolation(
                "After the written reply only return visits (回访) are recorded on the case.",
                "visited.after_resolution",
            )
        if visitors < 1:
            raise InvalidInput("A visit receives at least one person.", "visited.visitors")
        if isinstance(visited_on, datetime) or not isinstance(visited_on, date):
            raise InvalidInput("visited_on is a calendar date (YYYY-MM-DD).", "visited.visited_on")
        if visited_on < policy.local_date(self.received_at):
            raise RuleViolation(
                "A visit on a case cannot predate the petition's registration "
                f"({policy.local_date(self.received_at).isoformat()}).",
                "visited.order",
            )
        self.trigger_event(
            self.Visited,
            leader_id=leader_id,
            mode=mode,
            visited_on=visited_on,
            location=location,
            visitors=visitors,
            resolved_on_site=resolved_on_site,
            meta=meta,
        )

    def extend(
        self, *, days: int, reason: str, approved_by: str, meta: Meta, policy: Policy
    ) -> None:
        self._require({S.ASSIGNED}, "extended", "while the case is assigned and unresolved")
        _on_or_after(
            meta.occurred_at,
            self.assigned_at,
            "An extension's approval",
            "the case was assigned",
            "extended.order",
        )
        if days < 1:
            raise InvalidInput("An extension is at least one day.", "extended.days")
        total = self.extension_days + days
        if total > policy.max_extension_days:
            raise RuleViolation(
                f"Extensions may total at most {policy.max_extension_days} days; "
                f"{self.extension_days} granted already, {days} more would make {total}.",
                "extended.total",
            )
        if not approved_by.strip():
            raise InvalidInput("An extension needs the approver.", "extended.approved_by")
        self.trigger_event(
            self.Extended, days=days, reason=reason, approved_by=approved_by, meta=meta
        )

    def resolve(self, *, outcome: Outcome, reply: str, served_at: datetime, meta: Meta) -> None:
        self._serve(
            self.Resolved,
            S.ASSIGNED,
            "resolved",
            "after the case is assigned",
            _member(Outcome, outcome, "resolved.outcome"),
            reply,
            served_at,
            meta,
        )

    def supervise(
        self,
        *,
        level: SupervisionLevel,
        instruction: str,
        due_at: datetime | None,
        cleared: bool,
        meta: Meta,
    ) -> None:
        if self.status is S.CLOSED:
            raise RuleViolation("A closed case is no longer supervised.", "supervised.closed")
        level = _member(SupervisionLevel, level, "supervised.level")
        if cleared and not self.supervision_open:
            raise RuleViolation("There is no open supervision to clear.", "supervised.clear_open")
        if not cleared and due_at is None:
            raise InvalidInput(
                "Opening supervision needs a due date (due_at).", "supervised.due_at"
            )
        if due_at is not None:
            _aware(due_at, "due_at")
        if cleared:
            _on_or_after(
                meta.occurred_at,
                self.supervision_opened_at,
                "Clearing oversight",
                "it was opened",
                "supervised.order",
            )
        else:
            _on_or_after(
                meta.occurred_at,
                self.supervision_cleared_at or self.received_at,
                "Opening oversight",
                "the petition was received (or oversight was last cleared)",
                "supervised.order",
            )
        self.trigger_event(
            self.Supervised,
            level=level,
            instruction=instruction,
            due_at=due_at,
            cleared=cleared,
            meta=meta,
        )

    # ----------------------------------------------------------------- helpers

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
    ) -> None:
        """A decision served on the petitioner in writing: resolution, review or re-check."""
        self._require({required}, name, when)
        _aware(served_at, "served_at")
        follows = {
            S.ASSIGNED: (self.assigned_at, "the case was assigned"),
            S.REVIEW_REQUESTED: (self.review_requested_at, "the review was requested"),
            S.RECHECK_REQUESTED: (self.recheck_requested_at, "the re-check was requested"),
        }
        earlier, step = follows[required]
        _on_or_after(served_at, earlier, "A decision", step, f"{name}.order")
        self.trigger_event(event, outcome=outcome, reply=reply, served_at=served_at, meta=meta)

    def _require(self, allowed: set[Status], event: str, when: str) -> None:
        if self.status not in allowed:
            raise RuleViolation(
                f"'{event}' is allowed {when}; this case is {self.status}.", f"{event}.when"
            )

    def _not_to_the_accused(self, org_line: tuple[UUID, ...], rule: str) -> None:
        """`org_line`: an org and every org above it. The accused org, and the orgs under it,
        never handle the accusation against it (回避)."""
        if self.accused_org_id is not None and self.accused_org_id in org_line:
            raise RuleViolation(
                "An accusation cannot go to the accused org or an org under it (回避).", rule
            )

    def _decided_stage(self) -> Stage | None:
        # The latest decision served; closure (销号) does not take away the petitioner's say on it.
        return self.decided_stage
