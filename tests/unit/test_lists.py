"""lists.py on a bare keyspace with a fixed clock: the declarations, every handler's replies and
errors (in Redis's order), reply shapes (null vs null array vs empty array), Redis's timeout
parsing, the Block values of the blocking commands and their re-run rule, the dirty counter
and WATCH signals, and a model-based Hypothesis test against a plain Python list."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import node.commands  # noqa: F401  (registers every command)
from tests.support.handlers import FakeClient, FakeServer, error_of, run, watcher_of as watch
from node import errors
from node.blocking import Block
from node.commands import lists as L
from node.commands.keys import copy_value, object_encoding, type_name
from node.commands.spec import REGISTRY
from node.errors import CommandError
from node.replies import NULL_ARRAY, OK

NOW = 1_700_000_000_000


def items(client, key: bytes = b"l") -> list[bytes]:
    return run(client, "LRANGE", key, 0, -1)


# -- declarations ---------------------------------------------------------------------------------

# name: (arity, flags, categories, [key spec flags], (first, last, step)) as Redis 7.0.15 shows them.
RW_AD = ["RW", "access", "delete"]
DECLARED = {
    "lpush": (-3, ["write", "denyoom", "fast"], ["write", "list", "fast"], [["RW", "insert"]], (1, 1, 1)),
    "rpush": (-3, ["write", "denyoom", "fast"], ["write", "list", "fast"], [["RW", "insert"]], (1, 1, 1)),
    "lpushx": (-3, ["write", "denyoom", "fast"], ["write", "list", "fast"], [["RW", "insert"]], (1, 1, 1)),
    "rpushx": (-3, ["write", "denyoom", "fast"], ["write", "list", "fast"], [["RW", "insert"]], (1, 1, 1)),
    "lpop": (-2, ["write", "fast"], ["write", "list", "fast"], [RW_AD], (1, 1, 1)),
    "rpop": (-2, ["write", "fast"], ["write", "list", "fast"], [RW_AD], (1, 1, 1)),
    "llen": (2, ["readonly", "fast"], ["read", "list", "fast"], [["RO"]], (1, 1, 1)),
    "lindex": (3, ["readonly"], ["read", "list", "slow"], [["RO", "access"]], (1, 1, 1)),
    "lset": (4, ["write", "denyoom"], ["write", "list", "slow"], [["RW", "update"]], (1, 1, 1)),
    "lrange": (4, ["readonly"], ["read", "list", "slow"], [["RO", "access"]], (1, 1, 1)),
    "ltrim": (4, ["write"], ["write", "list", "slow"], [["RW", "delete"]], (1, 1, 1)),
    "lrem": (4, ["write"], ["write", "list", "slow"], [["RW", "delete"]], (1, 1, 1)),
    "linsert": (5, ["write", "denyoom"], ["write", "list", "slow"], [["RW", "insert"]], (1, 1, 1)),
    "lpos": (-3, ["readonly"], ["read", "list", "slow"], [["RO", "access"]], (1, 1, 1)),
    "lmove": (5, ["write", "denyoom"], ["write", "list", "slow"], [RW_AD, ["RW", "insert"]], (1, 2, 1)),
    "rpoplpush": (3, ["write", "denyoom"], ["write", "list", "slow"], [RW_AD, ["RW", "insert"]], (1, 2, 1)),
    "lmpop": (-4, ["write", "movablekeys"], ["write", "list", "slow"], [RW_AD], (0, 0, 0)),
    "blpop": (-3, ["write", "noscript", "blocking"], ["write", "list", "slow", "blocking"], [RW_AD], (1, -2, 1)),
    "brpop": (-3, ["write", "noscript", "blocking"], ["write", "list", "slow", "blocking"], [RW_AD], (1, -2, 1)),
    "blmove": (6, ["write", "denyoom", "noscript", "blocking"], ["write", "list", "slow", "blocking"],
               [RW_AD, ["RW", "insert"]], (1, 2, 1)),
    "brpoplpush": (4, ["write", "denyoom", "noscript", "blocking"], ["write", "list", "slow", "blocking"],
                   [RW_AD, ["RW", "insert"]], (1, 2, 1)),
    "blmpop": (-5, ["write", "blocking", "movablekeys"], ["write", "list", "slow", "blocking"], [RW_AD], (0, 0, 0)),
}


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_declarations(name):
    arity, flags, cats, key_flags, legacy = DECLARED[name]
    spec = REGISTRY[name.encode()]
    assert spec.arity == arity
    assert spec.info_flags() == flags
    assert list(spec.acl_categories) == cats
    assert [ks.key_flags for ks in spec.key_specs] == key_flags
    assert (spec.first_key, spec.last_key, spec.key_step) == legacy
    assert spec.group == "list"


def test_key_positions():
    assert REGISTRY[b"blpop"].keys_of([b"blpop", b"a", b"b", b"0"]) == [b"a", b"b"]
    assert REGISTRY[b"lmpop"].keys_of([b"lmpop", b"2", b"a", b"b", b"LEFT"]) == [b"a", b"b"]
    assert REGISTRY[b"blmpop"].keys_of([b"blmpop", b"0", b"1", b"a", b"LEFT"]) == [b"a"]
    assert REGISTRY[b"blmove"].keys_of([b"blmove", b"s", b"d", b"LEFT", b"LEFT", b"0"]) == [b"s", b"d"]


# -- the value type ----------------------------------------------------------------------------------


def test_type_encoding_copy(client):
    run(client, "RPUSH", "l", "a", "b")
    lst = client.db.get(b"l")
    assert type(lst) is L.ListObject
    assert type_name(lst) == b"list"
    assert object_encoding(lst) == b"quicklist"  # Redis 7.0 has no listpack lists
    dup = copy_value(lst)
    assert type(dup) is L.ListObject and dup == lst and dup is not lst
    dup.append(b"c")
    assert list(lst) == [b"a", b"b"]


def test_encoding_ignores_list_max_listpack_size(client):
    client.server.config.list_max_listpack_size = 1
    run(client, "RPUSH", "l", *range(1000))
    assert object_encoding(client.db.get(b"l")) == b"quicklist"


# -- push and pop --------------------------------------------------------------------------------------


def test_push_order_and_length(client):
    assert run(client, "LPUSH", "l", "a", "b", "c") == 3
    assert run(client, "RPUSH", "l", "d") == 4
    assert items(client) == [b"c", b"b", b"a", b"d"]
    assert run(client, "LPUSHX", "l", "x", "y") == 6
    assert run(client, "RPUSHX", "l", "z") == 7
    assert items(client) == [b"y", b"x", b"c", b"b", b"a", b"d", b"z"]


def test_pushx_on_missing_key_creates_nothing(client):
    assert run(client, "LPUSHX", "l", "a") == 0
    assert run(client, "RPUSHX", "l", "a") == 0
    assert b"l" not in client.db.data


def test_pop_shapes(client):
    assert run(client, "LPOP", "l") is None
    assert run(client, "LPOP", "l", 0) is NULL_ARRAY  # missing key with a count: null array
    assert run(client, "RPOP", "l", 3) is NULL_ARRAY
    run(client, "RPUSH", "l", "a", "b", "c", "d")
    assert run(client, "LPOP", "l", 0) == []
    assert run(client, "LPOP", "l") == b"a"
    assert run(client, "RPOP", "l", 2) == [b"d", b"c"]
    assert run(client, "LPOP", "l", 10) == [b"b"]
    assert b"l" not in client.db.data


def test_pop_errors_in_order(client):
    assert error_of(client, "LPOP", "l", "-1") == errors.MUST_BE_POSITIVE
    assert error_of(client, "LPOP", "l", "x") == errors.MUST_BE_POSITIVE
    assert error_of(client, "LPOP", "l", "1", "2") == errors.wrong_arity("lpop")
    assert error_of(client, "RPOP", "l", "1", "2") == errors.wrong_arity("rpop")
    client.db.set(b"s", b"v")
    assert error_of(client, "LPOP", "s", "-1") == errors.MUST_BE_POSITIVE  # count checked first
    assert error_of(client, "LPOP", "s", "0") == errors.WRONGTYPE


# -- reading ---------------------------------------------------------------------------------------------


def test_lindex_and_lset(client):
    assert run(client, "LINDEX", "l", "x") is None  # key looked up before the index
    assert error_of(client, "LSET", "l", "x", "v") == errors.NO_SUCH_KEY
    run(client, "RPUSH", "l", "a", "b", "c")
    assert [run(client, "LINDEX", "l", i) for i in (0, 2, 3, -1, -3, -4)] == [b"a", b"c", None, b"c", b"a", None]
    assert error_of(client, "LINDEX", "l", "1.0") == errors.NOT_INTEGER
    assert run(client, "LSET", "l", -1, "z") == OK
    assert error_of(client, "LSET", "l", 3, "z") == errors.OUT_OF_RANGE
    assert error_of(client, "LSET", "l", -4, "z") == errors.OUT_OF_RANGE
    assert error_of(client, "LSET", "l", " 1", "z") == errors.NOT_INTEGER
    assert items(client) == [b"a", b"b", b"z"]
    client.db.set(b"s", b"v")
    assert error_of(client, "LSET", "s", "x", "v") == errors.WRONGTYPE


def _reference_range(values, start, end):
    n = len(values)
    if start < 0:
        start += n
    if end < 0:
        end += n
    start = max(start, 0)
    if start > end or start >= n:
        return []
    return values[start:min(end, n - 1) + 1]


@pytest.mark.parametrize("n", [0, 1, 2, 5, 9])
def test_lrange_against_reference(client, n):
    values = [b"%d" % i for i in range(n)]
    if values:
        run(client, "RPUSH", "l", *values)
    for start in range(-12, 12):
        for end in range(-12, 12):
            assert run(client, "LRANGE", "l", start, end) == _reference_range(values, start, end), (start, end)
    assert run(client, "LRANGE", "l", -(2**63), 2**63 - 1) == values


def test_lrange_parses_before_lookup(client):
    client.db.set(b"s", b"v")
    assert error_of(client, "LRANGE", "s", "x", "0") == errors.NOT_INTEGER
    assert error_of(client, "LRANGE", "s", "0", "-1") == errors.WRONGTYPE
    assert run(client, "LRANGE", "missing", "0", "-1") == []


def test_llen(client):
    assert run(client, "LLEN", "l") == 0
    run(client, "RPUSH", "l", "a", "b")
    assert run(client, "LLEN", "l") == 2


def _reference_lpos(values, ele, rank=1, count=None, maxlen=0):
    forward = rank > 0
    order = list(range(len(values))) if forward else list(range(len(values) - 1, -1, -1))
    if maxlen:
        order = order[:maxlen]
    hits = [i for i in order if values[i] == ele][abs(rank) - 1:]
    if count is None:
        return hits[0] if hits else None
    return hits if count == 0 else hits[:count]


def test_lpos_against_reference(client):
    values = [b"a", b"b", b"a", b"c", b"a", b"b", b"a", b"d"]
    run(client, "RPUSH", "l", *values)
    for ele in (b"a", b"b", b"d", b"z"):
        for rank in (1, 2, 3, 5, -1, -2, -4, -5):
            for count in (None, 0, 1, 2, 10):
                for maxlen in (0, 1, 3, 8, 20):
                    args = ["LPOS", "l", ele, "RANK", rank, "MAXLEN", maxlen]
                    if count is not None:
                        args += ["COUNT", count]
                    expected = _reference_lpos(values, ele, rank, count, maxlen)
                    assert run(client, *args) == expected, (ele, rank, count, maxlen)


def test_lpos_errors_and_edges(client):
    assert run(client, "LPOS", "l", "a") is None
    assert run(client, "LPOS", "l", "a", "COUNT", "0") == []
    assert error_of(client, "LPOS", "l", "a", "RANK", "0") == errors.LPOS_RANK_ZERO
    assert error_of(client, "LPOS", "l", "a", "RANK", "x") == errors.NOT_INTEGER
    assert error_of(client, "LPOS", "l", "a", "COUNT", "-1") == errors.LPOS_COUNT_NEGATIVE
    assert error_of(client, "LPOS", "l", "a", "COUNT", "x") == errors.LPOS_COUNT_NEGATIVE
    assert error_of(client, "LPOS", "l", "a", "MAXLEN", "-1") == errors.LPOS_MAXLEN_NEGATIVE
    assert error_of(client, "LPOS", "l", "a", "RANK") == errors.SYNTAX
    assert error_of(client, "LPOS", "l", "a", "BOGUS", "1") == errors.SYNTAX
    run(client, "RPUSH", "l", "a", "b", "a", "c", "a")
    # Redis 7.0 negates RANK in a C long: the minimum stays negative and matches everything.
    assert run(client, "LPOS", "l", "a", "RANK", -(2**63)) == 4
    assert run(client, "LPOS", "l", "a", "RANK", -(2**63), "COUNT", "1") == [4, 2, 0]
    assert run(client, "LPOS", "l", "a", "RANK", -(2**63), "MAXLEN", "3") == 4
    assert run(client, "LPOS", "l", "a", "RANK", -(2**63) + 1) is None


# -- in-place changes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 3, 7])
def test_ltrim_against_reference(client, n):
    values = [b"%d" % i for i in range(n)]
    for start in range(-9, 9):
        for end in range(-9, 9):
            client.db.delete(b"l")
            run(client, "RPUSH", "l", *values)
            assert run(client, "LTRIM", "l", start, end) == OK
            expected = _reference_range(values, start, end)
            assert (items(client) if expected else b"l" not in client.db.data) == (expected or True), (start, end)


def test_ltrim_big_rebuild_path(client):
    run(client, "RPUSH", "l", *range(5000))
    run(client, "LTRIM", "l", 4000, 4002)
    assert items(client) == [b"4000", b"4001", b"4002"]
    run(client, "RPUSH", "m", *range(100))
    run(client, "LTRIM", "m", 1, -2)
    assert items(client, b"m") == [b"%d" % i for i in range(1, 99)]


def _reference_lrem(values, count, ele):
    out = list(values)
    removed = 0
    if count >= 0:
        i = 0
        while i < len(out):
            if out[i] == ele and (count == 0 or removed < count):
                del out[i]
                removed += 1
            else:
                i += 1
    else:
        i = len(out) - 1
        while i >= 0:
            if out[i] == ele and removed < -count:
                del out[i]
                removed += 1
            i -= 1
    return removed, out


@pytest.mark.parametrize("count", [0, 1, 2, 3, -1, -2, -3, 10, -10, 2**63 - 1, -(2**63)])
def test_lrem_against_reference(client, count):
    values = [b"a", b"b", b"a", b"c", b"a", b"b", b"a"]
    for ele in (b"a", b"b", b"c", b"z"):
        client.db.delete(b"l")
        run(client, "RPUSH", "l", *values)
        removed, expected = _reference_lrem(values, count, ele)
        assert run(client, "LREM", "l", count, ele) == removed
        assert items(client) == expected


def test_lrem_deletes_emptied_list(client):
    run(client, "RPUSH", "l", "a", "a")
    assert run(client, "LREM", "l", 0, "a") == 2
    assert b"l" not in client.db.data
    assert run(client, "LREM", "l", 0, "a") == 0
    assert error_of(client, "LREM", "l", "x", "a") == errors.NOT_INTEGER


def test_linsert(client):
    assert error_of(client, "LINSERT", "l", "MIDDLE", "a", "x") == errors.SYNTAX
    assert run(client, "LINSERT", "l", "BEFORE", "a", "x") == 0
    run(client, "RPUSH", "l", "a", "b", "a")
    assert run(client, "LINSERT", "l", "before", "a", "x") == 4
    assert run(client, "LINSERT", "l", "AFTER", "a", "y") == 5
    assert run(client, "LINSERT", "l", "AFTER", "z", "y") == -1
    assert items(client) == [b"x", b"a", b"y", b"b", b"a"]


# -- moving -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("wherefrom", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("whereto", ["LEFT", "RIGHT"])
def test_lmove(client, wherefrom, whereto):
    run(client, "RPUSH", "s", "a", "b", "c")
    run(client, "RPUSH", "d", "x")
    moved = run(client, "LMOVE", "s", "d", wherefrom, whereto)
    assert moved == (b"a" if wherefrom == "LEFT" else b"c")
    assert items(client, b"d") == ([moved, b"x"] if whereto == "LEFT" else [b"x", moved])


def test_lmove_same_key_rotates_and_keeps_single_element(client):
    run(client, "RPUSH", "l", "a", "b", "c")
    assert run(client, "RPOPLPUSH", "l", "l") == b"c"
    assert items(client) == [b"c", b"a", b"b"]
    client.db.delete(b"l")
    run(client, "RPUSH", "l", "only")
    assert run(client, "LMOVE", "l", "l", "LEFT", "RIGHT") == b"only"
    assert items(client) == [b"only"]


def test_lmove_errors(client):
    assert error_of(client, "LMOVE", "s", "d", "UP", "LEFT") == errors.SYNTAX
    assert run(client, "LMOVE", "s", "d", "LEFT", "LEFT") is None
    client.db.set(b"str", b"v")
    run(client, "RPUSH", "s", "a")
    assert error_of(client, "LMOVE", "s", "str", "LEFT", "LEFT") == errors.WRONGTYPE
    assert items(client, b"s") == [b"a"]  # nothing popped
    assert error_of(client, "LMOVE", "str", "s", "LEFT", "LEFT") == errors.WRONGTYPE


def test_lmove_source_emptied_is_deleted(client):
    run(client, "RPUSH", "s", "a")
    assert run(client, "LMOVE", "s", "d", "LEFT", "LEFT") == b"a"
    assert b"s" not in client.db.data
    assert items(client, b"d") == [b"a"]


def test_lmpop(client):
    assert run(client, "LMPOP", 2, "a", "b", "LEFT") is NULL_ARRAY
    run(client, "RPUSH", "b", "1", "2", "3")
    assert run(client, "LMPOP", 2, "a", "b", "LEFT") == [b"b", [b"1"]]
    assert run(client, "LMPOP", 2, "a", "b", "RIGHT", "COUNT", 5) == [b"b", [b"3", b"2"]]
    assert b"b" not in client.db.data
    assert error_of(client, "LMPOP", 0, "a", "LEFT") == errors.NUMKEYS_NOT_POSITIVE
    assert error_of(client, "LMPOP", "x", "a", "LEFT") == errors.NUMKEYS_NOT_POSITIVE
    assert error_of(client, "LMPOP", 2, "a", "LEFT") == errors.SYNTAX
    assert error_of(client, "LMPOP", 1, "a", "UP") == errors.SYNTAX
    assert error_of(client, "LMPOP", 1, "a", "LEFT", "COUNT", 0) == errors.LIST_COUNT_POSITIVE
    assert error_of(client, "LMPOP", 1, "a", "LEFT", "COUNT", 1, "COUNT", 1) == errors.SYNTAX
    client.db.set(b"s", b"v")
    run(client, "RPUSH", "l", "x")
    assert error_of(client, "LMPOP", 2, "s", "l", "LEFT") == errors.WRONGTYPE
    assert run(client, "LMPOP", 2, "l", "s", "LEFT") == [b"l", [b"x"]]


# -- timeouts ------------------------------------------------------------------------------------------------

# Which arguments are accepted and which error each gets was checked against redis-server 7.0.15
# (tests/differential/test_lists.py::test_timeout_parsing); the values follow getTimeoutFromObjectOrReply:
# long double seconds x 1000, truncated to whole milliseconds.
TIMEOUT_CASES = {
    b"0": 0.0, b"1": 1.0, b"0.5": 0.5, b".5": 0.5, b"+1": 1.0, b"1e3": 1000.0, b"0x10": 16.0,
    b"0x1p3": 8.0, b"-0": 0.0, b"-0.0001": 0.0, b"-0.001": 0.0, b"-0.0009": 0.0, b"0.00001": 0.0,
    b"0.0015": 0.001, b"1e-400": 0.0, b"1e15": 1e15,
    b"-1": errors.TIMEOUT_NEGATIVE, b"-0.5": errors.TIMEOUT_NEGATIVE, b"inf": errors.TIMEOUT_NEGATIVE,
    b"-inf": errors.TIMEOUT_NEGATIVE, b"infinity": errors.TIMEOUT_NEGATIVE, b"1e300": errors.TIMEOUT_NEGATIVE,
    b"1e16": errors.TIMEOUT_NEGATIVE, b"1e4000": errors.TIMEOUT_NEGATIVE,
    b"9223372036854775808": errors.TIMEOUT_NEGATIVE,
    b"nan": errors.TIMEOUT_NOT_FLOAT, b"": errors.TIMEOUT_NOT_FLOAT, b" 1": errors.TIMEOUT_NOT_FLOAT,
    b"1 ": errors.TIMEOUT_NOT_FLOAT, b"1_0": errors.TIMEOUT_NOT_FLOAT, b"1.0e": errors.TIMEOUT_NOT_FLOAT,
    b"x": errors.TIMEOUT_NOT_FLOAT, b"1" * 6000: errors.TIMEOUT_NOT_FLOAT,
}


@pytest.mark.parametrize("raw", sorted(TIMEOUT_CASES))
def test_parse_list_timeout(raw):
    expected = TIMEOUT_CASES[raw]
    if isinstance(expected, str):
        with pytest.raises(CommandError) as info:
            L.parse_list_timeout(raw)
        assert info.value.message == expected
    else:
        assert L.parse_list_timeout(raw) == pytest.approx(expected)


# -- blocking commands: immediate paths, Block values, re-runs -------------------------------------------


def test_blocking_serve_at_once(client):
    run(client, "RPUSH", "b", "1", "2", "3")
    assert run(client, "BLPOP", "a", "b", 0) == [b"b", b"1"]
    assert run(client, "BRPOP", "a", "b", 0) == [b"b", b"3"]
    assert run(client, "BLMOVE", "b", "d", "LEFT", "LEFT", 0) == b"2"
    assert b"b" not in client.db.data
    assert run(client, "BRPOPLPUSH", "d", "e", 0) == b"2"
    run(client, "RPUSH", "m", "x", "y")
    assert run(client, "BLMPOP", 0, 2, "a", "m", "RIGHT", "COUNT", 9) == [b"m", [b"y", b"x"]]


def test_blocking_returns_block(client):
    block = run(client, "BLPOP", "a", "b", "1.5")
    assert type(block) is Block and block.keys == [b"a", b"b"] and block.timeout == 1.5
    assert block.timeout_reply is NULL_ARRAY
    block = run(client, "BLMOVE", "s", "d", "LEFT", "RIGHT", "0")
    assert type(block) is Block and block.keys == [b"s"] and block.timeout == 0
    assert block.timeout_reply is NULL_ARRAY  # a real timeout answers a null array, as Redis
    block = run(client, "BRPOPLPUSH", "s", "d", "2")
    assert block.keys == [b"s"] and block.timeout == 2
    block = run(client, "BLMPOP", "0.25", 2, "x", "y", "LEFT")
    assert block.keys == [b"x", b"y"] and block.timeout == 0.25 and block.timeout_reply is NULL_ARRAY


def test_blmove_inside_exec_answers_null_bulk(client):
    client.in_exec = True
    assert run(client, "BLMOVE", "s", "d", "LEFT", "RIGHT", "0") is None
    assert run(client, "BRPOPLPUSH", "s", "d", "0") is None
    assert type(run(client, "BLPOP", "s", "0")) is Block  # the node answers its timeout reply


def test_blocking_argument_errors(client):
    assert error_of(client, "BLPOP", "a", "x") == errors.TIMEOUT_NOT_FLOAT
    assert error_of(client, "BLPOP", "a", "-1") == errors.TIMEOUT_NEGATIVE
    assert error_of(client, "BLMOVE", "a", "b", "UP", "LEFT", "x") == errors.SYNTAX
    assert error_of(client, "BLMOVE", "a", "b", "LEFT", "LEFT", "x") == errors.TIMEOUT_NOT_FLOAT
    assert error_of(client, "BLMPOP", "x", 1, "a", "UP") == errors.SYNTAX  # numkeys/where before timeout
    assert error_of(client, "BLMPOP", "x", 0, "a", "LEFT") == errors.NUMKEYS_NOT_POSITIVE
    assert error_of(client, "BLMPOP", "x", 1, "a", "LEFT") == errors.TIMEOUT_NOT_FLOAT


def test_first_run_wrongtype_rerun_skips(client):
    client.db.set(b"s", b"v")
    assert error_of(client, "BLPOP", "s", "l", "0") == errors.WRONGTYPE
    assert error_of(client, "BLMOVE", "s", "d", "LEFT", "LEFT", "0") == errors.WRONGTYPE
    assert error_of(client, "BLMPOP", "0", 2, "s", "l", "LEFT") == errors.WRONGTYPE
    # What the node does when a key the parked client waits on changes: a re-run.
    client.server.blocking.rerunning = client
    assert type(run(client, "BLPOP", "s", "l", "0")) is Block
    assert type(run(client, "BLMOVE", "s", "d", "LEFT", "LEFT", "0")) is Block
    assert type(run(client, "BLMPOP", "0", 2, "s", "l", "LEFT")) is Block
    run(client, "RPUSH", "l", "x")
    assert run(client, "BLPOP", "s", "l", "0") == [b"l", b"x"]
    # Another client waiting on the key does not make this run a re-run.
    other = FakeClient(client.server)
    assert error_of(other, "BLPOP", "s", "0") == errors.WRONGTYPE


def test_rerun_blmove_destination_wrongtype_is_an_error(client):
    client.server.blocking.rerunning = client
    client.db.set(b"d", b"v")
    run(client, "RPUSH", "s", "x")
    assert error_of(client, "BLMOVE", "s", "d", "LEFT", "LEFT", "0") == errors.WRONGTYPE
    assert items(client, b"s") == [b"x"]


# -- dirty counter and WATCH ---------------------------------------------------------------------------------

DIRTY = [
    (("RPUSH", "l", "a", "b", "c"), 3), (("LPUSHX", "l", "d", "e"), 2), (("LPUSHX", "m", "d"), 0),
    (("LPOP", "l"), 1), (("RPOP", "l", 2), 2), (("LPOP", "l", 0), 0), (("LSET", "l", 0, "z"), 1),
    (("LINSERT", "l", "AFTER", "z", "y"), 1), (("LINSERT", "l", "AFTER", "q", "y"), 0),
    (("LREM", "l", 0, "y"), 1), (("LTRIM", "l", 0, -1), 0), (("RPUSH", "l", "1", "2", "3"), 3),
    (("LTRIM", "l", 1, -2), 2), (("LMOVE", "l", "k", "LEFT", "LEFT"), 1), (("RPOPLPUSH", "l", "l"), 1),
    (("LMPOP", 1, "l", "LEFT", "COUNT", 5), 2), (("BLPOP", "k", 0), 1), (("LRANGE", "l", 0, -1), 0),
]


def test_dirty_counts(client):
    clock = client.server.clock
    for cmd, expected in DIRTY:
        before = clock.dirty
        run(client, *cmd)
        assert clock.dirty - before == expected, cmd


@pytest.mark.parametrize("cmd,signals", [
    (("LPUSH", "l", "x"), True), (("LPOP", "l"), True), (("LTRIM", "l", 0, -1), True),
    (("LREM", "l", 0, "zz"), False), (("LINSERT", "l", "BEFORE", "zz", "x"), False),
    (("LSET", "l", 0, "x"), True), (("LRANGE", "l", 0, -1), False), (("LPOS", "l", "a"), False),
    (("LMOVE", "o", "l", "LEFT", "LEFT"), True), (("LMOVE", "l", "o", "LEFT", "LEFT"), True),
    (("RPUSHX", "missing", "x"), False), (("LPOP", "l", 0), False),
])
def test_watch_signals(client, cmd, signals):
    run(client, "RPUSH", "l", "a", "b")
    run(client, "RPUSH", "o", "c")
    watcher = watch(client, b"l")
    run(client, *cmd)
    assert watcher.watch_dirty is signals


def test_emptied_list_deleted_signals_watch(client):
    run(client, "RPUSH", "l", "a")
    watcher = watch(client, b"l")
    run(client, "RPOP", "l")
    assert b"l" not in client.db.data and watcher.watch_dirty


# -- a model-based check -------------------------------------------------------------------------------------

ELEMENTS = st.sampled_from([b"a", b"b", b"c", b"", b"1"])
INDEX = st.integers(-6, 6)
OPS = st.one_of(
    st.tuples(st.sampled_from(["LPUSH", "RPUSH"]), st.lists(ELEMENTS, min_size=1, max_size=4)),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), st.one_of(st.none(), st.integers(0, 4))),
    st.tuples(st.just("LREM"), st.integers(-3, 3), ELEMENTS),
    st.tuples(st.just("LTRIM"), INDEX, INDEX),
    st.tuples(st.just("LSET"), INDEX, ELEMENTS),
    st.tuples(st.just("LINSERT"), st.booleans(), ELEMENTS, ELEMENTS),
    st.tuples(st.just("LMOVE"), st.booleans(), st.booleans()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(OPS, max_size=30))
def test_model(ops):
    client = FakeClient(FakeServer())
    model: list[bytes] = []
    for op in ops:
        name = op[0]
        if name in ("LPUSH", "RPUSH"):
            run(client, name, "l", *op[1])
            model = list(reversed(op[1])) + model if name == "LPUSH" else model + op[1]
        elif name in ("LPOP", "RPOP"):
            count = op[1]
            reply = run(client, name, "l") if count is None else run(client, name, "l", count)
            if not model:
                assert reply is (None if count is None else NULL_ARRAY)
                continue
            n = 1 if count is None else min(count, len(model))
            taken = model[:n] if name == "LPOP" else model[::-1][:n]
            model = model[n:] if name == "LPOP" else model[:len(model) - n]
            assert reply == (taken[0] if count is None else taken)
        elif name == "LREM":
            removed, model = _reference_lrem(model, op[1], op[2])
            assert run(client, "LREM", "l", op[1], op[2]) == removed
        elif name == "LTRIM":
            run(client, "LTRIM", "l", op[1], op[2])
            model = _reference_range(model, op[1], op[2])
        elif name == "LSET":
            if not model:
                assert error_of(client, "LSET", "l", op[1], op[2]) == errors.NO_SUCH_KEY
            elif -len(model) <= op[1] < len(model):
                run(client, "LSET", "l", op[1], op[2])
                model[op[1]] = op[2]
            else:
                assert error_of(client, "LSET", "l", op[1], op[2]) == errors.OUT_OF_RANGE
        elif name == "LINSERT":
            reply = run(client, "LINSERT", "l", "AFTER" if op[1] else "BEFORE", op[2], op[3])
            if not model:
                assert reply == 0
            elif op[2] in model:
                i = model.index(op[2])
                model.insert(i + 1 if op[1] else i, op[3])
                assert reply == len(model)
            else:
                assert reply == -1
        else:
            reply = run(client, "LMOVE", "l", "l", "LEFT" if op[1] else "RIGHT", "LEFT" if op[2] else "RIGHT")
            if not model:
                assert reply is None
                continue
            value = model.pop(0) if op[1] else model.pop()
            if op[2]:
                model.insert(0, value)
            else:
                model.append(value)
            assert reply == value
        assert items(client) == model
        assert (b"l" in client.db.data) == bool(model)
