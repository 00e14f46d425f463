"""Command throughput: case lifecycles through `CaseflowApp` (our service layer, domain rules,
metadata, idempotency bookkeeping, orjson transcoder) against the bare `eventsourcing`
Application saving equivalent events (plain Aggregate, default JSON transcoder), both on SQLite
files with the same settings, in the same run. Goal: ours / bare >= 0.7. 'unchained' is ours
without the hash chain's links (what the chain costs; goal: ours / unchained >= 0.9).

Two storage settings: `synchronous=FULL` (the default: every commit waits for the disk, so both
sides mostly measure fsync) and `synchronous=OFF` (commits cost little, so the ratio shows what
our layers cost in CPU). Rounds alternate which side goes first; figures are medians.
Run: `python -m bench commands` (BENCH_COMMANDS_CASES / BENCH_COMMANDS_ROUNDS to resize).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

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
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.settings import Settings
from caseflow.infra.sqlite_tuning import set_synchronous
from caseflow.infra.store import event_store_env
from caseflow.services.app import Actor, Context

ROUNDS = int(os.environ.get("BENCH_COMMANDS_ROUNDS", "5"))
CASES = {
    "FULL": int(os.environ.get("BENCH_COMMANDS_CASES", "60")),
    "OFF": 5 * int(os.environ.get("BENCH_COMMANDS_CASES", "60")),
}
EVENTS_PER_CASE = 8  # received, screened, assigned, visited, extended, resolved, evaluated, closed
GOAL = 0.7
CHAIN_GOAL = 0.9  # with the hash chain / the same run without it (issue 15)


class Rates(NamedTuple):
    wall: float  # events per second
    cpu: float  # events per CPU-second of this process: steadier on a shared, busy machine


class Clock:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rates(self, events: int) -> Rates:
        return Rates(
            events / (time.perf_counter() - self.wall), events / (time.process_time() - self.cpu)
        )


# ------------------------------------------------------------------ ours


def run_ours(data_dir: Path, cases: int, synchronous: str, chained: bool = True) -> Rates:
    """Events per second for `cases` lifecycles through the service layer (without writing the
    hash chain's links when not `chained`)."""
    container = bootstrap(Settings(data_dir=data_dir))
    app = container.app
    set_synchronous(app.recorder, synchronous)
    app.recorder.chained = chained
    n = 0

    def ctx(role: str) -> Context:
        nonlocal n
        n += 1
        return Context(
            actor=Actor(f"{role}-1", role),
            correlation_id=f"bench-{n}",
            causation_id=f"bench-{n - 1}",
        )

    try:
        province = app.register_org(ctx("operator"), name="测试省", level=OrgLevel.PROVINCE).id
        county = app.register_org(
            ctx("operator"), name="测试县", level=OrgLevel.COUNTY, parent_id=province
        ).id
        leader = app.register_leader(
            ctx("operator"), name="测试-李四", title="县长", org_id=county
        ).id
        received_at = app.clock() - timedelta(days=1)
        today = app.policy.local_date(app.clock())
        started = Clock()
        for i in range(cases):
            case = app.receive(
                ctx("registrar"),
                channel=Channel.VISIT,
                received_at=received_at,
                receiving_org_id=county,
                petitioners=(Petitioner(f"测试-张{i}", "000000TEST"),),
                headcount=1,
                representatives=(),
                subject="拖欠工资",
                request="请求支付",
                region="测试县",
            ).id
            app.screen(
                ctx("registrar"),
                case,
                decision=Decision.ACCEPT,
                category=Category.APPEAL,
                to_org_id=None,
                reason="",
                route_channel=None,
                notified_at=None,
            )
            app.assign(
                ctx("registrar"),
                case,
                unit_id=county,
                leader_id=leader,
                handler_id="handler-1",
                instructions="依法办理",
            )
            app.visit(
                ctx("leader"),
                case,
                leader_id=leader,
                mode=VisitMode.RECEPTION,
                visited_on=today,
                location="接待室",
                visitors=1,
                resolved_on_site=False,
            )
            app.extend(ctx("handler"), case, days=15, reason="复杂", approved_by="测试-李四")
            app.resolve(
                ctx("handler"),
                case,
                outcome=Outcome.SUPPORTED,
                reply="已支付",
                served_at=app.clock(),
            )
            app.evaluate(ctx("registrar"), case, rating=Rating.SATISFIED)
            app.close_case(ctx("registrar"), case, reason="办结", waived=True)
        return started.rates(cases * EVENTS_PER_CASE)
    finally:
        container.close()


# ------------------------------------------------------------------ bare eventsourcing


def meta(role: str, n: int) -> dict:
    return {
        "actor_id": f"{role}-1",
        "actor_role": role,
        "correlation_id": f"bench-{n}",
        "causation_id": f"bench-{n - 1}",
        "occurred_at": datetime.now(UTC).isoformat(),
    }


class BareCase(Aggregate):
    """The same facts with plain JSON values; no rules, no metadata handling, no idempotency."""

    @event("Received")
    def __init__(
        self,
        channel: str,
        received_at: datetime,
        receiving_org_id: UUID,
        petitioners: list,
        headcount: int,
        representatives: list,
        subject: str,
        request: str,
        region: str,
        category: str | None,
        prior_case_id: UUID | None,
        registered_by: str,
        meta: dict,
    ) -> None:
        self.status = "registered"

    @event("Screened")
    def screen(
        self,
        decision: str,
        category: str,
        to_org_id: UUID | None,
        reason: str,
        route_channel: str | None,
        notified_at: datetime | None,
        repeat_of_final: bool,
        meta: dict,
    ) -> None:
        self.status = "accepted"

    @event("Assigned")
    def assign(
        self, unit_id: UUID, leader_id: UUID, handler_id: str, instructions: str, meta: dict
    ) -> None:
        self.status = "assigned"

    @event("Visited")
    def visit(
        self,
        leader_id: UUID,
        mode: str,
        visited_on: str,
        location: str,
        visitors: int,
        resolved_on_site: bool,
        meta: dict,
    ) -> None:
        pass

    @event("Extended")
    def extend(self, days: int, reason: str, approved_by: str, meta: dict) -> None:
        pass

    @event("Resolved")
    def resolve(self, outcome: str, reply: str, served_at: datetime, meta: dict) -> None:
        self.status = "resolved"

    @event("Evaluated")
    def evaluate(self, stage: str, rating: str, meta: dict) -> None:
        pass

    @event("Closed")
    def close(self, reason: str, waived: bool, meta: dict) -> None:
        self.status = "closed"


class BareApp(Application):
    def update(self, case_id: UUID, change: Callable[[BareCase], None]) -> None:
        case = self.repository.get(case_id)
        change(case)
        self.save(case)


def run_bare(data_dir: Path, cases: int, synchronous: str, cached: bool = False) -> Rates:
    """Events per second for the same lifecycles saved by a bare eventsourcing Application:
    default transcoder; no aggregate cache unless `cached` (then the same cache as ours)."""
    keep = ("PERSISTENCE_", "SQLITE_", *(("AGGREGATE_CACHE",) if cached else ()))
    env = {
        k: v for k, v in event_store_env(Settings(data_dir=data_dir)).items() if k.startswith(keep)
    }
    app = BareApp(env=env)
    set_synchronous(app.recorder, synchronous)
    county, leader, n = uuid4(), uuid4(), 0

    def m(role: str) -> dict:
        nonlocal n
        n += 1
        return meta(role, n)

    try:
        received_at = datetime.now(UTC) - timedelta(days=1)
        today = date.today().isoformat()
        started = Clock()
        for i in range(cases):
            case = BareCase(
                channel="visit",
                received_at=received_at,
                receiving_org_id=county,
                petitioners=[
                    {"name": f"测试-张{i}", "id_number": "000000TEST", "phone": "", "address": ""}
                ],
                headcount=1,
                representatives=[],
                subject="拖欠工资",
                request="请求支付",
                region="测试县",
                category=None,
                prior_case_id=None,
                registered_by="registrar-1",
                meta=m("registrar"),
            )
            app.save(case)
            app.update(
                case.id,
                lambda c: c.screen("accept", "appeal", None, "", None, None, False, m("registrar")),
            )
            app.update(
                case.id, lambda c: c.assign(county, leader, "handler-1", "依法办理", m("registrar"))
            )
            app.update(
                case.id,
                lambda c: c.visit(leader, "reception", today, "接待室", 1, False, m("leader")),
            )
            app.update(case.id, lambda c: c.extend(15, "复杂", "测试-李四", m("handler")))
            app.update(
                case.id, lambda c: c.resolve("supported", "已支付", datetime.now(UTC), m("handler"))
            )
            app.update(case.id, lambda c: c.evaluate("resolution", "satisfied", m("registrar")))
            app.update(case.id, lambda c: c.close("办结", True, m("registrar")))
        return started.rates(cases * EVENTS_PER_CASE)
    finally:
        app.close()


# ------------------------------------------------------------------ the run


SIDES: dict[str, Callable[[Path, int, str], Rates]] = {
    "caseflow": run_ours,
    "unchained": lambda path, cases, sync: run_ours(path, cases, sync, chained=False),
    "bare": run_bare,
    "bare+cache": lambda path, cases, sync: run_bare(path, cases, sync, cached=True),
}


def measure(synchronous: str, rounds: int = ROUNDS) -> dict[str, Rates]:
    """Median rates per side; each round runs the sides in a rotated order."""
    runs: dict[str, list[Rates]] = {name: [] for name in SIDES}
    names = list(SIDES)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            with tempfile.TemporaryDirectory() as path:
                runs[name].append(SIDES[name](Path(path), CASES[synchronous], synchronous))
    return {
        name: Rates(statistics.median(r.wall for r in rs), statistics.median(r.cpu for r in rs))
        for name, rs in runs.items()
    }


def main() -> None:
    print(
        f"{ROUNDS} rounds; lifecycles of {EVENTS_PER_CASE} events; SQLite files, WAL; "
        "'bare' is a default Application (no aggregate cache), 'bare+cache' has ours"
    )
    for synchronous in ("FULL", "OFF"):
        m = measure(synchronous)
        for kind in ("wall", "cpu"):
            unit = "events/s" if kind == "wall" else "events/cpu-s"
            rate = {name: getattr(r, kind) for name, r in m.items()}
            ratios = {name: rate["caseflow"] / rate[name] for name in SIDES if name != "caseflow"}
            chain_ratio = ratios["unchained"]
            bare_ratio = min(v for k, v in ratios.items() if k != "unchained")
            print(
                f"synchronous={synchronous:<4} {CASES[synchronous]:>4} cases/round, {kind:<4}: "
                + ", ".join(f"{name} {r:,.0f}" for name, r in rate.items())
                + f" {unit}; "
                + ", ".join(f"ratio vs {name} {x:.2f}" for name, x in ratios.items())
                + f" ({'meets' if bare_ratio >= GOAL else 'BELOW'} goal {GOAL}; "
                f"{'meets' if chain_ratio >= CHAIN_GOAL else 'BELOW'} chain goal "
                f"{CHAIN_GOAL})",
                flush=True,
            )


if __name__ == "__main__":
    main()
