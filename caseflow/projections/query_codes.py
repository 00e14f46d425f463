"""`query_codes`: a petitioner's query code digest → their case, for the public lookup. Only the
digest is ever stored (in the `case.received` event and here); the code itself never is."""

from __future__ import annotations

from collections.abc import Sequence

from caseflow.domain.policy import Policy
from caseflow.projections.base import Column, Projection, Rows, Table
from caseflow.projections.source import LoggedEvent

QUERY_CODES = Table(
    "query_codes",
    (
        Column("code_hash", "text"),
        Column("case_id", "uuid"),
    ),
    key=("code_hash",),
)


class QueryCodes(Projection):
    name = "query_codes"
    tables = (QUERY_CODES,)
    interests = frozenset({"case.received"})

    def __init__(self, policy: Policy | None = None):
        self.policy = policy

    def handle(self, events: Sequence[LoggedEvent], rows: Rows) -> None:
        for e in events:
            code_hash = e.data.get("query_code_hash")
            if code_hash:  # registrations before query codes existed have none
                rows.put("query_codes", {"code_hash": code_hash, "case_id": e.aggregate_id})
