"""A small office for projection tests: the real `CaseflowApp` on in-memory persistence, a
settable clock, an org tree with leaders, and helpers that drive one case through its life."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from caseflow.domain.values import (
    Category,
    Channel,
    Decision,
    OrgLevel,
    Outcome,
    Petitioner,
    Rating,
    ReviewOutcome,
    SupervisionLevel,
    VisitMode,
)
from caseflow.infra.eventlog import EventLog
from caseflow.infra.transcoder import TOPIC
from caseflow.services.app import Actor, CaseflowApp, CommandResult, Context

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)  # 09:00 on 1 March in Shanghai


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class World:
    def __init__(self, app: CaseflowApp | None = None, clock: Clock | None = None):
        self.clock = clock or Clock()
        self.app = app or CaseflowApp(
            {"PERSISTENCE_MODULE": "eventsourcing.popo", "TRANSCODER_TOPIC": TOPIC},
            clock=self.clock,
        )
        self.log = EventLog(self.app.recorder, self.app.mapper.transcoder)
        ctx = self.ctx("operator-1", "operator")
        self.province = self.app.register_org(ctx, name="Province", level=OrgLevel.PROVINCE).id
        self.city = self.app.register_org(
            ctx, name="City", level=OrgLevel.CITY, parent_id=self.province
        ).id
        self.county = self.app.register_org(
            ctx, name="County", level=OrgLevel.COUNTY, parent_id=self.city
        ).id
        self.other_city = self.app.register_org(
            ctx, name="Other City", level=OrgLevel.CITY, parent_id=self.province
        ).id
        self.leader = self.app.register_leader(
            ctx, name="Leader One", title="Deputy Mayor", org_id=self.county
        ).id
        self.leader2 = self.app.register_leader(
            ctx, name="Leader Two", title="Mayor", org_id=self.city
        ).id

    def ctx(
        self, actor: str = "handler-1", role: str = "handler", at: datetime | None = None
    ) -> Context:
        return Context(
            actor=Actor(actor, role),
            correlation_id=f"req-{actor}",
            occurred_at=at or self.clock.now,
        )

    def at(self, when: datetime) -> None:
        self.clock.now = max(self.clock.now, when)

    # ------------------------------------------------------------------- commands

    def receive(
        self,
        at: datetime = T0,
        org: UUID | None = None,
        headcount: int = 1,
        prior: UUID | None = None,
        channel: Channel = Channel.LETTER,
        category: Category | None = None,
    ) -> UUID:
        self.at(at)
        return self.app.receive(
            self.ctx("registrar-1", "registrar", at),
            channel=channel,
            received_at=at,
            receiving_org_id=org or self.county,
            petitioners=(Petitioner("Test Person (synthetic)", "TEST-1", "000", "1 Test Rd"),),
            headcount=headcount,
            representatives=(),
            subject="Wage arrears",
            request="Pay the wages",
            region="R1",
            category=category,
            prior_case_id=prior,
        ).id

    def screen(
        self,
        case: UUID,
        at: datetime,
        decision: Decision = Decision.ACCEPT,
        category: Category = Category.APPEAL,
    ) -> CommandResult:
        self.at(at)
        return self.app.screen(
            self.ctx(at=at),
            case,
            decision=decision,
            category=category,
            to_org_id=self.city if decision is Decision.FORWARD else None,
            reason="not ours" if decision is Decision.REJECT else "",
            route_channel="litigation" if decision is Decision.ROUTE else None,
            notified_at=at,
        )

    def assign(
        self, case: UUID, at: datetime, leader: UUID | None = None, unit: UUID | None = None
    ) -> CommandResult:
        self.at(at)
        return self.app.assign(
            self.ctx("leader-1", "leader", at),
            case,
            unit_id=unit or self.county,
            leader_id=leader or self.leader,
            handler_id="handler-7",
            instructions="Handle it",
        )

    def visit(
        self,
        case: UUID,
        at: datetime,
        visitors: int = 2,
        mode: VisitMode = VisitMode.RECEPTION,
        leader: UUID | None = None,
    ) -> CommandResult:
        self.at(at)
        return self.app.visit(
            self.ctx("leader-1", "leader", at),
            case,
            leader_id=leader or self.leader,
            mode=mode,
            visited_on=(at + timedelta(hours=8)).date(),
            location="Hall",
            visitors=visitors,
            resolved_on_site=False,
        )

    def extend(self, case: UUID, at: datetime, days: int) -> CommandResult:
        self.at(at)
        return self.app.extend(
            self.ctx("leader-1", "leader", at),
            case,
            days=days,
            reason="complex",
            approved_by="director-1",
        )

    def resolve(
        self, case: UUID, at: datetime, outcome: Outcome = Outcome.SUPPORTED
    ) -> CommandResult:
        self.at(at)
        return self.app.resolve(self.ctx(at=at), case, outcome=outcome, reply="Done", served_at=at)

    def evaluate(
        self, case: UUID, at: datetime, rating: Rating = Rating.SATISFIED
    ) -> CommandResult:
        self.at(at)
        return self.app.evaluate(self.ctx("registrar-1", "registrar", at), case, rating=rating)

    def request_review(self, case: UUID, at: datetime) -> CommandResult:
        self.at(at)
        return self.app.request_review(
            self.ctx("registrar-1", "registrar", at), case, to_org_id=self.city, reason="disagree"
        )

    def review(self, case: UUID, at: datetime) -> CommandResult:
        self.at(at)
        return self.app.review(
            self.ctx("supervisor-1", "supervisor", at),
            case,
            outcome=ReviewOutcome.UPHELD,
            reply="Upheld",
            served_at=at,
        )

    def request_recheck(self, case: UUID, at: datetime) -> CommandResult:
        self.at(at)
        return self.app.request_recheck(
            self.ctx("registrar-1", "registrar", at),
            case,
            to_org_id=self.province,
            reason="still disagree",
        )

    def recheck(self, case: UUID, at: datetime) -> CommandResult:
        self.at(at)
        return self.app.recheck(
            self.ctx("supervisor-1", "supervisor", at),
            case,
            outcome=ReviewOutcome.REVISED,
            reply="Revised",
            served_at=at,
        )

    def supervise(
        self, case: UUID, at: datetime, due: datetime | None = None, cleared: bool = False
    ) -> CommandResult:
        self.at(at)
        return self.app.supervise(
            self.ctx("supervisor-1", "supervisor", at),
            case,
            level=SupervisionLevel.LISTED,
            instruction="Hurry",
            due_at=due,
            cleared=cleared,
        )

    def close(self, case: UUID, at: datetime, waived: bool = False) -> CommandResult:
        self.at(at)
        return self.app.close_case(self.ctx(at=at), case, reason="concluded", waived=waived)

    def events(self) -> list[Any]:
        return self.log.read(0, 1_000_000)


def day(month: int, d: int, hour_utc: int = 2) -> datetime:
    """A moment in 2026 (02:00 UTC = 10:00 in Shanghai: the same local date)."""
    return datetime(2026, month, d, hour_utc, 0, tzinfo=UTC)
