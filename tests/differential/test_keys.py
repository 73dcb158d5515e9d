"""Generic key commands against real Redis 7.0: replies, error texts, WATCH interplay, KEYS
glob sweep and the SCAN guarantee, in RESP2 and RESP3.

``differ.check`` runs each command on both servers (RESP2, then RESP3 unless ``resp3=False``)
and asserts identical wire replies, so state built by earlier checks is the same on both
sides. SCAN cursors and RANDOMKEY picks differ by design: those are compared as sets.
"""

from __future__ import annotations

import random
import time

import pytest
import redis

from tests.support.rawconn import ServerError

FAR = 4_102_444_800_000  # 2100-01-01 in unix ms: absolute expiries both servers agree on


def is_error(reply, text: str | None = None) -> bool:
    return isinstance(reply, ServerError) and (text is None or str(reply) == text)


# -- declarations and arity ------------------------------------------------------------------------------

KEY_COMMANDS = (
    "del", "unlink", "exists", "type", "rename", "renamenx", "copy", "move", "swapdb", "flushdb",
    "flushall", "keys", "scan", "randomkey", "dbsize", "touch", "expire", "pexpire", "expireat",
    "pexpireat", "expiretime", "pexpiretime", "ttl", "pttl", "persist",
    "object|encoding", "object|refcount", "object|idletime", "object|freq", "object|help",
)


@pytest.mark.parametrize("name", KEY_COMMANDS)
def test_command_info(differ, name):
    differ.check("COMMAND", "INFO", name)


def test_object_container_info(differ):
    for protocol in (2, 3):
        ours, real = differ.raw("COMMAND", "INFO", "object", protocol=protocol)
        ours_info, real_info = ours.value[0].value, real.value[0].value
        # The subcommand order is Redis's dict order: compare the subcommands as a set.
        assert ours_info[:-1] == real_info[:-1]
        assert sorted(map(repr, ours_info[-1].value)) == sorted(map(repr, real_info[-1].value))


ARITY_CASES = [
    ("DEL",), ("UNLINK",), ("EXISTS",), ("TYPE",), ("TYPE", "a", "b"), ("RENAME", "a"),
    ("RENAMENX", "a", "b", "c"), ("COPY", "a"), ("MOVE", "a"), ("SWAPDB", "0"), ("KEYS",),
    ("KEYS", "a", "b"), ("SCAN",), ("RANDOMKEY", "x"), ("DBSIZE", "x"), ("TOUCH",), ("OBJECT",),
    ("OBJECT", "ENCODING"), ("OBJECT", "ENCODING", "a", "b"), ("OBJECT", "HELP", "x"),
    ("OBJECT", "FOO"), ("OBJECT", "FOO", "a"), ("EXPIRE", "a"), ("PEXPIRE",), ("EXPIREAT", "a"),
    ("PEXPIREAT", "a"), ("TTL",), ("PTTL", "a", "b"), ("EXPIRETIME",), ("PEXPIRETIME", "a", "b"),
    ("PERSIST",), ("PERSIST", "a", "b"),
]


@pytest.mark.parametrize("args", ARITY_CASES, ids=lambda a: " ".join(a))
def test_wrong_arity_and_unknown_subcommand(differ, args):
    assert is_error(differ.check(*args))


# -- DEL, UNLINK, EXISTS, TOUCH, TYPE, DBSIZE, RANDOMKEY ---------------------------------------------------


def test_del_unlink_exists_touch_dbsize(differ):
    differ.check("MSET", "a", "1", "b", "2", "c", "3", "d", "4")
    differ.check("DBSIZE")
    differ.check("EXISTS", "a", "a", "b", "nope", "a")
    differ.check("TOUCH", "a", "a", "nope")
    differ.check("DEL", "a", "a", "nope", resp3=False)
    differ.check("UNLINK", "b", "c", "b", resp3=False)
    differ.check("EXISTS", "a", "b", "c", "d")
    differ.check("DEL", "nope")
    differ.check("DBSIZE")


def test_type(differ):
    differ.check("SET", "s", "v")
    differ.check("SET", "n", "12")
    differ.check("TYPE", "s")
    differ.check("TYPE", "n")
    differ.check("TYPE", "nope")


def test_randomkey(differ):
    differ.check("RANDOMKEY")
    differ.check("SET", "only", "v")
    differ.check("RANDOMKEY")
    keys = [f"k{i}" for i in range(50)]
    differ.check("MSET", *[x for k in keys for x in (k, "v")])
    for which in ("ours", "real"):
        client = differ.client(which)
        picks = {client.randomkey() for _ in range(500)}
        assert picks <= {k.encode() for k in keys} | {b"only"}
        assert len(picks) > 20


def test_randomkey_skips_expired(differ):
    differ.check("SET", "live", "v")
    for i in range(5):
        differ.check("SET", f"e{i}", "v", "PX", "1")
    time.sleep(0.05)
    for _ in range(5):
        differ.check("RANDOMKEY")


# -- RENAME, RENAMENX ------------------------------------------------------------------------------------------------


def test_rename(differ):
    differ.check("RENAME", "nope", "x")
    differ.check("RENAMENX", "nope", "x")
    differ.check("RENAME", "nope", "nope")
    differ.check("SET", "a", "1")
    differ.check("PEXPIREAT", "a", str(FAR))
    differ.check("RENAME", "a", "a")
    differ.check("RENAMENX", "a", "a")
    differ.check("SET", "b", "2")
    differ.check("PEXPIREAT", "b", str(FAR + 5))
    differ.check("RENAME", "a", "b", resp3=False)
    differ.check("GET", "b")
    differ.check("PEXPIRETIME", "b")  # the source's TTL came along
    differ.check("EXISTS", "a")
    differ.check("SET", "c", "3")
    differ.check("RENAMENX", "b", "c")
    differ.check("RENAMENX", "b", "d", resp3=False)
    differ.check("PEXPIRETIME", "d")
    differ.check("RENAME", "c", "d", resp3=False)  # overwrites d, and c had no TTL
    differ.check("PEXPIRETIME", "d")
    differ.check("MGET", "b", "c", "d")


# -- COPY ----------------------------------------------------------------------------------------------------------------


def test_copy(differ):
    differ.check("SET", "k", "v")
    differ.check("PEXPIREAT", "k", str(FAR))
    differ.check("COPY", "nope", "x")
    differ.check("COPY", "k", "k2", resp3=False)
    differ.check("PEXPIRETIME", "k2")
    differ.check("COPY", "k", "k2")
    differ.check("SET", "k", "new")
    differ.check("COPY", "k", "k2", "REPLACE")
    differ.check("GET", "k2")
    differ.check("PEXPIRETIME", "k2")
    differ.check("COPY", "k", "k", "DB", "1")
    differ.check("COPY", "k", "k2", "replace", "replace", "db", "2")
    differ.check("SELECT", "1")
    differ.check("GET", "k")
    differ.check("SELECT", "2")
    differ.check("GET", "k2")
    differ.check("SELECT", "0")


@pytest.mark.parametrize("args", [
    ("COPY", "k", "k"), ("COPY", "k", "k", "DB", "0"), ("COPY", "k", "x", "DB"), ("COPY", "k", "x", "FOO"),
    ("COPY", "k", "x", "DB", "x"), ("COPY", "k", "x", "DB", "99"), ("COPY", "k", "x", "DB", "-1"),
    ("COPY", "k", "x", "DB", "4294967296"), ("COPY", "k", "x", "DB", "1", "FOO"),
    ("COPY", "nope", "nope"),
], ids=lambda a: " ".join(a))
def test_copy_errors(differ, args):
    differ.check("SET", "k", "v")
    assert is_error(differ.check(*args))


# -- MOVE --------------------------------------------------------------------------------------------------------------------


def test_move(differ):
    differ.check("SET", "k", "v")
    differ.check("PEXPIREAT", "k", str(FAR))
    differ.check("MOVE", "nope", "1")
    differ.check("MOVE", "k", "1", resp3=False)
    differ.check("EXISTS", "k")
    differ.check("SELECT", "1")
    differ.check("GET", "k")
    differ.check("PEXPIRETIME", "k")  # the TTL moved with the key
    differ.check("SELECT", "0")
    differ.check("SET", "k", "again")
    differ.check("MOVE", "k", "1")  # already in the target
    differ.check("GET", "k")


@pytest.mark.parametrize("target", ["0", "16", "-1", "abc", " 1", "1.0", "4294967296", "-4294967296"])
def test_move_errors(differ, target):
    differ.check("SET", "k", "v")
    assert is_error(differ.check("MOVE", "k", target))


# -- SWAPDB, FLUSHDB, FLUSHALL -------------------------------------------------------------------------------------------


def test_swapdb(differ):
    differ.check("SET", "a", "in0")
    differ.check("PEXPIREAT", "a", str(FAR))
    differ.check("SELECT", "1")
    differ.check("SET", "b", "in1")
    differ.check("SWAPDB", "0", "1", resp3=False)
    differ.check("MGET", "a", "b")  # this connection stays on db 1, which now has db 0's keys
    differ.check("PEXPIRETIME", "a")
    differ.check("SELECT", "0")
    differ.check("MGET", "a", "b")
    differ.check("SWAPDB", "3", "3")


@pytest.mark.parametrize("args", [
    ("SWAPDB", "a", "0"), ("SWAPDB", "0", "a"), ("SWAPDB", "0", "99"), ("SWAPDB", "99", "a"),
    ("SWAPDB", "-1", "0"), ("SWAPDB", "4294967296", "0"), ("SWAPDB", "0", "4294967296"), ("SWAPDB", "", "0"),
], ids=lambda a: " ".join(a))
def test_swapdb_errors(differ, args):
    assert is_error(differ.check(*args))


def test_flushdb_flushall(differ):
    differ.check("SET", "a", "1")
    differ.check("SELECT", "1")
    differ.check("SET", "b", "1")
    differ.check("FLUSHDB")
    differ.check("DBSIZE")
    differ.check("SELECT", "0")
    differ.check("DBSIZE")
    differ.check("FLUSHDB", "ASYNC")
    differ.check("SET", "a", "1")
    differ.check("FLUSHALL", "sync")
    differ.check("DBSIZE")


@pytest.mark.parametrize("args", [
    ("FLUSHDB", "foo"), ("FLUSHDB", "async", "sync"), ("FLUSHALL", "x"), ("FLUSHALL", "async", "async"),
], ids=lambda a: " ".join(a))
def test_flush_errors(differ, args):
    assert is_error(differ.check(*args), "ERR syntax error")


def _watch_then(setup, action, watched="k"):
    """WATCH ``watched`` on connection a (db 0), run ``action`` on connection b, then EXEC on a."""

    def fn(a, b):
        for cmd in setup:
            b.execute_command(*cmd)
        a.execute_command("WATCH", watched)
        for cmd in action:
            b.execute_command(*cmd)
        a.execute_command("MULTI")
        a.execute_command("PING")
        return a.execute_command("EXEC")

    return fn


@pytest.mark.parametrize("setup,action", [
    ([("SET", "k", "v")], [("SWAPDB", "0", "1")]),  # leaves db 0
    ([("SELECT", "1"), ("SET", "k", "v")], [("SWAPDB", "0", "1")]),  # arrives in db 0
    ([("SELECT", "1"), ("SET", "other", "v")], [("SWAPDB", "0", "1")]),  # in neither: no change
    ([("SET", "k", "v")], [("SWAPDB", "1", "0")]),
    ([("SET", "k", "v")], [("SWAPDB", "0", "0")]),
    ([("SET", "other", "v")], [("SWAPDB", "0", "0")]),
    ([("SELECT", "2"), ("SET", "k", "v")], [("SWAPDB", "1", "2")]),  # other dbs only
    ([("SET", "k", "v")], [("FLUSHDB",)]),
    ([("SET", "other", "v")], [("FLUSHDB",)]),  # the watched key did not exist
    ([("SET", "k", "v")], [("FLUSHALL",)]),
    ([("SELECT", "1"), ("SET", "k", "v")], [("FLUSHDB",)]),  # another db flushed
    ([("SET", "k", "v")], [("MOVE", "k", "1")]),
    ([("SELECT", "1"), ("SET", "k", "v")], [("MOVE", "k", "0")]),
    ([("SET", "src", "v")], [("RENAME", "src", "k")]),
    ([("SET", "k", "v")], [("RENAME", "k", "other")]),
    ([("SET", "src", "v")], [("COPY", "src", "k")]),
    ([("SET", "k", "v")], [("EXPIRE", "k", "100")]),
    ([("SET", "k", "v")], [("EXPIRE", "k", "-1")]),
    ([("SET", "k", "v")], [("EXPIRE", "k", "100", "XX")]),  # not applied: no change
    ([("SET", "k", "v", "EX", "100")], [("PERSIST", "k")]),
    ([("SET", "k", "v")], [("PERSIST", "k")]),
    ([("SET", "k", "v")], [("TOUCH", "k"), ("OBJECT", "ENCODING", "k"), ("EXISTS", "k"), ("TYPE", "k")]),
    ([("SET", "k", "v")], [("DEL", "k")]),
    ([], [("DEL", "k")]),
], ids=lambda steps: ";".join(" ".join(map(str, c)) for c in steps))
def test_watch_invalidation(differ, setup, action):
    differ.fresh(_watch_then(setup, action))


# -- KEYS ------------------------------------------------------------------------------------------------------------------------

KEY_NAMES = ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "h[a]llo", "h\\llo", "a", "",
             "foo:bar", "foo:baz:1", "UPPER", "x-y", "]", "[", "^", "-", "*", "?", "\\"]

KEYS_PATTERNS = [
    "*", "**", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo", "h\\*llo", "h\\?llo",
    "h[\\]]llo", "*o", "foo:*", "foo:*:*", "*:*", "?", "[", "[^", "[]", "[]]", "[\\", "\\", "\\\\", "[*]", "[?]",
    "[-]", "[a-]", "[^-]", "upper", "U*", "", "h[", "h[a", "*[", "x[-]y", "[^a-z]*", "nomatch*",
]


@pytest.mark.parametrize("pattern", KEYS_PATTERNS)
def test_keys_patterns(differ, pattern):
    differ.check("MSET", *[x for k in KEY_NAMES for x in (k, "v")], resp3=False)
    differ.check("KEYS", pattern, unordered=True)


def test_keys_glob_sweep(differ):
    rnd = random.Random(2024)
    alphabet = "ab*?[]^-\\A"
    for _round in range(8):
        differ.check("FLUSHALL", resp3=False)
        keys = {"".join(rnd.choice("abA-]^\\*?[") for _ in range(rnd.randint(0, 5))) for _ in range(40)}
        differ.check("MSET", *[x for k in keys for x in (k, "v")], resp3=False)
        for _ in range(40):
            pattern = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 6)))
            differ.check("KEYS", pattern, unordered=True, resp3=False)


def test_keys_skips_expired(differ):
    differ.check("SET", "live", "v")
    differ.check("SET", "gone", "v", "PX", "1")
    time.sleep(0.05)
    differ.check("KEYS", "*", unordered=True)
    differ.check("KEYS", "g*", unordered=True)


def test_keys_star_nesting_limit(differ):
    differ.check("SET", "a" * 1200, "v")
    differ.check("KEYS", "*a" * 1000)
    differ.check("KEYS", "*a" * 1001)


# -- SCAN ------------------------------------------------------------------------------------------------------------------------


def scan_all(client: redis.Redis, *options) -> list[bytes]:
    cursor = b"0"
    seen: list[bytes] = []
    for _ in range(100_000):
        cursor, found = client.execute_command("SCAN", cursor, *options)
        seen.extend(found)
        if cursor in (0, b"0"):
            return seen
    raise AssertionError("SCAN did not finish")


@pytest.mark.parametrize("args", [
    ("SCAN", "abc"), ("SCAN", " 1"), ("SCAN", "18446744073709551616"), ("SCAN", "1.5"), ("SCAN", "+"),
    ("SCAN", "0", "COUNT", "0"), ("SCAN", "0", "COUNT", "-1"), ("SCAN", "0", "COUNT", "x"),
    ("SCAN", "0", "COUNT"), ("SCAN", "0", "MATCH"), ("SCAN", "0", "TYPE"), ("SCAN", "0", "FOO", "bar"),
    ("SCAN", "0", "COUNT", "10", "FOO"), ("SCAN", "abc", "FOO"),
], ids=lambda a: " ".join(a))
def test_scan_errors(differ, args):
    assert is_error(differ.check(*args))


@pytest.mark.parametrize("cursor", ["", "+0", "-0", "0"])
def test_scan_cursor_zero_spellings_small_db(differ, cursor):
    differ.check("MSET", "a", "1", "b", "2", "c", "3")
    differ.fresh(lambda a, b: (lambda r: (r[0], sorted(r[1])))(a.execute_command("SCAN", cursor)))


@pytest.mark.parametrize("options", [
    (), ("COUNT", "1"), ("COUNT", "7"), ("COUNT", "1000"), ("MATCH", "user:*"), ("MATCH", "*"),
    ("MATCH", "user:1?"), ("TYPE", "string"), ("TYPE", "STRING"), ("TYPE", "list"), ("TYPE", "nosuch"),
    ("MATCH", "item:*", "COUNT", "3", "TYPE", "string"), ("COUNT", "1", "COUNT", "50"),
    ("MATCH", "nomatch", "MATCH", "item:1*"),
], ids=lambda a: " ".join(a) or "plain")
def test_scan_full_iteration(differ, options):
    differ.check("MSET", *[x for i in range(200) for x in (f"user:{i}", "v", f"item:{i}", "v")], resp3=False)
    result = differ.fresh(lambda a, b: sorted(set(scan_all(a, *options))))
    assert result is not None


def test_scan_count_is_a_hint_for_the_reply_size(differ):
    differ.check("MSET", *[x for i in range(500) for x in (f"k{i}", "v")], resp3=False)
    for which in ("ours", "real"):
        cursor, found = differ.client(which).execute_command("SCAN", "0", "COUNT", "20")
        assert cursor != b"0" and 5 <= len(found) <= 40


def test_scan_skips_and_deletes_expired(differ):
    differ.check("MSET", "a", "1", "b", "2")
    differ.check("SET", "gone", "v", "PX", "1")
    time.sleep(0.05)
    differ.fresh(lambda a, b: sorted(scan_all(a)))
    differ.check("DBSIZE")  # SCAN deleted the expired key it met


def test_scan_guarantee_with_keys_added_and_removed(differ):
    """Keys present for the whole iteration are returned, whatever happens between calls."""

    def run(a, b):
        rnd = random.Random(11)
        stable = [f"stable:{i}" for i in range(400)]
        volatile = [f"vol:{i}" for i in range(400)]
        b.mset({k: "v" for k in stable + volatile})
        seen: set[bytes] = set()
        cursor = b"0"
        created = 0
        for _ in range(100_000):
            cursor, found = a.execute_command("SCAN", cursor, "COUNT", "5")
            seen.update(found)
            if cursor in (0, b"0"):
                break
            pipe = b.pipeline(transaction=False)
            for _ in range(rnd.randint(0, 12)):
                roll = rnd.random()
                if roll < 0.4:
                    created += 1
                    pipe.set(f"new:{created}", "v")
                elif roll < 0.7:
                    pipe.delete(rnd.choice(volatile))
                elif roll < 0.85:
                    key = rnd.choice(volatile)
                    pipe.delete(key)
                    pipe.set(key, "again")
                else:
                    pipe.set(rnd.choice(stable), "overwritten")
            pipe.execute()
        else:
            raise AssertionError("SCAN did not finish")
        missing = {k.encode() for k in stable} - seen
        assert not missing, f"{len(missing)} stable keys never returned"
        return True

    differ.fresh(run)


def test_scan_concurrent_iterations(differ):
    differ.check("MSET", *[x for i in range(300) for x in (f"k{i}", "v")], resp3=False)

    def run(a, b):
        cursors = [b"0", b"0", b"0"]
        seen = [set(), set(), set()]
        done = [False] * 3
        while not all(done):
            for i in range(3):
                if done[i]:
                    continue
                cursors[i], found = (a if i % 2 else b).execute_command("SCAN", cursors[i], "COUNT", str(3 + i))
                seen[i].update(found)
                done[i] = cursors[i] in (0, b"0")
        return [len(s) for s in seen]

    assert differ.fresh(run) == [300, 300, 300]


# -- OBJECT ------------------------------------------------------------------------------------------------------------------------

ENCODING_VALUES = [
    "0", "1", "-1", "9999", "10000", "-0", "01", "+1", " 1", "1 ", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "12345678901234567890",
    "1234567890123456789", "a" * 44, "a" * 45, "", "1.5", "0x10", "00", "-", "1" * 21, "1" * 44, "1" * 45,
]


@pytest.mark.parametrize("value", ENCODING_VALUES)
def test_object_encoding_and_refcount_of_strings(differ, value):
    differ.check("SET", "s", value)
    differ.check("OBJECT", "ENCODING", "s")
    differ.check("OBJECT", "REFCOUNT", "s")


def test_object_encoding_of_computed_strings(differ):
    differ.check("SET", "n", "1")
    differ.check("INCR", "n")
    differ.check("OBJECT", "ENCODING", "n")
    differ.check("OBJECT", "REFCOUNT", "n")
    differ.check("SET", "big", "20000")
    differ.check("INCRBY", "big", "1")
    differ.check("OBJECT", "ENCODING", "big")
    differ.check("OBJECT", "REFCOUNT", "big")
    differ.check("SETEX", "e", "100", "12")
    differ.check("OBJECT", "ENCODING", "e")


def test_object_missing_keys_and_help(differ):
    for sub in ("ENCODING", "REFCOUNT", "IDLETIME", "FREQ"):
        differ.check("OBJECT", sub, "nope")
    differ.check("OBJECT", "HELP")
    differ.check("OBJECT", "help")
    differ.check("SET", "k", "v")
    differ.check("OBJECT", "IDLETIME", "k")
    differ.check("OBJECT", "FREQ", "k")


@pytest.fixture
def policy(differ):
    """Set maxmemory-policy / maxmemory on both servers for one test, restored afterwards."""
    clients = [differ.client("ours"), differ.client("real")]

    def apply(name: str, maxmemory: str = "0") -> None:
        for client in clients:
            client.config_set("maxmemory-policy", name)
            client.config_set("maxmemory", maxmemory)

    yield apply
    apply("noeviction")
    # Our node applies the policy to its access stamps when OBJECT IDLETIME/FREQ runs (see
    # test_lfu_policy_applies_on_config_set): make sure later tests see LRU stamps again.
    differ.client("ours").execute_command("OBJECT", "FREQ", "nope")


def test_object_under_lfu(differ, policy):
    policy("allkeys-lfu")
    # Any OBJECT IDLETIME/FREQ makes our node apply the policy to its access stamps; without
    # it, CONFIG SET alone does not (see test_lfu_policy_applies_on_config_set).
    differ.check("OBJECT", "FREQ", "nope")
    differ.check("SET", "m", "v", resp3=False)
    differ.check("OBJECT", "FREQ", "m")  # a new key starts at LFU_INIT_VAL (5)
    differ.check("GET", "m", resp3=False)
    differ.check("OBJECT", "FREQ", "m")  # the first hit always counts (6)
    differ.check("SET", "m", "w", resp3=False)  # an overwrite is a lookup: 1/11 chance of 7
    differ.both(lambda c: c.execute_command("OBJECT", "FREQ", "m") in (6, 7))
    differ.check("OBJECT", "IDLETIME", "m")
    differ.check("OBJECT", "IDLETIME", "nope")


def test_object_refcount_without_shared_integers(differ, policy):
    policy("allkeys-lru", "100mb")
    differ.check("SET", "s", "5")
    differ.check("OBJECT", "REFCOUNT", "s")
    differ.check("OBJECT", "ENCODING", "s")
    policy("noeviction", "100mb")
    differ.check("SET", "s", "5")
    differ.check("OBJECT", "REFCOUNT", "s")


def test_lfu_policy_applies_on_config_set(differ, policy):
    policy("allkeys-lfu")
    differ.check("SET", "m", "v", resp3=False)
    differ.check("OBJECT", "FREQ", "m")


def test_expired_destinations_count_as_missing(differ):
    differ.check("MSET", "src", "v", "src2", "v", "src3", "v")
    differ.check("SET", "dst", "old", "PX", "1")
    differ.check("SET", "dst2", "old", "PX", "1")
    differ.check("SELECT", "1")
    differ.check("SET", "src3", "old", "PX", "1")
    differ.check("SELECT", "0")
    time.sleep(0.05)
    differ.check("RENAMENX", "src", "dst", resp3=False)
    differ.check("COPY", "src2", "dst2", resp3=False)
    differ.check("MOVE", "src3", "1", resp3=False)
    differ.check("MGET", "src", "dst", "src2", "dst2", "src3")
    differ.check("SELECT", "1")
    differ.check("GET", "src3")
    differ.check("TTL", "src3")


# Writes Redis looks up with lookupKeyRead (counted) or lookupKeyWrite (not counted), and
# the no-touch reads (EXISTS, TYPE, TTL...: counted, no access).
LOOKUP_STATS_CASES = [
    ("SET", "s", "1"), ("SADD", "set1", "a"), ("ZADD", "z1", "1", "m"),
    ("GETDEL", "nosuch"), ("GETDEL", "s"), ("SET", "s", "1"), ("GETEX", "s"), ("GETEX", "nosuch"),
    ("COPY", "s", "c1"), ("COPY", "nosuch", "c2"), ("SUNIONSTORE", "d", "set1", "nosuch"),
    ("ZUNIONSTORE", "dz", "2", "z1", "nosuch"), ("BITOP", "AND", "b", "s", "nosuch"),
    ("SORT", "set1", "ALPHA", "STORE", "so"), ("PFMERGE", "hll", "nosuch"),
    ("EXISTS", "s", "nosuch"), ("TYPE", "s"), ("TYPE", "nosuch"), ("TTL", "s"), ("PTTL", "nosuch"),
    ("EXPIRETIME", "s"), ("PEXPIRETIME", "nosuch"),
    ("INCR", "n"), ("APPEND", "s", "x"), ("LPUSH", "l", "x"), ("RPOPLPUSH", "nosuch", "l"),
    ("SMOVE", "set1", "set2", "a"), ("DEL", "nosuch"), ("RENAME", "s", "s2"),
]


def test_lookup_stats_of_writes_and_notouch_reads(differ):
    """INFO keyspace_hits/misses per command: the read lookups of GETDEL, COPY, the *STORE
    sources... count; write lookups do not; EXISTS/TYPE/TTL count without touching."""

    def run(client, _other):
        client.flushall()
        out = []
        for cmd in LOOKUP_STATS_CASES:
            before = client.info("stats")
            try:
                client.execute_command(*cmd)
            except redis.ResponseError:
                pass
            after = client.info("stats")
            out.append((cmd, after["keyspace_hits"] - before["keyspace_hits"],
                        after["keyspace_misses"] - before["keyspace_misses"]))
        return out

    differ.fresh(run)
