"""Statutory clocks (DESIGN §3): pure functions of a case's facts, a policy and "now".

Counting rule: a clock started on calendar day D (in the deployment's time zone) with a limit of
N days is on time when done on or before day D+N. So a petition received on 1 March must be
screened by 16 March (15 days); screening on 16 March is on time, on 17 March late.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from caseflow.domain.policy import Policy


@dataclass(frozen=True)
class ClockFacts:
    """The business times that start and stop the clocks; all derived from the case's events."""

    received_at: datetime
    screened_at: datetime | None = None
    forwarded_at: datetime | None = None  # 转送: the receiving body's 15 days start here
    forward_screened_at: datetime | None = None
    accepted_at: datetime | None = None
    extension_days: int = 0
    resolved_at: datetime | None = None
    review_requested_at: datetime | None = None
    reviewed_at: datetime | None = None
    recheck_requested_at: datetime | None = None
    rechecked_at: datetime | None = None
    supervision_opened_at: datetime | None = None
    supervision_due_at: datetime | None = None
    supervision_cleared_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class ClockState:
    name: str
    owner: str  # "office" (a duty) or "petitioner" (a right with a window)
    started_on: date
    due_on: date
    done_on: date | None
    state: str  # open | done | stopped
    days_left: int | None
    overdue: bool
    on_time: bool | None


# The rules, in one place: each clock's limit in days, from the policy and the days of extension
# granted (only the handling clock has any). The views ask `due_on` / `on_time` below rather than
# redo the sum (projections/case_status.py, kpis.py, leader_stats.py).
Limit = Callable[[Policy, int], int]
LIMITS: dict[str, Limit] = {
    "screening": lambda p, extension: p.screening_days,
    # 转送: the body a petition is forwarded to has its own 15 days from the forward
    "forwarded_screening": lambda p, extension: p.screening_days,
    "handling": lambda p, extension: p.handling_days + extension,
    "review_window": lambda p, extension: p.review_window_days,
    "review": lambda p, extension: p.review_due_days,
    "recheck_window": lambda p, extension: p.recheck_window_days,
    "recheck": lambda p, extension: p.recheck_due_days,
}


@dataclass(frozen=True)
class ClockSpec:
    name: str
    owner: str  # "office" (a duty) or "petitioner" (a right with a window)
    start: str  # the `ClockFacts` field that starts it
    done: str  # the one that stops it


SPECS = (
    ClockSpec("screening", "office", "received_at", "screened_at"),
    ClockSpec("forwarded_screening", "office", "forwarded_at", "forward_screened_at"),
    ClockSpec("handling", "office", "accepted_at", "resolved_at"),
    ClockSpec("review_window", "petitioner", "resolved_at", "review_requested_at"),
    ClockSpec("review", "office", "review_requested_at", "reviewed_at"),
    ClockSpec("recheck_window", "petitioner", "reviewed_at", "recheck_requested_at"),
    ClockSpec("recheck", "office", "recheck_requested_at", "rechecked_at"),
)
SPEC = {s.name: s for s in SPECS}
# The supervisor's deadline (督办): due on the local day of the `due_at` the supervisor set.
OVERSIGHT = ClockSpec("oversight", "office", "supervision_opened_at", "supervision_cleared_at")


def due_on(name: str, started: datetime | date, policy: Policy, extension_days: int = 0) -> date:
    """The last day on which clock `name`, started at `started`, is met on time."""
    return policy.due(started, LIMITS[name](policy, extension_days))


def oversight_due_on(due_at: datetime | date, policy: Policy) -> date:
    """The oversight clock's due day: the local day of the deadline the supervisor set."""
    return policy.local_date(due_at)


def on_time(done: datetime | date, due: date, policy: Policy) -> bool:
    """Done (a moment, or a local day) on or before the due day."""
    return policy.local_date(done) <= due


def clock(
    name: str,
    owner: str,
    started: datetime,
    due_on: date,
    done: datetime | None,
    closed: datetime | None,
    now: datetime,
    policy: Policy,
) -> ClockState:
    started_on = policy.local_date(started)
    done_on = policy.local_date(done) if done else None
    today = policy.local_date(now)
    if done_on is not None:
        return ClockState(
            name,
            owner,
            started_on,
            due_on,
            done_on,
            "done",
            None,
            False,
            on_time(done_on, due_on, policy),
        )
    if closed is not None:
        return ClockState(name, owner, started_on, due_on, None, "stopped", None, False, None)
    return ClockState(
        name, owner, started_on, due_on, None, "open", (due_on - today).days, today > due_on, None
    )


def case_clocks(facts: ClockFacts, now: datetime, policy: Policy) -> list[ClockState]:
    """Every clock the case has started, open or closed, evaluated at `now`."""
    out = []
    for spec in SPECS:
        started = getattr(facts, spec.start)
        if started is None:
            continue
        due = due_on(spec.name, started, policy, facts.extension_days)
        out.append(
            clock(
                spec.name,
                spec.owner,
                started,
                due,
                getattr(facts, spec.done),
                facts.closed_at,
                now,
                policy,
            )
        )
    if facts.supervision_due_at is not None and facts.supervision_opened_at is not None:
        out.append(
            clock(
                OVERSIGHT.name,
                OVERSIGHT.owner,
                facts.supervision_opened_at,
                oversight_due_on(facts.supervision_due_at, policy),
                facts.supervision_cleared_at,
                facts.closed_at,
                now,
                policy,
            )
        )
    return out
