"""Helpers for tests that run `caseflow` as real processes."""

from __future__ import annotations

import sys
from pathlib import Path


def caseflow_cmd(*args: str) -> list[str]:
    """`caseflow ARGS` run by this interpreter (no dependence on PATH)."""
    return [sys.executable, "-c", "from caseflow.infra.cli import main; main()", *args]


def spawned_children(pid: int) -> list[int]:
    """The processes `pid` started with multiprocessing's spawn (uvicorn's workers, a
    rebuild's groups), not multiprocessing's resource tracker."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(p) for p in path.read_text().split()] if path.exists() else []
    return [k for k in kids if b"spawn_main" in Path(f"/proc/{k}/cmdline").read_bytes()]
