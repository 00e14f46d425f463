"""Realistic synthetic petitions, driven through `CaseflowApp` so every event passed the rules.

`seed(app, cases=N, seed=S)` registers an org tree with leaders, then lets N petitions arrive over
the past months (relative to the app's clock) and live out their lives: screening (some late,
some forwarded, rejected or routed to a legal channel), assignment to a leader who owns the case,
reception-day and down-visit meetings, extensions, resolution (some late, some still open and
overdue), evaluation, reviews and re-checks, oversight, repeats (those of a final matter are
rejected) and closure. Steps of all cases run in business-time order, as in a real office. The
same seed gives the same petitions, ids and decisions.
"""

from __future__ import annotations

import heapq
import random
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from caseflow.demo.seed_data import (
    CHANNELS,
    RECEIVING_LEVELS,
    SUBJECTS,
    Subject,
    address,
    id_number,
    person_name,
    phone,
)
from caseflow.demo.seed_life import Arrival, Life
from caseflow.demo.seed_tree import OrgNode, Session, Tree
from caseflow.domain.case import Case
from caseflow.domain.values import Channel, OrgLevel, Petitioner, Status
from caseflow.services.app import CaseflowApp, CommandResult

Progress = Callable[[int, int], None]
DEFAULT_MONTHS = 8
REPEAT_ODDS = 0.08


@dataclass
class SeedSummary:
    cases: int
    events: int
    orgs: int
    leaders: int
    seconds: float
    by_event: dict[str, int] = field(default_factory=dict)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def __str__(self) -> str:
        return (
            f"{self.cases} cases, {self.events} events ({self.orgs} orgs, {self.leaders} "
            f"leaders) in {self.seconds:.1f}s = {self.events_per_second:,.0f} events/s"
        )


@dataclass(slots=True)
class Filed:
    """What a later repeat petition needs to know about an earlier case."""

    id: UUID
    at: datetime
    org: OrgNode
    subject: Subject
    petitioners: tuple[Petitioner, ...]
    headcount: int
    representatives: tuple[str, ...]


def seed(
    app: CaseflowApp,
    cases: int = 500,
    seed: int = 1,
    progress: Progress | None = None,
    months: int = DEFAULT_MONTHS,
) -> SeedSummary:
    """Generate `cases` petitions through `app` over the past `months`; same seed, same data."""
    return Seeder(app, cases, seed, months, progress).run()


class HasApp(Protocol):
    app: CaseflowApp


def seed_if_empty(container: HasApp, cases: int = 300, seed: int = 1) -> SeedSummary | None:
    """Seed demo data when the event store holds no event at all; None when it was not empty."""
    if container.app.recorder.max_notification_id():
        return None
    return Seeder(container.app, cases, seed, DEFAULT_MONTHS, None).run()


class Seeder:
    def __init__(
        self, app: CaseflowApp, cases: int, seed: int, months: int, progress: Progress | None
    ):
        if cases < 0 or months < 1:
            raise ValueError("cases must be >= 0 and months >= 1")
        self.app, self.total, self.seed, self.progress = app, cases, seed, progress
        self.rng = random.Random(seed)
        self.tz = app.policy.tz
        self.horizon = app.clock().astimezone(self.tz) - timedelta(minutes=1)
        self.start = self.horizon - timedelta(days=30 * months)
        self.counts: Counter[str] = Counter()
        self.filed: list[Filed] = []
        self.filed_at: list[datetime] = []
        self._persons = 0

    def run(self) -> SeedSummary:
        began, head = time.perf_counter(), self.app.recorder.max_notification_id() or 0
        tree = Tree(self.app, self.rng, self.seed, self.start - timedelta(days=30))
        province = tree.build()
        if tree.replayed:
            raise ValueError(
                f"This store was seeded with seed {self.seed} already; "
                "choose another seed to add more petitions."
            )
        self.orgs_by_level = {lv: [o for o in tree.orgs if o.level is lv] for lv in OrgLevel}
        self.province = province
        sessions = tree.sessions(self.start.date(), self.horizon.date())
        self._run_lives(self._arrivals(sessions))
        events = (self.app.recorder.max_notification_id() or 0) - head
        return SeedSummary(
            self.total,
            events,
            len(tree.orgs),
            len(tree.leaders),
            time.perf_counter() - began,
            dict(self.counts),
        )

    # ------------------------------------------------------------------ planning

    def _arrivals(self, sessions: list[Session]) -> list[Arrival]:
        rng, span = self.rng, (self.horizon - self.start).total_seconds()
        channels = [c for _, c in CHANNELS]
        channel_w = [w for w, _ in CHANNELS]
        subjects, subject_w = SUBJECTS, [s.weight for s in SUBJECTS]
        levels, level_w = [lv for _, lv in RECEIVING_LEVELS], [w for w, _ in RECEIVING_LEVELS]
        session_w = list(_cumulative(s.pull for s in sessions))
        out = []
        for i in range(self.total):
            channel = rng.choices(channels, channel_w)[0]
            subject = rng.choices(subjects, subject_w)[0]
            session = None
            if channel is Channel.VISIT and sessions:
                session = rng.choices(sessions, cum_weights=session_w)[0]
                org = session.org
                at = datetime.combine(session.on, datetime.min.time(), self.tz) + timedelta(
                    minutes=rng.randint(8 * 60 + 30, 16 * 60 + 30)
                )
                at = min(at, self.horizon - timedelta(hours=1))
            else:
                org = rng.choice(self.orgs_by_level[rng.choices(levels, level_w)[0]])
                at = self.start + timedelta(seconds=rng.random() * span)
                if channel is not Channel.ONLINE:  # letters, calls and faxes in office hours
                    at = at.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59))
                    at = min(at, self.horizon - timedelta(hours=1))
            out.append(Arrival(at, i, channel, org, subject, session))
        out.sort(key=lambda a: (a.at, a.index))
        return out

    def _run_lives(self, arrivals: list[Arrival]) -> None:
        queue: list[tuple[datetime, int, Iterator[datetime]]] = []
        seq = 0

        def advance(life: Iterator[datetime]) -> None:
            nonlocal seq
            at = next(life, None)
            if at is not None and at <= self.horizon:  # steps after "now" have not happened
                seq += 1
                heapq.heappush(queue, (at, seq, life))

        for done, arrival in enumerate(arrivals):
            while queue and queue[0][0] <= arrival.at:
                advance(heapq.heappop(queue)[2])
            advance(Life(self, arrival).steps())
            if self.progress and (done % 50 == 0):
                self.progress(done, self.total)
        while queue:
            advance(heapq.heappop(queue)[2])
        if self.progress:
            self.progress(self.total, self.total)

    # ------------------------------------------------------- services for a life

    def petition(self, arrival: Arrival) -> dict[str, Any]:
        """Registration fields: a new matter, or (sometimes) a repeat of an earlier one."""
        prior = self._prior(arrival) if self.rng.random() < REPEAT_ODDS else None
        if prior is not None:
            arrival.subject = prior.subject  # the same matter, screened as such
            return dict(
                petitioners=prior.petitioners,
                headcount=prior.headcount,
                representatives=prior.representatives,
                subject=prior.subject.subject,
                request=prior.subject.request,
                prior_case_id=prior.id,
            )
        rng, subject = self.rng, arrival.subject
        if rng.random() < subject.collective_odds:
            reps = rng.randint(1, 5)
            people = tuple(self._person() for _ in range(reps))
            headcount = max(5, reps, int(rng.paretovariate(1.6) * 6))
            representatives = tuple(p.name for p in people)
        else:
            people, headcount, representatives = (self._person(),), rng.choice((1, 1, 1, 2)), ()
        return dict(
            petitioners=people,
            headcount=headcount,
            representatives=representatives,
            subject=subject.subject,
            request=subject.request,
        )

    def remember(self, case_id: UUID, arrival: Arrival, fields: dict[str, Any]) -> None:
        subject = arrival.subject
        self.filed.append(
            Filed(
                case_id,
                arrival.at,
                arrival.org,
                subject,
                fields["petitioners"],
                fields["headcount"],
                fields["representatives"],
            )
        )
        self.filed_at.append(arrival.at)

    def prior_state(self, case_id: UUID) -> tuple[bool, Status]:
        """(is final, status) of a prior case as the office sees it at the repeat's screening."""
        prior = self.app.get(Case, case_id)
        return prior.is_final, prior.status

    def done(self, name: str, result: CommandResult) -> CommandResult:
        self.counts[name] += 1
        return result

    def _prior(self, arrival: Arrival) -> Filed | None:
        # an earlier petition on the same matter, filed at least six weeks before
        end = bisect_left(self.filed_at, arrival.at - timedelta(days=42))
        if not end:
            return None
        return self.filed[self.rng.randrange(max(0, end - 3000), end)]

    def _person(self) -> Petitioner:
        self._persons += 1
        n, rng = self._persons, self.rng
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 62))
        return Petitioner(
            person_name(n),
            id_number(n, born),
            phone(n),
            address(self.rng.choice(("县城", "镇上", "村里")), n),
        )


def _cumulative(weights: Iterator[float] | Any) -> Iterator[float]:
    total = 0.0
    for w in weights:
        total += w
        yield total
