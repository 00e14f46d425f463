"""The one place that builds the object graph, for the API, the CLI, the worker and the tests.

Only entry points import this module; it imports the adapters, never the other way round."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from caseflow.infra.eventlog import EventLog
from caseflow.infra.privacy.sealing import Sealer
from caseflow.infra.privacy.wiring import install_sealing
from caseflow.infra.relay import relay_runner
from caseflow.infra.settings import Settings
from caseflow.infra.store import event_store_env, position_lookup
from caseflow.infra.views import Views, build_views
from caseflow.projections.runner import Runner
from caseflow.services.app import CaseflowApp, utc_now


@dataclass
class Container:
    """Typed handles on what `bootstrap` built: the settings, the application (command side),
    the event log (read side), the views, the sealer of personal fields (per-case data keys),
    and the Kafka relay (built on first use)."""

    settings: Settings
    app: CaseflowApp
    log: EventLog
    views: Views
    sealer: Sealer
    _relay: Runner | None = field(default=None, repr=False)

    @property
    def relay(self) -> Runner:
        """The Kafka relay's runner, not started (`KafkaNotConfigured` without
        `CASEFLOW_KAFKA_BOOTSTRAP`); the same one on every call."""
        if self._relay is None:
            self._relay = relay_runner(self)
        return self._relay

    def close(self) -> None:
        if self._relay is not None:
            self._relay.stop()
        self.views.close()
        self.app.close()


def bootstrap(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> Container:
    """Build the application and its adapters from settings (read from the environment if None)."""
    settings = settings or Settings()
    app = CaseflowApp(event_store_env(settings), policy=settings.policy(), clock=clock)
    app.position_of = position_lookup(app.recorder)
    sealer = install_sealing(app, settings, clock)  # personal fields sealed at rest
    log = EventLog(app.recorder, app.mapper.transcoder, poll_interval=settings.poll_interval)
    app.on_recorded = log.notify
    # `bootstrap` itself goes along so that a rebuild's child processes build their own.
    views = build_views(settings, app, log, clock, reopen=bootstrap)
    return Container(settings=settings, app=app, log=log, views=views, sealer=sealer)
