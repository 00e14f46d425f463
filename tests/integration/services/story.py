"""Drives cases through the service layer (`CaseflowApp`) for the integration tests."""

from __future__ import annotations

from copy import copy
from datetime import date, datetime, timedelta
from itertools import count
from uuid import UUID

from caseflow.domain.case import Case
from caseflow.domain.values import (
    Category,
    Channel,
    Decision,
    OrgLevel,
    Outcome,
    Petitioner,
    ReviewOutcome,
    VisitMode,
)
from caseflow.infra.bootstrap import Container
from caseflow.services.app import Actor, CaseflowApp, CommandResult, Context
from tests.backends import FrozenClock

_requests = count(1)


class Story:
    def __init__(self, container: Container, clock: FrozenClock):
        self.container, self.clock = container, clock
        self.app, self.log = container.app, container.log
        setup = self.ctx("operator")
        self.province = self.app.register_org(setup, name="测试省", level=OrgLevel.PROVINCE).id
        self.city = self.app.register_org(
            setup, name="测试市", level=OrgLevel.CITY, parent_id=self.province
        ).id
        self.county = self.app.register_org(
            setup, name="测试县", level=OrgLevel.COUNTY, parent_id=self.city
        ).id
        self.leader = self.app.register_leader(
            setup, name="测试-李县长", title="县长", org_id=self.county
        ).id

    def through(self, app: CaseflowApp) -> Story:
        """The same story (orgs, clock, log) issuing commands through another application."""
        other = copy(self)
        other.app = app
        return other

    def ctx(self, role: str = "registrar", actor: str | None = None, **fields) -> Context:
        n = next(_requests)
        return Context(
            actor=Actor(actor or f"{role}-1", role),
            correlation_id=f"req-{n}",
            causation_id=f"cause-{n}",
            **fields,
        )

    def head(self) -> int:
        return self.log.head()

    # ------------------------------------------------------------ one command each

    def receive(self, ctx: Context | None = None, **overrides) -> CommandResult:
        fields = dict(
            channel=Channel.VISIT,
            received_at=self.clock.now - timedelta(hours=1),
            receiving_org_id=self.county,
            petitioners=(Petitioner("测试-张三", "000000TEST01"),),
            headcount=1,
            representatives=(),
            subject="征地补偿",
            request="请求依法补偿",
            region="测试县",
        )
        fields.update(overrides)
        return self.app.receive(ctx or self.ctx(), **fields)

    def screen(self, case_id: UUID, ctx: Context | None = None, **overrides) -> CommandResult:
        fields = dict(
            decision=Decision.ACCEPT,
            category=Category.APPEAL,
            to_org_id=None,
            reason="",
            route_channel=None,
            notified_at=None,
        )
        fields.update(overrides)
        return self.app.screen(ctx or self.ctx(), case_id, **fields)

    def assign(self, case_id: UUID, ctx: Context | None = None) -> CommandResult:
        return self.app.assign(
            ctx or self.ctx("handler"),
            case_id,
            unit_id=self.county,
            leader_id=self.leader,
            handler_id="handler-1",
            instructions="",
        )

    def visit(
        self, case_id: UUID, ctx: Context | None = None, mode=VisitMode.RECEPTION, visitors: int = 1
    ) -> CommandResult:
        on: date = self.app.policy.local_date(self.clock.now)
        return self.app.visit(
            ctx or self.ctx("leader"),
            case_id,
            leader_id=self.leader,
            mode=mode,
            visited_on=on,
            location="接待室",
            visitors=visitors,
            resolved_on_site=False,
        )

    def resolve(
        self, case_id: UUID, ctx: Context | None = None, served_at: datetime | None = None
    ) -> CommandResult:
        return self.app.resolve(
            ctx or self.ctx("handler"),
            case_id,
            outcome=Outcome.EXPLAINED,
            reply="已答复",
            served_at=served_at or self.clock.now,
        )

    def review(self, case_id: UUID) -> CommandResult:
        return self.app.review(
            self.ctx("handler"),
            case_id,
            outcome=ReviewOutcome.UPHELD,
            reply="维持",
            served_at=self.clock.now,
        )

    def recheck(self, case_id: UUID) -> CommandResult:
        return self.app.recheck(
            self.ctx("handler"),
            case_id,
            outcome=ReviewOutcome.UPHELD,
            reply="维持",
            served_at=self.clock.now,
        )

    # ------------------------------------------------------------ cases at a stage

    def accepted(self) -> UUID:
        case = self.receive().id
        self.screen(case)
        return case

    def assigned(self) -> UUID:
        case = self.accepted()
        self.assign(case)
        return case

    def resolved(self) -> UUID:
        case = self.assigned()
        self.resolve(case)
        return case

    def reviewed(self) -> UUID:
        case = self.resolved()
        self.app.request_review(self.ctx("registrar"), case, reason="不服")
        self.review(case)
        return case

    def rechecked(self) -> UUID:
        case = self.reviewed()
        self.app.request_recheck(self.ctx("registrar"), case, reason="仍不服")
        self.recheck(case)
        return case

    def case(self, case_id: UUID) -> Case:
        return self.app.get(Case, case_id)
