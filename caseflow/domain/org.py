"""Org (a petition office, government unit or department) and Leader aggregates."""

from __future__ import annotations

from uuid import UUID

from caseflow.domain.base import Entity, RemembersKeys
from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.guards import member
from caseflow.domain.values import Meta, OrgLevel

LEVEL_RANK = {level: rank for rank, level in enumerate(OrgLevel)}


class Org(Entity):
    class Event(RemembersKeys, Entity.Event):
        meta: Meta

    class Registered(Event, Entity.Created):
        name: str
        level: OrgLevel
        parent_id: UUID | None

        def apply(self, org: Org) -> None:
            org.name, org.level, org.parent_id = self.name, self.level, self.parent_id

    def __init__(self) -> None:
        self.idempotency_keys = {}

    @classmethod
    def register(
        cls, *, id: UUID, name: str, level: OrgLevel, parent: Org | None, meta: Meta
    ) -> Org:
        if not name.strip():
            raise InvalidInput("An org needs a name.", rule="org.name_required", field="name")
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
            name=name.strip(),
            level=level,
            parent_id=parent.id if parent else None,
            meta=meta,
        )


class Leader(Entity):
    class Event(RemembersKeys, Entity.Event):
        meta: Meta

    class Registered(Event, Entity.Created):
        name: str
        title: str
        org_id: UUID
        level: OrgLevel

        def apply(self, leader: Leader) -> None:
            leader.name, leader.title = self.name, self.title
            leader.org_id, leader.level = self.org_id, self.level

    def __init__(self) -> None:
        self.idempotency_keys = {}

    @classmethod
    def register(cls, *, id: UUID, name: str, title: str, org: Org, meta: Meta) -> Leader:
        if not name.strip():
            raise InvalidInput("A leader needs a name.", rule="leader.name_required", field="name")
        return cls._create(
            cls.Registered,
            id=id,
            name=name.strip(),
            title=title.strip(),
            org_id=org.id,
            level=org.level,
            meta=meta,
        )
