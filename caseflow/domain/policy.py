"""Deployment-configurable limits and the calendar that statutory clocks are counted in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Policy:
    timezone: str = "Asia/Shanghai"
    screening_days: int = 15
    handling_days: int = 60
    max_extension_days: int = 30
    review_window_days: int = 30
    review_due_days: int = 30
    recheck_window_days: int = 30
    recheck_due_days: int = 30
    max_representatives: int = 5
    collective_headcount: int = 5
    reception_quota: dict[str, str] = field(
        default_factory=lambda: {
            "province": "half_year",
            "city": "quarter",
            "county": "month",
            "township": "week",
        }
    )

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, moment: datetime | date) -> date:
        """The calendar day a moment falls on in the deployment's time zone."""
        if isinstance(moment, datetime):
            return moment.astimezone(self.tz).date()
        return moment

    def due(self, start: datetime | date, days: int) -> date:
        """Last calendar day on which something started at `start` is still on time."""
        return self.local_date(start) + timedelta(days=days)


DEFAULT_POLICY = Policy()
