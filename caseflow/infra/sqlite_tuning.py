"""Relaxing SQLite's fsync policy for bulk loads (the demo seed) and benchmarks.

eventsourcing opens SQLite in WAL mode with the default `synchronous=FULL`: every commit waits
for the disk, a few milliseconds each on ordinary storage. `NORMAL` (in WAL mode) stays safe
against a crashed process but may lose the last commits on power loss; `OFF` leaves that to the
operating system. Neither is the default for a live store; a generated demo store can be
regenerated, so the seed uses `OFF`: 2.6x the events/s of the library's `FULL`
(`python -m bench shortcuts`, one run on a busy machine; 3.7x in another). The library has no
hook for connection settings, so its pool's private names are used: eventsourcing is bounded
above in pyproject.toml to the versions tested.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.sqlite import SQLiteRecorder

LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


def set_synchronous(recorder: Any, level: str) -> bool:
    """Apply `PRAGMA synchronous=<level>` to every connection of a SQLite recorder's pool, now
    and when it opens more. Returns False (and does nothing) for other recorders."""
    level = level.upper()
    if level not in LEVELS:
        raise ValueError(f"synchronous must be one of {', '.join(LEVELS)}, not {level!r}")
    pool = getattr(getattr(recorder, "datastore", None), "pool", None)
    if pool is None or not isinstance(recorder, SQLiteRecorder):
        return False
    # The library offers no hook for connection settings, so its pool is wrapped in place.
    create = type(pool)._create_connection

    def create_with_pragma(self: Any = pool) -> Any:
        connection = create(self)
        connection._sqlite_conn.execute(f"PRAGMA synchronous={level}")
        return connection

    pool._create_connection = create_with_pragma
    with pool._put_condition:
        for connection in pool._pool:  # idle ones; any in use keep the default
            connection._sqlite_conn.execute(f"PRAGMA synchronous={level}")
    return True
