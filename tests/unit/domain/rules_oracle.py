"""An independent reading of DESIGN §2: walks a case's event history and says whether each event
was allowed when it happened, and which status the case must be in. The aggregate enforces the
rules; this re-derives them from the table, so the property test has something to disagree with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from caseflow.domain.case import Case
from caseflow.domain.policy import Policy
from caseflow.domain.values import Decision, Stage, Status, VisitMode

NON_ACCEPT_STATUS = {
    Decision.FORWARD: Status.FORWARDED,
    Decision.REJECT: Status.REJECTED,
    Decision.ROUTE: Status.ROUTED,
}


@dataclass
class Seen:
    status: Status = Status.REGISTERED
    decision: Decision | None = None
    decisions: list[tuple[Stage, date]] = field(default_factory=list)  # (stage, served day)
    extension_days: int = 0
    evaluated: set[Stage] = field(default_factory=set)
    supervision_open: bool = False
    counts: dict[type, int] = field(default_factory=dict)


def check_history(events: list[Case.Event], policy: Policy) -> Status:
    """Raise AssertionError at the first event the rules forbid; return the resulting status."""
    assert events and isinstance(events[0], Case.Received), "a case starts with its registration"
    seen = Seen()
    for n, event in enumerate(events[1:], start=2):
        assert event.originator_version == n, "versions are consecutive"
        # Closure ends everything except the petitioner's say on the decision last served.
        assert seen.status is not Status.CLOSED or isinstance(event, Case.Evaluated), (
            f"{type(event).__name__} after closure"
        )
        assert event.meta.actor_id and event.meta.actor_role and event.meta.correlation_id
        seen.counts[type(event)] = seen.counts.get(type(event), 0) + 1
        _allowed(event, seen, policy)
    return seen.status


def _allowed(event: Case.Event, seen: Seen, policy: Policy) -> None:  # noqa: C901 - one table
    kind, day = type(event), policy.local_date(event.meta.occurred_at)
    if kind is Case.Screened:
        # once after registration; again by each body a petition is forwarded to (DESIGN §9)
        assert seen.status in (Status.REGISTERED, Status.FORWARDED)
        assert not event.repeat_of_final or event.decision is Decision.REJECT
        seen.decision = event.decision
        seen.status = NON_ACCEPT_STATUS.get(event.decision, Status.ACCEPTED)
    elif kind is Case.Assigned:
        assert seen.decision is Decision.ACCEPT and seen.status in (
            Status.ACCEPTED,
            Status.ASSIGNED,
        )
        seen.status = Status.ASSIGNED
    elif kind is Case.Visited:
        assert event.visitors >= 1
        if seen.decisions:
            assert event.mode is VisitMode.RETURN, "after the reply only return visits"
    elif kind is Case.Extended:
        assert seen.status is Status.ASSIGNED and event.days >= 1
        seen.extension_days += event.days
        assert seen.extension_days <= policy.max_extension_days
    elif kind is Case.Resolved:
        assert seen.status is Status.ASSIGNED
        seen.status = Status.RESOLVED
        seen.decisions.append((Stage.RESOLUTION, policy.local_date(event.served_at)))
    elif kind is Case.Evaluated:
        assert seen.decisions and event.stage is seen.decisions[-1][0]
        assert event.stage not in seen.evaluated
        seen.evaluated.add(event.stage)
    elif kind is Case.ReviewRequested:
        assert seen.status is Status.RESOLVED and seen.counts[kind] == 1
        assert day <= seen.decisions[-1][1] + timedelta(days=policy.review_window_days)
        seen.status = Status.REVIEW_REQUESTED
    elif kind is Case.Reviewed:
        assert seen.status is Status.REVIEW_REQUESTED
        seen.status = Status.REVIEWED
        seen.decisions.append((Stage.REVIEW, policy.local_date(event.served_at)))
    elif kind is Case.RecheckRequested:
        assert seen.status is Status.REVIEWED and seen.counts[kind] == 1
        assert day <= seen.decisions[-1][1] + timedelta(days=policy.recheck_window_days)
        seen.status = Status.RECHECK_REQUESTED
    elif kind is Case.Rechecked:
        assert seen.status is Status.RECHECK_REQUESTED
        seen.status = Status.RECHECKED
        seen.decisions.append((Stage.RECHECK, policy.local_date(event.served_at)))
    elif kind is Case.Supervised:
        assert not event.cleared or seen.supervision_open
        seen.supervision_open = not event.cleared
    elif kind is Case.Closed:
        _closable(event, seen, day, policy)
        seen.status = Status.CLOSED
    else:  # pragma: no cover - a new event type needs a rule here
        raise AssertionError(f"no rule for {kind.__name__}")


def _closable(event: Case.Closed, seen: Seen, day: date, policy: Policy) -> None:
    if seen.status in (*NON_ACCEPT_STATUS.values(), Status.RECHECKED):
        return
    assert seen.status in (Status.RESOLVED, Status.REVIEWED), f"closed while {seen.status}"
    window = (
        policy.review_window_days if seen.status is Status.RESOLVED else policy.recheck_window_days
    )
    assert event.waived or day > seen.decisions[-1][1] + timedelta(days=window)
