"""The framework's in-memory `Rows`, with helpers to feed a projection and read its rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from caseflow.projections import memory
from caseflow.projections.base import Projection, Row
from caseflow.projections.source import LoggedEvent


class MemoryRows(memory.MemoryRows):
    """Rows of one projection kept in dicts; every `run` is one batch."""

    def __init__(self, projection: Projection):
        super().__init__(projection.tables)
        self.projection = projection

    def run(self, events: Sequence[LoggedEvent]) -> None:
        interests = self.projection.interests
        wanted = [e for e in events if interests is None or e.name in interests]
        if wanted:
            self.projection.handle(wanted, self)

    def row(self, table: str, *key: Any) -> Row:
        """A stored row: KeyError when absent."""
        return self.data[table][tuple(key)]
