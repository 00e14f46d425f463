"""A store written before wave 2 (tests/fixtures/wave1_store) keeps working: its events upcast
to the current shapes, the views build from it, and the public feed publishes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from caseflow.domain.org import Leader
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.settings import Settings
from caseflow.services.app import Actor, Context
from caseflow.services.public import public_payload

FIXTURE = Path(__file__).parents[2] / "fixtures" / "wave1_store" / "events.sqlite3"


@pytest.fixture
def old_store(tmp_path):
    data = tmp_path / "var"
    data.mkdir()
    shutil.copy(FIXTURE, data / "events.sqlite3")
    container = bootstrap(Settings(data_dir=data))
    try:
        yield container
    finally:
        container.close()


def test_old_registrations_upcast_to_the_current_shape(old_store):
    received = [e for e in old_store.log.read(0, 10_000) if e.name == "case.received"]
    assert len(received) == 150
    for e in received:
        assert "class_version" not in e.data
        assert (e.data["accused_org_id"], e.data["accused_leader_id"]) == (None, None)
        assert e.data["query_code_hash"] is None
    case = old_store.app.case(received[0].aggregate_id)  # the library's mapper upcasts too
    assert case.accused_org_id is None and case.received_at == received[0].data["received_at"]


def test_old_leader_registrations_upcast_to_a_term_from_their_registration_day(old_store):
    registered = [e for e in old_store.log.read(0, 10_000) if e.name == "leader.registered"]
    assert registered
    assert all(e.data["in_office_from"] is None for e in registered)
    app = old_store.app
    first = app.get(Leader, registered[0].aggregate_id)
    assert first.took_office(app.policy) == app.policy.local_date(registered[0].meta.occurred_at)
    # and an old leader takes the new events: a move today, then a departure
    org = next(
        e.aggregate_id
        for e in old_store.log.read(0, 10_000)
        if e.name == "org.registered" and e.aggregate_id != first.org_id
    )
    ctx = Context(actor=Actor("upgrade-test", "operator"))
    app.move_leader(ctx, first.id, to_org_id=org)
    app.leave_office(ctx, first.id)
    assert app.get(Leader, first.id).left_on is not None


def test_the_views_build_from_an_old_store(old_store):
    views = old_store.views
    for runner in views.runners():
        runner.catch_up()
    page = views.cases(_all())
    assert page.total == 150
    assert all(r.failure is None for r in (views.store.record(n) for n in views.projections))


def test_old_events_publish_without_personal_data(old_store):
    for e in old_store.log.read(0, 10_000):
        payload = orjson.loads(orjson.dumps(public_payload(e)))
        assert "petitioners" not in payload and "accused_org_id" not in payload
        assert "class_version" not in payload


def _all():
    from caseflow.projections.queries import CaseQuery

    return CaseQuery(limit=500)
