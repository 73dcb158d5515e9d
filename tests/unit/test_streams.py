"""The stream data model without sockets: id parsing and formatting (Redis's string2ull and
streamGenericParseIDOrReply quirks), id arithmetic, listpack element sizes, the node
emulation behind ``~`` trimming (node closing by entries and by bytes, tombstones, whole-node
trims, LIMIT), COPY's deep copy of groups, and XADD/XTRIM option parsing."""

from __future__ import annotations

import random

import pytest

from node.commands import stream_type as st
from node.commands.stream_type import (
    INVALID_ID,
    MAX_ID,
    ConsumerGroup,
    Consumer,
    PendingEntry,
    Stream,
    decr_id,
    format_id,
    incr_id,
    lp_int_size,
    lp_str_size,
    parse_add_id,
    parse_id,
    parse_interval_id,
    parse_strict_id,
    string2ull,
)
from node.commands.streams import TrimArgs, parse_add_or_trim
from node.errors import CommandError

U64 = 2**64 - 1


# -- ids ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw,value", [
    (b"0", 0), (b"123", 123), (b"18446744073709551615", U64), (b"007", 7), (b"+5", 5), (b" 5", 5),
    (b"\t\n 42", 42), (b" -1", U64), (b"-0", 0), (b"5\x00junk", 5), (b"9223372036854775808", 2**63),
])
def test_string2ull_accepts(raw, value):
    assert string2ull(raw) == value


@pytest.mark.parametrize("raw", [
    b"", b"-1", b"-9223372036854775808", b"18446744073709551616", b"1 ", b"1.0", b"x", b" ", b"+", b"--1", b"0x10",
    b"\x00", b"1e3",
])
def test_string2ull_refuses(raw):
    assert string2ull(raw) is None


def test_parse_id_forms():
    assert parse_id(b"-") == (0, 0)
    assert parse_id(b"+") == MAX_ID
    assert parse_id(b"5") == (5, 0)
    assert parse_id(b"5", U64) == (5, U64)
    assert parse_id(b"5-7") == (5, 7)
    with pytest.raises(CommandError) as exc:
        parse_id(b"5-")
    assert exc.value.message == INVALID_ID
    assert parse_id(b"1- 2") == (1, 2)
    assert parse_id(b"-\x00x") == (0, 0)  # a C string: ends at the NUL


@pytest.mark.parametrize("raw", [b"-", b"+"])
def test_strict_refuses_min_and_max(raw):
    with pytest.raises(CommandError):
        parse_strict_id(raw)


@pytest.mark.parametrize("raw", [b"x", b"1-x", b"1-2-3", b"", b"9" * 128, b"$", b">", b"1--1", b"-1-1"])
def test_invalid_ids(raw):
    with pytest.raises(CommandError) as exc:
        parse_id(raw)
    assert exc.value.message == INVALID_ID


def test_xadd_ids_and_sequence_star():
    assert parse_add_id(b"5-*") == (5, None)
    assert parse_add_id(b"5") == (5, 0)
    assert parse_add_id(b"5-3") == (5, 3)
    for bad in (b"*-1", b"5-**", b"-", b"+", b"*"):
        with pytest.raises(CommandError):
            parse_add_id(bad)
    with pytest.raises(CommandError):
        parse_id(b"5-*")  # only XADD knows ms-*


def test_interval_ids():
    assert parse_interval_id(b"(5", 0) == ((5, 0), True)
    assert parse_interval_id(b"(5", U64) == ((5, U64), True)
    with pytest.raises(CommandError):
        parse_interval_id(b"(", 0)  # "(" alone is an ordinary (invalid) id
    with pytest.raises(CommandError):
        parse_interval_id(b"(-", 0)  # the exclusive form is strict
    assert parse_interval_id(b"-", 0) == ((0, 0), False)


def test_format_and_arithmetic():
    assert format_id((1, 2)) == b"1-2"
    assert format_id(MAX_ID) == b"18446744073709551615-18446744073709551615"
    assert incr_id((1, 2)) == (1, 3)
    assert incr_id((1, U64)) == (2, 0)
    assert incr_id(MAX_ID) is None
    assert decr_id((1, 0)) == (0, U64)
    assert decr_id((0, 0)) is None


# -- listpack sizes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value,size", [
    (0, 2), (127, 2), (128, 3), (-1, 3), (4095, 3), (-4096, 3), (4096, 4), (32767, 4), (-32769, 5),
    (8388607, 5), (8388608, 6), (2**31 - 1, 6), (2**31, 10), (-(2**63), 10),
])
def test_integer_element_sizes(value, size):
    assert lp_int_size(value) == size


@pytest.mark.parametrize("raw,size", [
    (b"", 2), (b"v", 3), (b"x" * 63, 65), (b"x" * 64, 67), (b"x" * 125, 128), (b"x" * 126, 130),
    (b"x" * 4095, 4099), (b"x" * 4096, 4103), (b"12", 2), (b"-5", 3), (b"007", 5), (b"-0", 4),
    (b"12345678901234567890", 22), (b"9223372036854775807", 10),
])
def test_string_element_sizes(raw, size):
    assert lp_str_size(raw) == size


# -- nodes ------------------------------------------------------------------------------------------


def filled(n: int, max_bytes: int = 4096, max_entries: int = 100, fields=(b"f", b"v")) -> Stream:
    s = Stream()
    for i in range(1, n + 1):
        s.append((i, 1), fields, max_bytes, max_entries)
    return s


def test_nodes_close_at_max_entries():
    s = filled(250)
    assert [(n.master_id, n.live) for n in s.nodes] == [((1, 1), 100), ((101, 1), 100), ((201, 1), 50)]
    assert s.node_keys == [(1, 1), (101, 1), (201, 1)]
    assert s.entries_added == 250 and s.last_id == (250, 1) and s.first_id == (1, 1)


def test_nodes_close_at_max_bytes():
    s = filled(40, max_bytes=200, max_entries=0, fields=(b"field", b"x" * 20))
    for node in s.nodes[:-1]:
        assert node.lp_bytes() + 25 >= 200  # the next entry would not fit
        assert node.lp_bytes() < 200 + 25
    assert sum(n.live for n in s.nodes) == 40


def test_first_entry_size_in_a_node():
    # header 7, count/deleted/numfields 2+2+2, field "f" 3, terminator 2; entry: flags 2,
    # ms/seq deltas 2+2, value 3, lp-count 2
    s = filled(1)
    assert s.nodes[0].lp_bytes() == 7 + 6 + 3 + 2 + 2 + 4 + 3 + 2


def test_tombstones_count_toward_the_node_and_empty_nodes_go():
    s = filled(150)
    for i in range(2, 100):
        assert s.delete((i, 1))
    assert not s.delete((2, 1))
    assert s.nodes[0].live == 2 and s.nodes[0].deleted == 98
    assert s.max_deleted_id == (99, 1)
    s.delete((1, 1))
    s.delete((100, 1))
    assert s.node_keys == [(101, 1)]
    assert s.first_id == (101, 1)
    s.append((151, 1), (b"f", b"v"), 4096, 100)
    assert len(s.nodes) == 1 and s.nodes[0].live == 51  # the 50-entry tail node had room


def test_approximate_trim_removes_whole_nodes_only():
    s = filled(250)
    assert s.trim(st.TRIM_MAXLEN, 10, None, True, 10000) == 200
    assert len(s) == 50
    assert s.trim(st.TRIM_MAXLEN, 10, None, True, 10000) == 0
    assert s.trim(st.TRIM_MAXLEN, 10, None, False, 0) == 40
    assert s.first_id == (241, 1) and s.nodes[0].deleted == 40


def test_minid_trim_uses_the_node_last_id_tombstones_included():
    s = filled(200)
    s.delete((100, 1))  # the first node's last entry is a tombstone
    assert s.trim(st.TRIM_MINID, 0, (100, 1), True, 10000) == 0  # last id 100-1 is not < 100-1
    assert s.trim(st.TRIM_MINID, 0, (100, 2), True, 10000) == 99
    assert s.trim(st.TRIM_MINID, 0, (150, 0), False, 0) == 49
    assert s.first_id == (150, 1)


def test_trim_limit_stops_before_a_node():
    s = filled(500)
    assert s.trim(st.TRIM_MAXLEN, 0, None, True, 150) == 100
    assert s.trim(st.TRIM_MAXLEN, 0, None, True, 99) == 0
    assert len(s) == 400


def test_empty_stream_keeps_its_last_id():
    s = filled(3)
    assert s.trim(st.TRIM_MAXLEN, 0, None, False, 0) == 3
    assert len(s) == 0 and s.first_id == (0, 0) and s.last_id == (3, 1)
    assert s.next_id(1) == (3, 2)
    assert s.next_id(10) == (10, 0)


def test_copy_is_deep_and_shares_pending_entries_per_group():
    s = filled(3)
    group = ConsumerGroup(b"g", (2, 1), 2)
    alice = Consumer(b"alice", 5)
    group.consumers[b"alice"] = alice
    pending = PendingEntry(alice, 7, 2)
    alice.pel[(1, 1)] = pending
    group.pel[(1, 1)] = pending
    s.groups[b"g"] = group
    c = s.copy()
    c.append((9, 9), (b"f", b"v"), 4096, 100)
    c.delete((1, 1))
    assert len(s) == 3 and s.last_id == (3, 1) and s.nodes[0].live == 3
    copied = c.groups[b"g"]
    assert copied is not group and copied.last_id == (2, 1) and copied.entries_read == 2
    twin = copied.consumers[b"alice"]
    assert twin is not alice and twin.seen_time == 5
    assert copied.pel[(1, 1)] is twin.pel[(1, 1)]
    assert copied.pel[(1, 1)].consumer is twin and copied.pel[(1, 1)].delivery_count == 2


# -- XADD/XTRIM options -----------------------------------------------------------------------------


def args_of(*words: bytes, xadd: bool = True, max_entries: int = 100) -> TrimArgs:
    return parse_add_or_trim([b"XADD" if xadd else b"XTRIM", b"s", *words], xadd, max_entries)


def test_option_parsing():
    a = args_of(b"MAXLEN", b"~", b"10", b"*", b"f", b"v")
    assert (a.strategy, a.approx, a.maxlen, a.limit, a.idpos, a.id_given) == (st.TRIM_MAXLEN, True, 10, 10000, 5, False)
    a = args_of(b"nomkstream", b"minid", b"5", b"7-*", b"f", b"v")
    assert (a.nomkstream, a.strategy, a.minid, a.id, a.idpos) == (True, st.TRIM_MINID, (5, 0), (7, None), 5)
    assert args_of(b"MAXLEN", b"~", b"1", b"*", max_entries=0).limit == 10000
    assert args_of(b"MAXLEN", b"~", b"1", b"*", max_entries=10**6).limit == 1000000
    assert args_of(b"MAXLEN", b"~", b"1", b"LIMIT", b"7", b"*").limit == 7
    assert args_of(b"MAXLEN", b"1", xadd=False).limit == 0


@pytest.mark.parametrize("words,error", [
    ((b"MAXLEN", b"1", b"LIMIT", b"5"), "LIMIT cannot be used without the special ~ option"),
    ((b"LIMIT", b"5"), "LIMIT cannot be used without specifying a trimming strategy"),
    ((b"LIMIT", b"0"), "XTRIM must be called with a trimming strategy"),
    ((), "XTRIM must be called with a trimming strategy"),
    ((b"MAXLEN", b"1", b"MINID", b"1"), "MAXLEN and MINID options at the same time are not compatible"),
    ((b"MAXLEN", b"-1"), "The MAXLEN argument must be >= 0."),
    ((b"MAXLEN", b"~", b"1", b"LIMIT", b"-1"), "The LIMIT argument must be >= 0."),
    ((b"MAXLEN", b"1", b"*"), "ERR syntax error"),
])
def test_xtrim_option_errors(words, error):
    with pytest.raises(CommandError) as exc:
        args_of(*words, xadd=False)
    assert error in exc.value.message


def test_entries_are_stored_per_node_values_only_under_the_master_fields():
    s = Stream()
    s.append((1, 0), (b"f", b"v"), 4096, 3)
    s.append((1, 1), (b"f", b"w"), 4096, 3)
    s.append((2, 0), (b"g", b"x", b"h", b"y"), 4096, 3)  # own fields
    s.append((3, 0), (b"a", b"1", b"b", b"2"), 4096, 3)  # a new node, two master fields
    s.append((3, 5), (b"a", b"3", b"b", b"4"), 4096, 3)
    first, second = s.nodes
    assert first.items == [b"v", b"w", [b"g", b"x", b"h", b"y"]] and list(first.seq) == [0, 1, 0]
    assert second.items == [(b"1", b"2"), (b"3", b"4")]
    assert s.get((3, 5)) == [b"a", b"3", b"b", b"4"] and s.get((1, 1)) == (b"f", b"w")
    assert s.get((2, 1)) is None and (2, 0) in s and (0, 5) not in s and (9, 0) not in s
    assert s.first_entry() == ((1, 0), (b"f", b"v")) and s.last_entry_id() == (3, 5)


def test_ranges_cross_nodes_both_ways_with_counts():
    s = filled(250)
    ids = [stream_id for stream_id, _ in s.range((50, 0), (210, 1))]
    assert ids == [(i, 1) for i in range(50, 211)]
    assert [i for i, _ in s.range((99, 5), MAX_ID, 3)] == [(100, 1), (101, 1), (102, 1)]
    assert [i for i, _ in s.range((0, 0), (102, 0), 4, rev=True)] == [(101, 1), (100, 1), (99, 1), (98, 1)]
    assert [i for i, _ in s.range((199, 1), (202, 1), rev=True)] == [(202, 1), (201, 1), (200, 1), (199, 1)]
    assert s.range((300, 0), MAX_ID) == [] and s.range((0, 0), (0, 9), rev=True) == []
    assert s.range((5, 0), (4, 0)) == [] and len(s.items()) == 250
    for i in range(100, 201):
        s.delete((i, 1))
    assert [i for i, _ in s.range((98, 0), (203, 0))] == [(98, 1), (99, 1), (201, 1), (202, 1)]
    assert [i for i, _ in s.range((98, 0), (203, 0), rev=True)] == [(202, 1), (201, 1), (99, 1), (98, 1)]


def test_append_now_lays_out_nodes_as_append_does():
    """Stream.append_now (XADD * f v inlined) against the general append, same ids: the same
    nodes, sizes and stored items, including its refusals (new node, seq wrapping)."""
    rng = random.Random(3)
    for max_bytes, max_entries in ((4096, 100), (120, 0), (0, 7), (300, 200), (5000, 0), (0, 0)):
        fast, general = Stream(), Stream()
        now = 5
        for _ in range(600):
            now += rng.choice([0, 0, 0, 1, 200, 10**6])
            field = rng.choice([b"f", b"f", b"g", b"5"])
            value = rng.choice([b"v", b"", b"-12", b"z" * rng.randint(1, 70), b"1" * 20])
            stream_id = general.next_id(now)
            general.append(stream_id, (field, value), max_bytes, max_entries)
            if fast.append_now(now, field, value, max_bytes, max_entries) is None:
                fast.append(fast.next_id(now), (field, value), max_bytes, max_entries)
        assert fast.node_keys == general.node_keys and fast.last_id == general.last_id
        for a, b in zip(fast.nodes, general.nodes):
            assert (a.size, a.live, a.items, a.pairs()) == (b.size, b.live, b.items, b.pairs())
    s = Stream()
    s.append((7, st.UINT64_MAX - 1), (b"f", b"v"), 4096, 100)
    assert s.append_now(1, b"f", b"v", 4096, 100) == (7, st.UINT64_MAX)
    assert s.append_now(1, b"f", b"v", 4096, 100) is None  # the next id is 8-0: the general path


def test_closed_nodes_are_frozen_and_read_alike():
    s = Stream()
    for i in range(1, 251):
        s.append((1000 + i // 3, i), (b"f", b"v%d" % i if i % 7 else b""), 4096, 100)
    s.append((2**40, 0), (b"f", b"far"), 4096, 100)  # the last node: ms beyond 32 bits of its master
    first, second, third = s.nodes
    assert first.items is None and first.blob.startswith(b"v1v2v3v4v5v6v8") and first.ms.typecode == "I"
    assert third.items is not None  # the tail stays as it is
    assert s.get((1000 + 50 // 3, 50)) == (b"f", b"v50") and s.get((1000 + 7 // 3, 7)) == (b"f", b"")
    assert (1000, 3) not in s and s.first_entry() == ((1000, 1), (b"f", b"v1"))
    everything = s.items()
    assert [i for i, _ in everything] == [(1000 + i // 3, i) for i in range(1, 251)] + [(2**40, 0)]
    assert s.range((1033, 0), (1034, 104)) == everything[98:104]
    assert s.range((1033, 0), (1034, 104), 3, rev=True) == everything[101:104][::-1]
    c = s.copy()
    assert s.delete((1000 + 50 // 3, 50)) and first.items is None  # stays packed
    assert s.items() == everything[:49] + everything[50:] and c.items() == everything
    assert s.delete((1000, 1)) and first.items is not None  # from the head: unpacked
    assert s.items() == everything[1:49] + everything[50:]
    assert s.trim(st.TRIM_MAXLEN, 0, None, False, 0) == 249 and len(s) == 0
    # ids too far apart for 32 bits: 64-bit arrays, from the entry that needs them on
    s = Stream()
    for ms, seq in ((5, 0), (6, 2**32), (2**33, 0)):
        s.append((ms, seq), (b"f", b"x"), 4096, 4)
        assert s.append_now(0, b"f", b"y", 4096, 4) == (ms, seq + 1)
    first, second = s.nodes
    assert first.items is None and first.ms.typecode == first.seq.typecode == "Q"
    assert [i for i, _ in s.items()] == [(5, 0), (5, 1), (6, 2**32), (6, 2**32 + 1), (2**33, 0), (2**33, 1)]
    assert s.get((6, 2**32 + 1)) == (b"f", b"y") and second.ms.typecode == "I"
    # dropping the tail node thaws the one before: XADD appends to it again
    s.delete((2**33, 0))
    s.delete((2**33, 1))
    assert len(s.nodes) == 1 and first.items == [b"x", b"y", b"x", b"y"]


def test_nodes_with_several_master_fields_freeze_too_and_own_fields_do_not():
    s = Stream()
    for i in range(1, 8):
        s.append((i, 0), (b"a", b"%d" % i, b"b", b"x" * i), 4096, 3)
    s.append((8, 0), (b"a", b"1", b"c", b"2"), 4096, 3)  # own fields: its node stays unpacked
    s.append((9, 0), (b"a", b"1", b"b", b"2"), 4096, 3)
    s.append((10, 0), (b"a", b"1", b"b", b"2"), 4096, 3)
    first, second, third = s.nodes[:3]
    assert first.items is None and first.blob == b"1x2xx3xxx" and second.items is None
    assert third.own and third.items is not None and len(s.nodes) == 4
    assert s.get((2, 0)) == [b"a", b"2", b"b", b"xx"] and s.get((8, 0)) == [b"a", b"1", b"c", b"2"]
    assert s.range((2, 0), (5, 0), 2, rev=True) == [((5, 0), [b"a", b"5", b"b", b"xxxxx"]),
                                                    ((4, 0), [b"a", b"4", b"b", b"xxxx"])]
    assert s.delete((2, 0)) and first.items is None and first.blob == b"1x3xxx"
    assert s.get((3, 0)) == [b"a", b"3", b"b", b"xxx"] and list(first.ends) == [1, 2, 3, 6]


def test_storage_against_a_plain_model():
    """Random appends (both paths), deletes, trims and copies on small nodes: every read
    (get, in, range both ways with counts, first/last) agrees with a plain sorted dict."""
    rng = random.Random(7)
    for max_entries, max_bytes in ((3, 4096), (5, 60), (0, 200)):
        s, model = Stream(), {}
        now = 1
        for step in range(1500):
            op = rng.random()
            if op < 0.6:
                now += rng.choice([0, 0, 1, 3, 2**33])
                shape = rng.choice([[b"f"], [b"f"], [b"f", b"g"], [b"g"]])
                flat = tuple(x for name in shape for x in (name, rng.choice([b"", b"1", b"v" * rng.randint(1, 9)])))
                new_id = s.append_now(now, *flat, max_bytes, max_entries) if len(flat) == 2 else None
                if new_id is None:
                    new_id = s.next_id(now)
                    s.append(new_id, flat, max_bytes, max_entries)
                model[new_id] = list(flat)
            elif op < 0.8 and model:
                victim = rng.choice(list(model))
                assert s.delete(victim)
                del model[victim]
            elif op < 0.85:
                removed = s.trim(st.TRIM_MAXLEN, rng.randint(0, 40), None, rng.random() < 0.5, 0)
                for stream_id in sorted(model)[:removed]:
                    del model[stream_id]
            elif op < 0.87:
                s = s.copy()
            ids = sorted(model)
            assert len(s) == len(ids) and s.last_entry_id() == (ids[-1] if ids else None)
            if step % 7 == 0 and ids:
                a, b = sorted(rng.choice(ids + [(0, 0), (now, 5)]) for _ in range(2))
                count = rng.choice([0, 1, 2, 5])
                expected = [(i, model[i]) for i in ids if a <= i <= b]
                forward = [(i, list(f)) for i, f in s.range(a, b, count)]
                backward = [(i, list(f)) for i, f in s.range(a, b, count, rev=True)]
                assert forward == (expected[:count] if count else expected)
                assert backward == (expected[::-1][:count] if count else expected[::-1])
                probe = rng.choice(ids)
                assert list(s.get(probe)) == model[probe] and probe in s
                assert s.first_id == ids[0] and [i for i, _ in s.items()] == ids
