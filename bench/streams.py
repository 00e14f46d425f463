"""`/health` while event streams catch up: `caseflow serve --no-projections` on SQLite with a
log of `BENCH_STREAMS_EVENTS` events; `/health` is asked every 50 ms for `SECONDS`, first with no
stream open, then with `STREAMS` (the per-process cap) streams all reading from position 0
(clients in their own process, reading and discarding as fast as they can). Prints p50 / p99 /
max of `/health` and `/health/ready` in each phase and how many events the streams received.
Goal (issue 17): p99 under 50 ms with the cap's worth of streams reading.
Run: `python -m bench streams` (`BENCH_CASEFLOW_SRC=DIR` serves the caseflow package found in DIR
instead, to measure an older tree against the same client).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.http import _free_port, _wait_up

SECONDS = float(os.environ.get("BENCH_STREAMS_SECONDS", "10"))
STREAMS = int(os.environ.get("BENCH_STREAMS", "100"))
EVENTS = int(os.environ.get("BENCH_STREAMS_EVENTS", "10000"))
TOKEN = "bench-analyst"

# The streaming clients: one process, asyncio, each stream's bytes counted and dropped.
CLIENTS = """
import asyncio, sys, httpx
url, token, n, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
async def one(client, counts, i):
    async with client.stream("GET", url + "/events/stream",
                             headers={"Authorization": "Bearer " + token}) as r:
        async for chunk in r.aiter_raw():
            counts[i] += chunk.count(b"\\nid: ") + chunk.startswith(b"id: ")
async def main():
    counts = [0] * n
    limits = httpx.Limits(max_connections=n + 1)
    async with httpx.AsyncClient(timeout=None, limits=limits) as client:
        tasks = [asyncio.create_task(one(client, counts, i)) for i in range(n)]
        await asyncio.sleep(seconds)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    print(sum(counts), sum(1 for c in counts if c), flush=True)
asyncio.run(main())
"""


def _seed(data_dir: Path) -> int:
    from caseflow.domain.values import OrgLevel
    from caseflow.infra.bootstrap import bootstrap
    from caseflow.infra.settings import Settings
    from caseflow.services.app import Actor, Context

    c = bootstrap(Settings(data_dir=data_dir))
    try:
        ctx = Context(actor=Actor("bench", "operator"))
        for i in range(EVENTS):
            c.app.register_org(ctx, name=f"Bench org {i}", level=OrgLevel.TOWNSHIP)
        return c.log.head()
    finally:
        c.close()


PATHS = ("/health", "/health/ready")


def _health(url: str, seconds: float) -> dict[str, list[float]]:
    import httpx

    took: dict[str, list[float]] = {p: [] for p in PATHS}
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=30) as client:
        while time.monotonic() < deadline:
            for path in list(took):
                t0 = time.perf_counter()
                r = client.get(path)
                if r.status_code == 404:  # an older tree without it
                    del took[path]
                    continue
                r.raise_for_status()
                took[path].append(time.perf_counter() - t0)
                time.sleep(0.025)
    return took


def _report(what: str, took: dict[str, list[float]]) -> None:
    for path, times in took.items():
        ms = sorted(t * 1000 for t in times)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        print(
            f"{what:<38} {path:<14} p50 {statistics.median(ms):7.1f} ms  p99 {p99:7.1f} ms"
            f"  max {ms[-1]:7.1f} ms  ({len(ms)} asks)",
            flush=True,
        )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="caseflow-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        t0 = time.monotonic()
        head = _seed(data_dir)
        print(f"log of {head} events written in {time.monotonic() - t0:.0f} s", flush=True)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "CASEFLOW_DATA_DIR": str(data_dir),
            "CASEFLOW_PORT": str(port),
            "CASEFLOW_TOKENS": f"{TOKEN}=bench:analyst",
            "CASEFLOW_MAX_STREAMS": str(STREAMS),
        }
        env.pop("CASEFLOW_DATABASE_URL", None)
        # `python -c` looks in its working directory first: the tree to serve.
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from caseflow.infra.cli import main; main()",
                "serve",
                "--no-projections",
                "--no-access-log",
            ],
            cwd=os.environ.get("BENCH_CASEFLOW_SRC"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_up(port, server)
            _report("no stream open", _health(url, SECONDS))
            clients = subprocess.Popen(
                [sys.executable, "-c", CLIENTS, url, TOKEN, str(STREAMS), str(SECONDS + 2)],
                stdout=subprocess.PIPE,
                text=True,
            )
            time.sleep(1)  # let them connect
            _report(f"{STREAMS} streams reading from position 0", _health(url, SECONDS))
            received, open_streams = clients.communicate(timeout=60)[0].split()
            print(
                f"  the streams received {int(received):,} events ({open_streams} of "
                f"{STREAMS} got any; a full catch-up is {head * STREAMS:,})",
                flush=True,
            )
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
