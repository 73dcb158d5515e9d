"""node/notify.py and the handlers' use of it, without sockets: what gets published, in order.

The node's pub/sub registry is replaced by a recorder, so each test sees the exact
(channel, message) pairs a command publishes. The differential tests
(tests/differential/test_notifications.py) compare the same events with real Redis; these
check the cases a socket cannot see: nothing is published (or even looked up) when
notifications are off, flags set at runtime, and expiry driven by a fixed clock.
"""

from __future__ import annotations

import pytest

from node.commands import strings
from node.config import NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, NOTIFY_LIST, NOTIFY_STRING
from node.keyspace.expire import active_expire_cycle
from node.notify import effective_flags, key_event, key_removed, notify
from tests.support.handlers import NOW, FakeClient, FakeServer, run


class Recorder:
    """Stands in for ``server.pubsub``: keeps what would have been published."""

    def __init__(self) -> None:
        self.published: list[tuple[bytes, bytes]] = []

    def publish(self, channel: bytes, message: bytes) -> int:
        self.published.append((channel, message))
        return 0


@pytest.fixture
def client():
    server = FakeServer()
    server.pubsub = Recorder()
    return FakeClient(server)


def configure(client, letters: str) -> list[tuple[bytes, bytes]]:
    """CONFIG SET notify-keyspace-events through the node's own path; returns the record."""
    run(client, "CONFIG", "SET", "notify-keyspace-events", letters)
    return client.server.pubsub.published


def test_effective_flags_is_zero_unless_something_can_be_sent():
    assert effective_flags(0) == 0
    assert effective_flags(NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) == 0  # no class
    assert effective_flags(NOTIFY_STRING | NOTIFY_LIST) == 0  # neither K nor E
    flags = NOTIFY_KEYSPACE | NOTIFY_STRING
    assert effective_flags(flags) == flags


def test_config_set_updates_server_flags(client):
    configure(client, "KE$")
    assert client.server.notify_flags == NOTIFY_KEYSPACE | NOTIFY_KEYEVENT | NOTIFY_STRING
    configure(client, "K")
    assert client.server.notify_flags == 0
    configure(client, "")
    assert client.server.notify_flags == 0


def test_notify_channels_follow_k_and_e(client):
    server = client.server
    published = configure(client, "K$")
    notify(server, NOTIFY_STRING, b"set", b"k", 3)
    assert published == [(b"__keyspace@3__:k", b"set")]
    published.clear()
    configure(client, "E$")
    notify(server, NOTIFY_STRING, b"set", b"k", 3)
    assert published == [(b"__keyevent@3__:set", b"k")]
    published.clear()
    configure(client, "KE$")
    notify(server, NOTIFY_LIST, b"lpush", b"k", 0)  # class not selected
    assert published == []


def test_key_event_publishes_new_first_only_with_n(client):
    published = configure(client, "E$")
    key_event(client, NOTIFY_STRING, b"set", b"k", created=True)
    assert published == [(b"__keyevent@0__:set", b"k")]
    published.clear()
    configure(client, "E$n")
    key_event(client, NOTIFY_STRING, b"set", b"k", created=True)
    assert published == [(b"__keyevent@0__:new", b"k"), (b"__keyevent@0__:set", b"k")]


def test_key_removed_adds_del_when_emptied_and_g_selected(client):
    published = configure(client, "El")
    key_removed(client, NOTIFY_LIST, b"lpop", b"l", emptied=True)
    assert published == [(b"__keyevent@0__:lpop", b"l")]
    published.clear()
    configure(client, "Elg")
    key_removed(client, NOTIFY_LIST, b"lpop", b"l", emptied=True)
    key_removed(client, NOTIFY_LIST, b"lpop", b"l", emptied=False)
    assert published == [(b"__keyevent@0__:lpop", b"l"), (b"__keyevent@0__:del", b"l"),
                         (b"__keyevent@0__:lpop", b"l")]


def test_nothing_is_published_when_off(client, monkeypatch):
    published = configure(client, "")

    def fail(*args, **kwargs):  # the notifying path must not even be entered
        raise AssertionError("notification path taken while notifications are off")

    monkeypatch.setattr(strings, "store_notifying", fail)
    for args in (("SET", "a", "1"), ("SET", "a", "1", "EX", "10"), ("MSET", "b", "1"), ("INCR", "c"),
                 ("LPUSH", "l", "x"), ("DEL", "a", "l"), ("HSET", "h", "f", "v"), ("SADD", "s", "m"),
                 ("ZADD", "z", "1", "m"), ("EXPIRE", "b", "10"), ("RENAME", "b", "d")):
        run(client, *args)
    assert published == []


def test_write_over_a_stale_key_expires_it_first(client):
    published = configure(client, "KEAn")
    run(client, "SET", "k", "old", "PXAT", str(NOW - 1))  # kept until its next lookup (7.0)
    published.clear()
    run(client, "SET", "k", "new")
    assert [m for c, m in published if c.startswith(b"__keyspace")] == [b"expired", b"new", b"set"]
    assert client.server.stat_expired_keys == 1


def test_lazy_and_active_expiry_publish_expired(client):
    server = client.server
    published = configure(client, "Ex")
    run(client, "SET", "lazy", "v", "PX", "10")
    run(client, "SET", "active", "v", "PX", "10")
    run(client, "SET", "kept", "v", "PX", "100000")
    assert published == []  # x only: set/expire are not selected
    server.clock.set(NOW + 20)
    assert run(client, "GET", "lazy") is None
    assert published == [(b"__keyevent@0__:expired", b"lazy")]
    active_expire_cycle(server.dbs, server.clock.ms, 10**9)
    assert published == [(b"__keyevent@0__:expired", b"lazy"), (b"__keyevent@0__:expired", b"active")]


def test_move_and_copy_publish_in_both_databases(client):
    published = configure(client, "KEA")
    run(client, "SET", "k", "v")
    published.clear()
    run(client, "COPY", "k", "c", "DB", "5")
    run(client, "MOVE", "k", "7")
    assert published == [
        (b"__keyspace@5__:c", b"copy_to"), (b"__keyevent@5__:copy_to", b"c"),
        (b"__keyspace@0__:k", b"move_from"), (b"__keyevent@0__:move_from", b"k"),
        (b"__keyspace@7__:k", b"move_to"), (b"__keyevent@7__:move_to", b"k"),
    ]


def test_generic_class_alone(client):
    published = configure(client, "Kg")
    run(client, "SET", "k", "v")
    run(client, "EXPIRE", "k", "100")
    run(client, "PERSIST", "k")
    run(client, "DEL", "k")
    assert [m for _, m in published] == [b"expire", b"persist", b"del"]


def test_debug_populate_sends_new_per_created_key(client):
    """Redis's DEBUG POPULATE adds keys with dbAdd, which publishes ``new`` (and nothing else)."""
    client.server.config.enable_debug_command = "yes"
    published = configure(client, "KEn")
    run(client, "SET", "key:1", "taken")
    published.clear()
    run(client, "DEBUG", "POPULATE", "3")
    assert published == [
        (b"__keyspace@0__:key:0", b"new"), (b"__keyevent@0__:new", b"key:0"),
        (b"__keyspace@0__:key:2", b"new"), (b"__keyevent@0__:new", b"key:2"),
    ]
