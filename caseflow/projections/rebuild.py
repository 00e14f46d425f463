"""Rebuild views from position 0 into shadow tables while the old ones keep serving, then switch.

One read of the log feeds every projection being rebuilt (each commits its own batch and
position). Killed midway, the next `rebuild` resumes each shadow from its own position. A poison
event stops that projection's rebuild (its old generation keeps serving); the others finish.
Only view tables are touched: consumers with side effects (the relay) are never involved.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from caseflow.projections.base import PoisonEvent, PositionMoved, Projection
from caseflow.projections.consumer import ProjectionConsumer
from caseflow.projections.source import EventSource
from caseflow.projections.store import Lock, ViewStore


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
    failed: dict[str, PoisonEvent] = field(default_factory=dict)
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
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
) -> RebuildResult:
    """Rebuild `projections` (resuming unfinished shadows) and switch each that catches up."""
    locks = _lock_all(projections, store)
    try:
        with _young_gc_only():
            return _run(projections, store, source, batch_size, progress, stop)
    finally:
        for lock in locks:
            lock.release()


@contextmanager
def _young_gc_only() -> Iterator[None]:
    """A replay allocates millions of objects while row caches grow: the automatic collector
    then keeps re-scanning the caches (measured: more than the reading itself). So it pauses,
    and `_run` freezes what survived each batch instead of scanning it (`gc.freeze`: the rows
    and events are freed by reference counting as usual; only reference cycles made during the
    rebuild, which it hardly makes, wait for the end to be collected)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def _lock_all(projections: list[Projection], store: ViewStore) -> list[Lock]:
    held: list[Lock] = []
    for p in projections:
        lock = store.lock(f"rebuild-{p.name}")
        if not lock.acquire():
            for other in held:
                other.release()
            raise RebuildBusy(f"a rebuild of {p.name} is already running")
        held.append(lock)
    return held


def _run(projections, store, source, batch_size, progress, stop) -> RebuildResult:
    result = RebuildResult()
    shadows = {p.name: ProjectionConsumer(p, store, store.begin_rebuild(p).generation)
               for p in projections}
    for name, shadow in shadows.items():
        # A failure left by an earlier attempt is retried: clear it so status shows progress.
        store.record_failure(name, shadow.pinned, None)
    state = Progress(min((s.position() for s in shadows.values()), default=0), source.head(), 0,
                     time.monotonic())
    running = dict(shadows)
    while running:
        if stop is not None and stop.is_set():
            result.interrupted = True
            break
        start = min(s.position() for s in running.values())
        events = source.read(start, batch_size)
        if not events:
            break
        for name, shadow in list(running.items()):
            try:
                shadow.handle(events)
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
    if not result.interrupted:
        for name, shadow in running.items():
            store.switch(shadow.projection, shadow.pinned)
            result.switched.append(name)
    result.events, result.seconds = state.events, time.monotonic() - state.started
    return result
