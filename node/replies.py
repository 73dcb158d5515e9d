"""Reply values that handlers return, and the one encoder that turns them into RESP2 or RESP3.

Handlers never know the protocol version. They return plain Python values and these
types, and :func:`encode` writes the right bytes for the client:

=====================  ==========================  ==========================
value                  RESP2                       RESP3
=====================  ==========================  ==========================
``bytes``              bulk string                 bulk string
``int``                integer                     integer
``None``               null bulk ``$-1``           null ``_``
``NULL_ARRAY``         null array ``*-1``          null ``_``
``list`` / ``tuple``   array                       array
``dict`` / ``Map``     flat array k1 v1 ...        map ``%``
``SetReply``           array                       set ``~``
``Push``               array                       push ``>``
``float``              bulk ``%.17g``              double ``,``
``bool``               integer 1/0                 boolean ``#t``/``#f``
``Status``             ``+text``                   ``+text``
``ErrorReply``         ``-text``                   ``-text``
``Verbatim``           bulk string                 verbatim ``=len txt:...``
``Raw``                its bytes as they are       its bytes as they are
``Replies``            each element in turn        each element in turn
=====================  ==========================  ==========================

Common replies are pre-encoded constants (:data:`OK`, :data:`QUEUED`, ...), so the hot
path appends stored bytes instead of building them.
"""

from __future__ import annotations

import math
from itertools import chain


class Status:
    """A simple string (``+OK``). Instances are immutable and usually module constants."""

    __slots__ = ("text", "wire")

    def __init__(self, text: str | bytes):
        self.text = text.encode() if isinstance(text, str) else text
        self.wire = b"+" + self.text + b"\r\n"

    def __repr__(self) -> str:
        return f"Status({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Status) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


class ErrorReply:
    """An error as a value (inside EXEC results, or returned instead of raised)."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message

    def __repr__(self) -> str:
        return f"ErrorReply({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ErrorReply) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message)


class SetReply(list):
    """An unordered collection: a RESP3 set, an array in RESP2."""

    __slots__ = ()


class Push(list):
    """An out-of-band message (pub/sub, invalidation): RESP3 push, array in RESP2."""

    __slots__ = ()


class Map(list):
    """A map given as a list of (key, value) pairs, for when key order or repeats matter."""

    __slots__ = ()


class Verbatim:
    """A verbatim string (CLUSTER NODES, INFO in RESP3): bulk in RESP2."""

    __slots__ = ("fmt", "data")

    def __init__(self, data: bytes, fmt: bytes = b"txt"):
        self.fmt = fmt
        self.data = data


class _NullArray:
    """``*-1`` in RESP2 (EXEC aborted by WATCH, blocking pop timed out), null in RESP3."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NULL_ARRAY"


class NoReply:
    """Handler result meaning "send nothing" (CLIENT REPLY OFF/SKIP, QUIT handled elsewhere)."""

    __slots__ = ()


class Raw:
    """Bytes already encoded for this client (a push captured while EXEC ran its command)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data


class Replies(list):
    """Several replies written one after another where one is expected: a command inside
    EXEC that also pushed bytes to its own client (SUBSCRIBE a b, PUBLISH to itself), whose
    output Redis writes in order inside EXEC's array, counted as one element."""

    __slots__ = ()


NULL_ARRAY = _NullArray()
NO_REPLY = NoReply()
OK = Status("OK")
PONG = Status("PONG")
QUEUED = Status("QUEUED")


def format_double(value: float) -> bytes:
    """Redis 7.0 formats doubles with ``%.17g`` and spells infinities ``inf``/``-inf``."""
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    if math.isnan(value):
        return b"nan"
    return b"%.17g" % value


def encode(reply: object, proto: int) -> bytes:
    """Encode one reply value for a client speaking RESP ``proto`` (2 or 3)."""
    out: list[bytes] = []
    encode_into(reply, out, proto)
    return b"".join(out)


def encode_into(reply: object, out: list[bytes], proto: int) -> None:
    """Append the encoding of ``reply`` to ``out``. The per-type table avoids if-chains."""
    kind = type(reply)
    writer = (_WRITERS3 if proto == 3 else _WRITERS2).get(kind)
    if writer is None:
        writer = _writer_for_subclass(reply, proto)
    writer(reply, out, proto)


def _writer_for_subclass(reply: object, proto: int):
    table = _WRITERS3 if proto == 3 else _WRITERS2
    for base, writer in table.items():
        if isinstance(reply, base):
            return writer
    raise TypeError(f"handler returned a value with no RESP encoding: {reply!r}")


def _bulk(reply: bytes, out: list[bytes], proto: int) -> None:
    size = len(reply)
    out.append(BULK_HEADERS[size] if size < 1024 else b"$%d\r\n" % size)
    out.append(reply)
    out.append(b"\r\n")


def _bulk_copy(reply: bytearray, out: list[bytes], proto: int) -> None:
    out.append(b"$%d\r\n%b\r\n" % (len(reply), reply))


def _int(reply: int, out: list[bytes], proto: int) -> None:
    out.append(INT_REPLIES[reply] if 0 <= reply < 1024 else b":%d\r\n" % reply)


def _null2(reply: object, out: list[bytes], proto: int) -> None:
    out.append(b"$-1\r\n")


def _null_array2(reply: object, out: list[bytes], proto: int) -> None:
    out.append(b"*-1\r\n")


def _null3(reply: object, out: list[bytes], proto: int) -> None:
    out.append(b"_\r\n")


# The "$<len>\r\n" headers of short bulk strings: a bytes reply is written as header,
# value, CRLF (three list appends cost a third of one %-format, and a long value is not
# copied until the batch's one join). Only for immutable bytes: a bytearray value could
# change before the join, so it is copied.
BULK_HEADERS = [b"$%d\r\n" % n for n in range(1024)]
# Integer replies 0..1023 (counts, 0/1 answers), encoded once.
INT_REPLIES = [b":%d\r\n" % n for n in range(1024)]


_header_of = BULK_HEADERS.__getitem__
_FLAT_MIN = 9  # below this many elements the loop below is as fast


def _flat_bulks(reply: list) -> bytes | None:
    """A RESP2 array body of bulk strings built in C (half the time of the loop below for
    100 elements, a fifth when they all have one length), or None when an element is not a
    short bytes-like value. In RESP2 every bytes subclass (HumanDouble...) is a bulk string
    too, so any bytes-like element is exact."""
    n = len(reply)
    try:
        first = len(reply[0])
        if len(reply[-1]) == first:  # maybe one length throughout: one separator, one join
            lens = list(map(len, reply))
            if lens.count(first) == n:
                header = _header_of(first)
                return b"%b%b\r\n" % (header, (b"\r\n" + header).join(reply))
        else:
            lens = map(len, reply)
        parts = [b"\r\n"] * (3 * n)
        parts[0::3] = map(_header_of, lens)
        parts[1::3] = reply
        return b"".join(parts)
    except (TypeError, IndexError):  # no len(), not bytes-like, or 1024 bytes and more
        return None


def _aggregate(prefix: bytes):
    def write(reply: list, out: list[bytes], proto: int) -> None:
        n = len(reply)
        out.append(b"%b%d\r\n" % (prefix, n))
        if proto == 2 and n >= _FLAT_MIN and type(reply[0]) is bytes and type(reply[-1]) is bytes:
            body = _flat_bulks(reply)
            if body is not None:
                out.append(body)
                return
        append = out.append
        headers = BULK_HEADERS
        for item in reply:
            # Elements are mostly short bulk strings (LRANGE, MGET, SMEMBERS): skip the
            # writer table and the %-formatting (half the cost per element).
            if type(item) is bytes and len(item) < 1024:
                append(headers[len(item)])
                append(item)
                append(b"\r\n")
            else:
                encode_into(item, out, proto)

    return write


def _dict2(reply: dict, out: list[bytes], proto: int) -> None:
    out.append(b"*%d\r\n" % (2 * len(reply)))
    if len(reply) >= _FLAT_MIN // 2:  # HGETALL: field, value, ... as one C pass when all are bytes
        flat = list(chain.from_iterable(reply.items()))
        if type(flat[0]) is bytes and type(flat[-1]) is bytes:
            body = _flat_bulks(flat)
            if body is not None:
                out.append(body)
                return
    for key, value in reply.items():
        encode_into(key, out, proto)
        encode_into(value, out, proto)


def _dict3(reply: dict, out: list[bytes], proto: int) -> None:
    out.append(b"%%%d\r\n" % len(reply))
    for key, value in reply.items():
        encode_into(key, out, proto)
        encode_into(value, out, proto)


def _pairs2(reply: Map, out: list[bytes], proto: int) -> None:
    out.append(b"*%d\r\n" % (2 * len(reply)))
    for key, value in reply:
        encode_into(key, out, proto)
        encode_into(value, out, proto)


def _pairs3(reply: Map, out: list[bytes], proto: int) -> None:
    out.append(b"%%%d\r\n" % len(reply))
    for key, value in reply:
        encode_into(key, out, proto)
        encode_into(value, out, proto)


def _double2(reply: float, out: list[bytes], proto: int) -> None:
    _bulk(format_double(reply), out, proto)


def _double3(reply: float, out: list[bytes], proto: int) -> None:
    out.append(b",%b\r\n" % format_double(reply))


def _bool2(reply: bool, out: list[bytes], proto: int) -> None:
    out.append(b":1\r\n" if reply else b":0\r\n")


def _bool3(reply: bool, out: list[bytes], proto: int) -> None:
    out.append(b"#t\r\n" if reply else b"#f\r\n")


def _status(reply: Status, out: list[bytes], proto: int) -> None:
    out.append(reply.wire)


def _error(reply: ErrorReply, out: list[bytes], proto: int) -> None:
    out.append(b"-%b\r\n" % reply.message.encode("utf-8", "surrogateescape"))


def _verbatim2(reply: Verbatim, out: list[bytes], proto: int) -> None:
    _bulk(reply.data, out, proto)


def _verbatim3(reply: Verbatim, out: list[bytes], proto: int) -> None:
    out.append(b"=%d\r\n%b:%b\r\n" % (len(reply.data) + 4, reply.fmt, reply.data))


def _str(reply: str, out: list[bytes], proto: int) -> None:
    _bulk(reply.encode(), out, proto)


def _nothing(reply: object, out: list[bytes], proto: int) -> None:
    pass


def _raw(reply: Raw, out: list[bytes], proto: int) -> None:
    out.append(reply.data)


def _replies(reply: Replies, out: list[bytes], proto: int) -> None:
    for item in reply:
        encode_into(item, out, proto)


_array = _aggregate(b"*")
_COMMON = {
    bytes: _bulk,
    bytearray: _bulk_copy,
    str: _str,
    int: _int,
    list: _array,
    tuple: _array,
    Status: _status,
    ErrorReply: _error,
    NoReply: _nothing,
    Raw: _raw,
    Replies: _replies,
}
_WRITERS2 = {
    **_COMMON,
    type(None): _null2,
    _NullArray: _null_array2,
    dict: _dict2,
    Map: _pairs2,
    SetReply: _array,
    Push: _array,
    float: _double2,
    bool: _bool2,
    Verbatim: _verbatim2,
}
_WRITERS3 = {
    **_COMMON,
    type(None): _null3,
    _NullArray: _null3,
    dict: _dict3,
    Map: _pairs3,
    SetReply: _aggregate(b"~"),
    Push: _aggregate(b">"),
    float: _double3,
    bool: _bool3,
    Verbatim: _verbatim3,
}
