"""The link's framing and the checkpoint's signature, without a store."""

from __future__ import annotations

import hashlib
from uuid import UUID

import pytest

from caseflow.infra.integrity import chain
from caseflow.infra.integrity.checkpoints import (
    Checkpoint,
    CheckpointDir,
    KeyProblem,
    is_signed_by,
    load_signing_key,
    sign,
    write_key_pair,
)

AGG = UUID("12345678-1234-5678-1234-567812345678")


def test_a_link_is_sha256_of_the_previous_link_and_the_framed_record():
    framed = (
        b"\0" * 7
        + b"\x05"
        + b"\0\x10"
        + AGG.bytes
        + b"\0" * 7
        + b"\x02"
        + b"\0\0\0\x01t"
        + b"\0" * 7
        + b"\x02{}"
    )
    expected = hashlib.sha256(chain.GENESIS + framed).digest()
    assert chain.link_hash(chain.GENESIS, 5, AGG, 2, "t", b"{}") == expected
    assert chain.link_hash(chain.GENESIS, 5, AGG.hex, 2, "t", b"{}") == expected  # SQLite's text


@pytest.mark.parametrize(
    "change",
    [
        {"position": 6},
        {"version": 3},
        {"topic": "t{"},
        {"state": b"}"},
        {"prev": b"\1" * 32},
    ],
)
def test_every_field_of_the_record_is_covered(change):
    base = {
        "prev": chain.GENESIS,
        "position": 5,
        "aggregate_id": AGG,
        "version": 2,
        "topic": "t",
        "state": b"{}",
    }
    assert chain.link_hash(**{**base, **change}) != chain.link_hash(**base)


def test_extend_links_each_event_to_the_one_before():
    class E:
        originator_id, originator_version, topic, state = AGG, 1, "t", b"{}"

    links = chain.extend(chain.EMPTY, [4, 7], [E(), E()])
    assert [(ln.position, ln.prev_position) for ln in links] == [(4, 0), (7, 4)]
    assert links[1].chainhash == chain.link_hash(links[0].chainhash, 7, AGG, 1, "t", b"{}")


def test_a_checkpoint_verifies_with_its_key_and_not_with_another(tmp_path):
    signing, _ = write_key_pair(tmp_path / "a")
    other, _ = write_key_pair(tmp_path / "b")
    key = load_signing_key(signing)
    cp = sign(key, 10, b"\7" * 32, "2026-03-02T02:00:00+00:00")
    assert is_signed_by(cp, key.public_key())
    assert not is_signed_by(cp, load_signing_key(other).public_key())
    moved = Checkpoint(11, cp.chainhash, cp.time, cp.key_id, cp.signature)
    assert not is_signed_by(moved, key.public_key())


def test_checkpoint_files_that_are_damaged_or_foreign_are_refused_by_name(tmp_path):
    signing, _ = write_key_pair(tmp_path / "k")
    key = load_signing_key(signing)
    d = CheckpointDir(tmp_path / "cps")
    d.append(sign(key, 3, b"\1" * 32, "t"))
    (tmp_path / "cps" / "junk.json").write_text("{not json")
    good, refused = d.load(key.public_key())
    assert [c.position for c in good] == [3]
    assert [name for name, _ in refused] == ["junk.json"]


def test_a_missing_or_wrong_signing_key_is_a_clear_error(tmp_path):
    with pytest.raises(KeyProblem, match="CASEFLOW_AUDIT_SIGNING_KEY_FILE"):
        load_signing_key(None)
    (tmp_path / "x.pem").write_text("hello")
    with pytest.raises(KeyProblem, match="not an unencrypted PEM private key"):
        load_signing_key(tmp_path / "x.pem")


def test_the_verifiers_fast_walk_agrees_with_link_hash_and_refuses_an_odd_id():
    from caseflow.infra.integrity.verify import Verifier

    agg = UUID("12345678123456781234567812345600")
    h = chain.link_hash(chain.GENESIS, 1, agg, 1, "t", b"{}")
    assert Verifier([])._fast([(1, agg.hex, 1, "t", b"{}", 0, h)]) == 1
    padded = agg.hex[:-2] + "  "  # fromhex skips the spaces: 15 bytes, `16s` pads them back
    assert Verifier([])._fast([(1, padded, 1, "t", b"{}", 0, h)]) == 0


def test_the_checkpoint_covering_a_position_and_the_newest_are_found_by_file_name(tmp_path):
    key = load_signing_key(write_key_pair(tmp_path / "k")[0])
    d = CheckpointDir(tmp_path / "cps")
    assert d.first_covering(1) is None and d.newest() is None
    for position in (10, 20, 30):
        d.append(sign(key, position, bytes([position]) * 32, "t"))
    assert d.first_covering(15).position == 20
    assert d.first_covering(20).position == 20
    assert d.first_covering(31) is None
    assert d.newest().position == 30
    # a damaged file is passed over, not taken for the one after it
    (tmp_path / "cps" / f"{20:020d}.json").write_text("{not json")
    assert d.first_covering(11).position == 30
    (tmp_path / "cps" / f"{30:020d}.json").write_text("")
    assert d.newest().position == 10
