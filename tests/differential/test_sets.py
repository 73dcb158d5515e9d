"""Set commands against real Redis 7.0: replies, error texts, intset/hashtable encodings,
random and SCAN replies, in RESP2 and RESP3.

Redis returns an intset's members sorted numerically and a hashtable's in arbitrary order:
replies about intsets are compared exactly, replies about hashtables unordered. SPOP and
SRANDMEMBER picks and SSCAN cursors differ by design: their shapes, sizes and members are
compared instead.
"""

from __future__ import annotations

import random

import pytest

from tests.support.rawconn import RawConnection, Reply, plain

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def encoding(differ, key: str) -> bytes:
    return differ.check("OBJECT", "ENCODING", key)


def port_of(differ, which: str) -> int:
    return differ.ours_port if which == "ours" else differ.real_port


# -- declarations and arity ---------------------------------------------------------------------------


def test_getkeys(differ):
    for args in (("SINTERCARD", "2", "a", "b", "LIMIT", "1"), ("SMOVE", "a", "b", "m"),
                 ("SINTERSTORE", "d", "a", "b"), ("SDIFFSTORE", "d", "a"), ("SUNION", "a", "b", "c")):
        differ.check("COMMAND", "GETKEYS", *args)
        differ.check("COMMAND", "GETKEYSANDFLAGS", *args)


ARITY_CASES = [
    ("SADD", "s"), ("SREM", "s"), ("SMEMBERS",), ("SMEMBERS", "s", "x"), ("SISMEMBER", "s"),
    ("SISMEMBER", "s", "a", "b"), ("SMISMEMBER", "s"), ("SCARD",), ("SPOP",), ("SRANDMEMBER",),
    ("SMOVE", "a", "b"), ("SINTER",), ("SINTERCARD", "1"), ("SINTERSTORE", "d"), ("SUNION",),
    ("SUNIONSTORE", "d"), ("SDIFF",), ("SDIFFSTORE", "d"), ("SSCAN", "s"),
]


@pytest.mark.parametrize("args", ARITY_CASES)
def test_wrong_arity(differ, args):
    differ.check(*args)


# -- basics -------------------------------------------------------------------------------------------------


def test_sadd_srem_smembers_intset(differ):
    differ.check("SADD", "i", "3", "1", "2", "-5", "3")
    for args in (
        ("SMEMBERS", "i"), ("OBJECT", "ENCODING", "i"), ("SCARD", "i"), ("SISMEMBER", "i", "1"),
        ("SISMEMBER", "i", "01"), ("SISMEMBER", "i", "x"), ("SMISMEMBER", "i", "1", "7", "-5", "1"),
        ("SMISMEMBER", "missing", "a", "b"), ("SISMEMBER", "missing", "a"), ("SCARD", "missing"),
        ("SMEMBERS", "missing"), ("SREM", "i", "1", "01", "x", "1"), ("SREM", "missing", "a"),
        ("SMEMBERS", "i"), ("TYPE", "i"),
    ):
        differ.check(*args)
    differ.check("SREM", "i", "2", "3", "-5")
    differ.check("EXISTS", "i")


def test_sadd_hashtable(differ):
    differ.check("SADD", "h", "a", "b", "1", "b")
    differ.check("SMEMBERS", "h", unordered=True)
    differ.check("SCARD", "h")
    differ.check("SISMEMBER", "h", "1")
    differ.check("SREM", "h", "a")
    differ.check("SREM", "h", "b")
    encoding(differ, "h")  # a hashtable holding only integers stays a hashtable
    differ.check("SMEMBERS", "h")
    differ.check("SADD", "h", "2")
    differ.check("SMEMBERS", "h", unordered=True)


def test_binary_members(differ):
    members = [b"", b"\x00", b"\xff", b"a b", b"\r\n", b"-0", b"+1", b" 1", b"1.0", b"9223372036854775808"]
    differ.check("SADD", "b", *members)
    differ.check("SMEMBERS", "b", unordered=True)
    differ.check("SMISMEMBER", "b", *members, "nope")
    differ.check("SREM", "b", *members[:5])
    differ.check("SMEMBERS", "b", unordered=True)


INTSET_MEMBERS = [
    ("1",), ("0",), ("-1",), ("007",), ("-0",), ("+1",), (" 1",), ("1 ",), ("1.0",), ("0x10",),
    ("9223372036854775807",), ("-9223372036854775808",), ("9223372036854775808",),
    ("-9223372036854775809",), ("12345678901234567890",), ("",), ("1", "a"), ("a", "1"),
    ("5", "3", "-100", "70000", "-2147483649", "4294967296"),
]


@pytest.mark.parametrize("members", INTSET_MEMBERS)
def test_intset_members(differ, members):
    differ.check("SADD", "s", *members)
    encoding(differ, "s")
    differ.check("SMEMBERS", "s", unordered=True)
    differ.check("SADD", "s", "42")
    encoding(differ, "s")


def test_intset_limit(differ):
    differ.check("SADD", "s", *[str(i) for i in range(0, 1024, 2)])  # 512 members
    assert encoding(differ, "s") == b"intset"
    differ.check("SMEMBERS", "s")  # sorted on both servers
    differ.check("SADD", "s", "1")
    assert encoding(differ, "s") == b"hashtable"
    differ.check("SREM", "s", *[str(i) for i in range(0, 1024, 2)])
    assert encoding(differ, "s") == b"hashtable"  # never converted back
    differ.check("SMEMBERS", "s")


def test_intset_limit_from_config(differ, setting):
    setting("set-max-intset-entries", "3")
    differ.check("SADD", "e", "1")
    differ.check("SADD", "e", "2", "3")
    assert encoding(differ, "e") == b"intset"
    differ.check("SADD", "e", "4")
    assert encoding(differ, "e") == b"hashtable"
    differ.check("SADD", "f", "1", "2", "3", "4")
    assert encoding(differ, "f") == b"hashtable"
    differ.check("SADD", "g", "1", "1", "1", "2")
    assert encoding(differ, "g") == b"intset"
    differ.check("SMOVE", "g", "m", "1")
    assert encoding(differ, "m") == b"intset"
    setting("set-max-intset-entries", "0")
    differ.check("SADD", "z", "1")
    assert encoding(differ, "z") == b"hashtable"
    differ.check("SMOVE", "g", "m2", "2")
    assert encoding(differ, "m2") == b"hashtable"
    differ.check("SUNIONSTORE", "u", "g")


@pytest.mark.parametrize("command", [
    ("SADD", "s", "a"), ("SREM", "s", "a"), ("SMEMBERS", "s"), ("SISMEMBER", "s", "a"),
    ("SMISMEMBER", "s", "a"), ("SCARD", "s"), ("SPOP", "s"), ("SPOP", "s", "2"), ("SRANDMEMBER", "s"),
    ("SRANDMEMBER", "s", "-2"), ("SMOVE", "s", "set", "a"), ("SMOVE", "set", "s", "a"),
    ("SINTER", "set", "s"), ("SINTER", "missing", "s"), ("SINTER", "s", "missing"),
    ("SINTERCARD", "2", "missing", "s"), ("SINTERSTORE", "d", "missing", "s"), ("SUNION", "set", "s"),
    ("SUNIONSTORE", "d", "missing", "s"), ("SDIFF", "missing", "s"), ("SDIFF", "set", "s"),
    ("SDIFFSTORE", "d", "s"), ("SSCAN", "s", "0"),
])
def test_wrongtype(differ, command):
    differ.check("SET", "s", "x")
    differ.check("SADD", "set", "a", "b")
    differ.check("SET", "d", "keep")
    assert str(differ.check(*command, resp3=False)) == WRONGTYPE
    differ.check("GET", "d")  # a failed STORE leaves the destination alone


# -- SMOVE ------------------------------------------------------------------------------------------------


def test_smove(differ):
    differ.check("SADD", "a", "1", "2", "x")
    differ.check("SADD", "b", "2")
    for args in (
        ("SMOVE", "a", "b", "1"), ("SMOVE", "a", "b", "2"), ("SMOVE", "a", "b", "nope"),
        ("SMOVE", "missing", "b", "1"), ("SMOVE", "a", "a", "x"), ("SMOVE", "a", "a", "nope"),
        ("SMOVE", "a", "c", "x"), ("SMOVE", "missing", "missing", "x"),
    ):
        differ.check(*args, resp3=False)
    for key in ("a", "b", "c"):
        differ.check("EXISTS", key)
        differ.check("SMEMBERS", key)
    encoding(differ, "b")
    encoding(differ, "c")
    differ.check("SMOVE", "b", "c", "2")  # an integer into a hashtable
    encoding(differ, "c")
    differ.check("SMEMBERS", "c", unordered=True)


def test_smove_into_intset(differ):
    differ.check("SADD", "src", "5", "a")
    differ.check("SADD", "dst", "1", "2")
    differ.check("SMOVE", "src", "dst", "5")
    assert encoding(differ, "dst") == b"intset"
    differ.check("SMEMBERS", "dst")
    differ.check("SMOVE", "src", "dst", "a")
    assert encoding(differ, "dst") == b"hashtable"
    differ.check("EXISTS", "src")


def test_smove_keeps_ttl_of_both(differ):
    differ.check("SADD", "a", "1", "2")
    differ.check("SADD", "b", "3")
    differ.check("PEXPIREAT", "a", "4102444800000")
    differ.check("PEXPIREAT", "b", "4102444800001")
    differ.check("SMOVE", "a", "b", "1")
    differ.check("PEXPIRETIME", "a")
    differ.check("PEXPIRETIME", "b")


# -- SINTER, SINTERCARD, SUNION, SDIFF ------------------------------------------------------------------------


@pytest.fixture
def some_sets(differ):
    differ.check("SADD", "i1", "1", "2", "3", "4", "5")
    differ.check("SADD", "i2", "3", "4", "5", "6")
    differ.check("SADD", "i3", "5", "4", "100")
    differ.check("SADD", "h1", "a", "b", "c", "3", "4")
    differ.check("SADD", "h2", "b", "c", "d", "4")
    differ.check("SADD", "hi", "x", "1", "2", "3")
    differ.check("SREM", "hi", "x")  # a hashtable holding only integers


SETOP_CASES = [
    ("i1",), ("i1", "i2"), ("i1", "i2", "i3"), ("i3", "i2", "i1"), ("i1", "missing"), ("missing", "i1"),
    ("missing",), ("h1", "h2"), ("h1", "i1"), ("i1", "h1"), ("h2", "h1", "i2"), ("i1", "i1"),
    ("h1", "h1"), ("hi",), ("hi", "i1"), ("i1", "hi"), ("hi", "h1"), ("i1", "missing", "i1"),
    ("h1", "h2", "missing", "i1", "i2", "i3"),
]


@pytest.mark.parametrize("keys", SETOP_CASES)
def test_set_operations(differ, some_sets, keys):
    for command in ("SINTER", "SUNION", "SDIFF"):
        differ.check(command, *keys, unordered=True)
        differ.check(command + "STORE", "dst", *keys)
        differ.check("SMEMBERS", "dst", unordered=True)
        differ.check("EXISTS", "dst")
        differ.check("OBJECT", "ENCODING", "dst")
    differ.check("SINTERCARD", len(keys), *keys)
    for limit in ("0", "1", "2", "100"):
        differ.check("SINTERCARD", len(keys), *keys, "LIMIT", limit)


@pytest.mark.parametrize("keys", [("i1",), ("i1", "i2"), ("i3", "i2", "i1"), ("i1", "missing"),
                                  ("i1", "i1"), ("i2", "missing", "i1")])
def test_set_operations_on_intsets_are_sorted(differ, some_sets, keys):
    for command in ("SINTER", "SUNION", "SDIFF"):
        differ.check(command, *keys)  # ordered: Redis iterates intsets in order


def test_sdiff_algorithm_decides_the_encoding(differ):
    differ.check("SADD", "f", "a", "1", "2", "3", "4", "5")
    differ.check("SADD", "s1", "a")
    differ.check("SDIFFSTORE", "d", "f", "s1")
    assert encoding(differ, "d") == b"intset"  # algorithm 1 adds only the result
    differ.check("SADD", "g", "a", "1", "2", "3")
    differ.check("SADD", "x1", "a")
    differ.check("SADD", "x2", "x")
    differ.check("SADD", "x3", "y")
    differ.check("SDIFFSTORE", "d2", "g", "x1", "x2", "x3")
    assert encoding(differ, "d2") == b"hashtable"  # algorithm 2 added "a" first
    differ.check("SDIFF", "g", "x1", "x2", "x3", unordered=True)
    differ.check("SDIFFSTORE", "d3", "g", "x1", "x2", "x3", "missing", "missing")
    encoding(differ, "d3")


def test_store_overwrites_and_deletes(differ, some_sets):
    differ.check("SET", "dst", "string")
    differ.check("PEXPIREAT", "dst", "4102444800000")
    differ.check("SUNIONSTORE", "dst", "i1")
    differ.check("TYPE", "dst")
    differ.check("PTTL", "dst")  # the TTL went with the old value
    differ.check("SINTERSTORE", "dst", "i1", "missing")
    differ.check("EXISTS", "dst")
    differ.check("SET", "dst", "string")
    differ.check("SDIFFSTORE", "dst", "i1", "i1")
    differ.check("EXISTS", "dst")
    differ.check("SUNIONSTORE", "i1", "i1", "i2")  # the destination is also a source
    differ.check("SMEMBERS", "i1")
    differ.check("SINTERSTORE", "i2", "i2", "i3")
    differ.check("SMEMBERS", "i2")


def test_sintercard_errors(differ, some_sets):
    differ.check("SET", "str", "x")
    for args in (
        ("SINTERCARD", "0", "a"), ("SINTERCARD", "-1", "a"), ("SINTERCARD", "x", "a"),
        ("SINTERCARD", "99999999999999999999", "a"), ("SINTERCARD", "3", "a"),
        ("SINTERCARD", "1", "missing", "str"), ("SINTERCARD", "2", "str", "missing"),
        ("SINTERCARD", "1", "i1", "LIMIT", "-1"), ("SINTERCARD", "1", "i1", "LIMIT", "x"),
        ("SINTERCARD", "1", "i1", "LIMIT", "1.5"), ("SINTERCARD", "1", "i1", "foo", "2"),
        ("SINTERCARD", "1", "i1", "LIMIT"), ("SINTERCARD", "1", "i1", "LIMIT", "1", "LIMIT", "3"),
        ("SINTERCARD", "1", "str", "LIMIT", "x"), ("SINTERCARD", "1", "i1", "limit", "2"),
    ):
        differ.check(*args)


# -- SPOP, SRANDMEMBER ------------------------------------------------------------------------------------


def test_spop_srandmember_errors_and_edges(differ):
    differ.check("SADD", "i", "3", "1", "2", "-5")
    for args in (
        ("SPOP", "i", "-1"), ("SPOP", "i", "x"), ("SPOP", "missing", "-1"), ("SPOP", "missing", "0"),
        ("SPOP", "missing", "2"), ("SPOP", "i", "0"), ("SPOP", "i", "1", "2"), ("SPOP", "missing"),
        ("SRANDMEMBER", "missing"), ("SRANDMEMBER", "missing", "10"), ("SRANDMEMBER", "missing", "-10"),
        ("SRANDMEMBER", "i", "0"), ("SRANDMEMBER", "i", "x"), ("SRANDMEMBER", "i", "1", "2"),
        ("SRANDMEMBER", "i", "-9223372036854775808"), ("SRANDMEMBER", "i", "9223372036854775808"),
        ("SRANDMEMBER", "i", "4"), ("SRANDMEMBER", "i", "100"),  # the whole intset, sorted
        ("SPOP", "i", "9223372036854775807", "x"),
    ):
        differ.check(*args)
    differ.check("SPOP", "i", "10", resp3=False)  # the whole intset, sorted; key deleted
    differ.check("EXISTS", "i")


def _members(reply: Reply) -> list:
    return [item.value for item in reply.value]


@pytest.mark.parametrize("kind", ["intset", "hashtable"])
@pytest.mark.parametrize("size", [1, 6, 50, 2000])
@pytest.mark.parametrize("count", [1, 2, 5, 17, 49, 3000, -1, -7, -60])
def test_srandmember_shapes_and_members(differ, kind, size, count):
    members = [b"%d" % i if kind == "intset" else b"m%d" % i for i in range(size)]
    differ.check("SADD", "s", *members)
    allowed = set(members)
    for protocol in (2, 3):
        ours, real = differ.raw("SRANDMEMBER", "s", str(count), protocol=protocol)
        assert ours.kind == real.kind and len(ours.value) == len(real.value), (ours, real)
        picked = _members(ours)
        assert set(picked) <= allowed
        if count > 0:
            assert len(set(picked)) == len(picked) == min(count, size)


@pytest.mark.parametrize("kind", ["intset", "mixed"])
@pytest.mark.parametrize("size,count", [(1, 1), (10, 1), (10, 3), (10, 9), (10, 10), (10, 11),
                                        (100, 10), (100, 90), (3000, 10), (3000, 2900)])
def test_spop_count(differ, kind, size, count):
    members = [b"%d" % i for i in range(size)]
    if kind == "mixed":
        members[0] = b"m"
    differ.check("SADD", "s", *members)
    allowed = set(members)
    results = {}
    for which, port in (("ours", differ.ours_port), ("real", differ.real_port)):
        with RawConnection(port) as conn:
            conn.call("HELLO", "3")
            reply = conn.call("SPOP", "s", str(count))
            popped = _members(reply)
            rest = plain(conn.call("SMEMBERS", "s")) or set()
            enc = plain(conn.call("OBJECT", "ENCODING", "s"))
            exists = plain(conn.call("EXISTS", "s"))
        assert reply.kind == "~"
        assert len(popped) == len(set(popped)) == min(count, size)
        assert set(popped) | set(rest) == allowed and not set(popped) & set(rest)
        # Redis rebuilds the set from what is left when little is left (then a hashtable
        # holding only integers becomes an intset); otherwise the encoding stays.
        original = b"intset" if kind == "intset" and size <= 512 else b"hashtable"
        rebuilt = 0 < size - count and (size - count) * 5 <= count
        if not rest:
            expect = None
        elif rebuilt:
            expect = b"intset" if b"m" not in rest and len(rest) <= 512 else b"hashtable"
        else:
            expect = original
        assert enc == expect, (which, enc, expect)
        results[which] = (len(popped), exists)
    assert results["ours"] == results["real"]


def test_spop_single(differ):
    differ.check("SADD", "s", "only")
    differ.check("SPOP", "s", resp3=False)
    differ.check("EXISTS", "s")
    differ.check("SADD", "s", "a", "b", "c")
    for _ in range(3):
        for which in ("ours", "real"):
            assert differ.client(which).spop("s") in (b"a", b"b", b"c")
    differ.check("EXISTS", "s")


def test_spop_and_srandmember_are_random(differ):
    client = differ.client("ours")
    client.sadd("s", *[b"m%d" % i for i in range(3000)])
    seen = {client.srandmember("s") for _ in range(300)}
    assert len(seen) > 250
    popped = [client.spop("s") for _ in range(200)]
    assert len(set(popped)) == 200
    assert client.scard("s") == 2800
    numbers = sorted(int(m[1:]) for m in popped)
    assert numbers[-1] - numbers[0] > 2000  # spread over the set, not its first members


# -- SSCAN ---------------------------------------------------------------------------------------------


def test_sscan_intset_whole(differ):
    differ.check("SADD", "i", "5", "3", "1", "10")
    for args in (
        ("SSCAN", "i", "0"), ("SSCAN", "i", "77"), ("SSCAN", "i", "0", "COUNT", "1"),
        ("SSCAN", "i", "0", "MATCH", "1*"), ("SSCAN", "i", "0", "COUNT", "0"), ("SSCAN", "i", "0", "COUNT", "x"),
        ("SSCAN", "i", "0", "TYPE", "string"), ("SSCAN", "i", "0", "foo", "bar"), ("SSCAN", "i", "0", "MATCH"),
        ("SSCAN", "missing", "0", "COUNT", "x"), ("SSCAN", "missing", "x"), ("SSCAN", "i", "-1"),
        ("SSCAN", "i", "18446744073709551616"), ("SSCAN", "i", "0", "MATCH", "[0-3]"),
    ):
        differ.check(*args)


def _full_scan(port: int, key: str, *options) -> list:
    found = []
    with RawConnection(port) as conn:
        cursor = b"0"
        for _ in range(100000):
            cursor, items = plain(conn.call("SSCAN", key, cursor, *options))
            found.extend(items)
            if cursor == b"0":
                return found
    raise AssertionError("SSCAN never finished")


@pytest.mark.parametrize("options", [(), ("COUNT", "3"), ("COUNT", "5000"), ("MATCH", "m1*"), ("MATCH", "*[05]", "COUNT", "50")])
def test_sscan_hashtable_full_iteration(differ, options):
    differ.check("SADD", "s", *[b"m%d" % i for i in range(1200)])
    results = []
    for which in ("ours", "real"):
        found = _full_scan(port_of(differ, which), "s", *options)
        assert len(found) == len(set(found))
        results.append(sorted(found))
    assert results[0] == results[1]


def test_sscan_guarantee_under_churn(differ):
    conn = RawConnection(differ.ours_port)
    stable = [b"s%d" % i for i in range(900)]
    conn.call("SADD", "s", *stable)
    rng = random.Random(5)
    cursor = b"0"
    found = set()
    churn = 0
    while True:
        cursor, items = plain(conn.call("SSCAN", "s", cursor, "COUNT", "11"))
        found.update(items)
        for _ in range(8):
            churn += 1
            conn.call("SADD", "s", b"c%d" % churn)
            conn.call("SREM", "s", b"c%d" % rng.randint(1, churn))
        if cursor == b"0":
            break
    conn.close()
    assert set(stable) <= found


# -- transactions ----------------------------------------------------------------------------------------


def test_smembers_inside_multi_is_a_snapshot(differ):
    differ.check("SADD", "s", "1", "2")

    def run(client):
        pipe = client.pipeline(transaction=True)
        pipe.execute_command("SMEMBERS", "s")
        pipe.execute_command("SADD", "s", "3")
        pipe.execute_command("SINTER", "s")
        pipe.execute_command("SREM", "s", "1")
        pipe.execute_command("SUNION", "s")
        return pipe.execute()

    differ.both(run)


def test_lowered_intset_limit_converts_on_the_next_addition(differ, setting):
    differ.check("SADD", "s", "1", "2", "3", "4")
    setting("set-max-intset-entries", "3")
    assert encoding(differ, "s") == b"intset"
    differ.check("SADD", "s", "1")  # nothing added: nothing checked
    assert encoding(differ, "s") == b"intset"
    differ.check("SMOVE", "s", "t", "4")
    differ.check("SMOVE", "t", "s", "4")  # moved back: added, then checked
    assert encoding(differ, "s") == b"hashtable"


def test_dirty_counts(differ, setting):
    """SADD counts every member added (nothing for members already there), SPOP one."""
    from tests.differential.test_lists import compare_dirty

    setting("set-max-intset-entries", "3")
    compare_dirty(differ, [
        ("SADD", "ds", "1"), ("SADD", "ds", "1"), ("SADD", "ds", "2", "3", "2"), ("SADD", "ds", "3", "4"),
        ("SADD", "ds", "x"), ("SADD", "ds", "x", "y", "1"), ("SADD", "dt", "a"), ("SADD", "dt", "a", "a"),
        ("SPOP", "dt"), ("SPOP", "dt"), ("SET", "str", "v"), ("SADD", "str", "m"), ("SPOP", "str"),
        ("SPOP", "ds", "2"), ("SPOP", "ds", "0"), ("SPOP", "ds", "10"), ("SADD", "du", *"abcdefghijklm"),
        ("SPOP", "du", "11"), ("SADD", "du", *"abcdefghijklm"), ("SPOP", "du", "3"), ("SPOP", "du", "13"),
    ])
    differ.check("OBJECT", "ENCODING", "ds")
