"""Client tracking on an in-process node: what each client receives, and the node's own state
(tracking table, prefixes, hooks) when clients come and go. The exact wire transcripts are
compared with real Redis in tests/differential/test_tracking.py."""

from __future__ import annotations

from tests.support.client import RespClient
from tests.support.wait import async_wait_for

INVALIDATE = b"invalidate"


async def connect(server, resp3: bool = False) -> RespClient:
    client = await RespClient.connect(server.ports[0])
    if resp3:
        await client.call(b"HELLO", b"3")
    return client


async def test_redirect_target_disconnect(node):
    async with await connect(node, resp3=True) as t, await connect(node) as w:
        r = await connect(node)
        r_id = await r.call(b"CLIENT", b"ID")
        assert await t.call(b"CLIENT", b"TRACKING", b"on", b"REDIRECT", r_id) == b"OK"
        assert await t.call(b"GET", b"k") is None
        await r.aclose()
        await async_wait_for(lambda: r_id not in node.clients)
        # Nothing is said when the target goes; the next invalidation finds it missing.
        assert await w.call(b"SET", b"k", b"1") == b"OK"
        assert await t.read_reply() == [b"tracking-redir-broken", r_id]
        info = await t.call(b"CLIENT", b"TRACKINGINFO")
        assert info[b"flags"] == [b"on", b"broken_redirect"] and info[b"redirect"] == r_id
        assert not node.tracking.table  # the key was forgotten all the same
        # Re-enabling clears the broken state.
        assert await t.call(b"CLIENT", b"TRACKING", b"on") == b"OK"
        assert (await t.call(b"CLIENT", b"TRACKINGINFO"))[b"flags"] == [b"on"]


async def test_redirect_to_resp2_subscriber(node):
    async with await connect(node) as t, await connect(node) as r, await connect(node) as w:
        r_id = await r.call(b"CLIENT", b"ID")
        assert await r.call(b"SUBSCRIBE", b"__redis__:invalidate") == [b"subscribe", b"__redis__:invalidate", 1]
        assert await t.call(b"CLIENT", b"TRACKING", b"on", b"REDIRECT", r_id) == b"OK"
        assert await t.call(b"MGET", b"a", b"b") == [None, None]
        assert await w.call(b"MSET", b"a", b"1", b"b", b"2") == b"OK"
        assert await r.read_reply() == [b"message", b"__redis__:invalidate", [b"a"]]
        assert await r.read_reply() == [b"message", b"__redis__:invalidate", [b"b"]]
        assert await w.call(b"FLUSHALL") == b"OK"
        assert await r.read_reply() == [b"message", b"__redis__:invalidate", None]


async def test_bcast_batches_a_pipeline_and_cleans_up(node):
    a = await connect(node, resp3=True)
    async with await connect(node) as w:
        assert await a.call(b"CLIENT", b"TRACKING", b"on", b"BCAST", b"PREFIX", b"user:", b"PREFIX", b"obj:") == b"OK"
        replies = await w.pipeline(
            (b"SET", b"user:2", b"x"), (b"SET", b"other", b"x"), (b"SET", b"user:1", b"x"),
            (b"SET", b"obj:9", b"x"), (b"DEL", b"user:2"),
        )
        assert replies == [b"OK", b"OK", b"OK", b"OK", 1]
        # One message per prefix for the whole pipeline (prefix order, keys sorted).
        assert await a.read_reply() == [INVALIDATE, [b"obj:9"]]
        assert await a.read_reply() == [INVALIDATE, [b"user:1", b"user:2"]]
        assert set(node.tracking.prefixes) == {b"user:", b"obj:"}
        await a.aclose()
        await async_wait_for(lambda: not node.tracking.clients)
        assert not node.tracking.prefixes
        # Nobody tracks any more: the hooks are gone from the gate and the databases.
        assert node.command_hooks is None
        assert all(db.tracking is None for db in node.dbs)


async def test_optin_optout_with_caching(node):
    async with await connect(node, resp3=True) as a, await connect(node) as w:
        assert await a.call(b"CLIENT", b"TRACKING", b"on", b"OPTIN") == b"OK"
        await a.call(b"GET", b"plain")
        assert await a.call(b"CLIENT", b"CACHING", b"yes") == b"OK"
        await a.call(b"GET", b"cached")
        await a.call(b"GET", b"after")  # CACHING YES lasted one command
        assert set(node.tracking.table) == {b"cached"}
        assert await w.call(b"MSET", b"plain", b"1", b"cached", b"1", b"after", b"1") == b"OK"
        assert await a.read_reply() == [INVALIDATE, [b"cached"]]
        assert await a.call(b"CLIENT", b"TRACKING", b"off") == b"OK"
        assert await a.call(b"CLIENT", b"TRACKING", b"on", b"OPTOUT") == b"OK"
        assert await a.call(b"CLIENT", b"CACHING", b"no") == b"OK"
        await a.call(b"GET", b"skipped")
        await a.call(b"GET", b"kept")
        assert set(node.tracking.table) == {b"kept"}


async def test_noloop_and_own_invalidation_after_the_reply(node):
    async with await connect(node, resp3=True) as a, await connect(node) as w:
        assert await a.call(b"CLIENT", b"TRACKING", b"on") == b"OK"
        replies = await a.pipeline((b"GET", b"k"), (b"SET", b"k", b"1"), (b"GET", b"k"))
        assert replies == [None, b"OK", [INVALIDATE, [b"k"]]]  # the push follows SET's reply
        assert await a.read_reply() == b"1"
        assert await a.call(b"CLIENT", b"TRACKING", b"on", b"NOLOOP") == b"OK"
        assert await a.call(b"SET", b"k", b"2") == b"OK"  # no push: a changed it itself
        await a.call(b"GET", b"k")
        assert await w.call(b"SET", b"k", b"3") == b"OK"
        assert await a.read_reply() == [INVALIDATE, [b"k"]]


async def test_own_invalidation_under_client_reply_off(node):
    async with await connect(node, resp3=True) as a:
        assert await a.call(b"CLIENT", b"TRACKING", b"on") == b"OK"
        await a.call(b"GET", b"k")
        await a.send(b"CLIENT", b"REPLY", b"OFF")
        await a.send(b"SET", b"k", b"1")
        # The reply is suppressed, the invalidation is not (as Redis 7.0.15).
        assert await a.call(b"CLIENT", b"REPLY", b"ON") == [INVALIDATE, [b"k"]]
        assert await a.read_reply() == b"OK"


async def test_flushall_sends_one_null_per_client(node):
    async with await connect(node, resp3=True) as a, await connect(node, resp3=True) as b, \
            await connect(node) as w:
        for c in (a, b):
            assert await c.call(b"CLIENT", b"TRACKING", b"on") == b"OK"
        await a.call(b"GET", b"k")
        for db in (0, 5, 9):
            await w.call(b"SELECT", db)
            await w.call(b"SET", b"k%d" % db, b"1")
        assert await w.call(b"FLUSHALL") == b"OK"
        for c in (a, b):
            assert await c.read_reply() == [INVALIDATE, None]
            assert await c.call(b"PING") == b"PONG"  # and nothing else queued before it
        assert not node.tracking.table and node.tracking.items == 0


async def test_active_expiry_invalidates(node):
    async with await connect(node, resp3=True) as a, await connect(node) as w:
        assert await a.call(b"CLIENT", b"TRACKING", b"on") == b"OK"
        assert await w.call(b"SET", b"k", b"1", b"PX", b"30") == b"OK"
        assert await a.call(b"GET", b"k") == b"1"
        # Pushed by the active expiry cycle, with no command running.
        assert await a.read_reply() == [INVALIDATE, [b"k"]]
        assert await w.call(b"DBSIZE") == 0


async def test_keymiss_hook_follows_the_config(node):
    async with await connect(node) as w:
        assert node.command_hooks is None and all(db.on_miss is None for db in node.dbs)
        assert await w.call(b"CONFIG", b"SET", b"notify-keyspace-events", b"Em") == b"OK"
        assert node.command_hooks is node.tracking and all(db.on_miss is not None for db in node.dbs)
        assert await w.call(b"CONFIG", b"SET", b"notify-keyspace-events", b"KEA") == b"OK"  # A has no m
        assert node.command_hooks is None and all(db.on_miss is None for db in node.dbs)


async def test_tracking_switched_on_inside_a_transaction(node):
    async with await connect(node, resp3=True) as a:
        transaction = ((b"MULTI",), (b"CLIENT", b"TRACKING", b"on"), (b"GET", b"k"), (b"SET", b"k", b"1"), (b"EXEC",))
        # Pipelined: the held-back invalidation goes out before the next command's reply.
        replies = await a.pipeline(*transaction, (b"PING",))
        assert replies[-2:] == [[b"OK", None, b"OK"], [INVALIDATE, [b"k"]]]
        assert await a.read_reply() == b"PONG"
        assert await a.call(b"CLIENT", b"TRACKING", b"off") == b"OK"
        # Alone: it goes out at the end of the round, after EXEC's reply.
        replies = await a.pipeline(*transaction)
        assert replies[-1] == [b"OK", b"1", b"OK"]
        assert await a.read_reply() == [INVALIDATE, [b"k"]]
        assert not node.tracking.orphaned and not node.tracking.pending
