"""The single gate every command passes, in Redis's ``processCommand`` order.

``execute(client, argv)`` returns the reply value for one command:

1. lookup (one dict hit on the lower-cased name; containers then look up the subcommand);
2. arity, from the declaration (exact Redis texts);
3. authentication, unless the command is ``no_auth``;
4. the cluster routing hook, when cluster mode wired one in (keys, EXEC's transaction, ASKING;
   a single key in a locally served slot is checked inline against ``server.local_slots``);
5. the RESP2 subscriber context allow-list;
6. CLIENT PAUSE: a paused command returns :data:`PAUSED` and the connection waits;
7. MULTI queueing;
8. run the handler, count stats, slowlog, feed MONITOR, propagate writes, and serve
   clients blocked on the keys a write touched (``node/blocking.py``); while anyone uses
   client tracking or the ``keymiss`` event, ``server.command_hooks`` (``node/tracking.py``)
   is called before and after the handler (remembered keys, own invalidations after the
   reply).

Rejections inside MULTI flag the transaction, so EXEC answers EXECABORT.
"""

from __future__ import annotations

import time
from binascii import crc_hqx as _crc16  # CRC16-XMODEM, the hash slot function (cluster mode)
from typing import TYPE_CHECKING

from node import errors
from node.commands.spec import LOOKUP, REGISTRY, CommandSpec
from node.errors import CommandError
from node.replies import QUEUED, ErrorReply

if TYPE_CHECKING:
    from node.client import Client

# Commands that act at once even inside MULTI (the rest are queued).
MULTI_CONTROL = frozenset((b"exec", b"discard", b"multi", b"watch", b"quit", b"reset"))
# What a RESP2 client may run while it has subscriptions.
SUBSCRIBER_ALLOWED = frozenset(
    (b"subscribe", b"psubscribe", b"ssubscribe", b"unsubscribe", b"punsubscribe",
     b"sunsubscribe", b"ping", b"quit", b"reset")
)


class _Paused:
    """Returned instead of a reply when CLIENT PAUSE holds this command back."""

    __slots__ = ()


PAUSED = _Paused()
_perf_ns = time.perf_counter_ns


def execute(client: "Client", argv: list[bytes]) -> object:
    spec = LOOKUP.get(argv[0])  # clients send GET or get; both are keys, so no .lower() then
    if spec is None:
        spec = REGISTRY.get(argv[0].lower())
        if spec is None:
            return reject(client, errors.unknown_command(argv))
    name = spec.name_bytes
    if spec.subcommands and len(argv) > 1:
        # Without a subcommand the container's own arity decides (CLIENT: wrong number of
        # arguments; COMMAND: arity -1, runs its own handler), as in Redis's lookupCommand.
        sub = spec.subcommands.get(argv[1].lower())
        if sub is None:
            return reject(client, errors.unknown_subcommand(argv[1], spec.name))
        spec = sub
    arity = spec.arity
    argc = len(argv)
    if (arity > 0 and argc != arity) or argc < -arity:
        return reject(client, errors.wrong_arity(spec.name), spec)
    client.last_command = spec.name_bytes
    if not client.authenticated and "no_auth" not in spec.flags:
        return reject(client, errors.NOAUTH, spec)
    server = client.server
    route = server.route
    if route is not None:
        # Cluster mode. A command with one key, no ASKING, whose slot the node serves in the
        # steady state (server.local_slots, kept by cluster/glue.py) is served without the
        # call; everything else asks route() (a key with "{" may have a hash tag).
        local = server.local_slots
        index = spec.single_key
        if (local is None or not index or argc <= index or client.asking
                or 123 in argv[index] or not local[_crc16(argv[index], 0) & 0x3FFF]):
            refusal = route(client, spec, argv)
            if refusal is not None:
                return reject(client, refusal, spec)
    if client.subscriptions and client.proto == 2 and name not in SUBSCRIBER_ALLOWED:
        return reject(client, errors.NOT_SUPPORTED_IN_SUBSCRIBE.format(spec.name), spec)
    if server.pause_end and not client.in_exec and server.pause_applies(client, spec, argv):
        return PAUSED
    if client.multi is not None and name not in MULTI_CONTROL:
        if "no_multi" in spec.flags:
            return reject(client, "ERR Command not allowed inside a transaction", spec)
        client.multi.append((spec, argv))
        return QUEUED
    # Run the handler. This block is inline (not a function of its own) because a Python
    # call costs as much as the rest of the gate; EXEC runs queued commands through
    # execute() too, with ``client.in_exec`` set so that CLIENT PAUSE does not hold them.
    clock = server.clock
    dirty = clock.dirty
    if spec.write_lookups:  # Redis counts keyspace hits/misses for read lookups only
        lookups = clock.hits, clock.misses
    hooks = server.command_hooks  # client tracking / keymiss (node/tracking.py), else None
    if hooks is not None:
        hooks.before(client, spec)
    started = _perf_ns()
    try:
        reply = spec.handler(client, argv)  # type: ignore[misc]
    except CommandError as exc:
        reply = ErrorReply(exc.message)
        spec.failed_calls += 1
        server.count_error(exc.message)
    except Exception as exc:  # a bug: answer this command, keep the node and the client
        server.log.exception("internal error running %r", argv[:1])
        reply = ErrorReply(f"ERR internal error in '{spec.name}': {type(exc).__name__}")
        spec.failed_calls += 1
        server.count_error("ERR")
    elapsed = _perf_ns() - started
    if spec.write_lookups:
        clock.hits, clock.misses = lookups
    spec.calls += 1
    spec.usec += elapsed // 1000
    if elapsed > server.slowlog_threshold_ns >= 0:
        server.slowlog_add(client, argv, elapsed // 1000)
    if server.monitors and not ("admin" in spec.flags or "skip_monitor" in spec.flags):
        server.feed_monitors(client, argv)
    if clock.dirty != dirty:
        if server.propagate is not None:
            server.propagate(client, spec, argv)
        blocking = server.blocking
        if blocking.by_key:
            blocking.signal(client.db.id, spec.keys_of(argv))
            if blocking.ready and not client.in_exec:
                blocking.serve_ready()
    if hooks is not None:
        reply = hooks.after(client, spec, argv, reply)
    return reply


def reject(client: "Client", message: str, spec: CommandSpec | None = None) -> ErrorReply:
    """An error before the handler ran; inside MULTI it also dooms the transaction."""
    if spec is not None:
        spec.rejected_calls += 1
    if client.multi is not None:
        client.multi_error = True
    client.server.count_error(message, rejected=True)
    return ErrorReply(message)
