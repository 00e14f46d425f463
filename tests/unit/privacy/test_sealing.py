"""Sealing and opening personal fields with per-case data keys (the key table faked)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from caseflow.domain.values import Petitioner
from caseflow.infra.privacy.datakeys import MemoryDataKeys
from caseflow.infra.privacy.masterkey import LocalMasterKeys, MasterKeyError, new_key
from caseflow.infra.privacy.sealing import Sealer

TOPIC = "caseflow.domain.case:Case.Received"
NAMES = ("petitioners", "representatives", "request")
FIELDS = {
    "petitioners": (Petitioner("Test Person", "TEST-ID-1", "000", "1 Test Rd"),),
    "representatives": ("Rep Test",),
    "request": "Pay the wages",
}


def _sealer(master: LocalMasterKeys | None = None) -> Sealer:
    return Sealer(
        MemoryDataKeys(),
        master or LocalMasterKeys(new_key()),
        lambda: datetime(2026, 3, 2, tzinfo=UTC),
    )


def test_sealed_fields_open_to_what_was_sealed_and_hide_it_at_rest():
    s, case = _sealer(), uuid4()
    blob = s.seal(case, 1, TOPIC, FIELDS)
    assert b"Test Person" not in str(blob).encode() and blob["n"] == {
        "petitioners": 1,
        "representatives": 1,
    }
    assert s.open(case, 1, TOPIC, blob, NAMES) == FIELDS


@pytest.mark.parametrize("where", ["other case", "other version", "other type"])
def test_a_sealed_value_moved_elsewhere_does_not_open(where):
    s, case = _sealer(), uuid4()
    blob = s.seal(case, 1, TOPIC, FIELDS)
    other = uuid4()
    s.seal(other, 1, TOPIC, FIELDS)  # the other case has a key of its own
    target = {
        "other case": (other, 1, TOPIC),
        "other version": (case, 2, TOPIC),
        "other type": (case, 1, "caseflow.domain.case:Case.ReviewRequested"),
    }[where]
    with pytest.raises(ValueError, match="do not open"):
        s.open(*target, blob, NAMES)


def test_after_the_key_is_destroyed_fields_read_as_erased_and_new_ones_are_not_kept():
    s, case = _sealer(), uuid4()
    blob = s.seal(case, 1, TOPIC, FIELDS)
    assert s.destroy(case) and s.erased(case)
    assert s.open(case, 1, TOPIC, blob, NAMES) is None
    assert s.open_or_erased(case, 1, TOPIC, blob, NAMES) == {
        "petitioners": (),
        "representatives": (),
        "request": "",
    }
    later = s.seal(case, 5, "caseflow.domain.case:Case.ReviewRequested", {"reason": "Mine"})
    assert "ct" not in later and later["erased"] is True


def test_a_data_key_wrapped_under_another_master_key_does_not_unwrap():
    keys = MemoryDataKeys()
    one = Sealer(keys, LocalMasterKeys(new_key()), lambda: datetime.now(UTC))
    case = uuid4()
    one.seal(case, 1, TOPIC, FIELDS)
    other = Sealer(keys, LocalMasterKeys(new_key()), lambda: datetime.now(UTC))
    with pytest.raises(MasterKeyError, match="no master key with id"):
        other.data_key(case, create=False)
