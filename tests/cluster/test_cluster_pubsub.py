"""Pub/sub in a formed 3-node cluster: PUBLISH on one node reaches (pattern) subscribers on
the others over the bus; SPUBLISH/SSUBSCRIBE are routed by the channel's slot (MOVED)."""

from __future__ import annotations

import time

import pytest
import redis

from cluster.slots import key_hash_slot
from tests.cluster.test_cluster_mode import formed, three_nodes  # noqa: F401  (fixtures)
from tests.support.rawconn import RawConnection

pytestmark = pytest.mark.usefixtures("formed")


def _owner(nodes, key: bytes):
    """The node serving ``key``'s slot, from CLUSTER SLOTS (start, end, [ip, port, id], ...)."""
    slot = key_hash_slot(key)
    with RawConnection(nodes[0].port) as c:
        for entry in c.call(b"CLUSTER", b"SLOTS").value:
            start, end, master = entry.value[0].value, entry.value[1].value, entry.value[2]
            if start <= slot <= end:
                port = master.value[1].value
                return next(n for n in nodes if n.port == port)
    raise AssertionError("no owner")


def _read(conn: RawConnection, timeout: float = 10.0):
    conn.sock.settimeout(timeout)
    return conn.read_reply()


def _plain(reply):
    value = reply.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def test_publish_reaches_subscribers_on_other_nodes(formed):  # noqa: F811
    a, b, c = formed
    with RawConnection(b.port) as sub, RawConnection(c.port) as psub, RawConnection(a.port) as pub:
        assert _plain(sub.call(b"SUBSCRIBE", b"news")) == [b"subscribe", b"news", 1]
        assert _plain(psub.call(b"PSUBSCRIBE", b"ne*")) == [b"psubscribe", b"ne*", 1]
        time.sleep(0.2)
        assert pub.call(b"PUBLISH", b"news", b"hello").value == 0  # receivers on this node
        assert _plain(_read(sub)) == [b"message", b"news", b"hello"]
        assert _plain(_read(psub)) == [b"pmessage", b"ne*", b"news", b"hello"]


def test_spublish_routed_by_slot(formed):  # noqa: F811
    channel = b"shardy"
    owner = _owner(formed, channel)
    other = next(n for n in formed if n is not owner)
    with RawConnection(other.port) as c:
        reply = c.call(b"SPUBLISH", channel, b"x")
        assert reply.kind == "-" and reply.value.startswith(b"MOVED %d " % key_hash_slot(channel))
        reply = c.call(b"SSUBSCRIBE", channel)
        assert reply.kind == "-" and reply.value.startswith(b"MOVED ")
    with RawConnection(owner.port) as sub, RawConnection(owner.port) as pub:
        assert _plain(sub.call(b"SSUBSCRIBE", channel)) == [b"ssubscribe", channel, 1]
        assert pub.call(b"SPUBLISH", channel, b"m").value == 1
        assert _plain(_read(sub)) == [b"smessage", channel, b"m"]
        reply = sub.call(b"SSUBSCRIBE", b"a", b"b")
        assert reply.kind == "-" and b"CROSSSLOT" in reply.value


def test_redis_py_cluster_publish(formed):  # noqa: F811
    rc = redis.RedisCluster(host="127.0.0.1", port=formed[0].port, decode_responses=True)
    try:
        with RawConnection(formed[1].port) as sub:
            sub.call(b"SUBSCRIBE", b"rc")
            time.sleep(0.2)
            rc.publish("rc", "hi")
            assert _plain(_read(sub)) == [b"message", b"rc", b"hi"]
    finally:
        rc.close()


def test_shard_subscribers_are_told_when_the_slot_moves_away(formed):  # noqa: F811
    """Last in this module: it moves a slot. The new owner claims it with a bumped epoch;
    the old owner drops the slot's shard channels and sends ``sunsubscribe``."""
    channel = b"moving"
    slot = key_hash_slot(channel)
    owner = _owner(formed, channel)
    target = next(n for n in formed if n is not owner)
    with RawConnection(owner.port) as sub, RawConnection(target.port) as admin:
        assert _plain(sub.call(b"SSUBSCRIBE", channel)) == [b"ssubscribe", channel, 1]
        target_id = admin.call(b"CLUSTER", b"MYID").value
        assert admin.call(b"CLUSTER", b"SETSLOT", b"%d" % slot, b"NODE", target_id).value == b"OK"
        admin.call(b"CLUSTER", b"BUMPEPOCH")
        assert _plain(_read(sub, timeout=20)) == [b"sunsubscribe", channel, 0]
        assert _plain(sub.call(b"PING")) == b"PONG"  # no longer in subscriber context
