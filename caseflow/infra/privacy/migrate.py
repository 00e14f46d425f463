"""`caseflow privacy encrypt-existing`: seal the personal fields of events stored before
sealing existed, and re-seal the hash chain over the rewritten records, in one transaction.

Order: the chain must verify first (a migration must not launder tampering); the data keys of
the cases concerned are made; then, holding the event table's write lock, every plain-text
event is rewritten sealed and every link from the first rewritten position on is recomputed —
committed together, so a store is never half covered, and a second run finds nothing to do.
The signed checkpoints the rewrite supersedes are moved aside (kept, not deleted) and a signed
record of the migration (old head hash → new head hash) plus a checkpoint of the new head are
written with the audit signing key. Views are rebuilt (the audit payload held the plain text)
and SQLite files vacuumed (freed pages held it too)."""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson

from caseflow.domain.catalog import names_by_topic
from caseflow.infra.integrity import chain
from caseflow.infra.integrity.checkpoints import CheckpointDir, load_signing_key
from caseflow.infra.integrity.service import Integrity
from caseflow.infra.integrity.store import SqliteChainStore, chain_store
from caseflow.infra.privacy.sealing import (
    RECEIVED_TOPIC,
    SEALED_FIELDS,
    SEALED_KEY,
    Sealer,
    seal_accused,
)
from caseflow.infra.transcoder import decode_value, encode_value

RECORD_PREFIX = "caseflow-privacy-migration-v1"


class MigrationRefused(Exception):
    """The store cannot be migrated as it is (a broken chain, no signing key)."""


@dataclass
class Migration:
    sealed: int = 0
    first_position: int | None = None
    old_head: str = ""
    new_head: str = ""
    superseded: list[str] = field(default_factory=list)
    record: Path | None = None


def _plain(data: dict[str, Any], names: tuple[str, ...]) -> bool:
    return SEALED_KEY not in data and any(n in data for n in names)


def pending(log: Any) -> dict[int, UUID]:
    """Positions of stored events whose personal fields are still plain text → their case."""
    by_name = {names_by_topic()[t]: f for t, f in SEALED_FIELDS.items()}
    out: dict[int, UUID] = {}
    after = 0
    while batch := log.read(after, 5000):
        for e in batch:
            names = by_name.get(e.name)
            if names and _plain(e.data, names):
                out[e.position] = e.aggregate_id
        after = batch[-1].position
    return out


def _resealed(sealer: Sealer, case_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    data = decode_value(state)
    names = SEALED_FIELDS[topic]
    personal = {n: data.pop(n) for n in names if n in data}
    data[SEALED_KEY] = sealer.seal(case_id, version, topic, personal)
    if topic == RECEIVED_TOPIC:
        seal_accused(sealer, case_id, version, data)
    return encode_value(data)


def encrypt_existing(container: Any) -> Migration:
    settings, sealer = container.settings, container.sealer
    store = chain_store(container.app.recorder)
    integrity = Integrity(settings, store)
    report = integrity.verify()
    if not report.intact:
        raise MigrationRefused(
            f"the chain does not verify ({report.findings[0].detail}): run "
            "`caseflow audit verify`; nothing was changed"
        )
    todo = pending(container.log)
    out = Migration()
    if not todo:
        return out
    checkpoints_dir = CheckpointDir(settings.checkpoint_dir)
    existing, _ = checkpoints_dir.load(None)
    private = None
    if settings.audit_signing_key_file is not None:
        private = load_signing_key(settings.audit_signing_key_file)
    elif existing:
        raise MigrationRefused(
            "signed checkpoints exist and the rewrite supersedes them: set "
            "CASEFLOW_AUDIT_SIGNING_KEY_FILE to sign the migration's record; "
            "nothing was changed"
        )
    for case_id in set(todo.values()):
        sealer.data_key(case_id, create=True)  # before the lock: the key table is written apart
    sealer.reference_key()  # likewise the key the accused of accusations are sealed under
    first = out.first_position = min(todo)
    sql = store._sql()  # noqa: SLF001 - the integrity store's own statements
    p, pos = store.placeholder, store.position_column
    update_event = f"UPDATE {store.events_table} SET state = {p} WHERE {pos} = {p}"
    update_link = f"UPDATE {store.chain_table} SET chainhash = {p} WHERE position = {p}"
    with store.transaction(write=True) as t:
        cur = t.conn.cursor()
        events_head = t.rows(sql["events_head"], ())[0][0] or 0
        start = t.rows(sql["link_at"], (first,))
        prev_position = start[0][1] if start else 0
        prev = (
            chain.GENESIS
            if prev_position == 0
            else bytes(t.rows(sql["link_at"], (prev_position,))[0][2])
        )
        old_head = t.rows(sql["chain_head"], ())
        out.old_head = bytes(old_head[0][2]).hex() if old_head else ""
        after = first - 1
        while after < events_head:
            rows = t.rows(sql["events"], (after, events_head, 5000))
            events, links = [], []
            for position, oid, version, topic, state in rows:
                state = bytes(state)
                if position in todo:
                    case_id = oid if isinstance(oid, UUID) else UUID(str(oid))
                    state = _resealed(sealer, case_id, version, topic, state)
                    events.append((state, position))
                    out.sealed += 1
                prev = chain.link_hash(prev, position, oid, version, topic, state)
                links.append((prev, position))
            if events:
                cur.executemany(update_event, events)
            cur.executemany(update_link, links)
            after = rows[-1][0]
        out.new_head = prev.hex()
    if private is not None:
        out.superseded = _supersede(checkpoints_dir, existing, first)
        out.record = _record(settings.checkpoint_dir, private, out)
        integrity.checkpoint(private)
    container.views.rebuild(batch_size=5000)
    if isinstance(store, SqliteChainStore):
        _vacuum(Path(settings.data_dir))
    return out


def _supersede(directory: CheckpointDir, existing: list[Any], first: int) -> list[str]:
    """Move the checkpoints at or after the first rewritten position aside (kept for the
    record: their hashes are those of the plain-text store)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = directory.path / f"superseded-by-privacy-migration-{stamp}"
    moved = []
    for cp in existing:
        if cp.position >= first:
            aside.mkdir(parents=True, exist_ok=True)
            name = f"{cp.position:020d}.json"
            (directory.path / name).replace(aside / name)
            moved.append(name)
    return moved


def _record(checkpoint_dir: Path, private: Any, m: Migration) -> Path:
    """A signed record of the migration, beside the checkpoints."""
    at = datetime.now(UTC).isoformat()
    message = (
        f"{RECORD_PREFIX}\n{m.first_position}\n{m.old_head}\n{m.new_head}\n{m.sealed}\n{at}\n"
    ).encode()
    body = {
        "kind": RECORD_PREFIX,
        "first_position": m.first_position,
        "old_head": m.old_head,
        "new_head": m.new_head,
        "events_sealed": m.sealed,
        "time": at,
        "superseded_checkpoints": m.superseded,
        "signature": base64.b64encode(private.sign(message)).decode(),
    }
    directory = Path(checkpoint_dir).parent / "privacy-migrations"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{at.replace(':', '')}.json"
    path.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2))
    return path


def _vacuum(data_dir: Path) -> None:
    for name in ("events.sqlite3", "views.sqlite3"):
        path = data_dir / name
        if path.is_file():
            conn = sqlite3.connect(path, timeout=60, isolation_level=None)
            try:
                conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
