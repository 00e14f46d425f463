"""The command side: one method per command of DESIGN §5, each a load, one domain call and a
save (run by `CommandExecution`), answering with the case version and global position."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from caseflow.domain.case import Case
from caseflow.domain.errors import InvalidInput
from caseflow.domain.org import Leader, Org
from caseflow.domain.values import Meta, OrgLevel
from caseflow.services.execution import (
    FUTURE_SKEW,
    IMMUTABLE,
    MAX_ATTEMPTS,
    Actor,
    CommandExecution,
    CommandResult,
    Context,
    PositionOf,
    utc_now,
)

__all__ = [
    "IMMUTABLE",
    "MAX_ATTEMPTS",
    "Actor",
    "CaseflowApp",
    "CommandResult",
    "Context",
    "PositionOf",
    "utc_now",
]


class CaseflowApp(CommandExecution):
    """Event-sourced application holding Case, Org and Leader aggregates."""

    name = "caseflow"

    # ------------------------------------------------------------ orgs, leaders

    def register_org(
        self, ctx: Context, *, name: str, level: OrgLevel, parent_id: UUID | None = None
    ) -> CommandResult:
        parent = self._peek(Org, parent_id) if parent_id else None
        return self._create(
            ctx,
            lambda id, meta: Org.register(id=id, name=name, level=level, parent=parent, meta=meta),
        )

    def register_leader(
        self, ctx: Context, *, name: str, title: str, org_id: UUID
    ) -> CommandResult:
        org = self._peek(Org, org_id)
        return self._create(
            ctx, lambda id, meta: Leader.register(id=id, name=name, title=title, org=org, meta=meta)
        )

    # -------------------------------------------------------------------- cases

    def receive(self, ctx: Context, **fields: Any) -> CommandResult:
        self._peek(Org, fields.get("receiving_org_id"))
        if fields.get("prior_case_id"):
            self._peek(Case, fields["prior_case_id"])
        if fields.get("accused_org_id"):
            self._peek(Org, fields["accused_org_id"])
        if fields.get("accused_leader_id"):
            self._peek(Leader, fields["accused_leader_id"])
        self._not_future(fields.get("received_at"), "received_at")
        fields.setdefault("registered_by", ctx.actor.id)
        return self._create(
            ctx, lambda id, meta: Case.receive(id=id, meta=meta, policy=self.policy, **fields)
        )

    def screen(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        if fields.get("to_org_id"):
            self._peek(Org, fields["to_org_id"])
        self._not_future(fields.get("notified_at"), "notified_at")

        def decide(case: Case, meta: Meta) -> None:
            # The repeat-of-final rule needs the prior case as it stands now, so it is looked
            # up on every attempt rather than trusted from the request.
            prior_final = (
                case.prior_case_id is not None and self._peek(Case, case.prior_case_id).is_final
            )
            line = self.org_line(fields["to_org_id"]) if fields.get("to_org_id") else ()
            case.screen(prior_is_final=prior_final, meta=meta, to_org_line=line, **fields)

        return self._update(ctx, Case, case_id, decide)

    def assign(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        line = self.org_line(fields.get("unit_id"))
        self._peek(Leader, fields.get("leader_id"))
        return self._update(
            ctx, Case, case_id, lambda c, meta: c.assign(meta=meta, unit_line=line, **fields)
        )

    def visit(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        self._peek(Leader, fields.get("leader_id"))
        visited_on = fields.get("visited_on")
        if isinstance(visited_on, date) and visited_on > self.policy.local_date(
            self.clock() + FUTURE_SKEW
        ):
            raise InvalidInput(
                "visited_on is in the future: record visits that took place.", "time.future"
            )
        return self._update(
            ctx, Case, case_id, lambda c, meta: c.visit(meta=meta, policy=self.policy, **fields)
        )

    def extend(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        return self._update(
            ctx, Case, case_id, lambda c, meta: c.extend(meta=meta, policy=self.policy, **fields)
        )

    def resolve(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        self._not_future(fields.get("served_at"), "served_at")
        return self._update(ctx, Case, case_id, lambda c, meta: c.resolve(meta=meta, **fields))

    def evaluate(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        return self._update(ctx, Case, case_id, lambda c, meta: c.evaluate(meta=meta, **fields))

    def request_review(
        self, ctx: Context, case_id: UUID, *, to_org_id: UUID | None = None, reason: str = ""
    ) -> CommandResult:
        if to_org_id is not None:
            self._peek(Org, to_org_id)

        def decide(case: Case, meta: Meta) -> None:
            target = to_org_id or self._superior_of(case.unit_id or case.receiving_org_id)
            case.request_review(to_org_id=target, reason=reason, meta=meta, policy=self.policy)

        return self._update(ctx, Case, case_id, decide)

    def review(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        self._not_future(fields.get("served_at"), "served_at")
        return self._update(ctx, Case, case_id, lambda c, meta: c.review(meta=meta, **fields))

    def request_recheck(
        self, ctx: Context, case_id: UUID, *, to_org_id: UUID | None = None, reason: str = ""
    ) -> CommandResult:
        if to_org_id is not None:
            self._peek(Org, to_org_id)

        def decide(case: Case, meta: Meta) -> None:
            target = to_org_id or self._superior_of(self._review_org(case))
            case.request_recheck(to_org_id=target, reason=reason, meta=meta, policy=self.policy)

        return self._update(ctx, Case, case_id, decide)

    def recheck(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        self._not_future(fields.get("served_at"), "served_at")
        return self._update(ctx, Case, case_id, lambda c, meta: c.recheck(meta=meta, **fields))

    def supervise(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        return self._update(ctx, Case, case_id, lambda c, meta: c.supervise(meta=meta, **fields))

    def close_case(
        self, ctx: Context, case_id: UUID, *, reason: str, waived: bool = False
    ) -> CommandResult:
        return self._update(
            ctx,
            Case,
            case_id,
            lambda c, meta: c.close(reason=reason, waived=waived, meta=meta, policy=self.policy),
        )

    # ------------------------------------------------------------------ lookups

    def case(self, case_id: UUID) -> Case:
        """The case as it stands now, read-only (NotFound for an unknown id)."""
        return self._peek(Case, case_id)

    def org_line(self, org_id: UUID | None) -> tuple[UUID, ...]:
        """The org and every org above it, nearest first (NotFound for an unknown org)."""
        line: list[UUID] = []
        current = self._peek(Org, org_id)
        while True:
            line.append(current.id)
            if current.parent_id is None or current.parent_id in line:
                return tuple(line)
            current = self._peek(Org, current.parent_id)

    def _superior_of(self, org_id: UUID | None) -> UUID:
        org = self._peek(Org, org_id) if org_id else None
        if org is None or org.parent_id is None:
            raise InvalidInput(
                "The superior body could not be found: give to_org_id explicitly.",
                "review.superior",
            )
        return org.parent_id

    def _review_org(self, case: Case) -> UUID:
        if case.review_org_id is None:
            raise InvalidInput("The case has no review request.", "recheck.review_org")
        return case.review_org_id
