"""A blocking RESP connection that keeps the wire types of every reply.

``RawConnection.call(*args)`` returns a :class:`Reply` tree: ``Reply(kind, value)`` where
``kind`` is the RESP type byte as a string (``"+"``, ``"-"``, ``":"``, ``"$"``, ``"*"``, and the
RESP3 ``"_"``, ``","``, ``"#"``, ``"("``, ``"="``, ``"%"``, ``"~"``, ``">"``, ``"|"``). Values stay
as sent (a double keeps its text, ``$-1`` and ``*-1`` stay distinct), so two servers can be
compared exactly; ``plain(reply)`` turns a tree into hiredis-like Python values.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from tests.support.client import encode_command


@dataclass(frozen=True)
class Reply:
    kind: str
    value: Any  # bytes | int | None | bool | tuple[Reply, ...] | tuple[tuple[Reply, Reply], ...]
    attrs: Any = None  # RESP3 attribute map that preceded this reply, if any

    def __repr__(self) -> str:
        return f"{self.kind}{self.value!r}"


class ProtocolError(Exception):
    pass


class Closed(Exception):
    """The server closed the connection."""


class RawConnection:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- I/O ----------------------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, *args) -> None:
        self.sock.sendall(encode_command(*args))

    def call(self, *args) -> Reply:
        self.send(*args)
        return self.read_reply()

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise Closed("server closed the connection")
        if self.pos:
            del self.buf[: self.pos]
            self.pos = 0
        self.buf += data

    def _line(self) -> bytes:
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = bytes(self.buf[self.pos : end])
                self.pos = end + 2
                return line
            self._fill()

    def _exact(self, n: int) -> bytes:
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data = bytes(self.buf[self.pos : self.pos + n])
        if self.buf[self.pos + n : self.pos + n + 2] != b"\r\n":
            raise ProtocolError("bulk string not terminated by CRLF")
        self.pos += n + 2
        return data

    def read_reply(self) -> Reply:
        line = self._line()
        if not line:
            raise ProtocolError("empty line")
        kind, rest = chr(line[0]), line[1:]
        if kind in "+-":
            return Reply(kind, rest)
        if kind == ":":
            return Reply(kind, int(rest))
        if kind in "$=!":
            n = int(rest)
            return Reply(kind, None if n < 0 else self._exact(n))
        if kind in "*~>":
            n = int(rest)
            return Reply(kind, None if n < 0 else tuple(self.read_reply() for _ in range(n)))
        if kind == "%":
            n = int(rest)
            return Reply(kind, tuple((self.read_reply(), self.read_reply()) for _ in range(n)))
        if kind == "|":
            n = int(rest)
            attrs = tuple((self.read_reply(), self.read_reply()) for _ in range(n))
            inner = self.read_reply()
            return Reply(inner.kind, inner.value, attrs)
        if kind == "_":
            return Reply(kind, None)
        if kind == ",":
            return Reply(kind, rest)
        if kind == "#":
            return Reply(kind, rest == b"t")
        if kind == "(":
            return Reply(kind, int(rest))
        raise ProtocolError(f"unknown reply type {line!r}")

    def read_raw(self, max_bytes: int = 65536) -> bytes:
        """Buffered-then-socket bytes (b"" at EOF)."""
        if self.pos < len(self.buf):
            data = bytes(self.buf[self.pos :])
            self.buf.clear()
            self.pos = 0
            return data
        return self.sock.recv(max_bytes)

    def read_until_closed(self) -> bytes:
        chunks = [self.read_raw()]
        while chunks[-1]:
            chunks.append(self.sock.recv(65536))
        return b"".join(chunks)


class ServerError(Exception):
    """An error reply as a value: ``str(exc)`` is the whole line without ``-`` ("ERR ...")."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ServerError) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def plain(reply: Reply) -> Any:
    """hiredis-like values: bytes, int, None, list, dict (maps), set (sets if hashable), float, bool.

    Error replies become :class:`ServerError` instances (returned, not raised).
    """
    kind, value = reply.kind, reply.value
    if kind in "-!":
        return ServerError(value.decode("utf-8", "replace"))
    if kind in "*~>" and value is not None:
        items = [plain(r) for r in value]
        if kind == "~":
            try:
                return set(items)
            except TypeError:
                return items
        return items
    if kind == "%":
        pairs = [(plain(k), plain(v)) for k, v in value]
        try:
            return dict(pairs)
        except TypeError:
            return pairs
    if kind == ",":
        return float(value)
    if kind == "=" and value is not None:
        return value[4:]
    return value


def sort_key(reply: Reply) -> str:
    return repr(reply)


def normalize(reply: Reply, unordered: bool | str = False) -> Reply:
    """Sort an aggregate reply's elements (``unordered=True``) or its consecutive pairs
    (``unordered="pairs"``, for RESP2 flat field/value lists). Maps always sort by key when
    ``unordered`` is set. Only the top level is reordered."""
    if not unordered or reply.value is None:
        return reply
    if reply.kind in "*~>":
        items = list(reply.value)
        if unordered == "pairs":
            pairs = sorted(zip(items[::2], items[1::2]), key=lambda p: sort_key(p[0]) + sort_key(p[1]))
            items = [x for pair in pairs for x in pair]
        else:
            items.sort(key=sort_key)
        return Reply(reply.kind, tuple(items), reply.attrs)
    if reply.kind == "%":
        return Reply(reply.kind, tuple(sorted(reply.value, key=lambda p: sort_key(p[0]) + sort_key(p[1]))), reply.attrs)
    return reply
