"""Reporting periods: ISO week (Monday start), month, quarter, half-year and year.

All periods are runs of local calendar days in the deployment's time zone; turning a moment into
its local day is `Policy.local_date`. Keys are sortable strings:

    week `2026-W09` (ISO week-numbering year)   month `2026-03`   quarter `2026-Q1`
    half-year `2026-H1`                         year `2026`

Weeks do not nest in months, quarters or years. Where a week has to be placed in one coarser
period (reception-quota compliance, see `quota_periods`) it goes where its Thursday falls: the
ISO 8601 rule that decides a week's year, applied to months and quarters as well, so that each
week has exactly one home and no week is counted twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

WEEK, MONTH, QUARTER, HALF_YEAR, YEAR = "week", "month", "quarter", "half_year", "year"
KINDS = (WEEK, MONTH, QUARTER, HALF_YEAR, YEAR)
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}

_PATTERNS = (
    (WEEK, re.compile(r"^(\d{4})-W(\d{2})$")),
    (MONTH, re.compile(r"^(\d{4})-(\d{2})$")),
    (QUARTER, re.compile(r"^(\d{4})-Q(\d)$")),
    (HALF_YEAR, re.compile(r"^(\d{4})-H(\d)$")),
    (YEAR, re.compile(r"^(\d{4})()$")),
)
KEY_FORMATS = "2026-W09 (ISO week), 2026-03 (month), 2026-Q1, 2026-H1 or 2026"
# The years a period may lie in: those of the times the API takes (infra/http/types.py). Far
# enough from the calendar's ends that a period's neighbours (`next`) can always be computed.
MIN_YEAR, MAX_YEAR = 1900, 2999


@dataclass(frozen=True, slots=True)
class Period:
    """One reporting period: its kind, key and first and last local day (both inclusive)."""

    kind: str
    key: str
    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def anchor(self) -> date:
        """The day that decides which coarser period this one belongs to (a week's Thursday)."""
        return self.start + timedelta(days=3) if self.kind == WEEK else self.start

    def next(self) -> Period:
        """The period of the same kind that follows this one."""
        return period_of(self.kind, self.end + timedelta(days=1))


def key_of(kind: str, day: date) -> str:
    """The key of the `kind` period that contains local day `day`."""
    if kind == WEEK:
        iso_year, week, _ = day.isocalendar()
        return f"{iso_year:04d}-W{week:02d}"
    if kind == MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    if kind == QUARTER:
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    if kind == HALF_YEAR:
        return f"{day.year:04d}-H{1 if day.month <= 6 else 2}"
    if kind == YEAR:
        return f"{day.year:04d}"
    raise ValueError(f"Unknown period kind {kind!r}; expected one of {', '.join(KINDS)}.")


@lru_cache(maxsize=8192)
def keys_of(day: date) -> tuple[str, str, str, str, str]:
    """The keys of all five periods containing `day` (week, month, quarter, half-year, year).

    Cached: replay asks for the same few hundred days over and over.
    """
    return (
        key_of(WEEK, day),
        key_of(MONTH, day),
        key_of(QUARTER, day),
        key_of(HALF_YEAR, day),
        key_of(YEAR, day),
    )


def period_of(kind: str, day: date) -> Period:
    """The `kind` period containing local day `day`."""
    return _period(key_of(kind, day))


def parse(key: str) -> Period:
    """A period from its key; ValueError with the accepted formats if the key is not one, or
    if it lies outside the years MIN_YEAR to MAX_YEAR."""
    found = _period(key)
    if not MIN_YEAR <= found.start.year <= MAX_YEAR:
        raise ValueError(f"{key!r}: a period lies in the years {MIN_YEAR} to {MAX_YEAR}.")
    return found


@lru_cache(maxsize=4096)
def _period(key: str) -> Period:
    text = key.strip().upper()
    for kind, pattern in _PATTERNS:
        m = pattern.match(text)
        if m is None:
            continue
        year, n = int(m.group(1)), int(m.group(2) or 0)
        try:
            start, end = _bounds(kind, year, n)
        except (ValueError, OverflowError):
            break
        return Period(kind, key_of(kind, start), start, end)
    raise ValueError(f"{key!r} is not a period; use {KEY_FORMATS}.")


def _bounds(kind: str, year: int, n: int) -> tuple[date, date]:
    if kind == WEEK:
        start = date.fromisocalendar(year, n, 1)  # ValueError for week 53 of a 52-week year
        return start, start + timedelta(days=6)
    if kind == YEAR:
        return date(year, 1, 1), date(year, 12, 31)
    months = {MONTH: 1, QUARTER: 3, HALF_YEAR: 6}[kind]
    if not 1 <= n <= 12 // months:
        raise ValueError(kind)
    first_month = (n - 1) * months + 1
    start = date(year, first_month, 1)
    return start, _month_after(year, first_month + months - 1) - timedelta(days=1)


def _month_after(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1)


def is_coarser(kind: str, than: str) -> bool:
    return _RANK[kind] > _RANK[than]


@lru_cache(maxsize=1024)
def quota_periods(quota_kind: str, requested: Period) -> tuple[Period, ...]:
    """The quota periods that a requested reporting period is judged on.

    A finer quota (a township leader's week, asked about a month) gives every quota period whose
    anchor day lies inside the requested period; a coarser quota (a province leader's half-year,
    asked about a month or week) gives the one quota period containing the requested period's
    anchor, so the answer is that half-year's standing.
    """
    if quota_kind not in _RANK:
        raise ValueError(
            f"Unknown quota period {quota_kind!r}; expected one of {', '.join(KINDS)}."
        )
    if is_coarser(quota_kind, requested.kind):
        return (period_of(quota_kind, requested.anchor),)
    out, current = [], period_of(quota_kind, requested.start)
    while current.start <= requested.end:
        if current.anchor in requested:
            out.append(current)
        current = current.next()
    return tuple(out)


class PeriodCounters:
    """Counter deltas gathered per (owner, local day) while folding a batch, and rolled up into
    the five periods of each day only once, when the batch is written (a batch touches few
    days, so this is far cheaper than bumping five period rows per fact)."""

    def __init__(self, width: int):
        self.width = width
        self.by_day: dict[tuple[Any, date], list[int]] = {}

    def row(self, owner: Any, day: date) -> list[int]:
        """The mutable deltas of one owner and day (created at zeros)."""
        key = (owner, day)
        row = self.by_day.get(key)
        if row is None:
            row = self.by_day[key] = [0] * self.width
        return row

    def bump(self, owner: Any, day: date, column: int, n: int = 1) -> None:
        self.row(owner, day)[column] += n

    def by_period(self) -> dict[tuple[Any, str], list[int]]:
        """The deltas per (owner, period key). A row touched only by facts that cancel out is
        still there (all zeros), so which rows exist never depends on batch boundaries."""
        out: dict[tuple[Any, str], list[int]] = {}
        months: dict[tuple[Any, str], tuple[date, list[int]]] = {}
        for (owner, day), deltas in self.by_day.items():
            week, month = keys_of(day)[:2]
            _merge(out, (owner, week), deltas)
            seen = months.get((owner, month))
            if seen is None:
                months[owner, month] = (day, list(deltas))
            else:
                seen[1][:] = [a + b for a, b in zip(seen[1], deltas, strict=True)]
        # Quarters, half-years and years are sums of months: merge each month once, not each day.
        for (owner, _month), (day, deltas) in months.items():
            for key in keys_of(day)[1:]:
                _merge(out, (owner, key), deltas)
        return out


def _merge(out: dict[tuple[Any, str], list[int]], key: tuple[Any, str], deltas: list[int]) -> None:
    row = out.get(key)
    if row is None:
        out[key] = list(deltas)
    else:
        out[key] = [a + b for a, b in zip(row, deltas, strict=True)]
