"""An event as a Kafka record: CloudEvents 1.0 in binary content mode (DESIGN §5).

Key = the aggregate id (so one case's events share a partition and keep their order), one `ce_`
header per context attribute plus `content-type`, value = the public payload as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from caseflow.projections.source import LoggedEvent
from caseflow.services.public import (
    CONTENT_TYPE,
    WITHHOLD_ALL,
    Disclosure,
    attributes,
    public_payload,
    schema_url,
)

CE_PREFIX = "ce_"
CONTENT_TYPE_HEADER = "content-type"
_CONTENT_TYPE = CONTENT_TYPE.encode()


@dataclass(frozen=True, slots=True)
class Record:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def to_record(
    event: LoggedEvent,
    source: str,
    disclosure: Disclosure = WITHHOLD_ALL,
    schema_base: str | None = None,
) -> Record:
    """The Kafka record for one logged event (no petitioner personal data: `public_payload`);
    with `schema_base` (the API's public URL), `ce_dataschema` names its payload's schema."""
    attrs = attributes(event, source)
    if schema_base:
        attrs["dataschema"] = schema_url(schema_base, attrs["type"])
    headers = [(CE_PREFIX + name, value.encode()) for name, value in attrs.items()]
    headers.append((CONTENT_TYPE_HEADER, _CONTENT_TYPE))
    value = orjson.dumps(public_payload(event, disclosure))
    return Record(attrs["subject"].encode(), value, headers)


@dataclass(frozen=True, slots=True)
class Received:
    """A record read back from the topic: its CloudEvents attributes and decoded payload."""

    attributes: dict[str, str]  # without the `ce_` prefix: id, type, subject, sequence, ...
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return self.attributes["id"]

    @property
    def type(self) -> str:
        return self.attributes["type"]

    @property
    def position(self) -> int:
        return int(self.attributes["sequence"])


class NotACloudEvent(ValueError):
    """A record without the binary-mode CloudEvents headers this stream promises."""


def from_record(headers: list[tuple[str, bytes]], value: bytes) -> Received:
    """Parse a binary-mode record (what analytics consumers do with each message)."""
    attrs = {
        name[len(CE_PREFIX) :]: raw.decode() for name, raw in headers if name.startswith(CE_PREFIX)
    }
    missing = {"specversion", "id", "type", "source"} - attrs.keys()
    if missing:
        raise NotACloudEvent(f"missing CloudEvents headers: {', '.join(sorted(missing))}")
    return Received(attrs, orjson.loads(value))
