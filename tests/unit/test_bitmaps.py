"""Bitmap command handlers on a bare Database, against bit-by-bit reference implementations.

The handlers use whole-string fast paths (big ints, ``bytes.lstrip``); the references here
walk a string of '0'/'1' characters, which is slow but obviously right.
"""

from __future__ import annotations

import random

import pytest

import node.commands  # noqa: F401  (registers every command)
from node import errors
from node.commands.spec import REGISTRY
from tests.support.handlers import NOW, error_of, run, watcher_of

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)


def bits_of(value: bytes) -> str:
    return "".join(format(byte, "08b") for byte in value)


# -- declarations ---------------------------------------------------------------------------------------

DECLARATIONS = {
    "setbit": (4, ["write", "denyoom"], (1, 1, 1), ["write", "bitmap", "slow"], [["RW", "access", "update"]]),
    "getbit": (3, ["readonly", "fast"], (1, 1, 1), ["read", "bitmap", "fast"], [["RO", "access"]]),
    "bitcount": (-2, ["readonly"], (1, 1, 1), ["read", "bitmap", "slow"], [["RO", "access"]]),
    "bitpos": (-3, ["readonly"], (1, 1, 1), ["read", "bitmap", "slow"], [["RO", "access"]]),
    "bitop": (-4, ["write", "denyoom"], (2, -1, 1), ["write", "bitmap", "slow"],
              [["OW", "update"], ["RO", "access"]]),
    "bitfield": (-2, ["write", "denyoom"], (1, 1, 1), ["write", "bitmap", "slow"],
                 [["RW", "access", "update", "variable_flags"]]),
    "bitfield_ro": (-2, ["readonly", "fast"], (1, 1, 1), ["read", "bitmap", "fast"], [["RO", "access"]]),
}


@pytest.mark.parametrize("name", sorted(DECLARATIONS))
def test_declaration_matches_redis(name):
    arity, flags, legacy, categories, key_flags = DECLARATIONS[name]
    spec = REGISTRY[name.encode()]
    assert spec.arity == arity
    assert spec.info_flags() == flags
    assert (spec.first_key, spec.last_key, spec.key_step) == legacy
    assert list(spec.acl_categories) == categories
    assert [ks.key_flags for ks in spec.key_specs] == key_flags
    assert spec.group == "bitmap"
    assert spec.tips == ()


def test_bitop_key_positions():
    spec = REGISTRY[b"bitop"]
    assert spec.key_positions([b"bitop", b"and", b"d", b"a", b"b"]) == [2, 3, 4]


# -- SETBIT / GETBIT --------------------------------------------------------------------------------------


def test_setbit_getbit(client):
    assert run(client, "SETBIT", "k", "9", "1") == 0
    assert client.db.data[b"k"] == b"\x00\x40"
    assert run(client, "SETBIT", "k", "9", "1") == 1
    assert run(client, "SETBIT", "k", "9", "0") == 1
    assert run(client, "SETBIT", "k", "0", "1") == 0
    assert client.db.data[b"k"] == b"\x80\x00"
    assert [run(client, "GETBIT", "k", n) for n in range(10)] == [1] + [0] * 9
    assert run(client, "GETBIT", "k", "1000000") == 0
    assert run(client, "GETBIT", "missing", "3") == 0
    assert run(client, "SETBIT", "z", "23", "0") == 0
    assert client.db.data[b"z"] == b"\x00\x00\x00"


def test_setbit_keeps_ttl_and_only_signals_changes(client):
    run(client, "SET", "k", "a", "PX", "500")
    watcher = watcher_of(client, b"k")
    run(client, "SETBIT", "k", "1", "1")  # 'a' is 0b01100001: bit 1 already set
    assert not watcher.watch_dirty
    run(client, "SETBIT", "k", "0", "1")
    assert watcher.watch_dirty
    assert client.db.data[b"k"] == b"\xe1"
    run(client, "SETBIT", "k", "20", "0")  # grows the string: a change even though the bit is 0
    assert client.db.data[b"k"] == b"\xe1\x00\x00"
    assert client.db.ttl_ms(b"k") == NOW + 500


def test_setbit_errors(client):
    assert error_of(client, "SETBIT", "k", "-1", "1") == errors.BIT_OFFSET
    assert error_of(client, "SETBIT", "k", str(2**32), "1") == errors.BIT_OFFSET
    assert error_of(client, "SETBIT", "k", "0", "2") == errors.BIT_VALUE
    assert error_of(client, "SETBIT", "k", "0", "-1") == errors.BIT_VALUE
    client.server.config.proto_max_bulk_len = 4
    assert error_of(client, "SETBIT", "k", "32", "1") == errors.BIT_OFFSET
    assert run(client, "SETBIT", "k", "31", "1") == 0
    client.db.data[b"l"] = ["list"]
    assert error_of(client, "SETBIT", "l", "0", "1") == errors.WRONGTYPE
    assert error_of(client, "GETBIT", "l", "0") == errors.WRONGTYPE


# -- BITCOUNT / BITPOS ------------------------------------------------------------------------------------


def ref_range(length: int, start: int, end: int) -> tuple[int, int]:
    if start < 0:
        start = length + start
    if end < 0:
        end = length + end
    start, end = max(start, 0), max(end, 0)
    return start, min(end, length - 1)


def ref_bitcount(value: bytes, start: int, end: int, unit: str) -> int:
    if start < 0 and end < 0 and start > end:
        return 0
    bits = bits_of(value)
    if unit == "BIT":
        s, e = ref_range(len(bits), start, end)
        return bits[s:e + 1].count("1") if s <= e else 0
    s, e = ref_range(len(value), start, end)
    return bits_of(value[s:e + 1]).count("1") if s <= e else 0


def test_bitcount_against_reference(client):
    rng = random.Random(2)
    for _ in range(60):
        value = bytes(rng.randrange(256) for _ in range(rng.randint(0, 9)))
        client.db.data[b"k"] = value
        assert run(client, "BITCOUNT", "k") == bits_of(value).count("1")
        for _ in range(50):
            start, end = rng.randint(-80, 80), rng.randint(-80, 80)
            unit = rng.choice(["BIT", "BYTE"])
            assert run(client, "BITCOUNT", "k", start, end, unit) == ref_bitcount(value, start, end, unit)


def ref_bitpos(value: bytes, bit: int, start=None, end=None, unit="BYTE") -> int:
    """BITPOS as documented: search the range; a clear bit past the end counts only without an end."""
    bits = bits_of(value)
    if start is None:
        s, e = 0, len(bits) - 1
    else:
        length = len(bits) if unit == "BIT" else len(value)
        s, e = ref_range(length, start, length - 1 if end is None else end)
        if unit == "BYTE":
            s, e = s * 8, e * 8 + 7
    if s > e:
        return -1
    found = bits.find(str(bit), s, e + 1)
    if found >= 0:
        return found
    if bit == 0 and end is None:
        return e + 1
    return -1


def test_bitpos_against_reference(client):
    rng = random.Random(4)
    for _ in range(80):
        value = bytes(rng.choice([0, 255, rng.randrange(256)]) for _ in range(rng.randint(1, 9)))
        client.db.data[b"k"] = value
        for bit in (0, 1):
            assert run(client, "BITPOS", "k", bit) == ref_bitpos(value, bit)
            for _ in range(30):
                start, end = rng.randint(-80, 80), rng.randint(-80, 80)
                unit = rng.choice(["BIT", "BYTE"])
                assert run(client, "BITPOS", "k", bit, start, end, unit) == ref_bitpos(value, bit, start, end, unit)
                assert run(client, "BITPOS", "k", bit, start) == ref_bitpos(value, bit, start)


def test_bitpos_edges(client):
    assert run(client, "BITPOS", "missing", "0") == 0
    assert run(client, "BITPOS", "missing", "1") == -1
    client.db.data[b"k"] = b"\xff\xff"
    assert run(client, "BITPOS", "k", "0") == 16
    assert run(client, "BITPOS", "k", "0", "0", "-1") == -1
    client.db.data[b"e"] = b""
    assert run(client, "BITPOS", "e", "0") == -1
    assert error_of(client, "BITPOS", "k", "2") == errors.BIT_ARGUMENT
    assert error_of(client, "BITPOS", "k", "1", "0", "1", "BITS") == errors.SYNTAX


# -- BITOP ------------------------------------------------------------------------------------------------


def test_bitop_against_reference(client):
    rng = random.Random(6)
    for _ in range(100):
        values = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 8))) for _ in range(3)]
        for key, value in zip((b"a", b"b", b"c"), values):
            client.db.data[key] = value
        maxlen = max(len(v) for v in values)
        padded = [v.ljust(maxlen, b"\x00") for v in values]
        expected = {
            "AND": bytes(x & y & z for x, y, z in zip(*padded)),
            "OR": bytes(x | y | z for x, y, z in zip(*padded)),
            "XOR": bytes(x ^ y ^ z for x, y, z in zip(*padded)),
        }
        for op, result in expected.items():
            assert run(client, "BITOP", op, "d", "a", "b", "c") == maxlen
            assert client.db.data.get(b"d") == (result if maxlen else None)
        assert run(client, "BITOP", "NOT", "d", "a") == len(values[0])
        assert client.db.data.get(b"d") == (bytes(255 - x for x in values[0]) if values[0] else None)


def test_bitop_target_replaced_and_deleted(client):
    run(client, "SET", "d", "old", "EX", "10")
    client.db.data[b"a"] = b"\x0f"
    assert run(client, "BITOP", "OR", "d", "a", "missing") == 1
    assert client.db.ttl_ms(b"d") is None
    client.db.data[b"l"] = ["list"]
    assert run(client, "BITOP", "AND", "l", "a") == 1  # the destination's type does not matter
    assert run(client, "BITOP", "AND", "d", "missing") == 0
    assert b"d" not in client.db.data
    assert error_of(client, "BITOP", "NOT", "d", "a", "a") == errors.BITOP_NOT_ONE_KEY
    assert error_of(client, "BITOP", "NAND", "d", "a") == errors.SYNTAX
    assert client.db.data[b"l"] == b"\x0f"
    client.db.data[b"l"] = ["list"]
    assert error_of(client, "BITOP", "OR", "d", "a", "l") == errors.WRONGTYPE


# -- BITFIELD -------------------------------------------------------------------------------------------------


def ref_field(value: bytes, offset: int, bits: int, signed: bool) -> int:
    raw = bits_of(value).ljust(offset + bits, "0")[offset:offset + bits]
    number = int(raw, 2)
    if signed and raw[0] == "1":
        number -= 1 << bits
    return number


def test_bitfield_get_against_reference(client):
    rng = random.Random(8)
    value = bytes(rng.randrange(256) for _ in range(12))
    client.db.data[b"k"] = value
    for _ in range(500):
        signed = rng.random() < 0.5
        bits = rng.randint(1, 64 if signed else 63)
        offset = rng.randint(0, 120)
        type_ = ("i" if signed else "u") + str(bits)
        assert run(client, "BITFIELD_RO", "k", "GET", type_, offset) == [ref_field(value, offset, bits, signed)]
        assert run(client, "BITFIELD", "k", "GET", type_, offset) == [ref_field(value, offset, bits, signed)]


def test_bitfield_set_and_incrby(client):
    assert run(client, "BITFIELD", "k", "SET", "u8", "4", "255", "GET", "u16", "0") == [0, 0x0FF0]
    assert client.db.data[b"k"] == b"\x0f\xf0"
    assert run(client, "BITFIELD", "k", "INCRBY", "u8", "4", "1") == [0]  # wraps
    assert run(client, "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "4", "-200") == [-128]
    assert run(client, "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", "4", "-1", "GET", "i8", "4") == [None, -128]
    assert run(client, "BITFIELD", "k", "SET", "i5", "#1", "-1", "GET", "u5", "#1") == [0, 31]
    assert run(client, "BITFIELD", "k", "SET", "u2", "100", "5") == [0]  # u2 wraps 5 to 1, grows the string
    assert len(client.db.data[b"k"]) == 13
    assert run(client, "BITFIELD", "k", "GET", "u2", "100") == [1]


def test_bitfield_overflow_rules():
    from node.commands.bitmaps import (
        _FAIL,
        _SAT,
        _WRAP,
        _overflow_signed,
        _overflow_unsigned,
    )

    assert _overflow_unsigned(250, 10, 8, _WRAP) == (1, 4)
    assert _overflow_unsigned(250, 10, 8, _SAT) == (1, 255)
    assert _overflow_unsigned(5, -10, 8, _SAT) == (-1, 0)
    assert _overflow_unsigned(5, -10, 8, _WRAP) == (1, 251)
    assert _overflow_unsigned(5, -10, 8, _FAIL) == (-1, None)
    assert _overflow_unsigned(2**64 - 1, 0, 8, _SAT) == (1, 255)  # SET u8 -1 under SAT
    assert _overflow_signed(100, 100, 8, _WRAP) == (1, -56)
    assert _overflow_signed(100, 100, 8, _SAT) == (1, 127)
    assert _overflow_signed(-100, -100, 8, _SAT) == (-1, -128)
    assert _overflow_signed(LLONG_MAX, 1, 64, _WRAP) == (1, LLONG_MIN)
    assert _overflow_signed(LLONG_MIN, -1, 64, _SAT) == (-1, LLONG_MIN)
    assert _overflow_signed(LLONG_MIN, 0, 8, _SAT) == (1, 127)  # Redis's int64 wrap-around quirk
    assert _overflow_signed(5, 0, 8, _SAT) == (0, None)


def test_bitfield_errors(client):
    client.db.data[b"l"] = ["list"]
    assert error_of(client, "BITFIELD", "k", "GET", "u64", "0") == errors.BITFIELD_TYPE
    assert error_of(client, "BITFIELD", "k", "GET", "i8", "#-1") == errors.BIT_OFFSET
    assert error_of(client, "BITFIELD", "k", "OVERFLOW", "X") == errors.BITFIELD_OVERFLOW_TYPE
    assert error_of(client, "BITFIELD", "k", "GET", "i8") == errors.SYNTAX
    assert error_of(client, "BITFIELD", "l", "GET", "i8", "0") == errors.WRONGTYPE
    assert error_of(client, "BITFIELD_RO", "l", "SET", "i8", "0", "1") == errors.BITFIELD_RO_GET_ONLY
    assert error_of(client, "BITFIELD_RO", "l", "GET", "i8", "0") == errors.WRONGTYPE
    assert run(client, "BITFIELD", "missing") == []
    assert b"missing" not in client.db.data
    assert run(client, "BITFIELD", "new", "OVERFLOW", "FAIL", "SET", "u2", "9", "7") == [None]
    assert client.db.data[b"new"] == b"\x00\x00"  # grown even though the write failed
