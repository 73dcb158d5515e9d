"""Hash commands against real Redis 7.0: replies, error texts, encodings, random and SCAN
replies, in RESP2 and RESP3.

``differ.check`` runs each command on both servers (RESP2, then RESP3 unless
``resp3=False``) and asserts identical wire replies, so state built by earlier checks is the
same on both sides. A listpack hash keeps insertion order on both servers, so its replies are
compared as they are; a hashtable hash's order is arbitrary in Redis, so those replies are
compared unordered. HRANDFIELD picks and HSCAN cursors differ by design: their shapes, sizes
and members are compared instead.
"""

from __future__ import annotations

import random

import pytest

from tests.support.rawconn import RawConnection, Reply, plain

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def encoding(differ, key: str) -> bytes:
    return differ.check("OBJECT", "ENCODING", key)


# -- declarations and arity ---------------------------------------------------------------------------


ARITY_CASES = [
    ("HSET",), ("HSET", "h"), ("HSET", "h", "f"), ("HSET", "h", "f", "v", "g"), ("HMSET", "h", "f"),
    ("HMSET", "h", "f", "v", "g"), ("HSETNX", "h", "f"), ("HSETNX", "h", "f", "v", "x"), ("HGET", "h"),
    ("HGET", "h", "f", "x"), ("HMGET", "h"), ("HDEL", "h"), ("HLEN",), ("HLEN", "h", "x"),
    ("HSTRLEN", "h"), ("HEXISTS", "h"), ("HKEYS",), ("HVALS", "h", "x"), ("HGETALL",),
    ("HINCRBY", "h", "f"), ("HINCRBYFLOAT", "h", "f", "1", "2"), ("HRANDFIELD",), ("HSCAN", "h"),
]


@pytest.mark.parametrize("args", ARITY_CASES)
def test_wrong_arity(differ, args):
    differ.check(*args)


# -- set and get --------------------------------------------------------------------------------------------


def test_hset_hget_family(differ):
    differ.check("HSET", "h", "f1", "v1", "f2", "v2")
    differ.check("HSET", "h", "f1", "x", "f3", "v3", "f3", "v4")
    differ.check("HMSET", "h", "f4", "", "f1", "y")
    differ.check("HSETNX", "h", "f1", "z")
    differ.check("HSETNX", "h", "f5", "z")
    differ.check("HSETNX", "new", "f", "v")
    for args in (
        ("HGET", "h", "f1"), ("HGET", "h", "nope"), ("HGET", "missing", "f"),
        ("HMGET", "h", "f1", "nope", "f4", "f1"), ("HMGET", "missing", "a", "b"),
        ("HLEN", "h"), ("HLEN", "missing"), ("HSTRLEN", "h", "f3"), ("HSTRLEN", "h", "f4"),
        ("HSTRLEN", "h", "nope"), ("HSTRLEN", "missing", "f"), ("HEXISTS", "h", "f4"),
        ("HEXISTS", "h", "nope"), ("HEXISTS", "missing", "f"),
        # listpack order is insertion order on both servers: compared as is
        ("HKEYS", "h"), ("HVALS", "h"), ("HGETALL", "h"),
        ("HKEYS", "missing"), ("HVALS", "missing"), ("HGETALL", "missing"),
        ("TYPE", "h"), ("OBJECT", "ENCODING", "h"),
    ):
        differ.check(*args)


def test_binary_fields_and_values(differ):
    fields = [b"", b"\x00", b"\xff\xfe", b"a b", b"\r\n", b"-1", b"1", b"01", b"1.5"]
    for i, field in enumerate(fields):
        differ.check("HSET", "bin", field, field * 3 + bytes([i]))
    differ.check("HGETALL", "bin")
    differ.check("HMGET", "bin", *fields)
    for field in fields:
        differ.check("HSTRLEN", "bin", field)


def test_hdel(differ):
    differ.check("HSET", "h", "a", "1", "b", "2", "c", "3")
    differ.check("HDEL", "h", "a", "a", "nope")
    differ.check("HDEL", "missing", "a")
    differ.check("HGETALL", "h")
    differ.check("HDEL", "h", "b", "c", "d")
    differ.check("EXISTS", "h")  # the last field gone: the key is gone
    differ.check("HSET", "h", "z", "1", "a", "2")
    differ.check("HGETALL", "h")  # re-created: a fresh listpack, new order


@pytest.mark.parametrize("command", [
    ("HSET", "s", "f", "v"), ("HMSET", "s", "f", "v"), ("HSETNX", "s", "f", "v"), ("HGET", "s", "f"),
    ("HMGET", "s", "f"), ("HDEL", "s", "f"), ("HLEN", "s"), ("HSTRLEN", "s", "f"), ("HEXISTS", "s", "f"),
    ("HKEYS", "s"), ("HVALS", "s"), ("HGETALL", "s"), ("HINCRBY", "s", "f", "1"),
    ("HINCRBYFLOAT", "s", "f", "1"), ("HRANDFIELD", "s"), ("HRANDFIELD", "s", "2"),
    ("HRANDFIELD", "s", "-2", "WITHVALUES"), ("HSCAN", "s", "0"),
])
def test_wrongtype(differ, command):
    differ.check("SET", "s", "x")
    assert str(differ.check(*command)) == WRONGTYPE
    differ.check("SADD", "s2", "m")
    differ.check(command[0], "s2", *command[2:])


def test_argument_errors_before_wrongtype(differ):
    differ.check("SET", "s", "x")
    for args in (
        ("HINCRBY", "s", "f", "x"), ("HINCRBYFLOAT", "s", "f", "x"), ("HINCRBYFLOAT", "s", "f", "inf"),
        ("HRANDFIELD", "s", "x"), ("HRANDFIELD", "s", "1", "bad"), ("HSCAN", "s", "x"),
        ("HSCAN", "s", "0", "COUNT", "0"), ("HSCAN", "missing", "0", "COUNT", "x"),
        ("HSCAN", "missing", "x"),
    ):
        differ.check(*args)


def test_hset_keeps_ttl(differ):
    differ.check("HSET", "h", "a", "1")
    differ.check("PEXPIREAT", "h", "4102444800000")
    differ.check("HSET", "h", "b", "2")
    differ.check("HDEL", "h", "a")
    differ.check("HINCRBY", "h", "c", "1")
    differ.check("PEXPIRETIME", "h")


def test_copy_rename_type(differ):
    differ.check("HSET", "h", "a", "1", "b", "2")
    differ.check("COPY", "h", "h2")
    differ.check("HSET", "h2", "c", "3")
    differ.check("HGETALL", "h")
    differ.check("HGETALL", "h2")
    differ.check("OBJECT", "ENCODING", "h2")
    differ.check("RENAME", "h2", "h3")
    differ.check("HGETALL", "h3")
    differ.check("TYPE", "h3")


def test_hgetall_inside_multi_is_a_snapshot(differ):
    differ.check("HSET", "h", "a", "1")

    def run(client):
        pipe = client.pipeline(transaction=True)
        pipe.execute_command("HGETALL", "h")
        pipe.execute_command("HSET", "h", "b", "2")
        pipe.execute_command("HKEYS", "h")
        pipe.execute_command("HDEL", "h", "a", "b")
        pipe.execute_command("HGETALL", "h")
        return pipe.execute()

    differ.both(run)


def test_watch_sees_hash_changes(differ):
    differ.check("HSET", "h", "a", "1")

    def run(client):
        import redis as redis_py

        port = client.connection_pool.connection_kwargs["port"]
        results = []
        for change in (("HSET", "h", "b", "2"), ("HSET", "h", "b", "2"), ("HDEL", "h", "zz"),
                       ("HINCRBY", "h", "n", "1"), ("HDEL", "h", "n")):
            watcher = redis_py.Redis(port=port, single_connection_client=True, driver_info=None)
            watcher.execute_command("WATCH", "h")
            client.execute_command(*change)
            watcher.execute_command("MULTI")
            watcher.execute_command("PING")
            results.append(watcher.execute_command("EXEC"))
            watcher.close()
        return results

    differ.both(run)


# -- HINCRBY, HINCRBYFLOAT ----------------------------------------------------------------------------------


def test_hincrby(differ):
    for args in (
        ("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "n", "-7"), ("HINCRBY", "h", "n", "0"),
        ("HINCRBY", "h", "big", "9223372036854775807"), ("HINCRBY", "h", "big", "1"),
        ("HINCRBY", "h", "small", "-9223372036854775808"), ("HINCRBY", "h", "small", "-1"),
        ("HINCRBY", "h", "small", "9223372036854775807"), ("HINCRBY", "h", "n", "x"),
        ("HINCRBY", "h", "n", "1.5"), ("HINCRBY", "h", "n", "9223372036854775808"),
        ("HINCRBY", "h", "n", " 1"), ("HINCRBY", "h", "n", "+1"), ("HINCRBY", "h", "n", "01"),
        ("HINCRBY", "newkey", "f", "-3"), ("HGETALL", "h"), ("HGETALL", "newkey"),
    ):
        differ.check(*args, resp3=False)


@pytest.mark.parametrize("stored", [b"abc", b"1.5", b" 1", b"1 ", b"+1", b"01", b"", b"-0", b"1e3",
                                    b"9223372036854775808"])
def test_hincrby_stored_value_not_integer(differ, stored):
    differ.check("HSET", "h", "f", stored)
    differ.check("HINCRBY", "h", "f", "1", resp3=False)
    differ.check("HGET", "h", "f")


INCRBYFLOAT_CASES = [
    (None, b"1"), (None, b"1.5"), (b"10.5", b"0.1"), (b"3", b"-3"), (b"1", b"1e3"), (b"0", b"-0"),
    (b"5", b"0x10"), (b"1.1", b"2.2"), (b"1e300", b"1e300"), (b"-1.5", b"1.5"),
    (b"9223372036854775807", b"1"), (b"1e-20", b"1"), (b"0.1", b"0.2"), (b"5.0e3", b"1"),
    (b"1e4900", b"1e4900"), (b"1e4932", b"1e4932"), (b"inf", b"1"), (b"-inf", b"1"), (b"nan", b"1"),
    (b"abc", b"1"), (b"1", b"abc"), (b"1", b"inf"), (b"1", b"-inf"), (b"1", b"nan"), (b"1", b""),
    (b"1", b" 1"), (b"1", b"1e9999"), (b" 1", b"1"), (b"1 ", b"1"), (b"", b"1"),
]


@pytest.mark.parametrize("stored,increment", INCRBYFLOAT_CASES)
def test_hincrbyfloat(differ, stored, increment):
    if stored is not None:
        differ.check("HSET", "h", "f", stored)
    differ.check("HINCRBYFLOAT", "h", "f", increment, resp3=False)
    differ.check("HGET", "h", "f")
    differ.check("EXISTS", "h")


def test_hincrbyfloat_random(differ):
    rng = random.Random(7)
    for i in range(150):
        start = rng.choice([b"%d" % rng.randint(-10**6, 10**6), b"%.6f" % rng.uniform(-1e4, 1e4),
                            b"%de%d" % (rng.randint(1, 99), rng.randint(-30, 30))])
        incr = rng.choice([b"%.3f" % rng.uniform(-100, 100), b"%d" % rng.randint(-50, 50),
                           b"%de-%d" % (rng.randint(1, 9), rng.randint(1, 25))])
        differ.check("HSET", "h", "f%d" % i, start)
        differ.check("HINCRBYFLOAT", "h", "f%d" % i, incr, resp3=False)


def test_hincrbyfloat_on_missing_key_with_bad_increment_creates_nothing(differ):
    for incr in ("x", "inf", "nan", "1e9999"):
        differ.check("HINCRBYFLOAT", "k", "f", incr)
        differ.check("EXISTS", "k")


# -- encodings ----------------------------------------------------------------------------------------------


def test_listpack_to_hashtable_by_entries(differ):
    fields = []
    for i in range(512):
        fields += [b"f%d" % i, b"v%d" % i]
    differ.check("HSET", "h", *fields)
    assert encoding(differ, "h") == b"listpack"
    differ.check("HGETALL", "h")  # 512 fields in insertion order on both servers
    differ.check("HSET", "h", "f0", "again")
    assert encoding(differ, "h") == b"listpack"
    differ.check("HSET", "h", "one-more", "x")
    assert encoding(differ, "h") == b"hashtable"
    differ.check("HDEL", "h", *[b"f%d" % i for i in range(500)])
    assert encoding(differ, "h") == b"hashtable"  # never converted back
    differ.check("HGETALL", "h", unordered="pairs")
    differ.check("HKEYS", "h", unordered=True)
    differ.check("HVALS", "h", unordered=True)


def test_listpack_to_hashtable_by_value_length(differ):
    differ.check("HSET", "a", "f", "x" * 64)
    assert encoding(differ, "a") == b"listpack"
    differ.check("HSET", "a", "f", "x" * 65)
    assert encoding(differ, "a") == b"hashtable"
    differ.check("HSET", "b", "g" * 65, "v")
    assert encoding(differ, "b") == b"hashtable"


def test_encoding_rules_with_small_limits(differ, setting):
    setting("hash-max-listpack-value", "10")
    setting("hash-max-listpack-entries", "3")
    steps = [
        ("HSET", "a", "f", "0123456789"), ("HSET", "a", "f", "01234567890"),  # update converts
        ("HSETNX", "c", "f", "0123456789a"), ("HSET", "d", "f", "v"),
        ("HSETNX", "d", "f", "0123456789a"),  # not inserted: no conversion
        ("HSET", "e", "f", "1"), ("HINCRBYFLOAT", "e", "f", "1.123456789"),  # long result
        ("HINCRBY", "e2", "f", "12345678901"), ("HINCRBY", "e3", "01234567890", "1"),
        ("HMGET", "g", "0123456789012"), ("HSET", "k", "a", "1", "b", "2", "c", "3"),
        ("HSET", "k", "a", "2"), ("HSET", "k2", "a", "1", "b", "2", "c", "3", "d", "4"),
        ("HSET", "k3", "a", "1", "b", "2", "a", "3", "c", "4"),
        ("HSET", "k4", "a", "1", "a", "2", "a", "3", "a", "4", "a", "5"),
        ("HSET", "k5", "a", "1", "b", "2", "c", "3"), ("HSETNX", "k5", "d", "4"),
        ("HSET", "k6", "a", "1", "b", "2", "c", "3"), ("HINCRBY", "k6", "d", "4"),
        ("HSET", "k7", "a", "1", "b", "2", "c", "3"), ("HINCRBYFLOAT", "k7", "d", "4"),
    ]
    for step in steps:
        differ.check(*step, resp3=False)
        if step[0] != "HMGET":
            encoding(differ, step[1])
    setting("hash-max-listpack-entries", "0")
    differ.check("HSET", "z", "a", "1")
    assert encoding(differ, "z") == b"hashtable"
    differ.check("HINCRBY", "z2", "a", "1")
    assert encoding(differ, "z2") == b"hashtable"


# -- HRANDFIELD -------------------------------------------------------------------------------------------


def _shape(reply: Reply):
    """The wire structure of a reply without its values: kinds and lengths."""
    if reply.kind in "*~%" and reply.value is not None:
        return (reply.kind, tuple(_shape(item) if isinstance(item, Reply) else (_shape(item[0]), _shape(item[1]))
                                  for item in reply.value))
    return reply.kind


def _flat(reply: Reply) -> list:
    out = []
    for item in reply.value:
        if item.kind == "*":
            out.extend(x.value for x in item.value)
        else:
            out.append(item.value)
    return out


def test_hrandfield_errors_and_empty(differ):
    differ.check("HSET", "h", "a", "1", "b", "2", "c", "3")
    for args in (
        ("HRANDFIELD", "missing"), ("HRANDFIELD", "missing", "3"), ("HRANDFIELD", "missing", "-3"),
        ("HRANDFIELD", "missing", "3", "WITHVALUES"), ("HRANDFIELD", "h", "0"),
        ("HRANDFIELD", "h", "0", "withvalues"), ("HRANDFIELD", "h", "x"), ("HRANDFIELD", "h", "1.0"),
        ("HRANDFIELD", "h", "1", "withvalue"), ("HRANDFIELD", "h", "1", "withvalues", "x"),
        ("HRANDFIELD", "h", "-9223372036854775808"), ("HRANDFIELD", "h", "9223372036854775808"),
        ("HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"),
        ("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "h", "4611686018427387903", "WITHVALUES", "x"),
        # count >= size: the whole hash, in its order
        ("HRANDFIELD", "h", "3"), ("HRANDFIELD", "h", "100"), ("HRANDFIELD", "h", "100", "WITHVALUES"),
    ):
        differ.check(*args)


@pytest.mark.parametrize("size", [1, 5, 40, 600])
@pytest.mark.parametrize("count", [1, 2, 4, 10, 39, 1000, -1, -3, -50])
@pytest.mark.parametrize("withvalues", [False, True])
def test_hrandfield_shapes_and_members(differ, size, count, withvalues):
    fields = []
    for i in range(size):
        fields += [b"f%d" % i, b"v%d" % i]
    differ.check("HSET", "h", *fields)
    args = ("HRANDFIELD", "h", str(count)) + (("WITHVALUES",) if withvalues else ())
    members = {b"f%d" % i: b"v%d" % i for i in range(size)}
    for protocol in (2, 3):
        ours, real = differ.raw(*args, protocol=protocol)
        assert _shape(ours) == _shape(real), (protocol, ours, real)
        flat = _flat(ours)
        if withvalues:
            pairs = list(zip(flat[::2], flat[1::2]))
            assert all(members[f] == v for f, v in pairs)
            picked = [f for f, _ in pairs]
        else:
            picked = flat
            assert all(f in members for f in picked)
        if count > 0:
            assert len(set(picked)) == len(picked) == min(count, size)


def test_hrandfield_single(differ):
    differ.check("HSET", "h", "only", "1")
    differ.check("HRANDFIELD", "h")
    differ.check("HRANDFIELD", "h", "-5", "WITHVALUES")
    differ.check("HSET", "h", "other", "2")
    for protocol in (2, 3):
        ours, real = differ.raw("HRANDFIELD", "h", protocol=protocol)
        assert ours.kind == real.kind == "$" and ours.value in (b"only", b"other")


def test_hrandfield_is_random(differ):
    fields = []
    for i in range(2000):
        fields += [b"f%d" % i, b"v"]
    differ.check("HSET", "h", *fields)
    client = differ.client("ours")
    seen = {client.execute_command("HRANDFIELD", "h") for _ in range(300)}
    assert len(seen) > 250
    picks = client.execute_command("HRANDFIELD", "h", "-3000")
    assert len(picks) == 3000 and len(set(picks)) > 1500


# -- HSCAN ---------------------------------------------------------------------------------------------


def test_hscan_listpack_whole(differ):
    differ.check("HSET", "h", "b", "1", "a", "2", "ab", "3", "x", "4")
    for args in (
        ("HSCAN", "h", "0"), ("HSCAN", "h", "77"), ("HSCAN", "h", "0", "COUNT", "1"),
        ("HSCAN", "h", "0", "MATCH", "a*"), ("HSCAN", "h", "0", "MATCH", "a*", "MATCH", "x"),
        ("HSCAN", "h", "0", "MATCH", "*"), ("HSCAN", "h", "-1"), ("HSCAN", "h", "18446744073709551615"),
        ("HSCAN", "h", "0", "COUNT", "0"), ("HSCAN", "h", "0", "COUNT", "-1"), ("HSCAN", "h", "0", "COUNT", "x"),
        ("HSCAN", "h", "0", "TYPE", "hash"), ("HSCAN", "h", "0", "NOVALUES"), ("HSCAN", "h", "0", "MATCH"),
        ("HSCAN", "h", "0", "foo", "bar"), ("HSCAN", "h", "18446744073709551616"), ("HSCAN", "h", "1x"),
        ("HSCAN", "h", " 1"), ("HSCAN", "h", "+5"), ("HSCAN", "missing", "0"),
        ("HSCAN", "missing", "0", "COUNT", "0"),
    ):
        differ.check(*args)


def _full_scan(port: int, command: str, key: str, *options) -> tuple[list, int]:
    """Every element a whole SCAN-style iteration returns (raw replies: redis-py reshapes
    HSCAN), and how many calls it took."""
    found = []
    calls = 0
    with RawConnection(port) as conn:
        cursor = b"0"
        while True:
            cursor, items = plain(conn.call(command, key, cursor, *options))
            found.extend(items)
            calls += 1
            if cursor == b"0":
                return found, calls
            assert calls < 100000


def port_of(differ, which: str) -> int:
    return differ.ours_port if which == "ours" else differ.real_port


@pytest.mark.parametrize("options", [(), ("COUNT", "7"), ("COUNT", "1000"), ("MATCH", "f1*"),
                                     ("MATCH", "*5", "COUNT", "3")])
def test_hscan_hashtable_full_iteration(differ, options):
    fields = []
    for i in range(1500):
        fields += [b"f%d" % i, b"v%d" % i]
    differ.check("HSET", "h", *fields)
    results = []
    for which in ("ours", "real"):
        found, calls = _full_scan(port_of(differ, which), "HSCAN", "h", *options)
        pairs = list(zip(found[::2], found[1::2]))
        assert all(v == b"v" + f[1:] for f, v in pairs)
        assert len(pairs) == len(set(pairs))  # a stable hash: no duplicates on either server
        results.append(sorted(pairs))
    assert results[0] == results[1]


def test_hscan_guarantee_under_churn(differ):
    """Fields present for the whole iteration are returned; HSET/HDEL between calls."""
    conn = RawConnection(differ.ours_port)
    stable = [b"s%d" % i for i in range(800)]
    conn.call("HSET", "h", *[x for f in stable for x in (f, b"1")])
    rng = random.Random(3)
    cursor = b"0"
    found = set()
    churn = 0
    while True:
        cursor, items = plain(conn.call("HSCAN", "h", cursor, "COUNT", "13"))
        found.update(items[::2])
        for _ in range(5):
            churn += 1
            conn.call("HSET", "h", b"c%d" % churn, b"x")
            conn.call("HDEL", "h", b"c%d" % rng.randint(1, churn))
        if cursor == b"0":
            break
    conn.close()
    assert set(stable) <= found


def test_lowered_entry_limit_converts_on_the_next_write(differ, setting):
    differ.check("HSET", "k", "a", "1", "b", "2", "c", "3", "d", "4")
    differ.check("HSET", "k2", "a", "1", "b", "2", "c", "3", "d", "4")
    differ.check("HSET", "k3", "a", "1", "b", "2", "c", "3", "d", "4")
    setting("hash-max-listpack-entries", "3")
    assert encoding(differ, "k") == b"listpack"  # nothing converts by itself
    differ.check("HSET", "k", "a", "9")  # an update checks the length too
    assert encoding(differ, "k") == b"hashtable"
    differ.check("HSETNX", "k2", "a", "9")  # nothing set: nothing checked
    assert encoding(differ, "k2") == b"listpack"
    differ.check("HDEL", "k2", "a")
    assert encoding(differ, "k2") == b"listpack"
    differ.check("HINCRBY", "k2", "b", "1", resp3=False)
    assert encoding(differ, "k2") == b"listpack"  # 3 fields left: within the limit
    differ.check("HINCRBYFLOAT", "k3", "b", "1", resp3=False)
    assert encoding(differ, "k3") == b"hashtable"


def test_dirty_counts(differ):
    """HSET counts every pair given (updates and repeats too), whatever path it takes."""
    from tests.differential.test_lists import compare_dirty

    compare_dirty(differ, [
        ("HSET", "dh", "f", "v"), ("HSET", "dh", "f", "v"), ("HSET", "dh", "f", "w"), ("HSET", "dh", "g", "v", "f", "v"),
        ("HMSET", "dh", "a", "1", "a", "2", "b", "3"), ("HSET", "dh", "f"), ("SET", "ds", "x"), ("HSET", "ds", "f", "v"),
        ("HSETNX", "dh", "f", "v"), ("HSETNX", "dh", "n", "v"), ("HDEL", "dh", "f", "g", "zz"),
    ])
