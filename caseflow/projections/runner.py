"""Keeps one consumer following the log: in a thread (under `caseflow serve` / `worker`) or
step by step (tests, rebuild). Generic: projections and the Kafka relay both run on it.

Behaviour:
- Reads `batch_size` events after `consumer.position()`, hands them over, repeats; when caught up
  it blocks in `wait(after, timeout)` (polling on SQLite, LISTEN/NOTIFY on PostgreSQL).
- With a `lock`, only the holder works; others stand by and retry every `standby_interval`
  seconds, so one takes over when the holder's process dies.
- `PoisonEvent` stops the runner (state `failed`, the error kept for status); any other error is
  treated as transient: logged, retried from the recorded position with capped backoff.

`RunnerGroup` drives several runners over one source from one thread (`caseflow serve` and
`worker` run the projections so): each round reads and decodes the log once for all of them, and
the consumers commit one after another instead of queueing for the view store's write lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from caseflow.projections.base import Consumer, ConsumerStatus, PoisonEvent, PositionMoved
from caseflow.projections.source import EventSource, LoggedEvent
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
        self.errors = 0  # transient failures since start (a relay's failed sends: /metrics)
        self.failed: PoisonEvent | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._holding = False
        self._group: RunnerGroup | None = None
        self._retry_at, self._backoff = 0.0, 0.1  # used when driven by a group

    # --------------------------------------------------------------- lifecycle

    def start(self) -> Runner:
        """Run in a daemon thread until `stop()` (a no-op while a running group drives it)."""
        if self._group is not None and self._group.alive():
            return self
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
        if self._group is not None:
            self._group.leave(self, timeout)

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
                        self.consumer.refresh()
                        self.wait(self.consumer.position(), self.idle_timeout)
                    self.error, backoff = None, 0.1
                except PositionMoved:
                    continue
                except PoisonEvent as exc:
                    self.state, self.failed, self.error = "failed", exc, str(exc)
                    return
                except Exception as exc:  # transient: keep the thread alive and retry
                    self.errors += 1
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
        status = status_of(self.name, self.state, self.consumer.position(), self.source,
                           error=self.error, failed=self.failed)
        status.extra["errors"] = self.errors
        return status

    # ----------------------------------------------------------------- helpers

    def _feed(self, events: list[LoggedEvent]) -> None:
        """Handle events read for a group round, with the loop's error handling."""
        try:
            self.consumer.handle(events)
            self.error, self._backoff = None, 0.1
        except PositionMoved:
            pass
        except PoisonEvent as exc:
            self.state, self.failed, self.error = "failed", exc, str(exc)
        except Exception as exc:
            self._transient(exc)

    def _transient(self, exc: Exception) -> None:
        self.errors += 1
        self.error = f"{type(exc).__name__}: {exc}"
        log.warning("%s: %s; retrying in %.1fs", self.name, self.error, self._backoff,
                    exc_info=exc)
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self.max_backoff)

    def _hold_lock(self) -> bool:
        if self.lock is None or self._holding:
            return True
        self._holding = self.lock.acquire()
        return self._holding

    def _release(self) -> None:
        if self.lock is not None and self._holding:
            self.lock.release()
            self._holding = False


class RunnerGroup:
    """Several runners over one source, driven from one thread.

    A round reads `batch_size` events after the lowest position among the members that may work
    (holding their lock, not failed, not backing off) and hands the same events to each in turn;
    a consumer skips those at or before its own position (members more than a batch behind get a
    read of their own, see `_round`). Members keep their own state, error,
    lock and backoff, so status, standby and poison handling read as for a lone runner. After a
    round that found fewer than `gather_below` events, the thread waits `gather` seconds before
    reading again: under load that turns many rounds of a few events into fewer, larger ones
    (one transaction per consumer each), at the cost of that much added view lag.
    """

    def __init__(self, runners: list[Runner], *, gather: float = 0.0, gather_below: int = 0):
        if not runners:
            raise ValueError("a group needs at least one runner")
        first = runners[0]
        self.members = list(runners)
        self.source, self.wait = first.source, first.wait
        self.batch_size = max(r.batch_size for r in runners)
        self.idle_timeout = min(r.idle_timeout for r in runners)
        self.gather, self.gather_below = gather, gather_below
        self._thread: threading.Thread | None = None
        self._left: dict[str, threading.Event] = {r.name: threading.Event() for r in runners}
        for r in runners:
            if r._group is not None and r._group is not self:
                raise ValueError(f"{r.name} already belongs to a group")
            r._group = self

    def start(self) -> RunnerGroup:
        """Run in a daemon thread until every member is stopped."""
        if not self.alive():
            for r in self.members:
                r._stop.clear()
                self._left[r.name].clear()
            self._thread = threading.Thread(target=self.run, name="runners", daemon=True)
            self._thread.start()
        return self

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        for r in self.members:
            r._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def leave(self, runner: Runner, timeout: float) -> None:
        """Wait until the thread has let go of a stopped member (its lock, its consumer)."""
        if self.alive() and threading.current_thread() is not self._thread:
            self._left[runner.name].wait(timeout)

    def run(self) -> None:
        """The loop (blocks; `start()` runs it in a thread)."""
        try:
            while True:
                live = []
                for r in self.members:
                    if r._stop.is_set() or r.state == "failed":
                        self._let_go(r)
                    else:
                        live.append(r)
                if not live:
                    return
                ready, now = [], time.monotonic()
                for r in live:
                    if r._retry_at > now:
                        continue
                    if not r._hold_lock():
                        r.state, r._retry_at = "standby", now + r.standby_interval
                        continue
                    r.state = "running"
                    ready.append(r)
                if not ready:
                    pause = min(r._retry_at for r in live) - now
                    live[0]._stop.wait(max(0.001, min(pause, self.idle_timeout)))
                    continue
                n = self._round(ready)
                if 0 < n < self.gather_below and self.gather > 0:
                    time.sleep(self.gather)
        finally:
            for r in self.members:
                self._let_go(r)

    def _round(self, ready: list[Runner]) -> int:
        """Hand every ready member the events after its position; the most events one read gave.

        Members within a batch of the furthest share one read. Any further behind (one that
        just took over, or a new projection) get a read of their own in the same round, so
        catching up never holds the current views back."""
        at = {r.name: r.consumer.position() for r in ready}
        high = max(at.values())
        current = [r for r in ready if high - at[r.name] < self.batch_size]
        behind = [r for r in ready if high - at[r.name] >= self.batch_size]
        n = self._read_and_feed(current, min(at[r.name] for r in current))
        if behind:
            n = max(n, self._read_and_feed(behind, min(at[r.name] for r in behind)))
        if n == 0:
            for r in ready:
                r.consumer.refresh()
            self._wait(ready, min(r.consumer.position() for r in ready))
        return n

    def _read_and_feed(self, members: list[Runner], after: int) -> int:
        try:
            events = self.source.read(after, self.batch_size)
        except Exception as exc:  # the log itself is unreachable: every reader waits it out
            for r in members:
                r._transient(exc)
            return 0
        if events:
            for r in members:
                r._feed(events)
        return len(events)

    def _wait(self, ready: list[Runner], after: int) -> None:
        now = time.monotonic()
        pending = [r._retry_at for r in self.members if r._retry_at > now]
        timeout = self.idle_timeout
        if pending:
            timeout = max(0.001, min(timeout, min(pending) - now))
        try:
            self.wait(after, timeout)
        except Exception as exc:
            for r in ready:
                r._transient(exc)

    def _let_go(self, r: Runner) -> None:
        left = self._left[r.name]
        if left.is_set():
            return
        if r.state != "failed":
            r.state = "stopped"
        try:
            r._release()
            r.consumer.close()
        finally:
            left.set()


def start_all(runners: list[Runner], together: list[Runner] | None = None,
              **group_options: float) -> list[Runner]:
    """Start `runners`: those also in `together` as one `RunnerGroup`, the rest each in a thread
    of its own. Stop each with `runner.stop()` as usual."""
    grouped = [r for r in runners if together is not None and r in together]
    if grouped:
        RunnerGroup(grouped, **group_options).start()  # type: ignore[arg-type]
    for r in runners:
        if r not in grouped:
            r.start()
    return runners


class OnePass:
    """The log as one status report sees it: its head and the events read for the lags are
    asked for once, not once per projection (`/health` asks for all of them, often)."""

    def __init__(self, source: EventSource):
        self.source = source
        self._head: int | None = None
        self._read: dict[tuple[int, int], list[LoggedEvent]] = {}

    def head(self) -> int:
        if self._head is None:
            self._head = self.source.head()
        return self._head

    def wait(self, after: int, timeout: float) -> bool:
        return self.source.wait(after, timeout)

    def read(self, after: int, limit: int) -> list[LoggedEvent]:
        key = (after, limit)
        if key not in self._read:
            self._read[key] = self.source.read(after, limit)
        return self._read[key]


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
