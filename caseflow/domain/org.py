"""Org (a petition office, government unit or department) and Leader aggregates."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from caseflow.domain.base import Entity, RemembersKeys
from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.guards import member
from caseflow.domain.policy import Policy
from caseflow.domain.tenure import took_office
from caseflow.domain.values import Meta, OrgLevel

LEVEL_RANK = {level: rank for rank, level in enumerate(OrgLevel)}


class Org(Entity):
    if TYPE_CHECKING:  # set by the events' apply (see `Entity` on class annotations)
        name: str
        level: OrgLevel
        parent_id: UUID | None

    class Event(RemembersKeys, Entity.Event):
        meta: Meta

    class Registered(Event, Entity.Created):
        name: str
        level: OrgLevel
        parent_id: UUID | None

        def apply(self, org: Org) -> None:
            org.name, org.level, org.parent_id = self.name, self.level, self.parent_id

    class Renamed(Event):
        name: str

        def apply(self, org: Org) -> None:
            org.name = self.name

    def __init__(self) -> None:
        self.idempotency_keys = {}

    @classmethod
    def register(
        cls, *, id: UUID, name: str, level: OrgLevel, parent: Org | None, meta: Meta
    ) -> Org:
        name = _name(name, "org")
        level = member(OrgLevel, level, "org.level")
        if parent is not None and LEVEL_RANK[parent.level] >= LEVEL_RANK[level]:
            raise RuleViolation(
                f"A {level} org cannot sit below a {parent.level} org: "
                "the parent must be a higher level.",
                rule="org.parent_level",
            )
        return cls._create(
            cls.Registered,
            id=id,
            name=name,
            level=level,
            parent_id=parent.id if parent else None,
            meta=meta,
        )

    def rename(self, *, name: str, meta: Meta) -> None:
        """A new name (the level and the place in the tree never change)."""
        self.trigger_event(self.Renamed, name=_name(name, "org"), meta=meta)


class Leader(Entity):
    """A leader in office from `in_office_from`; may move to another org and leave office
    (their term: `domain/tenure.py`). Statistics stay with the leader's id across a move."""

    if TYPE_CHECKING:  # set by the events' apply (see `Entity` on class annotations)
        name: str
        title: str
        org_id: UUID
        level: OrgLevel
        in_office_from: date | None
        registered_at: datetime
        moved_on: date | None
        left_on: date | None

    class Event(RemembersKeys, Entity.Event):
        meta: Meta

    class Registered(Event, Entity.Created):
        # v2: the day the leader took office. A v1 registration upcasts to None, read as the
        # local day it was registered (`tenure.took_office`).
        class_version = 2

        name: str
        title: str
        org_id: UUID
        level: OrgLevel
        in_office_from: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["in_office_from"] = None

        def apply(self, leader: Leader) -> None:
            leader.name, leader.title = self.name, self.title
            leader.org_id, leader.level = self.org_id, self.level
            leader.in_office_from, leader.registered_at = self.in_office_from, self.meta.occurred_at
            leader.moved_on, leader.left_on = None, None

    class LeftOffice(Event):
        on: date  # the last day in office

        def apply(self, leader: Leader) -> None:
            leader.left_on = self.on

    class Moved(Event):
        to_org_id: UUID
        level: OrgLevel
        on: date  # the first day in the new org

        def apply(self, leader: Leader) -> None:
            leader.org_id, leader.level, leader.moved_on = self.to_org_id, self.level, self.on

    class Renamed(Event):
        name: str
        title: str

        def apply(self, leader: Leader) -> None:
            leader.name, leader.title = self.name, self.title

    def __init__(self) -> None:
        self.idempotency_keys = {}

    @classmethod
    def register(
        cls, *, id: UUID, name: str, title: str, org: Org, in_office_from: date, meta: Meta
    ) -> Leader:
        return cls._create(
            cls.Registered,
            id=id,
            name=_name(name, "leader"),
            title=title.strip(),
            org_id=org.id,
            level=org.level,
            in_office_from=_day(in_office_from, "in_office_from"),
            meta=meta,
        )

    def took_office(self, policy: Policy) -> date:
        return took_office(self.in_office_from, self.registered_at, policy)

    def leave_office(self, *, on: date, policy: Policy, meta: Meta) -> None:
        on = _day(on, "on")
        if self.left_on is not None:
            raise RuleViolation(
                f"The leader already left office on {self.left_on}.", "left_office.twice"
            )
        since = self.moved_on or self.took_office(policy)
        if on < since:
            raise RuleViolation(
                f"The leader cannot leave office on {on}: they hold their office from {since}.",
                "left_office.before_office",
            )
        self.trigger_event(self.LeftOffice, on=on, meta=meta)

    def move(self, *, to: Org, on: date, policy: Policy, meta: Meta) -> None:
        on = _day(on, "on")
        if self.left_on is not None:
            raise RuleViolation(
                f"The leader left office on {self.left_on}: a leader out of office cannot move.",
                "moved.after_leaving",
            )
        if to.id == self.org_id:
            raise RuleViolation("The leader already holds office in that org.", "moved.same_org")
        since = self.moved_on or self.took_office(policy)
        if on <= since:
            raise RuleViolation(
                f"A move takes effect after the leader took office or last moved ({since}): "
                f"{on} is not.",
                "moved.before_office",
            )
        self.trigger_event(self.Moved, to_org_id=to.id, level=to.level, on=on, meta=meta)

    def rename(self, *, name: str, title: str, meta: Meta) -> None:
        self.trigger_event(self.Renamed, name=_name(name, "leader"), title=title.strip(), meta=meta)


def _name(name: str, kind: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"A {kind} needs a name.", rule=f"{kind}.name_required", field="name")
    return name.strip()


def _day(value: date, field: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(f"{field} must be a date (YYYY-MM-DD).", f"leader.{field}_type")
    return value
