"""Blocking list commands on an in-process node, with two (or more) clients: one blocked, one
writing. Covers waking by a push, first-blocked-first-served, BLMOVE chains, timeouts and
their reply shapes, MULTI/EXEC (pushes wake after EXEC; blocking commands inside MULTI answer
at once), keys set to other types while a client waits, pipelined commands queued behind a
blocked one, and clean disconnects.

Synchronisation: a test waits until the node has registered the blocked client (polling the
node's registry of waiters) before writing; it never sleeps to synchronise.
"""

from __future__ import annotations

import hiredis
import trio

from tests.support.client import RespClient
from tests.support.blocking import no_reply_within, until_blocked, waiters
from tests.support.wait import async_wait_for


async def connect(node) -> RespClient:
    return await RespClient.connect(node.ports[0])


# -- waking by a push --------------------------------------------------------------------------------


async def test_blpop_woken_by_rpush(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BLPOP", b"q", b"0")
        await until_blocked(node, b"q")
        assert await writer.call(b"RPUSH", b"q", b"a", b"b") == 2  # the length before the pop
        assert await blocked.read_reply() == [b"q", b"a"]
        assert await writer.call(b"LRANGE", b"q", b"0", b"-1") == [b"b"]
        assert waiters(node, b"q") == 0


async def test_brpop_served_from_the_key_that_got_data(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BRPOP", b"k1", b"k2", b"k3", b"0")
        await until_blocked(node, b"k2")
        assert await writer.call(b"RPUSH", b"k2", b"x", b"y") == 2
        assert await blocked.read_reply() == [b"k2", b"y"]
        # the client is no longer registered on any of its keys
        assert all(waiters(node, k) == 0 for k in (b"k1", b"k2", b"k3"))


async def test_emptied_list_is_deleted_after_serving(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BLPOP", b"q", b"0")
        await until_blocked(node, b"q")
        assert await writer.call(b"LPUSH", b"q", b"only") == 1
        assert await blocked.read_reply() == [b"q", b"only"]
        assert await writer.call(b"EXISTS", b"q") == 0


async def test_first_blocked_first_served(node):
    async with await connect(node) as c1, await connect(node) as c2, await connect(node) as c3, \
            await connect(node) as writer:
        await c1.send(b"BLPOP", b"q", b"0")
        await until_blocked(node, b"q", 1)
        await c2.send(b"BLPOP", b"q", b"0")
        await until_blocked(node, b"q", 2)
        await c3.send(b"BRPOP", b"other", b"q", b"0")
        await until_blocked(node, b"q", 3)
        assert await writer.call(b"RPUSH", b"q", b"one") == 1
        assert await c1.read_reply() == [b"q", b"one"]
        assert await no_reply_within(c2, 0.05)
        assert await writer.call(b"RPUSH", b"q", b"two", b"three") == 2
        assert await c2.read_reply() == [b"q", b"two"]
        assert await c3.read_reply() == [b"q", b"three"]
        assert await writer.call(b"EXISTS", b"q") == 0


async def test_blmpop_count_when_woken(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BLMPOP", b"0", b"2", b"a", b"b", b"RIGHT", b"COUNT", b"2")
        await until_blocked(node, b"b")
        assert await writer.call(b"RPUSH", b"b", b"1", b"2", b"3") == 3
        assert await blocked.read_reply() == [b"b", [b"3", b"2"]]
        assert await writer.call(b"LRANGE", b"b", b"0", b"-1") == [b"1"]


async def test_blmove_and_brpoplpush_when_woken(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BLMOVE", b"src", b"dst", b"RIGHT", b"LEFT", b"0")
        await until_blocked(node, b"src")
        assert waiters(node, b"dst") == 0  # BLMOVE waits on its source only
        await writer.call(b"RPUSH", b"dst", b"old")
        assert await writer.call(b"RPUSH", b"src", b"a", b"b") == 2
        assert await blocked.read_reply() == b"b"
        assert await writer.call(b"LRANGE", b"dst", b"0", b"-1") == [b"b", b"old"]
        await blocked.send(b"BRPOPLPUSH", b"empty", b"dst", b"0")
        await until_blocked(node, b"empty")
        assert await writer.call(b"LPUSH", b"empty", b"z") == 1
        assert await blocked.read_reply() == b"z"
        assert await writer.call(b"LRANGE", b"dst", b"0", b"-1") == [b"z", b"b", b"old"]
        assert await writer.call(b"EXISTS", b"empty") == 0


async def test_blmove_chain_wakes_the_next_client(node):
    """BLMOVE's push to its destination serves a client blocked on the destination."""
    async with await connect(node) as mover, await connect(node) as popper, await connect(node) as writer:
        await popper.send(b"BLPOP", b"dst", b"0")
        await until_blocked(node, b"dst")
        await mover.send(b"BLMOVE", b"src", b"dst", b"LEFT", b"RIGHT", b"0")
        await until_blocked(node, b"src")
        assert await writer.call(b"RPUSH", b"src", b"e") == 1
        assert await mover.read_reply() == b"e"
        assert await popper.read_reply() == [b"dst", b"e"]
        assert await writer.call(b"EXISTS", b"src", b"dst") == 0


async def test_same_source_and_destination(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BLMOVE", b"ring", b"ring", b"LEFT", b"RIGHT", b"0")
        await until_blocked(node, b"ring")
        await writer.call(b"RPUSH", b"ring", b"a", b"b")
        assert await blocked.read_reply() == b"a"
        assert await writer.call(b"LRANGE", b"ring", b"0", b"-1") == [b"b", b"a"]


# -- other types and databases ------------------------------------------------------------------------


async def test_key_set_to_another_type_keeps_the_client_waiting(node):
    """Redis serves blocked clients only from lists: a SET on the key does not wake them."""
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BLPOP", b"k", b"0")
        await until_blocked(node, b"k")
        assert await writer.call(b"SET", b"k", b"string") == b"OK"
        assert await no_reply_within(blocked, 0.05)
        assert waiters(node, b"k") == 1
        await writer.call(b"DEL", b"k")
        await writer.call(b"RPUSH", b"k", b"v")
        assert await blocked.read_reply() == [b"k", b"v"]


async def test_other_key_of_another_type_is_skipped_when_woken(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BLPOP", b"a", b"b", b"0")
        await until_blocked(node, b"b")
        await writer.call(b"SET", b"a", b"string")
        await writer.call(b"RPUSH", b"b", b"v")
        assert await blocked.read_reply() == [b"b", b"v"]


async def test_blmove_source_set_to_string_waits_then_destination_wrongtype(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BLMOVE", b"src", b"dst", b"LEFT", b"LEFT", b"0")
        await until_blocked(node, b"src")
        await writer.call(b"SET", b"src", b"string")
        assert await no_reply_within(blocked, 0.05)
        await writer.call(b"DEL", b"src")
        await writer.call(b"SET", b"dst", b"string")
        await writer.call(b"RPUSH", b"src", b"x")
        reply = await blocked.read_reply()
        assert isinstance(reply, hiredis.ReplyError) and str(reply).startswith("WRONGTYPE")
        assert await writer.call(b"LRANGE", b"src", b"0", b"-1") == [b"x"]  # nothing was popped


async def test_push_in_another_db_does_not_wake(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        assert await blocked.call(b"SELECT", b"1") == b"OK"
        await blocked.send(b"BLPOP", b"q", b"0")
        await until_blocked(node, b"q", db=1)
        await writer.call(b"RPUSH", b"q", b"db0")
        assert await no_reply_within(blocked, 0.05)
        await writer.call(b"SELECT", b"1")
        await writer.call(b"RPUSH", b"q", b"db1")
        assert await blocked.read_reply() == [b"q", b"db1"]


async def test_rename_into_the_key_wakes(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BLPOP", b"q", b"0")
        await until_blocked(node, b"q")
        await writer.call(b"RPUSH", b"tmp", b"moved")
        await writer.call(b"RENAME", b"tmp", b"q")
        assert await blocked.read_reply() == [b"q", b"moved"]


# -- timeouts --------------------------------------------------------------------------------------------


async def test_timeouts_answer_a_null_array(node):
    async with await connect(node) as c:
        for cmd in ((b"BLPOP", b"none", b"0.05"), (b"BRPOP", b"a", b"b", b"0.05"),
                    (b"BLMOVE", b"none", b"d", b"LEFT", b"LEFT", b"0.05"), (b"BRPOPLPUSH", b"none", b"d", b"0.05"),
                    (b"BLMPOP", b"0.05", b"1", b"none", b"LEFT")):
            await c.send(*cmd)
            assert await c.read_raw() == b"*-1\r\n", cmd  # BLMOVE too: Redis's timeout reply is a null array
        assert waiters(node, b"none") == 0
        await c.call(b"HELLO", b"3")
        await c.send(b"BLPOP", b"none", b"0.05")
        assert await c.read_raw() == b"_\r\n"


async def test_timeout_is_not_extended_by_unrelated_writes(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        start = trio.current_time()
        await blocked.send(b"BLPOP", b"k", b"0.3")
        await until_blocked(node, b"k")
        await writer.call(b"SET", b"k", b"string")  # re-runs the command, which keeps waiting
        assert await blocked.read_reply() is None
        assert trio.current_time() - start < 2


# -- transactions -----------------------------------------------------------------------------------------


async def test_push_inside_multi_wakes_after_exec(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BLPOP", b"q", b"0")
        await until_blocked(node, b"q")
        assert await writer.call(b"MULTI") == b"OK"
        assert await writer.call(b"RPUSH", b"q", b"a") == b"QUEUED"
        assert await writer.call(b"RPUSH", b"q", b"b") == b"QUEUED"
        assert await writer.call(b"LLEN", b"q") == b"QUEUED"
        # Nothing was served while the transaction ran: LLEN saw both elements.
        assert await writer.call(b"EXEC") == [1, 2, 2]
        assert await blocked.read_reply() == [b"q", b"a"]
        assert await writer.call(b"LRANGE", b"q", b"0", b"-1") == [b"b"]


async def test_blocking_commands_inside_multi_answer_at_once(node):
    async with await connect(node) as c:
        await c.call(b"MULTI")
        for cmd in ((b"BLPOP", b"none", b"0"), (b"BRPOP", b"none", b"0"), (b"BLMPOP", b"0", b"1", b"none", b"LEFT"),
                    (b"BLMOVE", b"none", b"d", b"LEFT", b"LEFT", b"0"), (b"BRPOPLPUSH", b"none", b"d", b"0")):
            assert await c.call(*cmd) == b"QUEUED"
        await c.send(b"EXEC")
        raw = b""
        while raw.count(b"\r\n") < 6:
            raw += await c.read_raw()
        # BLPOP/BRPOP/BLMPOP: null array; BLMOVE/BRPOPLPUSH: null bulk, as Redis 7.0.
        assert raw == b"*5\r\n*-1\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n"
        assert waiters(node, b"none") == 0


# -- pipelining and disconnects -------------------------------------------------------------------------


async def test_pipelined_commands_wait_behind_the_blocked_one(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.stream.send_all(
            b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nLLEN\r\n$1\r\nq\r\n")
        await until_blocked(node, b"q")
        assert await no_reply_within(blocked, 0.05)
        await writer.call(b"RPUSH", b"q", b"a", b"b")
        assert await blocked.read_reply() == [b"q", b"a"]
        assert await blocked.read_reply() == b"PONG"
        assert await blocked.read_reply() == 1


async def test_disconnected_blocked_client_is_forgotten(node):
    async with await connect(node) as writer:
        blocked = await connect(node)
        await blocked.send(b"BLPOP", b"q", b"0")
        await until_blocked(node, b"q")
        await blocked.aclose()
        await async_wait_for(lambda: waiters(node, b"q") == 0, message="waiter removed after disconnect")
        assert await writer.call(b"RPUSH", b"q", b"kept") == 1
        assert await writer.call(b"LRANGE", b"q", b"0", b"-1") == [b"kept"]  # nobody took it
        assert await writer.call(b"PING") == b"PONG"


async def test_disconnect_of_one_waiter_serves_the_next(node):
    async with await connect(node) as second, await connect(node) as writer:
        first = await connect(node)
        await first.send(b"BLPOP", b"q", b"0")
        await until_blocked(node, b"q", 1)
        await second.send(b"BLPOP", b"q", b"0")
        await until_blocked(node, b"q", 2)
        await first.aclose()
        await async_wait_for(lambda: waiters(node, b"q") == 1)
        await writer.call(b"RPUSH", b"q", b"v")
        assert await second.read_reply() == [b"q", b"v"]


# -- known node bug ------------------------------------------------------------------------------------


async def test_push_right_after_blpop_is_not_lost(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        for i in range(10):
            key = b"race%d" % i
            await blocked.send(b"BLPOP", key, b"1")
            await writer.send(b"RPUSH", key, b"v")  # no wait: may land in the same reactor round
            assert await writer.read_reply() == 1
            assert await blocked.read_reply() == [key, b"v"]
