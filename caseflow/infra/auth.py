"""Bearer tokens → principal (subject, role, org), from a file and/or the ``CASEFLOW_TOKENS``
setting; in development mode one token per role, bound to the demo org tree.

Token entries read ``token=subject:role[:org_id]``: one per line in the tokens file (``#``
comments and blank lines allowed), comma-separated in ``CASEFLOW_TOKENS``. An entry without an
org suits the roles that are not org-bound (supervisor, analyst, operator).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from caseflow.infra.settings import Settings
from caseflow.projections.source import EventSource
from caseflow.services.app import Actor
from caseflow.services.authz import Role

DEV_TOKENS_FILE = "dev-tokens.json"
DEV_ENV_FILE = "dev-tokens.env"


@dataclass(frozen=True)
class Principal:
    """Who a token speaks for."""

    subject: str
    role: Role
    org_id: UUID | None = None

    @property
    def actor(self) -> Actor:
        return Actor(id=self.subject, role=self.role.value, org_id=self.org_id)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class TokenBook:
    """Keeps only the tokens' SHA-256 and compares a presented token's digest with every one of
    them in constant time, so neither a match nor its place shows in the response time."""

    def __init__(self, principals: Mapping[str, Principal] | None = None):
        self._by_digest = {_digest(t): p for t, p in (principals or {}).items()}

    def lookup(self, token: str) -> Principal | None:
        """The principal a token stands for, or None."""
        presented, found = _digest(token), None
        for digest, principal in self._by_digest.items():
            if hmac.compare_digest(digest, presented):
                found = principal
        return found

    def __len__(self) -> int:
        return len(self._by_digest)


class TokenConfigError(ValueError):
    """A token entry that cannot be understood; the message says where and why."""


def parse_entry(entry: str, where: str) -> tuple[str, Principal]:
    """`token=subject:role[:org_id]` → (token, principal)."""
    token, eq, rest = entry.strip().partition("=")
    parts = rest.split(":")
    if not eq or not token.strip() or len(parts) not in (2, 3) or not parts[0].strip():
        raise TokenConfigError(f"{where}: expected token=subject:role[:org_id], got {entry!r}")
    subject, role = parts[0].strip(), parts[1].strip()
    try:
        parsed_role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise TokenConfigError(f"{where}: unknown role {role!r} (one of {roles})") from None
    org = parts[2].strip() if len(parts) == 3 else ""
    try:
        org_id = UUID(org) if org else None
    except ValueError:
        raise TokenConfigError(f"{where}: org {org!r} is not a UUID") from None
    return token.strip(), Principal(subject, parsed_role, org_id)


def parse_tokens(entries: Iterable[str], where: str) -> dict[str, Principal]:
    out: dict[str, Principal] = {}
    for number, entry in enumerate(entries, start=1):
        if entry.strip() and not entry.lstrip().startswith("#"):
            token, principal = parse_entry(entry, f"{where}, entry {number}")
            out[token] = principal
    return out


def load_tokens(settings: Settings, extra: Mapping[str, Principal] | None = None) -> TokenBook:
    """Every token the settings name (file first, then CASEFLOW_TOKENS), plus `extra`."""
    principals: dict[str, Principal] = {}
    if settings.tokens_file:
        path = Path(settings.tokens_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise TokenConfigError(f"CASEFLOW_TOKENS_FILE {path}: {e.strerror}") from None
        principals |= parse_tokens(lines, str(path))
    if settings.tokens:
        principals |= parse_tokens(settings.tokens.split(","), "CASEFLOW_TOKENS")
    principals |= dict(extra or {})
    return TokenBook(principals)


# ------------------------------------------------------------------ development mode


def root_org(log: EventSource, scan_limit: int = 20_000) -> UUID | None:
    """The first registered org without a parent (the top of the demo tree), if any.

    Orgs are registered before anything refers to them, so they sit early in the log; the scan
    stops after `scan_limit` events to keep start-up quick on a large store."""
    after = 0
    while after < scan_limit:
        batch = log.read(after, 1000)
        if not batch:
            return None
        for event in batch:
            if event.name == "org.registered" and event.data.get("parent_id") is None:
                return event.aggregate_id
        after = batch[-1].position
    return None


def dev_tokens(data_dir: Path, org_id: UUID | None) -> dict[str, Principal]:
    """One token per role, random once and then kept in `<data_dir>/dev-tokens.json` so they
    survive restarts; every one is bound to `org_id` (the demo tree's root)."""
    path = Path(data_dir) / DEV_TOKENS_FILE
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = {}
    tokens = {
        r.value: saved.get(r.value) or f"dev-{r.value}-{secrets.token_urlsafe(18)}" for r in Role
    }
    if tokens != saved:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(tokens, indent=2) + "\n", encoding="utf-8")
        os.chmod(path, 0o600)
    return {token: Principal(f"dev-{role}", Role(role), org_id) for role, token in tokens.items()}


def dev_env(tokens: Mapping[str, Principal], base_url: str, org_id: UUID | None) -> str:
    """Shell lines exporting `CF` (the base URL), `ORG` and `TOKEN_<ROLE>` for each role."""
    lines = [f"export CF={base_url}", f"export ORG={org_id or ''}"]
    for token, p in sorted(tokens.items(), key=lambda kv: kv[1].role.value):
        lines.append(f"export TOKEN_{p.role.value.upper()}={token}")
    return "\n".join(lines) + "\n"


def dev_banner(
    tokens: Mapping[str, Principal], base_url: str, org_id: UUID | None, env_path: Path
) -> str:
    """What `caseflow serve` prints in development mode: tokens and a first request."""
    scope = f"bound to org {org_id} (the demo tree's root)" if org_id else "not bound to an org"
    some = next(t for t, p in tokens.items() if p.role is Role.SUPERVISOR)
    return (
        f"\nDevelopment mode: one bearer token per role, {scope}.\n"
        f"Load them into your shell with:  source {env_path}\n\n"
        + dev_env(tokens, base_url, org_id)
        + f"\nTry:  curl -s -H 'Authorization: Bearer {some}' '{base_url}/cases?limit=5'\n"
        f"API docs:  {base_url}/docs\n"
    )
