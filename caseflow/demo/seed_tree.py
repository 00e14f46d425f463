"""The demo seed's org tree (province → cities → counties → townships), its leaders, and the
calendar of their reception sessions (接访日, 下访), registered through `CaseflowApp`."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from caseflow.demo.seed_data import CITY_STEMS, PLACES, TITLES, TOWN_SUFFIXES, person_name
from caseflow.domain.values import OrgLevel, VisitMode
from caseflow.services.app import Actor, CaseflowApp, Context

# Days between reception sessions, a little more often than the default quota asks
# (province half-yearly, city quarterly, county monthly, township weekly).
CADENCE_DAYS = {
    OrgLevel.PROVINCE: 120,
    OrgLevel.CITY: 60,
    OrgLevel.COUNTY: 21,
    OrgLevel.TOWNSHIP: 7,
}
# How many petitioners a session draws, relative to a township reception day.
PULL = {OrgLevel.PROVINCE: 8.0, OrgLevel.CITY: 5.0, OrgLevel.COUNTY: 3.0, OrgLevel.TOWNSHIP: 1.0}
DOWNWARD_PULL = 40.0  # a leader's down-visit day at a county draws crowds (436 batches, once)


@dataclass(eq=False)
class OrgNode:
    id: UUID
    name: str
    level: OrgLevel
    parent: OrgNode | None
    code: str
    children: list[OrgNode] = field(default_factory=list)
    leaders: list[LeaderRef] = field(default_factory=list)

    @property
    def county(self) -> OrgNode | None:
        """The county this org belongs to (itself for a county)."""
        node: OrgNode | None = self
        while node is not None and node.level is not OrgLevel.COUNTY:
            node = node.parent
        return node

    def below(self, level: OrgLevel) -> list[OrgNode]:
        found = [c for c in self.children if c.level is level]
        return found or [g for c in self.children for g in c.below(level)]


@dataclass(frozen=True, eq=False)
class LeaderRef:
    id: UUID
    name: str
    title: str
    org: OrgNode


@dataclass(frozen=True)
class Session:
    """A leader receiving petitioners on a day: a reception day or a down-visit to a county."""

    leader: LeaderRef
    on: date
    mode: VisitMode
    org: OrgNode  # where petitioners are received (the leader's org, or the county visited)
    pull: float


class Tree:
    def __init__(self, app: CaseflowApp, rng: random.Random, seed: int, at: datetime):
        self.app, self.rng, self.seed, self.at = app, rng, seed, at
        self.orgs: list[OrgNode] = []
        self.leaders: list[LeaderRef] = []
        self._names = 0
        self.replayed = False  # the tree was registered before (same seed, same store)

    def build(self, cities: int = 4) -> OrgNode:
        """Register the whole tree; returns the province."""
        province = self._org("测试省", OrgLevel.PROVINCE, None)
        for c in range(cities):
            city = self._org(f"测试{CITY_STEMS[c]}市", OrgLevel.CITY, province)
            for _ in range(self.rng.randint(3, 4)):
                place = PLACES[len(self.orgs) % len(PLACES)]
                county = self._org(f"测试{place}县", OrgLevel.COUNTY, city)
                for t in range(self.rng.randint(2, 3)):
                    suffix = TOWN_SUFFIXES[t % len(TOWN_SUFFIXES)]
                    self._org(f"{county.name}第{t + 1}{suffix}", OrgLevel.TOWNSHIP, county)
        return province

    def sessions(self, start: date, end: date) -> list[Session]:
        """Every leader's reception days in [start, end], plus down-visit days of the higher-ups."""
        out = []
        for leader in self.leaders:
            level, step = leader.org.level, CADENCE_DAYS[leader.org.level]
            day = start + timedelta(days=self.rng.randrange(step))
            while day <= end:
                # county offices often receive jointly with the departments concerned (联合接访)
                joint = level is OrgLevel.COUNTY and self.rng.random() < 0.25
                mode = VisitMode.JOINT if joint else VisitMode.RECEPTION
                out.append(Session(leader, day, mode, leader.org, PULL[level]))
                if level in (OrgLevel.PROVINCE, OrgLevel.CITY) and self.rng.random() < 0.5:
                    county = self.rng.choice(leader.org.below(OrgLevel.COUNTY))
                    visit_day = day + timedelta(days=self.rng.randint(3, 20))
                    if visit_day <= end:
                        out.append(
                            Session(leader, visit_day, VisitMode.DOWNWARD, county, DOWNWARD_PULL)
                        )
                day += timedelta(days=step + self.rng.randint(-2, 2))
        return out

    # ------------------------------------------------------------------ helpers

    def _ctx(self, kind: str, n: int) -> Context:
        key = f"seed-{self.seed}-{kind}-{n}"
        return Context(
            actor=Actor("seed-operator", "operator"),
            correlation_id=key,
            idempotency_key=key,
            request_hash=key,
            occurred_at=self.at,
        )

    def _org(self, name: str, level: OrgLevel, parent: OrgNode | None) -> OrgNode:
        n = len(self.orgs)
        result = self.app.register_org(
            self._ctx("org", n), name=name, level=level, parent_id=parent.id if parent else None
        )
        self.replayed |= result.replayed
        node = OrgNode(result.id, name, level, parent, f"{level.value[:2]}{n:03d}")
        if parent:
            parent.children.append(node)
        self.orgs.append(node)
        titles = TITLES[level]
        for title in titles[: self.rng.randint(1, len(titles))]:
            self._names += 1
            leader_name = person_name(self._names * 7 + 3)
            ref = self.app.register_leader(
                self._ctx("leader", len(self.leaders)),
                name=leader_name,
                title=title,
                org_id=node.id,
            )
            leader = LeaderRef(ref.id, leader_name, title, node)
            node.leaders.append(leader)
            self.leaders.append(leader)
        return node
