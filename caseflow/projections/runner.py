"""Keeps one consumer following the log: in a thread (under `caseflow serve` / `worker`) or
step by step (tests, rebuild). Generic: projections and the Kafka relay both run on it.

Behaviour:
- Reads `batch_size` events after `consumer.position()`, hands them over, repeats; when caught up
  it blocks in `wait(after, timeout)` (polling on SQLite, LISTEN/NOTIFY on PostgreSQL).
- With a `lock`, only the holder works; others stand by and retry every `standby_interval`
  seconds, so one takes over when the holder's process dies.
- `PoisonEvent` stops the runner (state `failed`, the error kept for status); any other error is
  treated as transient: logged, retried from the recorded position with capped backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from caseflow.projections.base import Consumer, ConsumerStatus, PoisonEvent, PositionMoved
from caseflow.projections.source import EventSource
from caseflow.projections.store import Lock

log = logging.getLogger(__name__)
Wait = Callable[[int, float], bool]


class Runner:
    def __init__(
        self,
        consumer: Consumer,
        source: EventSource,
        *,
        lock: Lock | None = None,
        wait: Wait | None = None,
        batch_size: int = 1000,
        idle_timeout: float = 0.5,
        standby_interval: float = 2.0,
        max_backoff: float = 30.0,
    ):
        self.consumer, self.source, self.lock = consumer, source, lock
        self.wait = wait or source.wait
        self.batch_size, self.idle_timeout = batch_size, idle_timeout
        self.standby_interval, self.max_backoff = standby_interval, max_backoff
        self.name = consumer.name
        self.state = "stopped"
        self.error: str | None = None
        self.failed: PoisonEvent | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._holding = False

    # --------------------------------------------------------------- lifecycle

    def start(self) -> Runner:
        """Run in a daemon thread until `stop()`."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self.run, name=f"runner:{self.name}",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """The loop (blocks; `start()` runs it in a thread)."""
        backoff = 0.1
        try:
            while not self._stop.is_set():
                if not self._hold_lock():
                    self.state = "standby"
                    self._stop.wait(self.standby_interval)
                    continue
                try:
                    self.state = "running"
                    if not self.step():
                        self.wait(self.consumer.position(), self.idle_timeout)
                    self.error, backoff = None, 0.1
                except PositionMoved:
                    continue
                except PoisonEvent as exc:
                    self.state, self.failed, self.error = "failed", exc, str(exc)
                    return
                except Exception as exc:  # transient: keep the thread alive and retry
                    self.error = f"{type(exc).__name__}: {exc}"
                    log.warning("%s: %s; retrying in %.1fs", self.name, self.error, backoff,
                                exc_info=exc)
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
        finally:
            if self.state != "failed":
                self.state = "stopped"
            self._release()
            self.consumer.close()

    # -------------------------------------------------------------------- work

    def step(self) -> int:
        """Handle one batch if there is one; the number of events read (0 when caught up)."""
        events = self.source.read(self.consumer.position(), self.batch_size)
        if events:
            self.consumer.handle(events)
        return len(events)

    def catch_up(self, until: int | None = None) -> int:
        """Process (in this thread) until the position reaches `until` (default: the head now)."""
        target = self.source.head() if until is None else until
        done = 0
        while self.consumer.position() < target:
            try:
                n = self.step()
            except PositionMoved:
                continue
            if n == 0:
                break
            done += n
        return done

    def status(self) -> ConsumerStatus:
        return status_of(self.name, self.state, self.consumer.position(), self.source,
                         error=self.error, failed=self.failed)

    # ----------------------------------------------------------------- helpers

    def _hold_lock(self) -> bool:
        if self.lock is None or self._holding:
            return True
        self._holding = self.lock.acquire()
        return self._holding

    def _release(self) -> None:
        if self.lock is not None and self._holding:
            self.lock.release()
            self._holding = False


def status_of(name: str, state: str, position: int, source: EventSource, *,
              error: str | None = None, failed: PoisonEvent | None = None) -> ConsumerStatus:
    """Position, head and lag (events, and seconds between the recorded times)."""
    head = source.head()
    lag_seconds: float | None = 0.0
    if head > position:
        newest = source.read(head - 1, 1)
        at = source.read(position - 1, 1) if position > 0 else []
        if newest and at:
            lag_seconds = max(0.0, (newest[0].recorded_at - at[0].recorded_at).total_seconds())
        elif newest and position == 0:
            first = source.read(0, 1)
            lag_seconds = (newest[0].recorded_at - first[0].recorded_at).total_seconds() \
                if first else None
    status = ConsumerStatus(name, state, position, head, max(0, head - position), lag_seconds,
                            error=error)
    if failed is not None:
        status.failed_position = failed.event.position
        e = failed.event
        status.failed_event = f"{e.name} {e.aggregate_id} v{e.version}"
    return status


def wait_for(position: Callable[[], int], target: int, timeout: float,
             interval: float = 0.01) -> bool:
    """Read-your-writes: block until `position() >= target` or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if position() >= target:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(interval, remaining))
