"""cluster/slots.py: CRC16-XMODEM, the {hashtag} rules (every vector of CLUSTER.md section 1),
and the slot-range helpers."""

from __future__ import annotations

import binascii
import random

import pytest

from cluster.slots import (
    CLUSTER_SLOTS,
    SLOT_MASK,
    crc16,
    format_range,
    format_ranges,
    iter_range_slots,
    key_hash_slot,
    owner_runs,
    parse_range,
    parse_ranges,
    parse_slot,
    slot_ranges,
)

# (key, slot) from CLUSTER.md section 1
VECTORS = [
    (b"foo", 12182),
    (b"bar", 5061),
    (b"hello", 866),
    (b"somekey", 11058),
    (b"key", 12539),
    (b"a", 15495),
    (b"", 0),
    (b"123456789", 12739),
    (b"{user1000}.following", 3443),
    (b"{user1000}.followers", 3443),
    (b"user1000", 3443),
    (b"{foo}bar", 12182),
    (b"{a}", 15495),
    (b"foo{}{bar}", 8363),
    (b"foo{{bar}}zap", 4015),
    (b"foo{bar}{zap}", 5061),
    (b"{}", 15257),
    (b"{}foo", 9500),
    (b"a{b", 13340),
    (b"a}b{c", 13587),
]


def test_constants():
    assert CLUSTER_SLOTS == 16384
    assert SLOT_MASK == 0x3FFF


def test_crc16_check_value_is_xmodem():
    assert crc16(b"123456789") == 0x31C3
    assert crc16(b"") == 0


@pytest.mark.parametrize("key,slot", VECTORS, ids=[repr(k) for k, _ in VECTORS])
def test_key_hash_slot_vectors(key, slot):
    assert key_hash_slot(key) == slot


def test_hashed_part_of_the_tag_rules():
    assert key_hash_slot(b"foo{{bar}}zap") == crc16(b"{bar") & SLOT_MASK
    assert key_hash_slot(b"foo{}{bar}") == crc16(b"foo{}{bar}") & SLOT_MASK
    assert key_hash_slot(b"x{tag}y") == key_hash_slot(b"tag")
    assert key_hash_slot(b"{tag}") == key_hash_slot(b"tag")
    assert key_hash_slot(b"}{tag}") == key_hash_slot(b"tag")  # a } before the { does not count


def test_binary_keys_are_hashed_raw():
    key = bytes(range(256))
    assert key_hash_slot(key) == binascii.crc_hqx(key[key.find(b"{") + 1 : key.find(b"}")], 0) & SLOT_MASK
    assert key_hash_slot(b"\xff\x00{\x80}") == binascii.crc_hqx(b"\x80", 0) & SLOT_MASK


def test_crcmod_equals_binascii_crc_hqx():
    rng = random.Random(7)
    for _ in range(2000):
        data = rng.randbytes(rng.randrange(0, 64))
        assert crc16(data) == binascii.crc_hqx(data, 0)
    for key, _slot in VECTORS:
        assert crc16(key) == binascii.crc_hqx(key, 0)


def test_every_slot_is_reachable_and_in_range():
    seen = {key_hash_slot(b"key:%d" % i) for i in range(200_000)}
    assert min(seen) >= 0 and max(seen) < CLUSTER_SLOTS
    assert len(seen) == CLUSTER_SLOTS


# -- ranges -------------------------------------------------------------------------------------


def test_format_range_and_ranges():
    assert format_range(7, 7) == "7"
    assert format_range(0, 5460) == "0-5460"
    assert format_ranges([(0, 5460), (7000, 7000), (7002, 7002)]) == "0-5460 7000 7002"
    assert format_ranges([]) == ""


@pytest.mark.parametrize(
    "token,expected",
    [("7", (7, 7)), ("0-5460", (0, 5460)), ("16383", (16383, 16383)), ("0-16383", (0, 16383)), ("5-5", (5, 5))],
)
def test_parse_range(token, expected):
    assert parse_range(token) == expected


@pytest.mark.parametrize("token", ["", "-", "x", "1-", "-1", "5-4", "16384", "0-16384", "+1", " 1", "1-2-3", "١"])
def test_parse_range_rejects(token):
    with pytest.raises(ValueError):
        parse_range(token)


def test_parse_slot():
    assert parse_slot("0") == 0
    assert parse_slot("16383") == 16383
    for bad in ("16384", "-1", "a", ""):
        with pytest.raises(ValueError):
            parse_slot(bad)


def test_parse_ranges_round_trips_format_ranges():
    text = "0-5460 7000 7002 16383"
    assert format_ranges(parse_ranges(text)) == text


def test_slot_ranges_are_maximal_runs():
    assert slot_ranges([]) == []
    assert slot_ranges([5]) == [(5, 5)]
    assert slot_ranges({0, 1, 2, 7}) == [(0, 2), (7, 7)]
    assert slot_ranges([9, 3, 4, 3, 10, 11, 0]) == [(0, 0), (3, 4), (9, 11)]
    assert slot_ranges(range(CLUSTER_SLOTS)) == [(0, 16383)]


def test_slot_ranges_random_round_trip():
    rng = random.Random(3)
    for _ in range(50):
        slots = set(rng.sample(range(CLUSTER_SLOTS), rng.randrange(0, 300)))
        ranges = slot_ranges(slots)
        assert set(iter_range_slots(ranges)) == slots
        for (_s1, e1), (s2, _e2) in zip(ranges, ranges[1:]):
            assert s2 > e1 + 1  # maximal: runs never touch


def test_owner_runs():
    a, b = object(), object()
    table = [None] * 10
    assert owner_runs(table) == []
    table[0:3] = [a, a, a]
    table[3] = b
    table[5:10] = [a] * 5
    assert owner_runs(table) == [(0, 2, a), (3, 3, b), (5, 9, a)]
    assert owner_runs([a] * 4) == [(0, 3, a)]
