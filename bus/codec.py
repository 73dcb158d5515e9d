"""Cluster bus frames <-> messages, sans-IO: ``encode(message) -> bytes`` and ``BusDecoder``.

The transport feeds every received byte to ``BusDecoder.feed`` and calls ``next_message``
until it returns ``None`` (more bytes needed). It never touches a socket, a clock or trio.

Rules, in Redis 7.0's order (``clusterReadHandler``, then ``clusterIsValidPacket``):

1. Read 8 bytes. The signature must be ``RCmb`` and ``totlen`` at least 2256 (the header
   size), or the stream is not a cluster bus: ``BusProtocolError``, and the transport drops
   the link (Redis: "Bad message length or signature received from Cluster bus."). After
   that the decoder is dead: every later call raises the same error.
2. Wait for ``totlen`` bytes in all. Nothing else bounds ``totlen`` (Redis grows its buffer
   as the bytes arrive); the decoder only ever holds what it was fed.
3. The frame is counted by type (``stats.by_type``, Redis's ``stats_bus_messages_received``),
   then checked; a frame that fails a check is *dropped*: skipped, counted, its reason kept
   in ``take_drops()`` for the log, and the decoder carries on with the next frame (the link
   stays up, as in Redis):
   * ``ver != 1``: dropped ("Can't handle messages of different versions").
   * The length must be what the type says: PING/PONG/MEET 2256 + 104*count + the
     extensions (walked only when mflags has EXT_DATA; each one's length must be a
     multiple of 8, at least 8, and fit in the frame); FAIL 2296; PUBLISH/PUBLISHSHARD
     2264 + channel_len + message_len; FAILOVER_AUTH_REQUEST/ACK and MFSTART 2256; UPDATE
     4352; MODULE 2269 + len. A mismatch is dropped with Redis's reason.
   * A FORGOTTEN_NODE or SHARDID extension too short for its fields drops the frame
     (Redis 7.2 would read past it).
4. An unknown type is returned as ``UnknownMessage`` (counted in ``stats.unknown_type``);
   callers ignore it. Unknown extension types are returned as ``UnknownExt``; callers skip
   them.

The decoder raises nothing but ``BusProtocolError``, whatever it is fed (fuzzed in
tests/unit/test_bus_codec.py). Complexity goal: O(bytes) per stream: consumed bytes are
released in batches, never by shifting the buffer once per frame.

``encode`` raises ``ValueError`` for a message that cannot be written (a node name that is
not 40 characters, an integer out of its field's range, a slot bitmap of the wrong size...).
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from bus.messages import (
    EXT_HEADER_SIZE,
    GOSSIP_SIZE,
    HEADER_SIZE,
    IP_LEN,
    MSG_TYPE_COUNT,
    MSG_TYPE_NAMES,
    NAME_LEN,
    PROTOCOL_VERSION,
    SIGNATURE,
    SLOT_BITMAP_LEN,
    ExtType,
    Extension,
    Fail,
    FailoverAuthAck,
    FailoverAuthRequest,
    ForgottenNodeExt,
    Gossip,
    GossipMessage,
    Header,
    HostnameExt,
    HumanNodenameExt,
    Meet,
    Message,
    MFlag0,
    MfStart,
    Module,
    MsgType,
    Ping,
    Pong,
    Publish,
    PublishShard,
    ShardIdExt,
    UnknownExt,
    UnknownMessage,
    Update,
)

__all__ = ["BusDecoder", "BusProtocolError", "DecoderStats", "DroppedFrame", "decode", "encode", "frame_length"]

# sig totlen ver port type count currentEpoch configEpoch offset sender myslots slaveof myip
# extensions notused1[30] pport cport flags state mflags[0] mflags[1..2]
_HEADER = struct.Struct(">4sIHHHHQQQ40s2048s40s46sH30xHHHBB2x")
# nodename ping_sent pong_received ip port cport flags pport notused1
_GOSSIP = struct.Struct(">40sII46sHHHH2x")
_EXT_HEADER = struct.Struct(">IHH")  # length (header and padding included), type, unused
_PUBLISH = struct.Struct(">II")  # channel_len, message_len
_UPDATE = struct.Struct(">Q40s2048s")  # configEpoch, nodename, slots
_MODULE = struct.Struct(">8sIB")  # module_id (opaque), len, type
_FORGOTTEN = struct.Struct(">40sQ")  # name, ttl seconds
_U32 = struct.Struct(">I")

assert _HEADER.size == HEADER_SIZE and _GOSSIP.size == GOSSIP_SIZE and _EXT_HEADER.size == EXT_HEADER_SIZE

_FAIL_LEN = HEADER_SIZE + NAME_LEN  # 2296
_UPDATE_LEN = HEADER_SIZE + _UPDATE.size  # 4352
_NULL_NAME_BYTES = bytes(NAME_LEN)
_EXT_DATA = int(MFlag0.EXT_DATA)


class BusProtocolError(Exception):
    """The peer does not speak the cluster bus (bad signature or length): drop the link."""


@dataclass(frozen=True, slots=True)
class DroppedFrame:
    """A whole frame the decoder skipped, and why (for the transport's log line)."""

    type: int
    totlen: int
    reason: str


@dataclass(slots=True)
class DecoderStats:
    frames: int = 0  # complete frames read (dropped ones included)
    by_type: dict[int, int] = field(default_factory=dict)  # frames per wire type, before any check
    bad_version: int = 0  # dropped: ver != 1
    bad_length: int = 0  # dropped: length inconsistent with the type
    unknown_type: int = 0  # returned as UnknownMessage


class _Drop(Exception):
    """Internal: the frame is well delimited but invalid; skip it."""


def _type_name(msg_type: int) -> str:
    return MSG_TYPE_NAMES.get(msg_type, "unknown")


# --------------------------------------------------------------------------- encoding


def _name(value: str, what: str) -> bytes:
    raw = value.encode("latin-1")
    if len(raw) != NAME_LEN:
        raise ValueError(f"{what} must be {NAME_LEN} characters, got {len(raw)}")
    return raw


def _padded(value: str, size: int, what: str) -> bytes:
    raw = value.encode("latin-1")
    if len(raw) > size:
        raise ValueError(f"{what} is longer than {size} bytes")
    return raw  # struct pads with NUL bytes


def _bitmap(value: bytes, what: str) -> bytes:
    if len(value) != SLOT_BITMAP_LEN:
        raise ValueError(f"{what} must be {SLOT_BITMAP_LEN} bytes, got {len(value)}")
    return value


def _pad8(data: bytes) -> bytes:
    return data + bytes(-len(data) % 8)


def _encode_extension(ext: Extension) -> bytes:
    if isinstance(ext, HostnameExt):
        ext_type, data = ExtType.HOSTNAME, _pad8(ext.hostname.encode("latin-1") + b"\0")
    elif isinstance(ext, HumanNodenameExt):
        ext_type, data = ExtType.HUMAN_NODENAME, _pad8(ext.name.encode("latin-1") + b"\0")
    elif isinstance(ext, ForgottenNodeExt):
        ext_type, data = ExtType.FORGOTTEN_NODE, _FORGOTTEN.pack(_name(ext.name, "forgotten node name"), ext.ttl)
    elif isinstance(ext, ShardIdExt):
        ext_type, data = ExtType.SHARDID, _name(ext.shard_id, "shard id")
    elif isinstance(ext, UnknownExt):
        if len(ext.data) % 8:
            raise ValueError("an unknown extension's data must be padded to 8 bytes")
        ext_type, data = ext.ext_type, ext.data
    else:
        raise ValueError(f"not a ping extension: {ext!r}")
    return _EXT_HEADER.pack(EXT_HEADER_SIZE + len(data), ext_type, 0) + data


def _gossip_body(m: GossipMessage) -> tuple[int, int, bytes]:
    pack = _GOSSIP.pack
    parts = [
        pack(_name(g.nodename, "gossip nodename"), g.ping_sent, g.pong_received, _padded(g.ip, IP_LEN, "gossip ip"),
             g.port, g.cport, g.flags, g.pport)
        for g in m.gossip
    ]
    parts += [_encode_extension(ext) for ext in m.extensions]
    return len(m.gossip), len(m.extensions), b"".join(parts)


def _no_body(m: Message) -> tuple[int, int, bytes]:
    return 0, 0, b""


def _fail_body(m: Fail) -> tuple[int, int, bytes]:
    return 0, 0, _name(m.nodename, "FAIL nodename")


def _publish_body(m: Publish | PublishShard) -> tuple[int, int, bytes]:
    return 0, 0, _PUBLISH.pack(len(m.channel), len(m.message)) + m.channel + m.message


def _update_body(m: Update) -> tuple[int, int, bytes]:
    return 0, 0, _UPDATE.pack(m.config_epoch, _name(m.nodename, "UPDATE nodename"), _bitmap(m.slots, "UPDATE slots"))


def _module_body(m: Module) -> tuple[int, int, bytes]:
    if len(m.module_id) != 8:
        raise ValueError("module_id must be 8 bytes")
    return 0, 0, _MODULE.pack(m.module_id, len(m.payload), m.module_type) + m.payload


def _unknown_body(m: UnknownMessage) -> tuple[int, int, bytes]:
    return 0, 0, m.payload


# message class -> (count, extensions, body)
_WRITERS: dict[type, Callable[[Message], tuple[int, int, bytes]]] = {
    Ping: _gossip_body,
    Pong: _gossip_body,
    Meet: _gossip_body,
    Fail: _fail_body,
    Publish: _publish_body,
    PublishShard: _publish_body,
    FailoverAuthRequest: _no_body,
    FailoverAuthAck: _no_body,
    Update: _update_body,
    MfStart: _no_body,
    Module: _module_body,
    UnknownMessage: _unknown_body,
}


def encode(message: Message) -> bytes:
    """The whole frame for ``message``: header (with totlen, type, count and extensions
    derived from the body) and body."""
    writer = _WRITERS.get(type(message))
    if writer is None:
        raise ValueError(f"not a bus message: {message!r}")
    h = message.header
    try:
        count, extensions, body = writer(message)
        mflags = h.mflags | _EXT_DATA if extensions else h.mflags
        header = _HEADER.pack(
            SIGNATURE, HEADER_SIZE + len(body), PROTOCOL_VERSION, h.port, message.type, count,
            h.current_epoch, h.config_epoch, h.offset, _name(h.sender, "sender"), _bitmap(h.myslots, "myslots"),
            _NULL_NAME_BYTES if h.slaveof is None else _name(h.slaveof, "slaveof"),
            _padded(h.myip, IP_LEN, "myip"), extensions, h.pport, h.cport, h.flags, h.state, mflags,
        )
    except (struct.error, UnicodeEncodeError, TypeError, AttributeError) as exc:
        raise ValueError(f"cannot encode {type(message).__name__}: {exc}") from exc
    return header + body


def frame_length(message: Message) -> int:
    """``totlen`` of ``message`` once encoded."""
    return len(encode(message))


# --------------------------------------------------------------------------- decoding


def _text(raw: bytes) -> str:
    """A NUL-padded C string field (IP, hostname)."""
    end = raw.find(b"\0")
    return (raw if end < 0 else raw[:end]).decode("latin-1")


def _decode_header(frame: bytes) -> tuple[int, int, int, Header]:
    (_sig, _totlen, _ver, port, msg_type, count, current_epoch, config_epoch, offset, sender, myslots, slaveof,
     myip, extensions, pport, cport, flags, state, mflags) = _HEADER.unpack_from(frame)
    header = Header(
        sender=sender.decode("latin-1"),
        port=port,
        current_epoch=current_epoch,
        config_epoch=config_epoch,
        offset=offset,
        myslots=myslots,
        slaveof=None if slaveof == _NULL_NAME_BYTES else slaveof.decode("latin-1"),
        myip=_text(myip),
        pport=pport,
        cport=cport,
        flags=flags,
        state=state,
        mflags=mflags,
    )
    return msg_type, count, extensions, header


def _decode_extension(ext_type: int, data: bytes) -> Extension:
    if ext_type == ExtType.HOSTNAME:
        return HostnameExt(_text(data))
    if ext_type == ExtType.HUMAN_NODENAME:
        return HumanNodenameExt(_text(data))
    if ext_type == ExtType.FORGOTTEN_NODE:
        if len(data) < _FORGOTTEN.size:
            raise _Drop(f"FORGOTTEN_NODE extension of {len(data)} bytes, needs {_FORGOTTEN.size}")
        name, ttl = _FORGOTTEN.unpack_from(data)
        return ForgottenNodeExt(name.decode("latin-1"), ttl)
    if ext_type == ExtType.SHARDID:
        if len(data) < NAME_LEN:
            raise _Drop(f"SHARDID extension of {len(data)} bytes, needs {NAME_LEN}")
        return ShardIdExt(data[:NAME_LEN].decode("latin-1"))
    return UnknownExt(ext_type, data)


def _gossip_message(cls: type[GossipMessage], frame: bytes, count: int, extensions: int, header: Header) -> Message:
    totlen = len(frame)
    name = _type_name(cls.TYPE)
    explen = HEADER_SIZE + GOSSIP_SIZE * count
    if explen > totlen:
        raise _Drop(f"Received invalid {name} packet of length {totlen} but expected length {explen}")
    spans: list[tuple[int, int, int]] = []  # (type, start, end) of each extension's data
    if header.mflags & _EXT_DATA:
        too_long = f"Received invalid {name} packet with extension data that exceeds total packet length ({totlen})"
        pos = explen
        for _ in range(extensions):
            if totlen - pos < EXT_HEADER_SIZE:
                raise _Drop(too_long)
            extlen, ext_type, _unused = _EXT_HEADER.unpack_from(frame, pos)
            if extlen % 8 != 0:
                raise _Drop(f"Received a {name} packet without proper padding ({extlen} bytes)")
            if extlen < EXT_HEADER_SIZE:
                raise _Drop(f"Received a {name} packet with an extension of {extlen} bytes")
            if totlen - pos < extlen:
                raise _Drop(too_long)
            spans.append((ext_type, pos + EXT_HEADER_SIZE, pos + extlen))
            pos += extlen
        explen = pos
    if explen != totlen:
        raise _Drop(f"Received invalid {name} packet of length {totlen} but expected length {explen}")
    gossip = tuple(
        Gossip(nodename.decode("latin-1"), ping_sent, pong_received, _text(ip), port, cport, flags, pport)
        for nodename, ping_sent, pong_received, ip, port, cport, flags, pport
        in _GOSSIP.iter_unpack(frame[HEADER_SIZE:HEADER_SIZE + GOSSIP_SIZE * count])
    )
    exts = tuple(_decode_extension(ext_type, frame[start:end]) for ext_type, start, end in spans)
    return cls(header, gossip, exts)


def _check_length(frame: bytes, expected: int, msg_type: int) -> None:
    if len(frame) != expected:
        raise _Drop(f"Received invalid {_type_name(msg_type)} packet of length {len(frame)} "
                    f"but expected length {expected}")


def _fail(frame: bytes, count: int, extensions: int, header: Header) -> Message:
    _check_length(frame, _FAIL_LEN, MsgType.FAIL)
    return Fail(header, frame[HEADER_SIZE:_FAIL_LEN].decode("latin-1"))


def _publish(cls: type[Publish] | type[PublishShard], frame: bytes, count: int, extensions: int,
             header: Header) -> Message:
    start = HEADER_SIZE + _PUBLISH.size
    if len(frame) < start:
        _check_length(frame, start, cls.TYPE)
    channel_len, message_len = _PUBLISH.unpack_from(frame, HEADER_SIZE)
    _check_length(frame, start + channel_len + message_len, cls.TYPE)
    return cls(header, frame[start:start + channel_len], frame[start + channel_len:])


def _update(frame: bytes, count: int, extensions: int, header: Header) -> Message:
    _check_length(frame, _UPDATE_LEN, MsgType.UPDATE)
    config_epoch, nodename, slots = _UPDATE.unpack_from(frame, HEADER_SIZE)
    return Update(header, config_epoch, nodename.decode("latin-1"), slots)


def _module(frame: bytes, count: int, extensions: int, header: Header) -> Message:
    start = HEADER_SIZE + _MODULE.size
    if len(frame) < start:
        _check_length(frame, start, MsgType.MODULE)
    module_id, length, module_type = _MODULE.unpack_from(frame, HEADER_SIZE)
    _check_length(frame, start + length, MsgType.MODULE)
    return Module(header, module_id, module_type, frame[start:])


def _bodyless(cls: type[Message], frame: bytes, count: int, extensions: int, header: Header) -> Message:
    _check_length(frame, HEADER_SIZE, cls.TYPE)
    return cls(header)


# wire type -> reader(frame, count, extensions, header); count and extensions are the header's
_READERS: dict[int, Callable[[bytes, int, int, Header], Message]] = {
    MsgType.PING: partial(_gossip_message, Ping),
    MsgType.PONG: partial(_gossip_message, Pong),
    MsgType.MEET: partial(_gossip_message, Meet),
    MsgType.FAIL: _fail,
    MsgType.PUBLISH: partial(_publish, Publish),
    MsgType.FAILOVER_AUTH_REQUEST: partial(_bodyless, FailoverAuthRequest),
    MsgType.FAILOVER_AUTH_ACK: partial(_bodyless, FailoverAuthAck),
    MsgType.UPDATE: _update,
    MsgType.MFSTART: partial(_bodyless, MfStart),
    MsgType.MODULE: _module,
    MsgType.PUBLISHSHARD: partial(_publish, PublishShard),
}
assert len(_READERS) == MSG_TYPE_COUNT


def _parse(frame: bytes) -> Message:
    """One whole, well-delimited frame (signature and totlen already checked) -> message.
    Raises ``_Drop`` for a frame Redis would ignore."""
    version = int.from_bytes(frame[8:10], "big")
    if version != PROTOCOL_VERSION:
        raise _Drop(f"Can't handle messages of different versions ({version})")
    msg_type, count, extensions, header = _decode_header(frame)
    reader = _READERS.get(msg_type)
    if reader is None:
        return UnknownMessage(header, msg_type, frame[HEADER_SIZE:])
    return reader(frame, count, extensions, header)


def _check_prefix(data: bytes | bytearray, start: int = 0) -> int:
    """totlen of the frame starting at ``start`` (8 bytes available); BusProtocolError if the
    signature or length is bad."""
    if data[start:start + 4] != SIGNATURE:
        raise BusProtocolError("Bad message signature received from Cluster bus")
    (totlen,) = _U32.unpack_from(data, start + 4)
    if totlen < HEADER_SIZE:
        raise BusProtocolError(f"Bad message length received from Cluster bus ({totlen} < {HEADER_SIZE})")
    return totlen


def decode(frame: bytes) -> Message:
    """Decode exactly one whole frame. Anything the decoder would drop or reject raises
    ``BusProtocolError`` with the reason (for tests and tools; links use ``BusDecoder``)."""
    frame = bytes(frame)
    if len(frame) < 8:
        raise BusProtocolError(f"frame of {len(frame)} bytes")
    totlen = _check_prefix(frame)
    if totlen != len(frame):
        raise BusProtocolError(f"totlen says {totlen} bytes, got {len(frame)}")
    try:
        return _parse(frame)
    except _Drop as drop:
        raise BusProtocolError(str(drop)) from None


class BusDecoder:
    """Frames out of one link's byte stream. See the module docstring for the rules.

    ``feed(data)`` appends received bytes; ``next_message()`` returns the next message, or
    ``None`` when more bytes are needed. Dropped frames are skipped and kept (the last
    ``keep_drops``) for ``take_drops()``; ``stats`` counts everything.
    """

    __slots__ = ("_buf", "_start", "_error", "_drops", "stats")

    _COMPACT_AT = 1 << 16  # release consumed bytes once this many have piled up

    def __init__(self, keep_drops: int = 64):
        self._buf = bytearray()
        self._start = 0  # offset of the first unconsumed byte in _buf
        self._error: BusProtocolError | None = None
        self._drops: deque[DroppedFrame] = deque(maxlen=keep_drops)
        self.stats = DecoderStats()

    @property
    def buffered(self) -> int:
        """Bytes received and not yet returned as a frame."""
        return len(self._buf) - self._start

    def feed(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._buf += data

    def take_drops(self) -> list[DroppedFrame]:
        """The frames dropped since the last call, oldest first (at most ``keep_drops``)."""
        drops = list(self._drops)
        self._drops.clear()
        return drops

    def next_message(self) -> Message | None:
        if self._error is not None:
            raise self._error
        buf = self._buf
        while True:
            start = self._start
            if len(buf) - start < 8:
                self._compact()
                return None
            try:
                totlen = _check_prefix(buf, start)
            except BusProtocolError as exc:
                self._error = exc
                raise
            if len(buf) - start < totlen:
                self._compact()
                return None
            with memoryview(buf) as view:
                frame = bytes(view[start:start + totlen])
            self._start = start + totlen
            if self._start >= self._COMPACT_AT:
                self._compact()
            message = self._frame(frame)
            if message is not None:
                return message

    def _frame(self, frame: bytes) -> Message | None:
        stats = self.stats
        stats.frames += 1
        msg_type = int.from_bytes(frame[12:14], "big")
        stats.by_type[msg_type] = stats.by_type.get(msg_type, 0) + 1
        try:
            message = _parse(frame)
        except _Drop as drop:
            if int.from_bytes(frame[8:10], "big") != PROTOCOL_VERSION:
                stats.bad_version += 1
            else:
                stats.bad_length += 1
            self._drops.append(DroppedFrame(msg_type, len(frame), str(drop)))
            return None
        if type(message) is UnknownMessage:
            stats.unknown_type += 1
        return message

    def _compact(self) -> None:
        if self._start:
            del self._buf[:self._start]
            self._start = 0
