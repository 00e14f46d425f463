"""An orjson transcoder for the event store that round-trips our value types exactly.

JSON has no datetime, UUID, Decimal, enum, tuple or dataclass, so those are written as one-key
tagged objects (`{"$dt": "..."}`) and revived on the way back. Plain str/int/float/bool/None,
lists and dicts pass through untouched, which keeps the common case cheap. A datetime in a named
zone (`ZoneInfo`) keeps its zone (`$dz`), not just its offset, so calendar arithmetic after a
round trip is unchanged; a plain dict that happens to look like a tag is escaped (`$m`).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
from eventsourcing.persistence import Transcoder
from eventsourcing.utils import get_topic, resolve_topic

_PLAIN = (str, int, float, bool, type(None))


def _tag(o: Any) -> Any:
    t = type(o)
    if t in _PLAIN:
        return o
    if t is dict:
        tagged = {k: _tag(v) for k, v in o.items()}
        if len(o) == 1 and next(iter(o)) in _REVIVERS:
            return {"$m": tagged}
        return tagged
    if t is list:
        return [_tag(v) for v in o]
    if t is tuple:
        return {"$t": [_tag(v) for v in o]}
    if t is datetime:
        tz = o.tzinfo
        if type(tz) is ZoneInfo and tz.key:
            return {"$dz": [o.isoformat(), tz.key]}
        return {"$dt": o.isoformat()}
    if t is date:
        return {"$d": o.isoformat()}
    if t is UUID:
        return {"$u": o.hex}
    if t is Decimal:
        return {"$n": str(o)}
    if isinstance(o, Enum):
        return {"$e": [get_topic(t), o.value]}
    if dataclasses.is_dataclass(o):
        fields = {f.name: _tag(getattr(o, f.name)) for f in dataclasses.fields(o)}
        return {"$o": [get_topic(t), fields]}
    if t in (set, frozenset):
        return {"$fs" if t is frozenset else "$s": [_tag(v) for v in o]}
    msg = f"Cannot store a value of type {t.__qualname__} in an event"
    raise TypeError(msg)


_TOPICS: dict[str, Any] = {}  # topic → class: resolve_topic is a generic, slower lookup
_MEMBERS: dict[tuple[str, Any], Enum] = {}


def _resolve(topic: str) -> Any:
    cls = _TOPICS.get(topic)
    if cls is None:
        cls = _TOPICS[topic] = resolve_topic(topic)
    return cls


def _revive_enum(v: list[Any]) -> Enum:
    key = (v[0], v[1])
    member = _MEMBERS.get(key)
    if member is None:
        member = _MEMBERS[key] = _resolve(v[0])(v[1])
    return member


def _revive_object(v: list[Any]) -> Any:
    fields = {k: x if type(x) in _PLAIN_TYPES else _untag(x) for k, x in v[1].items()}
    return _resolve(v[0])(**fields)


def _revive_zoned(v: list[str]) -> datetime:
    # The offset pins the instant; the zone then gives back the same wall time and fold.
    return datetime.fromisoformat(v[0]).astimezone(ZoneInfo(v[1]))


_REVIVERS: dict[str, Any] = {
    "$dt": datetime.fromisoformat,
    "$dz": _revive_zoned,
    "$m": lambda v: {k: _untag(x) for k, x in v.items()},
    "$d": date.fromisoformat,
    "$u": UUID,
    "$n": Decimal,
    "$t": lambda v: tuple(_untag(x) for x in v),
    "$e": _revive_enum,
    "$o": _revive_object,
    "$s": lambda v: {_untag(x) for x in v},
    "$fs": lambda v: frozenset(_untag(x) for x in v),
}


def _untag(o: Any) -> Any:
    t = type(o)
    if t is dict:
        if len(o) == 1:
            ((k, v),) = o.items()
            revive = _REVIVERS.get(k)
            if revive is not None:
                return revive(v)
        # (plain values are checked here, sparing a call per leaf)
        return {k: v if type(v) in _PLAIN_TYPES else _untag(v) for k, v in o.items()}
    if t is list:
        return [v if type(v) in _PLAIN_TYPES else _untag(v) for v in o]
    return o


_PLAIN_TYPES = frozenset(_PLAIN)


def encode_value(obj: Any) -> bytes:
    return orjson.dumps(_tag(obj))


def decode_value(data: bytes | str) -> Any:
    return _untag(orjson.loads(data))


class OrjsonTranscoder(Transcoder):
    """eventsourcing `Transcoder` on orjson with exact round trips of our value types."""

    def encode(self, obj: Any) -> bytes:
        return encode_value(obj)

    def decode(self, data: bytes) -> Any:
        return decode_value(data)


TOPIC = get_topic(OrjsonTranscoder)
