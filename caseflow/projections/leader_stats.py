"""`leader_stats`: per leader and period, reception work and the cases the leader owns (包案).

Every counter is kept for the five periods containing the day that puts it in a period (week,
month, quarter, half-year, year; keys from `periods.keys_of`). Definitions, in the order of
`COLUMNS`:

- reception_days  distinct local days with at least one visit by the leader (any mode: 接访,
                  约访, 下访, 回访, joint), by `visited_on`.
- batches         批次: visit events by the leader, by `visited_on`.
- person_times    人次: sum of `visitors` over those visits, by `visited_on`.
- resolved_on_site visits by the leader flagged `resolved_on_site`, by `visited_on`.
- owned           包案: cases whose *current* responsible leader is this leader, counted in the
                  period of the day the leader was assigned the case (local date of the
                  `assigned` event). A re-assignment to another leader moves the case: it leaves
                  the old leader's period of assignment and enters the new leader's period of
                  re-assignment. Re-assigning to the same leader (say, a new handler) changes
                  nothing here.
- owned_resolved  owned cases resolved, by the local date the written reply was served. A case
                  cannot be re-assigned after resolution, so its owner at resolution is final.
- owned_on_time   of those, served on or before accepted day + handling days (60) + granted
                  extensions: the handling clock of DESIGN §3.
- satisfied, basically_satisfied, dissatisfied
                  the petitioner's rating of the resolution stage of owned cases, counted in the
                  period of the resolution (so the counts sit beside `owned_resolved`). Ratings
                  of the review and re-check stages judge the reviewing body, not the owner.

Reception-frequency compliance is computed at query time from `reception_days` (see
`reception_quota`), because "pending" and "future" depend on today.

The fold below is pure: the store loads the per-case state and known leader-days that a batch
touches, the fold turns the batch into counter deltas and state changes, the store writes them
with the position in one transaction. A later event that changes an earlier fact (a
re-assignment) is handled from the per-case state, so live processing, replay and rebuild agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from caseflow.domain.policy import Policy
from caseflow.projections.base import Column, Projection, Rows, Table
from caseflow.projections.periods import keys_of
from caseflow.projections.source import LoggedEvent

COLUMNS = (
    "reception_days", "batches", "person_times", "resolved_on_site", "owned", "owned_resolved",
    "owned_on_time", "satisfied", "basically_satisfied", "dissatisfied",
)
(RECEPTION_DAYS, BATCHES, PERSON_TIMES, ON_SITE, OWNED, OWNED_RESOLVED, OWNED_ON_TIME,
 SATISFIED, BASICALLY_SATISFIED, DISSATISFIED) = range(len(COLUMNS))
RATING_COLUMN = {"satisfied": SATISFIED, "basically_satisfied": BASICALLY_SATISFIED,
                 "dissatisfied": DISSATISFIED}
CASE_EVENTS = frozenset({"case.screened", "case.assigned", "case.extended", "case.resolved",
                         "case.evaluated"})


@dataclass(slots=True)
class Ownership:
    """What the projection remembers about one accepted case (table `leader_stats_cases`)."""

    accepted_on: date | None = None
    extension_days: int = 0
    leader_id: UUID | None = None
    owned_on: date | None = None
    resolved_on: date | None = None


@dataclass(frozen=True, slots=True)
class LeaderRow:
    id: UUID
    org_id: UUID
    level: str
    name: str
    title: str
    registered_on: date


@dataclass(frozen=True, slots=True)
class OrgRow:
    id: UUID
    parent_id: UUID | None
    level: str
    name: str


@dataclass
class Changes:
    """What one batch does to the view: counter deltas and state to upsert."""

    counters: dict[tuple[UUID, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0] * len(COLUMNS)))
    cases: dict[UUID, Ownership] = field(default_factory=dict)
    days: dict[tuple[UUID, date], int] = field(default_factory=dict)  # visits per leader-day
    leaders: list[LeaderRow] = field(default_factory=list)
    orgs: list[OrgRow] = field(default_factory=list)

    def bump(self, leader_id: UUID, day: date, column: int, n: int = 1) -> None:
        counters = self.counters
        for key in keys_of(day):
            counters[leader_id, key][column] += n


def wanted(events: Sequence[LoggedEvent]) -> tuple[set[UUID], set[tuple[UUID, date]]]:
    """The case ids and (leader, day) pairs whose stored state a batch needs."""
    cases, days = set(), set()
    for e in events:
        name = e.name
        if name == "case.visited":
            days.add((e.data["leader_id"], e.data["visited_on"]))
        elif name in CASE_EVENTS:
            cases.add(e.aggregate_id)
    return cases, days


def _counter(name: str) -> Column:
    return Column(name, "int", 0)


STATS, LEADERS, ORGS, CASES, DAYS = (
    "leader_stats", "leader_stats_leaders", "leader_stats_orgs", "leader_stats_cases",
    "leader_stats_days")
TABLES = (
    Table(STATS, (Column("leader_id", "uuid"), Column("period", "text"),
                  *map(_counter, COLUMNS)),
          key=("leader_id", "period"), indexes=(("period",),)),
    Table(LEADERS, (Column("leader_id", "uuid"), Column("org_id", "uuid"), Column("level", "text"),
                    Column("name", "text"), Column("title", "text"),
                    Column("registered_on", "date")),
          key=("leader_id",), indexes=(("org_id",), ("level",))),
    Table(ORGS, (Column("org_id", "uuid"), Column("parent_id", "uuid"), Column("level", "text"),
                 Column("name", "text")),
          key=("org_id",), indexes=(("parent_id",),)),
    Table(CASES, (Column("case_id", "uuid"), Column("accepted_on", "date"),
                  Column("extension_days", "int", 0), Column("leader_id", "uuid"),
                  Column("owned_on", "date"), Column("resolved_on", "date")),
          key=("case_id",)),
    Table(DAYS, (Column("leader_id", "uuid"), Column("day", "date"), Column("visits", "int", 0)),
          key=("leader_id", "day")),
)


class LeaderStats(Projection):
    """The `leader_stats` projection: the fold below, fed and written through `Rows`."""

    name = "leader_stats"
    tables = TABLES
    interests = CASE_EVENTS | {"case.visited", "leader.registered", "org.registered"}

    def __init__(self, policy: Policy):
        self.policy = policy

    def handle(self, events: Sequence[LoggedEvent], rows: Rows) -> None:
        """Load the state the batch touches, fold, write deltas and state in the batch."""
        case_ids, day_keys = wanted(events)
        rows.preload(CASES, [(i,) for i in case_ids])
        rows.preload(DAYS, day_keys)
        cases = {}
        for case_id in case_ids:
            row = rows.get(CASES, (case_id,))
            if row is not None:
                cases[case_id] = Ownership(row["accepted_on"], row["extension_days"],
                                           row["leader_id"], row["owned_on"], row["resolved_on"])
        known = {k for k in day_keys if rows.get(DAYS, k) is not None}
        changes = self.fold(events, cases, known)
        write(changes, rows)

    def fold(self, events: Sequence[LoggedEvent], cases: dict[UUID, Ownership],
             known_days: set[tuple[UUID, date]]) -> Changes:
        """`cases` and `known_days` are the stored state from `wanted` (mutated in place)."""
        out = Changes()
        handlers = self._handlers
        for e in events:
            handler = handlers.get(e.name)
            if handler is not None:
                handler(self, e, e.data, cases, known_days, out)
        return out

    def _visited(self, e: LoggedEvent, d: dict[str, Any], cases: dict, known: set,
                 out: Changes) -> None:
        leader, day = d["leader_id"], d["visited_on"]
        counters = out.counters
        on_site = 1 if d["resolved_on_site"] else 0
        new_day = (leader, day) not in known
        if new_day:
            known.add((leader, day))
        for key in keys_of(day):
            row = counters[leader, key]
            row[BATCHES] += 1
            row[PERSON_TIMES] += d["visitors"]
            row[ON_SITE] += on_site
            row[RECEPTION_DAYS] += new_day
        out.days[leader, day] = out.days.get((leader, day), 0) + 1

    def _screened(self, e: LoggedEvent, d: dict[str, Any], cases: dict, known: set,
                  out: Changes) -> None:
        if d["decision"] == "accept":
            state = cases.setdefault(e.aggregate_id, Ownership())
            state.accepted_on = self.policy.local_date(e.meta.occurred_at)
            out.cases[e.aggregate_id] = state

    def _assigned(self, e: LoggedEvent, d: dict[str, Any], cases: dict, known: set,
                  out: Changes) -> None:
        state = cases.setdefault(e.aggregate_id, Ownership())
        leader = d["leader_id"]
        if leader == state.leader_id:
            return
        if state.leader_id is not None and state.owned_on is not None:
            out.bump(state.leader_id, state.owned_on, OWNED, -1)
        state.leader_id, state.owned_on = leader, self.policy.local_date(e.meta.occurred_at)
        out.bump(leader, state.owned_on, OWNED)
        out.cases[e.aggregate_id] = state

    def _extended(self, e: LoggedEvent, d: dict[str, Any], cases: dict, known: set,
                  out: Changes) -> None:
        state = cases.setdefault(e.aggregate_id, Ownership())
        state.extension_days += d["days"]
        out.cases[e.aggregate_id] = state

    def _resolved(self, e: LoggedEvent, d: dict[str, Any], cases: dict, known: set,
                  out: Changes) -> None:
        state = cases.get(e.aggregate_id)
        if state is None or state.leader_id is None:
            return  # resolution requires an assignment; nothing to attribute otherwise
        policy = self.policy
        state.resolved_on = policy.local_date(d["served_at"])
        out.bump(state.leader_id, state.resolved_on, OWNED_RESOLVED)
        if state.accepted_on is not None and state.resolved_on <= policy.due(
                state.accepted_on, policy.handling_days + state.extension_days):
            out.bump(state.leader_id, state.resolved_on, OWNED_ON_TIME)
        out.cases[e.aggregate_id] = state

    def _evaluated(self, e: LoggedEvent, d: dict[str, Any], cases: dict, known: set,
                   out: Changes) -> None:
        if d["stage"] != "resolution":
            return
        state = cases.get(e.aggregate_id)
        if state is None or state.leader_id is None or state.resolved_on is None:
            return
        out.bump(state.leader_id, state.resolved_on, RATING_COLUMN[d["rating"]])

    def _leader(self, e: LoggedEvent, d: dict[str, Any], cases: dict, known: set,
                out: Changes) -> None:
        out.leaders.append(LeaderRow(e.aggregate_id, d["org_id"], str(d["level"]), d["name"],
                                     d["title"], self.policy.local_date(e.meta.occurred_at)))

    def _org(self, e: LoggedEvent, d: dict[str, Any], cases: dict, known: set,
             out: Changes) -> None:
        out.orgs.append(OrgRow(e.aggregate_id, d["parent_id"], str(d["level"]), d["name"]))

    _handlers = {
        "case.visited": _visited, "case.screened": _screened, "case.assigned": _assigned,
        "case.extended": _extended, "case.resolved": _resolved, "case.evaluated": _evaluated,
        "leader.registered": _leader, "org.registered": _org,
    }


def write(changes: Changes, rows: Rows) -> None:
    """Write one batch's changes. Counter rows are added even when their deltas net to zero, so
    that which rows exist does not depend on where batch boundaries fell."""
    for (leader_id, period), deltas in changes.counters.items():
        rows.add(STATS, (leader_id, period), **dict(zip(COLUMNS, deltas, strict=True)))
    for case_id, s in changes.cases.items():
        rows.put(CASES, {"case_id": case_id, "accepted_on": s.accepted_on,
                         "extension_days": s.extension_days, "leader_id": s.leader_id,
                         "owned_on": s.owned_on, "resolved_on": s.resolved_on})
    for key, visits in changes.days.items():
        rows.add(DAYS, key, visits=visits)
    for r in changes.leaders:
        rows.put(LEADERS, {"leader_id": r.id, "org_id": r.org_id, "level": r.level,
                           "name": r.name, "title": r.title, "registered_on": r.registered_on})
    for o in changes.orgs:
        rows.put(ORGS, {"org_id": o.id, "parent_id": o.parent_id, "level": o.level,
                        "name": o.name})
