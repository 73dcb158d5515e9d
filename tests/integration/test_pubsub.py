"""Pub/sub on an in-process node: fan-out to many subscribers, patterns, RESP3 pushes on a
normal connection, cleanup on disconnect, and a subscriber that stops reading is closed at
the pubsub output-buffer limit while the publisher and the other subscribers carry on."""

from __future__ import annotations

import socket

import trio

from tests.support.client import RespClient, encode_command
from tests.support.wait import async_wait_for


async def connect(server) -> RespClient:
    return await RespClient.connect(server.ports[0])


async def test_many_subscribers_and_patterns(node):
    subs = [await connect(node) for _ in range(20)]
    psub = await connect(node)
    try:
        for i, c in enumerate(subs):
            assert await c.call(b"SUBSCRIBE", b"fan") == [b"subscribe", b"fan", 1]
        assert await psub.call(b"PSUBSCRIBE", b"f*") == [b"psubscribe", b"f*", 1]
        async with await connect(node) as pub:
            assert await pub.call(b"PUBSUB", b"NUMSUB", b"fan") == [b"fan", 20]
            assert await pub.call(b"PUBSUB", b"NUMPAT") == 1
            for n in range(5):
                assert await pub.call(b"PUBLISH", b"fan", b"m%d" % n) == 21
        for c in subs:
            for n in range(5):
                assert await c.read_reply() == [b"message", b"fan", b"m%d" % n]
        for n in range(5):
            assert await psub.read_reply() == [b"pmessage", b"f*", b"fan", b"m%d" % n]
    finally:
        for c in subs + [psub]:
            await c.aclose()
    await async_wait_for(lambda: not node.pubsub.channels and not node.pubsub.patterns)


async def test_resp3_push_on_normal_connection(node):
    async with await connect(node) as c, await connect(node) as pub:
        await c.call(b"HELLO", b"3")
        assert await c.call(b"SUBSCRIBE", b"ch") == [b"subscribe", b"ch", 1]
        assert await c.call(b"SET", b"k", b"v") == b"OK"  # no subscriber context in RESP3
        assert await pub.call(b"PUBLISH", b"ch", b"hi") == 1
        assert await c.read_reply() == [b"message", b"ch", b"hi"]
        assert await c.call(b"GET", b"k") == b"v"


async def test_disconnect_and_reset_remove_subscriptions(node):
    c = await connect(node)
    await c.call(b"SUBSCRIBE", b"a")
    await c.call(b"PSUBSCRIBE", b"p*")
    await c.call(b"SSUBSCRIBE", b"s")
    assert len(node.pubsub.channels) == len(node.pubsub.patterns) == len(node.pubsub.shard_channels) == 1
    assert await c.call(b"RESET") == b"RESET"
    assert not node.pubsub.channels and not node.pubsub.patterns and not node.pubsub.shard_channels
    assert await c.call(b"SET", b"k", b"v") == b"OK"
    await c.call(b"SUBSCRIBE", b"a")
    await c.aclose()
    await async_wait_for(lambda: not node.pubsub.channels)


async def test_slow_subscriber_is_disconnected_at_the_limit(node):
    async with await connect(node) as admin:
        assert await admin.call(b"CONFIG", b"SET", b"client-output-buffer-limit", b"pubsub 1mb 0 0") == b"OK"
    # The slow subscriber: a tiny receive buffer, subscribes, then never reads again.
    slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", node.ports[0]))
    slow.sendall(encode_command(b"SUBSCRIBE", b"news"))
    fast = await connect(node)
    pub = await connect(node)
    try:
        assert await fast.call(b"SUBSCRIBE", b"news") == [b"subscribe", b"news", 1]
        await async_wait_for(lambda: len(node.pubsub.channels.get(b"news", ())) == 2)
        payload = b"x" * 10_000
        total = 1500  # 15 MB: far past the limit plus whatever the kernel buffers hold
        received = 0

        async def read_fast():
            nonlocal received
            for n in range(total):
                reply = await fast.read_reply()
                assert reply == [b"message", b"news", payload]
                received += 1

        counts = []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read_fast)
            with trio.fail_after(60):
                for _ in range(total // 50):
                    replies = await pub.pipeline(*[(b"PUBLISH", b"news", payload)] * 50)
                    counts.extend(replies)
        assert received == total
        assert counts[0] == 2 and counts[-1] == 1  # the slow one was dropped on the way
        assert len(node.pubsub.channels[b"news"]) == 1
        async with await connect(node) as admin:
            listing = await admin.call(b"CLIENT", b"LIST", b"TYPE", b"pubsub")
            assert listing.count(b"\n") == 1
    finally:
        slow.close()
        await fast.aclose()
        await pub.aclose()


async def test_slow_subscriber_is_disconnected_after_the_soft_limit_lasts(node):
    """Soft limit 64kb for 1 s: a subscriber past it survives while under 1 s has passed,
    and is closed by a later message once it has stayed past it for more than 1 s."""
    async with await connect(node) as admin:
        assert await admin.call(b"CONFIG", b"SET", b"client-output-buffer-limit", b"pubsub 0 64kb 1") == b"OK"
    slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", node.ports[0]))
    slow.sendall(encode_command(b"SUBSCRIBE", b"soft"))
    pub = await connect(node)
    try:
        await async_wait_for(lambda: len(node.pubsub.channels.get(b"soft", ())) == 1)
        (client,) = node.pubsub.channels[b"soft"]
        payload = b"y" * 10_000
        passed_at = None
        with trio.fail_after(30):
            while not client.closing:
                await pub.pipeline(*[(b"PUBLISH", b"soft", payload)] * 10)
                if passed_at is None and client.soft_limit_since:
                    passed_at = trio.current_time()
                await trio.sleep(0.02)  # a steady trickle of messages, each one re-checks
        assert passed_at is not None
        held = trio.current_time() - passed_at
        assert 0.9 <= held <= 5.0, held  # more than 1 s past the limit (whole seconds, as Redis)
        assert not node.pubsub.channels.get(b"soft")
    finally:
        slow.close()
        await pub.aclose()
