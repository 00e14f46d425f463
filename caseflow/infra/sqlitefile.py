"""Opening a SQLite file that several processes share (the views, the analytics consumer's
state): WAL journal, so readers never wait for the writer, and a 30 s busy timeout.

Switching a new file to WAL needs it alone for a moment, and SQLite answers "database is
locked" at once, without its busy timeout, to a process that asks while another is switching
(processes started together hit this: `serve --workers`, `rebuild --jobs`, a consumer group).
So the switch is retried until the timeout. Once switched, the file stays in WAL for good.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

TIMEOUT = 30.0


def sqlite_connect(path: Path | str, cache_mb: int | None = None) -> sqlite3.Connection:
    """A connection in driver autocommit mode (we say BEGIN IMMEDIATE / COMMIT), WAL journal."""
    conn = sqlite3.connect(
        str(path), timeout=TIMEOUT, isolation_level=None, check_same_thread=False
    )
    _use_wal(conn)
    conn.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; never corrupt in WAL
    if cache_mb is not None:
        conn.execute(f"PRAGMA cache_size=-{cache_mb * 1024}")
        conn.execute("PRAGMA temp_store=MEMORY")
    return conn


def _use_wal(conn: sqlite3.Connection) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)
