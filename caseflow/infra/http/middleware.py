"""Plain ASGI middleware (no per-request objects beyond what is needed): request ids, request
guards (body size, content type) and request metrics by route template."""

from __future__ import annotations

import re
import time
import uuid

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caseflow.infra.http.metrics import Metrics
from caseflow.infra.http.problems import problem_response
from caseflow.infra.logs import request_id

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class RequestGuard:
    """413 for bodies over `max_body_bytes` (declared or streamed), 415 for bodies that are not
    JSON. Runs before routing, so an oversized body is never read into memory."""

    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app, self.limit = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        try:
            length = int(declared) if declared is not None else None
        except ValueError:
            return await self._reject(
                scope,
                receive,
                send,
                400,
                "bad-request",
                "Bad request",
                "Content-Length is not a number.",
            )
        if length is not None and length > self.limit:
            return await self._too_large(scope, receive, send)
        has_body = (length or 0) > 0 or chunked
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if has_body and not _is_json(content_type):
            # A body without a content type is not taken as JSON either: say what to send.
            return await self._reject(
                scope,
                receive,
                send,
                415,
                "unsupported-media-type",
                "Unsupported media type",
                f"Send JSON (Content-Type: application/json), not {content_type[:100]!r}.",
            )
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # FastAPI re-raises HTTPExceptions from body reading; ours becomes a 413.
                    raise StarletteHTTPException(413, self._limit_text())
            return message

        await self.app(scope, counted, send)

    def _limit_text(self) -> str:
        return f"The request body is larger than the limit of {self.limit} bytes."

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._reject(
            scope, receive, send, 413, "content-too-large", "Content too large", self._limit_text()
        )

    async def _reject(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        slug: str,
        title: str,
        detail: str,
    ) -> None:
        response = problem_response(
            status, slug, title, detail, instance=scope.get("path"), headers={"Connection": "close"}
        )
        await response(scope, receive, send)


class MetricsMiddleware:
    """Counts requests and times them by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            # Unmatched paths share one label so that scanners cannot explode the series count.
            template = getattr(route, "path", None) or "<unmatched>"
            self.metrics.observe(scope["method"], template, status, time.perf_counter() - started)


REQUEST_ID = b"x-request-id"
_SAFE_ID = re.compile(rb"[\x21-\x7e]{1,200}")  # visible ASCII, as commands accept (deps.py)


class RequestId:
    """Every request gets an id, logged with each record logged while answering it and returned
    in `X-Request-ID`: the caller's own when it sent a well-formed one, else a new one (commands
    refuse a malformed one: it would have become their events' correlation id)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = next((v for k, v in scope["headers"] if k == REQUEST_ID), b"")
        rid = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID, rid)]
            await send(message)

        token = request_id.set(rid.decode())
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
