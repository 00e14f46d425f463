"""The master key that wraps every case's data key, behind a small port (`MasterKeys`) so a
KMS can take its place: a local key (a file or an environment variable) is the default.

A key is 32 random bytes (AES-256), written base64-encoded. Its id is a digest of the key, so
the id stored beside each wrapped data key says which master key can open it, and a wrong key
is recognised at start instead of failing on the first read."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from caseflow.infra.settings import Settings

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
DEV_KEY_FILE = "master.key"


class MasterKeyError(RuntimeError):
    """The master key settings are missing, malformed or do not match the store."""


class MasterKeys(Protocol):
    """Wraps and unwraps data keys (a local key here; a KMS client would do the same)."""

    @property
    def primary_id(self) -> str:
        """The id of the key new data keys are wrapped under."""
        ...

    def knows(self, key_id: str) -> bool:
        """Whether data keys wrapped under `key_id` can be unwrapped."""
        ...

    def wrap(self, data_key: bytes, case_id: UUID) -> tuple[str, bytes]:
        """(key id, wrapped data key) under the primary key, bound to the case."""
        ...

    def unwrap(self, key_id: str, wrapped: bytes, case_id: UUID) -> bytes:
        """The data key wrapped by `wrap` (MasterKeyError when it cannot be opened)."""
        ...


def key_id(key: bytes) -> str:
    """A public name for a master key: a digest of it (never the key)."""
    return hashlib.sha256(b"caseflow master key id\x00" + key).hexdigest()[:16]


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _aad(case_id: UUID, kid: str) -> bytes:
    return b"caseflow data key\x00" + case_id.bytes + kid.encode()


class LocalMasterKeys:
    """Master keys held in memory: the primary, and earlier ones still named by stored data keys
    while a rotation runs."""

    def __init__(self, primary: bytes, previous: Sequence[bytes] = ()):
        self._keys = {key_id(k): AESGCM(k) for k in (*previous, primary)}
        self._primary = key_id(primary)

    @property
    def primary_id(self) -> str:
        return self._primary

    def knows(self, key_id: str) -> bool:
        return key_id in self._keys

    def wrap(self, data_key: bytes, case_id: UUID) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        kid = self._primary
        return kid, nonce + self._keys[kid].encrypt(nonce, data_key, _aad(case_id, kid))

    def unwrap(self, key_id: str, wrapped: bytes, case_id: UUID) -> bytes:
        aes = self._keys.get(key_id)
        if aes is None:
            raise MasterKeyError(f"no master key with id {key_id} is configured")
        try:
            return aes.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad(case_id, key_id))
        except InvalidTag:
            raise MasterKeyError(
                f"the data key of case {case_id} does not open under master key "
                f"{key_id} (altered or wrapped for another case)"
            ) from None


def parse_key(text: str | bytes, setting: str) -> bytes:
    """A base64-encoded 32-byte key; the error names `setting` and never echoes the value."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(
            f"{setting}: not base64 (a master key is 32 random bytes, base64 "
            "encoded: `caseflow privacy new-key FILE` writes one)"
        ) from None
    if len(raw) != KEY_BYTES:
        raise MasterKeyError(
            f"{setting}: the key is {len(raw)} bytes, an AES-256 master key is "
            f"{KEY_BYTES} (`caseflow privacy new-key FILE` writes one)"
        )
    return raw


def read_key_file(path: Path, setting: str) -> bytes:
    try:
        text = path.read_bytes()
    except OSError as e:
        raise MasterKeyError(f"{setting}: cannot read {path}: {e.strerror}") from None
    return parse_key(text, f"{setting} ({path})")


def write_key_file(path: Path, key: bytes | None = None) -> str:
    """Create a new key file (owner-only, refusing to overwrite); the new key's id. Written
    whole under a temporary name and linked into place, so a process starting beside this one
    never reads a half-written key (FileExistsError if the file exists)."""
    key = key or new_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(base64.b64encode(key) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)  # atomic, and never replaces an existing key
    finally:
        tmp.unlink(missing_ok=True)
    return key_id(key)


def load_master_keys(settings: Settings) -> LocalMasterKeys:
    """The master keys the settings name. Without any: a development key under the data dir for
    the embedded (SQLite) store or `CASEFLOW_DEV`; a PostgreSQL deployment refuses to start."""
    previous = [
        read_key_file(Path(p.strip()), "CASEFLOW_PREVIOUS_MASTER_KEY_FILES")
        for p in settings.previous_master_key_files.split(",")
        if p.strip()
    ]
    secret = settings.master_key.get_secret_value() if settings.master_key else None
    if secret and settings.master_key_file:
        raise MasterKeyError(
            "set one of CASEFLOW_MASTER_KEY and CASEFLOW_MASTER_KEY_FILE, not both"
        )
    if secret:
        return LocalMasterKeys(parse_key(secret, "CASEFLOW_MASTER_KEY"), previous)
    if settings.master_key_file:
        return LocalMasterKeys(
            read_key_file(settings.master_key_file, "CASEFLOW_MASTER_KEY_FILE"), previous
        )
    if settings.uses_postgres and not settings.dev:
        raise MasterKeyError(
            "CASEFLOW_MASTER_KEY_FILE (or CASEFLOW_MASTER_KEY) is not set: personal data is "
            "stored encrypted and a PostgreSQL deployment needs its master key "
            "(`caseflow privacy new-key FILE` writes one; CASEFLOW_DEV=1 uses a generated "
            "development key under CASEFLOW_DATA_DIR)"
        )
    path = Path(settings.data_dir) / DEV_KEY_FILE
    if not path.exists():
        try:
            kid = write_key_file(path)
            log.warning(
                "generated a development master key %s in %s: for development only "
                "(production sets CASEFLOW_MASTER_KEY_FILE)",
                kid,
                path,
            )
        except FileExistsError:  # another process made it first
            pass
    return LocalMasterKeys(
        read_key_file(path, f"development master key ({DEV_KEY_FILE})"), previous
    )
