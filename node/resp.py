"""The sans-IO request parser: bytes in, argument vectors out.

``RequestParser.feed(data)`` returns every complete command in the bytes received so
far. It never touches a socket. Rules, in Redis 7.0's words (``processMultibulkBuffer``
and ``processInlineBuffer``):

* A command starting with ``*`` is a multibulk array of ``$`` bulk strings; anything else
  is an inline command (a line split on spaces, with Redis's quoting rules).
* ``*0`` and negative counts are skipped silently; blank inline lines too.
* Lengths are checked as soon as their header line arrives: a bulk longer than
  ``proto-max-bulk-len`` or a count above ``INT_MAX`` is an error, and so are header lines
  longer than 64 KiB without a newline. Clients that still have to authenticate are held to
  10 arguments of 16 KiB at most.
* After a protocol error the parser stops: the caller sends the error and closes the
  connection. Commands parsed before the error are still executed, as Redis does.

Speed: the common case is a read that holds whole multibulk commands only. That case
goes through ``hiredis.Reader`` (C, ~0.15 us per command). Anything else (a command split
across reads, inline commands, odd headers) goes through the exact pure-Python parser
below, which keeps its state between reads, so a 512 MB bulk or a million-argument
MSET arriving in 64 KB pieces costs O(bytes), not O(pieces x size).
"""

from __future__ import annotations

import re

import hiredis

from node.errors import ProtocolError

INLINE_MAX = 64 * 1024  # PROTO_INLINE_MAX_SIZE
INT_MAX = 2**31 - 1
UNAUTH_MAX_ARGS = 10
UNAUTH_MAX_BULK = 16384
# hiredis allocates a list of the announced size as soon as it reads a ``*<count>`` header,
# so ``*2147483647`` alone would stall the node; counts of six digits or more (which cannot
# be complete in one read anyway) go to the exact parser. A false hit inside a bulk value
# only costs speed.
_BIG_COUNT = re.compile(rb"\*\d{6}").search


class RequestParser:
    """Turns a client's byte stream into argument vectors (lists of ``bytes``).

    Args:
        max_bulk_len: ``proto-max-bulk-len``.
        max_query_buf: ``client-query-buffer-limit``; a client whose unparsed bytes exceed it
            is closed (``query_buffer_exceeded`` becomes true), without a reply, like Redis.
    """

    __slots__ = (
        "max_bulk_len",
        "max_query_buf",
        "auth_required",
        "error",
        "query_buffer_exceeded",
        "_buf",
        "_argc",
        "_args",
        "_bulk",
        "_reader",
        "held_back",
    )

    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024, max_query_buf: int = 1024**3):
        self.max_bulk_len = max_bulk_len
        self.max_query_buf = max_query_buf
        self.auth_required = False
        self.error: str | None = None
        self.query_buffer_exceeded = False
        self._buf = bytearray()  # unparsed bytes of the slow path
        self._argc = -1  # arguments still expected by the command in progress, -1 = none
        self._args: list[bytes] = []
        self._bulk = -1  # length of the bulk being waited for, -1 = need its header
        self._reader = hiredis.Reader()  # holds no partial state between feeds
        self.held_back = False  # commands were left in the buffer (one at a time before AUTH)

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a complete command (the query buffer)."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[list[bytes]]:
        """Add bytes; return the complete commands, in order. Sets ``error`` on garbage."""
        if self.error is not None:
            return []
        self.held_back = False
        if (self._buf or self._argc >= 0 or data[:1] != b"*" or self.auth_required
                or len(data) > self.max_bulk_len or _BIG_COUNT(data)):
            # (A read longer than proto-max-bulk-len may hold an over-long bulk, which only
            # the exact parser checks; reads are 64 KiB and the limit at least 1 MiB.)
            return self._slow(data)
        # hiredis parses the read plus a sentinel empty array. The read held only whole,
        # well-formed commands exactly when every reply before the sentinel is a non-empty
        # list of bytes and the sentinel then comes back on its own as ``[]``: had the read
        # ended inside a command, the sentinel would have been swallowed into it. Anything
        # else (a split command, *0, nested arrays, integers, inline commands) is re-parsed
        # from the start of the read by the exact parser below.
        reader = self._reader
        reader.feed(data)
        reader.feed(b"*0\r\n")
        gets = reader.gets
        join = b"".join
        commands = []
        try:
            while argv := gets():
                join(argv)  # TypeError unless every element is bytes
                commands.append(argv)
            if argv == [] and gets() is False:
                return commands
        except (hiredis.ProtocolError, TypeError):
            pass
        self._reader = hiredis.Reader()
        return self._slow(data)

    def _slow(self, data: bytes) -> list[list[bytes]]:
        buf = self._buf
        buf += data
        commands: list[list[bytes]] = []
        pos = 0
        end = len(buf)
        try:
            while pos < end:
                if self._argc < 0:
                    if buf[pos] != 42:  # not '*': inline
                        nl = buf.find(b"\n", pos)
                        if nl < 0:
                            if end - pos > INLINE_MAX:
                                raise ProtocolError("too big inline request")
                            break
                        argv = split_inline(bytes(buf[pos:nl]))
                        pos = nl + 1
                        if argv:
                            commands.append(argv)
                            if self.auth_required and pos < end:
                                self.held_back = True
                                break
                        continue
                    nl = buf.find(b"\r\n", pos)
                    if nl < 0:
                        if end - pos > INLINE_MAX:
                            raise ProtocolError("too big mbulk count string")
                        break
                    count = _parse_int(buf, pos + 1, nl)
                    if count is None or count > INT_MAX:
                        raise ProtocolError("invalid multibulk length")
                    if count > UNAUTH_MAX_ARGS and self.auth_required:
                        raise ProtocolError("unauthenticated multibulk length")
                    pos = nl + 2
                    if count <= 0:
                        continue
                    self._argc = count
                    self._args = []
                if self._bulk < 0:
                    nl = buf.find(b"\r\n", pos)
                    if nl < 0:
                        if end - pos > INLINE_MAX:
                            raise ProtocolError("too big bulk count string")
                        break
                    if buf[pos] != 36:  # '$'
                        raise ProtocolError(f"expected '$', got '{chr(buf[pos])}'")
                    length = _parse_int(buf, pos + 1, nl)
                    if length is None or length < 0 or length > self.max_bulk_len:
                        raise ProtocolError("invalid bulk length")
                    if length > UNAUTH_MAX_BULK and self.auth_required:
                        raise ProtocolError("unauthenticated bulk length")
                    self._bulk = length
                    pos = nl + 2
                if end - pos < self._bulk + 2:
                    break
                self._args.append(bytes(buf[pos : pos + self._bulk]))
                pos += self._bulk + 2
                self._bulk = -1
                self._argc -= 1
                if self._argc == 0:
                    commands.append(self._args)
                    self._args = []
                    self._argc = -1
                    if self.auth_required and pos < end:
                        self.held_back = True
                        break
        except ProtocolError as exc:
            self.error = f"ERR Protocol error: {exc}"
            buf.clear()
            return commands
        del buf[:pos]
        if len(buf) > self.max_query_buf:
            self.query_buffer_exceeded = True
        return commands


def _parse_int(buf: bytearray, start: int, end: int) -> int | None:
    """Redis's string2ll: optional '-', no leading zeros, no spaces, fits in 64 bits."""
    text = bytes(buf[start:end])
    digits = text[1:] if text[:1] == b"-" else text
    if not digits.isdigit() or (len(digits) > 1 and digits[:1] == b"0") or len(digits) > 19:
        return None
    value = int(text)
    if not -(2**63) <= value < 2**63:
        return None
    return value


_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_HEX = b"0123456789abcdefABCDEF"


def split_inline(line: bytes) -> list[bytes]:
    """Split an inline command like Redis's ``sdssplitargs``.

    Double quotes take ``\\n \\r \\t \\b \\a \\xHH`` and ``\\<any>`` escapes; single quotes
    take only ``\\'``. A closing quote must be followed by a space or the end of the line.
    """
    if line.endswith(b"\r"):
        line = line[:-1]
    args: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\n\r\v\f":
            i += 1
        if i >= n:
            return args
        current = bytearray()
        quote = 0
        while True:
            if quote == 34:  # inside "..."
                if i >= n:
                    raise ProtocolError("unbalanced quotes in request")
                ch = line[i]
                if ch == 92 and i + 3 < n and line[i + 1] == 120 and line[i + 2] in _HEX and line[i + 3] in _HEX:
                    current.append(int(line[i + 2 : i + 4], 16))
                    i += 4
                    continue
                if ch == 92 and i + 1 < n:
                    nxt = line[i + 1]
                    current.append(_ESCAPES.get(nxt, nxt))
                    i += 2
                    continue
                if ch == 34:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f":
                        raise ProtocolError("unbalanced quotes in request")
                    i += 1
                    break
                current.append(ch)
                i += 1
            elif quote == 39:  # inside '...'
                if i >= n:
                    raise ProtocolError("unbalanced quotes in request")
                ch = line[i]
                if ch == 92 and i + 1 < n and line[i + 1] == 39:
                    current.append(39)
                    i += 2
                    continue
                if ch == 39:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f":
                        raise ProtocolError("unbalanced quotes in request")
                    i += 1
                    break
                current.append(ch)
                i += 1
            else:
                if i >= n:
                    break
                ch = line[i]
                if ch in b" \t\n\r\v\f":
                    break
                if ch in (34, 39):
                    quote = ch
                else:
                    current.append(ch)
                i += 1
        args.append(bytes(current))
