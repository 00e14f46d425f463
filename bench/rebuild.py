"""Rebuild of every view from 1,000,000 events on SQLite, against the bare read of the same log.

    python -m bench rebuild            (BENCH_EVENTS=200000 for a quicker run)
    BENCH_DATABASE_URL=postgresql://… python -m bench rebuild
                                       (the same on PostgreSQL too: the history is copied once
                                        into the database `caseflow_bench_<events>` there)
    BENCH_SQLITE=0                     (PostgreSQL only)
    BENCH_BULK=1                       (also COPY of many rows on and off, PostgreSQL)
    BENCH_GC=1 python -m bench rebuild (also each garbage-collector trick on and off;
                                        BENCH_GC=only: just that)

For each store: one process against two (`--jobs 2`), events/s and CPU seconds per event (the
rebuild's own processes; PostgreSQL's server is not counted).

Prints events/s of: reading and decoding the log (`EventLog.read`, the baseline), rebuilding all
views in one process, and in two (`--jobs 2`); the ratio of each rebuild to the bare read; and
the peak RSS of each. The bare read is measured twice: as a consumer reads (the cyclic garbage
collector on between reads, paused by `EventLog.read` while it decodes) and as the rebuild reads
(paused throughout); the ratio is taken to the faster. Each
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


def _settings(data_dir: Path, url: str | None) -> Any:
    from caseflow.infra.settings import Settings

    return Settings(data_dir=data_dir, database_url=url)


def dev_master_key() -> None:
    """`bootstrap` on PostgreSQL wants a master key for the personal fields; the history's are
    synthetic: a development key under the history will do (children inherit it)."""
    if not (os.environ.get("CASEFLOW_MASTER_KEY_FILE") or os.environ.get("CASEFLOW_MASTER_KEY")):
        os.environ.setdefault("CASEFLOW_DEV", "1")


def _without(tricks: tuple[str, ...]) -> None:
    """Turn garbage-collector tricks off in this process, to measure what each is worth:
    `read-pause` (EventLog.read pauses the collector while it decodes), `rebuild-pause` (the
    rebuild pauses it throughout). (A `gc.freeze` after each read of the rebuild measured -5 %
    and went.)"""
    import contextlib

    from caseflow.infra import eventlog
    from caseflow.projections import rebuild

    if "read-pause" in tricks:
        eventlog.collector_paused = contextlib.nullcontext  # type: ignore[assignment]
    if "rebuild-pause" in tricks:
        rebuild.young_gc_only = contextlib.nullcontext  # type: ignore[assignment]
    if "bulk-copy" in tricks:
        from caseflow.infra import shortcuts

        shortcuts.switch(["bulk_copy"], False)  # every write row by row (executemany)


def _read(
    data_dir: Path, paused: bool, url: str | None, tricks_off: tuple[str, ...], out: Any
) -> None:
    from caseflow.infra.bootstrap import bootstrap

    _without(tricks_off)
    container = bootstrap(_settings(data_dir, url))  # the application's own event table
    log = container.log
    if paused:
        gc.disable()
    started, cpu, position, n = time.perf_counter(), time.process_time(), 0, 0
    while batch := log.read(position, 5000):
        position, n = batch[-1].position, n + len(batch)
    out.put(
        {
            "events": n,
            "seconds": time.perf_counter() - started,
            "cpu": time.process_time() - cpu,
            "rss": _rss_mb(),
        }
    )
    container.close()


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
                " WHERE rowid > ? ORDER BY rowid LIMIT 5000",
                (rows[-1][0] if rows else 0,),
            ).fetchall()
        return rows[:n]

    def one_row_each(rows: list[tuple[Any, ...]], parsed: list[Any]) -> None:
        mem = sqlite3.connect(":memory:")
        mem.execute(
            "CREATE TABLE t (position INTEGER PRIMARY KEY, a, b, c, d, e, f, g, h, i, j,"
            " k, payload)"
        )
        mem.executemany(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r[0],
                    r[1],
                    r[3],
                    r[2],
                    r[3],
                    d["timestamp"]["$dt"],
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    orjson.dumps(d),
                )
                for r, d in zip(rows, parsed, strict=True)
            ],
        )
        mem.commit()
        mem.close()

    for _ in range(3):
        rows = timed("fetch", fetch)
        parsed = timed("parse", lambda rows: [orjson.loads(r[4]) for r in rows], rows)
        timed("revive", lambda parsed: [_untag(d) for d in parsed], parsed)
        timed("row", one_row_each, rows, parsed)
    out.put(best)


def _machine_cpu() -> float:
    """CPU seconds the whole machine has spent busy (every process, PostgreSQL's server
    included: noisy when anything else runs)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rebuild(
    data_dir: Path, jobs: int, url: str | None, tricks_off: tuple[str, ...], out: Any
) -> None:
    from caseflow.infra.bootstrap import bootstrap

    _without(tricks_off)
    container = bootstrap(_settings(data_dir, url))
    views = container.views
    started, cpu, children_cpu = time.perf_counter(), time.process_time(), _children_cpu()
    machine = _machine_cpu()
    result = views.rebuild(jobs=jobs, batch_size=5000)
    seconds = time.perf_counter() - started
    machine = _machine_cpu() - machine
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out.put(
        {
            "events": result.events,
            "seconds": seconds,
            "cpu": time.process_time() - cpu + _children_cpu() - children_cpu,
            "machine_cpu": machine,
            "rss": max(_rss_mb(), children),
            "switched": result.switched,
            "failed": {k: str(v) for k, v in result.failed.items()},
        }
    )
    container.close()


def _load_postgres(data_dir: Path, url: str, events: int) -> str:
    """The database `caseflow_bench_<events>` on the server of `url`, holding the SQLite
    history's events in the application's event table (copied once; its URL)."""
    import sqlite3

    import psycopg

    from caseflow.infra.bootstrap import bootstrap

    name = f"caseflow_bench_{events}"
    with psycopg.connect(url, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f"CREATE DATABASE {name}")
    target = url.rsplit("/", 1)[0] + "/" + name
    container = bootstrap(_settings(data_dir / "pg", target))
    recorder = container.app.recorder
    table = f"{recorder.datastore.schema}.{recorder.events_table_name}"
    container.close()
    with psycopg.connect(target, autocommit=True) as pg:
        have = pg.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        source = sqlite3.connect(data_dir / "events.sqlite3")
        want = source.execute("SELECT count(*) FROM stored_events").fetchone()[0]
        if have != want:
            print(f"  copying {want:,} events into PostgreSQL ({name}) …", flush=True)
            pg.execute(f"TRUNCATE {table}")
            with (
                pg.cursor() as cur,
                cur.copy(
                    f"COPY {table} (notification_id, originator_id, originator_version, topic, "
                    "state) FROM STDIN"
                ) as copy,
            ):
                for row in source.execute(
                    "SELECT rowid, originator_id, originator_version, "
                    "topic, state FROM stored_events ORDER BY rowid"
                ):
                    copy.write_row((row[0], row[1], row[2], row[3], row[4]))
            pg.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'notification_id'), "
                f"(SELECT max(notification_id) FROM {table}))"
            )
            pg.execute(f"ANALYZE {table}")
        source.close()
    return target


def _in_process(target: Any, *args: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, out))
    proc.start()
    result = out.get()
    proc.join()
    return result


def _rate(r: dict[str, Any]) -> float:
    return r["events"] / r["seconds"]


def _target(label: str, data_dir: Path, url: str | None) -> dict[str, Any]:
    """Bare reads (collector on and paused), rebuilds with one and two processes, each twice,
    the two kinds alternating so that drift in the machine's load falls on both."""
    reads: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    for _ in range(int(os.environ.get("BENCH_ROUNDS", "2"))):
        for paused in (False, True):
            reads[paused].append(_in_process(_read, data_dir, paused, url, ()))
        for jobs in (1, 2):
            if url is None:
                _fresh_views(data_dir)
            runs[jobs].append(_in_process(_rebuild, data_dir, jobs, url, ()))
            r = runs[jobs][-1]
            print(
                f"  {label} rebuild --jobs {jobs}: {_rate(r):,.0f} events/s, "
                f"{r['cpu'] / r['events'] * 1e6:.1f} µs CPU per event "
                f"({r['machine_cpu'] / r['events'] * 1e6:.1f} µs on the whole machine)",
                flush=True,
            )
            if r["failed"]:
                print(f"  FAILED: {r['failed']}")
    print()
    read_rate = 0.0
    for paused, runs_ in reads.items():
        rate = statistics.median(_rate(r) for r in runs_)
        cpu = statistics.median(r["cpu"] / r["events"] for r in runs_) * 1e6
        read_rate = max(read_rate, rate)
        print(
            f"{label}: bare read+decode, collector {'paused' if paused else 'on'}, median "
            f"of {len(runs_)}: {rate:,.0f} events/s, {cpu:.1f} µs CPU per event"
        )
    rates = {}
    for jobs, runs_ in runs.items():
        rates[jobs] = statistics.median(_rate(r) for r in runs_)
        cpu = statistics.median(r["cpu"] / r["events"] for r in runs_) * 1e6
        machine = statistics.median(r["machine_cpu"] / r["events"] for r in runs_) * 1e6
        print(
            f"{label}: rebuild all views, {jobs} process(es), median of {len(runs_)}: "
            f"{rates[jobs]:,.0f} events/s, {cpu:.1f} µs CPU per event ({machine:.1f} µs on "
            f"the whole machine, the server's included), ratio to the bare "
            f"read {rates[jobs] / read_rate:.2f}, peak RSS "
            f"{max(r['rss'] for r in runs_):.0f} MB"
        )
    print(
        f"{label}: two processes against one: {rates[2] / rates[1]:.2f}x (goal on "
        f"PostgreSQL >= 1.7)"
    )
    return {"reads": reads, "runs": runs}


def _gc_tricks(data_dir: Path) -> None:
    """Each trick on and off, in one run, on the figure it exists for (SQLite, one process)."""
    print("garbage-collector tricks, on and off (medians):")
    pairs = {
        "read-pause (figure: bare read, collector on between reads)": (_read, (False,)),
        "rebuild-pause (figure: rebuild, one process)": (_rebuild, (1,)),
    }
    for what, (target, args) in pairs.items():
        trick = what.split(" ")[0]
        rates: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(int(os.environ.get("BENCH_GC_ROUNDS", "2"))):
            for on in (True, False):
                if target is _rebuild:
                    _fresh_views(data_dir)
                r = _in_process(target, data_dir, *args, None, () if on else (trick,))
                rates[on].append(_rate(r))
        on, off = statistics.median(rates[True]), statistics.median(rates[False])
        print(f"  {what}: on {on:,.0f}, off {off:,.0f} events/s: worth {on / off - 1:+.0%}")


def _bulk_copy(data_dir: Path, url: str) -> None:
    """COPY for many rows (infra/views/bulk.py) on and off, in one run, on the figures it exists
    for: a rebuild of every view on PostgreSQL in one process, events/s and CPU per event."""
    runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for i in range(int(os.environ.get("BENCH_GC_ROUNDS", "2"))):
        for on in (True, False) if i % 2 == 0 else (False, True):
            runs[on].append(_in_process(_rebuild, data_dir, 1, url, () if on else ("bulk-copy",)))
    figures = {}
    for on, rs in runs.items():
        figures[on] = (
            statistics.median(_rate(r) for r in rs),
            statistics.median(r["cpu"] / r["events"] for r in rs) * 1e6,
            statistics.median(r["machine_cpu"] / r["events"] for r in rs) * 1e6,
        )
        print(
            f"  bulk copy {'on ' if on else 'off'}: {figures[on][0]:,.0f} events/s, "
            f"{figures[on][1]:.1f} µs CPU per event, {figures[on][2]:.1f} µs on the machine"
        )
    (r1, c1, m1), (r0, c0, m0) = figures[True], figures[False]
    print(
        f"  bulk copy worth: events/s {r1 / r0:.2f}x, CPU per event {c0 / c1:.2f}x, "
        f"machine CPU per event {m0 / m1:.2f}x"
    )


def main() -> None:
    events = int(os.environ.get("BENCH_EVENTS", "1000000"))
    data_dir = _history.ensure(events).resolve()
    print(f"history: {data_dir} ({events:,} events)", flush=True)
    only_gc = os.environ.get("BENCH_GC") == "only"
    if not only_gc and os.environ.get("BENCH_SQLITE", "1") != "0":
        _target("SQLite", data_dir, None)
    url = os.environ.get("BENCH_DATABASE_URL")
    if url and not only_gc:
        dev_master_key()
        print()
        _target("PostgreSQL", data_dir / "pg", _load_postgres(data_dir, url, events))
    if os.environ.get("BENCH_GC"):
        print()
        _gc_tricks(data_dir)
    if url and os.environ.get("BENCH_BULK"):
        dev_master_key()
        print("\nPostgreSQL bulk copy, on and off (medians):")
        _bulk_copy(data_dir / "pg", _load_postgres(data_dir, url, events))
    print()
    n = min(FLOOR_EVENTS, events)
    f = _in_process(_floor, data_dir, n)
    print(
        f"floor per event (first {n:,} events, best of 3): SQL fetch "
        f"{f['fetch']:.1f} µs + JSON parse {f['parse']:.1f} µs + value revival "
        f"{f['revive']:.1f} µs; one 13-column row per event into SQLite {f['row']:.1f} µs. "
        f"100,000 events/s leaves 10 µs per event per CPU for the read and all five views."
    )
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
