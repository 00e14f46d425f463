"""Statistics: leaders' reception work (leader_stats) and org KPIs (kpis), per period.

Aggregates carry no personal data, and they are not org-scoped: a leader compares with peers,
a supervisor and an analyst see every org (see `services/authz.py`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from caseflow.domain.errors import InvalidInput
from caseflow.domain.values import OrgLevel
from caseflow.infra.auth import Principal
from caseflow.infra.http.deps import api_of, permit
from caseflow.infra.http.openapi import ITEM_ERRORS, QUERY_ERRORS
from caseflow.infra.http.problems import Problem, invalid
from caseflow.infra.http.routes_queries import MinPosition, wait_for_views
from caseflow.infra.http.state import Api
from caseflow.services.authz import Action

router = APIRouter(tags=["statistics"])
Stats = Annotated[Principal, Depends(permit(Action.READ_STATISTICS))]
PERIOD = r"^\d{4}(-W\d{2}|-\d{2}|-Q\d|-H\d)?$"
Period = Annotated[
    str | None,
    Query(
        pattern=PERIOD,
        max_length=8,
        description="2026-W09 (ISO week), 2026-03 (month), 2026-Q1, 2026-H1 or 2026; "
        "default: the current month",
    ),
]
Kind = Literal["week", "month", "quarter", "half_year", "year"]
Compliance = Literal["compliant", "non_compliant", "pending", "not_due", "not_applicable"]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class LeaderStatistics(Open):
    leader: dict[str, Any]
    period: dict[str, str]
    counts: dict[str, int]
    rates: dict[str, Any]
    compliance: dict[str, Any] = Field(description="Reception frequency against the quota")
    breakdown: list[dict[str, Any]] | None = None


class LeaderPage(BaseModel):
    items: list[LeaderStatistics]
    total: int
    next: int | None = Field(None, description="`offset` of the next page")


class OrgKpis(Open):
    org: dict[str, Any]
    period: dict[str, str]
    own: dict[str, Any] = Field(description="Cases this org received or handled")
    subtree: dict[str, Any] = Field(description="This org and every org below it")


class KpiPage(BaseModel):
    items: list[OrgKpis]
    total: int
    next: int | None = None


def _json(body: Any) -> Response:
    return Response(
        orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), media_type="application/json"
    )


def _reader(api: Api) -> Any:
    from caseflow.infra.views.stats_read import Reader

    return Reader(api.views.queries.d, api.views.queries.reading)  # the API's one read path


def _period(api: Api, period: str | None) -> str:
    if period:
        return period
    from caseflow.projections import periods

    return periods.key_of("month", api.app.policy.local_date(api.app.clock()))


def _today(api: Api):  # noqa: ANN202 - date
    return api.app.policy.local_date(api.app.clock())


def _answer(call) -> Any:  # noqa: ANN001
    try:
        return call()
    except InvalidInput as e:
        raise invalid(f"query.{e.field}", str(e)) from None


@router.get(
    "/leaders/{leader_id}/statistics",
    response_model=LeaderStatistics,
    responses=ITEM_ERRORS,
    summary="One leader's reception work in a period",
)
def leader_statistics(
    request: Request,
    leader_id: UUID,
    _who: Stats,
    period: Period = None,
    breakdown: Annotated[Kind | None, Query(description="Add each finer period's counts")] = None,
    min_position: MinPosition = None,
) -> Response:
    """Reception days, batches (批次), person-times (人次), cases owned (包案) and resolved (on
    time, on site), satisfaction, and compliance with the reception quota of the leader's level."""
    from caseflow.infra.views.leader_stats_sql import leader_statistics as query

    api = api_of(request)
    wait_for_views(api, min_position, "leader_stats")
    item = _answer(
        lambda: query(
            _reader(api),
            leader_id,
            _period(api, period),
            today=_today(api),
            policy=api.app.policy,
            breakdown=breakdown,
        )
    )
    if item is None:
        raise Problem(404, "not-found", "Not found", f"No leader with id {leader_id}.")
    return _json(item)


@router.get(
    "/statistics/leaders",
    response_model=LeaderPage,
    responses=QUERY_ERRORS,
    summary="Every leader's reception work in a period, filtered, sorted and paged",
)
def leaders_statistics(
    request: Request,
    _who: Stats,
    period: Period = None,
    org: Annotated[UUID | None, Query(description="Leaders of this org and below")] = None,
    level: OrgLevel | None = None,
    compliance: Compliance | None = None,
    sort: Annotated[
        str, Query(max_length=40, description="name or a count column")
    ] = "person_times",
    descending: bool = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    min_position: MinPosition = None,
) -> Response:
    from caseflow.infra.views.leader_stats_sql import leaders_statistics as query

    api = api_of(request)
    wait_for_views(api, min_position, "leader_stats")
    page = _answer(
        lambda: query(
            _reader(api),
            _period(api, period),
            today=_today(api),
            policy=api.app.policy,
            org_id=org,
            level=level,
            compliance=compliance,
            sort=sort,
            descending=descending,
            limit=limit,
            offset=offset,
        )
    )
    return _json({"items": page.items, "total": page.total, "next": page.next})


@router.get(
    "/statistics/kpis",
    response_model=KpiPage,
    responses=ITEM_ERRORS,
    summary="Org KPIs in a period: one org, or orgs side by side",
)
def kpis(
    request: Request,
    _who: Stats,
    period: Period = None,
    org: Annotated[
        UUID | None, Query(description="Just this org (its own and subtree figures)")
    ] = None,
    parent: Annotated[
        UUID | None,
        Query(
            description="The orgs directly below this one "
            "(or, with `level`, all of that level below it)"
        ),
    ] = None,
    level: OrgLevel | None = None,
    sort: Annotated[str, Query(max_length=40, description="name, a rate or a count")] = "name",
    scope: Literal["subtree", "own"] = "subtree",
    descending: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    min_position: MinPosition = None,
) -> Response:
    """及时受理率, 按期办结率, 参评率, 满意率, 重复信访率, 一次性化解率: each as numerator,
    denominator and ratio, so that roll-ups stay exact. Without `org`, `parent` or `level`: the
    top-level orgs."""
    from caseflow.infra.views.kpis_sql import kpis_by_org, org_kpis

    api = api_of(request)
    wait_for_views(api, min_position, "kpis")
    key = _period(api, period)
    if org is not None:
        item = _answer(lambda: org_kpis(_reader(api), org, key, today=_today(api)))
        if item is None:
            raise Problem(404, "not-found", "Not found", f"No org with id {org}.")
        return _json({"items": [item], "total": 1, "next": None})
    page = _answer(
        lambda: kpis_by_org(
            _reader(api),
            key,
            parent_id=parent,
            level=level,
            sort=sort,
            scope=scope,
            descending=descending,
            limit=limit,
            offset=offset,
            today=_today(api),
        )
    )
    return _json({"items": page.items, "total": page.total, "next": page.next})
