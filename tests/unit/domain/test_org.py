"""Org and Leader: the org tree gives the superior body and a leader's level; a leader holds
office from a day, may move to another org and leave office; both can be renamed."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.org import Leader, Org
from caseflow.domain.policy import Policy
from caseflow.domain.values import OrgLevel
from tests.unit.domain.builders import meta

POLICY = Policy()
TOOK_OFFICE = date(2026, 2, 11)


def org(level=OrgLevel.PROVINCE, parent=None, name="测试省") -> Org:
    return Org.register(id=uuid4(), name=name, level=level, parent=parent, meta=meta())


def leader(at: Org | None = None, name="测试-李四", since=TOOK_OFFICE) -> Leader:
    return Leader.register(
        id=uuid4(),
        name=name,
        title="县长",
        org=at or org(OrgLevel.COUNTY),
        in_office_from=since,
        meta=meta(),
    )


def refused(error, rule: str, action) -> None:
    """`action` raises `error` naming `rule`, and the leader records nothing."""
    with pytest.raises(error) as caught:
        action()
    assert caught.value.rule == rule


def test_a_top_level_org_has_no_parent() -> None:
    province = org()
    assert (province.level, province.parent_id) == (OrgLevel.PROVINCE, None)


def test_an_org_sits_below_a_higher_level_parent() -> None:
    province = org()
    city = org(OrgLevel.CITY, province, "测试市")
    assert city.parent_id == province.id


def test_an_org_can_skip_a_level_below_its_parent() -> None:
    assert org(OrgLevel.TOWNSHIP, org(OrgLevel.CITY)).level is OrgLevel.TOWNSHIP


@pytest.mark.parametrize("level", [OrgLevel.PROVINCE, OrgLevel.CITY])
def test_an_org_below_a_parent_of_the_same_or_lower_level_is_refused(level: OrgLevel) -> None:
    city = org(OrgLevel.CITY)
    with pytest.raises(RuleViolation) as caught:
        org(level, city)
    assert caught.value.rule == "org.parent_level"


def test_an_org_without_a_name_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        org(name=" ")
    assert caught.value.rule == "org.name_required"


def test_an_unknown_org_level_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        org(level="galaxy")
    assert caught.value.rule == "org.level"


def test_a_leader_takes_the_level_of_their_org() -> None:
    county = org(OrgLevel.COUNTY)
    lead = leader(county)
    assert (lead.org_id, lead.level) == (county.id, OrgLevel.COUNTY)


def test_a_leader_without_a_name_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        leader(org(), name="")
    assert caught.value.rule == "leader.name_required"


def test_registration_remembers_its_idempotency_key() -> None:
    province = Org.register(
        id=uuid4(),
        name="测试省",
        level=OrgLevel.PROVINCE,
        parent=None,
        meta=meta(key="k-1", request_hash="h-1"),
    )
    assert province.recall("k-1") == (1, "h-1")
    assert province.recall("k-2") is None


def test_a_leader_holds_office_from_the_day_given() -> None:
    assert leader().took_office(POLICY) == TOOK_OFFICE


def test_an_old_registration_without_a_day_took_office_on_its_local_day() -> None:
    state = {"in_office_from": date(2000, 1, 1)}
    Leader.Registered.upcast_v1_v2(state)
    assert state == {"in_office_from": None}
    old = leader(since=TOOK_OFFICE)
    old.in_office_from = None  # as a v1 registration leaves it
    assert old.took_office(POLICY) == POLICY.local_date(old.registered_at)


def test_in_office_from_must_be_a_date() -> None:
    with pytest.raises(InvalidInput) as caught:
        leader(since="2026-02-11")
    assert caught.value.rule == "leader.in_office_from_type"


def test_a_leader_leaves_office_on_their_last_day() -> None:
    lead = leader()
    lead.leave_office(on=date(2026, 6, 30), policy=POLICY, meta=meta())
    assert lead.left_on == date(2026, 6, 30)


def test_leaving_office_on_the_day_taken_is_a_one_day_term() -> None:
    lead = leader()
    lead.leave_office(on=TOOK_OFFICE, policy=POLICY, meta=meta())
    assert lead.left_on == TOOK_OFFICE


def test_leaving_before_taking_office_is_refused() -> None:
    lead = leader()
    refused(
        RuleViolation,
        "left_office.before_office",
        lambda: lead.leave_office(on=date(2026, 2, 10), policy=POLICY, meta=meta()),
    )
    assert (lead.left_on, lead.version) == (None, 1)


def test_leaving_office_twice_is_refused() -> None:
    lead = leader()
    lead.leave_office(on=date(2026, 6, 30), policy=POLICY, meta=meta())
    refused(
        RuleViolation,
        "left_office.twice",
        lambda: lead.leave_office(on=date(2026, 7, 1), policy=POLICY, meta=meta()),
    )
    assert (lead.left_on, lead.version) == (date(2026, 6, 30), 2)


def test_a_move_takes_the_level_of_the_new_org() -> None:
    lead, city = leader(), org(OrgLevel.CITY)
    lead.move(to=city, on=date(2026, 5, 15), policy=POLICY, meta=meta())
    assert (lead.org_id, lead.level, lead.moved_on) == (city.id, OrgLevel.CITY, date(2026, 5, 15))


def test_a_move_on_or_before_the_day_office_was_taken_is_refused() -> None:
    lead = leader()
    refused(
        RuleViolation,
        "moved.before_office",
        lambda: lead.move(to=org(OrgLevel.CITY), on=TOOK_OFFICE, policy=POLICY, meta=meta()),
    )
    assert lead.version == 1


def test_a_move_before_the_last_move_is_refused() -> None:
    lead = leader()
    lead.move(to=org(OrgLevel.CITY), on=date(2026, 5, 15), policy=POLICY, meta=meta())
    refused(
        RuleViolation,
        "moved.before_office",
        lambda: lead.move(to=org(), on=date(2026, 5, 1), policy=POLICY, meta=meta()),
    )
    assert lead.version == 2


def test_leaving_before_the_last_move_is_refused() -> None:
    lead = leader()
    lead.move(to=org(OrgLevel.CITY), on=date(2026, 5, 15), policy=POLICY, meta=meta())
    refused(
        RuleViolation,
        "left_office.before_office",
        lambda: lead.leave_office(on=date(2026, 5, 14), policy=POLICY, meta=meta()),
    )


def test_a_move_after_leaving_office_is_refused() -> None:
    lead = leader()
    lead.leave_office(on=date(2026, 6, 30), policy=POLICY, meta=meta())
    refused(
        RuleViolation,
        "moved.after_leaving",
        lambda: lead.move(to=org(), on=date(2026, 7, 1), policy=POLICY, meta=meta()),
    )
    assert lead.version == 2


def test_a_move_to_the_org_held_is_refused() -> None:
    county = org(OrgLevel.COUNTY)
    lead = leader(county)
    refused(
        RuleViolation,
        "moved.same_org",
        lambda: lead.move(to=county, on=date(2026, 3, 1), policy=POLICY, meta=meta()),
    )


def test_a_leader_is_renamed() -> None:
    lead = leader()
    lead.rename(name=" 测试-王五 ", title="副县长", meta=meta())
    assert (lead.name, lead.title) == ("测试-王五", "副县长")


def test_a_rename_to_no_name_is_refused() -> None:
    lead = leader()
    refused(
        InvalidInput, "leader.name_required", lambda: lead.rename(name=" ", title="", meta=meta())
    )
    assert lead.version == 1


def test_an_org_is_renamed_keeping_its_place() -> None:
    province = org()
    city = org(OrgLevel.CITY, province, "测试市")
    city.rename(name="测试新市", meta=meta())
    assert (city.name, city.level, city.parent_id) == ("测试新市", OrgLevel.CITY, province.id)


def test_an_org_renamed_to_no_name_is_refused() -> None:
    city = org(OrgLevel.CITY)
    refused(InvalidInput, "org.name_required", lambda: city.rename(name="", meta=meta()))
