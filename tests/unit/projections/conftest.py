from __future__ import annotations

from collections.abc import Sequence

import pytest

from caseflow.projections.base import Column, Projection, Rows, Table
from caseflow.projections.memory import MemoryViewStore
from caseflow.projections.source import LoggedEvent
from tests.unit.projections.world import World


class Counting(Projection):
    """Counts events per name; raises on the positions in `poison` (a stand-in for a bug)."""

    name = "counting"
    tables = (Table("counts", (Column("event", "text"), Column("n", "int", 0)), key=("event",)),)

    def __init__(self, poison: set[int] | None = None, name: str = "counting"):
        self.poison = poison or set()
        self.name = name  # type: ignore[misc]
        self.batches: list[int] = []

    def handle(self, events: Sequence[LoggedEvent], rows: Rows) -> None:
        self.batches.append(len(events))
        for e in events:
            if e.position in self.poison:
                raise ValueError(f"cannot handle {e.position}")
            rows.add("counts", (e.name,), n=1)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def store() -> MemoryViewStore:
    return MemoryViewStore()
