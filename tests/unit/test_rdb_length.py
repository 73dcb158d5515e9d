"""node/commands/rdb_length.py: the blobs Redis 7.0 would save (listpack entries and back-lengths,
intsets, d2string scores), quicklist node layout and the RDB size of each kind of value. The
same figures are checked against a real redis-server in tests/differential/test_server.py."""

from __future__ import annotations

import pytest

from node.commands import rdb_length as rdb
from node.commands.hashes import HashObject
from node.commands.lists import ListObject
from node.commands.sets import SetObject


@pytest.mark.parametrize("element, entry", [
    (b"a", b"\x81a\x02"), (b"0", b"\x00\x01"), (b"127", b"\x7f\x01"), (b"128", b"\xc0\x80\x02"),
    (b"-1", b"\xdf\xff\x02"), (b"-4096", b"\xd0\x00\x02"), (b"4096", b"\xf1\x00\x10\x03"),
    (b"-0", b"\x82-0\x03"), (b"007", b"\x83007\x04"), (b"+5", b"\x82+5\x03"),
    (b"9223372036854775807", b"\xf4\xff\xff\xff\xff\xff\xff\xff\x7f\x09"),
    (b"9223372036854775808", b"\x939223372036854775808\x14"),
])
def test_listpack_entries(element, entry):
    assert rdb.lp_entry(element) == entry


def test_backlen_of_long_entries():
    entry = rdb.lp_entry(b"x" * 200)  # 12-bit string: 2 header bytes + 200 = 202 = 1*128 + 74
    assert entry[:2] == b"\xe0\xc8" and entry[-2:] == bytes((1, 74 | 128))
    assert rdb.lp_entry(b"y" * 5000)[:5] == b"\xf0\x88\x13\x00\x00"


def test_listpack_header_and_end():
    blob = rdb.listpack([rdb.lp_entry(x) for x in (b"a", b"b", b"c", b"1", b"2", b"300")])
    assert len(blob) == 23 and blob[:6] == b"\x17\x00\x00\x00\x06\x00" and blob[-1:] == b"\xff"


def test_intset_width_follows_the_widest_member():
    assert rdb.intset([b"3", b"1", b"2"]) == b"\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00"
    assert rdb.intset([b"70000"])[:4] == b"\x04\x00\x00\x00"
    assert rdb.intset([b"-2147483649"])[:4] == b"\x08\x00\x00\x00"


@pytest.mark.parametrize("score, text", [(1.0, b"1"), (2.5, b"2.5"), (0.1, b"0.10000000000000001"), (-0.0, b"-0"),
                                         (float("inf"), b"inf"), (2.0**53, b"9007199254740992"), (1e20, b"1e+20")])
def test_d2string(score, text):
    assert rdb.d2string(score) == text


def test_quicklist_nodes_fill_to_8kb_and_plain_nodes():
    nodes = rdb.quicklist_nodes([b"item:%d" % i for i in range(3000)], -2, 1 << 30)
    assert all(len(n.blob) <= 8192 for n in nodes) and len(nodes) == 4
    assert sum(n.count for n in nodes) == 3000
    nodes = rdb.quicklist_nodes([b"a", b"b" * 2000, b"c"], -2, 1000)
    assert [(n.container, n.count) for n in nodes] == [(rdb.PACKED, 1), (rdb.PLAIN, 1), (rdb.PACKED, 1)]
    assert [n.count for n in rdb.quicklist_nodes([b"x"] * 10, 3, 1 << 30)] == [3, 3, 3, 1]
    assert len(rdb.quicklist_nodes([b"x"] * 10, -9, 1 << 30)) == 1  # fill clamps to -5 (64 KB)


def test_serialized_lengths_of_small_containers():
    assert rdb.serialized_length(ListObject([b"a", b"b", b"c", b"1", b"2", b"300"])) == 26
    assert rdb.serialized_length(HashObject({b"f": b"v", b"n": b"12"})) == 19
    intset = SetObject([b"1", b"2", b"3"])
    intset.intset = True
    assert rdb.serialized_length(intset) == 15
    assert rdb.serialized_length(SetObject([b"a", b"b"])) == 5


def test_lzf_budget_counts_the_rest_uncompressed(monkeypatch):
    data = b"hello world " * 30
    assert rdb.serialized_length(data) < len(data)
    monkeypatch.setattr(rdb, "LZF_BUDGET", 100)
    assert rdb.serialized_length(data) == 2 + len(data)


def test_serialized_length_of_a_stream():
    from node.commands.stream_type import Stream

    stream = Stream()
    stream.append((1, 1), (b"a", b"b"), 4096, 100)
    assert rdb.serialized_length(stream) == 57  # real Redis 7.0.15, XADD s 1-1 a b
    node = stream.nodes[0]
    blob = rdb.stream_node_listpack(node, stream.items())
    assert len(blob) == node.lp_bytes() == 29
