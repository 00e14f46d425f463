"""The one place that builds the object graph, for the API, the CLI, the worker and the tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from caseflow.infra.eventlog import EventLog
from caseflow.infra.privacy.wiring import install_sealing
from caseflow.infra.settings import Settings
from caseflow.infra.store import event_store_env, position_lookup
from caseflow.infra.views import build_views
from caseflow.services.app import CaseflowApp, utc_now


@dataclass
class Container:
    settings: Settings
    app: CaseflowApp
    log: EventLog
    extras: dict[str, object] = field(default_factory=dict)

    def close(self) -> None:
        views = self.extras.get("views")
        if views is not None:
            views.close()  # type: ignore[attr-defined]
        self.app.close()


class _App(CaseflowApp):
    log: EventLog | None = None

    def close(self) -> None:
        close_readers = getattr(self.recorder, "close_readers", None)  # SQLite: groupcommit.py
        if close_readers is not None:
            close_readers()
        super().close()

    def _notify(self, recordings):  # noqa: ANN001 - library hook
        if self.log is not None:
            self.log.notify()


def postgres_events_table() -> str:
    """The event table's name on PostgreSQL (the library names it after the application)."""
    return f"{_App.name.lower()}_events"


def bootstrap(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> Container:
    """Build the application and its adapters from settings (read from the environment if None)."""
    settings = settings or Settings()
    app = _App(event_store_env(settings), policy=settings.policy(), clock=clock)
    app.position_of = position_lookup(app.recorder)
    sealer = install_sealing(app, settings, clock)  # personal fields sealed at rest
    log = EventLog(app.recorder, app.mapper.transcoder, poll_interval=settings.poll_interval)
    app.log = log
    container = Container(settings=settings, app=app, log=log)
    container.extras["sealer"] = sealer
    container.extras["views"] = build_views(settings, app, log, clock)
    return container
