"""An in-memory `Rows` (the framework's unit of work) for driving projections without a store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from caseflow.projections.base import Key, Projection, Row
from caseflow.projections.source import LoggedEvent


class MemoryRows:
    """Rows of one projection kept in dicts; every `run` is one "batch"."""

    def __init__(self, projection: Projection):
        self.projection = projection
        self.tables: dict[str, dict[Key, Row]] = {t.name: {} for t in projection.tables}

    def run(self, events: Sequence[LoggedEvent]) -> None:
        wanted = [e for e in events
                  if self.projection.interests is None or e.name in self.projection.interests]
        if wanted:
            self.projection.handle(wanted, self)

    def preload(self, table: str, keys: Iterable[Key]) -> None:
        list(keys)

    def get(self, table: str, key: Key) -> Row | None:
        row = self.tables[table].get(tuple(key))
        return dict(row) if row is not None else None

    def put(self, table: str, row: Row) -> None:
        t = self.projection.table(table)
        full = {c.name: row.get(c.name, c.default) for c in t.columns}
        self.tables[table][t.key_of(full)] = full

    def add(self, table: str, key: Key, **deltas: Any) -> None:
        t = self.projection.table(table)
        row = self.tables[table].get(tuple(key))
        if row is None:
            row = {c.name: c.default for c in t.columns} | dict(zip(t.key, key))
            self.tables[table][tuple(key)] = row
        for name, n in deltas.items():
            row[name] += n

    def insert(self, table: str, row: Row) -> None:
        self.put(table, row)

    def delete(self, table: str, key: Key) -> None:
        self.tables[table].pop(tuple(key), None)

    def row(self, table: str, *key: Any) -> Row:
        """A stored row (a test helper): KeyError when absent."""
        return self.tables[table][tuple(key)]
