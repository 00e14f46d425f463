"""`audit`: one append-only row per event of every aggregate — who did what, when (recorded and
business time), in answer to which request, with a readable summary and the full payload.

The payload is kept whole, personal data included: the API decides who may see it."""

from __future__ import annotations

from collections.abc import Sequence

from caseflow.domain.policy import DEFAULT_POLICY, Policy
from caseflow.projections.base import Column, Projection, Rows, Table
from caseflow.projections.source import LoggedEvent, in_utc
from caseflow.projections.summaries import summary

AUDIT = Table(
    "audit",
    (
        Column("position", "int"),
        Column("aggregate_id", "uuid"),
        Column("aggregate_type", "text"),
        Column("version", "int"),
        Column("event", "text"),
        Column("recorded_at", "timestamp"),
        Column("occurred_at", "timestamp"),
        Column("actor_id", "text"),
        Column("actor_role", "text"),
        Column("correlation_id", "text"),
        Column("causation_id", "text"),
        Column("summary", "text"),
        Column("payload", "json"),
    ),
    key=("position",),
    indexes=(("aggregate_id", "version"), ("actor_id", "recorded_at")),
    append_only=True,
)


class Audit(Projection):
    name = "audit"
    tables = (AUDIT,)

    # 2: summaries no longer quote free text (subject, reasons); 3: summaries give local days,
    # payload times are in UTC, and occurred_at is a decision's served_at (business time) also
    # for events recorded before
    schema_version = 3

    def __init__(self, policy: Policy | None = None):
        self.policy = policy
        self.tz = (policy or DEFAULT_POLICY).tz

    def handle(self, events: Sequence[LoggedEvent], rows: Rows) -> None:
        insert = rows.insert
        for e in events:
            meta = e.meta
            insert(
                "audit",
                {
                    "position": e.position,
                    "aggregate_id": e.aggregate_id,
                    "aggregate_type": e.name.partition(".")[0],
                    "version": e.version,
                    "event": e.name,
                    "recorded_at": e.recorded_at,
                    "occurred_at": e.occurred_at,
                    "actor_id": meta.actor_id,
                    "actor_role": meta.actor_role,
                    "correlation_id": meta.correlation_id,
                    "causation_id": meta.causation_id,
                    "summary": summary(e, self.tz),
                    "payload": in_utc(e.data),
                },
            )
