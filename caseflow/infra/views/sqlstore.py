"""`ViewStore` over SQL (SQLite or PostgreSQL): generations of view tables, positions committed
with the rows, poison failures, and atomic switches of the SQL views that queries read."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from caseflow.infra.views import bulk
from caseflow.infra.views.dialect import Dialect
from caseflow.infra.views.unit import RowCache, SqlBatch, TablePlan
from caseflow.projections.base import PositionMoved, Projection
from caseflow.projections.store import (
    Cursor,
    Failure,
    Lock,
    PositionRecord,
    ProjectionRecord,
    SharePlan,
)

META = "view_generations"
POSITIONS = "consumer_positions"  # consumers that are not projections (the Kafka relay)
SHARES = "view_shares"  # the shares of rebuilds split by case, while they are folded
_POSITION_COLUMNS = ("position", "recorded_at", "error", "last_error", "last_error_at")
_META_COLUMNS = (
    "generation",
    "state",
    "position",
    "recorded_at",
    "schema_version",
    "failure_position",
    "failure_event",
    "failure_error",
    "failed_at",
)


def physical(table: str, generation: int) -> str:
    return f"{table}_g{generation}"


class SqlViewStore:
    """One store per process; connections are per thread (a batch never crosses threads)."""

    def __init__(
        self,
        dialect: Dialect,
        connect: Callable[[], Any],
        lock_factory: Callable[[str], Lock],
        transient: tuple[type[BaseException], ...],
        bulk: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
    ):
        self.d, self._connect, self._lock_factory = dialect, connect, lock_factory
        self._bulk = bulk  # (statements that tune a connection for a rebuild, and that undo them)
        self._transient = transient
        self._local = threading.local()
        self._all: list[Any] = []
        self._guard = threading.Lock()
        self._caches: dict[tuple[str, int], RowCache] = {}
        self._indexed: set[tuple[str, int]] = set()  # shadows whose indexes are built
        self.projections: dict[str, Projection] = {}
        self._positions_ready = False

    # --------------------------------------------------------------- connections

    def connection(self) -> Any:
        """This thread's connection (opened on first use, reopened if it broke)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(conn, "closed", False) or getattr(conn, "broken", False):
            conn = self._local.conn = self._connect()
            with self._guard:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A writing transaction on this thread's connection; yields a cursor. Connections are in
        driver autocommit mode, so BEGIN/COMMIT are ours to say (the same on both backends)."""
        conn = self.connection()
        cur = conn.cursor()
        cur.execute(self.d.begin)
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            try:
                cur.execute("ROLLBACK")
            except Exception:  # the connection itself may be gone; it is reopened next time
                self._local.conn = None
            raise

    def close(self) -> None:
        with self._guard:
            for conn in self._all:
                try:
                    conn.close()
                except Exception:
                    pass
            self._all.clear()
        self._local = threading.local()

    def is_transient(self, exc: BaseException) -> bool:
        return isinstance(exc, self._transient)

    def lock(self, name: str) -> Lock:
        return self._lock_factory(name)

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """This thread's connection tuned for a rebuild (SQLite: a larger page cache), then
        put back, so a long-lived thread does not keep the memory."""
        tune, undo = self._bulk
        for statement in tune:
            self.connection().execute(statement)
        try:
            yield
        finally:
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                for statement in undo:
                    conn.execute(statement)

    # --------------------------------------------------------------------- setup

    def setup(self, projections: list[Projection]) -> None:
        d = self.d
        ts = d.types["timestamp"]
        with self.transaction() as cur:
            self._views_lock(cur)  # several processes may start at once
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {META} (projection TEXT NOT NULL, "
                f"generation INTEGER NOT NULL, state TEXT NOT NULL, "
                f"position {d.types['int']} NOT NULL DEFAULT 0, recorded_at {ts}, "
                f"schema_version INTEGER NOT NULL, failure_position {d.types['int']}, "
                f"failure_event TEXT, failure_error TEXT, failed_at {ts}, created_at {ts}, "
                f"switched_at {ts}, PRIMARY KEY (projection, generation))"
            )
            self._ensure_shares(cur)
            for p in projections:
                self.projections[p.name] = p
                row = cur.execute(
                    d.sql(
                        f"SELECT generation FROM {META} WHERE projection = ? AND state = 'active'"
                    ),
                    (p.name,),
                ).fetchone()
                if row is None:
                    generation = 1
                    cur.execute(
                        d.sql(
                            f"INSERT INTO {META} (projection, generation, state, position, "
                            "schema_version, created_at, switched_at) "
                            "VALUES (?, ?, 'active', 0, ?, ?, ?)"
                        ),
                        (p.name, 1, p.schema_version, *[self._now()] * 2),
                    )
                else:
                    generation = row[0]
                # Tables and columns added to a projection since are created empty (NULL or
                # their default for rows written before): live processing goes on, and status
                # says a rebuild is due (schema_version) to fill them for older events.
                for plan in self.plans(p, generation).values():
                    for stmt in plan.ddl(with_indexes=True):
                        cur.execute(stmt)
                    for stmt in plan.added_columns(self._columns(cur, plan.physical)):
                        cur.execute(stmt)
                    self._point_view(cur, plan, replace=False)

    def _columns(self, cur: Any, table: str) -> set[str]:
        if self.d.name == "sqlite":
            return {r[1] for r in cur.execute(f"PRAGMA table_info({table})").fetchall()}
        cur.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
        return {r[0] for r in cur.fetchall()}

    def _views_lock(self, cur: Any) -> None:
        """PostgreSQL: one transaction at a time that points the SQL views (setup and switch);
        SQLite's writing transactions are one at a time already."""
        if self.d.name == "postgres":
            cur.execute("SELECT pg_advisory_xact_lock(7355608001)")

    def plans(self, projection: Projection, generation: int) -> dict[str, TablePlan]:
        return {
            t.name: TablePlan(t, physical(t.name, generation), self.d) for t in projection.tables
        }

    def _point_view(self, cur: Any, plan: TablePlan, replace: bool) -> None:
        name = plan.table.name
        if replace:
            cur.execute(f"DROP VIEW IF EXISTS {name}")
        elif self.d.name == "postgres":
            cur.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {plan.physical}")
            return
        cur.execute(
            f"CREATE VIEW IF NOT EXISTS {name} AS SELECT * FROM {plan.physical}"
            if self.d.name == "sqlite"
            else f"CREATE VIEW {name} AS SELECT * FROM {plan.physical}"
        )

    # ---------------------------------------------------------------- bookkeeping

    def record(self, name: str) -> ProjectionRecord:
        cur = self.connection().cursor()
        rows = cur.execute(
            self.d.sql(
                f"SELECT {', '.join(_META_COLUMNS)} FROM {META} WHERE projection = ? "
                "AND state IN ('active', 'building')"
            ),
            (name,),
        ).fetchall()
        by_state = {r[1]: r for r in rows}
        if "active" not in by_state:
            raise KeyError(name)
        active, building = by_state["active"], by_state.get("building")
        return ProjectionRecord(
            name=name,
            schema_version=active[4],
            active=self._cursor(active),
            building=self._cursor(building) if building else None,
            failure=self._failure(active),
            building_failure=self._failure(building) if building else None,
        )

    def _cursor(self, r: tuple) -> Cursor:
        return Cursor(r[0], r[2], _as_datetime(r[3]))

    def _failure(self, r: tuple) -> Failure | None:
        if r[5] is None:
            return None
        return Failure(r[5], r[6], r[7], _datetime(r[8]))

    def record_failure(self, name: str, generation: int, failure: Failure | None) -> None:
        values = (
            (failure.position, failure.event, failure.error, self._ts(failure.at))
            if failure
            else (None, None, None, None)
        )
        with self.transaction() as cur:
            cur.execute(
                self.d.sql(
                    f"UPDATE {META} SET failure_position = ?, failure_event = ?, "
                    "failure_error = ?, failed_at = ? WHERE projection = ? AND generation = ?"
                ),
                (*values, name, generation),
            )

    # -------------------------------------------------- other consumers' positions

    def consumer_position(self, name: str) -> PositionRecord:
        self._ensure_positions()
        select = self.d.sql(
            f"SELECT {', '.join(_POSITION_COLUMNS)} FROM {POSITIONS} WHERE consumer = ?"
        )
        row = self.connection().cursor().execute(select, (name,)).fetchone()
        if row is None:
            with self.transaction() as cur:
                start = self._old_relay_position(cur, name)
                cur.execute(
                    self.d.sql(
                        f"INSERT INTO {POSITIONS} (consumer, position, recorded_at, updated_at) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (consumer) DO NOTHING"
                    ),
                    (name, start[0], self._ts(start[1]), self._now()),
                )
            row = self.connection().cursor().execute(select, (name,)).fetchone()
        return PositionRecord(
            name, row[0], _as_datetime(row[1]), row[2], row[3], _as_datetime(row[4])
        )

    def _old_relay_position(self, cur: Any, name: str) -> tuple[int, datetime | None]:
        """Up to this version the relay kept its position as a table-less projection in
        `view_generations`: carry it over once (and drop that row), so an upgrade does not
        republish the whole log."""
        exists = cur.execute(
            self.d.sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
                if self.d.name == "sqlite"
                else "SELECT to_regclass(?) IS NOT NULL"
            ),
            (META,),
        ).fetchone()
        if not exists or not exists[0]:
            return 0, None
        row = cur.execute(
            self.d.sql(
                f"SELECT position, recorded_at FROM {META} WHERE projection = ? "
                "AND state = 'active'"
            ),
            (name,),
        ).fetchone()
        if row is None:
            return 0, None
        cur.execute(self.d.sql(f"DELETE FROM {META} WHERE projection = ?"), (name,))
        return row[0], _as_datetime(row[1])

    def advance_consumer(
        self, name: str, expected_position: int, position: int, recorded_at: datetime | None
    ) -> None:
        with self.transaction() as cur:
            cur.execute(
                self.d.sql(
                    f"UPDATE {POSITIONS} SET position = ?, recorded_at = ?, error = NULL, "
                    "updated_at = ? WHERE consumer = ? AND position = ?"
                ),
                (position, self._ts(recorded_at), self._now(), name, expected_position),
            )
            if cur.rowcount != 1:
                raise PositionMoved(f"{name}: not at {expected_position}")

    def record_consumer_error(self, name: str, error: str | None) -> None:
        with self.transaction() as cur:
            if error is None:
                cur.execute(
                    self.d.sql(f"UPDATE {POSITIONS} SET error = NULL WHERE consumer = ?"), (name,)
                )
            else:
                cur.execute(
                    self.d.sql(
                        f"UPDATE {POSITIONS} SET error = ?, last_error = ?, last_error_at = ? "
                        "WHERE consumer = ?"
                    ),
                    (error, error, self._now(), name),
                )

    def _ensure_positions(self) -> None:
        if self._positions_ready:
            return
        ts, integer = self.d.types["timestamp"], self.d.types["int"]
        with self.transaction() as cur:
            self._views_lock(cur)  # several processes may start at once
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {POSITIONS} (consumer TEXT PRIMARY KEY, "
                f"position {integer} NOT NULL DEFAULT 0, recorded_at {ts}, error TEXT, "
                f"last_error TEXT, last_error_at {ts}, updated_at {ts})"
            )
        self._positions_ready = True

    # --------------------------------------------------------------------- batch

    @contextmanager
    def batch(
        self,
        projection: Projection,
        generation: int,
        expected_position: int,
        share: int | None = None,
    ) -> Iterator[SqlBatch]:
        key = (projection.name, generation)

        def check(cur: Any) -> None:
            # The generation's row is locked (FOR UPDATE) unless shares write it at once: then
            # each share's own row is, and the generation's state is only read.
            row = cur.execute(
                self.d.sql(
                    f"SELECT state, position FROM {META} WHERE projection = ? AND generation = ?"
                    + ("" if share is not None else self.d.for_update)
                ),
                key,
            ).fetchone()
            if share is not None and row is not None:
                at = cur.execute(
                    self.d.sql(
                        f"SELECT position FROM {SHARES} "
                        "WHERE projection = ? AND generation = ? AND share = ?" + self.d.for_update
                    ),
                    (*key, share),
                ).fetchone()
                row = (row[0], at[0] if at is not None else None)
            if row is None or row[0] not in ("active", "building") or row[1] != expected_position:
                raise PositionMoved(f"{projection.name} g{generation}: {row}")

        def advance(cur: Any, batch: SqlBatch) -> None:
            if batch.position is None:
                return
            if share is not None:
                cur.execute(
                    self.d.sql(
                        f"UPDATE {SHARES} SET position = ? "
                        "WHERE projection = ? AND generation = ? AND share = ?"
                    ),
                    (batch.position, *key, share),
                )
                return
            cur.execute(
                self.d.sql(
                    f"UPDATE {META} SET position = ?, recorded_at = ? "
                    "WHERE projection = ? AND generation = ?"
                ),
                (batch.position, self._ts(batch.recorded_at), *key),
            )

        with self._unit(projection, generation, check, advance) as batch:
            yield batch

    @contextmanager
    def _unit(
        self,
        projection: Projection,
        generation: int,
        check: Callable[[Any], None],
        advance: Callable[[Any, SqlBatch], None],
    ) -> Iterator[SqlBatch]:
        """A batch's unit of work, then one transaction: `check` the position (raising
        `PositionMoved`), write the rows, `advance` the position."""
        key = (projection.name, generation)
        cache = self._caches.get(key)
        if cache is None:
            cache = self._caches[key] = RowCache()
        try:
            # The handler runs first, reading outside any write transaction (nobody else writes
            # this generation's rows), and the changes are encoded before the write lock is
            # taken, which is then held only for the SQL. So handlers of other projections
            # (threads, processes) are not serialised behind it.
            batch = SqlBatch(
                self.connection().cursor(), self.plans_cached(projection, generation), cache
            )
            yield batch
            statements = batch.statements()
            with self.transaction() as cur:
                check(cur)
                bulk.run(cur, statements, self.d)
                advance(cur, batch)
        except BaseException:
            cache.clear()
            raise

    # ---------------------------------------------------------- split rebuilds

    def _ensure_shares(self, cur: Any) -> None:
        big = self.d.types["int"]
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {SHARES} (projection TEXT NOT NULL, "
            f"generation INTEGER NOT NULL, share INTEGER NOT NULL, shares INTEGER NOT NULL, "
            f"target {big} NOT NULL, position {big} NOT NULL DEFAULT 0, "
            "PRIMARY KEY (projection, generation, share))"
        )

    def plan_shares(
        self, projection: Projection, generation: int, shares: int, target: int
    ) -> SharePlan:
        key = (projection.name, generation)
        with self.transaction() as cur:
            row = cur.execute(
                self.d.sql(
                    f"SELECT state, position FROM {META} WHERE projection = ? AND generation = ?"
                    + self.d.for_update
                ),
                key,
            ).fetchone()
            plan = self._plan(cur, *key)
            if plan is not None:
                return plan
            if row is None or row[0] != "building" or row[1] != 0:
                raise PositionMoved(f"{projection.name} g{generation}: not an empty shadow")
            cur.executemany(
                self.d.sql(
                    f"INSERT INTO {SHARES} (projection, generation, share, shares, target, "
                    "position) VALUES (?, ?, ?, ?, ?, 0)"
                ),
                [(*key, k, shares, target) for k in range(shares)],
            )
        return SharePlan(shares, target, (0,) * shares)

    def share_plan(self, name: str, generation: int) -> SharePlan | None:
        return self._plan(self.connection().cursor(), name, generation)

    def _plan(self, cur: Any, name: str, generation: int) -> SharePlan | None:
        rows = cur.execute(
            self.d.sql(
                f"SELECT shares, target, position FROM {SHARES} "
                "WHERE projection = ? AND generation = ? ORDER BY share"
            ),
            (name, generation),
        ).fetchall()
        if not rows:
            return None
        return SharePlan(rows[0][0], rows[0][1], tuple(r[2] for r in rows))

    @contextmanager
    def merge_shares(self, projection: Projection, generation: int) -> Iterator[SqlBatch]:
        key = (projection.name, generation)
        self._caches.pop(key, None)  # the shares' rows were written by other processes
        target: list[int] = []

        def check(cur: Any) -> None:
            gen = cur.execute(
                self.d.sql(
                    f"SELECT state, position FROM {META} WHERE projection = ? AND generation = ?"
                    + self.d.for_update
                ),
                key,
            ).fetchone()
            plan = self._plan(cur, *key)
            if gen is None or gen[0] != "building" or gen[1] != 0 or plan is None:
                raise PositionMoved(f"{projection.name} g{generation}: no shares to merge")
            if not plan.folded:
                raise PositionMoved(f"{projection.name} g{generation}: shares at {plan}")
            target.append(plan.target)

        def advance(cur: Any, batch: SqlBatch) -> None:
            cur.execute(
                self.d.sql(
                    f"UPDATE {META} SET position = ?, recorded_at = ? "
                    "WHERE projection = ? AND generation = ?"
                ),
                (target[0], self._ts(batch.recorded_at), *key),
            )
            cur.execute(
                self.d.sql(f"DELETE FROM {SHARES} WHERE projection = ? AND generation = ?"), key
            )

        with self._unit(projection, generation, check, advance) as batch:
            yield batch

    def plans_cached(self, projection: Projection, generation: int) -> dict[str, TablePlan]:
        cache: dict[tuple[str, int], dict[str, TablePlan]] = self._local.__dict__.setdefault(
            "plans", {}
        )
        key = (projection.name, generation)
        plans = cache.get(key)
        if plans is None:
            plans = cache[key] = self.plans(projection, generation)
        return plans

    # ------------------------------------------------------------------- rebuild

    def begin_rebuild(self, projection: Projection) -> Cursor:
        d = self.d
        with self.transaction() as cur:
            row = cur.execute(
                d.sql(
                    f"SELECT generation, state, position, recorded_at FROM {META} "
                    "WHERE projection = ? AND state = 'building'"
                ),
                (projection.name,),
            ).fetchone()
            if row is not None:
                return Cursor(row[0], row[2], _as_datetime(row[3]))
            top = (
                cur.execute(
                    d.sql(f"SELECT MAX(generation) FROM {META} WHERE projection = ?"),
                    (projection.name,),
                ).fetchone()[0]
                or 0
            )
            generation = top + 1
            cur.execute(
                d.sql(
                    f"INSERT INTO {META} (projection, generation, state, position, schema_version, "
                    "created_at) VALUES (?, ?, 'building', 0, ?, ?)"
                ),
                (projection.name, generation, projection.schema_version, self._now()),
            )
            for plan in self.plans(projection, generation).values():
                cur.execute(f"DROP TABLE IF EXISTS {plan.physical}")
                # Secondary indexes come at the switch: bulk loading without them is faster.
                for stmt in plan.ddl(with_indexes=False):
                    cur.execute(stmt)
        return Cursor(generation, 0, None)

    def build_indexes(self, projection: Projection, generation: int) -> None:
        if (projection.name, generation) in self._indexed:
            return
        with self.transaction() as cur:
            for plan in self.plans(projection, generation).values():
                for stmt in plan.index_ddl():
                    cur.execute(stmt)
                # Fresh statistics, so the planner picks e.g. the due-date index for "overdue".
                cur.execute(f"ANALYZE {plan.physical}")
        self._indexed.add((projection.name, generation))

    def switch(self, projection: Projection, generation: int) -> None:
        plans = self.plans(projection, generation)
        self.build_indexes(projection, generation)  # (unless built already)
        with self.transaction() as cur:
            # Serialised with `setup`, which re-points the views at the active generations it
            # reads: a process starting during this switch could otherwise point one back.
            self._views_lock(cur)
            old = cur.execute(
                self.d.sql(
                    f"SELECT generation FROM {META} WHERE projection = ? AND state = 'active'"
                    + self.d.for_update
                ),
                (projection.name,),
            ).fetchone()
            cur.execute(
                self.d.sql(
                    f"UPDATE {META} SET state = 'retired' WHERE projection = ? AND state = 'active'"
                ),
                (projection.name,),
            )
            cur.execute(
                self.d.sql(
                    f"UPDATE {META} SET state = 'active', switched_at = ? "
                    "WHERE projection = ? AND generation = ? AND state = 'building'"
                ),
                (self._now(), projection.name, generation),
            )
            for plan in plans.values():
                self._point_view(cur, plan, replace=True)
        if old is not None and old[0] != generation:
            self._drop_tables(projection, old[0])
        self._caches.pop((projection.name, old[0] if old else 0), None)

    def discard_rebuild(self, name: str) -> None:
        projection = self.projections[name]
        with self.transaction() as cur:
            row = cur.execute(
                self.d.sql(
                    f"SELECT generation FROM {META} WHERE projection = ? AND state = 'building'"
                ),
                (name,),
            ).fetchone()
            if row is None:
                return
            # Kept as 'discarded' so generation numbers (and table names) are never reused.
            cur.execute(
                self.d.sql(
                    f"UPDATE {META} SET state = 'discarded' WHERE projection = ? AND generation = ?"
                ),
                (name, row[0]),
            )
            cur.execute(
                self.d.sql(f"DELETE FROM {SHARES} WHERE projection = ? AND generation = ?"),
                (name, row[0]),
            )
        self._drop_tables(projection, row[0])
        self._caches.pop((name, row[0]), None)

    def _drop_tables(self, projection: Projection, generation: int) -> None:
        with self.transaction() as cur:
            for plan in self.plans(projection, generation).values():
                cur.execute(f"DROP TABLE IF EXISTS {plan.physical}")

    # ------------------------------------------------------------------- helpers

    def _now(self) -> Any:
        return self._ts(datetime.now(UTC))

    def _ts(self, value: datetime | None) -> Any:
        if value is None:
            return None
        encode = self.d.to_db.get("timestamp")
        return encode(value) if encode else value


def _datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)
