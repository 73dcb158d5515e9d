"""Cluster bus messages as data: Redis 7.0's ``clusterMsg`` and its bodies, as frozen dataclasses.

Rules:

* A message is a ``header`` (what every frame says about its sender) plus the fields of its
  body. The message class *is* the type: ``Ping``, ``Pong`` and ``Meet`` share a layout but
  are distinct classes, so callers dispatch on the class (or on ``message.type``).
* Fields that the encoder derives are not stored: ``sig``, ``totlen``, ``ver`` (always 1),
  ``type``, ``count`` (``len(gossip)``) and ``extensions`` (``len(extensions)``). So a message
  can never disagree with itself. Reserved bytes (``notused1[30]``, ``mflags[1..2]``, the
  gossip entry's ``notused1``) are written as zero and ignored on reading, as Redis does.
* Text fields (node names, IPs, hostnames) are ``str`` decoded as latin-1, so every byte
  value survives a decode/encode round trip; Redis only ever puts ASCII there. Node names
  are exactly 40 characters; ``slaveof`` is ``None`` for a master (40 NUL bytes on the wire);
  an empty ``myip`` is all zeros on the wire ("use the socket's peer address").
* Slot bitmaps are 2048 ``bytes`` with Redis's bit order: slot ``s`` is
  ``bitmap[s // 8] & (1 << (s % 8))``. ``slot_bitmap`` builds one from slots and ranges,
  ``iter_slots`` / ``slot_ranges`` read one back.

Header layout (offsets are static_asserts in Redis's cluster.h; total 2256 bytes)::

    0 sig[4] "RCmb"   4 totlen u32   8 ver u16   10 port u16   12 type u16   14 count u16
    16 currentEpoch u64   24 configEpoch u64   32 offset u64   40 sender[40]
    80 myslots[2048]   2128 slaveof[40]   2168 myip[46]   2214 extensions u16
    2216 notused1[30]   2246 pport u16   2248 cport u16   2250 flags u16   2252 state u8
    2253 mflags[3]   2256 body
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar, Iterable, Iterator

# --------------------------------------------------------------------------- sizes

SIGNATURE = b"RCmb"  # "Redis Cluster message bus"
PROTOCOL_VERSION = 1  # CLUSTER_PROTO_VER; frames with another ver are ignored
HEADER_SIZE = 2256  # sizeof(clusterMsg) - sizeof(union clusterMsgData) = CLUSTERMSG_MIN_LEN
NAME_LEN = 40  # CLUSTER_NAMELEN: a node id is 40 hex characters, no NUL terminator
IP_LEN = 46  # NET_IP_STR_LEN: room for an IPv6 address and its NUL
SLOTS = 16384  # CLUSTER_SLOTS
SLOT_BITMAP_LEN = SLOTS // 8  # 2048 bytes
GOSSIP_SIZE = 104  # sizeof(clusterMsgDataGossip)
EXT_HEADER_SIZE = 8  # sizeof(clusterMsgPingExt) without its payload: u32 length, u16 type, u16 unused

NULL_NAME = "\0" * NAME_LEN  # what a master sends as slaveof
EMPTY_SLOTS = bytes(SLOT_BITMAP_LEN)

# Cluster state byte in the header (the sender's view).
STATE_OK = 0  # CLUSTER_OK
STATE_FAIL = 1  # CLUSTER_FAIL


class MsgType(enum.IntEnum):
    """``hdr->type``: CLUSTERMSG_TYPE_*."""

    PING = 0  # liveness probe; carries gossip and the sender's config
    PONG = 1  # reply to PING/MEET, same layout; also broadcast after a config change
    MEET = 2  # a PING that makes the receiver add the sender ("let's join")
    FAIL = 3  # "mark node <name> as FAIL", broadcast by the master that reached the quorum
    PUBLISH = 4  # PUBLISH propagated to every node
    FAILOVER_AUTH_REQUEST = 5  # a replica asks the masters for a vote
    FAILOVER_AUTH_ACK = 6  # a master's vote
    UPDATE = 7  # "your view of <node>'s slots is stale": configEpoch + slot bitmap
    MFSTART = 8  # a replica asks its master to pause clients for a manual failover
    MODULE = 9  # module cluster API message (RM_SendClusterMessage)
    PUBLISHSHARD = 10  # SPUBLISH propagated to the nodes of the shard (7.0+)


MSG_TYPE_COUNT = 11  # CLUSTERMSG_TYPE_COUNT: Redis's per-type stats cover types below this

# clusterGetMessageTypeString: the names in CLUSTER INFO (cluster_stats_messages_<name>_sent)
# and in Redis's log lines; any other type is "unknown".
MSG_TYPE_NAMES = {
    MsgType.PING: "ping",
    MsgType.PONG: "pong",
    MsgType.MEET: "meet",
    MsgType.FAIL: "fail",
    MsgType.PUBLISH: "publish",
    MsgType.PUBLISHSHARD: "publishshard",
    MsgType.FAILOVER_AUTH_REQUEST: "auth-req",
    MsgType.FAILOVER_AUTH_ACK: "auth-ack",
    MsgType.UPDATE: "update",
    MsgType.MFSTART: "mfstart",
    MsgType.MODULE: "module",
}


class NodeFlag(enum.IntFlag):
    """CLUSTER_NODE_* bits: in the header (the sender's own flags, including MYSELF), in
    each gossip entry, and in nodes.conf."""

    MASTER = 1  # the node is a master
    SLAVE = 2  # the node is a replica
    PFAIL = 4  # failure suspected (not acknowledged by a quorum yet)
    FAIL = 8  # the node is failing (quorum reached, FAIL broadcast)
    MYSELF = 16  # this node is myself (set in every header a node sends)
    HANDSHAKE = 32  # first PING/PONG exchange not done yet
    NOADDR = 64  # address unknown
    MEET = 128  # send MEET rather than PING on the next connect
    MIGRATE_TO = 256  # master eligible for replica migration
    NOFAILOVER = 512  # replica will not try to fail over
    EXTENSIONS_SUPPORTED = 1024  # 7.2+: understands ping extensions (not sent by 7.0)
    LIGHT_HDR_SUPPORTED = 2048  # Valkey 8: understands the light PUBLISH header (not Redis)


class MFlag0(enum.IntFlag):
    """``mflags[0]`` bits: CLUSTERMSG_FLAG0_*. ``mflags[1]`` and ``mflags[2]`` are unused."""

    PAUSED = 1  # master paused for a manual failover (its offset is final)
    FORCEACK = 2  # FAILOVER_AUTH_REQUEST: vote even though the master is up (manual failover)
    EXT_DATA = 4  # the ping carries extensions; 7.0.15 sets it only when it sends one


class ExtType(enum.IntEnum):
    """Ping extension types: CLUSTERMSG_EXT_TYPE_* (numbering of 7.2+, compatible with 7.0)."""

    HOSTNAME = 0  # cluster-announce-hostname; the only type 7.0 sends or reads
    HUMAN_NODENAME = 1  # cluster-announce-human-nodename (7.2+)
    FORGOTTEN_NODE = 2  # CLUSTER FORGET spreading: node name + ttl seconds (7.2+)
    SHARDID = 3  # the sender's shard id (7.2+)


# --------------------------------------------------------------------------- slot bitmaps

_BITS_OF_BYTE = tuple(tuple(bit for bit in range(8) if value & (1 << bit)) for value in range(256))


def slot_bitmap(slots: Iterable[int | tuple[int, int]] = ()) -> bytes:
    """The 2048-byte bitmap with the given slots set. Items are slots or inclusive
    ``(first, last)`` ranges: ``slot_bitmap([(0, 5460), 9000])``."""
    bits = 0
    for item in slots:
        first, last = (item, item) if isinstance(item, int) else item
        if not 0 <= first <= last < SLOTS:
            raise ValueError(f"bad slot range {first}-{last}")
        bits |= ((1 << (last - first + 1)) - 1) << first
    # Slot s is bit s%8 of byte s/8: exactly the little-endian bit order.
    return bits.to_bytes(SLOT_BITMAP_LEN, "little")


def iter_slots(bitmap: bytes) -> Iterator[int]:
    """The slots set in ``bitmap``, in increasing order."""
    bits_of = _BITS_OF_BYTE
    for index, value in enumerate(bitmap):
        if value:
            base = index * 8
            for bit in bits_of[value]:
                yield base + bit


def slot_ranges(bitmap: bytes) -> list[tuple[int, int]]:
    """The slots set in ``bitmap`` as sorted, maximal inclusive ``(first, last)`` ranges."""
    ranges: list[tuple[int, int]] = []
    first = last = -2
    for slot in iter_slots(bitmap):
        if slot != last + 1:
            if first >= 0:
                ranges.append((first, last))
            first = slot
        last = slot
    if first >= 0:
        ranges.append((first, last))
    return ranges


def has_slot(bitmap: bytes, slot: int) -> bool:
    return bool(bitmap[slot >> 3] & (1 << (slot & 7)))


# --------------------------------------------------------------------------- header and parts


@dataclass(frozen=True, slots=True)
class Header:
    """What every frame says about its sender (``clusterMsg`` minus the derived fields)."""

    sender: str  # sender's node id
    port: int = 0  # sender's client port (the TLS port when the bus is TLS)
    current_epoch: int = 0  # sender's currentEpoch
    config_epoch: int = 0  # sender's configEpoch, or its master's if the sender is a replica
    offset: int = 0  # master_repl_offset (master) or processed offset (replica)
    myslots: bytes = EMPTY_SLOTS  # sender's slots (its master's when it is a replica)
    slaveof: str | None = None  # master's node id, None for a master
    myip: str = ""  # announced IP; "" means "use the socket's peer address"
    pport: int = 0  # the other client port (plaintext when port is TLS); 0 if none
    cport: int = 0  # sender's bus port
    flags: int = 0  # sender's NodeFlag bits (7.0.15 sends MYSELF|MASTER = 17, MYSELF|SLAVE = 18)
    state: int = STATE_OK  # sender's view of the cluster state
    mflags: int = 0  # MFlag0 bits (mflags[0])


@dataclass(frozen=True, slots=True)
class Gossip:
    """One ``clusterMsgDataGossip`` entry (104 bytes): what the sender knows about a node."""

    nodename: str
    ping_sent: int = 0  # unix seconds of the sender's last unanswered PING to it, 0 if none
    pong_received: int = 0  # unix seconds of the last PONG the sender got from it
    ip: str = ""
    port: int = 0
    cport: int = 0
    flags: int = 0  # NodeFlag bits as the sender sees them (never MYSELF)
    pport: int = 0


@dataclass(frozen=True, slots=True)
class HostnameExt:
    """Type 0: the sender's announced hostname (NUL-terminated, padded to 8 bytes)."""

    TYPE: ClassVar[int] = ExtType.HOSTNAME
    hostname: str


@dataclass(frozen=True, slots=True)
class HumanNodenameExt:
    """Type 1 (7.2+): the sender's human-readable node name; same layout as the hostname."""

    TYPE: ClassVar[int] = ExtType.HUMAN_NODENAME
    name: str


@dataclass(frozen=True, slots=True)
class ForgottenNodeExt:
    """Type 2 (7.2+): "forget this node and ban it for ``ttl`` seconds" (CLUSTER FORGET)."""

    TYPE: ClassVar[int] = ExtType.FORGOTTEN_NODE
    name: str
    ttl: int


@dataclass(frozen=True, slots=True)
class ShardIdExt:
    """Type 3 (7.2+): the sender's shard id (40 characters)."""

    TYPE: ClassVar[int] = ExtType.SHARDID
    shard_id: str


@dataclass(frozen=True, slots=True)
class UnknownExt:
    """An extension type this codec does not know. Kept so that a frame re-encodes to the
    same bytes; callers skip it, as Redis does (it logs and carries on)."""

    ext_type: int
    data: bytes  # the payload after the 8-byte extension header, padding included

    @property
    def TYPE(self) -> int:  # noqa: N802 - mirrors the class attribute of the known types
        return self.ext_type


Extension = HostnameExt | HumanNodenameExt | ForgottenNodeExt | ShardIdExt | UnknownExt


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True, slots=True)
class Message:
    """Base of every message: the header. ``TYPE`` is the wire type number."""

    TYPE: ClassVar[int] = -1
    header: Header

    @property
    def type(self) -> int:
        return self.TYPE


@dataclass(frozen=True, slots=True)
class GossipMessage(Message):
    """The shared layout of PING, PONG and MEET: gossip entries, then ping extensions.
    The encoder sets ``MFlag0.EXT_DATA`` whenever ``extensions`` is not empty (a 7.0
    receiver drops a frame with extension bytes but no EXT_DATA)."""

    gossip: tuple[Gossip, ...] = ()
    extensions: tuple[Extension, ...] = ()


@dataclass(frozen=True, slots=True)
class Ping(GossipMessage):
    TYPE: ClassVar[int] = MsgType.PING


@dataclass(frozen=True, slots=True)
class Pong(GossipMessage):
    TYPE: ClassVar[int] = MsgType.PONG


@dataclass(frozen=True, slots=True)
class Meet(GossipMessage):
    TYPE: ClassVar[int] = MsgType.MEET


@dataclass(frozen=True, slots=True)
class Fail(Message):
    """Node ``nodename`` is failing. Body: the 40-byte name. Total 2296 bytes."""

    TYPE: ClassVar[int] = MsgType.FAIL
    nodename: str = NULL_NAME


@dataclass(frozen=True, slots=True)
class Publish(Message):
    """Body: u32 channel_len, u32 message_len, channel, message. Total 2264 + both lengths."""

    TYPE: ClassVar[int] = MsgType.PUBLISH
    channel: bytes = b""
    message: bytes = b""


@dataclass(frozen=True, slots=True)
class PublishShard(Message):
    """SPUBLISH; same body as PUBLISH."""

    TYPE: ClassVar[int] = MsgType.PUBLISHSHARD
    channel: bytes = b""
    message: bytes = b""


@dataclass(frozen=True, slots=True)
class FailoverAuthRequest(Message):
    """No body (2256 bytes): the header carries currentEpoch, the master's configEpoch and
    slots, and FORCEACK in mflags for a manual failover."""

    TYPE: ClassVar[int] = MsgType.FAILOVER_AUTH_REQUEST


@dataclass(frozen=True, slots=True)
class FailoverAuthAck(Message):
    """A vote. No body (2256 bytes)."""

    TYPE: ClassVar[int] = MsgType.FAILOVER_AUTH_ACK


@dataclass(frozen=True, slots=True)
class Update(Message):
    """Body: u64 configEpoch, 40-byte node name, 2048-byte slot bitmap. Total 4352 bytes."""

    TYPE: ClassVar[int] = MsgType.UPDATE
    config_epoch: int = 0
    nodename: str = NULL_NAME
    slots: bytes = EMPTY_SLOTS


@dataclass(frozen=True, slots=True)
class MfStart(Message):
    """Manual failover start. No body (2256 bytes)."""

    TYPE: ClassVar[int] = MsgType.MFSTART


@dataclass(frozen=True, slots=True)
class Module(Message):
    """Body: module_id (8 opaque bytes, host order of the sender: not converted), u32 len,
    u8 type, payload. Total 2269 + len."""

    TYPE: ClassVar[int] = MsgType.MODULE
    module_id: bytes = bytes(8)
    module_type: int = 0
    payload: bytes = b""


@dataclass(frozen=True, slots=True)
class UnknownMessage(Message):
    """A frame of a type this codec does not know: header plus raw body. Counted by the
    decoder and ignored by callers, as Redis does."""

    msg_type: int = 0
    payload: bytes = b""

    @property
    def type(self) -> int:
        return self.msg_type


MESSAGE_CLASSES: dict[int, type[Message]] = {
    cls.TYPE: cls
    for cls in (Ping, Pong, Meet, Fail, Publish, FailoverAuthRequest, FailoverAuthAck, Update, MfStart,
                Module, PublishShard)
}
