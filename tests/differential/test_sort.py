"""SORT and SORT_RO against real Redis 7.0: every option, the error paths and their order,
STORE, the ordering of ties (glibc's stable qsort, and Redis's own pqsort when BY comes with a
partial LIMIT), in RESP2 and RESP3.

Lists are compared exactly. Hashtable sets and sorted sets are read in hash order before
sorting, so only replies that do not depend on that order are compared exactly (the rest
unordered).
"""

from __future__ import annotations

import random
import time

import pytest

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SCORES = "ERR One or more scores can't be converted into double"


def _fill(differ):
    differ.check("RPUSH", "l", "3", "1", "2", "10", "-5", "1.5", "2")
    for x in ("3", "1", "2", "10", "-5", "1.5"):
        differ.check("SET", f"w_{x}", str(-float(x)))
        differ.check("HSET", f"h_{x}", "f", f"v{x}", "n", str(len(x)))


# -- the command table -------------------------------------------------------------------------------------


GETKEYS = [
    ("SORT", "a"), ("SORT", "a", "STORE", "b"), ("SORT", "a", "STORE", "b", "STORE", "c"),
    ("SORT", "a", "BY", "store", "GET", "store", "STORE", "x"), ("SORT", "a", "LIMIT", "store", "store", "store", "z"),
    ("SORT", "a", "STORE"), ("SORT", "a", "store", "STORE", "x"), ("SORT", "a", "ALPHA", "DESC", "store", "d"),
    ("SORT_RO", "a"), ("SORT_RO", "a", "STORE", "b"), ("SORT_RO", "a", "BY", "x", "GET", "y"),
]


@pytest.mark.parametrize("args", GETKEYS)
def test_getkeys(differ, args):
    differ.check("COMMAND", "GETKEYS", *args)


def test_getkeysandflags_of_the_sorted_key(differ):
    differ.check("COMMAND", "GETKEYSANDFLAGS", "SORT", "a", "BY", "w_*")
    differ.check("COMMAND", "GETKEYSANDFLAGS", "SORT_RO", "a", "GET", "#")


@pytest.mark.parametrize("args", [("SORT",), ("SORT_RO",)])
def test_wrong_arity(differ, args):
    differ.check(*args)


# -- numeric sorting -----------------------------------------------------------------------------------------


def test_numeric_asc_desc(differ):
    _fill(differ)
    for args in (("SORT", "l"), ("SORT", "l", "ASC"), ("SORT", "l", "DESC"), ("SORT", "l", "desc", "asc"),
                 ("SORT_RO", "l"), ("SORT_RO", "l", "DESC"), ("SORT", "missing"), ("SORT_RO", "missing", "DESC")):
        differ.check(*args)


def test_numeric_ties_break_by_element_bytes(differ):
    differ.check("RPUSH", "l", "1.0", "1", "01", "1e0", "0x1", " 1", "2", "-0", "0", "0.0", "", "infinity", "-inf")
    differ.check("SORT", "l")
    differ.check("SORT", "l", "DESC")


@pytest.mark.parametrize("value", [
    "x", "1x", "1 ", " ", "-", "nan", "-nan", "nan(1)", "1e309", "-1e309", "1e-310", "4.9e-324", "1e-400",
    "0x", "1,5", "0x1.8p-1074",
])
def test_numeric_conversion_errors(differ, value):
    differ.check("RPUSH", "l", "1", value)
    differ.check("SORT", "l")
    differ.check("SORT", "l", "STORE", "dst")
    differ.check("EXISTS", "dst")
    differ.check("SORT", "l", "BY", "nosort")  # nothing is converted without sorting


@pytest.mark.parametrize("value", [
    "", " 5", "\t-3", "+2", "0x10", "0X1P3", "1e308", "0x1p-1074", "2.2250738585072014e-308", "inf",
    "-Infinity", ".5", "5.", "7\x00junk", "1\x00x", "-0", "\x00x",
])
def test_numeric_accepted_forms(differ, value):
    differ.check("RPUSH", "l", "3", value, "-1")
    differ.check("SORT", "l")
    differ.check("SORT", "l", "DESC")


@pytest.mark.parametrize("seed", range(3))
def test_numeric_random_forms(differ, seed):
    """C strtod's grammar, by random strings. Redis reads ``errno`` without clearing it, so
    after an ERANGE its next SORTs fail until something resets errno: a ZADD (string2d sets
    errno to 0) puts the real server back in the clean state Trireme always has."""
    rnd = random.Random(seed)
    alphabet = "0123456789.eE+-xXpP infatyINFATY\t"
    for _ in range(150):
        value = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 8)))
        differ.check("DEL", "l")
        differ.check("RPUSH", "l", "5", value)
        differ.check("ZADD", "errno-reset", "1.5", "x")
        differ.check("SORT", "l", resp3=False)


# -- LIMIT -----------------------------------------------------------------------------------------------


LIMITS = [("0", "3"), ("2", "2"), ("-5", "2"), ("0", "0"), ("0", "-1"), ("3", "-7"), ("6", "10"), ("7", "1"),
          ("100", "1"), ("1", "100"), ("2", "9223372036854775807"), ("-9223372036854775808", "1")]


@pytest.mark.parametrize("limit", LIMITS)
def test_limit(differ, limit):
    _fill(differ)
    for extra in ((), ("DESC",), ("ALPHA",), ("BY", "nosort"), ("BY", "nosort", "DESC"), ("BY", "w_*"),
                  ("BY", "h_*->f", "ALPHA"), ("GET", "#", "GET", "w_*")):
        differ.check("SORT", "l", "LIMIT", *limit, *extra)
    differ.check("SORT", "missing", "LIMIT", *limit)


def test_limit_errors(differ):
    _fill(differ)
    for args in (("LIMIT", "x", "1"), ("LIMIT", "1", "x"), ("LIMIT", "1.0", "1"), ("LIMIT", "9223372036854775808", "1"),
                 ("LIMIT", "1"), ("LIMIT",), ("LIMIT", "0", "1", "LIMIT", "x")):
        differ.check("SORT", "l", *args)
        differ.check("SORT_RO", "l", *args)


def test_the_last_limit_wins(differ):
    _fill(differ)
    differ.check("SORT", "l", "LIMIT", "0", "1", "LIMIT", "2", "3")


# -- ALPHA ------------------------------------------------------------------------------------------------


def test_alpha_byte_order(differ):
    members = [b"b", b"a", b"B", b"", b"ab", b"a b", b"\xff", b"\xc3\xa9", b"\xe0x", b"10", b"9", b"a\x00c", b"a\x00b",
               b"a\x00", b"a"]
    differ.check("RPUSH", "l", *members)
    for extra in ((), ("DESC",), ("LIMIT", "2", "5"), ("LIMIT", "1", "3", "DESC")):
        differ.check("SORT", "l", "ALPHA", *extra)
        differ.check("SORT", "l", "ALPHA", *extra, "STORE", "dst")  # STORE compares binary strings
        differ.check("LRANGE", "dst", "0", "-1")


# -- BY -----------------------------------------------------------------------------------------------------


def test_by_string_keys(differ):
    _fill(differ)
    for extra in ((), ("DESC",), ("LIMIT", "1", "3"), ("LIMIT", "1", "3", "DESC"), ("ALPHA",), ("ALPHA", "DESC")):
        differ.check("SORT", "l", "BY", "w_*", *extra)
        differ.check("SORT_RO", "l", "BY", "w_*", *extra)


def test_by_hash_fields(differ):
    _fill(differ)
    for by in ("h_*->f", "h_*->n", "h_*->missing", "h_*->", "h_*-", "w_*->f", "h_*->f->g"):
        for extra in ((), ("ALPHA",), ("ALPHA", "DESC"), ("DESC",), ("ALPHA", "LIMIT", "1", "2")):
            differ.check("SORT", "l", "BY", by, *extra)


def test_by_missing_keys_sort_as_zero_or_first(differ):
    differ.check("RPUSH", "l", "c", "a", "b", "d", "e")
    differ.check("SET", "w_b", "5")
    differ.check("SET", "w_d", "-1")
    differ.check("SORT", "l", "BY", "w_*")
    differ.check("SORT", "l", "BY", "w_*", "DESC")
    differ.check("SORT", "l", "BY", "w_*", "ALPHA")
    differ.check("SORT", "l", "BY", "w_*", "ALPHA", "DESC")
    differ.check("SORT", "l", "BY", "w_*", "ALPHA", "STORE", "dst")
    differ.check("LRANGE", "dst", "0", "-1")


def test_by_wrong_type_is_missing(differ):
    differ.check("RPUSH", "l", "a", "b", "c")
    differ.check("SET", "w_a", "2")
    differ.check("RPUSH", "w_b", "1")
    differ.check("HSET", "w_c", "f", "1")
    differ.check("SORT", "l", "BY", "w_*")
    differ.check("SORT", "l", "BY", "w_*->f")


def test_by_values_that_are_not_numbers(differ):
    differ.check("RPUSH", "l", "a", "b")
    differ.check("SET", "w_a", "x")
    differ.check("SORT", "l", "BY", "w_*")
    differ.check("SORT", "l", "BY", "w_*", "ALPHA")
    differ.check("HSET", "h_b", "f", "1e999")
    differ.check("SORT", "l", "BY", "h_*->f")


def test_by_nosort_keeps_the_native_order(differ):
    _fill(differ)
    for by in ("nosort", "x", "#", "w_\x00*"):
        for extra in ((), ("DESC",), ("ALPHA",), ("LIMIT", "2", "3"), ("LIMIT", "2", "3", "DESC"), ("GET", "w_*")):
            differ.check("SORT", "l", "BY", by, *extra)


def test_dont_sort_sticks_across_by_options(differ):
    _fill(differ)
    differ.check("SORT", "l", "BY", "nosort", "BY", "w_*")
    differ.check("SORT", "l", "BY", "w_*", "BY", "nosort")


def test_patterns_substitution(differ):
    differ.check("RPUSH", "l", "x", "y")
    differ.check("SET", "pre_x_post", "1")
    differ.check("SET", "pre_y_post", "0")
    differ.check("HSET", "pre_x_post", "a->b", "v")
    differ.check("SET", "*x", "star")
    differ.check("HSET", "hx", "f\x00g", "nul")
    for args in (("BY", "pre_*_post"), ("GET", "pre_*_post"), ("GET", "*x"), ("GET", "**"), ("GET", "h*->f\x00g"),
                 ("GET", "#\x00junk"), ("GET", "##"), ("GET", "no-star"), ("GET", "h*->"), ("GET", "pre_*_post->")):
        differ.check("SORT", "l", "ALPHA", *args)


# -- ties: glibc's stable qsort, and pqsort with BY and a partial LIMIT -------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_alpha_by_ties_follow_redis(differ, seed):
    rnd = random.Random(seed)
    n = rnd.choice([8, 20, 41, 60, 120])
    elems = [str(i) for i in range(n)]
    rnd.shuffle(elems)
    differ.check("RPUSH", "l", *elems)
    for e in elems:
        if rnd.random() < 0.7:
            differ.check("SET", f"w_{e}", rnd.choice(["a", "b", "c"]))
    for _ in range(8):
        start = rnd.randint(0, n)
        count = rnd.randint(0, 12)
        order = rnd.choice(["ASC", "DESC"])
        differ.check("SORT", "l", "BY", "w_*", "ALPHA", order, "LIMIT", start, count)
        differ.check("SORT", "l", "BY", "w_*", "ALPHA", order, "LIMIT", start, count, "STORE", "dst")
        differ.check("LRANGE", "dst", "0", "-1")
    differ.check("SORT", "l", "BY", "w_*", "ALPHA")
    differ.check("SORT", "l", "BY", "w_*", "ALPHA", "DESC")


# -- GET -----------------------------------------------------------------------------------------------------


def test_get(differ):
    _fill(differ)
    differ.check("SORT", "l", "GET", "#")
    differ.check("SORT", "l", "GET", "#", "GET", "w_*", "GET", "h_*->f", "GET", "nope_*", "GET", "nostar")
    differ.check("SORT", "l", "BY", "w_*", "GET", "h_*->f", "DESC", "LIMIT", "1", "2")
    differ.check("SORT", "missing", "GET", "#")
    differ.check("SORT_RO", "l", "GET", "w_*", "GET", "#")


def test_get_store(differ):
    _fill(differ)
    differ.check("SORT", "l", "GET", "#", "GET", "nope_*", "GET", "h_*->f", "STORE", "dst")
    differ.check("LRANGE", "dst", "0", "-1")
    differ.check("SORT", "l", "GET", "nope_*", "STORE", "dst")  # missing values stored as ""
    differ.check("LRANGE", "dst", "0", "-1")


# -- STORE ---------------------------------------------------------------------------------------------------


def test_store_replaces_and_drops_the_ttl(differ):
    _fill(differ)
    differ.check("SET", "dst", "string")
    differ.check("EXPIRE", "dst", "100")
    differ.check("SORT", "l", "STORE", "dst", resp3=False)
    differ.check("TYPE", "dst")
    differ.check("TTL", "dst")
    differ.check("LRANGE", "dst", "0", "-1")
    differ.check("OBJECT", "ENCODING", "dst")
    differ.check("SORT", "l", "DESC", "LIMIT", "0", "2", "STORE", "dst")
    differ.check("LRANGE", "dst", "0", "-1")


def test_store_into_the_sorted_key(differ):
    _fill(differ)
    differ.check("SORT", "l", "DESC", "STORE", "l")
    differ.check("LRANGE", "l", "0", "-1")


def test_store_empty_deletes(differ):
    differ.check("SADD", "dst", "x")
    differ.check("SORT", "missing", "STORE", "dst", resp3=False)
    differ.check("EXISTS", "dst")
    differ.check("SORT", "missing", "STORE", "dst")
    differ.check("RPUSH", "l", "1")
    differ.check("SET", "dst", "v")
    differ.check("SORT", "l", "LIMIT", "5", "1", "STORE", "dst", resp3=False)
    differ.check("EXISTS", "dst")


def test_store_last_wins_and_store_in_sort_ro_is_a_syntax_error(differ):
    _fill(differ)
    differ.check("SORT", "l", "STORE", "a", "STORE", "b")
    differ.check("EXISTS", "a", "b")
    differ.check("SORT_RO", "l", "STORE", "c")
    differ.check("SORT_RO", "l", "STORE")
    differ.check("EXISTS", "c")


def test_store_keeps_the_dirty_count(differ):
    _fill(differ)
    differ.check("SORT", "l", "STORE", "dst", resp3=False)
    differ.check("SORT", "l", "GET", "#", "GET", "w_*", "STORE", "dst2", resp3=False)
    differ.check("LLEN", "dst2")


# -- sets and sorted sets ------------------------------------------------------------------------------------


def test_intset(differ):
    differ.check("SADD", "s", "5", "-3", "9", "12", "0")
    for extra in ((), ("DESC",), ("ALPHA",), ("BY", "nosort"), ("BY", "nosort", "LIMIT", "1", "2"),
                  ("BY", "nosort", "DESC"), ("LIMIT", "1", "3")):
        differ.check("SORT", "s", *extra)


def test_hashtable_set(differ):
    differ.check("SADD", "s", "b", "a", "c", "10", "B", "")
    differ.check("SORT", "s", "ALPHA")
    differ.check("SORT", "s", "ALPHA", "DESC", "LIMIT", "1", "3")
    differ.check("SORT", "s")  # a conversion error whatever the order
    differ.check("SORT", "s", "BY", "nosort", unordered=True)
    # BY nosort with STORE sorts ALPHA, so the stored list is deterministic
    differ.check("SORT", "s", "BY", "nosort", "STORE", "dst")
    differ.check("LRANGE", "dst", "0", "-1")
    differ.check("SORT", "s", "BY", "nosort", "DESC", "LIMIT", "1", "2", "STORE", "dst")
    differ.check("LRANGE", "dst", "0", "-1")
    differ.check("SORT", "s", "BY", "nosort", "GET", "#", "STORE", "dst")
    differ.check("LRANGE", "dst", "0", "-1")


def test_set_by_pattern(differ):
    differ.check("SADD", "s", "x", "y", "z")
    for m, w in (("x", "3"), ("y", "1"), ("z", "2")):
        differ.check("SET", f"w_{m}", w)
    differ.check("SORT", "s", "BY", "w_*")
    differ.check("SORT", "s", "BY", "w_*", "DESC", "GET", "w_*", "GET", "#")
    differ.check("SORT", "s", "BY", "w_*", "LIMIT", "1", "1")


@pytest.mark.parametrize("big", [False, True])
def test_sorted_set(differ, setting, big):
    if big:
        setting("zset-max-listpack-entries", "1")
    differ.check("ZADD", "z", "3", "a", "1", "b", "2", "c", "2", "bb", "-1", "10")
    differ.check("OBJECT", "ENCODING", "z")
    for extra in (("BY", "nosort"), ("BY", "nosort", "DESC"), ("BY", "nosort", "LIMIT", "1", "2"),
                  ("BY", "nosort", "LIMIT", "1", "2", "DESC"), ("BY", "nosort", "LIMIT", "4", "9", "DESC"),
                  ("BY", "nosort", "LIMIT", "9", "1"), ("ALPHA",), ("ALPHA", "DESC", "LIMIT", "1", "2"),
                  ("BY", "nosort", "GET", "#", "GET", "w_*"), ("BY", "nosort", "STORE", "dst")):
        differ.check("SORT", "z", *extra)
    differ.check("LRANGE", "dst", "0", "-1")
    differ.check("SORT", "z")  # "a" is not a number
    differ.check("OBJECT", "ENCODING", "z")  # SORT converted it to a skiplist


def test_numeric_sorted_set(differ):
    differ.check("ZADD", "z", "3", "10", "1", "2", "2", "-7")
    differ.check("SORT", "z")
    differ.check("SORT", "z", "DESC", "LIMIT", "0", "2")


# -- errors and their order ----------------------------------------------------------------------------------


def test_wrongtype(differ):
    differ.check("SET", "str", "1")
    differ.check("HSET", "h", "f", "1")
    for key in ("str", "h"):
        differ.check("SORT", key)
        differ.check("SORT_RO", key, "BY", "w_*")
        differ.check("SORT", key, "STORE", "dst")
    differ.check("SORT", "str", "LIMIT", "x", "1")  # options are parsed first
    differ.check("SORT", "str", "BADOPT")


@pytest.mark.parametrize("args", [
    ("BADOPT",), ("BY",), ("GET",), ("STORE",), ("ASC", "x"), ("ALPHA", "BY"), ("DESC", "LIMIT", "1"),
    ("GET", "#", "GET"), ("ALPHA\x00x",), ("alpha", "Desc", "aSC"),
])
def test_syntax_errors(differ, args):
    _fill(differ)
    differ.check("SORT", "l", *args)
    differ.check("SORT_RO", "l", *args)


def test_expired_sort_key_is_missing(differ):
    differ.check("RPUSH", "l", "2", "1")
    differ.check("PEXPIRE", "l", "1")
    time.sleep(0.01)
    differ.check("SORT", "l")
    differ.check("SORT", "l", "STORE", "dst")


def test_inside_multi(differ):
    _fill(differ)
    ours, real = differ.raw("MULTI")
    assert ours == real
    for args in (("SORT", "l", "LIMIT", "0", "2"), ("SORT", "l", "STORE", "dst"), ("SORT", "l", "BADOPT")):
        ours, real = differ.raw(*args)
        assert ours == real
    ours, real = differ.raw("EXEC")
    assert ours == real
