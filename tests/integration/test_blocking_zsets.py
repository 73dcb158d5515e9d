"""Blocking sorted-set commands (BZPOPMIN, BZPOPMAX, BZMPOP) on an in-process node, with one
client blocked and another writing: waking by ZADD/ZINCRBY/ZUNIONSTORE/ZRANGESTORE, first
blocked first served, BZMPOP's COUNT, timeouts and their RESP2/RESP3 replies, MULTI/EXEC,
keys set to other types while a client waits, disconnects, and writes that add nothing.

Synchronisation: a test waits until the node has registered the blocked client (polling
the node's registry of waiters) before writing; it never sleeps to synchronise.
"""

from __future__ import annotations

import hiredis
import trio

from tests.support.blocking import no_reply_within, until_blocked, waiters
from tests.support.client import RespClient
from tests.support.wait import async_wait_for


async def connect(node, resp3: bool = False) -> RespClient:
    c = await RespClient.connect(node.ports[0])
    if resp3:
        await c.call(b"HELLO", b"3")
    return c


# -- waking ------------------------------------------------------------------------------------------


async def test_bzpopmin_woken_by_zadd(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BZPOPMIN", b"z", b"0")
        await until_blocked(node, b"z")
        assert await writer.call(b"ZADD", b"z", b"2", b"b", b"1", b"a") == 2
        assert await blocked.read_reply() == [b"z", b"a", b"1"]
        assert await writer.call(b"ZRANGE", b"z", b"0", b"-1") == [b"b"]
        assert waiters(node, b"z") == 0


async def test_bzpopmax_from_the_key_that_got_data_resp3(node):
    async with await connect(node, resp3=True) as blocked, await connect(node) as writer:
        await blocked.send(b"BZPOPMAX", b"k1", b"k2", b"k3", b"0")
        await until_blocked(node, b"k2")
        assert await writer.call(b"ZADD", b"k2", b"1.5", b"x", b"-1", b"y") == 2
        assert await blocked.read_reply() == [b"k2", b"x", 1.5]  # RESP3: the score is a double
        assert all(waiters(node, k) == 0 for k in (b"k1", b"k2", b"k3"))


async def test_emptied_zset_is_deleted_after_serving(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BZPOPMIN", b"z", b"0")
        await until_blocked(node, b"z")
        assert await writer.call(b"ZINCRBY", b"z", b"5", b"only") == b"5"
        assert await blocked.read_reply() == [b"z", b"only", b"5"]
        assert await writer.call(b"EXISTS", b"z") == 0


async def test_woken_by_store_commands(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await writer.call(b"ZADD", b"src", b"1", b"a", b"2", b"b", b"3", b"c")
        await blocked.send(b"BZPOPMAX", b"d1", b"0")
        await until_blocked(node, b"d1")
        assert await writer.call(b"ZUNIONSTORE", b"d1", b"1", b"src") == 3
        assert await blocked.read_reply() == [b"d1", b"c", b"3"]
        await blocked.send(b"BZPOPMIN", b"d2", b"0")
        await until_blocked(node, b"d2")
        assert await writer.call(b"ZRANGESTORE", b"d2", b"src", b"1", b"2") == 2
        assert await blocked.read_reply() == [b"d2", b"b", b"2"]


async def test_first_blocked_first_served(node):
    async with await connect(node) as c1, await connect(node) as c2, await connect(node) as c3, \
            await connect(node) as writer:
        await c1.send(b"BZPOPMIN", b"z", b"0")
        await until_blocked(node, b"z", 1)
        await c2.send(b"BZPOPMAX", b"z", b"0")
        await until_blocked(node, b"z", 2)
        await c3.send(b"BZMPOP", b"0", b"2", b"other", b"z", b"MIN", b"COUNT", b"5")
        await until_blocked(node, b"z", 3)
        assert await writer.call(b"ZADD", b"z", b"1", b"a", b"2", b"b", b"3", b"c", b"4", b"d", b"5", b"e") == 5
        assert await c1.read_reply() == [b"z", b"a", b"1"]
        assert await c2.read_reply() == [b"z", b"e", b"5"]
        assert await c3.read_reply() == [b"z", [[b"b", b"2"], [b"c", b"3"], [b"d", b"4"]]]
        assert await writer.call(b"EXISTS", b"z") == 0


async def test_one_element_serves_one_client(node):
    async with await connect(node) as c1, await connect(node) as c2, await connect(node) as writer:
        await c1.send(b"BZPOPMIN", b"z", b"0")
        await until_blocked(node, b"z", 1)
        await c2.send(b"BZPOPMIN", b"z", b"0")
        await until_blocked(node, b"z", 2)
        await writer.call(b"ZADD", b"z", b"1", b"a")
        assert await c1.read_reply() == [b"z", b"a", b"1"]
        assert await no_reply_within(c2, 0.05)
        assert waiters(node, b"z") == 1
        await writer.call(b"ZADD", b"z", b"2", b"b")
        assert await c2.read_reply() == [b"z", b"b", b"2"]


async def test_bzmpop_count_and_resp3(node):
    async with await connect(node, resp3=True) as blocked, await connect(node) as writer:
        await blocked.send(b"BZMPOP", b"0", b"1", b"z", b"MAX", b"COUNT", b"2")
        await until_blocked(node, b"z")
        await writer.call(b"ZADD", b"z", b"1", b"a", b"2", b"b", b"3", b"c")
        assert await blocked.read_reply() == [b"z", [[b"c", 3.0], [b"b", 2.0]]]
        assert await writer.call(b"ZCARD", b"z") == 1


async def test_write_that_adds_nothing_keeps_waiting(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BZPOPMIN", b"z", b"0")
        await until_blocked(node, b"z")
        assert await writer.call(b"ZADD", b"z", b"XX", b"1", b"a") == 0
        assert await writer.call(b"ZREM", b"z", b"a") == 0
        assert await no_reply_within(blocked, 0.05)
        await writer.call(b"ZADD", b"z", b"1", b"a")
        assert await blocked.read_reply() == [b"z", b"a", b"1"]


# -- timeouts -----------------------------------------------------------------------------------------


async def test_timeouts_resp2_and_resp3(node):
    async with await connect(node) as c2, await connect(node, resp3=True) as c3:
        assert await c2.call(b"BZPOPMIN", b"z", b"0.05") is None  # *-1
        assert await c2.call(b"BZMPOP", b"0.05", b"1", b"z", b"MIN") is None
        assert await c3.call(b"BZPOPMAX", b"z", b"0.05") is None  # _
        await c2.send_raw(b"*3\r\n$8\r\nBZPOPMIN\r\n$1\r\nz\r\n$4\r\n0.05\r\n")
        assert await c2.read_raw() == b"*-1\r\n"
        await c3.send_raw(b"*5\r\n$6\r\nBZMPOP\r\n$4\r\n0.05\r\n$1\r\n1\r\n$1\r\nz\r\n$3\r\nMAX\r\n")
        assert await c3.read_raw() == b"_\r\n"
        assert waiters(node, b"z") == 0


async def test_timeout_errors_answer_at_once(node):
    async with await connect(node) as c:
        for timeout, text in ((b"-1", "timeout is negative"), (b"x", "timeout is not a float or out of range"),
                              (b"inf", "timeout is negative")):
            reply = await c.call(b"BZPOPMIN", b"z", timeout)
            assert isinstance(reply, hiredis.ReplyError) and str(reply) == f"ERR {text}"


# -- transactions ---------------------------------------------------------------------------------------


async def test_inside_multi_answers_null_at_once(node):
    async with await connect(node) as c:
        assert await c.call(b"MULTI") == b"OK"
        assert await c.call(b"BZPOPMIN", b"z", b"0") == b"QUEUED"
        assert await c.call(b"BZMPOP", b"0", b"1", b"z", b"MIN") == b"QUEUED"
        assert await c.call(b"ZADD", b"z", b"1", b"a") == b"QUEUED"
        assert await c.call(b"BZPOPMAX", b"z", b"0") == b"QUEUED"
        assert await c.call(b"EXEC") == [None, None, 1, [b"z", b"a", b"1"]]


async def test_served_after_exec(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BZPOPMIN", b"z", b"0")
        await until_blocked(node, b"z")
        await writer.call(b"MULTI")
        await writer.call(b"ZADD", b"z", b"1", b"a")
        await writer.call(b"ZADD", b"z", b"0", b"b")
        assert await no_reply_within(blocked, 0.05)
        assert await writer.call(b"EXEC") == [1, 1]
        assert await blocked.read_reply() == [b"z", b"b", b"0"]  # the state after EXEC


async def test_added_and_removed_in_one_transaction_serves_nobody(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BZPOPMIN", b"z", b"0")
        await until_blocked(node, b"z")
        await writer.call(b"MULTI")
        await writer.call(b"ZADD", b"z", b"1", b"a")
        await writer.call(b"ZREM", b"z", b"a")
        assert await writer.call(b"EXEC") == [1, 1]
        assert await no_reply_within(blocked, 0.05)
        assert waiters(node, b"z") == 1


# -- other types, databases, disconnects -----------------------------------------------------------------


async def test_key_set_to_string_keeps_waiting(node):
    """Redis 7.0 serves blocked clients only from zsets: a SET on the key does not wake them."""
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BZPOPMIN", b"k", b"0")
        await until_blocked(node, b"k")
        assert await writer.call(b"SET", b"k", b"string") == b"OK"
        assert await no_reply_within(blocked, 0.05)
        await writer.call(b"DEL", b"k")
        await writer.call(b"ZADD", b"k", b"1", b"a")
        assert await blocked.read_reply() == [b"k", b"a", b"1"]


async def test_other_key_wrongtype_while_waiting(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BZMPOP", b"0", b"2", b"a", b"b", b"MIN")
        await until_blocked(node, b"b")
        await writer.call(b"SET", b"a", b"string")
        await writer.call(b"ZADD", b"b", b"1", b"m")
        assert await blocked.read_reply() == [b"b", [[b"m", b"1"]]]
        # Not blocked any more: a new call sees the string first and answers WRONGTYPE.
        reply = await blocked.call(b"BZMPOP", b"0", b"2", b"a", b"b", b"MIN")
        assert isinstance(reply, hiredis.ReplyError) and str(reply).startswith("WRONGTYPE")


async def test_other_database_does_not_wake(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BZPOPMIN", b"z", b"0")
        await until_blocked(node, b"z")
        await writer.call(b"SELECT", b"1")
        await writer.call(b"ZADD", b"z", b"1", b"a")
        assert await no_reply_within(blocked, 0.05)
        await writer.call(b"SELECT", b"0")
        await writer.call(b"ZADD", b"z", b"2", b"b")
        assert await blocked.read_reply() == [b"z", b"b", b"2"]


async def test_move_into_the_database_wakes(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BZPOPMIN", b"z", b"0")
        await until_blocked(node, b"z")
        await writer.call(b"SELECT", b"1")
        await writer.call(b"ZADD", b"z", b"1", b"a")
        await writer.call(b"MOVE", b"z", b"0")
        with trio.fail_after(1):
            assert await blocked.read_reply() == [b"z", b"a", b"1"]


async def test_disconnected_client_is_not_served(node):
    async with await connect(node) as writer:
        gone = await connect(node)
        await gone.send(b"BZPOPMIN", b"z", b"0")
        await until_blocked(node, b"z")
        await gone.aclose()
        await async_wait_for(lambda: waiters(node, b"z") == 0, message="disconnected waiter removed")
        await writer.call(b"ZADD", b"z", b"1", b"a")
        assert await writer.call(b"ZCARD", b"z") == 1


async def test_pipelined_commands_wait_behind_a_blocked_one(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send_raw(
            b"*3\r\n$8\r\nBZPOPMIN\r\n$1\r\nz\r\n$1\r\n0\r\n"
            b"*2\r\n$5\r\nZCARD\r\n$1\r\nz\r\n"
        )
        await until_blocked(node, b"z")
        await writer.call(b"ZADD", b"z", b"1", b"a", b"2", b"b")
        assert await blocked.read_reply() == [b"z", b"a", b"1"]
        assert await blocked.read_reply() == 1


async def test_served_from_the_first_ready_key(node):
    async with await connect(node) as blocked, await connect(node) as writer:
        await blocked.send(b"BZPOPMIN", b"k1", b"k2", b"0")
        await until_blocked(node, b"k2")
        await writer.call(b"MULTI")
        await writer.call(b"ZADD", b"k2", b"1", b"two")
        await writer.call(b"ZADD", b"k1", b"1", b"one")
        await writer.call(b"EXEC")
        with trio.fail_after(1):
            assert await blocked.read_reply() == [b"k2", b"two", b"1"]
