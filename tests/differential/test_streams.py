"""Stream core commands against real Redis 7.0: XADD, XLEN, XRANGE/XREVRANGE, XDEL, XTRIM,
XSETID and XREAD (non-blocking paths, BLOCK inside MULTI), in RESP2 and RESP3.

Replies that would hold time-based ids use explicit ids, or are compared by shape. The
approximate-trimming tests compare XLEN after ``~`` trims, which depends on Redis's listpack
node boundaries (stream-node-max-entries / stream-node-max-bytes), including a seeded random
walk over ids, field sizes, XDEL tombstones and both node limits.
"""

from __future__ import annotations

import random
import re

import pytest
import redis

from tests.support.keyspace_events import collect
from tests.support.rawconn import RawConnection, ServerError, plain
from tests.support.wait import wait_for

STREAM_COMMANDS = ("xadd", "xlen", "xrange", "xrevrange", "xdel", "xtrim", "xsetid", "xread")
UINT64_MAX = str(2**64 - 1)
ID_PATTERN = re.compile(rb"^\d+-\d+$")


def add(differ, key: str, *ids: str, fields=("f", "v")) -> None:
    for stream_id in ids:
        differ.check("XADD", key, stream_id, *fields, resp3=False)


def entries(differ, key: str):
    return differ.check("XRANGE", key, "-", "+")


# -- declarations and arity ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", STREAM_COMMANDS)
def test_command_info(differ, name):
    differ.check("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", STREAM_COMMANDS)
def test_command_docs_fields(differ, name):
    ours, real = differ.raw("COMMAND", "DOCS", name)
    fields = lambda r: {k.value: v for k, v in zip(r.value[1].value[::2], r.value[1].value[1::2])}
    o, r = fields(ours), fields(real)
    for field in (b"summary", b"since", b"group", b"complexity"):
        assert o[field] == r[field], field


def test_getkeys(differ):
    differ.check("COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0")
    differ.check("COMMAND", "GETKEYS", "XREAD", "BLOCK", "0", "STREAMS", "streams", "1")
    differ.check("COMMAND", "GETKEYSANDFLAGS", "XADD", "s", "*", "f", "v")
    differ.check("COMMAND", "GETKEYSANDFLAGS", "XTRIM", "s", "MAXLEN", "0")


ARITY_CASES = [
    ("XADD", "s", "*", "f"), ("XADD", "s", "*"), ("XADD", "s", "f", "v"), ("XADD", "s", "*", "f", "v", "g"),
    ("XADD", "s", "NOMKSTREAM"), ("XADD", "s", "MAXLEN", "1", "2", "3", "4", "5"), ("XLEN",), ("XLEN", "s", "x"),
    ("XRANGE", "s", "-"), ("XREVRANGE", "s", "+"), ("XDEL", "s"), ("XTRIM", "s", "MAXLEN"), ("XSETID", "s"),
    ("XREAD", "STREAMS", "s"), ("XREAD", "COUNT", "1"),
]


@pytest.mark.parametrize("args", ARITY_CASES)
def test_wrong_arity(differ, args):
    differ.check(*args)


# -- XADD ids -------------------------------------------------------------------------------------------


def test_xadd_explicit_and_partial_ids(differ):
    add(differ, "s", "1-1", "1-2", "1-*", "5", "5-*", "6-*", "18446744073709551614-*")
    for bad in ("1-2", "0-5", "6-0", "6-*", "3-*", "5", "18446744073709551614-1"):
        differ.check("XADD", "s", bad, "f", "v")
    entries(differ, "s")
    differ.check("XADD", "z", "0-*", "f", "v", resp3=False)
    differ.check("XADD", "z", "0-*", "f", "v", resp3=False)
    entries(differ, "z")


def test_xadd_zero_id_creates_nothing(differ):
    differ.check("XADD", "s", "0-0", "f", "v")
    differ.check("XADD", "s", "0", "f", "v")
    differ.check("EXISTS", "s")


def test_xadd_last_possible_id(differ):
    add(differ, "s", f"{UINT64_MAX}-{UINT64_MAX}")
    differ.check("XADD", "s", "*", "f", "v")
    differ.check("XADD", "s", f"{UINT64_MAX}-*", "f", "v")
    differ.check("XADD", "s", "1-1", "f", "v")
    add(differ, "t", f"{UINT64_MAX}-5")
    differ.check("XADD", "t", f"{UINT64_MAX}-*", "f", "v", resp3=False)
    differ.check("XADD", "u", f"{UINT64_MAX}-{UINT64_MAX}", "f", "v", resp3=False)
    differ.check("XADD", "u", f"{UINT64_MAX}-*", "f", "v")


@pytest.mark.parametrize("raw", [
    "x", "1-x", "-", "+", "$", ">", "1-", "-1", "1--1", "1-+2", " 1", "+1", "01-02", "1- 2", "1.5",
    "18446744073709551616", "1-18446744073709551616", "18446744073709551615", "9" * 130, "1-1-1", "",
    " -1", "1-*-1", "*-1", "1-**",
])
def test_xadd_id_parsing(differ, raw):
    differ.check("XADD", "p", raw, "f", "v", resp3=False)
    differ.check("XRANGE", "p", "-", "+")
    differ.check("DEL", "p", resp3=False)


def test_xadd_star_shapes(differ):
    """``*`` ids are the clock's: compare shapes, and that they grow."""
    for protocol in (2, 3):
        ours, real = differ.raw("XADD", "s", "*", "f", "v", protocol=protocol)
        assert ours.kind == real.kind == "$"
        assert ID_PATTERN.match(ours.value) and ID_PATTERN.match(real.value)
    ids = [differ.ours2.call("XADD", "s", "*", "n", str(i)).value for i in range(50)]
    parsed = [tuple(map(int, i.split(b"-"))) for i in ids]
    assert parsed == sorted(parsed) and len(set(parsed)) == 50
    add(differ, "future", "99999999999999-5")
    differ.check("XADD", "future", "*", "f", "v", resp3=False)  # the clock is behind: last id + 1


def test_xadd_nomkstream(differ):
    differ.check("XADD", "s", "NOMKSTREAM", "*", "f", "v")
    differ.check("XADD", "s", "nomkstream", "MAXLEN", "1", "1-1", "f", "v")
    differ.check("EXISTS", "s")
    add(differ, "s", "1-1")
    differ.check("XADD", "s", "NOMKSTREAM", "2-1", "f", "v", resp3=False)
    entries(differ, "s")


def test_xadd_many_fields_and_binary(differ):
    fields = ["a", "1", "", "", "\x00\xff\r\n", "x" * 300, "-0", "007", "12345678901234567890", "é"]
    differ.check("XADD", "s", "1-1", *fields, resp3=False)
    differ.check("XADD", "s", "1-2", "a", "a", "a", "b", resp3=False)  # repeated fields are kept
    entries(differ, "s")
    differ.check("XREVRANGE", "s", "+", "-")


@pytest.mark.parametrize("args", [
    ("MAXLEN", "5", "LIMIT", "10", "*"), ("MAXLEN", "=", "5", "LIMIT", "10", "*"), ("LIMIT", "0", "*"),
    ("LIMIT", "1", "*"), ("MINID", "1", "MAXLEN", "2", "*"), ("MAXLEN", "1", "MINID", "0", "*"),
    ("MAXLEN", "1", "MAXLEN", "2", "*"), ("MAXLEN", "x", "*"), ("MAXLEN", "-1", "*"), ("MAXLEN", "~", "*"),
    ("MAXLEN", "~", "1", "LIMIT", "-1", "*"), ("MAXLEN", "~", "1", "LIMIT", "x", "*"), ("MINID", "-", "*"),
    ("MINID", "+", "*"), ("MINID", "x", "*"), ("MINID", "~", "(5", "*"), ("maxlen", "1", "foo"),
    ("NOMKSTREAM", "NOMKSTREAM", "MAXLEN", "0", "9-9"), ("MAXLEN", "9223372036854775808", "*"),
])
def test_xadd_option_errors(differ, args):
    differ.check("XADD", "s", *args, "f", "v", resp3=False)
    differ.check("EXISTS", "s")
    differ.check("DEL", "s", resp3=False)


def test_xadd_with_trimming(differ):
    for i in range(1, 31):
        differ.check("XADD", "s", "MAXLEN", "10", f"{i}-1", "f", str(i), resp3=False)
    differ.check("XLEN", "s")
    entries(differ, "s")
    differ.check("XADD", "s", "MINID", "25", "31-1", "f", "v", resp3=False)
    entries(differ, "s")
    differ.check("XADD", "s", "MAXLEN", "=", "0", "32-1", "f", "v", resp3=False)
    differ.check("XLEN", "s")
    differ.check("EXISTS", "s")
    differ.check("XADD", "s", "MAXLEN", "~", "0", "LIMIT", "0", "33-1", "f", "v", resp3=False)
    differ.check("XLEN", "s")


# -- XLEN, XRANGE, XREVRANGE -----------------------------------------------------------------------------


def test_xrange_intervals(differ):
    add(differ, "s", "1-1", "2-1", "2-2", "3-0", "4-5", f"{UINT64_MAX}-0")
    for start, end in [
        ("-", "+"), ("2", "3"), ("(2-1", "3"), ("(2", "+"), ("2-1", "(3-0"), ("(1-1", "(4-5"), ("-", "(0"),
        ("(-", "+"), ("-", "(+"), ("(0-0", "+"), ("-", "(0-0"), (f"({UINT64_MAX}-{UINT64_MAX}", "+"),
        ("(18446744073709551615", "+"), ("3", "2"), ("(2-2", "2-2"), ("4", "4"), ("x", "+"), ("-", "x"),
        ("(", "+"), ("((1", "+"), ("0-0", f"{UINT64_MAX}-{UINT64_MAX}"), ("-1", "+"), ("5", "(5"),
    ]:
        differ.check("XRANGE", "s", start, end)
        differ.check("XREVRANGE", "s", end, start)


def test_xrange_count(differ):
    add(differ, "s", "1-1", "2-1", "3-1", "4-1")
    for count in ("0", "-1", "1", "3", "100", "x", "9223372036854775807"):
        differ.check("XRANGE", "s", "-", "+", "COUNT", count)
        differ.check("XREVRANGE", "s", "+", "-", "count", count)
        differ.check("XRANGE", "missing", "-", "+", "COUNT", count)
    differ.check("XRANGE", "s", "-", "+", "COUNT", "1", "COUNT", "2")
    differ.check("XRANGE", "s", "-", "+", "COUNT")
    differ.check("XRANGE", "s", "-", "+", "LIMIT", "1")
    differ.check("XRANGE", "s", "x", "+", "COUNT", "x")
    differ.check("XRANGE", "s", "-", "+", "COUNT", "x", "FOO")


def test_xlen_and_wrongtype(differ):
    differ.check("XLEN", "s")
    add(differ, "s", "1-1", "2-1")
    differ.check("XLEN", "s")
    differ.check("SET", "str", "x")
    differ.check("RPUSH", "list", "x", resp3=False)
    for key in ("str", "list"):
        for cmd in (("XLEN", key), ("XRANGE", key, "-", "+"), ("XREVRANGE", key, "+", "-", "COUNT", "0"),
                    ("XDEL", key, "1-1"), ("XDEL", key, "x"), ("XTRIM", key, "MAXLEN", "0"),
                    ("XSETID", key, "1-1"), ("XADD", key, "*", "f", "v"), ("XADD", key, "NOMKSTREAM", "*", "f", "v"),
                    ("XREAD", "STREAMS", key, "0"), ("XRANGE", key, "x", "+")):
            differ.check(*cmd)


# -- XDEL, XTRIM, XSETID -------------------------------------------------------------------------------


def test_xdel(differ):
    add(differ, "s", "1-1", "2-1", "3-1", "4-1")
    differ.check("XDEL", "s", "2-1", "2-1", "9-9", "2", resp3=False)
    differ.check("XDEL", "s", "1-1", "x")  # all ids are checked first: nothing deleted
    differ.check("XDEL", "s", "+")
    differ.check("XDEL", "missing", "x")
    entries(differ, "s")
    differ.check("XDEL", "s", "1-1", "3-1", "4-1", resp3=False)
    differ.check("XLEN", "s")
    differ.check("EXISTS", "s")  # an emptied stream stays
    differ.check("TYPE", "s")
    differ.check("XADD", "s", "4-1", "f", "v")  # its last id is remembered
    add(differ, "s", "5-1")
    entries(differ, "s")


def test_xtrim_exact(differ):
    add(differ, "s", *[f"{i}-1" for i in range(1, 21)])
    differ.check("XTRIM", "s", "MAXLEN", "15", resp3=False)
    differ.check("XTRIM", "s", "MAXLEN", "=", "12", resp3=False)
    differ.check("XTRIM", "s", "MINID", "10", resp3=False)
    differ.check("XTRIM", "s", "MINID", "=", "12-2", resp3=False)
    differ.check("XTRIM", "s", "MINID", "5", resp3=False)
    entries(differ, "s")
    differ.check("XTRIM", "s", "maxlen", "0", resp3=False)
    differ.check("XLEN", "s")
    differ.check("EXISTS", "s")
    differ.check("XTRIM", "missing", "MAXLEN", "0")
    differ.check("XTRIM", "missing", "MAXLEN", "x")


@pytest.mark.parametrize("args", [
    (), ("LIMIT", "5"), ("MAXLEN",), ("MAXLEN", "-1"), ("MAXLEN", "~", "5", "LIMIT", "-1"),
    ("MAXLEN", "~", "5", "LIMIT", "x"), ("MAXLEN", "5", "LIMIT", "0"), ("MAXLEN", "5", "LIMIT", "5"),
    ("MAXLEN", "~", "5", "foo"), ("MINID", "-"), ("MINID", "+"), ("MINID", "5-x"), ("MAXLEN", "0", "MINID", "0"),
    ("MAXLEN", "0", "MAXLEN", "0"), ("NOMKSTREAM", "MAXLEN", "0"), ("MAXLEN", "~"), ("MAXLEN", "=", "x"),
    ("MINID", "~", "5", "LIMIT", "0"), ("FOO", "1"), ("MAXLEN", "1", "*"),
])
def test_xtrim_errors(differ, args):
    add(differ, "s", "1-1", "2-1")
    differ.check("XTRIM", "s", *args, resp3=False)
    differ.check("XLEN", "s")


def test_xsetid(differ):
    add(differ, "s", "1-1", "2-1", "3-1")
    differ.check("XDEL", "s", "3-1", resp3=False)
    for args in [("1-1",), ("2-0",), ("-",), ("+",), ("x",), ("2-1", "ENTRIESADDED", "-1"),
                 ("2-1", "ENTRIESADDED", "1"), ("2-1", "ENTRIESADDED", "x"), ("2-1", "MAXDELETEDID", "5-0"),
                 ("2-1", "MAXDELETEDID", "x"), ("2-1", "FOO", "1"), ("2-1", "ENTRIESADDED"),
                 ("2-1", "MAXDELETEDID", "1-0", "ENTRIESADDED", "-5"), ("0-5",)]:
        differ.check("XSETID", "s", *args, resp3=False)
    differ.check("XSETID", "missing", "1-1")
    differ.check("XSETID", "missing", "x")
    differ.check("XSETID", "s", "2-1", "MAXDELETEDID", "2-0", "ENTRIESADDED", "10", resp3=False)
    differ.check("XADD", "s", "2-1", "f", "v")
    differ.check("XSETID", "s", "100-5", resp3=False)
    differ.check("XADD", "s", "100-5", "f", "v")
    differ.check("XADD", "s", "100-*", "f", "v", resp3=False)
    differ.check("XDEL", "s", "1-1", "2-1", "100-6", resp3=False)
    differ.check("XSETID", "s", "0-1", resp3=False)  # an empty stream takes any id
    differ.check("XADD", "s", "0-*", "f", "v", resp3=False)
    entries(differ, "s")


def test_bookkeeping_seen_by_xinfo(differ):
    """first id, last id, entries-added and max-deleted-entry-id after each kind of change."""
    add(differ, "s", "1-1", "2-1", "3-1", "4-1")
    for cmd in [("XTRIM", "s", "MAXLEN", "2"), ("XDEL", "s", "3-1"), ("XSETID", "s", "10-0", "ENTRIESADDED", "100",
                "MAXDELETEDID", "5-0"), ("XDEL", "s", "4-1"), ("XADD", "s", "11-1", "f", "v"),
                ("XTRIM", "s", "MINID", "12"), ("XADD", "s", "MAXLEN", "0", "12-1", "f", "v")]:
        differ.check(*cmd, resp3=False)
        differ.check("XINFO", "STREAM", "s")


# -- approximate trimming: listpack node boundaries -------------------------------------------------------


def test_approx_trim_whole_nodes(differ):
    for i in range(1, 251):
        differ.check("XADD", "s", f"{i}-1", "f", "v", resp3=False)
    differ.check("XTRIM", "s", "MAXLEN", "~", "10", resp3=False)  # keeps 50: nodes of 100
    differ.check("XLEN", "s")
    differ.check("XADD", "s", "MAXLEN", "~", "10", "251-1", "f", "v", resp3=False)
    differ.check("XLEN", "s")
    differ.check("XTRIM", "s", "MINID", "~", "240", resp3=False)
    differ.check("XLEN", "s")
    differ.check("XTRIM", "s", "MAXLEN", "~", "0", resp3=False)
    differ.check("XLEN", "s")


def test_approx_trim_limit(differ):
    for i in range(1, 501):
        differ.check("XADD", "s", f"{i}-1", "f", "v", resp3=False)
    differ.check("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "150", resp3=False)
    differ.check("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "50", resp3=False)
    differ.check("XTRIM", "s", "MINID", "~", "1000", "LIMIT", "250", resp3=False)
    differ.check("XLEN", "s")


def test_tombstones_stay_in_their_node(differ):
    for i in range(1, 151):
        differ.check("XADD", "s", f"{i}-1", "f", "v", resp3=False)
    differ.check("XDEL", "s", *[f"{i}-1" for i in range(2, 100)], resp3=False)
    differ.check("XTRIM", "s", "MAXLEN", "~", "49", resp3=False)
    differ.check("XLEN", "s")
    differ.check("XTRIM", "s", "MAXLEN", "~", "50", resp3=False)
    differ.check("XLEN", "s")
    differ.check("XDEL", "s", "1-1", "100-1", resp3=False)  # the first node empties and goes
    for i in range(151, 260):
        differ.check("XADD", "s", f"{i}-1", "f", "v", resp3=False)
    differ.check("XTRIM", "s", "MAXLEN", "~", "1", resp3=False)
    differ.check("XLEN", "s")


def test_node_limits_follow_config(differ, setting):
    setting("stream-node-max-entries", "7")
    for i in range(1, 40):
        differ.check("XADD", "a", f"{i}-1", "f", "v", resp3=False)
    differ.check("XTRIM", "a", "MAXLEN", "~", "10", resp3=False)
    differ.check("XLEN", "a")
    setting("stream-node-max-entries", "0")
    setting("stream-node-max-bytes", "300")
    for i in range(1, 60):
        differ.check("XADD", "b", f"{i}-{i * 7}", "field", "v" * (i % 13), resp3=False)
    differ.check("XTRIM", "b", "MAXLEN", "~", "5", resp3=False)
    differ.check("XLEN", "b")
    setting("stream-node-max-bytes", "0")
    for i in range(1, 300):
        differ.check("XADD", "c", f"{i}-1", "f", "v", resp3=False)
    differ.check("XTRIM", "c", "MAXLEN", "~", "5", resp3=False)  # one node, limit 10000
    differ.check("XLEN", "c")


@pytest.mark.parametrize("seed,max_entries,max_bytes", [(5, 100, 4096), (6, 9, 150), (7, 0, 700), (8, 300, 0)])
def test_star_ids_fill_nodes_as_redis(differ, setting, seed, max_entries, max_bytes):
    """``XADD key * f v`` (the handler's fast path) after an XSETID into the future: the ids
    are last id + 1 on both servers (the clock is behind), so node boundaries, seen through
    XINFO and ``~`` trims, can be compared; also across the seq's upper end."""
    setting("stream-node-max-entries", str(max_entries))
    setting("stream-node-max-bytes", str(max_bytes))

    def run(client):
        rng = random.Random(seed)
        out = []
        client.execute_command("DEL", "w")
        client.execute_command("XADD", "w", "1-1", "f", "v")
        client.execute_command("XSETID", "w", f"99999999999999-{2**64 - 400}")
        for step in range(700):
            field = rng.choice([b"f", b"f", b"f", b"g", b"12"])
            value = rng.choice([b"v", b"", b"7", b"-300", b"x" * rng.randint(1, 90), b"9" * 19])
            out.append(client.execute_command("XADD", "w", "*", field, value))
            if step % 97 == 0:
                out.append(client.execute_command("XTRIM", "w", "MAXLEN", "~", str(rng.randint(0, 400))))
            if step % 41 == 0:
                out.append(client.execute_command("XINFO", "STREAM", "w"))
        out.append(client.execute_command("XINFO", "STREAM", "w", "FULL", "COUNT", "0"))
        return out

    differ.fresh(run, 1)


def _random_walk(rng: random.Random, client: redis.Redis, steps: int) -> list:
    out = []
    ms = 1

    def run(*args):
        try:
            out.append(client.execute_command(*args))
        except redis.ResponseError as exc:
            out.append(str(exc))

    for _ in range(steps):
        op = rng.random()
        if op < 0.9:
            ms += rng.choice([0, 1, 1, 5, 1000, 10**9, 10**13])
            fields = []
            for _ in range(rng.choice([1, 1, 2, 3])):
                fields.append(rng.choice([b"f", b"field", b"x" * rng.randint(0, 70), str(rng.randint(-10**6, 10**6)).encode()]))
                fields.append(rng.choice([b"v", b"1", b"-5", b"123456", b"9999999999", b"y" * rng.randint(0, 5000),
                                          b"z" * rng.randint(0, 80), b"007", b"-0"]))
            run("XADD", "w", rng.choice([f"{ms}-*", f"{ms}-{rng.randint(0, 3)}", f"{ms}"]), *fields)
        elif op < 0.94:
            present = client.execute_command("XRANGE", "w", "-", "+")
            if present:
                run("XDEL", "w", *[rng.choice(present)[0] for _ in range(rng.randint(1, 5))])
        elif op < 0.985:
            approx = rng.choice(["~", "~", "=", None])
            if rng.random() < 0.5:
                threshold = str(rng.randint(0, 1000))
                args = ["XTRIM", "w", "MAXLEN"]
            else:
                present = client.execute_command("XRANGE", "w", "-", "+")
                threshold = present[rng.randrange(len(present))][0] if present else "0"
                args = ["XTRIM", "w", "MINID"]
            args += ([approx] if approx else []) + [threshold]
            if approx == "~" and rng.random() < 0.3:
                args += ["LIMIT", str(rng.randint(0, 300))]
            run(*args)
        else:
            ms += 1
            run("XADD", "w", "MAXLEN", "~", str(rng.randint(0, 1000)), f"{ms}-*", "f", "v")
        run("XLEN", "w")
        if rng.random() < 0.05:
            run("XINFO", "STREAM", "w")  # radix-tree-keys: the number of listpack nodes
    out.append(client.execute_command("XRANGE", "w", "-", "+"))
    return out


@pytest.mark.parametrize("seed,max_entries,max_bytes", [(1, 100, 4096), (2, 10, 200), (3, 0, 1000), (4, 7, 0)])
def test_random_walk_with_approximate_trims(differ, setting, seed, max_entries, max_bytes):
    setting("stream-node-max-entries", str(max_entries))
    setting("stream-node-max-bytes", str(max_bytes))

    def run(client):
        client.execute_command("DEL", "w")
        return _random_walk(random.Random(seed), client, 1500)

    differ.fresh(run, 1)


def _random_bound(rng: random.Random, ids: list[bytes], low: bool) -> str:
    choice = rng.random()
    if choice < 0.15:
        return "-" if low else "+"
    if choice < 0.3 or not ids:
        return str(rng.randint(0, 60))
    stream_id = rng.choice(ids).decode()
    if choice < 0.5:
        ms, seq = map(int, stream_id.split("-"))
        stream_id = f"{ms}-{max(seq + rng.choice([-1, 1]), 0)}"
    return ("(" if rng.random() < 0.3 else "") + stream_id


@pytest.mark.parametrize("max_entries,fields", [(100, [["f"]]), (3, [["f"], ["f"], ["f", "g"], ["g"]])])
def test_random_reads_and_writes(differ, setting, max_entries, fields):
    """A seeded walk over two streams mixing every core command, replies compared (RESP2);
    with small nodes and mixed field sets, reads and deletes go through closed (packed) nodes."""
    setting("stream-node-max-entries", str(max_entries))
    rng = random.Random(11)
    ms = {"a": 1, "b": 1}
    known: list[bytes] = []
    for _ in range(500):
        key = rng.choice(["a", "b"])
        op = rng.random()
        if op < 0.35:
            ms[key] += rng.choice([0, 1, 2])
            pairs = [x for name in rng.choice(fields) for x in (name, str(rng.randint(0, 9)))]
            reply = differ.check("XADD", key, rng.choice([f"{ms[key]}-*", f"{ms[key]}-{rng.randint(0, 2)}"]),
                                 *pairs, resp3=False)
            if isinstance(reply, bytes):
                known.append(reply)
        elif op < 0.45:
            differ.check("XDEL", key, *[rng.choice(known).decode() for _ in range(rng.randint(1, 3))] if known else "1",
                         resp3=False)
        elif op < 0.5:
            differ.check("XTRIM", key, rng.choice(["MAXLEN", "MINID"]), rng.choice(["=", "~"]),
                         str(rng.randint(0, 30)), resp3=False)
        elif op < 0.55:
            differ.check("XSETID", key, f"{ms[key] + rng.randint(-3, 3)}-{rng.randint(0, 3)}", resp3=False)
        elif op < 0.75:
            cmd = rng.choice(["XRANGE", "XREVRANGE"])
            low, high = _random_bound(rng, known, True), _random_bound(rng, known, False)
            bounds = (low, high) if cmd == "XRANGE" else (high, low)
            count = ("COUNT", str(rng.randint(-1, 5))) if rng.random() < 0.5 else ()
            differ.check(cmd, key, *bounds, *count)
        else:
            ids = [rng.choice(["0", "$", _random_bound(rng, known, True).lstrip("(")]) for _ in range(2)]
            count = ("COUNT", str(rng.randint(0, 4))) if rng.random() < 0.5 else ()
            differ.check("XREAD", *count, "STREAMS", "a", "b", *ids)
        differ.check("XLEN", key)


# -- XREAD (non-blocking paths) -------------------------------------------------------------------------


def test_xread_shapes(differ):
    add(differ, "s", "1-1", "2-1", "3-1")
    add(differ, "t", "5-5", fields=("a", "b", "c", "d"))
    differ.check("XREAD", "STREAMS", "s", "0")
    differ.check("XREAD", "COUNT", "2", "STREAMS", "s", "t", "0", "0")
    differ.check("XREAD", "COUNT", "1", "STREAMS", "s", "missing", "t", "1-1", "0", "5-4")
    differ.check("XREAD", "STREAMS", "s", "t", "$", "$")
    differ.check("XREAD", "STREAMS", "s", "3-1")
    differ.check("XREAD", "STREAMS", "missing", "0")
    differ.check("XREAD", "STREAMS", "s", "s", "0", "2")
    differ.check("XREAD", "COUNT", "0", "STREAMS", "s", "0")
    differ.check("XREAD", "COUNT", "-5", "STREAMS", "s", "1")
    differ.check("XREAD", "BLOCK", "10", "STREAMS", "s", "0")
    differ.check("XREAD", "STREAMS", "s", "+")
    differ.check("XREAD", "STREAMS", "s", "-")
    differ.check("XREAD", "STREAMS", "s", f"{UINT64_MAX}-{UINT64_MAX}")
    differ.check("XDEL", "s", "3-1", resp3=False)
    differ.check("XREAD", "STREAMS", "s", "2-1")  # only tombstones above: nothing


@pytest.mark.parametrize("args", [
    ("STREAMS", "s"), ("STREAMS", "s", "t", "0"), ("COUNT", "x", "STREAMS", "s", "0"), ("BLOCK", "-1", "STREAMS", "s", "0"),
    ("BLOCK", "x", "STREAMS", "s", "0"), ("BLOCK", "1.5", "STREAMS", "s", "0"), ("GROUP", "g", "c", "STREAMS", "s", "0"),
    ("NOACK", "STREAMS", "s", "0"), ("STREAMS", "s", ">"), ("FOO", "STREAMS", "s", "0"), ("COUNT", "1", "BLOCK"),
    ("STREAMS", "s", "x"), ("STREAMS", "s", "(1"), ("COUNT", "1", "COUNT"), ("STREAMS", "s", "str", "x", "0"),
    ("STREAMS", "str", "s", "0", "x"), ("STREAMS", "s", "str", "0", "x"), ("GROUP", "g", "STREAMS", "s", "0"),
])
def test_xread_errors(differ, args):
    add(differ, "s", "1-1")
    differ.check("SET", "str", "x", resp3=False)
    differ.check("XREAD", *args)


def test_xread_block_inside_multi(differ):
    add(differ, "s", "1-1")
    for protocol in (2, 3):
        for cmd in (("XREAD", "BLOCK", "0", "STREAMS", "s", "$"), ("XREAD", "BLOCK", "100", "STREAMS", "s", "0")):
            ours_conn = differ.ours3 if protocol == 3 else differ.ours2
            real_conn = differ.real3 if protocol == 3 else differ.real2
            replies = []
            for c in (ours_conn, real_conn):
                c.call("MULTI")
                c.call(*cmd)
                replies.append(c.call("EXEC"))
            assert replies[0] == replies[1], (protocol, cmd, replies)


# -- XREAD BLOCK: the same scenario on both servers -----------------------------------------------------


def _blocked_clients(conn: RawConnection) -> int:
    info = plain(conn.call("INFO", "clients"))
    return int(re.search(rb"blocked_clients:(\d+)", info).group(1))


BLOCKING_SCENARIOS = {
    "woken_by_xadd": (["XADD s 1-1 f v"], "XREAD BLOCK 0 STREAMS s $", ["XADD s 2-1 g w"]),
    "count_and_dollar_on_missing_key": ([], "XREAD COUNT 1 BLOCK 0 STREAMS s $",
                                        ["MULTI", "XADD s 1-1 a 1", "XADD s 1-2 a 2", "EXEC"]),
    "first_ready_stream_answers": (["XADD a 5-1 f v"], "XREAD BLOCK 0 STREAMS a b c $ 0 $",
                                   ["MULTI", "XADD c 1-1 x y", "XADD b 1-1 x y", "EXEC"]),
    "xadd_then_xdel": ([], "XREAD BLOCK 0 STREAMS s $", ["MULTI", "XADD s 1-1 f v", "XDEL s 1-1", "EXEC"]),
    "xsetid_then_xadd": (["XADD s 1-1 f v"], "XREAD BLOCK 0 STREAMS s $",
                         ["XSETID s 5-0", "SET other x", "XADD s 6-1 f v"]),
    "other_type_then_stream": ([], "XREAD BLOCK 0 STREAMS k $", ["SET k x", "DEL k", "XADD k 3-3 f v"]),
    "explicit_id_above_top": (["XADD s 1-1 f v"], "XREAD BLOCK 0 STREAMS s 5-0",
                              ["XADD s 2-1 f v", "XADD s 6-1 f v"]),
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", sorted(BLOCKING_SCENARIOS))
def test_blocked_xread_replies(differ, name, protocol):
    """A reader blocks, a writer runs commands, the reader's reply is compared byte-typed."""
    setup, read, writes = BLOCKING_SCENARIOS[name]
    replies = []
    for port in (differ.ours_port, differ.real_port):
        with RawConnection(port) as reader, RawConnection(port) as writer:
            writer.call("FLUSHALL")
            if protocol == 3:
                reader.call("HELLO", "3")
            for cmd in setup:
                writer.call(*cmd.split())
            reader.send(*read.split())
            wait_for(lambda: _blocked_clients(writer) == 1, message=f"{name}: reader blocked")
            for cmd in writes:
                writer.call(*cmd.split())
            replies.append(reader.read_reply())
    assert replies[0] == replies[1], name


def test_blocked_xread_times_out_with_a_null_array(differ):
    for protocol in (2, 3):
        replies = []
        for port in (differ.ours_port, differ.real_port):
            with RawConnection(port) as reader:
                if protocol == 3:
                    reader.call("HELLO", "3")
                replies.append(reader.call("XREAD", "BLOCK", "10", "STREAMS", "s", "t", "$", "0"))
        assert replies[0] == replies[1] and replies[0].value is None, replies


# -- types, COPY/RENAME, WATCH, dirty, notifications --------------------------------------------------


def test_type_encoding_copy_rename(differ):
    add(differ, "s", "1-1", "2-1")
    differ.check("TYPE", "s")
    differ.check("OBJECT", "ENCODING", "s")
    differ.check("COPY", "s", "c")
    differ.check("XADD", "c", "3-1", "f", "v", resp3=False)
    differ.check("XDEL", "s", "1-1", resp3=False)
    entries(differ, "s")
    entries(differ, "c")
    differ.check("RENAME", "c", "r")
    entries(differ, "r")
    differ.check("XADD", "r", "3-1", "f", "v")  # the last id travels with the value
    differ.check("DEL", "s", "r")
    differ.check("SCAN", "0", "TYPE", "stream")


WATCH_WRITES = [
    ("XADD", "w", "9-1", "f", "v"), ("XADD", "w", "1-1", "f", "v"), ("XDEL", "w", "1-1"), ("XDEL", "w", "7-7"),
    ("XTRIM", "w", "MAXLEN", "0"), ("XTRIM", "w", "MAXLEN", "5"), ("XSETID", "w", "50-0"), ("XLEN", "w"),
    ("XRANGE", "w", "-", "+"), ("XADD", "w", "NOMKSTREAM", "9-1", "f", "v"), ("XREAD", "STREAMS", "w", "0"),
]


@pytest.mark.parametrize("write", WATCH_WRITES)
def test_watch(differ, write):
    def run(client):
        client.execute_command("DEL", "w")
        client.execute_command("XADD", "w", "1-1", "f", "v")
        other = redis.Redis(port=client.connection_pool.connection_kwargs["port"], driver_info=None)
        client.execute_command("WATCH", "w")
        try:
            other.execute_command(*write)
        except redis.ResponseError:
            pass
        other.close()
        client.execute_command("MULTI")
        client.execute_command("PING")
        return client.execute_command("EXEC")

    differ.fresh(run, 1)


DIRTY_CASES = [
    ("XADD", "d", "1-1", "f", "v"), ("XADD", "d", "1-1", "f", "v"), ("XADD", "d", "MAXLEN", "1", "2-1", "f", "v"),
    ("XADD", "d", "3-1", "f", "v"), ("XADD", "d", "4-1", "f", "v"), ("XDEL", "d", "3-1", "4-1", "9-9"),
    ("XDEL", "d", "9-9"), ("XADD", "d", "5-1", "f", "v"), ("XADD", "d", "6-1", "f", "v"),
    ("XTRIM", "d", "MAXLEN", "1"), ("XTRIM", "d", "MAXLEN", "5"), ("XSETID", "d", "10-0"), ("XSETID", "d", "1-0"),
    ("XLEN", "d"), ("XRANGE", "d", "-", "+"), ("XADD", "e", "NOMKSTREAM", "*", "f", "v"),
    ("XADD", "d", "MAXLEN", "~", "0", "11-1", "f", "v"),
]


def test_dirty_counts(differ):
    def changes(client) -> int:
        return int(client.info("persistence")["rdb_changes_since_last_save"])

    def run(client):
        deltas = []
        for cmd in DIRTY_CASES:
            before = changes(client)
            try:
                client.execute_command(*cmd)
            except redis.ResponseError:
                pass
            deltas.append((cmd, changes(client) - before))
        return deltas

    differ.fresh(run, 1)


NOTIFY_STEPS = [
    ("XADD", "n", "1-1", "f", "v"), ("XADD", "n", "1-1", "f", "v"), ("XADD", "n", "MAXLEN", "1", "2-1", "f", "v"),
    ("XADD", "n", "MAXLEN", "5", "3-1", "f", "v"), ("XDEL", "n", "3-1", "9-9"), ("XDEL", "n", "9-9"),
    ("XTRIM", "n", "MAXLEN", "0"), ("XTRIM", "n", "MAXLEN", "0"), ("XSETID", "n", "10-0"),
    ("XADD", "m", "NOMKSTREAM", "1-1", "f", "v"), ("XADD", "m", "MINID", "5", "1-1", "f", "v"),
    ("XADD", "m", "0-0", "f", "v"), ("COPY", "n", "n2"), ("RENAME", "n2", "n3"), ("DEL", "n3"),
]


@pytest.mark.parametrize("flags", ["KEA", "KEAn", "Et"])
def test_keyspace_notifications(ours_server, real_server, flags):
    lines = [" ".join(step) for step in NOTIFY_STEPS]
    events = collect(real_server.port, flags, lines)
    assert collect(ours_server.port, flags, lines) == events
    assert (b"__keyevent@0__:xtrim", b"n") in events
    assert ((b"__keyevent@0__:new", b"n") in events) == ("n" in flags)


def test_error_reply_is_error(differ):
    reply = differ.check("XADD", "s", "0-0", "f", "v")
    assert isinstance(reply, ServerError) and str(reply) == "ERR The ID specified in XADD must be greater than 0-0"


HITS_CASES = [
    ("XADD", "s", "1-1", "f", "v"), ("XLEN", "s"), ("XLEN", "m"), ("XRANGE", "s", "-", "+"), ("XRANGE", "m", "-", "+"),
    ("XREVRANGE", "s", "+", "-"), ("XREAD", "STREAMS", "s", "0"), ("XREAD", "STREAMS", "s", "m", "0", "0"),
    ("XREAD", "STREAMS", "s", "$"), ("XREAD", "STREAMS", "s", "m", "x", "0"), ("XDEL", "s", "5-5"),
    ("XTRIM", "s", "MAXLEN", "5"), ("XSETID", "s", "9-9"), ("XADD", "s", "*", "f", "v"),
    ("XRANGE", "s", "-", "+", "COUNT", "0"),
]


def test_keyspace_hits_and_misses(differ):
    """Read lookups count as Redis's do (XREAD looks each key up twice)."""

    def run(client):
        client.execute_command("CONFIG", "RESETSTAT")
        counts = []
        for cmd in HITS_CASES:
            try:
                client.execute_command(*cmd)
            except redis.ResponseError:
                pass
            stats = client.info("stats")
            counts.append((cmd, stats["keyspace_hits"], stats["keyspace_misses"]))
        return counts

    differ.fresh(run, 1)
