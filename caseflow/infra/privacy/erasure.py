"""Erasure (crypto-shredding), the retention rule, and master key rotation: the operations
behind `caseflow privacy …`, on a bootstrapped container."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from caseflow.domain.errors import RuleViolation
from caseflow.infra.privacy.datakeys import DataKeyStore
from caseflow.infra.privacy.masterkey import MasterKeys
from caseflow.infra.privacy.sealing import Sealer
from caseflow.services.execution import Actor, CommandResult, Context

OPERATOR = Actor("privacy-cli", "operator")


def erase_case(
    container: Any, case_id: UUID, reason: str, actor: Actor = OPERATOR
) -> CommandResult | None:
    """Destroy the case's data key, then record `case.erased`. In that order: a crash between
    the two leaves the data erased and the record missing, and running it again records it.
    None when the case was recorded erased already and only its key was left to destroy."""
    sealer: Sealer = container.sealer
    case = container.app.case(case_id)  # NotFound for an unknown case
    if case.erased_at is not None and sealer.erased(case_id):
        raise RuleViolation(
            "The personal data of this case has been erased already.", "erased.once"
        )
    if sealer.keys.get(case_id) is None:  # stored before sealing: plain text, no key to destroy
        raise RuleViolation(
            f"Case {case_id} was stored before personal data was sealed: run `caseflow privacy "
            "encrypt-existing` first (nothing was erased).",
            "erased.unsealed",
        )
    if not reason.strip():  # checked before the key goes
        raise RuleViolation(
            "An erasure needs its reason (a request, the retention rule).", "erased.reason"
        )
    sealer.destroy(case_id)
    if case.erased_at is not None:
        return None
    ctx = Context(actor=actor, correlation_id=f"privacy-erase-{uuid4()}")
    return container.app.erase(ctx, case_id, reason=reason)


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def due_for_retention(log: Any, cutoff: datetime, batch: int = 5000) -> list[UUID]:
    """Cases closed (business time) before `cutoff` and not erased yet, from the log itself (no
    view lag can hide one)."""
    closed: dict[UUID, datetime] = {}
    erased: set[UUID] = set()
    after = 0
    while True:
        events = log.read(after, batch)
        if not events:
            break
        for e in events:
            if e.name == "case.closed":
                closed[e.aggregate_id] = e.occurred_at
            elif e.name == "case.erased":
                erased.add(e.aggregate_id)
        after = events[-1].position
    return sorted(
        (c for c, at in closed.items() if at < cutoff and c not in erased), key=lambda c: closed[c]
    )


@dataclass
class Rotation:
    rewrapped: int = 0
    current: int = 0  # already under the primary key
    erased: int = 0


def rotate_master_key(keys: DataKeyStore, master: MasterKeys, batch: int = 500) -> Rotation:
    """Rewrap every data key under the primary master key; events are not touched. Each row is
    replaced only if unchanged since read, so a concurrent erasure is never undone."""
    out, after = Rotation(), None
    while True:
        rows = keys.page(after, batch)
        if not rows:
            return out
        for row in rows:
            if row.wrapped is None or row.master_key_id is None:
                out.erased += 1
            elif row.master_key_id == master.primary_id:
                out.current += 1
            else:
                data_key = master.unwrap(row.master_key_id, row.wrapped, row.case_id)
                kid, wrapped = master.wrap(data_key, row.case_id)
                if keys.rewrap(row.case_id, row.wrapped, kid, wrapped):
                    out.rewrapped += 1
                else:
                    out.erased += 1
        after = rows[-1].case_id
