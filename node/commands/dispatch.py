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
from node.commands.spec import LOOKUP, PLAIN_LOOKUP, REGISTRY, CommandSpec
from node.errors import CommandError
from node.replies import _WRITERS2, _WRITERS3, BULK_HEADERS, INT_REPLIES, QUEUED, ErrorReply, Status, encode_into

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
        # call (a key with "{" may have a hash tag: server.key_slot honours it); everything
        # else asks route().
        local = server.local_slots
        index = spec.single_key
        if (local is None or not index or argc <= index or client.asking
                or not local[server.key_slot(argv[index]) if 123 in argv[index]
                             else _crc16(argv[index], 0) & 0x3FFF]):
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
    except Exception as exc:
        reply = handler_failed(client, spec, argv, exc)
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
        after_write(client, spec, argv)
    if hooks is not None:
        reply = hooks.after(client, spec, argv, reply)
    return reply


def handler_failed(client: "Client", spec: CommandSpec, argv: list[bytes], exc: Exception) -> ErrorReply:
    """The reply for a handler that raised: its CommandError's text, or for a bug an
    internal error (logged); the node and the client carry on."""
    server = client.server
    spec.failed_calls += 1
    if isinstance(exc, CommandError):
        server.count_error(exc.message)
        return ErrorReply(exc.message)
    server.log.error("internal error running %r", argv[:1], exc_info=exc)
    server.count_error("ERR")
    return ErrorReply(f"ERR internal error in '{spec.name}': {type(exc).__name__}")


def after_write(client: "Client", spec: CommandSpec, argv: list[bytes]) -> None:
    """A command changed the dataset: propagate it, and serve clients blocked on its keys."""
    server = client.server
    if server.propagate is not None:
        server.propagate(client, spec, argv)
    blocking = server.blocking
    if blocking.by_key:
        blocking.signal(client.db.id, spec.keys_of(argv))
        if blocking.ready and not client.in_exec:
            blocking.serve_ready()


def reject(client: "Client", message: str, spec: CommandSpec | None = None) -> ErrorReply:
    """An error before the handler ran; inside MULTI it also dooms the transaction."""
    if spec is not None:
        spec.rejected_calls += 1
    if client.multi is not None:
        client.multi_error = True
    client.server.count_error(message, rejected=True)
    return ErrorReply(message)


# -- the plain lane ---------------------------------------------------------------------------
#
# Most traffic is data commands from clients in the plain state: authenticated, not in
# MULTI, not subscribed, replies on, no cluster ASKING, on a node that is not paused, has no
# MONITOR and no client tracking. For those every gate check but lookup and arity is known
# to pass, and a data command cannot change that state, so run_plain() runs consecutive
# data commands (PLAIN_LOOKUP) without the checks and encodes their replies inline; the
# first other command (or a wrong arity, or a key of another node's slot) goes through
# execute(), after which the caller asks lane_open() again. The per-command work left is
# what Redis's call() does too: the handler, its stats, and for a write the propagation
# and blocked-client hooks.
#
# A streak is a run of consecutive calls of one command. Reading the clock costs as much
# as a GET's handler, so a streak of up to STREAK_MAX calls of a bounded command (Redis's
# "fast" ones, and SET) is timed as a whole: its time is added to the command's stats,
# and it can reach the slowlog only as a whole (one entry, for its last call). That is
# exact for the stats totals and for any threshold the whole streak stays under; under a
# threshold below STREAK_MIN_THRESHOLD_NS (slowlog-log-slower-than 0, say) every call is
# timed alone, as are commands that are not bounded. The keyspace hits and misses that a
# streak of writes counted (write_lookups) are undone once, when it ends.
STREAK_MAX = 64
STREAK_MIN_THRESHOLD_NS = 1_000_000


def lane_open(client: "Client") -> bool:
    """True when run_plain() may run this client's next data commands."""
    server = client.server
    return (client.authenticated and client.multi is None and not client.subscriptions
            and not client.reply_mode and not client.asking and not client.in_exec
            and not client.closing and not server.pause_end and not server.monitors
            and server.command_hooks is None
            and (server.route is None or server.local_slots is not None))


def run_plain(client: "Client", commands: list, i: int, out: list[bytes]) -> int:
    """Run ``commands[i:]`` while they are data commands (see above), appending their
    encoded replies to ``out``; returns the index of the first command not run."""
    server = client.server
    clock = server.clock
    slow_ns = server.slowlog_threshold_ns
    alone = 0 <= slow_ns < STREAK_MIN_THRESHOLD_NS
    local = server.local_slots  # cluster mode: keys must be in a locally served slot
    key_slot = server.key_slot  # (the slot of a key with a "{", hash tags honoured)
    # Writes must be followed up (propagation, blocked clients): call by call, in _watched.
    watch = server.propagate is not None or bool(server.blocking.by_key)
    nil = b"$-1\r\n" if client.proto == 2 else b"_\r\n"
    writers = _WRITERS3 if client.proto == 3 else _WRITERS2
    append = out.append
    n = len(commands)
    first = i
    streak = None  # this streak's command, calls so far, when they are timed, lookups
    count = limit = 0
    lookups = None
    started = _perf_ns()
    while i < n:
        argv = commands[i]
        spec = PLAIN_LOOKUP.get(argv[0])
        if spec is None:
            break
        argc = len(argv)
        arity = spec.arity
        if arity != argc and (arity > 0 or argc < -arity):
            break
        if local is not None:
            # (A plain command's arity always covers its single key: argv[index] exists.)
            index = spec.single_key
            if not index:
                break
            key = argv[index]
            if not local[key_slot(key) if 123 in key else _crc16(key, 0) & 0x3FFF]:
                break
        if spec is not streak:
            if count:
                started = _end_streak(client, streak, count, started, slow_ns, commands[i - 1], lookups)
                count = 0
            streak = spec
            limit = 1 if alone or not spec.bounded else STREAK_MAX
            lookups = (clock.hits, clock.misses) if spec.write_lookups and not watch else None
        if watch:
            reply = _watched(client, spec, argv)
        else:
            try:
                reply = spec.handler(client, argv)  # type: ignore[misc]
            except Exception as exc:
                reply = handler_failed(client, spec, argv, exc)
        i += 1
        count += 1
        if count == limit:
            started = _end_streak(client, spec, count, started, slow_ns, argv, lookups)
            count = 0
        kind = type(reply)
        if kind is bytes:
            size = len(reply)  # type: ignore[arg-type]
            append(BULK_HEADERS[size] if size < 1024 else b"$%d\r\n" % size)
            append(reply)
            append(b"\r\n")
        elif kind is Status:
            append(reply.wire)  # type: ignore[union-attr]
        elif kind is int:
            append(INT_REPLIES[reply] if 0 <= reply < 1024 else b":%d\r\n" % reply)  # type: ignore[operator]
        elif reply is None:
            append(nil)
        else:
            writer = writers.get(kind)
            if writer is not None:
                writer(reply, out, client.proto)
            else:
                encode_into(reply, out, client.proto)
    if count:
        _end_streak(client, streak, count, started, slow_ns, commands[i - 1], lookups)  # type: ignore[arg-type]
    if streak is not None:
        client.last_command = streak.name_bytes
        client.commands_processed += i - first
    return i


def _watched(client: "Client", spec: CommandSpec, argv: list[bytes]) -> object:
    """One call in the lane while writes must be followed up (see run_plain)."""
    clock = client.server.clock
    dirty = clock.dirty
    if spec.write_lookups:
        lookups = clock.hits, clock.misses
    try:
        reply = spec.handler(client, argv)  # type: ignore[misc]
    except Exception as exc:
        reply = handler_failed(client, spec, argv, exc)
    if spec.write_lookups:
        clock.hits, clock.misses = lookups
    if clock.dirty != dirty:
        after_write(client, spec, argv)
    return reply


def _end_streak(client: "Client", spec: CommandSpec, calls: int, started: int, slow_ns: int,
                argv: list[bytes], lookups: tuple[int, int] | None) -> int:
    """Close a streak of ``calls`` calls of ``spec`` that began at ``started``: count them
    in the stats, and in the slowlog as one entry for ``argv`` (the last call) when slow;
    undo the lookups a streak of writes counted. Returns the time read, where the next
    streak begins."""
    now = _perf_ns()
    elapsed = now - started
    spec.calls += calls
    spec.usec += elapsed // 1000
    if lookups is not None:
        clock = client.server.clock
        clock.hits, clock.misses = lookups
    if elapsed > slow_ns >= 0:
        client.last_command = spec.name_bytes
        client.server.slowlog_add(client, argv, elapsed // 1000)
    return now
