"""SQL view stores (SQLite, PostgreSQL), their query functions and the `Views` facade.

`build_views(...)` is called by `infra/bootstrap.py` (and nothing here imports it back); the
threads `caseflow serve` and `caseflow worker` run come from `infra/background.py`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from caseflow.infra.eventlog import EventLog
from caseflow.infra.settings import Settings
from caseflow.infra.views.facade import Views
from caseflow.infra.views.parallel import Reopen
from caseflow.projections.queries import AuditQuery, CaseQuery, Page
from caseflow.services.app import CaseflowApp

__all__ = ["AuditQuery", "CaseQuery", "Page", "Views", "build_views"]


def build_views(
    settings: Settings,
    app: CaseflowApp,
    log_source: EventLog,
    clock: Callable[[], datetime],
    reopen: Reopen | None = None,
) -> Views:
    """The view store for `settings` (SQLite file beside the events, or the PostgreSQL database),
    the registered projections, and the query functions. `reopen` builds the whole graph again
    in a rebuild's child process (`bootstrap.bootstrap`; a module-level function, so picklable)."""
    from caseflow.infra.views.backends import NotifyWaiter, postgres_store, sqlite_store
    from caseflow.infra.views.queries import ViewQueries
    from caseflow.projections import registry

    policy = settings.policy()
    on_close: Callable[[], None] | None = None
    waiter: Any  # wakes the runners: LISTEN on PostgreSQL, the event log's own on SQLite
    if settings.database_url:
        store = postgres_store(settings.database_url)
        recorder: Any = app.recorder  # a PostgresApplicationRecorder here
        channel = recorder.events_table_name.replace(".", "_")
        waiter = NotifyWaiter(settings.database_url, channel, log_source)
        pool = _pool(settings.database_url)
        reading = pool.connection

        def close_both() -> None:
            waiter.stop()
            pool.close()

        on_close = close_both

    else:
        store = sqlite_store(settings.data_dir)
        waiter = log_source.wait

        @contextmanager
        def reading() -> Iterator[Any]:  # one connection per thread, reused
            yield store.connection()

    return Views(
        store,
        ViewQueries(store.d, reading, policy),
        log_source,
        registry.build(policy),
        policy=policy,
        clock=clock,
        waiter=waiter,
        case_events=_case_events(app, log_source),
        batch_size=settings.projection_batch_size,
        on_close=on_close,
        settings=settings,
        reopen=reopen,
    )


def _pool(url: str) -> Any:
    from psycopg_pool import ConnectionPool

    def configure(conn: Any) -> None:
        conn.execute("SET TIME ZONE 'UTC'")

    return ConnectionPool(
        url,
        min_size=1,
        max_size=8,
        kwargs={"autocommit": True},
        configure=configure,
        open=True,
        name="caseflow-views",
    )


def _case_events(app: Any, log_source: Any) -> Any:
    """One aggregate's events as `LoggedEvent`s, decoded like the log reader does."""
    from caseflow.domain.catalog import names_by_topic, upcast, versioned_by_topic
    from caseflow.projections.source import LoggedEvent

    def read(aggregate_id: Any) -> list[LoggedEvent]:
        names, versioned = names_by_topic(), versioned_by_topic()
        decode = app.mapper.transcoder.decode
        out = []
        for stored in app.recorder.select_events(aggregate_id):
            data = decode(stored.state)
            if stored.topic in versioned:
                upcast(versioned[stored.topic], data)
            recorded_at, meta = data.pop("timestamp"), data.pop("meta")
            data.pop("originator_topic", None)
            out.append(
                LoggedEvent(
                    0,
                    None,
                    stored.originator_id,
                    stored.originator_version,
                    names.get(stored.topic, stored.topic),
                    recorded_at,
                    meta,
                    data,
                )
            )
        return out

    return read
