"""Stream consumer groups: XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER,
HELP), XREADGROUP [BLOCK], XACK, XPENDING, XCLAIM, XAUTOCLAIM and XINFO (STREAM [FULL],
GROUPS, CONSUMERS, HELP). The data model (:class:`ConsumerGroup`, :class:`Consumer`,
:class:`PendingEntry`, one object shared by the group's PEL and its consumer's) is in
stream_type.py; XREAD's argument parsing, reply shapes and blocking helpers are reused from
streams.py.

Argument checks follow Redis 7.0.15's ``t_stream.c`` in order (which error a bad command
gets depends on it): XGROUP parses its options, then looks the key up (missing key, then
missing group), then checks the argument count; XPENDING and XAUTOCLAIM parse everything
before the lookup, XCLAIM looks the group up first; XACK answers 0 for a missing key or
group before parsing its ids.

7.0 bookkeeping kept as Redis does it: a group's ``entries_read`` counter (-1 when unknown)
advances with each new entry delivered and is re-estimated from the stream's counters
(``entries_added``, ``max_deleted_id``, the first id) when tombstones make it unreliable;
XINFO's ``lag`` is computed the same way (:func:`group_lag`). XCLAIM and XAUTOCLAIM drop from
the PEL the ids whose entries were deleted (XAUTOCLAIM lists them in its third element).

Writes. Group changes count in the dirty counter as Redis's ``server.dirty`` (so they are
propagated) but, like Redis 7.0, do not touch the key for WATCH: XGROUP, XREADGROUP, XACK and
XCLAIM leave a WATCHed stream's transaction alone (checked against 7.0.15); only XGROUP
CREATE MKSTREAM, which adds the key, does. Keyspace events (class ``t``): xgroup-create
(after ``new`` for MKSTREAM), xgroup-setid, xgroup-destroy, xgroup-createconsumer (also when
XREADGROUP, XCLAIM or XAUTOCLAIM create a consumer), xgroup-delconsumer.

Blocking XREADGROUP (``>`` only: a history read always answers at once). The node re-runs a
blocked command after any write to its keys; Redis re-checks a stream reader only after an
XADD, XGROUP DESTROY or the key's deletion. So a re-run answers ``UNBLOCKED the stream key no
longer exists`` when the key is gone or holds another type, ``NOGROUP the consumer group this
client was blocked on no longer exists`` when the group is gone, and otherwise serves only
if an XADD or an XGROUP DESTROY happened on the key since it last looked (``entries_added``
moved, or a group it saw is gone), from the group's current last id when the stream's last
id is above it: an XGROUP SETID back in time alone does not wake it, as in Redis.

Known gaps: FLUSHALL/FLUSHDB and key expiry do not wake a blocked reader (Redis answers it
UNBLOCKED): the node signals blocked clients only for the keys of a write command; an
XSETID that changes ``entries_added`` counts as an XADD for a blocked reader.

XINFO STREAM's ``radix-tree-keys`` is the number of listpack nodes stream_type.py's
emulation keeps (exact for streams built here by XADD); ``radix-tree-nodes`` is the node
count of Redis's rax over those 16-byte node keys, computed for the canonical compressed
trie, which is what rax holds after insertions in increasing order and removals
(checked against 7.0.15 with XTRIM, XDEL and small nodes).
"""

from __future__ import annotations

from itertools import islice, pairwise

from node import errors
from node.blocking import is_rerun, keys_to_serve
from node.commands.keys import parse_ll
from node.commands.spec import KeySpec, command, container
from node.commands.stream_type import (
    INVALID_END,
    INVALID_START,
    MAX_ID,
    MIN_ID,
    Consumer,
    ConsumerGroup,
    PendingEntry,
    Stream,
    decr_id,
    format_id,
    get_stream,
    incr_id,
    parse_id,
    parse_interval_id,
    parse_strict_id,
)
from node.commands.streams import (
    DOLLAR_IN_XREADGROUP,
    XREAD_BLOCKED_DEFAULT_COUNT,
    block_on,
    entries_reply,
    parse_xread_args,
    streams_reply,
)
from node.errors import CommandError
from node.notify import NOTIFY_STREAM, key_event
from node.replies import NULL_ARRAY, OK, Map, Status

LLONG_MAX = 2**63 - 1
UNKNOWN = -1  # SCG_INVALID_ENTRIES_READ

# -- error texts ---------------------------------------------------------------------------------

KEY_REQUIRED = ("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
                "to use the MKSTREAM option to create an empty stream automatically.")
BUSYGROUP = "BUSYGROUP Consumer Group name already exists"
ENTRIESREAD_RANGE = "ERR value for ENTRIESREAD must be positive or -1"
GROUP_GONE = "NOGROUP the consumer group this client was blocked on no longer exists"
KEY_GONE = "UNBLOCKED the stream key no longer exists"
COUNT_POSITIVE = "ERR COUNT must be > 0"
COUNT_TOO_HIGH = "ERR Insufficient memory, failed allocating transient memory, COUNT too high."
# XAUTOCLAIM allocates 16 bytes per COUNT up front; past the x86-64 user address space that
# allocation fails everywhere (below it, Redis's answer depends on the machine's overcommit).
XAUTOCLAIM_MAX_ALLOC = 2**47


def _c_text(raw: bytes) -> str:
    """An argument as Redis's ``%s`` prints it: up to its first NUL, one line."""
    text = raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    return text.replace("\r", " ").replace("\n", " ")


def no_group_for_key(key: bytes, group: bytes) -> str:
    return f"NOGROUP No such consumer group '{_c_text(group)}' for key name '{_c_text(key)}'"


def no_key_or_group(key: bytes, group: bytes) -> str:
    return f"NOGROUP No such key '{_c_text(key)}' or consumer group '{_c_text(group)}'"


def _long(raw: bytes, error: str = errors.NOT_INTEGER) -> int:
    value = parse_ll(raw)
    if value is None:
        raise CommandError(error)
    return value


# -- group bookkeeping ---------------------------------------------------------------------------


def _changed(db, count: int = 1) -> None:
    """Group state changed: dirty (propagation) but, as in Redis, no WATCH signal."""
    db.clock.dirty += count


def has_tombstones(stream: Stream, start: tuple[int, int], end: tuple[int, int] = MAX_ID) -> bool:
    """streamRangeHasTombstones: whether a deleted entry may lie in [start, end]."""
    max_deleted = stream.max_deleted_id
    if not stream.length or max_deleted == MIN_ID or stream.first_id > max_deleted:
        return False
    return start <= max_deleted <= end


def estimate_entries_read(stream: Stream, stream_id: tuple[int, int]) -> int:
    """streamEstimateDistanceFromFirstEverEntry: the logical read counter of ``stream_id``,
    or -1 when it cannot be known."""
    added = stream.entries_added
    if not added:
        return 0
    if not stream.length and stream_id <= stream.last_id:
        return added
    if stream_id == stream.last_id:
        return added
    if stream_id > stream.last_id:
        return UNKNOWN
    first = stream.first_id
    max_deleted = stream.max_deleted_id
    if max_deleted == MIN_ID or max_deleted < first:
        if stream_id < first:
            return added - len(stream)
        if stream_id == first:
            return added - len(stream) + 1
    return UNKNOWN


def group_lag(stream: Stream, group: ConsumerGroup) -> int | None:
    """streamReplyWithCGLag (7.0): entries not yet delivered to the group, None if unknown."""
    added = stream.entries_added
    if not added:
        return 0
    if group.entries_read != UNKNOWN and not has_tombstones(stream, group.last_id):
        return added - group.entries_read
    read = estimate_entries_read(stream, group.last_id)
    return None if read == UNKNOWN else added - read


def _advance(stream: Stream, group: ConsumerGroup, stream_id: tuple[int, int]) -> None:
    """The group delivered ``stream_id``: move its last id and its entries_read counter."""
    if stream_id <= group.last_id:
        return
    if group.entries_read != UNKNOWN and not has_tombstones(stream, stream_id):
        group.entries_read += 1
    elif stream.entries_added:
        group.entries_read = estimate_entries_read(stream, stream_id)
    group.last_id = stream_id


def create_consumer(client, key: bytes, group: ConsumerGroup, name: bytes) -> Consumer | None:
    """streamCreateConsumer: a new consumer (dirty, xgroup-createconsumer), None if it exists."""
    if name in group.consumers:
        return None
    consumer = group.consumers[name] = Consumer(name, client.server.clock.ms)
    _changed(client.db)
    key_event(client, NOTIFY_STREAM, b"xgroup-createconsumer", key)
    return consumer


def _active_consumer(client, key: bytes, group: ConsumerGroup, name: bytes) -> Consumer:
    """The consumer ``name`` (created if needed), seen now."""
    consumer = group.consumers.get(name)
    if consumer is None:
        return create_consumer(client, key, group, name)  # type: ignore[return-value]
    consumer.seen_time = client.server.clock.ms
    return consumer


def _claim(group: ConsumerGroup, stream_id: tuple[int, int], pending: PendingEntry, consumer: Consumer) -> None:
    """Move a pending entry to ``consumer``'s PEL (it stays in the group's)."""
    if pending.consumer is not consumer:
        pending.consumer.pel.pop(stream_id, None)
        pending.consumer = consumer
        consumer.pel[stream_id] = pending


def _forget_pending(group: ConsumerGroup, stream_id: tuple[int, int]) -> bool:
    """Remove ``stream_id`` from the group's PEL and its consumer's; False if not pending."""
    pending = group.pel.pop(stream_id, None)
    if pending is None:
        return False
    del pending.consumer.pel[stream_id]
    return True


def _deliver(group: ConsumerGroup, consumer: Consumer, stream_id: tuple[int, int], now: int) -> None:
    """A new delivery of ``stream_id`` to ``consumer``: a fresh pending entry, or the existing
    one (XGROUP SETID can make an entry be delivered again) reassigned with its count reset."""
    pending = group.pel.get(stream_id)
    if pending is None:
        pending = group.pel[stream_id] = PendingEntry(consumer, now)
        consumer.pel[stream_id] = pending
        return
    _claim(group, stream_id, pending, consumer)
    pending.delivery_time = now
    pending.delivery_count = 1


def _sorted_values(mapping: dict) -> list:
    """A rax's values in key order (groups and consumers are listed by name)."""
    return [mapping[name] for name in sorted(mapping)]


# -- XGROUP --------------------------------------------------------------------------------------

container("xgroup", -2, group="stream", since="5.0.0", summary="A container for consumer groups commands")

XGROUP_HELP = (
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
)
_XGROUP_HELP_REPLY = [Status(line) for line in XGROUP_HELP]


def _xgroup_options(argv: list[bytes], create: bool) -> tuple[bool, int]:
    """CREATE's MKSTREAM and CREATE/SETID's ENTRIESREAD, parsed before the key is looked up."""
    mkstream, entries_read = False, UNKNOWN
    argc = len(argv)
    i = 5
    while i < argc:
        word = argv[i].lower()
        if create and word == b"mkstream":
            mkstream = True
            i += 1
        elif word == b"entriesread" and i + 1 < argc:
            entries_read = _long(argv[i + 1])
            if entries_read < 0 and entries_read != UNKNOWN:
                raise CommandError(ENTRIESREAD_RANGE)
            i += 2
        else:
            raise CommandError(errors.unknown_subcommand_or_arity(argv[1], "xgroup"))
    return mkstream, entries_read


def _xgroup_stream(client, argv: list[bytes], may_create: bool = False) -> Stream | None:
    """The stream of an XGROUP subcommand; KEY_REQUIRED when missing (unless ``may_create``)."""
    stream = get_stream(client.db, argv[2])
    if stream is None and not may_create:
        raise CommandError(KEY_REQUIRED)
    return stream


def _xgroup_group(client, argv: list[bytes]) -> tuple[Stream, ConsumerGroup]:
    """The stream and existing group of SETID, CREATECONSUMER and DELCONSUMER."""
    stream = _xgroup_stream(client, argv)
    group = stream.groups.get(argv[3])  # type: ignore[union-attr]
    if group is None:
        raise CommandError(no_group_for_key(argv[2], argv[3]))
    return stream, group  # type: ignore[return-value]


def _group_id(raw: bytes, stream: Stream | None, parse) -> tuple[int, int]:
    """A group's last id argument: ``$`` is the stream's last id (0-0 for a new stream)."""
    if raw == b"$":
        return stream.last_id if stream is not None else MIN_ID
    return parse(raw)


_KEY2 = KeySpec("RW INSERT", index=2)


@command("xgroup|create", -5, "write denyoom", group="stream", keys=[_KEY2], since="5.0.0",
         summary="Create a consumer group.")
def xgroup_create(client, argv):
    mkstream, entries_read = _xgroup_options(argv, True)
    stream = _xgroup_stream(client, argv, mkstream)
    if len(argv) > 8:
        raise CommandError(errors.unknown_subcommand_or_arity(argv[1], "xgroup"))
    last_id = _group_id(argv[4], stream, parse_strict_id)
    db, key, name = client.db, argv[2], argv[3]
    if stream is not None and name in stream.groups:
        raise CommandError(BUSYGROUP)
    base = db.clock.dirty
    created = stream is None
    if created:
        stream = Stream()
        db.set(key, stream)
    stream.groups[name] = ConsumerGroup(name, last_id, entries_read)
    db.clock.dirty = base + 1
    key_event(client, NOTIFY_STREAM, b"xgroup-create", key, created)
    return OK


@command("xgroup|setid", -5, "write", group="stream", keys=[KeySpec("RW UPDATE", index=2)], since="5.0.0",
         summary="Set a consumer group to an arbitrary last delivered ID value.")
def xgroup_setid(client, argv):
    _mkstream, entries_read = _xgroup_options(argv, False)
    stream, group = _xgroup_group(client, argv)
    if len(argv) not in (5, 7):
        raise CommandError(errors.unknown_subcommand_or_arity(argv[1], "xgroup"))
    group.last_id = _group_id(argv[4], stream, parse_id)
    group.entries_read = entries_read
    _changed(client.db)
    key_event(client, NOTIFY_STREAM, b"xgroup-setid", argv[2])
    return OK


@command("xgroup|destroy", 4, "write", group="stream", keys=[KeySpec("RW DELETE", index=2)], since="5.0.0",
         summary="Destroy a consumer group.",
         complexity="O(N) where N is the number of entries in the group's pending entries list (PEL).")
def xgroup_destroy(client, argv):
    stream = _xgroup_stream(client, argv)
    if stream.groups.pop(argv[3], None) is None:  # type: ignore[union-attr]
        return 0
    _changed(client.db)  # also wakes XREADGROUP clients blocked on the group (NOGROUP)
    key_event(client, NOTIFY_STREAM, b"xgroup-destroy", argv[2])
    return 1


@command("xgroup|createconsumer", 5, "write denyoom", group="stream", keys=[_KEY2], since="6.2.0",
         summary="Create a consumer in a consumer group.")
def xgroup_createconsumer(client, argv):
    _stream, group = _xgroup_group(client, argv)
    return 0 if create_consumer(client, argv[2], group, argv[4]) is None else 1


@command("xgroup|delconsumer", 5, "write", group="stream", keys=[KeySpec("RW DELETE", index=2)], since="5.0.0",
         summary="Delete a consumer from a consumer group.")
def xgroup_delconsumer(client, argv):
    _stream, group = _xgroup_group(client, argv)
    consumer = group.consumers.pop(argv[4], None)
    if consumer is None:
        return 0
    for stream_id in consumer.pel:
        del group.pel[stream_id]
    _changed(client.db)
    key_event(client, NOTIFY_STREAM, b"xgroup-delconsumer", argv[2])
    return len(consumer.pel)


@command("xgroup|help", 2, "loading stale", group="stream", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def xgroup_help(client, argv):
    return _XGROUP_HELP_REPLY


# -- XREADGROUP ----------------------------------------------------------------------------------


def _read_new(client, key: bytes, stream: Stream, group: ConsumerGroup, consumer_name: bytes,
              count: int, noack: bool) -> list:
    """Entries above the group's last id (``>``), delivered to the consumer."""
    consumer = _active_consumer(client, key, group, consumer_name)
    start = incr_id(group.last_id)
    pairs = stream.range(start, MAX_ID, count) if start is not None else []
    now = client.server.clock.ms
    for stream_id, _flat in pairs:
        _advance(stream, group, stream_id)
        if not noack:
            _deliver(group, consumer, stream_id, now)
    _changed(client.db)
    return entries_reply(pairs)


def _read_history(client, key: bytes, stream: Stream, group: ConsumerGroup, consumer_name: bytes,
                  after: tuple[int, int], count: int) -> list:
    """The consumer's pending entries above ``after``; a deleted entry reads ``[id, nil]``."""
    consumer = _active_consumer(client, key, group, consumer_name)
    now = client.server.clock.ms
    reply = []
    for stream_id in consumer.pel.irange(incr_id(after), None):
        if count and len(reply) >= count:
            break
        flat = stream.get(stream_id)
        if flat is None:
            reply.append([format_id(stream_id), NULL_ARRAY])
            continue
        pending = consumer.pel[stream_id]
        pending.delivery_time = now
        pending.delivery_count += 1
        reply.append([format_id(stream_id), flat])
    _changed(client.db)
    return reply


def _has_new(stream: Stream, group: ConsumerGroup) -> bool:
    """Whether a ``>`` read serves now: the last live entry is above the group's last id."""
    last = stream.last_entry_id()
    return last is not None and last > group.last_id


# A blocked XREADGROUP remembers, per key, what it saw of the stream when it last looked:
# ``entries_added`` and the group objects. A re-run serves only after what makes Redis
# re-check a stream reader: an XADD (entries_added moved) or an XGROUP DESTROY (a group it saw
# is gone). Keyed by client; stale entries (timed out, disconnected) are dropped once they
# outnumber the blocked clients.
_blocked_reads: dict = {}


def _snapshot(stream: Stream) -> tuple[int, list[ConsumerGroup]]:
    return stream.entries_added, list(stream.groups.values())


def _remember_block(client, argv: list[bytes], streams: list[tuple[bytes, Stream]]) -> None:
    if len(_blocked_reads) > 2 * len(client.server.blocking) + 16:
        _drop_stale_blocks()  # amortised: only once stale entries outnumber the blocked clients
    _blocked_reads[client] = (argv, {key: _snapshot(stream) for key, stream in streams})


def _drop_stale_blocks() -> None:
    """Forget readers no longer blocked on the command they were remembered for."""
    for other, (other_argv, _seen) in list(_blocked_reads.items()):
        waiter = other.server.blocking.by_client.get(other.id)
        if waiter is None or waiter.argv is not other_argv:
            del _blocked_reads[other]


def _signalled_since_last_look(client, argv: list[bytes], key: bytes, stream: Stream) -> bool:
    """Whether an XADD or XGROUP DESTROY happened on ``key`` since the reader last looked."""
    state = _blocked_reads.get(client)
    if state is None or state[0] is not argv:
        return True
    seen = state[1]
    previous = seen.get(key)
    seen[key] = current = _snapshot(stream)
    if previous is None or previous[0] != current[0]:
        return True
    groups = current[1]
    return any(all(group is not now for now in groups) for group in previous[1])


def _serve_blocked(client, argv: list[bytes], args) -> object:
    """A re-run of a blocked ``>`` read after a write to one of its keys."""
    db = client.db
    for key in keys_to_serve(client, args.keys):
        stream = db.peek(key)
        if type(stream) is not Stream:
            _blocked_reads.pop(client, None)
            raise CommandError(KEY_GONE)
        group = stream.groups.get(args.group)
        if group is None:
            _blocked_reads.pop(client, None)
            raise CommandError(GROUP_GONE)
        if not _signalled_since_last_look(client, argv, key, stream) or stream.last_id <= group.last_id:
            continue
        _blocked_reads.pop(client, None)
        count = args.count or XREAD_BLOCKED_DEFAULT_COUNT
        return streams_reply(client, [(key, _read_new(client, key, stream, group, args.consumer, count, args.noack))])
    return block_on(args.keys, args.timeout_ms or 0)


def _xreadgroup_targets(client, args) -> list[tuple[bytes, Stream, ConsumerGroup, tuple[int, int] | None]]:
    """(key, stream, group, id or None for ``>``) per stream, checked in Redis's order."""
    targets = []
    db = client.db
    for key, raw in zip(args.keys, args.id_args):
        stream = get_stream(db, key)
        group = stream.groups.get(args.group) if stream is not None else None
        if group is None:
            raise CommandError(no_key_or_group(key, args.group) + " in XREADGROUP with GROUP option")
        if raw == b"$":
            raise CommandError(DOLLAR_IN_XREADGROUP)
        after = None if raw == b">" else parse_strict_id(raw)
        targets.append((key, stream, group, None if after == MAX_ID else after))
    return targets


@command("xreadgroup", -7, "write blocking", group="stream",
         keys=[KeySpec("RO ACCESS", keyword=("STREAMS", 4), lastkey=-1, limit=2)], since="5.0.0",
         summary="Return new entries from a stream using a consumer group, or access the history of the pending "
                 "entries for a given consumer. Can block.",
         complexity="For each stream mentioned: O(M) with M being the number of elements returned. If M is "
                    "constant (e.g. always asking for the first 10 elements with COUNT), you can consider it "
                    "O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to "
                    "serve the N clients blocked on the stream getting new data.")
def xreadgroup(client, argv):
    args = parse_xread_args(argv, True)
    if is_rerun(client):
        return _serve_blocked(client, argv, args)
    targets = _xreadgroup_targets(client, args)
    served = []
    for key, stream, group, after in targets:
        if after is not None:
            served.append((key, _read_history(client, key, stream, group, args.consumer, after, args.count)))
        elif _has_new(stream, group):
            served.append((key, _read_new(client, key, stream, group, args.consumer, args.count, args.noack)))
    if served or args.timeout_ms is None:
        return streams_reply(client, served)
    _remember_block(client, argv, [(key, stream) for key, stream, _group, _after in targets])
    return block_on(args.keys, args.timeout_ms)


# -- XACK ----------------------------------------------------------------------------------------


@command("xack", -4, "write fast", group="stream", keys=[KeySpec("RW UPDATE", index=1)], since="5.0.0",
         summary="Marks a pending message as correctly processed, effectively removing it from the pending "
                 "entries list of the consumer group. Return value of the command is the number of messages "
                 "successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
         complexity="O(1) for each message ID processed.")
def xack(client, argv):
    stream = get_stream(client.db, argv[1])
    group = stream.groups.get(argv[2]) if stream is not None else None
    if group is None:
        return 0
    ids = [parse_strict_id(raw) for raw in argv[3:]]
    acknowledged = sum(_forget_pending(group, stream_id) for stream_id in ids)
    _changed(client.db, acknowledged)
    return acknowledged


# -- XPENDING ------------------------------------------------------------------------------------


def _existing_group(client, key: bytes, name: bytes) -> tuple[Stream, ConsumerGroup]:
    """Stream and group for XPENDING/XCLAIM/XAUTOCLAIM: WRONGTYPE, or NOGROUP if either is missing."""
    stream = get_stream(client.db, key)
    group = stream.groups.get(name) if stream is not None else None
    if group is None:
        raise CommandError(no_key_or_group(key, name))
    return stream, group  # type: ignore[return-value]


def _start_bound(raw: bytes) -> tuple[int, int]:
    """A range start, ``(`` making it exclusive."""
    start, exclusive = parse_interval_id(raw, 0)
    if exclusive:
        start = incr_id(start)
        if start is None:
            raise CommandError(INVALID_START)
    return start


def _end_bound(raw: bytes) -> tuple[int, int]:
    """A range end, ``(`` making it exclusive."""
    end, exclusive = parse_interval_id(raw, 2**64 - 1)
    if exclusive:
        end = decr_id(end)
        if end is None:
            raise CommandError(INVALID_END)
    return end


def _pending_summary(group: ConsumerGroup) -> list:
    pel = group.pel
    if not pel:
        return [0, None, None, NULL_ARRAY]
    owners = [[consumer.name, b"%d" % len(consumer.pel)]
              for consumer in _sorted_values(group.consumers) if consumer.pel]
    return [len(pel), format_id(pel.peekitem(0)[0]), format_id(pel.peekitem(-1)[0]), owners]


def _pending_range(pel, start, end, count: int, min_idle: int, now: int) -> list:
    reply = []
    for stream_id in pel.irange(start, end):
        if len(reply) >= count:
            break
        pending = pel[stream_id]
        idle = now - pending.delivery_time
        if min_idle and idle < min_idle:
            continue
        reply.append([format_id(stream_id), pending.consumer.name, idle, pending.delivery_count])
    return reply


@command("xpending", -3, "readonly", group="stream", keys=[KeySpec("RO ACCESS", index=1)], since="5.0.0",
         tips="nondeterministic_output",
         summary="Return information and entries from a stream consumer group pending entries list, that are "
                 "messages fetched but never acknowledged.",
         complexity="O(N) with N being the number of elements returned, so asking for a small fixed number of "
                    "entries per call is O(1). O(M), where M is the total number of entries scanned when used "
                    "with the IDLE filter. When the command returns just the summary and the list of consumers "
                    "is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every "
                    "consumer.")
def xpending(client, argv):
    argc = len(argv)
    if argc != 3 and not 6 <= argc <= 9:
        raise CommandError(errors.SYNTAX)
    if argc == 3:
        _stream, group = _existing_group(client, argv[1], argv[2])
        return _pending_summary(group)
    first, min_idle = 3, 0
    if argv[3].lower() == b"idle":
        min_idle = _long(argv[4])
        if argc < 8:
            raise CommandError(errors.SYNTAX)
        first = 5
    count = max(_long(argv[first + 2]), 0)
    start, end = _start_bound(argv[first]), _end_bound(argv[first + 1])
    consumer_name = argv[first + 3] if first + 3 < argc else None
    _stream, group = _existing_group(client, argv[1], argv[2])
    pel = group.pel
    if consumer_name is not None:
        consumer = group.consumers.get(consumer_name)
        if consumer is None:
            return []
        pel = consumer.pel
    return _pending_range(pel, start, end, count, min_idle, client.server.clock.ms)


# -- XCLAIM / XAUTOCLAIM -------------------------------------------------------------------------


def _claimed_reply(stream: Stream, stream_id: tuple[int, int], justid: bool) -> object:
    if justid:
        return format_id(stream_id)
    return [format_id(stream_id), stream.get(stream_id)]


class _ClaimOptions:
    __slots__ = ("delivery_time", "force", "justid", "last_id", "retry_count")

    def __init__(self) -> None:
        self.delivery_time: int | None = None
        self.retry_count: int | None = None
        self.force = False
        self.justid = False
        self.last_id = MIN_ID


def _xclaim_options(argv: list[bytes], first: int, now: int) -> _ClaimOptions:
    options = _ClaimOptions()
    argc = len(argv)
    j = first
    while j < argc:
        moreargs = argc - 1 - j
        word = argv[j].lower()
        if word == b"force":
            options.force = True
        elif word == b"justid":
            options.justid = True
        elif word == b"idle" and moreargs:
            j += 1
            options.delivery_time = now - _long(argv[j], "ERR Invalid IDLE option argument for XCLAIM")
        elif word == b"time" and moreargs:
            j += 1
            options.delivery_time = _long(argv[j], "ERR Invalid TIME option argument for XCLAIM")
        elif word == b"retrycount" and moreargs:
            j += 1
            options.retry_count = _long(argv[j], "ERR Invalid RETRYCOUNT option argument for XCLAIM")
        elif word == b"lastid" and moreargs:
            j += 1
            options.last_id = parse_strict_id(argv[j])
        else:
            raise CommandError(f"ERR Unrecognized XCLAIM option '{_c_text(argv[j])}'")
        j += 1
    time = options.delivery_time
    if time is None or time < 0 or time > now:
        options.delivery_time = now  # Redis takes a bogus time as "now" rather than failing
    return options


def _leading_ids(argv: list[bytes], first: int) -> list[tuple[int, int]]:
    """XCLAIM's ids: the arguments from ``first`` that parse as strict ids, up to the first
    that does not (the options start there)."""
    ids = []
    for raw in argv[first:]:
        try:
            ids.append(parse_strict_id(raw))
        except CommandError:
            break
    return ids


@command("xclaim", -6, "write fast", group="stream", keys=[KeySpec("RW UPDATE", index=1)], since="5.0.0",
         tips="nondeterministic_output",
         summary="Changes (or acquires) ownership of a message in a consumer group, as if the message was "
                 "delivered to the specified consumer.",
         complexity="O(log N) with N being the number of messages in the PEL of the consumer group.")
def xclaim(client, argv):
    key = argv[1]
    stream, group = _existing_group(client, key, argv[2])
    min_idle = max(_long(argv[4], "ERR Invalid min-idle-time argument for XCLAIM"), 0)
    ids = _leading_ids(argv, 5)
    now = client.server.clock.ms
    options = _xclaim_options(argv, 5 + len(ids), now)
    db = client.db
    if options.last_id > group.last_id:
        group.last_id = options.last_id
        _changed(db)
    consumer = None
    reply = []
    for stream_id in ids:
        pending = group.pel.get(stream_id)
        if stream_id not in stream:
            if pending is not None:
                _forget_pending(group, stream_id)  # the entry is gone: so is its delivery
                _changed(db)
            continue
        if pending is None and not options.force:
            continue
        if pending is not None and min_idle and now - pending.delivery_time < min_idle:
            continue
        if consumer is None:
            consumer = _active_consumer(client, key, group, argv[3])
        if pending is None:  # FORCE: the entry enters the PEL here
            pending = group.pel[stream_id] = PendingEntry(consumer, now)
            consumer.pel[stream_id] = pending
        else:
            _claim(group, stream_id, pending, consumer)
        pending.delivery_time = options.delivery_time  # type: ignore[assignment]
        if options.retry_count is not None and options.retry_count >= 0:
            pending.delivery_count = options.retry_count
        elif not options.justid:
            pending.delivery_count += 1
        reply.append(_claimed_reply(stream, stream_id, options.justid))
        _changed(db)
    return reply


def _xautoclaim_options(argv: list[bytes]) -> tuple[int, bool]:
    count, justid = 100, False
    argc = len(argv)
    j = 6
    max_count = LLONG_MAX // 16  # LONG_MAX / max(sizeof(streamID), attempts factor)
    while j < argc:
        word = argv[j].lower()
        if word == b"count" and argc - 1 - j:
            count = parse_ll(argv[j + 1]) or 0
            if not 1 <= count <= max_count:
                raise CommandError(COUNT_POSITIVE)
            j += 1
        elif word == b"justid":
            justid = True
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    return count, justid


@command("xautoclaim", -6, "write fast", group="stream", keys=[KeySpec("RW DELETE", index=1)], since="6.2.0",
         tips="nondeterministic_output",
         summary="Changes (or acquires) ownership of messages in a consumer group, as if the messages were "
                 "delivered to the specified consumer.",
         complexity="O(1) if COUNT is small.")
def xautoclaim(client, argv):
    min_idle = max(_long(argv[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM"), 0)
    start = _start_bound(argv[5])
    count, justid = _xautoclaim_options(argv)
    key = argv[1]
    stream, group = _existing_group(client, key, argv[2])
    if count * 16 >= XAUTOCLAIM_MAX_ALLOC:
        raise CommandError(COUNT_TOO_HIGH)
    db = client.db
    now = client.server.clock.ms
    attempts = count * 10
    consumer = None
    claimed: list = []
    deleted: list = []
    candidates = list(islice(group.pel.irange(start, None), attempts + 1))
    visited = 0
    while attempts and count and visited < len(candidates):
        attempts -= 1
        stream_id = candidates[visited]
        visited += 1
        if stream_id not in stream:
            _forget_pending(group, stream_id)
            _changed(db)
            deleted.append(format_id(stream_id))
            count -= 1  # deleted ids count towards COUNT too
            continue
        pending = group.pel[stream_id]
        if min_idle and now - pending.delivery_time < min_idle:
            continue
        if consumer is None:
            consumer = _active_consumer(client, key, group, argv[3])
        _claim(group, stream_id, pending, consumer)
        pending.delivery_time = now
        if not justid:
            pending.delivery_count += 1
        claimed.append(_claimed_reply(stream, stream_id, justid))
        count -= 1
        _changed(db)
    cursor = candidates[visited] if visited < len(candidates) else MIN_ID
    return [format_id(cursor), claimed, deleted]


# -- XINFO ---------------------------------------------------------------------------------------

container("xinfo", -2, group="stream", since="5.0.0", summary="A container for stream introspection commands")

XINFO_HELP = (
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
)
_XINFO_HELP_REPLY = [Status(line) for line in XINFO_HELP]


def rax_node_count(keys: list[tuple[int, int]]) -> int:
    """How many nodes Redis's rax holds for these stream node keys (ascending ids, each a
    16-byte big-endian key): the root, then per edge of the compressed trie one node where
    the edge leaves a branching node and, when the edge spans more than one byte, one more
    where it ends (a leaf, or the next branching node); plus the root's own chain down to
    the first branching node when the root does not branch. O(n) over the keys' common
    prefix lengths."""
    if not keys:
        return 1
    values = [(ms << 64) | seq for ms, seq in keys]
    edges: list[tuple[int, int]] = []  # (parent depth, child depth), depths in bytes; a leaf is 16
    stack: list[int] = []  # depths of the branching nodes on the path to the newest key
    for previous, current in pairwise(values):
        common = (128 - (previous ^ current).bit_length()) // 8
        below = 16
        while stack and stack[-1] > common:
            depth = stack.pop()
            edges.append((depth, below))
            below = depth
        if not stack or stack[-1] < common:
            stack.append(common)
        edges.append((common, below))
    below = 16
    while stack:
        depth = stack.pop()
        edges.append((depth, below))
        below = depth
    count = 1 if below == 0 else 2  # the root, and its chain when it does not branch
    return count + sum(1 if child == parent + 1 else 2 for parent, child in edges)


def _entry_or_none(stream: Stream, index: int) -> list | None:
    entry = stream.first_entry() if index == 0 else stream.last_entry()
    if entry is None:
        return None
    return [format_id(entry[0]), entry[1]]


def _stream_header(stream: Stream) -> list:
    return [
        (b"length", len(stream)),
        (b"radix-tree-keys", len(stream.nodes)),
        (b"radix-tree-nodes", rax_node_count(stream.node_keys)),
        (b"last-generated-id", format_id(stream.last_id)),
        (b"max-deleted-entry-id", format_id(stream.max_deleted_id)),
        (b"entries-added", stream.entries_added),
        (b"recorded-first-entry-id", format_id(stream.first_id)),
    ]


def _entries_read(group: ConsumerGroup) -> int | None:
    return None if group.entries_read == UNKNOWN else group.entries_read


def _full_group(stream: Stream, group: ConsumerGroup, count: int) -> Map:
    limit = count or None
    pending = [[format_id(stream_id), entry.consumer.name, entry.delivery_time, entry.delivery_count]
               for stream_id, entry in islice(group.pel.items(), limit)]
    consumers = [
        Map([
            (b"name", consumer.name),
            (b"seen-time", consumer.seen_time),
            (b"pel-count", len(consumer.pel)),
            (b"pending", [[format_id(stream_id), entry.delivery_time, entry.delivery_count]
                          for stream_id, entry in islice(consumer.pel.items(), limit)]),
        ])
        for consumer in _sorted_values(group.consumers)
    ]
    return Map([
        (b"name", group.name),
        (b"last-delivered-id", format_id(group.last_id)),
        (b"entries-read", _entries_read(group)),
        (b"lag", group_lag(stream, group)),
        (b"pel-count", len(group.pel)),
        (b"pending", pending),
        (b"consumers", consumers),
    ])


def _info_stream_full(stream: Stream, count: int) -> Map:
    entries = stream.range_rows(MIN_ID, MAX_ID, count)
    groups = [_full_group(stream, group, count) for group in _sorted_values(stream.groups)]
    return Map(_stream_header(stream) + [(b"entries", entries), (b"groups", groups)])


def _info_stream(stream: Stream) -> Map:
    return Map(_stream_header(stream) + [
        (b"groups", len(stream.groups)),
        (b"first-entry", _entry_or_none(stream, 0)),
        (b"last-entry", _entry_or_none(stream, -1)),
    ])


def _xinfo_stream_of(client, key: bytes) -> Stream:
    stream = get_stream(client.db, key)
    if stream is None:
        raise CommandError(errors.NO_SUCH_KEY)
    return stream


_XINFO_KEY = [KeySpec("RO ACCESS", index=2)]


@command("xinfo|stream", -3, "readonly", group="stream", keys=_XINFO_KEY, since="5.0.0",
         summary="Get information about a stream")
def xinfo_stream(client, argv):
    stream = _xinfo_stream_of(client, argv[2])
    argc = len(argv)
    if argc == 3:
        return _info_stream(stream)
    if argv[3].lower() != b"full" or argc not in (4, 6) or (argc == 6 and argv[4].lower() != b"count"):
        raise CommandError(errors.unknown_subcommand_or_arity(argv[1], "xinfo"))
    count = 10
    if argc == 6:
        count = max(_long(argv[5]), 0)
    return _info_stream_full(stream, count)


@command("xinfo|groups", 3, "readonly", group="stream", keys=_XINFO_KEY, since="5.0.0",
         summary="List the consumer groups of a stream")
def xinfo_groups(client, argv):
    stream = _xinfo_stream_of(client, argv[2])
    return [
        Map([
            (b"name", group.name),
            (b"consumers", len(group.consumers)),
            (b"pending", len(group.pel)),
            (b"last-delivered-id", format_id(group.last_id)),
            (b"entries-read", _entries_read(group)),
            (b"lag", group_lag(stream, group)),
        ])
        for group in _sorted_values(stream.groups)
    ]


@command("xinfo|consumers", 4, "readonly", group="stream", keys=_XINFO_KEY, since="5.0.0",
         tips="nondeterministic_output",
         summary="List the consumers in a consumer group")
def xinfo_consumers(client, argv):
    stream = _xinfo_stream_of(client, argv[2])
    group = stream.groups.get(argv[3])
    if group is None:
        raise CommandError(no_group_for_key(argv[2], argv[3]))
    now = client.server.clock.ms
    return [
        Map([(b"name", consumer.name), (b"pending", len(consumer.pel)), (b"idle", max(now - consumer.seen_time, 0))])
        for consumer in _sorted_values(group.consumers)
    ]


@command("xinfo|help", 2, "loading stale", group="stream", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def xinfo_help(client, argv):
    return _XINFO_HELP_REPLY
