"""Queries on the `leader_stats` view for the API: one leader's statistics for a period (with
reception-frequency compliance and an optional breakdown), and all leaders for a period,
filtered by org subtree and level, sorted and paged.

Compliance depends on today (pending / future periods), so it is computed here, at query time,
from the stored reception days and the leader's term (see `caseflow.projections.reception_quota`):
a quota period wholly in office is judged on its stored count, one partly in office on the days
in office (`leader_stats_days`). A leader with no activity in a period still appears, with
zeros: those are the ones a supervisor looks for. A list names the leaders in office at some time
in the period, under each org they held in it (a moved leader's statistics follow them: the
counts are the leader's whole period).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

import orjson

from caseflow.domain.errors import InvalidInput
from caseflow.domain.policy import Policy
from caseflow.domain.tenure import Term
from caseflow.infra.views.stats_read import Page, Reader, marks, subtree_cte
from caseflow.projections import periods
from caseflow.projections.leader_stats import COLUMNS, DAYS, LEADERS, ORGS, STATS
from caseflow.projections.leader_terms import POSTINGS, TERMS, term_of
from caseflow.projections.reception_quota import Compliance, Slot, judge, plan

SORTS = ("name", *COLUMNS)
COMPLIANCE_STATUSES = ("compliant", "non_compliant", "pending", "not_due", "not_applicable")
MAX_LIMIT = 500
KEYS_PER_QUERY = 400
_LEADER_COLUMNS = (
    "l.leader_id, l.org_id, l.level, l.name, l.title, l.registered_on, t.postings, t.left_on"
)
_WITH_TERM = f"{LEADERS} l LEFT JOIN {TERMS} t ON t.leader_id = l.leader_id"
_COUNTS = ", ".join(f"COALESCE(s.{c}, 0)" for c in COLUMNS)


def parse_period(key: str) -> periods.Period:
    """A period from its key, or InvalidInput naming the accepted formats."""
    try:
        return periods.parse(key)
    except ValueError as exc:
        raise InvalidInput(str(exc), "statistics.period") from None


def leader_statistics(
    reader: Reader,
    leader_id: UUID,
    period: str,
    *,
    today: date,
    policy: Policy,
    breakdown: str | None = None,
) -> dict[str, Any] | None:
    """One leader's counts, rates and compliance for `period`; None for an unknown leader.

    `breakdown` (a period kind: week, month, …) adds the counts of each such period inside
    `period` (weeks by the Thursday rule), e.g. the months of a year.
    """
    p = parse_period(period)
    rows = reader.fetch(
        f"SELECT {_LEADER_COLUMNS} FROM {_WITH_TERM} WHERE l.leader_id = ?", [leader_id]
    )
    if not rows:
        return None
    leader = _leader(reader, rows[0])
    parts = _breakdown(p, breakdown)
    slots = plan(leader["term"], p, policy)
    keys = {p.key, *(s.period.key for s in slots), *(q.key for q in parts)}
    counts = _counts_by_period(reader, [leader_id], keys).get(leader_id, {})
    reception = {k: c["reception_days"] for k, c in counts.items()}
    item = _item(
        leader,
        p,
        counts.get(p.key),
        _compliance(reader, leader, p, slots, reception, today, policy),
    )
    if breakdown is not None:
        item["breakdown"] = [
            {"period": _period(q), "counts": counts.get(q.key) or _zeros()} for q in parts
        ]
    return item


def leaders_statistics(
    reader: Reader,
    period: str,
    *,
    today: date,
    policy: Policy,
    org_id: UUID | None = None,
    level: str | None = None,
    compliance: str | None = None,
    sort: str = "person_times",
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
) -> Page[int]:
    """The statistics for `period` of every leader in office at some time in it (in an org of
    the subtree of `org_id`, at `level`, if given: a leader who moved is listed under each org
    held in the period), with the `compliance` status if given, sorted by `sort` (name or a
    count), then paged."""
    p = parse_period(period)
    _check_list_args(sort, compliance, limit, offset)
    cte, params = "", list[Any]()
    if org_id is not None:
        cte, params = subtree_cte(ORGS), [org_id]
    params.append(p.key)
    where, where_params = _held_in(p, org_id is not None, level)
    sql = (
        f"{cte}SELECT {_LEADER_COLUMNS}, {_COUNTS} FROM {_WITH_TERM} "
        f"LEFT JOIN {STATS} s ON s.leader_id = l.leader_id AND s.period = ? WHERE {where}"
    )
    params.extend(where_params)
    order = "l.name" if sort == "name" else f"COALESCE(s.{sort}, 0)"
    direction = "DESC" if descending else "ASC"
    sql += f" ORDER BY {order} {direction}, l.leader_id"
    if compliance is None:
        total = reader.fetch(f"SELECT COUNT(*) FROM ({sql}) t", params)[0][0]
        rows = reader.fetch(sql + " LIMIT ? OFFSET ?", [*params, limit, offset])
        items = _items(reader, rows, p, today, policy)
    else:  # compliance is known only after judging: judge all matches, then page
        items = [
            i
            for i in _items(reader, reader.fetch(sql, params), p, today, policy)
            if i["compliance"]["status"] == compliance
        ]
        total, items = len(items), items[offset : offset + limit]
    following = offset + limit
    return Page(items, total, following if following < total else None)


def _held_in(p: periods.Period, in_subtree: bool, level: str | None) -> tuple[str, list[Any]]:
    """SQL for "held a posting (in the subtree, at the level) on some day of `p`". A leader
    without term rows (a store built before terms) held their registered org since the day
    they were registered."""
    held = ["p.leader_id = l.leader_id", "p.start <= ?", "(p.until IS NULL OR p.until >= ?)"]
    old = ["t.leader_id IS NULL", "l.registered_on <= ?"]
    held_params: list[Any] = [p.end, p.start]
    old_params: list[Any] = [p.end]
    if in_subtree:
        held.append("p.org_id IN (SELECT org_id FROM subtree)")
        old.append("l.org_id IN (SELECT org_id FROM subtree)")
    if level is not None:
        held.append("p.level = ?")
        old.append("l.level = ?")
        held_params.append(str(level))
        old_params.append(str(level))
    return (
        f"(EXISTS (SELECT 1 FROM {POSTINGS} p WHERE {' AND '.join(held)}) "
        f"OR ({' AND '.join(old)}))",
        held_params + old_params,
    )


def _check_list_args(sort: str, compliance: str | None, limit: int, offset: int) -> None:
    if sort not in SORTS:
        raise InvalidInput(
            f"Cannot sort leaders by {sort!r}; use one of {', '.join(SORTS)}.", "statistics.sort"
        )
    if compliance is not None and compliance not in COMPLIANCE_STATUSES:
        raise InvalidInput(
            f"Unknown compliance status {compliance!r}; use one of "
            f"{', '.join(COMPLIANCE_STATUSES)}.",
            "statistics.compliance",
        )
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InvalidInput(
            f"limit must be 1..{MAX_LIMIT} and offset at least 0.", "statistics.paging", "limit"
        )


def _items(
    reader: Reader, rows: list[tuple], p: periods.Period, today: date, policy: Policy
) -> list[dict[str, Any]]:
    leaders = [_leader(reader, r) for r in rows]
    slots = {lead["id"]: plan(lead["term"], p, policy) for lead in leaders}
    keys = {s.period.key for plan_ in slots.values() for s in plan_}
    counts = _counts_by_period(reader, list(slots), keys, ("reception_days",))
    out = []
    for lead, r in zip(leaders, rows, strict=True):
        reception = {k: c["reception_days"] for k, c in counts.get(lead["id"], {}).items()}
        compliance = _compliance(reader, lead, p, slots[lead["id"]], reception, today, policy)
        out.append(_item(lead, p, dict(zip(COLUMNS, r[8:], strict=True)), compliance, detail=False))
    return out


def _counts_by_period(
    reader: Reader, leader_ids: list[UUID], keys: Iterable[str], columns: tuple[str, ...] = COLUMNS
) -> dict[UUID, dict[str, dict[str, int]]]:
    """leader → period key → counts (of `columns`), for the given leaders and period keys."""
    keys = sorted(keys)
    out: dict[UUID, dict[str, dict[str, int]]] = {}
    if not keys:
        return out
    for i in range(0, len(leader_ids), KEYS_PER_QUERY):
        chunk = leader_ids[i : i + KEYS_PER_QUERY]
        ids = {reader.encode(leader_id): leader_id for leader_id in chunk}  # no UUID parsing
        rows = reader.fetch(
            f"SELECT leader_id, period, {', '.join(columns)} FROM {STATS} "
            f"WHERE leader_id IN ({marks(len(chunk))}) AND period IN ({marks(len(keys))})",
            [*chunk, *keys],
        )
        for r in rows:
            out.setdefault(ids[r[0]], {})[r[1]] = dict(zip(columns, r[2:], strict=True))
    return out


def _compliance(
    reader: Reader,
    leader: dict[str, Any],
    p: periods.Period,
    slots: tuple[Slot, ...],
    reception: dict[str, int],
    today: date,
    policy: Policy,
) -> Compliance:
    """Judge `slots`: whole periods on their stored reception days, partly-in-office ones on
    the days in office only."""
    days = dict(reception)
    for s in slots:
        if s.judged and not s.whole:
            days[s.period.key] = _days_in_office(reader, leader["id"], s)
    term: Term = leader["term"]
    level = term.posting_on(term.nearest(p.end)).level
    return judge(slots, days, today, level, policy)


def _days_in_office(reader: Reader, leader_id: UUID, s: Slot) -> int:
    return reader.fetch(
        f"SELECT COUNT(*) FROM {DAYS} WHERE leader_id = ? AND day >= ? AND day <= ?",
        [leader_id, s.first, s.last],
    )[0][0]


def _breakdown(p: periods.Period, kind: str | None) -> tuple[periods.Period, ...]:
    if kind is None:
        return ()
    if kind not in periods.KINDS or periods.is_coarser(kind, p.kind):
        raise InvalidInput(
            f"Cannot break a {p.kind} down by {kind!r}; use a finer period kind "
            f"({', '.join(periods.KINDS)}).",
            "statistics.breakdown",
        )
    return periods.quota_periods(kind, p)


def _leader(reader: Reader, r: tuple) -> dict[str, Any]:
    leader = {
        "id": reader.uuid(r[0]),
        "org_id": reader.uuid(r[1]),
        "level": r[2],
        "name": r[3],
        "title": r[4],
        "registered_on": reader.date(r[5]),
    }
    postings = r[6] if r[6] is None or isinstance(r[6], list) else orjson.loads(r[6])
    term = None if postings is None else {"postings": postings, "left_on": reader.date(r[7])}
    leader["term"] = term_of(leader, term)
    return leader


def _zeros() -> dict[str, int]:
    return dict.fromkeys(COLUMNS, 0)


def _period(p: periods.Period) -> dict[str, str]:
    return {"key": p.key, "kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat()}


def _ratio(num: int, den: int) -> dict[str, Any]:
    return {"numerator": num, "denominator": den, "ratio": num / den if den else None}


def _item(
    leader: dict[str, Any],
    p: periods.Period,
    counts: dict[str, int] | None,
    compliance: Compliance,
    detail: bool = True,
) -> dict[str, Any]:
    counts = counts or _zeros()
    satisfied = counts["satisfied"] + counts["basically_satisfied"]
    evaluated = satisfied + counts["dissatisfied"]
    term: Term = leader["term"]
    lead = {k: v for k, v in leader.items() if k != "term"}
    lead.update(
        registered_on=leader["registered_on"].isoformat() if leader["registered_on"] else None,
        in_office_from=term.start.isoformat(),
        left_office_on=term.left_on.isoformat() if term.left_on else None,
    )
    return {
        "leader": lead,
        "period": _period(p),
        "counts": counts,
        "rates": {
            "on_time_resolution": _ratio(counts["owned_on_time"], counts["owned_resolved"]),
            "satisfaction": _ratio(satisfied, evaluated),
        },
        "compliance": compliance.as_dict(detail),
    }
