"""sets.py on a bare keyspace with a fixed clock: the declarations, every handler's replies
and errors, the intset/hashtable rule (including the results of SINTERSTORE/SUNIONSTORE/
SDIFFSTORE and SPOP's rebuild), the dirty counter and WATCH signals, and a model-based
Hypothesis test against plain Python sets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import node.commands  # noqa: F401  (registers every command)
from tests.support.handlers import FakeClient, FakeServer, error_of, run, watcher_of as watch
from node import errors
from node.commands import sets as S
from node.commands.keys import copy_value, object_encoding, type_name
from node.commands.spec import REGISTRY
from node.replies import SetReply, encode

NOW = 1_700_000_000_000


def enc(client, key: str) -> bytes:
    return object_encoding(client.db.data[key.encode()])


def b(*items) -> list:
    return [x if isinstance(x, bytes) else str(x).encode() for x in items]


# -- declarations ---------------------------------------------------------------------------------------

# name: (arity, flags, categories, (first, last, step), [key flags per spec], tips) from Redis 7.0.15.
DECLARED = {
    "sadd": (-3, ["write", "denyoom", "fast"], ["write", "set", "fast"], (1, 1, 1), [["RW", "insert"]], []),
    "srem": (-3, ["write", "fast"], ["write", "set", "fast"], (1, 1, 1), [["RW", "delete"]], []),
    "smembers": (2, ["readonly"], ["read", "set", "slow"], (1, 1, 1), [["RO", "access"]], ["nondeterministic_output_order"]),
    "sismember": (3, ["readonly", "fast"], ["read", "set", "fast"], (1, 1, 1), [["RO"]], []),
    "smismember": (-3, ["readonly", "fast"], ["read", "set", "fast"], (1, 1, 1), [["RO", "access"]], []),
    "scard": (2, ["readonly", "fast"], ["read", "set", "fast"], (1, 1, 1), [["RO"]], []),
    "spop": (-2, ["write", "fast"], ["write", "set", "fast"], (1, 1, 1), [["RW", "access", "delete"]], ["nondeterministic_output"]),
    "srandmember": (-2, ["readonly"], ["read", "set", "slow"], (1, 1, 1), [["RO", "access"]], ["nondeterministic_output"]),
    "smove": (4, ["write", "fast"], ["write", "set", "fast"], (1, 2, 1), [["RW", "access", "delete"], ["RW", "insert"]], []),
    "sinter": (-2, ["readonly"], ["read", "set", "slow"], (1, -1, 1), [["RO", "access"]], ["nondeterministic_output_order"]),
    "sintercard": (-3, ["readonly", "movablekeys"], ["read", "set", "slow"], (0, 0, 0), [["RO", "access"]], []),
    "sinterstore": (-3, ["write", "denyoom"], ["write", "set", "slow"], (1, -1, 1), [["RW", "update"], ["RO", "access"]], []),
    "sunion": (-2, ["readonly"], ["read", "set", "slow"], (1, -1, 1), [["RO", "access"]], ["nondeterministic_output_order"]),
    "sunionstore": (-3, ["write", "denyoom"], ["write", "set", "slow"], (1, -1, 1), [["OW", "update"], ["RO", "access"]], []),
    "sdiff": (-2, ["readonly"], ["read", "set", "slow"], (1, -1, 1), [["RO", "access"]], ["nondeterministic_output_order"]),
    "sdiffstore": (-3, ["write", "denyoom"], ["write", "set", "slow"], (1, -1, 1), [["OW", "update"], ["RO", "access"]], []),
    "sscan": (-3, ["readonly"], ["read", "set", "slow"], (1, 1, 1), [["RO", "access"]], ["nondeterministic_output"]),
}


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_declarations(name):
    arity, flags, categories, legacy, key_flags, tips = DECLARED[name]
    spec = REGISTRY[name.encode()]
    assert spec.arity == arity
    assert spec.info_flags() == flags
    assert list(spec.acl_categories) == categories
    assert (spec.first_key, spec.last_key, spec.key_step) == legacy
    assert [ks.key_flags for ks in spec.key_specs] == key_flags
    assert list(spec.tips) == tips


def test_sintercard_key_positions():
    spec = REGISTRY[b"sintercard"]
    assert spec.key_positions(b(*"sintercard 2 a b LIMIT 1".split())) == [2, 3]
    assert spec.key_positions(b(*"sintercard x a".split())) == []


# -- basics ------------------------------------------------------------------------------------------------


def test_sadd_srem_and_reads(client):
    assert run(client, "SADD", "s", "3", "1", "2", "-5", "3") == 4
    s = client.db.data[b"s"]
    assert type(s) is S.SetObject and type_name(s) == b"set" and enc(client, "s") == b"intset"
    reply = run(client, "SMEMBERS", "s")
    assert type(reply) is SetReply and reply == b(-5, 1, 2, 3)  # intsets answer sorted
    assert encode(reply, 3).startswith(b"~4\r\n") and encode(reply, 2).startswith(b"*4\r\n")
    assert run(client, "SISMEMBER", "s", "1") == 1 and run(client, "SISMEMBER", "s", "01") == 0
    assert run(client, "SMISMEMBER", "s", "1", "7", "-5") == [1, 0, 1]
    assert run(client, "SMISMEMBER", "nope", "1", "2") == [0, 0]
    assert run(client, "SCARD", "s") == 4 and run(client, "SCARD", "nope") == 0
    assert run(client, "SMEMBERS", "nope") == []
    assert run(client, "SREM", "s", "1", "01", "x", "1") == 1
    assert run(client, "SREM", "nope", "a") == 0
    assert run(client, "SREM", "s", "2", "3", "-5") == 3
    assert b"s" not in client.db.data


def test_smembers_is_a_copy(client):
    run(client, "SADD", "s", "a", "b")
    reply = run(client, "SMEMBERS", "s")
    run(client, "SADD", "s", "c")
    assert sorted(reply) == [b"a", b"b"]


@pytest.mark.parametrize("members,encoding", [
    (("1",), b"intset"), (("-1", "0"), b"intset"), (("9223372036854775807", "-9223372036854775808"), b"intset"),
    (("9223372036854775808",), b"hashtable"), (("007",), b"hashtable"), (("-0",), b"hashtable"),
    (("+1",), b"hashtable"), ((" 1",), b"hashtable"), (("1.0",), b"hashtable"), (("",), b"hashtable"),
    (("1", "a"), b"hashtable"), (("a", "1"), b"hashtable"),
])
def test_intset_members(client, members, encoding):
    run(client, "SADD", "s", *members)
    assert enc(client, "s") == encoding


def test_intset_limit(client, server):
    server.config.set_max_intset_entries = 3
    run(client, "SADD", "s", "1", "2", "3")
    assert enc(client, "s") == b"intset"
    run(client, "SADD", "s", "3")
    assert enc(client, "s") == b"intset"
    run(client, "SADD", "s", "4")
    assert enc(client, "s") == b"hashtable"
    run(client, "SREM", "s", "1", "2", "3")
    assert enc(client, "s") == b"hashtable"  # one way
    assert run(client, "SMEMBERS", "s") == [b"4"]
    server.config.set_max_intset_entries = 0
    run(client, "SADD", "z", "1")
    assert enc(client, "z") == b"hashtable"


def test_copy_keeps_encoding(client):
    run(client, "SADD", "s", "1", "2")
    s = client.db.data[b"s"]
    c = copy_value(s)
    assert type(c) is S.SetObject and c == s and c is not s and c.intset
    c.add(b"x")
    assert b"x" not in s


@pytest.mark.parametrize("command", [
    ("SADD", "s", "a"), ("SREM", "s", "a"), ("SMEMBERS", "s"), ("SISMEMBER", "s", "a"), ("SMISMEMBER", "s", "a"),
    ("SCARD", "s"), ("SPOP", "s"), ("SPOP", "s", "2"), ("SRANDMEMBER", "s"), ("SRANDMEMBER", "s", "2"),
    ("SMOVE", "s", "set", "a"), ("SMOVE", "set", "s", "a"), ("SINTER", "missing", "s"),
    ("SINTERCARD", "2", "missing", "s"), ("SINTERSTORE", "d", "missing", "s"), ("SUNION", "s"),
    ("SUNIONSTORE", "d", "s"), ("SDIFF", "missing", "s"), ("SDIFFSTORE", "d", "set", "s"), ("SSCAN", "s", "0"),
])
def test_wrongtype(client, command):
    client.db.set(b"s", b"string")
    client.db.set(b"d", b"keep")
    run(client, "SADD", "set", "a")
    assert error_of(client, *command) == errors.WRONGTYPE
    assert client.db.data[b"d"] == b"keep" and client.db.data[b"s"] == b"string"


# -- SMOVE ---------------------------------------------------------------------------------------------------


def test_smove(client, server):
    run(client, "SADD", "a", "1", "x")
    run(client, "SADD", "b", "2")
    assert run(client, "SMOVE", "a", "b", "1") == 1
    assert enc(client, "b") == b"intset" and sorted(client.db.data[b"b"]) == b(1, 2)
    assert run(client, "SMOVE", "a", "b", "nope") == 0
    assert run(client, "SMOVE", "nope", "b", "1") == 0
    assert run(client, "SMOVE", "a", "a", "x") == 1 and run(client, "SMOVE", "a", "a", "y") == 0
    assert run(client, "SMOVE", "a", "c", "x") == 1
    assert b"a" not in client.db.data and enc(client, "c") == b"hashtable"
    run(client, "SADD", "d", "7")
    assert run(client, "SMOVE", "d", "b", "7") == 1 and b"d" not in client.db.data
    run(client, "SADD", "e", "2")
    assert run(client, "SMOVE", "e", "b", "2") == 1  # already there: moved anyway, src emptied
    assert b"e" not in client.db.data and len(client.db.data[b"b"]) == 3


def test_smove_dirty_and_watch(client):
    run(client, "SADD", "a", "1", "2")
    run(client, "SADD", "b", "2")
    wa, wb = watch(client, b"a"), watch(client, b"b")
    dirty = client.server.clock.dirty
    run(client, "SMOVE", "a", "b", "2")  # not added to b: one change
    assert client.server.clock.dirty - dirty == 1 and wa.watch_dirty and wb.watch_dirty
    dirty = client.server.clock.dirty
    run(client, "SMOVE", "a", "b", "1")  # added: two
    assert client.server.clock.dirty - dirty == 2


# -- SINTER & co -------------------------------------------------------------------------------------------


@pytest.fixture
def sets(client):
    run(client, "SADD", "i1", "1", "2", "3", "4", "5")
    run(client, "SADD", "i2", "3", "4", "5", "6")
    run(client, "SADD", "h1", "a", "b", "3", "4")
    run(client, "SADD", "hi", "x", "1", "2", "3")
    run(client, "SREM", "hi", "x")
    return client


def test_sinter(sets):
    c = sets
    assert run(c, "SINTER", "i1", "i2") == b(3, 4, 5)
    assert sorted(run(c, "SINTER", "h1", "i1")) == b(3, 4)
    assert run(c, "SINTER", "i1", "missing") == [] and type(run(c, "SINTER", "missing")) is SetReply
    assert run(c, "SINTER", "i2", "i2") == b(3, 4, 5, 6)
    assert run(c, "SINTERSTORE", "d", "i1", "h1") == 2 and enc(c, "d") == b"intset"
    assert run(c, "SINTERSTORE", "d", "h1", "h1") == 4 and enc(c, "d") == b"hashtable"
    assert run(c, "SINTERSTORE", "d", "i1", "missing") == 0 and b"d" not in c.db.data


def test_sintercard(sets):
    c = sets
    assert run(c, "SINTERCARD", "2", "i1", "i2") == 3
    assert run(c, "SINTERCARD", "2", "i1", "i2", "LIMIT", "2") == 2
    assert run(c, "SINTERCARD", "2", "i1", "i2", "LIMIT", "0") == 3
    assert run(c, "SINTERCARD", "2", "i1", "missing") == 0
    assert run(c, "SINTERCARD", "1", "i1", "limit", "1", "LIMIT", "4") == 4
    for args, error in [
        (("0", "a"), errors.NUMKEYS_NOT_POSITIVE), (("x", "a"), errors.NUMKEYS_NOT_POSITIVE),
        (("3", "a"), errors.NUMKEYS_TOO_MANY), (("1", "i1", "LIMIT", "-1"), errors.LIMIT_NEGATIVE),
        (("1", "i1", "LIMIT", "x"), errors.LIMIT_NEGATIVE), (("1", "i1", "LIMIT"), errors.SYNTAX),
        (("1", "i1", "foo", "1"), errors.SYNTAX), (("1", "missing", "i1"), errors.SYNTAX),
    ]:
        assert error_of(c, "SINTERCARD", *args) == error


def test_sunion_sdiff(sets):
    c = sets
    assert run(c, "SUNION", "i1", "i2", "missing") == b(1, 2, 3, 4, 5, 6)  # an intset result: sorted
    assert sorted(run(c, "SUNION", "h1", "i2")) == sorted(b("a", "b", 3, 4, 5, 6))
    assert run(c, "SUNION", "hi") == b(1, 2, 3)  # rebuilt as an intset: sorted
    assert run(c, "SDIFF", "i1", "i2") == b(1, 2)
    assert run(c, "SDIFF", "i1", "i1") == [] and run(c, "SDIFF", "missing", "i1") == []
    assert run(c, "SDIFF", "i1", "missing", "i1") == []
    assert run(c, "SUNIONSTORE", "d", "hi", "i1") == 5 and enc(c, "d") == b"intset"
    assert run(c, "SDIFFSTORE", "d", "h1", "i1") == 2 and enc(c, "d") == b"hashtable"
    assert run(c, "SDIFFSTORE", "d", "i1", "i1") == 0 and b"d" not in c.db.data


def test_sdiff_encoding_depends_on_the_algorithm(client):
    run(client, "SADD", "f", "a", "1", "2", "3", "4", "5")
    run(client, "SADD", "s1", "a")
    run(client, "SDIFFSTORE", "d", "f", "s1")
    assert enc(client, "d") == b"intset"
    run(client, "SADD", "g", "a", "1", "2", "3")
    for k, m in (("x1", "a"), ("x2", "x"), ("x3", "y")):
        run(client, "SADD", k, m)
    run(client, "SDIFFSTORE", "d2", "g", "x1", "x2", "x3")
    assert enc(client, "d2") == b"hashtable"


def test_store_replaces_value_and_ttl(sets):
    c = sets
    c.db.set(b"d", b"string")
    c.db.set_expire(b"d", NOW + 1000)
    assert run(c, "SUNIONSTORE", "d", "i1") == 5
    assert type(c.db.data[b"d"]) is S.SetObject and c.db.ttl_ms(b"d") is None
    assert c.db.data[b"d"] is not c.db.data[b"i1"]  # a new set, not an alias of a source
    assert run(c, "SUNIONSTORE", "i1", "i1", "i2") == 6


# -- SPOP, SRANDMEMBER ------------------------------------------------------------------------------------


def test_spop(client, server):
    run(client, "SADD", "s", "a", "b", "c")
    assert run(client, "SPOP", "nope") is None
    assert run(client, "SPOP", "nope", "3") == [] and type(run(client, "SPOP", "nope", "3")) is SetReply
    assert run(client, "SPOP", "s", "0") == []
    popped = run(client, "SPOP", "s")
    assert popped in (b"a", b"b", b"c") and popped not in client.db.data[b"s"]
    assert sorted(run(client, "SPOP", "s", "10")) == sorted({b"a", b"b", b"c"} - {popped})
    assert b"s" not in client.db.data
    assert error_of(client, "SPOP", "s", "-1") == errors.MUST_BE_POSITIVE
    assert error_of(client, "SPOP", "s", "x") == errors.MUST_BE_POSITIVE
    assert error_of(client, "SPOP", "s", "1", "2") == errors.SYNTAX


def test_spop_count_intset_whole_is_sorted(client):
    run(client, "SADD", "s", "3", "1", "2")
    assert run(client, "SPOP", "s", "3") == b(1, 2, 3)


@pytest.mark.parametrize("size,count", [(11, 10), (100, 90), (100, 10), (600, 599), (3, 1)])
def test_spop_count_rebuild_encoding(client, size, count):
    run(client, "SADD", "s", "m", *[str(i) for i in range(size - 1)])
    popped = run(client, "SPOP", "s", count)
    s = client.db.data[b"s"]
    assert len(popped) == count and not set(popped) & s and len(s) == size - count
    rebuilt = (size - count) * 5 <= count
    if rebuilt and b"m" not in s and len(s) <= 512:
        assert s.intset
    else:
        assert not s.intset


def test_spop_dirty(client):
    run(client, "SADD", "s", *[str(i) for i in range(20)])
    for args, delta in ((("SPOP", "s"), 1), (("SPOP", "s", "3"), 3), (("SPOP", "s", "0"), 0), (("SPOP", "s", "100"), 16)):
        # Redis counts the members popped (checked against 7.0.15: tests/differential/test_sets.py).
        dirty = client.server.clock.dirty
        run(client, *args)
        assert client.server.clock.dirty - dirty == delta


def test_srandmember(client):
    run(client, "SADD", "s", "3", "1", "2")
    assert run(client, "SRANDMEMBER", "nope") is None
    assert run(client, "SRANDMEMBER", "nope", "5") == [] and type(run(client, "SRANDMEMBER", "nope", "5")) is list
    assert run(client, "SRANDMEMBER", "s") in b(1, 2, 3)
    assert run(client, "SRANDMEMBER", "s", "3") == b(1, 2, 3)
    assert run(client, "SRANDMEMBER", "s", "0") == []
    two = run(client, "SRANDMEMBER", "s", "2")
    assert len(set(two)) == 2 and type(two) is list
    many = run(client, "SRANDMEMBER", "s", "-20")
    assert len(many) == 20 and set(many) <= set(b(1, 2, 3))
    assert error_of(client, "SRANDMEMBER", "s", "x") == errors.NOT_INTEGER
    assert error_of(client, "SRANDMEMBER", "s", str(-(2**63))) == errors.LONG_RANGE
    assert error_of(client, "SRANDMEMBER", "s", "1", "2") == errors.SYNTAX
    assert len(client.db.data[b"s"]) == 3


# -- SSCAN ---------------------------------------------------------------------------------------------------


def test_sscan(client):
    run(client, "SADD", "i", "10", "5", "1")
    assert run(client, "SSCAN", "i", "42", "COUNT", "1") == [b"0", b(1, 5, 10)]
    assert run(client, "SSCAN", "i", "0", "MATCH", "1*") == [b"0", b(1, 10)]
    assert run(client, "SSCAN", "nope", "0") == [b"0", []]
    assert error_of(client, "SSCAN", "i", "0", "COUNT", "0") == errors.SYNTAX
    run(client, "SADD", "h", *[b"m%d" % i for i in range(300)])
    cursor, seen = b"0", []
    while True:
        cursor, items = run(client, "SSCAN", "h", cursor, "COUNT", "7")
        seen.extend(items)
        if cursor == b"0":
            break
    assert sorted(seen) == sorted(b"m%d" % i for i in range(300))


# -- dirty counter and WATCH ------------------------------------------------------------------------------


@pytest.mark.parametrize("command,delta", [
    (("SADD", "s", "c"), 1), (("SADD", "s", "x", "y", "x"), 2), (("SREM", "s", "a", "b", "zz"), 2),
    (("SADD", "fresh", "1", "2", "3"), 3), (("SINTERSTORE", "s", "s"), 1), (("SUNIONSTORE", "d", "s"), 1),
    (("SDIFFSTORE", "s", "nope"), 1),
])
def test_writes_count_and_signal(client, command, delta):
    client.db.data.clear()
    run(client, "SADD", "s", "a", "b")
    watcher = watch(client, command[1].encode())
    dirty = client.server.clock.dirty
    run(client, *command)
    assert client.server.clock.dirty - dirty == delta
    assert watcher.watch_dirty


@pytest.mark.parametrize("command", [
    ("SADD", "s", "a"), ("SREM", "s", "zz"), ("SREM", "nope", "a"), ("SMOVE", "s", "d", "zz"),
    ("SMOVE", "s", "s", "a"), ("SINTERSTORE", "nope", "nope"), ("SPOP", "s", "0"), ("SMEMBERS", "s"),
    ("SRANDMEMBER", "s", "-5"),
])
def test_no_ops_neither_count_nor_signal(client, command):
    run(client, "SADD", "s", "a", "b")
    watcher = watch(client, command[1].encode())
    dirty = client.server.clock.dirty
    run(client, *command)
    assert client.server.clock.dirty == dirty
    assert not watcher.watch_dirty


# -- a model: SetObject against plain sets -------------------------------------------------------------

KEYS = st.sampled_from([b"a", b"b", b"c"])
MEMBERS = st.sampled_from([b"1", b"2", b"-3", b"10", b"x", b"y", b"01", b"9223372036854775808"])
OPS = st.one_of(
    st.tuples(st.just("SADD"), KEYS, st.lists(MEMBERS, min_size=1, max_size=4)),
    st.tuples(st.just("SREM"), KEYS, st.lists(MEMBERS, min_size=1, max_size=3)),
    st.tuples(st.just("SMOVE"), KEYS, st.tuples(KEYS, MEMBERS)),
    st.tuples(st.sampled_from(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), KEYS, st.lists(KEYS, min_size=1, max_size=3)),
    st.tuples(st.just("SPOP"), KEYS, st.integers(0, 5)),
)


def _is_int(m: bytes) -> bool:
    try:
        return b"%d" % int(m) == m and -(2**63) <= int(m) < 2**63
    except ValueError:
        return False


@settings(max_examples=300, deadline=None)
@given(st.lists(OPS, max_size=30), st.integers(0, 5))
def test_model(ops, max_intset):
    server = FakeServer()
    server.config.set_max_intset_entries = max_intset
    client = FakeClient(server)
    model: dict[bytes, set] = {}
    for op, key, arg in ops:
        if op == "SADD":
            expect = len(set(arg) - model.get(key, set()))
            assert run(client, "SADD", key, *arg) == expect
            model.setdefault(key, set()).update(arg)
        elif op == "SREM":
            expect = len(set(arg) & model.get(key, set()))
            assert run(client, "SREM", key, *arg) == expect
            model.get(key, set()).difference_update(arg)
        elif op == "SMOVE":
            dst, member = arg
            src_set = model.get(key, set())
            expect = 1 if member in src_set else 0
            assert run(client, "SMOVE", key, dst, member) == expect
            if expect and key != dst:
                src_set.discard(member)
                model.setdefault(dst, set()).add(member)
        elif op == "SPOP":
            before = set(model.get(key, set()))
            popped = run(client, "SPOP", key, arg)
            assert len(popped) == min(arg, len(before)) and set(popped) <= before
            model[key] = before - set(popped)
        else:
            sources = [model.get(k, set()) for k in arg]
            if op == "SINTERSTORE":
                result = set.intersection(*sources)
            elif op == "SUNIONSTORE":
                result = set.union(*sources)
            else:
                result = sources[0].difference(*sources[1:])
                if any(k == arg[0] for k in arg[1:]):
                    result = set()
            assert run(client, op, key, *arg) == len(result)
            model[key] = set(result)
        model = {k: v for k, v in model.items() if v}
        for k in (b"a", b"b", b"c"):
            stored = client.db.data.get(k)
            if k not in model:
                assert stored is None
                continue
            assert set(stored) == model[k]
            if stored.intset:  # the invariant an intset must keep
                assert all(_is_int(m) for m in stored)
            if any(not _is_int(m) for m in stored):
                assert not stored.intset
            if stored.intset:
                assert run(client, "SMEMBERS", k) == sorted(stored, key=int)
