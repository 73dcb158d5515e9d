"""SORT / SORT_RO handlers, run directly: options, patterns, scores, pqsort, STORE's effects on
the keyspace (dirty counter, TTL, WATCH), the command table entry and key extraction."""

from __future__ import annotations

import functools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import node.commands  # noqa: F401  (registers every command)
from node import errors
from node.commands import sort as S
from node.commands.introspection import find_keys
from node.commands.keys import object_encoding
from node.commands.lists import ListObject
from node.commands.spec import REGISTRY
from tests.support.handlers import FakeClient, FakeServer, error_of, run, watcher_of


@pytest.fixture
def client():
    return FakeClient(FakeServer())


def fill(client):
    run(client, "RPUSH", "l", "3", "1", "2", "10", "-5")
    for x in ("3", "1", "2", "10", "-5"):
        run(client, "SET", f"w_{x}", str(-int(x)))
        run(client, "HSET", f"h_{x}", "f", f"v{x}")


# -- the command table -------------------------------------------------------------------------------


def test_declarations():
    sort, ro = REGISTRY[b"sort"], REGISTRY[b"sort_ro"]
    assert (sort.arity, sort.first_key, sort.last_key, sort.key_step) == (-2, 1, 1, 1)
    assert sort.info_flags() == ["write", "denyoom", "movablekeys"]
    assert ro.info_flags() == ["readonly", "movablekeys"]
    assert sort.acl_categories == ("write", "set", "sortedset", "list", "slow", "dangerous")
    assert ro.acl_categories == ("read", "set", "sortedset", "list", "slow", "dangerous")
    assert len(sort.key_specs) == 3 and len(ro.key_specs) == 2
    assert sort.key_specs[2].key_flags == ["OW", "update"]
    assert ro.since == "7.0.0" and sort.group == "generic"


@pytest.mark.parametrize("args, keys", [
    (["sort", "a"], [1]),
    (["sort", "a", "store", "b"], [1, 3]),
    (["sort", "a", "STORE", "b", "store", "c"], [1, 5]),
    (["sort", "a", "by", "store", "get", "store", "store", "x"], [1, 7]),
    (["sort", "a", "limit", "store", "store", "store", "z"], [1, 6]),
    (["sort", "a", "store"], [1]),
    (["sort", "a", "store", "store", "x"], [1, 4]),
    (["sort_ro", "a", "store", "b"], [1]),
])
def test_getkeys(args, keys):
    argv = [a.encode() for a in args]
    spec = REGISTRY[argv[0]]
    assert spec.key_positions(argv) == keys
    assert [pos for pos, _ in find_keys(spec, argv)] == keys


# -- numbers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, value", [
    (b"", 0.0), (b" 5", 5.0), (b"\t-3", -3.0), (b"+2", 2.0), (b"0x10", 16.0), (b"1e308", 1e308),
    (b"inf", float("inf")), (b"-Infinity", float("-inf")), (b".5", 0.5), (b"5.", 5.0), (b"7\0junk", 7.0),
    (b"0x1p-1074", 5e-324), (b"2.2250738585072014e-308", 2.2250738585072014e-308),
])
def test_sort_score_accepts(raw, value):
    assert S.sort_score(raw) == value


@pytest.mark.parametrize("raw", [
    b"x", b"1x", b"1 ", b" ", b"-", b"nan", b"-nan", b"nan(1)", b"1e309", b"1e-310", b"4.9e-324", b"1e-400",
    b"0x", b"1,5", b"0x1.8p-1074",
])
def test_sort_score_refuses(raw):
    assert S.sort_score(raw) is None


def test_sort_score_reads_a_c_string():
    assert S.sort_score(b"\0x") == 0.0  # the C string is empty


# -- patterns ------------------------------------------------------------------------------------------


def test_lookup_by_pattern(client):
    db = client.db
    run(client, "SET", "pre_x_post", "1")
    run(client, "HSET", "hx", "f", "v", "f\0g", "nul", "a->b", "arrow")
    run(client, "RPUSH", "lx", "1")
    look = lambda pattern: S.lookup_by_pattern(db, pattern, b"x")
    assert look(b"#") == b"x" and look(b"#\0junk") == b"x"
    assert look(b"##") is None and look(b"nostar") is None
    assert look(b"pre_*_post") == b"1"
    assert look(b"h*->f") == b"v"
    assert look(b"h*->f\0g") == b"nul"
    assert look(b"h*->a->b") == b"arrow"
    assert look(b"h*->") is None  # an empty field: the key "hx->", missing
    assert look(b"h*") is None  # a hash without ->
    assert look(b"pre_*_post->f") is None  # a string with ->
    assert look(b"l*") is None  # a list
    assert look(b"p\0re_*_post") is None  # the * after a NUL is not seen


# -- pqsort --------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 4), max_size=120), st.integers(0, 130), st.integers(0, 20), st.booleans())
def test_pqsort_sorts_the_requested_range(values, lo, width, desc):
    items = list(enumerate(values))
    cmp = lambda x, y: ((x[1] > y[1]) - (x[1] < y[1])) * (-1 if desc else 1)
    done = list(items)
    hi = min(lo + width, len(items) - 1)
    S.pqsort(done, cmp, lo, hi)
    assert sorted(done) == sorted(items)  # a permutation
    expected = sorted(items, key=functools.cmp_to_key(cmp))
    assert [v for _, v in done[lo: hi + 1]] == [v for _, v in expected[lo: hi + 1]]


# -- the command ---------------------------------------------------------------------------------------


def test_numeric_alpha_desc(client):
    fill(client)
    assert run(client, "SORT", "l") == [b"-5", b"1", b"2", b"3", b"10"]
    assert run(client, "SORT", "l", "DESC") == [b"10", b"3", b"2", b"1", b"-5"]
    assert run(client, "SORT", "l", "ALPHA") == [b"-5", b"1", b"10", b"2", b"3"]
    assert run(client, "SORT_RO", "l", "ALPHA", "DESC") == [b"3", b"2", b"10", b"1", b"-5"]
    assert run(client, "SORT", "missing") == []


def test_by_get_limit(client):
    fill(client)
    assert run(client, "SORT", "l", "BY", "w_*") == [b"10", b"3", b"2", b"1", b"-5"]
    assert run(client, "SORT", "l", "BY", "w_*", "LIMIT", "1", "2", "GET", "#", "GET", "h_*->f", "GET", "x_*") == [
        b"3", b"v3", None, b"2", b"v2", None]
    assert run(client, "SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2") == [b"10", b"2"]
    assert run(client, "SORT", "l", "LIMIT", "9", "1") == []
    assert run(client, "SORT", "l", "LIMIT", "-3", "1") == [b"-5"]


def test_errors(client):
    fill(client)
    run(client, "SET", "s", "x")
    assert error_of(client, "SORT", "l", "BADOPT") == errors.SYNTAX
    assert error_of(client, "SORT", "l", "LIMIT", "1") == errors.SYNTAX
    assert error_of(client, "SORT", "s", "LIMIT", "a", "1") == errors.NOT_INTEGER
    assert error_of(client, "SORT", "s") == errors.WRONGTYPE
    assert error_of(client, "SORT_RO", "l", "STORE", "d") == errors.SYNTAX
    run(client, "RPUSH", "bad", "1", "x")
    assert error_of(client, "SORT", "bad") == errors.SORT_SCORES
    assert error_of(client, "SORT", "bad", "STORE", "d") == errors.SORT_SCORES
    assert b"d" not in client.db.data
    assert run(client, "SORT", "bad", "BY", "nosort") == [b"1", b"x"]


def test_cluster_mode_refuses_by_patterns_and_get(client):
    fill(client)
    client.server.route = lambda *a: None
    assert error_of(client, "SORT", "l", "BY", "w_*") == errors.SORT_BY_CLUSTER
    assert error_of(client, "SORT", "l", "GET", "#") == errors.SORT_GET_CLUSTER
    assert run(client, "SORT", "l", "BY", "nosort") == [b"3", b"1", b"2", b"10", b"-5"]


def test_store(client):
    fill(client)
    db = client.db
    run(client, "SET", "dst", "x")
    run(client, "EXPIRE", "dst", "100")
    other = watcher_of(client, b"dst")
    base = db.clock.dirty
    assert run(client, "SORT", "l", "STORE", "dst") == 5
    assert db.clock.dirty == base + 5
    assert other.watch_dirty
    assert type(db.data[b"dst"]) is ListObject and list(db.data[b"dst"]) == [b"-5", b"1", b"2", b"3", b"10"]
    assert db.ttl_ms(b"dst") is None
    assert run(client, "SORT", "l", "GET", "#", "GET", "nope_*", "LIMIT", "0", "1", "STORE", "dst") == 2
    assert list(db.data[b"dst"]) == [b"-5", b""]
    base = db.clock.dirty
    assert run(client, "SORT", "missing", "STORE", "dst") == 0
    assert b"dst" not in db.data and db.clock.dirty == base + 1
    assert run(client, "SORT", "missing", "STORE", "dst") == 0
    assert db.clock.dirty == base + 1


def test_set_nosort_store_sorts_alpha(client):
    run(client, "SADD", "s", "b", "a", "c")
    assert sorted(run(client, "SORT", "s", "BY", "nosort")) == [b"a", b"b", b"c"]
    assert run(client, "SORT", "s", "BY", "nosort", "DESC", "STORE", "d") == 3
    assert list(client.db.data[b"d"]) == [b"c", b"b", b"a"]


def test_zset_is_converted_and_read_in_score_order(client):
    run(client, "ZADD", "z", "3", "a", "1", "b", "2", "c")
    assert object_encoding(client.db.data[b"z"]) == b"listpack"
    assert run(client, "SORT", "z", "BY", "nosort") == [b"b", b"c", b"a"]
    assert object_encoding(client.db.data[b"z"]) == b"skiplist"
    assert run(client, "SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "5") == [b"c", b"b"]
    assert run(client, "SORT", "z", "ALPHA", "DESC") == [b"c", b"b", b"a"]


def test_random_against_a_model(client):
    """Numeric sorts of lists against a plain model (no ties between distinct elements)."""
    rnd = random.Random(7)
    for _ in range(50):
        client.db.clear()
        elems = [str(rnd.randint(-9, 9)).encode() for _ in range(rnd.randint(0, 30))]
        if elems:
            run(client, "RPUSH", "l", *elems)
        weights = {e: rnd.randint(0, 3) for e in elems}
        for e, w in weights.items():
            run(client, "SET", b"w_" + e, str(w))
        start, count = rnd.randint(0, 35), rnd.randint(-1, 10)
        desc = rnd.random() < 0.5
        model = sorted(elems, key=lambda e: (weights[e], e), reverse=desc)
        end = len(model) if count < 0 else start + count
        got = run(client, "SORT", "l", "BY", "w_*", "LIMIT", start, count, *(["DESC"] if desc else []))
        assert got == model[start:end]
