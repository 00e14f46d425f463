"""A small scripted history for the statistics views, driven through the real `CaseflowApp`
with a frozen clock. `test_hand_computed.py` states its leader statistics and KPIs, worked out by
hand from this script.

All times are Shanghai wall-clock time (the deployment zone) unless marked UTC.

    2025-12-29 10:00  orgs: P province; C city < P; K county < C; T township < K;
                      K2 county < C (no cases at all)
                      leaders: LP (P), LC (C), LK (K), LT (T), LK2 (K2: never receives anyone)
    2026-01-05 09:00  A received by K
    2026-01-06 10:00  B received by K
    2026-01-08 10:00  A screened: accept (day 3 of 15); A assigned to unit K, leader LK
    2026-01-09 10:00  LK receives A's petitioners (reception, on 01-09, 3 visitors)
    2026-01-10 10:00  C received by T
    2026-01-12 10:00  C screened: accept (day 2); assigned to unit T, leader LT;
                      LT receives C twice that day (5 visitors, resolved on site; then 1 visitor)
    2026-01-13 10:00  C resolved (reply served 01-13, day 1 of 60); C evaluated: dissatisfied
    2026-01-20 10:00  A re-assigned to unit K, leader LK again (a new handler): no change
    2026-01-25 10:00  B screened: accept (day 19 of 15: late)
    2026-01-26 10:00  B assigned to unit K, leader LK
    2026-01-31 10:00  LK down-visit on B (on 01-31, 2 visitors)
    2026-02-01 10:00  D received by K
    2026-02-03 10:00  B re-assigned to unit T, leader LT
    2026-02-05 10:00  LT down-visit on B (on 02-05, 2 visitors)
    2026-02-10 10:00  LP joint reception on A (on 02-10, 6 visitors)
    2026-02-20 10:00  A resolved (served 02-20; due 03-09: on time); A evaluated: satisfied;
                      D screened: reject (day 19 of 15: late); D closed
    2026-03-01 10:00  E received by T, a repeat petition naming C (prior_case_id = C)
    2026-03-02 10:00  E screened: accept; assigned to unit T, leader LT
    2026-03-20 10:00  B extended by 20 days (handling due 03-26 → 04-15)
    2026-04-01 00:00  B resolved (served 2026-03-31 16:00 UTC = 04-01 00:00 Shanghai: April, Q2;
                      on time only thanks to the extension); B evaluated: basically satisfied
    2026-04-01 00:30  F received by C (received_at 2026-03-31 16:30 UTC = 04-01 00:30 Shanghai)
    2026-04-16 23:59  F screened: accept (day 15 counted in Shanghai: on time; counted in UTC
                      dates it would be day 16)
    2026-04-17 10:00  F assigned to unit C, leader LC
    2026-04-20 10:00  B: review requested (takes back B's first-time resolution)
    2026-06-16 10:00  F resolved (served 06-16; due 04-16 + 60 = 06-15: late by one day);
                      F evaluated: satisfied
    2026-06-30 10:00  LC return visit on F (on 06-30, 4 visitors)

`run(..., backlog=True)` enters the same history after the fact, as an office typing up its
paper register: the clock stands at 2026-07-15 throughout and every command carries the
business time above. Every view must come out the same as when it was entered live.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID

from caseflow.domain.values import (
    Category,
    Channel,
    Decision,
    OrgLevel,
    Outcome,
    Petitioner,
    Rating,
    VisitMode,
)
from caseflow.services.app import Actor, CaseflowApp, Context

SHANGHAI = timezone(timedelta(hours=8))
CTX = Context(actor=Actor("clerk-001", "registrar"))
ENTERED = datetime(2026, 7, 15, 10, 0, tzinfo=SHANGHAI)  # when the backlog is typed up


def local(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


@dataclass
class Ids:
    orgs: dict[str, UUID]
    leaders: dict[str, UUID]
    cases: dict[str, UUID]


class Script:
    def __init__(self, app: CaseflowApp, clock, backlog: bool = False) -> None:
        self.app, self.clock, self.backlog = app, clock, backlog
        self.when = clock.now
        self.orgs: dict[str, UUID] = {}
        self.leaders: dict[str, UUID] = {}
        self.cases: dict[str, UUID] = {}

    def at(self, moment: datetime) -> Script:
        """Live: the clock moves to `moment`. Backlog: `moment` is the business time sent."""
        self.when = moment
        self.clock.now = ENTERED if self.backlog else moment
        return self

    def ctx(self) -> Context:
        return replace(CTX, occurred_at=self.when) if self.backlog else CTX

    def org(self, key: str, level: OrgLevel, parent: str | None = None) -> None:
        self.orgs[key] = self.app.register_org(
            self.ctx(),
            name=f"Test {level} office {key}",
            level=level,
            parent_id=self.orgs[parent] if parent else None,
        ).id

    def leader(self, key: str, org: str) -> None:
        self.leaders[key] = self.app.register_leader(
            self.ctx(), name=f"Leader {key}", title="Secretary", org_id=self.orgs[org]
        ).id

    def receive(
        self, key: str, org: str, received_at: datetime | None = None, prior: str | None = None
    ) -> None:
        self.cases[key] = self.app.receive(
            self.ctx(),
            channel=Channel.VISIT,
            received_at=received_at or self.when,
            receiving_org_id=self.orgs[org],
            petitioners=(Petitioner(name=f"Petitioner {key} (synthetic)"),),
            headcount=1,
            representatives=(),
            subject=f"Wage arrears {key}",
            request="Pay the wages owed",
            region="Test County",
            prior_case_id=self.cases[prior] if prior else None,
        ).id

    def screen(self, key: str, decision: Decision = Decision.ACCEPT) -> None:
        self.app.screen(
            self.ctx(),
            self.cases[key],
            decision=decision,
            category=Category.APPEAL,
            to_org_id=None,
            reason="Outside the office's remit",
            route_channel=None,
            notified_at=None,
        )

    def assign(self, key: str, unit: str, leader: str, handler: str = "handler-1") -> None:
        self.app.assign(
            self.ctx(),
            self.cases[key],
            unit_id=self.orgs[unit],
            leader_id=self.leaders[leader],
            handler_id=handler,
            instructions="",
        )

    def visit(
        self, key: str, leader: str, mode: VisitMode, on: date, visitors: int, on_site: bool = False
    ) -> None:
        self.app.visit(
            self.ctx(),
            self.cases[key],
            leader_id=self.leaders[leader],
            mode=mode,
            visited_on=on,
            location="Reception hall",
            visitors=visitors,
            resolved_on_site=on_site,
        )

    def resolve(self, key: str, served_at: datetime | None = None) -> None:
        self.app.resolve(
            self.ctx(),
            self.cases[key],
            outcome=Outcome.SUPPORTED,
            reply="Wages paid",
            served_at=served_at or self.when,
        )

    def evaluate(self, key: str, rating: Rating) -> None:
        self.app.evaluate(self.ctx(), self.cases[key], rating=rating)


def run(app: CaseflowApp, clock, backlog: bool = False) -> Ids:
    """Drive the history above through `app` (live, or entered after the fact); returns the
    ids by their letters."""
    s = Script(app, clock, backlog)
    s.at(local(2025, 12, 29))
    s.org("P", OrgLevel.PROVINCE)
    s.org("C", OrgLevel.CITY, "P")
    s.org("K", OrgLevel.COUNTY, "C")
    s.org("T", OrgLevel.TOWNSHIP, "K")
    s.org("K2", OrgLevel.COUNTY, "C")
    for leader, org in (("LP", "P"), ("LC", "C"), ("LK", "K"), ("LT", "T"), ("LK2", "K2")):
        s.leader(leader, org)
    s.at(local(2026, 1, 5, 9)).receive("A", "K")
    s.at(local(2026, 1, 6)).receive("B", "K")
    s.at(local(2026, 1, 8)).screen("A")
    s.assign("A", "K", "LK")
    s.at(local(2026, 1, 9)).visit("A", "LK", VisitMode.RECEPTION, date(2026, 1, 9), 3)
    s.at(local(2026, 1, 10)).receive("C", "T")
    s.at(local(2026, 1, 12)).screen("C")
    s.assign("C", "T", "LT")
    s.visit("C", "LT", VisitMode.RECEPTION, date(2026, 1, 12), 5, on_site=True)
    s.visit("C", "LT", VisitMode.RECEPTION, date(2026, 1, 12), 1)
    s.at(local(2026, 1, 13)).resolve("C")
    s.evaluate("C", Rating.DISSATISFIED)
    s.at(local(2026, 1, 20)).assign("A", "K", "LK", handler="handler-2")
    s.at(local(2026, 1, 25)).screen("B")
    s.at(local(2026, 1, 26)).assign("B", "K", "LK")
    s.at(local(2026, 1, 31)).visit("B", "LK", VisitMode.DOWNWARD, date(2026, 1, 31), 2)
    s.at(local(2026, 2, 1)).receive("D", "K")
    s.at(local(2026, 2, 3)).assign("B", "T", "LT")
    s.at(local(2026, 2, 5)).visit("B", "LT", VisitMode.DOWNWARD, date(2026, 2, 5), 2)
    s.at(local(2026, 2, 10)).visit("A", "LP", VisitMode.JOINT, date(2026, 2, 10), 6)
    s.at(local(2026, 2, 20)).resolve("A")
    s.evaluate("A", Rating.SATISFIED)
    s.screen("D", Decision.REJECT)
    app.close_case(s.ctx(), s.cases["D"], reason="Not accepted")
    s.at(local(2026, 3, 1)).receive("E", "T", prior="C")
    s.at(local(2026, 3, 2)).screen("E")
    s.assign("E", "T", "LT")
    s.at(local(2026, 3, 20))
    app.extend(s.ctx(), s.cases["B"], days=20, reason="Site survey needed", approved_by="LK")
    s.at(datetime(2026, 3, 31, 16, 0, tzinfo=UTC)).resolve("B")
    s.evaluate("B", Rating.BASICALLY_SATISFIED)
    s.at(datetime(2026, 3, 31, 16, 31, tzinfo=UTC))
    s.receive("F", "C", received_at=datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    s.at(local(2026, 4, 16, 23, 59)).screen("F")
    s.at(local(2026, 4, 17)).assign("F", "C", "LC")
    s.at(local(2026, 4, 20))
    app.request_review(s.ctx(), s.cases["B"], reason="The amount is wrong")
    s.at(local(2026, 6, 16)).resolve("F")
    s.evaluate("F", Rating.SATISFIED)
    s.at(local(2026, 6, 30)).visit("F", "LC", VisitMode.RETURN, date(2026, 6, 30), 4)
    s.at(local(2026, 7, 15))  # "today" for the queries: mid-July, in H2 and Q3
    return Ids(s.orgs, s.leaders, s.cases)
