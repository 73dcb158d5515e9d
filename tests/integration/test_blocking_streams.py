"""XREAD BLOCK on an in-process node, with two (or more) clients: one blocked, one writing.
Covers waking by XADD (from any client, inside MULTI/EXEC too), ``$`` resolved when the
reader blocks, several streams (only the stream that became ready first is answered, as
Redis does; an XADD+XDEL transaction answers an empty list),
every blocked reader served by one XADD in blocking order, COUNT (and the default count of a
blocked reader), timeouts and their RESP2/RESP3 shapes, BLOCK inside MULTI, keys set to other
types or given a higher last id while a client waits, CLIENT UNBLOCK, pipelined commands
queued behind a blocked reader, and clean disconnects.

Synchronisation: a test waits until the node has registered the blocked client (polling the
node's registry of waiters) before writing; it never sleeps to synchronise.
"""

from __future__ import annotations

import hiredis
import trio

from tests.support.blocking import no_reply_within, until_blocked, waiters
from tests.support.client import RespClient
from tests.support.wait import async_wait_for


async def connect(node) -> RespClient:
    return await RespClient.connect(node.ports[0])


async def test_xread_woken_by_xadd_from_another_client(node):
    async with await connect(node) as reader, await connect(node) as writer:
        await writer.call(b"XADD", b"s", b"1-1", b"old", b"x")
        await reader.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$")
        await until_blocked(node, b"s")
        assert await writer.call(b"XADD", b"s", b"2-1", b"f", b"v") == b"2-1"
        assert await reader.read_reply() == [[b"s", [[b"2-1", [b"f", b"v"]]]]]
        assert waiters(node, b"s") == 0


async def test_dollar_is_resolved_when_blocking(node):
    """``$`` means the last id at the time XREAD ran: entries added later are all new, and
    the argument itself still reads ``$`` (MONITOR shows what the client sent)."""
    async with await connect(node) as reader, await connect(node) as writer:
        await reader.send(b"XREAD", b"BLOCK", b"0", b"COUNT", b"10", b"STREAMS", b"missing", b"$")
        await until_blocked(node, b"missing")
        waiter = node.blocking.by_key[(0, b"missing")][0]
        assert waiter.argv[-1] == b"$"
        await writer.call(b"MULTI")
        await writer.call(b"XADD", b"missing", b"1-1", b"a", b"1")
        await writer.call(b"XADD", b"missing", b"1-2", b"a", b"2")
        assert await writer.call(b"EXEC") == [b"1-1", b"1-2"]
        assert await reader.read_reply() == [[b"missing", [[b"1-1", [b"a", b"1"]], [b"1-2", [b"a", b"2"]]]]]


async def test_only_the_stream_that_got_data_is_answered(node):
    async with await connect(node) as reader, await connect(node) as writer:
        await writer.call(b"XADD", b"a", b"5-1", b"f", b"v")
        await reader.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"a", b"b", b"c", b"$", b"0", b"$")
        await until_blocked(node, b"c")
        await writer.call(b"XADD", b"c", b"1-1", b"x", b"y")
        assert await reader.read_reply() == [[b"c", [[b"1-1", [b"x", b"y"]]]]]
        assert all(waiters(node, k) == 0 for k in (b"a", b"b", b"c"))


async def test_served_from_the_stream_that_became_ready_first(node):
    """A transaction adding to two of the reader's streams: the first written is answered."""
    async with await connect(node) as reader, await connect(node) as writer:
        await reader.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"a", b"b", b"$", b"$")
        await until_blocked(node, b"b")
        await writer.call(b"MULTI")
        await writer.call(b"XADD", b"b", b"1-1", b"f", b"b")
        await writer.call(b"XADD", b"a", b"1-1", b"f", b"a")
        await writer.call(b"EXEC")
        assert await reader.read_reply() == [[b"b", [[b"1-1", [b"f", b"b"]]]]]


async def test_xadd_then_xdel_in_a_transaction_answers_an_empty_list(node):
    async with await connect(node) as reader, await connect(node) as writer:
        await reader.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$")
        await until_blocked(node, b"s")
        await writer.call(b"MULTI")
        await writer.call(b"XADD", b"s", b"1-1", b"f", b"v")
        await writer.call(b"XDEL", b"s", b"1-1")
        await writer.call(b"EXEC")
        assert await reader.read_reply() == [[b"s", []]]


async def test_every_blocked_reader_is_served_in_order(node):
    async with await connect(node) as c1, await connect(node) as c2, await connect(node) as c3, \
            await connect(node) as writer:
        await c1.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$")
        await until_blocked(node, b"s", 1)
        await c2.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"other", b"s", b"$", b"$")
        await until_blocked(node, b"s", 2)
        await c3.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"2-0")
        await until_blocked(node, b"s", 3)
        await writer.call(b"XADD", b"s", b"1-1", b"f", b"v")
        first = [[b"s", [[b"1-1", [b"f", b"v"]]]]]
        assert await c1.read_reply() == first
        assert await c2.read_reply() == first
        assert await no_reply_within(c3, 0.05)  # 1-1 is not above 2-0: still waiting
        assert waiters(node, b"s") == 1
        await writer.call(b"XADD", b"s", b"3-1", b"g", b"w")
        assert await c3.read_reply() == [[b"s", [[b"3-1", [b"g", b"w"]]]]]


async def test_count_applies_when_woken(node):
    async with await connect(node) as reader, await connect(node) as writer:
        await reader.send(b"XREAD", b"COUNT", b"2", b"BLOCK", b"0", b"STREAMS", b"s", b"0")
        await until_blocked(node, b"s")
        await writer.call(b"MULTI")
        for i in range(1, 5):
            await writer.call(b"XADD", b"s", b"%d-1" % i, b"n", b"%d" % i)
        await writer.call(b"EXEC")
        reply = await reader.read_reply()
        assert [entry[0] for entry in reply[0][1]] == [b"1-1", b"2-1"]


async def test_blocked_reader_default_count_is_1000(node):
    async with await connect(node) as reader, await connect(node) as writer:
        await reader.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"0")
        await until_blocked(node, b"s")
        await writer.call(b"MULTI")
        for i in range(1, 1101):
            await writer.send(b"XADD", b"s", b"%d-1" % i, b"f", b"v")
        for _ in range(1100):
            assert await writer.read_reply() == b"QUEUED"
        assert len(await writer.call(b"EXEC")) == 1100
        reply = await reader.read_reply()
        assert len(reply[0][1]) == 1000


async def test_resp3_reply_is_a_map(node):
    async with await connect(node) as reader, await connect(node) as writer:
        await reader.call(b"HELLO", b"3")
        await reader.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$")
        await until_blocked(node, b"s")
        await writer.call(b"XADD", b"s", b"1-1", b"f", b"v")
        assert await reader.read_raw() == b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"


async def test_timeouts_answer_a_null_array(node):
    async with await connect(node) as c:
        await c.send(b"XREAD", b"BLOCK", b"20", b"STREAMS", b"s", b"$")
        assert await c.read_raw() == b"*-1\r\n"
        await c.call(b"HELLO", b"3")
        await c.send(b"XREAD", b"BLOCK", b"20", b"STREAMS", b"s", b"a", b"$", b"0")
        assert await c.read_raw() == b"_\r\n"
        assert waiters(node, b"s") == 0


async def test_block_inside_multi_does_not_block(node):
    async with await connect(node) as c:
        await c.call(b"MULTI")
        assert await c.call(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$") == b"QUEUED"
        assert await c.call(b"XADD", b"s", b"1-1", b"f", b"v") == b"QUEUED"
        assert await c.call(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"0") == b"QUEUED"
        assert await c.call(b"EXEC") == [None, b"1-1", [[b"s", [[b"1-1", [b"f", b"v"]]]]]]


async def test_other_types_and_xsetid_do_not_wake(node):
    """A key turned into a string, or a stream whose last id moved without new entries (XSETID),
    leaves the reader waiting; a real entry then serves it."""
    async with await connect(node) as reader, await connect(node) as writer:
        await writer.call(b"XADD", b"s", b"1-1", b"f", b"v")
        await reader.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"k", b"$", b"$")
        await until_blocked(node, b"k")
        assert await writer.call(b"SET", b"k", b"string") == b"OK"
        assert await writer.call(b"XSETID", b"s", b"9-9") == b"OK"
        assert await writer.call(b"XDEL", b"s", b"1-1") == 1
        assert await no_reply_within(reader, 0.05)
        assert waiters(node, b"s") == 1
        await writer.call(b"DEL", b"k")
        await writer.call(b"XADD", b"k", b"1-1", b"a", b"b")
        assert await reader.read_reply() == [[b"k", [[b"1-1", [b"a", b"b"]]]]]


async def test_wrongtype_on_the_first_run(node):
    async with await connect(node) as c:
        await c.call(b"SET", b"k", b"v")
        reply = await c.call(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"k", b"$")
        assert isinstance(reply, hiredis.ReplyError) and str(reply).startswith("WRONGTYPE")
        assert waiters(node, b"k") == 0


async def test_client_unblock(node):
    async with await connect(node) as reader, await connect(node) as admin:
        reader_id = await reader.call(b"CLIENT", b"ID")
        await reader.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$")
        await until_blocked(node, b"s")
        assert await admin.call(b"CLIENT", b"UNBLOCK", b"%d" % reader_id) == 1
        assert await reader.read_raw() == b"*-1\r\n"
        await reader.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$")
        await until_blocked(node, b"s")
        assert await admin.call(b"CLIENT", b"UNBLOCK", b"%d" % reader_id, b"ERROR") == 1
        reply = await reader.read_reply()
        assert isinstance(reply, hiredis.ReplyError) and "UNBLOCKED" in str(reply)


async def test_pipelined_commands_wait_behind_the_reader(node):
    async with await connect(node) as reader, await connect(node) as writer:
        await reader.send_raw(
            b"*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n$\r\n"
            b"*2\r\n$4\r\nXLEN\r\n$1\r\ns\r\n"
        )
        await until_blocked(node, b"s")
        await writer.call(b"XADD", b"s", b"1-1", b"f", b"v")
        assert await reader.read_reply() == [[b"s", [[b"1-1", [b"f", b"v"]]]]]
        assert await reader.read_reply() == 1


async def test_disconnected_reader_is_forgotten(node):
    async with await connect(node) as writer:
        reader = await connect(node)
        await reader.send(b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$")
        await until_blocked(node, b"s")
        await reader.aclose()
        await async_wait_for(lambda: waiters(node, b"s") == 0, message="disconnected reader forgotten")
        assert await writer.call(b"XADD", b"s", b"1-1", b"f", b"v") == b"1-1"
        assert await writer.call(b"XLEN", b"s") == 1
        with trio.fail_after(2):
            assert await writer.call(b"PING") == b"PONG"


async def test_huge_timeout_waits_like_forever(node):
    """7.0.15 has no "timeout is out of range" check for XREAD: a deadline past LLONG_MAX waits."""
    async with await connect(node) as reader, await connect(node) as writer:
        await reader.send(b"XREAD", b"BLOCK", b"9223372036854775807", b"STREAMS", b"s", b"$")
        await until_blocked(node, b"s")
        await writer.call(b"XADD", b"s", b"1-1", b"f", b"v")
        assert await reader.read_reply() == [[b"s", [[b"1-1", [b"f", b"v"]]]]]
