"""`directory`: orgs (with their place in the hierarchy) and leaders, for names, org-subtree
filters ("my org and everything below it") and leader levels. Names follow renames; a leader's
org and level are the ones held now (moves)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from caseflow.domain.policy import Policy
from caseflow.projections.base import Column, Projection, Rows, Table
from caseflow.projections.source import LoggedEvent

ORGS = Table(
    "orgs",
    (
        Column("org_id", "uuid"),
        Column("name", "text"),
        Column("level", "text"),
        Column("parent_id", "uuid"),
        Column("path", "json"),
        Column("registered_at", "timestamp"),
    ),
    key=("org_id",),
    indexes=(("parent_id",),),
)

# Closure table: one row per (ancestor, descendant), an org being its own ancestor at depth 0.
ORG_TREE = Table(
    "org_tree",
    (
        Column("ancestor_id", "uuid"),
        Column("descendant_id", "uuid"),
        Column("depth", "int"),
    ),
    key=("ancestor_id", "descendant_id"),
    indexes=(("descendant_id",),),
)

LEADERS = Table(
    "leaders",
    (
        Column("leader_id", "uuid"),
        Column("name", "text"),
        Column("title", "text"),
        Column("org_id", "uuid"),
        Column("level", "text"),
        Column("registered_at", "timestamp"),
    ),
    key=("leader_id",),
    indexes=(("org_id",),),
)


class Directory(Projection):
    name = "directory"
    schema_version = 2  # 2: names follow renames, leaders their moves
    tables = (ORGS, ORG_TREE, LEADERS)
    interests = frozenset(
        {"org.registered", "leader.registered", "org.renamed", "leader.moved", "leader.renamed"}
    )

    def __init__(self, policy: Policy | None = None):
        self.policy = policy

    def handle(self, events: Sequence[LoggedEvent], rows: Rows) -> None:
        for e in events:
            d = e.data
            if e.name == "org.registered":
                parent = rows.get("orgs", (d["parent_id"],)) if d.get("parent_id") else None
                path = [*(parent["path"] if parent else []), str(e.aggregate_id)]
                rows.put(
                    "orgs",
                    {
                        "org_id": e.aggregate_id,
                        "name": d["name"],
                        "level": str(d["level"]),
                        "parent_id": d.get("parent_id"),
                        "path": path,
                        "registered_at": e.recorded_at,
                    },
                )
                for depth, ancestor in enumerate(reversed(path)):
                    rows.put(
                        "org_tree",
                        {
                            "ancestor_id": UUID(ancestor),
                            "descendant_id": e.aggregate_id,
                            "depth": depth,
                        },
                    )
            elif e.name == "leader.registered":
                rows.put(
                    "leaders",
                    {
                        "leader_id": e.aggregate_id,
                        "name": d["name"],
                        "title": d.get("title", ""),
                        "org_id": d["org_id"],
                        "level": str(d["level"]),
                        "registered_at": e.recorded_at,
                    },
                )
            else:
                self._changed(e, d, rows)

    def _changed(self, e: LoggedEvent, d: dict[str, Any], rows: Rows) -> None:
        table, changes = {
            "org.renamed": ("orgs", {"name": d.get("name")}),
            "leader.moved": (
                "leaders",
                {"org_id": d.get("to_org_id"), "level": str(d.get("level"))},
            ),
            "leader.renamed": ("leaders", {"name": d.get("name"), "title": d.get("title")}),
        }[e.name]
        row = rows.get(table, (e.aggregate_id,))
        if row is not None:  # (a log without the registration: nothing to change)
            rows.put(table, {**row, **changes})
