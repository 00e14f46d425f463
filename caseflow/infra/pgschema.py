"""The PostgreSQL event store's recorder, creating its schema one process at a time.

Every process that opens the store runs the library's schema statements (`CREATE TYPE`,
`CREATE TABLE IF NOT EXISTS`, `CREATE OR REPLACE FUNCTION`). Two at once fail in PostgreSQL even
when everything exists already: "tuple concurrently updated" on the function, or a unique
violation on a type created the first time. Workers and the processes of a parallel rebuild
start together, so the statements run under an advisory lock held on a connection of their own.
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder

from caseflow.infra.views.backends import advisory_key

SCHEMA_LOCK = advisory_key("event-store-schema")


class SchemaLockedRecorder(PostgresApplicationRecorder):
    def create_table(self) -> None:
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                super().create_table()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
