"""The part of the `ViewStore` port the relay uses (its position row with compare-and-set, and
its errors), in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from caseflow.projections.base import PositionMoved
from caseflow.projections.store import PositionRecord


class FakePositions:
    def __init__(self) -> None:
        self.rows: dict[str, PositionRecord] = {}
        self.fail_next_commit = False

    def consumer_position(self, name: str) -> PositionRecord:
        return self.rows.setdefault(name, PositionRecord(name, 0, None))

    def advance_consumer(
        self, name: str, expected_position: int, position: int, recorded_at: datetime | None
    ) -> None:
        current = self.consumer_position(name)
        if current.position != expected_position:
            raise PositionMoved(name)
        if self.fail_next_commit:
            self.fail_next_commit = False
            raise ConnectionError("database went away before the commit")
        self.rows[name] = replace(current, position=position, recorded_at=recorded_at, error=None)

    def record_consumer_error(self, name: str, error: str | None) -> None:
        current = self.consumer_position(name)
        self.rows[name] = (
            replace(current, error=error)
            if error is None
            else replace(current, error=error, last_error=error, last_error_at=datetime.now(UTC))
        )
