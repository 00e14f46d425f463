"""SQL view stores (SQLite, PostgreSQL), their query functions and the `Views` facade.

`build_views(...)` is called by `infra/bootstrap.py`; `background_runners(container)` gives the
threads `caseflow serve` and `caseflow worker` run (projections, and the Kafka relay when
configured)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from caseflow.infra.views.facade import Views
from caseflow.projections.queries import AuditQuery, CaseQuery, Page

if TYPE_CHECKING:
    from caseflow.infra.bootstrap import Container
    from caseflow.projections.runner import Runner

__all__ = ["AuditQuery", "CaseQuery", "Page", "Views", "background_runners", "build_views"]
log = logging.getLogger(__name__)


def build_views(settings: Any, app: Any, log_source: Any, clock: Any) -> Views:
    """The view store for `settings` (SQLite file beside the events, or the PostgreSQL database),
    the registered projections, and the query functions."""
    from caseflow.infra.views.backends import NotifyWaiter, postgres_store, sqlite_store
    from caseflow.infra.views.queries import ViewQueries
    from caseflow.projections import registry

    policy = settings.policy()
    on_close: Callable[[], None] | None = None
    if settings.database_url:
        store = postgres_store(settings.database_url)
        channel = app.recorder.events_table_name.replace(".", "_")
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
        def reading():  # noqa: ANN202 - one connection per thread, reused
            yield store.connection()

    return Views(store, ViewQueries(store.d, reading, policy), log_source,
                 registry.build(policy), policy=policy, clock=clock, waiter=waiter,
                 case_events=_case_events(app, log_source),
                 batch_size=settings.projection_batch_size, on_close=on_close,
                 settings=settings)


def _pool(url: str) -> Any:
    from psycopg_pool import ConnectionPool

    def configure(conn: Any) -> None:
        conn.execute("SET TIME ZONE 'UTC'")

    return ConnectionPool(url, min_size=1, max_size=8, kwargs={"autocommit": True},
                          configure=configure, open=True, name="caseflow-views")


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
            out.append(LoggedEvent(0, None,
                                   stored.originator_id, stored.originator_version,
                                   names.get(stored.topic, stored.topic), recorded_at, meta, data))
        return out

    return read


def background_runners(container: Container) -> list[Runner]:
    """Runners for `serve` / `worker`: every projection, plus the Kafka relay when
    `CASEFLOW_KAFKA_BOOTSTRAP` is set (built by `caseflow.infra.relay.relay_runner`)."""
    views: Views = container.extras["views"]  # type: ignore[assignment]
    runners = views.runners()
    if container.settings.kafka_bootstrap:
        try:
            from caseflow.infra.relay import relay_runner
        except ImportError as exc:
            log.error("Kafka is configured but the relay is not available: %s", exc)
        else:
            runners.append(relay_runner(container))
    return runners
