"""Queries over the views: cases, a case's history (and time travel), the audit trail.

Every query takes `min_position` (read-your-writes): it waits up to `read_wait` seconds until the
views it reads have processed that position. A position beyond the log's head is a 422; views
that do not get there in time give a 503 with Retry-After (they are stuck or far behind: retrying
is the client's call, stale data is never passed off as fresh).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from caseflow.domain.case import Case
from caseflow.domain.values import Category, Channel, Status
from caseflow.infra.auth import Principal
from caseflow.infra.http.deps import api_of, permit
from caseflow.infra.http.openapi import ITEM_ERRORS, QUERY_ERRORS
from caseflow.infra.http.problems import Problem, invalid
from caseflow.infra.http.queries_models import AuditPage, CaseDetail, CasePage, History
from caseflow.infra.http.state import Api
from caseflow.infra.http.types import Day, Line, Position, Time
from caseflow.services import authz
from caseflow.services.authz import Action

router = APIRouter(tags=["queries"])
MinPosition = Annotated[Position | None, Query(
    description="Wait (up to 5 s) until the views have processed this log position")]
Reader = Annotated[Principal, Depends(permit(Action.READ_CASES))]
Auditor = Annotated[Principal, Depends(permit(Action.READ_AUDIT))]


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS),
                    media_type="application/json")


def wait_for_views(api: Api, min_position: int | None, *names: str) -> None:
    """Read-your-writes: block until `names` have processed `min_position` (bounded)."""
    if min_position is None or min_position == 0:
        return
    head = api.log.head()
    if min_position > head:
        raise invalid("query.min_position",
                      f"{min_position} is beyond the newest event in the log ({head})")
    if api.views is None or not api.views.wait_for(min_position, timeout=api.read_wait,
                                                    names=names):
        raise Problem(503, "views-behind", "Views are behind",
                      f"The views ({', '.join(names)}) did not reach position {min_position} "
                      f"within {api.read_wait:g} s; retry shortly.",
                      headers={"Retry-After": "1"}, min_position=min_position)


def _case_orgs(api: Api, case_id: UUID) -> tuple[UUID | None, ...]:
    case = api.app._peek(Case, case_id)  # authoritative and never behind; 404 if absent
    return (case.receiving_org_id, case.unit_id)


def _check_case(api: Api, who: Principal, case_id: UUID) -> None:
    orgs = _case_orgs(api, case_id)
    if who.role in authz.ORG_SCOPED:
        authz.require_case(who.actor, Action.READ_CASES, orgs, api.orgs)


def _audit_rows(api: Api, who: Principal, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from caseflow.infra.http.routes_integrity import with_chainhashes

    rows = with_chainhashes(api, rows)
    if authz.sees_personal_data(who.role):
        return rows
    return [{**r, "payload": authz.event_for_role(who.role, r["event"], r.get("payload") or {},
                                                  api.disclosure)} for r in rows]


@router.get("/cases", response_model=CasePage, responses=QUERY_ERRORS,
            summary="Cases (the case_status view), filtered and paged")
def list_cases(
    request: Request,
    who: Reader,
    status: Status | None = None,
    org: Annotated[UUID | None, Query(description="Receiving org")] = None,
    unit: Annotated[UUID | None, Query(description="Responsible unit")] = None,
    leader: UUID | None = None,
    handler: Annotated[Line | None, Query(max_length=200)] = None,
    category: Category | None = None,
    channel: Channel | None = None,
    overdue: Annotated[bool | None, Query(description="An office duty is past due")] = None,
    received_from: Annotated[Day | None, Query(description="Local date, inclusive")] = None,
    received_to: Annotated[Day | None, Query(description="Local date, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    after: Annotated[str | None, Query(max_length=200,
                                       description="`next` of the last page")] = None,
    min_position: MinPosition = None,
) -> Response:
    """Handlers, leaders and registrars see the cases of their own org and the orgs below it."""
    from caseflow.infra.views import CaseQuery

    api = api_of(request)
    wait_for_views(api, min_position, "case_status")
    scoped = who.role in authz.ORG_SCOPED
    if scoped and who.org_id is None:
        return _json({"items": [], "total": 0, "next": None})
    query = CaseQuery(
        status=status, org_id=org, unit_id=unit, leader_id=leader, handler_id=handler,
        category=category, channel=channel, overdue=overdue, received_from=received_from,
        received_to=received_to, within_org=who.org_id if scoped else None, limit=limit,
        offset=offset, after=after)
    try:
        page = api.views.cases(query)
    except ValueError as e:
        raise invalid("query.after", str(e)) from None
    items = page.items if authz.sees_personal_data(who.role) else [
        authz.row_for_role(who.role, row, api.disclosure) for row in page.items]
    return _json({"items": items, "total": page.total,
                  "total_capped": bool(page.extra.get("total_capped")), "next": page.next})


@router.get("/cases/{case_id}", response_model=CaseDetail, responses=ITEM_ERRORS,
            summary="One case: status, clocks (and the petition, for roles that may see it)")
def get_case(request: Request, case_id: UUID, who: Reader,
             min_position: MinPosition = None) -> Response:
    api = api_of(request)
    _check_case(api, who, case_id)
    wait_for_views(api, min_position, "case_status")
    row = api.views.case(case_id)
    if row is None:  # registered, but the view has not caught up with it yet
        wait_for_views(api, api.log.head(), "case_status")
        row = api.views.case(case_id)
    if row is None:
        raise Problem(404, "not-found", "Not found", f"No case with id {case_id}.")
    if authz.sees_personal_data(who.role):
        row = {**row, "petition": _petition(api, case_id)}
    else:
        row = authz.row_for_role(who.role, row, api.disclosure)
    return Response(orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS),
                    media_type="application/json", headers={"ETag": f'"{row["version"]}"'})


def _petition(api: Api, case_id: UUID) -> dict[str, Any] | None:
    # From the log itself (the case's first event), not from a view: `min_position` waits for
    # case_status only, and the petition must never be missing because another view lags.
    received = next(iter(api.app.events.get(case_id, lte=1)), None)
    if received is None:
        return None
    return {"petitioners": [asdict(p) for p in received.petitioners],
            "representatives": list(received.representatives),
            "request": received.request or ""}


def _as_of(value: str | None) -> tuple[datetime | None, int | None]:
    if value is None:
        return None, None
    text = value.strip()
    if text.isdigit() and len(text) <= 15:
        return None, int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid("query.as_of", "a version number or an RFC 3339 time with offset") from None
    if moment.tzinfo is None:
        raise invalid("query.as_of", "the time needs a time zone offset")
    if not 1900 <= moment.year <= 2999:
        raise invalid("query.as_of", "the time must be between the years 1900 and 2999")
    return moment, None


@router.get("/cases/{case_id}/history", response_model=History, responses=ITEM_ERRORS,
            summary="The audit trail of a case; `as_of` gives the case as it stood then")
def history(
    request: Request,
    case_id: UUID,
    who: Reader,
    as_of: Annotated[str | None, Query(
        max_length=64,
        description="A version (`3`) or a recorded time (`2026-03-02T10:00:00+08:00`)"
    )] = None,
    min_position: MinPosition = None,
) -> Response:
    api = api_of(request)
    at, version = _as_of(as_of)
    _check_case(api, who, case_id)
    wait_for_views(api, min_position, "audit")
    try:
        state = api.views.as_of(case_id, at=at, version=version)
    except LookupError:
        raise Problem(404, "not-found", "Not found",
                      f"Case {case_id} had no events {'at' if at else 'up to'} {as_of}.") from None
    events, after = [], 0
    while True:  # a case has tens of events, not thousands: page through them all
        page = api.views.audit_for(case_id, after_position=after, limit=500)
        events += page.items
        if not page.next or not page.items:
            break
        after = page.items[-1]["position"]
    cutoff = state.get("version") if (at or version) else None
    if cutoff is not None:
        events = [e for e in events if e["version"] <= cutoff]
    return _json({"case_id": case_id, "as_of": as_of,
                  "state": authz.row_for_role(who.role, state, api.disclosure),
                  "events": _audit_rows(api, who, events)})


@router.get("/audit", response_model=AuditPage, responses=QUERY_ERRORS,
            summary="Everything one actor did, in a time range (recorded time)")
def audit(
    request: Request,
    who: Auditor,
    actor: Annotated[Line, Query(min_length=1, max_length=200)],
    since: Time | None = None,
    until: Time | None = None,
    after_position: Position = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    min_position: MinPosition = None,
) -> Response:
    api = api_of(request)
    wait_for_views(api, min_position, "audit")
    page = api.views.audit_by_actor(actor, since, until, after_position=after_position,
                                    limit=limit)
    return _json({"items": _audit_rows(api, who, list(page.items)), "total": page.total,
                  "next": page.next})


