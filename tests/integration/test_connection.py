"""The connection loop of an in-process node: pipelining, inline requests, split requests,
protocol errors, QUIT and graceful shutdown."""

from __future__ import annotations

import socket

import hiredis
import pytest
import trio

from tests.support.client import ConnectionClosed, RespClient, encode_command
from tests.support.inproc import start_node, stop_node
from tests.support.wait import async_wait_for


async def connect(server) -> RespClient:
    return await RespClient.connect(server.ports[0])


async def roundtrip(server) -> None:
    """A PING on a fresh connection: the node has serviced everything that was ready before."""
    async with await connect(server) as other:
        assert await other.call(b"PING") == b"PONG"


def nothing_received(c: RespClient) -> bool:
    """True when no reply byte is waiting on ``c``'s socket (checked without blocking)."""
    with socket.fromfd(c.stream.socket.fileno(), socket.AF_INET, socket.SOCK_STREAM) as dup:
        try:
            dup.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return True
    return False


async def test_ping_and_set_get(node):
    async with await connect(node) as c:
        assert await c.call(b"PING") == b"PONG"
        assert await c.call(b"SET", b"k", b"v") == b"OK"
        assert await c.call(b"GET", b"k") == b"v"
        assert await c.call(b"GET", b"missing") is None


async def test_pipeline_in_one_write_gets_every_reply_in_order(node):
    commands = []
    for i in range(500):
        commands.append((b"SET", b"k%d" % i, b"v%d" % i))
        commands.append((b"GET", b"k%d" % i))
        commands.append((b"ECHO", b"e%d" % i))
    async with await connect(node) as c:
        replies = await c.pipeline(*commands)
    expected = []
    for i in range(500):
        expected += [b"OK", b"v%d" % i, b"e%d" % i]
    assert replies == expected


async def test_pipeline_larger_than_socket_buffers(node):
    # 4 MiB of replies: the node must park the client when the socket is full and resume.
    value = b"x" * 4096
    n = 1024
    async with await connect(node) as c:
        assert await c.call(b"SET", b"big", value) == b"OK"
        payload = encode_command(b"GET", b"big") * n
        replies = []

        async def reader():
            for _ in range(n):
                replies.append(await c.read_reply())

        async with trio.open_nursery() as nursery:
            nursery.start_soon(reader)
            await c.send_raw(payload)
        assert replies == [value] * n
        assert await c.call(b"PING") == b"PONG"


async def test_inline_commands(node):
    async with await connect(node) as c:
        await c.send_raw(b"PING\r\n")
        assert await c.read_reply() == b"PONG"
        await c.send_raw(b'SET k "a b"\n')
        assert await c.read_reply() == b"OK"
        await c.send_raw(b"GET k\r\n")
        assert await c.read_reply() == b"a b"
        await c.send_raw(b"\r\n\r\nECHO 'x\\'y'\r\n")  # blank lines are skipped
        assert await c.read_reply() == b"x'y"


async def test_inline_and_multibulk_mixed_in_one_write(node):
    async with await connect(node) as c:
        await c.send_raw(b"PING\r\n" + encode_command(b"ECHO", b"a") + b"*0\r\n*-1\r\nECHO b\r\n")
        assert await c.read_reply() == b"PONG"
        assert await c.read_reply() == b"a"
        assert await c.read_reply() == b"b"


async def test_half_sent_command_then_the_rest(node):
    data = encode_command(b"SET", b"half", b"value")
    async with await connect(node) as c:
        for cut in (1, 5, len(data) // 2, len(data) - 1):
            await c.send_raw(data[:cut])
            await roundtrip(node)  # the node has read the first part and must wait
            assert nothing_received(c)
            await c.send_raw(data[cut:])
            assert await c.read_reply() == b"OK"
        assert await c.call(b"GET", b"half") == b"value"


async def test_command_sent_byte_by_byte(node):
    data = encode_command(b"ECHO", b"slow") + b"ECHO inline\r\n"
    async with await connect(node) as c:
        for i in range(len(data)):
            await c.send_raw(data[i : i + 1])
            await trio.lowlevel.checkpoint()
        assert await c.read_reply() == b"slow"
        assert await c.read_reply() == b"inline"


async def test_unknown_command(node):
    async with await connect(node) as c:
        reply = await c.call(b"NOSUCH", b"a", b"b")
        assert isinstance(reply, hiredis.ReplyError)
        assert str(reply) == "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' "


async def test_protocol_error_closes_only_that_client(node):
    async with await connect(node) as good, await connect(node) as bad:
        assert await good.call(b"SET", b"k", b"1") == b"OK"
        # Commands before the garbage in the same write still run, as in Redis.
        await bad.send_raw(encode_command(b"SET", b"k", b"2") + b"*1\r\n$x\r\n" + encode_command(b"SET", b"k", b"3"))
        with trio.fail_after(5):
            data = await bad.read_until_closed()
        assert data == b"+OK\r\n-ERR Protocol error: invalid bulk length\r\n"
        assert await good.call(b"GET", b"k") == b"2"
        assert await good.call(b"PING") == b"PONG"


async def test_protocol_error_in_inline_request(node):
    async with await connect(node) as c:
        await c.send_raw(b'SET "unbalanced\r\n')
        with trio.fail_after(5):
            data = await c.read_until_closed()
        assert data == b"-ERR Protocol error: unbalanced quotes in request\r\n"


async def test_client_vanishing_mid_command_is_forgotten(node):
    async with await connect(node) as watcher:
        baseline = len(node.clients)
        c = await connect(node)
        await c.send_raw(b"*2\r\n$4\r\nECHO\r\n$10\r\nabc")
        await async_wait_for(lambda: len(node.clients) == baseline + 1)
        await c.aclose()
        await async_wait_for(lambda: len(node.clients) == baseline)
        assert await watcher.call(b"PING") == b"PONG"


async def test_quit_replies_ok_and_closes(node):
    async with await connect(node) as c:
        await c.send_raw(encode_command(b"QUIT") + encode_command(b"PING"))
        with trio.fail_after(5):
            data = await c.read_until_closed()
        assert data == b"+OK\r\n"  # nothing after QUIT is run
    await roundtrip(node)


async def test_many_clients_interleaved(node):
    async def worker(i: int) -> None:
        async with await connect(node) as c:
            for j in range(20):
                assert await c.call(b"SET", b"c%d" % i, b"%d" % j) == b"OK"
                assert await c.call(b"GET", b"c%d" % i) == b"%d" % j

    async with trio.open_nursery() as nursery:
        for i in range(20):
            nursery.start_soon(worker, i)


async def test_graceful_shutdown_closes_listener_and_idle_clients(nursery):
    server = await start_node(nursery)
    port = server.ports[0]
    c = await RespClient.connect(port)
    assert await c.call(b"PING") == b"PONG"
    await stop_node(server)
    assert server.stopped.is_set()
    # the idle client was closed
    with trio.fail_after(5):
        assert await c.read_until_closed() == b""
    await c.aclose()
    # and nobody listens any more
    with pytest.raises(OSError):
        sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        sock.close()


async def test_shutdown_lets_an_in_flight_pipeline_finish(nursery):
    server = await start_node(nursery)
    n = 2000
    async with await RespClient.connect(server.ports[0]) as c:
        assert await c.call(b"SET", b"v", b"y" * 1024) == b"OK"
        await c.send_raw(encode_command(b"GET", b"v") * n)
        first = await c.read_reply()  # the batch is being served
        server.request_shutdown()
        replies = [first]
        with trio.fail_after(10):
            try:
                while True:
                    replies.append(await c.read_reply())
            except ConnectionClosed:
                pass
    # Every reply that arrived is whole and correct; the batch read with the first reply
    # was finished, not cut in the middle of a reply.
    assert all(r == b"y" * 1024 for r in replies)
    assert c.reader.gets() is False
    with trio.fail_after(10):
        await server.stopped.wait()


async def test_messages_pushed_while_a_large_reply_is_still_being_sent_come_after_it(node):
    # The 4 MiB reply does not fit the socket: the reactor keeps the rest at the head of the
    # client's outbox and a writer task finishes it. Messages published to the client
    # meanwhile must queue up behind it, not cut into it.
    value = b"v" * (4 * 1024 * 1024)
    async with await connect(node) as writer, await connect(node) as reader:
        assert await writer.call(b"SET", b"big", value) == b"OK"
        await reader.call(b"HELLO", b"3")
        assert await reader.call(b"SUBSCRIBE", b"ch") == [b"subscribe", b"ch", 1]
        await reader.send(b"GET", b"big")
        await roundtrip(node)  # the node has answered the GET as far as the socket took it
        for i in range(3):
            assert await writer.call(b"PUBLISH", b"ch", b"m%d" % i) == 1
        assert await reader.read_reply() == value
        for i in range(3):
            assert await reader.read_reply() == [b"message", b"ch", b"m%d" % i]
        assert await reader.call(b"PING") == b"PONG"
