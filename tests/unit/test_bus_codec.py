"""bus/: the cluster bus codec, byte for byte against Redis 7.0's clusterMsg.

* Golden bytes for every message type, built by hand with ``struct.pack_into`` at the offsets
  of CLUSTER.md §4 (the static_asserts of Redis's cluster.h), never with the codec's own
  Struct formats.
* Real frames captured from redis-server 7.0.15 by scripts/capture_bus.py
  (tests/unit/bus_frames/*.hex): each decodes to what the capture scenario implies and
  re-encodes to the identical bytes.
* The decoder fed whole, byte by byte and split at every position; its validation rules
  (signature, totlen, version, length per type, extensions, unknown types); Hypothesis round
  trips; and a fuzz test: whatever the input, only BusProtocolError, and no endless loop.
"""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bus.codec import BusDecoder, BusProtocolError, DroppedFrame, decode, encode, frame_length
from bus.messages import (
    EMPTY_SLOTS,
    HEADER_SIZE,
    MSG_TYPE_COUNT,
    Fail,
    FailoverAuthAck,
    FailoverAuthRequest,
    ForgottenNodeExt,
    Gossip,
    Header,
    HostnameExt,
    HumanNodenameExt,
    Meet,
    MESSAGE_CLASSES,
    MFlag0,
    MfStart,
    Module,
    MsgType,
    NodeFlag,
    Ping,
    Pong,
    Publish,
    PublishShard,
    ShardIdExt,
    UnknownExt,
    UnknownMessage,
    Update,
    has_slot,
    iter_slots,
    slot_bitmap,
    slot_ranges,
)

FRAMES_DIR = Path(__file__).parent / "bus_frames"

A = "a" * 40
B = "0123456789abcdef0123456789abcdef01234567"
C = "c" * 40


def load_frame(name: str) -> bytes:
    text = (FRAMES_DIR / f"{name}.hex").read_text()
    return bytes.fromhex("".join(line for line in text.splitlines() if not line.startswith("#")))


FRAME_NAMES = sorted(p.stem for p in FRAMES_DIR.glob("*.hex"))
REAL = {name: load_frame(name) for name in FRAME_NAMES}


# --------------------------------------------------------------------------- hand-built golden bytes


def hand_header(*, type_, totlen, sender=A, port=7000, count=0, current_epoch=0, config_epoch=0, offset=0,
                myslots=EMPTY_SLOTS, slaveof=b"\0" * 40, myip=b"", extensions=0, pport=0, cport=17000,
                flags=0, state=0, mflags=0, ver=1) -> bytearray:
    """A clusterMsg header, each field packed at its CLUSTER.md offset."""
    buf = bytearray(HEADER_SIZE)
    buf[0:4] = b"RCmb"
    struct.pack_into(">I", buf, 4, totlen)
    struct.pack_into(">H", buf, 8, ver)
    struct.pack_into(">H", buf, 10, port)
    struct.pack_into(">H", buf, 12, type_)
    struct.pack_into(">H", buf, 14, count)
    struct.pack_into(">Q", buf, 16, current_epoch)
    struct.pack_into(">Q", buf, 24, config_epoch)
    struct.pack_into(">Q", buf, 32, offset)
    buf[40:80] = sender.encode()
    buf[80:2128] = myslots
    buf[2128:2168] = slaveof if isinstance(slaveof, bytes) else slaveof.encode()
    buf[2168:2168 + len(myip)] = myip
    struct.pack_into(">H", buf, 2214, extensions)
    # 2216..2245: notused1, zero
    struct.pack_into(">H", buf, 2246, pport)
    struct.pack_into(">H", buf, 2248, cport)
    struct.pack_into(">H", buf, 2250, flags)
    buf[2252] = state
    buf[2253] = mflags
    return buf


def hand_gossip(name, ping_sent, pong_received, ip, port, cport, flags, pport=0) -> bytes:
    entry = bytearray(104)
    entry[0:40] = name.encode()
    struct.pack_into(">II", entry, 40, ping_sent, pong_received)
    entry[48:48 + len(ip)] = ip
    struct.pack_into(">HHHHH", entry, 94, port, cport, flags, pport, 0)
    return bytes(entry)


HEADER = Header(sender=A, port=7000, cport=17000)
SLOTS_A = slot_bitmap([(0, 5460)])


def test_header_offsets_of_a_ping():
    header = Header(
        sender=A, port=7000, current_epoch=5, config_epoch=3, offset=123456789, myslots=SLOTS_A, slaveof=B,
        myip="10.0.0.1", pport=7443, cport=17000, flags=NodeFlag.SLAVE | NodeFlag.MYSELF, state=1,
        mflags=MFlag0.PAUSED,
    )
    frame = encode(Ping(header))
    assert len(frame) == 2256
    assert frame[0:4] == b"RCmb"
    assert frame[4:8] == (2256).to_bytes(4, "big")
    assert frame[8:10] == b"\x00\x01"
    assert frame[10:12] == (7000).to_bytes(2, "big")
    assert frame[12:14] == b"\x00\x00" and frame[14:16] == b"\x00\x00"
    assert frame[16:24] == (5).to_bytes(8, "big")
    assert frame[24:32] == (3).to_bytes(8, "big")
    assert frame[32:40] == (123456789).to_bytes(8, "big")
    assert frame[40:80] == A.encode()
    assert frame[80:2128] == SLOTS_A
    assert frame[80] == 0xFF and frame[80 + 682] == 0b0001_1111  # slots 5456..5460 = bits 0-4 of byte 682
    assert frame[2128:2168] == B.encode()
    assert frame[2168:2214] == b"10.0.0.1" + bytes(38)
    assert frame[2214:2216] == b"\x00\x00"
    assert frame[2216:2246] == bytes(30)
    assert frame[2246:2248] == (7443).to_bytes(2, "big")
    assert frame[2248:2250] == (17000).to_bytes(2, "big")
    assert frame[2250:2252] == (18).to_bytes(2, "big")
    assert frame[2252] == 1
    assert frame[2253:2256] == b"\x01\x00\x00"
    expected = hand_header(type_=0, totlen=2256, current_epoch=5, config_epoch=3, offset=123456789,
                           myslots=SLOTS_A, slaveof=B, myip=b"10.0.0.1", pport=7443, flags=18, state=1, mflags=1)
    assert frame == bytes(expected)
    assert decode(frame) == Ping(header)


def test_golden_ping_pong_meet_with_gossip_and_every_extension():
    gossip = (
        Gossip(B, ping_sent=1700000000, pong_received=1700000001, ip="127.0.0.1", port=7001, cport=17001,
               flags=NodeFlag.MASTER | NodeFlag.PFAIL, pport=0),
        Gossip(C, ping_sent=0, pong_received=1700000002, ip="::1", port=7002, cport=17002, flags=NodeFlag.SLAVE,
               pport=6380),
    )
    extensions = (
        HostnameExt("h1"),  # 2 chars + NUL -> 8 bytes of data
        HumanNodenameExt("node-12345678"),  # 13 + NUL -> 16
        ForgottenNodeExt(C, 60),
        ShardIdExt(B),
        UnknownExt(77, b"abcdefgh"),
    )
    body = hand_gossip(B, 1700000000, 1700000001, b"127.0.0.1", 7001, 17001, 5)
    body += hand_gossip(C, 0, 1700000002, b"::1", 7002, 17002, 2, 6380)
    body += struct.pack(">IHH", 16, 0, 0) + b"h1\0" + bytes(5)
    body += struct.pack(">IHH", 24, 1, 0) + b"node-12345678\0" + bytes(2)
    body += struct.pack(">IHH", 56, 2, 0) + C.encode() + struct.pack(">Q", 60)
    body += struct.pack(">IHH", 48, 3, 0) + B.encode()
    body += struct.pack(">IHH", 16, 77, 0) + b"abcdefgh"
    header = Header(sender=A, port=7000, cport=17000, flags=17, mflags=MFlag0.EXT_DATA)
    for cls, type_ in ((Ping, 0), (Pong, 1), (Meet, 2)):
        message = cls(header, gossip, extensions)
        totlen = 2256 + 2 * 104 + 16 + 24 + 56 + 48 + 16
        expected = bytes(hand_header(type_=type_, totlen=totlen, count=2, extensions=5, flags=17, mflags=4)) + body
        assert encode(message) == expected
        assert frame_length(message) == totlen
        assert decode(expected) == message
        assert message.type == type_


def test_encode_sets_ext_data_when_there_are_extensions():
    frame = encode(Ping(HEADER, (), (HostnameExt("node-a.example"),)))
    assert frame[2253] == MFlag0.EXT_DATA
    assert frame[2214:2216] == b"\x00\x01"
    # "node-a.example" is 14 chars + NUL = 15 -> padded to 16; 8-byte ext header
    assert frame[2256:2264] == struct.pack(">IHH", 24, 0, 0)
    assert frame[2264:2280] == b"node-a.example\0\0"
    assert encode(Ping(HEADER))[2253] == 0


def test_golden_fail():
    expected = bytes(hand_header(type_=3, totlen=2296)) + B.encode()
    assert encode(Fail(HEADER, B)) == expected
    assert decode(expected) == Fail(HEADER, B)


@pytest.mark.parametrize("cls,type_", [(Publish, 4), (PublishShard, 10)])
def test_golden_publish(cls, type_):
    channel, message = b"news", b"\x00binary\r\nmessage"
    expected = bytes(hand_header(type_=type_, totlen=2256 + 8 + 4 + 16))
    expected += struct.pack(">II", 4, 16) + channel + message
    assert encode(cls(HEADER, channel, message)) == expected
    assert decode(expected) == cls(HEADER, channel, message)


@pytest.mark.parametrize("cls,type_", [(FailoverAuthRequest, 5), (FailoverAuthAck, 6), (MfStart, 8)])
def test_golden_bodyless(cls, type_):
    header = Header(sender=A, port=7000, cport=17000, current_epoch=9, config_epoch=4, myslots=SLOTS_A,
                    mflags=MFlag0.FORCEACK)
    expected = bytes(hand_header(type_=type_, totlen=2256, current_epoch=9, config_epoch=4, myslots=SLOTS_A,
                                 mflags=2))
    assert encode(cls(header)) == expected
    assert decode(expected) == cls(header)


def test_golden_update():
    slots = slot_bitmap([(5461, 10922), 16383])
    expected = bytes(hand_header(type_=7, totlen=4352)) + struct.pack(">Q", 2**63 + 5) + C.encode() + slots
    assert len(expected) == 4352
    assert encode(Update(HEADER, 2**63 + 5, C, slots)) == expected
    assert decode(expected) == Update(HEADER, 2**63 + 5, C, slots)


def test_golden_module():
    module_id = b"\x01\x02\x03\x04\x05\x06\x07\x08"  # opaque: written as given, never byte-swapped
    expected = bytes(hand_header(type_=9, totlen=2256 + 13 + 5)) + module_id + struct.pack(">IB", 5, 200) + b"hello"
    assert encode(Module(HEADER, module_id, 200, b"hello")) == expected
    assert decode(expected) == Module(HEADER, module_id, 200, b"hello")


def test_golden_unknown_type():
    expected = bytes(hand_header(type_=42, totlen=2256 + 3)) + b"xyz"
    message = decode(expected)
    assert message == UnknownMessage(HEADER, 42, b"xyz")
    assert message.type == 42
    assert encode(message) == expected


def test_type_numbers_and_flags():
    assert [t.value for t in MsgType] == list(range(MSG_TYPE_COUNT))
    assert {cls.TYPE for cls in MESSAGE_CLASSES.values()} == set(range(MSG_TYPE_COUNT))
    assert [f.value for f in NodeFlag] == [1 << i for i in range(12)]
    assert (MFlag0.PAUSED, MFlag0.FORCEACK, MFlag0.EXT_DATA) == (1, 2, 4)


# --------------------------------------------------------------------------- slot bitmaps


def test_slot_bitmap_bit_order():
    bitmap = slot_bitmap([0, 9, 16383])
    assert len(bitmap) == 2048
    assert bitmap[0] == 0x01 and bitmap[1] == 0x02 and bitmap[2047] == 0x80
    assert list(iter_slots(bitmap)) == [0, 9, 16383]
    assert has_slot(bitmap, 9) and not has_slot(bitmap, 8)


def test_slot_ranges_round_trip():
    ranges = [(0, 0), (2, 7), (8, 15), (100, 5460), (16380, 16383)]
    bitmap = slot_bitmap(ranges)
    assert slot_ranges(bitmap) == [(0, 0), (2, 15), (100, 5460), (16380, 16383)]
    assert len(list(iter_slots(bitmap))) == 1 + 14 + 5361 + 4
    assert slot_bitmap([(0, 16383)]) == b"\xff" * 2048
    assert slot_ranges(EMPTY_SLOTS) == [] and slot_bitmap() == EMPTY_SLOTS
    with pytest.raises(ValueError):
        slot_bitmap([(5, 4)])
    with pytest.raises(ValueError):
        slot_bitmap([16384])


@given(st.sets(st.integers(0, 16383), max_size=200))
def test_slot_bitmap_matches_the_c_formula(slots):
    bitmap = slot_bitmap(slots)
    assert list(iter_slots(bitmap)) == sorted(slots)
    assert all(bool(bitmap[s // 8] & (1 << (s % 8))) == (s in slots) for s in range(0, 16384, 97))


# --------------------------------------------------------------------------- real frames


@pytest.mark.parametrize("name", FRAME_NAMES)
def test_real_frame_round_trips(name):
    frame = REAL[name]
    message = decode(frame)
    assert encode(message) == frame
    assert message.header.sender.isalnum() and len(message.header.sender) == 40
    assert message.header.port and message.header.cport


def test_real_frames_are_all_there():
    expected = {"meet_hostname_gossip", "meet_no_gossip", "ping_hostname_gossip", "ping_gossip", "ping_paused",
                "ping_pfail_gossip", "pong_announce_ip", "pong_replica", "publish", "publishshard", "fail",
                "auth_request", "auth_ack", "mfstart", "update"}
    assert expected <= set(FRAME_NAMES)


def real(name):
    return decode(REAL[name])


def test_real_meet_from_a_node_with_a_hostname():
    meet = real("meet_hostname_gossip")
    assert type(meet) is Meet
    h = meet.header
    # 7.0.15: a master's header flags are MYSELF|MASTER; EXT_DATA only because a hostname is set
    assert h.flags == NodeFlag.MYSELF | NodeFlag.MASTER
    assert h.mflags == MFlag0.EXT_DATA
    assert meet.extensions == (HostnameExt("h1"),)
    assert h.slaveof is None and h.myip == "" and h.pport == 0 and h.state == 1  # cluster still FAIL
    assert slot_ranges(h.myslots) == [(0, 5460)]
    (g,) = meet.gossip  # A knew C already: one gossip entry
    assert g.ip == "127.0.0.1" and g.flags == NodeFlag.MASTER and g.ping_sent == 0 and g.pong_received > 1_600_000_000
    # the 16-byte HOSTNAME extension, exactly as 7.0.15 writes it
    frame = REAL["meet_hostname_gossip"]
    assert frame[-16:] == bytes.fromhex("00000010" "0000" "0000") + b"h1" + bytes(6)


def test_real_frames_without_hostname_carry_no_extension():
    for name in ("ping_gossip", "pong_replica", "pong_announce_ip"):
        message = real(name)
        assert message.extensions == () and message.header.mflags == 0, name
        assert REAL[name][2214:2216] == b"\0\0"
    assert real("meet_no_gossip").gossip == ()


def test_real_pong_of_a_replica_and_of_an_announced_ip():
    pong = real("pong_replica")
    assert type(pong) is Pong
    assert pong.header.flags == NodeFlag.MYSELF | NodeFlag.SLAVE
    assert pong.header.slaveof == real("meet_hostname_gossip").header.sender
    assert slot_ranges(pong.header.myslots) == [(0, 5460)]  # a replica sends its master's slots
    assert len(pong.gossip) == 2
    announced = real("pong_announce_ip")
    assert announced.header.myip == "127.0.0.1"
    assert REAL["pong_announce_ip"][2168:2214] == b"127.0.0.1" + bytes(37)


def test_real_manual_failover_frames():
    assert type(real("mfstart")) is MfStart
    request = real("auth_request")
    assert type(request) is FailoverAuthRequest and request.header.mflags == MFlag0.FORCEACK
    assert request.header.slaveof is not None and slot_ranges(request.header.myslots) == [(0, 5460)]
    assert type(real("auth_ack")) is FailoverAuthAck
    paused = real("ping_paused")  # the master's answer to MFSTART: PING with PAUSED and its offset
    assert paused.header.mflags & MFlag0.PAUSED
    assert paused.header.flags & NodeFlag.MIGRATE_TO


def test_real_publish_fail_update_and_pfail_gossip():
    assert real("publish") == Publish(real("publish").header, b"news", b"hello bus")
    shard = real("publishshard")
    assert type(shard) is PublishShard and shard.message == b"sharded hello"
    fail = real("fail")
    assert type(fail) is Fail and len(fail.nodename) == 40
    update = real("update")
    assert type(update) is Update and slot_ranges(update.slots) == [(0, 5460)] and update.config_epoch > 0
    pfail = real("ping_pfail_gossip")
    assert any(g.flags & NodeFlag.PFAIL for g in pfail.gossip)
    assert fail.nodename in {g.nodename for g in pfail.gossip if g.flags & NodeFlag.PFAIL}


# --------------------------------------------------------------------------- the decoder


def drain(decoder: BusDecoder) -> list:
    out = []
    while (message := decoder.next_message()) is not None:
        out.append(message)
    return out


ALL_REAL = [REAL[name] for name in FRAME_NAMES]


def test_decoder_whole_stream_and_byte_by_byte():
    stream = b"".join(ALL_REAL)
    expected = [decode(f) for f in ALL_REAL]
    whole = BusDecoder()
    whole.feed(stream)
    assert drain(whole) == expected and whole.buffered == 0
    assert whole.stats.frames == len(ALL_REAL)
    slow = BusDecoder()
    got = []
    for i in range(len(stream)):
        slow.feed(stream[i:i + 1])
        got += drain(slow)
    assert got == expected and slow.buffered == 0


def test_decoder_split_at_every_position():
    stream = REAL["meet_hostname_gossip"] + REAL["publish"] + REAL["update"]
    expected = [decode(REAL["meet_hostname_gossip"]), decode(REAL["publish"]), decode(REAL["update"])]
    for cut in range(len(stream) + 1):
        decoder = BusDecoder()
        decoder.feed(stream[:cut])
        got = drain(decoder)
        decoder.feed(stream[cut:])
        got += drain(decoder)
        assert got == expected, cut
        assert decoder.buffered == 0


def test_decoder_returns_none_until_the_frame_is_complete():
    frame = REAL["fail"]
    decoder = BusDecoder()
    decoder.feed(frame[:-1])
    assert decoder.next_message() is None and decoder.buffered == len(frame) - 1
    decoder.feed(frame[-1:])
    assert decoder.next_message() == decode(frame)
    assert decoder.next_message() is None


def test_many_frames_in_one_feed():
    frames = [encode(Publish(HEADER, b"c", b"m%d" % i)) for i in range(300)]
    decoder = BusDecoder()
    decoder.feed(b"".join(frames))
    assert [m.message for m in drain(decoder)] == [b"m%d" % i for i in range(300)]
    assert decoder.buffered == 0 and decoder.stats.by_type == {4: 300}


@pytest.mark.parametrize("prefix", [b"RCmB", b"GET ", b"*1\r\n", b"\0\0\0\0"])
def test_bad_signature_is_a_protocol_error_after_8_bytes(prefix):
    decoder = BusDecoder()
    decoder.feed(prefix + b"\0\0\x08")
    assert decoder.next_message() is None  # 7 bytes: Redis reads 8 before judging
    decoder.feed(b"\xd0")
    with pytest.raises(BusProtocolError):
        decoder.next_message()
    with pytest.raises(BusProtocolError):  # the decoder stays dead
        decoder.next_message()
    with pytest.raises(BusProtocolError):
        decoder.feed(REAL["fail"])


@pytest.mark.parametrize("totlen", [0, 8, 16, 2255])
def test_short_totlen_is_a_protocol_error(totlen):
    decoder = BusDecoder()
    decoder.feed(b"RCmb" + struct.pack(">I", totlen) + bytes(4000))
    with pytest.raises(BusProtocolError, match="length"):
        decoder.next_message()


def test_frames_before_a_bad_one_are_delivered():
    decoder = BusDecoder()
    decoder.feed(REAL["fail"] + b"HTTP/1.1 200 OK\r\n")
    assert type(decoder.next_message()) is Fail
    with pytest.raises(BusProtocolError):
        decoder.next_message()


def with_field(frame: bytes, offset: int, fmt: str, value) -> bytes:
    buf = bytearray(frame)
    struct.pack_into(fmt, buf, offset, value)
    return bytes(buf)


def test_other_version_is_skipped_and_counted():
    decoder = BusDecoder()
    decoder.feed(with_field(REAL["fail"], 8, ">H", 2) + REAL["publish"])
    assert type(decoder.next_message()) is Publish
    assert decoder.stats.bad_version == 1 and decoder.stats.frames == 2
    assert decoder.stats.by_type == {3: 1, 4: 1}
    (drop,) = decoder.take_drops()
    assert drop == DroppedFrame(3, 2296, "Can't handle messages of different versions (2)")
    assert decoder.take_drops() == []


def bad_length_frames() -> dict[str, bytes]:
    """Frames whose totlen does not match their type, each still well delimited."""
    ping = REAL["ping_gossip"]  # 2 gossip entries, no extensions
    meet = REAL["meet_hostname_gossip"]  # 1 gossip entry, HOSTNAME extension
    publish = encode(Publish(HEADER, b"ch", b"msg"))
    module = encode(Module(HEADER, bytes(8), 1, b"abc"))
    ext_at = 2256 + 104
    return {
        "ping count too high": with_field(ping, 14, ">H", 3),
        "ping count far too high": with_field(ping, 14, ">H", 65535),
        "ping count too low": with_field(ping, 14, ">H", 1),
        "ping extension bytes without EXT_DATA": with_field(meet, 2253, ">B", 0),
        "ping extensions count too high": with_field(meet, 2214, ">H", 2),
        "extension not padded": with_field(meet, ext_at, ">I", 12),
        "extension shorter than its header": with_field(meet, ext_at, ">I", 0),
        "extension past the end": with_field(meet, ext_at, ">I", 24),
        "fail with a trailing byte": REAL["fail"][:4] + struct.pack(">I", 2297) + REAL["fail"][8:] + b"x",
        "fail without its name": with_field(REAL["fail"], 4, ">I", 2256)[:2256],
        "publish too short for its lengths": with_field(publish, 4, ">I", 2260)[:2260],
        "publish channel_len too long": with_field(publish, 2256, ">I", 3),
        "publish message_len too short": with_field(publish, 2260, ">I", 2),
        # In C, 2264 + (2**32 - 1) + 6 wraps to this frame's totlen (2269): Redis 7.0 would
        # accept it and read a 4 GiB channel. We drop it.
        "publish lengths overflowing u32": with_field(with_field(publish, 2256, ">I", 2**32 - 1), 2260, ">I", 6),
        "auth request with a body": with_field(REAL["auth_request"], 4, ">I", 2264) + bytes(8),
        "auth ack with a body": with_field(REAL["auth_ack"], 4, ">I", 2264) + bytes(8),
        "mfstart with a body": with_field(REAL["mfstart"], 4, ">I", 2264) + bytes(8),
        "update truncated": with_field(REAL["update"], 4, ">I", 4351)[:4351],
        "module too short": with_field(module, 4, ">I", 2260)[:2260],
        "module len wrong": with_field(module, 2264, ">I", 4),
        "forgotten node ext too short": with_field(
            encode(Ping(HEADER, (), (HumanNodenameExt("x"),))), 2256 + 4, ">H", 2),
        "shard id ext too short": with_field(
            encode(Ping(HEADER, (), (HumanNodenameExt("12345678901234567890123"),))), 2256 + 4, ">H", 3),
    }


@pytest.mark.parametrize("case", sorted(bad_length_frames()))
def test_length_mismatch_drops_the_frame_and_stays_in_sync(case):
    bad = bad_length_frames()[case]
    with pytest.raises(BusProtocolError):
        decode(bad)
    decoder = BusDecoder()
    decoder.feed(bad + REAL["update"])
    assert decoder.next_message() == decode(REAL["update"])
    assert decoder.stats.bad_length == 1 and decoder.stats.bad_version == 0
    (drop,) = decoder.take_drops()
    assert drop.totlen == len(bad) and drop.reason


def test_length_mismatch_reason_is_redis_log_line():
    decoder = BusDecoder()
    decoder.feed(bad_length_frames()["ping count too high"])
    assert decoder.next_message() is None
    (drop,) = decoder.take_drops()
    assert drop.reason == "Received invalid ping packet of length 2464 but expected length 2568"


def test_ext_data_without_extensions_is_fine():
    frame = with_field(encode(Pong(HEADER)), 2253, ">B", MFlag0.EXT_DATA)
    message = decode(frame)
    assert message.extensions == () and message.header.mflags == MFlag0.EXT_DATA
    assert encode(message) == frame


def test_unknown_type_is_returned_and_counted():
    frame = encode(UnknownMessage(HEADER, 11, b"future"))
    decoder = BusDecoder()
    decoder.feed(frame + REAL["mfstart"])
    unknown = decoder.next_message()
    assert type(unknown) is UnknownMessage and unknown.type == 11 and unknown.payload == b"future"
    assert type(decoder.next_message()) is MfStart
    assert decoder.stats.unknown_type == 1 and decoder.stats.by_type == {11: 1, 8: 1}


def test_unknown_extension_is_kept_and_the_known_ones_still_decode():
    message = Pong(Header(sender=A, mflags=MFlag0.EXT_DATA), (),
                   (UnknownExt(4, bytes(8)), HostnameExt("h"), UnknownExt(5, b"x" * 16)))
    assert decode(encode(message)) == message
    hostname = [e for e in decode(encode(message)).extensions if isinstance(e, HostnameExt)]
    assert hostname == [HostnameExt("h")]


def test_hostname_without_nul_and_with_extra_padding():
    # A hostname filling its padded space with no NUL, and one padded with 8 extra zeros.
    no_nul = encode(Ping(HEADER, (), (UnknownExt(0, b"abcdefgh"),)))
    assert decode(no_nul).extensions == (HostnameExt("abcdefgh"),)
    extra = encode(Ping(HEADER, (), (UnknownExt(0, b"h1" + bytes(14)),)))
    assert decode(extra).extensions == (HostnameExt("h1"),)


# --------------------------------------------------------------------------- encode errors


@pytest.mark.parametrize("message", [
    Ping(Header(sender="short")),
    Ping(Header(sender=A, slaveof="x")),
    Ping(Header(sender=A, myip="1" * 47)),
    Ping(Header(sender=A, port=65536)),
    Ping(Header(sender=A, current_epoch=-1)),
    Ping(Header(sender=A, myslots=b"\xff")),
    Ping(Header(sender=A, mflags=256)),
    Ping(Header(sender="é" * 39 + "\u20ac")),
    Ping(HEADER, (Gossip("b" * 39),)),
    Ping(HEADER, (Gossip(B, ip="x" * 47),)),
    Ping(HEADER, (), (ShardIdExt("s"),)),
    Ping(HEADER, (), (UnknownExt(9, b"odd"),)),
    Ping(HEADER, (), ("hostname",)),
    Fail(HEADER, "b"),
    Update(HEADER, 1, B, b""),
    Module(HEADER, b"1234", 1, b""),
    Module(HEADER, bytes(8), 256, b""),
    Publish(HEADER, "str", b""),
])
def test_encode_rejects_what_cannot_be_written(message):
    with pytest.raises(ValueError):
        encode(message)


def test_encode_rejects_non_messages():
    with pytest.raises(ValueError):
        encode(HEADER)


# --------------------------------------------------------------------------- property tests

names = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)
latin1 = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=255), max_size=20)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
u64 = st.integers(0, 2**64 - 1)
bitmaps = st.one_of(st.just(EMPTY_SLOTS), st.lists(st.integers(0, 16383), max_size=50).map(slot_bitmap))
ips = st.text(alphabet="0123456789abcdef.:", max_size=46)

headers = st.builds(
    Header, sender=names, port=u16, current_epoch=u64, config_epoch=u64, offset=u64, myslots=bitmaps,
    slaveof=st.none() | names, myip=ips, pport=u16, cport=u16, flags=u16, state=st.integers(0, 255),
    mflags=st.integers(0, 255),
)
gossips = st.builds(Gossip, nodename=names, ping_sent=u32, pong_received=u32, ip=ips, port=u16, cport=u16,
                    flags=u16, pport=u16)
extensions = st.one_of(
    st.builds(HostnameExt, latin1),
    st.builds(HumanNodenameExt, latin1),
    st.builds(ForgottenNodeExt, names, u64),
    st.builds(ShardIdExt, names),
    st.builds(UnknownExt, st.integers(4, 0xFFFF), st.binary(max_size=24).map(lambda b: b + bytes(-len(b) % 8))),
)


@st.composite
def gossip_messages(draw):
    cls = draw(st.sampled_from([Ping, Pong, Meet]))
    header = draw(headers)
    exts = tuple(draw(st.lists(extensions, max_size=4)))
    if exts:  # encode sets EXT_DATA whenever there are extensions
        header = dataclasses.replace(header, mflags=header.mflags | MFlag0.EXT_DATA)
    return cls(header, tuple(draw(st.lists(gossips, max_size=4))), exts)


messages = st.one_of(
    gossip_messages(),
    st.builds(Fail, headers, names),
    st.builds(Publish, headers, st.binary(max_size=40), st.binary(max_size=40)),
    st.builds(PublishShard, headers, st.binary(max_size=40), st.binary(max_size=40)),
    st.builds(FailoverAuthRequest, headers),
    st.builds(FailoverAuthAck, headers),
    st.builds(MfStart, headers),
    st.builds(Update, headers, u64, names, bitmaps),
    st.builds(Module, headers, st.binary(min_size=8, max_size=8), st.integers(0, 255), st.binary(max_size=40)),
    st.builds(UnknownMessage, headers, st.integers(11, 0xFFFF), st.binary(max_size=40)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(messages, min_size=1, max_size=4), st.data())
def test_round_trip_any_messages_any_chunking(batch, data):
    frames = [encode(m) for m in batch]
    assert [decode(f) for f in frames] == batch
    stream = b"".join(frames)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    decoder = BusDecoder()
    got = []
    for a, b in zip([0, *cuts], [*cuts, len(stream)]):
        decoder.feed(stream[a:b])
        got += drain(decoder)
    assert got == batch and decoder.buffered == 0


def feed_and_drain_safely(data: bytes) -> None:
    """Feed ``data`` in a few pieces; only BusProtocolError may come out, and every call to
    next_message either returns None, returns a message having consumed a frame, or raises."""
    decoder = BusDecoder()
    pieces = [data[: len(data) // 3], data[len(data) // 3:]]
    calls = 0
    for piece in pieces:
        try:
            decoder.feed(piece)
            while decoder.next_message() is not None:
                calls += 1
                assert calls <= len(data) // HEADER_SIZE + 1
        except BusProtocolError:
            return


def decode_safely(data: bytes) -> None:
    """decode() raises only BusProtocolError; whatever it returns re-encodes to itself."""
    try:
        message = decode(data)
    except BusProtocolError:
        return
    assert decode(encode(message)) == message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_fuzz_garbage(data):
    feed_and_drain_safely(data)
    decode_safely(data)
    feed_and_drain_safely(b"RCmb" + data)
    decode_safely(b"RCmb" + struct.pack(">I", len(data) + 8) + data)


# Offsets worth corrupting: the fields every length check depends on.
INTERESTING = [4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 2214, 2215, 2253, 2256, 2257, 2258, 2259, 2260, 2261, 2262, 2263,
               2264, 2265, 2266, 2267, 2268, 2360, 2361, 2362, 2363, 2364, 2365, 2366, 2367]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL_REAL + [encode(Module(HEADER, bytes(8), 1, b"abc")),
                                   encode(Ping(HEADER, (), (ForgottenNodeExt(B, 1), ShardIdExt(C))))]),
       st.lists(st.tuples(st.one_of(st.sampled_from(INTERESTING), st.integers(0, 5000)), st.integers(0, 255)),
                max_size=6),
       st.one_of(st.none(), st.integers(0, 5000)),
       st.booleans())
def test_fuzz_mutated_real_frames(frame, edits, cut, fix_totlen):
    buf = bytearray(frame)
    for offset, value in edits:
        if offset < len(buf):
            buf[offset] = value
    if cut is not None:
        del buf[cut:]
    if fix_totlen and len(buf) >= 8:
        struct.pack_into(">I", buf, 4, len(buf))  # well delimited: exercises the per-type checks
    data = bytes(buf)
    feed_and_drain_safely(data)
    feed_and_drain_safely(data + REAL["fail"])
    decode_safely(data)


# --------------------------------------------------------------------------- against a real node


def test_bus_imports_nothing_of_ours_and_no_trio():
    import subprocess
    import sys

    code = ("import sys, bus, bus.codec, bus.messages; "
            "bad = [m for m in sys.modules if m == 'trio' or m.split('.')[0] in ('node', 'cluster', 'tests')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def _read_message(sock, decoder: BusDecoder, want: type, timeout: float = 5.0):
    """The next message of type ``want`` on ``sock`` (others are skipped), within ``timeout``."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        while (message := decoder.next_message()) is not None:
            if type(message) is want:
                return message
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        data = sock.recv(65536)
        assert data, "the real node closed the bus link"
        decoder.feed(data)


@pytest.mark.real
def test_a_real_node_completes_a_handshake_with_our_frames():
    """A real redis-server 7.0 accepts our MEET, PONG and PING: the handshake completes, it
    takes our hostname extension and our slot claim, and frames it must ignore (other
    version, wrong length, unknown type, unknown extension) do not break the link."""
    import socket
    import time

    import redis

    from tests.support.procs import free_port, redis_server_path, start_real_redis

    if redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    server = start_real_redis("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
    listener = None
    links = []
    try:
        client = redis.Redis(port=server.port, decode_responses=True)
        real_id = client.execute_command("CLUSTER", "MYID")
        while True:  # our fake node: a port P whose bus port P+10000 we can listen on
            port = free_port()
            try:
                listener = socket.create_server(("127.0.0.1", port + 10000))
                break
            except OSError:
                continue
        ours = "f" * 8 + "0123456789abcdef0123456789abcdef"
        header = Header(sender=ours, port=port, cport=port + 10000, flags=NodeFlag.MYSELF | NodeFlag.MASTER,
                        current_epoch=1, config_epoch=1, myslots=slot_bitmap([(100, 200)]))
        hostname = (HostnameExt("ours.example"), UnknownExt(9, b"ignored!"))

        # 1. We dial the real node and MEET it; it answers PONG on that link.
        out = socket.create_connection(("127.0.0.1", server.port + 10000), timeout=5)
        links.append(out)
        out_decoder = BusDecoder()
        out.sendall(encode(Meet(header, (), hostname)))
        pong = _read_message(out, out_decoder, Pong)
        assert pong.header.sender == real_id
        assert pong.header.flags == NodeFlag.MYSELF | NodeFlag.MASTER and pong.header.mflags == 0
        assert pong.header.cport == server.port + 10000 and pong.header.port == server.port

        # 2. It dials the handshake node it created for us and PINGs; our PONG completes it.
        listener.settimeout(5)
        inbound, _ = listener.accept()
        links.append(inbound)
        in_decoder = BusDecoder()
        ping = _read_message(inbound, in_decoder, Ping)
        assert ping.header.sender == real_id
        inbound.sendall(encode(Pong(header, (), hostname)))

        # 3. Frames a 7.0 node must drop or ignore, then a PING it must still answer.
        bad_version = with_field(encode(Ping(header)), 8, ">H", 2)
        bad_length = with_field(encode(Fail(header, real_id)), 4, ">I", 2300) + bytes(4)
        unknown = encode(UnknownMessage(header, 200, b"future"))
        out.sendall(bad_version + bad_length + unknown + encode(Ping(header, (), hostname)))
        assert _read_message(out, out_decoder, Pong).header.sender == real_id

        def our_line():
            lines = [line.split() for line in client.execute_command("CLUSTER", "NODES").splitlines()]
            return next((fields for fields in lines if fields[0] == ours), None)

        deadline = time.monotonic() + 5
        while (line := our_line()) is None or "handshake" in line[2] or line[8:] != ["100-200"]:
            assert time.monotonic() < deadline, client.execute_command("CLUSTER", "NODES")
            out.sendall(encode(Ping(header, (), hostname)))
            _read_message(out, out_decoder, Pong)
        assert line[1] == f"127.0.0.1:{port}@{port + 10000},ours.example"
        assert line[2] == "master"
        info = client.execute_command("CLUSTER", "INFO")
        assert "cluster_stats_messages_meet_received:1" in info
        assert "cluster_known_nodes:2" in info
    finally:
        for sock in links:
            sock.close()
        if listener is not None:
            listener.close()
        server.stop()
