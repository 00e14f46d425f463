"""Queries on the `kpis` view for the API: one org's KPIs for a period, and the orgs under an
org (or at a level) side by side, each with its own figures and the roll-up of its subtree.

"Own" figures are the cases the org received (screening KPIs) or handled as the responsible
unit (handling KPIs); "subtree" adds every org below it. Roll-ups are sums of the stored counts,
so rates stay exact: numerator and denominator are both summed, never the ratios.
Definitions of the rates: `caseflow.projections.kpis` and docs/kpis.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from caseflow.domain.errors import InvalidInput
from caseflow.infra.views.leader_stats_sql import MAX_LIMIT, parse_period
from caseflow.infra.views.stats_read import Page, Reader, subtree_cte
from caseflow.projections import periods
from caseflow.projections.kpis import COLUMNS, KPIS, ORGS, OVERDUE, RATES, UNSCREENED, rate

SORTS = ("name", *RATES, *COLUMNS, OVERDUE)
SCOPES = ("subtree", "own")
_COLS = ", ".join(COLUMNS)


def figures(counts: dict[str, int] | None) -> dict[str, Any]:
    """{counts, rates} of one row of counts (zeros when None)."""
    counts = dict.fromkeys((*COLUMNS, OVERDUE), 0) | (counts or {})
    return {"counts": counts, "rates": {name: rate(counts, name) for name in RATES}}


def _overdue(
    reader: Reader, p: periods.Period, today: date | None, subtree_of: UUID | None = None
) -> dict[UUID, int]:
    """Per receiving org: cases not screened whose screening due day lies in `p` and has
    passed by `today` (none when `today` is None)."""
    if today is None:
        return {}
    last = min(p.end, date.fromordinal(today.toordinal() - 1))
    if subtree_of is None:
        rows = reader.fetch(
            f"SELECT org_id, COUNT(*) FROM {UNSCREENED} WHERE due_on >= ? "
            "AND due_on <= ? GROUP BY org_id",
            [p.start, last],
        )
    else:
        rows = reader.fetch(
            f"{subtree_cte(ORGS)}SELECT u.org_id, COUNT(*) FROM {UNSCREENED} u "
            "JOIN subtree s ON u.org_id = s.org_id WHERE u.due_on >= ? "
            "AND u.due_on <= ? GROUP BY u.org_id",
            [subtree_of, p.start, last],
        )
    return {_org_id(reader, r[0]): int(r[1]) for r in rows}


def org_kpis(
    reader: Reader, org_id: UUID, period: str, today: date | None = None
) -> dict[str, Any] | None:
    """One org's own and subtree KPIs for `period`; None for an unknown org. With `today`,
    screenings overdue and not done by then count against timely screening."""
    p = parse_period(period)
    org = reader.fetch(
        f"SELECT org_id, parent_id, level, name FROM {ORGS} WHERE org_id = ?", [org_id]
    )
    if not org:
        return None
    own = reader.fetch(
        f"SELECT {_COLS} FROM {KPIS} WHERE org_id = ? AND period = ?", [org_id, p.key]
    )
    sums = ", ".join(f"COALESCE(SUM(k.{c}), 0)" for c in COLUMNS)
    subtree = reader.fetch(
        f"{subtree_cte(ORGS)}SELECT {sums} FROM {KPIS} k "
        "JOIN subtree s ON k.org_id = s.org_id WHERE k.period = ?",
        [org_id, p.key],
    )
    overdue = _overdue(reader, p, today, subtree_of=org_id)
    own_counts = dict(zip(COLUMNS, own[0], strict=True)) if own else {}
    return {
        "org": _org(reader, org[0]),
        "period": _period(p),
        "own": figures(own_counts | {OVERDUE: overdue.get(org_id, 0)}),
        "subtree": figures(
            dict(zip(COLUMNS, (int(v) for v in subtree[0]), strict=True))
            | {OVERDUE: sum(overdue.values())}
        ),
    }


def kpis_by_org(
    reader: Reader,
    period: str,
    *,
    parent_id: UUID | None = None,
    level: str | None = None,
    sort: str = "name",
    scope: str = "subtree",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
    today: date | None = None,
) -> Page[int]:
    """KPIs of several orgs for `period`, each with its own and its subtree's figures.

    Which orgs: with `parent_id` only, its direct children; with `parent_id` and `level`, the
    orgs of that level below it; with `level` only, every org of that level; with neither, the
    top-level orgs. Sorted by `sort` (name, a rate by its ratio with nulls last, or a count) on
    the `scope` figures ("subtree" or "own"), then paged.
    """
    p = parse_period(period)
    _check(sort, scope, limit, offset)
    if parent_id is not None:
        orgs = reader.fetch(
            f"{subtree_cte(ORGS)}SELECT o.org_id, o.parent_id, o.level, o.name "
            f"FROM {ORGS} o JOIN subtree s ON o.org_id = s.org_id",
            [parent_id],
        )
        rows = reader.fetch(
            f"{subtree_cte(ORGS)}SELECT k.org_id, {_COLS} FROM {KPIS} k "
            "JOIN subtree s ON k.org_id = s.org_id WHERE k.period = ?",
            [parent_id, p.key],
        )
    else:
        orgs = reader.fetch(f"SELECT org_id, parent_id, level, name FROM {ORGS}")
        rows = reader.fetch(f"SELECT org_id, {_COLS} FROM {KPIS} WHERE period = ?", [p.key])
    by_id = {o["id"]: o for o in (_org(reader, r) for r in orgs)}
    own = {_org_id(reader, r[0]): dict(zip(COLUMNS, r[1:], strict=True)) for r in rows}
    for org_id, n in _overdue(reader, p, today, subtree_of=parent_id).items():
        own.setdefault(org_id, dict.fromkeys(COLUMNS, 0))[OVERDUE] = n
    totals = _roll_up(by_id, own)
    chosen = [o for o in by_id.values() if _selected(o, parent_id, level)]
    items = [
        {
            "org": o,
            "period": _period(p),
            "own": figures(own.get(o["id"])),
            "subtree": figures(totals.get(o["id"])),
        }
        for o in chosen
    ]
    items.sort(key=lambda i: (i["org"]["name"], str(i["org"]["id"])))
    if sort != "name":
        items.sort(key=lambda i: _sort_value(i[scope], sort, descending))
    elif descending:
        items.reverse()
    following = offset + limit
    return Page(items[offset:following], len(items), following if following < len(items) else None)


def _selected(org: dict[str, Any], parent_id: UUID | None, level: str | None) -> bool:
    if level is not None:
        return org["level"] == level and org["id"] != parent_id
    if parent_id is not None:
        return org["parent_id"] == parent_id
    return org["parent_id"] is None


def _org_id(reader: Reader, value: Any) -> UUID:
    org_id = reader.uuid(value)
    assert org_id is not None  # rows grouped by org: every one has an org
    return org_id


def _roll_up(
    orgs: dict[UUID, dict[str, Any]], own: dict[UUID, dict[str, int]]
) -> dict[UUID, dict[str, int]]:
    """Subtree sums: each org's own counts added to itself and every ancestor among `orgs`."""
    totals: dict[UUID, dict[str, int]] = {}
    for org_id, counts in own.items():
        current = org_id
        while current in orgs:
            acc = totals.setdefault(current, dict.fromkeys(COLUMNS, 0))
            for c, v in counts.items():
                acc[c] = acc.get(c, 0) + v
            current = orgs[current]["parent_id"]
    return totals


def _sort_value(fig: dict[str, Any], sort: str, descending: bool) -> tuple:
    if sort in RATES:
        ratio = fig["rates"][sort]["ratio"]
        if ratio is None:
            return (True, 0.0)  # no denominator: last either way
        return (False, -ratio if descending else ratio)
    value = fig["counts"][sort]
    return (False, -value if descending else value)


def _check(sort: str, scope: str, limit: int, offset: int) -> None:
    if sort not in SORTS:
        raise InvalidInput(
            f"Cannot sort KPIs by {sort!r}; use one of {', '.join(SORTS)}.", "statistics.sort"
        )
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}.", "statistics.scope")
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InvalidInput(
            f"limit must be 1..{MAX_LIMIT} and offset at least 0.", "statistics.paging", "limit"
        )


def _org(reader: Reader, r: tuple) -> dict[str, Any]:
    return {"id": reader.uuid(r[0]), "parent_id": reader.uuid(r[1]), "level": r[2], "name": r[3]}


def _period(p: periods.Period) -> dict[str, str]:
    return {"key": p.key, "kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat()}
