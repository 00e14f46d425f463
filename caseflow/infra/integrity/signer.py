"""The worker's checkpoint signer: a thread that signs the chain's head every
`CASEFLOW_AUDIT_CHECKPOINT_INTERVAL` seconds and after every `CASEFLOW_AUDIT_CHECKPOINT_EVERY`
events (each checkpoint first verifies the chain since the previous one)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from caseflow.infra.integrity.checkpoints import load_signing_key
from caseflow.infra.integrity.service import ChainBroken, Integrity
from caseflow.infra.integrity.store import chain_store

log = logging.getLogger(__name__)


class Signer:
    def __init__(self, integrity: Integrity, private: Any, every: int, interval: float):
        self.integrity, self.private = integrity, private
        self.every, self.interval = every, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="checkpoint-signer", daemon=True)
        last = integrity.last_checkpoint()
        self.last_position = last.position if last else 0
        self.last_time = time.monotonic()

    def start(self) -> Signer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def due(self, head: int, now: float) -> bool:
        if head <= self.last_position:
            return False
        return bool(
            (self.every and head - self.last_position >= self.every)
            or (self.interval and now - self.last_time >= self.interval)
        )

    def _run(self) -> None:
        tick = min(1.0, self.interval or 1.0)
        while not self._stop.wait(tick):
            try:
                head = self.integrity.heads()[1].position
                if self.due(head, time.monotonic()):
                    cp = self.integrity.checkpoint(self.private)
                    self.last_position, self.last_time = cp.position, time.monotonic()
                    log.info("checkpoint signed at position %d", cp.position)
            except ChainBroken as e:
                log.error("%s", e)
                self.last_time = time.monotonic()  # try again after an interval, not at once
            except Exception as e:  # a database or broker outage: keep the worker running
                log.warning("checkpoint failed: %s: %s", type(e).__name__, e)


def start_signer(container: Any) -> Signer | None:
    """A started `Signer` when the settings ask for checkpoints; a missing or wrong key raises
    `KeyProblem` here, at start, never later as an unsigned checkpoint."""
    s = container.settings
    if not (s.audit_checkpoint_every or s.audit_checkpoint_interval):
        return None
    private = load_signing_key(s.audit_signing_key_file)
    integrity = Integrity(s, chain_store(container.app.recorder))
    return Signer(integrity, private, s.audit_checkpoint_every, s.audit_checkpoint_interval).start()
