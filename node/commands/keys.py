"""Generic key commands: DEL, UNLINK, EXISTS, TYPE, RENAME(NX), COPY, MOVE, SWAPDB, FLUSHDB,
FLUSHALL, KEYS, SCAN, RANDOMKEY, DBSIZE, TOUCH, OBJECT, the EXPIRE family, TTL family, PERSIST.

Also the helpers other command families share:

* :func:`type_name`, :func:`object_encoding`, :func:`copy_value` and :func:`register_type`:
  how a stored value answers TYPE / OBJECT ENCODING / COPY. Strings (``bytes``) are built
  in; a collection type registers itself once (``register_type(MyList, b"list",
  encoding=..., copy=...)``) or defines ``type_name``/``encoding()``/``copy()``.
* :func:`stringmatchlen` (a line-by-line port of Redis's glob matcher, for reference and
  tests) and :func:`compile_glob` (the same semantics compiled to a linear-time regex, for
  KEYS, SCAN MATCH and later HSCAN/PSUBSCRIBE/CONFIG GET).
* :func:`parse_ll` / :func:`parse_int_arg`: Redis's strict ``string2ll`` integer syntax.

SCAN's cursor design and RANDOMKEY's sampling live in ``keyspace/db.py`` (see its
docstring). Every change goes through the ``Database`` methods, so WATCH and the dirty
counter see it.
"""

from __future__ import annotations

import copy as _copy
import functools
import re
from typing import Callable

from node import errors
from node.commands.spec import KeySpec, command, container
from node.errors import CommandError
from node.notify import NOTIFY_GENERIC, NOTIFY_NEW, db_event, key_event
from node.replies import OK, Status

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)
INT_MAX = 2**31 - 1
INT_MIN = -(2**31)
ULONG_MAX = 2**64 - 1
SHARED_INTEGERS = 10000  # Redis's OBJ_SHARED_INTEGERS
SHARED_REFCOUNT = 2**31 - 1  # OBJ_SHARED_REFCOUNT (INT_MAX)
EMBSTR_SIZE_LIMIT = 44  # OBJ_ENCODING_EMBSTR_SIZE_LIMIT
# Policies that make Redis stop sharing small integers (MAXMEMORY_FLAG_NO_SHARED_INTEGERS).
NO_SHARED_INTEGER_POLICIES = frozenset(("allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu"))
LFU_POLICIES = frozenset(("allkeys-lfu", "volatile-lfu"))

# -- integers ------------------------------------------------------------------------------

_LL_SYNTAX = re.compile(rb"(?:0|-?[1-9][0-9]*)\Z")


def parse_ll(raw: bytes) -> int | None:
    """Redis's string2ll: an optional ``-``, no leading zeros/spaces/``+``, in 64-bit range."""
    if len(raw) > 20 or not _LL_SYNTAX.match(raw):
        return None
    value = int(raw)
    if value < LLONG_MIN or value > LLONG_MAX:
        return None
    return value


def parse_int_arg(raw: bytes, error: str = errors.NOT_INTEGER) -> int:
    """getLongLongFromObjectOrReply: the integer, or ``CommandError(error)``."""
    value = parse_ll(raw)
    if value is None:
        raise CommandError(error)
    return value


def parse_int32_arg(raw: bytes, error: str | None = None) -> int:
    """getIntFromObjectOrReply: like :func:`parse_int_arg`, then within C ``int`` range."""
    value = parse_int_arg(raw, error or errors.NOT_INTEGER)
    if not INT_MIN <= value <= INT_MAX:
        raise CommandError(error or errors.INT_OUT_OF_RANGE)
    return value


def _is_long(raw: bytes) -> bool:
    return len(raw) <= 20 and parse_ll(raw) is not None


# -- value types ---------------------------------------------------------------------------

_TYPES: dict[type, tuple[bytes, Callable[[object], bytes] | None, Callable[[object], object] | None]] = {}


def register_type(
    cls: type,
    name: bytes,
    *,
    encoding: Callable[[object], bytes] | None = None,
    copy: Callable[[object], object] | None = None,
) -> None:
    """Declare how values of ``cls`` answer TYPE, OBJECT ENCODING and COPY."""
    _TYPES[cls] = (name, encoding, copy)


def typed_lookup(cls: type) -> Callable:
    """``get_<type>(db, key)`` for values of class ``cls``: the value (None if missing),
    WRONGTYPE for a value of another type. A lookup that counts as an access."""

    def lookup(db, key: bytes):
        value = db.get(key)
        if value is None or type(value) is cls:
            return value
        raise CommandError(errors.WRONGTYPE)

    lookup.__doc__ = f"The {cls.__name__} at ``key`` (None if missing); WRONGTYPE for other types."
    return lookup


def _string_encoding(value: object) -> bytes:
    # tryObjectEncoding: "int" for a string2l integer of at most 20 bytes, "embstr" up to
    # 44 bytes, "raw" above. A bytearray is a string grown in place (APPEND, SETRANGE):
    # Redis reports those "raw" whatever their length.
    if type(value) is bytearray:
        return b"raw"
    if len(value) <= 20 and parse_ll(value) is not None:  # type: ignore[arg-type]
        return b"int"
    return b"embstr" if len(value) <= EMBSTR_SIZE_LIMIT else b"raw"  # type: ignore[arg-type]


register_type(bytes, b"string", encoding=_string_encoding, copy=lambda v: v)
register_type(bytearray, b"string", encoding=_string_encoding, copy=bytearray)


def _lookup_type(value: object):
    entry = _TYPES.get(type(value))
    if entry is None:
        for cls, found in _TYPES.items():
            if isinstance(value, cls):
                return found
    return entry


def type_name(value: object) -> bytes:
    """TYPE's answer for a stored value: string, list, set, zset, hash, stream, ..."""
    entry = _lookup_type(value)
    if entry is not None:
        return entry[0]
    name = getattr(value, "type_name", None)
    if name is None:
        raise TypeError(f"no TYPE name registered for {type(value).__name__}")
    return name


def object_encoding(value: object) -> bytes:
    """OBJECT ENCODING's answer for a stored value."""
    entry = _lookup_type(value)
    if entry is not None and entry[1] is not None:
        return entry[1](value)
    enc = getattr(value, "encoding", None)
    if enc is None:
        raise TypeError(f"no OBJECT ENCODING registered for {type(value).__name__}")
    return enc() if callable(enc) else enc


def copy_value(value: object) -> object:
    """An independent copy of a stored value (COPY); immutable strings are shared."""
    entry = _lookup_type(value)
    if entry is not None and entry[2] is not None:
        return entry[2](value)
    method = getattr(value, "copy", None)
    if method is not None:
        return method()
    return _copy.deepcopy(value)


# -- glob matching (Redis util.c stringmatchlen) -------------------------------------------

MAX_STAR_NESTING = 1000  # Redis returns "no match" past this recursion depth


def _lower(c: int) -> int:
    return c + 32 if 65 <= c <= 90 else c


def stringmatchlen(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    """Redis's ``stringmatchlen``, step for step (iterative; same results, same quirks).

    ``*`` any run, ``?`` one byte, ``[abc]`` ``[^a]`` ``[a-z]`` classes (reversed ranges
    allowed, ``\\`` escapes inside), ``\\x`` a literal x. Quirks kept: an empty string
    matches only the empty pattern; an unterminated ``[`` ends the class at the end of the
    pattern; more than 1000 nested ``*`` never match. Redis gives up on a whole match as
    soon as one ``*`` has tried every position (``skipLongerMatches``), so only the
    innermost ``*`` ever backtracks: that is what makes this loop iterative.
    """
    plen, slen = len(pattern), len(string)

    def pc(i: int) -> int:  # the C code reads the NUL terminator past the end
        return pattern[i] if i < plen else 0

    p = s = 0
    depth = 0
    frame_p = frame_s = -1  # innermost '*': pattern index after it, string index tried
    while True:
        failed = False
        while p < plen and s < slen:
            c = pattern[p]
            if c == 0x2A:  # '*'
                while p < plen and pc(p + 1) == 0x2A:
                    p += 1
                if plen - p == 1:
                    return True
                if depth + 1 > MAX_STAR_NESTING:
                    return False
                depth += 1
                p += 1
                frame_p, frame_s = p, s
                continue
            if c == 0x3F:  # '?'
                s += 1
            elif c == 0x5B:  # '['
                p += 1
                negate = pc(p) == 0x5E
                if negate:
                    p += 1
                match = False
                sc = string[s]
                while True:
                    if pc(p) == 0x5C and plen - p >= 2:
                        p += 1
                        if pattern[p] == sc:
                            match = True
                    elif pc(p) == 0x5D:
                        break
                    elif plen - p == 0:
                        p -= 1
                        break
                    elif plen - p >= 3 and pattern[p + 1] == 0x2D:
                        start, end, ch = pattern[p], pattern[p + 2], sc
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end, ch = _lower(start), _lower(end), _lower(ch)
                        p += 2
                        if start <= ch <= end:
                            match = True
                    elif nocase:
                        if _lower(pattern[p]) == _lower(sc):
                            match = True
                    elif pattern[p] == sc:
                        match = True
                    p += 1
                if negate:
                    match = not match
                if not match:
                    failed = True
                    break
                s += 1
            else:
                if c == 0x5C and plen - p >= 2:  # '\\'
                    p += 1
                    c = pattern[p]
                if (_lower(c) != _lower(string[s])) if nocase else (c != string[s]):
                    failed = True
                    break
                s += 1
            p += 1
            if s == slen:
                while pc(p) == 0x2A:
                    p += 1
                break
        if not failed and p == plen and s == slen:
            return True
        # This call failed: the innermost '*' tries the next position, if any.
        if frame_p < 0:
            return False
        frame_s += 1
        if frame_s >= slen:
            return False
        p, s = frame_p, frame_s


_STAR = None  # token for '*' (every other token is the frozenset of bytes it accepts)
_ALL_BYTES = frozenset(range(256))


def _glob_tokens(pattern: bytes, nocase: bool) -> list[frozenset[int] | None]:
    """Split a pattern into '*' and one-byte classes, consuming it exactly as Redis does."""
    plen = len(pattern)

    def pc(i: int) -> int:
        return pattern[i] if i < plen else 0

    def eq(a: int, b: int) -> bool:
        return _lower(a) == _lower(b) if nocase else a == b

    tokens: list[frozenset[int] | None] = []
    p = 0
    while p < plen:
        c = pattern[p]
        if c == 0x2A:
            while p < plen and pc(p + 1) == 0x2A:
                p += 1
            tokens.append(_STAR)
        elif c == 0x3F:
            tokens.append(_ALL_BYTES)
        elif c == 0x5B:
            p += 1
            negate = pc(p) == 0x5E
            if negate:
                p += 1
            accepted: set[int] = set()
            while True:
                if pc(p) == 0x5C and plen - p >= 2:
                    p += 1
                    accepted.add(pattern[p])
                elif pc(p) == 0x5D:
                    break
                elif plen - p == 0:
                    p -= 1
                    break
                elif plen - p >= 3 and pattern[p + 1] == 0x2D:
                    start, end = pattern[p], pattern[p + 2]
                    if start > end:
                        start, end = end, start
                    if nocase:
                        start, end = _lower(start), _lower(end)
                        accepted.update(ch for ch in range(256) if start <= _lower(ch) <= end)
                    else:
                        accepted.update(range(start, end + 1))
                    p += 2
                else:
                    lit = pattern[p]
                    accepted.update(ch for ch in range(256) if eq(lit, ch)) if nocase else accepted.add(lit)
                p += 1
            tokens.append(_ALL_BYTES - accepted if negate else frozenset(accepted))
        else:
            if c == 0x5C and plen - p >= 2:
                p += 1
                c = pattern[p]
            tokens.append(frozenset(ch for ch in range(256) if eq(c, ch)) if nocase else frozenset((c,)))
        p += 1
    return tokens


def _class_regex(accepted: frozenset[int]) -> bytes:
    if accepted == _ALL_BYTES:
        return b"."
    if not accepted:
        return b"(?!)"
    if len(accepted) == 1:
        return re.escape(bytes(accepted))
    return b"[" + b"".join(re.escape(bytes((ch,))) for ch in sorted(accepted)) + b"]"


@functools.lru_cache(maxsize=512)
def compile_glob(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A predicate equal to ``stringmatchlen(pattern, s, nocase)`` for every ``s``, in linear time.

    Each ``*`` followed by a fixed run becomes an atomic lazy group (as ``fnmatch`` does):
    committing to the leftmost occurrence of each run is exactly the single-backtrack
    search Redis performs, without the regex engine's exponential backtracking.
    """
    tokens = _glob_tokens(pattern, nocase)
    empty_matches = pattern == b""
    inner_stars = sum(1 for i, t in enumerate(tokens) if t is _STAR and i != len(tokens) - 1)
    if inner_stars > MAX_STAR_NESTING:
        return lambda s: not s and empty_matches
    parts: list[bytes] = []
    i, n = 0, len(tokens)
    while i < n and tokens[i] is not _STAR:
        parts.append(_class_regex(tokens[i]))  # type: ignore[arg-type]
        i += 1
    while i < n:
        i += 1  # the '*'
        if i == n:
            parts.append(b".*")
            break
        fixed = []
        while i < n and tokens[i] is not _STAR:
            fixed.append(_class_regex(tokens[i]))  # type: ignore[arg-type]
            i += 1
        if i == n:
            parts.append(b".*" + b"".join(fixed))
        else:
            parts.append(b"(?>.*?" + b"".join(fixed) + b")")
    regex = re.compile(b"".join(parts), re.DOTALL)
    fullmatch = regex.fullmatch

    def match(s: bytes) -> bool:
        if not s:
            return empty_matches
        return fullmatch(s) is not None

    return match


# -- DEL, UNLINK, EXISTS, TYPE, TOUCH, DBSIZE, RANDOMKEY ---------------------------------------


@command("del", -2, "write", group="generic", keys=[KeySpec("RM DELETE", index=1, lastkey=-1)],
         tips="request_policy:multi_shard response_policy:agg_sum", summary="Delete a key",
         complexity="O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).")
def del_(client, argv):
    if client.server.notify_flags:
        return _delete_notifying(client, argv[1:])
    delete = client.db.delete
    return sum(1 for key in argv[1:] if delete(key))


def _delete_notifying(client, keys: list[bytes]) -> int:
    """DEL with a ``del`` event for each key removed."""
    delete = client.db.delete
    count = 0
    for key in keys:
        if delete(key):
            count += 1
            key_event(client, NOTIFY_GENERIC, b"del", key)
    return count


@command("unlink", -2, "write fast", group="generic", keys=[KeySpec("RM DELETE", index=1, lastkey=-1)],
         tips="request_policy:multi_shard response_policy:agg_sum", since="4.0.0",
         summary="Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
         complexity="O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.")
def unlink(client, argv):
    return del_(client, argv)  # values are freed at once: nothing to hand to another thread


@command("exists", -2, "readonly fast", group="generic", keys=[KeySpec("RO", index=1, lastkey=-1)],
         tips="request_policy:multi_shard response_policy:agg_sum", summary="Determine if a key exists",
         complexity="O(N) where N is the number of keys to check.")
def exists(client, argv):
    lookup = client.db.get_no_touch  # Redis: lookupKeyReadWithFlags(LOOKUP_NOTOUCH), as TYPE/TTL
    return sum(1 for key in argv[1:] if lookup(key) is not None)


_TYPE_REPLIES: dict[bytes, Status] = {}


@command("type", 2, "readonly fast", group="generic", keys=[KeySpec("RO", index=1)],
         summary="Determine the type stored at key")
def type_(client, argv):
    value = client.db.get_no_touch(argv[1])
    name = b"none" if value is None else type_name(value)
    reply = _TYPE_REPLIES.get(name)
    if reply is None:
        reply = _TYPE_REPLIES[name] = Status(name)
    return reply


@command("touch", -2, "readonly fast", group="generic", keys=[KeySpec("RO", index=1, lastkey=-1)],
         tips="request_policy:multi_shard response_policy:agg_sum", since="3.2.1",
         summary="Alters the last access time of a key(s). Returns the number of existing keys specified.",
         complexity="O(N) where N is the number of keys that will be touched.")
def touch(client, argv):
    get = client.db.get
    return sum(1 for key in argv[1:] if get(key) is not None)


@command("dbsize", 1, "readonly fast", group="server", acl="keyspace",
         tips="request_policy:all_shards response_policy:agg_sum",
         summary="Return the number of keys in the selected database")
def dbsize(client, argv):
    return len(client.db.data)


@command("randomkey", 1, "readonly", group="generic", tips="request_policy:all_shards nondeterministic_output",
         summary="Return a random key from the keyspace")
def randomkey(client, argv):
    return client.db.random_key()


# -- RENAME, RENAMENX, COPY, MOVE, SWAPDB ------------------------------------------------------


def _rename(client, argv, nx: bool):
    db = client.db
    src, dst = argv[1], argv[2]
    value = db.get(src)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    expire = db.ttl_ms(src)
    overwrite = db.peek(dst) is not None
    if overwrite and nx:
        return 0
    stamp = db.access.get(src)
    # src first: Redis signals (WATCH, tracking invalidations) src, then dst.
    db.delete(src)
    if overwrite:
        db.delete(dst)
    db.set(dst, value)
    if expire is not None:
        db.set_expire(dst, expire)
    if stamp is not None:
        db.access[dst] = stamp  # the same object moved: it keeps its LRU/LFU data
    if client.server.notify_flags:
        key_event(client, NOTIFY_NEW, b"new", dst)  # dst is always added afresh
        key_event(client, NOTIFY_GENERIC, b"rename_from", src)
        key_event(client, NOTIFY_GENERIC, b"rename_to", dst)
    return 1 if nx else OK


@command("rename", 3, "write", group="generic",
         keys=[KeySpec("RW ACCESS DELETE", index=1), KeySpec("OW UPDATE", index=2)],
         summary="Rename a key")
def rename(client, argv):
    return _rename(client, argv, nx=False)


@command("renamenx", 3, "write fast", group="generic",
         keys=[KeySpec("RW ACCESS DELETE", index=1), KeySpec("OW INSERT", index=2)],
         summary="Rename a key, only if the new key does not exist")
def renamenx(client, argv):
    return _rename(client, argv, nx=True)


def _select(client, index: int):
    dbs = client.server.dbs
    if not 0 <= index < len(dbs):
        raise CommandError(errors.DB_INDEX)
    return dbs[index]


@command("copy", -3, "write denyoom", group="generic",
         keys=[KeySpec("RO ACCESS", index=1), KeySpec("OW UPDATE", index=2)], since="6.2.0",
         summary="Copy a key",
         complexity="O(N) worst case for collections, where N is the number of nested items. O(1) for string values.")
def copy(client, argv):
    src_db = dst_db = client.db
    replace = False
    j = 3
    while j < len(argv):
        option = argv[j].lower()
        if option == b"replace":
            replace = True
        elif option == b"db" and len(argv) - j - 1 > 0:
            dst_db = _select(client, parse_int32_arg(argv[j + 1]))
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    if client.server.route is not None and (src_db.id != 0 or dst_db.id != 0):
        raise CommandError(errors.COPY_DB_IN_CLUSTER)
    key, newkey = argv[1], argv[2]
    if src_db is dst_db and key == newkey:
        raise CommandError(errors.SAME_OBJECT)
    value = src_db.get(key)
    if value is None:
        return 0
    expire = src_db.ttl_ms(key)
    if dst_db.peek(newkey) is not None:
        if not replace:
            return 0
        dst_db.delete(newkey)
    dst_db.set(newkey, copy_value(value))
    wake_blocked(client, dst_db, [newkey])
    if expire is not None:
        dst_db.set_expire(newkey, expire)
    if client.server.notify_flags:
        db_event(client.server, dst_db.id, NOTIFY_GENERIC, b"copy_to", newkey, True)
    return 1


@command("move", 3, "write fast", group="generic", keys=[KeySpec("RW ACCESS UPDATE", index=1)],
         summary="Move a key to another database")
def move(client, argv):
    if client.server.route is not None:
        raise CommandError(errors.MOVE_IN_CLUSTER)
    src = client.db
    dst = _select(client, parse_int32_arg(argv[2]))
    if src is dst:
        raise CommandError(errors.SAME_OBJECT)
    key = argv[1]
    value = src.get(key)
    if value is None:
        return 0
    expire = src.ttl_ms(key)
    if dst.peek(key) is not None:
        return 0
    stamp = src.access.get(key)
    dst.set(key, value)
    if expire is not None:
        dst.set_expire(key, expire)
    src.delete(key)
    if stamp is not None:
        dst.access[key] = stamp  # the same object moved: it keeps its LRU/LFU data
    wake_blocked(client, dst, [key])
    server = client.server
    if server.notify_flags:
        db_event(server, dst.id, NOTIFY_NEW, b"new", key)
        db_event(server, src.id, NOTIFY_GENERIC, b"move_from", key)
        db_event(server, dst.id, NOTIFY_GENERIC, b"move_to", key)
    return 1


@command("swapdb", 3, "write fast", group="server", acl="keyspace dangerous", since="4.0.0",
         summary="Swaps two Redis databases",
         complexity="O(N) where N is the count of clients watching or blocking on keys from both databases.")
def swapdb(client, argv):
    if client.server.route is not None:
        raise CommandError(errors.SWAPDB_IN_CLUSTER)
    first = parse_int32_arg(argv[1], errors.INVALID_FIRST_DB)
    second = parse_int32_arg(argv[2], errors.INVALID_SECOND_DB)
    dbs = client.server.dbs
    if not (0 <= first < len(dbs) and 0 <= second < len(dbs)):
        raise CommandError(errors.DB_INDEX)
    dbs[first].swap_with(dbs[second])
    blocking = client.server.blocking
    for db in (dbs[first], dbs[second]):
        wake_blocked(client, db, [key for db_id, key in blocking.by_key if db_id == db.id])
    return OK


def delete_empty_result(client, key: bytes) -> object | None:
    """A ``*STORE`` command with an empty result deletes its destination (Redis's
    ``dbDelete``): even a key whose TTL has passed is deleted, not expired, so the event is
    ``del`` and expired_keys does not move. Returns the removed value (None if none)."""
    db = client.db
    value = db.data.get(key)
    if value is None:
        return None
    if db.is_expired(key):
        db.persist(key)  # it goes now, as a deletion
    db.delete(key)
    if client.server.notify_flags:
        key_event(client, NOTIFY_GENERIC, b"del", key)
    return value


def wake_blocked(client, db, keys: list[bytes]) -> None:
    """Let clients blocked on ``keys`` in ``db`` retry (dispatch serves them after this
    command). Dispatch already does this for the keys of a write in the client's own
    database; this is for writes that land in another one (Redis's signalKeyAsReady)."""
    blocking = client.server.blocking
    if blocking.by_key:
        blocking.signal(db.id, keys)


# -- FLUSHDB, FLUSHALL -----------------------------------------------------------------------


def _flush_flags(argv) -> None:
    # [ASYNC|SYNC]: both are synchronous here (freeing is the garbage collector's job).
    if len(argv) == 1 or (len(argv) == 2 and argv[1].lower() in (b"async", b"sync")):
        return
    raise CommandError(errors.SYNTAX)


@command("flushdb", -1, "write", group="server", acl="keyspace dangerous",
         tips="request_policy:all_shards response_policy:all_succeeded",
         summary="Remove all keys from the current database",
         complexity="O(N) where N is the number of keys in the selected database")
def flushdb(client, argv):
    _flush_flags(argv)
    db = client.db
    streams = _blocked_streams(client, db)
    if db.clear() == 0:
        client.server.clock.dirty += 1  # Redis forces propagation even when nothing was there
    wake_blocked(client, db, streams)
    return OK


def _blocked_streams(client, db) -> list[bytes]:
    """Keys of ``db`` holding a stream that clients wait on: a flush releases their blocked
    XREADGROUP readers (Redis 7.0's signalFlushedDb -> scanDatabaseForDeletedStreams)."""
    by_key = client.server.blocking.by_key
    if not by_key:
        return []
    streams = []
    for db_id, key in list(by_key):
        if db_id == db.id:
            value = db.peek(key)
            if value is not None and type_name(value) == b"stream":
                streams.append(key)
    return streams


@command("flushall", -1, "write", group="server", acl="keyspace dangerous",
         tips="request_policy:all_shards response_policy:all_succeeded",
         summary="Remove all keys from all databases",
         complexity="O(N) where N is the total number of keys in all databases")
def flushall(client, argv):
    _flush_flags(argv)
    for db in client.server.dbs:
        streams = _blocked_streams(client, db)
        db.clear()
        wake_blocked(client, db, streams)
    client.server.clock.dirty += 1  # flushAllDataAndResetRDB's dirty++ (forces propagation)
    return OK


# -- KEYS, SCAN --------------------------------------------------------------------------------


@command("keys", 2, "readonly", group="generic", acl="dangerous",
         tips="request_policy:all_shards nondeterministic_output_order",
         summary="Find all keys matching the given pattern",
         complexity="O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.")
def keys(client, argv):
    db = client.db
    pattern = argv[1]
    if pattern == b"*":
        return list(db.keys())
    match = compile_glob(pattern)
    now = db.clock.ms
    expires = db.expires
    out = []
    for key in list(db.data):
        if match(key):
            when = expires.get(key)
            if when is None or when >= now:
                out.append(key)
    return out


def parse_scan_cursor(raw: bytes) -> int:
    """parseScanCursorOrReply: C ``strtoul`` base 10, no leading space, nothing after it."""
    text = raw.split(b"\x00", 1)[0]  # the C string ends at the first NUL
    if text[:1] in (b" ", b"\t", b"\n", b"\v", b"\f", b"\r"):
        raise CommandError(errors.INVALID_CURSOR)
    if not text:
        return 0
    sign = 1
    digits = text
    if text[:1] in (b"+", b"-"):
        sign = -1 if text[:1] == b"-" else 1
        digits = text[1:]
    if not digits.isdigit() or not digits.isascii():
        raise CommandError(errors.INVALID_CURSOR)
    value = int(digits)
    if value > ULONG_MAX:
        raise CommandError(errors.INVALID_CURSOR)
    return value if sign > 0 else (-value) & ULONG_MAX


@command("scan", -2, "readonly", group="generic", tips="nondeterministic_output request_policy:special",
         since="2.8.0", summary="Incrementally iterate the keys space",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.")
def scan(client, argv):
    cursor = parse_scan_cursor(argv[1])
    count = 10
    pattern: bytes | None = None
    wanted_type: bytes | None = None
    i = 2
    while i < len(argv):
        option = argv[i].lower()
        if len(argv) - i < 2:
            raise CommandError(errors.SYNTAX)
        if option == b"count":
            count = parse_int_arg(argv[i + 1])
            if count < 1:
                raise CommandError(errors.SYNTAX)
        elif option == b"match":
            pattern = argv[i + 1]
        elif option == b"type":
            wanted_type = argv[i + 1].lower()
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    db = client.db
    cursor, found = db.scan(cursor, count)
    match = compile_glob(pattern) if pattern is not None and pattern != b"*" else None
    out = []
    data = db.data
    for key in found:
        if match is not None and not match(key):
            continue
        if wanted_type is not None:
            value = db.peek(key)
            if (b"none" if value is None else type_name(value)) != wanted_type:
                continue
        if key in data and db.peek(key) is None:
            continue  # expired: deleted now, like Redis's expireIfNeeded
        out.append(key)
    return [b"%d" % cursor, out]


# -- OBJECT ----------------------------------------------------------------------------------

container("object", -2, group="generic", since="2.2.3", summary="A container for object introspection commands")

OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]
_OBJECT_HELP_REPLY = [Status(line) for line in OBJECT_HELP]


def _lfu_policy(client) -> bool:
    """Whether an LFU policy is selected; also applies it (and the lfu-* knobs) to the
    access stamps, in case nothing else did since CONFIG SET."""
    config = client.server.config
    clock = client.server.clock
    lfu = config.maxmemory_policy in LFU_POLICIES
    clock.lfu = lfu
    clock.lfu_log_factor = getattr(config, "lfu_log_factor", clock.lfu_log_factor)
    clock.lfu_decay_time = getattr(config, "lfu_decay_time", clock.lfu_decay_time)
    return lfu


@command("object|encoding", 3, "readonly", group="generic", keys=[KeySpec("RO", index=2)],
         tips="nondeterministic_output", since="2.2.3",
         summary="Inspect the internal encoding of a Redis object")
def object_encoding_cmd(client, argv):
    value = client.db.peek(argv[2])
    return None if value is None else object_encoding(value)


@command("object|refcount", 3, "readonly", group="generic", keys=[KeySpec("RO", index=2)],
         tips="nondeterministic_output", since="2.2.3",
         summary="Get the number of references to the value of the key")
def object_refcount(client, argv):
    value = client.db.peek(argv[2])
    if value is None:
        return None
    if type(value) is bytes and len(value) <= 20:
        number = parse_ll(value)
        if number is not None and 0 <= number < SHARED_INTEGERS:
            config = client.server.config
            if not config.maxmemory or config.maxmemory_policy not in NO_SHARED_INTEGER_POLICIES:
                return SHARED_REFCOUNT
    return 1


@command("object|idletime", 3, "readonly", group="generic", keys=[KeySpec("RO", index=2)],
         tips="nondeterministic_output", since="2.2.3",
         summary="Get the time since a Redis object was last accessed")
def object_idletime(client, argv):
    db = client.db
    lfu = _lfu_policy(client)
    if db.peek(argv[2]) is None:
        return None
    if lfu:
        raise CommandError(errors.LFU_NO_IDLETIME)
    return db.idle_seconds(argv[2])


@command("object|freq", 3, "readonly", group="generic", keys=[KeySpec("RO", index=2)],
         tips="nondeterministic_output", since="4.0.0",
         summary="Get the logarithmic access frequency counter of a Redis object")
def object_freq(client, argv):
    db = client.db
    lfu = _lfu_policy(client)
    if db.peek(argv[2]) is None:
        return None
    if not lfu:
        raise CommandError(errors.LFU_NO_FREQ)
    return db.lfu_frequency(argv[2])


@command("object|help", 2, "loading stale", group="generic", since="6.2.0",
         summary="Show helpful text about the different subcommands")
def object_help(client, argv):
    return list(_OBJECT_HELP_REPLY)


# -- EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT ---------------------------------------------------------

_EXPIRE_FLAGS = {b"nx": 1, b"xx": 2, b"gt": 4, b"lt": 8}


def _expire_generic(client, argv, basetime: int, seconds: bool, name: str):
    flags = 0
    for option in argv[3:]:
        bit = _EXPIRE_FLAGS.get(option.lower())
        if bit is None:
            raise CommandError(errors.UNSUPPORTED_OPTION.format(option.decode("utf-8", "replace")))
        flags |= bit
    nx, xx, gt, lt = flags & 1, flags & 2, flags & 4, flags & 8
    if nx and (xx or gt or lt):
        raise CommandError(errors.EXPIRE_NX_AND_XX_GT_LT)
    if gt and lt:
        raise CommandError(errors.EXPIRE_GT_AND_LT)
    when = parse_int_arg(argv[2])
    if seconds:
        if when > LLONG_MAX // 1000 or when < -(-LLONG_MIN // 1000):
            raise CommandError(errors.INVALID_EXPIRE.format(name))
        when *= 1000
    if when > LLONG_MAX - basetime:
        raise CommandError(errors.INVALID_EXPIRE.format(name))
    when += basetime
    db = client.db
    key = argv[1]
    if db.get(key) is None:
        return 0
    if flags:
        current = db.ttl_ms(key)
        if nx and current is not None:
            return 0
        if xx and current is None:
            return 0
        if gt and (current is None or when <= current):
            return 0
        if lt and current is not None and when >= current:
            return 0
    if when <= db.clock.ms and db.expire_enabled:
        db.delete(key)  # an expiry in the past deletes the key (a write: DEL is propagated)
        event = b"del"
    else:
        db.set_expire(key, when)
        event = b"expire"
    if client.server.notify_flags:
        key_event(client, NOTIFY_GENERIC, event, key)
    return 1


@command("expire", -3, "write fast", group="generic", keys=[KeySpec("RW UPDATE", index=1)],
         summary="Set a key's time to live in seconds")
def expire(client, argv):
    return _expire_generic(client, argv, client.db.clock.ms, True, "expire")


@command("pexpire", -3, "write fast", group="generic", keys=[KeySpec("RW UPDATE", index=1)],
         since="2.6.0", summary="Set a key's time to live in milliseconds")
def pexpire(client, argv):
    return _expire_generic(client, argv, client.db.clock.ms, False, "pexpire")


@command("expireat", -3, "write fast", group="generic", keys=[KeySpec("RW UPDATE", index=1)],
         since="1.2.0", summary="Set the expiration for a key as a UNIX timestamp")
def expireat(client, argv):
    return _expire_generic(client, argv, 0, True, "expireat")


@command("pexpireat", -3, "write fast", group="generic", keys=[KeySpec("RW UPDATE", index=1)],
         since="2.6.0", summary="Set the expiration for a key as a UNIX timestamp specified in milliseconds")
def pexpireat(client, argv):
    return _expire_generic(client, argv, 0, False, "pexpireat")


# -- TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST -------------------------------------------------


def _ttl_generic(client, key: bytes, ms: bool, absolute: bool) -> int:
    db = client.db
    if db.get_no_touch(key) is None:
        return -2
    when = db.ttl_ms(key)
    if when is None:
        return -1
    ttl = when if absolute else when - db.clock.ms
    if ttl < 0:
        ttl = 0
    return ttl if ms else (ttl + 500) // 1000


@command("ttl", 2, "readonly fast", group="generic", keys=[KeySpec("RO ACCESS", index=1)],
         tips="nondeterministic_output", summary="Get the time to live for a key in seconds")
def ttl(client, argv):
    return _ttl_generic(client, argv[1], False, False)


@command("pttl", 2, "readonly fast", group="generic", keys=[KeySpec("RO ACCESS", index=1)],
         tips="nondeterministic_output", since="2.6.0", summary="Get the time to live for a key in milliseconds")
def pttl(client, argv):
    return _ttl_generic(client, argv[1], True, False)


@command("expiretime", 2, "readonly fast", group="generic", keys=[KeySpec("RO ACCESS", index=1)],
         since="7.0.0", summary="Get the expiration Unix timestamp for a key")
def expiretime(client, argv):
    return _ttl_generic(client, argv[1], False, True)


@command("pexpiretime", 2, "readonly fast", group="generic", keys=[KeySpec("RO ACCESS", index=1)],
         since="7.0.0", summary="Get the expiration Unix timestamp for a key in milliseconds")
def pexpiretime(client, argv):
    return _ttl_generic(client, argv[1], True, True)


@command("persist", 2, "write fast", group="generic", keys=[KeySpec("RW UPDATE", index=1)],
         since="2.2.0", summary="Remove the expiration from a key")
def persist(client, argv):
    db = client.db
    if db.get(argv[1]) is None or not db.persist(argv[1]):
        return 0
    if client.server.notify_flags:
        key_event(client, NOTIFY_GENERIC, b"persist", argv[1])
    return 1
