"""Bitmap commands against real Redis 7.0: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD(_RO).

Ranges and bitfield operations are also swept with seeded random inputs, so the edge-mask
logic of BITCOUNT/BITPOS and the overflow rules of BITFIELD are compared case by case.
"""

from __future__ import annotations

import random

import pytest
import redis

from tests.differential.test_strings import make_list
from tests.support.rawconn import ServerError

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def is_error(reply, text: str | None = None) -> bool:
    return isinstance(reply, ServerError) and (text is None or str(reply) == text)


def ttl_bucket(client: redis.Redis, key) -> object:
    ms = client.execute_command("PTTL", key)
    return ms if ms < 0 else round(ms / 10_000)


ARITY_CASES = [
    ("SETBIT", "k", "1"), ("GETBIT", "k"), ("BITCOUNT",), ("BITPOS", "k"), ("BITOP", "AND", "d"),
    ("BITFIELD",), ("BITFIELD_RO",),
]


@pytest.mark.parametrize("args", ARITY_CASES, ids=lambda a: " ".join(a))
def test_wrong_arity(differ, args):
    assert is_error(differ.check(*args))


# -- SETBIT / GETBIT ----------------------------------------------------------------------------------


def test_setbit_getbit(differ):
    differ.check("GETBIT", "k", "0")
    differ.check("GETBIT", "k", "1000")
    differ.check("SETBIT", "k", "7", "1", resp3=False)
    differ.check("GET", "k")
    differ.check("SETBIT", "k", "7", "1")
    differ.check("SETBIT", "k", "7", "0", resp3=False)
    differ.check("SETBIT", "k", "0", "1")
    differ.check("SETBIT", "k", "100", "0")
    differ.check("GET", "k")
    differ.check("SETBIT", "z", "20", "0")
    differ.check("GET", "z")
    for offset in (0, 1, 7, 8, 99, 100, 101, 1000):
        differ.check("GETBIT", "k", offset)
    differ.check("SET", "s", "hello")
    differ.check("SETBIT", "s", "3", "1")
    differ.check("GET", "s")
    differ.check("SET", "n", "100")
    differ.check("SETBIT", "n", "6", "1")
    differ.check("INCR", "n")


def test_setbit_errors(differ):
    bad_offset = "ERR bit offset is not an integer or out of range"
    bad_bit = "ERR bit is not an integer or out of range"
    assert is_error(differ.check("SETBIT", "k", "-1", "1"), bad_offset)
    assert is_error(differ.check("SETBIT", "k", "x", "1"), bad_offset)
    assert is_error(differ.check("SETBIT", "k", "4294967296", "1"), bad_offset)
    assert is_error(differ.check("SETBIT", "k", str(LLONG_MAX), "1"), bad_offset)
    assert is_error(differ.check("SETBIT", "k", "#1", "1"), bad_offset)
    assert is_error(differ.check("SETBIT", "k", "0", "2"), bad_bit)
    assert is_error(differ.check("SETBIT", "k", "0", "-1"), bad_bit)
    assert is_error(differ.check("SETBIT", "k", "0", "x"), bad_bit)
    assert is_error(differ.check("SETBIT", "k", "x", "x"), bad_offset)
    assert is_error(differ.check("GETBIT", "k", "-1"), bad_offset)
    assert is_error(differ.check("GETBIT", "k", "4294967296"), bad_offset)
    differ.check("GETBIT", "k", "4294967295")
    differ.check("GET", "k")


def test_setbit_keeps_ttl(differ):
    differ.check("SET", "t", "a", "EX", "1000")
    differ.check("SETBIT", "t", "100", "1")
    assert differ.both(lambda c: ttl_bucket(c, "t")) == 100


# -- BITCOUNT ----------------------------------------------------------------------------------------------


def test_bitcount_basic(differ):
    differ.check("BITCOUNT", "missing")
    differ.check("BITCOUNT", "missing", "0")
    differ.check("BITCOUNT", "missing", "a", "b", "c")
    differ.check("SET", "k", "foobar")
    differ.check("BITCOUNT", "k")
    differ.check("BITCOUNT", "k", "0", "0")
    differ.check("BITCOUNT", "k", "1", "1")
    differ.check("BITCOUNT", "k", "1", "1", "BYTE")
    differ.check("BITCOUNT", "k", "5", "30", "BIT")
    differ.check("BITCOUNT", "k", "5", "30", "bit")
    differ.check("SET", "e", "")
    differ.check("BITCOUNT", "e")
    differ.check("BITCOUNT", "e", "0", "-1", "BIT")
    differ.check("SET", "n", "12345")
    differ.check("BITCOUNT", "n", "1", "2")


def test_bitcount_errors(differ):
    differ.check("SET", "k", "foobar")
    assert is_error(differ.check("BITCOUNT", "k", "0"), "ERR syntax error")
    assert is_error(differ.check("BITCOUNT", "k", "0", "1", "BITS"), "ERR syntax error")
    assert is_error(differ.check("BITCOUNT", "k", "0", "1", "BIT", "x"), "ERR syntax error")
    assert is_error(differ.check("BITCOUNT", "k", "a", "b", "x"), "ERR value is not an integer or out of range")
    assert is_error(differ.check("BITCOUNT", "k", "0", "b"), "ERR value is not an integer or out of range")
    differ.check("BITCOUNT", "k", "-1", "-2", "FOO")  # an empty negative range answers before the unit is read


def test_bitcount_ranges(differ):
    rng = random.Random(5)
    value = bytes(rng.randrange(256) for _ in range(13))
    differ.check("SET", "k", value)
    bounds = [LLONG_MIN, -200, -105, -104, -103, -14, -13, -12, -9, -8, -7, -1, 0, 1, 3, 7, 8, 9, 12, 13,
              14, 50, 103, 104, 105, 200, LLONG_MAX]
    for start in bounds:
        for end in bounds:
            differ.check("BITCOUNT", "k", start, end, "BIT", resp3=False)
            if abs(start) < 50 and abs(end) < 50:
                differ.check("BITCOUNT", "k", start, end, resp3=False)
    for _ in range(300):
        start, end = rng.randint(-120, 120), rng.randint(-120, 120)
        differ.check("BITCOUNT", "k", start, end, rng.choice(["BIT", "BYTE"]), resp3=False)


# -- BITPOS -------------------------------------------------------------------------------------------------


def test_bitpos_basic(differ):
    differ.check("BITPOS", "missing", "0")
    differ.check("BITPOS", "missing", "1")
    differ.check("BITPOS", "missing", "1", "x", "y", "z")
    differ.check("SET", "k", b"\xff\xf0\x00")
    differ.check("BITPOS", "k", "0")
    differ.check("BITPOS", "k", "1", "2")
    differ.check("BITPOS", "k", "1", "2", "-1", "BYTE")
    differ.check("BITPOS", "k", "0", "7", "15", "BIT")
    differ.check("BITPOS", "k", "0", "0", "0")
    differ.check("SET", "ones", b"\xff\xff")
    differ.check("BITPOS", "ones", "0")
    differ.check("BITPOS", "ones", "0", "0")
    differ.check("BITPOS", "ones", "0", "0", "-1")
    differ.check("BITPOS", "ones", "0", "3", "BIT")
    differ.check("SET", "zeros", b"\x00\x00")
    differ.check("BITPOS", "zeros", "1")
    differ.check("BITPOS", "zeros", "0", "1")
    differ.check("SET", "e", "")
    differ.check("BITPOS", "e", "0")
    differ.check("BITPOS", "e", "1")
    differ.check("BITPOS", "e", "0", "0", "-1", "BIT")


def test_bitpos_errors(differ):
    differ.check("SET", "k", "foobar")
    bit_arg = "ERR The bit argument must be 1 or 0."
    assert is_error(differ.check("BITPOS", "k", "2"), bit_arg)
    assert is_error(differ.check("BITPOS", "missing", "-1"), bit_arg)
    assert is_error(differ.check("BITPOS", "k", "x"), "ERR value is not an integer or out of range")
    assert is_error(differ.check("BITPOS", "k", "1", "x"), "ERR value is not an integer or out of range")
    assert is_error(differ.check("BITPOS", "k", "1", "0", "x"), "ERR value is not an integer or out of range")
    assert is_error(differ.check("BITPOS", "k", "1", "0", "x", "BIT"), "ERR value is not an integer or out of range")
    assert is_error(differ.check("BITPOS", "k", "1", "0", "1", "BITS"), "ERR syntax error")
    assert is_error(differ.check("BITPOS", "k", "1", "0", "x", "y"), "ERR syntax error")
    assert is_error(differ.check("BITPOS", "k", "1", "0", "1", "BIT", "x"), "ERR syntax error")


@pytest.mark.parametrize(
    "value",
    [b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x0f\xf0\x3c\xc3\x81", b"\x80\x00\x00\x01",
     b"\xff\x7f\xff\xfe", b"\x00\x10\x00", b"\xfe\xff\xff\xef\xff\xff\xff", b"\x01"],
    ids=lambda v: v.hex(),
)
def test_bitpos_ranges(differ, value):
    differ.check("SET", "k", value)
    nbits = len(value) * 8
    bounds = sorted({0, 1, 2, 6, 7, 8, 9, 15, 16, 17, nbits - 9, nbits - 8, nbits - 1, nbits, nbits + 5, 100,
                     -1, -2, -7, -8, -9, -nbits, -nbits - 1, -100})
    for bit in (0, 1):
        differ.check("BITPOS", "k", bit, resp3=False)
        for start in bounds:
            differ.check("BITPOS", "k", bit, start, resp3=False)
            for end in bounds:
                differ.check("BITPOS", "k", bit, start, end, "BIT", resp3=False)
                if abs(start) <= 10 and abs(end) <= 10:
                    differ.check("BITPOS", "k", bit, start, end, resp3=False)
                    differ.check("BITPOS", "k", bit, start, end, "BYTE", resp3=False)


def test_bitpos_random(differ):
    rng = random.Random(9)
    for _ in range(20):
        value = bytes(rng.choice([0, 255, rng.randrange(256)]) for _ in range(rng.randint(1, 12)))
        differ.check("SET", "k", value, resp3=False)
        for _ in range(40):
            bit = rng.randint(0, 1)
            start, end = rng.randint(-110, 110), rng.randint(-110, 110)
            differ.check("BITPOS", "k", bit, start, end, rng.choice(["BIT", "BYTE"]), resp3=False)


# -- BITOP --------------------------------------------------------------------------------------------------


def test_bitop(differ):
    differ.check("MSET", "a", b"\xff\x0f\x00", "b", b"\xf0", "c", b"\x12\x34\x56\x78")
    for op in ("AND", "OR", "XOR", "and", "Or", "xOr"):
        for sources in (("a",), ("a", "b"), ("a", "b", "c"), ("a", "missing"), ("missing", "a", "c"), ("a", "a")):
            differ.check("BITOP", op, "dest", *sources, resp3=False)
            differ.check("GET", "dest")
    for source in ("a", "b", "c"):
        differ.check("BITOP", "NOT", "dest", source)
        differ.check("GET", "dest")
    differ.check("BITOP", "NOT", "a", "a")
    differ.check("GET", "a")
    differ.check("BITOP", "AND", "dest", "missing")
    differ.check("GET", "dest")
    differ.check("SET", "e", "")
    differ.check("SET", "dest", "x")
    differ.check("BITOP", "OR", "dest", "e", "missing")
    differ.check("GET", "dest")
    differ.check("BITOP", "NOT", "dest", "missing")
    differ.check("SET", "n", "123")
    differ.check("BITOP", "XOR", "dest", "n", "c")
    differ.check("GET", "dest")


def test_bitop_random(differ):
    rng = random.Random(21)
    for _ in range(30):
        for key in ("a", "b", "c"):
            differ.check("SET", key, bytes(rng.randrange(256) for _ in range(rng.randint(0, 20))), resp3=False)
        op = rng.choice(["AND", "OR", "XOR"])
        differ.check("BITOP", op, "dest", *rng.sample(["a", "b", "c", "missing"], rng.randint(1, 4)), resp3=False)
        differ.check("GET", "dest", resp3=False)


def test_bitop_errors(differ):
    differ.check("SET", "a", "x")
    assert is_error(differ.check("BITOP", "NAND", "dest", "a"), "ERR syntax error")
    assert is_error(differ.check("BITOP", "NOT", "dest", "a", "a"), "ERR BITOP NOT must be called with a single source key.")
    assert is_error(differ.check("BITOP", "NOTT", "dest", "a", "a"), "ERR syntax error")
    differ.check("GET", "dest")


def test_bitop_clears_ttl(differ):
    differ.check("SET", "dest", "a", "EX", "1000")
    differ.check("SET", "a", "b")
    differ.check("BITOP", "OR", "dest", "a")
    assert differ.both(lambda c: ttl_bucket(c, "dest")) == -1


# -- BITFIELD -----------------------------------------------------------------------------------------------


def test_bitfield_basic(differ):
    differ.check("BITFIELD", "bf")
    differ.check("BITFIELD", "bf", "GET", "u8", "0")
    differ.check("GET", "bf")
    differ.check("BITFIELD", "bf", "SET", "i8", "0", "-100", "GET", "i8", "0", "GET", "u8", "0", resp3=False)
    differ.check("BITFIELD", "bf", "INCRBY", "u4", "#3", "100", "GET", "u4", "#3", resp3=False)
    differ.check("GET", "bf")
    differ.check("BITFIELD", "bf", "set", "u1", "100", "1", "get", "u2", "99", resp3=False)
    differ.check("GET", "bf")
    differ.check("BITFIELD", "bf", "GET", "i64", "0", "GET", "u63", "1", "GET", "i1", "5", "GET", "u1", "5")
    differ.check("BITFIELD", "bf", "SET", "i64", "3", str(LLONG_MIN), "GET", "i64", "3", resp3=False)
    differ.check("BITFIELD", "bf", "SET", "u63", "70", str(LLONG_MAX), "GET", "u63", "70", resp3=False)
    differ.check("GET", "bf")
    differ.check("BITFIELD_RO", "bf", "GET", "i16", "#2", "GET", "u8", "1000")
    differ.check("BITFIELD_RO", "missing", "GET", "i16", "0")
    differ.check("BITFIELD_RO", "bf")
    differ.check("SET", "n", "1234")
    differ.check("BITFIELD", "n", "INCRBY", "u8", "0", "1")
    differ.check("GET", "n")


@pytest.mark.parametrize("overflow", ["WRAP", "SAT", "FAIL", "wrap", "sat", "fail"])
def test_bitfield_overflow(differ, overflow):
    for type_ in ("u1", "u2", "u8", "u16", "u31", "u32", "u62", "u63", "i1", "i2", "i8", "i16", "i32", "i63", "i64"):
        for value in ("0", "1", "-1", "100", "-100", "255", "256", "-129", "128", str(LLONG_MAX), str(LLONG_MIN),
                      "9223372036854775000", "-9223372036854775000", "4611686018427387904"):
            differ.check("BITFIELD", "bf", "OVERFLOW", overflow, "SET", type_, "3", value, "GET", type_, "3", resp3=False)
            differ.check("BITFIELD", "bf", "OVERFLOW", overflow, "INCRBY", type_, "3", value, resp3=False)
            differ.check("BITFIELD", "bf", "OVERFLOW", overflow, "INCRBY", type_, "3", value, "GET", type_, "3",
                         resp3=False)
    differ.check("GET", "bf")


def test_bitfield_overflow_switches_midway(differ):
    differ.check(
        "BITFIELD", "bf", "SET", "u8", "0", "250", "INCRBY", "u8", "0", "10", "OVERFLOW", "SAT", "INCRBY", "u8", "0",
        "300", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "GET", "u8", "0", "OVERFLOW", "WRAP", "INCRBY", "u8",
        "0", "1",
    )
    differ.check("BITFIELD", "missing", "OVERFLOW", "FAIL", "SET", "u8", "80", "999")
    differ.check("GET", "missing")  # created and padded even though the only write failed
    differ.check("BITFIELD", "bf", "OVERFLOW", "SAT")


def test_bitfield_random(differ):
    rng = random.Random(1)
    types = [f"i{n}" for n in range(1, 65)] + [f"u{n}" for n in range(1, 64)]
    differ.check("SET", "bf", bytes(rng.randrange(256) for _ in range(20)))
    for _ in range(300):
        args = []
        for _ in range(rng.randint(1, 4)):
            kind = rng.random()
            type_ = rng.choice(types)
            offset = rng.choice([str(rng.randint(0, 200)), f"#{rng.randint(0, 5)}"])
            if kind < 0.15:
                args += ["OVERFLOW", rng.choice(["WRAP", "SAT", "FAIL"])]
            elif kind < 0.4:
                args += ["GET", type_, offset]
            else:
                number = rng.choice([rng.randint(-300, 300), rng.randint(LLONG_MIN, LLONG_MAX), LLONG_MAX, LLONG_MIN])
                args += [rng.choice(["SET", "INCRBY"]), type_, offset, str(number)]
        differ.check("BITFIELD", "bf", *args, resp3=False)
    differ.check("GET", "bf")


def test_bitfield_errors(differ):
    differ.check("SET", "bf", "x")
    bad_type = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
    bad_offset = "ERR bit offset is not an integer or out of range"
    for type_ in ("u64", "i65", "i0", "u0", "I8", "U8", "x8", "i", "u", "i-1", "i08", "i8 ", ""):
        assert is_error(differ.check("BITFIELD", "bf", "GET", type_, "0"), bad_type)
    for offset in ("-1", "x", "#", "#-1", "#x", "4294967296", "#536870912", "##1", str(LLONG_MAX),
                   "#9223372036854775807", "#1152921504606846976"):
        assert is_error(differ.check("BITFIELD", "bf", "GET", "u8", offset), bad_offset), offset
    differ.check("BITFIELD", "bf", "GET", "u8", "#2305843009213693952")  # 2**61 * 8 wraps to 0 in C
    assert is_error(differ.check("BITFIELD", "bf", "SET", "u8", "0", "x"), "ERR value is not an integer or out of range")
    assert is_error(differ.check("BITFIELD", "bf", "INCRBY", "u8", "0", "1.5"))
    assert is_error(differ.check("BITFIELD", "bf", "OVERFLOW", "FOO"), "ERR Invalid OVERFLOW type specified")
    assert is_error(differ.check("BITFIELD", "bf", "OVERFLOW"), "ERR syntax error")
    assert is_error(differ.check("BITFIELD", "bf", "GET", "u8"), "ERR syntax error")
    assert is_error(differ.check("BITFIELD", "bf", "SET", "u8", "0"), "ERR syntax error")
    assert is_error(differ.check("BITFIELD", "bf", "FOO", "u8", "0"), "ERR syntax error")
    assert is_error(differ.check("BITFIELD", "bf", "GET", "u8", "0", "SET", "u8", "0"), "ERR syntax error")
    assert is_error(differ.check("BITFIELD", "bf", "SET", "u8", "0", "1", "OVERFLOW", "X"), "ERR Invalid OVERFLOW type specified")
    ro_only = "ERR BITFIELD_RO only supports the GET subcommand"
    assert is_error(differ.check("BITFIELD_RO", "bf", "SET", "u8", "0", "1"), ro_only)
    assert is_error(differ.check("BITFIELD_RO", "bf", "INCRBY", "u8", "0", "1", "GET", "u8", "0"), ro_only)
    assert is_error(differ.check("BITFIELD_RO", "bf", "SET", "u8", "0"), "ERR syntax error")
    assert is_error(differ.check("BITFIELD_RO", "bf", "SET", "u8", "0", "1", "GET", "u99", "0"), bad_type)
    differ.check("BITFIELD_RO", "bf", "OVERFLOW", "SAT", "GET", "u8", "0")
    differ.check("GET", "bf")


# -- wrong types ----------------------------------------------------------------------------------------------


def test_wrongtype(differ):
    make_list(differ)
    for cmd in (
        ("SETBIT", "l", "0", "1"), ("GETBIT", "l", "0"), ("BITCOUNT", "l"), ("BITCOUNT", "l", "0", "1"),
        ("BITPOS", "l", "1"), ("BITOP", "AND", "dest", "l"), ("BITOP", "OR", "dest", "missing", "l"),
        ("BITFIELD", "l", "GET", "u8", "0"), ("BITFIELD", "l", "SET", "u8", "0", "1"), ("BITFIELD", "l"),
        ("BITFIELD_RO", "l", "GET", "u8", "0"),
    ):
        assert is_error(differ.check(*cmd), WRONGTYPE), cmd
    # argument errors come before the type check
    differ.check("SETBIT", "l", "-1", "1")
    differ.check("SETBIT", "l", "0", "5")
    differ.check("GETBIT", "l", "x")
    differ.check("BITPOS", "l", "3")
    differ.check("BITFIELD", "l", "GET", "u64", "0")
    differ.check("BITFIELD_RO", "l", "SET", "u8", "0", "1")
    differ.check("BITCOUNT", "l", "0")
    # BITOP's destination may hold any type: it is replaced
    differ.check("SET", "a", "xyz")
    differ.check("BITOP", "OR", "l", "a")
    differ.check("GET", "l")


# -- proto-max-bulk-len ---------------------------------------------------------------------------------------


def test_bit_offsets_follow_proto_max_bulk_len(differ):
    limit = 1024 * 1024
    for which in ("ours", "real"):
        differ.client(which).config_set("proto-max-bulk-len", str(limit))
    try:
        bad_offset = "ERR bit offset is not an integer or out of range"
        assert is_error(differ.check("SETBIT", "k", str(limit * 8), "1"), bad_offset)
        assert is_error(differ.check("GETBIT", "k", str(limit * 8)), bad_offset)
        assert is_error(differ.check("BITFIELD", "k", "GET", "u8", f"#{limit}"), bad_offset)
        differ.check("BITFIELD", "k", "GET", "u8", f"#{limit - 1}")
        differ.check("SETBIT", "k", str(limit * 8 - 1), "1")
        differ.check("BITCOUNT", "k")
        differ.check("BITPOS", "k", "1")
    finally:
        for which in ("ours", "real"):
            differ.client(which).config_set("proto-max-bulk-len", "536870912")
