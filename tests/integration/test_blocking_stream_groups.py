"""Blocking XREADGROUP with two (or more) clients: one blocked on ``>``, another writing.

The scenarios run on our node and on a real redis-server (``target``), so the expected
replies are Redis 7.0's own: woken by XADD (and only by an XADD: XGROUP SETID, XACK or a new
consumer leave it waiting), first blocked first served within a group, each group served,
COUNT and NOACK applied when woken, the key deleted, renamed or replaced (``UNBLOCKED``) or
the group destroyed (``NOGROUP``) while it waits, transactions, timeouts. A few in-process
tests (``node``) check the registry itself: a client that disconnects or times out is
forgotten.

Synchronisation: clients are known to be parked by polling INFO's blocked_clients (a client
expected to stay blocked is checked right after the write, which serves synchronously).
"""

from __future__ import annotations

import pytest
import trio

from tests.integration.test_blocking_order import block, blocked_clients, replies
from tests.support.blocking import no_reply_within, until_blocked, waiters
from tests.support.client import RespClient
from tests.support.rawconn import RawConnection, ServerError, plain
from tests.support.wait import wait_for

READ = ("XREADGROUP", "GROUP", "g", "c1", "BLOCK", 0, "STREAMS", "s", ">")


def read_as(consumer: str, *options, group: str = "g", keys=("s",)) -> tuple:
    return ("XREADGROUP", "GROUP", group, consumer, *options, "BLOCK", 0, "STREAMS", *keys, *(">",) * len(keys))


def entry(stream_id: str, field: str = "f", value: str = "v") -> list:
    return [stream_id.encode(), [field.encode(), value.encode()]]


@pytest.fixture
def stream(target):
    """``s`` with entry 1-1 and group ``g`` at its end (``$``)."""
    target.execute_command("XADD", "s", "1-1", "f", "v")
    target.execute_command("XGROUP", "CREATE", "s", "g", "$")
    return target


def call(target, *args):
    """One command on a raw connection: replies as sent (redis-py reshapes stream replies)."""
    with RawConnection(target.connection_pool.connection_kwargs["port"]) as conn:
        return plain(conn.call(*args))


def transaction(target, *commands) -> list:
    with RawConnection(target.connection_pool.connection_kwargs["port"]) as conn:
        conn.call("MULTI")
        for command in commands:
            conn.call(*command)
        return plain(conn.call("EXEC"))


def pending(target, group: str = "g") -> list:
    return call(target, "XPENDING", "s", group)


def test_woken_by_xadd(stream):
    conns = block(stream, READ)
    stream.execute_command("XADD", "s", "2-1", "f", "v")
    assert replies(conns) == [[[b"s", [entry("2-1")]]]]
    assert pending(stream) == [1, b"2-1", b"2-1", [[b"c1", b"1"]]]
    assert blocked_clients(stream) == 0


def test_woken_in_resp3_with_a_map(stream):
    port = stream.connection_pool.connection_kwargs["port"]
    conn = RawConnection(port)
    conn.call("HELLO", "3")
    conn.send(*READ)
    wait_for(lambda: blocked_clients(stream) == 1, message="reader blocked")
    stream.execute_command("XADD", "s", "2-1", "f", "v")
    reply = conn.read_reply()
    conn.close()
    assert reply.kind == "%" and plain(reply) == {b"s": [entry("2-1")]}


def test_consumers_of_one_group_first_blocked_first_served(stream):
    conns = block(stream, read_as("c1"), read_as("c2"))
    stream.execute_command("XADD", "s", "2-1", "f", "v")
    assert blocked_clients(stream) == 1  # c2 found nothing left for the group
    stream.execute_command("XADD", "s", "3-1", "f", "v")
    assert replies(conns) == [[[b"s", [entry("2-1")]]], [[b"s", [entry("3-1")]]]]
    assert pending(stream) == [2, b"2-1", b"3-1", [[b"c1", b"1"], [b"c2", b"1"]]]


def test_each_group_gets_the_entry(stream):
    stream.execute_command("XGROUP", "CREATE", "s", "h", "$")
    conns = block(stream, read_as("c1"), read_as("c1", group="h"))
    stream.execute_command("XADD", "s", "2-1", "f", "v")
    assert replies(conns) == [[[b"s", [entry("2-1")]]]] * 2


def test_count_and_noack_when_woken(stream):
    conns = block(stream, read_as("c1", "COUNT", 1, "NOACK"))
    transaction(stream, ("XADD", "s", "2-1", "f", "v"), ("XADD", "s", "3-1", "f", "v"))
    assert replies(conns) == [[[b"s", [entry("2-1")]]]]
    assert pending(stream)[0] == 0
    assert call(stream, "XINFO", "GROUPS", "s")[0][7] == b"2-1"  # last-delivered-id


def test_served_from_the_stream_that_got_the_entry(stream):
    stream.execute_command("XGROUP", "CREATE", "t", "g", "$", "MKSTREAM")
    conns = block(stream, read_as("c1", keys=("s", "t")))
    stream.execute_command("XADD", "t", "5-1", "f", "v")
    assert replies(conns) == [[[b"t", [entry("5-1")]]]]


@pytest.mark.parametrize("write", [
    ("XGROUP", "SETID", "s", "g", "0"), ("XGROUP", "CREATECONSUMER", "s", "g", "c9"), ("XACK", "s", "g", "1-1"),
    ("XGROUP", "CREATE", "s", "h", "0"), ("XDEL", "s", "1-1"), ("XTRIM", "s", "MAXLEN", "0"),
    ("XREADGROUP", "GROUP", "g", "c9", "STREAMS", "s", "0"), ("XSETID", "s", "7-7"),
])
def test_writes_other_than_xadd_do_not_wake(stream, write):
    conns = block(stream, READ)
    stream.execute_command(*write)
    assert blocked_clients(stream) == 1
    stream.execute_command("XADD", "s", "9-1", "f", "v")
    reply = replies(conns)[0]
    assert reply[0][0] == b"s" and reply[0][1][-1] == entry("9-1")


def test_setid_back_then_xadd_serves_from_the_new_last_id(stream):
    conns = block(stream, READ)
    stream.execute_command("XGROUP", "SETID", "s", "g", "0")
    assert blocked_clients(stream) == 1
    stream.execute_command("XADD", "s", "2-1", "f", "v")
    assert replies(conns) == [[[b"s", [entry("1-1"), entry("2-1")]]]]


@pytest.mark.parametrize("writes, error", [
    ([("XGROUP", "DESTROY", "s", "g")], "NOGROUP the consumer group this client was blocked on no longer exists"),
    ([("DEL", "s")], "UNBLOCKED the stream key no longer exists"),
    ([("SET", "s", "string")], "UNBLOCKED the stream key no longer exists"),
    ([("RENAME", "s", "s2")], "UNBLOCKED the stream key no longer exists"),
    ([("UNLINK", "s")], "UNBLOCKED the stream key no longer exists"),
    ([("XADD", "s", "2-1", "f", "v"), ("XGROUP", "DESTROY", "s", "g")],
     "NOGROUP the consumer group this client was blocked on no longer exists"),
])
def test_group_or_key_gone_while_waiting(stream, writes, error):
    conns = block(stream, READ)
    transaction(stream, *writes)
    assert replies(conns) == [ServerError(error)]
    assert blocked_clients(stream) == 0


def test_group_recreated_in_the_same_transaction(stream):
    conns = block(stream, READ)
    transaction(stream, ("XGROUP", "DESTROY", "s", "g"), ("XGROUP", "CREATE", "s", "g", "0"))
    assert replies(conns) == [[[b"s", [entry("1-1")]]]]


def test_entry_added_and_deleted_in_one_transaction(stream):
    """Redis wakes the reader (the stream's last id moved) and answers an empty entry list."""
    conns = block(stream, READ)
    transaction(stream, ("XADD", "s", "2-1", "f", "v"), ("XDEL", "s", "2-1"))
    assert replies(conns) == [[[b"s", []]]]
    assert call(stream, "XINFO", "CONSUMERS", "s", "g")[0][:4] == [b"name", b"c1", b"pending", 0]


def test_inside_multi_answers_null_at_once(stream):
    assert transaction(stream, READ) == [None]
    assert call(stream, "XINFO", "CONSUMERS", "s", "g") == []


def test_timeout_answers_null(stream):
    port = stream.connection_pool.connection_kwargs["port"]
    for protocol, kind in ((2, "*"), (3, "_")):
        with RawConnection(port) as conn:
            if protocol == 3:
                conn.call("HELLO", "3")
            reply = conn.call("XREADGROUP", "GROUP", "g", "c1", "BLOCK", 20, "STREAMS", "s", ">")
        assert reply.kind == kind and reply.value is None


def test_history_read_never_blocks(stream):
    with RawConnection(stream.connection_pool.connection_kwargs["port"]) as conn:
        reply = conn.call("XREADGROUP", "GROUP", "g", "c1", "BLOCK", 0, "STREAMS", "s", "0")
    assert plain(reply) == [[b"s", []]]


# -- the registry (in-process node) ------------------------------------------------------------------


async def setup(node) -> None:
    async with await RespClient.connect(node.ports[0]) as c:
        await c.call(b"XADD", b"s", b"1-1", b"f", b"v")
        await c.call(b"XGROUP", b"CREATE", b"s", b"g", b"$")


async def test_disconnected_reader_is_forgotten(node):
    await setup(node)
    async with await RespClient.connect(node.ports[0]) as writer:
        blocked = await RespClient.connect(node.ports[0])
        await blocked.send(*READ)
        await until_blocked(node, b"s")
        await blocked.aclose()
        with trio.fail_after(5):
            while waiters(node, b"s"):
                await trio.sleep(0.01)
        await writer.call(b"XADD", b"s", b"2-1", b"f", b"v")
        assert await writer.call(b"XPENDING", b"s", b"g") == [0, None, None, None]


async def test_pipelined_commands_wait_behind_the_reader(node):
    await setup(node)
    async with await RespClient.connect(node.ports[0]) as blocked, \
            await RespClient.connect(node.ports[0]) as writer:
        await blocked.send(*READ)
        await blocked.send(b"XPENDING", b"s", b"g")
        await until_blocked(node, b"s")
        assert await no_reply_within(blocked, 0.05)
        await writer.call(b"XADD", b"s", b"2-1", b"f", b"v")
        assert await blocked.read_reply() == [[b"s", [[b"2-1", [b"f", b"v"]]]]]
        assert await blocked.read_reply() == [1, b"2-1", b"2-1", [[b"c1", b"1"]]]


async def test_timed_out_readers_state_is_dropped(node):
    from node.commands import stream_groups

    await setup(node)
    async with await RespClient.connect(node.ports[0]) as c, await RespClient.connect(node.ports[0]) as other:
        assert await c.call(b"XREADGROUP", b"GROUP", b"g", b"c1", b"BLOCK", b"10", b"STREAMS", b"s", b">") is None
        stream_groups._drop_stale_blocks()
        assert not any(entry.server is node for entry in stream_groups._blocked_reads)
        await other.send(*READ)
        await until_blocked(node, b"s")
        assert [entry.server for entry in stream_groups._blocked_reads].count(node) == 1
        await c.call(b"XADD", b"s", b"2-1", b"f", b"v")
        assert await other.read_reply() == [[b"s", [[b"2-1", [b"f", b"v"]]]]]
    assert not any(entry.server is node for entry in stream_groups._blocked_reads)


@pytest.mark.parametrize("flush", ["FLUSHALL", "FLUSHDB"])
@pytest.mark.parametrize("which", ["real", "ours"])
def test_flush_while_waiting(request, which, flush):
    target = request.getfixturevalue(which)
    target.execute_command("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    conns = block(target, READ)
    target.execute_command(flush)
    try:
        wait_for(lambda: blocked_clients(target) == 0, timeout=1.0, message="reader released")
        assert replies(conns) == [ServerError("UNBLOCKED the stream key no longer exists")]
    finally:
        for conn in conns:
            conn.close()  # a reader left waiting must not be served by later tests
        wait_for(lambda: blocked_clients(target) == 0, message="reader gone")


def test_stream_expiring_while_waiting(stream):
    """Active expiry deletes the stream; Redis 7.0's dbGenericDelete signals it, so the
    blocked XREADGROUP answers UNBLOCKED without any command touching the key."""
    conns = block(stream, READ)
    try:
        stream.execute_command("PEXPIRE", "s", 20)
        wait_for(lambda: blocked_clients(stream) == 0, timeout=5.0, message="reader released by expiry")
        assert replies(conns) == [ServerError("UNBLOCKED the stream key no longer exists")]
    finally:
        for conn in conns:
            conn.close()
