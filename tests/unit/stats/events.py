"""Builders of `LoggedEvent`s for the statistics folds (no store, no application)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from uuid import UUID, uuid4

from caseflow.domain.values import Meta
from caseflow.projections.source import LoggedEvent

SHANGHAI = timezone(timedelta(hours=8))


def local(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    """A moment given as Shanghai wall-clock time (the default deployment zone)."""
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


class Log:
    """Appends events with increasing positions; `at` is the business time of the next ones."""

    def __init__(self) -> None:
        self.events: list[LoggedEvent] = []
        self._position = itertools.count(1)
        self._versions: dict[UUID, int] = {}
        self.at = local(2026, 1, 5)

    def _append(self, event_name: str, aggregate_id: UUID, **data) -> UUID:
        version = self._versions.get(aggregate_id, 0) + 1
        self._versions[aggregate_id] = version
        meta = Meta("tester", "operator", "corr", None, self.at)
        self.events.append(
            LoggedEvent(
                next(self._position),
                uuid4(),
                aggregate_id,
                version,
                event_name,
                self.at,
                meta,
                data,
            )
        )
        return aggregate_id

    def org(self, level: str = "county", parent_id: UUID | None = None, name: str = "Org") -> UUID:
        return self._append("org.registered", uuid4(), name=name, level=level, parent_id=parent_id)

    def leader(
        self,
        org_id: UUID,
        level: str = "county",
        name: str = "Leader",
        in_office_from: date | None = None,
    ) -> UUID:
        return self._append(
            "leader.registered",
            uuid4(),
            name=name,
            title="Head",
            org_id=org_id,
            level=level,
            in_office_from=in_office_from,
        )

    def moved(self, leader_id: UUID, to_org_id: UUID, level: str, on: date) -> None:
        self._append("leader.moved", leader_id, to_org_id=to_org_id, level=level, on=on)

    def left_office(self, leader_id: UUID, on: date) -> None:
        self._append("leader.left_office", leader_id, on=on)

    def leader_renamed(self, leader_id: UUID, name: str, title: str) -> None:
        self._append("leader.renamed", leader_id, name=name, title=title)

    def org_renamed(self, org_id: UUID, name: str) -> None:
        self._append("org.renamed", org_id, name=name)

    def received(
        self, org_id: UUID, received_at: datetime | None = None, prior_case_id: UUID | None = None
    ) -> UUID:
        return self._append(
            "case.received",
            uuid4(),
            receiving_org_id=org_id,
            received_at=received_at or self.at,
            prior_case_id=prior_case_id,
        )

    def screened(
        self, case_id: UUID, decision: str = "accept", to_org_id: UUID | None = None
    ) -> None:
        if decision == "forward":
            to_org_id = to_org_id or uuid4()
        self._append("case.screened", case_id, decision=decision, to_org_id=to_org_id)

    def assigned(self, case_id: UUID, unit_id: UUID, leader_id: UUID) -> None:
        self._append("case.assigned", case_id, unit_id=unit_id, leader_id=leader_id)

    def visited(
        self,
        case_id: UUID,
        leader_id: UUID,
        on: date,
        visitors: int = 1,
        resolved_on_site: bool = False,
    ) -> None:
        self._append(
            "case.visited",
            case_id,
            leader_id=leader_id,
            visited_on=on,
            visitors=visitors,
            resolved_on_site=resolved_on_site,
        )

    def extended(self, case_id: UUID, days: int) -> None:
        self._append("case.extended", case_id, days=days)

    def resolved(self, case_id: UUID, served_at: datetime | None = None) -> None:
        self._append("case.resolved", case_id, served_at=served_at or self.at)

    def evaluated(self, case_id: UUID, rating: str, stage: str = "resolution") -> None:
        self._append("case.evaluated", case_id, stage=stage, rating=rating)

    def review_requested(self, case_id: UUID) -> None:
        self._append("case.review_requested", case_id)
