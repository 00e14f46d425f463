"""`caseflow audit verify` against two reads of the same log: the bare rows (position,
aggregate, version, topic, state) fetched 5,000 at a time, which any walk of the log pays, and
`EventLog.read` (rows decoded into events: what the relay and every projection read, the "bare
read" of bench/rebuild.py). Goal: verify / read >= 0.5. A SQLite file of BENCH_VERIFY_EVENTS
events (default 200,000): the lifecycles that bench/commands.py records, copied under new
aggregate ids through the chained group-commit recorder; 3 rounds rotating the sides, medians.
Run: `python -m bench verify`.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.eventlog import EventLog
from caseflow.infra.integrity.service import Integrity, open_store
from caseflow.infra.settings import Settings
from caseflow.infra.sqlite_tuning import set_synchronous

EVENTS = int(os.environ.get("BENCH_VERIFY_EVENTS", "200000"))
ROUNDS = 3
GOAL = 0.5


def lifecycle() -> list[tuple[int, str, bytes]]:
    """(version, topic, state) of one case's eight events, recorded by the service layer."""
    from bench.commands import run_ours

    with tempfile.TemporaryDirectory() as d:
        run_ours(Path(d), 1, "OFF")
        conn = sqlite3.connect(Path(d) / "events.sqlite3")
        rows = conn.execute(
            "SELECT originator_id, originator_version, topic, state "
            "FROM stored_events ORDER BY rowid"
        ).fetchall()
        conn.close()
    case = rows[-1][0]  # the last event is the case's closure
    return [(v, t, s) for o, v, t, s in rows if o == case]


def write(settings: Settings) -> None:
    events = lifecycle()
    container = bootstrap(settings)
    recorder = container.app.recorder
    set_synchronous(recorder, "OFF")
    batch: list[StoredEvent] = []
    for _ in range(EVENTS // len(events)):
        aggregate = uuid4()
        batch += [StoredEvent(aggregate, v, t, s) for v, t, s in events]
        if len(batch) >= 500:
            recorder.insert_events(batch)
            batch = []
    if batch:
        recorder.insert_events(batch)
    container.close()


def decoded_read(log: EventLog) -> int:
    after, n = 0, 0
    while events := log.read(after, 5000):
        n += len(events)
        after = events[-1].position
    return n


def bare_read(path: Path) -> int:
    conn = sqlite3.connect(path)
    after, n = 0, 0
    while True:
        rows = conn.execute(
            "SELECT rowid, originator_id, originator_version, topic, state "
            "FROM stored_events WHERE rowid > ? ORDER BY rowid LIMIT 5000",
            (after,),
        ).fetchall()
        if not rows:
            break
        n += len(rows)
        after = rows[-1][0]
    conn.close()
    return n


def verify(settings: Settings) -> int:
    report = Integrity(settings, open_store(settings)).verify()
    assert report.intact, report.findings[:3]
    return report.events


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        settings = Settings(data_dir=Path(d))
        write(settings)
        path = Path(d) / "events.sqlite3"
        container = bootstrap(settings)  # opened outside the timing, as a consumer's is
        sides = {
            "bare rows": lambda: bare_read(path),
            "EventLog.read": lambda: decoded_read(container.log),
            "verify": lambda: verify(settings),
        }
        rates: dict[str, list[float]] = {name: [] for name in sides}
        names = list(sides)
        for r in range(ROUNDS):
            for name in names[r % 3 :] + names[: r % 3]:
                started = time.perf_counter()
                n = sides[name]()
                rates[name].append(n / (time.perf_counter() - started))
        container.close()
        med = {name: statistics.median(v) for name, v in rates.items()}
        ratios = {name: med["verify"] / med[name] for name in ("bare rows", "EventLog.read")}
        print(
            f"{EVENTS:,} events, {ROUNDS} rounds (medians): "
            + ", ".join(f"{name} {rate:,.0f}" for name, rate in med.items())
            + " events/s; "
            + ", ".join(
                f"verify / {name} {x:.2f} ({'meets' if x >= GOAL else 'BELOW'} goal {GOAL})"
                for name, x in ratios.items()
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
