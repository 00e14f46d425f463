"""The directory side of `leader_stats`: leaders (current org, level, name) and orgs for the
filters, and each leader's term of office (`leader_stats_terms`: the postings and the last day in
office) for reception-frequency compliance. Directory events touch no counter, so they are
applied straight to the batch's rows, in log order.

A store built before terms were recorded has no term rows: a leader without one took office on
the day they were registered and held their registered org since (`term_of`), which is exact
for every leader registered then, since moves and departures did not exist."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from caseflow.domain.policy import Policy
from caseflow.domain.tenure import Posting, Term, took_office
from caseflow.projections.base import Column, Rows, Table
from caseflow.projections.source import LoggedEvent

LEADERS, ORGS = "leader_stats_leaders", "leader_stats_orgs"
TERMS, POSTINGS = "leader_stats_terms", "leader_stats_postings"
TERMS_TABLE = Table(
    TERMS,
    (Column("leader_id", "uuid"), Column("postings", "json"), Column("left_on", "date")),
    key=("leader_id",),
)
# The term again, one row per posting with its last day (`until`, None while held): an index for
# "who held office in these orgs during a period" (the lists' org and level filters).
POSTINGS_TABLE = Table(
    POSTINGS,
    (
        Column("leader_id", "uuid"),
        Column("start", "date"),
        Column("org_id", "uuid"),
        Column("level", "text"),
        Column("until", "date"),
    ),
    key=("leader_id", "start"),
    indexes=(("org_id",),),
)
EVENTS = frozenset(
    {
        "leader.registered",
        "leader.moved",
        "leader.left_office",
        "leader.renamed",
        "org.registered",
        "org.renamed",
    }
)


def term_of(leader: Mapping[str, Any], term: Mapping[str, Any] | None) -> Term:
    """A leader's term from their `leader_stats_leaders` row and `leader_stats_terms` row."""
    if term is None:
        return Term((Posting(leader["registered_on"], leader["org_id"], str(leader["level"])),))
    postings = tuple(
        Posting(_day(p["start"]), UUID(str(p["org_id"])), p["level"]) for p in term["postings"]
    )
    return Term(postings, _day(term["left_on"]) if term["left_on"] is not None else None)


def apply(events: Iterable[LoggedEvent], rows: Rows, policy: Policy) -> None:
    """Apply the batch's directory events to the leaders, orgs and terms tables."""
    events = [e for e in events if e.name in EVENTS]
    leaders = {e.aggregate_id for e in events if e.name.startswith("leader.")}
    rows.preload(LEADERS, [(i,) for i in leaders])
    rows.preload(TERMS, [(i,) for i in leaders])  # (postings are only written: no preload)
    rows.preload(ORGS, [(e.aggregate_id,) for e in events if e.name == "org.renamed"])
    for e in events:
        _HANDLERS[e.name](e, e.data, rows, policy)


def _registered(e: LoggedEvent, d: dict[str, Any], rows: Rows, policy: Policy) -> None:
    day = policy.local_date(e.meta.occurred_at)
    rows.put(
        LEADERS,
        {
            "leader_id": e.aggregate_id,
            "org_id": d["org_id"],
            "level": str(d["level"]),
            "name": d["name"],
            "title": d["title"],
            "registered_on": day,
        },
    )
    start = took_office(d.get("in_office_from"), e.meta.occurred_at, policy)
    _put_term(
        rows,
        {
            "leader_id": e.aggregate_id,
            "left_on": None,
            "postings": [_posting(start, d["org_id"], d["level"])],
        },
    )


def _moved(e: LoggedEvent, d: dict[str, Any], rows: Rows, policy: Policy) -> None:
    leader, term = _term(rows, e.aggregate_id)
    if leader is None:
        return  # (a log without the registration: nothing to follow)
    rows.put(LEADERS, {**leader, "org_id": d["to_org_id"], "level": str(d["level"])})
    term["postings"] = [*term["postings"], _posting(d["on"], d["to_org_id"], d["level"])]
    _put_term(rows, term)


def _left_office(e: LoggedEvent, d: dict[str, Any], rows: Rows, policy: Policy) -> None:
    leader, term = _term(rows, e.aggregate_id)
    if leader is not None:
        _put_term(rows, {**term, "left_on": d["on"]})


def _renamed(e: LoggedEvent, d: dict[str, Any], rows: Rows, policy: Policy) -> None:
    leader = rows.get(LEADERS, (e.aggregate_id,))
    if leader is not None:
        rows.put(LEADERS, {**leader, "name": d["name"], "title": d["title"]})


def _org_registered(e: LoggedEvent, d: dict[str, Any], rows: Rows, policy: Policy) -> None:
    rows.put(
        ORGS,
        {
            "org_id": e.aggregate_id,
            "parent_id": d["parent_id"],
            "level": str(d["level"]),
            "name": d["name"],
        },
    )


def _org_renamed(e: LoggedEvent, d: dict[str, Any], rows: Rows, policy: Policy) -> None:
    org = rows.get(ORGS, (e.aggregate_id,))
    if org is not None:
        rows.put(ORGS, {**org, "name": d["name"]})


_HANDLERS = {
    "leader.registered": _registered,
    "leader.moved": _moved,
    "leader.left_office": _left_office,
    "leader.renamed": _renamed,
    "org.registered": _org_registered,
    "org.renamed": _org_renamed,
}


def _term(rows: Rows, leader_id: UUID) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The leader's row and term row (the latter derived from the former on an old store)."""
    leader = rows.get(LEADERS, (leader_id,))
    term = rows.get(TERMS, (leader_id,))
    if leader is None or term is not None:
        return leader, dict(term or {})
    return leader, {
        "leader_id": leader_id,
        "left_on": None,
        "postings": [_posting(leader["registered_on"], leader["org_id"], leader["level"])],
    }


def _put_term(rows: Rows, term: dict[str, Any]) -> None:
    """The term row and its posting rows (each posting ends the day before the next begins)."""
    rows.put(TERMS, term)
    postings = term["postings"]
    for i, p in enumerate(postings):
        following = postings[i + 1] if i + 1 < len(postings) else None
        until = (
            _day(following["start"]) - timedelta(days=1)
            if following is not None
            else term["left_on"]
        )
        rows.put(
            POSTINGS,
            {
                "leader_id": term["leader_id"],
                "start": _day(p["start"]),
                "org_id": UUID(p["org_id"]),
                "level": p["level"],
                "until": until,
            },
        )


def _posting(start: date, org_id: UUID, level: Any) -> dict[str, str]:
    return {"start": start.isoformat(), "org_id": str(org_id), "level": str(level)}


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
