"""The permission matrix, the org-scope rule and the personal-data rule (services/authz.py)."""

from __future__ import annotations

from types import SimpleNamespace
from uuid import uuid4

import pytest

from caseflow.services.app import Actor
from caseflow.services.authz import (
    PERMISSIONS,
    Action,
    OrgTree,
    Role,
    allowed,
    event_for_role,
    in_scope,
    require,
    require_case,
    row_for_role,
    sees_case,
    sees_personal_data,
)
from caseflow.services.errors import Forbidden, NotFound
from caseflow.services.public import WITHHOLD_ALL, Disclosure

P, C, K, K2 = (uuid4() for _ in range(4))
PARENTS = {P: None, C: P, K: C, K2: C}


def tree() -> OrgTree:
    def parent_of(org):
        if org not in PARENTS:
            raise NotFound("org", org)
        return PARENTS[org]

    return OrgTree(parent_of)


def test_every_action_has_at_least_one_role():
    assert set(PERMISSIONS) == set(Action)
    assert all(PERMISSIONS[a] for a in Action)


def test_analysts_change_nothing():
    writes = [a for a in Action if not a.value.endswith(".read")]
    assert not any(allowed(Role.ANALYST, a) for a in writes)


def test_only_operators_rebuild_projections():
    assert [r for r in Role if allowed(r, Action.REBUILD_PROJECTIONS)] == [Role.OPERATOR]


def test_require_names_the_role_and_action():
    with pytest.raises(Forbidden, match="analyst.*case.screen"):
        require(Actor("a", "analyst"), Action.SCREEN)


def test_an_org_is_within_itself_and_its_ancestors():
    t = tree()
    assert t.within(K, K) and t.within(C, K) and t.within(P, K)


def test_a_sibling_org_is_not_within_scope():
    assert not tree().within(K2, K)


def test_a_lower_org_does_not_see_its_parent():
    assert not tree().within(K, C)


def test_unknown_orgs_are_their_own_root():
    stranger = uuid4()
    assert tree().ancestry(stranger) == [stranger]


def test_handler_sees_a_case_assigned_to_a_unit_below_even_if_received_elsewhere():
    actor = Actor("h", "handler", K)
    assert in_scope(actor, [K2, K], tree())
    assert not in_scope(actor, [K2, None], tree())


def test_supervisors_and_analysts_are_not_org_bound():
    for role in ("supervisor", "analyst"):
        assert in_scope(Actor("x", role, None), [K2], tree())


def test_a_scoped_role_without_an_org_sees_no_case():
    assert not in_scope(Actor("r", "registrar", None), [K], tree())


def _case(orgs, accused_org=None, accused_leader=None):
    return SimpleNamespace(
        id=uuid4(), orgs=tuple(orgs), accused_org_id=accused_org, accused_leader_id=accused_leader
    )


def test_a_case_out_of_scope_is_not_found_as_if_it_did_not_exist():
    case = _case([K])
    with pytest.raises(NotFound) as found:
        require_case(Actor("h", "handler", K2), Action.RESOLVE, case, tree())
    assert str(found.value) == f"No case with id {case.id}."


def test_a_role_that_may_not_act_is_forbidden_before_scope_is_looked_at():
    with pytest.raises(Forbidden):
        require_case(Actor("a", "analyst", None), Action.RESOLVE, _case([K]), tree())


def test_the_accused_org_s_staff_and_orgs_under_it_do_not_see_the_accusation():
    case = _case([P], accused_org=C)
    assert not sees_case(Actor("h", "handler", C), case, tree())
    assert not sees_case(Actor("h", "handler", K), case, tree())  # K is under C
    assert not sees_case(Actor("s", "supervisor", K), case, tree())  # whatever the role
    assert sees_case(Actor("h", "handler", P), case, tree())  # the body above them does
    assert sees_case(Actor("s", "supervisor", None), case, tree())


def test_the_accused_leader_does_not_see_the_accusation():
    leader = uuid4()
    case = _case([K], accused_leader=leader)
    assert not sees_case(Actor(str(leader), "leader", K), case, tree())
    assert sees_case(Actor(str(uuid4()), "leader", K), case, tree())


def test_personal_data_is_for_caseworkers_and_supervisors_only():
    assert {r for r in Role if sees_personal_data(r)} == {
        Role.REGISTRAR,
        Role.HANDLER,
        Role.LEADER,
        Role.SUPERVISOR,
    }


def test_analysts_get_no_personal_data_and_no_unpublished_free_text():
    payload = {
        "petitioners": [{"name": "x"}],
        "representatives": ["y"],
        "request": "z",
        "subject": "wages",
        "region": "north",
    }
    assert event_for_role("analyst", "case.received", payload, WITHHOLD_ALL) == {"region": "north"}
    assert event_for_role("registrar", "case.received", payload, WITHHOLD_ALL) == payload


def test_a_published_free_text_field_reaches_analysts_and_nothing_else_does():
    published = Disclosure.of(["case.received.subject"])
    payload = {"petitioners": [{"name": "x"}], "subject": "wages", "region": "north"}
    assert event_for_role("analyst", "case.received", payload, published) == {
        "subject": "wages",
        "region": "north",
    }
    reason = {"to_org_id": "o", "reason": "my own words"}
    assert event_for_role("analyst", "case.review_requested", reason, published) == {
        "to_org_id": "o"
    }
    row = {"case_id": "c", "subject": "wages", "status": "registered"}
    assert row_for_role("analyst", row, WITHHOLD_ALL) == {"case_id": "c", "status": "registered"}
    assert row_for_role("analyst", row, published) == row


def test_an_unknown_free_text_field_is_refused():
    with pytest.raises(ValueError, match="not a free-text field: case.received.region"):
        Disclosure.of(["case.received.region"])
