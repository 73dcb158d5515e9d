"""Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.

The registry is ``node/pubsub.py``. A subscribe-type command answers one message per
channel: all but the last are written with ``Client.push`` (into the batch being run, so
they keep their place), the last is the command's reply.
"""

from __future__ import annotations

from node import errors
from node.commands.spec import KeySpec, command, container
from node.errors import CommandError
from node.pubsub import set_flag
from node.replies import NO_REPLY, Push, Status, encode


def _answer(client, messages: list[Push]) -> object:
    """All messages but the last are pushed; the last is the reply. Under CLIENT REPLY
    OFF/SKIP Redis still sends them all (they are written as pushes), so push every one."""
    proto = client.proto
    if client.reply_mode != 0:
        for message in messages:
            client.push(encode(message, proto))
        return NO_REPLY
    for message in messages[:-1]:
        client.push(encode(message, proto))
    return messages[-1]


def _count(client) -> int:
    """Redis's clientSubscriptionsCount: channels + patterns (not shard channels)."""
    return len(client.sub_channels) + len(client.sub_patterns)


def _shard_count(client) -> int:
    """What SSUBSCRIBE/SUNSUBSCRIBE report: the shard channels alone."""
    return len(client.sub_shard)


def _subscribe(client, argv, add, kind: bytes, count) -> object:
    """A subscribe-type command: ``add`` each name, one ``kind`` message for each with
    the ``count`` after it."""
    messages = []
    for name in argv[1:]:
        add(client, name)
        messages.append(Push([kind, name, count(client)]))
    set_flag(client, True)
    return _answer(client, messages)


def _unsubscribe(client, argv, current: dict, remove, kind: bytes, count) -> object:
    """An unsubscribe-type command: the names given, or all of ``current``; with nothing
    to remove, one message with a null name. The pub/sub flag stays while any channel,
    pattern or shard channel is left."""
    names = argv[1:] if len(argv) > 1 else list(current)
    messages = []
    for name in names:
        remove(client, name)
        messages.append(Push([kind, name, count(client)]))
    if not names:
        messages.append(Push([kind, None, count(client)]))
    set_flag(client, bool(_count(client) + len(client.sub_shard)))
    return _answer(client, messages)


@command("subscribe", -2, "pubsub noscript loading stale", group="pubsub", since="2.0.0",
         complexity="O(N) where N is the number of channels to subscribe to.",
         summary="Listen for messages published to the given channels")
def subscribe(client, argv):
    return _subscribe(client, argv, client.server.pubsub.subscribe, b"subscribe", _count)


@command("unsubscribe", -1, "pubsub noscript loading stale", group="pubsub", since="2.0.0",
         complexity="O(N) where N is the number of clients already subscribed to a channel.",
         summary="Stop listening for messages posted to the given channels")
def unsubscribe(client, argv):
    return _unsubscribe(client, argv, client.sub_channels, client.server.pubsub.unsubscribe, b"unsubscribe", _count)


@command("psubscribe", -2, "pubsub noscript loading stale", group="pubsub", since="2.0.0",
         complexity="O(N) where N is the number of patterns the client is already subscribed to.",
         summary="Listen for messages published to channels matching the given patterns")
def psubscribe(client, argv):
    return _subscribe(client, argv, client.server.pubsub.psubscribe, b"psubscribe", _count)


@command("punsubscribe", -1, "pubsub noscript loading stale", group="pubsub", since="2.0.0",
         complexity="O(N+M) where N is the number of patterns the client is already subscribed and M is the number "
                    "of total patterns subscribed in the system (by any client).",
         summary="Stop listening for messages posted to channels matching the given patterns")
def punsubscribe(client, argv):
    return _unsubscribe(client, argv, client.sub_patterns, client.server.pubsub.punsubscribe, b"punsubscribe", _count)


@command("ssubscribe", -2, "pubsub noscript loading stale", group="pubsub", since="7.0.0",
         keys=[KeySpec("not_key", index=1, lastkey=-1)],
         complexity="O(N) where N is the number of shard channels to subscribe to.",
         summary="Listen for messages published to the given shard channels")
def ssubscribe(client, argv):
    if client.in_exec:
        raise CommandError("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
    return _subscribe(client, argv, client.server.pubsub.ssubscribe, b"ssubscribe", _shard_count)


@command("sunsubscribe", -1, "pubsub noscript loading stale", group="pubsub", since="7.0.0",
         keys=[KeySpec("not_key", index=1, lastkey=-1)],
         complexity="O(N) where N is the number of clients already subscribed to a shard channel.",
         summary="Stop listening for messages posted to the given shard channels")
def sunsubscribe(client, argv):
    return _unsubscribe(client, argv, client.sub_shard, client.server.pubsub.sunsubscribe, b"sunsubscribe", _shard_count)


def _runtime(server):
    cluster = getattr(server, "cluster", None)
    return None if cluster is None else getattr(cluster, "runtime", None)


@command("publish", 3, "pubsub loading stale fast", group="pubsub", since="2.0.0",
         complexity="O(N+M) where N is the number of clients subscribed to the receiving channel and M is the "
                    "total number of subscribed patterns (by any client).",
         summary="Post a message to a channel")
def publish(client, argv):
    server = client.server
    receivers = server.pubsub.publish(argv[1], argv[2])
    runtime = _runtime(server)
    if runtime is not None:
        runtime.publish(argv[1], argv[2])
    return receivers


@command("spublish", 3, "pubsub loading stale fast", group="pubsub", since="7.0.0",
         keys=[KeySpec("not_key", index=1)],
         complexity="O(N) where N is the number of clients subscribed to the receiving shard channel.",
         summary="Post a message to a shard channel")
def spublish(client, argv):
    server = client.server
    receivers = server.pubsub.spublish(argv[1], argv[2])
    runtime = _runtime(server)
    if runtime is not None:
        runtime.publish(argv[1], argv[2], True)
    return receivers


# -- PUBSUB ----------------------------------------------------------------------------------

container("pubsub", -2, group="pubsub", since="2.8.0", summary="A container for Pub/Sub commands")

PUBSUB_HELP = (
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
)
_PUBSUB_HELP_REPLY = [Status(line) for line in PUBSUB_HELP]


@command("pubsub|help", 2, "loading stale", group="pubsub", since="6.2.0",
         summary="Show helpful text about the different subcommands")
def pubsub_help(client, argv):
    return _PUBSUB_HELP_REPLY


def _matching(names, argv) -> list[bytes]:
    if len(argv) == 2:
        return list(names)
    from node.commands.keys import compile_glob

    matches = compile_glob(argv[2])
    return [name for name in names if matches(name)]


def _arity_error(argv) -> CommandError:
    return CommandError(errors.unknown_subcommand_or_arity(argv[1], "pubsub"))


@command("pubsub|channels", -2, "pubsub loading stale", group="pubsub", since="2.8.0",
         complexity="O(N) where N is the number of active channels, and assuming constant time pattern matching "
                    "(relatively short channels and patterns)",
         summary="List active channels")
def pubsub_channels(client, argv):
    if len(argv) > 3:
        raise _arity_error(argv)
    return _matching(client.server.pubsub.channels, argv)


@command("pubsub|numsub", -2, "pubsub loading stale", group="pubsub", since="2.8.0",
         complexity="O(N) for the NUMSUB subcommand, where N is the number of requested channels",
         summary="Get the count of subscribers for channels")
def pubsub_numsub(client, argv):
    return _subscriber_counts(client.server.pubsub.channels, argv[2:])


@command("pubsub|numpat", 2, "pubsub loading stale", group="pubsub", since="2.8.0",
         summary="Get the count of unique patterns pattern subscriptions")
def pubsub_numpat(client, argv):
    return len(client.server.pubsub.patterns)


@command("pubsub|shardchannels", -2, "pubsub loading stale", group="pubsub", since="7.0.0",
         complexity="O(N) where N is the number of active shard channels, and assuming constant time pattern "
                    "matching (relatively short shard channels).",
         summary="List active shard channels")
def pubsub_shardchannels(client, argv):
    if len(argv) > 3:
        raise _arity_error(argv)
    return _matching(client.server.pubsub.shard_channels, argv)


@command("pubsub|shardnumsub", -2, "pubsub loading stale", group="pubsub", since="7.0.0",
         complexity="O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
         summary="Get the count of subscribers for shard channels")
def pubsub_shardnumsub(client, argv):
    return _subscriber_counts(client.server.pubsub.shard_channels, argv[2:])


def _subscriber_counts(channels: dict, names: list[bytes]) -> list:
    """NUMSUB/SHARDNUMSUB: a flat list of channel, subscriber count."""
    out: list = []
    for channel in names:
        out.append(channel)
        out.append(len(channels.get(channel, ())))
    return out


def _fix_help_categories() -> None:
    from node.commands.spec import REGISTRY

    REGISTRY[b"pubsub"].subcommands[b"help"].acl_categories = ("slow",)


_fix_help_categories()
