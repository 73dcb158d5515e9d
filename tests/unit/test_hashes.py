"""hashes.py (and the shared containers.py) on a bare keyspace with a fixed clock: the
declarations, every handler's replies and errors, the listpack/hashtable rule, the dirty
counter and WATCH signals, and a model-based Hypothesis test against a plain dict."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import node.commands  # noqa: F401  (registers every command)
from tests.support.handlers import FakeClient, FakeServer, error_of, run, watcher_of as watch
from node import errors
from node.commands import containers
from node.commands import hashes as H
from node.commands.keys import copy_value, object_encoding, type_name
from node.commands.spec import REGISTRY
from node.errors import CommandError
from node.replies import OK, encode

NOW = 1_700_000_000_000


# -- declarations ---------------------------------------------------------------------------------


# name: (arity, flags, categories, key flags, tips) as Redis 7.0.15's COMMAND INFO shows them.
DECLARED = {
    "hset": (-4, ["write", "denyoom", "fast"], ["write", "hash", "fast"], ["RW", "update"], []),
    "hsetnx": (4, ["write", "denyoom", "fast"], ["write", "hash", "fast"], ["RW", "insert"], []),
    "hget": (3, ["readonly", "fast"], ["read", "hash", "fast"], ["RO", "access"], []),
    "hmget": (-3, ["readonly", "fast"], ["read", "hash", "fast"], ["RO", "access"], []),
    "hmset": (-4, ["write", "denyoom", "fast"], ["write", "hash", "fast"], ["RW", "update"], []),
    "hdel": (-3, ["write", "fast"], ["write", "hash", "fast"], ["RW", "delete"], []),
    "hlen": (2, ["readonly", "fast"], ["read", "hash", "fast"], ["RO"], []),
    "hstrlen": (3, ["readonly", "fast"], ["read", "hash", "fast"], ["RO"], []),
    "hexists": (3, ["readonly", "fast"], ["read", "hash", "fast"], ["RO"], []),
    "hkeys": (2, ["readonly"], ["read", "hash", "slow"], ["RO", "access"], ["nondeterministic_output_order"]),
    "hvals": (2, ["readonly"], ["read", "hash", "slow"], ["RO", "access"], ["nondeterministic_output_order"]),
    "hgetall": (2, ["readonly"], ["read", "hash", "slow"], ["RO", "access"], ["nondeterministic_output_order"]),
    "hincrby": (4, ["write", "denyoom", "fast"], ["write", "hash", "fast"], ["RW", "access", "update"], []),
    "hincrbyfloat": (4, ["write", "denyoom", "fast"], ["write", "hash", "fast"], ["RW", "access", "update"], []),
    "hrandfield": (-2, ["readonly"], ["read", "hash", "slow"], ["RO", "access"], ["nondeterministic_output"]),
    "hscan": (-3, ["readonly"], ["read", "hash", "slow"], ["RO", "access"], ["nondeterministic_output"]),
}


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_declarations(name):
    arity, flags, categories, key_flags, tips = DECLARED[name]
    spec = REGISTRY[name.encode()]
    assert spec.arity == arity
    assert spec.info_flags() == flags
    assert list(spec.acl_categories) == categories
    assert (spec.first_key, spec.last_key, spec.key_step) == (1, 1, 1)
    assert len(spec.key_specs) == 1 and spec.key_specs[0].key_flags == key_flags
    assert list(spec.tips) == tips


# -- HSET and reads -------------------------------------------------------------------------------------


def test_hset_and_reads(client):
    assert run(client, "HSET", "h", "a", "1", "b", "2") == 2
    assert run(client, "HSET", "h", "a", "x", "c", "3", "c", "4") == 1
    assert run(client, "HMSET", "h", "d", "") is OK
    h = client.db.data[b"h"]
    assert type(h) is H.HashObject and h == {b"a": b"x", b"b": b"2", b"c": b"4", b"d": b""}
    assert run(client, "HGET", "h", "a") == b"x"
    assert run(client, "HGET", "h", "zz") is None and run(client, "HGET", "nope", "a") is None
    assert run(client, "HMGET", "h", "a", "zz", "d") == [b"x", None, b""]
    assert run(client, "HMGET", "nope", "a", "b") == [None, None]
    assert run(client, "HLEN", "h") == 4 and run(client, "HLEN", "nope") == 0
    assert run(client, "HSTRLEN", "h", "c") == 1 and run(client, "HSTRLEN", "h", "zz") == 0
    assert run(client, "HEXISTS", "h", "d") == 1 and run(client, "HEXISTS", "h", "zz") == 0
    assert run(client, "HKEYS", "h") == [b"a", b"b", b"c", b"d"]  # insertion order
    assert run(client, "HVALS", "h") == [b"x", b"2", b"4", b""]
    assert run(client, "HGETALL", "h") == {b"a": b"x", b"b": b"2", b"c": b"4", b"d": b""}
    assert run(client, "HGETALL", "nope") == {} and run(client, "HKEYS", "nope") == []
    assert type_name(h) == b"hash" and object_encoding(h) == b"listpack"


def test_hgetall_returns_a_copy(client):
    run(client, "HSET", "h", "a", "1")
    reply = run(client, "HGETALL", "h")
    assert type(reply) is dict and reply is not client.db.data[b"h"]
    run(client, "HSET", "h", "b", "2")
    assert reply == {b"a": b"1"}  # a reply queued in MULTI is encoded after later commands
    assert encode(reply, 3) == b"%1\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert encode(reply, 2) == b"*2\r\n$1\r\na\r\n$1\r\n1\r\n"


def test_odd_pairs(client):
    assert error_of(client, "HSET", "h", "a", "1", "b") == errors.wrong_arity("hset")
    assert error_of(client, "HMSET", "h", "a", "1", "b") == errors.wrong_arity("hmset")
    assert b"h" not in client.db.data


def test_hsetnx(client):
    assert run(client, "HSETNX", "h", "a", "1") == 1
    assert run(client, "HSETNX", "h", "a", "2") == 0
    assert client.db.data[b"h"] == {b"a": b"1"}


def test_hdel_removes_empty_key(client):
    run(client, "HSET", "h", "a", "1", "b", "2")
    assert run(client, "HDEL", "h", "a", "a", "zz") == 1
    assert run(client, "HDEL", "nope", "a") == 0
    assert run(client, "HDEL", "h", "b") == 1
    assert b"h" not in client.db.data


@pytest.mark.parametrize("command", [
    ("HSET", "s", "f", "v"), ("HMSET", "s", "f", "v"), ("HSETNX", "s", "f", "v"), ("HGET", "s", "f"),
    ("HMGET", "s", "f"), ("HDEL", "s", "f"), ("HLEN", "s"), ("HSTRLEN", "s", "f"), ("HEXISTS", "s", "f"),
    ("HKEYS", "s"), ("HVALS", "s"), ("HGETALL", "s"), ("HINCRBY", "s", "f", "1"),
    ("HINCRBYFLOAT", "s", "f", "1"), ("HRANDFIELD", "s"), ("HRANDFIELD", "s", "3"), ("HSCAN", "s", "0"),
])
def test_wrongtype(client, command):
    client.db.set(b"s", b"string")
    assert error_of(client, *command) == errors.WRONGTYPE
    assert client.db.data[b"s"] == b"string"


# -- encodings ---------------------------------------------------------------------------------------


def test_listpack_entries_limit(client, server):
    server.config.hash_max_listpack_entries = 3
    run(client, "HSET", "h", "a", "1", "b", "2", "c", "3")
    h = client.db.data[b"h"]
    assert h.listpack
    run(client, "HSET", "h", "a", "9")
    assert h.listpack
    run(client, "HSET", "h", "d", "4")
    assert not h.listpack
    run(client, "HDEL", "h", "a", "b", "c")
    assert not h.listpack  # one way
    run(client, "HSET", "h2", "a", "1", "a", "2", "a", "3", "a", "4", "a", "5")
    assert client.db.data[b"h2"].listpack  # counts fields, not arguments
    server.config.hash_max_listpack_entries = 0
    run(client, "HINCRBY", "h3", "a", "1")
    assert object_encoding(client.db.data[b"h3"]) == b"hashtable"


def test_listpack_value_limit(client, server):
    server.config.hash_max_listpack_value = 10
    run(client, "HSET", "a", "f", "0123456789")
    assert client.db.data[b"a"].listpack
    run(client, "HSET", "a", "f", "01234567890")  # an update converts too
    assert not client.db.data[b"a"].listpack
    run(client, "HSET", "b", "f", "v")
    run(client, "HSETNX", "b", "f", "0123456789abc")  # not inserted: no conversion
    assert client.db.data[b"b"].listpack
    run(client, "HSETNX", "b", "g", "0123456789abc")
    assert not client.db.data[b"b"].listpack
    run(client, "HINCRBYFLOAT", "c", "f", "1.123456789")
    assert not client.db.data[b"c"].listpack  # the new value is 11 bytes
    run(client, "HINCRBY", "d", "0123456789ab", "1")
    assert not client.db.data[b"d"].listpack  # the field is long
    run(client, "HMGET", "e", "0123456789abcdef")
    assert b"e" not in client.db.data


def test_copy_keeps_encoding_and_is_independent(client, server):
    server.config.hash_max_listpack_entries = 1
    run(client, "HSET", "h", "a", "1", "b", "2")
    h = client.db.data[b"h"]
    c = copy_value(h)
    assert type(c) is H.HashObject and c == h and c is not h and not c.listpack
    c[b"z"] = b"9"
    assert b"z" not in h


# -- counters ---------------------------------------------------------------------------------------


def test_hincrby(client):
    assert run(client, "HINCRBY", "h", "n", "5") == 5
    assert run(client, "HINCRBY", "h", "n", "-7") == -2
    assert client.db.data[b"h"][b"n"] == b"-2"
    assert error_of(client, "HINCRBY", "h", "n", "x") == errors.NOT_INTEGER
    run(client, "HSET", "h", "s", "1.5")
    assert error_of(client, "HINCRBY", "h", "s", "1") == errors.HASH_NOT_INTEGER
    run(client, "HSET", "h", "big", str(2**63 - 1))
    assert error_of(client, "HINCRBY", "h", "big", "1") == errors.OVERFLOW
    assert run(client, "HINCRBY", "h", "small", str(-(2**63))) == -(2**63)
    assert error_of(client, "HINCRBY", "h", "small", "-1") == errors.OVERFLOW


@pytest.mark.parametrize("stored,incr,result", [
    (None, b"1", b"1"), (b"10.5", b"0.1", b"10.6"), (b"3", b"-3", b"0"), (b"1", b"1e3", b"1001"),
    (b"5", b"0x10", b"21"), (b"0.1", b"0.2", b"0.3"), (b"9223372036854775807", b"1", b"9223372036854775808"),
])
def test_hincrbyfloat(client, stored, incr, result):
    if stored is not None:
        run(client, "HSET", "h", "f", stored)
    assert run(client, "HINCRBYFLOAT", "h", "f", incr) == result
    assert client.db.data[b"h"][b"f"] == result


@pytest.mark.parametrize("stored,incr,error", [
    (None, b"x", errors.NOT_FLOAT), (None, b"inf", errors.VALUE_NAN_OR_INF), (None, b"nan", errors.NOT_FLOAT),
    (b"abc", b"1", errors.HASH_NOT_FLOAT), (b"inf", b"1", errors.INCR_NAN_INF), (b" 1", b"1", errors.HASH_NOT_FLOAT),
    (b"1e4932", b"1e4932", errors.INCR_NAN_INF),
])
def test_hincrbyfloat_errors(client, stored, incr, error):
    if stored is not None:
        run(client, "HSET", "h", "f", stored)
    assert error_of(client, "HINCRBYFLOAT", "h", "f", incr) == error
    assert (b"h" in client.db.data) == (stored is not None)


# -- dirty counter, WATCH, TTL --------------------------------------------------------------------------


@pytest.mark.parametrize("command,delta", [
    (("HSET", "h", "a", "1"), 1), (("HSET", "h", "a", "1", "x", "2", "y", "3"), 3), (("HSET", "h", "a", "0"), 1),
    (("HSETNX", "h", "new", "1"), 1), (("HDEL", "h", "a", "b", "zz"), 2), (("HINCRBY", "h", "n", "1"), 1),
    (("HINCRBYFLOAT", "h", "n", "1"), 1), (("HSET", "fresh", "a", "1", "b", "2"), 2),
])
def test_writes_count_and_signal(client, command, delta):
    run(client, "HSET", "h", "a", "0", "b", "0")
    watcher = watch(client, command[1].encode())
    dirty = client.server.clock.dirty
    run(client, *command)
    assert client.server.clock.dirty - dirty == delta
    assert watcher.watch_dirty


@pytest.mark.parametrize("command", [
    ("HSETNX", "h", "a", "1"), ("HDEL", "h", "zz"), ("HDEL", "nope", "a"), ("HGET", "h", "a"),
    ("HGETALL", "h"), ("HRANDFIELD", "h", "-3"), ("HSCAN", "h", "0"),
])
def test_no_ops_neither_count_nor_signal(client, command):
    run(client, "HSET", "h", "a", "0")
    watcher = watch(client, command[1].encode())
    dirty = client.server.clock.dirty
    run(client, *command)
    assert client.server.clock.dirty == dirty
    assert not watcher.watch_dirty


def test_in_place_changes_keep_ttl(client):
    run(client, "HSET", "h", "a", "1")
    client.db.set_expire(b"h", NOW + 10_000)
    for command in (("HSET", "h", "b", "2"), ("HDEL", "h", "a"), ("HINCRBY", "h", "n", "1"),
                    ("HINCRBYFLOAT", "h", "n", "1"), ("HSETNX", "h", "z", "1")):
        run(client, *command)
        assert client.db.ttl_ms(b"h") == NOW + 10_000


def test_expired_hash_is_missing(client):
    run(client, "HSET", "h", "a", "1")
    client.db.set_expire(b"h", NOW - 1)
    assert run(client, "HGET", "h", "a") is None
    assert run(client, "HSET", "h", "b", "2") == 1
    assert client.db.data[b"h"] == {b"b": b"2"}


# -- HRANDFIELD ------------------------------------------------------------------------------------------


def test_hrandfield_replies(client, server):
    fields = [x for i in range(10) for x in (b"f%d" % i, b"v%d" % i)]
    run(client, "HSET", "h", *fields)
    assert run(client, "HRANDFIELD", "nope") is None
    assert run(client, "HRANDFIELD", "nope", "3") == []
    assert run(client, "HRANDFIELD", "h", "0") == []
    assert run(client, "HRANDFIELD", "h") in client.db.data[b"h"]
    assert run(client, "HRANDFIELD", "h", "10") == [b"f%d" % i for i in range(10)]
    picked = run(client, "HRANDFIELD", "h", "4")
    assert len(set(picked)) == 4
    assert len(run(client, "HRANDFIELD", "h", "-25")) == 25
    flat = run(client, "HRANDFIELD", "h", "-3", "WITHVALUES")
    assert len(flat) == 6 and all(b"v" + f[1:] == v for f, v in zip(flat[::2], flat[1::2]))
    client.proto = 3
    nested = run(client, "HRANDFIELD", "h", "3", "WITHVALUES")
    assert len(nested) == 3 and all(len(pair) == 2 and b"v" + pair[0][1:] == pair[1] for pair in nested)


@pytest.mark.parametrize("args,error", [
    (("x",), errors.NOT_INTEGER), (("1", "WITHVALUE"), errors.SYNTAX), (("1", "WITHVALUES", "x"), errors.SYNTAX),
    ((str(-(2**63)),), errors.LONG_RANGE), ((str(2**62), "WITHVALUES"), errors.VALUE_OUT_OF_RANGE),
    ((str(-(2**62)), "WITHVALUES"), errors.VALUE_OUT_OF_RANGE),
])
def test_hrandfield_errors(client, args, error):
    assert error_of(client, "HRANDFIELD", "h", *args) == error


# -- HSCAN ------------------------------------------------------------------------------------------------


def test_hscan_listpack_is_whole(client):
    run(client, "HSET", "h", "b", "1", "a", "2", "ab", "3")
    assert run(client, "HSCAN", "h", "0") == [b"0", [b"b", b"1", b"a", b"2", b"ab", b"3"]]
    assert run(client, "HSCAN", "h", "99", "COUNT", "1", "MATCH", "a*") == [b"0", [b"a", b"2", b"ab", b"3"]]
    assert run(client, "HSCAN", "nope", "0", "COUNT", "x") == [b"0", []]
    assert error_of(client, "HSCAN", "h", "0", "COUNT", "0") == errors.SYNTAX
    assert error_of(client, "HSCAN", "h", "0", "COUNT", "x") == errors.NOT_INTEGER
    assert error_of(client, "HSCAN", "h", "0", "TYPE", "hash") == errors.SYNTAX
    assert error_of(client, "HSCAN", "h", "0", "MATCH") == errors.SYNTAX
    assert error_of(client, "HSCAN", "h", "x") == errors.INVALID_CURSOR


def test_hscan_hashtable_iterates_everything_once(client):
    run(client, "HSET", "h", *[x for i in range(1000) for x in (b"f%d" % i, b"v%d" % i)])
    assert not client.db.data[b"h"].listpack
    cursor = b"0"
    seen = []
    calls = 0
    while True:
        cursor, items = run(client, "HSCAN", "h", cursor, "COUNT", "25")
        seen.extend(zip(items[::2], items[1::2]))
        calls += 1
        if cursor == b"0":
            break
    assert sorted(seen) == sorted((b"f%d" % i, b"v%d" % i) for i in range(1000))
    assert 35 <= calls <= 45


# -- containers.scan: the guarantee under arbitrary changes ------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    initial=st.sets(st.integers(0, 400), min_size=0, max_size=200),
    steps=st.lists(st.tuples(st.integers(1, 30), st.lists(st.tuples(st.booleans(), st.integers(0, 600)), max_size=12)),
                   max_size=80),
    drop_cache=st.booleans(),
)
def test_container_scan_guarantee(initial, steps, drop_cache):
    container = H.HashObject({b"k%d" % i: b"" for i in initial})
    present_throughout = set(container)
    seen: list = []
    cursor = 0
    for count, changes in steps + [(1000, [])] * 2000:
        cursor, out = containers.scan(container, cursor, count)
        assert all(k in container for k in out)
        seen.extend(out)
        if cursor == 0:
            break
        for add, n in changes:
            k = b"k%d" % n
            if add:
                container[k] = b""
            else:
                container.pop(k, None)
                present_throughout.discard(k)
        if drop_cache:
            containers.clear_caches()
    assert cursor == 0
    assert present_throughout <= set(seen)
    assert len([k for k in seen if k in present_throughout]) == len(present_throughout & set(seen))


def test_container_random_helpers():
    big = H.HashObject({b"k%d" % i: b"" for i in range(5000)})
    picks = {containers.pick(big) for _ in range(2000)}
    assert len(picks) > 1500
    for k in list(big)[:4000]:
        del big[k]
    assert all(containers.pick(big) in big for _ in range(500))  # stale entries are never returned
    for i in range(5000, 7000):
        big[b"k%d" % i] = b""
    later = {containers.pick(big) for _ in range(6000)}
    assert any(int(k[1:]) >= 5000 for k in later)  # new members become candidates
    sample = containers.sample(big, 100)
    assert len(set(sample)) == 100 and all(k in big for k in sample)
    assert len(containers.choices(big, 50)) == 50


def test_container_caches_do_not_keep_containers_alive():
    import gc

    big = H.HashObject({b"k%d" % i: b"" for i in range(5000)})
    containers.pick(big)
    containers.scan(big, 0, 10)
    key = id(big)
    assert key in containers._picks and key in containers._scans
    del big
    gc.collect()
    assert key not in containers._picks and key not in containers._scans


# -- a model: HashObject against a plain dict -------------------------------------------------------------

FIELDS = st.sampled_from([b"a", b"b", b"c", b"d", b"e", b"long-field-" + b"x" * 60])
VALUES = st.sampled_from([b"", b"1", b"-5", b"x", b"9223372036854775807", b"2.5", b"v" * 70])
OPS = st.one_of(
    st.tuples(st.just("HSET"), st.lists(st.tuples(FIELDS, VALUES), min_size=1, max_size=4)),
    st.tuples(st.just("HSETNX"), st.tuples(FIELDS, VALUES)),
    st.tuples(st.just("HDEL"), st.lists(FIELDS, min_size=1, max_size=3)),
    st.tuples(st.just("HINCRBY"), st.tuples(FIELDS, st.sampled_from([b"1", b"-3", b"100"]))),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(OPS, max_size=30), st.integers(1, 6), st.sampled_from([10, 64, 80]))
def test_model(ops, max_entries, max_value):
    server = FakeServer()
    server.config.hash_max_listpack_entries = max_entries
    server.config.hash_max_listpack_value = max_value
    client = FakeClient(server)
    model: dict = {}
    listpack = True
    for op, arg in ops:
        if op == "HSET":
            if max(len(x) for pair in arg for x in pair) > max_value:
                listpack = False
            added = sum(1 for f in dict(arg) if f not in model)
            assert run(client, "HSET", "h", *[x for pair in arg for x in pair]) == added
            model.update(arg)
        elif op == "HSETNX":
            field, value = arg
            expect = 0 if field in model else 1
            if expect and max(len(field), len(value)) > max_value:
                listpack = False
            assert run(client, "HSETNX", "h", field, value) == expect
            model.setdefault(field, value)
        elif op == "HDEL":
            expect = len({f for f in arg if f in model})
            assert run(client, "HDEL", "h", *arg) == expect
            for f in arg:
                model.pop(f, None)
            if not model:
                listpack = True  # the key is gone: a new hash starts over
        else:
            field, incr = arg
            current = model.get(field, b"0")
            try:
                new = int(current) + int(incr)
                ok = b"%d" % int(current) == current and -(2**63) <= new < 2**63
            except ValueError:
                ok = False
            if ok:
                run(client, "HINCRBY", "h", field, incr)
                if max(len(field), len(b"%d" % new)) > max_value:
                    listpack = False
                model[field] = b"%d" % new
            else:
                with pytest.raises(CommandError):
                    run(client, "HINCRBY", "h", field, incr)
        if len(model) > max_entries:
            listpack = False
        stored = client.db.data.get(b"h")
        if not model:
            assert stored is None
            listpack = True
            continue
        assert dict(stored) == model and list(stored) == list(model)  # same insertion order
        assert stored.listpack == listpack


def test_container_helpers_accept_plain_dicts():
    plain_dict = {b"k%d" % i: b"" for i in range(3000)}  # not weakly referenceable
    assert containers.pick(plain_dict) in plain_dict
    cursor, out = containers.scan(plain_dict, 0, 10)
    assert cursor and len(out) == 10
    containers.forget(plain_dict)
    assert id(plain_dict) not in containers._picks and id(plain_dict) not in containers._scans


@pytest.mark.parametrize("raw", [b"0", b"7", b"123", b"999999999999999999", b"9999999999999999999",
                                 b"9223372036854775807", b"9223372036854775808", b"-1", b"-0", b"00", b"01",
                                 b"", b" 1", b"1 ", b"+1", b"1.0", b"\xb2", b"-9223372036854775808"])
def test_parse_long_is_string2ll(raw):
    """containers.parse_long (the collections' fast integer parse) agrees with keys.parse_ll."""
    from node.commands.keys import parse_ll

    assert containers.parse_long(raw) == parse_ll(raw)


def test_pick_cache_stays_bounded_and_drops_idle_lists(monkeypatch):
    """Pick lists: at most MAX_CACHED, and one unused for IDLE_SECONDS goes within PRUNE_EVERY
    picks of another container (pruning is not done on every pick)."""
    containers.clear_caches()
    sets = [set(range(i * 1000, i * 1000 + 200)) for i in range(containers.MAX_CACHED + 5)]
    for s in sets:
        assert containers.pick(s) in s
    assert len(containers._picks) == containers.MAX_CACHED
    now = [containers.time.monotonic() + 1.0]
    monkeypatch.setattr(containers.time, "monotonic", lambda: now[0])
    idle, busy = sets[-1], set(range(-4 * containers.PRUNE_EVERY, 0))  # busy: no rebuild below
    containers.pick(idle)
    containers.pick(busy)
    now[0] += containers.IDLE_SECONDS + 1
    for _ in range(containers.PRUNE_EVERY):
        containers.pick(busy)
    assert id(idle) not in containers._picks and id(busy) in containers._picks
    containers.clear_caches()
