"""Random petition histories for property tests: commands (valid or not) driven through the
real `CaseflowApp`; the domain refuses the invalid ones, so the log holds a lawful history.

Most steps "advance" a case along a plausible path (so histories reach reviews, re-checks and
closures); some are random commands, which the rules often refuse."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

from caseflow.domain.case import Case
from caseflow.domain.errors import DomainError
from caseflow.domain.values import Decision, Rating, VisitMode
from caseflow.services.errors import Conflict, NotFound
from tests.unit.projections.world import World

OPS = (
    "screen",
    "assign",
    "visit",
    "extend",
    "resolve",
    "evaluate",
    "request_review",
    "review",
    "request_recheck",
    "recheck",
    "supervise",
    "clear",
    "close",
    "close_waived",
    # the directory: a leader moves, leaves office, is renamed; an org is renamed
    "move",
    "leave",
    "rename_leader",
    "rename_org",
)
# status → what may come next (the variant picks one)
NEXT = {
    "registered": ("screen",),
    "accepted": ("assign",),
    "assigned": ("resolve", "visit", "extend", "supervise", "assign", "resolve"),
    "resolved": ("evaluate", "request_review", "close_waived", "visit_return"),
    "review_requested": ("review",),
    "reviewed": ("evaluate", "request_recheck", "close_waived"),
    "recheck_requested": ("recheck",),
    "rechecked": ("evaluate", "close"),
    "forwarded": ("close",),
    "rejected": ("close",),
    "routed": ("close",),
    "closed": ("repeat", "repeat", "evaluate"),  # mostly: a new petition naming this one
}

step = st.tuples(
    st.sampled_from(("advance",) * 6 + ("receive", "random")),
    st.integers(0, 7),  # which case (index into those received so far)
    st.integers(0, 6),  # days to move the clock first (×6 on "random" steps)
    st.integers(0, 5),  # a variant: decision, leader, rating, next step...
    st.sampled_from(OPS),  # the command of a "random" step
)
histories = st.lists(step, min_size=15, max_size=80)


def apply(world: World, steps: list[tuple[str, int, int, int, str]]) -> int:
    """Run the steps; returns how many commands the domain accepted."""
    accepted = 0
    cases: list[Any] = world.__dict__.setdefault("_cases", [])
    for kind, index, days, variant, op in steps:
        world.clock.now += timedelta(days=days * (6 if kind == "random" else 1), hours=variant)
        at = world.clock.now
        if kind == "advance" and cases:
            case = cases[index % len(cases)]
            options = NEXT[str(world.app.get(Case, case).status)]
            op = options[variant % len(options)]
        if kind == "receive" or not cases or op == "repeat":
            prior = (
                cases[index % len(cases)] if cases and (variant == 3 or op == "repeat") else None
            )
            cases.append(
                world.receive(
                    at,
                    org=(world.county, world.city)[variant % 2],
                    headcount=1 + 5 * (variant == 2),
                    prior=prior,
                )
            )
            accepted += 1
            continue
        case = cases[index % len(cases)]
        try:
            _run(world, op, case, at, variant)
            accepted += 1
        except (DomainError, Conflict, NotFound):
            pass
    return accepted


def _run(world: World, op: str, case: Any, at: Any, variant: int) -> None:
    leader = (world.leader, world.leader2)[variant % 2]
    if op == "screen":
        decisions = (
            Decision.ACCEPT,
            Decision.ACCEPT,
            Decision.FORWARD,
            Decision.ACCEPT,
            Decision.REJECT,
            Decision.ROUTE if variant == 5 and at.day % 2 else Decision.ACCEPT,
        )
        world.screen(case, at, decision=decisions[variant])
    elif op == "assign":
        world.assign(case, at, leader=leader, unit=(world.county, world.city)[variant % 2])
    elif op in ("visit", "visit_return"):
        world.visit(
            case,
            at,
            visitors=1 + variant,
            leader=leader,
            mode=VisitMode.RETURN if op == "visit_return" else VisitMode.RECEPTION,
        )
    elif op == "extend":
        world.extend(case, at, 5 + 5 * variant)
    elif op == "resolve":
        world.resolve(case, at)
    elif op == "evaluate":
        world.evaluate(case, at, rating=list(Rating)[variant % 3])
    elif op in ("request_review", "review", "request_recheck", "recheck"):
        getattr(world, op)(case, at)
    elif op == "supervise":
        world.supervise(case, at, due=at + timedelta(days=5 + variant))
    elif op == "clear":
        world.supervise(case, at, cleared=True)
    elif op in ("close", "close_waived"):
        world.close(case, at, waived=op == "close_waived")
    else:
        _directory(world, op, leader, at, variant)


def _directory(world: World, op: str, leader: Any, at: Any, variant: int) -> None:
    app, ctx = world.app, world.ctx("operator-1", "operator")
    day = app.policy.local_date(at)
    if op == "move":
        to = (world.county, world.city, world.other_city)[variant % 3]
        app.move_leader(ctx, leader, to_org_id=to, on=day - timedelta(days=variant))
    elif op == "leave":
        app.leave_office(ctx, leader, on=day - timedelta(days=variant))
    elif op == "rename_leader":
        app.rename_leader(ctx, leader, name=f"Leader {variant}", title=f"Title {variant}")
    else:
        app.rename_org(ctx, (world.county, world.city)[variant % 2], name=f"Org {variant}")
