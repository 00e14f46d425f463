"""Server-sent events over the public event feed.

One `LogTail` per process watches the log head in a single thread and wakes every open stream
(asyncio), so a hundred idle clients cost one poller, not a hundred. The response is
sse-starlette's `EventSourceResponse`: it ends a stream when its client goes away, and every
stream as soon as uvicorn is asked to stop (so a server with streams open stops at once instead of
waiting out its graceful-shutdown timeout and cancelling them).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable

import anyio
import orjson
from sse_starlette import EventSourceResponse, ServerSentEvent
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


def _frames_after(
    log: EventSource, position: int, source: str, disclosure: Disclosure, schema_base: str | None
) -> tuple[bytes, int, int]:
    """The next batch as SSE bytes, its last position and its size (runs in a worker thread:
    the read and the encoding stay off the event loop)."""
    batch = log.read(position, BATCH)
    frames = []
    for event in batch:
        envelope = structured(event, source, disclosure, schema_base)
        frames.append(sse_frame(event.position, envelope["type"], orjson.dumps(envelope)))
    return b"".join(frames), batch[-1].position if batch else position, len(batch)


async def public_events(
    log: EventSource,
    tail: LogTail,
    after: int,
    source: str,
    wait: float,
    disclosure: Disclosure,
    limiter: anyio.CapacityLimiter | None = None,
    schema_base: str | None = None,
) -> AsyncIterator[bytes]:
    """SSE frames of every event after `after`, forever. Reads run in the threads of `limiter`
    (the streams' own), so that streams catching up cannot take the threads `/health` and the
    queries run in; `wait`: how long one wait for new events lasts before looking again;
    `schema_base`: the API's URL, for each event's `dataschema`."""
    yield b"retry: 3000\n\n"
    position = after
    while True:
        frames, position, count = await anyio.to_thread.run_sync(
            _frames_after, log, position, source, disclosure, schema_base, limiter=limiter
        )
        if frames:
            yield frames
        if count < BATCH:
            await tail.wait_past(position, wait)


def keep_alive() -> ServerSentEvent:
    return ServerSentEvent(comment="keep-alive", sep="\n")


class EventStream(EventSourceResponse):
    """sse-starlette's response (keep-alive comments, client disconnect, and the end of every
    stream as soon as the server is asked to stop), which also closes its generator and calls
    `on_close` however it ended."""

    def __init__(
        self,
        frames: AsyncIterator[bytes],
        on_close: Callable[[], None] | None = None,
        headers: dict[str, str] | None = None,
        keepalive: float = 15.0,
    ):
        super().__init__(
            frames,
            headers={"Cache-Control": "no-cache", **(headers or {})},
            ping=keepalive,
            ping_message_factory=keep_alive,
            sep="\n",
        )
        self.frames, self.on_close = frames, on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
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
