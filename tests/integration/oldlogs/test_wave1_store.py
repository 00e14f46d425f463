"""A store written before wave 2 (tests/fixtures/wave1_store) loads with today's code: every
aggregate folds, every view rebuilds from it, and the clocks, KPIs and leader statistics answer;
a back-dated command on one of its cases still keeps the rules."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from caseflow.domain.case import Case
from caseflow.infra.auth import Principal
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.http import create_app
from caseflow.infra.settings import Settings
from caseflow.services.authz import Role
from tests.backends import FrozenClock

FIXTURE = Path(__file__).parents[2] / "fixtures" / "wave1_store" / "events.sqlite3"
AFTER_THE_SEED = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@pytest.fixture
def old_store(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    shutil.copy(FIXTURE, var / "events.sqlite3")  # never touch the committed file
    c = bootstrap(Settings(data_dir=var), clock=FrozenClock(AFTER_THE_SEED))
    try:
        yield c
    finally:
        c.close()


def test_every_case_of_the_old_store_folds_and_shows_its_clocks(old_store):
    events = old_store.log.read(0, 100_000)
    cases = {e.aggregate_id for e in events if e.name == "case.received"}
    assert len(cases) == 150
    statuses = Counter()
    for case_id in cases:
        case = old_store.app.get(Case, case_id)
        statuses[case.status] += 1
        clocks = case.clocks(AFTER_THE_SEED, old_store.app.policy)
        assert clocks and clocks[0].name == "screening"
        assert case.last_step_at is not None and case.last_step_at >= case.received_at
    assert sum(statuses.values()) == 150 and len(statuses) > 3


def test_every_view_rebuilds_from_the_old_store_and_answers(old_store):
    views = old_store.views
    views.rebuild()
    token = {"sup": Principal("sup-1", Role.SUPERVISOR)}
    h = {"Authorization": "Bearer sup"}
    with TestClient(
        create_app(old_store, tokens=token, background=False), raise_server_exceptions=True
    ) as client:
        page = client.get("/cases", params={"limit": 200}, headers=h).json()
        assert page["total"] == 150
        case_id = page["items"][0]["case_id"]
        history = client.get(f"/cases/{case_id}/history", headers=h)
        assert history.status_code == 200 and history.json()["state"]["clocks"]
        periods = {row["received_at"][:7] for row in page["items"]}
        answered = 0
        for period in sorted(periods):
            kpis = client.get("/statistics/kpis", params={"period": period}, headers=h)
            assert kpis.status_code == 200, kpis.text
            answered += sum(
                i["subtree"]["rates"]["timely_screening"]["denominator"]
                for i in kpis.json()["items"]
            )
            leaders = client.get("/statistics/leaders", params={"period": period}, headers=h)
            assert leaders.status_code == 200, leaders.text
        assert answered > 0  # screenings of the old log counted in their months


def test_a_back_dated_step_on_an_old_case_keeps_the_order(old_store):
    from caseflow.services.app import Actor, Context
    from caseflow.services.errors import RuleViolation

    events = old_store.log.read(0, 100_000)
    case = next(
        c
        for c in (
            old_store.app.get(Case, e.aggregate_id) for e in events if e.name == "case.resolved"
        )
        if c.status.value == "resolved"
    )
    assert case.resolved_at is not None
    ctx = Context(
        actor=Actor("clerk", "registrar"),
        occurred_at=case.resolved_at.replace(year=case.resolved_at.year - 1),
    )
    with pytest.raises(RuleViolation) as caught:
        old_store.app.request_review(ctx, case.id, reason="late entry")
    assert caught.value.rule == "review_requested.order"
