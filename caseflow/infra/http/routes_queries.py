"""Queries over the views: cases, a case's history (and time travel), the audit trail.

Every query takes `min_position` (read-your-writes): it waits up to `read_wait` seconds until the
views it reads have processed that position. A position beyond the log's head is a 422; views
that do not get there in time give a 503 with Retry-After (they are stuck or far behind: retrying
is the client's call, stale data is never passed off as fresh).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from caseflow.domain.case import Case
from caseflow.domain.values import Category, Channel, Decision, Status, SupervisionLevel
from caseflow.infra.auth import Principal
from caseflow.infra.http.deps import api_of, check_case, permit
from caseflow.infra.http.openapi import ITEM_ERRORS, QUERY_ERRORS
from caseflow.infra.http.problems import Problem, invalid
from caseflow.infra.http.queries_models import AuditPage, CaseDetail, CasePage, History
from caseflow.infra.http.routes_integrity import with_chainhashes
from caseflow.infra.http.state import Api
from caseflow.infra.http.types import Day, Line, Position, Time
from caseflow.infra.privacy.wiring import open_payload
from caseflow.projections.queries import AuditQuery
from caseflow.services import authz
from caseflow.services.authz import Action

router = APIRouter(tags=["queries"])
MinPosition = Annotated[
    Position | None,
    Query(description="Wait (up to 5 s) until the views have processed this log position"),
]
Reader = Annotated[Principal, Depends(permit(Action.READ_CASES))]
Auditor = Annotated[Principal, Depends(permit(Action.READ_AUDIT))]


def _json(body: Any) -> Response:
    return Response(
        orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), media_type="application/json"
    )


def wait_for_views(api: Api, min_position: int | None, *names: str) -> None:
    """Read-your-writes: block until `names` have processed `min_position` (bounded)."""
    if min_position is None or min_position == 0:
        return
    head = api.log.head()
    if min_position > head:
        raise invalid(
            "query.min_position", f"{min_position} is beyond the newest event in the log ({head})"
        )
    if api.views is None or not api.views.wait_for(
        min_position, timeout=api.read_wait, names=names
    ):
        raise Problem(
            503,
            "views-behind",
            "Views are behind",
            f"The views ({', '.join(names)}) did not reach position {min_position} "
            f"within {api.read_wait:g} s; retry shortly.",
            headers={"Retry-After": "1"},
            min_position=min_position,
        )


def _audit_rows(api: Api, who: Principal, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = with_chainhashes(api, rows)
    if authz.sees_personal_data(who.role):  # sealed personal fields opened on the way out
        sealer = api.container.sealer
        return [
            r
            if not r.get("payload") or "sealed" not in r["payload"]
            else {
                **r,
                "payload": open_payload(
                    sealer, r["aggregate_id"], r["version"], r["event"], r["payload"]
                ),
            }
            for r in rows
        ]
    return [
        {
            **r,
            "payload": authz.event_for_role(
                who.role, r["event"], r.get("payload") or {}, api.disclosure
            ),
        }
        for r in rows
    ]


@router.get(
    "/cases",
    response_model=CasePage,
    responses=QUERY_ERRORS,
    summary="Cases (the case_status view), filtered and paged",
)
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
    repeat: Annotated[bool | None, Query(description="Names a prior case")] = None,
    collective: Annotated[bool | None, Query(description="Collective petition")] = None,
    supervision: Annotated[bool | None, Query(description="Oversight (督办) open")] = None,
    supervision_level: SupervisionLevel | None = None,
    decision: Annotated[Decision | None, Query(description="The screening decision")] = None,
    inbox: Annotated[
        bool,
        Query(
            description=(
                "Work sent to your office that awaits it: forwarded (转送) to it and not yet "
                "screened or assigned by it, or assigned to it as the unit and not yet resolved "
                "(`org` names the office for callers without one)"
            )
        ),
    ] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    after: Annotated[
        str | None, Query(max_length=200, description="`next` of the last page")
    ] = None,
    min_position: MinPosition = None,
) -> Response:
    """Handlers, leaders and registrars see the cases received by or assigned to their own org
    and the orgs below it; the cases forwarded to their office are in its inbox."""
    from caseflow.infra.views import CaseQuery

    api = api_of(request)
    wait_for_views(api, min_position, "case_status")
    scoped = who.role in authz.ORG_SCOPED
    if scoped and who.org_id is None:
        return _json({"items": [], "total": 0, "next": None})
    inbox_of = None
    if inbox:
        inbox_of = who.org_id if scoped else org
        if inbox_of is None:
            raise invalid("query.org", "inbox=true needs the office: org=<uuid>")
        if not scoped:
            org = None  # it named the office whose inbox this is, not a receiving org
    query = CaseQuery(
        status=status,
        org_id=org,
        unit_id=unit,
        leader_id=leader,
        handler_id=handler,
        repeat=repeat,
        collective=collective,
        supervised=supervision,
        supervision_level=supervision_level,
        decision=decision,
        inbox_of=inbox_of,
        category=category,
        channel=channel,
        overdue=overdue,
        received_from=received_from,
        # the inbox is the office's own: no subtree bound besides it
        received_to=received_to,
        within_org=who.org_id if scoped and not inbox else None,
        limit=limit,
        offset=offset,
        after=after,
        not_accusing_orgs=_with_pseudonyms(
            api, api.orgs.ancestry(who.org_id) if who.org_id else ()
        ),
        not_accusing_leaders=_with_pseudonyms(api, _one(authz.as_leader(who.actor))),
    )
    try:
        page = api.views.cases(query)
    except ValueError as e:
        raise invalid("query.after", str(e)) from None
    items = (
        page.items
        if authz.sees_personal_data(who.role)
        else [authz.row_for_role(who.role, row, api.disclosure) for row in page.items]
    )
    return _json(
        {
            "items": items,
            "total": page.total,
            "total_capped": bool(page.extra.get("total_capped")),
            "next": page.next,
        }
    )


@router.get(
    "/cases/{case_id}",
    response_model=CaseDetail,
    responses=ITEM_ERRORS,
    summary="One case: status, clocks (and the petition, for roles that may see it)",
)
def get_case(
    request: Request, case_id: UUID, who: Reader, min_position: MinPosition = None
) -> Response:
    api = api_of(request)
    check_case(api, who, case_id)
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
    return Response(
        orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS),
        media_type="application/json",
        headers={"ETag": f'"{row["version"]}"'},
    )


def _petition(api: Api, case_id: UUID) -> dict[str, Any] | None:
    # From the log itself (the case's first event), not from a view: `min_position` waits for
    # case_status only, and the petition must never be missing because another view lags.
    received = next(iter(api.app.events.get(case_id, lte=1)), None)
    if not isinstance(received, Case.Received):
        return None
    sealer = api.container.sealer
    return {
        "petitioners": [asdict(p) for p in received.petitioners],
        "representatives": list(received.representatives),
        "request": received.request or "",
        "erased": sealer.erased(case_id),
    }


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


@router.get(
    "/cases/{case_id}/history",
    response_model=History,
    responses=ITEM_ERRORS,
    summary="The audit trail of a case; `as_of` gives the case as it stood then",
)
def history(
    request: Request,
    case_id: UUID,
    who: Reader,
    as_of: Annotated[
        str | None,
        Query(
            max_length=64,
            description="A version (`3`) or a time (`2026-03-02T10:00:00+08:00`), recorded or "
            "business as `by` says",
        ),
    ] = None,
    after_position: Annotated[Position, Query(description="`next` of the last page")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="Events per page")] = 500,
    by: Annotated[
        Literal["recorded", "business"],
        Query(
            description="`recorded`: as the office knew it then; `business`: as it stood in the "
            "world then (back-dated entries counted at their business time)"
        ),
    ] = "recorded",
    min_position: MinPosition = None,
) -> Response:
    api = api_of(request)
    at, version = _as_of(as_of)
    check_case(api, who, case_id)
    wait_for_views(api, min_position, "audit")
    try:
        state = api.views.as_of(case_id, at=at, version=version, by=by)
    except LookupError:
        raise Problem(
            404,
            "not-found",
            "Not found",
            f"Case {case_id} had no events {'at' if at else 'up to'} {as_of}.",
        ) from None
    page = api.views.audit_for(case_id, after_position=after_position, limit=limit)
    events, nxt = list(page.items), page.next
    cutoff = state.get("version") if (at or version) else None
    if cutoff is not None:
        if any(e["version"] > cutoff for e in events):
            nxt = None  # the rest came after the moment asked for
        events = [e for e in events if e["version"] <= cutoff]
    return _json(
        {
            "case_id": case_id,
            "as_of": as_of,
            "state": authz.row_for_role(who.role, state, api.disclosure),
            "events": _audit_rows(api, who, events),
            "next": nxt,
        }
    )


@router.get(
    "/audit",
    response_model=AuditPage,
    responses=QUERY_ERRORS,
    summary="What an actor did, or what happened in an org's subtree, in a time range",
)
def audit(
    request: Request,
    who: Auditor,
    actor: Annotated[Line | None, Query(min_length=1, max_length=200)] = None,
    org: Annotated[
        UUID | None,
        Query(
            description="Events of the cases of this org and the orgs below it (receiving org, "
            "forwarded to, or unit), and of those orgs themselves"
        ),
    ] = None,
    since: Annotated[Time | None, Query(description="Recorded time, inclusive")] = None,
    until: Annotated[Time | None, Query(description="Recorded time, exclusive")] = None,
    after_position: Position = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    min_position: MinPosition = None,
) -> Response:
    api = api_of(request)
    if actor is None and org is None:
        raise invalid("query.actor", "name an actor, an org (org=<uuid>), or both")
    wait_for_views(api, min_position, "audit", "case_status")
    page = api.views.audit(
        AuditQuery(
            actor_id=actor,
            within_org=org,
            since=since,
            until=until,
            after_position=after_position,
            limit=limit,
        )
    )
    return _json(
        {"items": _audit_rows(api, who, list(page.items)), "total": page.total, "next": page.next}
    )


def _with_pseudonyms(api: Api, ids: Iterable[UUID]) -> tuple[UUID, ...]:
    """`ids` and the keyed pseudonyms the store keeps for them in accusations."""
    given = tuple(ids)
    return given + api.container.sealer.pseudonyms(given)


def _one(id: UUID | None) -> tuple[UUID, ...]:
    return () if id is None else (id,)
