"""One petition's life in the demo seed: a generator that yields the business time of its next
step and, when resumed, takes that step through the application service."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

from caseflow.demo.seed_data import REJECT_REASONS, REPEAT_OF_FINAL_REASON, REPLIES, Subject
from caseflow.demo.seed_tree import LeaderRef, OrgNode, Session
from caseflow.domain.values import (
    Channel,
    Decision,
    OrgLevel,
    Outcome,
    Rating,
    ReviewOutcome,
    Status,
    SupervisionLevel,
    VisitMode,
)
from caseflow.services.app import Actor, CaseflowApp, CommandResult, Context

RATINGS = {  # (satisfied, basically satisfied, dissatisfied) by outcome
    Outcome.SUPPORTED: (85, 12, 3),
    Outcome.EXPLAINED: (55, 30, 15),
    Outcome.NOT_SUPPORTED: (20, 30, 50),
}
RATING_ORDER = (Rating.SATISFIED, Rating.BASICALLY_SATISFIED, Rating.DISSATISFIED)
ON_SITE = (VisitMode.RECEPTION, VisitMode.JOINT, VisitMode.DOWNWARD)  # may settle it there


@dataclass(slots=True)
class Arrival:
    """A petition's registration, planned before the lives run."""

    at: datetime
    index: int
    channel: Channel
    org: OrgNode
    subject: Subject
    session: Session | None


class Office(Protocol):
    """What a life asks of the seeder that runs it (`seed.Seeder`): the shared application,
    random source and time zone, and the petitions filed so far."""

    @property
    def app(self) -> CaseflowApp: ...
    @property
    def rng(self) -> random.Random: ...
    @property
    def seed(self) -> int: ...
    @property
    def tz(self) -> tzinfo: ...

    def petition(self, arrival: Arrival) -> dict[str, Any]: ...
    def remember(self, case_id: Any, arrival: Arrival, fields: dict[str, Any]) -> None: ...
    def prior_state(self, case_id: Any) -> tuple[bool, Status]: ...
    def done(self, name: str, result: CommandResult) -> CommandResult: ...


def days(n: float) -> timedelta:
    return timedelta(days=n)


class Life:
    def __init__(self, seeder: Office, arrival: Arrival):
        self.s, self.a, self.rng, self.app = seeder, arrival, seeder.rng, seeder.app
        self.key = f"seed-{seeder.seed}-case-{arrival.index}"
        self.correlation: str | None = None
        self.step_no = 0
        self.id: Any = None
        self.t = arrival.at

    # ------------------------------------------------------------------- the life

    def steps(self) -> Iterator[datetime]:
        a, rng = self.a, self.rng
        yield self.t
        fields = self.s.petition(a)
        category = a.subject.category if rng.random() < 0.5 else None
        self.id = self.do(
            "received",
            self.app.receive,
            self.registrar(a.org),
            channel=a.channel,
            received_at=self.t,
            receiving_org_id=a.org.id,
            region=a.org.name,
            category=category,
            **fields,
        ).id
        self.s.remember(self.id, a, fields)
        collective = fields["headcount"] >= 5
        if a.session is not None:
            yield self.later(minutes=rng.randint(10, 90))
            self.visit(
                a.session.leader,
                a.session.mode,
                fields,
                collective,
                location=f"{a.session.org.name}信访接待中心",
            )
        yield self.later(days=self.screening_delay(), office=True)
        decision = self.screen(fields)
        if decision is not Decision.ACCEPT:
            if rng.random() < 0.8:
                yield self.later(days=rng.randint(1, 10), office=True)
                self.close("不予受理/转送/导入法定途径，办结销号")
            return
        yield from self.handle(fields, collective)

    def handle(self, fields: dict[str, Any], collective: bool) -> Iterator[datetime]:
        rng, accepted = self.rng, self.t
        unit, leader = self.owner(collective)
        handler = Actor(f"handler-{unit.code}-{rng.randint(1, 3)}", "handler", unit.id)
        yield self.later(hours=rng.randint(2, 72))
        self.assign(unit, leader, handler)
        extension = rng.choice((15, 30)) if rng.random() < 0.09 else 0
        r = rng.random()
        if r < 0.07:  # stalled: many of these are still open and overdue now
            resolve_at = accepted + days(rng.randint(80, 200))
        elif r < 0.15:  # resolved, but after the due date
            resolve_at = accepted + days(60 + extension + rng.randint(2, 30))
        else:
            resolve_at = accepted + days(rng.randint(7, 55 + extension))
        plan: list[tuple[datetime, Callable[[], Any]]] = []
        if extension:
            at = accepted + days(rng.randint(40, 58))
            plan.append((at, lambda: self.extend(extension, leader)))
        if rng.random() < 0.06:
            at = accepted + days(rng.randint(5, 40))
            plan.append((at, lambda: self.supervise(unit, cleared=False)))
        if rng.random() < 0.08 or (collective and rng.random() < 0.3):
            at = accepted + days(rng.randint(3, 40))
            mode = VisitMode.DOWNWARD if collective else VisitMode.APPOINTMENT
            plan.append(
                (at, lambda: self.visit(leader, mode, fields, collective, location=f"{unit.name}"))
            )
        if rng.random() < 0.04:
            at = accepted + days(rng.randint(3, 12))
            plan.append((at, lambda: self.assign(unit, leader, handler, "重新交办")))
        for at, act in sorted((p for p in plan if p[0] < resolve_at), key=lambda p: p[0]):
            yield self.later(until=at)
            act()
        yield self.later(until=resolve_at, office=True)
        outcome = rng.choices(list(Outcome), (45, 40, 15))[0]
        self.do(
            "resolved",
            self.app.resolve,
            handler,
            outcome=outcome,
            reply=REPLIES[outcome],
            served_at=self.t,
        )
        if self.supervised:
            yield self.later(days=rng.randint(0, 3))
            self.supervise(unit, cleared=True)
        yield from self.after_decision(unit, leader, handler, outcome, fields)

    def after_decision(
        self,
        unit: OrgNode,
        leader: LeaderRef,
        handler: Actor,
        outcome: Outcome,
        fields: dict[str, Any],
    ) -> Iterator[datetime]:
        rng, served = self.rng, self.t
        if rng.random() < 0.2:
            yield self.later(days=rng.randint(3, 15))
            self.visit(leader, VisitMode.RETURN, fields, False, location="回访")
        rating = None
        if rng.random() < 0.72 and self.t < served + days(20):
            yield self.later(days=rng.randint(1, 8))
            rating = self.evaluate(outcome, unit)
        if rating is Rating.SATISFIED and rng.random() < 0.25:
            yield self.later(days=rng.randint(1, 5))
            self.close("信访人放弃复查，办结销号", waived=True)
            return
        wants = 0.55 if rating is Rating.DISSATISFIED else 0.02
        if rng.random() >= wants:
            yield self.later(until=served + days(rng.randint(32, 45)))
            self.close("复查期限届满，办结销号")
            return
        superior = unit.parent or unit
        yield self.later(until=max(self.t, served) + days(rng.randint(1, 3)))
        if self.t > served + days(28):  # keep safely inside the petitioner's 30 days
            return
        self.do(
            "review_requested",
            self.app.request_review,
            self.registrar(superior),
            reason="对处理意见不服，请求复查",
        )
        reviewer = Actor(f"handler-{superior.code}-1", "handler", superior.id)
        yield self.later(days=rng.randint(10, 28) if rng.random() < 0.9 else rng.randint(31, 45))
        outcome_r = ReviewOutcome.REVISED if rng.random() < 0.15 else ReviewOutcome.UPHELD
        self.do(
            "reviewed",
            self.app.review,
            reviewer,
            outcome=outcome_r,
            reply="复查意见："
            + ("撤销原处理意见" if outcome_r is ReviewOutcome.REVISED else "维持原处理意见"),
            served_at=self.t,
        )
        reviewed, rating = self.t, None
        if rng.random() < 0.5:
            yield self.later(days=rng.randint(1, 8))
            rating = self.evaluate(Outcome.NOT_SUPPORTED, superior)
        if rng.random() >= (0.45 if rating in (None, Rating.DISSATISFIED) else 0.05):
            yield self.later(until=reviewed + days(rng.randint(32, 45)))
            self.close("复核期限届满，办结销号")
            return
        top = superior.parent or superior
        yield self.later(until=reviewed + days(rng.randint(5, 27)))
        self.do(
            "recheck_requested",
            self.app.request_recheck,
            self.registrar(top),
            reason="对复查意见不服，请求复核",
        )
        yield self.later(days=rng.randint(10, 30))
        self.do(
            "rechecked",
            self.app.recheck,
            Actor(f"handler-{top.code}-1", "handler", top.id),
            outcome=ReviewOutcome.UPHELD,
            reply="复核意见：维持复查意见",
            served_at=self.t,
        )
        yield self.later(days=rng.randint(1, 10))
        self.close("复核终结，办结销号")

    # ----------------------------------------------------------------- the steps

    supervised = False

    def screening_delay(self) -> float:
        r = self.rng.random()
        if r < 0.05:
            return self.rng.randint(16, 35)  # late
        if r < 0.07:
            return self.rng.randint(30, 70)  # very late: recent ones are still open, overdue
        return self.rng.choice((0, 1, 1, 2, 2, 3, 4, 5, 7, 10, 12))

    def screen(self, fields: dict[str, Any]) -> Decision:
        a, rng = self.a, self.rng
        extra: dict[str, Any] = {}
        if fields.get("prior_case_id"):
            final, status = self.s.prior_state(fields["prior_case_id"])
            if final:
                decision, extra = Decision.REJECT, {"reason": REPEAT_OF_FINAL_REASON}
            elif status is not Status.CLOSED and rng.random() < 0.5:
                decision, extra = Decision.REJECT, {"reason": REJECT_REASONS[1]}
            else:
                decision = Decision.ACCEPT
        elif a.subject.legal is not None and rng.random() < 0.9:
            decision, extra = (
                Decision.ROUTE,
                {
                    "route_channel": a.subject.legal,
                    "reason": "属于诉讼/仲裁/复议受理范围，导入法定途径",
                },
            )
        else:
            decision = rng.choices(
                (Decision.ACCEPT, Decision.FORWARD, Decision.REJECT), (82, 11, 7)
            )[0]
            if decision is Decision.FORWARD:
                target = a.org.parent or self.rng.choice(a.org.below(OrgLevel.CITY))
                extra = {"to_org_id": target.id, "reason": "转送有权处理机关"}
            elif decision is Decision.REJECT:
                extra = {"reason": rng.choice((REJECT_REASONS[0], REJECT_REASONS[2]))}
        self.do(
            "screened",
            self.app.screen,
            self.registrar(a.org),
            decision=decision,
            category=a.subject.category,
            notified_at=self.t,
            **{"to_org_id": None, "reason": "", "route_channel": None, **extra},
        )
        return decision

    def owner(self, collective: bool) -> tuple[OrgNode, LeaderRef]:
        """属地管理: the county or township where it arose; 包案 by a higher leader if hard."""
        org, rng = self.a.org, self.rng
        if org.level in (OrgLevel.PROVINCE, OrgLevel.CITY):
            org = rng.choice(org.below(OrgLevel.COUNTY))
        elif org.level is OrgLevel.TOWNSHIP and rng.random() < 0.15:
            org = org.parent or org
        owner_org = org.parent if collective and org.parent and rng.random() < 0.4 else org
        return org, rng.choice(owner_org.leaders)

    def assign(
        self, unit: OrgNode, leader: LeaderRef, handler: Actor, instructions: str = "依法按期办理"
    ) -> None:
        self.do(
            "assigned",
            self.app.assign,
            self.registrar(self.a.org),
            unit_id=unit.id,
            leader_id=leader.id,
            handler_id=handler.id,
            instructions=instructions,
        )

    def visit(
        self,
        leader: LeaderRef,
        mode: VisitMode,
        fields: dict[str, Any],
        collective: bool,
        location: str,
    ) -> None:
        rng = self.rng
        if collective:
            reps = len(fields["representatives"]) or 1
            visitors = reps if rng.random() < 0.8 else min(fields["headcount"], rng.randint(6, 30))
        else:
            visitors = rng.choices((1, 2, 3), (88, 9, 3))[0]
        self.do(
            "visited",
            self.app.visit,
            Actor(f"leader-{leader.id}", "leader", leader.org.id),
            leader_id=leader.id,
            mode=mode,
            visited_on=self.t.astimezone(self.s.tz).date(),
            location=location,
            visitors=visitors,
            resolved_on_site=mode in ON_SITE and rng.random() < 0.08,
        )

    def extend(self, extension: int, leader: LeaderRef) -> None:
        self.do(
            "extended",
            self.app.extend,
            self.registrar(self.a.org),
            days=extension,
            reason="情况复杂，需进一步调查核实",
            approved_by=leader.name,
        )

    def supervise(self, unit: OrgNode, cleared: bool) -> None:
        city = unit
        while city.parent is not None and city.level is not OrgLevel.CITY:
            city = city.parent
        listed = self.rng.random() < 0.25
        self.do(
            "supervised",
            self.app.supervise,
            Actor(f"supervisor-{city.code}", "supervisor", city.id),
            level=SupervisionLevel.LISTED if listed else SupervisionLevel.SUPERVISE,
            instruction="限期办结并报告结果" if not cleared else "已办结，解除督办",
            due_at=None if cleared else self.t + days(self.rng.randint(15, 30)),
            cleared=cleared,
        )
        self.supervised = not cleared

    def evaluate(self, outcome: Outcome, org: OrgNode) -> Rating:
        rating = self.rng.choices(RATING_ORDER, RATINGS[outcome])[0]
        self.do("evaluated", self.app.evaluate, self.registrar(org), rating=rating)
        return rating

    def close(self, reason: str, waived: bool = False) -> None:
        self.do(
            "closed", self.app.close_case, self.registrar(self.a.org), reason=reason, waived=waived
        )

    # ------------------------------------------------------------------ plumbing

    def later(
        self,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        until: datetime | None = None,
        office: bool = False,
    ) -> datetime:
        """Move this life's clock forward (never back) and return the new business time."""
        at = max(self.t, until or self.t) + timedelta(days=days, hours=hours, minutes=minutes)
        if office:  # desk work happens in office hours, local time
            local = at.astimezone(self.s.tz)
            at = max(
                local.replace(hour=self.rng.randint(9, 16), minute=self.rng.randint(0, 59)),
                self.t + timedelta(minutes=30),
            )
        self.t = at
        return at

    def registrar(self, org: OrgNode) -> Actor:
        return Actor(f"registrar-{org.code}", "registrar", org.id)

    def do(
        self, name: str, command: Callable[..., CommandResult], actor: Actor, **fields: Any
    ) -> CommandResult:
        self.step_no += 1
        correlation = f"{self.key}-{self.step_no}"
        keyed = name == "received"  # the case id then follows from the key: same seed, same ids
        ctx = Context(
            actor=actor,
            correlation_id=correlation,
            causation_id=self.correlation,
            occurred_at=self.t,
            idempotency_key=self.key if keyed else None,
            request_hash=self.key if keyed else None,
        )
        self.correlation = correlation
        args = (ctx,) if self.id is None or keyed else (ctx, self.id)
        return self.s.done(name, command(*args, **fields))
