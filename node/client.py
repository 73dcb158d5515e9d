"""Per-connection state: who the client is, what it selected, and how to write to it.

A Client is both the connection's record (CLIENT LIST fields) and the context handlers
receive: ``client.db`` is the selected database, ``client.server`` the node. Writing is
done by the connection task (``connection.py``) for replies, and by :meth:`Client.push`
for messages that other clients cause (MONITOR lines, pub/sub, tracking invalidations): those go out at
once when the socket accepts them, otherwise into ``outbox``, drained by whoever sends
next, under the ``sending`` flag so two writers never interleave bytes.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

import trio

from node.resp import RequestParser

if TYPE_CHECKING:
    from node.keyspace.db import Database
    from node.server import Server

# CLIENT REPLY modes; SKIP means "drop the reply of the next command, then back to ON".
REPLY_ON, REPLY_OFF, REPLY_SKIP = 0, 1, 2


class Client:
    __slots__ = (
        "server",
        "id",
        "sock",
        "addr",
        "laddr",
        "fd",
        "name",
        "lib_name",
        "lib_ver",
        "db",
        "proto",
        "authenticated",
        "user",
        "parser",
        "multi",
        "multi_error",
        "batch_out",
        "held_by",
        "in_exec",
        "watching",
        "watch_dirty",
        "reply_mode",
        "monitor",
        "closing",
        "close_after_reply",
        "created",
        "last_interaction",
        "last_command",
        "no_evict",
        "no_touch",
        "outbox",
        "outbox_bytes",
        "soft_limit_since",
        "sending",
        "send_done",
        "flush_pending",
        "kind",
        "readonly",
        "asking",
        "subscriptions",
        "sub_channels",
        "sub_patterns",
        "sub_shard",
        "idle",
        "commands_processed",
        "tracking",
        "tracking_redirect",
        "tracking_prefixes",
    )

    def __init__(self, server: "Server", sock: socket.socket | None, client_id: int):
        self.server = server
        self.id = client_id
        self.sock = sock
        self.addr, self.laddr = _addresses(sock)
        self.fd = sock.fileno() if sock is not None else -1
        self.name = b""
        self.lib_name = b""
        self.lib_ver = b""
        self.db: Database = server.dbs[0]
        self.proto = 2
        self.authenticated = not server.auth_required
        self.user = b"default"
        config = server.config
        self.parser = RequestParser(config.proto_max_bulk_len, config.client_query_buffer_limit)
        self.parser.auth_required = not self.authenticated
        self.multi: list | None = None  # queued (spec, argv) while in MULTI
        self.multi_error = False
        self.batch_out: list[bytes] | None = None  # replies of the batch being run (see push)
        self.held_by: object = None  # why the reactor parked this client (pause, Block)
        self.in_exec = False  # running EXEC's queued commands (CLIENT PAUSE must not hold them)
        self.watching: list[tuple[Database, bytes, bool]] = []  # (db, key, expired at WATCH)
        self.watch_dirty = False
        self.reply_mode = REPLY_ON
        self.monitor = False
        self.closing = False
        self.close_after_reply = False
        self.created = time.time()
        self.last_interaction = self.created
        self.last_command = b"NULL"
        self.no_evict = False
        self.no_touch = False
        self.outbox: list[bytes] = []
        self.outbox_bytes = 0
        self.soft_limit_since = 0  # unix seconds the soft output limit was first seen passed
        self.sending = False
        self.send_done: trio.Event | None = None
        self.flush_pending = False  # a _flush task for pushed bytes is already spawned
        self.kind = "normal"  # normal | pubsub | replica | master (CLIENT LIST / KILL TYPE)
        self.readonly = False  # cluster READONLY
        self.asking = False  # cluster ASKING, one-shot
        self.subscriptions = 0  # non-zero: Redis's CLIENT_PUBSUB flag (node/pubsub.py)
        self.sub_channels: dict[bytes, None] = {}  # subscribed channels, in order
        self.sub_patterns: dict[bytes, None] = {}
        self.sub_shard: dict[bytes, None] = {}
        self.idle = False  # waiting for input between commands (graceful shutdown closes these)
        self.commands_processed = 0
        # CLIENT TRACKING (node/tracking.py): flag bits (0: off), the REDIRECT client id (0:
        # none) and, in BCAST mode, the prefixes registered.
        self.tracking = 0
        self.tracking_redirect = 0
        self.tracking_prefixes: dict[bytes, None] | None = None

    # -- writing -----------------------------------------------------------------------------

    async def send(self, data: bytes) -> None:
        """Write ``data`` after anything already queued; returns when all of it is sent."""
        while self.sending:
            if self.send_done is None:
                self.send_done = trio.Event()
            await self.send_done.wait()
        if self.outbox:
            data = b"".join(self.outbox) + data
            self.outbox.clear()
            self.outbox_bytes = 0
        try:
            sent = self.sock.send(data)
        except BlockingIOError:
            sent = 0
        if sent == len(data) and not self.outbox:
            return
        if sent < len(data):
            self.outbox.insert(0, data[sent:] if sent else data)
            self.outbox_bytes += len(data) - sent
        self.sending = True
        await self.drain()

    async def drain(self) -> None:
        """Write the outbox until it is empty, waiting for the socket as needed. The caller
        has set ``sending``, so bytes pushed meanwhile queue up behind and go out in order;
        it is cleared when done (or failed)."""
        sock = self.sock
        try:
            while self.outbox:
                view = memoryview(b"".join(self.outbox))
                self.outbox.clear()
                self.outbox_bytes = 0
                while view:
                    await trio.lowlevel.wait_writable(sock)
                    try:
                        view = view[sock.send(view) :]
                    except BlockingIOError:
                        pass
        finally:
            self.sending = False
            if self.send_done is not None:
                self.send_done.set()
                self.send_done = None

    def push(self, data: bytes) -> None:
        """Queue bytes caused by another client, or a read's replies (the reactor); never
        blocks the caller.

        A client whose unsent bytes pass its output buffer limit is closed, as Redis does
        for slow subscribers and monitors, so one stalled reader costs nobody else. The
        bytes are written by one background flush per client, after the current round.
        """
        if self.closing:
            return
        if self.batch_out is not None:
            # Caused by this client's own command (e.g. a RESP3 push to itself): it goes out
            # after the replies before it in the same batch, as in Redis.
            self.batch_out.append(data)
            return
        # Queued, not sent at once: everything pushed to this client during the current
        # reactor round goes out in one send when the round ends (a PUBLISH fan-out costs
        # one syscall per subscriber per round, not per message), as Redis writes in
        # beforeSleep; pushed from elsewhere (cron, a parked client), a flush task sends it.
        self.outbox.append(data)
        used = self.outbox_bytes + len(data)
        self.outbox_bytes = used
        if used >= self.server.output_check_from:
            if self.over_output_limit():
                self.server.log.warning("client %d closed for overcoming of output buffer limits", self.id)
                self.kill()
                return
        elif self.soft_limit_since:
            self.soft_limit_since = 0  # seen below the soft limit: its clock stops
        if not self.sending and not self.flush_pending:
            self.flush_pending = True
            reactor = self.server.reactor
            if reactor.in_round:
                reactor.replied.append(self)
            else:
                self.server.spawn(self._flush)

    def over_output_limit(self) -> bool:
        """Redis's checkClientOutputBufferLimits, on the bytes queued for this client: past
        the hard limit, or past the soft limit continuously for more than its seconds (the
        clock starts the first time it is seen past it, and stops when seen below)."""
        hard, soft, seconds = self.server.output_limits(self)
        used = self.outbox_bytes
        if hard and used >= hard:
            return True
        if not (soft and used >= soft):
            self.soft_limit_since = 0
            return False
        now = self.server.clock.ms // 1000
        if not self.soft_limit_since:
            self.soft_limit_since = now
            return False
        return now - self.soft_limit_since > seconds

    async def finish_sending(self) -> None:
        """drain() for a writer task of the reactor's (``sending`` already set); a connection
        gone meanwhile is killed (whoever owns the client closes it)."""
        try:
            await self.drain()
        except (OSError, trio.ClosedResourceError, trio.BrokenResourceError):
            self.kill()

    async def _flush(self) -> None:
        """Background send of pushed bytes; a connection gone meanwhile is just closed."""
        self.flush_pending = False
        if self.closing:
            return
        try:
            await self.send(b"")
        except (OSError, trio.ClosedResourceError, trio.BrokenResourceError):
            self.kill()

    def kill(self) -> None:
        """Close this connection from anywhere (CLIENT KILL, limits, shutdown)."""
        self.closing = True
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def addr_text(self) -> str:
        return self.addr


def _addresses(sock: socket.socket | None) -> tuple[str, str]:
    if sock is None:
        return "", ""
    try:
        peer = sock.getpeername()
        local = sock.getsockname()
    except OSError:
        return "", ""
    if sock.family == socket.AF_UNIX:
        return "/unixsocket:0", str(local)
    return f"{peer[0]}:{peer[1]}", f"{local[0]}:{local[1]}"
