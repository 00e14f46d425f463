"""The configuration table of the README, generated from `Settings` so that it cannot drift:
`python -m caseflow.infra.settings_doc --write README.md` rewrites it between its markers, and a
test fails when a setting is missing from it or undescribed here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from caseflow.infra.settings import Settings

BEGIN, END = "<!-- settings table: generated -->", "<!-- end of settings table -->"

MEANING = {
    "data_dir": "where the SQLite event store, views and locks live",
    "database_url": "`postgresql://user:pass@host:port/db` switches the event store and views "
    "to PostgreSQL",
    "host": "where `caseflow serve` listens",
    "port": "the port `caseflow serve` listens on",
    "dev": "development mode: a generated token for every role, printed at start",
    "tokens_file": "a file of bearer tokens, `token=subject:role[:org_id]` per line "
    "(`caseflow tokens init FILE` writes a first one)",
    "tokens": "bearer tokens, `token=subject:role[:org_id]` comma-separated",
    "max_body_bytes": "largest request body accepted (413 beyond)",
    "max_streams": "open `GET /events/stream` connections per process (503 beyond)",
    "oidc_jwks_url": "the identity provider's JWKS (signing keys) URL, fetched and cached",
    "oidc_jwks_file": "or a JWKS file (one of the two when CASEFLOW_OIDC_ISSUER is set)",
    "oidc_subject_claim": "the claim that names the caller (a leader: their leader id)",
    "oidc_org_claim": "the claim that names the caller's org",
    "oidc_role_map": "the identity provider's role names → Caseflow roles: clerk=registrar,...",
    "public_rate_per_address": "a petitioner's query-code lookups allowed per client address "
    "in the window (per process; 429 beyond)",
    "public_rate_per_code": "lookups allowed per query code in the window",
    "public_rate_window": "the window of those limits, seconds",
    "log_format": "`text`, or `json`: one JSON object per line, with the request id",
    "otel": "FastAPI's native OpenTelemetry instrumentation, to the globally configured providers",
    "kafka_bootstrap": "Kafka brokers (`host:port,…`); when set the relay publishes the stream",
    "kafka_topic": "the stream's topic",
    "kafka_partitions": "partitions of the topic when the relay creates it",
    "event_source": "the CloudEvents `source` of every event",
    "public_url": "the API's address as clients reach it: names each event's JSON Schema "
    "(`dataschema`) on the Kafka stream and the HTTP feed",
    "publish_free_text": "free-text fields analysts and the stream may see, e.g. "
    "`case.visited.location` (none by default)",
    "projection_batch_size": "events a live projection reads at a time",
    "poll_interval": "seconds between looks at the log when idle (SQLite)",
    "projection_gather": "seconds a live projection waits for more after a small round",
    "projection_gather_below": "a round smaller than this is small (see above)",
    "health_max_lag": "seconds an event may wait for a view or the relay before `/health` "
    "says degraded",
    "timezone": "calendar the statutory clocks count days in",
    "screening_days": "days to decide on acceptance (受理)",
    "handling_days": "days to resolve an accepted case (办结)",
    "max_extension_days": "most days all extensions of one case may add",
    "review_window_days": "days a petitioner has to ask for a review (复查)",
    "review_due_days": "days to decide a review",
    "recheck_window_days": "days a petitioner has to ask for a re-check (复核)",
    "recheck_due_days": "days to decide a re-check",
    "master_key": "the master key (base64 of 32 random bytes) that wraps every case's data "
    "key; or CASEFLOW_MASTER_KEY_FILE. Unset: PostgreSQL refuses to start, the "
    "embedded store (or CASEFLOW_DEV) uses a generated `<data_dir>/master.key`",
    "master_key_file": "a file holding the master key (`caseflow privacy new-key FILE` writes one)",
    "previous_master_key_files": "earlier master key files, comma-separated, that stored data "
    "keys may still be wrapped under while `caseflow privacy "
    "rotate-key` runs",
    "retention_years": "`caseflow privacy retention` erases the personal data of cases closed "
    "more than this many years ago; 0: never",
    "require_services": "tests: fail instead of skipping when PostgreSQL or Kafka is missing",
}


def _default(value: Any) -> str:
    if value is None or value == "":
        return "unset"
    if isinstance(value, bool):
        return "`1`" if value else "off"
    if isinstance(value, Path):
        return f"`{value.as_posix()}`"
    return f"`{value}`"


def table() -> str:
    """The markdown table: variable, default, meaning; one row per setting, in field order."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        meaning = MEANING.get(name) or field.description or "(undescribed)"
        rows.append(f"| `CASEFLOW_{name.upper()}` | {_default(field.default)} | {meaning} |")
    return "\n".join(rows)


def rewrite(text: str) -> str:
    """`text` with the part between the markers replaced by the current table."""
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"the markers {BEGIN!r} and {END!r} are missing")
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"] and len(sys.argv) == 3:
        path = Path(sys.argv[2])
        path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(table())
