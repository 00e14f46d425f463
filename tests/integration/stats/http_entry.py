"""The scripted history entered over HTTP: an adapter with the `CaseflowApp` methods that
`scenario.run` calls, posting each case command with its business time in the request body (as
an office typing up its paper register would). Orgs and leaders are set up through the service
layer (their dates belong to another issue: leaders' terms of office)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from uuid import UUID

import orjson
from fastapi.testclient import TestClient

from caseflow.infra.auth import Principal
from caseflow.infra.bootstrap import Container
from caseflow.infra.http import create_app
from caseflow.services.app import Context
from caseflow.services.authz import Role

TOKEN = "backlog-clerk"


class HttpEntry:
    def __init__(self, container: Container):
        self.container, self.app = container, container.app
        self.client: TestClient | None = None

    def register_org(self, ctx: Context, **fields: Any) -> Any:
        result = self.app.register_org(ctx, **fields)
        if fields.get("parent_id") is None and self.client is None:
            # A handler of the root office: may act on every case below it.
            principal = Principal("clerk-001", Role.HANDLER, result.id)
            app = create_app(self.container, tokens={TOKEN: principal}, background=False)
            self.client = TestClient(app, raise_server_exceptions=True).__enter__()
        return result

    def register_leader(self, ctx: Context, **fields: Any) -> Any:
        return self.app.register_leader(ctx, **fields)

    def close(self) -> None:
        if self.client is not None:
            self.client.__exit__(None, None, None)

    def _post(self, path: str, ctx: Context, body: dict, at_field: str | None = None) -> Any:
        if at_field is not None and ctx.occurred_at is not None:
            body = body | {at_field: ctx.occurred_at}
        assert self.client is not None
        r = self.client.post(
            path,
            content=orjson.dumps(body),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        assert r.status_code in (200, 201), r.text
        return SimpleNamespace(id=UUID(r.json()["id"]))

    def receive(self, ctx: Context, **fields: Any) -> Any:
        return self._post("/cases", ctx, fields)

    def screen(self, ctx: Context, case: UUID, **fields: Any) -> Any:
        return self._post(f"/cases/{case}/screening", ctx, fields, "decided_at")

    def assign(self, ctx: Context, case: UUID, **fields: Any) -> Any:
        return self._post(f"/cases/{case}/assignment", ctx, fields, "assigned_at")

    def visit(self, ctx: Context, case: UUID, **fields: Any) -> Any:
        return self._post(f"/cases/{case}/visits", ctx, fields)

    def extend(self, ctx: Context, case: UUID, **fields: Any) -> Any:
        return self._post(f"/cases/{case}/extensions", ctx, fields, "approved_at")

    def resolve(self, ctx: Context, case: UUID, **fields: Any) -> Any:
        return self._post(f"/cases/{case}/resolution", ctx, fields)

    def evaluate(self, ctx: Context, case: UUID, **fields: Any) -> Any:
        return self._post(f"/cases/{case}/evaluations", ctx, fields, "evaluated_at")

    def request_review(self, ctx: Context, case: UUID, **fields: Any) -> Any:
        return self._post(f"/cases/{case}/review-requests", ctx, fields, "requested_at")

    def close_case(self, ctx: Context, case: UUID, **fields: Any) -> Any:
        return self._post(f"/cases/{case}/closure", ctx, fields, "closed_at")
