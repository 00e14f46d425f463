"""Rebuild of every view from 1,000,000 events on SQLite, against the bare read of the same log.

    python -m bench rebuild            (BENCH_EVENTS=200000 for a quicker run)

Prints events/s of: reading and decoding the log (`EventLog.read`, the baseline), rebuilding all
views in one process, and in two (`--jobs 2`); the ratio of each rebuild to the bare read; and
the peak RSS of each. The bare read is measured twice: as a consumer reads (the cyclic garbage
collector on between reads, paused by `EventLog.read` while it decodes) and as the rebuild reads
(paused throughout, `gc.freeze` per batch); the ratio is taken to the faster. Each
measurement runs in a fresh process so its RSS is its own. Goals: >= 100,000 events/s, ratio
>= 0.5, RSS < 500 MB. The history is generated once (through the application, so every event is
lawful) and cached under ./var/bench/.
"""

from __future__ import annotations

import gc
import glob
import multiprocessing
import os
import resource
import statistics
import time
from pathlib import Path
from typing import Any

from bench import _history


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fresh_views(data_dir: Path) -> None:
    for path in glob.glob(str(data_dir / "views.sqlite3*")):
        os.remove(path)


def _read(data_dir: Path, paused: bool, out: Any) -> None:
    from caseflow.infra.eventlog import EventLog
    from caseflow.infra.settings import Settings
    from caseflow.infra.store import event_store_env
    from caseflow.services.app import CaseflowApp

    app = CaseflowApp(event_store_env(Settings(data_dir=data_dir)))
    log = EventLog(app.recorder, app.mapper.transcoder)
    if paused:
        gc.disable()
    started, cpu, position, n = time.perf_counter(), time.process_time(), 0, 0
    while batch := log.read(position, 5000):
        position, n = batch[-1].position, n + len(batch)
        if paused:
            gc.freeze()
    out.put({"events": n, "seconds": time.perf_counter() - started,
             "cpu": time.process_time() - cpu, "rss": _rss_mb()})


FLOOR_EVENTS = 200_000


def _floor(data_dir: Path, n: int, out: Any) -> None:
    """What any rebuild must spend per event, measured piece by piece on the first
    `n` events, best of three: the SQL fetch of the stored rows, the JSON parse, the
    revival of tagged values (datetimes, UUIDs, enums, the metadata object), and the cheapest
    view imaginable: one 13-column row per event (the audit trail's shape, payload re-encoded,
    no summary, no secondary index) inserted into an in-memory SQLite table."""
    import sqlite3

    import orjson

    from caseflow.infra.transcoder import _untag

    con = sqlite3.connect(data_dir / "events.sqlite3")
    gc.disable()
    best: dict[str, float] = {}

    def timed(part: str, work: Any, *args: Any) -> Any:
        started = time.perf_counter()
        value = work(*args)
        per_event = (time.perf_counter() - started) / n * 1e6
        best[part] = min(best.get(part, per_event), per_event)
        return value

    def fetch() -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        while len(rows) < n:
            rows += con.execute(
                "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events"
                " WHERE rowid > ? ORDER BY rowid LIMIT 5000", (rows[-1][0] if rows else 0,)
            ).fetchall()
        return rows[:n]

    def one_row_each(rows: list[tuple[Any, ...]], parsed: list[Any]) -> None:
        mem = sqlite3.connect(":memory:")
        mem.execute("CREATE TABLE t (position INTEGER PRIMARY KEY, a, b, c, d, e, f, g, h, i, j,"
                    " k, payload)")
        mem.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(r[0], r[1], r[3], r[2], r[3], d["timestamp"]["$dt"], "", "", "", "",
                          "", "", orjson.dumps(d)) for r, d in zip(rows, parsed, strict=True)])
        mem.commit()
        mem.close()

    for _ in range(3):
        rows = timed("fetch", fetch)
        parsed = timed("parse", lambda rows: [orjson.loads(r[4]) for r in rows], rows)
        timed("revive", lambda parsed: [_untag(d) for d in parsed], parsed)
        timed("row", one_row_each, rows, parsed)
    out.put(best)


def _rebuild(data_dir: Path, jobs: int, out: Any) -> None:
    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.settings import Settings

    container = bootstrap(Settings(data_dir=data_dir))
    views = container.views
    started, cpu = time.perf_counter(), time.process_time()
    result = views.rebuild(jobs=jobs, batch_size=5000)
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out.put({"events": result.events, "seconds": seconds, "cpu": time.process_time() - cpu,
             "rss": max(_rss_mb(), children), "switched": result.switched,
             "failed": {k: str(v) for k, v in result.failed.items()}})
    container.close()


def _in_process(target: Any, *args: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, out))
    proc.start()
    result = out.get()
    proc.join()
    return result


def main() -> None:
    events = int(os.environ.get("BENCH_EVENTS", "1000000"))
    data_dir = _history.ensure(events).resolve()
    print(f"history: {data_dir} ({events:,} events)", flush=True)
    reads: dict[bool, list[dict[str, Any]]] = {False: [], True: []}

    def read_both() -> None:
        for paused in (False, True):
            reads[paused].append(_in_process(_read, data_dir, paused))
            r = reads[paused][-1]
            print(f"  bare read, collector {'paused' if paused else 'on'}: "
                  f"{r['events'] / r['seconds']:,.0f} events/s", flush=True)

    read_both()
    runs = {}
    for jobs in (1, 2):
        _fresh_views(data_dir)
        runs[jobs] = _in_process(_rebuild, data_dir, jobs)
        r = runs[jobs]
        print(f"  rebuild --jobs {jobs}: {r['events'] / r['seconds']:,.0f} events/s", flush=True)
    read_both()
    print()
    medians = {}
    for paused, runs_ in reads.items():
        medians[paused] = (statistics.median(r["events"] / r["seconds"] for r in runs_),
                           statistics.median(r["events"] / r["cpu"] for r in runs_))
        print(f"bare read+decode (EventLog.read), collector {'paused' if paused else 'on'}, "
              f"median of {len(runs_)}: {medians[paused][0]:,.0f} events/s wall, "
              f"{medians[paused][1]:,.0f} events/s of CPU; "
              f"peak RSS {max(r['rss'] for r in runs_):.0f} MB")
    read_rate, read_cpu = max(medians.values())
    for jobs, r in runs.items():
        rate = r["events"] / r["seconds"]
        print(f"rebuild all views, {jobs} process(es): {r['events']:,} events in "
              f"{r['seconds']:.1f} s = {rate:,.0f} events/s (goal >= 100,000); "
              f"ratio to bare read {rate / read_rate:.2f} (goal >= 0.5); "
              f"peak RSS {r['rss']:.0f} MB (goal < 500)")
        if jobs == 1:
            print(f"  CPU: {r['events'] / r['cpu']:,.0f} events per CPU-second; "
                  f"ratio to the read's {r['events'] / r['cpu'] / read_cpu:.2f}")
        if r["failed"]:
            print(f"  FAILED: {r['failed']}")
    n = min(FLOOR_EVENTS, events)
    f = _in_process(_floor, data_dir, n)
    print(f"floor per event (first {n:,} events, best of 3): SQL fetch "
          f"{f['fetch']:.1f} µs + JSON parse {f['parse']:.1f} µs + value revival "
          f"{f['revive']:.1f} µs; one 13-column row per event into SQLite {f['row']:.1f} µs. "
          f"100,000 events/s leaves 10 µs per event per CPU for the read and all five views.")
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
