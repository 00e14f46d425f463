"""Bearer JWTs from the office's identity provider (OIDC): signature checked against its JWKS
(a URL or a file), issuer, audience and expiry checked, claims mapped to a principal.

Only asymmetric algorithms are accepted (settings refuse others), so a token signed with HS256
using the public key as the secret, or with `alg: none`, is refused before any key is touched.
A refusal names its reason (`SignInRefused.reason`); nothing here logs or quotes the token.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet

from caseflow.infra.auth import Principal, TokenConfigError
from caseflow.infra.settings import Settings
from caseflow.services.authz import ORG_SCOPED, Role

# reason → (status, what the caller is told)
REASONS: Mapping[str, tuple[int, str]] = {
    "malformed": (401, "The bearer token is not a well-formed JWT."),
    "algorithm_not_allowed": (401, "The token's signing algorithm is not accepted here."),
    "unknown_key": (401, "The token names a signing key the identity provider does not list."),
    "bad_signature": (401, "The token's signature does not verify."),
    "expired": (401, "The bearer token has expired; sign in again."),
    "not_yet_valid": (401, "The bearer token is not valid yet (nbf / iat in the future)."),
    "wrong_issuer": (401, "The token was issued by an issuer this service does not trust."),
    "wrong_audience": (401, "The token is meant for another audience, not this service."),
    "missing_claim": (401, "The token lacks a required claim."),
    "unknown_role": (403, "The token's role claim names no Caseflow role."),
    "bad_org": (403, "The token's org claim is missing or not an org id."),
    "keys_unavailable": (503, "The identity provider's signing keys cannot be fetched now."),
}


class SignInRefused(Exception):
    """A token refused for `reason` (a key of REASONS); `detail` may add a safe specific."""

    def __init__(self, reason: str, detail: str | None = None):
        self.reason, self.status = reason, REASONS[reason][0]
        super().__init__(detail or REASONS[reason][1])


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by name, or by dotted path into nested objects (`realm_access.roles`)."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


class JwtVerifier:
    """Verifies a bearer JWT and maps its claims to a `Principal`. May fetch the JWKS (URL mode):
    call `verify` off the event loop."""

    def __init__(self, settings: Settings):
        self.s = settings
        self.algorithms = settings.oidc_algorithm_list()
        self.roles = settings.oidc_roles() or {r.value: r for r in Role}
        self._client: PyJWKClient | None = None
        self._file_keys: list[PyJWK] = []
        if settings.oidc_jwks_url:
            self._client = PyJWKClient(
                settings.oidc_jwks_url,
                lifespan=settings.oidc_jwks_cache,
                timeout=5,
                cooldown_duration=30,
            )
        else:
            keys = _read_jwks(Path(str(settings.oidc_jwks_file)))
            self._file_keys = [k for k in keys if k.public_key_use in ("sig", None)]

    def verify(self, token: str) -> Principal:
        """The principal a valid token stands for; SignInRefused (with its reason) otherwise."""
        header = _header(token)
        if header.get("alg") not in self.algorithms:
            raise SignInRefused("algorithm_not_allowed")
        key = self._key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=self.algorithms,
                audience=self.s.oidc_audience,
                issuer=self.s.oidc_issuer,
                leeway=self.s.oidc_leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.MissingRequiredClaimError as e:
            detail = f"The token lacks the '{e.claim}' claim."
            raise SignInRefused("missing_claim", detail) from None
        except jwt.PyJWTError as e:
            raise SignInRefused(_reason(e)) from None
        return self._principal(claims)

    def _key(self, kid: Any) -> PyJWK:
        if self._client is not None:
            if not isinstance(kid, str):
                raise SignInRefused("unknown_key", "The token names no signing key (kid).")
            try:
                return self._client.get_signing_key(kid)
            except jwt.PyJWKClientConnectionError:
                raise SignInRefused("keys_unavailable") from None
            except jwt.PyJWTError:
                raise SignInRefused("unknown_key") from None
        keys = self._file_keys
        found = [k for k in keys if k.key_id == kid] if kid is not None else keys[:1]
        if len(found) != 1 or (kid is None and len(keys) != 1):
            raise SignInRefused("unknown_key")
        return found[0]

    def _principal(self, claims: Mapping[str, Any]) -> Principal:
        s = self.s
        subject = _claim(claims, s.oidc_subject_claim)
        if not isinstance(subject, str) or not subject.strip() or len(subject) > 200:
            raise SignInRefused(
                "missing_claim", f"The token has no usable '{s.oidc_subject_claim}' claim."
            )
        role = _role(_claim(claims, s.oidc_role_claim), self.roles)
        if role is None:
            roles = ", ".join(sorted(self.roles))
            raise SignInRefused(
                "unknown_role",
                f"The token's '{s.oidc_role_claim}' claim names no Caseflow role (one of {roles}).",
            )
        org = _claim(claims, s.oidc_org_claim)
        try:
            org_id = UUID(org) if isinstance(org, str) else None
        except ValueError:
            raise SignInRefused(
                "bad_org", f"The token's '{s.oidc_org_claim}' claim is not an org id (a UUID)."
            ) from None
        if org_id is None and (org is not None or role in ORG_SCOPED):
            raise SignInRefused(
                "bad_org",
                f"The {role.value} role needs an org id in the '{s.oidc_org_claim}' claim.",
            )
        return Principal(subject.strip(), role, org_id)


def _header(token: str) -> dict[str, Any]:
    """The token's JOSE header, read to pick the key (jwt.decode checks it all again). PyJWT's
    own reader validates every segment character by character: twice per token was half the cost
    of a verification."""
    segment = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError:  # bad base64, bad UTF-8 or bad JSON
        raise SignInRefused("malformed") from None
    if not isinstance(header, dict):
        raise SignInRefused("malformed")
    return header


def _role(value: Any, known: Mapping[str, Role]) -> Role | None:
    """A role claim (a string, or a list holding exactly one known role name) → the Role.
    `known` maps the identity provider's names (CASEFLOW_OIDC_ROLE_MAP; Caseflow's own when
    unset) to roles; names it does not list are ignored, so a list may carry unrelated roles."""
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles = {known[n] for n in names if isinstance(n, str) and n in known}
    return roles.pop() if len(roles) == 1 else None


def _reason(e: jwt.PyJWTError) -> str:
    # Order matters: InvalidSignatureError is a DecodeError.
    for kind, reason in (
        (jwt.ExpiredSignatureError, "expired"),
        (jwt.ImmatureSignatureError, "not_yet_valid"),
        (jwt.InvalidIssuerError, "wrong_issuer"),
        (jwt.InvalidAudienceError, "wrong_audience"),
        (jwt.InvalidSignatureError, "bad_signature"),
        (jwt.InvalidAlgorithmError, "algorithm_not_allowed"),
    ):
        if isinstance(e, kind):
            return reason
    return "malformed"


def _read_jwks(path: Path) -> PyJWKSet:
    try:
        return PyJWKSet.from_json(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise TokenConfigError(f"CASEFLOW_OIDC_JWKS_FILE {path}: {e.strerror}") from None
    except (ValueError, jwt.PyJWTError) as e:
        raise TokenConfigError(
            f"CASEFLOW_OIDC_JWKS_FILE {path}: not a usable JWK set ({e})"
        ) from None


def load_verifier(settings: Settings) -> JwtVerifier | None:
    """The JWT verifier the settings ask for (CASEFLOW_OIDC_ISSUER set), or None."""
    return JwtVerifier(settings) if settings.oidc_issuer else None
