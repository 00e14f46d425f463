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

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from caseflow.projections.base import PositionMoved, Projection
from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.runner import Follower, Runner
from caseflow.projections.source import EventSource, LoggedEvent, collector_paused
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
        with young_gc_only(), store.bulk():
            result = _run(todo, store, source, batch_size, every, max_rows, progress, stop)
        result.skipped = skipped
        return result
    finally:
        for lock in locks:
            lock.release()


@contextmanager
def young_gc_only() -> Iterator[None]:
    """The cyclic collector paused for the whole rebuild. A replay allocates millions of objects
    while the windows' rows and caches grow, and the collector kept re-scanning them; the rows
    and events are freed by reference counting as usual, and the few reference cycles a rebuild
    makes wait for the end. Worth +29 % on the figure it exists for (`BENCH_GC=only
    BENCH_GC_ROUNDS=3 python -m bench rebuild`, 100,000 events, SQLite, one process, medians of
    3 in one run, on and off alternating; a shared machine, load 6-13 on 2 CPUs: 3,800 events/s
    on, 2,954 off; +17 % in an earlier run of 2). A `gc.freeze()` after each read, kept beside
    it until then, measured -5 % (`BENCH_GC=1`, medians of 2: 7,079 on, 7,416 off: with the
    collector paused there is nothing for it to spare) and went."""
    with collector_paused():
        yield


def resumable(
    projections: list[Projection], store: ViewStore
) -> tuple[list[Projection], list[str]]:
    """What a rebuild of `projections` has left to do, and what it can skip. When some of them
    have an unfinished shadow, this is a resumed run: the others switched in the run it resumes
    and are not rebuilt again (unless their schema changed since), so that repeated
    interruptions cannot keep a rebuild from ever finishing. Otherwise all are rebuilt."""
    records = {p.name: store.record(p.name) for p in projections}
    if not any(r.building is not None for r in records.values()):
        return list(projections), []
    todo = [
        p
        for p in projections
        if records[p.name].building is not None
        or records[p.name].schema_version != p.schema_version
    ]
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


class Window:
    """A shadow generation as a `Consumer`: the rebuild's window over the log. Events are folded
    into one open unit of work across reads, committed with its position every `every` events
    or when the unit holds `max_rows` rows. `position()` is the last position folded into the
    unit (committed or not): the follower moves it on from there. After a failed window it goes
    read by read through the ordinary consumer, which isolates a poison event as live
    processing does."""

    def __init__(self, consumer: ProjectionConsumer, store: ViewStore, every: int, max_rows: int):
        self.consumer, self.store, self.every, self.max_rows = consumer, store, every, max_rows
        self.projection = consumer.projection
        self.name = consumer.name
        assert consumer.pinned is not None, "a shadow's consumer is pinned to its generation"
        self.generation: int = consumer.pinned
        self.fed = consumer.position()  # last position handed to the open unit (or committed)
        self.careful = False  # after a failed window: read by read through the consumer
        self._stack: ExitStack | None = None
        self._unit: Batch | None = None
        self._pending = 0

    # ------------------------------------------------------------------ Consumer

    def position(self) -> int:
        return self.fed

    def handle(self, events: Sequence[LoggedEvent]) -> None:
        events = [e for e in events if e.position > self.fed]
        if not events:
            return
        if self.careful:
            self.consumer.handle(events)
            self.fed = self.consumer.position()
            return
        unit = self._open()
        wanted = self.consumer.wanted(events)
        try:
            if wanted:
                self.projection.handle(wanted, unit)
        except Exception as exc:
            self.rollback(exc)
            self.careful = True  # the consumer re-runs from the last commit, isolating poison
            return
        last = events[-1]
        unit.advance(last.position, last.recorded_at)
        self.fed, self._pending = last.position, self._pending + len(events)
        if self._pending >= self.every or unit.held() >= self.max_rows:
            self.commit()

    def _open(self) -> Batch:
        if self._unit is None:
            self._stack = ExitStack()
            cursor = self.consumer.cursor()
            self._unit = self._stack.enter_context(
                self.store.batch(
                    self.projection, cursor.generation, cursor.position, self.consumer.share
                )
            )
        return self._unit

    def stand_at(self, position: int) -> None:
        """Commit, standing at `position` though no event of this window comes there (a share
        of a rebuild split by case ends at the target, whoever's event that is)."""
        if position > self.fed:
            self._open().advance(position, None)
            self.fed = position
        self.commit()

    def refresh(self) -> None:
        """Nothing cached that another writer could change: nobody else writes a shadow."""

    def close(self) -> None:
        """Nothing to release: the store owns the connections."""

    # -------------------------------------------------------------------- window

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


def _run(
    projections: list[Projection],
    store: ViewStore,
    source: EventSource,
    batch_size: int,
    every: int,
    max_rows: int,
    progress: Callable[[Progress], None] | None,
    stop: threading.Event | None,
) -> RebuildResult:
    """Follow the log into the new generations until the head, then switch."""
    windows = [
        Window(
            ProjectionConsumer(p, store, store.begin_rebuild(p).generation), store, every, max_rows
        )
        for p in projections
    ]
    result = RebuildResult()

    def switch(window: Window) -> bool:
        try:
            window.commit()
        except PositionMoved:
            return False  # re-read its position next round
        store.switch(window.projection, window.generation)
        result.switched.append(window.projection.name)
        return True

    return follow(windows, source, batch_size, progress, stop, switch, result)


def follow(
    windows: list[Window],
    source: EventSource,
    batch_size: int,
    progress: Callable[[Progress], None] | None,
    stop: threading.Event | None,
    reached: Callable[[Window], bool],
    result: RebuildResult,
) -> RebuildResult:
    """The one `Follower`, in its until-the-head mode, with each shadow as a `Window` consumer:
    each window that reaches the head is handed to `reached` (which commits it, and switches or
    ends it there; False: not yet, read on), and records there what it did in `result`."""
    for window in windows:
        # A failure left by an earlier attempt is retried: clear it so status shows progress.
        window.store.record_failure(window.projection.name, window.generation, None)
    state = Progress(min((w.fed for w in windows), default=0), source.head(), 0, time.monotonic())
    if not windows:
        return result
    # Until the head there is never a wait: a read that finds nothing ends the run.
    runners = [Runner(w, source, batch_size=batch_size, wait=_never) for w in windows]
    # A rebuild run by hand does not retry a broken store or log: it stops (keeping what each
    # window committed, for the next run to resume) and says why.
    follower = Follower(runners, retry=False)

    def after_read(events: list[LoggedEvent]) -> None:
        state.position, state.events = events[-1].position, state.events + len(events)
        state.head = max(state.head, state.position)
        if progress is not None:
            progress(state)

    follower.after_read = after_read
    done: list[Window] = []

    def handed(runner: Runner) -> bool:
        window: Window = runner.consumer  # type: ignore[assignment]
        if not reached(window):
            return False
        done.append(window)
        return True

    try:
        finished = follower.run(until_head=True, reached=handed, stop=stop)
        result.interrupted = not finished
        for runner, window in zip(runners, windows, strict=True):
            if runner.failed is not None:
                result.failed[window.projection.name] = runner.failed
            elif not finished and window not in done:
                try:
                    window.commit()  # a stop keeps the work done so far: the next run resumes
                except PositionMoved:
                    pass
    finally:
        for window in windows:
            window.rollback()  # only what an exception or a stop left open
    result.events, result.seconds = state.events, time.monotonic() - state.started
    return result


def _never(after: int, timeout: float) -> bool:
    return False
