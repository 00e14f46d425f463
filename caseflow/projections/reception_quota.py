"""Reception-frequency compliance (领导接访频次): did a leader hold at least one reception day
in every quota period of their level while in office?

The quota is `Policy.reception_quota[level]`: by default province leaders one day per half-year,
city per quarter, county per month, township per week; village (or any level missing from the
policy) has none. A requested reporting period is judged on the quota periods of
`periods.quota_periods` (the finer quota periods whose anchor lies inside it, or the one coarser
quota period enclosing it).

The leader's term (`domain/tenure.py`) decides which quota periods count and at which level:

- a quota period is judged at the level of the org the leader held on its last day in office
  (the first day of the term for a period before it, the last for one after it): after a move
  between levels, the periods of the new level whose last day in office falls after the move;
- a period wholly outside the term is `before_office` / `after_office`;
- a period the leader held office for only part of is judged when they held office on at least
  half of its days, and then only the reception days in office count; on fewer days it is
  `before_office` (the term began in it) or `after_office` (the term ended in it).

A judged quota period is, as of `today` (local date at query time):

- met            it has at least one reception day in office (even if it is not over yet);
- missed         its last day in office is past, and it has none;
- pending        it has none yet, but its last day in office is today or later;
- future         it has not started: does not count.

Overall: `non_compliant` if any quota period was missed, else `pending` if any is pending, else
`compliant` if any was met, else `not_due` (nothing to judge yet); `not_applicable` without quota.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from caseflow.domain.policy import Policy
from caseflow.domain.tenure import Term
from caseflow.projections.periods import KINDS, Period, quota_periods

REQUIRED_DAYS = 1  # "at least one reception day" per quota period


@dataclass(frozen=True, slots=True)
class QuotaPeriod:
    key: str
    start: date
    end: date
    reception_days: int
    status: str  # met | missed | pending | future | before_office | after_office
    level: str  # the level of the org held (on its last day in office) that set the quota


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
            "quota": self.quota,
            "status": self.status,
            "compliant": self.compliant,
            "required_days": REQUIRED_DAYS,
            "judged": self.judged,
            "met": self.met,
            "missed": self.missed,
            "pending": self.pending,
        }
        if detail:
            out["periods"] = [
                {
                    "key": p.key,
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "reception_days": p.reception_days,
                    "status": p.status,
                    "level": p.level,
                }
                for p in self.periods
            ]
        return out


def quota_kind(level: str, policy: Policy) -> str | None:
    """The period kind of a level's quota, or None when the level has no quota."""
    return policy.reception_quota.get(str(level))


@dataclass(frozen=True, slots=True)
class Slot:
    """One quota period as the term sees it: the level it is judged at, its days in office
    (`first`..`last`, None when none) and whether it is judged at all."""

    period: Period
    level: str
    first: date | None
    last: date | None
    judged: bool
    outside: str | None  # before_office | after_office when not judged

    @property
    def whole(self) -> bool:
        """In office on every day of it (its reception days are the period's)."""
        return (self.first, self.last) == (self.period.start, self.period.end)


def plan(term: Term, requested: Period, policy: Policy) -> tuple[Slot, ...]:
    """The quota periods `requested` is judged on for a leader with `term`, in order."""
    out = []
    for kind in KINDS:
        if not any(quota_kind(p.level, policy) == kind for p in term.postings):
            continue
        for q in quota_periods(kind, requested):
            level = term.posting_on(term.nearest(q.end)).level
            if quota_kind(level, policy) != kind:
                continue
            days = term.overlap(q.start, q.end)
            if days is not None and 2 * ((days[1] - days[0]).days + 1) >= _length(q):
                out.append(Slot(q, level, *days, True, None))
            else:
                outside = "before_office" if term.start > q.start else "after_office"
                first, last = days if days is not None else (None, None)
                out.append(Slot(q, level, first, last, False, outside))
    return tuple(sorted(out, key=lambda s: (s.period.start, s.period.end)))


def _length(p: Period) -> int:
    return (p.end - p.start).days + 1


def judge(
    slots: tuple[Slot, ...],
    reception_days: Mapping[str, int],
    today: date,
    current_level: str,
    policy: Policy,
) -> Compliance:
    """Compliance over `slots` (from `plan`), given the reception days in office of each quota
    period by key; `current_level` names the quota reported (the level held at the requested
    period's end)."""
    kind = quota_kind(current_level, policy)
    if not slots:
        return Compliance(kind, "not_applicable" if kind is None else "not_due", None, 0, 0, 0, ())
    out = []
    for s in slots:
        days = reception_days.get(s.period.key, 0)
        q = s.period
        out.append(QuotaPeriod(q.key, q.start, q.end, days, _status(s, days, today), s.level))
    count = {s: sum(1 for p in out if p.status == s) for s in ("met", "missed", "pending")}
    if count["missed"]:
        status, compliant = "non_compliant", False
    elif count["pending"]:
        status, compliant = "pending", None
    elif count["met"]:
        status, compliant = "compliant", True
    else:
        status, compliant = "not_due", None
    return Compliance(
        kind, status, compliant, count["met"], count["missed"], count["pending"], tuple(out)
    )


def _status(s: Slot, days: int, today: date) -> str:
    if not s.judged:
        return s.outside or "before_office"
    if days >= REQUIRED_DAYS:
        return "met"
    if s.period.start > today:
        return "future"
    if s.last is not None and s.last >= today:
        return "pending"
    return "missed"
