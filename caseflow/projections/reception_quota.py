"""Reception-frequency compliance (领导接访频次): did a leader hold at least one reception day
in every quota period of their level?

The quota is `Policy.reception_quota[level]`: by default province leaders one day per half-year,
city per quarter, county per month, township per week; village (or any level missing from the
policy) has none. A requested reporting period is judged on the quota periods of
`periods.quota_periods` (the finer quota periods whose anchor lies inside it, or the one coarser
quota period enclosing it). Each quota period is, as of `today` (local date at query time):

- met            it has at least one reception day (even if it is not over yet);
- missed         it is over, the leader was in office for all of it, and it has none;
- pending        it has none yet but has not ended (today is inside it): not held against anyone;
- future         it has not started: does not count;
- before_office  it started before the leader was registered (and has no reception day): a leader
                 is judged only on whole periods in office. Register leaders with the business
                 time they took office (`occurred_at`) to have earlier periods judged.

Overall: `non_compliant` if any quota period was missed, else `pending` if any is pending, else
`compliant` if any was met, else `not_due` (nothing to judge yet); `not_applicable` without quota.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from caseflow.domain.policy import Policy
from caseflow.projections.periods import Period, quota_periods

REQUIRED_DAYS = 1  # "at least one reception day" per quota period


@dataclass(frozen=True, slots=True)
class QuotaPeriod:
    key: str
    start: date
    end: date
    reception_days: int
    status: str  # met | missed | pending | future | before_office


@dataclass(frozen=True)
class Compliance:
    quota: str | None  # quota period kind, None when the level has none
    status: str  # compliant | non_compliant | pending | not_due | not_applicable
    compliant: bool | None  # None while pending, not due or not applicable
    met: int
    missed: int
    pending: int
    periods: tuple[QuotaPeriod, ...]

    @property
    def judged(self) -> int:
        """Quota periods that count: met, missed or pending."""
        return self.met + self.missed + self.pending

    def as_dict(self, detail: bool = True) -> dict[str, Any]:
        """JSON-ready (dates as ISO text); without `detail`, no list of quota periods."""
        out: dict[str, Any] = {
            "quota": self.quota, "status": self.status, "compliant": self.compliant,
            "required_days": REQUIRED_DAYS, "judged": self.judged, "met": self.met,
            "missed": self.missed, "pending": self.pending}
        if detail:
            out["periods"] = [
                {"key": p.key, "start": p.start.isoformat(), "end": p.end.isoformat(),
                 "reception_days": p.reception_days, "status": p.status} for p in self.periods]
        return out


def quota_kind(level: str, policy: Policy) -> str | None:
    """The period kind of a level's quota, or None when the level has no quota."""
    return policy.reception_quota.get(str(level))


def needed_keys(level: str, requested: Period, policy: Policy) -> list[str]:
    """The period keys whose reception days `judge` needs."""
    kind = quota_kind(level, policy)
    return [q.key for q in quota_periods(kind, requested)] if kind else []


def judge(level: str, requested: Period, reception_days: Mapping[str, int], today: date,
          in_office_from: date | None, policy: Policy) -> Compliance:
    """Compliance of a leader of `level` for `requested`, given reception days per period key."""
    kind = quota_kind(level, policy)
    if kind is None:
        return Compliance(None, "not_applicable", None, 0, 0, 0, ())
    out = []
    for q in quota_periods(kind, requested):
        days = reception_days.get(q.key, 0)
        out.append(QuotaPeriod(q.key, q.start, q.end, days,
                               _status(q, days, today, in_office_from)))
    count = {s: sum(1 for p in out if p.status == s) for s in ("met", "missed", "pending")}
    if count["missed"]:
        status, compliant = "non_compliant", False
    elif count["pending"]:
        status, compliant = "pending", None
    elif count["met"]:
        status, compliant = "compliant", True
    else:
        status, compliant = "not_due", None
    return Compliance(kind, status, compliant, count["met"], count["missed"], count["pending"],
                      tuple(out))


def _status(q: Period, days: int, today: date, in_office_from: date | None) -> str:
    if days >= REQUIRED_DAYS:
        return "met"
    if q.start > today:
        return "future"
    if in_office_from is not None and q.start < in_office_from:
        return "before_office"
    if q.end >= today:
        return "pending"
    return "missed"
