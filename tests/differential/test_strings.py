"""String commands against real Redis 7.0: every option, edge and error text, RESP2 and RESP3.

``differ.check`` runs each command on both servers (RESP2, then RESP3 unless ``resp3=False``)
and asserts identical wire replies; state built by earlier checks is therefore the same on
both sides. TTLs are compared coarsely (both servers cannot read the clock at once).
"""

from __future__ import annotations

import random
import time

import pytest
import redis

from tests.support.rawconn import ServerError

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)


def make_list(differ, key: str = "l") -> None:
    """Put a list at ``key`` on both servers."""
    differ.check("RPUSH", key, "x", resp3=False)


def ttl_bucket(client: redis.Redis, key) -> object:
    """-2 / -1, or the remaining TTL in tens of seconds (coarse enough for two clocks)."""
    ms = client.execute_command("PTTL", key)
    return ms if ms < 0 else round(ms / 10_000)


def same_ttl(differ, key) -> object:
    return differ.both(lambda c: ttl_bucket(c, key))


def is_error(reply, text: str | None = None) -> bool:
    return isinstance(reply, ServerError) and (text is None or str(reply) == text)


# -- arity ------------------------------------------------------------------------------------------

ARITY_CASES = [
    ("GET",), ("GET", "a", "b"), ("SET", "a"), ("GETEX",), ("GETDEL",), ("GETDEL", "a", "b"),
    ("GETSET", "a"), ("APPEND", "a"), ("STRLEN",), ("SETRANGE", "a", "1"), ("GETRANGE", "a", "1"),
    ("SUBSTR", "a"), ("INCR",), ("DECR", "a", "b"), ("INCRBY", "a"), ("DECRBY", "a"),
    ("INCRBYFLOAT", "a"), ("MSET", "a"), ("MGET",), ("MSETNX", "a"), ("SETNX", "a"),
    ("SETEX", "a", "1"), ("PSETEX", "a", "1"), ("LCS", "a"),
]


@pytest.mark.parametrize("args", ARITY_CASES, ids=lambda a: " ".join(a))
def test_wrong_arity(differ, args):
    assert is_error(differ.check(*args))


def test_mset_odd_arguments(differ):
    assert is_error(differ.check("MSET", "a", "1", "b"), "ERR wrong number of arguments for 'mset' command")
    assert is_error(differ.check("MSETNX", "a", "1", "b"), "ERR wrong number of arguments for 'msetnx' command")


# -- GET / SET ---------------------------------------------------------------------------------------


def test_get_set_basic(differ):
    differ.check("GET", "k")
    differ.check("SET", "k", "v")
    differ.check("GET", "k")
    differ.check("SET", "k", "")
    differ.check("GET", "k")
    differ.check("SET", "k", b"\x00\r\n\xff binary")
    differ.check("GET", "k")


@pytest.mark.parametrize(
    "options",
    [
        ("NX",), ("XX",), ("GET",), ("KEEPTTL",), ("EX", "100"), ("PX", "100000"), ("NX", "GET"),
        ("XX", "GET"), ("nx",), ("ex", "100", "xx"), ("GET", "GET"), ("NX", "NX"), ("EX", "10", "EX", "20"),
        ("PX", "10000", "PX", "20000"), ("KEEPTTL", "KEEPTTL"), ("XX", "KEEPTTL", "GET"),
    ],
    ids=lambda o: " ".join(o),
)
def test_set_options_on_missing_and_existing(differ, options):
    differ.check("SET", "k", "v1", *options, resp3=False)
    differ.check("GET", "k")
    differ.check("SET", "k", "v2", *options, resp3=False)
    differ.check("GET", "k")
    differ.check("SET", "k", "v3", *options)
    differ.check("GET", "k")


@pytest.mark.parametrize(
    "options",
    [
        ("NX", "XX"), ("XX", "NX"), ("EX", "10", "PX", "100"), ("PX", "100", "EX", "10"),
        ("EX", "10", "KEEPTTL"), ("KEEPTTL", "EX", "10"), ("KEEPTTL", "PXAT", "10"), ("EXAT", "10", "PXAT", "10"),
        ("EX",), ("PX",), ("EXAT",), ("PXAT",), ("NX", "EX"), ("FOO",), ("PERSIST",), ("EX", "10", "FOO"),
        ("EXX", "10"), ("N",), ("GETT",), ("", ""),
    ],
    ids=lambda o: " ".join(o) or "empty",
)
def test_set_syntax_errors(differ, options):
    differ.check("SET", "k", "old")
    assert is_error(differ.check("SET", "k", "v", *options), "ERR syntax error")
    assert differ.check("GET", "k") == b"old"


@pytest.mark.parametrize(
    "option,value",
    [
        ("EX", "0"), ("EX", "-1"), ("PX", "0"), ("PX", "-100"), ("EXAT", "0"), ("PXAT", "-1"),
        ("EX", "9223372036854775"), ("EX", "9223372036854776"), ("PX", str(LLONG_MAX)),
        ("PX", str(LLONG_MAX - 1000)), ("EXAT", "9223372036854776"), ("EX", str(LLONG_MAX)),
        ("EX", "abc"), ("PX", "1.5"), ("EX", " 10"), ("EX", "+10"), ("EX", "010"), ("EX", ""),
        ("PXAT", "9223372036854775808"), ("EX", "-9223372036854775808"),
    ],
)
def test_set_bad_expire(differ, option, value):
    differ.check("SET", "k", "old")
    reply = differ.check("SET", "k", "v", option, value)
    assert is_error(reply)
    assert differ.check("GET", "k") == b"old"
    differ.check("SETEX", "k", value, "v")
    differ.check("PSETEX", "k", value, "v")


def test_set_bad_expire_beats_wrongtype_and_get(differ):
    make_list(differ)
    assert is_error(differ.check("SET", "l", "v", "GET", "EX", "0"), "ERR invalid expire time in 'set' command")
    assert is_error(differ.check("SET", "l", "v", "GET", "EX", "x"), "ERR value is not an integer or out of range")
    assert is_error(differ.check("SET", "l", "v", "GET"), "WRONGTYPE Operation against a key holding the wrong kind of value")
    assert is_error(differ.check("SET", "l", "v", "GET", "NX"))
    differ.check("SET", "l", "v")  # without GET the type does not matter
    differ.check("GET", "l")


def test_set_get_nx_xx(differ):
    differ.check("SET", "k", "v", "GET", "XX")
    differ.check("GET", "k")
    differ.check("SET", "k", "v", "GET", "NX", resp3=False)
    differ.check("SET", "k", "w", "GET", "NX")
    differ.check("SET", "k", "w", "GET", "XX")
    differ.check("GET", "k")


def test_set_expiry_options(differ):
    now = int(time.time())
    differ.check("SET", "ex", "v", "EX", "1000")
    assert same_ttl(differ, "ex") == 100
    differ.check("SET", "px", "v", "PX", "2000000")
    assert same_ttl(differ, "px") == 200
    differ.check("SET", "exat", "v", "EXAT", str(now + 3000))
    assert same_ttl(differ, "exat") == 300
    differ.check("SET", "pxat", "v", "PXAT", str((now + 4000) * 1000))
    assert same_ttl(differ, "pxat") == 400
    differ.check("SET", "exat", "w", "KEEPTTL")
    assert same_ttl(differ, "exat") == 300
    differ.check("SET", "exat", "w")
    assert same_ttl(differ, "exat") == -1
    differ.check("SET", "px", "w", "XX", "KEEPTTL", "GET")
    assert same_ttl(differ, "px") == 200


def test_set_absolute_expiry_in_the_past(differ):
    differ.check("SET", "k", "old")
    differ.check("SET", "k", "v", "EXAT", "1")
    differ.check("GET", "k")
    differ.check("GET", "k")
    differ.check("SET", "k", "v", "PXAT", "1000", "GET")
    differ.check("SET", "k", "v2", "PXAT", str(int(time.time() * 1000) - 5000), "GET")
    differ.check("GET", "k")


def test_setnx_setex_psetex(differ):
    differ.check("SETNX", "k", "1", resp3=False)
    differ.check("SETNX", "k", "2")
    differ.check("GET", "k")
    differ.check("SETEX", "k", "1000", "3")
    differ.check("GET", "k")
    assert same_ttl(differ, "k") == 100
    differ.check("PSETEX", "k", "500000", "4")
    differ.check("GET", "k")
    assert same_ttl(differ, "k") == 50
    assert is_error(differ.check("SETEX", "k", "0", "v"), "ERR invalid expire time in 'setex' command")
    assert is_error(differ.check("PSETEX", "k", "-5", "v"), "ERR invalid expire time in 'psetex' command")
    assert is_error(differ.check("SETEX", "k", "x", "v"), "ERR value is not an integer or out of range")


# -- GETEX / GETDEL / GETSET ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        ("XX",), ("NX",), ("GET",), ("KEEPTTL",), ("EX",), ("PERSIST", "EX", "10"), ("EX", "10", "PERSIST"),
        ("EX", "10", "PX", "10"), ("FOO",), ("PERSIST", "FOO"),
    ],
    ids=lambda o: " ".join(o),
)
def test_getex_syntax_errors(differ, options):
    differ.check("SET", "k", "v")
    assert is_error(differ.check("GETEX", "k", *options), "ERR syntax error")
    assert is_error(differ.check("GETEX", "missing", *options), "ERR syntax error")


def test_getex(differ):
    differ.check("GETEX", "missing")
    differ.check("GETEX", "missing", "EX", "abc")  # nil: the key is looked up first
    differ.check("GETEX", "missing", "EX", "0")
    differ.check("SET", "k", "v", "EX", "1000")
    differ.check("GETEX", "k")
    assert same_ttl(differ, "k") == 100
    differ.check("GETEX", "k", "PX", "2000000")
    assert same_ttl(differ, "k") == 200
    differ.check("GETEX", "k", "EXAT", str(int(time.time()) + 3000))
    assert same_ttl(differ, "k") == 300
    differ.check("GETEX", "k", "PXAT", str((int(time.time()) + 4000) * 1000))
    assert same_ttl(differ, "k") == 400
    differ.check("GETEX", "k", "PERSIST")
    assert same_ttl(differ, "k") == -1
    differ.check("GETEX", "k", "persist")
    differ.check("GETEX", "k", "EX", "10", "EX", "1000")
    assert same_ttl(differ, "k") == 100
    for bad in ("0", "-1", "abc", "9223372036854775807", ""):
        assert is_error(differ.check("GETEX", "k", "EX", bad))
        assert is_error(differ.check("GETEX", "k", "PXAT", bad)) or bad == "9223372036854775807"
    differ.check("GETEX", "k", "EXAT", "1")  # already past: deleted, value still returned
    differ.check("GET", "k")
    differ.check("SET", "k", "v")
    differ.check("GETEX", "k", "PXAT", "1000", resp3=False)
    differ.check("GET", "k")


def test_getdel_getset(differ):
    differ.check("GETDEL", "k")
    differ.check("SET", "k", "v")
    differ.check("GETDEL", "k", resp3=False)
    differ.check("GETDEL", "k")
    differ.check("GET", "k")
    differ.check("GETSET", "k", "1", resp3=False)
    differ.check("GETSET", "k", "2")
    differ.check("GET", "k")
    differ.check("SET", "t", "v", "EX", "1000")
    differ.check("GETSET", "t", "w")
    assert same_ttl(differ, "t") == -1


# -- MSET / MGET / MSETNX ------------------------------------------------------------------------------


def test_mset_mget_msetnx(differ):
    differ.check("MGET", "a", "b", "c")
    differ.check("MSET", "a", "1", "b", "2", "a", "3")
    differ.check("MGET", "a", "b", "c", "a")
    differ.check("MSETNX", "x", "1", "a", "9")
    differ.check("MSETNX", "x", "1", "y", "2", resp3=False)
    differ.check("MSETNX", "x", "1", "y", "2")
    differ.check("MSETNX", "z", "1", "z", "2", resp3=False)
    differ.check("MGET", "x", "y", "z")
    differ.check("SET", "t", "v", "EX", "1000")
    differ.check("MSET", "t", "w")
    assert same_ttl(differ, "t") == -1


# -- APPEND / STRLEN / SETRANGE / GETRANGE ---------------------------------------------------------------


def test_append_strlen(differ):
    differ.check("STRLEN", "k")
    differ.check("APPEND", "k", "hello", resp3=False)
    differ.check("APPEND", "k", " world")
    differ.check("APPEND", "k", "")
    differ.check("GET", "k")
    differ.check("STRLEN", "k")
    differ.check("SET", "n", "12")
    differ.check("APPEND", "n", "34")
    differ.check("INCR", "n")
    differ.check("SET", "t", "v", "EX", "1000")
    differ.check("APPEND", "t", "w")
    assert same_ttl(differ, "t") == 100
    differ.check("APPEND", "e", "", resp3=False)
    differ.check("GET", "e")
    differ.check("STRLEN", "e")


def test_setrange(differ):
    differ.check("SETRANGE", "k", "0", "")
    differ.check("GET", "k")
    differ.check("SETRANGE", "k", "5", "")
    differ.check("GET", "k")
    differ.check("SETRANGE", "k", "3", "abc")
    differ.check("GET", "k")
    differ.check("SETRANGE", "k", "1", "XY")
    differ.check("GET", "k")
    differ.check("SETRANGE", "k", "4", "12345")
    differ.check("GET", "k")
    differ.check("SETRANGE", "k", "12", "!")
    differ.check("GET", "k")
    differ.check("SETRANGE", "k", "0", "")
    differ.check("SETRANGE", "k", "100", "")
    differ.check("SET", "t", "hello", "EX", "1000")
    differ.check("SETRANGE", "t", "0", "J")
    differ.check("GET", "t")
    assert same_ttl(differ, "t") == 100
    differ.check("SET", "n", "100")
    differ.check("SETRANGE", "n", "1", "5")
    differ.check("INCR", "n")
    assert is_error(differ.check("SETRANGE", "k", "-1", "x"), "ERR offset is out of range")
    assert is_error(differ.check("SETRANGE", "k", "x", "x"), "ERR value is not an integer or out of range")
    too_long = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    assert is_error(differ.check("SETRANGE", "k", "536870911", "xx"), too_long)
    assert is_error(differ.check("SETRANGE", "new", "536870912", "x"), too_long)
    assert is_error(differ.check("SETRANGE", "new", str(LLONG_MAX), "x"), too_long)
    differ.check("SETRANGE", "new", "536870912", "")


GETRANGE_BOUNDS = [-100, -11, -10, -9, -5, -2, -1, 0, 1, 4, 9, 10, 11, 100, LLONG_MAX, LLONG_MIN]


def test_getrange_substr(differ):
    differ.check("SET", "k", "0123456789")
    differ.check("SET", "e", "")
    differ.check("SET", "n", "-1234")
    for start in GETRANGE_BOUNDS:
        for end in GETRANGE_BOUNDS:
            differ.check("GETRANGE", "k", start, end, resp3=False)
    for key in ("e", "n", "missing"):
        for start, end in ((0, -1), (0, 0), (-1, -1), (1, 2), (-3, -2), (5, 1), (-1, -5)):
            differ.check("GETRANGE", key, start, end)
            differ.check("SUBSTR", key, start, end)
    assert is_error(differ.check("GETRANGE", "k", "a", "1"))
    assert is_error(differ.check("GETRANGE", "missing", "0", "b"))
    assert is_error(differ.check("GETRANGE", "k", "0", "9223372036854775808"))


# -- counters ---------------------------------------------------------------------------------------------


def test_incr_decr(differ):
    differ.check("INCR", "n", resp3=False)
    differ.check("INCR", "n")
    differ.check("DECR", "n")
    differ.check("DECR", "m", resp3=False)
    differ.check("INCRBY", "n", "100")
    differ.check("INCRBY", "n", "-250")
    differ.check("DECRBY", "n", "-50")
    differ.check("DECRBY", "n", "7")
    differ.check("GET", "n")
    differ.check("SET", "t", "5", "EX", "1000")
    differ.check("INCR", "t")
    assert same_ttl(differ, "t") == 100


@pytest.mark.parametrize(
    "value",
    ["007", " 1", "1 ", "+1", "1.0", "", "1e3", "0x10", "-0", "9223372036854775808", "-9223372036854775809",
     "abc", "1_000", "\u0661", "00", "-"],
)
def test_incr_not_integer(differ, value):
    differ.check("SET", "k", value)
    for cmd in (("INCR", "k"), ("DECR", "k"), ("INCRBY", "k", "1"), ("DECRBY", "k", "1")):
        assert is_error(differ.check(*cmd), "ERR value is not an integer or out of range")
    assert is_error(differ.check("INCRBY", "n", value))
    assert is_error(differ.check("DECRBY", "n", value))
    differ.check("GET", "n")


def test_incr_overflow(differ):
    overflow = "ERR increment or decrement would overflow"
    differ.check("SET", "k", str(LLONG_MAX))
    assert is_error(differ.check("INCR", "k"), overflow)
    assert is_error(differ.check("INCRBY", "k", "1"), overflow)
    assert is_error(differ.check("DECRBY", "k", "-1"), overflow)
    differ.check("INCRBY", "k", str(LLONG_MIN))
    differ.check("SET", "k", str(LLONG_MIN))
    assert is_error(differ.check("DECR", "k"), overflow)
    assert is_error(differ.check("INCRBY", "k", "-1"), overflow)
    differ.check("INCRBY", "k", str(LLONG_MAX))
    assert is_error(differ.check("DECRBY", "k", str(LLONG_MIN)), "ERR decrement would overflow")
    assert is_error(differ.check("DECRBY", "missing", str(LLONG_MIN)), "ERR decrement would overflow")
    differ.check("DECRBY", "z", str(LLONG_MAX), resp3=False)
    differ.check("DECR", "z", resp3=False)
    assert is_error(differ.check("DECR", "z"), overflow)
    differ.check("GET", "z")


def test_incr_wrongtype(differ):
    make_list(differ)
    for cmd in (("INCR", "l"), ("DECR", "l"), ("INCRBY", "l", "1"), ("DECRBY", "l", "1"), ("INCRBYFLOAT", "l", "1")):
        assert is_error(differ.check(*cmd), "WRONGTYPE Operation against a key holding the wrong kind of value")
    # the increment is parsed before the key is looked at (INCRBY/DECRBY), after it for INCRBYFLOAT
    assert is_error(differ.check("INCRBY", "l", "x"), "ERR value is not an integer or out of range")
    assert is_error(differ.check("INCRBYFLOAT", "l", "x"), "WRONGTYPE Operation against a key holding the wrong kind of value")


INCRBYFLOAT_CASES = [
    ("10.5", "0.1"), ("0", "3.0e3"), ("10", "5.0e3"), ("0", "1e400"), ("1", "-1"), ("-0.1", "0.1"),
    ("5", "-10.25"), ("1.5", "1.5"), ("0", "0.1"), ("0.1", "0.2"), ("3", "1.0000000000000001"),
    ("1e-10", "0"), ("0", "1e-17"), ("0", "1e-18"), ("0", "-1e-18"), ("0", "5e-18"), ("0", "1.5e-17"),
    ("0", "0x10"), ("0", "0x1p-3"), ("0", "0X.8P1"), ("0", "-0x1.8"), ("1", ".5"), ("1", "5."),
    ("1", "+2"), ("1", "1E2"), ("1", "1e+2"), ("100", "1e-2"), ("9223372036854775807", "1"),
    ("0", "123456789012345678901234567890"), ("0", "0.000003814697265625"), ("0", "3.814697265625e-6"),
    ("0", "1.18e4932"), ("0", "1e-4940"), ("0", "-0"), ("-0", "0"), ("0", "00012.50"),
    ("12345.678", "-12345.678"), ("1e300", "1e300"), ("3.14159265358979323846264338327950288", "0"),
    ("0", "1e4931"), ("0", "2.5e-4950"), ("0.1", "1e20"), ("1e20", "0.1"), ("7", "-7.000000000000000000001"),
]


@pytest.mark.parametrize("start,increment", INCRBYFLOAT_CASES)
def test_incrbyfloat_values(differ, start, increment):
    differ.check("SET", "f", start)
    differ.check("INCRBYFLOAT", "f", increment, resp3=False)
    differ.check("GET", "f")
    differ.check("INCRBYFLOAT", "f", increment, resp3=False)
    differ.check("INCRBYFLOAT", "f", "0.1")


def test_incrbyfloat_random(differ):
    rng = random.Random(7)
    differ.check("SET", "f", "0")
    for _ in range(300):
        exponent = rng.randint(-20, 20)
        digits = rng.randint(1, 20)
        mantissa = rng.randint(0, 10**digits)
        text = f"{'-' if rng.random() < 0.4 else ''}{mantissa}e{exponent}"
        if rng.random() < 0.3:
            text = repr(rng.uniform(-1000, 1000))
        differ.check("INCRBYFLOAT", "f", text, resp3=False)


@pytest.mark.parametrize(
    "stored,increment",
    [
        ("abc", "1"), ("1", "abc"), ("", "1"), ("1", ""), (" 1", "1"), ("1", " 1"), ("1", "1 "), ("1", "nan"),
        ("nan", "1"), ("1", "NaN"), ("1", "1e"), ("1", "1e+"), ("1", "."), ("1", "0x"), ("1", "0x1p"),
        ("1", "1e5000"), ("1", "-1e5000"), ("1", "1e-5000"), ("1", "infinite"), ("1", "1.2.3"), ("1", "--1"),
        ("1", "1,5"), ("1", "x" * 6000), ("1", "1" * 5200), ("1", "1\x00"), ("\x001", "1"),
    ],
)
def test_incrbyfloat_not_a_float(differ, stored, increment):
    differ.check("SET", "f", stored)
    assert is_error(differ.check("INCRBYFLOAT", "f", increment), "ERR value is not a valid float")
    differ.check("GET", "f")


@pytest.mark.parametrize(
    "stored,increment",
    [("1", "inf"), ("1", "-inf"), ("1", "+INF"), ("1", "Infinity"), ("inf", "1"), ("-inf", "inf"),
     ("1.1e4932", "1.1e4932"), ("-1.1e4932", "-1e4932"), (None, "inf")],
)
def test_incrbyfloat_nan_or_infinity(differ, stored, increment):
    if stored is not None:
        differ.check("SET", "f", stored)
    assert is_error(differ.check("INCRBYFLOAT", "f", increment), "ERR increment would produce NaN or Infinity")
    differ.check("GET", "f")


def test_incrbyfloat_keeps_ttl(differ):
    differ.check("SET", "f", "1.5", "EX", "1000")
    differ.check("INCRBYFLOAT", "f", "1")
    assert same_ttl(differ, "f") == 100
    differ.check("INCRBYFLOAT", "new", "2.5")
    assert same_ttl(differ, "new") == -1


# -- LCS --------------------------------------------------------------------------------------------------

LCS_OPTIONS = [
    (), ("LEN",), ("IDX",), ("IDX", "WITHMATCHLEN"), ("IDX", "MINMATCHLEN", "2"),
    ("IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"), ("idx", "minmatchlen", "-5"), ("LEN", "MINMATCHLEN", "3"),
    ("WITHMATCHLEN",), ("MINMATCHLEN", "2"), ("LEN", "LEN"),
]


@pytest.mark.parametrize("options", LCS_OPTIONS, ids=lambda o: " ".join(o) or "plain")
def test_lcs_options(differ, options):
    differ.check("MSET", "a", "ohmytext", "b", "mynewtext")
    differ.check("LCS", "a", "b", *options)
    differ.check("LCS", "b", "a", *options)
    differ.check("LCS", "a", "missing", *options)
    differ.check("LCS", "missing", "missing2", *options)
    differ.check("LCS", "a", "a", *options)


def test_lcs_errors(differ):
    differ.check("MSET", "a", "abc", "b", "abd")
    assert is_error(differ.check("LCS", "a", "b", "LEN", "IDX"),
                    "ERR If you want both the length and indexes, please just use IDX.")
    assert is_error(differ.check("LCS", "a", "b", "FOO"), "ERR syntax error")
    assert is_error(differ.check("LCS", "a", "b", "MINMATCHLEN"), "ERR syntax error")
    assert is_error(differ.check("LCS", "a", "b", "MINMATCHLEN", "x"), "ERR value is not an integer or out of range")
    assert is_error(differ.check("LCS", "a", "b", "LEN", "FOO", "IDX"), "ERR syntax error")
    differ.check("SET", "big", "x" * 12000)
    differ.check("SET", "big2", "y" * 12000)
    assert is_error(differ.check("LCS", "big", "big2"),
                    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")


def test_lcs_random(differ):
    rng = random.Random(11)
    for round_ in range(60):
        alphabet = "ab" if round_ % 3 == 0 else "abcd" if round_ % 3 == 1 else "abcdefghij"
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        differ.check("MSET", "a", a, "b", b, resp3=False)
        differ.check("LCS", "a", "b")
        differ.check("LCS", "a", "b", "LEN", resp3=False)
        differ.check("LCS", "a", "b", "IDX", "WITHMATCHLEN")
        differ.check("LCS", "a", "b", "IDX", "MINMATCHLEN", str(rng.randint(0, 4)), resp3=False)


def test_lcs_long_strings(differ):
    rng = random.Random(3)
    a = "".join(rng.choice("acgt") for _ in range(1500))
    b = "".join(rng.choice("acgt") for _ in range(900))
    differ.check("MSET", "a", a, "b", b)
    differ.check("LCS", "a", "b", "LEN")
    differ.check("LCS", "a", "b")
    differ.check("LCS", "b", "a", "IDX", "MINMATCHLEN", "5", "WITHMATCHLEN")


# -- wrong types ----------------------------------------------------------------------------------------


def test_wrongtype(differ):
    make_list(differ)
    wrong = "WRONGTYPE Operation against a key holding the wrong kind of value"
    for cmd in (
        ("GET", "l"), ("GETEX", "l"), ("GETEX", "l", "EX", "abc"), ("GETEX", "l", "PERSIST"), ("GETDEL", "l"),
        ("GETSET", "l", "v"), ("APPEND", "l", "x"), ("STRLEN", "l"), ("SETRANGE", "l", "0", "x"),
        ("SETRANGE", "l", "0", ""), ("GETRANGE", "l", "0", "1"), ("SUBSTR", "l", "0", "1"),
    ):
        assert is_error(differ.check(*cmd), wrong), cmd
    # argument errors come first
    differ.check("SETRANGE", "l", "-1", "x")
    differ.check("GETRANGE", "l", "x", "1")
    differ.check("MGET", "a", "l", "b")
    differ.check("MSETNX", "x", "1", "l", "9")
    differ.check("SETNX", "l", "y")
    differ.check("LLEN", "l")
    assert is_error(differ.check("LCS", "a", "l"), "ERR The specified keys must contain string values")
    assert is_error(differ.check("LCS", "l", "missing", "FOO"), "ERR The specified keys must contain string values")
    differ.check("SETEX", "l", "100", "y")
    differ.check("GET", "l")
    make_list(differ, "l2")
    differ.check("MSET", "l2", "now-string")
    differ.check("GET", "l2")
    make_list(differ, "l3")
    differ.check("SET", "l3", "v")
    differ.check("GET", "l3")


# -- proto-max-bulk-len ------------------------------------------------------------------------------------


@pytest.fixture
def small_bulk_limit(differ):
    """proto-max-bulk-len at its 1 MiB minimum on both servers, restored afterwards."""
    for which in ("ours", "real"):
        differ.client(which).config_set("proto-max-bulk-len", str(1024 * 1024))
    try:
        yield 1024 * 1024
    finally:
        for which in ("ours", "real"):
            differ.client(which).config_set("proto-max-bulk-len", "536870912")


def test_length_limits_follow_proto_max_bulk_len(differ, small_bulk_limit):
    too_long = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    differ.check("SET", "k", "x" * (small_bulk_limit - 2))
    differ.check("APPEND", "k", "yy")
    assert is_error(differ.check("APPEND", "k", "z"), too_long)
    differ.check("STRLEN", "k")
    assert is_error(differ.check("SETRANGE", "k", str(small_bulk_limit), "z"), too_long)
    differ.check("SETRANGE", "k", str(small_bulk_limit - 1), "z")
    assert is_error(differ.check("SETRANGE", "new", str(small_bulk_limit - 1), "zz"), too_long)
    differ.check("GET", "new")
    differ.check("MSET", "a", "x" * 600, "b", "y" * 600)
    assert is_error(differ.check("LCS", "a", "b"),
                    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    differ.check("MSET", "a", "x" * 400, "b", "y" * 400)
    differ.check("LCS", "a", "b", "LEN")
