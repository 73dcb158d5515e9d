"""Hash commands: HSET/HSETNX/HMSET, HGET/HMGET, HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS,
HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN.

A hash is a :class:`HashObject`: a ``dict`` of field bytes -> value bytes (nothing per
field beyond the dict entry and the two bytes objects), with one flag for the encoding
Redis 7.0 would report. A new hash is ``listpack``; it becomes ``hashtable`` for good when
it holds more than ``hash-max-listpack-entries`` fields or is given a field or value longer
than ``hash-max-listpack-value`` bytes (HSET checks every argument first, even for fields
that already exist; HSETNX only when it inserts; HINCRBY/HINCRBYFLOAT check the field and
the new value). Redis never converts back, and neither does this.

Order: a listpack hash answers HGETALL/HKEYS/HVALS/HSCAN in insertion order (an update
keeps the field's place, a deleted field leaves it), which is also the order of a Python
dict, so those replies match Redis exactly. A hashtable hash's order is arbitrary in Redis;
ours stays insertion order.

Every change goes through ``db.set`` (a new key), ``db.touch`` (a change in place) or
``db.delete`` (the hash became empty), and the dirty counter moves as much as Redis's
``server.dirty`` does (HSET counts every pair it was given, HDEL every field it removed).
"""

from __future__ import annotations

from node import errors
from node.commands import containers
from node.commands.keys import (
    compile_glob,
    parse_ll,
    parse_scan_cursor,
    register_type,
    typed_lookup,
)
from node.commands.spec import KeySpec, command
from node.commands.strings import _INFINITE, ld_add, ld_format_human, parse_long_double
from node.errors import CommandError
from node.notify import NOTIFY_HASH, key_event, key_removed
from node.replies import OK

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)
LONG_MAX = LLONG_MAX
_MISSING = object()


class HashObject(dict):
    """A hash value: field -> value, plus the encoding Redis would use for it."""

    __slots__ = ("listpack", "__weakref__")  # weak references: see containers.py

    def __init__(self, *args):
        super().__init__(*args)
        self.listpack = True


def _encoding(value: HashObject) -> bytes:
    return b"listpack" if value.listpack else b"hashtable"


def _copy(value: HashObject) -> HashObject:
    new = HashObject(value)
    new.listpack = value.listpack
    return new


register_type(HashObject, b"hash", encoding=_encoding, copy=_copy)


get_hash = typed_lookup(HashObject)


def _stored(client, key: bytes, h: HashObject, created: bool, dirty: int, event: bytes) -> None:
    """Record a change of ``dirty`` units to ``h`` (``created``: not in the db yet) and
    publish ``event``."""
    db = client.db
    if created:
        db.set(key, h)
    else:
        db.touch(key)
    db.clock.dirty += dirty - 1
    if client.server.notify_flags:
        key_event(client, NOTIFY_HASH, event, key, created)


def _check_entries(client, h: HashObject) -> None:
    if h.listpack and len(h) > client.server.config.hash_max_listpack_entries:
        h.listpack = False


# -- HSET, HMSET, HSETNX ----------------------------------------------------------------------------


@command("hset", -4, "write denyoom fast", group="hash", keys=[KeySpec("RW UPDATE", index=1)],
         summary="Set the string value of a hash field", since="2.0.0",
         complexity="O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.")
def hset(client, argv):
    # The hottest hash command: everything inline, len() taken once per value.
    argc = len(argv)
    if argc & 1:
        raise CommandError(errors.wrong_arity(argv[0].decode("utf-8", "replace").lower()))
    db = client.db
    key = argv[1]
    h = db.get(key)
    created = h is None
    if created:
        h = HashObject()
    elif type(h) is not HashObject:
        raise CommandError(errors.WRONGTYPE)
    before = len(h)
    if argc == 4:
        field = argv[2]
        value = argv[3]
        if h.listpack:
            config = client.server.config
            limit = config.hash_max_listpack_value
            # hashTypeTryConversion: any long argument converts, even for an update; the
            # entry count is checked after every HSET, updates included.
            h[field] = value
            if len(field) > limit or len(value) > limit or before >= config.hash_max_listpack_entries:
                _check_listpack(h, config, limit, field, value)
        else:
            h[field] = value
    else:
        if h.listpack and max(map(len, argv[2:])) > client.server.config.hash_max_listpack_value:
            h.listpack = False
        h.update(zip(argv[2::2], argv[3::2]))
        if h.listpack and len(h) > client.server.config.hash_max_listpack_entries:
            h.listpack = False
    if created:
        db.set(key, h)
    else:
        db.touch(key)
    if argc != 4:
        db.clock.dirty += (argc - 2) // 2 - 1  # Redis counts every pair given
    if client.server.notify_flags:
        key_event(client, NOTIFY_HASH, b"hset", key, created)
    return len(h) - before


def _check_listpack(h: HashObject, config, limit: int, field: bytes, value: bytes) -> None:
    """The single-pair HSET's conversion checks, once a threshold may have been passed."""
    if len(field) > limit or len(value) > limit or len(h) > config.hash_max_listpack_entries:
        h.listpack = False


@command("hmset", -4, "write denyoom fast", group="hash", keys=[KeySpec("RW UPDATE", index=1)],
         summary="Set multiple hash fields to multiple values", since="2.0.0",
         complexity="O(N) where N is the number of fields being set.")
def hmset(client, argv):
    hset(client, argv)
    return OK


@command("hsetnx", 4, "write denyoom fast", group="hash", keys=[KeySpec("RW INSERT", index=1)],
         summary="Set the value of a hash field, only if the field does not exist", since="2.0.0")
def hsetnx(client, argv):
    db = client.db
    key, field, value = argv[1], argv[2], argv[3]
    h = get_hash(db, key)
    created = h is None
    if created:
        h = HashObject()
    elif field in h:
        return 0
    if h.listpack and max(len(field), len(value)) > client.server.config.hash_max_listpack_value:
        h.listpack = False
    h[field] = value
    _check_entries(client, h)
    _stored(client, key, h, created, 1, b"hset")
    return 1


# -- reads ------------------------------------------------------------------------------------------


@command("hget", 3, "readonly fast", group="hash", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Get the value of a hash field", since="2.0.0")
def hget(client, argv):
    h = client.db.get(argv[1])
    if h is None:
        return None
    if type(h) is not HashObject:
        raise CommandError(errors.WRONGTYPE)
    return h.get(argv[2])


@command("hmget", -3, "readonly fast", group="hash", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Get the values of all the given hash fields", since="2.0.0",
         complexity="O(N) where N is the number of fields being requested.")
def hmget(client, argv):
    h = get_hash(client.db, argv[1])
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.get
    return [get(field) for field in argv[2:]]


@command("hlen", 2, "readonly fast", group="hash", keys=[KeySpec("RO", index=1)],
         summary="Get the number of fields in a hash", since="2.0.0")
def hlen(client, argv):
    h = get_hash(client.db, argv[1])
    return 0 if h is None else len(h)


@command("hstrlen", 3, "readonly fast", group="hash", keys=[KeySpec("RO", index=1)],
         summary="Get the length of the value of a hash field", since="3.2.0")
def hstrlen(client, argv):
    h = get_hash(client.db, argv[1])
    if h is None:
        return 0
    value = h.get(argv[2])
    return 0 if value is None else len(value)


@command("hexists", 3, "readonly fast", group="hash", keys=[KeySpec("RO", index=1)],
         summary="Determine if a hash field exists", since="2.0.0")
def hexists(client, argv):
    h = get_hash(client.db, argv[1])
    return 1 if h is not None and argv[2] in h else 0


_ALL_COMPLEXITY = "O(N) where N is the size of the hash."


@command("hkeys", 2, "readonly", group="hash", keys=[KeySpec("RO ACCESS", index=1)],
         tips="nondeterministic_output_order", summary="Get all the fields in a hash", since="2.0.0",
         complexity=_ALL_COMPLEXITY)
def hkeys(client, argv):
    h = get_hash(client.db, argv[1])
    return [] if h is None else list(h)


@command("hvals", 2, "readonly", group="hash", keys=[KeySpec("RO ACCESS", index=1)],
         tips="nondeterministic_output_order", summary="Get all the values in a hash", since="2.0.0",
         complexity=_ALL_COMPLEXITY)
def hvals(client, argv):
    h = get_hash(client.db, argv[1])
    return [] if h is None else list(h.values())


@command("hgetall", 2, "readonly", group="hash", keys=[KeySpec("RO ACCESS", index=1)],
         tips="nondeterministic_output_order", summary="Get all the fields and values in a hash",
         since="2.0.0", complexity=_ALL_COMPLEXITY)
def hgetall(client, argv):
    h = get_hash(client.db, argv[1])
    # A copy: inside MULTI the reply is encoded after later commands have run.
    return {} if h is None else dict(h)


# -- HDEL -------------------------------------------------------------------------------------------


@command("hdel", -3, "write fast", group="hash", keys=[KeySpec("RW DELETE", index=1)],
         summary="Delete one or more hash fields", since="2.0.0",
         complexity="O(N) where N is the number of fields to be removed.")
def hdel(client, argv):
    db = client.db
    key = argv[1]
    h = get_hash(db, key)
    if h is None:
        return 0
    deleted = 0
    pop = h.pop
    for field in argv[2:]:
        if pop(field, _MISSING) is not _MISSING:
            deleted += 1
    if deleted:
        if h:
            db.touch(key)
        else:
            db.delete(key)
            containers.forget(h)
        db.clock.dirty += deleted - 1
        if client.server.notify_flags:
            key_removed(client, NOTIFY_HASH, b"hdel", key, not h)
    return deleted


# -- HINCRBY, HINCRBYFLOAT ----------------------------------------------------------------------------


def _set_number(client, key: bytes, h: HashObject, created: bool, field: bytes, value: bytes,
                event: bytes) -> None:
    """hashTypeSet for the counters: the field and the new value decide the encoding too."""
    if h.listpack and max(len(field), len(value)) > client.server.config.hash_max_listpack_value:
        h.listpack = False
    h[field] = value
    _check_entries(client, h)
    _stored(client, key, h, created, 1, event)


def _field_for_update(db, key: bytes, field: bytes) -> tuple[HashObject, bool, bytes | None]:
    """HINCRBY/HINCRBYFLOAT's lookup: the hash (a new, not yet stored one if the key is
    missing), whether it is new, and the field's current value."""
    h = get_hash(db, key)
    created = h is None
    if created:
        h = HashObject()
    return h, created, h.get(field)


@command("hincrby", 4, "write denyoom fast", group="hash", keys=[KeySpec("RW ACCESS UPDATE", index=1)],
         summary="Increment the integer value of a hash field by the given number", since="2.0.0")
def hincrby(client, argv):
    incr = containers.parse_long(argv[3])
    if incr is None:
        raise CommandError(errors.NOT_INTEGER)
    key, field = argv[1], argv[2]
    h, created, current = _field_for_update(client.db, key, field)
    if current is None:
        value = 0
    else:
        value = containers.parse_long(current)
        if value is None:
            raise CommandError(errors.HASH_NOT_INTEGER)
    new = value + incr
    if not LLONG_MIN <= new <= LLONG_MAX:
        raise CommandError(errors.OVERFLOW)
    _set_number(client, key, h, created, field, b"%d" % new, b"hincrby")
    return new


@command("hincrbyfloat", 4, "write denyoom fast", group="hash", keys=[KeySpec("RW ACCESS UPDATE", index=1)],
         summary="Increment the float value of a hash field by the given amount", since="2.6.0")
def hincrbyfloat(client, argv):
    incr = parse_long_double(argv[3])
    if incr is None:
        raise CommandError(errors.NOT_FLOAT)
    if incr is _INFINITE:
        raise CommandError(errors.VALUE_NAN_OR_INF)
    key, field = argv[1], argv[2]
    h, created, current = _field_for_update(client.db, key, field)
    if current is None:
        value = (0, 0)
    else:
        value = parse_long_double(current)
        if value is None:
            raise CommandError(errors.HASH_NOT_FLOAT)
        if value is _INFINITE:
            raise CommandError(errors.INCR_NAN_INF)  # inf + a finite number is inf
    total = ld_add(value, incr)  # type: ignore[arg-type]
    if total is None:
        raise CommandError(errors.INCR_NAN_INF)
    new = ld_format_human(total)
    _set_number(client, key, h, created, field, new, b"hincrbyfloat")
    return new


# -- HRANDFIELD ---------------------------------------------------------------------------------------


@command("hrandfield", -2, "readonly", group="hash", keys=[KeySpec("RO ACCESS", index=1)],
         tips="nondeterministic_output", summary="Get one or multiple random fields from a hash",
         since="6.2.0", complexity="O(N) where N is the number of fields returned")
def hrandfield(client, argv):
    argc = len(argv)
    if argc >= 3:
        count = parse_ll(argv[2])
        if count is None:
            raise CommandError(errors.NOT_INTEGER)
        if count < -LONG_MAX:
            raise CommandError(errors.LONG_RANGE)
        if argc > 4 or (argc == 4 and argv[3].lower() != b"withvalues"):
            raise CommandError(errors.SYNTAX)
        withvalues = argc == 4
        if withvalues and not -(LONG_MAX // 2) <= count <= LONG_MAX // 2:
            raise CommandError(errors.VALUE_OUT_OF_RANGE)
        return _hrandfield_count(client, argv[1], count, withvalues)
    h = get_hash(client.db, argv[1])
    if h is None:
        return None
    return containers.pick(h)


def _hrandfield_count(client, key: bytes, count: int, withvalues: bool):
    h = get_hash(client.db, key)
    if h is None or count == 0:
        return []
    if count < 0 or count == 1:
        fields = containers.choices(h, -count if count < 0 else 1)
    elif count >= len(h):
        fields = list(h)
    else:
        fields = containers.sample(h, count)
    if not withvalues:
        return fields
    if client.proto == 2:
        out = []
        for field in fields:
            out.append(field)
            out.append(h[field])
        return out
    return [[field, h[field]] for field in fields]



# -- HSCAN --------------------------------------------------------------------------------------------


def scan_options(argv, start: int) -> tuple[int, bytes | None]:
    """(COUNT, MATCH pattern) of HSCAN/SSCAN/ZSCAN, as scanGenericCommand parses them."""
    count = 10
    pattern = None
    argc = len(argv)
    i = start
    while i < argc:
        if argc - i < 2:
            raise CommandError(errors.SYNTAX)
        option = argv[i].lower()
        if option == b"count":
            count = parse_ll(argv[i + 1])
            if count is None:
                raise CommandError(errors.NOT_INTEGER)
            if count < 1:
                raise CommandError(errors.SYNTAX)
        elif option == b"match":
            pattern = argv[i + 1]
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    return count, pattern


_SCAN_COMPLEXITY = (
    "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
    "cursor to return back to 0. N is the number of elements inside the collection.."
)


@command("hscan", -3, "readonly", group="hash", keys=[KeySpec("RO ACCESS", index=1)],
         tips="nondeterministic_output", summary="Incrementally iterate hash fields and associated values",
         since="2.8.0", complexity=_SCAN_COMPLEXITY)
def hscan(client, argv):
    cursor = parse_scan_cursor(argv[2])
    h = get_hash(client.db, argv[1])
    if h is None:
        return [b"0", []]
    count, pattern = scan_options(argv, 3)
    if h.listpack:
        cursor, fields = 0, h  # a listpack is returned whole, whatever the cursor
    else:
        cursor, fields = containers.scan(h, cursor, count)
    match = None if pattern is None or pattern == b"*" else compile_glob(pattern)
    out = []
    for field in fields:
        if match is None or match(field):
            out.append(field)
            out.append(h[field])
    return [b"%d" % cursor, out]
