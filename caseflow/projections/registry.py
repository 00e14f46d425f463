"""The registered projections, by name. Add yours with one line: name → "module:Class".

Every class is constructed as `Class(policy)` (the deployment's `Policy`: time zone, limits).
The order is the order `projections status` lists them and `rebuild` (all) feeds them.
"""

from __future__ import annotations

import importlib

from caseflow.domain.policy import Policy
from caseflow.projections.base import Projection

REGISTRY: dict[str, str] = {
    "directory": "caseflow.projections.directory:Directory",
    "case_status": "caseflow.projections.case_status:CaseStatus",
    "audit": "caseflow.projections.audit:Audit",
    "leader_stats": "caseflow.projections.leader_stats:LeaderStats",
    "kpis": "caseflow.projections.kpis:Kpis",
    "query_codes": "caseflow.projections.query_codes:QueryCodes",
}


class UnknownProjection(KeyError):
    def __str__(self) -> str:
        return f"no projection named {self.args[0]!r}; known: {', '.join(REGISTRY)}"


def names() -> list[str]:
    return list(REGISTRY)


def build(policy: Policy, only: list[str] | None = None) -> list[Projection]:
    """Instantiate the registered projections (or the named ones, in registry order)."""
    for name in only or ():
        if name not in REGISTRY:
            raise UnknownProjection(name)
    out = []
    for name, target in REGISTRY.items():
        if only and name not in only:
            continue
        module, _, cls = target.partition(":")
        out.append(getattr(importlib.import_module(module), cls)(policy))
    return out
