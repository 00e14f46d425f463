"""A petitioner's query code (查询码): 130 random bits shown once at registration, kept only as
a SHA-256 digest. It is typed by people, so it is written in base32 (no 0/1/8/9, case-blind) in
groups of five, and read back forgiving case, spaces and dashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

_LENGTH = 26  # base32 characters: 130 bits
_SHAPE = re.compile(f"^[A-Z2-7]{{{_LENGTH}}}$")
_SEPARATORS = re.compile(r"[\s\-]")


def new_code() -> str:
    """A fresh code, e.g. `K3QZ7-...`: 26 base32 characters in groups of five."""
    raw = base64.b32encode(secrets.token_bytes(17)).decode("ascii")[:_LENGTH]
    return "-".join(raw[i : i + 5] for i in range(0, _LENGTH, 5))


def normalize(text: str) -> str | None:
    """The code without separators, upper-cased; None when it cannot be a code at all."""
    if len(text) > 100:
        return None
    code = _SEPARATORS.sub("", text).upper()
    return code if _SHAPE.match(code) else None


def digest(code: str) -> str:
    """What is stored: the SHA-256 (hex) of the normalized code."""
    normal = normalize(code)
    if normal is None:
        raise ValueError("not a query code")
    return hashlib.sha256(normal.encode("ascii")).hexdigest()


def matches(stored_digest: str | None, presented_digest: str) -> bool:
    """Constant-time comparison of two digests."""
    return stored_digest is not None and hmac.compare_digest(stored_digest, presented_digest)
