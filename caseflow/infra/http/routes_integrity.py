"""The tamper-evident record over HTTP (docs/integrity.md): the chain's state for supervisors and
operators, one case's events with their links and the checkpoint that covers them, and what
`/health` and `/metrics` say about the last verification."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from prometheus_client.core import GaugeMetricFamily
from pydantic import BaseModel, Field
from starlette.responses import Response

from caseflow.infra.auth import Principal
from caseflow.infra.http.deps import api_of, check_case, permit
from caseflow.infra.http.openapi import ITEM_ERRORS, QUERY_ERRORS
from caseflow.infra.http.responses import json_response
from caseflow.infra.http.state import Api
from caseflow.infra.integrity.checkpoints import Checkpoint
from caseflow.infra.integrity.service import Integrity
from caseflow.infra.integrity.store import chain_store
from caseflow.services.authz import Action

router = APIRouter(tags=["integrity"])


class CheckpointOut(BaseModel):
    position: int
    chainhash: str = Field(description="hex")
    time: str
    key_id: str
    signature: str = Field(description="Ed25519, base64")


class IntegrityStatus(BaseModel):
    head: dict[str, Any] = Field(description="events_head, chain position and chainhash (hex)")
    last_verification: dict[str, Any] | None
    last_checkpoint: CheckpointOut | None


class CaseLink(BaseModel):
    position: int
    version: int
    topic: str
    state: str = Field(description="the stored bytes, base64 (personal data included)")
    prev_position: int | None
    prev_chainhash: str | None = Field(description="hex; the link this one follows")
    chainhash: str | None = Field(description="hex; null: the event is not in the chain")


class CaseIntegrity(BaseModel):
    case_id: UUID
    events: list[CaseLink]
    checkpoint: CheckpointOut | None = Field(
        description="the oldest signed checkpoint at or after the case's last event"
    )


def integrity_of(api: Api) -> Integrity:
    found: Integrity | None = api.integrity
    if found is None:
        found = api.integrity = Integrity(api.container.settings, chain_store(api.app.recorder))
    return found


def _checkpoint(cp: Checkpoint | None) -> dict[str, Any] | None:
    if cp is None:
        return None
    return {
        "position": cp.position,
        "chainhash": cp.chainhash.hex(),
        "time": cp.time,
        "key_id": cp.key_id,
        "signature": base64.b64encode(cp.signature).decode(),
    }


@router.get(
    "/admin/integrity",
    response_model=IntegrityStatus,
    responses=QUERY_ERRORS,
    summary="The chain's head, the last verification and the last signed checkpoint",
)
def status(
    request: Request, _who: Annotated[Principal, Depends(permit(Action.READ_INTEGRITY))]
) -> Response:
    integrity = integrity_of(api_of(request))
    events_head, head = integrity.heads()
    return json_response(
        {
            "head": {
                "events_head": events_head,
                "position": head.position,
                "chainhash": head.chainhash.hex(),
            },
            "last_verification": integrity.last_verification(),
            "last_checkpoint": _checkpoint(integrity.last_checkpoint()),
        }
    )


@router.get(
    "/cases/{case_id}/integrity",
    response_model=CaseIntegrity,
    responses=ITEM_ERRORS,
    summary="A case's stored events with their chain links, for an offline check",
)
def case_integrity(
    request: Request,
    case_id: UUID,
    who: Annotated[Principal, Depends(permit(Action.READ_CASE_INTEGRITY))],
) -> Response:
    """The stored bytes are the record as written, personal data included: only roles that see
    personal data, within their orgs. `docs/integrity.md` has a script that checks the answer."""
    api = api_of(request)
    check_case(api, who, case_id)
    integrity = integrity_of(api)
    rows = integrity.store.aggregate_rows(case_id)
    last = max((r.position for r, _, _ in rows), default=0)
    covering = integrity.dir.first_covering(last)
    return json_response(
        {
            "case_id": case_id,
            "events": [
                {
                    "position": r.position,
                    "version": r.version,
                    "topic": r.topic,
                    "state": base64.b64encode(r.state).decode(),
                    "prev_position": link.prev_position if link else None,
                    "prev_chainhash": prev.hex() if prev is not None else None,
                    "chainhash": link.chainhash.hex() if link else None,
                }
                for r, link, prev in rows
            ],
            "checkpoint": _checkpoint(covering),
        }
    )


def with_chainhashes(api: Api, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit rows, each with its event's chain link (hex), read from the chain as it is now."""
    if not rows:
        return rows
    found = integrity_of(api).store.hashes_at([r["position"] for r in rows])
    return [
        {**r, "chainhash": found[r["position"]].hex() if r["position"] in found else None}
        for r in rows
    ]


def verification_failed(api: Api) -> bool | None:
    """True when the last recorded verification found a break (None: none recorded)."""
    last = integrity_of(api).last_verification()
    return None if last is None else not last.get("intact", False)


class _IntegrityGauges:
    def __init__(self, api: Api):
        self.api = api

    def collect(self) -> Iterable[GaugeMetricFamily]:
        failed = verification_failed(self.api)
        if failed is not None:
            yield GaugeMetricFamily(
                "caseflow_integrity_verification_failed",
                "1 when the last `audit verify` found a break",
                value=int(failed),
            )


def watch(api: Api) -> None:
    """Export the last verification's outcome on /metrics."""
    api.metrics.watch(_IntegrityGauges(api))
