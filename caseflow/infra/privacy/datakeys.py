"""Where the cases' data keys live: a table beside the events, in the same store (SQLite file or
PostgreSQL), created with it. A row holds a data key wrapped by a master key and that key's id;
erasure clears the wrapped key for good (the row stays, saying when)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.sqlite import SQLiteApplicationRecorder

TABLE = "caseflow_data_keys"


@dataclass(frozen=True)
class KeyRow:
    case_id: UUID
    master_key_id: str | None
    wrapped: bytes | None  # None: erased
    erased_at: datetime | None


class DataKeyStore(Protocol):
    """The port the sealer and the privacy commands use (SQL tables here, a dict in tests)."""

    def get(self, case_id: UUID) -> KeyRow | None:
        """The case's key row, None if it never had one."""
        ...

    def add(self, case_id: UUID, master_key_id: str, wrapped: bytes, at: datetime) -> KeyRow:
        """Store a new data key unless the case has one already; the row that holds."""
        ...

    def destroy(self, case_id: UUID, at: datetime) -> bool:
        """Clear the case's wrapped key for good; False if there was none to clear."""
        ...

    def rewrap(self, case_id: UUID, old: bytes, master_key_id: str, wrapped: bytes) -> bool:
        """Replace a wrapped key if it is still `old` (not erased or rewrapped meanwhile)."""
        ...

    def page(self, after: UUID | None, limit: int) -> list[KeyRow]:
        """Key rows ordered by case id, after `after`."""
        ...

    def master_key_ids(self) -> set[str]:
        """The master keys that wrap some stored (not erased) data key."""
        ...


class MemoryDataKeys:
    """`DataKeyStore` in a dict: for an in-memory event store and unit tests."""

    def __init__(self) -> None:
        self.rows: dict[UUID, KeyRow] = {}
        self._lock = threading.Lock()

    def get(self, case_id: UUID) -> KeyRow | None:
        return self.rows.get(case_id)

    def add(self, case_id: UUID, master_key_id: str, wrapped: bytes, at: datetime) -> KeyRow:
        with self._lock:
            return self.rows.setdefault(case_id, KeyRow(case_id, master_key_id, wrapped, None))

    def destroy(self, case_id: UUID, at: datetime) -> bool:
        with self._lock:
            row = self.rows.get(case_id)
            if row is None or row.wrapped is None:
                return False
            self.rows[case_id] = KeyRow(case_id, None, None, at)
            return True

    def rewrap(self, case_id: UUID, old: bytes, master_key_id: str, wrapped: bytes) -> bool:
        with self._lock:
            row = self.rows.get(case_id)
            if row is None or row.wrapped != old:
                return False
            self.rows[case_id] = KeyRow(case_id, master_key_id, wrapped, None)
            return True

    def page(self, after: UUID | None, limit: int) -> list[KeyRow]:
        ids = sorted(i for i in self.rows if after is None or i.hex > after.hex)[:limit]
        return [self.rows[i] for i in ids]

    def master_key_ids(self) -> set[str]:
        return {
            r.master_key_id for r in self.rows.values() if r.wrapped is not None and r.master_key_id
        }


class SqlDataKeys:
    """`DataKeyStore` on the event store's database (SQLite or PostgreSQL)."""

    def __init__(self, connect: Callable[..., AbstractContextManager[Any]], *, postgres: bool):
        self._connect, self.postgres = connect, postgres
        p = "%s" if postgres else "?"
        blob, ts = ("bytea", "timestamptz") if postgres else ("blob", "text")
        self.create_sql = (
            f"CREATE TABLE IF NOT EXISTS {TABLE} (case_id text PRIMARY KEY, "
            f"master_key_id text, wrapped {blob}, created_at {ts} NOT NULL, "
            f"erased_at {ts})"
        )
        cols = "case_id, master_key_id, wrapped, erased_at"
        self.sql = {
            "get": f"SELECT {cols} FROM {TABLE} WHERE case_id = {p}",
            "add": f"INSERT INTO {TABLE} (case_id, master_key_id, wrapped, created_at) "
            f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (case_id) DO NOTHING",
            "destroy": f"UPDATE {TABLE} SET wrapped = NULL, master_key_id = NULL, "
            f"erased_at = {p} WHERE case_id = {p} AND wrapped IS NOT NULL",
            "rewrap": f"UPDATE {TABLE} SET master_key_id = {p}, wrapped = {p} "
            f"WHERE case_id = {p} AND wrapped = {p}",
            "page": f"SELECT {cols} FROM {TABLE} WHERE case_id > {p} ORDER BY case_id LIMIT {p}",
            "ids": f"SELECT DISTINCT master_key_id FROM {TABLE} WHERE wrapped IS NOT NULL",
        }

    def create_table(self) -> None:
        try:
            with self._connect() as c:
                c.execute(self.create_sql)
        except Exception as e:  # processes starting together: one of them created it
            if "already exists" not in str(e) and "duplicate key" not in str(e):
                raise

    def _row(self, r: tuple[Any, ...]) -> KeyRow:
        erased = r[3]
        if isinstance(erased, str):
            erased = datetime.fromisoformat(erased)
        return KeyRow(UUID(r[0]), r[1], None if r[2] is None else bytes(r[2]), erased)

    def get(self, case_id: UUID) -> KeyRow | None:
        with self._connect(write=False) as c:
            rows = c.execute(self.sql["get"], (case_id.hex,)).fetchall()
        return self._row(rows[0]) if rows else None

    def _at(self, at: datetime) -> Any:
        return at if self.postgres else at.isoformat()

    def add(self, case_id: UUID, master_key_id: str, wrapped: bytes, at: datetime) -> KeyRow:
        with self._connect() as c:
            c.execute(self.sql["add"], (case_id.hex, master_key_id, wrapped, self._at(at)))
        row = self.get(case_id)
        assert row is not None
        return row

    def destroy(self, case_id: UUID, at: datetime) -> bool:
        with self._connect() as c:
            return c.execute(self.sql["destroy"], (self._at(at), case_id.hex)).rowcount == 1

    def rewrap(self, case_id: UUID, old: bytes, master_key_id: str, wrapped: bytes) -> bool:
        with self._connect() as c:
            cur = c.execute(self.sql["rewrap"], (master_key_id, wrapped, case_id.hex, old))
            return cur.rowcount == 1

    def page(self, after: UUID | None, limit: int) -> list[KeyRow]:
        with self._connect(write=False) as c:
            rows = c.execute(self.sql["page"], (after.hex if after else "", limit)).fetchall()
        return [self._row(r) for r in rows]

    def master_key_ids(self) -> set[str]:
        with self._connect(write=False) as c:
            return {r[0] for r in c.execute(self.sql["ids"], ()).fetchall() if r[0]}


def _sqlite_connector(path: str) -> Callable[..., AbstractContextManager[Any]]:
    local = threading.local()

    @contextmanager
    def connect(write: bool = True) -> Iterator[sqlite3.Connection]:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = sqlite3.connect(
                path, timeout=30, isolation_level=None, check_same_thread=False
            )
            # A key row is committed before the event it seals, into the same WAL: the event's
            # own commit (synced) makes the key's frames durable too, so this one need not sync.
            conn.execute("PRAGMA synchronous=NORMAL")
        if not write:  # one statement, its own snapshot: never waits for the writer
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    return connect


def _pg_connector(
    get_connection: Callable[[], AbstractContextManager[Any]],
) -> Callable[..., AbstractContextManager[Any]]:
    from psycopg.rows import tuple_row

    @contextmanager
    def connect(write: bool = True) -> Iterator[Any]:
        with (
            get_connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=tuple_row) as cur,
        ):
            yield cur

    return connect


def data_key_store(recorder: Any) -> DataKeyStore:
    """The data key table of an application recorder's store, created if missing."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        pool = recorder.datastore.pool
        if pool.is_sqlite_memory_mode:
            return MemoryDataKeys()
        store = SqlDataKeys(_sqlite_connector(pool.db_name), postgres=False)
    elif hasattr(recorder, "datastore"):
        store = SqlDataKeys(_pg_connector(recorder.datastore.get_connection), postgres=True)
    else:
        return MemoryDataKeys()
    store.create_table()
    return store
