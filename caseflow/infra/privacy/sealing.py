"""Sealing the personal fields of an event with its case's data key, on the way into the event
store, and opening them on the way out.

A sealed event stores, instead of its personal fields, `sealed`: the fields as one AES-256-GCM
ciphertext under the case's data key (bound to the case, the event's version and type), and the
number of petitioners and representatives (public counts). Everything stored — and so everything
the hash chain covers, the audit view copies and backups hold — is ciphertext. Once the case's
data key is destroyed (erasure), the fields open as erased. Events stored before sealing existed
hold their fields in plain text and load as they are (`caseflow privacy encrypt-existing`
would seal them; see docs/privacy.md)."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from caseflow.domain.case import Case
from caseflow.infra.privacy.datakeys import DataKeyStore
from caseflow.infra.privacy.masterkey import NONCE_BYTES, MasterKeys
from caseflow.infra.transcoder import decode_value, encode_value

SEALED_KEY = "sealed"
# Fields stored sealed, by event: who the petitioners are and what they say in their own words.
SEALED_FIELDS: Mapping[str, tuple[str, ...]] = {
    get_topic(Case.Received): ("petitioners", "representatives", "request"),
    get_topic(Case.ReviewRequested): ("reason",),
    get_topic(Case.RecheckRequested): ("reason",),
}
SEALED_BY_NAME: Mapping[str, tuple[str, ...]] = {
    "case.received": SEALED_FIELDS[get_topic(Case.Received)],
    "case.review_requested": ("reason",),
    "case.recheck_requested": ("reason",),
}
# What a sealed field reads as once its case's key is destroyed.
ERASED: Mapping[str, Any] = {"petitioners": (), "representatives": (), "request": "", "reason": ""}
_COUNTED = ("petitioners", "representatives")


class Sealer:
    """Seals and opens personal fields with per-case data keys from a `DataKeyStore`."""

    def __init__(self, keys: DataKeyStore, master: MasterKeys, clock: Callable[[], datetime]):
        self.keys, self.master, self.clock = keys, master, clock

    def data_key(self, case_id: UUID, *, create: bool) -> bytes | None:
        """The case's data key (made if `create` and it has none); None once erased."""
        row = self.keys.get(case_id)
        if row is None and create:
            kid, wrapped = self.master.wrap(AESGCM.generate_key(bit_length=256), case_id)
            row = self.keys.add(case_id, kid, wrapped, self.clock())
        if row is None or row.wrapped is None or row.master_key_id is None:
            return None
        return self.master.unwrap(row.master_key_id, row.wrapped, case_id)

    def seal(
        self, case_id: UUID, version: int, topic: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The stored form of `fields` (a new case gets its data key here)."""
        counts = {k: len(fields[k]) for k in _COUNTED if k in fields}
        key = self.data_key(case_id, create=True)
        if key is None:  # erased already: nothing personal is kept from now on
            return {"v": 1, "erased": True, "n": counts}
        nonce = os.urandom(NONCE_BYTES)
        ct = AESGCM(key).encrypt(nonce, encode_value(dict(fields)), _aad(case_id, version, topic))
        return {"v": 1, "ct": base64.b64encode(nonce + ct).decode(), "n": counts}

    def open(
        self,
        case_id: UUID,
        version: int,
        topic: str,
        blob: Mapping[str, Any],
        names: tuple[str, ...],
    ) -> dict[str, Any] | None:
        """The sealed fields, or None when they are erased (key destroyed)."""
        if blob.get("erased") or "ct" not in blob:
            return None
        key = self.data_key(case_id, create=False)
        if key is None:
            return None
        raw = base64.b64decode(blob["ct"])
        try:
            plain = AESGCM(key).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(case_id, version, topic)
            )
        except InvalidTag:
            raise ValueError(
                f"sealed fields of case {case_id} version {version} do not open "
                "under its data key (altered in the store)"
            ) from None
        fields: dict[str, Any] = decode_value(plain)
        return {n: fields.get(n, ERASED.get(n)) for n in names}

    def open_or_erased(
        self,
        case_id: UUID,
        version: int,
        topic: str,
        blob: Mapping[str, Any],
        names: tuple[str, ...],
    ) -> dict[str, Any]:
        opened = self.open(case_id, version, topic, blob, names)
        if opened is None:
            return {n: ERASED.get(n) for n in names}
        return opened

    def erased(self, case_id: UUID) -> bool:
        """Whether the case's data key has been destroyed."""
        row = self.keys.get(case_id)
        return row is not None and row.wrapped is None

    def destroy(self, case_id: UUID) -> bool:
        """Destroy the case's data key (crypto-shredding); False if none was left."""
        return self.keys.destroy(case_id, self.clock())


def _aad(case_id: UUID, version: int, topic: str) -> bytes:
    # the ciphertext belongs to this event of this case: moved elsewhere, it does not open
    return case_id.bytes + version.to_bytes(8, "big") + topic.encode()


class SealingMapper(Mapper[UUID]):
    """The library's mapper, sealing the personal fields of the events in `SEALED_FIELDS`."""

    def __init__(self, transcoder: Transcoder, sealer: Sealer):
        super().__init__(transcoder)
        self.sealer = sealer

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        topic = get_topic(type(domain_event))
        names = SEALED_FIELDS.get(topic)
        if names is None:
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        version = state.pop("originator_version")
        personal = {n: state.pop(n) for n in names if n in state}
        state[SEALED_KEY] = self.sealer.seal(originator_id, version, topic, personal)
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        return StoredEvent(
            originator_id=originator_id,
            originator_version=version,
            topic=topic,
            state=self.transcoder.encode(state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        state = event.__dict__
        blob = state.pop(SEALED_KEY, None)
        if blob is not None:
            names = SEALED_FIELDS.get(stored_event.topic, ())
            state.update(
                self.sealer.open_or_erased(
                    event.originator_id, event.originator_version, stored_event.topic, blob, names
                )
            )
        return event
