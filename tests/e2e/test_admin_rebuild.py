"""Rebuild requests over HTTP on each backend: of two asked at once, one is accepted (202) and
runs to a new generation, the other is refused (409); the accepted one can be followed."""

from __future__ import annotations

import threading
import time
from typing import Any

from caseflow.domain.values import OrgLevel
from caseflow.infra.http import routes_ops
from caseflow.services.app import Actor, Context
from tests.together import at_once


def test_two_rebuild_requests_at_once_one_202_that_runs_one_409(live_api, monkeypatch):
    # The accepted rebuild holds until both requests are answered: a small view can otherwise
    # be rebuilt and its lock let go before the second request asks, and both are rightly 202.
    answered = threading.Event()
    rebuild = routes_ops._rebuild

    def held(*args: Any) -> None:
        answered.wait(10)
        rebuild(*args)

    monkeypatch.setattr(routes_ops, "_rebuild", held)
    ctx = Context(actor=Actor("setup", "operator"))
    for i in range(20):
        live_api.container.app.register_org(ctx, name=f"Org {i}", level=OrgLevel.PROVINCE)
    views = live_api.app.state.api.views
    answers: list[int] = []
    with live_api.client("operator") as c:

        def ask() -> None:
            answers.append(c.post("/admin/projections/directory/rebuild").status_code)

        for round_ in range(5):
            before = views.status("directory").generation
            answers.clear()
            answered.clear()
            errors = at_once(ask, 2)
            answered.set()
            assert not errors and sorted(answers) == [202, 409], (round_, answers)
            deadline = time.monotonic() + 30
            while (run := c.get("/admin/projections/directory/rebuild").json())[
                "state"
            ] == "running" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert run["state"] == "finished", run
            assert views.status("directory").generation == before + 1
