"""`caseflow audit verify` against the bare read of the same log: the rows (position, aggregate,
version, topic, state) fetched 5,000 at a time, which any walk of the log pays. Goal: verify /
bare read >= 0.5. SQLite file of BENCH_VERIFY_EVENTS events (default 200,000; ~700-byte
states) written through the chained group-commit recorder; 3 rounds alternating, medians.
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

import orjson
from eventsourcing.persistence import StoredEvent

from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.integrity.service import Integrity, open_store
from caseflow.infra.settings import Settings
from caseflow.infra.sqlite_tuning import set_synchronous

EVENTS = int(os.environ.get("BENCH_VERIFY_EVENTS", "200000"))
ROUNDS = 3
GOAL = 0.5


def write(settings: Settings) -> None:
    container = bootstrap(settings)
    recorder = container.app.recorder
    set_synchronous(recorder, "OFF")
    state = orjson.dumps({"subject": "拖欠工资" * 20, "meta": {"actor_id": "registrar-1"},
                          "request": "x" * 500})
    aggregates = [uuid4() for _ in range(EVENTS // 8)]
    batch: list[StoredEvent] = []
    for version in range(1, 9):
        for a in aggregates:
            batch.append(StoredEvent(a, version, "caseflow.domain.case:Case.Received", state))
            if len(batch) == 500:
                recorder.insert_events(batch)
                batch = []
    if batch:
        recorder.insert_events(batch)
    container.close()


def bare_read(path: Path) -> int:
    conn = sqlite3.connect(path)
    after, n = 0, 0
    while True:
        rows = conn.execute("SELECT rowid, originator_id, originator_version, topic, state "
                            "FROM stored_events WHERE rowid > ? ORDER BY rowid LIMIT 5000",
                            (after,)).fetchall()
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
        rates: dict[str, list[float]] = {"bare read": [], "verify": []}
        for r in range(ROUNDS):
            sides = [("bare read", lambda: bare_read(path)), ("verify", lambda: verify(settings))]
            for name, run in sides[r % 2:] + sides[:r % 2]:
                started = time.perf_counter()
                n = run()
                rates[name].append(n / (time.perf_counter() - started))
        med = {name: statistics.median(v) for name, v in rates.items()}
        ratio = med["verify"] / med["bare read"]
        print(f"{EVENTS:,} events, {ROUNDS} rounds (medians): bare read {med['bare read']:,.0f} "
              f"events/s, verify {med['verify']:,.0f} events/s; ratio {ratio:.2f} "
              f"({'meets' if ratio >= GOAL else 'BELOW'} goal {GOAL})", flush=True)


if __name__ == "__main__":
    main()
