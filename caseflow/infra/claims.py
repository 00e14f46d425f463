"""The idempotency-key claims table beside the events table (services/claims.py says why).

Each recorder inserts a save's claim inside the transaction that inserts its events (SQLite:
infra/groupcommit.py, PostgreSQL: infra/pgschema.py); a taken claim rolls both back.
"""

from __future__ import annotations

TABLE_SUFFIX = "_key_claims"


def statements(events_table: str, *, postgres: bool) -> dict[str, str]:
    """The claims table's SQL beside `events_table`: create, insert (nothing when taken)."""
    table = events_table + TABLE_SUFFIX
    if postgres:
        return {
            "create": f"CREATE TABLE IF NOT EXISTS {table} (claim_id uuid PRIMARY KEY, "
            "originator_id uuid NOT NULL)",
            "insert": f"INSERT INTO {table} (claim_id, originator_id) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING RETURNING claim_id",
        }
    return {
        "create": f"CREATE TABLE IF NOT EXISTS {table} (claim_id TEXT PRIMARY KEY, "
        "originator_id TEXT NOT NULL) WITHOUT ROWID",
        "insert": f"INSERT INTO {table} (claim_id, originator_id) VALUES (?, ?)",
    }
