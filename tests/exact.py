"""`assert_exact(a, b)`: equal AND of the same types all the way down (a `date` is not a
`datetime`, a tuple is not a list, `Decimal("1.10")` is not `Decimal("1.1")`, zones match)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def assert_exact(a: Any, b: Any, path: str = "$") -> None:
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, datetime):
        # fold only matters where it changes the offset (an ambiguous wall time in a zone)
        assert a == b and a.tzinfo == b.tzinfo and a.utcoffset() == b.utcoffset(), (
            f"{path}: {a!r} != {b!r}"
        )
        assert a.isoformat() == b.isoformat(), f"{path}: {a.isoformat()} != {b.isoformat()}"
    elif isinstance(a, Decimal):
        assert str(a) == str(b), f"{path}: {a} != {b}"
    elif isinstance(a, date):
        assert a == b, f"{path}: {a} != {b}"
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_exact(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            assert_exact(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (set, frozenset)):
        assert a == b, f"{path}: {a} != {b}"
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_exact(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"
