"""Stream commands, core part: XADD, XLEN, XRANGE/XREVRANGE, XDEL, XTRIM, XSETID and XREAD
[BLOCK]. The data model (ids, :class:`Stream`, listpack node emulation) is in stream_type.py;
consumer groups (XGROUP, XREADGROUP, XACK, ..., XINFO) are in stream_groups.py.

Argument checks follow Redis 7.0's ``t_stream.c`` in order, since the order decides which
error a bad command gets: XADD/XTRIM parse every option before looking the key up, XADD
checks its arity after the options and refuses ``0-0`` before creating the stream; XDEL and
XTRIM answer 0 for a missing key; XRANGE answers an empty array for a missing key and a null
array for ``COUNT 0`` (or a negative count).

Writes go through the Database API: ``db.set`` when XADD creates the stream, ``db.touch``
after a change in place. A stream emptied by XDEL or XTRIM stays (Redis keeps empty
streams). The dirty counter moves as Redis's ``server.dirty``: 1 per XADD and XSETID, one per
removed entry for XDEL and XTRIM. Keyspace events, as 7.0 sends them: ``xadd`` (then
``xtrim`` when its trimming removed something), ``xtrim``, ``xdel``, ``xsetid``.

Helpers for XREADGROUP (stream_groups.py) and other readers of streams:

* :func:`parse_xread_args` parses XREAD/XREADGROUP's options (COUNT, BLOCK, STREAMS, GROUP,
  NOACK) with Redis's errors; ``args.keys`` and ``args.id_args`` are the two halves after
  STREAMS;
* :func:`entries_reply` / :func:`range_reply` build ``[[id, [field, value, ...]], ...]``;
* :func:`streams_reply` wraps ``[(key, entries), ...]`` as XREAD replies: an array of
  ``[key, entries]`` pairs in RESP2, a map in RESP3;
* :func:`block_on` returns the :class:`~node.blocking.Block` for a BLOCK timeout (a null
  array on timeout, and at once inside MULTI/EXEC, as Redis does);
* :func:`pin_arg` / :func:`pinned`: a blocked command is re-run with the same argv list, so
  its first run pins what it resolved onto the argument, in place: the argument still reads
  as sent (``$``: MONITOR and SLOWLOG show what the client sent) and carries the value;
* :data:`XREAD_BLOCKED_DEFAULT_COUNT`: the COUNT used when a blocked reader is served
  without one.

Blocked XREAD. Before blocking, each id argument is pinned to (the id, ``$`` resolved to the
stream's last id then; the stream's ``entries_added`` then). The node re-runs the command
after writes to its keys; a re-run looks only at the key that became ready
(:func:`node.blocking.keys_to_serve`) and answers that stream alone, as Redis's
serveClientsBlockedOnStreamKey does, when entries were added to it since (Redis re-checks a
stream only after XADD) and its last id is above the reader's id (Redis's test: so an XADD
then XDEL in one transaction answers an empty entry list, and XSETID alone wakes no one). A
key turned into another type keeps the reader waiting.
"""

from __future__ import annotations

from node import errors
from node.blocking import Block, is_rerun, keys_to_serve
from node.commands.keys import parse_ll
from node.commands.spec import KeySpec, command
from node.commands.stream_type import (
    ID_EXHAUSTED,
    ID_TOO_SMALL,
    ID_ZERO,
    INVALID_END,
    INVALID_START,
    MAX_ID,
    MIN_ID,
    STREAM_LISTPACK_MAX_SIZE,
    TRIM_MAXLEN,
    TRIM_MINID,
    UINT64_MAX,
    Stream,
    decr_id,
    get_stream,
    incr_id,
    parse_add_id,
    parse_interval_id,
    parse_strict_id,
)
from node.errors import CommandError
from node.notify import NOTIFY_STREAM, key_event
from node.replies import NULL_ARRAY, OK, Map

XREAD_BLOCKED_DEFAULT_COUNT = 1000

MAXLEN_AND_MINID = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
MAXLEN_NEGATIVE = "ERR The MAXLEN argument must be >= 0."
LIMIT_NEGATIVE = "ERR The LIMIT argument must be >= 0."
LIMIT_WITHOUT_STRATEGY = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
XTRIM_WITHOUT_STRATEGY = "ERR syntax error, XTRIM must be called with a trimming strategy"
LIMIT_WITHOUT_TILDE = "ERR syntax error, LIMIT cannot be used without the special ~ option"
ELEMENTS_TOO_LARGE = "ERR Elements are too large to be stored"
SETID_SMALLER_THAN_TOP = "ERR The ID specified in XSETID is smaller than the target stream top item"
SETID_SMALLER_THAN_GIVEN_MAX_DELETED = (
    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
)
SETID_ENTRIES_ADDED_NEGATIVE = "ERR entries_added must be positive"
SETID_ENTRIES_ADDED_SMALL = "ERR The entries_added specified in XSETID is smaller than the target stream length"
TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range"
GROUP_ONLY_XREADGROUP = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
NOACK_ONLY_XREADGROUP = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
MISSING_GROUP = "ERR Missing GROUP option for XREADGROUP"
GT_ONLY_XREADGROUP = (
    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
)
DOLLAR_IN_XREADGROUP = (
    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this "
    "consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just "
    "return an empty result set."
)


def unbalanced_streams(name: str, symbol: str) -> str:
    return (f"ERR Unbalanced {name} list of streams: for each stream key an ID or '{symbol}' "
            "must be specified.")


# -- replies --------------------------------------------------------------------------------------


def entries_reply(pairs) -> list:
    """``[[id, [field, value, ...]], ...]`` for ``(id, flat)`` pairs (:meth:`Stream.range`)."""
    return [[b"%d-%d" % stream_id, flat] for stream_id, flat in pairs]


def range_reply(stream: Stream, start: tuple[int, int], end: tuple[int, int], count: int = 0,
                rev: bool = False, exclude_start: bool = False) -> list:
    """streamReplyWithRange: entries with start <= id <= end (start < id with
    ``exclude_start``), at most ``count`` of them (0: all), from the end when ``rev``."""
    if exclude_start:
        start = incr_id(start)
        if start is None:
            return []
    return stream.range_rows(start, end, count, rev)


def streams_reply(client, served: list[tuple[bytes, list]]) -> object:
    """XREAD's reply for ``[(key, entries), ...]``: ``[[key, entries], ...]`` in RESP2, a map
    ``{key: entries}`` in RESP3; a null array when nothing was served."""
    if not served:
        return NULL_ARRAY
    if client.proto == 3:
        return Map(served)
    return [[key, entries] for key, entries in served]


# -- XADD / XTRIM arguments ----------------------------------------------------------------------


class TrimArgs:
    """streamAddTrimArgs: XADD's and XTRIM's parsed options (``idpos``: the id's position)."""

    __slots__ = ("strategy", "approx", "maxlen", "minid", "limit", "id", "id_given", "nomkstream", "idpos")

    def __init__(self) -> None:
        self.strategy = 0
        self.approx = False
        self.maxlen = 0
        self.minid = MIN_ID
        self.limit = 0
        self.id: tuple[int, int | None] = MIN_ID
        self.id_given = False
        self.nomkstream = False
        self.idpos = 0


def _long(raw: bytes, error: str = errors.NOT_INTEGER) -> int:
    value = parse_ll(raw)
    if value is None:
        raise CommandError(error)
    return value


def _tilde_or_equal(args: TrimArgs, argv: list[bytes], i: int, moreargs: int) -> int:
    """Skip an optional ``~`` (approximate) or ``=`` after MAXLEN/MINID; the threshold's index."""
    if args.strategy:
        raise CommandError(MAXLEN_AND_MINID)
    args.approx = False
    if moreargs >= 2:
        following = argv[i + 1]
        if following == b"~":
            args.approx = True
            return i + 2
        if following == b"=":
            return i + 2
    return i + 1


def parse_add_or_trim(argv: list[bytes], xadd: bool, node_max_entries: int) -> TrimArgs:
    """streamParseAddOrTrimArgsOrReply: options from argv[2]; for XADD, up to the id."""
    args = TrimArgs()
    argc = len(argv)
    limit_given = False
    i = 2
    while i < argc:
        moreargs = argc - 1 - i
        opt = argv[i]
        if xadd and opt == b"*":
            break
        word = opt.lower()
        if word == b"maxlen" and moreargs:
            i = _tilde_or_equal(args, argv, i, moreargs)
            args.maxlen = _long(argv[i])
            if args.maxlen < 0:
                raise CommandError(MAXLEN_NEGATIVE)
            args.strategy = TRIM_MAXLEN
        elif word == b"minid" and moreargs:
            i = _tilde_or_equal(args, argv, i, moreargs)
            args.minid = parse_strict_id(argv[i])
            args.strategy = TRIM_MINID
        elif word == b"limit" and moreargs:
            i += 1
            args.limit = _long(argv[i])
            if args.limit < 0:
                raise CommandError(LIMIT_NEGATIVE)
            limit_given = True
        elif xadd and word == b"nomkstream":
            args.nomkstream = True
        elif xadd:
            args.id = parse_add_id(opt)
            args.id_given = True
            break
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    args.idpos = i
    if args.limit and not args.strategy:
        raise CommandError(LIMIT_WITHOUT_STRATEGY)
    if not xadd and not args.strategy:
        raise CommandError(XTRIM_WITHOUT_STRATEGY)
    if limit_given:
        if not args.approx:
            raise CommandError(LIMIT_WITHOUT_TILDE)
    elif args.approx:
        # At most 100 nodes' worth of work by default, capped both ways.
        limit = 100 * node_max_entries
        args.limit = 10000 if limit <= 0 else min(limit, 1000000)
    else:
        args.limit = 0
    return args


def _trim(stream: Stream, args: TrimArgs) -> int:
    return stream.trim(args.strategy, args.maxlen, args.minid, args.approx, args.limit)


# -- XADD -----------------------------------------------------------------------------------------


def _payload(fields: tuple[bytes, ...]) -> int:
    """The entry's total length, refused past what a listpack can hold."""
    payload = sum(map(len, fields))
    if payload > STREAM_LISTPACK_MAX_SIZE:
        raise CommandError(ELEMENTS_TOO_LARGE)
    return payload


def _new_id(stream: Stream, args: TrimArgs, now_ms: int) -> tuple[int, int]:
    """The id XADD will use (streamAppendItem's choice), checked above the stream's top."""
    last = stream.last_id
    if not args.id_given:
        new = stream.next_id(now_ms)
    else:
        ms, seq = args.id
        if seq is not None:
            new = (ms, seq)
        elif ms == last[0]:
            new = incr_id(last) if last[1] < UINT64_MAX else None
        else:
            new = (ms, 0)
    if new is None or new <= last:
        raise CommandError(ID_TOO_SMALL)
    return new  # type: ignore[return-value]


@command("xadd", -5, "write denyoom fast", group="stream",
         keys=[KeySpec("RW UPDATE", index=1, notes="UPDATE instead of INSERT because of the optional trimming feature")],
         tips="nondeterministic_output", since="5.0.0", summary="Appends a new entry to a stream",
         complexity="O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.")
def xadd(client, argv):
    if argv[2] == b"*" and len(argv) == 5:  # XADD key * field value: the common form
        db = client.db
        key = argv[1]
        stream = db.get(key)
        if type(stream) is Stream:
            server = client.server
            config = server.config
            field, value = argv[3], argv[4]
            if len(field) + len(value) <= STREAM_LISTPACK_MAX_SIZE:
                new_id = stream.append_now(server.clock.ms, field, value, config.stream_node_max_bytes,
                                           config.stream_node_max_entries)
                if new_id is not None:
                    db.touch(key)
                    if server.notify_flags:
                        key_event(client, NOTIFY_STREAM, b"xadd", key)
                    return b"%d-%d" % new_id
        return _xadd(client, argv, stream)
    return _xadd(client, argv)


_NOT_LOOKED_UP = object()


def _xadd(client, argv, stream=_NOT_LOOKED_UP):
    """XADD in general (``stream``: the key's value when the caller looked it up already)."""
    server = client.server
    config = server.config
    if argv[2] == b"*":  # without options
        args = None
        field_pos = 3
    else:
        args = parse_add_or_trim(argv, True, config.stream_node_max_entries)
        field_pos = args.idpos + 1
    nargs = len(argv) - field_pos
    if nargs < 2 or nargs & 1:
        raise CommandError(errors.wrong_arity("xadd"))
    if args is not None and args.id_given and args.id == MIN_ID:
        raise CommandError(ID_ZERO)
    db = client.db
    key = argv[1]
    if stream is _NOT_LOOKED_UP:
        stream = db.get(key)
    created = stream is None
    if created:
        if args is not None and args.nomkstream:
            return None
        stream = Stream()
    elif type(stream) is not Stream:
        raise CommandError(errors.WRONGTYPE)
    elif stream.last_id == MAX_ID:
        raise CommandError(ID_EXHAUSTED)
    now_ms = server.clock.ms
    max_bytes, max_entries = config.stream_node_max_bytes, config.stream_node_max_entries
    fields = tuple(argv[field_pos:])
    if args is not None and args.id_given:
        new_id = _new_id(stream, args, now_ms)
        stream.append(new_id, fields, max_bytes, max_entries, _payload(fields))
    else:
        payload = _payload(fields)
        new_id = stream.append_now(now_ms, fields[0], fields[1], max_bytes, max_entries) if nargs == 2 else None
        if new_id is None:
            new_id = stream.next_id(now_ms)  # not None: MAX_ID is refused above
            stream.append(new_id, fields, max_bytes, max_entries, payload)
    base = db.clock.dirty
    if created:
        db.set(key, stream)
    else:
        db.touch(key)
    if server.notify_flags:
        key_event(client, NOTIFY_STREAM, b"xadd", key, created)
        if args is not None and args.strategy and _trim(stream, args):
            key_event(client, NOTIFY_STREAM, b"xtrim", key)
    elif args is not None and args.strategy:
        _trim(stream, args)
    db.clock.dirty = base + 1
    return b"%d-%d" % new_id


# -- XLEN, XRANGE, XREVRANGE ----------------------------------------------------------------------


@command("xlen", 2, "readonly fast", group="stream", keys=[KeySpec("RO", index=1)], since="5.0.0",
         summary="Return the number of entries in a stream")
def xlen(client, argv):
    stream = get_stream(client.db, argv[1])
    return 0 if stream is None else stream.length


def _xrange(client, argv, rev: bool):
    start_arg, end_arg = (argv[3], argv[2]) if rev else (argv[2], argv[3])
    start, exclusive = parse_interval_id(start_arg, 0)
    if exclusive:
        start = incr_id(start)
        if start is None:
            raise CommandError(INVALID_START)
    end, exclusive = parse_interval_id(end_arg, UINT64_MAX)
    if exclusive:
        end = decr_id(end)
        if end is None:
            raise CommandError(INVALID_END)
    count = -1
    j = 4
    argc = len(argv)
    while j < argc:
        if argv[j].lower() == b"count" and j + 1 < argc:
            count = max(_long(argv[j + 1]), 0)
            j += 2
        else:
            raise CommandError(errors.SYNTAX)
    stream = get_stream(client.db, argv[1])
    if stream is None:
        return []
    if count == 0:
        return NULL_ARRAY
    return range_reply(stream, start, end, max(count, 0), rev)


_RANGE_KEYS = [KeySpec("RO ACCESS", index=1)]


@command("xrange", -4, "readonly", group="stream", keys=_RANGE_KEYS, since="5.0.0",
         summary="Return a range of elements in a stream, with IDs matching the specified IDs interval",
         complexity="O(N) with N being the number of elements being returned. If N is constant (e.g. always "
                    "asking for the first 10 elements with COUNT), you can consider it O(1).")
def xrange(client, argv):
    return _xrange(client, argv, False)


@command("xrevrange", -4, "readonly", group="stream", keys=_RANGE_KEYS, since="5.0.0",
         summary="Return a range of elements in a stream, with IDs matching the specified IDs interval, in "
                 "reverse order (from greater to smaller IDs) compared to XRANGE",
         complexity="O(N) with N being the number of elements returned. If N is constant (e.g. always asking "
                    "for the first 10 elements with COUNT), you can consider it O(1).")
def xrevrange(client, argv):
    return _xrange(client, argv, True)


# -- XDEL, XTRIM, XSETID --------------------------------------------------------------------------


def _changed(client, key: bytes, base: int, dirty: int, event: bytes) -> None:
    """The stream at ``key`` changed in place: signal WATCH, count ``dirty``, publish ``event``."""
    db = client.db
    db.touch(key)
    db.clock.dirty = base + dirty
    if client.server.notify_flags:
        key_event(client, NOTIFY_STREAM, event, key)


@command("xdel", -3, "write fast", group="stream", keys=[KeySpec("RW DELETE", index=1)], since="5.0.0",
         summary="Removes the specified entries from the stream. Returns the number of items actually deleted, "
                 "that may be different from the number of IDs passed in case certain IDs do not exist.",
         complexity="O(1) for each single item to delete in the stream, regardless of the stream size.")
def xdel(client, argv):
    db = client.db
    key = argv[1]
    stream = get_stream(db, key)
    if stream is None:
        return 0
    ids = [parse_strict_id(raw) for raw in argv[2:]]
    deleted = sum(1 for stream_id in ids if stream.delete(stream_id))
    if deleted:
        _changed(client, key, db.clock.dirty, deleted, b"xdel")
    return deleted


@command("xtrim", -4, "write", group="stream", keys=[KeySpec("RW DELETE", index=1)],
         tips="nondeterministic_output", since="5.0.0",
         summary="Trims the stream to (approximately if '~' is passed) a certain size",
         complexity="O(N), with N being the number of evicted entries. Constant times are very small however, "
                    "since entries are organized in macro nodes containing multiple entries that can be "
                    "released with a single deallocation.")
def xtrim(client, argv):
    args = parse_add_or_trim(argv, False, client.server.config.stream_node_max_entries)
    db = client.db
    key = argv[1]
    stream = get_stream(db, key)
    if stream is None:
        return 0
    deleted = _trim(stream, args)
    if deleted:
        _changed(client, key, db.clock.dirty, deleted, b"xtrim")
    return deleted


def _xsetid_options(argv: list[bytes], new_id: tuple[int, int]) -> tuple[int, tuple[int, int]]:
    """ENTRIESADDED and MAXDELETEDID: (entries_added or -1, max_deleted_id or 0-0)."""
    entries_added, max_deleted = -1, MIN_ID
    i, argc = 3, len(argv)
    while i < argc:
        word = argv[i].lower()
        if word == b"entriesadded" and i + 1 < argc:
            entries_added = _long(argv[i + 1])
            if entries_added < 0:
                raise CommandError(SETID_ENTRIES_ADDED_NEGATIVE)
        elif word == b"maxdeletedid" and i + 1 < argc:
            max_deleted = parse_strict_id(argv[i + 1])
            if new_id < max_deleted:
                raise CommandError(SETID_SMALLER_THAN_GIVEN_MAX_DELETED)
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    return entries_added, max_deleted


@command("xsetid", -3, "write denyoom fast", group="stream", keys=[KeySpec("RW UPDATE", index=1)],
         since="5.0.0", summary="An internal command for replicating stream values")
def xsetid(client, argv):
    new_id = parse_strict_id(argv[2])
    entries_added, max_deleted = _xsetid_options(argv, new_id)
    db = client.db
    key = argv[1]
    stream = get_stream(db, key)
    if stream is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if stream.length:
        if new_id < stream.last_entry_id():
            raise CommandError(SETID_SMALLER_THAN_TOP)
        if entries_added != -1 and stream.length > entries_added:
            raise CommandError(SETID_ENTRIES_ADDED_SMALL)
    stream.last_id = new_id
    if entries_added != -1:
        stream.entries_added = entries_added
    if max_deleted != MIN_ID:
        stream.max_deleted_id = max_deleted
    db.clock.dirty += 1  # no db.touch: 7.0's XSETID does not signal the key (WATCH ignores it)
    if client.server.notify_flags:
        key_event(client, NOTIFY_STREAM, b"xsetid", key)
    return OK


# -- XREAD ----------------------------------------------------------------------------------------


class XReadArgs:
    """XREAD/XREADGROUP options: ``timeout_ms`` (None without BLOCK, 0 = forever), ``count``
    (0 = no limit), ``streams_arg`` (index of the first key), ``keys``, ``id_args`` (the raw
    ids, same order), ``group``/``consumer`` (XREADGROUP), ``noack``."""

    __slots__ = ("timeout_ms", "count", "streams_arg", "keys", "id_args", "group", "consumer", "noack")

    def __init__(self) -> None:
        self.timeout_ms: int | None = None
        self.count = 0
        self.streams_arg = 0
        self.keys: list[bytes] = []
        self.id_args: list[bytes] = []
        self.group: bytes | None = None
        self.consumer: bytes | None = None
        self.noack = False


def parse_block_timeout(raw: bytes) -> int:
    """getTimeoutFromObjectOrReply(UNIT_MILLISECONDS): milliseconds, 0 meaning forever. 7.0.15
    has no "out of range" check: a timeout that overflows its deadline waits forever."""
    value = parse_ll(raw)
    if value is None:
        raise CommandError(TIMEOUT_NOT_INTEGER)
    if value < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    return value


def parse_xread_args(argv: list[bytes], xreadgroup: bool) -> XReadArgs:
    """XREAD [COUNT n] [BLOCK ms] STREAMS key... id... (and XREADGROUP's GROUP g c, NOACK)."""
    args = XReadArgs()
    argc = len(argv)
    i = 1
    while i < argc:
        moreargs = argc - i - 1
        word = argv[i].lower()
        if word == b"block" and moreargs:
            i += 1
            args.timeout_ms = parse_block_timeout(argv[i])
        elif word == b"count" and moreargs:
            i += 1
            args.count = max(_long(argv[i]), 0)
        elif word == b"streams" and moreargs:
            start = i + 1
            if (argc - start) % 2:
                # 7.0.15 names XREAD and '$' for XREADGROUP too
                raise CommandError(unbalanced_streams("XREAD", "$"))
            half = (argc - start) // 2
            args.streams_arg = start
            args.keys = argv[start:start + half]
            args.id_args = argv[start + half:]
            break
        elif word == b"group" and moreargs >= 2:
            if not xreadgroup:
                raise CommandError(GROUP_ONLY_XREADGROUP)
            args.group, args.consumer = argv[i + 1], argv[i + 2]
            i += 2
        elif word == b"noack":
            if not xreadgroup:
                raise CommandError(NOACK_ONLY_XREADGROUP)
            args.noack = True
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    if not args.streams_arg:
        raise CommandError(errors.SYNTAX)
    if xreadgroup and args.group is None:
        raise CommandError(MISSING_GROUP)
    return args


class _Pinned(bytes):
    """An argv element that still reads as the client sent it (``$``, ``0``...) but carries
    what the command resolved it to when it first ran."""

    pinned: object


def pin_arg(argv: list[bytes], index: int, value: object) -> None:
    """Replace ``argv[index]`` in place by an equal bytes value that carries ``value``: a
    blocked command is re-run with the same argv list, so this is how its first run tells
    the re-runs what it saw (``$`` resolved to the then last id, say)."""
    arg = _Pinned(argv[index])
    arg.pinned = value
    argv[index] = arg


def pinned(raw: bytes) -> object | None:
    """The value :func:`pin_arg` attached to this argument, or None."""
    return raw.pinned if type(raw) is _Pinned else None


def block_on(keys: list[bytes], timeout_ms: int) -> Block:
    """Block on ``keys`` for ``timeout_ms`` (0: forever); a null array when it times out."""
    return Block(list(keys), timeout_ms / 1000.0, NULL_ARRAY)


def _xread_ids(db, args: XReadArgs) -> list[tuple[bytes, Stream | None, tuple[int, int]]]:
    """(key, stream or None, id) per stream, in Redis's order: each key's type, then its id."""
    resolved = []
    for key, raw in zip(args.keys, args.id_args):
        stream = db.get(key)
        if stream is not None and type(stream) is not Stream:
            raise CommandError(errors.WRONGTYPE)
        if raw == b"$":
            stream_id = stream.last_id if stream is not None else MIN_ID
        elif raw == b">":
            raise CommandError(GT_ONLY_XREADGROUP)
        else:
            stream_id = parse_strict_id(raw)
        resolved.append((key, stream, stream_id))
    return resolved


def _has_entries_after(stream: Stream | None, stream_id: tuple[int, int]) -> bool:
    if stream is None:
        return False
    last = stream.last_entry_id()
    return last is not None and last > stream_id


def _pin_ids(argv: list[bytes], args: XReadArgs, resolved) -> None:
    """Before blocking: pin each id argument to (id, the stream's entries_added or -1)."""
    first_id = args.streams_arg + len(resolved)
    for offset, (_key, stream, stream_id) in enumerate(resolved):
        pin_arg(argv, first_id + offset, (stream_id, stream.entries_added if stream is not None else -1))


def _serve_blocked(client, argv: list[bytes], args: XReadArgs) -> object:
    """A re-run: answer from the key that became ready, alone, when entries were added to it
    since the reader blocked and its last id is above the reader's (Redis's condition, so an
    XADD+XDEL in one transaction answers an empty list); otherwise keep waiting."""
    db = client.db
    first_id = args.streams_arg + len(args.keys)
    for key in keys_to_serve(client, args.keys):
        stream = db.get(key)
        if type(stream) is not Stream:
            continue
        stream_id, seen_added = pinned(argv[first_id + args.keys.index(key)])  # type: ignore[misc]
        if stream.entries_added != seen_added and stream.last_id > stream_id:
            count = args.count or XREAD_BLOCKED_DEFAULT_COUNT
            return streams_reply(client, [(key, range_reply(stream, stream_id, MAX_ID, count, exclude_start=True))])
    return block_on(args.keys, args.timeout_ms or 0)


_XREAD_COMPLEXITY = (
    "For each stream mentioned: O(N) with N being the number of elements being returned, it means that "
    "XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time "
    "in order to serve the M clients blocked on the stream getting new data."
)


@command("xread", -4, "readonly blocking", group="stream",
         keys=[KeySpec("RO ACCESS", keyword=("STREAMS", 1), lastkey=-1, limit=2)], since="5.0.0",
         summary="Return never seen elements in multiple streams, with IDs greater than the ones reported by "
                 "the caller for each stream. Can block.",
         complexity=_XREAD_COMPLEXITY)
def xread(client, argv):
    args = parse_xread_args(argv, False)
    if is_rerun(client):
        return _serve_blocked(client, argv, args)
    db = client.db
    resolved = _xread_ids(db, args)
    # Redis looks every key up again to serve it (so keyspace hits/misses count twice).
    served = [
        (key, range_reply(stream, stream_id, MAX_ID, args.count, exclude_start=True))  # type: ignore[arg-type]
        for key, _stream, stream_id in resolved
        if _has_entries_after(stream := db.get(key), stream_id)
    ]
    if served or args.timeout_ms is None:
        return streams_reply(client, served)
    _pin_ids(argv, args, resolved)
    return block_on(args.keys, args.timeout_ms)
