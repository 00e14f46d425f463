"""Raw reads of the event log and its chain (what `verify` walks), and sealing a store written
before the chain existed. One class per backend; both read the rows exactly as stored."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteApplicationRecorder

from caseflow.infra.integrity import chain
from caseflow.infra.integrity.chain import Link, Record

log = logging.getLogger(__name__)

SEAL_BATCH = 5000


class ChainStore:
    """The events table and its chain table of one store, read raw."""

    placeholder = "?"

    def __init__(self, events_table: str):
        self.events_table = events_table
        self.chain_table = events_table + chain.TABLE_SUFFIX

    # Each backend gives a connection-ish object with `rows(sql, params)` and `run(...)`.
    def transaction(self, *, write: bool = False) -> Any:
        raise NotImplementedError

    def _sql(self) -> dict[str, str]:
        p, e, c = self.placeholder, self.events_table, self.chain_table
        pos = self.position_column
        return {
            "events": f"SELECT {pos}, originator_id, originator_version, topic, state FROM {e} "
            f"WHERE {pos} > {p} AND {pos} <= {p} ORDER BY {pos} LIMIT {p}",
            "joined": f"SELECT e.{pos}, e.originator_id, e.originator_version, e.topic, e.state, "
            f"l.prev_position, l.chainhash FROM {e} e LEFT JOIN {c} l "
            f"ON l.position = e.{pos} WHERE e.{pos} > {p} AND e.{pos} <= {p} "
            f"ORDER BY e.{pos} LIMIT {p}",
            "link_count": f"SELECT COUNT(*) FROM {c} WHERE position > {p} AND position <= {p}",
            "orphans": f"SELECT position, prev_position, chainhash FROM {c} l "
            f"WHERE position > {p} AND position <= {p} AND NOT EXISTS "
            f"(SELECT 1 FROM {e} WHERE {pos} = l.position) ORDER BY position",
            "chain_head": f"SELECT position, prev_position, chainhash FROM {c} "
            "ORDER BY position DESC LIMIT 1",
            "events_head": f"SELECT MAX({pos}) FROM {e}",
            "link_at": f"SELECT position, prev_position, chainhash FROM {c} WHERE position = {p}",
            "aggregate": f"SELECT e.{pos}, e.originator_id, e.originator_version, e.topic, "
            f"e.state, l.prev_position, l.chainhash, pl.chainhash FROM {e} e "
            f"LEFT JOIN {c} l ON l.position = e.{pos} "
            f"LEFT JOIN {c} pl ON pl.position = l.prev_position "
            f"WHERE e.originator_id = {p} ORDER BY e.originator_version",
        }

    position_column = "rowid"

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    def heads(self) -> tuple[int, Link]:
        """(newest event's position, the chain's head link)."""
        sql = self._sql()
        with self.transaction() as t:
            events_head = t.rows(sql["events_head"], ())[0][0] or 0
            rows = t.rows(sql["chain_head"], ())
        return events_head, chain.head_of(rows[0] if rows else None)

    def link_at(self, position: int) -> Link | None:
        with self.transaction() as t:
            rows = t.rows(self._sql()["link_at"], (position,))
        return chain.head_of(rows[0]) if rows else None

    def windows(self, after: int, upto: int, size: int) -> Iterator[tuple[list, list]]:
        """Windows of (events each with its link, links without an event) with after <
        position <= upto. An event row is `Record` then the link's prev_position and chainhash
        (None, None: no link). Both reads of a window share one transaction (a link and its
        event are committed together)."""
        sql = self._sql()
        while after < upto:
            with self.transaction() as t:
                rows = t.rows(sql["joined"], (after, upto, size))
                end = rows[-1][0] if len(rows) == size else upto
                linked = sum(1 for r in rows if r[6] is not None)
                orphans: list = []
                if t.rows(sql["link_count"], (after, end))[0][0] != linked:
                    orphans = t.rows(sql["orphans"], (after, end))
            yield rows, orphans
            after = end

    def aggregate_rows(self, aggregate_id: UUID) -> list[tuple[Record, Link | None, bytes | None]]:
        """One aggregate's events, each with its link and the hash of the link it follows."""
        with self.transaction() as t:
            rows = t.rows(self._sql()["aggregate"], (self.stored_id(aggregate_id),))
        return [
            (
                chain.as_record(r),
                None if r[6] is None else Link(r[0], r[5], bytes(r[6])),
                chain.GENESIS if r[5] == 0 else None if r[7] is None else bytes(r[7]),
            )
            for r in rows
        ]

    def stored_id(self, aggregate_id: UUID) -> Any:
        return aggregate_id

    def hashes_at(self, positions: list[int]) -> dict[int, bytes]:
        """The links' hashes at these positions (those that have one)."""
        marks = ", ".join([self.placeholder] * len(positions))
        with self.transaction() as t:
            rows = t.rows(
                f"SELECT position, chainhash FROM {self.chain_table} WHERE position IN ({marks})",
                tuple(positions),
            )
        return {p: bytes(h) for p, h in rows}

    def seal(self) -> int:
        """Chain every event after the chain's head (all of them in a store never chained),
        under the write lock; the number of events chained."""
        sql = self._sql()
        chained = 0
        with self.transaction(write=True) as t:
            rows = t.rows(sql["chain_head"], ())
            head = chain.head_of(rows[0] if rows else None)
            upto = t.rows(sql["events_head"], ())[0][0] or 0
            while head.position < upto:
                events = [
                    chain.as_record(r)
                    for r in t.rows(sql["events"], (head.position, upto, SEAL_BATCH))
                ]
                links = chain.extend(
                    head, [e.position for e in events], [_Stored(e) for e in events]
                )
                self.insert_links(t, links)
                head, chained = links[-1], chained + len(links)
        return chained

    def insert_links(self, t: Any, links: list[Link]) -> None:
        raise NotImplementedError


class _Stored:
    """A `Record` seen as the StoredEvent that `chain.extend` expects."""

    __slots__ = ("originator_id", "originator_version", "topic", "state")

    def __init__(self, r: Record):
        self.originator_id, self.originator_version = r.aggregate_id, r.version
        self.topic, self.state = r.topic, r.state


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def rows(self, sql: str, params: tuple) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()


class SqliteChainStore(ChainStore):
    def __init__(self, db_name: str, events_table: str):
        super().__init__(events_table)
        self.db_name = db_name

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[_SqliteTx]:
        # A seal holds the write lock while it chains a whole old store: one waiting for it
        # (another process sealing on start) waits as long as that can take.
        conn = sqlite3.connect(
            self.db_name, uri=True, isolation_level=None, timeout=600 if write else 30
        )
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield _SqliteTx(conn)
            conn.execute("COMMIT" if write else "ROLLBACK")
        finally:
            conn.close()  # without COMMIT, closing rolls back

    def stored_id(self, aggregate_id: UUID) -> Any:
        return aggregate_id.hex

    def has_table(self, name: str) -> bool:
        with self.transaction() as t:
            return bool(
                t.rows("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,))
            )

    def insert_links(self, t: Any, links: list[Link]) -> None:
        t.conn.executemany(chain.statements(self.events_table, postgres=False)["insert"], links)


class _PgTx:
    def __init__(self, conn: Any):
        self.conn = conn

    def rows(self, sql: str, params: tuple) -> list[tuple]:
        from psycopg.rows import tuple_row

        with self.conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(sql, params)
            return cur.fetchall()


class PostgresChainStore(ChainStore):
    placeholder = "%s"
    position_column = "notification_id"

    def __init__(self, connection: Callable[[], AbstractContextManager[Any]], events_table: str):
        super().__init__(events_table)
        self.connection = connection

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[_PgTx]:
        with self.connection() as conn, conn.transaction():
            if write:
                conn.execute(f"LOCK TABLE {self.events_table} IN EXCLUSIVE MODE")
            else:  # one snapshot for both reads of a window
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield _PgTx(conn)

    def has_table(self, name: str) -> bool:
        with self.transaction() as t:
            return t.rows("SELECT to_regclass(%s) IS NOT NULL", (name,))[0][0]

    def insert_links(self, t: Any, links: list[Link]) -> None:
        t.conn.execute(
            chain.statements(self.events_table, postgres=True)["insert"],
            [list(col) for col in zip(*links, strict=True)],
        )


def chain_store(recorder: Any) -> ChainStore:
    """The `ChainStore` of an application recorder (SQLite or PostgreSQL)."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SqliteChainStore(recorder.datastore.pool.db_name, recorder.events_table_name)
    return PostgresChainStore(
        recorder.datastore.get_connection,
        f"{recorder.datastore.schema}.{recorder.events_table_name}",
    )


def seal_if_new(recorder: Any) -> None:
    """A store written before the chain existed is sealed when first opened (docs/integrity.md):
    only while its chain is empty, so a later unchained event stays a finding, never sealed."""
    store = chain_store(recorder)
    if isinstance(store, SqliteChainStore) and recorder.datastore.pool.is_sqlite_memory_mode:
        return
    events_head, head = store.heads()
    if events_head and head.position == 0:
        n = store.seal()
        if n:
            log.warning("sealed %d events written before the hash chain existed", n)
