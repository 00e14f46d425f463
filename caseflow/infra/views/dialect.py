"""What differs between SQLite and PostgreSQL for the view store: types, placeholders, value
conversion, and how a writing transaction begins. Everything else is shared SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import orjson

from caseflow.projections.base import Table

Convert = Callable[[Any], Any]


_UTC_TEXT: dict[datetime, str] = {}


def _utc_iso(v: datetime) -> str:
    """Fixed-width UTC text, which sorts in time order, so range filters work on plain TEXT
    columns. Remembered: `isoformat` costs over a microsecond, while a datetime caches its hash,
    and a view writes the same moments (a case's facts) again with every change of its row.
    Equal aware datetimes are the same instant, so they share one text. Bounded like the UUIDs."""
    text = _UTC_TEXT.get(v)
    if text is None:
        if len(_UTC_TEXT) >= 100_000:
            _UTC_TEXT.clear()
        utc = v if v.tzinfo is UTC else v.astimezone(UTC)
        text = _UTC_TEXT[v] = utc.isoformat(timespec="microseconds")
    return text


_UUID_TEXT: dict[int, str] = {}


def _uuid_text(v: UUID) -> str:
    """`str(v)`, remembered: replay writes the same ids (a case's, its org's, its leader's) into
    several rows, and `UUID.__str__` is Python code. Bounded: cleared when it grows large."""
    if type(v) is not UUID:
        return str(v)
    n = v.int
    text = _UUID_TEXT.get(n)
    if text is None:
        if len(_UUID_TEXT) >= 100_000:
            _UUID_TEXT.clear()
        text = _UUID_TEXT[n] = str(v)
    return text


def _json_text(v: Any) -> str:
    return orjson.dumps(v).decode()


@dataclass(frozen=True)
class Dialect:
    name: str
    types: dict[str, str]
    to_db: dict[str, Convert]  # Python value → parameter, per column type (absent: as is)
    from_db: dict[str, Convert]  # fetched value → Python value, per column type
    param: str  # "?" or "%s"
    begin: str  # statement that opens a writing transaction
    for_update: str  # suffix that locks a selected row until commit

    def sql(self, text: str) -> str:
        """Our SQL is written with `?`; PostgreSQL (psycopg) wants `%s`."""
        return text if self.param == "?" else text.replace("%", "%%").replace("?", "%s")

    def encoders(self, table: Table) -> list[Convert | None]:
        return [self.to_db.get(c.type) for c in table.columns]

    def decoders(self, table: Table) -> list[Convert | None]:
        return [self.from_db.get(c.type) for c in table.columns]

    def encode(self, table_encoders: list[Convert | None], values: tuple[Any, ...]) -> tuple:
        return tuple(
            v if f is None or v is None else f(v)
            for f, v in zip(table_encoders, values, strict=True)
        )


def _sqlite_bool(v: Any) -> bool:
    return bool(v)


SQLITE = Dialect(
    name="sqlite",
    types={
        "text": "TEXT",
        "int": "INTEGER",
        "real": "REAL",
        "bool": "INTEGER",
        "date": "TEXT",
        "timestamp": "TEXT",
        "uuid": "TEXT",
        "json": "TEXT",
    },
    to_db={"date": date.isoformat, "timestamp": _utc_iso, "uuid": _uuid_text, "json": _json_text},
    from_db={
        "date": date.fromisoformat,
        "timestamp": datetime.fromisoformat,
        "uuid": UUID,
        "json": orjson.loads,
        "bool": _sqlite_bool,
    },
    param="?",
    begin="BEGIN IMMEDIATE",
    for_update="",
)


def _jsonb(v: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(v, dumps=_json_text)


POSTGRES = Dialect(
    name="postgres",
    types={
        "text": "TEXT",
        "int": "BIGINT",
        "real": "DOUBLE PRECISION",
        "bool": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMPTZ",
        "uuid": "UUID",
        "json": "JSONB",
    },
    to_db={"json": _jsonb},
    from_db={},
    param="%s",
    begin="BEGIN",
    for_update=" FOR UPDATE",
)


def literal_default(value: Any, dialect: Dialect) -> str:
    """A column default as SQL text (numbers, booleans and strings only)."""
    if isinstance(value, bool):
        if dialect.name == "postgres":
            return "TRUE" if value else "FALSE"
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"unsupported column default {value!r}")
