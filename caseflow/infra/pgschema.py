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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from eventsourcing.utils import retry

from caseflow.infra import claims
from caseflow.infra.integrity import chain
from caseflow.infra.views.backends import advisory_key
from caseflow.services.claims import KWARG, Claim, KeyClaimed

SCHEMA_LOCK = advisory_key("event-store-schema")


class SchemaLockedRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.chain_sql = chain.statements(f"{self.datastore.schema}.{self.events_table_name}",
                                          postgres=True)
        self.claims_sql = claims.statements(f"{self.datastore.schema}.{self.events_table_name}",
                                            postgres=True)

    def create_table(self) -> None:
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                super().create_table()
                conn.execute(self.chain_sql["create"])
                conn.execute(self.claims_sql["create"])
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
        from caseflow.infra.integrity.store import seal_if_new

        seal_if_new(self)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
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
                        claimed.execute(self.claims_sql["insert"],
                                        (claim.id, claim.originator_id), prepare=True)
                    PostgresAggregateRecorder._insert_stored_events(  # no second lock
                        self, curs, stored_events)
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
                        curs.execute(self.chain_sql["insert"],
                                     [list(col) for col in zip(*links, strict=True)],
                                     prepare=True)
            if exc:
                raise exc
        return ids
