"""The query-code lookup (digest → case) on SQLite and PostgreSQL, live and rebuilt."""

from __future__ import annotations

from caseflow.domain.values import Channel, Petitioner
from caseflow.services import querycodes
from tests.integration.views.conftest import catch_up
from tests.unit.projections.world import T0


def _register(world, code: str | None):
    return world.app.receive(
        world.ctx("registrar-1", "registrar", T0),
        channel=Channel.LETTER,
        received_at=T0,
        receiving_org_id=world.county,
        headcount=1,
        representatives=(),
        subject="Wages",
        petitioners=(Petitioner("Test Person (synthetic)", "TEST-1", "000", "1 Test Rd"),),
        request="Pay",
        region="R1",
        query_code_hash=querycodes.digest(code) if code else None,
    ).id


def test_a_code_finds_its_case_and_no_other(world, views):
    code, other = querycodes.new_code(), querycodes.new_code()
    mine, theirs = _register(world, code), _register(world, other)
    _register(world, None)  # a registration without a code (before codes existed)
    catch_up(views)
    assert views.case_by_code(querycodes.digest(code)) == mine
    assert views.case_by_code(querycodes.digest(other)) == theirs
    assert views.case_by_code(querycodes.digest(querycodes.new_code())) is None


def test_a_rebuild_maps_every_code_again(world, views):
    first, second = querycodes.new_code(), querycodes.new_code()
    a = _register(world, first)
    catch_up(views)
    b = _register(world, second)  # only the rebuild sees this one
    views.rebuild(["query_codes"])
    assert views.case_by_code(querycodes.digest(first)) == a
    assert views.case_by_code(querycodes.digest(second)) == b
