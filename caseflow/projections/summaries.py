"""One readable line per event for the audit trail ("Screened: accept (appeal)").

A summary is read by every role that reads the audit, analysts included, so it never quotes
free text (subject, reasons, replies): those stay in the payload, shown as the role may see it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

from caseflow.projections.source import LoggedEvent


def _v(value: Any) -> str:
    return "" if value is None else str(getattr(value, "value", value))


def _short(value: Any) -> str:
    return str(value)[:8] if value else "-"


def _day(moment: Any) -> str:
    return moment.date().isoformat() if hasattr(moment, "date") else _v(moment)


def _screened(d: dict[str, Any]) -> str:
    decision = _v(d["decision"])
    detail = {
        "accept": f" ({_v(d.get('category'))})" if d.get("category") else "",
        "forward": f" to org {_short(d.get('to_org_id'))}",
        "reject": "",
        "route": f" to {_v(d.get('route_channel'))}",
    }.get(decision, "")
    repeat = " [repeat of a final matter]" if d.get("repeat_of_final") else ""
    return f"Screened: {decision}{detail}{repeat}"


def _supervised(d: dict[str, Any]) -> str:
    if d.get("cleared"):
        return f"Supervision cleared ({_v(d.get('level'))})"
    return f"Supervision opened ({_v(d.get('level'))}), due {_day(d.get('due_at'))}"


_SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "case.received": lambda d: (
        f"Received by {_v(d['channel'])} "
        f"({d.get('headcount', 1)} person(s), org {_short(d.get('receiving_org_id'))})"
        + (f", repeat of {_short(d['prior_case_id'])}" if d.get("prior_case_id") else "")
    ),
    "case.screened": _screened,
    "case.assigned": lambda d: (
        f"Assigned: unit {_short(d['unit_id'])}, leader {_short(d['leader_id'])}"
        + (f", handler {d['handler_id']}" if d.get("handler_id") else "")
    ),
    "case.visited": lambda d: (
        f"Visited ({_v(d['mode'])}) on {_v(d['visited_on'])} by leader {_short(d['leader_id'])}:"
        f" {d['visitors']} visitor(s)" + (", resolved on site" if d.get("resolved_on_site") else "")
    ),
    "case.extended": lambda d: (
        f"Extended by {d['days']} day(s), approved by {d.get('approved_by', '')}"
    ),
    "case.resolved": lambda d: f"Resolved: {_v(d['outcome'])}, reply served {_day(d['served_at'])}",
    "case.evaluated": lambda d: f"Evaluated ({_v(d.get('stage'))}): {_v(d['rating'])}",
    "case.review_requested": lambda d: f"Review requested to org {_short(d.get('to_org_id'))}",
    "case.reviewed": lambda d: f"Reviewed: {_v(d['outcome'])}, served {_day(d['served_at'])}",
    "case.recheck_requested": lambda d: f"Re-check requested to org {_short(d.get('to_org_id'))}",
    "case.rechecked": lambda d: f"Re-checked: {_v(d['outcome'])}, served {_day(d['served_at'])}",
    "case.supervised": _supervised,
    "case.closed": lambda d: "Closed" + (" (petitioner waived)" if d.get("waived") else ""),
    "case.erased": lambda d: "Personal data erased (data key destroyed)",
    "org.registered": lambda d: f"Org registered: {d['name']} ({_v(d['level'])})",
    "leader.registered": lambda d: (
        f"Leader registered: {d['name']}, {d.get('title', '')} ({_v(d.get('level'))})"
    ),
    "leader.left_office": lambda d: f"Leader left office on {_v(d['on'])}",
    "leader.moved": lambda d: (
        f"Leader moved to org {_short(d['to_org_id'])} ({_v(d['level'])}) on {_v(d['on'])}"
    ),
    "leader.renamed": lambda d: f"Leader renamed: {d['name']}, {d.get('title', '')}",
    "org.renamed": lambda d: f"Org renamed: {d['name']}",
}


def summary(event: LoggedEvent, tz: tzinfo = UTC) -> str:
    """A one-line description; unknown events fall back to their name. Days are local days in
    `tz` (the deployment's zone), whatever offset a time was sent with."""
    describe = _SUMMARIES.get(event.name)
    if describe is None:
        return event.name
    local = {k: v.astimezone(tz) if isinstance(v, datetime) else v for k, v in event.data.items()}
    try:
        return describe(local)
    except (KeyError, TypeError, AttributeError):
        return event.name  # an older or newer shape of the event: the payload still has it all
