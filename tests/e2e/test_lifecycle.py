"""Cases taken through their whole life over real HTTP (uvicorn on loopback), on SQLite and
PostgreSQL, checking the status view, the history and the audit trail after every step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from caseflow.infra.auth import Principal
from caseflow.services.authz import Role
from tests.unit.http.world import PII, pii_in

TZ = ZoneInfo("Asia/Shanghai")


class Journey:
    """Posts commands on one case and checks what every view says after each."""

    def __init__(self, live, case_id: str, first_position: int, registrar: str):
        self.live, self.id = live, case_id
        self.sup = live.client("supervisor")
        self.trail = [("case.received", registrar)]
        self.positions = [first_position]
        self.check(first_position, 1, "registered", "case.received", registrar)

    def step(
        self, who: str, path: str, body: dict, event: str, status: str, actor: str, **expect
    ) -> dict:
        r = self.live.client(who).post(
            f"/cases/{self.id}/{path}", json=body, headers={"If-Match": str(len(self.trail))}
        )
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["version"] == len(self.trail) + 1
        self.trail.append((event, actor))
        self.positions.append(answer["position"])
        case = self.check(answer["position"], answer["version"], status, event, actor)
        for key, value in expect.items():
            assert case[key] == value, (key, case[key])
        return case

    def check(self, position: int, version: int, status: str, event: str, actor: str) -> dict:
        at = {"min_position": position}
        case = self.sup.get(f"/cases/{self.id}", params=at).json()
        assert (case["status"], case["version"], case["last_event"]) == (status, version, event)
        history = self.sup.get(f"/cases/{self.id}/history", params=at).json()
        assert [(e["event"], e["actor_id"]) for e in history["events"]] == self.trail
        assert history["state"]["status"] == status
        audit = self.sup.get("/audit", params={**at, "actor": actor, "limit": 500}).json()
        mine = [i for i in audit["items"] if i["aggregate_id"] == self.id]
        assert (mine[-1]["event"], mine[-1]["position"]) == (event, position)
        return case


def _now() -> datetime:
    return datetime.now(UTC)


def _setup(live) -> dict:
    op = live.client("operator")

    def org(name, level, parent=None):
        r = op.post("/orgs", json={"name": name, "level": level, "parent_id": parent})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    province = org("E2E Province", "province")
    city = org("E2E City", "city", province)
    county = org("E2E County", "county", city)
    r = op.post("/leaders", json={"name": "Leader Qian", "title": "County head", "org_id": county})
    assert r.status_code == 201, r.text
    from uuid import UUID

    for token, subject, role, at in [
        ("registrar", "reg-1", Role.REGISTRAR, county),
        ("handler", "handler-1", Role.HANDLER, county),
        ("leader", "leader-1", Role.LEADER, county),
        ("reviewer", "handler-city", Role.HANDLER, city),
    ]:
        live.grant(token, Principal(subject, role, UUID(at)))
    return {"province": province, "city": city, "county": county, "leader": r.json()["id"]}


def _register(live, ids, **over) -> dict:
    body = {
        "channel": "visit",
        "received_at": (_now() - timedelta(minutes=1)).isoformat(),
        "receiving_org_id": ids["county"],
        "petitioners": [{k: PII[k] for k in ("name", "id_number", "phone", "address")}],
        "headcount": 2,
        "representatives": [PII["representative"]],
        "subject": "Unpaid wages after a factory closed",
        "request": PII["request"],
        "region": "E2E County",
        **over,
    }
    r = live.client("registrar").post("/cases", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_case_lives_through_review_and_recheck_to_closure(live_api):
    live = live_api
    ids = _setup(live)
    registered = _register(live, ids)
    case = Journey(live, registered["id"], registered["position"], "reg-1")
    today = _now().astimezone(TZ).date().isoformat()

    case.step(
        "registrar",
        "screening",
        {"decision": "accept", "category": "appeal"},
        "case.screened",
        "accepted",
        "reg-1",
        category="appeal",
    )
    case.step(
        "handler",
        "assignment",
        {
            "unit_id": ids["county"],
            "leader_id": ids["leader"],
            "handler_id": "handler-1",
            "instructions": "Visit",
        },
        "case.assigned",
        "assigned",
        "handler-1",
        leader_id=ids["leader"],
        unit_id=ids["county"],
    )
    case.step(
        "leader",
        "visits",
        {"leader_id": ids["leader"], "mode": "reception", "visited_on": today, "visitors": 2},
        "case.visited",
        "assigned",
        "leader-1",
    )
    case.step(
        "handler",
        "extensions",
        {"days": 10, "reason": "Audit of the payroll", "approved_by": "Director Sun"},
        "case.extended",
        "assigned",
        "handler-1",
        extension_days=10,
    )
    case.step(
        "handler",
        "resolution",
        {"outcome": "supported", "reply": "Wages to be paid"},
        "case.resolved",
        "resolved",
        "handler-1",
        outcome="supported",
    )
    case.step(
        "registrar",
        "evaluations",
        {"rating": "dissatisfied"},
        "case.evaluated",
        "resolved",
        "reg-1",
        satisfaction="dissatisfied",
    )
    case.step(
        "registrar",
        "review-requests",
        {"reason": "Amount is wrong"},
        "case.review_requested",
        "review_requested",
        "reg-1",
    )
    case.step(
        "reviewer",
        "review-decisions",
        {"outcome": "revised", "reply": "Amount raised"},
        "case.reviewed",
        "reviewed",
        "handler-city",
    )
    case.step(
        "registrar",
        "recheck-requests",
        {"reason": "Still short"},
        "case.recheck_requested",
        "recheck_requested",
        "reg-1",
    )
    case.step(
        "supervisor",
        "recheck-decisions",
        {"outcome": "upheld", "reply": "Final"},
        "case.rechecked",
        "rechecked",
        "sup-1",
    )
    case.step(
        "registrar",
        "evaluations",
        {"rating": "basically_satisfied"},
        "case.evaluated",
        "rechecked",
        "reg-1",
        satisfaction="basically_satisfied",
    )
    case.step(
        "registrar",
        "closure",
        {"reason": "Re-check decided: final"},
        "case.closed",
        "closed",
        "reg-1",
    )

    sup, last = case.sup, case.positions[-1]
    then = sup.get(f"/cases/{case.id}/history", params={"as_of": "6"}).json()
    assert then["state"]["status"] == "resolved" and len(then["events"]) == 6

    stats = sup.get(
        f"/leaders/{ids['leader']}/statistics", params={"period": today[:7], "min_position": last}
    ).json()
    assert (stats["counts"]["batches"], stats["counts"]["person_times"]) == (1, 2)
    assert stats["counts"]["owned"] == 1 and stats["counts"]["owned_resolved"] == 1

    received_month = (_now() - timedelta(minutes=1)).astimezone(TZ).date().isoformat()[:7]
    kpis = sup.get(
        "/statistics/kpis",
        params={"org": ids["county"], "period": received_month, "min_position": last},
    ).json()
    own = kpis["items"][0]["own"]["counts"]
    assert own["received"] == 1 and own["screened"] == 1

    analyst = live.client("analyst")
    for path in (
        f"/cases/{case.id}",
        f"/cases/{case.id}/history",
        "/audit?actor=reg-1",
        "/events?limit=1000",
    ):
        assert pii_in(analyst.get(path).text) == [], path


def test_a_rejected_petition_is_closed_without_handling(live_api):
    live = live_api
    ids = _setup(live)
    registered = _register(live, ids, subject="A matter for the courts")
    case = Journey(live, registered["id"], registered["position"], "reg-1")
    case.step(
        "registrar",
        "screening",
        {"decision": "route", "route_channel": "litigation"},
        "case.screened",
        "routed",
        "reg-1",
    )
    case.step(
        "registrar", "closure", {"reason": "Routed to the court"}, "case.closed", "closed", "reg-1"
    )
    r = live.client("handler").post(
        f"/cases/{case.id}/assignment", json={"unit_id": ids["county"], "leader_id": ids["leader"]}
    )
    assert r.status_code == 409 and r.json()["rule"] == "assigned.when"
