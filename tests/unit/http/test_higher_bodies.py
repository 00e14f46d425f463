"""A review goes to a body above the unit that handled the case, a re-check to a body above the
review body (an ancestor in the org tree; the parent by default); otherwise 409."""

from __future__ import annotations

from uuid import UUID

import pytest

from tests.unit.http.test_business_time import Steps


@pytest.fixture
def resolved(client, world, http_container) -> Steps:
    steps = Steps(client, world, http_container)
    steps.accept("2026-03-01T10:00:00+08:00")
    steps.assign("2026-03-01T11:00:00+08:00")  # the county handles it
    steps.resolve("2026-03-01T12:00:00+08:00")
    return steps


def _review(steps: Steps, to) -> None:
    steps.ok("review-requests", {"to_org_id": str(to)}, "registrar")
    steps.ok("review-decisions", {"outcome": "upheld", "reply": "upheld"})


@pytest.mark.parametrize("body", ["county", "other_county"])
def test_a_review_by_a_body_not_above_the_handling_unit_is_409(resolved, world, body):
    p = resolved.refused(
        "review-requests",
        {"to_org_id": str(getattr(world, body))},
        "review_requested.higher_body",
        "registrar",
    )
    assert "not above" in p["detail"]


def test_a_review_goes_to_the_parent_by_default(resolved, world, client):
    resolved.ok("review-requests", {}, "registrar")
    event = resolved.container.app.history(UUID(resolved.id))[-1]
    assert event.to_org_id == world.city


def test_a_review_by_a_higher_ancestor_is_recorded(resolved, world):
    resolved.ok("review-requests", {"to_org_id": str(world.province)}, "registrar")


def test_a_recheck_by_a_body_not_above_the_review_body_is_409(resolved, world):
    _review(resolved, world.city)
    for body in (world.city, world.county, world.other_county):
        resolved.refused(
            "recheck-requests",
            {"to_org_id": str(body)},
            "recheck_requested.higher_body",
            "registrar",
        )
    resolved.ok("recheck-requests", {"to_org_id": str(world.province)}, "registrar")


def test_a_recheck_with_no_body_above_the_review_body_is_409(resolved, world):
    _review(resolved, world.province)
    resolved.refused("recheck-requests", {}, "recheck_requested.superior", "registrar")


def test_a_recheck_on_a_case_that_had_no_review_is_409(resolved):
    resolved.refused("recheck-requests", {}, "recheck_requested.when", "registrar")
