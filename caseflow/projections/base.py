"""How a projection plugs in: declare tables, turn a batch of events into row changes.

A projection is a small class with a `name`, the `tables` it owns and a `handle(events, rows)`
method. It never sees SQL, connections or positions: the runner reads the log in order, opens one
transaction per batch, gives the projection a `Rows` unit of work, and commits the row changes
together with the new position (DESIGN §4). The same projection code runs on SQLite and
PostgreSQL and during rebuilds (where `rows` writes to shadow tables).

    class Leaderboard(Projection):
        name = "leaderboard"
        tables = (Table("leaderboard", (Column("leader_id", "uuid"), Column("visits", "int", 0)),
                        key=("leader_id",)),)

        def handle(self, events, rows):
            for e in events:
                if e.name == "case.visited":
                    rows.add("leaderboard", (e.data["leader_id"],), visits=1)

Rules for handlers:
- Deterministic: the rows may depend only on the events (and the projection's constructor
  arguments such as the policy), never on the wall clock, randomness or other projections' tables,
  so that live processing and a rebuild give identical views.
- Read state through `rows.get` (call `rows.preload` once per batch for the keys you will need:
  one query instead of one per event), write with `put` / `add` / `insert` / `delete`.
- Keep no state between batches on `self`; if you cache something, clear it in `reset()`, which
  the runner calls whenever a batch is rolled back.
- An exception from `handle` marks an event as poison: the runner re-runs the batch event by event,
  commits everything before the bad event and stops this projection there (others carry on).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from caseflow.projections.source import LoggedEvent

# Python values per column type: text→str, int→int, real→float, bool→bool, date→date,
# timestamp→aware datetime, uuid→UUID, json→dict/list (orjson-serialisable). None is NULL.
ColumnType = Literal["text", "int", "real", "bool", "date", "timestamp", "uuid", "json"]
Key = tuple[Any, ...]
Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType
    default: Any = None  # used for columns a row leaves out (and as the start of `add` counters)


@dataclass(frozen=True)
class Table:
    """A logical view table. Its physical name carries a generation (`case_status_g2`); queries
    read it through a SQL view of the logical name, which a rebuild swaps atomically."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()  # secondary indexes, e.g. (("org_id", "status"),)
    append_only: bool = False  # rows only ever `insert`ed (audit): no upsert machinery

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def key_of(self, row: Mapping[str, Any]) -> Key:
        return tuple(row[k] for k in self.key)


def org_table(name: str) -> Table:
    """A statistics view's own copy of the org tree (id, parent, level, name), so that its
    queries walk a subtree in its own store and generation."""
    return Table(
        name,
        (
            Column("org_id", "uuid"),
            Column("parent_id", "uuid"),
            Column("level", "text"),
            Column("name", "text"),
        ),
        key=("org_id",),
        indexes=(("parent_id",),),
    )


class Rows(Protocol):
    """The unit of work a projection writes to during one batch (one transaction)."""

    def preload(self, table: str, keys: Iterable[Key]) -> None:
        """Load these rows in one query so that later `get`s need no round trip."""

    def get(self, table: str, key: Key) -> Row | None:
        """The row as it stands in this batch (pending changes included), or None. Do not mutate
        the returned dict in place without `put`ting it back."""

    def put(self, table: str, row: Row) -> None:
        """Insert or replace the whole row (columns left out take their default)."""

    def add(self, table: str, key: Key, **deltas: int | float) -> None:
        """Add to counter columns without reading the row (created at defaults when absent)."""

    def insert(self, table: str, row: Row) -> None:
        """Append a new row to an append-only table."""

    def delete(self, table: str, key: Key) -> None:
        """Remove the row, if present."""

    def scan(self, table: str) -> Iterator[Row]:
        """Every committed row of the table (this batch's own changes not included): for a
        projection's `merge`, which runs in a batch of its own."""


class Projection(ABC):
    """A view over the log. Subclass, set `name` and `tables`, implement `handle`."""

    name: str  # a class attribute, or per instance (the relay: one position per topic)
    tables: ClassVar[tuple[Table, ...]]
    # Bump when the tables or the handler's meaning change: status then says a rebuild is due.
    schema_version: ClassVar[int] = 1
    # Event names this projection reads; None = all. Other events are skipped before `handle`.
    interests: ClassVar[frozenset[str] | None] = None
    # Set on the copy that folds one share of a rebuild split by case (`projections.shares`):
    # the events of the other cases go to other workers writing the same tables at once, so
    # `handle` must not read what another case's events write, and leaves to `merge` what it
    # cannot count from its own cases alone (a fact that spans cases).
    split: bool = False

    def merge(self, rows: Rows) -> None:  # noqa: B027 - optional hook, nothing to merge
        """After every share of a split rebuild has been folded (and before the generation
        goes on in log order): complete what `handle` left to it under `split`, so that the
        rows are exactly those of a fold in log order. Rows written only per case (or only by
        `add`) merge by themselves: nothing to do."""

    @abstractmethod
    def handle(self, events: Sequence[LoggedEvent], rows: Rows) -> None:
        """Apply a batch of events, in log order, to `rows`."""

    def reset(self) -> None:  # noqa: B027 - optional hook, nothing to forget by default
        """Forget any cache kept on `self` (called after a rolled-back batch)."""

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


class Consumer(Protocol):
    """Anything the follower can drive along the log: a projection's live view, a rebuild
    shadow, the Kafka relay. It keeps its own position durably; the follower only asks and
    feeds. It may also have `record_error(error: str | None)`: the follower then tells it of
    each transient error (and None once past it), to keep for other processes' status."""

    name: str

    def position(self) -> int:
        """The last position this consumer has durably handled (0 = nothing)."""

    def handle(self, events: Sequence[LoggedEvent]) -> None:
        """Handle events that follow `position()` in order and record the new position.

        Raise `PoisonEvent` to stop at an event that can never be handled (the runner reports it
        and stops); any other exception is treated as transient (the runner backs off and retries
        from `position()`). A consumer may have handled a prefix before raising.
        """

    def refresh(self) -> None:
        """Forget what is cached about the position: the runner calls it when caught up, so a
        projection whose generation a rebuild switched meanwhile notices without new events."""

    def close(self) -> None:
        """Release connections (the runner calls it when it stops)."""


class PoisonEvent(Exception):
    """An event a consumer cannot handle; the consumer has committed everything before it."""

    def __init__(self, consumer: str, event: LoggedEvent, cause: BaseException):
        self.consumer, self.event, self.cause = consumer, event, cause
        super().__init__(
            f"{consumer} failed at position {event.position} ({event.name} of "
            f"{event.aggregate_id} v{event.version}): {type(cause).__name__}: {cause}"
        )


class PositionMoved(Exception):
    """The consumer's recorded position is not what it expected (a rebuild switched generations,
    or another instance advanced it): re-read the position and carry on."""


State = Literal["running", "standby", "stopped", "failed", "rebuilding", "catching_up"]


@dataclass
class ConsumerStatus:
    """What `projections status`, `/admin/projections` and `/health` show for one consumer."""

    name: str
    state: str  # running | standby | stopped | failed (see `State`)
    position: int
    head: int
    lag_events: int
    lag_seconds: float | None  # recorded time of the head event minus that of the position's
    error: str | None = None
    failed_position: int | None = None
    failed_event: str | None = None  # "case.screened 1b4e… v2"
    generation: int | None = None
    rebuild: dict[str, Any] | None = None  # {"generation", "position", "state"} of a shadow
    # Wall-clock seconds the oldest event not yet handled has waited (None when caught up):
    # what `/health` compares with `CASEFLOW_HEALTH_MAX_LAG`.
    waiting_seconds: float | None = None
    last_error: str | None = None  # the latest transient error, kept after recovery
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return self.state != "failed"
