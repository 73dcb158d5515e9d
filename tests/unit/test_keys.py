"""keys.py on a bare keyspace with a fixed clock: the glob matcher, argument parsing, the
type registry, and every handler's effect on data, TTLs, WATCH and the dirty counter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import node.commands  # noqa: F401  (registers every command)
from tests.support.handlers import error_of, run, watch_key
from node import errors
from node.commands import keys as K
from node.commands.spec import REGISTRY
from node.errors import CommandError
from node.replies import OK, Status

NOW = 1_700_000_000_000


# -- glob matching ---------------------------------------------------------------------------------

# (pattern, string, Redis 7.0.15's answer), checked against a real server (see the
# differential glob sweep for the randomized version).
GLOB_CASES = [
    (b"*", b"abc", True), (b"*", b"", False), (b"", b"", True), (b"**", b"", False),
    (b"a*", b"a", True), (b"*a", b"a", True), (b"a*b", b"ab", True), (b"a*b", b"a", False),
    (b"?", b"a", True), (b"?", b"", False), (b"??", b"a", False),
    (b"[abc]", b"b", True), (b"[^abc]", b"b", False), (b"[^abc]", b"d", True),
    (b"[a-c]", b"b", True), (b"[c-a]bc", b"abc", True), (b"[a-]", b"-", False),
    (b"ab[c", b"abc", True), (b"[", b"abc", False), (b"[^", b"a", True), (b"[^", b"abc", False),
    (b"a[b-]c", b"abc", False), (b"a[]b]c", b"abc", False),
    (b"\\*", b"*", True), (b"\\*", b"a", False), (b"*\\", b"a\\", True), (b"ab\\c", b"abc", True),
    (b"abc\\", b"abc", False), (b"[\\]]", b"]", True), (b"[\\]", b"\\", False),
    (b"h?llo", b"hello", True), (b"h*llo", b"heeeello", True), (b"h[ae]llo", b"hallo", True),
    (b"h[^e]llo", b"hello", False), (b"h[a-b]llo", b"hbllo", True),
]


@pytest.mark.parametrize("pattern,string,expected", GLOB_CASES)
def test_glob_cases(pattern, string, expected):
    assert K.stringmatchlen(pattern, string) is expected
    assert K.compile_glob(pattern)(string) is expected


def test_glob_nocase():
    assert K.stringmatchlen(b"HeLLo", b"hello", nocase=True)
    assert K.stringmatchlen(b"[A-C]x", b"bX", nocase=True)
    assert not K.stringmatchlen(b"HeLLo", b"hello")
    assert K.compile_glob(b"[^A]", nocase=True)(b"b") and not K.compile_glob(b"[^A]", nocase=True)(b"a")


def test_glob_star_nesting_limit():
    key = b"a" * 1200
    assert K.stringmatchlen(b"*a" * 1000, key) and K.compile_glob(b"*a" * 1000)(key)
    assert not K.stringmatchlen(b"*a" * 1001, key) and not K.compile_glob(b"*a" * 1001)(key)
    assert K.stringmatchlen(b"*a" * 1000 + b"*", key)  # a final '*' does not nest


def test_glob_is_linear_on_hostile_patterns():
    import time

    s = b"a" * 50_000
    start = time.perf_counter()
    for pattern in (b"*a*a*a*a*a*a*a*b", b"a*" * 40 + b"b", b"*?*?*?*?*?b"):
        assert not K.compile_glob(pattern)(s)
    assert time.perf_counter() - start < 2


def _over(alphabet: bytes):
    return st.binary(max_size=8).map(lambda b: bytes(alphabet[x % len(alphabet)] for x in b))


@settings(max_examples=3000, deadline=None)
@given(_over(b"ab*?[]^-\\A\x00"), _over(b"abA-]^\\*\x00"), st.booleans())
def test_compiled_glob_equals_the_port(pattern, string, nocase):
    assert K.compile_glob(pattern, nocase)(string) == K.stringmatchlen(pattern, string, nocase)


# -- parsing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw,value", [
    (b"0", 0), (b"-1", -1), (b"9223372036854775807", 2**63 - 1), (b"-9223372036854775808", -(2**63)),
    (b"9223372036854775808", None), (b"-0", None), (b"01", None), (b"+1", None), (b" 1", None),
    (b"1 ", None), (b"", None), (b"1.0", None), (b"1_0", None), (b"\xd9\xa1", None), (b"-", None),
])
def test_parse_ll(raw, value):
    assert K.parse_ll(raw) == value


@pytest.mark.parametrize("raw,value", [
    (b"0", 0), (b"", 0), (b"+0", 0), (b"-1", 2**64 - 1), (b"18446744073709551615", 2**64 - 1),
    (b"42\x00junk", 42), (b"007", 7),
])
def test_scan_cursor(raw, value):
    assert K.parse_scan_cursor(raw) == value


@pytest.mark.parametrize("raw", [b"abc", b" 1", b"\t1", b"18446744073709551616", b"+", b"-", b"1 ", b"1.5"])
def test_scan_cursor_invalid(raw):
    with pytest.raises(CommandError, match="invalid cursor"):
        K.parse_scan_cursor(raw)


# -- type registry ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value,encoding", [
    (b"0", b"int"), (b"-1", b"int"), (b"9223372036854775807", b"int"), (b"-9223372036854775808", b"int"),
    (b"9223372036854775808", b"embstr"), (b"-0", b"embstr"), (b"01", b"embstr"), (b" 1", b"embstr"),
    (b"", b"embstr"), (b"a" * 44, b"embstr"), (b"a" * 45, b"raw"), (b"1" * 45, b"raw"),
    (bytearray(b"ab"), b"raw"),
])
def test_string_encoding(value, encoding):
    assert K.type_name(value) == b"string"
    assert K.object_encoding(value) == encoding


def test_register_type_and_fallbacks():
    class Box(list):
        pass

    K.register_type(Box, b"list", encoding=lambda v: b"listpack", copy=lambda v: Box(v))
    box = Box([1, [2]])
    assert K.type_name(box) == b"list" and K.object_encoding(box) == b"listpack"
    assert K.copy_value(box) == box and K.copy_value(box) is not box

    class Duck:
        type_name = b"stream"

        def encoding(self):
            return b"stream"

        def copy(self):
            return Duck()

    duck = Duck()
    assert K.type_name(duck) == b"stream" and K.object_encoding(duck) == b"stream"
    assert isinstance(K.copy_value(duck), Duck) and K.copy_value(duck) is not duck
    with pytest.raises(TypeError):
        K.type_name(object())
    data = b"shared"
    assert K.copy_value(data) is data  # immutable strings are shared


# -- DEL / EXISTS / TYPE / TOUCH / DBSIZE / RANDOMKEY -----------------------------------------------------------


def test_del_unlink_exists_touch(client, server):
    db = client.db
    for k in (b"a", b"b", b"c"):
        db.set(k, b"v")
    assert run(client, "EXISTS", "a", "a", "nope") == 2
    assert run(client, "DEL", "a", "a", "nope") == 1
    assert run(client, "UNLINK", "b", "c") == 2
    assert run(client, "DBSIZE") == 0
    db.set(b"t", b"v")
    server.clock.set(NOW + 7000)
    assert run(client, "EXISTS", "t") == 1 and db.idle_seconds(b"t") == 7  # EXISTS does not touch
    assert run(client, "TOUCH", "t", "t", "nope") == 2 and db.idle_seconds(b"t") == 0


def test_type(client):
    client.db.set(b"s", b"v")
    assert run(client, "TYPE", "s") == Status("string")
    assert run(client, "TYPE", "nope") == Status("none")


def test_expired_keys_are_gone_for_every_command(client, server):
    db = client.db
    db.set(b"k", b"v")
    db.set_expire(b"k", NOW + 10)
    server.clock.set(NOW + 11)
    assert run(client, "EXISTS", "k") == 0
    assert run(client, "TYPE", "k") == Status("none")
    assert run(client, "TTL", "k") == -2
    assert run(client, "RANDOMKEY") is None
    assert run(client, "KEYS", "*") == []


def test_keys_skips_expired_and_matches(client, server):
    db = client.db
    for k in (b"one", b"two", b"three", b""):
        db.set(k, b"v")
    db.set_expire(b"two", NOW + 1)
    server.clock.set(NOW + 2)
    assert sorted(run(client, "KEYS", "*")) == [b"", b"one", b"three"]
    assert sorted(run(client, "KEYS", "t*")) == [b"three"]
    assert sorted(run(client, "KEYS", "**")) == [b"one", b"three"]  # "**" is not KEYS *: no empty key
    assert b"two" in db.data  # KEYS does not delete


# -- RENAME / COPY / MOVE / SWAPDB / FLUSH ---------------------------------------------------------------------------


def test_rename_keeps_ttl_and_access(client, server):
    db = client.db
    db.set(b"src", b"v")
    db.set_expire(b"src", NOW + 5000)
    db.set(b"dst", b"old")
    db.set_expire(b"dst", NOW + 99999)
    assert run(client, "RENAME", "src", "dst") == OK
    assert db.peek(b"dst") == b"v" and db.ttl_ms(b"dst") == NOW + 5000 and b"src" not in db.data
    assert run(client, "RENAMENX", "dst", "dst") == 0
    assert run(client, "RENAME", "dst", "dst") == OK
    db.set(b"other", b"x")
    assert run(client, "RENAMENX", "dst", "other") == 0
    assert run(client, "RENAMENX", "dst", "fresh") == 1
    assert db.ttl_ms(b"fresh") == NOW + 5000
    assert error_of(client, "RENAME", "nope", "x") == errors.NO_SUCH_KEY
    assert error_of(client, "RENAMENX", "nope", "nope") == errors.NO_SUCH_KEY


def test_rename_signals_both_keys(client):
    client.db.set(b"a", b"v")
    watch_key(client, b"b")
    run(client, "RENAME", "a", "b")
    assert client.watch_dirty


def test_copy(client, server):
    src = client.db
    src.set(b"k", b"v")
    src.set_expire(b"k", NOW + 5000)
    assert run(client, "COPY", "k", "k2") == 1
    assert src.peek(b"k2") == b"v" and src.ttl_ms(b"k2") == NOW + 5000
    assert run(client, "COPY", "k", "k2") == 0
    src.persist(b"k")
    assert run(client, "COPY", "k", "k2", "REPLACE") == 1 and src.ttl_ms(b"k2") is None
    assert run(client, "COPY", "k", "k", "DB", "3") == 1
    assert server.dbs[3].peek(b"k") == b"v"
    assert run(client, "COPY", "nope", "x") == 0
    assert error_of(client, "COPY", "k", "k") == errors.SAME_OBJECT
    assert error_of(client, "COPY", "k", "k", "DB", "0") == errors.SAME_OBJECT
    assert error_of(client, "COPY", "k", "x", "DB") == errors.SYNTAX
    assert error_of(client, "COPY", "k", "x", "FOO") == errors.SYNTAX
    assert error_of(client, "COPY", "k", "x", "DB", "x") == errors.NOT_INTEGER
    assert error_of(client, "COPY", "k", "x", "DB", "16") == errors.DB_INDEX
    assert error_of(client, "COPY", "k", "x", "DB", "4294967296") == errors.INT_OUT_OF_RANGE


def test_move(client, server):
    db0, db1 = server.dbs[0], server.dbs[1]
    db0.set(b"k", b"v")
    db0.set_expire(b"k", NOW + 5000)
    assert run(client, "MOVE", "k", "1") == 1
    assert b"k" not in db0.data and db1.peek(b"k") == b"v" and db1.ttl_ms(b"k") == NOW + 5000
    assert run(client, "MOVE", "k", "1") == 0  # no longer in the source
    db0.set(b"k", b"again")
    assert run(client, "MOVE", "k", "1") == 0  # exists in the target
    assert db0.peek(b"k") == b"again"
    assert error_of(client, "MOVE", "k", "0") == errors.SAME_OBJECT
    assert error_of(client, "MOVE", "k", "16") == errors.DB_INDEX
    assert error_of(client, "MOVE", "k", "-1") == errors.DB_INDEX
    assert error_of(client, "MOVE", "k", "x") == errors.NOT_INTEGER
    assert error_of(client, "MOVE", "k", "4294967296") == errors.INT_OUT_OF_RANGE


def test_cluster_mode_refusals(client, server):
    server.route = lambda *a: None
    client.db.set(b"k", b"v")
    assert error_of(client, "MOVE", "k", "1") == errors.MOVE_IN_CLUSTER
    assert error_of(client, "MOVE", "k", "x") == errors.MOVE_IN_CLUSTER  # checked first
    assert error_of(client, "SWAPDB", "0", "1") == errors.SWAPDB_IN_CLUSTER
    assert error_of(client, "COPY", "k", "k2", "DB", "1") == errors.COPY_DB_IN_CLUSTER
    assert error_of(client, "COPY", "k", "k2", "DB", "x") == errors.NOT_INTEGER  # options first
    assert run(client, "COPY", "k", "k2", "DB", "0") == 1


def test_swapdb(client, server):
    db0, db1 = server.dbs[0], server.dbs[1]
    db0.set(b"a", b"0")
    db1.set(b"b", b"1")
    db1.set_expire(b"b", NOW + 100)
    watch_key(client, b"b")  # in db 0, where b arrives
    assert run(client, "SWAPDB", "0", "1") == OK
    assert db0.peek(b"b") == b"1" and db0.ttl_ms(b"b") == NOW + 100 and db1.peek(b"a") == b"0"
    assert client.watch_dirty
    assert client.db is db0  # the client stays on its db number
    assert error_of(client, "SWAPDB", "a", "0") == errors.INVALID_FIRST_DB
    assert error_of(client, "SWAPDB", "0", "a") == errors.INVALID_SECOND_DB
    assert error_of(client, "SWAPDB", "99", "a") == errors.INVALID_SECOND_DB
    assert error_of(client, "SWAPDB", "0", "16") == errors.DB_INDEX
    assert error_of(client, "SWAPDB", "-1", "0") == errors.DB_INDEX
    assert error_of(client, "SWAPDB", "4294967296", "0") == errors.INVALID_FIRST_DB
    assert run(client, "SWAPDB", "3", "3") == OK


def test_flushdb_flushall(client, server):
    db0, db1 = server.dbs[0], server.dbs[1]
    db0.set(b"a", b"v")
    db1.set(b"b", b"v")
    watch_key(client, b"a")
    dirty = server.clock.dirty
    assert run(client, "FLUSHDB") == OK
    assert client.watch_dirty and len(db0) == 0 and len(db1) == 1
    assert server.clock.dirty > dirty
    dirty = server.clock.dirty
    assert run(client, "FLUSHDB", "ASYNC") == OK
    assert server.clock.dirty > dirty  # even an empty flush is propagated
    assert run(client, "FLUSHALL", "sync") == OK and len(db1) == 0
    for bad in (("FLUSHDB", "foo"), ("FLUSHDB", "async", "sync"), ("FLUSHALL", "x")):
        assert error_of(client, *bad) == errors.SYNTAX


# -- SCAN ------------------------------------------------------------------------------------------------------------


def scan_all(client, *options):
    cursor = b"0"
    seen = []
    while True:
        cursor, found = run(client, "SCAN", cursor, *options)
        seen.extend(found)
        if cursor == b"0":
            return seen


def test_scan_match_type_count(client, server):
    db = client.db
    for i in range(300):
        db.set(b"user:%d" % i, b"v")
        db.set(b"item:%d" % i, b"v")
    assert sorted(scan_all(client, "MATCH", "user:*", "COUNT", "7")) == sorted(b"user:%d" % i for i in range(300))
    assert len(scan_all(client, "TYPE", "STRING")) == 600
    assert scan_all(client, "TYPE", "list") == []
    assert len(scan_all(client, "MATCH", "*")) == 600
    cursor, found = run(client, "SCAN", "0", "COUNT", "5")
    assert cursor != b"0" and len(found) == 5


def test_scan_deletes_expired_keys_it_meets(client, server):
    db = client.db
    db.set(b"live", b"v")
    db.set(b"gone", b"v")
    db.set_expire(b"gone", NOW + 1)
    server.clock.set(NOW + 2)
    assert run(client, "SCAN", "0") == [b"0", [b"live"]]
    assert b"gone" not in db.data


def test_scan_type_none_quirk(client, server):
    # Redis 7.0 checks TYPE with a lookup that deletes an expired key, then sees no
    # expiry on it: SCAN ... TYPE none returns the expired key.
    db = client.db
    db.set(b"gone", b"v")
    db.set_expire(b"gone", NOW + 1)
    server.clock.set(NOW + 2)
    assert run(client, "SCAN", "0", "TYPE", "none") == [b"0", [b"gone"]]


def test_scan_errors(client):
    assert error_of(client, "SCAN", "abc") == errors.INVALID_CURSOR
    assert error_of(client, "SCAN", "0", "COUNT", "0") == errors.SYNTAX
    assert error_of(client, "SCAN", "0", "COUNT", "x") == errors.NOT_INTEGER
    assert error_of(client, "SCAN", "0", "COUNT") == errors.SYNTAX
    assert error_of(client, "SCAN", "0", "MATCH") == errors.SYNTAX
    assert error_of(client, "SCAN", "0", "FOO", "bar") == errors.SYNTAX
    assert error_of(client, "SCAN", "abc", "FOO") == errors.INVALID_CURSOR  # the cursor first


# -- OBJECT ------------------------------------------------------------------------------------------------------------


def test_object(client, server):
    db = client.db
    db.set(b"n", b"123")
    db.set(b"big", b"12345")
    db.set(b"s", b"x" * 50)
    assert run(client, "OBJECT", "ENCODING", "n") == b"int"
    assert run(client, "OBJECT", "ENCODING", "s") == b"raw"
    assert run(client, "OBJECT", "ENCODING", "nope") is None
    assert run(client, "OBJECT", "REFCOUNT", "n") == 2**31 - 1
    assert run(client, "OBJECT", "REFCOUNT", "big") == 1
    assert run(client, "OBJECT", "REFCOUNT", "s") == 1
    server.config.maxmemory = 100 << 20
    server.config.maxmemory_policy = "allkeys-lru"
    assert run(client, "OBJECT", "REFCOUNT", "n") == 1  # no shared integers under LRU/LFU
    server.config.maxmemory_policy = "noeviction"
    assert run(client, "OBJECT", "REFCOUNT", "n") == 2**31 - 1
    server.clock.set(NOW + 3000)
    assert run(client, "OBJECT", "IDLETIME", "n") == 3
    assert run(client, "OBJECT", "IDLETIME", "nope") is None
    assert error_of(client, "OBJECT", "FREQ", "n") == errors.LFU_NO_FREQ
    assert run(client, "OBJECT", "FREQ", "nope") is None  # the lookup comes first
    help_lines = run(client, "OBJECT", "HELP")
    assert help_lines[0] == Status("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    assert len(help_lines) == 15


def test_object_freq_under_lfu(client, server):
    server.config.maxmemory_policy = "allkeys-lfu"
    run(client, "OBJECT", "FREQ", "nope")  # the node applies the policy to the clock
    assert server.clock.lfu
    client.db.set(b"m", b"v")
    assert run(client, "OBJECT", "FREQ", "m") == 5
    client.db.get(b"m")
    assert run(client, "OBJECT", "FREQ", "m") == 6
    assert error_of(client, "OBJECT", "IDLETIME", "m") == errors.LFU_NO_IDLETIME


# -- EXPIRE family ------------------------------------------------------------------------------------------------------


def test_expire_sets_absolute_ms(client, server):
    db = client.db
    db.set(b"k", b"v")
    assert run(client, "EXPIRE", "k", "10") == 1 and db.ttl_ms(b"k") == NOW + 10_000
    assert run(client, "PEXPIRE", "k", "1500") == 1 and db.ttl_ms(b"k") == NOW + 1500
    assert run(client, "EXPIREAT", "k", str(NOW // 1000 + 100)) == 1 and db.ttl_ms(b"k") == NOW + 100_000
    assert run(client, "PEXPIREAT", "k", str(NOW + 7)) == 1 and db.ttl_ms(b"k") == NOW + 7
    assert run(client, "EXPIRE", "nope", "10") == 0


def test_expire_in_the_past_deletes_and_is_a_write(client, server):
    db = client.db
    db.set(b"k", b"v")
    watch_key(client, b"k")
    dirty = server.clock.dirty
    assert run(client, "EXPIRE", "k", "-1") == 1
    assert b"k" not in db.data and client.watch_dirty and server.clock.dirty > dirty
    db.set(b"k", b"v")
    assert run(client, "PEXPIREAT", "k", str(NOW)) == 1 and b"k" not in db.data  # now counts as past
    db.set(b"k", b"v")
    assert run(client, "PEXPIRE", "k", "0") == 1 and b"k" not in db.data


def test_expire_on_a_replica_keeps_the_key(client, server):
    db = client.db
    db.expire_enabled = False
    db.set(b"k", b"v")
    assert run(client, "EXPIRE", "k", "-1") == 1
    assert b"k" in db.data and db.ttl_ms(b"k") == NOW - 1000


def test_expire_options(client, server):
    db = client.db
    db.set(b"k", b"v")
    assert run(client, "EXPIRE", "k", "100", "XX") == 0
    assert run(client, "EXPIRE", "k", "100", "GT") == 0  # no TTL counts as infinite
    assert run(client, "EXPIRE", "k", "100", "LT") == 1
    assert run(client, "EXPIRE", "k", "200", "NX") == 0
    assert run(client, "EXPIRE", "k", "200", "LT") == 0
    assert run(client, "EXPIRE", "k", "100", "GT") == 0  # equal is not greater
    assert run(client, "EXPIRE", "k", "200", "gt") == 1
    assert run(client, "EXPIRE", "k", "50", "xx", "lt") == 1
    assert db.ttl_ms(b"k") == NOW + 50_000
    db.persist(b"k")
    assert run(client, "EXPIRE", "k", "100", "nx") == 1


@pytest.mark.parametrize("args,message", [
    (("EXPIRE", "k", "10", "foo"), "ERR Unsupported option foo"),
    (("EXPIRE", "k", "abc", "foo"), "ERR Unsupported option foo"),  # options are parsed first
    (("EXPIRE", "k", "10", "NX", "XX"), errors.EXPIRE_NX_AND_XX_GT_LT),
    (("EXPIRE", "k", "10", "NX", "GT"), errors.EXPIRE_NX_AND_XX_GT_LT),
    (("EXPIRE", "k", "10", "GT", "LT"), errors.EXPIRE_GT_AND_LT),
    (("EXPIRE", "k", "abc"), errors.NOT_INTEGER),
    (("EXPIRE", "k", "1.5"), errors.NOT_INTEGER),
    (("EXPIRE", "k", "9223372036854775807"), "ERR invalid expire time in 'expire' command"),
    (("EXPIRE", "k", "-9223372036854776"), "ERR invalid expire time in 'expire' command"),
    (("EXPIREAT", "k", "9223372036854775807"), "ERR invalid expire time in 'expireat' command"),
    (("PEXPIRE", "k", "9223372036854775807"), "ERR invalid expire time in 'pexpire' command"),
])
def test_expire_errors(client, args, message):
    client.db.set(b"k", b"v")
    assert error_of(client, *args) == message


def test_expire_overflow_edges(client):
    db = client.db
    db.set(b"k", b"v")
    assert run(client, "PEXPIREAT", "k", "9223372036854775807") == 1
    assert db.ttl_ms(b"k") == 2**63 - 1
    assert run(client, "EXPIRE", "k", "-9223372036854775") == 1 and b"k" not in db.data


# -- TTL family / PERSIST ---------------------------------------------------------------------------------------------------


def test_ttl_family(client, server):
    db = client.db
    for name in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert run(client, name, "nope") == -2
    db.set(b"k", b"v")
    for name in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert run(client, name, "k") == -1
    db.set_expire(b"k", NOW + 10_499)
    assert run(client, "TTL", "k") == 10  # rounded to the nearest second
    assert run(client, "PTTL", "k") == 10_499
    db.set_expire(b"k", NOW + 10_500)
    assert run(client, "TTL", "k") == 11
    assert run(client, "PEXPIRETIME", "k") == NOW + 10_500
    assert run(client, "EXPIRETIME", "k") == (NOW + 10_500 + 500) // 1000
    server.clock.set(NOW + 10_500)  # alive during its last millisecond
    assert run(client, "PTTL", "k") == 0 and run(client, "TTL", "k") == 0


def test_persist(client):
    db = client.db
    assert run(client, "PERSIST", "nope") == 0
    db.set(b"k", b"v")
    assert run(client, "PERSIST", "k") == 0
    db.set_expire(b"k", NOW + 100)
    watch_key(client, b"k")
    assert run(client, "PERSIST", "k") == 1 and db.ttl_ms(b"k") is None and client.watch_dirty


# -- declarations --------------------------------------------------------------------------------------------------------------


def test_declarations_match_redis_groups():
    for name in ("swapdb", "flushdb", "flushall", "dbsize"):
        assert REGISTRY[name.encode()].group == "server"
    for name in ("del", "keys", "scan", "randomkey", "object", "expire", "ttl", "persist", "copy", "move"):
        assert REGISTRY[name.encode()].group == "generic"
    assert REGISTRY[b"keys"].acl_categories == ("keyspace", "read", "slow", "dangerous")
    assert REGISTRY[b"swapdb"].acl_categories == ("keyspace", "write", "fast", "dangerous")
    assert REGISTRY[b"rename"].first_key == 1 and REGISTRY[b"rename"].last_key == 2
    assert set(REGISTRY[b"object"].subcommands) == {b"encoding", b"refcount", b"idletime", b"freq", b"help"}
