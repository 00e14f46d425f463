"""The permission matrix over real HTTP: every route × every role (and no token, a forged token,
and a handler of another county) → the expected 2xx / 401 / 403. The expectations are written
out here by hand, not derived from `services/authz.py`, so that a change there must be mirrored
here deliberately. Every answer an analyst or operator gets, and the feed and the stream, are
scanned for the fixtures' personal data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest

from caseflow.domain.values import Category, Channel, Decision, Outcome, Petitioner, ReviewOutcome
from caseflow.infra.bootstrap import bootstrap
from caseflow.infra.http import create_app
from caseflow.infra.settings import Settings
from caseflow.services import querycodes
from caseflow.services.app import Actor, Context
from tests.e2e.server import live
from tests.unit.http.world import PII, World, build_world, pii_in

ROLES = ["registrar", "handler", "leader", "supervisor", "analyst", "operator"]
CALLERS = [*ROLES, "handler-other", "forged", None]
CASEWORK = {"registrar", "handler", "leader", "supervisor", "analyst"}
STATS = {"leader", "supervisor", "analyst"}
OVERSIGHT = {"supervisor", "analyst", "operator"}
OPEN = set(CALLERS)  # no token needed

# route → roles that may call it. Scoped roles act on the county the fixture's cases belong to.
EXPECTED: dict[str, set[str | None]] = {
    "POST /orgs": {"operator", "supervisor"},
    "POST /leaders": {"operator", "supervisor"},
    "POST /leaders/{leader_id}/departure": {"operator", "supervisor"},
    "POST /leaders/{leader_id}/move": {"operator", "supervisor"},
    "POST /leaders/{leader_id}/rename": {"operator", "supervisor"},
    "POST /orgs/{org_id}/rename": {"operator", "supervisor"},
    "POST /cases": {"registrar", "handler"},
    "POST /cases/{case_id}/screening": {"registrar", "handler"},
    "POST /cases/{case_id}/assignment": {"registrar", "handler", "leader"},
    "POST /cases/{case_id}/visits": {"registrar", "handler", "leader"},
    "POST /cases/{case_id}/extensions": {"handler", "leader"},
    "POST /cases/{case_id}/resolution": {"handler", "leader"},
    "POST /cases/{case_id}/evaluations": {"registrar", "handler"},
    "POST /cases/{case_id}/review-requests": {"registrar", "handler"},
    "POST /cases/{case_id}/review-decisions": {"handler", "leader", "supervisor"},
    "POST /cases/{case_id}/recheck-requests": {"registrar", "handler"},
    "POST /cases/{case_id}/recheck-decisions": {"handler", "leader", "supervisor"},
    "POST /cases/{case_id}/supervision": {"supervisor"},
    "POST /cases/{case_id}/closure": {"registrar", "handler", "supervisor"},
    "GET /cases": CASEWORK,
    "GET /cases/{case_id}": CASEWORK,
    "GET /cases/{case_id}/history": CASEWORK,
    "GET /leaders/{leader_id}/statistics": STATS,
    "GET /statistics/leaders": STATS,
    "GET /statistics/kpis": STATS,
    "GET /audit": OVERSIGHT,
    "GET /events": OVERSIGHT,
    "GET /events/stream": OVERSIGHT,
    "GET /admin/projections": {"supervisor", "operator"},
    "GET /admin/integrity": {"supervisor", "operator"},
    # the stored bytes, personal data included: not for analysts
    "GET /cases/{case_id}/integrity": CASEWORK - {"analyst"},
    "POST /admin/projections/{name}/rebuild": {"operator"},
    "GET /admin/projections/{name}/rebuild": {"supervisor", "operator"},
    "GET /health": OPEN,
    "GET /health/live": OPEN,
    "GET /health/ready": OPEN,
    "GET /metrics": OPEN,
    # a petitioner's: the query code is the credential, a bearer token is neither needed nor used
    "GET /public/cases/{code}": OPEN,
    "POST /public/cases/{code}/evaluation": OPEN,
    "GET /problems": OPEN,
    "GET /problems/{slug}": OPEN,
    "GET /schemas": OPEN,
    "GET /schemas/{name}": OPEN,
}
# Routes on one case of the fixture's county: a handler of another county is refused there.
SCOPED = {r for r in EXPECTED if "{case_id}" in r} | {"POST /cases"}
TZ = ZoneInfo("Asia/Shanghai")


class Fixture:
    """Cases in every state a command needs, made through the service layer (fast)."""

    def __init__(self, container, world: World):
        self.app, self.world, self.views = container.app, world, container.views
        self.ctx = Context(actor=Actor("setup", "supervisor"))
        self.now = datetime.now(UTC)

    def case(self, state: str, code: str | None = None) -> UUID:
        app, ctx, w = self.app, self.ctx, self.world
        p = PII
        received = app.receive(
            ctx,
            channel=Channel.VISIT,
            received_at=self.now - timedelta(hours=1),
            receiving_org_id=w.county,
            headcount=2,
            region="Test County",
            petitioners=(Petitioner(p["name"], p["id_number"], p["phone"], p["address"]),),
            representatives=(p["representative"],),
            subject="Land requisition compensation",
            request=p["request"],
            query_code_hash=querycodes.digest(code) if code else None,
        )
        if code:  # the public lookup reads the query_codes view
            assert self.views.wait_for(received.position, timeout=10, names=("query_codes",))
        case = received.id
        steps: list[Callable[[], object]] = [
            lambda: app.screen(
                ctx,
                case,
                decision=Decision.ACCEPT,
                category=Category.APPEAL,
                to_org_id=None,
                reason="",
                route_channel=None,
                notified_at=None,
            ),
            lambda: app.assign(
                ctx,
                case,
                unit_id=w.county,
                leader_id=w.leader,
                handler_id="handler-1",
                instructions="",
            ),
            lambda: app.resolve(ctx, case, outcome=Outcome.EXPLAINED, reply="Explained"),
            lambda: app.request_review(ctx, case, reason="Disagree"),
            lambda: app.review(ctx, case, outcome=ReviewOutcome.UPHELD, reply="Upheld"),
            lambda: app.request_recheck(ctx, case, reason="Still disagree"),
        ]
        order = [
            "registered",
            "accepted",
            "assigned",
            "resolved",
            "review_requested",
            "reviewed",
            "recheck_requested",
        ]
        for step in steps[: order.index(state)]:
            step()
        return case

    def request(self, route: str) -> tuple[str, str, dict | None]:
        """(method, path, body) of a call to `route` that succeeds for a permitted role."""
        w, today = self.world, self.now.astimezone(TZ).date().isoformat()
        method, template = route.split(" ")
        states = {
            "screening": "registered",
            "assignment": "accepted",
            "visits": "registered",
            "extensions": "assigned",
            "resolution": "assigned",
            "evaluations": "resolved",
            "review-requests": "resolved",
            "review-decisions": "review_requested",
            "recheck-requests": "reviewed",
            "recheck-decisions": "recheck_requested",
            "supervision": "registered",
            "closure": "resolved",
        }
        bodies = {
            "screening": {"decision": "accept", "category": "appeal"},
            "assignment": {"unit_id": str(w.county), "leader_id": str(w.leader)},
            "visits": {
                "leader_id": str(w.leader),
                "mode": "reception",
                "visited_on": today,
                "visitors": 2,
            },
            "extensions": {"days": 5, "reason": "Survey", "approved_by": "Director"},
            "resolution": {"outcome": "supported", "reply": "Paid"},
            "evaluations": {"rating": "satisfied"},
            "review-requests": {"reason": "Too little"},
            "review-decisions": {"outcome": "revised", "reply": "More"},
            "recheck-requests": {"reason": "Still too little"},
            "recheck-decisions": {"outcome": "upheld", "reply": "Final"},
            "supervision": {
                "level": "listed",
                "instruction": "Hurry",
                "due_at": (self.now + timedelta(days=7)).isoformat(),
            },
            "closure": {"reason": "Petitioner content", "waived": True},
        }
        if "{code}" in template:
            code = querycodes.new_code()
            rating = template.endswith("/evaluation")
            self.case("resolved" if rating else "registered", code)
            return (
                method,
                template.replace("{code}", code),
                bodies["evaluations"] if rating else None,
            )
        if "{case_id}" in template:
            kind = template.rsplit("/", 1)[-1]
            case = self.case(states.get(kind, "registered"))
            return method, template.replace("{case_id}", str(case)), bodies.get(kind)
        if method == "POST" and template.startswith("/leaders/{leader_id}/"):
            # a leader of its own, in office for a month: a departure or move happens once
            leader = self.app.register_leader(
                self.ctx,
                name="Leader Zhou",
                title="Head",
                org_id=w.county,
                in_office_from=self.now.astimezone(TZ).date() - timedelta(days=30),
            ).id
            kind = template.rsplit("/", 1)[-1]
            body = {
                "departure": {},
                "move": {"to_org_id": str(w.city)},
                "rename": {"name": "Leader Zhou Jr."},
            }[kind]
            return method, template.replace("{leader_id}", str(leader)), body
        fixed = {
            "POST /orgs/{org_id}/rename": {"name": "Test County (renamed)"},
            "POST /orgs": {"name": "Township", "level": "township", "parent_id": str(w.county)},
            "POST /leaders": {"name": "Leader Sun", "title": "Head", "org_id": str(w.county)},
            "POST /cases": _case_body(w, self.now),
        }
        path = (
            template.replace("{leader_id}", str(w.leader))
            .replace("{org_id}", str(w.county))
            .replace("{slug}", "not-found")
            .replace("/schemas/{name}", "/schemas/caseflow.case.received.v1.json")
            .replace("{name}", "directory")
        )
        if template == "/audit":
            path = "/audit?actor=setup"
        return method, path, fixed.get(route)


def _case_body(w: World, now: datetime) -> dict:
    return w.case(received_at=(now - timedelta(hours=1)).isoformat())


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, Fixture]]:
    container = bootstrap(Settings(data_dir=tmp_path_factory.mktemp("matrix") / "var"))
    world = build_world(container)
    tokens = dict(world.principals)
    app = create_app(container, tokens=tokens, keepalive=0.2)
    try:
        with live(app) as url:
            yield url, Fixture(container, world)
    finally:
        container.close()


def _call(url: str, who: str | None, method: str, path: str, body: dict | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {who}"} if who else {}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as c:
        if path.startswith("/events/stream"):
            with c.stream(method, path) as r:
                if r.status_code != 200:
                    r.read()
                    return r.status_code, r.text
                lines = r.iter_lines()
                return 200, "\n".join(next(lines) for _ in range(60))
        r = c.request(method, path, json=body)
        return r.status_code, r.text


def test_every_route_is_in_the_expected_matrix(server):
    url, _ = server
    with httpx.Client(base_url=url) as c:
        spec = c.get("/openapi.json").json()
    documented = {f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops}
    assert documented == set(EXPECTED)


@pytest.mark.parametrize("route", sorted(EXPECTED))
def test_each_caller_gets_what_the_matrix_says(server, route):
    url, fixture = server
    seen: dict[str | None, int] = {}
    for who in CALLERS:
        method, path, body = fixture.request(route)
        status, text = _call(url, who, method, path, body)
        seen[who] = status
        if who in ("analyst", "operator"):
            assert pii_in(text) == [], (route, who)
    expected = {}
    for who in CALLERS:
        allowed = EXPECTED[route]
        if who == "handler-other":
            ok = "handler" in allowed and route not in SCOPED
        else:
            ok = who in allowed
        if ok:
            expected[who] = "2xx"
        elif who in (None, "forged"):
            expected[who] = 401
        elif who == "handler-other" and "handler" in allowed and "{case_id}" in route:
            expected[who] = 404  # out of scope: the answer an unknown case gets
        else:
            expected[who] = 403
    actual = {who: "2xx" if 200 <= s < 300 else s for who, s in seen.items()}
    assert actual == expected


def test_the_feed_and_stream_have_no_personal_data(server):
    url, fixture = server
    fixture.case("recheck_requested")
    for who in ("analyst", "supervisor", "operator"):
        for path in ("/events?limit=1000", "/events/stream"):
            status, text = _call(url, who, "GET", path, None)
            assert status == 200 and "case.received" in text
            assert pii_in(text) == [], (who, path)


def test_caseworkers_do_see_the_personal_data_they_work_with(server):
    url, fixture = server
    case = fixture.case("registered")
    _, text = _call(url, "handler", "GET", f"/cases/{case}", None)
    assert set(pii_in(text)) >= {PII["name"], PII["phone"], PII["request"]}
