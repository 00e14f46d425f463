"""A small org tree, one token per role and petitions full of recognisable (synthetic) personal
data, shared by the HTTP tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from caseflow.domain.values import OrgLevel
from caseflow.infra.auth import Principal
from caseflow.infra.bootstrap import Container
from caseflow.services.app import Actor, Context
from caseflow.services.authz import Role

# Every string here is personal data: none may reach an analyst, the feed or the stream.
PII = {
    "name": "Fixturename Zhang 张测试",
    "id_number": "TESTID-110101-19700101-0001",
    "phone": "+86-000-5555-0101",
    "address": "1 Fixture Lane, Testville 测试路1号",
    "representative": "Fixturerep Wang 王代表",
    "request": "FIXTURE-REQUEST: please pay the wages owed to me",
}


@dataclass
class World:
    province: UUID
    city: UUID
    county: UUID
    other_county: UUID
    leader: UUID
    principals: dict[str, Principal]

    def h(self, who: str | None, **extra: str) -> dict[str, str]:
        """Headers for a request as `who` (a token name below; None: no token)."""
        return ({"Authorization": f"Bearer {who}"} if who else {}) | extra

    def case(self, **over: Any) -> dict[str, Any]:
        body = {
            "channel": "visit",
            "received_at": "2026-03-01T09:00:00+08:00",
            "receiving_org_id": str(self.county),
            "petitioners": [{k: PII[k] for k in ("name", "id_number", "phone", "address")}],
            "headcount": 2,
            "representatives": [PII["representative"]],
            "subject": "Wage arrears at a township factory",
            "request": PII["request"],
            "region": "Test County",
        }
        return body | over


def build_world(c: Container) -> World:
    ctx = Context(actor=Actor("setup", "operator"))
    org = c.app.register_org
    province = org(ctx, name="Test Province", level=OrgLevel.PROVINCE).id
    city = org(ctx, name="Test City", level=OrgLevel.CITY, parent_id=province).id
    county = org(ctx, name="Test County", level=OrgLevel.COUNTY, parent_id=city).id
    other = org(ctx, name="Other County", level=OrgLevel.COUNTY, parent_id=city).id
    leader = c.app.register_leader(ctx, name="Leader Li", title="Deputy head", org_id=county).id
    R = Role
    principals = {
        "registrar": Principal("reg-1", R.REGISTRAR, county),
        "handler": Principal("handler-1", R.HANDLER, county),
        "leader": Principal("leader-1", R.LEADER, county),
        "supervisor": Principal("sup-1", R.SUPERVISOR),
        "analyst": Principal("analyst-1", R.ANALYST),
        "operator": Principal("op-1", R.OPERATOR),
        "handler-other": Principal("handler-2", R.HANDLER, other),
        "handler-city": Principal("handler-3", R.HANDLER, city),
    }
    return World(province, city, county, other, leader, principals)


def pii_in(text: str) -> list[str]:
    """The fixture's personal data found in `text`."""
    return [v for v in PII.values() if v in text]
