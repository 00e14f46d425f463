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
import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

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
# An accusation's accused (检举控告) are sealed apart, under the office's reference key rather than
# the case's data key: erasing the petitioner's data must not lift the accused's exclusion
# (回避). In their place the store keeps keyed pseudonyms (HMAC-SHA256 under the reference key,
# as UUIDs), which is all the views hold and all the exclusion of the accused compares.
ACCUSED_KEY = "sealed_accused"
ACCUSED_FIELDS = ("accused_org_id", "accused_leader_id")
RECEIVED_TOPIC = get_topic(Case.Received)
# The reference key's row in the data key table (not a case: never erased, rewrapped on rotation)
REFERENCE_ID = uuid5(UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8"), "caseflow:accused-references")
# What a sealed field reads as once its case's key is destroyed.
ERASED: Mapping[str, Any] = {"petitioners": (), "representatives": (), "request": "", "reason": ""}
_COUNTED = ("petitioners", "representatives")


class Sealer:
    """Seals and opens personal fields with per-case data keys from a `DataKeyStore`."""

    def __init__(self, keys: DataKeyStore, master: MasterKeys, clock: Callable[[], datetime]):
        self.keys, self.master, self.clock = keys, master, clock
        self._ref: bytes | None = None  # the reference key, once read

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

    def _reference_key(self, *, create: bool = True) -> bytes | None:
        if self._ref is None:  # stable for the store's life: rotation rewraps it, never changes it
            self._ref = self.data_key(REFERENCE_ID, create=create)
        return self._ref

    def reference_key(self) -> None:
        """Make sure the reference key exists (made on first use otherwise)."""
        self._reference_key(create=True)

    def pseudonym(self, id: UUID) -> UUID:
        """The keyed pseudonym the store and views keep for an accused org or leader id."""
        key = self._reference_key()
        assert key is not None, "the reference key is made, never erased"
        return _pseudonym(key, id)

    def pseudonyms(self, ids: tuple[UUID, ...]) -> tuple[UUID, ...]:
        """The pseudonyms of `ids`, for looking up accusations; none before any was stored."""
        key = self._reference_key(create=False)
        return () if key is None else tuple(_pseudonym(key, i) for i in ids)

    def seal_accused(self, case_id: UUID, version: int, ids: Mapping[str, Any]) -> dict[str, Any]:
        nonce = os.urandom(NONCE_BYTES)
        aad = _aad(case_id, version, RECEIVED_TOPIC) + b"accused"
        key = self._reference_key()
        assert key is not None, "the reference key is made, never erased"
        ct = AESGCM(key).encrypt(nonce, encode_value(dict(ids)), aad)
        return {"v": 1, "ct": base64.b64encode(nonce + ct).decode()}

    def open_accused(self, case_id: UUID, version: int, blob: Mapping[str, Any]) -> dict[str, Any]:
        raw = base64.b64decode(blob["ct"])
        aad = _aad(case_id, version, RECEIVED_TOPIC) + b"accused"
        key = self._reference_key(create=False)
        if key is None:
            raise ValueError(
                f"the accused of case {case_id} are sealed under a missing reference key"
            )
        try:
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
        except InvalidTag:
            raise ValueError(
                f"the accused of case {case_id} do not open under the reference key "
                "(altered in the store)"
            ) from None
        ids: dict[str, Any] = decode_value(plain)
        return {n: ids.get(n) for n in ACCUSED_FIELDS}

    def erased(self, case_id: UUID) -> bool:
        """Whether the case's data key has been destroyed."""
        row = self.keys.get(case_id)
        return row is not None and row.wrapped is None

    def destroy(self, case_id: UUID) -> bool:
        """Destroy the case's data key (crypto-shredding); False if none was left."""
        return self.keys.destroy(case_id, self.clock())


def _pseudonym(key: bytes, id: UUID) -> UUID:
    return UUID(bytes=hmac.new(key, b"accused\0" + id.bytes, hashlib.sha256).digest()[:16])


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
        if topic == RECEIVED_TOPIC:
            seal_accused(self.sealer, originator_id, version, state)
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
        accused = state.pop(ACCUSED_KEY, None)
        if accused is not None:
            state.update(
                self.sealer.open_accused(event.originator_id, event.originator_version, accused)
            )
        blob = state.pop(SEALED_KEY, None)
        if blob is not None:
            names = SEALED_FIELDS.get(stored_event.topic, ())
            state.update(
                self.sealer.open_or_erased(
                    event.originator_id, event.originator_version, stored_event.topic, blob, names
                )
            )
        return event


def seal_accused(sealer: Sealer, case_id: UUID, version: int, state: dict[str, Any]) -> None:
    """In a `case.received` state about to be stored: the accused ids sealed under the reference
    key, and their keyed pseudonyms in their place (None stays None)."""
    ids = {n: state.get(n) for n in ACCUSED_FIELDS}
    if all(v is None for v in ids.values()):
        return
    state[ACCUSED_KEY] = sealer.seal_accused(case_id, version, ids)
    for n, v in ids.items():
        state[n] = None if v is None else sealer.pseudonym(v)
