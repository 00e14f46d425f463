"""The load generator of `bench/http.py`: raw asyncio HTTP/1.1 over keep-alive connections (so
the client costs the machine little), run in a process of its own."""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import socket
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RATE = 200
CONCURRENCY = 32
CONNECTIONS = 64
TOKEN = "bench-token"


class Connection:
    """One keep-alive HTTP/1.1 connection; requests with a JSON body, answers by Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.writer.write(
            b"POST %s HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (path.encode(), TOKEN.encode(), len(body), body)
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


class Flow:
    """The four commands of one case; bodies are built once per run."""

    def __init__(self, org: str, leader: str):
        received = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        self.register = json.dumps(
            {
                "channel": "letter",
                "received_at": received,
                "receiving_org_id": org,
                "petitioners": [{"name": "Bench Person", "id_number": "TEST-0000"}],
                "subject": "Wage arrears",
                "request": "Pay the wages",
                "region": "Bench",
            }
        ).encode()
        self.screen = b'{"decision": "accept", "category": "appeal"}'
        self.assign = json.dumps({"unit_id": org, "leader_id": leader}).encode()
        self.resolve = b'{"outcome": "explained", "reply": "Explained in writing"}'

    async def run(
        self,
        pool: asyncio.Queue,
        record: list[float],
        due: float | None = None,
        errors: list[int] | None = None,
    ) -> None:
        ready = due if due is not None else time.perf_counter()
        case = None
        for path, body in (
            ("/cases", self.register),
            ("screening", self.screen),
            ("assignment", self.assign),
            ("resolution", self.resolve),
        ):
            conn = await pool.get()
            try:
                url = path if case is None else f"/cases/{case}/{path}"
                status, answer = await conn.post(url, body)
            finally:
                pool.put_nowait(conn)
            done = time.perf_counter()
            record.append(done - ready)
            ready = done
            if status >= 300:
                if errors is not None:
                    errors.append(status)
                return
            if case is None:
                case = json.loads(answer)["id"]


async def _pool(port: int, n: int) -> asyncio.Queue:
    pool: asyncio.Queue = asyncio.Queue()
    for conn in await asyncio.gather(*(Connection.open(port) for _ in range(n))):
        pool.put_nowait(conn)
    return pool


async def _saturate(port: int, flow: Flow, seconds: float) -> dict[str, Any]:
    pool, record, errors = await _pool(port, CONCURRENCY), [], []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            await flow.run(pool, record, errors=errors)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(record),
        "rate": len(record) / elapsed,
        "errors": len(errors),
        **_quantiles(record),
    }


async def _fixed_rate(port: int, flow: Flow, rate: float, seconds: float) -> dict[str, Any]:
    pool, record, errors = await _pool(port, CONNECTIONS), [], []
    flows_per_second = rate / 4
    n = int(seconds * flows_per_second)
    start = time.perf_counter() + 0.05
    tasks = []
    for i in range(n):
        due = start + i / flows_per_second
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(flow.run(pool, record, due=due, errors=errors)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    return {
        "requests": len(record),
        "rate": len(record) / elapsed,
        "errors": len(errors),
        **_quantiles(record),
    }


def _quantiles(seconds: list[float]) -> dict[str, float]:
    if len(seconds) < 2:
        return {"p50_ms": float("nan"), "p99_ms": float("nan")}
    q = statistics.quantiles(seconds, n=100)
    return {"p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000}


def _generate(port: int, org: str, leader: str, mode: str, seconds: float, out: Any) -> None:
    """Entry point of the load-generator process."""
    flow = Flow(org, leader)

    async def main() -> dict[str, Any]:
        warm = await _saturate(port, flow, 1.0)  # warm up connections and caches
        if mode == "saturate":
            result = await _saturate(port, flow, seconds)
        else:
            result = await _fixed_rate(port, flow, RATE, seconds)
        return {**result, "served": warm["requests"] + result["requests"]}

    try:  # the server's own event loop: the generator then takes less of the shared CPUs
        import uvloop
    except ImportError:
        out.send(asyncio.run(main()))
    else:
        out.send(uvloop.run(main()))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants alive now (Linux), to price a
    request in server CPU (`serve --workers N` serves from child processes)."""
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return [pid]
    return [pid, *(p for child in children for p in _tree(int(child)))]


def load(
    port: int, org: str, leader: str, mode: str, seconds: float, server_pid: int | None = None
) -> dict:
    """Run the generator in a separate process and return its figures (with the server's CPU
    milliseconds per request when its pid is given: a figure the machine's load moves little)."""
    cpu = _cpu_seconds(server_pid) if server_pid else None
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_generate, args=(port, org, leader, mode, seconds, child))
    proc.start()
    result = parent.recv()
    proc.join()
    if cpu is not None:
        result["cpu_ms"] = (_cpu_seconds(server_pid) - cpu) * 1000 / max(result["served"], 1)
    return result
