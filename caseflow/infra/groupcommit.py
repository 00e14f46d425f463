"""Group commit for the SQLite event store: concurrent commands share one transaction and one
fsync, so throughput is no longer one command per disk flush.

`insert_events` still returns only after the caller's events are durably committed, with their
notification ids (global positions), and a conflicting insert (another write got that aggregate
version first) still fails alone with `IntegrityError`: each caller's inserts run inside their own
SAVEPOINT, so a conflict rolls back just those. The first caller to arrive while no commit is in
progress leads: it takes every insert queued so far, commits them, and wakes the others; whoever
arrived meanwhile forms the next group. An idle store commits each insert at once (no waiting
for company), so latency at low load is one commit, as before.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, PersistenceError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

MAX_GROUP = 500  # inserts per transaction; keeps one commit's work (and its lock hold) bounded


class _Insert:
    __slots__ = ("events", "kwargs", "ids", "error", "done", "wake")

    def __init__(self, events: Sequence[StoredEvent], kwargs: dict[str, Any]):
        self.events, self.kwargs = events, kwargs
        self.ids: Sequence[int] | None = None
        self.error: BaseException | None = None
        self.done = False
        self.wake = threading.Event()  # set once: when committed, or when asked to lead


class GroupCommitRecorder(SQLiteApplicationRecorder):
    """`SQLiteApplicationRecorder` whose concurrent `insert_events` calls commit together.

    Each waiting caller sleeps on its own event and is woken exactly once: when its insert is
    committed, or when the finishing leader hands it the next group (the oldest waiting insert
    leads), so a commit wakes only the callers it concerns."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._mutex = threading.Lock()
        self._queue: list[_Insert] = []
        self._committing = False

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        """Insert and commit (with whatever else is waiting); the new notification ids."""
        mine = _Insert(stored_events, kwargs)
        with self._mutex:
            self._queue.append(mine)
            lead = not self._committing
            self._committing = True
        if not lead:
            mine.wake.wait()
        if not mine.done:
            # Lead: the queue starts with our insert (a new leader finds it empty, a handed-over
            # one is its oldest entry), so ours is in the group committed now.
            self._lead()
        if mine.error is not None:
            raise mine.error
        return mine.ids

    def _lead(self) -> None:
        with self._mutex:
            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
        successor = None
        try:
            self._commit(group)
        finally:
            with self._mutex:
                if self._queue:
                    successor = self._queue[0]
                else:
                    self._committing = False
            for item in group:
                item.wake.set()
            if successor is not None:
                successor.wake.set()

    def _commit(self, group: list[_Insert]) -> None:
        try:
            with self.datastore.transaction(commit=True) as c:
                for item in group:
                    c.execute("SAVEPOINT one_insert")
                    try:
                        item.ids = self._insert_events(c, item.events, **item.kwargs)
                    except sqlite3.IntegrityError as e:
                        c.execute("ROLLBACK TO one_insert")
                        item.error = IntegrityError(e)
                    c.execute("RELEASE one_insert")
        except BaseException as e:  # the whole group failed (lock timeout, disk full, …)
            failure = e if isinstance(e, PersistenceError | KeyboardInterrupt) else \
                PersistenceError(e)
            for item in group:
                if item.error is None:
                    item.ids, item.error = None, failure
        finally:
            for item in group:
                item.done = True
