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

Counters stay with the leader's id whatever org they hold: a moved leader's statistics follow
them. The leaders, orgs and terms tables (names, current org and level, the term of office) are
kept by `leader_terms`.

Reception-frequency compliance is computed at query time from `reception_days` and the term (see
`reception_quota`), because "pending" and "future" depend on today.

The fold below is pure: the store loads the per-case state and known leader-days that a batch
touches, the fold turns the batch into counter deltas and state changes, the store writes them
with the position in one transaction. A later event that changes an earlier fact (a
re-assignment) is handled from the per-case state, so live processing, replay and rebuild agree.

Reception days are the one count that spans cases: two cases' visits by one leader on one day
make one reception day. A rebuild split by case (`split`) counts the visits of its own cases into
`leader_stats_days` (added: the shares' counts sum) and leaves reception days to `merge`, which
counts one for each (leader, day) row once all shares are folded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from caseflow.domain import clocks
from caseflow.domain.policy import Policy
from caseflow.projections import leader_terms
from caseflow.projections.base import Column, Projection, Rows, Table, org_table
from caseflow.projections.periods import PeriodCounters
from caseflow.projections.source import LoggedEvent

COLUMNS = (
    "reception_days",
    "batches",
    "person_times",
    "resolved_on_site",
    "owned",
    "owned_resolved",
    "owned_on_time",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
)
(
    RECEPTION_DAYS,
    BATCHES,
    PERSON_TIMES,
    ON_SITE,
    OWNED,
    OWNED_RESOLVED,
    OWNED_ON_TIME,
    SATISFIED,
    BASICALLY_SATISFIED,
    DISSATISFIED,
) = range(len(COLUMNS))
RATING_COLUMN = {
    "satisfied": SATISFIED,
    "basically_satisfied": BASICALLY_SATISFIED,
    "dissatisfied": DISSATISFIED,
}
CASE_EVENTS = frozenset(
    {"case.screened", "case.assigned", "case.extended", "case.resolved", "case.evaluated"}
)


# What the projection remembers about one accepted case (a row of `leader_stats_cases`): the
# accepted day and extensions (the handling clock), the current owner and the day they were
# assigned it, and the resolution day (where ratings are counted).
CaseRow = dict[str, Any]


@dataclass
class Changes:
    """What one batch does to the view: counter deltas and rows to upsert."""

    counters: PeriodCounters = field(default_factory=lambda: PeriodCounters(len(COLUMNS)))
    cases: dict[UUID, CaseRow] = field(default_factory=dict)  # changed state rows
    days: dict[tuple[UUID, date], int] = field(default_factory=dict)  # visits per leader-day


def wanted(
    events: Sequence[LoggedEvent], split: bool = False
) -> tuple[set[UUID], set[tuple[UUID, date]]]:
    """The case ids and (leader, day) pairs whose stored state a batch needs (no days when
    `split`: `merge` counts them). (A screening creates its case's state: screening happens
    once, right after registration.)"""
    cases, days = set(), set()
    for e in events:
        name = e.name
        if name == "case.visited":
            if split:
                continue
            days.add((e.data["leader_id"], e.data["visited_on"]))
        elif name in CASE_EVENTS and name != "case.screened":
            cases.add(e.aggregate_id)
    return cases, days


def _counter(name: str) -> Column:
    return Column(name, "int", 0)


STATS, LEADERS, ORGS, CASES, DAYS = (
    "leader_stats",
    "leader_stats_leaders",
    "leader_stats_orgs",
    "leader_stats_cases",
    "leader_stats_days",
)
TABLES = (
    Table(
        STATS,
        (Column("leader_id", "uuid"), Column("period", "text"), *map(_counter, COLUMNS)),
        key=("leader_id", "period"),
        indexes=(("period",),),
    ),
    Table(
        LEADERS,
        (
            Column("leader_id", "uuid"),
            Column("org_id", "uuid"),
            Column("level", "text"),
            Column("name", "text"),
            Column("title", "text"),
            Column("registered_on", "date"),
        ),
        key=("leader_id",),
        indexes=(("org_id",), ("level",)),
    ),
    org_table(ORGS),
    Table(
        CASES,
        (
            Column("case_id", "uuid"),
            Column("accepted_on", "date"),
            Column("extension_days", "int", 0),
            Column("leader_id", "uuid"),
            Column("owned_on", "date"),
            Column("resolved_on", "date"),
        ),
        key=("case_id",),
    ),
    Table(
        DAYS,
        (Column("leader_id", "uuid"), Column("day", "date"), Column("visits", "int", 0)),
        key=("leader_id", "day"),
    ),
    leader_terms.TERMS_TABLE,
    leader_terms.POSTINGS_TABLE,
)


class LeaderStats(Projection):
    """The `leader_stats` projection: the fold below, fed and written through `Rows`."""

    name = "leader_stats"
    # 2: leaders carry their term (leader_stats_terms and _postings, created empty on an older
    # store: exact, see `leader_terms`), follow moves and renames; orgs follow renames
    schema_version = 2
    tables = TABLES
    interests = CASE_EVENTS | {"case.visited"} | leader_terms.EVENTS

    def __init__(self, policy: Policy):
        self.policy = policy

    def handle(self, events: Sequence[LoggedEvent], rows: Rows) -> None:
        """Load the state the batch touches, fold, write deltas and state in the batch."""
        case_ids, day_keys = wanted(events, self.split)
        rows.preload(CASES, [(i,) for i in case_ids])
        rows.preload(DAYS, day_keys)
        cases = {}
        for case_id in case_ids:
            row = rows.get(CASES, (case_id,))
            if row is not None:
                cases[case_id] = row
        known = {k for k in day_keys if rows.get(DAYS, k) is not None}
        write(self.fold(events, cases, known), rows)
        leader_terms.apply(events, rows, self.policy)

    def fold(
        self,
        events: Sequence[LoggedEvent],
        cases: dict[UUID, CaseRow],
        known_days: set[tuple[UUID, date]],
    ) -> Changes:
        """`cases` and `known_days` are the stored state from `wanted` (mutated in place)."""
        out = Changes()
        handlers, changed = self._handlers, out.cases
        for e in events:
            name = e.name
            if name == "case.visited":
                self._visited(e.data, known_days, out)
            elif name == "case.screened":
                self._screened(e, e.data, cases, out)
            elif name in CASE_EVENTS:
                state = cases.get(e.aggregate_id)
                # (None only for a case never accepted: such a case has no owner to count for)
                if state is not None and handlers[name](self, e, e.data, state, out):
                    changed[e.aggregate_id] = state
        return out

    def _visited(self, d: dict[str, Any], known: set[Any], out: Changes) -> None:
        leader, day = d["leader_id"], d["visited_on"]
        row = out.counters.row(leader, day)
        row[BATCHES] += 1
        row[PERSON_TIMES] += d["visitors"]
        if d["resolved_on_site"]:
            row[ON_SITE] += 1
        if not self.split and (leader, day) not in known:
            known.add((leader, day))
            row[RECEPTION_DAYS] += 1
        out.days[leader, day] = out.days.get((leader, day), 0) + 1

    def _screened(
        self, e: LoggedEvent, d: dict[str, Any], cases: dict[Any, Any], out: Changes
    ) -> None:
        if d["decision"] == "accept":
            cases[e.aggregate_id] = out.cases[e.aggregate_id] = {
                "case_id": e.aggregate_id,
                "extension_days": 0,
                "leader_id": None,
                "owned_on": None,
                "resolved_on": None,
                "accepted_on": self.policy.local_date(e.meta.occurred_at),
            }

    def _assigned(self, e: LoggedEvent, d: dict[str, Any], state: CaseRow, out: Changes) -> bool:
        leader, previous = d["leader_id"], state["leader_id"]
        if leader == previous:
            return False
        if previous is not None:
            out.counters.bump(previous, state["owned_on"], OWNED, -1)
        state["leader_id"] = leader
        state["owned_on"] = day = self.policy.local_date(e.meta.occurred_at)
        out.counters.bump(leader, day, OWNED)
        return True

    def _extended(self, e: LoggedEvent, d: dict[str, Any], state: CaseRow, out: Changes) -> bool:
        state["extension_days"] += d["days"]
        return True

    def _resolved(self, e: LoggedEvent, d: dict[str, Any], state: CaseRow, out: Changes) -> bool:
        leader = state["leader_id"]
        if leader is None:
            return False  # resolution requires an assignment: nothing to attribute otherwise
        policy = self.policy
        state["resolved_on"] = day = policy.local_date(d["served_at"])
        row = out.counters.row(leader, day)
        row[OWNED_RESOLVED] += 1
        if clocks.on_time(
            day,
            clocks.due_on("handling", state["accepted_on"], policy, state["extension_days"]),
            policy,
        ):
            row[OWNED_ON_TIME] += 1
        return True

    def _evaluated(self, e: LoggedEvent, d: dict[str, Any], state: CaseRow, out: Changes) -> bool:
        if d["stage"] == "resolution" and state["resolved_on"] is not None:
            out.counters.bump(state["leader_id"], state["resolved_on"], RATING_COLUMN[d["rating"]])
        return False

    def merge(self, rows: Rows) -> None:
        """One reception day per (leader, day) the shares' visits made (they counted none)."""
        counters = PeriodCounters(len(COLUMNS))
        for day in rows.scan(DAYS):
            counters.bump(day["leader_id"], day["day"], RECEPTION_DAYS)
        write(Changes(counters=counters), rows)

    _handlers = {
        "case.assigned": _assigned,
        "case.extended": _extended,
        "case.resolved": _resolved,
        "case.evaluated": _evaluated,
    }


def write(changes: Changes, rows: Rows) -> None:
    """Write one batch's changes. Counter rows are added even when their deltas net to zero, so
    that which rows exist does not depend on where batch boundaries fell."""
    for (leader_id, period), deltas in changes.counters.by_period().items():
        rows.add(STATS, (leader_id, period), **dict(zip(COLUMNS, deltas, strict=True)))
    for row in changes.cases.values():
        rows.put(CASES, row)
    for key, visits in changes.days.items():
        rows.add(DAYS, key, visits=visits)
