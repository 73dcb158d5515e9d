"""Blocking commands (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...): the Block value.

A blocking command's handler first tries to serve at once, exactly like its non-blocking
twin. When there is nothing to serve it returns ``Block(keys, timeout, timeout_reply)``
instead of a reply, and the node does the rest:

* the client is parked (it stops reading further commands, as in Redis), its later
  pipelined commands wait behind it;
* whenever a write command touches one of ``keys`` in the client's database, the node
  re-runs the same handler with the same argv for the clients blocked on that key, first
  blocked first served, until the handler returns a real reply (or an error); so the
  handler must be safe to re-run: it re-checks and returns ``Block`` again if the key is
  still not servable;
* when ``timeout`` seconds pass (0 = forever) the client gets ``timeout_reply``
  (``NULL_ARRAY`` for BLPOP: ``*-1`` in RESP2, null in RESP3);
* inside MULTI/EXEC a Block is answered with ``timeout_reply`` at once: Redis never blocks
  in a transaction;
* a client that disconnects while blocked is simply forgotten.

Timeouts are parsed by the handler with :func:`parse_timeout` (Redis's texts: "timeout is
not a float or out of range", "timeout is negative"); the deadline is fixed when the
client first blocks, re-runs do not extend it.
"""

from __future__ import annotations

import math

import trio

from node import errors
from node.errors import CommandError
from node.replies import NULL_ARRAY


class Block:
    __slots__ = ("keys", "timeout", "timeout_reply")

    def __init__(self, keys: list[bytes], timeout: float, timeout_reply: object = NULL_ARRAY):
        self.keys = keys
        self.timeout = timeout
        self.timeout_reply = timeout_reply

    def __repr__(self) -> str:
        return f"Block({self.keys!r}, {self.timeout!r})"


def parse_timeout(raw: bytes) -> float:
    """A blocking timeout in seconds (fractions allowed); 0 means forever."""
    try:
        value = float(raw)
    except ValueError:
        raise CommandError(errors.TIMEOUT_NOT_FLOAT) from None
    if math.isnan(value) or math.isinf(value):
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    if value < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    return value


class Waiter:
    """One parked blocking command: who, what, and (once served) the reply."""

    __slots__ = ("client", "argv", "db_id", "keys", "event", "reply", "served")

    def __init__(self, client, argv: list[bytes], keys: list[bytes]):
        self.client = client
        self.argv = argv
        self.db_id = client.db.id
        self.keys = list(dict.fromkeys(keys))
        self.event = trio.Event()
        self.reply: object = None
        self.served = False


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
        self.ready: list[tuple[int, bytes]] = []
        self._serving = False

    def __bool__(self) -> bool:
        return bool(self.by_key)

    def signal(self, db_id: int, keys: list[bytes]) -> None:
        by_key = self.by_key
        for key in keys:
            if (db_id, key) in by_key:
                self.ready.append((db_id, key))

    def add(self, waiter: Waiter) -> None:
        for key in waiter.keys:
            self.by_key.setdefault((waiter.db_id, key), []).append(waiter)

    def remove(self, waiter: Waiter) -> None:
        for key in waiter.keys:
            waiters = self.by_key.get((waiter.db_id, key))
            if waiters is not None:
                try:
                    waiters.remove(waiter)
                except ValueError:
                    pass
                if not waiters:
                    del self.by_key[(waiter.db_id, key)]

    def serve_ready(self) -> None:
        if self._serving:
            return  # a served command's own writes are picked up by the loop below
        from node.commands.dispatch import PAUSED, execute

        self._serving = True
        try:
            while self.ready:
                batch, self.ready = self.ready, []
                for slot in dict.fromkeys(batch):
                    for waiter in list(self.by_key.get(slot, ())):
                        if waiter.served or waiter.client.closing:
                            continue
                        reply = execute(waiter.client, waiter.argv)
                        if type(reply) is Block or reply is PAUSED:
                            continue
                        waiter.reply = reply
                        waiter.served = True
                        self.remove(waiter)
                        waiter.event.set()
        finally:
            self._serving = False

    async def wait(self, client, argv: list[bytes], block: Block, on_input) -> object:
        """Park ``client`` until served or timed out; returns the reply to send.

        While waiting, the socket is still read (Redis keeps reading a blocked client):
        ``on_input(data)`` gets what arrives, and end-of-file ends the wait at once so a
        disconnected client is never served (its element would be lost).
        """
        waiter = Waiter(client, argv, block.keys)
        self.add(waiter)
        deadline = trio.current_time() + block.timeout if block.timeout > 0 else math.inf
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_watch_socket, client, on_input, nursery.cancel_scope)
                with trio.move_on_at(deadline):
                    await waiter.event.wait()
                nursery.cancel_scope.cancel()
        finally:
            if not waiter.served:
                self.remove(waiter)
        return waiter.reply if waiter.served else block.timeout_reply


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
