"""What `caseflow audit`, the worker and the HTTP routes ask of the chain: verify, checkpoint,
seal, and the last verification's outcome."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from caseflow.infra.integrity import checkpoints as cps
from caseflow.infra.integrity.chain import EMPTY, Link
from caseflow.infra.integrity.store import ChainStore, PostgresChainStore, SqliteChainStore
from caseflow.infra.integrity.verify import Finding, Report, verify
from caseflow.infra.settings import Settings

log = logging.getLogger(__name__)

EVENTS_TABLE = "stored_events"
WINDOW = 5000


class StoreUnreadable(Exception):
    """No event log where the settings point, or one this code cannot read."""


class ChainBroken(Exception):
    """A checkpoint was asked for while the chain since the last one does not verify."""

    def __init__(self, report: Report):
        super().__init__(f"the chain does not verify ({report.findings[0].detail}): not signed")
        self.report = report


def open_store(settings: Settings) -> ChainStore:
    """The chain store the settings point at, opened without creating anything."""
    if settings.database_url:
        from caseflow.infra.store import postgres_events_table
        from caseflow.infra.views.backends import pg_connect

        try:
            conn = pg_connect(settings.database_url)
        except Exception as e:  # psycopg.OperationalError: host, password, database
            raise StoreUnreadable(f"cannot connect to the database: {_first_line(e)}") from None
        return PostgresChainStore(lambda: nullcontext(conn), f"public.{postgres_events_table()}")
    path = Path(settings.data_dir) / "events.sqlite3"
    if not path.is_file():
        raise StoreUnreadable(f"no event store at {path}")
    return SqliteChainStore(f"file:{path}?mode=rw", EVENTS_TABLE)


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _db_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    return (sqlite3.Error, psycopg.Error)


class Integrity:
    def __init__(
        self,
        settings: Settings,
        store: ChainStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.settings, self.store, self.clock = settings, store, clock
        self.dir = cps.CheckpointDir(settings.checkpoint_dir)
        self.state_file = Path(settings.data_dir) / "integrity-last-verification.json"

    # ---------------------------------------------------------------- keys

    def public_key(self) -> Ed25519PublicKey | None:
        """The key that checks checkpoints (never derived from the signing key here: that one
        stays with the process that signs)."""
        path = self.settings.audit_public_key_file
        return None if path is None else cps.load_public_key(path)

    # ---------------------------------------------------------------- verify

    def verify(
        self,
        *,
        from_last_checkpoint: bool = False,
        progress: Callable[[int, int], None] | None = None,
        public: Ed25519PublicKey | None = None,
    ) -> Report:
        """Walk the chain (from 0, or from the newest checkpoint) against every checkpoint,
        checked with `public` (default: the configured public key)."""
        public = public or self.public_key()
        checkpoints, refused = self.dir.load(public)
        try:
            report = self._walk(checkpoints, from_last_checkpoint, progress)
        except _db_errors() as e:
            raise StoreUnreadable(f"cannot read the event log: {_first_line(e)}") from None
        for name, why in refused:
            report.add(Finding("checkpoint", 0, f"checkpoint {name} refused: {why}"))
        if public is None and checkpoints:
            report.notes.append(
                f"{len(checkpoints)} checkpoints not checked: no public key "
                "(CASEFLOW_AUDIT_PUBLIC_KEY_FILE)"
            )
            report.checkpoints_checked = 0
        report.findings.sort(key=lambda f: (f.position, f.kind))
        self._record(report)
        return report

    def _walk(
        self,
        checkpoints: list[cps.Checkpoint],
        from_last: bool,
        progress: Callable[[int, int], None] | None,
    ) -> Report:
        if not self.store.has_table(self.store.events_table.split(".")[-1]):
            raise StoreUnreadable(f"no event log here (no table {self.store.events_table})")
        if not self.store.has_table(self.store.chain_table.split(".")[-1]):
            report = Report()
            report.add(Finding("unsealed", 0, "the store has no chain: run `caseflow audit seal`"))
            return report
        events_head, head = self.store.heads()
        upto = max(events_head, head.position)
        start = EMPTY
        if from_last:
            usable = [c for c in checkpoints if c.position <= upto]
            if usable:
                start = Link(usable[-1].position, -1, usable[-1].chainhash)
        windows = self.store.windows(start.position, upto, WINDOW)
        report = verify(windows, checkpoints, start, progress and (lambda at: progress(at, upto)))
        if start.position:
            stored = self.store.link_at(start.position)
            if stored is None or stored.chainhash != start.chainhash:
                report.add(
                    Finding(
                        "rewritten",
                        start.position,
                        "the chain's link here differs from the signed checkpoint",
                    )
                )
        return report

    def _record(self, report: Report) -> None:
        state = {
            "at": self.clock().isoformat(),
            "intact": report.intact,
            "head": report.head,
            "events": report.events,
            "checkpoints_checked": report.checkpoints_checked,
            "findings": len(report.findings) + report.more_findings,
            "first": report.findings[0].as_dict() if report.findings else None,
        }
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_bytes(orjson.dumps(state))
            tmp.replace(self.state_file)
        except OSError as e:
            log.warning("could not record the verification: %s", e.strerror)

    def last_verification(self) -> dict[str, Any] | None:
        try:
            return orjson.loads(self.state_file.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None

    # ---------------------------------------------------------------- checkpoint, seal

    def checkpoint(self, private: Ed25519PrivateKey) -> cps.Checkpoint:
        """Verify since the newest checkpoint, then sign the head and append it outside."""
        report = self.verify(from_last_checkpoint=True, public=private.public_key())
        if not report.intact:
            raise ChainBroken(report)
        _, head = self.store.heads()
        cp = cps.sign(
            private, head.position, head.chainhash, self.clock().astimezone(UTC).isoformat()
        )
        self.dir.append(cp)
        if self.settings.audit_checkpoint_topic and self.settings.kafka_bootstrap:
            _publish(self.settings, cp)
        return cp

    def last_checkpoint(self) -> cps.Checkpoint | None:
        return self.dir.newest()

    def heads(self) -> tuple[int, Link]:
        return self.store.heads()


def _publish(settings: Settings, cp: cps.Checkpoint) -> None:
    from caseflow.infra.kafka.producer import Producer, ProducerConfig

    producer = Producer(ProducerConfig(settings.kafka_bootstrap or "", linger_ms=0))
    try:
        futures = [
            producer.send(settings.audit_checkpoint_topic or "", cp.to_json(), key=b"checkpoint")
        ]
        producer.wait_acked(futures)
    finally:
        producer.close()
