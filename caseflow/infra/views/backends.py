"""Connections, cross-process locks and log waiters for the two backends."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from caseflow.infra.sqlitefile import sqlite_connect
from caseflow.infra.views.dialect import POSTGRES, SQLITE
from caseflow.infra.views.sqlstore import SqlViewStore
from caseflow.projections.source import EventSource

log = logging.getLogger(__name__)

# ------------------------------------------------------------------------ SQLite


CACHE_MB = 32


class FileLock:
    """`flock` on `<dir>/<name>.lock`: released by the OS when the holding process dies."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def held_elsewhere(self) -> bool:
        if self._fd is not None:
            return False
        if not self.acquire():
            return True
        self.release()
        return False


def sqlite_store(data_dir: Path) -> SqlViewStore:
    """Views in `<data_dir>/views.sqlite3`, locks in `<data_dir>/locks/`."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "views.sqlite3"
    # A rebuild holds each row's changes for a whole window, so it re-reads few pages: measured
    # at 1,000,000 events, a larger page cache (96 MB) saved no CPU there and cost 67 MB. What
    # it did cache is given back when it ends.
    bulk = ((), ("PRAGMA shrink_memory",))
    return SqlViewStore(
        SQLITE,
        lambda: sqlite_connect(path, CACHE_MB),
        lambda name: FileLock(data_dir / "locks" / f"{name}.lock"),
        (sqlite3.OperationalError,),
        bulk=bulk,
    )


# -------------------------------------------------------------------- PostgreSQL


def pg_connect(url: str) -> Any:
    import psycopg

    conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    conn.execute("SET TIME ZONE 'UTC'")
    return conn


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `pg_try_advisory_lock`."""
    digest = hashlib.blake2b(f"caseflow:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLock:
    """`pg_try_advisory_lock` held on a dedicated connection: released by the server when the
    holder's session ends (process death, network loss), so a standby can take over."""

    def __init__(self, url: str, name: str):
        self.url, self.key = url, advisory_key(name)
        self._conn: Any = None

    def acquire(self) -> bool:
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return True
        conn = pg_connect(self.url)
        if conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]:
            self._conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()  # ends the session, which releases the lock
            finally:
                self._conn = None

    def held_elsewhere(self) -> bool:
        if self._conn is not None:
            return False
        with pg_connect(self.url) as conn:
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]
            if got:
                conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            return not got


def postgres_store(url: str) -> SqlViewStore:
    """Views as tables in the event store's PostgreSQL database."""
    import psycopg

    return SqlViewStore(
        POSTGRES,
        lambda: pg_connect(url),
        lambda name: AdvisoryLock(url, name),
        (psycopg.OperationalError, psycopg.InterfaceError),
    )


class NotifyWaiter:
    """`wait(after, timeout)` woken by `LISTEN <channel>` (the eventsourcing recorder NOTIFYs on
    every insert), one listening connection per process shared by all runners."""

    def __init__(self, url: str, channel: str, source: EventSource, fallback_poll: float = 1.0):
        self.url, self.channel, self.source = url, channel, source
        self.fallback_poll = fallback_poll
        self._seq = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> NotifyWaiter:
        if self._thread is None:
            self._thread = threading.Thread(target=self._listen, name="views:listen", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __call__(self, after: int, timeout: float) -> bool:
        self.start()
        with self._cond:
            seq = self._seq
        if self.source.head() > after:
            return True
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._seq == seq:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                # A bounded wait also covers a listener that is reconnecting.
                self._cond.wait(min(remaining, self.fallback_poll))
                if self._seq == seq and self.source.head() > after:
                    return True
        return self.source.head() > after

    def _wake(self) -> None:
        with self._cond:
            self._seq += 1
            self._cond.notify_all()

    def _listen(self) -> None:
        from psycopg import sql

        while not self._stop.is_set():
            try:
                with pg_connect(self.url) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    self._wake()  # anything appended while we were not listening
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self._wake()
            except Exception as exc:  # server restart: reconnect after a pause
                log.warning("LISTEN %s lost: %s; reconnecting", self.channel, exc)
                self._stop.wait(1.0)
