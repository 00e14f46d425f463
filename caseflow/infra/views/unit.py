"""The `Rows` unit of work on SQL: changes are gathered in memory during a batch, then written
with one `executemany` per table and kind of change. A row cache that outlives the batch saves
re-reading rows the consumer itself wrote (valid while nobody else moves its position)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

from caseflow.infra.views import convert
from caseflow.infra.views.dialect import Dialect, literal_default
from caseflow.projections.base import Key, Row, Table

_DELETED = object()
_ABSENT = object()
KEYS_PER_SELECT = 400


class Write(NamedTuple):
    """One kind of change to one table: `sql` run for each of `rows` (each holding `columns`),
    or, for many rows on PostgreSQL, the rows copied in and `from_rows` run once over them
    (`infra/views/bulk.py`; `{rows}` names the copied rows' table; None: copied straight into
    `physical`)."""

    sql: str
    rows: list[tuple]
    physical: str
    columns: tuple[str, ...]
    from_rows: str | None


class TablePlan:
    """SQL and converters for one physical table (a logical table in one generation)."""

    def __init__(self, table: Table, physical: str, dialect: Dialect):
        self.table, self.physical, self.dialect = table, physical, dialect
        self.columns = table.column_names
        self.defaults = {c.name: c.default for c in table.columns}
        self.encoders = dialect.encoders(table)
        key_index = [self.columns.index(k) for k in table.key]
        self.encode_row = convert.row_encoder(self.columns, self.encoders, self.defaults)
        self.decode = convert.row_decoder(self.columns, dialect.decoders(table))
        self.key_of = convert.key_getter(table.key)
        self.encode_key = convert.key_encoder([self.encoders[i] for i in key_index])
        self.changed = convert.changed_columns(self.columns, table.key)
        self.column_encoder = dict(zip(self.columns, self.encoders, strict=True))
        self._updates: dict[tuple[str, ...], str] = {}
        self._value_encoders: dict[tuple[str, ...], Any] = {}
        self.width = len(self.columns)
        cols, keys = ", ".join(self.columns), ", ".join(table.key)
        marks = ", ".join("?" * len(self.columns))
        rest = [c for c in self.columns if c not in table.key]
        sets = ", ".join(f"{c} = excluded.{c}" for c in rest)
        action = f"DO UPDATE SET {sets}" if rest else "DO NOTHING"
        self.upsert = dialect.sql(
            f"INSERT INTO {physical} ({cols}) VALUES ({marks}) ON CONFLICT ({keys}) {action}"
        )
        self.insert = dialect.sql(f"INSERT INTO {physical} ({cols}) VALUES ({marks})")
        self.upsert_rows = (
            f"INSERT INTO {physical} ({cols}) SELECT {cols} FROM {{rows}} "
            f"ON CONFLICT ({keys}) {action}"
        )
        self._on_key = " AND ".join(f"{physical}.{k} = r.{k}" for k in table.key)
        self.delete_rows = f"DELETE FROM {physical} USING {{rows}} r WHERE {self._on_key}"
        where = " AND ".join(f"{k} = ?" for k in table.key)
        self.delete = dialect.sql(f"DELETE FROM {physical} WHERE {where}")
        self._select = f"SELECT {cols} FROM {physical} WHERE "
        self.select_all = f"SELECT {cols} FROM {physical}"
        self._key_expr = table.key[0] if len(table.key) == 1 else f"({keys})"
        self._key_marks = (
            "?" if len(table.key) == 1 else "(" + ", ".join("?" * len(table.key)) + ")"
        )

    def _column_ddl(self, c: Any) -> str:
        d = self.dialect
        default = "" if c.default is None else f" DEFAULT {literal_default(c.default, d)}"
        return f"{c.name} {d.types[c.type]}{default}"

    def added_columns(self, existing: set[str]) -> list[str]:
        """ALTER TABLE statements for the columns the table gained since it was created."""
        return [
            f"ALTER TABLE {self.physical} ADD COLUMN {self._column_ddl(c)}"
            for c in self.table.columns
            if c.name not in existing
        ]

    def ddl(self, with_indexes: bool) -> list[str]:
        cols = [self._column_ddl(c) for c in self.table.columns]
        stmts = [
            f"CREATE TABLE IF NOT EXISTS {self.physical} ({', '.join(cols)}, "
            f"PRIMARY KEY ({', '.join(self.table.key)}))"
        ]
        if with_indexes:
            stmts += self.index_ddl()
        return stmts

    def index_ddl(self) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {self.physical}_{'_'.join(cols)} "
            f"ON {self.physical} ({', '.join(cols)})"
            for cols in self.table.indexes
        ]

    def update(self, columns: tuple[str, ...]) -> str:
        """UPDATE of just these columns, by key (cached per column set)."""
        sql = self._updates.get(columns)
        if sql is None:
            sets = ", ".join(f"{c} = ?" for c in columns)
            where = " AND ".join(f"{k} = ?" for k in self.table.key)
            sql = self._updates[columns] = self.dialect.sql(
                f"UPDATE {self.physical} SET {sets} WHERE {where}"
            )
        return sql

    def updates(self, columns: tuple[str, ...], rows: list[tuple]) -> Write:
        sets = ", ".join(f"{c} = r.{c}" for c in columns)
        return Write(
            self.update(columns),
            rows,
            self.physical,
            columns + self.table.key,
            f"UPDATE {self.physical} SET {sets} FROM {{rows}} r WHERE {self._on_key}",
        )

    def encode_values(self, row: Row, columns: tuple[str, ...]) -> tuple:
        """The values of these columns, then the key, as UPDATE parameters."""
        encode = self._value_encoders.get(columns)
        if encode is None:
            names = columns + self.table.key
            encode = self._value_encoders[columns] = convert.values_encoder(
                names, [self.column_encoder[c] for c in names]
            )
        return encode(row)

    def select_keys(self, n: int) -> str:
        if len(self.table.key) == 1:
            cond = f"{self._key_expr} IN ({', '.join('?' * n)})"
        else:
            cond = f"{self._key_expr} IN (VALUES {', '.join([self._key_marks] * n)})"
        return self.dialect.sql(self._select + cond)

    def full(self, key: Key) -> Row:
        row = dict(self.defaults)
        row.update(zip(self.table.key, key, strict=True))
        return row


class RowCache:
    """Committed rows of one consumer's tables, bounded; cleared whenever a batch rolls back.

    The bound (rows per table) keeps a 1,000,000-event rebuild of every view under 500 MB:
    measured there, 10,000 rows cost no more CPU than 50,000; the memory is better spent on the
    rebuild's windows of changed rows (`projections.rebuild`, `max_rows`)."""

    def __init__(self, max_rows: int = 10_000):
        self.max_rows = max_rows
        self.tables: dict[str, dict[Key, Row | None]] = {}

    def of(self, table: str) -> dict[Key, Row | None]:
        rows = self.tables.get(table)
        if rows is None:
            rows = self.tables[table] = {}
        return rows

    def trim(self) -> None:
        for rows in self.tables.values():
            if len(rows) > self.max_rows:
                for key in list(rows)[: len(rows) - self.max_rows // 2]:
                    del rows[key]

    def clear(self) -> None:
        self.tables.clear()


class SqlBatch:
    """`Rows` + `advance` for one transaction over one generation's tables."""

    def __init__(self, conn: Any, plans: dict[str, TablePlan], cache: RowCache):
        self.conn, self.plans, self.cache = conn, plans, cache
        self.pending: dict[str, dict[Key, Any]] = {}
        self.deltas: dict[str, dict[Key, dict[str, Any]]] = {}
        self.inserts: dict[str, list[tuple]] = {}  # encoded rows
        self.position: int | None = None
        self.recorded_at: datetime | None = None

    # ---------------------------------------------------------------------- Rows

    def preload(self, table: str, keys: Iterable[Key]) -> None:
        plan, cached = self.plans[table], self.cache.of(table)
        pending = self.pending.get(table, {})
        missing = list({k for k in keys if k not in cached and k not in pending})
        for i in range(0, len(missing), KEYS_PER_SELECT):
            chunk = missing[i : i + KEYS_PER_SELECT]
            params: list[Any] = []
            for k in chunk:
                params.extend(plan.encode_key(k))
            for record in self.conn.execute(plan.select_keys(len(chunk)), params).fetchall():
                row = plan.decode(record)
                cached[plan.key_of(row)] = row
            for k in chunk:
                cached.setdefault(k, None)

    def get(self, table: str, key: Key) -> Row | None:
        pending = self.pending.get(table)
        if pending is not None:
            row = pending.get(key, _ABSENT)
            if row is not _ABSENT:
                # This batch's own row, not shared with the committed cache: no copy needed
                # (a handler that changes it puts it back, as `Rows.get` asks).
                return None if row is _DELETED else row
        cached = self.cache.of(table)
        if key not in cached:
            self.preload(table, (key,))
        row = cached[key]
        deltas = self.deltas.get(table, {}).get(key)
        if deltas:
            row = dict(row) if row is not None else self.plans[table].full(key)
            for column, delta in deltas.items():
                row[column] = (row[column] or 0) + delta
            return row
        return None if row is None else dict(row)

    def put(self, table: str, row: Row) -> None:
        plan = self.plans[table]
        if len(row) != plan.width:  # pending rows are always whole (flush compares them)
            row = {**plan.defaults, **row}
        key = plan.key_of(row)
        self.pending.setdefault(table, {})[key] = row
        if table in self.deltas:
            self.deltas[table].pop(key, None)

    def add(self, table: str, key: Key, **deltas: int | float) -> None:
        pending = self.pending.get(table)
        if pending is not None and key in pending:
            row = pending[key]
            if row is _DELETED:
                row = pending[key] = self.plans[table].full(key)
            for column, delta in deltas.items():
                row[column] = (row[column] or 0) + delta
            return
        acc = self.deltas.setdefault(table, {}).setdefault(key, {})
        for column, delta in deltas.items():
            acc[column] = acc.get(column, 0) + delta

    def insert(self, table: str, row: Row) -> None:
        # Encoded at once: a window of appended rows (the audit trail's) then holds their
        # parameters, not the events' decoded payloads.
        inserts = self.inserts.get(table)
        if inserts is None:
            inserts = self.inserts[table] = []
        inserts.append(self.plans[table].encode_row(row))

    def delete(self, table: str, key: Key) -> None:
        self.pending.setdefault(table, {})[key] = _DELETED
        if table in self.deltas:
            self.deltas[table].pop(key, None)

    def scan(self, table: str) -> Iterator[Row]:
        plan = self.plans[table]
        for record in self.conn.execute(plan.select_all).fetchall():
            yield plan.decode(record)

    def advance(self, position: int, recorded_at: datetime | None) -> None:
        self.position, self.recorded_at = position, recorded_at

    def held(self) -> int:
        return (
            sum(map(len, self.pending.values()))
            + sum(map(len, self.deltas.values()))
            + sum(map(len, self.inserts.values()))
        )

    # ----------------------------------------------------------------- statements

    def statements(self) -> list[Write]:
        """Everything gathered, encoded as `Write`s in the order to run them, and the cache
        updated as if they were committed (the store clears it if the commit fails). Called
        before the write lock is taken, so only the SQL itself runs under it."""
        out: list[Write] = []
        for table, changes in self.pending.items():
            plan, cached = self.plans[table], self.cache.of(table)
            gone = [plan.encode_key(k) for k, r in changes.items() if r is _DELETED]
            if gone:
                out.append(
                    Write(plan.delete, gone, plan.physical, plan.table.key, plan.delete_rows)
                )
            # A row whose committed version is known is updated in the columns that changed
            # (most events touch a handful); others are upserted whole.
            whole: list[tuple[Any, ...]] = []
            updates: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
            for key, row in changes.items():
                if row is _DELETED:
                    continue
                base = cached.get(key)
                if base is None:
                    whole.append(plan.encode_row(row))
                    continue
                columns = plan.changed(row, base)
                if columns:
                    updates.setdefault(columns, []).append(plan.encode_values(row, columns))
            if whole:
                out.append(Write(plan.upsert, whole, plan.physical, plan.columns, plan.upsert_rows))
            for columns, params in updates.items():
                out.append(plan.updates(columns, params))
            for key, row in changes.items():
                cached.pop(key, None)
                cached[key] = None if row is _DELETED else row
        # Counters in one order of tables and keys: the shares of a rebuild split by case add to
        # the same counter rows at once, and rows locked in one order cannot deadlock.
        for table in sorted(self.deltas):
            out += self._delta_statements(self.plans[table], self.deltas[table])
        for table, rows in self.inserts.items():
            plan = self.plans[table]
            out.append(Write(plan.insert, rows, plan.physical, plan.columns, None))
        self.cache.trim()
        return out

    def _delta_statements(self, plan: TablePlan, by_key: dict[Key, dict[str, Any]]) -> list[Write]:
        groups: dict[tuple[str, ...], list[tuple]] = {}
        cached = self.cache.of(plan.table.name)
        for key, deltas in by_key.items():
            columns = tuple(sorted(deltas))
            groups.setdefault(columns, []).append(
                plan.encode_key(key) + tuple(deltas[c] for c in columns)
            )
            row = cached.get(key)
            if row is not None:
                for c in columns:
                    row[c] = (row[c] or 0) + deltas[c]
            else:
                cached.pop(key, None)  # absent before: its new defaults are not known here
        keys = plan.table.key
        out = []
        for columns in sorted(groups):
            params = sorted(groups[columns], key=lambda p: str(p[: len(keys)]))  # (any one order)
            names = keys + columns
            sets = ", ".join(
                f"{c} = COALESCE({plan.physical}.{c}, 0) + excluded.{c}" for c in columns
            )
            head = f"INSERT INTO {plan.physical} ({', '.join(names)}) "
            conflict = f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
            out.append(
                Write(
                    plan.dialect.sql(head + f"VALUES ({', '.join('?' * len(names))})" + conflict),
                    params,
                    plan.physical,
                    names,
                    head + f"SELECT {', '.join(names)} FROM {{rows}}" + conflict,
                )
            )
        return out
