"""Rebuild views from position 0 into shadow tables while the old ones keep serving, then switch.

One read of the log feeds every projection being rebuilt. Each shadow keeps one unit of work
open across reads and commits it with its position when it holds `max_rows` changed rows or has
taken `commit_every` events, whichever comes first: a row that several events of a window change
is written once, not once per read (nobody else writes a shadow's tables, so holding its changes
in memory that long is safe). So memory is bounded by rows, and a view whose events keep landing
on the same rows (a case's status, a leader's counters) writes each far less often than one that
appends a row per event (the audit trail), which commits every `max_rows` events. Killed midway,
the next `rebuild` resumes each shadow from its last commit. An error inside a window rolls it
back and that shadow carries on read by read through the ordinary consumer, which isolates a
poison event: it stops that projection's rebuild (its old generation keeps serving); the others
finish.
Only view tables are touched: consumers with side effects (the relay) are never involved.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from caseflow.projections.base import PoisonEvent, PositionMoved, Projection
from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.source import (
    EventSource,
    LoggedEvent,
    collector_paused,
    settle_heap,
)
from caseflow.projections.store import Batch, Lock, ViewStore


@dataclass
class Progress:
    position: int  # lowest position among the shadows still running
    head: int  # head of the log when last read
    events: int  # events read in this run
    started: float  # time.monotonic() at start

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.events / elapsed if elapsed > 0 else 0.0


@dataclass
class RebuildResult:
    switched: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # switched by the run this one resumed
    # a poison event, or (a parallel rebuild) the process that died
    failed: dict[str, Exception] = field(default_factory=dict)
    interrupted: bool = False
    events: int = 0
    seconds: float = 0.0


class RebuildBusy(RuntimeError):
    """Another process or thread is rebuilding one of these projections."""


def rebuild(
    projections: list[Projection],
    store: ViewStore,
    source: EventSource,
    *,
    batch_size: int = 5000,
    commit_every: int | None = None,
    max_rows: int = 50_000,
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    locks: list[Lock] | None = None,
) -> RebuildResult:
    """Rebuild `projections` (resuming unfinished shadows) and switch each as soon as it has
    caught up. `batch_size` events are read at a time; each shadow commits when it holds
    `max_rows` rows or every `commit_every` events (default 200,000), whichever comes first.
    `locks`: the projections' rebuild locks, already taken by the caller (who answered for
    the rebuild before it began); released here at the end, like those taken here."""
    locks = locks if locks is not None else lock_all(projections, store)
    every = commit_every or 200_000
    try:
        todo, skipped = resumable(projections, store)
        with _young_gc_only(), store.bulk():
            result = _run(todo, store, source, batch_size, every, max_rows, progress, stop)
        result.skipped = skipped
        return result
    finally:
        for lock in locks:
            lock.release()


@contextmanager
def _young_gc_only() -> Iterator[None]:
    """A replay allocates millions of objects while row caches grow: the automatic collector
    then keeps re-scanning the caches (measured: more than the reading itself). So it pauses,
    and `_run` freezes what survived each batch instead of scanning it (`gc.freeze`: the rows
    and events are freed by reference counting as usual; only reference cycles made during the
    rebuild, which it hardly makes, wait for the end to be collected). At the end everything is
    unfrozen, and a heap that was frozen before (a server's, `settle_heap`) is settled again."""
    was_frozen = gc.get_freeze_count() > 0
    with collector_paused():
        try:
            yield
        finally:
            gc.unfreeze()
            if was_frozen:
                settle_heap()


def resumable(projections: list[Projection], store: ViewStore) -> tuple[list[Projection],
                                                                        list[str]]:
    """What a rebuild of `projections` has left to do, and what it can skip. When some of them
    have an unfinished shadow, this is a resumed run: the others switched in the run it resumes
    and are not rebuilt again (unless their schema changed since), so that repeated
    interruptions cannot keep a rebuild from ever finishing. Otherwise all are rebuilt."""
    records = {p.name: store.record(p.name) for p in projections}
    if not any(r.building is not None for r in records.values()):
        return list(projections), []
    todo = [p for p in projections if records[p.name].building is not None
            or records[p.name].schema_version != p.schema_version]
    return todo, [p.name for p in projections if p not in todo]


def lock_all(projections: list[Projection], store: ViewStore) -> list[Lock]:
    """Take every projection's rebuild lock, or none (`RebuildBusy`)."""
    held: list[Lock] = []
    for p in projections:
        lock = store.lock(f"rebuild-{p.name}")
        if not lock.acquire():
            for other in held:
                other.release()
            raise RebuildBusy(f"a rebuild of {p.name} is already running")
        held.append(lock)
    return held


class _Shadow:
    """One projection's shadow generation, fed read by read, committed every `every` events or
    when its unit holds `max_rows` rows."""

    def __init__(self, consumer: ProjectionConsumer, store: ViewStore, every: int,
                 max_rows: int):
        self.consumer, self.store, self.every, self.max_rows = consumer, store, every, max_rows
        self.projection = consumer.projection
        assert consumer.pinned is not None, "a shadow's consumer is pinned to its generation"
        self.generation: int = consumer.pinned
        self.fed = consumer.position()  # last position handed to the open unit (or committed)
        self.careful = False  # after a failed window: read by read through the consumer
        self._stack: ExitStack | None = None
        self._unit: Batch | None = None
        self._pending = 0

    def feed(self, events: list[LoggedEvent]) -> None:
        events = [e for e in events if e.position > self.fed]
        if not events:
            return
        if self.careful:
            self.consumer.handle(events)
            self.fed = self.consumer.position()
            return
        if self._unit is None:
            self._stack = ExitStack()
            cursor = self.consumer.cursor()
            self._unit = self._stack.enter_context(
                self.store.batch(self.projection, cursor.generation, cursor.position))
        wanted = self.consumer.wanted(events)
        try:
            if wanted:
                self.projection.handle(wanted, self._unit)
        except Exception as exc:
            self.rollback(exc)
            self.careful = True  # the consumer re-runs from the last commit, isolating poison
            return
        last = events[-1]
        self._unit.advance(last.position, last.recorded_at)
        self.fed, self._pending = last.position, self._pending + len(events)
        if self._pending >= self.every or self._unit.held() >= self.max_rows:
            self.commit()

    def commit(self) -> None:
        """Write the open unit with its position (one transaction)."""
        stack, self._stack, self._unit, self._pending = self._stack, None, None, 0
        if stack is None:
            return
        try:
            stack.close()
        except PositionMoved:
            self.rollback_to_store()
            raise
        finally:
            self.consumer.refresh()

    def rollback(self, exc: BaseException | None = None) -> None:
        """Drop the open unit, if any (nothing to undo once it is committed)."""
        stack, self._stack, self._unit, self._pending = self._stack, None, None, 0
        if stack is None:
            return
        error = exc or RuntimeError("rebuild stopped")
        stack.__exit__(type(error), error, error.__traceback__)
        self.projection.reset()
        self.rollback_to_store()

    def rollback_to_store(self) -> None:
        self.consumer.refresh()
        self.fed = self.consumer.position()


def _run(projections: list[Projection], store: ViewStore, source: EventSource, batch_size: int,
         every: int, max_rows: int, progress: Callable[[Progress], None] | None,
         stop: threading.Event | None) -> RebuildResult:
    result = RebuildResult()
    shadows = {p.name: _Shadow(ProjectionConsumer(p, store, store.begin_rebuild(p).generation),
                               store, every, max_rows)
               for p in projections}
    for name, shadow in shadows.items():
        # A failure left by an earlier attempt is retried: clear it so status shows progress.
        store.record_failure(name, shadow.generation, None)
    state = Progress(min((s.fed for s in shadows.values()), default=0), source.head(), 0,
                     time.monotonic())
    running = dict(shadows)
    try:
        while running:
            _switch_caught_up(running, state.head, store, result)
            if not running:
                break
            if stop is not None and stop.is_set():
                result.interrupted = True
                break
            events = source.read(min(s.fed for s in running.values()), batch_size)
            if not events:
                break
            for name, shadow in list(running.items()):
                try:
                    shadow.feed(events)
                except PositionMoved:
                    continue  # re-read its position next round
                except PoisonEvent as exc:
                    result.failed[name] = exc
                    del running[name]
            gc.freeze()
            state.position, state.events = events[-1].position, state.events + len(events)
            if state.position >= state.head:
                state.head = source.head()
            if progress is not None:
                progress(state)
        for name, shadow in list(running.items()):
            try:
                shadow.commit()  # a stop keeps the work done so far: the next run resumes
            except PositionMoved:
                del running[name]
    finally:
        for shadow in shadows.values():
            shadow.rollback()  # only what an exception or a stop left open
    if not result.interrupted:
        for name, shadow in running.items():
            store.switch(shadow.projection, shadow.generation)
            result.switched.append(name)
    result.events, result.seconds = state.events, time.monotonic() - state.started
    return result


def _switch_caught_up(running: dict[str, _Shadow], head: int, store: ViewStore,
                      result: RebuildResult) -> None:
    """Switch at once every shadow that has reached `head`, rather than wait for the others
    (a resumed run's shadows that had caught up switch before it reads anything)."""
    for name, shadow in list(running.items()):
        if shadow.fed < head:
            continue
        try:
            shadow.commit()
        except PositionMoved:
            continue  # re-read its position next round
        store.switch(shadow.projection, shadow.generation)
        result.switched.append(name)
        del running[name]
