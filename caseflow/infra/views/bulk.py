"""How a unit of work's writes run: each kind of change to a table is one statement run for
every row (`executemany`), except on PostgreSQL when a write has many rows: then the rows are
copied in (`COPY … FROM STDIN`) and one statement applies them all — straight into the table for
appended rows, through a temporary table for upserts, updates, counter additions and deletions.

A rebuild's windows write tens of thousands of rows per table at once, and row by row the
server parses, plans and executes a statement per row while the client drives the protocol for
each: figures beside `BULK_ROWS`. Live batches are small and keep the plain path.
"""

from __future__ import annotations

from typing import Any

from caseflow.infra.views.dialect import Dialect
from caseflow.infra.views.unit import Write

# Rows from which a write goes through COPY on PostgreSQL (the `bulk_copy` shortcut). Worth
# 1.17x on the CPU per event of a rebuild of every view on PostgreSQL in one process, 1.22x on
# the machine's (the server's included), 1.11x on events/s (`BENCH_BULK=1 python -m bench
# rebuild`, 200,000 events, on and off alternating, medians of 2 in one run).
BULK_ROWS = 200


def run(cur: Any, writes: list[Write], dialect: Dialect) -> None:
    """Run `writes` in order on `cur`, inside the caller's transaction."""
    for i, w in enumerate(writes):
        if dialect.name != "postgres" or len(w.rows) < BULK_ROWS:
            cur.executemany(w.sql, w.rows)
            continue
        columns = ", ".join(w.columns)
        if w.from_rows is None:
            _copy(cur, f"COPY {w.physical} ({columns}) FROM STDIN", w.rows)
            continue
        rows = f"caseflow_rows_{i}"  # (dropped at commit; names unique within the transaction)
        cur.execute(
            f"CREATE TEMPORARY TABLE {rows} ON COMMIT DROP AS "
            f"SELECT {columns} FROM {w.physical} WITH NO DATA"
        )
        _copy(cur, f"COPY {rows} ({columns}) FROM STDIN", w.rows)
        cur.execute(w.from_rows.replace("{rows}", rows))


def _copy(cur: Any, statement: str, rows: list[tuple]) -> None:
    with cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
