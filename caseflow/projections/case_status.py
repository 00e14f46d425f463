"""`case_status`: one row per case — where it stands, who owns it, and its clock facts.

Clocks are not stored as verdicts: the row keeps the business times that start and stop them
(`ClockFacts`) and the due dates those imply (the limits are known when the event arrives), and
queries compare the dates with today's. So a case becomes overdue without any new event.
`next_due_on` is the earliest due date of the office's open duties (screening, handling,
review, re-check, oversight); a case is overdue when that date is before today. The petitioner's
windows (review, re-check request) are rights, not duties, and never make a case overdue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from caseflow.domain import clocks
from caseflow.domain.case import screened_status, status_after
from caseflow.domain.clocks import ClockFacts
from caseflow.domain.policy import Policy
from caseflow.domain.values import Decision, Status
from caseflow.projections.base import Column, Projection, Row, Rows, Table
from caseflow.projections.source import LoggedEvent

FACTS = tuple(ClockFacts.__dataclass_fields__)  # received_at … closed_at, extension_days
INTERESTS = frozenset(
    (
        "case.received",
        "case.screened",
        "case.assigned",
        "case.visited",
        "case.extended",
        "case.resolved",
        "case.evaluated",
        "case.review_requested",
        "case.reviewed",
        "case.recheck_requested",
        "case.rechecked",
        "case.supervised",
        "case.closed",
    )
)
DUE = (
    "screening_due_on",
    "forwarded_screening_due_on",
    "handling_due_on",
    "review_window_due_on",
    "review_due_on",
    "recheck_window_due_on",
    "recheck_due_on",
    "supervision_due_on",
)

CASE_STATUS = Table(
    "case_status",
    (
        Column("case_id", "uuid"),
        Column("status", "text"),
        Column("category", "text"),
        Column("channel", "text"),
        Column("receiving_org_id", "uuid"),
        Column("unit_id", "uuid"),
        Column("leader_id", "uuid"),
        Column("handler_id", "text"),
        Column("registered_by", "text"),
        Column("subject", "text"),
        Column("region", "text"),
        Column("headcount", "int"),
        Column("collective", "bool", False),
        Column("repeat", "bool", False),
        Column("prior_case_id", "uuid"),
        Column("decision", "text"),
        Column("outcome", "text"),
        Column("satisfaction", "text"),
        Column("satisfaction_stage", "text"),
        Column("supervision_level", "text"),
        Column("supervision_open", "bool", False),
        Column("forwarded_to_org_id", "uuid"),
        *(
            Column(
                f,
                "int" if f == "extension_days" else "timestamp",
                0 if f == "extension_days" else None,
            )
            for f in FACTS
        ),
        Column("received_on", "date"),
        *(Column(d, "date") for d in DUE),
        Column("next_due_on", "date"),
        Column("last_event", "text"),
        Column("last_event_at", "timestamp"),
        Column("version", "int"),
        Column("position", "int"),
    ),
    key=("case_id",),
    indexes=(
        # The list is newest first (received_at, case_id): each filter's index serves that order.
        # Org indexes carry the status (and the receiving org's the category): the totals of "my
        # subtree's cases in status S" (and category C) are then counted from the index alone.
        ("received_at", "case_id"),
        ("status", "received_at", "case_id"),
        ("receiving_org_id", "status", "received_at", "case_id", "category"),
        ("unit_id", "status", "received_at", "case_id"),
        ("forwarded_to_org_id", "status", "received_at", "case_id"),
        ("leader_id", "received_at", "case_id"),
        # Overdue and the rare flags (a repeat, open oversight, a non-accept decision) within an
        # org subtree: each index holds the orgs (the scope is tested on the index entry) and the
        # list order and id (a page is chosen from the index alone; infra/views/queries.py), so a
        # list and its total read only the index, and then the page's 50 rows.
        ("next_due_on", "receiving_org_id", "unit_id", "received_at", "case_id"),
        ("repeat", "received_at", "case_id", "receiving_org_id", "unit_id", "supervision_open"),
        ("supervision_open", "received_at", "case_id", "receiving_org_id", "unit_id"),
        ("decision", "received_at", "case_id", "receiving_org_id", "unit_id"),
    ),
)

# Who an accusation accuses (personal data, never shown): the lists leave these cases out for
# the accused org's staff and the accused leader. A table of its own, so that a store written
# before it gets it created empty -- which is exact, since no older event names the accused.
CASE_ACCUSED = Table(
    "case_accused",
    (
        Column("case_id", "uuid"),
        Column("accused_org_id", "uuid"),
        Column("accused_leader_id", "uuid"),
    ),
    key=("case_id",),
)

# Each stage's decision and the petitioner's rating of it, kept side by side (the case row's
# `outcome` and `satisfaction` are the latest of them).
CASE_STAGES = Table(
    "case_stages",
    (
        Column("case_id", "uuid"),
        Column("stage", "text"),
        Column("outcome", "text"),
        Column("served_at", "timestamp"),
        Column("rating", "text"),
        Column("evaluated_at", "timestamp"),
    ),
    key=("case_id", "stage"),
)
_DECISIONS = {"case.resolved": "resolution", "case.reviewed": "review", "case.rechecked": "recheck"}

# status after each event that changes it, from the domain's lifecycle (domain/case.py); a
# screening's depends on its decision
_STATUS = {
    name: status.value
    for name in INTERESTS - {"case.screened"}
    if (status := status_after(name)) is not None
}
_SCREENED = {d.value: screened_status(d).value for d in Decision}


# a clock's due-date column (the oversight clock's is named after the supervision)
def _due_column(clock: str) -> str:
    return "supervision_due_on" if clock == clocks.OVERSIGHT.name else f"{clock}_due_on"


# office duties (domain/clocks.py): (due date, the fact that discharges it)
_DUTIES = tuple(
    (_due_column(s.name), s.done) for s in (*clocks.SPECS, clocks.OVERSIGHT) if s.owner == "office"
)
# event → the clocks whose due date it can move (the facts it sets start them)
_MOVES = {
    "case.received": ("screening",),
    "case.screened": ("handling", "forwarded_screening"),
    "case.extended": ("handling",),
    "case.resolved": ("review_window",),
    "case.review_requested": ("review",),
    "case.reviewed": ("recheck_window",),
    "case.recheck_requested": ("recheck",),
}


def _v(value: Any) -> Any:
    """Enum members as their plain string value (both drivers then store them as text)."""
    return None if value is None else getattr(value, "value", value)


class CaseStatus(Projection):
    name = "case_status"
    tables = (CASE_STATUS, CASE_ACCUSED, CASE_STAGES)
    # 2: forwarded cases (forwarded_to_org_id, the receiving body's clock), case_accused and
    # case_stages (new tables and columns: added on an older store, a rebuild fills them)
    # 3: the overdue and flag indexes hold the orgs, the list order and the id; the receiving
    # org's index the category (indexes only: a rebuild drops the old ones)
    schema_version = 3
    interests = INTERESTS

    def __init__(self, policy: Policy):
        self.policy = policy
        # event → the due dates it can move: (due column, clock, the fact that starts it)
        self._dues = {
            event: tuple((_due_column(c), c, clocks.SPEC[c].start) for c in moved)
            for event, moved in _MOVES.items()
        }

    def handle(self, events: Sequence[LoggedEvent], rows: Rows) -> None:
        rows.preload(
            "case_status", {(e.aggregate_id,) for e in events if e.name != "case.received"}
        )
        rows.preload(
            "case_stages",
            {(e.aggregate_id, _v(e.data["stage"])) for e in events if e.name == "case.evaluated"},
        )
        for e in events:
            if e.name == "case.received":
                row = self.received(e)
                accused = e.data.get("accused_org_id"), e.data.get("accused_leader_id")
                if accused != (None, None):
                    rows.put(
                        "case_accused",
                        {
                            "case_id": e.aggregate_id,
                            "accused_org_id": accused[0],
                            "accused_leader_id": accused[1],
                        },
                    )
            else:
                found = rows.get("case_status", (e.aggregate_id,))
                if found is None:
                    raise LookupError(f"{e.name} for case {e.aggregate_id} that was never received")
                row = found
                self.apply(row, e)
            row["last_event"], row["last_event_at"] = e.name, e.recorded_at
            row["version"], row["position"] = e.version, e.position
            self.derive(row, e.name)
            rows.put("case_status", row)
            if e.name in _DECISIONS or e.name == "case.evaluated":
                self.stage(e, rows)

    def stage(self, e: LoggedEvent, rows: Rows) -> None:
        d = e.data
        if e.name in _DECISIONS:
            rows.put(
                "case_stages",
                {
                    "case_id": e.aggregate_id,
                    "stage": _DECISIONS[e.name],
                    "outcome": _v(d["outcome"]),
                    "served_at": d["served_at"],
                    "rating": None,
                    "evaluated_at": None,
                },
            )
            return
        stage = rows.get("case_stages", (e.aggregate_id, _v(d["stage"])))
        if stage is not None:  # a stage is rated only after its decision (Case.evaluate)
            stage["rating"], stage["evaluated_at"] = _v(d["rating"]), e.occurred_at
            rows.put("case_stages", stage)

    # ---------------------------------------------------------------- the fold

    def received(self, e: LoggedEvent) -> Row:
        d = e.data
        row: Row = dict.fromkeys(CASE_STATUS.column_names)
        row.update(
            case_id=e.aggregate_id,
            status=_STATUS["case.received"],
            category=_v(d.get("category")),
            channel=_v(d["channel"]),
            receiving_org_id=d["receiving_org_id"],
            registered_by=d.get("registered_by"),
            subject=d.get("subject"),
            region=d.get("region"),
            headcount=d.get("headcount"),
            # 集体访: the policy's headcount threshold (5 by default)
            collective=(d.get("headcount") or 1) >= self.policy.collective_headcount,
            repeat=d.get("prior_case_id") is not None,
            prior_case_id=d.get("prior_case_id"),
            supervision_open=False,
            extension_days=0,
            received_at=d["received_at"],
        )
        return row

    def apply(self, row: Row, e: LoggedEvent) -> None:
        name, d, at = e.name, e.data, e.meta.occurred_at
        if name in _STATUS:
            row["status"] = _STATUS[name]
        if name == "case.screened":
            decision = _v(d["decision"])
            if row["status"] == Status.FORWARDED:  # the decision of the body it was forwarded to
                row["forward_screened_at"] = at
            else:
                row["screened_at"] = at
            row["status"], row["decision"] = _SCREENED[decision], decision
            row["category"] = _v(d.get("category")) or row["category"]
            if decision == "accept":
                row["accepted_at"] = at
            elif decision == "forward":
                row["forwarded_to_org_id"], row["forwarded_at"] = d["to_org_id"], at
                row["forward_screened_at"] = None
        elif name == "case.assigned":
            row["unit_id"], row["leader_id"] = d["unit_id"], d["leader_id"]
            row["handler_id"] = d.get("handler_id")
        elif name == "case.extended":
            row["extension_days"] = (row["extension_days"] or 0) + d["days"]
        elif name == "case.resolved":
            row["resolved_at"], row["outcome"] = d["served_at"], _v(d["outcome"])
        elif name == "case.evaluated":
            row["satisfaction"] = _v(d["rating"])
            row["satisfaction_stage"] = _v(d.get("stage"))
        elif name == "case.review_requested":
            row["review_requested_at"] = at
        elif name == "case.reviewed":
            row["reviewed_at"], row["outcome"] = d["served_at"], _v(d["outcome"])
        elif name == "case.recheck_requested":
            row["recheck_requested_at"] = at
        elif name == "case.rechecked":
            row["rechecked_at"], row["outcome"] = d["served_at"], _v(d["outcome"])
        elif name == "case.supervised":
            row["supervision_level"] = _v(d.get("level"))
            if d.get("cleared"):
                row["supervision_open"], row["supervision_cleared_at"] = False, at
            else:
                row["supervision_open"], row["supervision_opened_at"] = True, at
                row["supervision_due_at"], row["supervision_cleared_at"] = d.get("due_at"), None
        elif name == "case.closed":
            row["closed_at"] = at

    def derive(self, row: Row, event: str) -> None:
        """Due dates from the facts, asked of `domain.clocks` (the rules live there); only
        those the event can change are recomputed (the others hold from earlier events)."""
        policy = self.policy
        for due, clock, start in self._dues.get(event, ()):
            started = row[start]
            row[due] = (
                None
                if started is None
                else clocks.due_on(clock, started, policy, row["extension_days"] or 0)
            )
        if event == "case.received":
            row["received_on"] = self._local_date(row["received_at"])
        elif event == "case.supervised":
            due_at = row["supervision_due_at"]
            row["supervision_due_on"] = (
                clocks.oversight_due_on(due_at, policy)
                if row["supervision_opened_at"] and due_at is not None
                else None
            )
        open_duties = []
        if row["closed_at"] is None:
            for due, done in _DUTIES:
                if row[due] is not None and row[done] is None:
                    open_duties.append(row[due])
        row["next_due_on"] = min(open_duties) if open_duties else None

    def _local_date(self, moment: datetime | None) -> date | None:
        return None if moment is None else moment.astimezone(self.policy.tz).date()


def clock_facts(row: Row) -> ClockFacts:
    """The row's clock facts, for `domain.clocks.case_clocks` at query time."""
    return ClockFacts(**{f: row[f] for f in FACTS})
