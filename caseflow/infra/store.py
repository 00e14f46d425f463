"""Event store configuration: settings → eventsourcing environment, and the one SQL query we
need beside the library's own (the global position of a given aggregate version)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from caseflow.infra.settings import Settings
from caseflow.infra.transcoder import TOPIC as TRANSCODER_TOPIC
from caseflow.services.app import CaseflowApp


def postgres_env(url: str) -> dict[str, str]:
    """`postgresql://user:pass@host:port/db` → eventsourcing's POSTGRES_* variables."""
    u = urlparse(url)
    if u.scheme not in ("postgres", "postgresql", "postgresql+psycopg") or not u.path.strip("/"):
        msg = (
            f"CASEFLOW_DATABASE_URL must look like postgresql://user:pass@host:port/db, not {url!r}"
        )
        raise ValueError(msg)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": u.path.lstrip("/"),
        "POSTGRES_HOST": u.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(u.port or 5432),
        "POSTGRES_USER": unquote(u.username or ""),
        "POSTGRES_PASSWORD": unquote(u.password or ""),
        "POSTGRES_POOL_SIZE": "10",
        "POSTGRES_MAX_OVERFLOW": "20",
        # Processes that start together create the schema one at a time: see infra/pgschema.py.
        "APPLICATION_RECORDER_TOPIC": "caseflow.infra.pgschema:SchemaLockedRecorder",
    }


def postgres_events_table() -> str:
    """The event table's name on PostgreSQL: the library names it after the application
    (`CaseflowApp.name`); its NOTIFY channel has the same name. SQLite's is `stored_events`."""
    return f"{CaseflowApp.name.lower()}_events"


def event_store_env(settings: Settings) -> dict[str, str]:
    if settings.database_url:
        env = postgres_env(settings.database_url)
    else:
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(Path(settings.data_dir) / "events.sqlite3"),
            "SQLITE_LOCK_TIMEOUT": "30",
            # Concurrent commands share one commit (one fsync): see infra/groupcommit.py.
            "APPLICATION_RECORDER_TOPIC": "caseflow.infra.groupcommit:GroupCommitRecorder",
        }
    env["TRANSCODER_TOPIC"] = TRANSCODER_TOPIC
    env["AGGREGATE_CACHE_MAXSIZE"] = "10000"
    return env


def position_lookup(recorder: ApplicationRecorder):
    """A function (aggregate id, version) → global position, for idempotent replays."""
    table = recorder.events_table_name  # type: ignore[attr-defined]
    datastore = recorder.datastore  # type: ignore[attr-defined]
    if isinstance(recorder, SQLiteApplicationRecorder):
        sql = f"SELECT rowid FROM {table} WHERE originator_id=? AND originator_version=?"

        def position_of(aggregate_id: UUID, version: int) -> int:
            with datastore.transaction(commit=False) as c:
                c.execute(sql, (aggregate_id.hex, version))
                return c.fetchone()[0]
    else:
        sql = (
            f"SELECT notification_id FROM {table} WHERE originator_id=%s AND originator_version=%s"
        )

        def position_of(aggregate_id: UUID, version: int) -> int:
            with datastore.transaction(commit=False) as c:
                c.execute(sql, (aggregate_id, version))
                return c.fetchone()["notification_id"]

    return position_of
