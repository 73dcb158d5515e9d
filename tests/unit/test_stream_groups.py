"""Consumer groups without sockets, on a fixed clock (``server.clock.set``): delivery times and
counts in the PELs, idle times (XPENDING, XINFO CONSUMERS), XCLAIM's IDLE/TIME/RETRYCOUNT/
JUSTID/FORCE rules, XAUTOCLAIM's attempts and cursor, the entries-read/lag estimates on
hand-built streams, the rax node count, dirty counts and the absence of WATCH signals."""

from __future__ import annotations

import pytest

from node.commands.stream_groups import (
    estimate_entries_read,
    group_lag,
    has_tombstones,
    rax_node_count,
)
from node.commands.stream_type import ConsumerGroup, Stream
from node.replies import NULL_ARRAY, Map
from tests.support.handlers import NOW, FakeClient, FakeServer, error_of, run, watch_key


@pytest.fixture
def client():
    return FakeClient(FakeServer())


def at(client, ms: int) -> None:
    """Move the node's clock to NOW + ``ms``."""
    client.server.clock.set(NOW + ms)


def with_group(client, *ids: str, start: str = "0") -> None:
    for stream_id in ids:
        run(client, "XADD", "s", stream_id, "f", "v")
    run(client, "XGROUP", "CREATE", "s", "g", start)


def stream_of(client) -> Stream:
    return client.db.get(b"s")


def pel(client, group: bytes = b"g") -> dict:
    """id -> (consumer, delivery time relative to NOW, delivery count)."""
    return {
        stream_id: (entry.consumer.name, entry.delivery_time - NOW, entry.delivery_count)
        for stream_id, entry in stream_of(client).groups[group].pel.items()
    }


def as_dict(reply: Map) -> dict:
    return dict(reply)


# -- delivery ----------------------------------------------------------------------------------------


def test_new_entries_enter_both_pels_at_the_current_time(client):
    with_group(client, "1-1", "2-1")
    at(client, 5)
    run(client, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    assert pel(client) == {(1, 1): (b"c", 5, 1), (2, 1): (b"c", 5, 1)}
    group = stream_of(client).groups[b"g"]
    consumer = group.consumers[b"c"]
    assert consumer.seen_time == NOW + 5
    assert all(group.pel[i] is consumer.pel[i] for i in consumer.pel)  # one shared entry


def test_history_read_counts_a_delivery_and_skips_deleted_entries(client):
    with_group(client, "1-1", "2-1")
    run(client, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    run(client, "XDEL", "s", "2-1")
    at(client, 100)
    reply = run(client, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0")
    assert reply == [[b"s", [[b"1-1", (b"f", b"v")], [b"2-1", NULL_ARRAY]]]]
    assert pel(client) == {(1, 1): (b"c", 100, 2), (2, 1): (b"c", 0, 1)}


def test_noack_moves_the_group_without_pending_entries(client):
    with_group(client, "1-1")
    run(client, "XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "s", ">")
    assert pel(client) == {}
    assert stream_of(client).groups[b"g"].last_id == (1, 1)


def test_redelivery_after_setid_resets_the_count(client):
    with_group(client, "1-1")
    run(client, "XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    run(client, "XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "0")
    run(client, "XGROUP", "SETID", "s", "g", "0")
    at(client, 7)
    run(client, "XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">")
    assert pel(client) == {(1, 1): (b"b", 7, 1)}
    assert not stream_of(client).groups[b"g"].consumers[b"a"].pel


# -- idle times --------------------------------------------------------------------------------------


def test_xpending_idle_and_its_filter(client):
    with_group(client, "1-1", "2-1")
    run(client, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")
    at(client, 1000)
    run(client, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    at(client, 1500)
    assert run(client, "XPENDING", "s", "g", "-", "+", "10") == [
        [b"1-1", b"c", 1500, 1], [b"2-1", b"c", 500, 1]]
    assert run(client, "XPENDING", "s", "g", "IDLE", "501", "-", "+", "10") == [[b"1-1", b"c", 1500, 1]]


def test_xinfo_consumers_idle_never_negative(client):
    with_group(client, "1-1")
    at(client, 50)
    run(client, "XGROUP", "CREATECONSUMER", "s", "g", "c")
    at(client, 80)
    assert [as_dict(c) for c in run(client, "XINFO", "CONSUMERS", "s", "g")] == [
        {b"name": b"c", b"pending": 0, b"idle": 30}]
    at(client, 0)  # the clock went back
    assert as_dict(run(client, "XINFO", "CONSUMERS", "s", "g")[0])[b"idle"] == 0


def test_xinfo_full_times(client):
    with_group(client, "1-1")
    at(client, 3)
    run(client, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    full = as_dict(run(client, "XINFO", "STREAM", "s", "FULL"))
    group = as_dict(full[b"groups"][0])
    assert group[b"pending"] == [[b"1-1", b"c", NOW + 3, 1]]
    consumer = as_dict(group[b"consumers"][0])
    assert consumer[b"seen-time"] == NOW + 3 and consumer[b"pending"] == [[b"1-1", NOW + 3, 1]]


# -- XCLAIM ------------------------------------------------------------------------------------------


@pytest.fixture
def delivered(client):
    """Entries 1-1..3-1 delivered to ``c1`` at NOW; the clock then at NOW + 1000."""
    with_group(client, "1-1", "2-1", "3-1")
    run(client, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">")
    at(client, 1000)
    return client


def test_xclaim_min_idle(delivered):
    assert run(delivered, "XCLAIM", "s", "g", "c2", "1001", "1-1") == []
    assert run(delivered, "XCLAIM", "s", "g", "c2", "1000", "1-1", "JUSTID") == [b"1-1"]
    assert pel(delivered)[(1, 1)] == (b"c2", 1000, 1)  # JUSTID: count unchanged


def test_xclaim_idle_time_and_retrycount(delivered):
    run(delivered, "XCLAIM", "s", "g", "c2", "0", "1-1", "IDLE", "400")
    run(delivered, "XCLAIM", "s", "g", "c2", "0", "2-1", "TIME", str(NOW + 10), "RETRYCOUNT", "9")
    run(delivered, "XCLAIM", "s", "g", "c2", "0", "3-1", "TIME", str(NOW + 5000))  # future: now
    assert pel(delivered) == {(1, 1): (b"c2", 600, 2), (2, 1): (b"c2", 10, 9), (3, 1): (b"c2", 1000, 2)}
    run(delivered, "XCLAIM", "s", "g", "c2", "0", "1-1", "IDLE", "-5", "RETRYCOUNT", "-1")  # negative: ignored
    assert pel(delivered)[(1, 1)] == (b"c2", 1000, 3)


def test_xclaim_force_and_deleted_entries(delivered):
    run(delivered, "XADD", "s", "4-1", "f", "v")
    run(delivered, "XDEL", "s", "2-1")
    reply = run(delivered, "XCLAIM", "s", "g", "c2", "0", "2-1", "4-1", "9-9", "FORCE")
    assert reply == [[b"4-1", (b"f", b"v")]]
    assert pel(delivered) == {(1, 1): (b"c1", 0, 1), (3, 1): (b"c1", 0, 1), (4, 1): (b"c2", 1000, 2)}
    assert sorted(stream_of(delivered).groups[b"g"].consumers[b"c1"].pel) == [(1, 1), (3, 1)]


def test_xclaim_lastid_only_moves_forward(delivered):
    run(delivered, "XCLAIM", "s", "g", "c2", "0", "1-1", "LASTID", "1-0")
    assert stream_of(delivered).groups[b"g"].last_id == (3, 1)
    run(delivered, "XCLAIM", "s", "g", "c2", "0", "1-1", "LASTID", "8-0")
    assert stream_of(delivered).groups[b"g"].last_id == (8, 0)


def test_xclaim_errors_leave_the_pel_alone(delivered):
    before = pel(delivered)
    assert error_of(delivered, "XCLAIM", "s", "g", "c2", "0", "1-1", "IDLE", "x") == \
        "ERR Invalid IDLE option argument for XCLAIM"
    assert error_of(delivered, "XCLAIM", "s", "g", "c2", "0", "1-1", "BOGUS") == "ERR Unrecognized XCLAIM option 'BOGUS'"
    assert pel(delivered) == before
    assert b"c2" not in stream_of(delivered).groups[b"g"].consumers


# -- XAUTOCLAIM --------------------------------------------------------------------------------------


def test_xautoclaim_cursor_and_deleted_ids(delivered):
    run(delivered, "XDEL", "s", "2-1")
    assert run(delivered, "XAUTOCLAIM", "s", "g", "c2", "0", "0", "COUNT", "1", "JUSTID") == [b"2-1", [b"1-1"], []]
    assert run(delivered, "XAUTOCLAIM", "s", "g", "c2", "0", "2-1", "COUNT", "1", "JUSTID") == [b"3-1", [], [b"2-1"]]
    assert run(delivered, "XAUTOCLAIM", "s", "g", "c2", "0", "3-1", "JUSTID") == [b"0-0", [b"3-1"], []]
    assert pel(delivered) == {(1, 1): (b"c2", 1000, 1), (3, 1): (b"c2", 1000, 1)}


def test_xautoclaim_ten_attempts_per_count(client):
    with_group(client, *(f"{i}-1" for i in range(1, 13)))
    run(client, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">")
    at(client, 100)
    run(client, "XCLAIM", "s", "g", "c1", "0", "12-1", "IDLE", "0")  # only 12-1 is fresh
    at(client, 150)
    # min-idle 120: 1-1..11-1 qualify but COUNT 1 allows 10 attempts: 1-1 claimed, cursor 2-1
    assert run(client, "XAUTOCLAIM", "s", "g", "c2", "120", "0", "COUNT", "1", "JUSTID") == [b"2-1", [b"1-1"], []]
    # only 12-1 is left beyond 11-1, and it is not idle enough: ten attempts run out on 2-1..11-1
    assert run(client, "XAUTOCLAIM", "s", "g", "c2", "1000", "2-1", "COUNT", "1") == [b"12-1", [], []]
    assert pel(client)[(1, 1)] == (b"c2", 150, 1)  # claimed with JUSTID: count unchanged


# -- entries-read and lag ----------------------------------------------------------------------------


def stream(*ids, deleted=(), added=None) -> Stream:
    s = Stream()
    for ms in ids:
        s.append((ms, 0), (b"f", b"v"), 4096, 100)
    for ms in deleted:
        s.delete((ms, 0))
    if added is not None:
        s.entries_added = added
    return s


@pytest.mark.parametrize("s, stream_id, expected", [
    (Stream(), (5, 0), 0),
    (stream(1, 2, 3), (3, 0), 3),  # the last id
    (stream(1, 2, 3), (4, 0), -1),  # the future
    (stream(1, 2, 3), (1, 0), 1),  # the first entry
    (stream(1, 2, 3), (0, 5), 0),  # before the first entry
    (stream(1, 2, 3), (2, 0), -1),  # in the middle
    (stream(1, 2, 3, deleted=(1,)), (1, 5), 1),  # tombstone before the first entry
    (stream(1, 2, 3, deleted=(2,)), (0, 5), -1),  # fragmented
    (stream(1, 2, deleted=(1, 2)), (1, 0), 2),  # empty stream, below the last id
])
def test_estimate_entries_read(s, stream_id, expected):
    assert estimate_entries_read(s, stream_id) == expected


def test_has_tombstones():
    s = stream(1, 2, 3, 4, deleted=(3,))
    assert has_tombstones(s, (0, 0)) and has_tombstones(s, (3, 0)) and not has_tombstones(s, (3, 1))
    assert not has_tombstones(stream(1, 2, 3, deleted=(1,)), (0, 0))  # the tombstone is before the first entry
    assert not has_tombstones(stream(1, 2, 3), (0, 0))


def test_group_lag():
    s = stream(1, 2, 3, 4)
    assert group_lag(s, ConsumerGroup(b"g", (2, 0), 2)) == 2
    assert group_lag(s, ConsumerGroup(b"g", (2, 0))) is None  # unknown counter in the middle
    assert group_lag(s, ConsumerGroup(b"g", (0, 0))) == 4
    s.delete((3, 0))
    assert group_lag(s, ConsumerGroup(b"g", (2, 0), 2)) is None  # a tombstone ahead
    assert group_lag(s, ConsumerGroup(b"g", (4, 0), 1)) == 3  # nothing ahead: the counter is trusted
    assert group_lag(Stream(), ConsumerGroup(b"g", (9, 0), 7)) == 0


# -- rax ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("keys, nodes", [
    ([], 1), ([(1, 0)], 2), ([(1, 0), (1, 1)], 4), ([(1, 0), (2, 0)], 6), ([(1, 0), (1, 1), (1, 2)], 5),
    ([(1, 0), (256, 0)], 6), ([(1, 0), (1, 1), (2, 0)], 8),
])
def test_rax_node_count(keys, nodes):
    assert rax_node_count(keys) == nodes


# -- dirty and WATCH ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("XGROUP", "CREATE", "s", "h", "0"), ("XGROUP", "SETID", "s", "g", "0"), ("XGROUP", "DESTROY", "s", "g"),
    ("XGROUP", "CREATECONSUMER", "s", "g", "x"), ("XREADGROUP", "GROUP", "g", "x", "STREAMS", "s", ">"),
    ("XACK", "s", "g", "1-1"), ("XCLAIM", "s", "g", "x", "0", "2-1"),
])
def test_group_writes_count_as_dirty_without_touching_watchers(delivered, args):
    run(delivered, "XADD", "s", "5-1", "f", "v")
    watch_key(delivered, b"s")
    dirty = delivered.server.clock.dirty
    run(delivered, *args)
    assert delivered.server.clock.dirty > dirty
    assert not delivered.watch_dirty


def test_mkstream_touches_watchers(client):
    watch_key(client, b"s")
    dirty = client.server.clock.dirty
    run(client, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    assert client.watch_dirty and client.server.clock.dirty == dirty + 1


def test_failed_or_empty_group_commands_are_not_dirty(client):
    with_group(client, "1-1")
    dirty = client.server.clock.dirty
    for args in [("XACK", "s", "g", "9-9"), ("XGROUP", "DESTROY", "s", "nog"), ("XPENDING", "s", "g"),
                 ("XGROUP", "DELCONSUMER", "s", "g", "nobody"), ("XINFO", "STREAM", "s", "FULL")]:
        run(client, *args)
    assert client.server.clock.dirty == dirty
