"""A live API (uvicorn on a free loopback port, projections running) on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from caseflow.infra.auth import Principal, TokenBook
from caseflow.infra.bootstrap import Container, bootstrap
from caseflow.infra.http import create_app
from caseflow.infra.settings import Settings
from caseflow.services.authz import Role
from tests.e2e.server import live


@dataclass
class Live:
    """A running server, its container and a client per token name."""

    url: str
    app: FastAPI
    container: Container
    tokens: dict[str, Principal]

    def client(self, who: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {who}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def grant(self, token: str, principal: Principal) -> None:
        """Add a token (scoped principals need orgs registered over HTTP first)."""
        self.tokens[token] = principal
        self.app.state.api.tokens = TokenBook(self.tokens)


@pytest.fixture
def live_api(backend_settings: Settings) -> Iterator[Live]:
    settings = backend_settings.model_copy(update={"max_body_bytes": 200_000})
    container = bootstrap(settings)
    tokens = {
        "operator": Principal("op-1", Role.OPERATOR),
        "supervisor": Principal("sup-1", Role.SUPERVISOR),
        "analyst": Principal("analyst-1", Role.ANALYST),
    }
    app = create_app(container, tokens=tokens, keepalive=0.3)
    try:
        with live(app) as url:
            yield Live(url, app, container, dict(tokens))
    finally:
        container.close()
