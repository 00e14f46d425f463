"""The public face of an event: the payload analysts and the stream see (no petitioner personal
data) and its CloudEvents 1.0 envelope. Shared by the Kafka relay and the HTTP feed."""

from __future__ import annotations

from typing import Any

from caseflow.domain.base import ce_type
from caseflow.projections.source import LoggedEvent

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
# Fields that identify or speak for petitioners; never leave the service boundary in public.
PERSONAL_FIELDS = frozenset({"petitioners", "representatives", "request"})


def public_payload(event: LoggedEvent) -> dict[str, Any]:
    """The event's data without personal fields, plus who/when/why metadata. orjson-serialisable."""
    data = {k: v for k, v in event.data.items() if k not in PERSONAL_FIELDS}
    if event.name == "case.received":
        data["petitioner_count"] = len(event.data.get("petitioners", ()))
        data["representative_count"] = len(event.data.get("representatives", ()))
    meta = event.meta
    return {
        "aggregate_id": event.aggregate_id,
        "version": event.version,
        "occurred_at": event.occurred_at,
        "actor_id": meta.actor_id,
        "actor_role": meta.actor_role,
        "correlation_id": meta.correlation_id,
        "causation_id": meta.causation_id,
        **data,
    }


def sequence(position: int) -> str:
    """`ce_sequence`: the global position, zero-padded to 20 digits so it sorts as text."""
    return f"{position:020d}"


def attributes(event: LoggedEvent, source: str) -> dict[str, str]:
    """CloudEvents context attributes (binary mode puts each in a `ce_` header)."""
    return {
        "specversion": SPEC_VERSION,
        "id": str(event.id),
        "source": source,
        "type": ce_type(event.name),
        "subject": str(event.aggregate_id),
        "time": event.recorded_at.isoformat(),
        "sequence": sequence(event.position),
    }


def structured(event: LoggedEvent, source: str) -> dict[str, Any]:
    """CloudEvents structured-mode JSON object, as served by `GET /events` and the SSE stream."""
    return {**attributes(event, source), "datacontenttype": CONTENT_TYPE,
            "data": public_payload(event)}
