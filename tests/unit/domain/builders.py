"""Cases at a given point of their life, built through the domain's own commands (no I/O).

Times are local to the default deployment zone (Asia/Shanghai): `day(n)` is 10:00 on the n-th
calendar day after the petition was received on 1 March 2026.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from datetime import date, datetime, timedelta
from itertools import count
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from caseflow.domain.case import Case
from caseflow.domain.errors import DomainError
from caseflow.domain.policy import Policy
from caseflow.domain.values import (
    Category,
    Channel,
    Decision,
    LegalChannel,
    Meta,
    Outcome,
    Petitioner,
    ReviewOutcome,
    VisitMode,
)

POLICY = Policy()
TZ = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 3, 1, 10, 0, tzinfo=TZ)
UNIT, LEADER, SUPERIOR, NEXT_LEVEL = uuid4(), uuid4(), uuid4(), uuid4()
_requests = count(1)


def day(n: int, hour: int = 10, minute: int = 0) -> datetime:
    """Local time on the n-th calendar day after receipt (day 0 is the day of receipt)."""
    return RECEIVED.replace(hour=hour, minute=minute) + timedelta(days=n)


def local(d: int) -> date:
    return (RECEIVED + timedelta(days=d)).date()


def meta(
    at: datetime = RECEIVED,
    *,
    key: str | None = None,
    request_hash: str | None = None,
    actor: str = "clerk-1",
    role: str = "registrar",
) -> Meta:
    n = next(_requests)
    return Meta(
        actor_id=actor,
        actor_role=role,
        correlation_id=f"req-{n}",
        causation_id=f"cause-{n}",
        occurred_at=at,
        idempotency_key=key,
        request_hash=request_hash,
    )


def petitioners(n: int = 1) -> tuple[Petitioner, ...]:
    return tuple(
        Petitioner(
            name=f"测试-张{i}", id_number="000000TEST0000000" + str(i), phone=f"100-0000-{i:04d}"
        )
        for i in range(n)
    )


def receive(**overrides) -> Case:
    fields = dict(
        id=uuid4(),
        channel=Channel.LETTER,
        received_at=RECEIVED,
        receiving_org_id=UNIT,
        petitioners=petitioners(1),
        headcount=1,
        representatives=(),
        subject="拖欠工资",
        request="请求支付拖欠工资",
        region="测试县",
        registered_by="clerk-1",
        meta=meta(RECEIVED),
        policy=POLICY,
        category=None,
        prior_case_id=None,
    )
    fields.update(overrides)
    return Case.receive(**fields)


def screen(
    case: Case,
    decision: Decision = Decision.ACCEPT,
    at: datetime | None = None,
    prior_is_final: bool = False,
    **overrides,
) -> Case:
    fields = dict(
        decision=decision,
        category=Category.APPEAL,
        to_org_id=None,
        reason="",
        route_channel=None,
        notified_at=None,
        prior_is_final=prior_is_final,
        meta=meta(at or day(2)),
    )
    if decision is Decision.FORWARD:
        fields["to_org_id"] = SUPERIOR
    if decision is Decision.REJECT:
        fields["reason"] = "不属于信访事项"
    if decision is Decision.ROUTE:
        fields["route_channel"] = LegalChannel.LITIGATION
    fields.update(overrides)
    case.screen(**fields)
    return case


def assign(case: Case, at: datetime | None = None, **overrides) -> Case:
    fields = dict(
        unit_id=UNIT,
        leader_id=LEADER,
        handler_id="handler-1",
        instructions="依法办理",
        meta=meta(at or day(3)),
    )
    fields.update(overrides)
    case.assign(**fields)
    return case


def visit(
    case: Case,
    mode: VisitMode = VisitMode.RECEPTION,
    on: date | None = None,
    visitors: int = 1,
    at: datetime | None = None,
) -> Case:
    case.visit(
        leader_id=LEADER,
        mode=mode,
        visited_on=on or local(4),
        location="接待大厅",
        visitors=visitors,
        resolved_on_site=False,
        meta=meta(at or day(4)),
        policy=POLICY,
    )
    return case


def extend(case: Case, days: int, approved_by: str = "主任", at: datetime | None = None) -> Case:
    case.extend(
        days=days,
        reason="情况复杂",
        approved_by=approved_by,
        meta=meta(at or day(50)),
        policy=POLICY,
    )
    return case


def resolve(case: Case, served_at: datetime | None = None) -> Case:
    served_at = served_at or day(20)
    case.resolve(
        outcome=Outcome.SUPPORTED, reply="予以支持", served_at=served_at, meta=meta(served_at)
    )
    return case


def request_review(case: Case, at: datetime) -> Case:
    case.request_review(
        to_org_id=SUPERIOR, above=(SUPERIOR,), reason="不服", meta=meta(at), policy=POLICY
    )
    return case


def review(case: Case, served_at: datetime) -> Case:
    case.review(
        outcome=ReviewOutcome.UPHELD, reply="维持", served_at=served_at, meta=meta(served_at)
    )
    return case


def request_recheck(case: Case, at: datetime) -> Case:
    case.request_recheck(
        to_org_id=NEXT_LEVEL, above=(NEXT_LEVEL,), reason="仍不服", meta=meta(at), policy=POLICY
    )
    return case


def recheck(case: Case, served_at: datetime) -> Case:
    case.recheck(
        outcome=ReviewOutcome.UPHELD, reply="维持", served_at=served_at, meta=meta(served_at)
    )
    return case


def close(case: Case, at: datetime, waived: bool = False) -> Case:
    case.close(reason="办结销号", waived=waived, meta=meta(at), policy=POLICY)
    return case


# ---- cases at a stage (resolved on day 20, reviewed on day 40, re-checked on day 60)


def accepted() -> Case:
    return screen(receive())


def assigned() -> Case:
    return assign(accepted())


def resolved() -> Case:
    return resolve(assigned(), day(20))


def review_requested() -> Case:
    return request_review(resolved(), day(25))


def reviewed() -> Case:
    return review(review_requested(), day(40))


def recheck_requested() -> Case:
    return request_recheck(reviewed(), day(45))


def rechecked() -> Case:
    return recheck(recheck_requested(), day(60))


def refused(case: Case, error: type[DomainError], rule: str, command: Callable[[], object]) -> str:
    """Run `command`, expect `error` naming `rule`, and check it changed nothing; the message."""
    before = (case.version, len(case.pending_events), deepcopy(vars(case)))
    with pytest.raises(error) as caught:
        command()
    assert caught.value.rule == rule
    assert (case.version, len(case.pending_events), vars(case)) == before
    return str(caught.value)
