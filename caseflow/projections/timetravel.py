"""Time travel: a case as it stood at a version or a moment, folded from its own events.

"At time T" means after the last event whose *recorded* time is ≤ T: that is when the office
knew it (business times can be back-dated). `by="business"` asks instead how the case stood in
the world at T: the events whose business time (`LoggedEvent.occurred_at`) is ≤ T. The fold is
the `case_status` projection's own, in memory, so the answer has the same shape as the live
view; clocks are evaluated at T (for a version: at that version's recorded time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from caseflow.domain.clocks import case_clocks
from caseflow.domain.policy import Policy
from caseflow.projections.case_status import CaseStatus, clock_facts
from caseflow.projections.memory import MemoryRows
from caseflow.projections.source import LoggedEvent, in_utc


def case_as_of(
    events: Sequence[LoggedEvent],
    policy: Policy,
    *,
    at: datetime | None = None,
    version: int | None = None,
    by: str = "recorded",
) -> dict[str, Any]:
    """The case_status row (plus evaluated clocks) after the chosen prefix of `events` (one
    case's events, oldest first). LookupError when no event qualifies."""

    def when(e: LoggedEvent) -> datetime:
        return e.occurred_at if by == "business" else e.recorded_at

    chosen = [
        e
        for e in events
        if (version is None or e.version <= version) and (at is None or when(e) <= at)
    ]
    if not chosen:
        raise LookupError("the case had no events by then")
    projection = CaseStatus(policy)
    rows = MemoryRows(projection.tables)
    projection.handle([e for e in chosen if e.name in projection.interests], rows)
    row = rows.get("case_status", (chosen[0].aggregate_id,))
    if row is None:
        raise LookupError("not a case")
    moment = at or when(chosen[-1])
    today = policy.local_date(moment)
    due = row["next_due_on"]
    row["overdue"] = due is not None and due < today
    row["days_left"] = None if due is None else (due - today).days
    row["clocks"] = [asdict(c) for c in case_clocks(clock_facts(row), moment, policy)]
    row["as_of"] = moment
    return in_utc(row)
