"""The adapters one API process holds, built in the app's lifespan and read by dependencies."""

from __future__ import annotations

import threading
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
    # Built on first use by routes_integrity.integrity_of (infra.integrity.service.Integrity).
    integrity: Any = None
    # Rebuilds asked over HTTP in this process (routes_ops): each one's state, its thread, and
    # the flag shutdown sets to stop them.
    rebuild_runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    rebuilds: dict[str, threading.Thread] = field(default_factory=dict)
    rebuild_stop: threading.Event = field(default_factory=threading.Event)

    @property
    def app(self) -> CaseflowApp:
        return self.container.app

    @property
    def log(self):  # noqa: ANN201 - EventLog
        return self.container.log

    @property
    def settings(self) -> Settings:
        return self.container.settings
