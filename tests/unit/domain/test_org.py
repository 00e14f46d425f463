"""Org and Leader registration: the org tree gives the superior body and a leader's level."""

from __future__ import annotations

from uuid import uuid4

import pytest

from caseflow.domain.errors import InvalidInput, RuleViolation
from caseflow.domain.org import Leader, Org
from caseflow.domain.values import OrgLevel
from tests.unit.domain.builders import meta


def org(level=OrgLevel.PROVINCE, parent=None, name="测试省") -> Org:
    return Org.register(id=uuid4(), name=name, level=level, parent=parent, meta=meta())


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
    leader = Leader.register(id=uuid4(), name="测试-李四", title="县长", org=county, meta=meta())
    assert (leader.org_id, leader.level) == (county.id, OrgLevel.COUNTY)


def test_a_leader_without_a_name_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        Leader.register(id=uuid4(), name="", title="县长", org=org(), meta=meta())
    assert caught.value.rule == "leader.name_required"


def test_registration_remembers_its_idempotency_key() -> None:
    province = Org.register(id=uuid4(), name="测试省", level=OrgLevel.PROVINCE, parent=None,
                            meta=meta(key="k-1", request_hash="h-1"))
    assert province.recall("k-1") == (1, "h-1")
    assert province.recall("k-2") is None
