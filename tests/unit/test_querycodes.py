"""Query codes (查询码): long, random, typed by people, kept only as a digest."""

from __future__ import annotations

import hashlib

import pytest

from caseflow.services import querycodes


def test_a_code_carries_130_random_bits_in_groups_of_five():
    codes = {querycodes.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(querycodes.normalize(c)) == 26 for c in codes)  # 26 × 5 bits


def test_case_spaces_and_dashes_do_not_matter():
    code = querycodes.new_code()
    assert querycodes.digest(code.lower().replace("-", " ")) == querycodes.digest(code)


def test_the_digest_is_the_sha256_of_the_normalized_code():
    code = querycodes.new_code()
    expected = hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    assert querycodes.digest(code) == expected and code not in querycodes.digest(code)


@pytest.mark.parametrize("text", ["", "short", "0" * 26, "A" * 27, "A" * 101, "AAAA\x00" * 6])
def test_what_cannot_be_a_code_is_recognised(text):
    assert querycodes.normalize(text) is None


def test_digests_are_compared_whole():
    d = querycodes.digest(querycodes.new_code())
    assert querycodes.matches(d, d)
    assert not querycodes.matches(d, d[:-1] + ("0" if d[-1] != "0" else "1"))
    assert not querycodes.matches(None, d)
