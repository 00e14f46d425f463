"""What a projection (or the relay) reads: the global log as decoded, ordered events."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID, uuid5

from caseflow.domain.values import Meta

EVENT_ID_NAMESPACE = UUID("6f1c3c1e-9c7b-4b51-9b43-2d6a4a0c7e11")


def event_id(aggregate_id: UUID, version: int) -> UUID:
    """The stable id of an aggregate's event: uuid5 of its aggregate id and version."""
    return uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}:{version}")


class LoggedEvent:
    """One event of the global log. `data` holds the event's own fields (no ids, no meta).

    Read-only by convention. `id` (the CloudEvents `ce_id`) is derived from the aggregate id and
    version; passing None computes it on first use, since most readers (projections, replays)
    never ask for it and a uuid5 costs as much as decoding the event.
    """

    __slots__ = (
        "position",
        "_id",
        "aggregate_id",
        "version",
        "name",
        "recorded_at",
        "meta",
        "data",
        "chainhash",
    )

    def __init__(
        self,
        position: int,
        id: UUID | None,
        aggregate_id: UUID,
        version: int,
        name: str,
        recorded_at: datetime,
        meta: Meta,
        data: dict[str, Any],
        chainhash: bytes | None = None,
    ):
        self.position = position  # global position in the log (1, 2, …)
        self._id = id
        self.aggregate_id = aggregate_id
        self.version = version
        self.name = name  # e.g. "case.review_requested"
        self.recorded_at = recorded_at
        self.meta = meta
        self.data = data
        self.chainhash = chainhash  # its link in the log's hash chain (None: not chained)

    @property
    def id(self) -> UUID:
        """Stable event id (uuid5 of aggregate id and version)."""
        if self._id is None:
            self._id = event_id(self.aggregate_id, self.version)
        return self._id

    @property
    def occurred_at(self) -> datetime:
        """Business time: when it happened in the world (received_at for a registration,
        served_at for a decision served in writing, as `Case.Event.at` says)."""
        d = self.data
        return d.get("received_at") or d.get("served_at") or self.meta.occurred_at

    def _fields(self) -> tuple[Any, ...]:
        return (
            self.position,
            self.id,
            self.aggregate_id,
            self.version,
            self.name,
            self.recorded_at,
            self.meta,
            self.data,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LoggedEvent):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # holds a dict, like the dataclass it replaced

    def __repr__(self) -> str:
        return (
            f"LoggedEvent(position={self.position}, name={self.name!r}, "
            f"aggregate_id={self.aggregate_id}, version={self.version})"
        )


def in_utc(values: dict[str, Any]) -> dict[str, Any]:
    """`values` with every time in UTC: the one form times are shown in (RFC 3339, +00:00),
    whatever offset they were sent with."""
    return {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in values.items()}


class EventSource(Protocol):
    def read(self, after: int, limit: int) -> list[LoggedEvent]:
        """Events with position > `after`, in order, at most `limit`."""

    def head(self) -> int:
        """Position of the newest event (0 for an empty log)."""

    def wait(self, after: int, timeout: float) -> bool:
        """Block until the log has an event past `after` or `timeout` passes; True if it has."""


def share_of(name: str, aggregate_id: UUID, shares: int) -> int:
    """The share of a rebuild split by case that an event belongs to: a case's events by the
    case id's last 16 bits (random in uuid4 and uuid5 alike); the directory's (orgs, leaders)
    all to share 0, so that each directory row has one writer, and the directory's reads
    across its rows (an org's parent) stay within one worker. `EventLog.share` computes the
    same in SQL."""
    if not name.startswith("case."):
        return 0
    return (aggregate_id.int & 0xFFFF) % shares


class ShareOf:
    """The events of one share (`share_of`) up to `upto`, as an `EventSource` over any source:
    it reads the whole log and keeps the share's events (the fake, and SQLite). `EventLog`
    filters on PostgreSQL's side instead (`EventLog.share`)."""

    def __init__(self, source: EventSource, share: int, shares: int, upto: int):
        self.source, self.share, self.shares, self.upto = source, share, shares, upto

    def read(self, after: int, limit: int) -> list[LoggedEvent]:
        while after < self.upto:
            events = [e for e in self.source.read(after, limit) if e.position <= self.upto]
            if not events:
                return []
            mine = [
                e for e in events if share_of(e.name, e.aggregate_id, self.shares) == self.share
            ]
            if mine:
                return mine
            after = events[-1].position
        return []

    def head(self) -> int:
        return self.upto

    def wait(self, after: int, timeout: float) -> bool:
        return False


_pauses = threading.Lock()
_paused = 0  # pausers inside `collector_paused`
_resume = False  # whether the collector was on when the first of them came in


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a batch of events is decoded (or a whole
    rebuild runs). A batch is tens of thousands of new containers that all live until it is
    handled, so the collector's young generations scan them again and again: measured on
    5,000-event reads of the bench log, 17 µs per event with it on, 12 µs paused; on and off in
    one run (`BENCH_GC=only BENCH_GC_ROUNDS=3 python -m bench rebuild`, 100,000 events, SQLite,
    bare reads with the collector on between them, medians of 3, shared machine at load 6-13):
    26,179 events/s with the pause, 19,367 without, +35 % (+9 % in an earlier, noisier run of
    2). Decoded events
    hold no reference cycles; reference counting frees them as usual. Process-wide but
    reentrant across threads: the collector resumes when the last pauser leaves, and only if it
    was on when the first came in."""
    global _paused, _resume
    with _pauses:
        if _paused == 0:
            _resume = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _pauses:
            _paused -= 1
            if _paused == 0 and _resume:
                gc.enable()


def settle_heap() -> None:
    """Collect once, then move every object alive into the collector's permanent generation
    (`gc.freeze`), so later full collections scan only what comes after. For a server once it
    has started (modules, the app, the store, caches: ~120,000 objects that live until shutdown;
    measured on `caseflow serve` at 200 commands/s for 30 s, three runs each: a full collection
    of 70-88 ms mid-load in every run before, none in two runs after, 36 ms in the third), and
    for a rebuild ending in such a server. Reference counting still frees frozen objects."""
    gc.collect()
    gc.freeze()
