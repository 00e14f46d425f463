"""Where commands run: a bounded pool of threads of their own, off the event loop.

Bounded, because each running command holds an event-store connection (the pools are small:
SQLite 5+10, PostgreSQL 10+20) and more threads than connections would only queue there, with a
timeout. Concurrent, because on both backends concurrent commands commit together: PostgreSQL by
itself, SQLite through `infra/groupcommit.py` (one fsync for a group instead of one each).

The threads take work from a plain queue and hand the outcome straight to the awaiting asyncio
future: `run_in_executor` would build a `concurrent.futures.Future` (with its own lock and
condition) per command and chain two futures, a noticeable share of a command's event-loop time.
Worth (`python -m bench shortcuts`, `caseflow serve` on SQLite at saturation, on and off in one
run): 1.22x commands per CPU-second of the API process against anyio's worker threads, which
Starlette's `run_in_threadpool` uses (833 vs 683; 1.47x in another run).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")
_STOP = object()


class CommandExecutor:
    # False only in bench/shortcuts.py: run through anyio's worker threads (Starlette's
    # `run_in_threadpool`), bounded by a limiter of the same size, to measure the own threads.
    own_threads = True

    def __init__(self, workers: int):
        self._workers = workers
        self._limiter: anyio.CapacityLimiter | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"caseflow-command_{i}", daemon=True)
            for i in range(workers)
        ]
        self._started = False
        self._lock = threading.Lock()
        self._closed = False

    async def run(self, work: Callable[[], T]) -> T:
        """Run `work` (blocking); it finishes even if the client goes away meanwhile."""
        if self._closed:
            raise RuntimeError("the command executor is closed")
        if not self.own_threads:
            if self._limiter is None:
                self._limiter = anyio.CapacityLimiter(self._workers)
            return await anyio.to_thread.run_sync(work, limiter=self._limiter)
        if not self._started:
            self._start()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put((work, loop, future))
        return await future

    def close(self) -> None:
        """Finish queued work, then end the threads."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            started = self._started
        if started:
            for _ in self._threads:
                self._queue.put(_STOP)
            for t in self._threads:
                t.join()

    def _start(self) -> None:
        with self._lock:
            if not self._started and not self._closed:
                for t in self._threads:
                    t.start()
                self._started = True

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            work, loop, future = item
            try:
                result, error = work(), None
            except BaseException as exc:  # handed to the awaiting request, as run_in_executor does
                result, error = None, exc
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # the loop has closed: nobody is waiting any more
                pass
            del work, future, result, error


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
