"""The directory's commands: orgs and leaders registered, renamed; leaders taking office, moving
to another org and leaving office. Each a load, one domain call and a save, as in `app.py`."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from caseflow.domain.errors import InvalidInput
from caseflow.domain.org import Leader, Org
from caseflow.domain.values import Meta, OrgLevel
from caseflow.services.execution import FUTURE_SKEW, CommandExecution, CommandResult, Context


class DirectoryCommands(CommandExecution):
    def register_org(
        self, ctx: Context, *, name: str, level: OrgLevel, parent_id: UUID | None = None
    ) -> CommandResult:
        parent = self._peek(Org, parent_id) if parent_id else None
        return self._create(
            ctx,
            lambda id, meta: Org.register(id=id, name=name, level=level, parent=parent, meta=meta),
        )

    def rename_org(self, ctx: Context, org_id: UUID, *, name: str) -> CommandResult:
        return self._update(ctx, Org, org_id, lambda o, meta: o.rename(name=name, meta=meta))

    def register_leader(
        self,
        ctx: Context,
        *,
        name: str,
        title: str,
        org_id: UUID,
        in_office_from: date | None = None,
    ) -> CommandResult:
        """`in_office_from` defaults to the registration's (local) day; never in the future."""
        org = self._peek(Org, org_id)
        if in_office_from is None:  # the day of the registration's business time
            in_office_from = self.policy.local_date(ctx.occurred_at or self.clock())
        start = self._past_day(in_office_from, "in_office_from")
        return self._create(
            ctx,
            lambda id, meta: Leader.register(
                id=id, name=name, title=title, org=org, in_office_from=start, meta=meta
            ),
        )

    def leave_office(
        self, ctx: Context, leader_id: UUID, *, on: date | None = None
    ) -> CommandResult:
        day = self._past_day(on, "on")
        return self._update(
            ctx,
            Leader,
            leader_id,
            lambda lead, meta: lead.leave_office(on=day, policy=self.policy, meta=meta),
        )

    def move_leader(
        self, ctx: Context, leader_id: UUID, *, to_org_id: UUID, on: date | None = None
    ) -> CommandResult:
        to = self._peek(Org, to_org_id)
        day = self._past_day(on, "on")
        return self._update(
            ctx,
            Leader,
            leader_id,
            lambda lead, meta: lead.move(to=to, on=day, policy=self.policy, meta=meta),
        )

    def rename_leader(
        self, ctx: Context, leader_id: UUID, *, name: str, title: str | None = None
    ) -> CommandResult:
        def decide(lead: Leader, meta: Meta) -> None:
            lead.rename(name=name, title=lead.title if title is None else title, meta=meta)

        return self._update(ctx, Leader, leader_id, decide)

    def _past_day(self, day: date | None, field: str) -> date:
        """`day`, or today when None; a local date after today is refused."""
        if day is None:
            return self.policy.local_date(self.clock())
        if isinstance(day, datetime) or not isinstance(day, date):
            return day  # (the domain refuses it, naming the field)
        if day > self.policy.local_date(self.clock() + FUTURE_SKEW):
            raise InvalidInput(
                f"{field} is in the future: record what has happened.", "time.future"
            )
        return day
