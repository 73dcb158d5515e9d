"""The pub/sub registry: channels, patterns and shard channels -> subscribed clients.

Mirrors Redis 7.0's ``pubsub.c``. Each client keeps its own ordered view
(``client.sub_channels``, ``client.sub_patterns``, ``client.sub_shard``) and the server keeps
the reverse maps here. ``client.subscriptions`` plays Redis's ``CLIENT_PUBSUB`` flag (the
RESP2 subscriber context, CLIENT LIST flag ``P``, the pubsub output-buffer class): set by
any subscribe command, cleared by an unsubscribe command when no channel, pattern or shard
channel is left (checked against 7.0.15).

Messages are encoded once per protocol per publish and written with ``Client.push``, which
never blocks the publisher and closes a subscriber whose unsent bytes pass its limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from node.client import Client


def _bulk(data: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(data), data)


def _encode(parts: tuple[bytes, ...]) -> tuple[bytes, bytes]:
    body = b"".join(_bulk(p) for p in parts)
    n = len(parts)
    return b"*%d\r\n%b" % (n, body), b">%d\r\n%b" % (n, body)


def _encode_mixed(kind: bytes, channel: bytes, count: int) -> tuple[bytes, bytes]:
    body = _bulk(kind) + _bulk(channel) + b":%d\r\n" % count
    return b"*3\r\n" + body, b">3\r\n" + body


class PubSub:
    __slots__ = ("channels", "patterns", "shard_channels", "_matchers")

    def __init__(self) -> None:
        self.channels: dict[bytes, dict["Client", None]] = {}
        self.patterns: dict[bytes, dict["Client", None]] = {}
        self.shard_channels: dict[bytes, dict["Client", None]] = {}
        self._matchers: dict[bytes, Callable[[bytes], bool]] = {}

    # -- subscriptions --------------------------------------------------------------------

    def subscribe(self, client: "Client", channel: bytes) -> None:
        if channel not in client.sub_channels:
            client.sub_channels[channel] = None
            self.channels.setdefault(channel, {})[client] = None

    def unsubscribe(self, client: "Client", channel: bytes) -> None:
        if channel in client.sub_channels:
            del client.sub_channels[channel]
            _discard(self.channels, channel, client)

    def psubscribe(self, client: "Client", pattern: bytes) -> None:
        if pattern not in client.sub_patterns:
            client.sub_patterns[pattern] = None
            subscribers = self.patterns.get(pattern)
            if subscribers is None:
                from node.commands.keys import compile_glob

                subscribers = self.patterns[pattern] = {}
                self._matchers[pattern] = compile_glob(pattern)
            subscribers[client] = None

    def punsubscribe(self, client: "Client", pattern: bytes) -> None:
        if pattern in client.sub_patterns:
            del client.sub_patterns[pattern]
            if _discard(self.patterns, pattern, client):
                self._matchers.pop(pattern, None)

    def ssubscribe(self, client: "Client", channel: bytes) -> None:
        if channel not in client.sub_shard:
            client.sub_shard[channel] = None
            self.shard_channels.setdefault(channel, {})[client] = None

    def sunsubscribe(self, client: "Client", channel: bytes) -> None:
        if channel in client.sub_shard:
            del client.sub_shard[channel]
            _discard(self.shard_channels, channel, client)

    def remove_client(self, client: "Client") -> None:
        """Drop every subscription of ``client`` without telling it (disconnect, RESET)."""
        for channel in list(client.sub_channels):
            self.unsubscribe(client, channel)
        for pattern in list(client.sub_patterns):
            self.punsubscribe(client, pattern)
        for channel in list(client.sub_shard):
            self.sunsubscribe(client, channel)
        set_flag(client, False)

    def drop_shard_channels(self, doomed: Callable[[bytes], bool]) -> int:
        """Unsubscribe every client from the shard channels ``doomed`` selects, telling each
        (``sunsubscribe``), as Redis's removeChannelsInSlot when a slot leaves this node."""
        dropped = 0
        for channel in [c for c in self.shard_channels if doomed(c)]:
            for client in list(self.shard_channels.get(channel, ())):
                self.sunsubscribe(client, channel)
                wire2, wire3 = _encode_mixed(b"sunsubscribe", channel, len(client.sub_shard))
                client.push(wire3 if client.proto == 3 else wire2)
                if not (client.sub_channels or client.sub_patterns or client.sub_shard):
                    set_flag(client, False)
            dropped += 1
        return dropped

    # -- publishing -----------------------------------------------------------------------

    def publish(self, channel: bytes, message: bytes) -> int:
        """Deliver to channel and pattern subscribers; returns how many received it."""
        receivers = 0
        subscribers = self.channels.get(channel)
        if subscribers:
            wire2, wire3 = _encode((b"message", channel, message))
            for client in list(subscribers):
                client.push(wire3 if client.proto == 3 else wire2)
            receivers += len(subscribers)
        if self.patterns:
            for pattern, matches in list(self._matchers.items()):
                if not matches(channel):
                    continue
                psubs = self.patterns.get(pattern)
                if not psubs:
                    continue
                wire2, wire3 = _encode((b"pmessage", pattern, channel, message))
                for client in list(psubs):
                    client.push(wire3 if client.proto == 3 else wire2)
                receivers += len(psubs)
        return receivers

    def spublish(self, channel: bytes, message: bytes) -> int:
        subscribers = self.shard_channels.get(channel)
        if not subscribers:
            return 0
        wire2, wire3 = _encode((b"smessage", channel, message))
        for client in list(subscribers):
            client.push(wire3 if client.proto == 3 else wire2)
        return len(subscribers)

    def deliver(self, channel: bytes, message: bytes, shard: bool = False) -> None:
        """A PUBLISH/SPUBLISH received over the cluster bus: local subscribers only."""
        if shard:
            self.spublish(channel, message)
        else:
            self.publish(channel, message)


def _discard(table: dict, name: bytes, client: "Client") -> bool:
    """Remove ``client`` from ``table[name]``; True when that was the last subscriber."""
    subscribers = table.get(name)
    if subscribers is None:
        return False
    subscribers.pop(client, None)
    if not subscribers:
        del table[name]
        return True
    return False


def set_flag(client: "Client", on: bool) -> None:
    """Redis's CLIENT_PUBSUB flag: ``client.subscriptions`` (non-zero when set) and the
    output-buffer class (``kind``)."""
    if on:
        client.subscriptions = max(1, len(client.sub_channels) + len(client.sub_patterns) + len(client.sub_shard))
        if client.kind == "normal":
            client.kind = "pubsub"
    else:
        client.subscriptions = 0
        if client.kind == "pubsub":
            client.kind = "normal"
