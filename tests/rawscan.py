"""Every byte a store keeps, for tests that look for personal data at rest: every file under the
data dir (SQLite files with their -wal and -shm) and, on PostgreSQL, a plain `pg_dump` of the
database with its `bytea` values (the event states, printed as hex) decoded back to bytes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from caseflow.infra.settings import Settings

_BYTEA = re.compile(rb"\\\\x([0-9a-f]+)")


def store_bytes(settings: Settings) -> bytes:
    blobs = [p.read_bytes() for p in Path(settings.data_dir).rglob("*") if p.is_file()]
    if settings.database_url:
        dump = subprocess.run(
            ["pg_dump", "--no-owner", settings.database_url],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        assert b"caseflow_data_keys" in dump  # the dump is of the right database
        blobs.append(dump)
        blobs.extend(bytes.fromhex(h.decode()) for h in _BYTEA.findall(dump) if len(h) % 2 == 0)
    return b"\n".join(blobs)
