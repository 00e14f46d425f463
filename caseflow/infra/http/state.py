"""The adapters one API process holds, built in the app's lifespan and read by dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from caseflow.infra.auth import TokenBook
from caseflow.infra.bootstrap import Container
from caseflow.infra.devtokens import WithMinted
from caseflow.infra.http.executor import CommandExecutor
from caseflow.infra.http.metrics import Metrics
from caseflow.infra.http.ratelimit import PublicLimits
from caseflow.infra.http.stream import LogTail
from caseflow.infra.oidc import JwtVerifier
from caseflow.infra.settings import Settings
from caseflow.services.app import CaseflowApp
from caseflow.services.authz import OrgTree
from caseflow.services.public import WITHHOLD_ALL, Disclosure


@dataclass
class Api:
    container: Container
    tokens: TokenBook | WithMinted
    orgs: OrgTree
    metrics: Metrics
    tail: LogTail
    commands: CommandExecutor
    views: Any = None  # caseflow.infra.views.Views (queries, statuses, rebuild, wait_for)
    read_wait: float = 5.0  # seconds a query with min_position waits for the views
    keepalive: float = 15.0  # seconds between SSE keep-alive comments
    disclosure: Disclosure = WITHHOLD_ALL  # free text analysts and the feed may see
    jwt: JwtVerifier | None = None  # bearer JWTs from the identity provider, when configured
    public_limits: PublicLimits = field(default_factory=PublicLimits)  # query-code lookups
    # The threads event streams read the log in, apart from those of /health and the queries.
    stream_threads: Any = None  # anyio.CapacityLimiter (made on the event loop, in the lifespan)
    open_streams: int = 0  # in this process; CASEFLOW_MAX_STREAMS caps it
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def app(self) -> CaseflowApp:
        return self.container.app

    @property
    def log(self):  # noqa: ANN201 - EventLog
        return self.container.log

    @property
    def settings(self) -> Settings:
        return self.container.settings
