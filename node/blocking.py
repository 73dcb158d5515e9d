"""Blocking commands (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...): Block, and the registry.

A blocking command's handler first tries to serve at once, exactly like its non-blocking
twin. When there is nothing to serve it returns ``Block(keys, timeout, timeout_reply)``
instead of a reply, and the node does the rest:

* the client is registered as waiting on ``keys`` at once, in the same step that ran the
  command (so a write that arrives in the same poll round is not missed), and parked: it
  stops running further commands, as in Redis; its later pipelined commands wait behind it;
* whenever a write command touches one of ``keys`` in the client's database, the node
  re-runs the same handler with the same argv for the clients blocked on that key, first
  blocked first served, until the handler returns a real reply (or an error); so the
  handler must be safe to re-run: it re-checks and returns ``Block`` again if the key is
  still not servable. :func:`is_rerun` tells a handler that it is being re-run (Redis
  serves blocked clients only from keys of the right type, so a re-run skips a key of
  another type where a first run answers WRONGTYPE). A re-run is not a new call: it does
  not show in MONITOR or count in commandstats again, but its writes are propagated;
* keys become ready in the order writes stored a list, zset or stream under them, and a
  client blocked on several keys is served from the ready key being handled, as Redis's
  handleClientsBlockedOnKeys does (``BLPOP a b 0`` then ``MULTI / RPUSH b / RPUSH a / EXEC``
  pops from ``b``): a handler that takes several keys asks :func:`keys_to_serve` which of
  them it may serve from (all of them on a first run, only the ready key on a re-run);
* when ``timeout`` seconds pass (0 = forever) the client gets ``timeout_reply``
  (``NULL_ARRAY`` for BLPOP: ``*-1`` in RESP2, null in RESP3);
* inside MULTI/EXEC a Block is answered with ``timeout_reply`` at once: Redis never blocks
  in a transaction;
* CLIENT UNBLOCK ends the wait with the timeout reply or an UNBLOCKED error;
* a client that disconnects while blocked is forgotten before anything is served to it.

Timeouts are parsed by each command family (seconds for lists and zsets, milliseconds for
XREAD BLOCK); the deadline is fixed when the client first blocks, re-runs do not extend it.
"""

from __future__ import annotations

import math

import trio

from node.errors import CommandError
from node.replies import NULL_ARRAY, ErrorReply

UNBLOCKED = "UNBLOCKED client unblocked via CLIENT UNBLOCK"


class Block:
    __slots__ = ("keys", "timeout", "timeout_reply")

    def __init__(self, keys: list[bytes], timeout: float, timeout_reply: object = NULL_ARRAY):
        self.keys = keys
        self.timeout = timeout
        self.timeout_reply = timeout_reply

    def __repr__(self) -> str:
        return f"Block({self.keys!r}, {self.timeout!r})"


class Waiter:
    """One blocked command: who, what, until when, and (once served) the reply."""

    __slots__ = ("client", "spec", "argv", "db_id", "keys", "deadline", "timeout_reply", "event", "reply", "done")

    def __init__(self, client, spec, argv: list[bytes], block: Block):
        self.client = client
        self.spec = spec
        self.argv = argv
        self.db_id = client.db.id
        self.keys = list(dict.fromkeys(block.keys))
        self.deadline = trio.current_time() + block.timeout if block.timeout > 0 else math.inf
        self.timeout_reply = block.timeout_reply
        self.event = trio.Event()
        self.reply: object = None
        self.done = False

    def finish(self, reply: object) -> None:
        self.reply = reply
        self.done = True
        self.event.set()


def is_rerun(client) -> bool:
    """True while the node re-runs ``client``'s blocked command because a key changed."""
    return client.server.blocking.rerunning is client


def keys_to_serve(client, keys: list[bytes]) -> list[bytes]:
    """The keys a multi-key blocking command may serve from, in order: all of ``keys`` on a
    first run (or when ``client`` is None: a non-blocking twin sharing the code); on a
    re-run, only the key that became ready, as Redis serves a blocked client from that key
    and not from the first of its keys that holds data."""
    if client is not None:
        registry = client.server.blocking
        if registry.rerunning is client and registry.serving_key is not None:
            return [registry.serving_key]
    return keys


# TYPE names of the values a blocked client can be served from (Redis's BLOCKED_LIST,
# BLOCKED_ZSET, BLOCKED_STREAM); storing any other type under a key does not make it ready.
_SERVABLE_TYPES = frozenset((b"list", b"zset", b"stream"))


def _stores_servable(db, key: bytes) -> bool:
    from node.commands.keys import type_name  # node.commands imports this module

    value = db.data.get(key)
    return value is not None and type_name(value) in _SERVABLE_TYPES


class BlockingRegistry:
    """The clients blocked on each (db, key), in the order they blocked.

    ``signal(db, keys)`` is called by dispatch after a command changed data while anyone is
    blocked; ``serve_ready()`` then re-runs, synchronously and first-blocked-first-served,
    the commands of the clients waiting on those keys (Redis's handleClientsBlockedOnKeys),
    and wakes each client it served. It runs after a command finishes, never inside
    MULTI/EXEC, so a transaction's pushes are seen only when EXEC is done.
    """

    def __init__(self, server):
        self.server = server
        self.by_key: dict[tuple[int, bytes], list[Waiter]] = {}
        self.by_client: dict[int, Waiter] = {}
        self.ready: list[tuple[int, bytes]] = []
        self.rerunning = None  # the client whose command serve_ready is re-running
        self.serving_key: bytes | None = None  # ... and the ready key it is served from
        self._serving = False

    def __len__(self) -> int:
        """How many clients are blocked (INFO blocked_clients)."""
        return len(self.by_client)

    def block(self, client, spec, argv: list[bytes], block: Block) -> Waiter:
        """Register ``client`` as waiting, now (before any await)."""
        waiter = Waiter(client, spec, argv, block)
        self.by_client[client.id] = waiter
        for key in waiter.keys:
            self.by_key.setdefault((waiter.db_id, key), []).append(waiter)
        return waiter

    def _forget(self, waiter: Waiter) -> None:
        self.by_client.pop(waiter.client.id, None)
        for key in waiter.keys:
            waiters = self.by_key.get((waiter.db_id, key))
            if waiters is not None:
                try:
                    waiters.remove(waiter)
                except ValueError:
                    pass
                if not waiters:
                    del self.by_key[(waiter.db_id, key)]

    def signal(self, db_id: int, keys: list[bytes]) -> None:
        """``keys`` of database ``db_id`` were written: queue those that clients wait on
        and that now hold a list, zset or stream (Redis's signalKeyAsReady; a SET, HSET or
        DEL of the key does not make it ready, so it does not take a place in the order
        keys are served in). Stream waiters see every write (XREADGROUP answers an error
        when its stream is deleted or replaced)."""
        by_key = self.by_key
        db = None
        for key in keys:
            waiters = by_key.get((db_id, key))
            if waiters is None:
                continue
            if db is None:
                db = self.server.dbs[db_id]
            if _stores_servable(db, key) or any(w.spec.group == "stream" for w in waiters):
                self.ready.append((db_id, key))

    def unblock(self, client, as_error: bool) -> bool:
        """CLIENT UNBLOCK: end ``client``'s wait with its timeout reply or an error."""
        waiter = self.by_client.get(client.id)
        if waiter is None or waiter.done:
            return False
        return self.end(client, ErrorReply(UNBLOCKED) if as_error else waiter.timeout_reply)

    def end(self, client, reply: object) -> bool:
        """End ``client``'s wait now with ``reply`` (e.g. a cluster redirect); False if it
        was not waiting."""
        waiter = self.by_client.get(client.id)
        if waiter is None or waiter.done:
            return False
        self._forget(waiter)
        waiter.finish(reply)
        return True

    def serve_ready(self) -> None:
        if self._serving:
            return  # a served command's own writes are picked up by the loop below
        self._serving = True
        try:
            while self.ready:
                batch, self.ready = self.ready, []
                for slot in dict.fromkeys(batch):
                    for waiter in list(self.by_key.get(slot, ())):
                        if waiter.done or waiter.client.closing:
                            continue
                        reply = self._rerun(waiter, slot[1])
                        if type(reply) is Block:
                            continue
                        self._forget(waiter)
                        waiter.finish(reply)
        finally:
            self._serving = False

    def _rerun(self, waiter: Waiter, key: bytes) -> object:
        """Run ``waiter``'s command again to serve it from the ready ``key``."""
        client, spec, argv = waiter.client, waiter.spec, waiter.argv
        server = self.server
        clock = server.clock
        dirty = clock.dirty
        self.rerunning = client
        self.serving_key = key
        hooks = server.command_hooks  # client tracking: the re-run is a command of its own
        try:
            if hooks is None:
                reply = spec.handler(client, argv)
            else:
                reply = hooks.rerun(client, spec, argv, lambda: spec.handler(client, argv))
        except CommandError as exc:
            reply = ErrorReply(exc.message)
            server.count_error(exc.message)
        finally:
            self.rerunning = self.serving_key = None
        if clock.dirty != dirty:
            if server.propagate is not None:
                server.propagate(client, spec, argv)
            self.signal(client.db.id, spec.keys_of(argv))
        return reply

    async def wait(self, waiter: Waiter, on_input) -> object:
        """Wait until ``waiter`` is served, unblocked or timed out; returns the reply to send.

        While waiting, the socket is still read (Redis keeps reading a blocked client):
        ``on_input(data)`` gets what arrives, and end-of-file ends the wait at once so a
        disconnected client is never served (its element would be lost).
        """
        client = waiter.client
        try:
            if not waiter.done:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(_watch_socket, client, on_input, nursery.cancel_scope)
                    with trio.move_on_at(waiter.deadline):
                        await waiter.event.wait()
                    nursery.cancel_scope.cancel()
        finally:
            if not waiter.done:
                self._forget(waiter)
        return waiter.reply if waiter.done else waiter.timeout_reply


async def _watch_socket(client, on_input, scope: trio.CancelScope) -> None:
    sock = client.sock
    while True:
        await trio.lowlevel.wait_readable(sock)
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data:
            client.closing = True
            scope.cancel()
            return
        on_input(data)
