"""List commands against real Redis 7.0: replies, error texts, encodings, dirty counts and the
immediate paths of the blocking commands, in RESP2 and RESP3.

``differ.check`` runs each command on both servers (RESP2, then RESP3 unless ``resp3=False``)
and asserts identical wire replies (``*-1`` vs ``$-1`` vs ``*0`` included), so state built by
earlier checks is the same on both sides. Writes that must run once pass ``resp3=False`` or
are followed by a reset of the key.
"""

from __future__ import annotations

import itertools
import random

import pytest
import redis

from tests.support.rawconn import ServerError

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def reset(differ, key: str, *elements) -> None:
    """DEL then RPUSH ``elements`` (in RESP2 only: runs once per server)."""
    differ.check("DEL", key, resp3=False)
    if elements:
        differ.check("RPUSH", key, *elements, resp3=False)


def contents(differ, key: str):
    return differ.check("LRANGE", key, 0, -1)


# -- declarations and arity ---------------------------------------------------------------------------


def test_getkeys(differ):
    differ.check("COMMAND", "GETKEYS", "BLPOP", "a", "b", "c", "0")
    differ.check("COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT")
    differ.check("COMMAND", "GETKEYS", "BLMPOP", "0", "3", "a", "b", "c", "RIGHT", "COUNT", "2")
    differ.check("COMMAND", "GETKEYS", "BLMOVE", "a", "b", "LEFT", "RIGHT", "0")
    differ.check("COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT")
    differ.check("COMMAND", "GETKEYSANDFLAGS", "BRPOP", "a", "b", "1")


ARITY_CASES = [
    ("LPUSH",), ("LPUSH", "l"), ("RPUSH", "l"), ("LPUSHX", "l"), ("RPUSHX", "l"), ("LPOP",),
    ("LPOP", "l", "1", "2"), ("RPOP", "l", "1", "x"), ("LLEN",), ("LLEN", "l", "x"), ("LINDEX", "l"),
    ("LINDEX", "l", "0", "1"), ("LSET", "l", "0"), ("LRANGE", "l", "0"), ("LTRIM", "l", "0"),
    ("LREM", "l", "0"), ("LINSERT", "l", "BEFORE", "p"), ("LPOS", "l"), ("LMOVE", "a", "b", "LEFT"),
    ("RPOPLPUSH", "a"), ("RPOPLPUSH", "a", "b", "c"), ("LMPOP", "1", "l"), ("BLPOP", "l"),
    ("BRPOP", "l"), ("BLMOVE", "a", "b", "LEFT", "LEFT"), ("BRPOPLPUSH", "a", "b"),
    ("BLMPOP", "0", "1", "l"),
]


@pytest.mark.parametrize("args", ARITY_CASES)
def test_wrong_arity(differ, args):
    differ.check(*args)


# -- push and pop ------------------------------------------------------------------------------------


def test_push_and_length(differ):
    differ.check("LPUSHX", "l", "a")
    differ.check("RPUSHX", "l", "a")
    differ.check("EXISTS", "l")
    differ.check("LPUSH", "l", "a", "b", "c", resp3=False)
    differ.check("RPUSH", "l", "d", "e", resp3=False)
    differ.check("LPUSHX", "l", "x", "y", resp3=False)
    differ.check("RPUSHX", "l", "z", resp3=False)
    differ.check("LLEN", "l")
    differ.check("LLEN", "missing")
    contents(differ, "l")
    differ.check("TYPE", "l")


def test_elements_kept_as_bytes(differ):
    odd = ["", "0", "-0", "007", "123", "-9223372036854775808", "9223372036854775808", "1.5",
           "\x00\xff binary\r\n", "x" * 100, "12345678901234567890"]
    differ.check("RPUSH", "l", *odd, resp3=False)
    contents(differ, "l")
    for value in odd:
        differ.check("LPOS", "l", value)
        differ.check("LREM", "l", "0", value, resp3=False)
    differ.check("EXISTS", "l")


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_shapes(differ, cmd):
    differ.check(cmd, "missing")
    differ.check(cmd, "missing", "0")
    differ.check(cmd, "missing", "1")
    differ.check(cmd, "missing", "-1")
    differ.check(cmd, "missing", "x")
    reset(differ, "l", "a", "b", "c", "d", "e")
    differ.check(cmd, "l", "0")
    differ.check(cmd, "l", "-1")
    differ.check(cmd, "l", "01")
    differ.check(cmd, "l", "9223372036854775808")
    differ.check(cmd, "l", resp3=False)
    differ.check(cmd, "l", "2")
    differ.check(cmd, "l", "9223372036854775807")
    differ.check("EXISTS", "l")
    differ.check(cmd, "l", "1")
    differ.check(cmd, "l")


def test_pop_one_then_deleted(differ):
    reset(differ, "l", "only")
    differ.check("LPOP", "l", resp3=False)
    differ.check("EXISTS", "l")
    reset(differ, "l", "a", "b")
    differ.check("RPOP", "l", "5", resp3=False)
    differ.check("EXISTS", "l")


# -- reading ---------------------------------------------------------------------------------------


INDEXES = ["0", "1", "2", "4", "5", "6", "-1", "-2", "-5", "-6", "-100", "100",
           "9223372036854775807", "-9223372036854775808", "x", "1.0", " 1", "+1"]


def test_lindex(differ):
    differ.check("LINDEX", "missing", "0")
    differ.check("LINDEX", "missing", "x")
    reset(differ, "l", "a", "b", "c", "d", "e")
    for index in INDEXES:
        differ.check("LINDEX", "l", index)


def test_lset(differ):
    differ.check("LSET", "missing", "0", "v")
    differ.check("LSET", "missing", "x", "v")
    reset(differ, "l", "a", "b", "c", "d", "e")
    for index in INDEXES:
        differ.check("LSET", "l", index, "v" + index)
        contents(differ, "l")


def test_lrange_sweep(differ):
    differ.check("LRANGE", "missing", "0", "-1")
    differ.check("LRANGE", "missing", "x", "-1")
    reset(differ, "l", *"abcdefg")
    points = ["0", "1", "3", "6", "7", "20", "-1", "-3", "-7", "-8", "-20", "9223372036854775807",
              "-9223372036854775808"]
    for start, end in itertools.product(points, repeat=2):
        differ.check("LRANGE", "l", start, end, resp3=False)
    differ.check("LRANGE", "l", "0", "x")
    differ.check("LRANGE", "l", "x", "0")


def test_lrange_big_list_from_both_ends(differ):
    elements = [str(i) for i in range(3000)]
    for chunk in range(0, 3000, 500):
        differ.check("RPUSH", "big", *elements[chunk:chunk + 500], resp3=False)
    for start, end in [(0, 10), (-10, -1), (2990, 2999), (1400, 1600), (-1600, -1400), (0, -1), (2999, 5000)]:
        differ.check("LRANGE", "big", start, end, resp3=False)
    for index in (0, 1, 1499, 1500, 2998, 2999, -1, -1500, -3000, -3001, 3000):
        differ.check("LINDEX", "big", index, resp3=False)


# -- in-place changes ------------------------------------------------------------------------------


def test_ltrim_sweep(differ):
    differ.check("LTRIM", "missing", "0", "1")
    differ.check("LTRIM", "missing", "x", "1")
    points = ["0", "1", "2", "4", "5", "10", "-1", "-2", "-5", "-6", "-10"]
    for start, end in itertools.product(points, repeat=2):
        reset(differ, "l", "a", "b", "c", "d", "e")
        differ.check("LTRIM", "l", start, end, resp3=False)
        contents(differ, "l")
        differ.check("EXISTS", "l")
    reset(differ, "l", "a")
    differ.check("LTRIM", "l", "x", "0")
    differ.check("LTRIM", "l", "0", "x")


def test_ltrim_big(differ):
    elements = [str(i % 17) for i in range(2000)]
    differ.check("RPUSH", "big", *elements, resp3=False)
    differ.check("LTRIM", "big", "100", "-100", resp3=False)
    differ.check("LLEN", "big")
    differ.check("LTRIM", "big", "1700", "1750", resp3=False)
    contents(differ, "big")
    differ.check("LTRIM", "big", "1", "-2", resp3=False)
    contents(differ, "big")


@pytest.mark.parametrize("count", ["0", "1", "2", "-1", "-2", "3", "-3", "100", "-100",
                                   "9223372036854775807", "-9223372036854775808"])
def test_lrem(differ, count):
    differ.check("LREM", "missing", count, "a")
    reset(differ, "l", "a", "b", "a", "c", "a", "b", "a")
    differ.check("LREM", "l", count, "a", resp3=False)
    contents(differ, "l")
    differ.check("LREM", "l", count, "zz", resp3=False)
    differ.check("LREM", "l", count, "b", resp3=False)
    contents(differ, "l")
    differ.check("EXISTS", "l")


def test_lrem_errors_and_emptying(differ):
    differ.check("LREM", "missing", "x", "a")
    reset(differ, "l", "a", "a")
    differ.check("LREM", "l", "x", "a")
    differ.check("LREM", "l", "1.5", "a")
    differ.check("LREM", "l", "0", "a", resp3=False)
    differ.check("EXISTS", "l")


def test_linsert(differ):
    differ.check("LINSERT", "missing", "BEFORE", "a", "x")
    differ.check("LINSERT", "missing", "MIDDLE", "a", "x")
    reset(differ, "l", "a", "b", "a", "c")
    differ.check("LINSERT", "l", "before", "a", "x", resp3=False)
    differ.check("LINSERT", "l", "AFTER", "a", "y", resp3=False)
    differ.check("LINSERT", "l", "After", "c", "z", resp3=False)
    differ.check("LINSERT", "l", "BEFORE", "nope", "z")
    differ.check("LINSERT", "l", "middle", "a", "z")
    differ.check("LINSERT", "l", "BEFORE", "", "z")
    contents(differ, "l")


LPOS_OPTIONS = [
    (), ("RANK", "1"), ("RANK", "2"), ("RANK", "3"), ("RANK", "5"), ("RANK", "-1"), ("RANK", "-2"),
    ("RANK", "-4"), ("RANK", "0"), ("RANK", "x"), ("RANK",), ("COUNT", "0"), ("COUNT", "1"),
    ("COUNT", "2"), ("COUNT", "10"), ("COUNT", "-1"), ("COUNT", "x"), ("MAXLEN", "0"),
    ("MAXLEN", "1"), ("MAXLEN", "3"), ("MAXLEN", "-1"), ("MAXLEN", "x"), ("RANK", "2", "COUNT", "2"),
    ("RANK", "-2", "COUNT", "0"), ("RANK", "-1", "COUNT", "2", "MAXLEN", "4"), ("COUNT", "0", "MAXLEN", "5"),
    ("RANK", "9223372036854775807"), ("RANK", "-9223372036854775807"), ("RANK", "-9223372036854775808"),
    ("RANK", "-9223372036854775808", "COUNT", "1"), ("RANK", "-9223372036854775808", "MAXLEN", "3"),
    ("RANK", "2", "RANK", "1"), ("COUNT", "1", "COUNT", "0"), ("FOO", "1"), ("count", "0", "rank", "-1"),
    ("RANK", "1", "COUNT"),
]


@pytest.mark.parametrize("options", LPOS_OPTIONS)
def test_lpos(differ, options):
    differ.check("LPOS", "missing", "a", *options)
    reset(differ, "l", "a", "b", "a", "c", "a", "b", "a", "d")
    for element in ("a", "b", "d", "zz"):
        differ.check("LPOS", "l", element, *options)


# -- moving ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("src_end,dst_end", list(itertools.product(["LEFT", "RIGHT", "left", "Right"], repeat=2)))
def test_lmove_directions(differ, src_end, dst_end):
    reset(differ, "src", "a", "b", "c")
    reset(differ, "dst", "x", "y")
    differ.check("LMOVE", "src", "dst", src_end, dst_end, resp3=False)
    contents(differ, "src")
    contents(differ, "dst")
    differ.check("LMOVE", "src", "src", src_end, dst_end, resp3=False)
    contents(differ, "src")


def test_lmove_edges(differ):
    differ.check("LMOVE", "missing", "dst", "LEFT", "RIGHT")
    differ.check("LMOVE", "missing", "dst", "UP", "RIGHT")
    differ.check("LMOVE", "missing", "dst", "LEFT", "DOWN")
    differ.check("EXISTS", "dst")
    reset(differ, "src", "only")
    differ.check("LMOVE", "src", "src", "LEFT", "RIGHT", resp3=False)
    contents(differ, "src")
    differ.check("LMOVE", "src", "new", "LEFT", "RIGHT", resp3=False)
    differ.check("EXISTS", "src")
    contents(differ, "new")
    differ.check("SET", "str", "v")
    differ.check("LMOVE", "new", "str", "LEFT", "LEFT")
    contents(differ, "new")  # nothing was popped
    differ.check("LMOVE", "str", "new", "LEFT", "LEFT")
    differ.check("RPOPLPUSH", "missing", "dst")
    differ.check("RPOPLPUSH", "new", "str")
    reset(differ, "a", "1", "2", "3")
    differ.check("RPOPLPUSH", "a", "b", resp3=False)
    differ.check("RPOPLPUSH", "a", "a", resp3=False)
    contents(differ, "a")
    contents(differ, "b")


def test_lmpop(differ):
    differ.check("LMPOP", "2", "m1", "m2", "LEFT")
    differ.check("LMPOP", "2", "m1", "m2", "LEFT", "COUNT", "3")
    for bad in (["0", "a", "LEFT"], ["-1", "a", "LEFT"], ["x", "a", "LEFT"], ["3", "a", "LEFT"],
                ["1", "a", "UP"], ["1", "a", "LEFT", "COUNT"], ["1", "a", "LEFT", "COUNT", "0"],
                ["1", "a", "LEFT", "COUNT", "-1"], ["1", "a", "LEFT", "COUNT", "x"],
                ["1", "a", "LEFT", "COUNT", "1", "COUNT", "1"], ["1", "a", "LEFT", "FOO"],
                ["2", "a", "LEFT", "RIGHT"], ["1", "a", "LEFT", "count", "9223372036854775808"]):
        differ.check("LMPOP", *bad)
    reset(differ, "m2", "a", "b", "c", "d")
    differ.check("LMPOP", "2", "m1", "m2", "LEFT", resp3=False)
    differ.check("LMPOP", "2", "m1", "m2", "RIGHT", "COUNT", "2", resp3=False)
    differ.check("LMPOP", "3", "m1", "m2", "m2", "right", "count", "9223372036854775807", resp3=False)
    differ.check("EXISTS", "m2")
    differ.check("SET", "m1", "str")
    reset(differ, "m2", "a")
    differ.check("LMPOP", "2", "m1", "m2", "LEFT")
    differ.check("LMPOP", "2", "m2", "m1", "LEFT", resp3=False)
    differ.check("LMPOP", "2", "m2", "m1", "LEFT")


# -- blocking commands, immediate paths ------------------------------------------------------------


def test_blocking_serve_at_once(differ):
    reset(differ, "b1", "a", "b", "c")
    reset(differ, "b2", "x", "y")
    differ.check("BLPOP", "none", "b1", "b2", "0", resp3=False)
    differ.check("BRPOP", "none", "b2", "b1", "0.5", resp3=False)
    differ.check("BRPOPLPUSH", "b1", "d", "0", resp3=False)
    differ.check("BLMOVE", "b1", "d", "LEFT", "RIGHT", "1", resp3=False)
    differ.check("EXISTS", "b1")
    differ.check("BLMPOP", "0", "3", "none", "b1", "b2", "LEFT", resp3=False)
    differ.check("BLMPOP", "0", "2", "b2", "d", "RIGHT", "COUNT", "5", resp3=False)
    differ.check("EXISTS", "b2")
    contents(differ, "d")


def test_blocking_wrongtype_first(differ):
    differ.check("SET", "s", "v")
    reset(differ, "l", "a")
    differ.check("BLPOP", "s", "l", "0")
    differ.check("BLPOP", "none", "s", "l", "0")
    differ.check("BRPOP", "l", "s", "0", resp3=False)
    reset(differ, "l", "a")
    differ.check("BLMOVE", "s", "l", "LEFT", "LEFT", "0")
    differ.check("BLMOVE", "l", "s", "LEFT", "LEFT", "0")
    differ.check("BRPOPLPUSH", "l", "s", "0")
    differ.check("BLMPOP", "0", "2", "s", "l", "LEFT")
    contents(differ, "l")


def test_blocking_timeouts_expire(differ):
    """A short real timeout: both servers answer the same null shape (null array for all)."""
    differ.check("BLPOP", "none", "0.01")
    differ.check("BRPOP", "none", "n2", "0.01")
    differ.check("BLMOVE", "none", "d", "LEFT", "LEFT", "0.01")
    differ.check("BRPOPLPUSH", "none", "d", "0.01")
    differ.check("BLMPOP", "0.01", "1", "none", "LEFT")
    differ.check("EXISTS", "d")


BLOCKING_IN_MULTI = [
    ("BLPOP", "none", "0"), ("BRPOP", "none", "n2", "0"), ("BLMOVE", "none", "d", "LEFT", "LEFT", "0"),
    ("BRPOPLPUSH", "none", "d", "0"), ("BLMPOP", "0", "2", "none", "n2", "RIGHT", "COUNT", "2"),
]


@pytest.mark.parametrize("cmd", BLOCKING_IN_MULTI)
def test_blocking_inside_multi_answers_at_once(differ, cmd):
    differ.check("MULTI")
    differ.check(*cmd)
    differ.check("EXEC")


def test_blocking_inside_multi_serves_when_it_can(differ):
    differ.check("MULTI")
    differ.check("RPUSH", "q", "a", "b")
    differ.check("BLPOP", "q", "0")
    differ.check("BLMOVE", "q", "d", "RIGHT", "LEFT", "0")
    differ.check("BLMPOP", "0", "1", "q", "LEFT")
    differ.check("EXEC")


TIMEOUTS = [
    "0", "1", "0.5", ".5", "+1", "1e3", "0x10", "0x1p3", "-0", "-0.0001", "-0.001", "-0.0009", "-1",
    "-0.5", "inf", "-inf", "infinity", "nan", "1e300", "1e16", "1e15", "9223372036854775",
    "9223372036854775808", "1e-400", "1e4000", "", " 1", "1 ", "1_0", "1.0e", "x", "0.00001",
]


@pytest.mark.parametrize("timeout", TIMEOUTS)
def test_timeout_parsing(differ, timeout):
    """Inside MULTI nothing blocks, so every timeout can be tried: errors or the null reply."""
    differ.check("MULTI")
    differ.check("BLPOP", "none", timeout)
    differ.check("BLMOVE", "none", "d", "LEFT", "LEFT", timeout)
    differ.check("BRPOPLPUSH", "none", "d", timeout)
    differ.check("BLMPOP", timeout, "1", "none", "LEFT")
    differ.check("EXEC")


def test_blocking_argument_order(differ):
    """Which error comes first when several arguments are bad."""
    differ.check("BLMOVE", "a", "b", "UP", "LEFT", "x")
    differ.check("BLMOVE", "a", "b", "LEFT", "UP", "x")
    differ.check("BLMPOP", "x", "0", "a", "LEFT")
    differ.check("BLMPOP", "x", "1", "a", "UP")
    differ.check("BLMPOP", "x", "1", "a", "LEFT", "COUNT", "0")
    differ.check("BLMPOP", "-1", "1", "a", "LEFT")
    differ.check("SET", "s", "v")
    differ.check("BLPOP", "s", "x")
    differ.check("BLPOP", "s", "-1")


# -- types, encodings, WATCH, dirty ------------------------------------------------------------------


LIST_READS_AND_WRITES = [
    ("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"), ("RPUSHX", "s", "a"), ("LPOP", "s"),
    ("RPOP", "s", "2"), ("LPOP", "s", "0"), ("LLEN", "s"), ("LINDEX", "s", "0"), ("LINDEX", "s", "x"),
    ("LSET", "s", "0", "v"), ("LSET", "s", "x", "v"), ("LRANGE", "s", "0", "-1"), ("LTRIM", "s", "0", "1"),
    ("LREM", "s", "0", "a"), ("LINSERT", "s", "BEFORE", "a", "b"), ("LPOS", "s", "a"),
    ("LPOS", "s", "a", "COUNT", "0"), ("LMOVE", "s", "d", "LEFT", "LEFT"), ("RPOPLPUSH", "s", "d"),
    ("LMPOP", "1", "s", "LEFT"),
]


@pytest.mark.parametrize("cmd", LIST_READS_AND_WRITES)
def test_wrongtype(differ, cmd):
    differ.check("SET", "s", "string")
    differ.check(*cmd)
    differ.check("HSET", "h", "f", "v")
    differ.check(*[("h" if a == "s" else a) for a in cmd])


def test_encoding_is_quicklist(differ, setting):
    differ.check("RPUSH", "small", "a", resp3=False)
    differ.check("OBJECT", "ENCODING", "small")
    differ.check("RPUSH", "long", "x" * 10000, resp3=False)
    differ.check("OBJECT", "ENCODING", "long")
    differ.check("RPUSH", "many", *[str(i) for i in range(1000)], resp3=False)
    differ.check("OBJECT", "ENCODING", "many")
    differ.check("LTRIM", "many", "0", "0", resp3=False)
    differ.check("OBJECT", "ENCODING", "many")
    setting("list-max-listpack-size", "2")
    differ.check("RPUSH", "tiny", "a", resp3=False)
    differ.check("OBJECT", "ENCODING", "tiny")
    differ.check("RPUSH", "tiny", "b", "c", resp3=False)
    differ.check("OBJECT", "ENCODING", "tiny")
    differ.check("DEBUG", "OBJECT", "missing")


def test_copy_is_independent(differ):
    reset(differ, "l", "a", "b", "c")
    differ.check("COPY", "l", "c")
    differ.check("RPUSH", "c", "d", resp3=False)
    contents(differ, "l")
    contents(differ, "c")
    differ.check("OBJECT", "ENCODING", "c")
    differ.check("TYPE", "c")
    differ.check("RENAME", "c", "r")
    contents(differ, "r")


def test_expired_list_is_gone(differ):
    reset(differ, "l", "a", "b")
    differ.check("PEXPIRE", "l", "1", resp3=False)
    import time

    time.sleep(0.01)
    differ.check("LLEN", "l")
    differ.check("LPUSHX", "l", "x")
    differ.check("LPOP", "l", "1")
    differ.check("RPUSH", "l", "n", resp3=False)
    differ.check("TTL", "l")


def _watch_then(a, b, write):
    a.execute_command("WATCH", "w")
    write(b)
    a.execute_command("MULTI")
    a.execute_command("PING")
    return a.execute_command("EXEC")


WATCH_WRITES = [
    ("LPUSH", "w", "x"), ("RPUSHX", "w", "x"), ("LPOP", "w"), ("RPOP", "w", "5"), ("LSET", "w", "0", "z"),
    ("LTRIM", "w", "0", "-1"), ("LTRIM", "w", "5", "10"), ("LREM", "w", "0", "zz"), ("LREM", "w", "0", "a"),
    ("LINSERT", "w", "BEFORE", "zz", "q"), ("LINSERT", "w", "BEFORE", "a", "q"), ("LMOVE", "w", "o", "LEFT", "LEFT"),
    ("LMOVE", "o", "w", "LEFT", "LEFT"), ("LMPOP", "1", "w", "LEFT"), ("BLPOP", "w", "0"),
    ("LRANGE", "w", "0", "-1"), ("LPOS", "w", "a"), ("LLEN", "w"), ("LINDEX", "w", "0"), ("LPUSHX", "nokey", "x"),
]


@pytest.mark.parametrize("write", WATCH_WRITES)
def test_watch(differ, write):
    def run(a, b):
        b.execute_command("DEL", "w", "o")
        b.execute_command("RPUSH", "w", "a", "b")
        b.execute_command("RPUSH", "o", "c")
        return _watch_then(a, b, lambda c: c.execute_command(*write))

    differ.fresh(run)


DIRTY_CASES = [
    ("LPUSH", "d", "1", "2", "3"), ("RPUSH", "d", "4"), ("LPUSHX", "nokey", "1"), ("RPUSHX", "d", "5", "6"),
    ("LPOP", "d"), ("RPOP", "d", "2"), ("LPOP", "d", "0"), ("LSET", "d", "0", "x"), ("LSET", "d", "100", "x"),
    ("LINSERT", "d", "AFTER", "x", "y"), ("LINSERT", "d", "AFTER", "zz", "y"), ("LREM", "d", "0", "x"),
    ("LREM", "d", "0", "zz"), ("LTRIM", "d", "0", "-1"), ("LTRIM", "d", "1", "-1"), ("LTRIM", "nokey", "0", "1"),
    ("RPUSH", "d", "a", "b", "c", "d"), ("LMOVE", "d", "e", "LEFT", "RIGHT"), ("RPOPLPUSH", "d", "d"),
    ("LMPOP", "2", "nokey", "d", "LEFT", "COUNT", "2"), ("BLPOP", "d", "0"), ("BLMPOP", "0", "1", "e", "LEFT"),
    ("RPUSH", "d", "a", "b", "c"), ("LTRIM", "d", "5", "10"), ("LRANGE", "d", "0", "-1"),
]


def _changes(client) -> int:
    return int(client.info("persistence")["rdb_changes_since_last_save"])


def compare_dirty(differ, cases) -> None:
    """Run ``cases`` on both servers: rdb_changes_since_last_save must move as much as
    Redis's server.dirty, command by command (the hash, set and zset tests use it too)."""

    def run(a, b):
        deltas = []
        for cmd in cases:
            before = _changes(a)
            try:
                a.execute_command(*cmd)
            except redis.ResponseError:
                pass
            deltas.append((cmd, _changes(a) - before))
        return deltas

    differ.fresh(run)


def test_dirty_counts(differ):
    compare_dirty(differ, DIRTY_CASES)


def test_random_ops_against_real(differ):
    """A seeded random walk over one list, every reply compared (RESP2 only: writes run once)."""
    rng = random.Random(7)
    values = ["a", "b", "c", "1", "", "zz"]
    for _ in range(400):
        op = rng.choice(["LPUSH", "RPUSH", "LPOP", "RPOP", "LREM", "LINSERT", "LSET", "LTRIM", "LRANGE", "LPOS",
                         "LINDEX", "LMOVE"])
        idx = str(rng.randint(-8, 8))
        val = rng.choice(values)
        if op in ("LPUSH", "RPUSH"):
            cmd = (op, "r", *rng.choices(values, k=rng.randint(1, 4)))
        elif op in ("LPOP", "RPOP"):
            cmd = (op, "r") if rng.random() < 0.5 else (op, "r", str(rng.randint(0, 3)))
        elif op == "LREM":
            cmd = (op, "r", str(rng.randint(-2, 2)), val)
        elif op == "LINSERT":
            cmd = (op, "r", rng.choice(["BEFORE", "AFTER"]), val, rng.choice(values))
        elif op == "LSET":
            cmd = (op, "r", idx, val)
        elif op == "LTRIM":
            cmd = (op, "r", idx, str(rng.randint(-8, 8) + 8))
        elif op == "LRANGE":
            cmd = (op, "r", idx, str(rng.randint(-8, 8)))
        elif op == "LPOS":
            cmd = (op, "r", val, "RANK", rng.choice(["1", "-1", "2", "-2"]), "COUNT", str(rng.randint(0, 2)))
        elif op == "LINDEX":
            cmd = (op, "r", idx)
        else:
            cmd = (op, "r", rng.choice(["r", "r2"]), rng.choice(["LEFT", "RIGHT"]), rng.choice(["LEFT", "RIGHT"]))
        differ.check(*cmd, resp3=False)
    contents(differ, "r")
    contents(differ, "r2")


def test_error_reply_is_error(differ):
    reply = differ.check("LSET", "missing", "0", "v")
    assert isinstance(reply, ServerError) and str(reply) == "ERR no such key"


# -- blocking with two connections ----------------------------------------------------------------
#
# Each scenario runs on ours and on real Redis with fresh connections, and the sequences of
# replies must be equal. A scenario waits for its blocked connection with wait_blocked():
# the connection's CLIENT LIST line shows the blocking command once the server has run it
# (both servers set cmd= at lookup), then one more round trip on the writer lets the node
# finish parking the client, which it does in a task of its own.


def _scenario(differ, fn):
    from tests.support.rawconn import RawConnection
    from tests.support.wait import wait_for

    results = {}
    for which, port in (("ours", differ.ours_port), ("real", differ.real_port)):
        conns = [RawConnection(port, timeout=5.0) for _ in range(3)]
        writer = conns[-1]
        writer.call("FLUSHALL")

        def wait_blocked(conn, name: str) -> None:
            cid = conn.client_id
            wait_for(lambda: f"cmd={name}".encode() in writer.call("CLIENT", "LIST", "ID", cid).value,
                     message=f"{name} blocked")
            writer.call("PING")

        try:
            for conn in conns[:-1]:
                conn.client_id = conn.call("CLIENT", "ID").value
            results[which] = fn(conns[0], conns[1], writer, wait_blocked)
        finally:
            for conn in conns:
                conn.close()
    assert results["ours"] == results["real"], f"ours: {results['ours']!r}\nreal: {results['real']!r}"
    return results["real"]


def test_two_clients_woken_by_push(differ):
    def run(blocked, _other, writer, wait_blocked):
        blocked.send("BLPOP", "k1", "q", "0")
        wait_blocked(blocked, "blpop")
        pushed = writer.call("RPUSH", "q", "a", "b")
        return [pushed, blocked.read_reply(), writer.call("LRANGE", "q", "0", "-1")]

    _scenario(differ, run)


def test_two_clients_first_blocked_first_served(differ):
    def run(first, second, writer, wait_blocked):
        first.send("BRPOP", "q", "0")
        wait_blocked(first, "brpop")
        second.send("BLPOP", "x", "q", "0")
        wait_blocked(second, "blpop")
        pushed = writer.call("RPUSH", "q", "1", "2", "3")
        return [pushed, first.read_reply(), second.read_reply(), writer.call("LRANGE", "q", "0", "-1")]

    _scenario(differ, run)


def test_two_clients_string_does_not_wake(differ):
    """A key set to a string does not wake (nor error) the blocked client; a later push does."""

    def run(blocked, other, writer, wait_blocked):
        blocked.send("BLPOP", "a", "b", "0")
        wait_blocked(blocked, "blpop")
        other.send("BLMOVE", "a", "d", "LEFT", "LEFT", "0")
        wait_blocked(other, "blmove")
        out = [writer.call("SET", "a", "str"), writer.call("RPUSH", "b", "v"), blocked.read_reply()]
        out += [writer.call("DEL", "a"), writer.call("RPUSH", "a", "w"), other.read_reply()]
        return out + [writer.call("LRANGE", "d", "0", "-1")]

    _scenario(differ, run)


def test_two_clients_blmove_destination_wrongtype(differ):
    def run(blocked, _other, writer, wait_blocked):
        blocked.send("BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
        wait_blocked(blocked, "blmove")
        out = [writer.call("SET", "dst", "str"), writer.call("RPUSH", "src", "x"), blocked.read_reply()]
        return out + [writer.call("LRANGE", "src", "0", "-1")]

    _scenario(differ, run)


def test_two_clients_push_in_multi(differ):
    def run(blocked, second, writer, wait_blocked):
        blocked.send("BLMPOP", "0", "1", "q", "RIGHT", "COUNT", "2")
        wait_blocked(blocked, "blmpop")
        second.send("BRPOPLPUSH", "q", "d", "0")
        wait_blocked(second, "brpoplpush")
        out = [writer.call("MULTI"), writer.call("RPUSH", "q", "a"), writer.call("RPUSH", "q", "b", "c"),
               writer.call("LLEN", "q"), writer.call("EXEC")]
        out += [blocked.read_reply(), second.read_reply()]
        return out + [writer.call("EXISTS", "q"), writer.call("LRANGE", "d", "0", "-1")]

    _scenario(differ, run)


def test_two_clients_timeout_then_push(differ):
    def run(blocked, _other, writer, wait_blocked):
        out = [blocked.call("BLMOVE", "none", "d", "LEFT", "LEFT", "0.05")]
        blocked.send("BLPOP", "q", "0.05")
        out.append(blocked.read_reply())
        return out + [writer.call("RPUSH", "q", "late"), writer.call("LLEN", "q")]

    _scenario(differ, run)


STATS_CASES = [
    ("LPUSH", "k", "a"), ("LPUSHX", "k", "b"), ("LPOP", "k"), ("LPOP", "nokey"), ("RPOP", "nokey", "2"),
    ("LLEN", "k"), ("LLEN", "nokey"), ("LINDEX", "k", "0"), ("LINDEX", "nokey", "0"), ("LRANGE", "k", "0", "-1"),
    ("LRANGE", "nokey", "0", "-1"), ("LPOS", "k", "a"), ("LPOS", "nokey", "a"), ("LSET", "nokey", "0", "v"),
    ("LMOVE", "k", "d", "LEFT", "LEFT"), ("LMOVE", "nokey", "d", "LEFT", "LEFT"), ("LMPOP", "2", "nokey", "d", "LEFT"),
    ("RPUSH", "d", "z"), ("BLPOP", "nokey", "d", "0"), ("LREM", "nokey", "0", "a"), ("LINSERT", "nokey", "BEFORE", "a", "b"),
    ("LTRIM", "nokey", "0", "1"),
]


def test_keyspace_hits_and_misses(differ):
    """Reads count keyspace hits/misses, writes do not (lookupKeyRead vs lookupKeyWrite)."""

    def stats(client):
        info = client.info("stats")
        return info["keyspace_hits"], info["keyspace_misses"]

    def run(a, _b):
        out = []
        for cmd in STATS_CASES:
            before = stats(a)
            try:
                a.execute_command(*cmd)
            except redis.ResponseError:
                pass
            after = stats(a)
            out.append((cmd, after[0] - before[0], after[1] - before[1]))
        return out

    differ.fresh(run)
