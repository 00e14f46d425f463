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


# name, owner, start field, done field, limit in days (from the policy or the facts)
# (clock, owner, field that starts it, field that ends it, its limit in days)
_SPECS: tuple[tuple[str, str, str, str, Callable[[Policy, ClockFacts], int]], ...] = (
    ("screening", "office", "received_at", "screened_at", lambda p, f: p.screening_days),
    (
        "forwarded_screening",
        "office",
        "forwarded_at",
        "forward_screened_at",
        lambda p, f: p.screening_days,
    ),
    (
        "handling",
        "office",
        "accepted_at",
        "resolved_at",
        lambda p, f: p.handling_days + f.extension_days,
    ),
    (
        "review_window",
        "petitioner",
        "resolved_at",
        "review_requested_at",
        lambda p, f: p.review_window_days,
    ),
    ("review", "office", "review_requested_at", "reviewed_at", lambda p, f: p.review_due_days),
    (
        "recheck_window",
        "petitioner",
        "reviewed_at",
        "recheck_requested_at",
        lambda p, f: p.recheck_window_days,
    ),
    ("recheck", "office", "recheck_requested_at", "rechecked_at", lambda p, f: p.recheck_due_days),
)


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
            name, owner, started_on, due_on, done_on, "done", None, False, done_on <= due_on
        )
    if closed is not None:
        return ClockState(name, owner, started_on, due_on, None, "stopped", None, False, None)
    return ClockState(
        name, owner, started_on, due_on, None, "open", (due_on - today).days, today > due_on, None
    )


def case_clocks(facts: ClockFacts, now: datetime, policy: Policy) -> list[ClockState]:
    """Every clock the case has started, open or closed, evaluated at `now`."""
    out = []
    for name, owner, start_field, done_field, limit in _SPECS:
        started = getattr(facts, start_field)
        if started is None:
            continue
        due_on = policy.due(started, limit(policy, facts))
        out.append(
            clock(
                name,
                owner,
                started,
                due_on,
                getattr(facts, done_field),
                facts.closed_at,
                now,
                policy,
            )
        )
    if facts.supervision_due_at is not None and facts.supervision_opened_at is not None:
        out.append(
            clock(
                "oversight",
                "office",
                facts.supervision_opened_at,
                policy.local_date(facts.supervision_due_at),
                facts.supervision_cleared_at,
                facts.closed_at,
                now,
                policy,
            )
        )
    return out
