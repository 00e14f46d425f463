"""Starting the background runners of `caseflow serve` and `caseflow worker`: the projections
under one follower (one thread, one read of the log per round, see `projections/runner.py`), the
Kafka relay, when configured, under a follower of its own (a slow broker must not hold the views
back)."""

from __future__ import annotations

from caseflow.infra.bootstrap import Container
from caseflow.projections.runner import Runner, start_all


def background_runners(container: Container) -> list[Runner]:
    """Runners for `serve` / `worker`: every projection, plus the Kafka relay
    (`container.relay`) when `CASEFLOW_KAFKA_BOOTSTRAP` is set."""
    runners = container.views.runners()
    if container.settings.kafka_bootstrap:
        runners.append(container.relay)
    return runners


def start_background(container: Container, runners: list[Runner]) -> list[Runner]:
    """Start `runners` (from `background_runners`); the projection runners among them run
    together."""
    s = container.settings
    return start_all(
        runners,
        container.views.runners(),
        gather=s.projection_gather,
        gather_below=s.projection_gather_below,
    )
