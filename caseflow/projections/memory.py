"""In-memory `Rows` and `ViewStore`: the fake beside the SQL adapters (unit tests, and folding
one case's events in memory for time travel). Same semantics as the SQL store, no I/O."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from caseflow.projections.base import Key, PositionMoved, Projection, Row, Table
from caseflow.projections.store import (
    Cursor,
    Failure,
    PositionRecord,
    ProjectionRecord,
    SharePlan,
)


class MemoryRows:
    """`Rows` over plain dicts: {table name: {key: row}}."""

    def __init__(self, tables: Iterable[Table], data: dict[str, dict[Key, Row]] | None = None):
        self.tables = {t.name: t for t in tables}
        self.data = data if data is not None else {name: {} for name in self.tables}
        self.position: int | None = None
        self.recorded_at: datetime | None = None

    def _full(self, table: str, row: Row) -> Row:
        spec = self.tables[table]
        return {c.name: row.get(c.name, c.default) for c in spec.columns}

    def preload(self, table: str, keys: Iterable[Key]) -> None:
        """Nothing to load: everything is in memory."""

    def get(self, table: str, key: Key) -> Row | None:
        row = self.data[table].get(key)
        return None if row is None else dict(row)

    def put(self, table: str, row: Row) -> None:
        full = self._full(table, row)
        self.data[table][self.tables[table].key_of(full)] = full

    def add(self, table: str, key: Key, **deltas: int | float) -> None:
        spec = self.tables[table]
        row = self.data[table].get(key)
        if row is None:
            row = self._full(table, dict(zip(spec.key, key, strict=True)))
            self.data[table][key] = row
        for column, delta in deltas.items():
            row[column] = (row[column] or 0) + delta

    def insert(self, table: str, row: Row) -> None:
        full = self._full(table, row)
        key = self.tables[table].key_of(full)
        if key in self.data[table]:
            raise KeyError(f"{table}: duplicate key {key}")
        self.data[table][key] = full

    def delete(self, table: str, key: Key) -> None:
        self.data[table].pop(key, None)

    def scan(self, table: str) -> Iterator[Row]:
        return iter([dict(r) for r in self.data[table].values()])

    def advance(self, position: int, recorded_at: datetime | None) -> None:
        self.position, self.recorded_at = position, recorded_at

    def held(self) -> int:
        """A copy of every row: the fake does not bound a rebuild's windows by rows."""
        return 0


class _Lock:
    held: set[str] = set()

    def __init__(self, name: str):
        self.name, self.mine = name, False

    def acquire(self) -> bool:
        if self.mine:
            return True
        if self.name in _Lock.held:
            return False
        _Lock.held.add(self.name)
        self.mine = True
        return True

    def release(self) -> None:
        if self.mine:
            _Lock.held.discard(self.name)
            self.mine = False

    def held_elsewhere(self) -> bool:
        return not self.mine and self.name in _Lock.held


class MemoryViewStore:
    """The `ViewStore` fake: generations as dicts; a batch works on a copy, kept on commit."""

    def __init__(self) -> None:
        self.projections: dict[str, Projection] = {}
        # (name, generation) → {"state", "cursor", "failure", "data"}
        self.gens: dict[tuple[str, int], dict[str, Any]] = {}
        self._mutex = threading.RLock()
        self.fail_next_commit: BaseException | None = None  # tests: simulate a crash at commit
        self.positions: dict[str, PositionRecord] = {}  # consumers that are not projections
        self.plans: dict[tuple[str, int], SharePlan] = {}  # rebuilds split by case

    def setup(self, projections: list[Projection]) -> None:
        for p in projections:
            self.projections[p.name] = p
            if not any(n == p.name for n, _ in self.gens):
                self.gens[(p.name, 1)] = self._new("active", p)

    def _new(self, state: str, p: Projection) -> dict[str, Any]:
        return {
            "state": state,
            "cursor": Cursor(0, 0, None),
            "failure": None,
            "data": {t.name: {} for t in p.tables},
        }

    def _find(self, name: str, state: str) -> tuple[int, dict[str, Any]] | None:
        for (n, g), gen in self.gens.items():
            if n == name and gen["state"] == state:
                return g, gen
        return None

    def record(self, name: str) -> ProjectionRecord:
        with self._mutex:
            active, building = self._find(name, "active"), self._find(name, "building")
            if active is None:
                raise KeyError(name)

            def cursor(found: tuple[int, dict[str, Any]]) -> Cursor:
                c = found[1]["cursor"]
                return Cursor(found[0], c.position, c.recorded_at)

            return ProjectionRecord(
                name,
                self.projections[name].schema_version,
                cursor(active),
                cursor(building) if building else None,
                active[1]["failure"],
                building[1]["failure"] if building else None,
            )

    def data(self, name: str, generation: int | None = None) -> dict[str, dict[Key, Row]]:
        """The rows of a generation (the active one by default)."""
        if generation is None:
            found = self._find(name, "active")
            assert found is not None
            data: dict[str, dict[Key, Row]] = found[1]["data"]
            return data
        data = self.gens[(name, generation)]["data"]
        return data

    @contextmanager
    def batch(
        self,
        projection: Projection,
        generation: int,
        expected_position: int,
        share: int | None = None,
    ) -> Iterator[MemoryRows]:
        with self._mutex:
            gen = self.gens.get((projection.name, generation))
            plan = self.plans.get((projection.name, generation))
            at = gen["cursor"].position if gen is not None else None
            if share is not None:
                at = plan.positions[share] if plan is not None else None
            if gen is None or gen["state"] not in ("active", "building") or at != expected_position:
                raise PositionMoved(f"{projection.name} g{generation}")
            rows = MemoryRows(projection.tables, copy.deepcopy(gen["data"]))
            yield rows
            if self.fail_next_commit is not None:
                exc, self.fail_next_commit = self.fail_next_commit, None
                raise exc
            gen["data"] = rows.data
            if rows.position is None:
                return
            if plan is not None and share is not None:
                positions = list(plan.positions)
                positions[share] = rows.position
                self.plans[(projection.name, generation)] = replace(
                    plan, positions=tuple(positions)
                )
            else:
                gen["cursor"] = Cursor(generation, rows.position, rows.recorded_at)

    def plan_shares(
        self, projection: Projection, generation: int, shares: int, target: int
    ) -> SharePlan:
        with self._mutex:
            key = (projection.name, generation)
            if key not in self.plans:
                assert self.gens[key]["cursor"].position == 0, "only an empty shadow is split"
                self.plans[key] = SharePlan(shares, target, (0,) * shares)
            return self.plans[key]

    def share_plan(self, name: str, generation: int) -> SharePlan | None:
        with self._mutex:
            return self.plans.get((name, generation))

    @contextmanager
    def merge_shares(self, projection: Projection, generation: int) -> Iterator[MemoryRows]:
        with self._mutex:
            key = (projection.name, generation)
            plan = self.plans.get(key)
            if plan is None or not plan.folded:
                raise PositionMoved(f"{projection.name} g{generation}: shares not folded")
            with self.batch(projection, generation, 0) as rows:
                yield rows
                rows.position = plan.target
            del self.plans[key]

    def record_failure(self, name: str, generation: int, failure: Failure | None) -> None:
        with self._mutex:
            self.gens[(name, generation)]["failure"] = failure

    def begin_rebuild(self, projection: Projection) -> Cursor:
        with self._mutex:
            found = self._find(projection.name, "building")
            if found is not None:
                return Cursor(found[0], found[1]["cursor"].position, found[1]["cursor"].recorded_at)
            top = max(g for n, g in self.gens if n == projection.name)
            self.gens[(projection.name, top + 1)] = self._new("building", projection)
            return Cursor(top + 1, 0, None)

    def build_indexes(self, projection: Projection, generation: int) -> None:
        """No indexes in memory."""

    def switch(self, projection: Projection, generation: int) -> None:
        with self._mutex:
            old = self._find(projection.name, "active")
            if old is not None:
                del self.gens[(projection.name, old[0])]
            self.gens[(projection.name, generation)]["state"] = "active"

    def discard_rebuild(self, name: str) -> None:
        with self._mutex:
            found = self._find(name, "building")
            if found is not None:
                del self.gens[(name, found[0])]
                self.plans.pop((name, found[0]), None)

    def consumer_position(self, name: str) -> PositionRecord:
        with self._mutex:
            return self.positions.setdefault(name, PositionRecord(name, 0, None))

    def advance_consumer(
        self, name: str, expected_position: int, position: int, recorded_at: datetime | None
    ) -> None:
        with self._mutex:
            current = self.consumer_position(name)
            if current.position != expected_position:
                raise PositionMoved(f"{name}: at {current.position}, not {expected_position}")
            if self.fail_next_commit is not None:
                exc, self.fail_next_commit = self.fail_next_commit, None
                raise exc
            self.positions[name] = replace(
                current, position=position, recorded_at=recorded_at, error=None
            )

    def record_consumer_error(self, name: str, error: str | None) -> None:
        with self._mutex:
            current = self.consumer_position(name)
            if error is None:
                self.positions[name] = replace(current, error=None)
            else:
                self.positions[name] = replace(
                    current, error=error, last_error=error, last_error_at=datetime.now(UTC)
                )

    def lock(self, name: str) -> _Lock:
        return _Lock(f"{id(self)}:{name}")

    def is_transient(self, exc: BaseException) -> bool:
        return isinstance(exc, (ConnectionError, TimeoutError))

    @contextmanager
    def bulk(self) -> Iterator[None]:
        yield

    def close(self) -> None:
        """Nothing to close."""
