"""The hash chain over the event log: what one link covers, and how the recorders extend it.

Each stored event gets `chainhash = SHA-256(previous chainhash ‖ record)`, where `record` is the
stored event exactly as written, framed so that no two records share bytes:

    position      8 bytes, unsigned big-endian (the global position)
    aggregate id  2-byte length, then the UUID's 16 bytes (any other id: its UTF-8)
    version       8 bytes, signed big-endian
    topic         4-byte length, then UTF-8
    state         8-byte length, then the stored bytes

The first link's previous hash is 32 zero bytes. Links live in their own table (one row per
position: the link's hash and the position of the event it follows), written in the same
transaction as the events, while the writer holds the event table's write lock, so links are
made in position order and two writers can never fork the chain. The previous position lets
`verify` tell a deleted event from an altered one; the hash does not cover it (the previous
hash already pins the previous event).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from typing import Any, NamedTuple
from uuid import UUID

GENESIS = bytes(32)
TABLE_SUFFIX = "_chain"

FRAME_HEAD = struct.Struct(">QH")  # position, length of the aggregate id
FRAME_MIDDLE = struct.Struct(">qI")  # version, length of the topic
FRAME_STATE_LEN = struct.Struct(">Q")


class Link(NamedTuple):
    position: int
    prev_position: int
    chainhash: bytes


class Record(NamedTuple):
    """A stored event as read back raw: what a link covers."""

    position: int
    aggregate_id: Any  # UUID, or whatever a damaged store holds
    version: int
    topic: str
    state: bytes


def as_record(row: Any) -> Record:
    """A `Record` from a row of a possibly damaged store: SQLite keeps whatever type was
    written (text for state, a string for a version), and such a row is hashed as found."""
    position, aggregate_id, version, topic, state = row[:5]
    if not isinstance(state, bytes | bytearray | memoryview):
        state = b"" if state is None else str(state).encode()
    try:
        version = int(version)
    except (TypeError, ValueError):
        version = -1
    return Record(
        position, aggregate_id, version, "" if topic is None else str(topic), bytes(state)
    )


def aggregate_bytes(aggregate_id: Any) -> bytes:
    if isinstance(aggregate_id, UUID):
        return aggregate_id.bytes
    text = str(aggregate_id)
    if len(text) == 32:  # SQLite stores the hex digits
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    try:
        return UUID(text).bytes
    except ValueError:  # not a UUID: a foreign or damaged row; hashed as it is
        return text.encode()


def link_hash(
    prev: bytes, position: int, aggregate_id: Any, version: int, topic: str, state: bytes
) -> bytes:
    """SHA-256(prev ‖ framed record)."""
    oid = aggregate_bytes(aggregate_id)
    t = topic.encode()
    return hashlib.sha256(
        b"".join(
            (
                prev,
                FRAME_HEAD.pack(position, len(oid)),
                oid,
                FRAME_MIDDLE.pack(version, len(t)),
                t,
                FRAME_STATE_LEN.pack(len(state)),
                state,
            )
        )
    ).digest()


def extend(head: Link, positions: Sequence[int], events: Sequence[Any]) -> list[Link]:
    """Links for `events` (StoredEvent-like) stored at `positions`, following `head`."""
    links = []
    prev_position, prev = head.position, head.chainhash
    for position, e in zip(positions, events, strict=True):
        prev = link_hash(
            prev, position, e.originator_id, e.originator_version, e.topic, bytes(e.state)
        )
        links.append(Link(position, prev_position, prev))
        prev_position = position
    return links


EMPTY = Link(0, 0, GENESIS)


def statements(events_table: str, *, postgres: bool) -> dict[str, str]:
    """The chain table's SQL beside `events_table`: create, head (the newest link), insert."""
    table = events_table + TABLE_SUFFIX
    integer, blob = ("bigint", "bytea") if postgres else ("INTEGER", "BLOB")
    rows = (
        "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bytea[])"
        if postgres
        else "VALUES (?, ?, ?)"
    )
    return {
        "create": f"CREATE TABLE IF NOT EXISTS {table} (position {integer} PRIMARY KEY, "
        f"prev_position {integer} NOT NULL, chainhash {blob} NOT NULL)",
        "head": f"SELECT position, prev_position, chainhash FROM {table} "
        "ORDER BY position DESC LIMIT 1",
        "insert": f"INSERT INTO {table} (position, prev_position, chainhash) {rows}",
    }


def head_of(row: Any) -> Link:
    """The chain head from a `head` query's row (None: an empty chain)."""
    if row is None:
        return EMPTY
    if isinstance(row, dict):
        return Link(row["position"], row["prev_position"], bytes(row["chainhash"]))
    return Link(row[0], row[1], bytes(row[2]))
