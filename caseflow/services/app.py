"""The command side: one method per command of DESIGN §5, each a load, one domain call and a
save (run by `CommandExecution`), answering with the case version and global position."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from caseflow.domain.case import Case
from caseflow.domain.errors import RuleViolation
from caseflow.domain.org import Leader, Org
from caseflow.domain.policy import Policy
from caseflow.domain.values import Meta
from caseflow.services.directory import DirectoryCommands
from caseflow.services.execution import (
    FUTURE_SKEW,
    IMMUTABLE,
    MAX_ATTEMPTS,
    Actor,
    CommandResult,
    Context,
    PositionOf,
    utc_now,
)

__all__ = [
    "APP_NAME",
    "IMMUTABLE",
    "MAX_ATTEMPTS",
    "Actor",
    "CaseflowApp",
    "CommandResult",
    "Context",
    "PositionOf",
    "utc_now",
]


# The application's one name. The `eventsourcing` library names the PostgreSQL event table and
# its NOTIFY channel after it (`caseflow_events`), and reads `CASEFLOW_<KEY>` before `<KEY>` from
# the environment. Stores written while it was `_App` are renamed at start (infra/pgschema.py).
APP_NAME = "caseflow"


class CaseflowApp(DirectoryCommands):
    """Event-sourced application holding Case, Org and Leader aggregates (the org and leader
    commands are `DirectoryCommands`)."""

    name = APP_NAME
    # Called after every save (the event log wakes its readers); set by the composition root.
    on_recorded: Callable[[], None] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The library names a subclass after itself (and so its tables): a subclass keeps ours
        # unless it names itself.
        named = "name" in cls.__dict__
        super().__init_subclass__(**kwargs)
        if not named:
            cls.name = APP_NAME

    def _notify(self, recordings: Sequence[Any]) -> None:
        if self.on_recorded is not None:
            self.on_recorded()

    def close(self) -> None:
        close_readers = getattr(self.recorder, "close_readers", None)  # SQLite: groupcommit.py
        if close_readers is not None:
            close_readers()
        super().close()

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
        ctx = replace(ctx, occurred_at=fields.get("received_at"))
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
        leader = self._peek(Leader, fields.get("leader_id"))
        visited_on = fields.get("visited_on")
        if isinstance(visited_on, date) and not isinstance(visited_on, datetime):
            if visited_on > self.policy.local_date(self.clock() + FUTURE_SKEW):
                raise RuleViolation(
                    "visited_on is in the future: record visits that took place.", "time.future"
                )
            _in_office(leader, visited_on, self.policy)
        return self._update(
            ctx, Case, case_id, lambda c, meta: c.visit(meta=meta, policy=self.policy, **fields)
        )

    def extend(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        return self._update(
            ctx, Case, case_id, lambda c, meta: c.extend(meta=meta, policy=self.policy, **fields)
        )

    def resolve(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        ctx = self._served(ctx, fields)
        return self._update(ctx, Case, case_id, lambda c, meta: c.resolve(meta=meta, **fields))

    def evaluate(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        return self._update(ctx, Case, case_id, lambda c, meta: c.evaluate(meta=meta, **fields))

    def request_review(
        self, ctx: Context, case_id: UUID, *, to_org_id: UUID | None = None, reason: str = ""
    ) -> CommandResult:
        if to_org_id is not None:
            self._peek(Org, to_org_id)

        def decide(case: Case, meta: Meta) -> None:
            above = self._ancestors(case.unit_id or case.receiving_org_id)
            case.request_review(
                to_org_id=to_org_id, above=above, reason=reason, meta=meta, policy=self.policy
            )

        return self._update(ctx, Case, case_id, decide)

    def review(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        ctx = self._served(ctx, fields)
        return self._update(ctx, Case, case_id, lambda c, meta: c.review(meta=meta, **fields))

    def request_recheck(
        self, ctx: Context, case_id: UUID, *, to_org_id: UUID | None = None, reason: str = ""
    ) -> CommandResult:
        if to_org_id is not None:
            self._peek(Org, to_org_id)

        def decide(case: Case, meta: Meta) -> None:
            above = self._ancestors(case.review_org_id) if case.review_org_id else ()
            case.request_recheck(
                to_org_id=to_org_id, above=above, reason=reason, meta=meta, policy=self.policy
            )

        return self._update(ctx, Case, case_id, decide)

    def recheck(self, ctx: Context, case_id: UUID, **fields: Any) -> CommandResult:
        ctx = self._served(ctx, fields)
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

    def erase(self, ctx: Context, case_id: UUID, *, reason: str) -> CommandResult:
        """Record that the case's personal data was destroyed (the caller destroyed its key)."""
        return self._update(ctx, Case, case_id, lambda c, meta: c.erase(reason=reason, meta=meta))

    # ------------------------------------------------------------------ lookups

    def case(self, case_id: UUID) -> Case:
        """The case as it stands now, read-only (NotFound for an unknown id)."""
        return self._peek(Case, case_id)

    def org(self, org_id: UUID) -> Org:
        """An org as registered, read-only (NotFound for an unknown id)."""
        return self._peek(Org, org_id)

    def leader(self, leader_id: UUID) -> Leader:
        """A leader as registered, read-only (NotFound for an unknown id)."""
        return self._peek(Leader, leader_id)

    def org_line(self, org_id: UUID | None) -> tuple[UUID, ...]:
        """The org and every org above it, nearest first (NotFound for an unknown org)."""
        line: list[UUID] = []
        current = self._peek(Org, org_id)
        while True:
            line.append(current.id)
            if current.parent_id is None or current.parent_id in line:
                return tuple(line)
            current = self._peek(Org, current.parent_id)

    def _ancestors(self, org_id: UUID) -> tuple[UUID, ...]:
        """The orgs above `org_id`, nearest first."""
        return self.org_line(org_id)[1:]


def _in_office(leader: Leader, day: date, policy: Policy) -> None:
    """A leader receives petitioners only while in office: from taking office to the day they
    left (both inclusive, as the reception statistics count them)."""
    start = leader.took_office(policy)
    if day < start:
        raise RuleViolation(
            f"The leader took office on {start.isoformat()}: a visit on {day.isoformat()} "
            "predates their term.",
            "visited.before_office",
        )
    if leader.left_on is not None and day > leader.left_on:
        raise RuleViolation(
            f"The leader left office on {leader.left_on.isoformat()}: a visit on "
            f"{day.isoformat()} is after their term.",
            "visited.after_office",
        )
