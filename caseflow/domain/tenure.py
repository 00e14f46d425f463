"""A leader's term of office: the day they took office, the orgs they held since (moves), and
the day they left, if they have. Read by the Leader aggregate's rules and by the statistics
(which days count, which org's level sets the reception quota of a period).

Days are local calendar days. The term runs from `start` to `left_on`, both inclusive: a leader
who left office on 30 June held office on 30 June. A move on day D puts the leader in the new
org from D on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from caseflow.domain.policy import Policy


def took_office(in_office_from: date | None, registered_at: datetime, policy: Policy) -> date:
    """The first day in office. A registration recorded before terms were (a v1
    `Leader.Registered`, upcast with `in_office_from` None) took office on the local day it was
    registered: the only date the record has, and what compliance assumed until then."""
    return in_office_from if in_office_from is not None else policy.local_date(registered_at)


@dataclass(frozen=True, slots=True)
class Posting:
    """The org (and its level) a leader held from `start` until the next posting or the end."""

    start: date
    org_id: UUID
    level: str


@dataclass(frozen=True)
class Term:
    postings: tuple[Posting, ...]  # in order; the first one starts the day the leader took office
    left_on: date | None = None  # last day in office

    @property
    def start(self) -> date:
        return self.postings[0].start

    def overlap(self, first: date, last: date) -> tuple[date, date] | None:
        """The days in office between `first` and `last` (inclusive), or None."""
        a = max(first, self.start)
        b = last if self.left_on is None else min(last, self.left_on)
        return (a, b) if a <= b else None

    def nearest(self, day: date) -> date:
        """`day` moved into the term (its first or last day when outside it)."""
        day = max(day, self.start)
        return day if self.left_on is None else min(day, self.left_on)

    def posting_on(self, day: date) -> Posting:
        """The posting held on `day` (the first one before the term, the last one after it)."""
        held = self.postings[0]
        for p in self.postings[1:]:
            if p.start > day:
                break
            held = p
        return held
