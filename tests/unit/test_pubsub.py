"""The pub/sub registry (node/pubsub.py) with stand-in clients: bookkeeping, message
encoding once per protocol, pattern matching, counts and cleanup."""

from __future__ import annotations

from node.pubsub import PubSub, set_flag


class FakeClient:
    def __init__(self, proto: int = 2):
        self.proto = proto
        self.sub_channels: dict = {}
        self.sub_patterns: dict = {}
        self.sub_shard: dict = {}
        self.subscriptions = 0
        self.kind = "normal"
        self.got: list[bytes] = []

    def push(self, data: bytes) -> None:
        self.got.append(data)


def test_publish_reaches_channel_and_pattern_subscribers():
    ps = PubSub()
    a, b, p = FakeClient(2), FakeClient(3), FakeClient(2)
    ps.subscribe(a, b"news")
    ps.subscribe(b, b"news")
    ps.subscribe(a, b"news")  # twice: one subscription
    ps.psubscribe(p, b"n*")
    assert ps.publish(b"news", b"hi") == 3
    assert a.got == [b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"]
    assert b.got == [b">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"]
    assert p.got == [b"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"]
    assert ps.publish(b"other", b"x") == 0
    assert ps.publish(b"nope", b"x") == 1


def test_pattern_uses_redis_glob():
    ps = PubSub()
    c = FakeClient()
    ps.psubscribe(c, b"h[ae]llo\\*")
    assert ps.publish(b"hallo*", b"x") == 1
    assert ps.publish(b"hallox", b"x") == 0
    assert ps.publish(b"hillo*", b"x") == 0


def test_shard_channels_are_separate():
    ps = PubSub()
    c = FakeClient(3)
    ps.ssubscribe(c, b"s")
    assert ps.publish(b"s", b"x") == 0
    assert ps.spublish(b"s", b"x") == 1
    assert c.got == [b">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nx\r\n"]
    ps.deliver(b"s", b"y", shard=True)
    ps.deliver(b"s", b"z", shard=False)
    assert len(c.got) == 2


def test_unsubscribe_and_remove_client_clean_up_everything():
    ps = PubSub()
    a, b = FakeClient(), FakeClient()
    for c in (a, b):
        ps.subscribe(c, b"ch")
        ps.psubscribe(c, b"p*")
        ps.ssubscribe(c, b"s")
        set_flag(c, True)
    assert a.subscriptions and a.kind == "pubsub"
    ps.unsubscribe(a, b"ch")
    ps.unsubscribe(a, b"ch")  # not subscribed any more: nothing happens
    assert list(ps.channels[b"ch"]) == [b]
    ps.remove_client(b)
    assert b.subscriptions == 0 and b.kind == "normal"
    assert not b.sub_channels and not b.sub_patterns and not b.sub_shard
    assert b"ch" not in ps.channels
    assert list(ps.patterns) == [b"p*"] and list(ps.shard_channels) == [b"s"]
    ps.remove_client(a)
    assert not ps.channels and not ps.patterns and not ps.shard_channels
    assert not ps._matchers


def test_set_flag_keeps_replica_kind():
    c = FakeClient()
    c.kind = "replica"
    set_flag(c, True)
    assert c.kind == "replica" and c.subscriptions
    set_flag(c, False)
    assert c.kind == "replica" and c.subscriptions == 0


def test_drop_shard_channels_tells_each_subscriber():
    ps = PubSub()
    a, b = FakeClient(2), FakeClient(3)
    ps.ssubscribe(a, b"s1")
    ps.ssubscribe(a, b"s2")
    ps.ssubscribe(b, b"s1")
    set_flag(a, True)
    set_flag(b, True)
    assert ps.drop_shard_channels(lambda c: c == b"s1") == 1
    assert a.got == [b"*3\r\n$12\r\nsunsubscribe\r\n$2\r\ns1\r\n:1\r\n"]
    assert b.got == [b">3\r\n$12\r\nsunsubscribe\r\n$2\r\ns1\r\n:0\r\n"]
    assert a.subscriptions and b.subscriptions == 0
    assert list(ps.shard_channels) == [b"s2"]
