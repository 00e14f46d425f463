"""A synthetic but lawful petition history, written through `CaseflowApp` (so every event passed
the domain rules), cached under ./var/bench/ for the view benchmarks.

Cases arrive over ~20 months; each follows a random path (accept / forward / reject / route,
assignment, visits, extensions, resolution, evaluation, review and re-check, supervision,
closure). Steps of all cases are interleaved in business-time order, as in a real office, so a
batch of the log touches many cases (what makes projection caches and indexes work for real).
"""

from __future__ import annotations

import heapq
import random
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from caseflow.domain.errors import DomainError
from caseflow.domain.values import (
    Category,
    Channel,
    Decision,
    LegalChannel,
    OrgLevel,
    Outcome,
    Petitioner,
    Rating,
    ReviewOutcome,
    SupervisionLevel,
    VisitMode,
)
from caseflow.infra.settings import Settings
from caseflow.services.app import Actor, Context

ROOT = Path("var/bench")
START = datetime(2025, 1, 1, 1, 0, tzinfo=UTC)


def history_dir(events: int) -> Path:
    return ROOT / f"history-{events}"


def ensure(events: int) -> Path:
    """Directory holding `events.sqlite3` with at least `events` events (generated once)."""
    target = history_dir(events)
    if (target / "events.sqlite3").exists() and (target / "DONE").exists():
        return target
    building = target.with_name(target.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    Generator(building, events).run()
    (building / "DONE").write_text("ok\n")
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    return target


class Generator:
    def __init__(self, data_dir: Path, events: int, seed: int = 7):
        from caseflow.infra.eventlog import EventLog
        from caseflow.infra.store import event_store_env
        from caseflow.services.app import CaseflowApp

        self.settings = Settings(data_dir=data_dir)
        self.app = CaseflowApp(event_store_env(self.settings), policy=self.settings.policy())
        # A cached fixture, made again if lost: no wait for the disk on every commit (as the
        # demo seed's --fast), which on a busy machine held generation near 100 events/s.
        from caseflow.infra.sqlite_tuning import set_synchronous

        set_synchronous(self.app.recorder, "OFF")
        self.log = EventLog(self.app.recorder, self.app.mapper.transcoder)
        self.target, self.rng = events, random.Random(seed)
        self.queue: list[tuple[datetime, int, str, Any, dict]] = []
        self.seq = 0
        self.cases: list[Any] = []

    def ctx(self, at: datetime, role: str = "handler", actor: str | None = None) -> Context:
        return Context(
            actor=Actor(actor or f"{role}-{self.rng.randrange(40):02d}", role), occurred_at=at
        )

    def later(self, at: datetime, step: str, case_id: Any, **info: Any) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (at, self.seq, step, case_id, info))

    def run(self) -> None:
        t0 = time.monotonic()
        self.build_orgs()
        day, written = START, 0
        while True:
            head = self.log.head()
            if head >= self.target:
                break
            if head - written >= 50_000:
                written = head
                rate = head / (time.monotonic() - t0)
                print(f"  generated {head:,} events ({rate:,.0f}/s)", file=sys.stderr, flush=True)
            # one day: new petitions, then every step due that day, in time order
            for _ in range(self.rng.randint(250, 420)):
                self.receive(day + timedelta(minutes=self.rng.randrange(600)))
            end = day + timedelta(days=1)
            while self.queue and self.queue[0][0] < end:
                at, _, step, case_id, info = heapq.heappop(self.queue)
                try:
                    getattr(self, step)(at, case_id, **info)
                except DomainError:
                    pass  # a path the rules refuse (e.g. a window that closed): skip it
            day = end
        self.app.close()

    # ------------------------------------------------------------------ directory

    def build_orgs(self) -> None:
        ctx = self.ctx(START - timedelta(days=30), "operator", "operator-1")
        app = self.app
        self.orgs: list[tuple[Any, Any, str]] = []  # (id, parent id, level)
        self.leaders: dict[Any, list[Any]] = {}
        province = app.register_org(ctx, name="Province Bureau", level=OrgLevel.PROVINCE).id
        self.orgs.append((province, None, "province"))
        for c in range(4):
            city = app.register_org(
                ctx, name=f"City {c}", level=OrgLevel.CITY, parent_id=province
            ).id
            self.orgs.append((city, province, "city"))
            for k in range(4):
                county = app.register_org(
                    ctx, name=f"County {c}.{k}", level=OrgLevel.COUNTY, parent_id=city
                ).id
                self.orgs.append((county, city, "county"))
                for t in range(5):
                    town = app.register_org(
                        ctx, name=f"Township {c}.{k}.{t}", level=OrgLevel.TOWNSHIP, parent_id=county
                    ).id
                    self.orgs.append((town, county, "township"))
        for org_id, _, _level in self.orgs:
            self.leaders[org_id] = [
                app.register_leader(
                    ctx, name=f"Leader {org_id.hex[:4]}-{i}", title="Deputy Head", org_id=org_id
                ).id
                for i in range(2)
            ]
        self.grassroots = [o for o in self.orgs if o[2] in ("county", "township")]
        self.parent = {o[0]: o[1] for o in self.orgs}

    # ---------------------------------------------------------------------- steps

    def receive(self, at: datetime) -> None:
        rng = self.rng
        org = rng.choice(self.grassroots if rng.random() < 0.85 else self.orgs)
        collective = rng.random() < 0.05
        headcount = rng.randint(5, 30) if collective else 1
        prior = rng.choice(self.cases[-5000:]) if self.cases and rng.random() < 0.06 else None
        n = rng.randrange(1_000_000)
        result = self.app.receive(
            self.ctx(at, "registrar"),
            channel=rng.choice(list(Channel)),
            received_at=at,
            receiving_org_id=org[0],
            petitioners=(
                Petitioner(
                    f"Petitioner {n:06d} (synthetic)",
                    f"TEST-{n:06d}",
                    f"000-{n:06d}",
                    f"{n} Example Road",
                ),
            ),
            headcount=headcount,
            representatives=tuple(f"Rep {i}" for i in range(3 if collective else 0)),
            subject=rng.choice(
                (
                    "Wage arrears",
                    "Land requisition",
                    "Minimum living allowance",
                    "Housing demolition",
                    "Retiree benefits",
                    "Road construction",
                )
            ),
            request="Please resolve (synthetic).",
            region=f"R{org[0].hex[:3]}",
            category=rng.choice(list(Category)) if rng.random() < 0.5 else None,
            prior_case_id=prior,
        )
        self.cases.append(result.id)
        self.later(
            at + timedelta(days=rng.randint(0, 18), hours=rng.randint(1, 8)),
            "screen",
            result.id,
            org=org[0],
        )

    def screen(self, at: datetime, case_id: Any, org: Any) -> None:
        rng, r = self.rng, self.rng.random()
        decision = (
            Decision.ACCEPT
            if r < 0.74
            else Decision.FORWARD
            if r < 0.84
            else Decision.REJECT
            if r < 0.95
            else Decision.ROUTE
        )
        try:
            self.app.screen(
                self.ctx(at),
                case_id,
                decision=decision,
                category=rng.choice(list(Category)),
                to_org_id=self.parent.get(org) or org if decision is Decision.FORWARD else None,
                reason="Outside our remit (synthetic)" if decision is Decision.REJECT else "",
                route_channel=LegalChannel.LITIGATION if decision is Decision.ROUTE else None,
                notified_at=at,
            )
        except DomainError:  # a repeat of a final matter must be rejected
            self.app.screen(
                self.ctx(at),
                case_id,
                decision=Decision.REJECT,
                category=None,
                to_org_id=None,
                reason="Repeat of a final matter",
                route_channel=None,
                notified_at=at,
            )
            decision = Decision.REJECT
        if decision is Decision.ACCEPT:
            self.later(at + timedelta(days=rng.randint(0, 3), hours=2), "assign", case_id, org=org)
        elif rng.random() < 0.7:
            self.later(at + timedelta(days=rng.randint(1, 5)), "close", case_id, waived=False)

    def assign(self, at: datetime, case_id: Any, org: Any) -> None:
        rng = self.rng
        leader = rng.choice(self.leaders[org])
        self.app.assign(
            self.ctx(at, "leader"),
            case_id,
            unit_id=org,
            leader_id=leader,
            handler_id=f"handler-{rng.randrange(40):02d}",
            instructions="Handle.",
        )
        due = at + timedelta(days=rng.randint(5, 75))
        if rng.random() < 0.1:
            self.later(at + timedelta(days=rng.randint(20, 55)), "extend", case_id)
        if rng.random() < 0.05:
            self.later(at + timedelta(days=rng.randint(1, 20)), "supervise", case_id)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            self.later(at + timedelta(days=rng.randint(0, 30)), "visit", case_id, leader=leader)
        self.later(due, "resolve", case_id, leader=leader)

    def visit(self, at: datetime, case_id: Any, leader: Any, mode: VisitMode | None = None) -> None:
        rng = self.rng
        self.app.visit(
            self.ctx(at, "leader"),
            case_id,
            leader_id=leader,
            mode=mode
            or rng.choice(
                (VisitMode.RECEPTION, VisitMode.APPOINTMENT, VisitMode.DOWNWARD, VisitMode.JOINT)
            ),
            visited_on=(at + timedelta(hours=8)).date(),
            location="Reception hall",
            visitors=rng.randint(1, 6),
            resolved_on_site=rng.random() < 0.1,
        )

    def extend(self, at: datetime, case_id: Any) -> None:
        self.app.extend(
            self.ctx(at, "leader"),
            case_id,
            days=self.rng.choice((15, 30)),
            reason="Complex matter",
            approved_by="leader-approver",
        )

    def supervise(self, at: datetime, case_id: Any, cleared: bool = False) -> None:
        rng = self.rng
        self.app.supervise(
            self.ctx(at, "supervisor"),
            case_id,
            level=rng.choice(list(SupervisionLevel)),
            instruction="Expedite.",
            due_at=None if cleared else at + timedelta(days=rng.randint(10, 40)),
            cleared=cleared,
        )
        if not cleared and rng.random() < 0.6:
            self.later(at + timedelta(days=rng.randint(5, 30)), "supervise", case_id, cleared=True)

    def resolve(self, at: datetime, case_id: Any, leader: Any) -> None:
        rng = self.rng
        self.app.resolve(
            self.ctx(at),
            case_id,
            outcome=rng.choice(list(Outcome)),
            reply="Written reply (synthetic).",
            served_at=at,
        )
        self.after_decision(at, case_id, "review", leader)

    def after_decision(
        self, at: datetime, case_id: Any, next_step: str | None, leader: Any
    ) -> None:
        rng = self.rng
        if rng.random() < 0.7:
            self.later(at + timedelta(days=rng.randint(1, 20)), "evaluate", case_id)
        if leader is not None and rng.random() < 0.15:
            self.later(
                at + timedelta(days=rng.randint(3, 25)),
                "visit",
                case_id,
                leader=leader,
                mode=VisitMode.RETURN,
            )
        r = rng.random()
        if next_step and r < 0.10:
            self.later(at + timedelta(days=rng.randint(2, 28)), f"request_{next_step}", case_id)
        elif r < 0.35:
            self.later(at + timedelta(days=rng.randint(2, 10)), "close", case_id, waived=True)
        elif r < 0.85:
            self.later(at + timedelta(days=rng.randint(32, 60)), "close", case_id, waived=False)

    def evaluate(self, at: datetime, case_id: Any) -> None:
        self.app.evaluate(self.ctx(at, "registrar"), case_id, rating=self.rng.choice(list(Rating)))

    def request_review(self, at: datetime, case_id: Any) -> None:
        self.app.request_review(self.ctx(at, "registrar"), case_id, reason="Disagree.")
        self.later(at + timedelta(days=self.rng.randint(5, 35)), "decide", case_id, kind="review")

    def request_recheck(self, at: datetime, case_id: Any) -> None:
        self.app.request_recheck(self.ctx(at, "registrar"), case_id, reason="Still disagree.")
        self.later(at + timedelta(days=self.rng.randint(5, 35)), "decide", case_id, kind="recheck")

    def decide(self, at: datetime, case_id: Any, kind: str) -> None:
        command = self.app.review if kind == "review" else self.app.recheck
        command(
            self.ctx(at, "supervisor"),
            case_id,
            outcome=self.rng.choice(list(ReviewOutcome)),
            reply="Decision (synthetic).",
            served_at=at,
        )
        if kind == "review":
            self.after_decision(at, case_id, "recheck", None)
        elif self.rng.random() < 0.8:
            self.later(at + timedelta(days=self.rng.randint(1, 10)), "close", case_id, waived=False)

    def close(self, at: datetime, case_id: Any, waived: bool) -> None:
        self.app.close_case(self.ctx(at), case_id, reason="Concluded (synthetic).", waived=waived)


if __name__ == "__main__":
    print(ensure(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
