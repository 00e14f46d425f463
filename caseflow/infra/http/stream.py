"""Server-sent events over the public event feed.

One `LogTail` per process watches the log head in a single thread and wakes every open stream
(asyncio), so a hundred idle clients cost one poller, not a hundred. `EventStream` is an ASGI
response that listens for the client's disconnect itself and cancels the generator, whatever ASGI
version the server speaks, so a closed tab never leaves a generator behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable

import anyio
import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from caseflow.projections.source import EventSource
from caseflow.services.public import Disclosure, structured

BATCH = 200


class LogTail:
    """Wakes asyncio waiters when the log grows; the watching thread runs only while needed."""

    def __init__(self, log: EventSource, check_every: float = 0.25):
        self.log, self.check_every = log, check_every
        self.head = 0
        self._changed: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        self._loop, self._changed = asyncio.get_running_loop(), asyncio.Event()
        self._thread = threading.Thread(target=self._watch, name="caseflow-log-tail", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                head = self.log.head()
                if head == self.head:
                    self.log.wait(head, self.check_every)
                    head = self.log.head()
            except Exception:  # the store may be briefly unreachable: streams just wait longer
                self._stop.wait(self.check_every)
                continue
            if head != self.head and self._loop is not None:
                self.head = head
                with contextlib.suppress(RuntimeError):  # loop already closed at shutdown
                    self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        assert self._changed is not None
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_past(self, after: int, timeout: float) -> bool:
        """True once the log is known to have an event past `after`; False after `timeout`."""
        self._ensure_started()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            assert self._changed is not None
            changed = self._changed  # taken before the check, so no wake-up is missed
            if self.head > after:
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def sse_frame(event_id: int, event_type: str, data: bytes) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event_id, event_type.encode(), data)


async def public_events(log: EventSource, tail: LogTail, after: int, source: str,
                        keepalive: float, disclosure: Disclosure) -> AsyncIterator[bytes]:
    """SSE frames of every event after `after`, forever; a comment every `keepalive` seconds
    while nothing happens, so proxies keep the connection and dead clients are noticed."""
    yield b"retry: 3000\n\n"
    position = after
    while True:
        batch = await anyio.to_thread.run_sync(log.read, position, BATCH)
        for event in batch:
            envelope = structured(event, source, disclosure)
            yield sse_frame(event.position, envelope["type"], orjson.dumps(envelope))
            position = event.position
        if len(batch) < BATCH and not await tail.wait_past(position, keepalive):
            yield b": keep-alive\n\n"


class EventStream(Response):
    """A `text/event-stream` response that ends its generator when the client goes away."""

    media_type = "text/event-stream"

    def __init__(self, frames: AsyncIterator[bytes], on_close: Callable[[], None] | None = None,
                 headers: dict[str, str] | None = None):
        # A Response subclass so that FastAPI passes it through untouched; it streams itself.
        self.status_code, self.background = 200, None
        self.frames, self.on_close, self.extra_headers = frames, on_close, headers or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/event-stream; charset=utf-8"),
                   (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]
        headers += [(k.lower().encode(), v.encode()) for k, v in self.extra_headers.items()]
        try:
            async with anyio.create_task_group() as tg:

                async def stream() -> None:
                    await send({"type": "http.response.start", "status": 200,
                                "headers": headers})
                    async for frame in self.frames:
                        await send({"type": "http.response.body", "body": frame,
                                    "more_body": True})

                async def until_disconnect() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    tg.cancel_scope.cancel()

                tg.start_soon(until_disconnect)
                await stream()
                tg.cancel_scope.cancel()
        except OSError:
            pass  # the client went away mid-write
        finally:
            await _aclose(self.frames)
            if self.on_close is not None:
                self.on_close()


async def _aclose(frames: AsyncIterator[bytes]) -> None:
    aclose = getattr(frames, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()
