"""The part of the `ViewStore` port the relay uses (positions with compare-and-set), in memory."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from caseflow.projections.base import PositionMoved, Projection
from caseflow.projections.store import Cursor, ProjectionRecord


class _Batch:
    def __init__(self) -> None:
        self.advanced: tuple[int, datetime] | None = None

    def advance(self, position: int, recorded_at: datetime) -> None:
        self.advanced = (position, recorded_at)


class FakePositions:
    def __init__(self) -> None:
        self.cursors: dict[str, Cursor] = {}
        self.fail_next_commit = False

    def setup(self, projections: list[Projection]) -> None:
        for p in projections:
            self.cursors.setdefault(p.name, Cursor(1, 0, None))

    def record(self, name: str) -> ProjectionRecord:
        return ProjectionRecord(name, 1, self.cursors[name], None, None, None)

    @contextmanager
    def batch(self, projection: Projection, generation: int, expected_position: int):
        current = self.cursors[projection.name]
        if current.position != expected_position:
            raise PositionMoved(projection.name)
        batch = _Batch()
        yield batch
        if self.fail_next_commit:
            self.fail_next_commit = False
            raise ConnectionError("database went away before the commit")
        if batch.advanced:
            self.cursors[projection.name] = Cursor(generation, *batch.advanced)
