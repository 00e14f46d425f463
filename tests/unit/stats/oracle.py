"""The statistics computed the naive way, from the whole history at once (no state tables, no
batches): an independent oracle for the incremental projections."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from caseflow.domain.policy import Policy
from caseflow.projections.periods import keys_of
from caseflow.projections.source import LoggedEvent

Counts = dict[tuple[Any, str], Counter]


def _cases(events: list[LoggedEvent], policy: Policy) -> dict[Any, dict[str, Any]]:
    cases: dict[Any, dict[str, Any]] = {}
    for e in events:
        d, c = e.data, cases.get(e.aggregate_id)
        day = policy.local_date(e.meta.occurred_at)
        if e.name == "case.received":
            cases[e.aggregate_id] = {
                "org": d["receiving_org_id"],
                "received_on": policy.local_date(d["received_at"]),
                "prior": d.get("prior_case_id"),
                "screened_on": None,
                "accepted_on": None,
                "assignments": [],
                "extension": 0,
                "resolved_on": None,
                "rating": None,
                "review": False,
            }
        elif e.name == "case.screened":
            c["screened_on"] = day
            if d["decision"] == "accept":
                c["accepted_on"] = day
        elif e.name == "case.assigned":
            c["assignments"].append((d["unit_id"], d["leader_id"], day))
        elif e.name == "case.extended":
            c["extension"] += d["days"]
        elif e.name == "case.resolved":
            c["resolved_on"] = policy.local_date(d["served_at"])
        elif e.name == "case.evaluated" and d["stage"] == "resolution":
            c["rating"] = str(d["rating"])
        elif e.name == "case.review_requested":
            c["review"] = True
    return cases


def _on_time(c: dict[str, Any], policy: Policy) -> bool:
    return c["resolved_on"] <= policy.due(c["accepted_on"], policy.handling_days + c["extension"])


def kpis(events: list[LoggedEvent], policy: Policy) -> Counts:
    cases = _cases(events, policy)
    repeated = {c["prior"] for c in cases.values() if c["prior"]}
    out: Counts = defaultdict(Counter)
    for case_id, c in cases.items():
        for key in keys_of(c["received_on"]):
            row = out[c["org"], key]
            row["received"] += 1
            row["repeat"] += c["prior"] is not None
            if c["screened_on"] is not None:
                row["screened"] += 1
                row["screened_on_time"] += c["screened_on"] <= policy.due(
                    c["received_on"], policy.screening_days
                )
        if c["resolved_on"] is None:
            continue
        unit = c["assignments"][-1][0]
        for key in keys_of(c["resolved_on"]):
            row = out[unit, key]
            row["resolved"] += 1
            row["resolved_on_time"] += _on_time(c, policy)
            row["first_time"] += not c["review"] and case_id not in repeated
            if c["rating"]:
                row["evaluated"] += 1
                row[c["rating"]] += 1
    return out


def leader_stats(events: list[LoggedEvent], policy: Policy) -> Counts:
    out: Counts = defaultdict(Counter)
    days = set()
    for e in events:
        if e.name == "case.visited":
            d = e.data
            for key in keys_of(d["visited_on"]):
                row = out[d["leader_id"], key]
                row["batches"] += 1
                row["person_times"] += d["visitors"]
                row["resolved_on_site"] += bool(d["resolved_on_site"])
            days.add((d["leader_id"], d["visited_on"]))
    for leader, day in days:
        for key in keys_of(day):
            out[leader, key]["reception_days"] += 1
    for c in _cases(events, policy).values():
        if not c["assignments"]:
            continue
        owner = c["assignments"][-1][1]
        owned_on = c["assignments"][-1][2]
        for _, leader, day in reversed(c["assignments"]):  # start of the owner's last run
            if leader != owner:
                break
            owned_on = day
        for key in keys_of(owned_on):
            out[owner, key]["owned"] += 1
        if c["resolved_on"] is None:
            continue
        for key in keys_of(c["resolved_on"]):
            row = out[owner, key]
            row["owned_resolved"] += 1
            row["owned_on_time"] += _on_time(c, policy)
            if c["rating"]:
                row[c["rating"]] += 1
    return out
