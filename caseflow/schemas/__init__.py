"""The public event schema: one JSON Schema (draft 2020-12) file per CloudEvents `ce_type`.

These files are the contract with analytics consumers, kept apart from the internal event classes
on purpose: an internal field can be renamed or added without changing what the stream promises,
and a change to a public payload has to be made here, visibly. Every schema lists its fields with
`additionalProperties: false` and forbids petitioner personal data with an explicit `not` rule, so
a payload that leaks a petitioner's identity fails validation.

Versioning: the version is part of the type (`caseflow.case.received.v1`). An incompatible change
(a removed, renamed or retyped field) gets a new `.v2` file and type; adding a field to a `.v1`
payload also means editing its file here, in the same change.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["schema", "text", "types"]

_SUFFIX = ".json"


@cache
def types() -> tuple[str, ...]:
    """Every `ce_type` that has a public schema, sorted."""
    files = resources.files(__name__).iterdir()
    return tuple(sorted(f.name[: -len(_SUFFIX)] for f in files if f.name.endswith(_SUFFIX)))


@cache
def _load(ce_type: str) -> str:
    if ce_type not in types():
        raise KeyError(f"no public schema for {ce_type!r}")
    return resources.files(__name__).joinpath(ce_type + _SUFFIX).read_text(encoding="utf-8")


def schema(ce_type: str) -> dict[str, Any]:
    """The JSON Schema of `ce_type`'s payload (a fresh dict: callers may modify it)."""
    return json.loads(_load(ce_type))


def text(ce_type: str) -> str:
    """The schema of `ce_type` as shipped (served over HTTP as it is)."""
    return _load(ce_type)
