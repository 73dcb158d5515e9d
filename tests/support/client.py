"""A tiny trio RESP client for in-process tests (redis-py's asyncio client does not run on trio).

    async with await RespClient.connect(port) as c:
        assert await c.call(b"SET", b"k", b"v") == b"OK"

Replies are decoded by ``hiredis.Reader``; error replies come back as ``hiredis.ReplyError``
instances (not raised). ``send_raw``/``read_raw`` are for protocol tests.
"""

from __future__ import annotations

import hiredis
import trio

NOT_YET = False  # hiredis.Reader.gets() returns False when no full reply is buffered


def encode_command(*args: bytes | str | int | float) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, (int, float)):
            arg = repr(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


class ConnectionClosed(Exception):
    """The server closed the connection before a full reply arrived."""


class RespClient:
    def __init__(self, stream: trio.SocketStream):
        self.stream = stream
        self.reader = hiredis.Reader()
        self.closed_by_peer = False

    @classmethod
    async def connect(cls, port: int, host: str = "127.0.0.1") -> "RespClient":
        stream = await trio.open_tcp_stream(host, port)
        return cls(stream)

    async def __aenter__(self) -> "RespClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.stream.aclose()

    # -- commands ------------------------------------------------------------------------------

    async def send(self, *args: bytes | str | int | float) -> None:
        await self.stream.send_all(encode_command(*args))

    async def call(self, *args: bytes | str | int | float):
        """Send one command and return its decoded reply (a ``hiredis.ReplyError`` for errors)."""
        await self.send(*args)
        return await self.read_reply()

    async def pipeline(self, *commands: tuple) -> list:
        """Send every command in one write, then read one reply per command."""
        await self.stream.send_all(b"".join(encode_command(*cmd) for cmd in commands))
        return [await self.read_reply() for _ in commands]

    async def read_reply(self):
        while True:
            reply = self.reader.gets()
            if reply is not NOT_YET:
                return reply
            data = await self.stream.receive_some(65536)
            if not data:
                self.closed_by_peer = True
                raise ConnectionClosed("server closed the connection")
            self.reader.feed(data)

    # -- raw bytes -------------------------------------------------------------------------------

    async def send_raw(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def read_raw(self, max_bytes: int = 65536) -> bytes:
        """Whatever bytes arrive next (b"" when the server closed the connection)."""
        data = await self.stream.receive_some(max_bytes)
        if not data:
            self.closed_by_peer = True
        return data

    async def read_exactly(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            data = await self.stream.receive_some(n - len(buf))
            if not data:
                self.closed_by_peer = True
                raise ConnectionClosed(f"closed after {buf!r}")
            buf += data
        return buf

    async def read_until_closed(self) -> bytes:
        """All bytes until EOF (the caller should bound this with a trio timeout)."""
        chunks = []
        while True:
            data = await self.stream.receive_some(65536)
            if not data:
                self.closed_by_peer = True
                return b"".join(chunks)
            chunks.append(data)
