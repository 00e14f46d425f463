"""The one settings object, read from the environment (prefix ``CASEFLOW_``) once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from caseflow.domain.policy import Policy
from caseflow.services.public import Disclosure


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
    max_body_bytes: int = 1_000_000
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
    # domain clocks and limits
    timezone: str = "Asia/Shanghai"
    screening_days: int = 15
    handling_days: int = 60
    max_extension_days: int = 30
    review_window_days: int = 30
    review_due_days: int = 30
    recheck_window_days: int = 30
    recheck_due_days: int = 30
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

    @field_validator("publish_free_text")
    @classmethod
    def _known_free_text(cls, value: str) -> str:
        Disclosure.of(value.split(","))  # raises ValueError naming the unknown field
        return value

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
