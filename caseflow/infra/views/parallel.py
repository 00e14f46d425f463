"""Rebuild in several processes (each its own read of the log, its own GIL), in one of two ways:

- by view (SQLite, one writer): the projections are split into groups of about equal cost and
  each group is rebuilt by its own process; each projection switches atomically on its own;
- by case (PostgreSQL, `shares`): each process folds one share of the cases of every projection
  being rebuilt (`projections.shares.fold_share`); the caller then merges and switches.

An interrupted run resumes like a single-process one."""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_any
from typing import Any, Protocol, cast

from caseflow.projections.rebuild import Progress, RebuildResult


class Rebuilds(Protocol):
    def fold_share(
        self,
        names: list[str],
        share: int,
        progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
        batch_size: int = 5000,
        commit_every: int | None = None,
    ) -> RebuildResult: ...

    def rebuild(
        self,
        names: list[str] | None = None,
        progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
        batch_size: int = 5000,
        jobs: int = 1,
        commit_every: int | None = None,
    ) -> RebuildResult: ...


class Opened(Protocol):
    """A child's own object graph (`bootstrap.Container`): its views, and `close()`."""

    @property
    def views(self) -> Rebuilds: ...
    def close(self) -> None: ...


# Builds the graph in a child process from the settings: `bootstrap.bootstrap`, passed in by the
# composition root (a module-level function, so it crosses to a spawned process by name).
Reopen = Callable[[Any], Opened]

# CPU seconds per 100,000 events of each projection's own work, reading excluded (measured in
# rebuilds of the 1,000,000-event bench history, alone and in groups: a view costs more beside
# others than alone); unknown projections count 1.
COST = {"case_status": 2.3, "audit": 1.6, "leader_stats": 1.15, "kpis": 1.05, "directory": 0.05}


def groups(names: list[str], jobs: int) -> list[list[str]]:
    """Greedy split into at most `jobs` groups of about equal total cost."""
    bins: list[tuple[float, list[str]]] = [(0.0, []) for _ in range(max(1, min(jobs, len(names))))]
    for name in sorted(names, key=lambda n: -COST.get(n, 1.0)):
        bins.sort(key=lambda b: b[0])
        cost, members = bins[0]
        bins[0] = (cost + COST.get(name, 1.0), members + [name])
    return [members for _, members in bins if members]


def rebuild_in_processes(
    reopen: Reopen,
    settings: Any,
    names: list[str],
    jobs: int,
    batch_size: int,
    progress: Callable[[Progress], None] | None,
    stop: threading.Event | None,
    commit_every: int | None = None,
    shares: int | None = None,
) -> RebuildResult:
    """`jobs` processes rebuilding groups of `names`; or, with `shares`, that many processes
    each folding its share of all of `names` (not switched: the caller merges)."""
    ctx = multiprocessing.get_context("spawn")
    # A lock-free shared flag the children poll, not a multiprocessing.Event: its `set` waits
    # for every process blocked in `wait` to wake, and one that was killed never does.
    halt = ctx.RawValue("b", 0)
    tasks: list[tuple[list[str], int | None]] = (
        [(names, k) for k in range(shares)]
        if shares is not None
        else [(part, None) for part in groups(names, jobs)]
    )
    parts = [part for part, _ in tasks]
    # One pipe per child, not a shared queue: a child killed while writing to a shared queue
    # would keep its lock, and the others would never get their last message out.
    pipes = [ctx.Pipe(duplex=False) for _ in parts]
    procs = [
        ctx.Process(
            target=_child,
            args=(reopen, settings, part, share, batch_size, commit_every, pipes[i][1], halt),
            name=f"rebuild-{i}",
            daemon=True,
        )
        for i, (part, share) in enumerate(tasks)
    ]
    with _ctrl_c_ignored():  # the children inherit it: Ctrl-C reaches them only through `halt`
        for p in procs:
            p.start()
    for _, writer in pipes:
        writer.close()  # the child holds its own: end of file on a reader = that child is gone
    readers = {reader: i for i, (reader, _) in enumerate(pipes)}
    started = time.monotonic()
    seen: dict[int, tuple[int, int, int]] = {}  # child → (position, head, events)
    result, done = RebuildResult(), set()
    while readers:
        if stop is not None and stop.is_set():
            halt.value = 1
        for ready in wait_any(list(readers), timeout=0.2):
            conn = cast("Connection[Any, Any]", ready)  # `wait` gives back what it was given
            i = readers[conn]
            try:
                kind, payload = conn.recv()
            except (EOFError, OSError):
                del readers[conn]
                conn.close()
                procs[i].join(5)
                if i not in done:  # it died without reporting: the others stop too
                    halt.value = 1
                    what = ", ".join(parts[i])
                    if tasks[i][1] is not None:
                        what = f"share {i} of {what}"
                    result.failed[f"group {i}"] = RuntimeError(
                        f"rebuild process for {what} died (exit code {procs[i].exitcode})"
                    )
                continue
            if kind == "progress":
                seen[i] = payload
                if progress is not None:
                    progress(
                        Progress(
                            min(s[0] for s in seen.values()),
                            max(s[1] for s in seen.values()),
                            sum(s[2] for s in seen.values()) // (1 if shares else len(seen)),
                            started,
                        )
                    )
            else:
                done.add(i)
                result.switched += payload["switched"]
                result.failed.update({n: RuntimeError(m) for n, m in payload["failed"].items()})
                result.interrupted |= payload["interrupted"]
                # each share reads its own events; each group of views the whole log
                result.events = (
                    result.events + payload["events"]
                    if shares is not None
                    else max(result.events, payload["events"])
                )
    for p in procs:
        p.join(5)
    result.switched.sort(key=names.index)  # as asked, whichever process finished first
    result.seconds = time.monotonic() - started
    return result


@contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """SIGINT ignored while the children start (only the main thread may say so). Ctrl-C goes
    to the terminal's whole process group: a child must not die of it mid-window, but stop
    with its parent, which sets `halt` (the children then commit what they hold and report)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _child(
    reopen: Reopen,
    settings: Any,
    names: list[str],
    share: int | None,
    batch_size: int,
    commit_every: int | None,
    out: Any,
    halt: Any,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (when started from another thread)
    container = reopen(settings)
    stop = threading.Event()

    def watch() -> None:
        while not halt.value:
            time.sleep(0.1)
        stop.set()

    threading.Thread(target=watch, daemon=True).start()
    try:

        def report(p: Progress) -> None:
            out.send(("progress", (p.position, p.head, p.events)))

        views = container.views
        result = (
            views.rebuild(
                names, progress=report, stop=stop, batch_size=batch_size, commit_every=commit_every
            )
            if share is None
            else views.fold_share(
                names,
                share,
                progress=report,
                stop=stop,
                batch_size=batch_size,
                commit_every=commit_every,
            )
        )
        out.send(
            (
                "done",
                {
                    "switched": result.switched,
                    "interrupted": result.interrupted,
                    "events": result.events,
                    "failed": {n: str(e) for n, e in result.failed.items()},
                },
            )
        )
    finally:
        container.close()
        out.close()
