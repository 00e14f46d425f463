"""`kpis`: the rates supervisors are judged by, per org and period.

Each rate is stored as its numerator and denominator counts (`COLUMNS`), per org and for the five
periods (week, month, quarter, half-year, year) containing the day that puts a case in a period;
the ratio is computed at query time (null when the denominator is 0). Roll-ups over an org's
subtree are sums of these counts, so they are exact too.

Screening KPIs belong to the *receiving org* and the period of the *received date*; handling KPIs
belong to the *responsible unit* (the unit of the latest assignment, which is final once the
case is resolved) and the period of the *resolution date* (local date the reply was served).

- 及时受理率 timely screening rate = screened_on_time / (screened + screening_overdue)
    screened: cases screened (any decision: accept, forward, reject, route);
    screened_on_time: screened on or before received day + 15 days (screening clock).
    Org: receiving org. Period: received date. A forwarded (转送) petition is screened again by
    the body it was forwarded to: that decision counts for that body, on time when made on or
    before the forward day + 15 days, in the period of the forward day.
    screening_overdue: cases not screened whose screening due day has passed, in the period of
    that due day; counted at query time from `kpis_unscreened` (it depends on today). A case
    screened late leaves it and counts as screened late in its received date's period.
- 按期办结率 on-time resolution rate = resolved_on_time / resolved
    resolved: cases resolved (written reply served);
    resolved_on_time: served on or before accepted day + 60 days + granted extensions
    (handling clock). Org: responsible unit. Period: resolution date.
- 参评率 evaluation participation rate = evaluated / resolved
    evaluated: resolved cases whose petitioner rated the resolution stage (whenever the rating
    came, it counts in the period of the resolution). Org: responsible unit.
- 满意率 satisfaction rate = (satisfied + basically_satisfied) / evaluated
    ratings of the resolution stage, same cohort as 参评率. Review and re-check stage ratings
    judge the reviewing bodies and are not counted here.
- 重复信访率 repeat-petition rate = repeat / received
    received: cases registered; repeat: those naming a prior case (prior_case_id).
    Org: receiving org. Period: received date.
- 一次性化解率 first-time resolution rate = first_time / resolved
    first_time: resolved cases with no review request and no repeat petition naming them. It is
    counted when the case is resolved and taken back (in the period of the resolution) when a
    review is requested or a repeat petition names the case, whenever that happens; a repeat
    petition registered before the resolution means it was never a first-time resolution.
    Org: responsible unit. Period: resolution date.

The fold is pure: the store loads the per-case state a batch touches (the batch's cases and the
prior cases that its repeat petitions name), the fold returns counter deltas and changed state.

A repeat petition is the one fact that spans cases: it changes the prior case's standing. Each is
kept in `kpis_repeats` (the new case → the prior case it names). A rebuild split by case (`split`)
folds a repeat petition with its own case and leaves the prior case to `merge`, which marks every
named prior case as repeated once all shares are folded. That gives exactly the rows of a fold in
log order, because the prior case's final standing does not depend on when the repeat came: a
resolution is a first-time resolution when, in the end, no review was asked and no repeat named
it (counted at the resolution and taken back later, or never counted, the sum is the same).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from caseflow.domain import clocks
from caseflow.domain.policy import Policy
from caseflow.projections.base import Column, Projection, Rows, Table, org_table
from caseflow.projections.periods import PeriodCounters
from caseflow.projections.source import LoggedEvent

COLUMNS = (
    "received",
    "repeat",
    "screened",
    "screened_on_time",
    "resolved",
    "resolved_on_time",
    "evaluated",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "first_time",
)
(
    RECEIVED,
    REPEAT,
    SCREENED,
    SCREENED_ON_TIME,
    RESOLVED,
    RESOLVED_ON_TIME,
    EVALUATED,
    SATISFIED,
    BASICALLY_SATISFIED,
    DISSATISFIED,
    FIRST_TIME,
) = range(len(COLUMNS))
RATING_COLUMN = {
    "satisfied": SATISFIED,
    "basically_satisfied": BASICALLY_SATISFIED,
    "dissatisfied": DISSATISFIED,
}

# Counted at query time, beside the stored COLUMNS (they depend on today).
OVERDUE = "screening_overdue"
# name → (numerator columns, denominator columns)
RATES = {
    "timely_screening": (("screened_on_time",), ("screened", OVERDUE)),
    "on_time_resolution": (("resolved_on_time",), ("resolved",)),
    "evaluation_participation": (("evaluated",), ("resolved",)),
    "satisfaction": (("satisfied", "basically_satisfied"), ("evaluated",)),
    "repeat_petition": (("repeat",), ("received",)),
    "first_time_resolution": (("first_time",), ("resolved",)),
}
CASE_EVENTS = frozenset(
    {
        "case.received",
        "case.screened",
        "case.assigned",
        "case.extended",
        "case.resolved",
        "case.evaluated",
        "case.review_requested",
    }
)


# What the projection remembers about one case (a row of `kpis_cases`): receiving org and day,
# accepted day, extensions, current unit, resolution day, and the flags first-time resolution
# depends on (`first_time` = counted in the `first_time` numerator right now).
CaseRow = dict[str, Any]


@dataclass
class Changes:
    """What one batch does to the view: counter deltas and changed state rows."""

    counters: PeriodCounters = field(default_factory=lambda: PeriodCounters(len(COLUMNS)))
    cases: dict[UUID, CaseRow] = field(default_factory=dict)


def rate(counts: dict[str, int], name: str) -> dict[str, Any]:
    """{numerator, denominator, ratio} of one rate from a row of counts; ratio None on 0/0."""
    numerators, denominators = RATES[name]
    num = sum(counts.get(c, 0) for c in numerators)
    den = sum(counts.get(c, 0) for c in denominators)
    return {"numerator": num, "denominator": den, "ratio": num / den if den else None}


def wanted(events: Sequence[LoggedEvent], split: bool = False) -> set[UUID]:
    """The case ids whose stored state a batch needs: those its events are about, and (unless
    `split`) the prior cases its repeat petitions name (a registration's own case is new:
    nothing to load)."""
    out = set()
    for e in events:
        if e.name == "case.received":
            if e.data.get("prior_case_id") and not split:
                out.add(e.data["prior_case_id"])
        elif e.name in CASE_EVENTS:
            out.add(e.aggregate_id)
    return out


def _counter(name: str) -> Column:
    return Column(name, "int", 0)


KPIS, ORGS, CASES, UNSCREENED, REPEATS = (
    "kpis",
    "kpis_orgs",
    "kpis_cases",
    "kpis_unscreened",
    "kpis_repeats",
)
TABLES = (
    Table(
        KPIS,
        (Column("org_id", "uuid"), Column("period", "text"), *map(_counter, COLUMNS)),
        key=("org_id", "period"),
        indexes=(("period",),),
    ),
    org_table(ORGS),
    Table(
        CASES,
        (
            Column("case_id", "uuid"),
            Column("org_id", "uuid"),
            Column("received_on", "date"),
            Column("accepted_on", "date"),
            Column("extension_days", "int", 0),
            Column("unit_id", "uuid"),
            Column("resolved_on", "date"),
            Column("review_requested", "bool", False),
            Column("repeated", "bool", False),
            Column("first_time", "bool", False),
        ),
        key=("case_id",),
    ),
    # Cases registered and not screened yet, with the last day to screen them in.
    Table(
        UNSCREENED,
        (Column("case_id", "uuid"), Column("org_id", "uuid"), Column("due_on", "date")),
        key=("case_id",),
        indexes=(("due_on",),),
    ),
    # Repeat petitions: the new case and the prior case it names (what `merge` completes).
    Table(REPEATS, (Column("case_id", "uuid"), Column("prior_case_id", "uuid")), key=("case_id",)),
)


class Kpis(Projection):
    """The `kpis` projection: the fold below, fed and written through `Rows`."""

    name = "kpis"
    # 2: org names follow renames; a forwarded petition is screened again there; screening
    # never done counts when overdue (kpis_unscreened)
    # 3: kpis_repeats (the repeat petitions a rebuild split by case merges)
    schema_version = 3
    tables = TABLES
    interests = CASE_EVENTS | {"org.registered", "org.renamed"}

    def __init__(self, policy: Policy):
        self.policy = policy

    def handle(self, events: Sequence[LoggedEvent], rows: Rows) -> None:
        """Load the per-case state the batch touches, fold, write deltas and state."""
        ids = wanted(events, self.split)
        rows.preload(CASES, [(i,) for i in ids])
        cases = {}
        for case_id in ids:
            row = rows.get(CASES, (case_id,))
            if row is not None:
                cases[case_id] = row
        changes = self.fold(events, cases)
        for (org_id, period), deltas in changes.counters.by_period().items():
            # added even when the deltas net to zero: rows must not depend on batch boundaries
            rows.add(KPIS, (org_id, period), **dict(zip(COLUMNS, deltas, strict=True)))
        for row in changes.cases.values():
            rows.put(CASES, row)
        policy = self.policy
        for e in events:
            if e.name == "case.received":
                prior_id = e.data.get("prior_case_id")
                if prior_id is not None:
                    rows.put(REPEATS, {"case_id": e.aggregate_id, "prior_case_id": prior_id})
                rows.put(
                    UNSCREENED,
                    {
                        "case_id": e.aggregate_id,
                        "org_id": e.data["receiving_org_id"],
                        "due_on": clocks.due_on("screening", e.data["received_at"], policy),
                    },
                )
            elif e.name == "case.screened" and str(e.data["decision"]) == "forward":
                # the body it went to owes its own decision, 15 days from the forward
                rows.put(
                    UNSCREENED,
                    {
                        "case_id": e.aggregate_id,
                        "org_id": e.data["to_org_id"],
                        "due_on": clocks.due_on("forwarded_screening", e.meta.occurred_at, policy),
                    },
                )
            elif e.name == "case.screened":
                rows.delete(UNSCREENED, (e.aggregate_id,))
            elif e.name == "org.registered":
                d = e.data
                rows.put(
                    ORGS,
                    {
                        "org_id": e.aggregate_id,
                        "parent_id": d["parent_id"],
                        "level": str(d["level"]),
                        "name": d["name"],
                    },
                )
            elif e.name == "org.renamed":
                org = rows.get(ORGS, (e.aggregate_id,))
                if org is not None:
                    rows.put(ORGS, {**org, "name": e.data["name"]})

    def fold(self, events: Sequence[LoggedEvent], cases: dict[UUID, CaseRow]) -> Changes:
        """`cases` holds the stored state rows of `wanted(events)` (mutated in place)."""
        out = Changes()
        handlers, changed = self._handlers, out.cases
        for e in events:
            name = e.name
            if name == "case.received":
                self._received(e, e.data, cases, out)
                continue
            handler = handlers.get(name)
            if handler is None:
                continue
            state = cases.get(e.aggregate_id)
            # (state is None only if the log lost a case's registration: nothing to count)
            if state is not None and handler(self, e, e.data, state, out):
                changed[e.aggregate_id] = state
        return out

    def _received(
        self, e: LoggedEvent, d: dict[str, Any], cases: dict[Any, Any], out: Changes
    ) -> None:
        org_id, day = d["receiving_org_id"], self.policy.local_date(d["received_at"])
        state = {
            "case_id": e.aggregate_id,
            "org_id": org_id,
            "received_on": day,
            "accepted_on": None,
            "extension_days": 0,
            "unit_id": None,
            "resolved_on": None,
            "review_requested": False,
            "repeated": False,
            "first_time": False,
        }
        cases[e.aggregate_id] = out.cases[e.aggregate_id] = state
        row = out.counters.row(org_id, day)
        row[RECEIVED] += 1
        prior_id = d.get("prior_case_id")
        if prior_id is None:
            return
        row[REPEAT] += 1
        if not self.split:  # (split: the prior case may be another share's, `merge` marks it)
            self._mark_repeated(prior_id, cases, out)

    def merge(self, rows: Rows) -> None:
        """Mark every prior case a repeat petition named (the shares left them)."""
        priors = {r["prior_case_id"] for r in rows.scan(REPEATS)}
        rows.preload(CASES, [(i,) for i in priors])
        cases = {i: row for i in priors if (row := rows.get(CASES, (i,))) is not None}
        out = Changes()
        for prior_id in priors:
            self._mark_repeated(prior_id, cases, out)
        for (org_id, period), deltas in out.counters.by_period().items():
            rows.add(KPIS, (org_id, period), **dict(zip(COLUMNS, deltas, strict=True)))
        for row in out.cases.values():
            rows.put(CASES, row)

    def _mark_repeated(self, prior_id: UUID, cases: dict[Any, Any], out: Changes) -> None:
        prior = cases.get(prior_id)
        if prior is not None and not prior["repeated"]:
            prior["repeated"] = True
            self._take_back_first_time(prior, out)
            out.cases[prior_id] = prior

    def _screened(self, e: LoggedEvent, d: dict[str, Any], state: CaseRow, out: Changes) -> bool:
        policy = self.policy
        screened_on = policy.local_date(e.meta.occurred_at)
        row = out.counters.row(state["org_id"], state["received_on"])
        row[SCREENED] += 1
        # After a forward `received_on` is the forward's day and the receiving body's clock
        # (`forwarded_screening`) runs; the case row does not say which, and both clocks have
        # the screening limit by law (clocks.LIMITS), so the screening clock judges both.
        if clocks.on_time(
            screened_on, clocks.due_on("screening", state["received_on"], policy), policy
        ):
            row[SCREENED_ON_TIME] += 1
        if d["decision"] == "forward":
            # 转送: the body it goes to decides on acceptance within 15 days of this day, and
            # that decision counts in its own rate, in the period of the forward.
            state["org_id"], state["received_on"] = d["to_org_id"], screened_on
            return True
        if d["decision"] != "accept":
            return False
        state["accepted_on"] = screened_on
        return True

    def _assigned(self, e: LoggedEvent, d: dict[str, Any], state: CaseRow, out: Changes) -> bool:
        if state["unit_id"] == d["unit_id"]:
            return False
        state["unit_id"] = d["unit_id"]
        return True

    def _extended(self, e: LoggedEvent, d: dict[str, Any], state: CaseRow, out: Changes) -> bool:
        state["extension_days"] += d["days"]
        return True

    def _resolved(self, e: LoggedEvent, d: dict[str, Any], state: CaseRow, out: Changes) -> bool:
        unit = state["unit_id"]
        if unit is None:
            return False  # resolution requires an assignment
        policy = self.policy
        state["resolved_on"] = day = policy.local_date(d["served_at"])
        row = out.counters.row(unit, day)
        row[RESOLVED] += 1
        accepted = state["accepted_on"]
        if accepted is not None and clocks.on_time(
            day, clocks.due_on("handling", accepted, policy, state["extension_days"]), policy
        ):
            row[RESOLVED_ON_TIME] += 1
        if not (state["review_requested"] or state["repeated"]):
            state["first_time"] = True
            row[FIRST_TIME] += 1
        return True

    def _evaluated(self, e: LoggedEvent, d: dict[str, Any], state: CaseRow, out: Changes) -> bool:
        if d["stage"] == "resolution" and state["resolved_on"] is not None:
            row = out.counters.row(state["unit_id"], state["resolved_on"])
            row[EVALUATED] += 1
            row[RATING_COLUMN[d["rating"]]] += 1
        return False

    def _review_requested(
        self, e: LoggedEvent, d: dict[str, Any], state: CaseRow, out: Changes
    ) -> bool:
        state["review_requested"] = True
        self._take_back_first_time(state, out)
        return True

    @staticmethod
    def _take_back_first_time(state: CaseRow, out: Changes) -> None:
        if state["first_time"]:
            state["first_time"] = False
            out.counters.bump(state["unit_id"], state["resolved_on"], FIRST_TIME, -1)

    _handlers = {
        "case.screened": _screened,
        "case.assigned": _assigned,
        "case.extended": _extended,
        "case.resolved": _resolved,
        "case.evaluated": _evaluated,
        "case.review_requested": _review_requested,
    }
