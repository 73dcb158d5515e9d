"""zsets.py on a bare keyspace: the ZSet structure against brute-force references (ranks,
score and lex ranges on both encodings), score parsing against the C library's strtod,
the listpack/skiplist rules, and each handler's effect on data, WATCH and the dirty
counter, in RESP2 and RESP3 reply shapes."""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node import errors
from node.blocking import Block
from node.commands import zsets as Z
from node.commands.keys import copy_value, object_encoding, type_name
from node.errors import CommandError
from node.replies import NULL_ARRAY, encode
from tests.support.handlers import FakeClient, error_of, run, watcher_of


@pytest.fixture
def client3(server):
    return FakeClient(server, proto=3)


# -- the C library's strtod, for reference -------------------------------------------------------------

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.strtod.restype = ctypes.c_double
_libc.strtod.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
ERANGE = 34


def c_string2d(raw: bytes) -> float | None:
    """Redis 7.0's string2d, calling glibc's strtod."""
    if not raw or raw[:1].isspace() or raw[:1] in (b"\v", b"\f"):
        return None
    buf = ctypes.create_string_buffer(raw)
    end = ctypes.c_char_p()
    ctypes.set_errno(0)
    value = _libc.strtod(buf, ctypes.byref(end))
    err = ctypes.get_errno()
    consumed = ctypes.cast(end, ctypes.c_void_p).value - ctypes.addressof(buf)
    if consumed != len(raw) or math.isnan(value):
        return None
    if err == ERANGE and (math.isinf(value) or value == 0):
        return None
    return value


def c_range_item(raw: bytes) -> tuple[float, bool] | None:
    """zslParseRange's reading of one bound, calling glibc's strtod."""
    text = raw.split(b"\0", 1)[0]
    ex = text[:1] == b"("
    if ex:
        text = text[1:]
    buf = ctypes.create_string_buffer(text)
    end = ctypes.c_char_p()
    value = _libc.strtod(buf, ctypes.byref(end))
    consumed = ctypes.cast(end, ctypes.c_void_p).value - ctypes.addressof(buf)
    if consumed != len(text) or math.isnan(value):
        return None
    return value, ex


NUMBER_TEXTS = [
    b"0", b"-0", b"1", b"1.5", b" 1", b"1 ", b"", b"inf", b"-inf", b"+inf", b"INFINITY", b"infinit", b"nan", b"NAN(12)",
    b"1e400", b"-1e400", b"1e-400", b"1e-310", b"4.9e-324", b"2e-324", b"0x10", b"0X1P3", b"-0x1.8p1", b"0x", b"0x1p",
    b"0x.8", b"0x8.", b"1_0", b"+5", b".5", b"5.", b".", b"e5", b"1e", b"1e+", b"1E+05", b"00012", b"1\x00", b"\x001",
    b"abc", b"1.7976931348623157e308", b"1.7976931348623159e308", b"0x1p1024", b"0x1p-1080", b"0x0p-99999",
    b"123456789012345678901234567890", b"0.30000000000000004", b"-", b"+", b"(", b"(1", b"((1", b"\t\n1", b"1,5",
    b"0e-999", b"0.000e99999", b"1.e5", b"-.5e-3", b"\v1", b"\f1", b"\r1",
]


@pytest.mark.parametrize("raw", NUMBER_TEXTS)
def test_parse_score_is_string2d(raw):
    expected = c_string2d(raw)
    if expected is None:
        with pytest.raises(CommandError) as info:
            Z.parse_score(raw)
        assert info.value.message == errors.NOT_FLOAT
    else:
        got = Z.parse_score(raw)
        assert got == expected and math.copysign(1, got) == math.copysign(1, expected)


@pytest.mark.parametrize("raw", NUMBER_TEXTS)
def test_parse_range_item_is_zslparserange(raw):
    expected = c_range_item(raw)
    if expected is None:
        with pytest.raises(ValueError):
            Z.parse_range_item(raw)
    else:
        assert Z.parse_range_item(raw) == expected


NUMBERISH = st.text(alphabet="0123456789.eE+-xXpPaAfFinINtyT_( \x00", max_size=12).map(lambda s: s.encode())


@settings(max_examples=3000, deadline=None)
@given(raw=NUMBERISH)
def test_parse_score_matches_strtod_on_random_texts(raw):
    expected = c_string2d(raw)
    try:
        got = Z.parse_score(raw)
    except CommandError:
        got = None
    assert got == expected or (got is not None and expected is not None and math.isnan(got) and math.isnan(expected))


@settings(max_examples=3000, deadline=None)
@given(raw=NUMBERISH)
def test_parse_range_item_matches_strtod_on_random_texts(raw):
    expected = c_range_item(raw)
    try:
        got = Z.parse_range_item(raw)
    except ValueError:
        got = None
    assert got == expected


@settings(max_examples=500, deadline=None)
@given(value=st.floats(allow_nan=False))
def test_repr_of_any_double_parses_back(value):
    assert Z.parse_score(repr(value).encode()) == value
    assert Z.parse_score(b"%.17g" % value) == value


# -- the structure against brute force -------------------------------------------------------------------

MEMBERS = st.binary(max_size=4)
SCORES = st.sampled_from([-math.inf, -2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 1.0, 2.0, math.inf])


def build(pairs, skiplist: bool) -> Z.ZSet:
    z = Z.ZSet(skiplist=skiplist)
    for score, member in pairs:
        cur = z.score(member)
        if cur is None:
            z.insert(member, score, 10**9 if not skiplist else 0, 10**9)
        elif cur != score:
            z.update(member, score)
    return z


def model(pairs, skiplist: bool, removals=()) -> dict:
    """What build() must hold: Redis's zsetAdd rules (an equal score is no update; a
    listpack keeps -0 as 0)."""
    scores: dict = {}
    for score, member in pairs:
        if not skiplist and score == 0:
            score = 0.0
        if member not in scores or scores[member] != score:
            scores[member] = score
    for member in removals:
        scores.pop(member, None)
    return scores


def same(a: list, b: list) -> bool:
    """Pair lists equal, the sign of zero included."""
    return len(a) == len(b) and all(
        sa == sb and ma == mb and math.copysign(1, sa) == math.copysign(1, sb) for (sa, ma), (sb, mb) in zip(a, b))


@settings(max_examples=2000, deadline=None)
@given(a=st.floats(allow_nan=False), b=st.floats(allow_nan=False), m=st.binary(max_size=3), n=st.binary(max_size=3))
def test_sort_keys_sort_like_score_then_member(a, b, m, n):
    assert (Z.sort_key(a, m) < Z.sort_key(b, n)) == ((a, m) < (b, n))
    assert Z.key_score(Z.sort_key(a, m)) == a and (a != 0 or math.copysign(1, Z.key_score(Z.sort_key(a, m))) == 1)


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(SCORES, MEMBERS), max_size=40), skiplist=st.booleans(),
       removals=st.lists(MEMBERS, max_size=10))
def test_order_rank_and_removal(pairs, skiplist, removals):
    z = build(pairs, skiplist)
    for member in removals:
        z.remove(member)
    want = sorted((s, m) for m, s in model(pairs, skiplist, removals).items())
    assert same(z.all_pairs(), want)
    for rank, (score, member) in enumerate(want):
        assert z.rank(member) == rank
        assert z.score(member) == score and math.copysign(1, z.score(member)) == math.copysign(1, score)
    assert z.skiplist == skiplist
    assert (z.negzero is not None) == any(s == 0 and math.copysign(1, s) < 0 for s, _ in want)


BOUNDS = st.tuples(SCORES, st.booleans())


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(SCORES, MEMBERS), max_size=30), skiplist=st.booleans(), lo=BOUNDS, hi=BOUNDS)
def test_score_bounds(pairs, skiplist, lo, hi):
    z = build(pairs, skiplist)
    (mn, minex), (mx, maxex) = lo, hi
    lo_i, hi_i = z.score_bounds((mn, minex, mx, maxex))
    got = z.pairs(lo_i, hi_i)
    want = [(s, m) for s, m in z.all_pairs() if (s > mn if minex else s >= mn) and (s < mx if maxex else s <= mx)]
    assert same(got, want)


LEX_ITEMS = st.one_of(st.sampled_from([b"-", b"+"]), st.tuples(st.sampled_from([b"[", b"("]), MEMBERS).map(b"".join))


@settings(max_examples=300, deadline=None)
@given(members=st.lists(MEMBERS, max_size=30), skiplist=st.booleans(), lo=LEX_ITEMS, hi=LEX_ITEMS,
       reverse=st.booleans())
def test_lex_bounds_on_equal_scores(members, skiplist, lo, hi, reverse):
    z = build([(0.0, m) for m in members], skiplist)
    rng = Z.parse_lex_range(lo, hi)
    lo_i, hi_i = z.lex_bounds(rng, reverse)
    got = z.pairs(lo_i, hi_i)
    want = [(s, m) for s, m in z.all_pairs() if Z._gte_min(m, rng) and Z._lte_max(m, rng)]
    assert got == want


def linear_first_in_lex_range(order, rng):
    """zzlFirstInLexRange + the forward walk of a listpack, step by step."""
    if not order or Z._lex_empty(rng):
        return []
    if not Z._gte_min(order[-1][1], rng) or not Z._lte_max(order[0][1], rng):
        return []
    out = []
    started = False
    for s, m in order:
        if not started:
            if not Z._gte_min(m, rng):
                continue
            if not Z._lte_max(m, rng):
                return []
            started = True
        if not Z._lte_max(m, rng):
            break
        out.append((s, m))
    return out


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(SCORES, MEMBERS), max_size=20), lo=LEX_ITEMS, hi=LEX_ITEMS)
def test_listpack_lex_walk_on_mixed_scores(pairs, lo, hi):
    z = build(pairs, skiplist=False)
    rng = Z.parse_lex_range(lo, hi)
    lo_i, hi_i = z.lex_bounds(rng)
    assert z.pairs(lo_i, hi_i) == linear_first_in_lex_range(z.all_pairs(), rng)


def test_listpack_normalises_negative_zero():
    lp = build([(-0.0, b"a")], skiplist=False)
    sk = build([(-0.0, b"a")], skiplist=True)
    assert math.copysign(1, lp.score(b"a")) == 1
    assert math.copysign(1, sk.score(b"a")) == -1 and sk.negzero == {b"a"}
    sk.update(b"a", 1.0)
    assert sk.negzero is None
    sk.update(b"a", -0.0)
    sk.insert(b"b", -0.0, 0, 0)
    assert sk.all_pairs() == [(0.0, b"a"), (0.0, b"b")] and all(math.copysign(1, s) < 0 for s, _ in sk.all_pairs())
    assert [math.copysign(1, s) for s, _ in sk.copy().all_pairs()] == [-1, -1]
    assert sk.delete_slice(0, 1) == [(-0.0, b"a")] and sk.negzero == {b"b"}
    sk.remove(b"b")
    assert sk.negzero is None and len(sk) == 0
    assert Z._lp_score_text(1e17) == b"100000000000000000"
    assert Z._lp_score_text(2.0**62) == b"4611686018427387904"
    assert Z._lp_score_text(2.0**62 + 1024) == b"4.6116860184273889e+18"
    assert Z._lp_score_text(-(2.0**62)) == b"-4611686018427387904"
    assert Z._lp_score_text(1.5) == b"1.5"
    assert Z._lp_score_text(math.inf) == b"inf"


def test_type_encoding_copy(client):
    run(client, "ZADD", "z", "1", "a", "2", "b")
    z = client.db.peek(b"z")
    assert type_name(z) == b"zset" and object_encoding(z) == b"listpack"
    c = copy_value(z)
    assert c is not z and c.all_pairs() == z.all_pairs() and c.scores == z.scores
    c.remove(b"a")
    assert b"a" in z.scores
    z.convert()
    assert object_encoding(z) == b"skiplist" and object_encoding(copy_value(z)) == b"skiplist"
    assert dict(z.items()) == {b"a": 1.0, b"b": 2.0}


# -- O(log n): big sets stay fast ----------------------------------------------------------------------------


def test_rank_and_range_operations_are_logarithmic(client):
    n = 200_000
    z = Z.ZSet.from_pairs([(float(i), b"m%07d" % i) for i in range(n)], listpack=False)
    client.db.set(b"big", z)
    ops = [
        ("ZRANK", "big", "m0123456"), ("ZREVRANK", "big", "m0000001"), ("ZRANGE", "big", "100000", "100005"),
        ("ZRANGEBYSCORE", "big", "(150000", "+inf", "LIMIT", "0", "3"), ("ZCOUNT", "big", "1000", "(190000"),
        ("ZREVRANGEBYSCORE", "big", "+inf", "-inf", "LIMIT", "5", "2"), ("ZSCORE", "big", "m0199999"),
        ("ZADD", "big", "12.5", "new"), ("ZREM", "big", "new"), ("ZINCRBY", "big", "1", "m0000000"),
        ("ZRANDMEMBER", "big", "-5"), ("ZRANGE", "big", "[m0100000", "(m0100003", "BYLEX"),
    ]
    start = time.perf_counter()
    for _ in range(50):
        for op in ops:
            run(client, *op)
    per_op = (time.perf_counter() - start) / (50 * len(ops))
    assert per_op < 0.002, f"{per_op * 1e6:.0f} us per operation on {n} members"
    assert run(client, "ZCOUNT", "big", "1000", "(190000") == 189000
    assert run(client, "ZRANGE", "big", "100000", "100001", "WITHSCORES") == [b"m0100000", b"100000", b"m0100001", b"100001"]


# -- handlers -----------------------------------------------------------------------------------------


def test_zadd_creates_and_signals(client, server):
    other = watcher_of(client, b"z")
    dirty = server.clock.dirty
    assert run(client, "ZADD", "z", "1", "a") == 1
    assert other.watch_dirty and server.clock.dirty > dirty
    other.watch_dirty = False
    dirty = server.clock.dirty
    assert run(client, "ZADD", "z", "NX", "5", "a") == 0
    assert run(client, "ZADD", "z", "1", "a") == 0
    assert run(client, "ZADD", "z", "XX", "1", "nope") == 0
    assert not other.watch_dirty and server.clock.dirty == dirty  # nothing changed: no signal
    assert run(client, "ZADD", "z", "XX", "CH", "2", "a") == 1
    assert other.watch_dirty


def test_zadd_incr_and_nan(client, client3):
    assert run(client, "ZADD", "z", "INCR", "1.5", "a") == 1.5
    assert run(client, "ZINCRBY", "z", "inf", "a") == math.inf
    assert error_of(client, "ZINCRBY", "z", "-inf", "a") == errors.ZSET_NAN
    assert run(client, "ZSCORE", "z", "a") == math.inf
    assert run(client, "ZADD", "z", "NX", "INCR", "1", "a") is None
    assert encode(run(client, "ZSCORE", "z", "a"), 2) == b"$3\r\ninf\r\n"
    assert encode(run(client3, "ZSCORE", "z", "a"), 3) == b",inf\r\n"
    run(client, "ZADD", "z", "1.1", "b")
    assert encode(run(client, "ZSCORE", "z", "b"), 2) == b"$18\r\n1.1000000000000001\r\n"


def test_zadd_option_errors(client):
    assert error_of(client, "ZADD", "z", "NX", "XX", "1", "a") == errors.ZADD_NX_XX
    assert error_of(client, "ZADD", "z", "GT", "LT", "1", "a") == errors.ZADD_GT_LT_NX
    assert error_of(client, "ZADD", "z", "INCR", "1", "a", "2", "b") == errors.ZADD_INCR_PAIR
    assert error_of(client, "ZADD", "z", "1", "a", "2") == errors.SYNTAX
    assert error_of(client, "ZADD", "z", "1", "a", "x", "b") == errors.NOT_FLOAT
    assert client.db.peek(b"z") is None


def test_encoding_limits(client, server):
    server.config.zset_max_listpack_entries = 3
    server.config.zset_max_listpack_value = 4
    run(client, "ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert client.db.peek(b"z").encoding() == b"listpack"
    run(client, "ZADD", "z", "4", "d")
    assert client.db.peek(b"z").encoding() == b"skiplist"
    run(client, "ZREMRANGEBYRANK", "z", "0", "-2")
    assert client.db.peek(b"z").encoding() == b"skiplist"
    run(client, "ZADD", "long", "1", "abcde")
    assert client.db.peek(b"long").encoding() == b"skiplist"
    run(client, "ZUNIONSTORE", "u", "1", "z")
    assert client.db.peek(b"u").encoding() == b"listpack"
    server.config.zset_max_listpack_entries = 0
    run(client, "ZADD", "zero", "1", "a")
    assert client.db.peek(b"zero").encoding() == b"skiplist"


def test_removing_the_last_member_deletes_the_key(client):
    for command in (("ZREM", "z", "a", "b"), ("ZPOPMIN", "z", "5"), ("ZREMRANGEBYSCORE", "z", "-inf", "+inf"),
                    ("ZREMRANGEBYRANK", "z", "0", "-1"), ("ZREMRANGEBYLEX", "z", "-", "+"), ("ZMPOP", "1", "z", "MAX", "COUNT", "9")):
        run(client, "ZADD", "z", "0", "a", "0", "b")
        run(client, *command)
        assert client.db.peek(b"z") is None, command


def test_store_of_nothing_deletes_the_destination(client):
    for command in (("ZUNIONSTORE", "d", "1", "missing"), ("ZINTERSTORE", "d", "2", "z", "missing"),
                    ("ZDIFFSTORE", "d", "2", "z", "z"), ("ZRANGESTORE", "d", "z", "5", "9"),
                    ("ZRANGESTORE", "d", "missing", "0", "-1")):
        run(client, "ZADD", "z", "1", "a")
        run(client, "SET", "d", "x")
        assert run(client, *command) == 0
        assert client.db.peek(b"d") is None, command


def test_resp3_shapes(client, client3):
    run(client, "ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert run(client, "ZRANGE", "z", "0", "1", "WITHSCORES") == [b"a", b"1", b"b", b"2"]  # RESP2: bulk strings
    assert run(client3, "ZRANGE", "z", "0", "1", "WITHSCORES") == [[b"a", 1.0], [b"b", 2.0]]
    assert run(client3, "ZUNION", "1", "z", "WITHSCORES")[0] == [b"a", 1.0]
    assert run(client3, "ZRANDMEMBER", "z", "5", "WITHSCORES") == [[b"c", 3.0], [b"b", 2.0], [b"a", 1.0]]
    assert run(client3, "ZPOPMIN", "z") == [b"a", 1.0]  # no count: flat even in RESP3
    assert run(client3, "ZPOPMIN", "z", "1") == [[b"b", 2.0]]
    assert run(client, "ZPOPMAX", "z", "1") == [b"c", 3.0]
    assert run(client3, "ZMPOP", "1", "z", "MIN") is NULL_ARRAY


def test_blocking_handlers_return_block(client):
    reply = run(client, "BZPOPMIN", "a", "b", "1.5")
    assert isinstance(reply, Block) and reply.keys == [b"a", b"b"] and reply.timeout == 1.5
    assert reply.timeout_reply is NULL_ARRAY
    reply = run(client, "BZMPOP", "0", "2", "a", "b", "MIN", "COUNT", "2")
    assert isinstance(reply, Block) and reply.keys == [b"a", b"b"] and reply.timeout == 0
    run(client, "ZADD", "b", "1", "x", "2", "y")
    assert run(client, "BZPOPMAX", "a", "b", "0") == [b"b", b"y", 2.0]
    run(client, "SET", "a", "s")
    assert error_of(client, "BZPOPMIN", "a", "b", "0") == errors.WRONGTYPE
    client.server.blocking.rerunning = client  # a re-run skips the string and keeps waiting
    assert isinstance(run(client, "BZPOPMIN", "a", "c", "0"), Block)
    assert isinstance(run(client, "BZMPOP", "0", "2", "a", "c", "MIN"), Block)
    assert run(client, "BZPOPMIN", "a", "b", "0") == [b"b", b"x", 1.0]
    client.server.blocking.rerunning = None
    assert error_of(client, "BZMPOP", "x", "0", "a", "MIN") == errors.NUMKEYS_NOT_POSITIVE
    assert error_of(client, "BZMPOP", "x", "1", "a", "MIN") == errors.TIMEOUT_NOT_FLOAT


def test_set_operands(client):
    from node.commands.sets import SetObject

    client.db.set(b"s", SetObject([b"a", b"c"]))
    run(client, "ZADD", "z", "2", "a", "3", "b")
    assert run(client, "ZUNION", "2", "s", "z", "WITHSCORES") == [b"c", b"1", b"a", b"3", b"b", b"3"]
    assert run(client, "ZINTER", "2", "s", "z", "WEIGHTS", "10", "1", "WITHSCORES") == [b"a", b"12"]
    assert run(client, "ZDIFF", "2", "s", "z", "WITHSCORES") == [b"c", b"1"]
    assert run(client, "ZINTERCARD", "2", "s", "z") == 1
    client.db.set(b"str", b"x")
    assert error_of(client, "ZUNION", "2", "z", "str") == errors.WRONGTYPE


def test_zscan_skiplist_full_iteration_under_churn(client, server):
    server.config.zset_max_listpack_entries = 0
    stable = [b"s%d" % i for i in range(500)]
    run(client, "ZADD", "z", *[x for m in stable for x in (b"1", m)])
    cursor = b"0"
    found = {}
    n = 0
    while True:
        cursor, items = run(client, "ZSCAN", "z", cursor, "COUNT", "7")
        for member, score in zip(items[::2], items[1::2]):
            found[member] = score
        n += 1
        run(client, "ZADD", "z", b"%d" % n, b"new%d" % n)
        run(client, "ZINCRBY", "z", "1", stable[n % 500])
        run(client, "ZREM", "z", b"new%d" % (n // 2))
        if cursor == b"0":
            break
    assert set(stable) <= set(found)
    assert error_of(client, "ZSCAN", "z", "0", "COUNT", "0") == errors.SYNTAX
