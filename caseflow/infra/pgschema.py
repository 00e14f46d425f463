"""The PostgreSQL event store's recorder: schema created one process at a time, and every insert
extends the hash chain (infra/integrity/chain.py) in its own transaction.

Every process that opens the store runs the library's schema statements (`CREATE TYPE`,
`CREATE TABLE IF NOT EXISTS`, `CREATE OR REPLACE FUNCTION`). Two at once fail in PostgreSQL even
when everything exists already: "tuple concurrently updated" on the function, or a unique
violation on a type created the first time. Workers and the processes of a parallel rebuild
start together, so the statements run under an advisory lock held on a connection of their own.

Inserts take the library's `LOCK TABLE ... IN EXCLUSIVE MODE` first, as the library does, so
writers run one at a time in position order; the chain's head is read under that lock and the
new links are written before the commit. The head query rides in the same pipeline as the
insert: no extra round trip. So does a keyed command's claim on its idempotency key
(services/claims.py): inserted in the same transaction, and when it was taken already the
transaction rolls back and the caller gets `KeyClaimed`.

Stores written while the application was named after the private class `bootstrap._App` keep
their events in `_app_events` (its chain in `_app_events_chain`). On its first start under the
application's own name the store is renamed in place (`rename_legacy`), under the same lock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import sql
from psycopg.rows import tuple_row

from caseflow.infra import claims
from caseflow.infra.integrity import chain
from caseflow.infra.views.backends import advisory_key
from caseflow.services.claims import KWARG, Claim, KeyClaimed

log = logging.getLogger(__name__)
SCHEMA_LOCK = advisory_key("event-store-schema")
# The event table's name while the application class was `bootstrap._App`.
LEGACY_EVENTS_TABLE = "_app_events"
_ALTER = {"r": "TABLE", "p": "TABLE", "i": "INDEX", "S": "SEQUENCE"}


class LegacyStoreConflict(RuntimeError):
    """Both the old and the new event table hold events: which one is the log is not ours to
    guess."""


def rename_legacy(
    conn: Any, schema: str, events_table: str, legacy: str = LEGACY_EVENTS_TABLE
) -> list[str]:
    """Rename a store written under `legacy` (the events table and every table, index and
    sequence named after it: the chain, `..._pkey`, `..._notification_id_seq`/`_idx`) to
    `events_table`, in one transaction. An empty `events_table` beside it (created by a tool
    that used the new name first) is dropped with its chain; one holding events is refused.
    Returns the old names renamed (none: nothing to do)."""
    if legacy == events_table:
        return []
    cur = conn.cursor(row_factory=tuple_row)
    with conn.transaction():
        found = cur.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r','p','i','S') "
            "AND left(c.relname, length(%s)) = %s ORDER BY c.relkind DESC, c.relname",
            (schema, legacy, legacy),
        ).fetchall()
        names = {row[0]: row[1] for row in found}
        if legacy not in names:
            return []
        new = sql.Identifier(schema, events_table)
        exists = cur.execute("SELECT to_regclass(%s)", (f"{schema}.{events_table}",)).fetchone()
        if exists[0] is not None:
            if cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(new)).fetchone()[0]:
                raise LegacyStoreConflict(
                    f"both {schema}.{legacy} (written before the application had its name) and "
                    f"{schema}.{events_table} hold events; keep one (README, Operating it)"
                )
            cur.execute(
                sql.SQL("DROP TABLE IF EXISTS {}, {}").format(
                    sql.Identifier(schema, events_table + chain.TABLE_SUFFIX), new
                )
            )
        # Tables first, then their indexes and sequences: renaming a table leaves their names.
        for old, kind in sorted(names.items(), key=lambda item: item[1] not in "rp"):
            cur.execute(
                sql.SQL("ALTER {} {} RENAME TO {}").format(
                    sql.SQL(_ALTER[kind]),
                    sql.Identifier(schema, old),
                    sql.Identifier(events_table + old[len(legacy) :]),
                )
            )
    return sorted(names)


class SchemaLockedRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.chain_sql = chain.statements(
            f"{self.datastore.schema}.{self.events_table_name}", postgres=True
        )
        self.claims_sql = claims.statements(
            f"{self.datastore.schema}.{self.events_table_name}", postgres=True
        )

    def create_table(self) -> None:
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                renamed = rename_legacy(conn, self.datastore.schema, self.events_table_name)
                if renamed:
                    log.warning(
                        "renamed the event store written as %s to %s: %s",
                        LEGACY_EVENTS_TABLE,
                        self.events_table_name,
                        ", ".join(renamed),
                    )
                super().create_table()
                conn.execute(self.chain_sql["create"])
                conn.execute(self.claims_sql["create"])
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
        from caseflow.infra.integrity.store import seal_if_new

        seal_if_new(self)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert the events and their chain links in one transaction; their positions."""
        if not stored_events:
            return []
        claim: Claim | None = kwargs.get(KWARG)
        exc: Exception | None = None
        ids: Sequence[int] | None = None
        with self.datastore.get_connection() as conn:
            with conn.pipeline() as pipeline, conn.transaction():
                with conn.cursor() as head, conn.cursor() as curs, conn.cursor() as claimed:
                    self._lock_table(head)
                    self._notify_channel(head)
                    head.execute(self.chain_sql["head"], prepare=True)
                    if claim is not None:
                        claimed.execute(
                            self.claims_sql["insert"], (claim.id, claim.originator_id), prepare=True
                        )
                    PostgresAggregateRecorder._insert_stored_events(  # no second lock
                        self, curs, stored_events
                    )
                    try:
                        # Sync now, so that a version conflict raises IntegrityError here.
                        pipeline.sync()
                        ids = self._fetch_ids_after_insert_events(curs, stored_events)
                    except Exception as e:  # re-raised below, as the library does
                        exc = e
                    if exc is None and claim is not None and claimed.fetchone() is None:
                        # Raised inside the transaction, so that it rolls back the events too.
                        raise KeyClaimed(f"idempotency key claim {claim.id} is taken")
                    if exc is None:
                        assert ids is not None  # an application recorder returns positions
                        links = chain.extend(chain.head_of(head.fetchone()), ids, stored_events)
                        curs.execute(
                            self.chain_sql["insert"],
                            [list(col) for col in zip(*links, strict=True)],
                            prepare=True,
                        )
            if exc:
                raise exc
        return ids
