"""Per-table row converters compiled once from the column list: the replay hot path turns
hundreds of thousands of rows into parameter tuples and back, and a generated function with the
columns spelled out is several times faster than a generic loop over them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

Convert = Callable[[Any], Any] | None


def _compile(name: str, source: str, namespace: dict[str, Any]) -> Callable[..., Any]:
    exec(compile(source, f"<caseflow.views.{name}>", "exec"), namespace)  # noqa: S102
    return namespace[name]


def _value(expr: str, convert: str | None) -> str:
    return expr if convert is None else f"(None if (_v := {expr}) is None else {convert}(_v))"


def row_encoder(columns: Sequence[str], encoders: Sequence[Convert],
                defaults: dict[str, Any]) -> Callable[[dict[str, Any]], tuple]:
    """dict row → parameter tuple in column order (missing columns take their default).

    The values are taken in one C-level `itemgetter` call; only columns with a converter get
    Python code of their own. A row missing columns (rare: `put` completes rows) is completed
    from the defaults first."""
    ns: dict[str, Any] = {"_get": itemgetter(*columns), "_defaults": dict(defaults)}
    names = [f"v{i}" for i in range(len(columns))]
    parts = []
    for i, encode in enumerate(encoders):
        if encode is None:
            parts.append(names[i])
        else:
            ns[f"f{i}"] = encode
            parts.append(f"None if v{i} is None else f{i}(v{i})")
    unpack = ", ".join(names)  # (one column: itemgetter gives the value itself)
    body = ",\n        ".join(parts)
    source = (f"def encode(row):\n"
              f"    try:\n        {unpack} = _get(row)\n"
              f"    except KeyError:\n        {unpack} = _get({{**_defaults, **row}})\n"
              f"    return (\n        {body},\n    )\n")
    return _compile("encode", source, ns)


def row_decoder(columns: Sequence[str], decoders: Sequence[Convert]
                ) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """fetched record → dict row with Python values."""
    ns: dict[str, Any] = {}
    parts = []
    for i, (column, decode) in enumerate(zip(columns, decoders, strict=True)):
        if decode is not None:
            ns[f"f{i}"] = decode
        parts.append(f"{column!r}: " + _value(f"r[{i}]", f"f{i}" if decode else None))
    body = ",\n        ".join(parts)
    return _compile("decode", f"def decode(r):\n    return {{\n        {body},\n    }}\n", ns)


def key_getter(key: Sequence[str]) -> Callable[[dict[str, Any]], tuple]:
    """dict row → its key tuple."""
    items = "".join(f"row[{k!r}], " for k in key)
    return _compile("key_of", f"def key_of(row):\n    return ({items})\n", {})


def key_encoder(encoders: Sequence[Convert]) -> Callable[[Sequence[Any]], tuple]:
    """key tuple (Python values) → parameter tuple."""
    ns: dict[str, Any] = {}
    parts = []
    for i, encode in enumerate(encoders):
        if encode is not None:
            ns[f"f{i}"] = encode
        parts.append(_value(f"k[{i}]", f"f{i}" if encode else None))
    return _compile("encode_key", f"def encode_key(k):\n    return ({', '.join(parts)},)\n", ns)


def changed_columns(columns: Sequence[str], key: Sequence[str]
                    ) -> Callable[[dict[str, Any], dict[str, Any]], tuple]:
    """(new row, committed row), both whole → names of the non-key columns whose value differs."""
    ns: dict[str, Any] = {}
    lines = ["def changed(row, base):", "    out = []"]
    for column in columns:
        if column in key:
            continue
        # Both rows are whole. Unchanged values are mostly the very same objects: `is` spares
        # a slow __eq__ (UUID's is written in Python).
        lines.append(f"    v, w = row[{column!r}], base[{column!r}]")
        lines.append("    if v is not w and v != w:")
        lines.append(f"        out.append({column!r})")
    lines.append("    return tuple(out)")
    return _compile("changed", "\n".join(lines) + "\n", ns)


def values_encoder(columns: Sequence[str], encoders: Sequence[Convert]
                   ) -> Callable[[dict[str, Any]], tuple]:
    """whole dict row → the parameters for these columns, in this order."""
    ns: dict[str, Any] = {}
    parts = []
    for i, (column, encode) in enumerate(zip(columns, encoders, strict=True)):
        if encode is not None:
            ns[f"f{i}"] = encode
        parts.append(_value(f"row[{column!r}]", f"f{i}" if encode else None))
    return _compile("encode_values", f"def encode_values(row):\n    return ({', '.join(parts)},)\n",
                    ns)
