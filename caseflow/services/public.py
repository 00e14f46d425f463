"""The public face of an event: the payload analysts and the stream see (no petitioner personal
data, no free text unless the deployment publishes it) and its CloudEvents 1.0 envelope. Shared
by the Kafka relay, the HTTP feed and the analysts' reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from caseflow.domain.base import ce_type
from caseflow.projections.source import LoggedEvent

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
# Fields that identify or speak for petitioners; never leave the service boundary in public.
PERSONAL_FIELDS = frozenset(
    {
        "petitioners",
        "representatives",
        "request",
        # an accusation's accused (检举控告: never shown beyond caseworkers)
        "accused_org_id",
        "accused_leader_id",
        # the petitioner's query code, even hashed, is theirs alone
        "query_code_hash",
        # the sealed (encrypted) form of the fields above, as stored
        "sealed",
        "sealed_accused",
    }
)
# Fields typed in someone's own words (the petitioner's grounds, staff's notes and replies that
# quote them, a meeting place): possibly personal, so withheld from analysts and the stream
# unless a deployment publishes them field by field (`CASEFLOW_PUBLISH_FREE_TEXT`).
FREE_TEXT: Mapping[str, frozenset[str]] = {
    "case.received": frozenset({"subject"}),
    "case.screened": frozenset({"reason"}),
    "case.assigned": frozenset({"instructions"}),
    "case.visited": frozenset({"location"}),
    "case.extended": frozenset({"reason"}),
    "case.resolved": frozenset({"reply"}),
    "case.review_requested": frozenset({"reason"}),
    "case.reviewed": frozenset({"reply"}),
    "case.recheck_requested": frozenset({"reason"}),
    "case.rechecked": frozenset({"reply"}),
    "case.supervised": frozenset({"instruction"}),
    "case.closed": frozenset({"reason"}),
    "case.erased": frozenset({"reason"}),
}
FREE_TEXT_NAMES = frozenset(
    f"{event}.{name}" for event, names in FREE_TEXT.items() for name in names
)
# The case_status row's free-text columns, by the event field they come from.
ROW_FREE_TEXT = {"subject": "case.received.subject"}


@dataclass(frozen=True)
class Disclosure:
    """Which free-text fields a deployment publishes, as `event.field` names
    (`case.resolved.reply`); none by default."""

    published: frozenset[str] = frozenset()
    _withheld: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = self.published - FREE_TEXT_NAMES
        if unknown:
            raise ValueError(
                f"not a free-text field: {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(FREE_TEXT_NAMES))})"
            )
        withheld = {
            event: frozenset(n for n in names if f"{event}.{n}" not in self.published)
            for event, names in FREE_TEXT.items()
        }
        object.__setattr__(self, "_withheld", withheld)

    @classmethod
    def of(cls, names: Iterable[str]) -> Disclosure:
        return cls(frozenset(n.strip() for n in names if n.strip()))

    def hidden(self, event_name: str) -> frozenset[str]:
        """Fields of this event that are neither public nor disclosed."""
        return PERSONAL_FIELDS | self._withheld.get(event_name, frozenset())

    def row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A case_status row (or a state folded like one) as analysts may see it."""
        return {
            k: v
            for k, v in row.items()
            if k not in PERSONAL_FIELDS
            and (k not in ROW_FREE_TEXT or ROW_FREE_TEXT[k] in self.published)
        }


WITHHOLD_ALL = Disclosure()


def public_data(name: str, data: Mapping[str, Any], disclosure: Disclosure) -> dict[str, Any]:
    """An event's data without what `disclosure` keeps back (personal data always)."""
    hidden = disclosure.hidden(name)
    return {k: v for k, v in data.items() if k not in hidden}


def public_payload(event: LoggedEvent, disclosure: Disclosure = WITHHOLD_ALL) -> dict[str, Any]:
    """The event's data without personal fields, plus who/when/why metadata. orjson-serialisable."""
    data = public_data(event.name, event.data, disclosure)
    if event.name == "case.received":
        counts = (event.data.get("sealed") or {}).get("n", {})  # stored sealed: counts beside
        data["petitioner_count"] = len(event.data.get("petitioners", ())) or counts.get(
            "petitioners", 0
        )
        data["representative_count"] = len(event.data.get("representatives", ())) or counts.get(
            "representatives", 0
        )
    meta = event.meta
    return {
        "aggregate_id": event.aggregate_id,
        "version": event.version,
        "occurred_at": event.occurred_at,
        "actor_id": meta.actor_id,
        "actor_role": meta.actor_role,
        "correlation_id": meta.correlation_id,
        "causation_id": meta.causation_id,
        **data,
    }


def sequence(position: int) -> str:
    """`ce_sequence`: the global position, zero-padded to 20 digits so it sorts as text."""
    return f"{position:020d}"


def attributes(event: LoggedEvent, source: str) -> dict[str, str]:
    """CloudEvents context attributes (binary mode puts each in a `ce_` header); `chainhash`,
    an extension, is the event's link in the log's hash chain (hex), when it has one."""
    attrs = {
        "specversion": SPEC_VERSION,
        "id": str(event.id),
        "source": source,
        "type": ce_type(event.name),
        "subject": str(event.aggregate_id),
        "time": event.recorded_at.isoformat(),
        "sequence": sequence(event.position),
    }
    if event.chainhash is not None:
        attrs["chainhash"] = event.chainhash.hex()
    return attrs


def structured(
    event: LoggedEvent,
    source: str,
    disclosure: Disclosure = WITHHOLD_ALL,
    schema_base: str | None = None,
) -> dict[str, Any]:
    """CloudEvents structured-mode JSON object, as served by `GET /events` and the SSE stream;
    with `schema_base` (the API's URL), `dataschema` names where the payload's schema is."""
    envelope: dict[str, Any] = {
        **attributes(event, source),
        "datacontenttype": CONTENT_TYPE,
        "data": public_payload(event, disclosure),
    }
    if schema_base is not None:
        envelope["dataschema"] = schema_url(schema_base, envelope["type"])
    return envelope


def schema_url(base: str, ce_type: str) -> str:
    """Where the API serves the public JSON Schema of `ce_type` (`GET /schemas/{type}.json`)."""
    return f"{base.rstrip('/')}/schemas/{ce_type}.json"
