"""String command handlers on a bare Database with a fixed clock.

Handlers are called the way dispatch calls them (arity checked first, ``CommandError`` for
errors), so these tests see TTLs, WATCH signals and the dirty counter directly, which the
differential tests cannot. Reference implementations check the non-obvious algorithms:
the bit-parallel LCS against Redis's dynamic-programming table, and the long double
emulation of INCRBYFLOAT against exact decimal arithmetic.
"""

from __future__ import annotations

import random
from decimal import Decimal, getcontext
from fractions import Fraction

import pytest

import node.commands  # noqa: F401  (registers every command)
from node import errors
from node.commands import strings
from node.commands.dispatch import execute
from node.commands.spec import REGISTRY
from node.replies import OK
from tests.support.handlers import NOW, error_of, run, watcher_of

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)


# -- declarations ---------------------------------------------------------------------------------------

# name: (arity, flags, (first, last, step), ACL categories, key spec flags per spec, tips)
# as printed by Redis 7.0.15's COMMAND INFO.
DECLARATIONS = {
    "get": (2, ["readonly", "fast"], (1, 1, 1), ["read", "string", "fast"], [["RO", "access"]], []),
    "set": (-3, ["write", "denyoom"], (1, 1, 1), ["write", "string", "slow"],
            [["RW", "access", "update", "variable_flags"]], []),
    "getex": (-2, ["write", "fast"], (1, 1, 1), ["write", "string", "fast"], [["RW", "access", "update"]], []),
    "getdel": (2, ["write", "fast"], (1, 1, 1), ["write", "string", "fast"], [["RW", "access", "delete"]], []),
    "getset": (3, ["write", "denyoom", "fast"], (1, 1, 1), ["write", "string", "fast"],
               [["RW", "access", "update"]], []),
    "append": (3, ["write", "denyoom", "fast"], (1, 1, 1), ["write", "string", "fast"], [["RW", "insert"]], []),
    "strlen": (2, ["readonly", "fast"], (1, 1, 1), ["read", "string", "fast"], [["RO"]], []),
    "setrange": (4, ["write", "denyoom"], (1, 1, 1), ["write", "string", "slow"], [["RW", "update"]], []),
    "getrange": (4, ["readonly"], (1, 1, 1), ["read", "string", "slow"], [["RO", "access"]], []),
    "substr": (4, ["readonly"], (1, 1, 1), ["read", "string", "slow"], [["RO", "access"]], []),
    "incr": (2, ["write", "denyoom", "fast"], (1, 1, 1), ["write", "string", "fast"],
             [["RW", "access", "update"]], []),
    "decr": (2, ["write", "denyoom", "fast"], (1, 1, 1), ["write", "string", "fast"],
             [["RW", "access", "update"]], []),
    "incrby": (3, ["write", "denyoom", "fast"], (1, 1, 1), ["write", "string", "fast"],
               [["RW", "access", "update"]], []),
    "decrby": (3, ["write", "denyoom", "fast"], (1, 1, 1), ["write", "string", "fast"],
               [["RW", "access", "update"]], []),
    "incrbyfloat": (3, ["write", "denyoom", "fast"], (1, 1, 1), ["write", "string", "fast"],
                    [["RW", "access", "update"]], []),
    "mset": (-3, ["write", "denyoom"], (1, -1, 2), ["write", "string", "slow"], [["OW", "update"]],
             ["request_policy:multi_shard", "response_policy:all_succeeded"]),
    "mget": (-2, ["readonly", "fast"], (1, -1, 1), ["read", "string", "fast"], [["RO", "access"]],
             ["request_policy:multi_shard"]),
    "msetnx": (-3, ["write", "denyoom"], (1, -1, 2), ["write", "string", "slow"], [["OW", "insert"]],
               ["request_policy:multi_shard", "response_policy:agg_min"]),
    "setnx": (3, ["write", "denyoom", "fast"], (1, 1, 1), ["write", "string", "fast"], [["OW", "insert"]], []),
    "setex": (4, ["write", "denyoom"], (1, 1, 1), ["write", "string", "slow"], [["OW", "update"]], []),
    "psetex": (4, ["write", "denyoom"], (1, 1, 1), ["write", "string", "slow"], [["OW", "update"]], []),
    "lcs": (-3, ["readonly"], (1, 2, 1), ["read", "string", "slow"], [["RO", "access"]], []),
}


@pytest.mark.parametrize("name", sorted(DECLARATIONS))
def test_declaration_matches_redis(name):
    arity, flags, legacy, categories, key_flags, tips = DECLARATIONS[name]
    spec = REGISTRY[name.encode()]
    assert spec.arity == arity
    assert spec.info_flags() == flags
    assert (spec.first_key, spec.last_key, spec.key_step) == legacy
    assert list(spec.acl_categories) == categories
    assert [ks.key_flags for ks in spec.key_specs] == key_flags
    assert list(spec.tips) == tips
    assert spec.group == "string"


# -- integer parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,value",
    [(b"0", 0), (b"1", 1), (b"-1", -1), (b"9223372036854775807", LLONG_MAX), (b"-9223372036854775808", LLONG_MIN),
     (b"9223372036854775808", None), (b"-9223372036854775809", None), (b"007", None), (b"-0", None),
     (b"+1", None), (b" 1", None), (b"1 ", None), (b"1_0", None), (b"", None), (b"-", None), (b"1.0", None),
     (b"\xd9\xa1", None), (b"1" * 5000, None)],
)
def test_parse_ll_is_string2ll(raw, value):
    assert strings.parse_ll(raw) == value


# -- GET / SET ------------------------------------------------------------------------------------------


def test_get_set_and_wrongtype(client):
    assert run(client, "GET", "k") is None
    assert run(client, "SET", "k", "v") is OK
    assert run(client, "GET", "k") == b"v"
    assert type(client.db.data[b"k"]) is bytes
    client.db.data[b"l"] = ["not", "a", "string"]
    assert error_of(client, "GET", "l") == errors.WRONGTYPE
    assert run(client, "SET", "l", "s") is OK  # SET replaces any type
    assert run(client, "GET", "l") == b"s"


def test_set_expire_options(client):
    db = client.db
    run(client, "SET", "k", "v", "EX", "10")
    assert db.ttl_ms(b"k") == NOW + 10_000
    run(client, "SET", "k", "v", "PX", "1500")
    assert db.ttl_ms(b"k") == NOW + 1500
    run(client, "SET", "k", "v", "EXAT", str(NOW // 1000 + 100))
    assert db.ttl_ms(b"k") == (NOW // 1000 + 100) * 1000
    run(client, "SET", "k", "v", "PXAT", str(NOW + 12345))
    assert db.ttl_ms(b"k") == NOW + 12345
    run(client, "SET", "k", "w", "KEEPTTL")
    assert db.ttl_ms(b"k") == NOW + 12345
    run(client, "SET", "k", "x", "XX")
    assert db.ttl_ms(b"k") is None
    run(client, "SET", "k", "v", "ex", "10", "EX", "20")  # the last one wins
    assert db.ttl_ms(b"k") == NOW + 20_000


def test_set_absolute_expiry_in_the_past_expires_at_next_lookup(client):
    # Redis 7.0 stores the key with its past expiry (DBSIZE counts it); a lookup expires it.
    run(client, "SET", "k", "old", "EX", "100")
    assert run(client, "SET", "k", "v", "PXAT", str(NOW - 1), "GET") == b"old"
    assert client.db.expires[b"k"] == NOW - 1
    assert client.db.get(b"k") is None
    assert b"k" not in client.db.data
    assert run(client, "SET", "k", "v", "EXAT", "1") is OK
    assert run(client, "GET", "k") is None
    run(client, "SET", "k", "v", "PXAT", str(NOW))  # expires at the end of this millisecond
    assert client.db.data[b"k"] == b"v" and client.db.expires[b"k"] == NOW


def test_set_nx_xx_get(client):
    assert run(client, "SET", "k", "1", "XX") is None
    assert run(client, "SET", "k", "1", "NX") is OK
    assert run(client, "SET", "k", "2", "NX") is None
    assert run(client, "SET", "k", "2", "NX", "GET") == b"1"
    assert run(client, "SET", "k", "3", "XX", "GET") == b"1"
    assert run(client, "SET", "n", "3", "XX", "GET") is None
    assert run(client, "SET", "n", "3", "GET") is None
    assert run(client, "GET", "k") == b"3"
    assert run(client, "GET", "n") == b"3"


@pytest.mark.parametrize(
    "options",
    [("NX", "XX"), ("XX", "NX"), ("KEEPTTL", "EX", "1"), ("PX", "1", "KEEPTTL"), ("EX", "1", "PX", "1"),
     ("EXAT", "1", "PXAT", "1"), ("EX",), ("PERSIST",), ("BOGUS",), ("GET", "EX")],
)
def test_set_syntax_errors(client, options):
    assert error_of(client, "SET", "k", "v", *options) == errors.SYNTAX
    assert b"k" not in client.db.data


def test_set_expire_errors_in_order(client):
    client.db.data[b"l"] = ["list"]
    invalid = "ERR invalid expire time in 'set' command"
    assert error_of(client, "SET", "l", "v", "GET", "EX", "0") == invalid
    assert error_of(client, "SET", "l", "v", "GET", "EX", "x") == errors.NOT_INTEGER
    assert error_of(client, "SET", "l", "v", "GET") == errors.WRONGTYPE
    assert error_of(client, "SET", "k", "v", "EX", str(LLONG_MAX // 1000 + 1)) == invalid
    assert error_of(client, "SET", "k", "v", "EX", str(LLONG_MAX // 1000)) == invalid  # + now overflows
    assert error_of(client, "SET", "k", "v", "PX", str(LLONG_MAX - NOW + 1)) == invalid
    assert run(client, "SET", "k", "v", "PX", str(LLONG_MAX - NOW)) is OK
    assert client.db.ttl_ms(b"k") == LLONG_MAX
    assert run(client, "SET", "k", "v", "EXAT", str(LLONG_MAX // 1000)) is OK
    assert error_of(client, "SETEX", "k", "-1", "v") == "ERR invalid expire time in 'setex' command"
    assert error_of(client, "PSETEX", "k", "0", "v") == "ERR invalid expire time in 'psetex' command"


def test_set_three_args_is_one_db_set(client):
    calls = []
    db = client.db

    class Spy:
        def set(self, key, value, **kw):
            calls.append((key, value, kw))

    client.db = Spy()
    assert run(client, "SET", "k", "v") is OK
    assert calls == [(b"k", b"v", {})]
    client.db = db


def test_setnx_setex_psetex(client):
    assert run(client, "SETNX", "k", "1") == 1
    assert run(client, "SETNX", "k", "2") == 0
    assert run(client, "SETEX", "k", "5", "3") is OK
    assert client.db.ttl_ms(b"k") == NOW + 5000
    assert run(client, "PSETEX", "k", "5", "4") is OK
    assert client.db.ttl_ms(b"k") == NOW + 5
    assert run(client, "GET", "k") == b"4"
    client.db.data[b"l"] = ["list"]
    assert run(client, "SETNX", "l", "x") == 0


# -- GETEX / GETDEL / GETSET ------------------------------------------------------------------------------


def test_getex(client):
    db = client.db
    assert run(client, "GETEX", "missing", "EX", "nonsense") is None
    run(client, "SET", "k", "v", "EX", "100")
    assert run(client, "GETEX", "k") == b"v"
    assert db.ttl_ms(b"k") == NOW + 100_000  # no option: TTL untouched
    run(client, "GETEX", "k", "PX", "50")
    assert db.ttl_ms(b"k") == NOW + 50
    run(client, "GETEX", "k", "EXAT", str(NOW // 1000 + 7))
    assert db.ttl_ms(b"k") == (NOW // 1000 + 7) * 1000
    run(client, "GETEX", "k", "PXAT", str(NOW + 9))
    assert db.ttl_ms(b"k") == NOW + 9
    assert run(client, "GETEX", "k", "PERSIST") == b"v"
    assert db.ttl_ms(b"k") is None
    assert run(client, "GETEX", "k", "PXAT", str(NOW)) == b"v"
    assert b"k" not in db.data
    run(client, "SET", "k", "v")
    assert error_of(client, "GETEX", "k", "EX", "0") == "ERR invalid expire time in 'getex' command"
    assert error_of(client, "GETEX", "k", "PERSIST", "EX", "1") == errors.SYNTAX
    assert error_of(client, "GETEX", "k", "NX") == errors.SYNTAX
    assert error_of(client, "GETEX", "k", "KEEPTTL") == errors.SYNTAX
    db.data[b"l"] = ["list"]
    assert error_of(client, "GETEX", "l", "EX", "x") == errors.WRONGTYPE


def test_getdel_getset(client):
    run(client, "SET", "k", "v", "EX", "10")
    assert run(client, "GETSET", "k", "w") == b"v"
    assert client.db.ttl_ms(b"k") is None
    assert run(client, "GETDEL", "k") == b"w"
    assert run(client, "GETDEL", "k") is None
    assert b"k" not in client.db.data
    assert run(client, "GETSET", "k", "x") is None
    client.db.data[b"l"] = ["list"]
    assert error_of(client, "GETDEL", "l") == errors.WRONGTYPE
    assert error_of(client, "GETSET", "l", "v") == errors.WRONGTYPE


# -- MSET / MGET / MSETNX -----------------------------------------------------------------------------------


def test_mset_mget_msetnx(client):
    run(client, "SET", "t", "v", "EX", "10")
    assert run(client, "MSET", "a", "1", "b", "2", "t", "3", "a", "4") is OK
    assert client.db.ttl_ms(b"t") is None
    client.db.data[b"l"] = ["list"]
    assert run(client, "MGET", "a", "b", "l", "missing", "t") == [b"4", b"2", None, None, b"3"]
    assert run(client, "MSETNX", "x", "1", "l", "2") == 0
    assert run(client, "MSETNX", "x", "1", "y", "2") == 1
    assert run(client, "MGET", "x", "y") == [b"1", b"2"]
    assert error_of(client, "MSET", "a", "1", "b") == "ERR wrong number of arguments for 'mset' command"
    assert execute(client, [b"MSETNX", b"a"]).message == "ERR wrong number of arguments for 'msetnx' command"


# -- APPEND / STRLEN / SETRANGE / GETRANGE ---------------------------------------------------------------


def test_append_keeps_ttl_and_checks_length(client):
    assert run(client, "APPEND", "k", "ab") == 2
    run(client, "SET", "k", "ab", "EX", "10")
    assert run(client, "APPEND", "k", "cd") == 4
    assert client.db.ttl_ms(b"k") == NOW + 10_000
    assert run(client, "STRLEN", "k") == 4
    assert run(client, "STRLEN", "missing") == 0
    client.server.config.proto_max_bulk_len = 5
    assert run(client, "APPEND", "k", "e") == 5
    assert error_of(client, "APPEND", "k", "f") == errors.STRING_TOO_LONG
    assert run(client, "GET", "k") == b"abcde"


def test_setrange(client):
    assert run(client, "SETRANGE", "k", "3", "") == 0
    assert b"k" not in client.db.data
    assert run(client, "SETRANGE", "k", "2", "ab") == 4
    assert run(client, "GET", "k") == b"\x00\x00ab"
    run(client, "SET", "k", "hello", "EX", "10")
    assert run(client, "SETRANGE", "k", "1", "ipp") == 5
    assert run(client, "GET", "k") == b"hippo"
    assert client.db.ttl_ms(b"k") == NOW + 10_000
    assert run(client, "SETRANGE", "k", "7", "!") == 8
    assert run(client, "GET", "k") == b"hippo\x00\x00!"
    assert run(client, "SETRANGE", "k", "100", "") == 8
    assert error_of(client, "SETRANGE", "k", "-1", "x") == errors.OFFSET_OUT_OF_RANGE
    client.server.config.proto_max_bulk_len = 10
    assert run(client, "SETRANGE", "k", "9", "x") == 10
    assert error_of(client, "SETRANGE", "k", "10", "x") == errors.STRING_TOO_LONG
    assert error_of(client, "SETRANGE", "new", "10", "x") == errors.STRING_TOO_LONG


def test_getrange_matches_redis_rules(client):
    run(client, "SET", "k", "0123456789")

    def reference(value: bytes, start: int, end: int) -> bytes:  # getrangeCommand, step by step
        n = len(value)
        if start < 0 and end < 0 and start > end:
            return b""
        if start < 0:
            start = n + start
        if end < 0:
            end = n + end
        start, end = max(start, 0), max(end, 0)
        if end >= n:
            end = n - 1
        if start > end or n == 0:
            return b""
        return value[start:end + 1]

    for start in range(-13, 14):
        for end in range(-13, 14):
            assert run(client, "GETRANGE", "k", start, end) == reference(b"0123456789", start, end)
    assert run(client, "SUBSTR", "k", "-3", "-1") == b"789"
    assert run(client, "GETRANGE", "missing", "0", "-1") == b""
    assert error_of(client, "GETRANGE", "missing", "x", "1") == errors.NOT_INTEGER


# -- counters ------------------------------------------------------------------------------------------------


def test_incr_family(client):
    assert run(client, "INCR", "n") == 1
    assert run(client, "INCRBY", "n", "41") == 42
    assert run(client, "DECR", "n") == 41
    assert run(client, "DECRBY", "n", "-9") == 50
    assert client.db.data[b"n"] == b"50"
    run(client, "SET", "t", "1", "EX", "10")
    run(client, "INCR", "t")
    assert client.db.ttl_ms(b"t") == NOW + 10_000
    run(client, "SET", "big", str(LLONG_MAX))
    assert error_of(client, "INCR", "big") == errors.OVERFLOW
    assert run(client, "INCRBY", "big", str(LLONG_MIN)) == -1
    run(client, "SET", "small", str(LLONG_MIN))
    assert error_of(client, "DECR", "small") == errors.OVERFLOW
    assert error_of(client, "DECRBY", "small", str(LLONG_MIN)) == errors.DECR_OVERFLOW
    for bad in ("1.0", " 1", "007", "", "x"):
        run(client, "SET", "s", bad)
        assert error_of(client, "INCR", "s") == errors.NOT_INTEGER
    assert error_of(client, "INCRBY", "n", "1.5") == errors.NOT_INTEGER
    client.db.data[b"l"] = ["list"]
    assert error_of(client, "INCR", "l") == errors.WRONGTYPE


def test_incrbyfloat(client):
    assert run(client, "INCRBYFLOAT", "f", "10.5") == b"10.5"
    assert run(client, "INCRBYFLOAT", "f", "0.1") == b"10.6"
    run(client, "SET", "f", "0")
    assert run(client, "INCRBYFLOAT", "f", "3.0e3") == b"3000"
    run(client, "SET", "f", "10")
    assert run(client, "INCRBYFLOAT", "f", "5.0e3") == b"5010"
    assert run(client, "INCRBYFLOAT", "f", "-5010") == b"0"
    run(client, "SET", "t", "1", "PX", "99")
    assert run(client, "INCRBYFLOAT", "t", "0x8") == b"9"
    assert client.db.ttl_ms(b"t") == NOW + 99
    assert error_of(client, "INCRBYFLOAT", "f", "inf") == errors.INCR_NAN_INF
    assert error_of(client, "INCRBYFLOAT", "f", "nan") == errors.NOT_FLOAT
    assert error_of(client, "INCRBYFLOAT", "f", "1e5000") == errors.NOT_FLOAT
    run(client, "SET", "f", "1.1e4932")
    assert error_of(client, "INCRBYFLOAT", "f", "1e4932") == errors.INCR_NAN_INF
    run(client, "SET", "f", "abc")
    assert error_of(client, "INCRBYFLOAT", "f", "1") == errors.NOT_FLOAT
    client.db.data[b"l"] = ["list"]
    assert error_of(client, "INCRBYFLOAT", "l", "x") == errors.WRONGTYPE


def _x87(value: Fraction) -> Fraction:
    """Reference rounding to a 64-bit significand (normal range), by brute force."""
    if value == 0:
        return value
    sign = 1 if value > 0 else -1
    value = abs(value)
    e = 0
    while value >= 2**64:
        value /= 2
        e += 1
    while value < 2**63:
        value *= 2
        e -= 1
    q, r = divmod(value.numerator, value.denominator)
    if 2 * r > value.denominator or (2 * r == value.denominator and q % 2):
        q += 1
    return sign * Fraction(q) * Fraction(2) ** e


def _human(value: Fraction) -> bytes:
    """Reference "%.17Lf" with round-half-even on the exact value, then zeros stripped."""
    getcontext().prec = 200
    scaled = abs(value) * 10**17
    q, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r > scaled.denominator or (2 * r == scaled.denominator and q % 2):
        q += 1
    text = str(Decimal(q).scaleb(-17).quantize(Decimal("1e-17")))
    text = text.rstrip("0").rstrip(".")
    if value < 0 and text != "0":
        text = "-" + text
    return text.encode()


def test_long_double_against_reference():
    rng = random.Random(17)
    for _ in range(2000):
        a = f"{rng.choice(['', '-'])}{rng.randint(0, 10**rng.randint(1, 25))}e{rng.randint(-30, 30)}"
        b = repr(rng.uniform(-1e6, 1e6))
        pa, pb = strings.parse_long_double(a.encode()), strings.parse_long_double(b.encode())
        fa, fb = _x87(Fraction(Decimal(a))), _x87(Fraction(Decimal(b)))
        for parsed, exact in ((pa, fa), (pb, fb)):
            if parsed[0] == 0:
                assert exact == 0
            else:
                assert Fraction(parsed[0]) * Fraction(2) ** parsed[1] == exact
        total = strings.ld_add(pa, pb)
        expected = _x87(fa + fb)
        assert Fraction(total[0]) * Fraction(2) ** total[1] == expected
        assert strings.ld_format_human(total) == _human(expected)


@pytest.mark.parametrize(
    "text,ok",
    [(b"1", True), (b"-1.5", True), (b".5", True), (b"5.", True), (b"1e3", True), (b"1E+3", True),
     (b"0x1p3", True), (b"0X.8", True), (b"+7", True), (b"inf", True), (b"-Infinity", True),
     (b"nan", False), (b"", False), (b" 1", False), (b"1 ", False), (b"1e", False), (b".", False),
     (b"0x", False), (b"1\x00", False), (b"infinit", False), (b"1" * 5120, False), (b"1e-5000", False),
     (b"1e5000", False), (b"0e99999", True), (b"1" * 4500, True)],
)
def test_parse_long_double_accepts_what_strtold_accepts(text, ok):
    assert (strings.parse_long_double(text) is not None) == ok


def test_long_double_extremes():
    largest = strings.parse_long_double(b"1.18973149535723176502e4932")
    assert largest is not None and largest[0] == 2**64 - 1
    assert strings.parse_long_double(b"1.1897314953572317651e4932") is None  # rounds up to infinity
    smallest = strings.parse_long_double(b"3.7e-4951")
    assert smallest == (1, -16445)
    assert strings.parse_long_double(b"1e-4952") is None  # underflows to zero: ERANGE
    text = strings.ld_format_human(largest)
    assert text.startswith(b"118973149535723176") and len(text) == 4933


# -- LCS -------------------------------------------------------------------------------------------------------


def redis_lcs(a: bytes, b: bytes, minmatchlen: int = 0, withmatchlen: bool = False):
    """A straight port of Redis's lcsCommand table and backtrack (the reference)."""
    alen, blen = len(a), len(b)
    table = [[0] * (blen + 1) for _ in range(alen + 1)]
    for i in range(1, alen + 1):
        for j in range(1, blen + 1):
            if a[i - 1] == b[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    idx = table[alen][blen]
    result = bytearray(idx)
    matches = []
    i, j = alen, blen
    a_start, a_end, b_start, b_end = alen, 0, 0, 0
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result[idx - 1] = a[i - 1]
            if a_start == alen:
                a_start = a_end = i - 1
                b_start = b_end = j - 1
            elif a_start == i and b_start == j:
                a_start -= 1
                b_start -= 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if table[i - 1][j] > table[i][j - 1]:
                i -= 1
            else:
                j -= 1
            if a_start != alen:
                emit = True
        if emit:
            length = a_end - a_start + 1
            if minmatchlen == 0 or length >= minmatchlen:
                entry = [[a_start, a_end], [b_start, b_end]]
                if withmatchlen:
                    entry.append(length)
                matches.append(entry)
            a_start = alen
    return bytes(result), matches, table[alen][blen]


def test_lcs_bit_parallel_matches_redis_table(client):
    rng = random.Random(23)
    for round_ in range(400):
        alphabet = b"ab" if round_ % 2 else b"abcdefg"
        a = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        b = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        minmatch = rng.randint(0, 3)
        text, matches, length = redis_lcs(a, b, minmatch, True)
        client.db.data[b"a"], client.db.data[b"b"] = a, b
        assert run(client, "LCS", "a", "b") == text
        assert run(client, "LCS", "a", "b", "LEN") == length
        assert run(client, "LCS", "a", "b", "IDX", "MINMATCHLEN", minmatch, "WITHMATCHLEN") == {
            b"matches": matches, b"len": length,
        }


def test_lcs_rows_are_the_table():
    rng = random.Random(29)
    for _ in range(100):
        a = bytes(rng.choice(b"xyz") for _ in range(rng.randint(0, 12)))
        b = bytes(rng.choice(b"xyz") for _ in range(rng.randint(1, 12)))
        rows = strings.lcs_rows(a, b)
        for i in range(len(a) + 1):
            for j in range(len(b) + 1):
                expected = redis_lcs(a[:i], b[:j])[2]
                assert j - bin(rows[i] & ((1 << j) - 1)).count("1") == expected


def test_lcs_errors(client):
    client.db.data[b"l"] = ["list"]
    assert error_of(client, "LCS", "l", "missing") == errors.LCS_WRONGTYPE
    assert error_of(client, "LCS", "a", "b", "LEN", "IDX") == errors.LCS_LEN_AND_IDX
    assert error_of(client, "LCS", "a", "b", "MINMATCHLEN") == errors.SYNTAX
    assert run(client, "LCS", "a", "b", "IDX") == {b"matches": [], b"len": 0}
    client.db.data[b"a"] = b"x" * 2000
    client.db.data[b"b"] = b"y" * 2000
    client.server.config.proto_max_bulk_len = 2001 * 2001 * 4 - 1
    assert error_of(client, "LCS", "a", "b") == errors.LCS_TOO_MUCH_MEMORY
    client.server.config.proto_max_bulk_len = 2001 * 2001 * 4
    assert run(client, "LCS", "a", "b", "LEN") == 0


def test_lcs_large_is_fast(client):
    rng = random.Random(31)
    client.db.data[b"a"] = bytes(rng.choice(b"acgt") for _ in range(5000))
    client.db.data[b"b"] = bytes(rng.choice(b"acgt") for _ in range(5000))
    length = run(client, "LCS", "a", "b", "LEN")
    text = run(client, "LCS", "a", "b")
    assert len(text) == length > 3000


# -- WATCH and the dirty counter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [("SET", "k", "v"), ("SET", "k", "v", "EX", "10"), ("SETNX", "k", "v"), ("SETEX", "k", "10", "v"),
     ("GETSET", "k", "v"), ("APPEND", "k", "v"), ("SETRANGE", "k", "0", "v"), ("INCR", "k"),
     ("INCRBYFLOAT", "k", "1.5"), ("MSET", "k", "v"), ("MSETNX", "k", "v")],
)
def test_writes_signal_watchers_and_dirty(client, command):
    watcher = watcher_of(client, b"k")
    dirty = client.server.clock.dirty
    run(client, *command)
    assert watcher.watch_dirty
    assert client.server.clock.dirty > dirty


@pytest.mark.parametrize(
    "command",
    [("GET", "k"), ("SET", "k", "v", "NX"), ("SETNX", "k", "v"), ("GETEX", "k"), ("SETRANGE", "k", "0", ""),
     ("MSETNX", "k", "v", "y", "w"), ("STRLEN", "k"), ("GETRANGE", "k", "0", "1"),
     ("MGET", "k"), ("LCS", "k", "k"), ("GETDEL", "missing")],
)
def test_no_change_no_signal(client, command):
    run(client, "SET", "k", "1")
    watcher = watcher_of(client, b"k")
    dirty = client.server.clock.dirty
    run(client, *command)
    assert not watcher.watch_dirty
    assert client.server.clock.dirty == dirty


def test_getex_and_getdel_signal(client):
    run(client, "SET", "k", "1")
    watcher = watcher_of(client, b"k")
    run(client, "GETEX", "k", "EX", "5")
    assert watcher.watch_dirty
    watcher.watch_dirty = False
    run(client, "GETEX", "k", "PERSIST")
    assert watcher.watch_dirty
    watcher.watch_dirty = False
    run(client, "GETDEL", "k")
    assert watcher.watch_dirty
