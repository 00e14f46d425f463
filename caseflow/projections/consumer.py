"""A projection driven as a `Consumer`: one transaction per batch, poison events isolated."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from caseflow.projections.base import PoisonEvent, PositionMoved, Projection
from caseflow.projections.source import LoggedEvent
from caseflow.projections.store import Cursor, Failure, ViewStore, describe

log = logging.getLogger(__name__)


class ProjectionConsumer:
    """Feeds one projection's generation from the log.

    `generation=None` follows the active generation (live processing; when a rebuild switches
    generations the next batch notices and carries on from the new generation's position). A
    number pins a shadow generation (a rebuild); with `share`, one share of a shadow split by
    case, at that share's position (`projections.shares`).
    """

    def __init__(
        self,
        projection: Projection,
        store: ViewStore,
        generation: int | None = None,
        share: int | None = None,
    ):
        self.projection, self.store, self.pinned, self.share = projection, store, generation, share
        self.name = projection.name if generation is None else f"{projection.name}#g{generation}"
        if share is not None:
            self.name += f"/{share}"
        self._cursor: Cursor | None = None
        self._failed_at: int | None = None

    # ------------------------------------------------------------------ Consumer

    def position(self) -> int:
        return self.cursor().position

    def cursor(self) -> Cursor:
        if self._cursor is None:
            record = self.store.record(self.projection.name)
            if self.pinned is None:
                self._cursor, failure = record.active, record.failure
            else:
                assert record.building is not None and record.building.generation == self.pinned, (
                    f"{self.projection.name}: generation {self.pinned} is not being rebuilt"
                )
                self._cursor, failure = record.building, record.building_failure
                if self.share is not None:
                    self._cursor = self._share_cursor(self.pinned)
            self._failed_at = failure.position if failure else None
        return self._cursor

    def _share_cursor(self, generation: int) -> Cursor:
        """Where this consumer's share of a split generation stands (-1: no longer split)."""
        assert self.share is not None
        plan = self.store.share_plan(self.projection.name, generation)
        return Cursor(generation, plan.positions[self.share] if plan is not None else -1, None)

    def handle(self, events: Sequence[LoggedEvent]) -> None:
        """Apply events past the position in one transaction; on a handler error, isolate the
        poison event (commit those before it, record and raise `PoisonEvent`)."""
        start = self.position()
        events = [e for e in events if e.position > start]
        if not events:
            return
        try:
            self._apply(events)
        except PositionMoved:
            self._cursor = None
            raise
        except Exception as exc:
            self._raise_unless_poison(exc)
            self._isolate(events)

    def close(self) -> None:
        """Nothing to release: the store owns the connections."""

    def wanted(self, events: Sequence[LoggedEvent]) -> Sequence[LoggedEvent]:
        """The events the projection reads (its `interests`), in order."""
        interests = self.projection.interests
        return events if interests is None else [e for e in events if e.name in interests]

    def refresh(self) -> None:
        """Re-read the position from the store next time (a rebuild may have switched the
        generation while this consumer was idle, or committed for it)."""
        self._cursor = None

    # ----------------------------------------------------------------- internals

    def _apply(self, events: Sequence[LoggedEvent]) -> None:
        cursor = self.cursor()
        wanted = self.wanted(events)
        last = events[-1]
        with self.store.batch(
            self.projection, cursor.generation, cursor.position, self.share
        ) as batch:
            if wanted:
                self.projection.handle(wanted, batch)
            batch.advance(last.position, last.recorded_at)
        self._cursor = Cursor(cursor.generation, last.position, last.recorded_at)
        if self._failed_at is not None:
            # Got past the event it had stopped at (fixed code, or a transient cause): clear it.
            self.store.record_failure(self.projection.name, cursor.generation, None)
            self._failed_at = None

    def _raise_unless_poison(self, exc: Exception) -> None:
        """Undo the batch; re-raise what is not the events' fault (a transient store error, or
        our position moved under us), so only the rest is treated as a poison event."""
        self.projection.reset()
        if self.store.is_transient(exc):
            self._cursor = None
            raise exc
        if self._moved():
            # e.g. a rebuild switched generations and dropped the tables we were writing
            self._cursor = None
            raise PositionMoved(f"{self.name}: generation changed") from exc

    def _moved(self) -> bool:
        """True when the store no longer has our generation at our position."""
        record = self.store.record(self.projection.name)
        current = record.active if self.pinned is None else record.building
        if current is not None and self.share is not None:
            current = self._share_cursor(current.generation)
        mine = self._cursor
        return (
            current is None
            or mine is None
            or current.generation != mine.generation
            or current.position != mine.position
        )

    def _isolate(self, events: Sequence[LoggedEvent]) -> None:
        for event in events:
            try:
                self._apply([event])
            except PositionMoved:
                self._cursor = None
                raise
            except Exception as exc:
                self._raise_unless_poison(exc)
                self._fail(event, exc)
        # Every event passed alone: the batch failed for a reason that did not recur.

    def _fail(self, event: LoggedEvent, exc: Exception) -> None:
        log.error(
            "projection %s stopped at poison event %s: %s: %s",
            self.name,
            describe(event),
            type(exc).__name__,
            exc,
            exc_info=exc,
        )
        failure = Failure(
            event.position, describe(event), f"{type(exc).__name__}: {exc}", datetime.now(UTC)
        )
        self.store.record_failure(self.projection.name, self.cursor().generation, failure)
        self._failed_at = event.position
        raise PoisonEvent(self.name, event, exc) from exc
