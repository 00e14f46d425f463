"""The view store port: where projections keep rows, positions, generations and failures.

Adapters live in `caseflow/infra/views/` (SQLite file `<data_dir>/views.sqlite3`, or tables in the
PostgreSQL database); `tests/unit/projections` has an in-memory fake. Every projection's tables
exist in *generations*: the active generation serves queries (through SQL views named after the
logical tables) and follows the log live; a rebuild fills the next generation ("building") from
position 0 and `switch`es when it has caught up.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from caseflow.projections.base import Projection, Rows


@dataclass(frozen=True)
class Cursor:
    """Where one generation of a projection stands."""

    generation: int
    position: int
    recorded_at: datetime | None  # recorded time of the event at `position`


@dataclass(frozen=True)
class Failure:
    position: int
    event: str  # "case.screened <aggregate id> v2"
    error: str
    at: datetime


@dataclass(frozen=True)
class ProjectionRecord:
    """The store's bookkeeping for one projection (what `projections status` prints)."""

    name: str
    schema_version: int
    active: Cursor
    building: Cursor | None
    failure: Failure | None  # set while the active generation is stopped at a poison event
    building_failure: Failure | None


@dataclass(frozen=True)
class PositionRecord:
    """Where a consumer that is not a projection stands (the Kafka relay): its own row in the
    view store's `consumer_positions`, advanced with compare-and-set like a projection's."""

    name: str
    position: int
    recorded_at: datetime | None  # recorded time of the event at `position`
    error: str | None = None  # the error its running instance is retrying now
    last_error: str | None = None  # the latest error, kept after it recovered
    last_error_at: datetime | None = None


@dataclass(frozen=True)
class SharePlan:
    """A rebuild split by case (`projections.shares`): `shares` workers each fold the events of
    their share of the aggregates into the same new generation, up to `target`, each keeping
    its own position (`positions[k]`); then the projection's `merge` runs once and the
    generation stands at `target`."""

    shares: int
    target: int
    positions: tuple[int, ...]

    @property
    def folded(self) -> bool:
        """Every share has reached the target: ready to merge."""
        return all(p >= self.target for p in self.positions)


class Batch(Rows, Protocol):
    def advance(self, position: int, recorded_at: datetime | None) -> None:
        """Record the position reached; committed with the rows when the batch closes."""

    def held(self) -> int:
        """Rows this batch holds in memory until it closes (changed, added and inserted)."""


class Lock(Protocol):
    """One active instance per name across processes (PostgreSQL advisory lock / file lock)."""

    def acquire(self) -> bool:
        """Take the lock if free (never blocks); True if this process now holds it."""

    def release(self) -> None:
        """Give the lock up (no-op when not held)."""

    def held_elsewhere(self) -> bool:
        """True when another holder has it (a probe for status; does not keep it)."""


class ViewStore(Protocol):
    def setup(self, projections: list[Projection]) -> None:
        """Create bookkeeping tables, and generation 1 of any projection not seen before."""

    def record(self, name: str) -> ProjectionRecord:
        """Bookkeeping for one projection (raises KeyError for an unknown name)."""

    def batch(
        self,
        projection: Projection,
        generation: int,
        expected_position: int,
        share: int | None = None,
    ) -> AbstractContextManager[Batch]:
        """One transaction: rows of `generation` plus its position. Raises `PositionMoved` when
        the generation's position is not `expected_position` (or the active generation changed
        while writing to it); rolls back on any exception. With `share`, the position is that
        share's of the generation's `SharePlan` (other shares write the same tables at once:
        their counter rows only ever by `add`, in key order)."""

    def plan_shares(
        self, projection: Projection, generation: int, shares: int, target: int
    ) -> SharePlan:
        """Split the rebuild of an empty shadow `generation` into `shares` up to `target`, or
        return the plan it already has (a resumed run keeps its shares and target)."""

    def share_plan(self, name: str, generation: int) -> SharePlan | None:
        """The generation's split, while it is being folded (None: not split, or merged)."""

    def merge_shares(
        self, projection: Projection, generation: int
    ) -> AbstractContextManager[Batch]:
        """One transaction over the generation once every share reached the target: the rows
        the projection's `merge` writes, the generation's position set to the target (with the
        `recorded_at` given to `advance`), the plan gone. `PositionMoved` when a share is short
        of the target or the plan is gone."""

    def record_failure(self, name: str, generation: int, failure: Failure | None) -> None:
        """Remember (or clear, with None) the poison event a generation stopped at."""

    def begin_rebuild(self, projection: Projection) -> Cursor:
        """Create empty shadow tables for a new generation, or return the unfinished one."""

    def build_indexes(self, projection: Projection, generation: int) -> None:
        """Create a shadow generation's secondary indexes and fresh statistics (what `switch`
        does first, when not done already): ahead of it, several at once."""

    def switch(self, projection: Projection, generation: int) -> None:
        """Make `generation` active in one transaction (the views now read it), drop the old."""

    def discard_rebuild(self, name: str) -> None:
        """Drop an unfinished shadow generation."""

    def consumer_position(self, name: str) -> PositionRecord:
        """A consumer's position row (created at 0 for a name not seen before)."""

    def advance_consumer(
        self, name: str, expected_position: int, position: int, recorded_at: datetime | None
    ) -> None:
        """Move a consumer's position from `expected_position` to `position` (one transaction;
        `PositionMoved` when it is not at `expected_position`) and clear its error."""

    def record_consumer_error(self, name: str, error: str | None) -> None:
        """Remember the error a consumer is retrying (kept as its last error), or clear it."""

    def lock(self, name: str) -> Lock:
        """A cross-process lock for one consumer name."""

    def is_transient(self, exc: BaseException) -> bool:
        """True for errors worth retrying (connection lost, database locked), not data errors."""

    def bulk(self) -> AbstractContextManager[None]:
        """Tune this thread's connection for a long bulk load (a rebuild) while inside."""

    def close(self) -> None:
        """Close connections."""


def describe(event: Any) -> str:
    """How a failed event is named in logs and status: `case.screened <id> v2 @ 1234`."""
    return f"{event.name} {event.aggregate_id} v{event.version} @ {event.position}"
