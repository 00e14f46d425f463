"""The one settings object, read from the environment (prefix ``CASEFLOW_``) once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from caseflow.domain.policy import Policy
from caseflow.services.authz import Role
from caseflow.services.public import Disclosure

# Signing algorithms a bearer JWT may use: asymmetric only, so no shared secret exists to leak
# and a public key can never be used as an HMAC secret.
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


def role_map(text: str) -> dict[str, Role]:
    """`idp-name=caseflow-role,...` → {idp-name: Role}; ValueError naming a bad pair."""
    mapping: dict[str, Role] = {}
    for pair in (p.strip() for p in text.split(",")):
        if not pair:
            continue
        name, sep, role = (part.strip() for part in pair.partition("="))
        if not sep or not name or role not in Role.__members__.values():
            roles = ", ".join(r.value for r in Role)
            raise ValueError(
                f"CASEFLOW_OIDC_ROLE_MAP: {pair!r} is not idp-name=role (role one of {roles})"
            )
        mapping[name] = Role(role)
    return mapping


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASEFLOW_", extra="ignore")

    # storage
    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None,
        description="postgresql://user:pass@host:port/db; SQLite under data_dir when unset",
    )
    # HTTP
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    dev: bool = False
    tokens_file: Path | None = None
    tokens: str | None = Field(
        default=None, description="token=subject:role:org_id,... (dev/tests)"
    )
    # Sign-in with the office's identity provider (bearer JWTs), beside the tokens above; on
    # when an issuer is set. Keys from a JWKS URL (cached) or file; asymmetric algorithms only.
    oidc_issuer: str | None = Field(default=None, description="the `iss` tokens must carry")
    oidc_audience: str | None = Field(default=None, description="the `aud` tokens must carry")
    oidc_jwks_url: str | None = Field(default=None, description="https://idp/.../jwks.json")
    oidc_jwks_file: Path | None = None
    oidc_jwks_cache: float = Field(default=300, gt=0, description="seconds a fetched JWKS is kept")
    oidc_algorithms: str = Field(default="RS256,ES256", description="comma-separated, asymmetric")
    oidc_leeway: int = Field(default=30, ge=0, le=300, description="clock skew allowed, seconds")
    oidc_subject_claim: str = "sub"
    oidc_role_claim: str = Field(default="role", description="dotted for nested: realm.roles")
    oidc_role_map: str = Field(default="", description="idp-name=caseflow-role,...")
    oidc_org_claim: str = "org_id"
    max_body_bytes: int = 1_000_000
    # A petitioner's lookups by query code (GET/POST /public/cases/{code}): at most this many
    # per client address and per code in any `public_rate_window` seconds (per process).
    public_rate_per_address: int = Field(default=30, ge=1)
    public_rate_per_code: int = Field(default=10, ge=1)
    public_rate_window: float = Field(default=60, gt=0)
    # Open GET /events/stream connections one process serves; more are refused with 503.
    max_streams: int = Field(default=100, ge=1, le=10_000)
    # Logs as text lines, or as JSON lines (each with the request id) for a log collector.
    log_format: Literal["text", "json"] = "text"
    # FastAPI's native OpenTelemetry instrumentation (traces, metrics and logs to the globally
    # configured providers). Off unless asked for: it looks the providers up on every request.
    otel: bool = False
    # stream
    kafka_bootstrap: str | None = None
    kafka_topic: str = "caseflow.events"
    kafka_partitions: int = Field(default=6, ge=1)
    event_source: str = "/caseflow"
    # The API's address as clients reach it (e.g. https://caseflow.example.gov.cn): names the
    # event JSON Schemas in the stream's `ce_dataschema`; unset, Kafka records carry none and
    # the HTTP feed names them at the address it was asked on.
    public_url: str | None = None
    # Free text (typed in someone's own words) that analysts and the stream may see, as a
    # comma-separated list of `event.field` names (e.g. `case.visited.location`); none by default.
    publish_free_text: str = Field(
        default="", description="e.g. case.visited.location,case.resolved.reply; empty: none"
    )
    # projections
    projection_batch_size: int = Field(default=1000, ge=1)
    poll_interval: float = Field(default=0.05, gt=0)
    # Live projections: after a round of fewer than `gather_below` events, wait `gather`
    # seconds for more before the next (fewer, larger view transactions under load).
    projection_gather: float = Field(default=0.025, ge=0, le=1)
    projection_gather_below: int = Field(default=100, ge=0)
    # /health says "degraded" while a view or the relay leaves an event unhandled this long.
    health_max_lag: float = Field(default=30.0, gt=0)
    # domain clocks and limits
    timezone: str = "Asia/Shanghai"
    screening_days: int = 15
    handling_days: int = 60
    max_extension_days: int = 30
    review_window_days: int = 30
    review_due_days: int = 30
    recheck_window_days: int = 30
    recheck_due_days: int = 30
    # integrity (docs/integrity.md): signed checkpoints of the hash chain, kept outside the database
    audit_signing_key_file: Path | None = Field(
        default=None, description="Ed25519 private key (PEM); only the process that signs"
    )
    audit_public_key_file: Path | None = Field(
        default=None, description="Ed25519 public key (PEM) that checks the checkpoints"
    )
    audit_checkpoint_dir: Path | None = Field(
        default=None, description="where checkpoints are appended; default <data_dir>/checkpoints"
    )
    audit_checkpoint_topic: str | None = Field(
        default=None, description="Kafka topic that also receives every checkpoint"
    )
    audit_checkpoint_every: int = Field(
        default=0, ge=0, description="the worker signs a checkpoint after this many events; 0: off"
    )
    audit_checkpoint_interval: float = Field(
        default=0, ge=0, description="... and every this many seconds; 0: off"
    )
    # privacy (docs/privacy.md): personal fields sealed with per-case data keys, which a master
    # key wraps; without one, the embedded store (or CASEFLOW_DEV) generates <data_dir>/master.key
    master_key: SecretStr | None = None
    master_key_file: Path | None = None
    previous_master_key_files: str = ""
    retention_years: int = Field(default=0, ge=0)
    # tests
    require_services: bool = False

    @property
    def uses_postgres(self) -> bool:
        return bool(self.database_url)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)"
            raise ValueError(msg) from None
        return value

    @field_validator("oidc_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: str) -> str:
        names = [a.strip() for a in value.split(",") if a.strip()]
        wrong = [a for a in names if a not in ASYMMETRIC]
        if wrong or not names:
            raise ValueError(
                f"CASEFLOW_OIDC_ALGORITHMS: {', '.join(wrong) or 'none given'} "
                f"not accepted (asymmetric only: {', '.join(sorted(ASYMMETRIC))})"
            )
        return value

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if not self.oidc_issuer:
            return self
        if not self.oidc_audience:
            raise ValueError("CASEFLOW_OIDC_AUDIENCE is required with CASEFLOW_OIDC_ISSUER")
        if bool(self.oidc_jwks_url) == bool(self.oidc_jwks_file):
            raise ValueError(
                "with CASEFLOW_OIDC_ISSUER, set one of CASEFLOW_OIDC_JWKS_URL and "
                "CASEFLOW_OIDC_JWKS_FILE"
            )
        if self.oidc_jwks_url and not self.oidc_jwks_url.startswith(("https://", "http://")):
            raise ValueError("CASEFLOW_OIDC_JWKS_URL must be an http(s) URL")
        return self

    @field_validator("oidc_role_map")
    @classmethod
    def _role_map_names_roles(cls, value: str) -> str:
        role_map(value)  # raises ValueError naming the bad pair
        return value

    def oidc_roles(self) -> dict[str, Role]:
        """The identity provider's role names → Caseflow roles (CASEFLOW_OIDC_ROLE_MAP)."""
        return role_map(self.oidc_role_map)

    def oidc_algorithm_list(self) -> list[str]:
        return [a.strip() for a in self.oidc_algorithms.split(",") if a.strip()]

    @field_validator("publish_free_text")
    @classmethod
    def _known_free_text(cls, value: str) -> str:
        Disclosure.of(value.split(","))  # raises ValueError naming the unknown field
        return value

    @property
    def checkpoint_dir(self) -> Path:
        return self.audit_checkpoint_dir or Path(self.data_dir) / "checkpoints"

    def disclosure(self) -> Disclosure:
        """The free-text fields this deployment publishes to analysts and the stream."""
        return Disclosure.of(self.publish_free_text.split(","))

    def policy(self) -> Policy:
        return Policy(
            timezone=self.timezone,
            screening_days=self.screening_days,
            handling_days=self.handling_days,
            max_extension_days=self.max_extension_days,
            review_window_days=self.review_window_days,
            review_due_days=self.review_due_days,
            recheck_window_days=self.recheck_window_days,
            recheck_due_days=self.recheck_due_days,
        )
