"""What a projection (or the relay) reads: the global log as decoded, ordered events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from caseflow.domain.values import Meta


@dataclass(slots=True, frozen=True)
class LoggedEvent:
    """One event of the global log. `data` holds the event's own fields (no ids, no meta)."""

    position: int
    id: UUID  # stable event id (uuid5 of aggregate id and version): the CloudEvents `ce_id`
    aggregate_id: UUID
    version: int
    name: str  # e.g. "case.review_requested"
    recorded_at: datetime
    meta: Meta
    data: dict[str, Any]

    @property
    def occurred_at(self) -> datetime:
        """Business time: when it happened in the world (received_at for a registration)."""
        return self.data.get("received_at") or self.meta.occurred_at


class EventSource(Protocol):
    def read(self, after: int, limit: int) -> list[LoggedEvent]:
        """Events with position > `after`, in order, at most `limit`."""

    def head(self) -> int:
        """Position of the newest event (0 for an empty log)."""

    def wait(self, after: int, timeout: float) -> bool:
        """Block until the log has an event past `after` or `timeout` passes; True if it has."""
