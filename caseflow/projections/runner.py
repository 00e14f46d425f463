"""The one follower of the log, and the handle of each consumer it moves.

A `Follower` reads the log in batches and hands every batch to its consumers (projections' live
views, the Kafka relay, a rebuild's shadow generations). It is the only loop that follows the
log; what differs between live processing and a rebuild is a parameter, not another loop (the
shape of Emmett's consumer with a stop condition, and of Marten's rebuild as a mode of its
projection batch):

- live (`run()`): follow forever; when caught up, block in `wait(after, timeout)` (polling on
  SQLite, LISTEN/NOTIFY on PostgreSQL);
- until the head (`run(until_head=True, reached=…)`): stop each consumer once it has reached
  the head of the log and hand it to `reached` (a rebuild commits and switches there).

Each consumer has a `Runner`: its lock, state, error, backoff and poison failure. The error
policy lives in one place, `Runner._feed`:
- `PositionMoved`: someone else moved the recorded position (a rebuild switched generations, or
  another instance advanced it): nothing to report, the next round re-reads it;
- `PoisonEvent`: that consumer stops (state `failed`, the error kept for status); the others
  carry on;
- anything else is transient: counted, shown as `error` in status, and retried from the
  recorded position with capped exponential backoff — or, for a follower that does not retry
  (a rebuild run from the command line), raised to the caller after being recorded.

With a `lock`, only the holder works; other instances stand by and retry every
`standby_interval` seconds, so one takes over when the holder's process dies.
`Runner.start()` runs a follower of that runner alone in a thread; `start_all` runs several
together (one read and decode of the log per round, each consumer committing its own
transaction), as `caseflow serve` and `worker` run the projections.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from caseflow.projections.base import Consumer, ConsumerStatus, PoisonEvent, PositionMoved
from caseflow.projections.source import EventSource, LoggedEvent
from caseflow.projections.store import Lock

log = logging.getLogger(__name__)
Wait = Callable[[int, float], bool]


class Runner:
    """One consumer's place on the log: what a `Follower` needs to move it and status shows."""

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
        self.error: str | None = None  # the current transient error (None once past it)
        self.last_error: str | None = None  # the latest one, kept after recovery
        self.last_error_at: datetime | None = None
        self.errors = 0  # transient failures since start (a relay's failed sends: /metrics)
        self.failed: PoisonEvent | None = None
        self.follower: Follower | None = None
        self._stop = threading.Event()
        self._holding = False
        self._retry_at, self._backoff = 0.0, 0.1

    # --------------------------------------------------------------- lifecycle

    def start(self) -> Runner:
        """Follow the log in a daemon thread until `stop()` (a no-op while a running follower
        already moves this runner)."""
        if self.follower is None or not self.follower.alive():
            self.follower = None
            Follower([self]).start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop this runner; returns once its follower has let go of it (lock, consumer)."""
        self._stop.set()
        if self.follower is not None:
            self.follower.leave(self, timeout)

    def run(self) -> None:
        """Follow the log in this thread until `stop()` (from another thread)."""
        self.follower = None
        Follower([self]).run()

    # -------------------------------------------------------------------- work

    def step(self) -> int:
        """Handle one batch if there is one; the number of events read (0 when caught up).
        Errors are raised as they come (for tests and step-wise driving)."""
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
        status = status_of(
            self.name,
            self.state,
            self.consumer.position(),
            self.source,
            error=self.error,
            failed=self.failed,
        )
        status.last_error, status.extra["errors"] = self.last_error, self.errors
        return status

    # ------------------------------------------------------------- error policy

    def _feed(self, events: Sequence[LoggedEvent], retry: bool = True) -> None:
        """Hand `events` to the consumer under the one error policy (module docstring)."""
        try:
            self.consumer.handle(events)
        except PositionMoved:
            return
        except PoisonEvent as exc:
            self.state, self.failed, self.error = "failed", exc, str(exc)
            self._note(self.error)
            return
        except Exception as exc:
            self._transient(exc)
            if not retry:
                raise
            return
        if self.error is not None:
            self.error = None
            self._note(None)
        self._backoff = 0.1

    def _transient(self, exc: BaseException) -> None:
        self.errors += 1
        self.error = f"{type(exc).__name__}: {exc}"
        log.warning("%s: %s; retrying in %.1fs", self.name, self.error, self._backoff, exc_info=exc)
        self._note(self.error)
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self.max_backoff)

    def _note(self, error: str | None) -> None:
        """Keep the error for status; a consumer that records it durably (the relay, so that
        another process's `projections status` shows it) is told too."""
        if error is not None:
            self.last_error, self.last_error_at = error, datetime.now(UTC)
        record = getattr(self.consumer, "record_error", None)
        if record is not None:
            try:
                record(error)
            except Exception:  # the store may be what failed: status here still shows it
                log.debug("%s: could not record the error", self.name, exc_info=True)

    def take_lock(self) -> bool:
        """Take this consumer's lock now (True when held, or when there is none); the follower
        releases it when it lets go of the runner."""
        return self._hold_lock()

    def _hold_lock(self) -> bool:
        if self.lock is None or self._holding:
            return True
        self._holding = self.lock.acquire()
        return self._holding

    def _release(self) -> None:
        if self.lock is not None and self._holding:
            self.lock.release()
            self._holding = False


class Follower:
    """Moves one or more runners along one source, from one thread.

    A round reads `batch_size` events after the lowest position among the runners that may work
    (holding their lock, not failed, not backing off) and hands the same events to each in turn;
    a consumer skips those at or before its own position. Runners more than a batch behind the
    furthest get a read of their own in the same round (see `_round`). After a round that found
    fewer than `gather_below` events, the thread waits `gather` seconds before reading again:
    under load that turns many rounds of a few events into fewer, larger ones (one transaction
    per consumer each), at the cost of that much added view lag.
    """

    def __init__(
        self,
        runners: list[Runner],
        *,
        gather: float = 0.0,
        gather_below: int = 0,
        retry: bool = True,
    ):
        if not runners:
            raise ValueError("a follower needs at least one runner")
        first = runners[0]
        self.members = list(runners)
        self.source, self.wait = first.source, first.wait
        self.batch_size = max(r.batch_size for r in runners)
        self.idle_timeout = min(r.idle_timeout for r in runners)
        self.gather, self.gather_below, self.retry = gather, gather_below, retry
        self.after_read: Callable[[list[LoggedEvent]], None] | None = None
        self._thread: threading.Thread | None = None
        self._left: dict[str, threading.Event] = {r.name: threading.Event() for r in runners}
        for r in runners:
            if r.follower is not None and r.follower is not self and r.follower.alive():
                raise ValueError(f"{r.name} already belongs to a running follower")
            r.follower = self

    def start(self) -> Follower:
        """Follow in a daemon thread until every runner is stopped."""
        if not self.alive():
            for r in self.members:
                r._stop.clear()
                self._left[r.name].clear()
            name = "runners" if len(self.members) > 1 else f"runner:{self.members[0].name}"
            self._thread = threading.Thread(target=self.run, name=name, daemon=True)
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
        """Wait until the thread has let go of a stopped runner (its lock, its consumer)."""
        if self.alive() and threading.current_thread() is not self._thread:
            self._left[runner.name].wait(timeout)

    def run(
        self,
        *,
        until_head: bool = False,
        reached: Callable[[Runner], bool] | None = None,
        stop: threading.Event | None = None,
    ) -> bool:
        """The loop (blocks; `start()` runs it in a thread). Live: until every runner is
        stopped. `until_head`: each runner that reaches the head of the log (as read at the
        start, re-read whenever the furthest read gets there) is handed to `reached`, and leaves
        if that returns True; the run ends when none is left, or when the log has nothing more
        for them. `stop` ends the run early; then the result is False (interrupted)."""
        target = self.source.head() if until_head else None
        try:
            while True:
                live = self._live()
                if not live:
                    return True
                if stop is not None and stop.is_set():
                    return False
                if target is not None:
                    live = [
                        r
                        for r in live
                        if not (r.consumer.position() >= target and self._reached(r, reached))
                    ]
                    if not live:
                        return True
                ready = self._ready(live)
                if not ready:
                    now = time.monotonic()
                    pause = min(r._retry_at for r in live) - now
                    live[0]._stop.wait(max(0.001, min(pause, self.idle_timeout)))
                    continue
                n, furthest = self._round(ready)
                if target is not None:
                    if n == 0:  # the log has nothing more: every one of them is at the head
                        for r in ready:
                            self._reached(r, reached)
                    elif furthest >= target:
                        target = self.source.head()
                    continue  # (n < 0: the log could not be read; they back off and retry)
                if n <= 0:
                    for r in ready:
                        r.consumer.refresh()
                    self._wait(ready, min(r.consumer.position() for r in ready))
                elif n < self.gather_below and self.gather > 0:
                    time.sleep(self.gather)
        finally:
            for r in self.members:
                self._let_go(r)

    # -------------------------------------------------------------------- rounds

    def _live(self) -> list[Runner]:
        live = []
        for r in self.members:
            if r._stop.is_set() or r.state == "failed":
                self._let_go(r)
            else:
                live.append(r)
        return live

    def _ready(self, live: list[Runner]) -> list[Runner]:
        ready, now = [], time.monotonic()
        for r in live:
            if r._retry_at > now:
                continue
            if not r._hold_lock():
                r.state, r._retry_at = "standby", now + r.standby_interval
                continue
            r.state = "running"
            ready.append(r)
        return ready

    def _reached(self, r: Runner, reached: Callable[[Runner], bool] | None) -> bool:
        if reached is not None and not reached(r):
            return False
        r._stop.set()
        self._let_go(r)
        return True

    def _round(self, ready: list[Runner]) -> tuple[int, int]:
        """Hand every ready runner the events after its position: the most events one read
        gave (-1 when the log could not be read), and the furthest position read.

        Runners within a batch of the furthest share one read. Any further behind (one that
        just took over, or a new projection) get a read of their own in the same round, so
        catching up never holds the current views back."""
        at = {r.name: r.consumer.position() for r in ready}
        high = max(at.values())
        current = [r for r in ready if high - at[r.name] < self.batch_size]
        behind = [r for r in ready if high - at[r.name] >= self.batch_size]
        n, furthest = self._read_and_feed(current, min(at[r.name] for r in current))
        if behind:
            m, _ = self._read_and_feed(behind, min(at[r.name] for r in behind))
            n = max(n, m)
        return n, furthest

    def _read_and_feed(self, members: list[Runner], after: int) -> tuple[int, int]:
        try:
            events = self.source.read(after, self.batch_size)
        except Exception as exc:  # the log itself is unreachable: every reader waits it out
            for r in members:
                r._transient(exc)
            if not self.retry:
                raise
            return -1, after
        if not events:
            return 0, after
        for r in members:
            r._feed(events, self.retry)
        if self.after_read is not None:
            self.after_read(events)
        return len(events), events[-1].position

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


RunnerGroup = Follower  # the name it had while it drove only the live projections


def start_all(
    runners: list[Runner],
    together: list[Runner] | None = None,
    gather: float = 0.0,
    gather_below: int = 0,
) -> list[Runner]:
    """Start `runners`: those also in `together` under one `Follower`, the rest each under a
    follower of its own. Stop each with `runner.stop()` as usual."""
    grouped = [r for r in runners if together is not None and r in together]
    if grouped:
        Follower(grouped, gather=gather, gather_below=gather_below).start()
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


def status_of(
    name: str,
    state: str,
    position: int,
    source: EventSource,
    *,
    error: str | None = None,
    failed: PoisonEvent | None = None,
) -> ConsumerStatus:
    """Position, head and lag: in events, in seconds between the recorded times of the head and
    of the position, and how long the oldest event not yet handled has waited (`/health`)."""
    head = source.head()
    lag_seconds: float | None = 0.0
    waiting: float | None = None
    if head > position:
        newest = source.read(head - 1, 1)
        # The event at the position and the next (the oldest not handled yet), in one read.
        around = source.read(position - 1, 2) if position > 0 else source.read(0, 1)
        at = around[:1] if position > 0 else []
        following = around[1:] if position > 0 else around
        if newest and at:
            lag_seconds = max(0.0, (newest[0].recorded_at - at[0].recorded_at).total_seconds())
        elif newest and position == 0:
            lag_seconds = (
                (newest[0].recorded_at - following[0].recorded_at).total_seconds()
                if following
                else None
            )
        if following:
            waiting = max(0.0, (datetime.now(UTC) - following[0].recorded_at).total_seconds())
    status = ConsumerStatus(
        name,
        state,
        position,
        head,
        max(0, head - position),
        lag_seconds,
        error=error,
        waiting_seconds=waiting,
    )
    if failed is not None:
        status.failed_position = failed.event.position
        e = failed.event
        status.failed_event = f"{e.name} {e.aggregate_id} v{e.version}"
    return status


def wait_for(
    position: Callable[[], int], target: int, timeout: float, interval: float = 0.01
) -> bool:
    """Read-your-writes: block until `position() >= target` or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if position() >= target:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(interval, remaining))
