"""Signed checkpoints of the chain's head (Ed25519, `cryptography`), kept outside the database.

A checkpoint is the position and chain hash of the head at a time, signed over
`caseflow-checkpoint-v1\\n{position}\\n{chainhash hex}\\n{time}\\n`. Each is one JSON file in the
checkpoint directory (`<position, 20 digits>.json`, written to a temporary name and renamed), and
also a record on the Kafka checkpoint topic when one is configured. Only the signing process
reads the private key; anyone with the public key can check a checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "caseflow-checkpoint-v1"


class KeyProblem(ValueError):
    """A signing or public key that is missing, unreadable or not Ed25519."""


@dataclass(frozen=True)
class Checkpoint:
    position: int
    chainhash: bytes
    time: str  # ISO 8601, UTC
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        return message(self.position, self.chainhash, self.time)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "position": self.position,
                "chainhash": self.chainhash.hex(),
                "time": self.time,
                "key_id": self.key_id,
                "signature": base64.b64encode(self.signature).decode(),
            }
        )

    @classmethod
    def from_json(cls, raw: bytes) -> Checkpoint:
        """Parse a checkpoint; ValueError naming what is wrong."""
        try:
            d = orjson.loads(raw)
            return cls(
                int(d["position"]),
                bytes.fromhex(d["chainhash"]),
                str(d["time"]),
                str(d.get("key_id", "")),
                base64.b64decode(d["signature"], validate=True),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ValueError(f"not a checkpoint ({type(e).__name__}: {e})") from None


def message(position: int, chainhash: bytes, time: str) -> bytes:
    return f"{PREFIX}\n{position}\n{chainhash.hex()}\n{time}\n".encode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _read(path: Path | None, what: str, setting: str) -> bytes:
    if path is None:
        raise KeyProblem(f"no {what}: set {setting}")
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise KeyProblem(f"cannot read the {what} {setting}={path}: {e.strerror}") from None


def load_signing_key(path: Path | None) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM file (PKCS#8, unencrypted)."""
    raw = _read(path, "signing key", "CASEFLOW_AUDIT_SIGNING_KEY_FILE")
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError):
        raise KeyProblem(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"{path} is not an Ed25519 key")
    return key


def load_public_key(path: Path | None) -> Ed25519PublicKey:
    """The Ed25519 public key in a PEM file (SubjectPublicKeyInfo)."""
    raw = _read(path, "public key", "CASEFLOW_AUDIT_PUBLIC_KEY_FILE")
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError):
        raise KeyProblem(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyProblem(f"{path} is not an Ed25519 key")
    return key


def write_key_pair(directory: Path) -> tuple[Path, Path]:
    """A new key pair: `audit-signing.pem` (owner-only) and `audit-public.pem`."""
    directory.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    signing, public = directory / "audit-signing.pem", directory / "audit-public.pem"
    fd = os.open(signing, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    public.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return signing, public


def sign(private: Ed25519PrivateKey, position: int, chainhash: bytes, time: str) -> Checkpoint:
    return Checkpoint(
        position,
        chainhash,
        time,
        key_id(private.public_key()),
        private.sign(message(position, chainhash, time)),
    )


def is_signed_by(cp: Checkpoint, public: Ed25519PublicKey) -> bool:
    try:
        public.verify(cp.signature, cp.message())
    except InvalidSignature:
        return False
    return True


class CheckpointDir:
    """Checkpoints as files in a directory the database's administrator does not control."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def append(self, cp: Checkpoint) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        final = self.path / f"{cp.position:020d}.json"
        tmp = final.with_suffix(f".tmp{os.getpid()}")
        with open(tmp, "wb") as f:
            f.write(cp.to_json())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        return final

    def first_covering(self, position: int) -> Checkpoint | None:
        """The first readable checkpoint at or after `position` (unchecked: the reader checks it).
        Files are named by their position, so only that file is read, not the directory."""
        return next(self._readable(self._named(lambda p: p >= position)), None)

    def newest(self) -> Checkpoint | None:
        """The newest readable checkpoint (unchecked), reading only it."""
        return next(self._readable(reversed(self._named(lambda _: True))), None)

    def _named(self, keep: Callable[[int], bool]) -> list[tuple[int, Path]]:
        if not self.path.is_dir():
            return []
        named = []
        for f in self.path.glob("*.json"):
            if len(f.stem) == 20 and f.stem.isdigit() and keep(int(f.stem)):
                named.append((int(f.stem), f))
        return sorted(named)

    @staticmethod
    def _readable(named: Iterable[tuple[int, Path]]) -> Iterator[Checkpoint]:
        for _, f in named:
            try:
                yield Checkpoint.from_json(f.read_bytes())
            except (OSError, ValueError):
                continue

    def load(
        self, public: Ed25519PublicKey | None
    ) -> tuple[list[Checkpoint], list[tuple[str, str]]]:
        """(checkpoints signed by `public`, [(file, why refused)]); all parsed if no key."""
        good: list[Checkpoint] = []
        refused: list[tuple[str, str]] = []
        if not self.path.is_dir():
            return good, refused
        for f in sorted(self.path.glob("*.json")):
            try:
                cp = Checkpoint.from_json(f.read_bytes())
            except (OSError, ValueError) as e:
                refused.append((f.name, str(e)))
                continue
            if public is not None and not is_signed_by(cp, public):
                refused.append(
                    (
                        f.name,
                        f"signature does not verify with the public key "
                        f"(signed by key {cp.key_id or '?'})",
                    )
                )
                continue
            good.append(cp)
        return sorted(good, key=lambda c: c.position), refused
