"""Sorted-set commands against real Redis 7.0: replies, error texts, score parsing and
formatting, listpack/skiplist encodings, random and SCAN replies, in RESP2 and RESP3.

``differ.check`` sends each command to both servers on RESP2 and RESP3 connections and
compares the wire replies (so a RESP3 double against a bulk string is a difference).
Writes that must not run twice pass ``resp3=False`` and are checked in RESP3 separately.
ZRANDMEMBER picks and ZSCAN cursors of skiplists differ by design: shapes, sizes and
members are compared instead. Blocking paths that need a second client live in
tests/integration/test_blocking_zsets.py.
"""

from __future__ import annotations

import itertools
import random

import pytest

from tests.support.rawconn import RawConnection, Reply, plain

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def encoding(differ, key: str) -> bytes:
    return differ.check("OBJECT", "ENCODING", key)


def port_of(differ, which: str) -> int:
    return differ.ours_port if which == "ours" else differ.real_port


def write(differ, *args):
    """A write that must run once per server: RESP2 only."""
    return differ.check(*args, resp3=False)


def write3(differ, *args):
    """A write compared on the RESP3 connections only (reply shapes that change with RESP3)."""
    return differ.check3(*args)


# -- declarations and arity ---------------------------------------------------------------------------


def test_getkeys(differ):
    for args in (
        ("ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"), ("ZINTER", "3", "a", "b", "c"),
        ("ZDIFFSTORE", "d", "1", "a"), ("ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
        ("ZMPOP", "2", "a", "b", "MIN"), ("BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "3"),
        ("BZPOPMIN", "a", "b", "c", "0"), ("ZRANGESTORE", "d", "s", "0", "-1"), ("ZADD", "k", "1", "m"),
    ):
        differ.check("COMMAND", "GETKEYS", *args)
        differ.check("COMMAND", "GETKEYSANDFLAGS", *args)


ARITY_CASES = [
    ("ZADD", "z", "1"), ("ZADD", "z"), ("ZINCRBY", "z", "1"), ("ZINCRBY", "z", "1", "m", "x"), ("ZSCORE", "z"),
    ("ZMSCORE", "z"), ("ZCARD",), ("ZCOUNT", "z", "0"), ("ZLEXCOUNT", "z", "-"), ("ZRANGE", "z", "0"),
    ("ZRANGEBYSCORE", "z", "0"), ("ZREVRANGEBYSCORE", "z"), ("ZRANGEBYLEX", "z", "-"), ("ZREVRANGEBYLEX", "z"),
    ("ZREVRANGE", "z", "0"), ("ZRANGESTORE", "d", "z", "0"), ("ZRANK", "z"), ("ZRANK", "z", "a", "b"),
    ("ZREVRANK", "z"), ("ZREM", "z"), ("ZREMRANGEBYRANK", "z", "0"), ("ZREMRANGEBYSCORE", "z"),
    ("ZREMRANGEBYLEX", "z", "-", "+", "x"), ("ZPOPMIN",), ("ZPOPMAX",), ("ZMPOP", "1", "z"), ("BZPOPMIN", "z"),
    ("BZPOPMAX", "z"), ("BZMPOP", "0", "1", "z"), ("ZRANDMEMBER",), ("ZUNION", "1"), ("ZINTER", "1"), ("ZDIFF", "1"),
    ("ZUNIONSTORE", "d", "1"), ("ZINTERSTORE", "d", "1"), ("ZDIFFSTORE", "d", "1"), ("ZINTERCARD", "1"),
    ("ZSCAN", "z"),
]


@pytest.mark.parametrize("args", ARITY_CASES)
def test_wrong_arity(differ, args):
    differ.check(*args)


# -- ZADD, ZINCRBY ------------------------------------------------------------------------------------------

ZADD_FLAG_SETS = [
    (), ("NX",), ("XX",), ("CH",), ("INCR",), ("GT",), ("LT",), ("NX", "CH"), ("XX", "CH"), ("GT", "CH"),
    ("LT", "CH"), ("XX", "GT"), ("XX", "LT"), ("XX", "GT", "CH"), ("NX", "INCR"), ("XX", "INCR"), ("GT", "INCR"),
    ("LT", "INCR"), ("XX", "LT", "INCR"), ("nx", "xx"), ("GT", "LT"), ("NX", "GT"), ("NX", "LT"),
    ("NX", "XX", "GT"), ("INCR", "CH"), ("ch", "ch", "incr"), ("GT", "LT", "NX", "XX"),
]


@pytest.mark.parametrize("flags", ZADD_FLAG_SETS)
def test_zadd_flags(differ, flags):
    """Each flag set against a missing key, an existing member (higher, lower, equal score)
    and a new member, with a single pair and with several."""
    for score, member in (("5", "a"), ("7", "a"), ("3", "a"), ("3", "a"), ("1", "b"), ("-2.5", "c")):
        write(differ, "ZADD", "z", *flags, score, member)
        differ.check("ZRANGE", "z", "0", "-1", "WITHSCORES")
    write(differ, "ZADD", "z", *flags, "10", "a", "0", "b", "4", "new")
    differ.check("ZRANGE", "z", "0", "-1", "WITHSCORES")
    write(differ, "ZADD", "missing", *flags, "1", "m")
    differ.check("EXISTS", "missing")
    # The same steps on the RESP3 connections (INCR answers a double there).
    differ.check("DEL", "z", "missing")
    for score, member in (("5", "a"), ("7", "a"), ("3", "a"), ("1", "b")):
        write3(differ, "ZADD", "z", *flags, score, member)
    differ.check("ZRANGE", "z", "0", "-1", "WITHSCORES")


def test_zadd_errors(differ):
    differ.check("SET", "s", "x")
    for args in (
        ("ZADD", "z", "1", "a", "2"), ("ZADD", "z", "NX"), ("ZADD", "z", "NX", "1"), ("ZADD", "z", "x", "a"),
        ("ZADD", "z", "1", "a", "x", "b"), ("ZADD", "z", "INCR", "1", "a", "2", "b"), ("ZADD", "s", "1", "a"),
        ("ZADD", "s", "x", "a"), ("ZADD", "s", "NX", "XX", "1", "a"), ("ZADD", "s", "XX", "1", "a"),
        ("ZADD", "z", "NX", "XX", "x", "a"), ("ZADD", "z", "INCR", "x", "a", "1"), ("ZINCRBY", "z", "x", "m"),
        ("ZINCRBY", "s", "1", "m"), ("ZINCRBY", "z", "NX", "m"), ("ZINCRBY", "z", "INCR", "m"), ("ZINCRBY", "z", "ch", "m"),
        ("ZADD", "z", "1", "a", "nan", "b"), ("ZADD", "z", "XX", "INCR", "1", "a", "2"),
    ):
        differ.check(*args)
    differ.check("EXISTS", "z")


SCORES = [
    "0", "-0", "1", "-1", "1.5", "1.1", "0.1", "3.0000000000000004", "1e17", "1e20", "-1e20", "12345678901234567",
    "4503599627370496", "4611686018427387904", "4611686018427388928", "-4611686018427387904", "9223372036854775807",
    "inf", "-inf", "+inf", "INF", "Infinity", "-infinity", "nan", "NaN", "-nan", " 1", "1 ", "\t1", "", "1e400",
    "-1e400", "1e-400", "1e-310", "4.9e-324", "2e-324", "0e-999", "0x10", "0x1p3", "-0x1.8p1", "0x", "0x1p", "1_0",
    "+5", ".5", "5.", ".", "e5", "1e", "1e+", "1e+5", "1E5", "0.0", "00012", "1\x00", "\x001", "abc",
    "1.7976931348623157e308", "1.7976931348623159e308", "2.2250738585072014e-308", "123456789012345678901234567890",
    "0.30000000000000004", "100", "-100.25", "infinit", "nan(123)", "1,5",
]


def test_score_parsing_and_formatting(differ):
    """Every score string through ZADD, then ZSCORE, ZRANGE and ZSCAN (listpack)."""
    for i, score in enumerate(SCORES):
        write(differ, "ZADD", "z", score, f"m{i}")
        differ.check("ZSCORE", "z", f"m{i}")
        write(differ, "ZINCRBY", "i", score, f"m{i}")
    differ.check("ZRANGE", "z", "0", "-1", "WITHSCORES")
    differ.check("ZSCAN", "z", "0")
    differ.check("ZRANGE", "i", "0", "-1", "WITHSCORES")


def test_score_formatting_skiplist(differ, setting):
    setting("zset-max-listpack-entries", "0")
    for i, score in enumerate(SCORES):
        write(differ, "ZADD", "z", score, f"m{i}")
    differ.check("OBJECT", "ENCODING", "z")
    differ.check("ZRANGE", "z", "0", "-1", "WITHSCORES")
    setting("zset-max-listpack-entries", "128")
    # ZSCAN of a skiplist formats with %.17Lg: compare the pairs, not the order.
    results = []
    for which in ("ours", "real"):
        found = _full_zscan(port_of(differ, which), "z", "COUNT", "1000")
        results.append(sorted(zip(found[::2], found[1::2])))
    assert results[0] == results[1]


def test_negative_zero(differ, setting):
    """A listpack stores -0 as the integer 0; a skiplist keeps -0 (ZINCRBY replies keep it)."""
    write(differ, "ZADD", "lp", "-0", "a")
    differ.check("ZSCORE", "lp", "a")
    write(differ, "ZINCRBY", "lp2", "-0", "a")
    differ.check("ZSCORE", "lp2", "a")
    write3(differ, "ZINCRBY", "lp3", "-0", "a")
    write(differ, "ZADD", "lp", "INCR", "-0", "a")
    setting("zset-max-listpack-entries", "2")
    write(differ, "ZADD", "sk", "-0", "b", "1e17", "e17", "1e20", "big", "1.1", "x", "-0.0", "nz")
    differ.check("OBJECT", "ENCODING", "sk")
    differ.check("ZRANGE", "sk", "0", "-1", "WITHSCORES")
    differ.check("ZSCORE", "sk", "nz")
    write(differ, "ZINCRBY", "sk", "-0", "q")
    write(differ, "ZADD", "sk", "0", "nz")  # 0 == -0: not an update
    differ.check("ZSCORE", "sk", "nz")
    write(differ, "ZUNIONSTORE", "u", "1", "sk")
    differ.check("OBJECT", "ENCODING", "u")
    differ.check("ZRANGE", "u", "0", "-1", "WITHSCORES")
    setting("zset-max-listpack-entries", "0")
    write(differ, "ZADD", "src", "-0", "a", "-0", "b", "-0", "c", "-0", "d")
    setting("zset-max-listpack-entries", "2")
    for dst, args in (("d1", ("0", "-1")), ("d2", ("0", "1")), ("d3", ("-inf", "+inf", "BYSCORE")),
                      ("d4", ("[a", "+", "BYLEX")), ("d5", ("0", "-1", "REV")), ("d6", ("+inf", "-inf", "BYSCORE", "REV"))):
        write(differ, "ZRANGESTORE", dst, "src", *args)
        differ.check("ZRANGE", dst, "0", "-1", "WITHSCORES")
        differ.check("OBJECT", "ENCODING", dst)
    setting("zset-max-listpack-entries", "128")
    write(differ, "ZUNIONSTORE", "u3", "1", "sk")
    differ.check("OBJECT", "ENCODING", "u3")
    differ.check("ZSCAN", "u3", "0")
    differ.check("ZRANGE", "u3", "0", "-1", "WITHSCORES")


def test_nan_results(differ):
    write(differ, "ZADD", "z", "inf", "a", "-inf", "b", "1", "c")
    for args in (("ZINCRBY", "z", "-inf", "a"), ("ZADD", "z", "INCR", "inf", "b"), ("ZINCRBY", "z", "inf", "a"),
                 ("ZADD", "z", "INCR", "-inf", "c"), ("ZADD", "z", "GT", "INCR", "-inf", "a"),
                 ("ZADD", "z", "XX", "INCR", "+inf", "b"), ("ZADD", "z", "NX", "INCR", "-inf", "a")):
        write(differ, *args)
        differ.check("ZRANGE", "z", "0", "-1", "WITHSCORES")


# -- reads ------------------------------------------------------------------------------------------------


def test_simple_reads(differ):
    write(differ, "ZADD", "z", "1", "a", "2", "b", "2", "c", "3.5", "d")
    differ.check("SET", "s", "x")
    for args in (
        ("ZSCORE", "z", "a"), ("ZSCORE", "z", "nope"), ("ZSCORE", "missing", "a"), ("ZSCORE", "s", "a"),
        ("ZMSCORE", "z", "a", "nope", "d", "a"), ("ZMSCORE", "missing", "a", "b"), ("ZMSCORE", "s", "a"),
        ("ZCARD", "z"), ("ZCARD", "missing"), ("ZCARD", "s"), ("ZRANK", "z", "a"), ("ZRANK", "z", "c"),
        ("ZRANK", "z", "nope"), ("ZRANK", "missing", "a"), ("ZRANK", "s", "a"), ("ZREVRANK", "z", "a"),
        ("ZREVRANK", "z", "d"), ("ZREVRANK", "z", "nope"), ("ZREVRANK", "s", "a"), ("TYPE", "z"),
        ("OBJECT", "ENCODING", "z"), ("ZCOUNT", "s", "0", "1"), ("ZCOUNT", "s", "x", "1"), ("ZLEXCOUNT", "s", "-", "+"),
        ("ZLEXCOUNT", "s", "x", "+"), ("ZCOUNT", "missing", "x", "1"), ("ZCOUNT", "missing", "0", "1"),
    ):
        differ.check(*args)


RANGE_MEMBERS = [
    ("-inf", "ninf"), ("-5", "a"), ("-5", "b"), ("0", "c"), ("0", "zz"), ("1.5", "d"), ("2", "e"), ("2", "f"),
    ("2", "g"), ("3", "h"), ("1e10", "i"), ("inf", "pinf"), ("inf", "pinf2"),
]
SCORE_BOUNDS = ["-inf", "+inf", "inf", "-5", "(-5", "0", "(0", "2", "(2", "1.5", "(1.5", "3", "(3", "1e10",
                "(inf", "(-inf", "", "(", "x", "((1", "nan", " 2", "2 ", "0x2", "[2", "2\x00junk"]
LEX_BOUNDS = ["-", "+", "[a", "(a", "[b", "(b", "[c", "(zz", "[zz", "[", "(", "[\x00", "a", "", "+x", "-\x00y",
              "[aa", "(e", "[g"]


@pytest.fixture(params=["listpack", "skiplist"])
def ranged(request, differ, setting):
    if request.param == "skiplist":
        setting("zset-max-listpack-entries", "4")
    write(differ, "ZADD", "z", *itertools.chain.from_iterable(RANGE_MEMBERS))
    assert encoding(differ, "z") == request.param.encode()
    # Equal scores for lex ranges.
    write(differ, "ZADD", "lex", *itertools.chain.from_iterable(("0", m) for m in
                                                               ("a", "aa", "b", "c", "d", "e", "f", "g", "zz", "\x00", "")))
    return request.param


def test_zrange_by_rank(differ, ranged):
    indexes = ["0", "1", "-1", "-2", "5", "12", "13", "100", "-100", "-13", "-14", "x", "1.5", "9223372036854775807",
               "-9223372036854775808"]
    for start in indexes:
        for stop in ("0", "-1", "3", "-5", "100", "-100", "x"):
            differ.check("ZRANGE", "z", start, stop)
        differ.check("ZRANGE", "z", start, "-1", "WITHSCORES")
        differ.check("ZREVRANGE", "z", start, "-3", "WITHSCORES")
        differ.check("ZRANGE", "z", start, "4", "REV")


def test_zrange_by_score(differ, ranged):
    for lo in SCORE_BOUNDS:
        for hi in SCORE_BOUNDS:
            differ.check("ZRANGEBYSCORE", "z", lo, hi)
        differ.check("ZCOUNT", "z", lo, "+inf")
        differ.check("ZCOUNT", "z", "-inf", lo)
        differ.check("ZREVRANGEBYSCORE", "z", lo, "-inf", "WITHSCORES")
        differ.check("ZRANGE", "z", lo, "(3", "BYSCORE", "WITHSCORES")
        differ.check("ZRANGE", "z", lo, "-5", "BYSCORE", "REV")


def test_zrange_by_lex(differ, ranged):
    for lo in LEX_BOUNDS:
        for hi in LEX_BOUNDS:
            differ.check("ZRANGEBYLEX", "lex", lo, hi)
        differ.check("ZLEXCOUNT", "lex", lo, "+")
        differ.check("ZLEXCOUNT", "lex", "-", lo)
        differ.check("ZREVRANGEBYLEX", "lex", "+", lo)
        differ.check("ZRANGE", "lex", "+", lo, "BYLEX", "REV", "LIMIT", "1", "3")


def test_zrange_by_lex_mixed_scores_listpack(differ):
    """BYLEX on a set whose scores differ is unspecified, but a listpack answers by its
    linear walks: reproduced exactly."""
    write(differ, "ZADD", "m", "1", "d", "2", "a", "3", "c", "4", "b", "5", "f", "6", "e")
    for lo in LEX_BOUNDS:
        for hi in ("+", "[c", "(d", "[b", "-"):
            differ.check("ZRANGEBYLEX", "m", lo, hi)
            differ.check("ZREVRANGEBYLEX", "m", hi, lo)
            differ.check("ZLEXCOUNT", "m", lo, hi)


LIMITS = [("0", "1"), ("1", "2"), ("0", "-1"), ("2", "-5"), ("-1", "2"), ("0", "0"), ("12", "1"), ("13", "1"),
          ("100", "-1"), ("x", "1"), ("1", "x"), ("9223372036854775807", "1"), ("1", "9223372036854775807")]


def test_zrange_limit(differ, ranged):
    for offset, count in LIMITS:
        differ.check("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", offset, count)
        differ.check("ZRANGEBYSCORE", "z", "(-5", "2", "WITHSCORES", "LIMIT", offset, count)
        differ.check("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", offset, count, "WITHSCORES")
        differ.check("ZRANGE", "z", "(0", "inf", "BYSCORE", "REV", "LIMIT", offset, count)
        differ.check("ZRANGE", "z", "inf", "(0", "BYSCORE", "REV", "LIMIT", offset, count)
        differ.check("ZRANGEBYLEX", "lex", "-", "+", "LIMIT", offset, count)
        differ.check("ZREVRANGEBYLEX", "lex", "[g", "(a", "LIMIT", offset, count)
        differ.check("ZRANGE", "lex", "[b", "+", "BYLEX", "LIMIT", offset, count)


ZRANGE_OPTION_CASES = [
    ("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"), ("ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"),
    ("ZRANGE", "z", "0", "-1", "LIMIT", "1", "-1"), ("ZRANGE", "z", "0", "-1", "BYLEX"),
    ("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"), ("ZRANGE", "z", "-", "+", "WITHSCORES", "BYLEX"),
    ("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"), ("ZRANGE", "z", "0", "1", "REV", "REV"),
    ("ZRANGE", "z", "0", "1", "BYSCORE", "BYSCORE"), ("ZRANGE", "z", "0", "1", "LIMIT"),
    ("ZRANGE", "z", "0", "1", "LIMIT", "1"), ("ZRANGE", "z", "0", "1", "foo"), ("ZRANGE", "z", "0", "1", "withscores", "withscores"),
    ("ZRANGE", "z", "a", "b", "BYSCORE"), ("ZRANGE", "z", "a", "b"), ("ZRANGE", "z", "0", "-1", "byscore", "limit", "1", "1", "rev"),
    ("ZRANGEBYSCORE", "z", "0", "1", "REV"), ("ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"),
    ("ZRANGEBYSCORE", "z", "0", "1", "BYLEX"), ("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"),
    ("ZRANGEBYLEX", "z", "-", "+", "BYLEX"), ("ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"),
    ("ZREVRANGE", "z", "0", "1", "REV"), ("ZREVRANGE", "z", "0", "1", "BYSCORE"), ("ZREVRANGEBYLEX", "z", "+", "-", "REV"),
    ("ZRANGE", "z", "0", "-1", "LIMIT", "x", "1", "BYSCORE"), ("ZRANGE", "z", "x", "-1", "LIMIT", "0", "1", "BYSCORE"),
    ("ZRANGE", "z", "(1", "(x", "BYSCORE", "LIMIT", "0", "x"), ("ZRANGE", "missing", "0", "-1", "WITHSCORES"),
    ("ZRANGE", "missing", "x", "-1"), ("ZRANGE", "missing", "x", "y", "BYSCORE"), ("ZRANGE", "missing", "x", "y", "BYLEX"),
    ("ZRANGEBYSCORE", "missing", "0", "1", "LIMIT", "0", "1"),
]


@pytest.mark.parametrize("args", ZRANGE_OPTION_CASES)
def test_zrange_options_and_errors(differ, args):
    write(differ, "ZADD", "z", "1", "a", "2", "b", "3", "c")
    differ.check("SET", "s", "x")
    differ.check(*args)
    differ.check(args[0], "s", *args[2:])  # the same on a string: parse errors first, then WRONGTYPE


# -- ZRANGESTORE ----------------------------------------------------------------------------------------


def test_zrangestore(differ, setting):
    write(differ, "ZADD", "src", *itertools.chain.from_iterable(RANGE_MEMBERS))
    differ.check("SET", "s", "x")
    for args in (
        ("0", "-1"), ("2", "4"), ("0", "-1", "REV"), ("(0", "+inf", "BYSCORE"), ("+inf", "(0", "BYSCORE", "REV"),
        ("-inf", "inf", "BYSCORE", "LIMIT", "2", "3"), ("[c", "+", "BYLEX"), ("+", "[c", "BYLEX", "REV", "LIMIT", "0", "2"),
        ("5", "1"), ("-inf", "-10", "BYSCORE"), ("0", "-1", "WITHSCORES"), ("0", "-1", "LIMIT", "0", "1"),
        ("x", "1"), ("-", "+", "BYLEX", "WITHSCORES"),
    ):
        write(differ, "ZADD", "dst", "1", "old")
        write(differ, "EXPIRE", "dst", "1000")
        write(differ, "ZRANGESTORE", "dst", "src", *args)
        differ.check("ZRANGE", "dst", "0", "-1", "WITHSCORES")
        differ.check("OBJECT", "ENCODING", "dst")
        differ.check("TTL", "dst")
    write(differ, "ZRANGESTORE", "dst", "missing", "0", "-1")
    differ.check("EXISTS", "dst")
    write(differ, "ZADD", "dst", "1", "x")
    write(differ, "ZRANGESTORE", "dst", "s", "0", "-1")
    write(differ, "ZRANGESTORE", "s", "src", "0", "1")
    differ.check("TYPE", "s")
    write(differ, "ZRANGESTORE", "src", "src", "0", "2")  # destination == source
    differ.check("ZRANGE", "src", "0", "-1", "WITHSCORES")
    setting("zset-max-listpack-entries", "3")
    write(differ, "ZADD", "big", *itertools.chain.from_iterable(RANGE_MEMBERS))
    for args in (("0", "2"), ("0", "3"), ("-inf", "+inf", "BYSCORE", "LIMIT", "0", "3"), ("-inf", "+inf", "BYSCORE")):
        write(differ, "ZRANGESTORE", "d", "big", *args)
        differ.check("OBJECT", "ENCODING", "d")
    setting("zset-max-listpack-value", "3")
    write(differ, "ZADD", "long", "1", "abcd", "2", "a")
    differ.check("OBJECT", "ENCODING", "long")
    write(differ, "ZRANGESTORE", "d", "long", "1", "1")
    differ.check("OBJECT", "ENCODING", "d")
    write(differ, "ZRANGESTORE", "d", "long", "0", "0")
    differ.check("OBJECT", "ENCODING", "d")


# -- removal ------------------------------------------------------------------------------------------------


def test_zrem(differ):
    write(differ, "ZADD", "z", "1", "a", "2", "b", "3", "c")
    differ.check("SET", "s", "x")
    for args in (("ZREM", "z", "a", "a", "nope"), ("ZREM", "z", "nope"), ("ZREM", "missing", "a"), ("ZREM", "s", "a"),
                 ("ZRANGE", "z", "0", "-1"), ("ZREM", "z", "b", "c", "d"), ("EXISTS", "z")):
        write(differ, *args)


@pytest.mark.parametrize("encoding_", ["listpack", "skiplist"])
def test_zremrange(differ, setting, encoding_):
    if encoding_ == "skiplist":
        setting("zset-max-listpack-entries", "4")
    members = list(itertools.chain.from_iterable(RANGE_MEMBERS))
    lex = list(itertools.chain.from_iterable(("0", m) for m in "abcdefgh"))
    cases = [
        ("ZREMRANGEBYRANK", "0", "0"), ("ZREMRANGEBYRANK", "-3", "-1"), ("ZREMRANGEBYRANK", "5", "2"),
        ("ZREMRANGEBYRANK", "-100", "100"), ("ZREMRANGEBYRANK", "20", "30"), ("ZREMRANGEBYRANK", "x", "1"),
        ("ZREMRANGEBYRANK", "2", "-100"), ("ZREMRANGEBYSCORE", "(0", "2"), ("ZREMRANGEBYSCORE", "-inf", "+inf"),
        ("ZREMRANGEBYSCORE", "(2", "(2"), ("ZREMRANGEBYSCORE", "x", "1"), ("ZREMRANGEBYSCORE", "3", "1"),
        ("ZREMRANGEBYSCORE", "inf", "inf"),
    ]
    for command, lo, hi in cases:
        write(differ, "DEL", "z")
        write(differ, "ZADD", "z", *members)
        write(differ, command, "z", lo, hi)
        differ.check("ZRANGE", "z", "0", "-1", "WITHSCORES")
        differ.check("OBJECT", "ENCODING", "z")
    for lo, hi in (("[b", "(e"), ("-", "+"), ("(a", "[a"), ("+", "-"), ("[c", "[c"), ("x", "+"), ("[g", "+")):
        write(differ, "DEL", "l")
        write(differ, "ZADD", "l", *lex)
        write(differ, "ZREMRANGEBYLEX", "l", lo, hi)
        differ.check("ZRANGE", "l", "0", "-1")
    differ.check("SET", "s", "x")
    for command, lo, hi in (("ZREMRANGEBYRANK", "0", "1"), ("ZREMRANGEBYRANK", "x", "1"), ("ZREMRANGEBYSCORE", "0", "1"),
                            ("ZREMRANGEBYSCORE", "x", "1"), ("ZREMRANGEBYLEX", "-", "+"), ("ZREMRANGEBYLEX", "x", "+")):
        differ.check(command, "s", lo, hi)
        differ.check(command, "missing", lo, hi)


# -- pops ------------------------------------------------------------------------------------------------


def test_zpop(differ):
    differ.check("SET", "s", "x")
    for protocol_write in (write, write3):
        write(differ, "DEL", "z")
        write(differ, "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f")
        for args in (
            ("ZPOPMIN", "z"), ("ZPOPMAX", "z"), ("ZPOPMIN", "z", "1"), ("ZPOPMAX", "z", "2"), ("ZPOPMIN", "z", "0"),
            ("ZPOPMIN", "z", "-1"), ("ZPOPMIN", "z", "x"), ("ZPOPMIN", "z", "1", "2"), ("ZPOPMIN", "missing"),
            ("ZPOPMIN", "missing", "3"), ("ZPOPMIN", "missing", "x"), ("ZPOPMIN", "s"), ("ZPOPMIN", "s", "0"),
            ("ZPOPMIN", "s", "x"), ("ZPOPMAX", "z", "100"), ("EXISTS", "z"),
        ):
            protocol_write(differ, *args)


def test_zmpop(differ):
    differ.check("SET", "s", "x")
    for protocol_write in (write, write3):
        write(differ, "DEL", "a", "b")
        write(differ, "ZADD", "a", "1", "x", "2", "y", "3", "z")
        write(differ, "ZADD", "b", "10", "p", "20", "q")
        for args in (
            ("ZMPOP", "1", "a", "MIN"), ("ZMPOP", "2", "missing", "a", "max", "COUNT", "1"),
            ("ZMPOP", "2", "missing", "b", "MIN", "COUNT", "10"), ("ZMPOP", "2", "missing", "b", "MIN"),
            ("ZMPOP", "1", "missing", "MIN"), ("ZMPOP", "0", "a", "MIN"), ("ZMPOP", "-1", "a", "MIN"),
            ("ZMPOP", "x", "a", "MIN"), ("ZMPOP", "2", "a", "MIN"), ("ZMPOP", "1", "a", "MID"),
            ("ZMPOP", "1", "a", "MIN", "COUNT"), ("ZMPOP", "1", "a", "MIN", "COUNT", "0"),
            ("ZMPOP", "1", "a", "MIN", "COUNT", "-1"), ("ZMPOP", "1", "a", "MIN", "COUNT", "x"),
            ("ZMPOP", "1", "a", "MIN", "COUNT", "1", "COUNT", "1"), ("ZMPOP", "1", "a", "MIN", "foo"),
            ("ZMPOP", "2", "s", "a", "MIN"), ("ZMPOP", "2", "missing", "s", "MIN"), ("ZMPOP", "2", "a", "s", "MAX", "COUNT", "5"),
            ("ZMPOP", "9223372036854775807", "a", "MIN"), ("EXISTS", "a"),
        ):
            protocol_write(differ, *args)


def test_bzpop_immediate(differ):
    """The paths that answer at once (blocking itself: tests/integration/test_blocking_zsets.py)."""
    differ.check("SET", "s", "x")
    for protocol_write in (write, write3):
        write(differ, "DEL", "a", "b")
        write(differ, "ZADD", "a", *itertools.chain.from_iterable((str(i), f"x{i}") for i in range(10)))
        write(differ, "ZADD", "b", *itertools.chain.from_iterable((str(i * 10), f"p{i}") for i in range(10)))
        for args in (
            ("BZPOPMIN", "a", "0"), ("BZPOPMAX", "missing", "b", "0"), ("BZPOPMIN", "missing", "a", "b", "1.5"),
            ("BZPOPMIN", "a", "x"), ("BZPOPMIN", "a", "-1"), ("BZPOPMIN", "s", "0"), ("BZPOPMIN", "missing", "s", "a", "0"),
            ("BZPOPMIN", "a", "s", "0"), ("BZPOPMAX", "a", "nan"), ("BZPOPMAX", "a", "1x"),
            ("BZMPOP", "0", "1", "b", "MAX"), ("BZMPOP", "0", "2", "missing", "b", "MIN", "COUNT", "5"),
            ("BZMPOP", "x", "1", "a", "MIN"), ("BZMPOP", "-1", "1", "a", "MIN"), ("BZMPOP", "0", "0", "a", "MIN"),
            ("BZMPOP", "0", "1", "a", "MID"), ("BZMPOP", "x", "1", "a", "MID"), ("BZMPOP", "0", "1", "a", "MIN", "COUNT", "0"),
            ("BZMPOP", "0", "2", "s", "a", "MIN"), ("BZMPOP", "0", "3", "a", "MIN"), ("BZMPOP", "0", "2", "b", "a", "MAX", "COUNT", "100"),
            ("EXISTS", "a", "b"), ("BZPOPMIN", "a", "b", "0.01"), ("BZMPOP", "0.01", "2", "a", "b", "MIN"),
        ):
            protocol_write(differ, *args)


@pytest.mark.parametrize("timeout", ["inf", "-inf", "1e100", "1e16", "0x1p-8", " 1", "-0.0001", "1_0", "9223372036854775.807"])
def test_timeout_parsing(differ, timeout):
    write(differ, "ZADD", "a", "1", "x")
    write(differ, "BZPOPMIN", "a", timeout)


def test_blocking_pops_in_multi_answer_null(differ):
    for which in ("ours", "real"):
        with RawConnection(port_of(differ, which)) as conn:
            conn.call("MULTI")
            conn.call("BZPOPMIN", "missing", "0")
            conn.call("BZMPOP", "0", "1", "missing", "MIN")
            conn.call("ZADD", "z", "1", "a")
            conn.call("BZPOPMAX", "z", "0")
            result = conn.call("EXEC")
        if which == "ours":
            ours = result
        else:
            assert ours == result


# -- ZRANDMEMBER -------------------------------------------------------------------------------------


def test_zrandmember_errors_and_edges(differ):
    write(differ, "ZADD", "z", "1", "a", "2", "b", "3", "c")
    differ.check("SET", "s", "x")
    for args in (
        ("ZRANDMEMBER", "missing"), ("ZRANDMEMBER", "missing", "5"), ("ZRANDMEMBER", "missing", "-5", "WITHSCORES"),
        ("ZRANDMEMBER", "z", "0"), ("ZRANDMEMBER", "z", "0", "WITHSCORES"), ("ZRANDMEMBER", "z", "x"),
        ("ZRANDMEMBER", "z", "1.5"), ("ZRANDMEMBER", "z", "1", "foo"), ("ZRANDMEMBER", "z", "1", "withscores", "x"),
        ("ZRANDMEMBER", "z", "-9223372036854775808"), ("ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"),
        ("ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"), ("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"),
        ("ZRANDMEMBER", "z", "4611686018427387903", "WITHSCORES"), ("ZRANDMEMBER", "z", "3"), ("ZRANDMEMBER", "z", "10", "WITHSCORES"),
        ("ZRANDMEMBER", "s"), ("ZRANDMEMBER", "s", "1"), ("ZRANDMEMBER", "s", "x"), ("ZRANDMEMBER", "missing", "x"),
        ("ZRANDMEMBER", "missing", "1", "foo"),
    ):
        differ.check(*args)


def _pairs_of(reply: Reply, withscores: bool, protocol: int) -> list:
    items = reply.value
    if not withscores:
        return [(item.value, None) for item in items]
    if protocol == 3:
        return [(pair.value[0].value, pair.value[1]) for pair in items]
    return [(items[i].value, items[i + 1]) for i in range(0, len(items), 2)]


@pytest.mark.parametrize("encoding_,size", [("listpack", 1), ("listpack", 6), ("listpack", 100), ("skiplist", 300)])
@pytest.mark.parametrize("count", [1, 2, 5, 99, 299, 300, 1000, -1, -7, -500])
def test_zrandmember_shapes_and_members(differ, encoding_, size, count):
    pairs = [(str(i * 1.5), b"m%d" % i) for i in range(size)]
    write(differ, "ZADD", "z", *itertools.chain.from_iterable(pairs))
    assert encoding(differ, "z") == encoding_.encode()
    scores = {m: s for s, m in pairs}
    for withscores in (False, True):
        extra = ("WITHSCORES",) if withscores else ()
        for protocol in (2, 3):
            ours, real = differ.raw("ZRANDMEMBER", "z", str(count), *extra, protocol=protocol)
            assert ours.kind == real.kind and len(ours.value) == len(real.value), (ours, real)
            if withscores and protocol == 3:
                assert [item.kind for item in ours.value[:1]] == [item.kind for item in real.value[:1]]
            picked = _pairs_of(ours, withscores, protocol)
            real_picked = _pairs_of(real, withscores, protocol)
            assert {m for m, _ in picked} <= set(scores)
            for (m, s), (_, rs) in zip(picked, real_picked):
                if withscores:
                    assert s.kind == rs.kind
                    assert float(s.value) == float(scores[m])
            if count > 0:
                assert len({m for m, _ in picked}) == len(picked) == min(count, size)
            if count >= size:  # the whole set, highest score first: deterministic
                assert ours == real


def test_zrandmember_is_random(differ):
    client = differ.client("ours")
    client.zadd("z", {b"m%d" % i: i for i in range(3000)})
    seen = {client.zrandmember("z") for _ in range(300)}
    assert len(seen) > 250
    picked = client.zrandmember("z", 200)
    assert len(set(picked)) == 200
    numbers = sorted(int(m[1:]) for m in picked)
    assert numbers[-1] - numbers[0] > 2000


# -- ZUNION, ZINTER, ZDIFF ----------------------------------------------------------------------------------


@pytest.fixture
def operands(differ):
    write(differ, "ZADD", "z1", "1", "a", "2", "b", "3", "c", "inf", "i", "-inf", "n")
    write(differ, "ZADD", "z2", "10", "b", "20", "c", "30", "d", "-inf", "i", "inf", "n")
    write(differ, "ZADD", "z3", "0.1", "c", "0.2", "d", "0.30000000000000004", "e", "-0", "a")
    write(differ, "ZADD", "one", "5", "c")
    differ.check("SET", "str", "x")
    sadd = differ.raw("SADD", "set", "a", "c", "x")
    if sadd[0].kind == "-":  # sets not implemented here yet
        return False
    differ.check("SADD", "set", "a", "c", "x", resp3=False)
    differ.check("SADD", "iset", "1", "2", "3", resp3=False)
    write(differ, "ZADD", "nums", "1", "1", "7", "2")
    return True


KEY_LISTS = [("z1",), ("z1", "z2"), ("z2", "z1"), ("z1", "z2", "z3"), ("z3", "z2", "z1"), ("z1", "missing"),
             ("missing", "z1"), ("missing",), ("z1", "z1"), ("z1", "one"), ("one", "z1", "z2"), ("z1", "z2", "z1")]
SET_KEY_LISTS = [("set",), ("z1", "set"), ("set", "z1", "z2"), ("set", "set"), ("iset", "nums"), ("nums", "iset", "missing")]
WEIGHT_OPTIONS = [(), ("WEIGHTS", "2"), ("WEIGHTS", "0"), ("WEIGHTS", "-1"), ("WEIGHTS", "inf"), ("WEIGHTS", "-inf"),
                  ("WEIGHTS", "0.5"), ("WEIGHTS", "nan"), ("WEIGHTS", "x")]
AGGREGATES = [(), ("AGGREGATE", "SUM"), ("AGGREGATE", "min"), ("AGGREGATE", "MAX"), ("AGGREGATE", "avg")]


def _weights(option: tuple, n: int) -> tuple:
    if not option:
        return ()
    return ("WEIGHTS",) + tuple(option[1] if i == 0 else str(i + 1) for i in range(n))


@pytest.mark.parametrize("op", ["ZUNION", "ZINTER"])
def test_union_inter(differ, operands, op):
    lists = KEY_LISTS + (SET_KEY_LISTS if operands else [])
    for keys in lists:
        for weights in WEIGHT_OPTIONS:
            for aggregate in AGGREGATES:
                args = (op, str(len(keys)), *keys, *_weights(weights, len(keys)), *aggregate)
                differ.check(*args)
                differ.check(*args, "WITHSCORES")
                write(differ, op + "STORE", "dst", *args[1:])
                differ.check("ZRANGE", "dst", "0", "-1", "WITHSCORES")
                differ.check("OBJECT", "ENCODING", "dst")


def test_nan_products(differ, operands):
    """weight x score = NaN (0 x inf): 0 for the first operand and in unions; in an
    intersection the other operands' NaN is ignored by MIN/MAX and zeroes a SUM."""
    for op in ("ZINTER", "ZUNION"):
        for keys, weights in ((("z1", "z2"), ("1", "0")), (("z1", "z2"), ("0", "1")), (("z2", "z1"), ("0", "0")),
                              (("z1", "z2", "z3"), ("-1", "0", "inf")), (("z1", "z1"), ("inf", "0"))):
            for aggregate in ("SUM", "MIN", "MAX"):
                differ.check(op, str(len(keys)), *keys, "WEIGHTS", *weights, "AGGREGATE", aggregate, "WITHSCORES")


def test_diff(differ, operands):
    lists = KEY_LISTS + (SET_KEY_LISTS if operands else [])
    for keys in lists:
        differ.check("ZDIFF", str(len(keys)), *keys)
        differ.check("ZDIFF", str(len(keys)), *keys, "WITHSCORES")
        write(differ, "ZDIFFSTORE", "dst", str(len(keys)), *keys)
        differ.check("ZRANGE", "dst", "0", "-1", "WITHSCORES")
        differ.check("EXISTS", "dst")


def test_intercard(differ, operands):
    lists = KEY_LISTS + (SET_KEY_LISTS if operands else [])
    for keys in lists:
        for limit in ((), ("LIMIT", "0"), ("LIMIT", "1"), ("LIMIT", "2"), ("LIMIT", "100"), ("LIMIT", "-1"), ("LIMIT", "x")):
            differ.check("ZINTERCARD", str(len(keys)), *keys, *limit)


SETOP_ERRORS = [
    ("ZUNION", "0", "z1"), ("ZUNION", "-1", "z1"), ("ZUNION", "x", "z1"), ("ZUNION", "2", "z1"), ("ZUNION", "1", "str"),
    ("ZUNION", "2", "missing", "str"), ("ZUNION", "1", "str", "WEIGHTS", "x"), ("ZUNION", "1", "z1", "WEIGHTS"),
    ("ZUNION", "1", "z1", "WEIGHTS", "1", "2"), ("ZUNION", "1", "z1", "AGGREGATE"), ("ZUNION", "1", "z1", "LIMIT", "1"),
    ("ZUNION", "1", "z1", "WITHSCORES", "WITHSCORES"), ("ZUNION", "1", "z1", "AGGREGATE", "MIN", "AGGREGATE", "MAX"),
    ("ZUNION", "1", "z1", "WEIGHTS", "1", "WEIGHTS", "2"), ("ZUNIONSTORE", "d", "1", "z1", "WITHSCORES"),
    ("ZUNIONSTORE", "d", "0", "z1"), ("ZINTERSTORE", "d", "x", "z1"), ("ZINTER", "0", "z1"), ("ZDIFF", "0", "z1"),
    ("ZDIFFSTORE", "d", "0", "z1"), ("ZDIFF", "1", "z1", "WEIGHTS", "1"), ("ZDIFF", "1", "z1", "AGGREGATE", "SUM"),
    ("ZDIFFSTORE", "d", "1", "z1", "WITHSCORES"), ("ZINTERCARD", "0", "z1"), ("ZINTERCARD", "-1", "z1"),
    ("ZINTERCARD", "x", "z1"), ("ZINTERCARD", "2", "z1"), ("ZINTERCARD", "1", "z1", "WEIGHTS", "1"),
    ("ZINTERCARD", "1", "z1", "WITHSCORES"), ("ZINTERCARD", "1", "z1", "LIMIT"), ("ZINTERCARD", "1", "z1", "LIMIT", "1", "LIMIT", "2"),
    ("ZINTERCARD", "1", "str", "LIMIT", "x"), ("ZINTERCARD", "2", "z1", "str"), ("ZUNION", "1", "z1", "WEIGHTS", " 1"),
    ("ZUNION", "1", "z1", "WEIGHTS", "1e400"), ("ZUNION", "9223372036854775807", "z1"),
]


@pytest.mark.parametrize("args", SETOP_ERRORS)
def test_setop_errors(differ, operands, args):
    differ.check(*args)


def test_store_destination(differ, setting):
    write(differ, "ZADD", "a", "1", "x", "2", "y")
    write(differ, "ZADD", "b", "3", "y", "4", "z")
    differ.check("SET", "str", "v")
    write(differ, "EXPIRE", "str", "1000")
    write(differ, "ZUNIONSTORE", "str", "2", "a", "b")
    differ.check("TYPE", "str")
    differ.check("TTL", "str")
    write(differ, "ZINTERSTORE", "str", "1", "missing")
    differ.check("EXISTS", "str")
    write(differ, "ZUNIONSTORE", "a", "2", "a", "b")  # destination among the sources
    differ.check("ZRANGE", "a", "0", "-1", "WITHSCORES")
    setting("zset-max-listpack-entries", "2")
    write(differ, "ZUNIONSTORE", "u", "2", "a", "b")
    differ.check("OBJECT", "ENCODING", "u")
    write(differ, "ZINTERSTORE", "i", "2", "a", "b")
    differ.check("OBJECT", "ENCODING", "i")
    setting("zset-max-listpack-entries", "128")
    setting("zset-max-listpack-value", "1")
    write(differ, "ZADD", "long", "1", "xx")
    write(differ, "ZUNIONSTORE", "u", "2", "long", "a")
    differ.check("OBJECT", "ENCODING", "u")
    write(differ, "ZDIFFSTORE", "u", "2", "u", "long")
    differ.check("OBJECT", "ENCODING", "u")


# -- encodings ------------------------------------------------------------------------------------------------


def test_encoding_conversion(differ, setting):
    for i in range(128):
        write(differ, "ZADD", "z", str(i), f"m{i}")
    assert encoding(differ, "z") == b"listpack"
    write(differ, "ZADD", "z", "1000", "m1000")
    assert encoding(differ, "z") == b"skiplist"
    write(differ, "ZREMRANGEBYRANK", "z", "0", "-3")
    assert encoding(differ, "z") == b"skiplist"  # one-way
    write(differ, "ZADD", "v", "1", "x" * 64)
    assert encoding(differ, "v") == b"listpack"
    write(differ, "ZADD", "v", "1", "x" * 65)
    assert encoding(differ, "v") == b"skiplist"
    write(differ, "ZADD", "w", "1", "y" * 65, "2", "a")
    assert encoding(differ, "w") == b"skiplist"
    write(differ, "ZADD", "w2", "1", "a", "2", "y" * 65)
    assert encoding(differ, "w2") == b"skiplist"
    write(differ, "ZADD", "many", *itertools.chain.from_iterable((str(i), f"n{i}") for i in range(200)))
    assert encoding(differ, "many") == b"skiplist"
    write(differ, "COPY", "many", "copy")
    differ.check("OBJECT", "ENCODING", "copy")
    differ.check("ZRANGE", "copy", "0", "5", "WITHSCORES")
    write(differ, "ZADD", "v", "2", "x" * 64)
    write(differ, "ZINCRBY", "inc", "1", "x" * 65)
    differ.check("OBJECT", "ENCODING", "inc")
    setting("zset-max-listpack-entries", "0")
    write(differ, "ZADD", "zero", "1", "a")
    differ.check("OBJECT", "ENCODING", "zero")
    setting("zset-max-listpack-entries", "3")
    setting("zset-max-listpack-value", "2")
    write(differ, "ZADD", "small", "1", "a", "2", "b", "3", "c")
    differ.check("OBJECT", "ENCODING", "small")
    write(differ, "ZADD", "small", "XX", "4", "d")
    differ.check("OBJECT", "ENCODING", "small")
    write(differ, "ZADD", "small", "4", "d")
    differ.check("OBJECT", "ENCODING", "small")
    write(differ, "ZADD", "s2", "1", "abc")
    differ.check("OBJECT", "ENCODING", "s2")


def test_wrongtype(differ):
    write(differ, "ZADD", "z", "1", "a")
    differ.check("SET", "s", "x")
    differ.check("RPUSH", "l", "x")
    for args in (("GET", "z"), ("SADD", "z", "a"), ("HSET", "z", "f", "v"), ("APPEND", "z", "x"), ("TYPE", "z"),
                 ("ZUNIONSTORE", "d", "2", "z", "l"), ("ZCARD", "l")):
        differ.check(*args)


def test_binary_members(differ):
    members = [b"", b"\x00", b"\xff", b"a b", b"\r\n", b"-0", b"+1", b"1.0", b"\x00\x01", b"\xff\xfe"]
    write(differ, "ZADD", "b", *itertools.chain.from_iterable((b"0", m) for m in members))
    differ.check("ZRANGE", "b", "0", "-1")
    differ.check("ZMSCORE", "b", *members)
    differ.check("ZRANGEBYLEX", "b", "[\x00", "(\xff")
    differ.check("ZRANGEBYLEX", "b", "(", "[\xff")
    differ.check("ZSCAN", "b", "0", "MATCH", "*\x00*")
    for m in members:
        differ.check("ZRANK", "b", m)
    write(differ, "ZREM", "b", *members[:5])
    differ.check("ZRANGE", "b", "0", "-1", "WITHSCORES")


# -- ZSCAN ------------------------------------------------------------------------------------------------


def test_zscan_listpack_whole(differ):
    write(differ, "ZADD", "z", "5", "five", "3", "three", "1.5", "one", "10", "ten", "1e17", "big")
    differ.check("SET", "s", "x")
    for args in (
        ("ZSCAN", "z", "0"), ("ZSCAN", "z", "77"), ("ZSCAN", "z", "0", "COUNT", "1"), ("ZSCAN", "z", "0", "MATCH", "t*"),
        ("ZSCAN", "z", "0", "COUNT", "0"), ("ZSCAN", "z", "0", "COUNT", "x"), ("ZSCAN", "z", "0", "TYPE", "string"),
        ("ZSCAN", "z", "0", "foo", "bar"), ("ZSCAN", "z", "0", "MATCH"), ("ZSCAN", "missing", "0", "COUNT", "x"),
        ("ZSCAN", "missing", "x"), ("ZSCAN", "z", "-1"), ("ZSCAN", "z", "18446744073709551616"),
        ("ZSCAN", "z", "0", "MATCH", "[ot]*", "COUNT", "2"), ("ZSCAN", "s", "0"), ("ZSCAN", "s", "x"),
        ("ZSCAN", "s", "0", "COUNT", "0"), ("ZSCAN", "z", "0", "MATCH", "*"),
    ):
        differ.check(*args)


def _full_zscan(port: int, key: str, *options) -> list:
    found = []
    with RawConnection(port) as conn:
        cursor = b"0"
        for _ in range(100000):
            cursor, items = plain(conn.call("ZSCAN", key, cursor, *options))
            found.extend(items)
            if cursor == b"0":
                return found
    raise AssertionError("ZSCAN never finished")


@pytest.mark.parametrize("options", [(), ("COUNT", "3"), ("COUNT", "5000"), ("MATCH", "m1*"), ("MATCH", "*[05]", "COUNT", "50")])
def test_zscan_skiplist_full_iteration(differ, options):
    write(differ, "ZADD", "z", *itertools.chain.from_iterable((str(i / 7), b"m%d" % i) for i in range(1200)))
    results = []
    for which in ("ours", "real"):
        found = _full_zscan(port_of(differ, which), "z", *options)
        pairs = list(zip(found[::2], found[1::2]))
        assert len(pairs) == len({m for m, _ in pairs})
        results.append(sorted(pairs))
    assert results[0] == results[1]


def test_zscan_guarantee_under_churn(differ):
    conn = RawConnection(differ.ours_port)
    stable = [b"s%d" % i for i in range(900)]
    conn.call("ZADD", "z", *itertools.chain.from_iterable((b"1", m) for m in stable))
    rng = random.Random(5)
    cursor = b"0"
    found = set()
    churn = 0
    while True:
        cursor, items = plain(conn.call("ZSCAN", "z", cursor, "COUNT", "11"))
        found.update(items[::2])
        for _ in range(8):
            churn += 1
            conn.call("ZADD", "z", b"%d" % churn, b"c%d" % churn)
            conn.call("ZREM", "z", b"c%d" % rng.randint(1, churn))
            conn.call("ZINCRBY", "z", b"1", rng.choice(stable))  # score changes never hide a member
        if cursor == b"0":
            break
    conn.close()
    assert set(stable) <= found


# -- transactions and WATCH ---------------------------------------------------------------------------------


def test_watch_sees_zset_writes(differ):
    write(differ, "ZADD", "z", "1", "a", "2", "b")
    for command in (("ZADD", "z", "3", "c"), ("ZINCRBY", "z", "1", "a"), ("ZREM", "z", "a"), ("ZPOPMIN", "z"),
                    ("ZREMRANGEBYSCORE", "z", "-inf", "+inf"), ("ZUNIONSTORE", "z", "1", "z")):
        results = []
        for which in ("ours", "real"):
            port = port_of(differ, which)
            with RawConnection(port) as a, RawConnection(port) as b:
                a.call("DEL", "z")
                a.call("ZADD", "z", "1", "a", "2", "b")
                a.call("WATCH", "z")
                b.call(*command)
                a.call("MULTI")
                a.call("ZCARD", "z")
                results.append(a.call("EXEC"))
        assert results[0] == results[1], command
    # A write that changes nothing does not abort EXEC.
    for command in (("ZADD", "z", "NX", "1", "a"), ("ZREM", "z", "nope"), ("ZADD", "z", "1", "a"),
                    ("ZREMRANGEBYRANK", "z", "5", "9")):
        results = []
        for which in ("ours", "real"):
            port = port_of(differ, which)
            with RawConnection(port) as a, RawConnection(port) as b:
                a.call("DEL", "z")
                a.call("ZADD", "z", "1", "a", "2", "b")
                a.call("WATCH", "z")
                b.call(*command)
                a.call("MULTI")
                a.call("ZCARD", "z")
                results.append(a.call("EXEC"))
        assert results[0] == results[1], command


def test_dirty_counts(differ, setting):
    """One-pair ZADD: a new member or a new score counts one, the same score (0 and -0
    included, on both encodings) nothing."""
    from tests.differential.test_lists import compare_dirty

    cases = [("ZADD", "dz", "0", "m"), ("ZADD", "dz", "0", "m"), ("ZADD", "dz", "-0", "m"), ("ZADD", "dz", "0.0", "m"),
             ("ZADD", "dz", "7", "m"), ("ZADD", "dz", "7", "m"), ("ZADD", "dz", "007", "m"), ("ZADD", "dz", "7e0", "m"),
             ("ZADD", "dz", "-0", "n"), ("ZADD", "dz", "0", "n"), ("ZADD", "dz", "9" * 400, "m"),
             ("ZADD", "dz", "1" * 299, "m"), ("ZADD", "dz", "1" * 299, "m"), ("ZADD", "dz", "XX", "m"),
             ("ZADD", "dz", "12", "m", "13", "n"), ("SET", "ds", "x"), ("ZADD", "ds", "1", "m")]
    compare_dirty(differ, cases)
    differ.check("ZRANGE", "dz", "0", "-1", "WITHSCORES")
    differ.check("DEL", "dz")
    setting("zset-max-listpack-entries", "0")
    compare_dirty(differ, cases)
    differ.check("ZRANGE", "dz", "0", "-1", "WITHSCORES")
    differ.check("OBJECT", "ENCODING", "dz")
