"""The blocking machinery itself (node/blocking.py), seen through BLPOP: CLIENT UNBLOCK,
INFO blocked_clients, the CLIENT LIST ``b`` flag, and that a re-run is not a second call.
"""

from __future__ import annotations

import hiredis

from tests.support.client import RespClient
from tests.support.wait import async_wait_for


async def blocked(node, client_id: int) -> None:
    await async_wait_for(lambda: client_id in node.blocking.by_client, message=f"client {client_id} blocked")


def info_field(info: bytes, name: str) -> str:
    return dict(line.split(":", 1) for line in info.decode().splitlines() if ":" in line)[name]


async def test_client_unblock_answers_timeout_or_error(node):
    async with await RespClient.connect(node.ports[0]) as waiter, await RespClient.connect(node.ports[0]) as admin:
        wid = await waiter.call(b"CLIENT", b"ID")
        await waiter.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
        await blocked(node, wid)
        assert info_field(await admin.call(b"INFO", b"clients"), "blocked_clients") == "1"
        listing = await admin.call(b"CLIENT", b"LIST", b"ID", str(wid).encode())
        assert b" flags=b " in listing
        assert await admin.call(b"CLIENT", b"UNBLOCK", str(wid).encode()) == 1
        assert await waiter.read_reply() is None  # the timeout reply
        await waiter.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
        await blocked(node, wid)
        assert await admin.call(b"CLIENT", b"UNBLOCK", str(wid).encode(), b"ERROR") == 1
        reply = await waiter.read_reply()
        assert isinstance(reply, hiredis.ReplyError)
        assert str(reply) == "UNBLOCKED client unblocked via CLIENT UNBLOCK"
        assert await admin.call(b"CLIENT", b"UNBLOCK", str(wid).encode()) == 0  # not blocked now
        assert info_field(await admin.call(b"INFO", b"clients"), "blocked_clients") == "0"


async def test_a_served_blocked_command_counts_as_one_call(node):
    async with await RespClient.connect(node.ports[0]) as waiter, await RespClient.connect(node.ports[0]) as pusher:
        await pusher.call(b"CONFIG", b"RESETSTAT")
        wid = await waiter.call(b"CLIENT", b"ID")
        await waiter.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
        await blocked(node, wid)
        await pusher.call(b"SET", b"q", b"not a list")  # a re-run that keeps waiting
        await pusher.call(b"DEL", b"q")
        await pusher.call(b"RPUSH", b"q", b"x")
        assert await waiter.read_reply() == [b"q", b"x"]
        stats = (await pusher.call(b"INFO", b"commandstats")).decode()
    blpop = next(line for line in stats.splitlines() if line.startswith("cmdstat_blpop:"))
    assert blpop.startswith("cmdstat_blpop:calls=1,")


async def test_writes_into_another_database_wake_blocked_clients(node):
    """MOVE, COPY ... DB and SWAPDB put keys into a blocked client's database: it is served."""
    async with await RespClient.connect(node.ports[0]) as waiter, await RespClient.connect(node.ports[0]) as other:
        wid = await waiter.call(b"CLIENT", b"ID")
        await other.call(b"SELECT", b"1")
        for make_ready in (
            [(b"RPUSH", b"q", b"moved"), (b"MOVE", b"q", b"0")],
            [(b"RPUSH", b"q", b"copied"), (b"COPY", b"q", b"q", b"DB", b"0"), (b"DEL", b"q")],
            [(b"RPUSH", b"q", b"swapped"), (b"SWAPDB", b"0", b"1")],
        ):
            await waiter.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
            await blocked(node, wid)
            for command in make_ready:
                await other.call(*command)
            reply = await waiter.read_reply()
            assert reply[0] == b"q" and reply[1] in (b"moved", b"copied", b"swapped")
