"""One client connection: read, parse, execute every complete command, reply with one send.

This is the hot path. The socket is a plain non-blocking ``socket.socket`` driven with
``trio.lowlevel.wait_readable``/``wait_writable`` and direct ``recv``/``send``: trio's
stream layer costs two scheduler trips per call, and here a request/response round trip
costs one (the wait for the next request). Rules:

* Commands run without awaiting, so each one is atomic (Redis's single thread, for free).
* All replies to the commands of one read are joined and written with one ``send``.
* The loop yields to other tasks at least once per full read buffer, so a client that
  pipelines without pause cannot starve the others.
* A protocol error is answered and closes only this connection; so does passing the query
  buffer limit (closed without a reply, as Redis does).
* The loop only stops between batches, so a command that started always finishes.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

import trio

from node.client import REPLY_OFF, REPLY_ON, REPLY_SKIP, Client
from node.commands.dispatch import PAUSED, execute
from node.replies import _WRITERS2, _WRITERS3, ErrorReply, Status, encode_into

if TYPE_CHECKING:
    from node.server import Server

READ_SIZE = 64 * 1024


async def handle_connection(server: "Server", sock: socket.socket) -> None:
    """Serve one accepted socket until it closes; always releases the socket and client."""
    client = server.add_client(sock)
    try:
        await _serve(server, client, sock)
    except (OSError, trio.BrokenResourceError):
        pass
    finally:
        server.remove_client(client)
        try:
            sock.close()
        except OSError:
            pass


async def _serve(server: "Server", client: Client, sock: socket.socket) -> None:
    recv = sock.recv
    wait_readable = trio.lowlevel.wait_readable
    parser = client.parser
    clock = server.clock
    while not client.closing:
        try:
            data = recv(READ_SIZE)
        except BlockingIOError:
            if server.terminating:
                return
            client.idle = True
            try:
                await wait_readable(sock)
            finally:
                client.idle = False
            continue
        except OSError:
            return
        if not data:
            return
        commands = parser.feed(data)
        if parser.query_buffer_exceeded:
            server.log.warning("Closing client that reached max query buffer length (id=%d)", client.id)
            return
        clock.set(time.time_ns() // 1_000_000)
        client.last_interaction = time.time()
        out: list[bytes] = []
        writers = _WRITERS3 if client.proto == 3 else _WRITERS2
        for argv in commands:
            skip_this = client.reply_mode == REPLY_SKIP  # armed by a previous CLIENT REPLY SKIP
            reply = execute(client, argv)
            while reply is PAUSED:
                if out:
                    await client.send(b"".join(out))
                    out = []
                await server.wait_unpaused()
                clock.set(time.time_ns() // 1_000_000)
                reply = execute(client, argv)
            client.commands_processed += 1
            if client.reply_mode:
                if client.reply_mode == REPLY_OFF:
                    continue
                if skip_this:
                    client.reply_mode = REPLY_ON
                    continue
            kind = type(reply)
            if kind is bytes:
                out.append(b"$%d\r\n%b\r\n" % (len(reply), reply))
            elif kind is Status:
                out.append(reply.wire)  # type: ignore[union-attr]
            else:
                writer = writers.get(kind)
                if writer is not None:
                    writer(reply, out, client.proto)
                else:
                    encode_into(reply, out, client.proto)
            if client.close_after_reply or client.closing:
                break
            writers = _WRITERS3 if client.proto == 3 else _WRITERS2  # HELLO may switch protocol
        if parser.error is not None:
            out.append(b"-%b\r\n" % parser.error.encode())
            client.close_after_reply = True
            server.log.info("Protocol error (%s) from client id=%d addr=%s", parser.error, client.id, client.addr)
        if out:
            await client.send(b"".join(out))
        if client.close_after_reply:
            return
        if len(data) == READ_SIZE:
            await trio.lowlevel.checkpoint()  # more is waiting: let other clients in first


def error_line(reply: ErrorReply) -> bytes:
    return b"-%b\r\n" % reply.message.encode()
