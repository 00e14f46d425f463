"""An identity provider for the sign-in tests: keys generated here (once per run), its JWKS and
tokens signed with them."""

from __future__ import annotations

import base64
import json
import time
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ISSUER, AUDIENCE = "https://idp.test/realms/office", "caseflow"


@cache
def keys() -> dict[str, Any]:
    """The provider's RSA and EC signing keys, and a stranger's RSA key it does not publish."""
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP256R1()),
        "stranger": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


def jwks() -> dict[str, Any]:
    """The identity provider's published keys: the RSA one and the EC one (not the stranger)."""
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(keys()["rsa"].public_key()))
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(keys()["ec"].public_key()))
    return {
        "keys": [
            rsa_jwk | {"kid": "rsa-1", "use": "sig", "alg": "RS256"},
            ec_jwk | {"kid": "ec-1", "use": "sig", "alg": "ES256"},
        ]
    }


def claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "idp-user-7",
        "iat": now,
        "exp": now + 300,
        "role": "analyst",
    } | over


def sign(body: dict[str, Any], key: str = "rsa", kid: str = "rsa-1", alg: str = "RS256") -> str:
    return jwt.encode(body, keys()[key], algorithm=alg, headers={"kid": kid})


def unsigned(header: dict[str, Any], body: dict[str, Any]) -> str:
    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64(header)}.{b64(body)}"
