"""Read helpers shared by the statistics queries (`leader_stats_sql`, `kpis_sql`): run SQL
written with `?` on a connection of the API's one read path (`ViewQueries.reading`: this
thread's view-store connection on SQLite, the read pool on PostgreSQL), encode and decode UUIDs
and dates the way the dialect stores them, and the recursive org-subtree expression both views
use. Their lists answer with the API's one `Page` (`projections.queries.Page`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from typing import Any
from uuid import UUID

from caseflow.infra.views.dialect import Dialect
from caseflow.projections.queries import Page

__all__ = ["Page", "Reader", "marks", "subtree_cte"]


class Reader:
    """Read-only access to the view tables (through their SQL views): `reading()` yields a
    connection, as `ViewQueries.reading` does (pass `views.queries.d, views.queries.reading`)."""

    def __init__(self, dialect: Dialect, reading: Callable[[], AbstractContextManager[Any]]):
        self.d, self.reading = dialect, reading

    @classmethod
    def of_store(cls, store: Any) -> Reader:
        """A reader on this thread's connection of a `SqlViewStore` (tests, tools)."""

        @contextmanager
        def reading() -> Iterator[Any]:
            yield store.connection()

        return cls(store.d, reading)

    def fetch(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple]:
        """Rows of a SELECT written with `?` placeholders (parameters encoded for the dialect)."""
        with self.reading() as conn:
            cur = conn.cursor()
            try:
                cur.execute(self.d.sql(sql), [self.encode(p) for p in params])
                return list(cur.fetchall())
            finally:
                cur.close()

    def encode(self, value: Any) -> Any:
        if isinstance(value, UUID):
            return str(value) if self.d.name == "sqlite" else value
        if isinstance(value, date):
            return value.isoformat() if self.d.name == "sqlite" else value
        return value

    @staticmethod
    def uuid(value: Any) -> UUID | None:
        return value if value is None or isinstance(value, UUID) else UUID(str(value))

    @staticmethod
    def date(value: Any) -> date | None:
        return value if value is None or isinstance(value, date) else date.fromisoformat(value)


def subtree_cte(orgs_table: str) -> str:
    """`WITH RECURSIVE subtree(org_id)`: the org given as the one parameter and all below it."""
    return (
        f"WITH RECURSIVE subtree(org_id) AS (SELECT org_id FROM {orgs_table} WHERE org_id = ? "
        f"UNION ALL SELECT o.org_id FROM {orgs_table} o "
        f"JOIN subtree s ON o.parent_id = s.org_id) "
    )


def marks(n: int) -> str:
    """`?, ?, ?` for an IN list of n values."""
    return ", ".join("?" * n)
