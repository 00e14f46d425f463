"""Installing sealing into an application (called by the bootstrap): the master keys from
settings, the data key table of its store, and a mapper that seals and opens."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from caseflow.domain.catalog import names_by_topic
from caseflow.infra.privacy.datakeys import DataKeyStore, data_key_store
from caseflow.infra.privacy.masterkey import MasterKeyError, MasterKeys, load_master_keys
from caseflow.infra.privacy.sealing import (
    ACCUSED_KEY,
    ERASED,
    SEALED_FIELDS,
    SEALED_KEY,
    Sealer,
    SealingMapper,
)
from caseflow.infra.settings import Settings


def check_master_keys(keys: DataKeyStore, master: MasterKeys) -> None:
    """Refuse to start when stored data keys are wrapped under a master key not configured."""
    missing = sorted(k for k in keys.master_key_ids() if not master.knows(k))
    if missing:
        raise MasterKeyError(
            f"CASEFLOW_MASTER_KEY_FILE / CASEFLOW_MASTER_KEY: the configured master key "
            f"({master.primary_id}) is not the one the stored data keys are wrapped under "
            f"({', '.join(missing)}); set that key, or name it in "
            "CASEFLOW_PREVIOUS_MASTER_KEY_FILES while `caseflow privacy rotate-key` runs"
        )


def install_sealing(app: Any, settings: Settings, clock: Callable[[], datetime]) -> Sealer:
    """Seal personal fields in `app`'s event store from now on; the sealer, for reads and the
    privacy commands. Raises MasterKeyError naming the setting when the key is wrong."""
    master = load_master_keys(settings)
    keys = data_key_store(app.recorder)
    check_master_keys(keys, master)
    sealer = Sealer(keys, master, clock)
    mapper = SealingMapper(app.mapper.transcoder, sealer)
    app.mapper = app.events.mapper = mapper
    if app.snapshots is not None:
        app.snapshots.mapper = mapper
    return sealer


def _sealed_by_name() -> dict[str, tuple[str, tuple[str, ...]]]:
    names = names_by_topic()
    return {names[topic]: (topic, fields) for topic, fields in SEALED_FIELDS.items()}


def open_payload(
    sealer: Sealer | None, aggregate_id: UUID, version: int, name: str, payload: Mapping[str, Any]
) -> dict[str, Any]:
    """An audit payload with its sealed fields opened (or erased), for roles that see them."""
    payload = dict(payload)
    accused = payload.pop(ACCUSED_KEY, None)
    if accused is not None and sealer is not None:
        payload.update(sealer.open_accused(aggregate_id, version, accused))
    blob = payload.get(SEALED_KEY)
    if blob is None:
        return payload
    out = {k: v for k, v in payload.items() if k != SEALED_KEY}
    topic, fields = _sealed_by_name()[name]
    if sealer is None:
        opened = None
    else:
        opened = sealer.open(aggregate_id, version, topic, blob, fields)
    if opened is None:
        out.update({f: ERASED.get(f) for f in fields})
        out["erased"] = True
    else:
        out.update(opened)
    return out
