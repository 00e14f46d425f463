"""Starting the background runners of `caseflow serve` and `caseflow worker`: the projections
under one follower (one thread, one read of the log per round, see `projections/runner.py`), the
Kafka relay, when configured, under a follower of its own (a slow broker must not hold the views
back)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from caseflow.projections.runner import Runner, start_all

if TYPE_CHECKING:
    from caseflow.infra.bootstrap import Container


def start_background(container: Container, runners: list[Runner]) -> list[Runner]:
    """Start `runners` (from `caseflow.infra.views.background_runners`); the projection runners
    among them run together."""
    views = container.extras.get("views")
    projections = views.runners() if views is not None else []  # type: ignore[attr-defined]
    s = container.settings
    return start_all(runners, projections, gather=s.projection_gather,
                     gather_below=s.projection_gather_below)
