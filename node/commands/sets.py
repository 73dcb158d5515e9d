"""Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE,
SINTER/SINTERCARD/SINTERSTORE, SUNION/SUNIONSTORE, SDIFF/SDIFFSTORE, SSCAN.

A set is a :class:`SetObject`: a Python ``set`` of member bytes, with one flag for the
encoding Redis 7.0 would report. Redis 7.0 has two set encodings (``listpack`` sets came
in 7.2): ``intset`` while every member is an integer (``string2ll``'s canonical form) and
there are at most ``set-max-intset-entries`` of them, ``hashtable`` otherwise. A set is
created as an intset when its first member is an integer; it converts for good on the
first non-integer or when it grows past the limit. Results built from other sets
(SINTERSTORE, SUNIONSTORE, SDIFFSTORE, and the temporary sets behind SUNION/SDIFF
replies) start as an intset and convert the same way, following Redis's order of
additions (which is why SDIFF depends on the algorithm Redis would pick). SPOP with a
count that leaves few members rebuilds the set from them, as Redis does, so a hashtable
set can become an intset again there.

Order: Redis returns an intset's members sorted numerically, and a hashtable's in hash
order (arbitrary). Replies here sort intsets numerically and give hashtables in Python's
set order, so only hashtable replies need comparing as unordered collections.

SMEMBERS/SINTER/SUNION/SDIFF/SPOP-with-count answer a RESP3 set (``SetReply``);
SRANDMEMBER with a count and SMISMEMBER answer arrays, as Redis 7.0 does.
"""

from __future__ import annotations

from node import errors
from node.commands import containers
from node.commands.hashes import scan_options
from node.commands.keys import (
    compile_glob,
    delete_empty_result,
    parse_ll,
    parse_scan_cursor,
    register_type,
    typed_lookup,
)
from node.commands.spec import KeySpec, command
from node.errors import CommandError
from node.notify import NOTIFY_SET, key_event, key_removed
from node.replies import SetReply

LONG_MAX = 2**63 - 1
SPOP_MOVE_STRATEGY_MUL = 5


class SetObject(set):
    """A set value: member bytes, plus whether Redis would hold it as an intset, and the
    widest integer encoding (2, 4 or 8 bytes) members added to that intset needed: an
    intset never narrows, so removing its widest member keeps the width (0: none
    recorded, the members' own width applies)."""

    __slots__ = ("intset", "int_width")  # sets are weakly referenceable already

    def __init__(self, *args):
        super().__init__(*args)
        self.intset = False
        self.int_width = 0


def _encoding(value: SetObject) -> bytes:
    return b"intset" if value.intset else b"hashtable"


def _copy(value: SetObject) -> SetObject:
    new = SetObject(value)
    new.intset = value.intset
    new.int_width = value.int_width
    return new


register_type(SetObject, b"set", encoding=_encoding, copy=_copy)


def is_int(member: bytes) -> bool:
    """isSdsRepresentableAsLongLong: what an intset can hold."""
    return len(member) <= 20 and parse_ll(member) is not None


def _all_ints(members) -> bool:
    for member in members:
        if len(member) > 20 or parse_ll(member) is None:
            return False
    return True


def _widen(s: SetObject, added) -> None:
    """Record the intset width the integer members ``added`` to intset ``s`` need
    (intsetUpgradeAndAdd)."""
    for member in added:
        value = int(member)
        width = 2 if -32768 <= value <= 32767 else 4 if -(1 << 31) <= value < 1 << 31 else 8
        if width > s.int_width:
            s.int_width = width


get_set = typed_lookup(SetObject)


def _max_intset(client) -> int:
    return client.server.config.set_max_intset_entries


def ordered(s: SetObject) -> list:
    """The members in the order Redis iterates them: an intset is sorted by value."""
    if s.intset:
        return sorted(s, key=int)
    return list(s)


def _build(members, max_entries: int) -> SetObject:
    """A result set as Redis builds it: an intset to start with, then every member added."""
    result = members if type(members) is SetObject else SetObject(members)
    result.intset = len(result) <= max_entries and _all_ints(result)
    return result


def _gone(db, key: bytes, s: SetObject) -> None:
    db.delete(key)
    containers.forget(s)


# -- SADD, SREM, SMOVE ------------------------------------------------------------------------------


@command("sadd", -3, "write denyoom fast", group="set", keys=[KeySpec("RW INSERT", index=1)],
         summary="Add one or more members to a set",
         complexity="O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
def sadd(client, argv):
    db = client.db
    key = argv[1]
    s = db.get(key)
    created = s is None
    if created:
        s = SetObject()
        s.intset = is_int(argv[2])  # setTypeCreate: decided by the first member
    elif type(s) is not SetObject:
        raise CommandError(errors.WRONGTYPE)
    if len(argv) == 3:
        member = argv[2]
        if member in s:
            return 0
        if s.intset and not created and not is_int(member):
            s.intset = False
        s.add(member)
        added = 1
    else:
        before = len(s)
        members = argv[2:]
        if s.intset and not _all_ints(members):
            s.intset = False
        s.update(members)
        added = len(s) - before
        if not added:
            return 0
        db.clock.dirty += added - 1  # one per member added; set/touch count the first
    if s.intset:
        if len(s) > _max_intset(client):
            s.intset = False
        else:
            _widen(s, argv[2:])
    if created:
        db.set(key, s)
    else:
        db.touch(key)
    if client.server.notify_flags:
        key_event(client, NOTIFY_SET, b"sadd", key, created)
    return added


@command("srem", -3, "write fast", group="set", keys=[KeySpec("RW DELETE", index=1)],
         summary="Remove one or more members from a set",
         complexity="O(N) where N is the number of members to be removed.")
def srem(client, argv):
    db = client.db
    key = argv[1]
    s = get_set(db, key)
    if s is None:
        return 0
    before = len(s)
    if len(argv) == 3:
        s.discard(argv[2])
    else:
        s.difference_update(argv[2:])
    deleted = before - len(s)
    if deleted:
        if s:
            db.touch(key)
        else:
            _gone(db, key, s)
        db.clock.dirty += deleted - 1
        if client.server.notify_flags:
            key_removed(client, NOTIFY_SET, b"srem", key, not s)
    return deleted


@command("smove", 4, "write fast", group="set",
         keys=[KeySpec("RW ACCESS DELETE", index=1), KeySpec("RW INSERT", index=2)],
         summary="Move a member from one set to another")
def smove(client, argv):
    db = client.db
    src_key, dst_key, member = argv[1], argv[2], argv[3]
    src = db.get(src_key)
    dst = db.get(dst_key)
    if src is None:
        return 0
    if type(src) is not SetObject or (dst is not None and type(dst) is not SetObject):
        raise CommandError(errors.WRONGTYPE)
    if src is dst:
        return 1 if member in src else 0
    if member not in src:
        return 0
    src.discard(member)
    if src:
        db.touch(src_key)
    else:
        _gone(db, src_key, src)
    notifying = client.server.notify_flags
    if notifying:
        key_removed(client, NOTIFY_SET, b"srem", src_key, not src)
    created = dst is None
    if created:
        dst = SetObject((member,))
        dst.intset = is_int(member) and _max_intset(client) >= 1
        db.set(dst_key, dst)
        added = 1
    else:
        added = 0 if member in dst else 1
        if added:
            if dst.intset and (not is_int(member) or len(dst) + 1 > _max_intset(client)):
                dst.intset = False
            elif dst.intset:
                _widen(dst, (member,))
            dst.add(member)
        db.touch(dst_key)
    db.clock.dirty += added - 1  # Redis: one for the move, one more if dst gained it
    if notifying and added:
        key_event(client, NOTIFY_SET, b"sadd", dst_key, created)
    return 1


# -- reads ------------------------------------------------------------------------------------------


@command("smembers", 2, "readonly", group="set", keys=[KeySpec("RO ACCESS", index=1)],
         tips="nondeterministic_output_order", summary="Get all the members in a set",
         complexity="O(N) where N is the set cardinality.")
def smembers(client, argv):
    s = get_set(client.db, argv[1])
    if s is None:
        return SetReply()
    return SetReply(ordered(s))


@command("sismember", 3, "readonly fast", group="set", keys=[KeySpec("RO", index=1)],
         summary="Determine if a given value is a member of a set")
def sismember(client, argv):
    s = get_set(client.db, argv[1])
    return 1 if s is not None and argv[2] in s else 0


@command("smismember", -3, "readonly fast", group="set", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Returns the membership associated with the given elements for a set", since="6.2.0",
         complexity="O(N) where N is the number of elements being checked for membership")
def smismember(client, argv):
    s = get_set(client.db, argv[1])
    if s is None:
        return [0] * (len(argv) - 2)
    return [1 if member in s else 0 for member in argv[2:]]


@command("scard", 2, "readonly fast", group="set", keys=[KeySpec("RO", index=1)],
         summary="Get the number of members in a set")
def scard(client, argv):
    s = get_set(client.db, argv[1])
    return 0 if s is None else len(s)


# -- SPOP, SRANDMEMBER ------------------------------------------------------------------------------


@command("spop", -2, "write fast", group="set", keys=[KeySpec("RW ACCESS DELETE", index=1)],
         tips="nondeterministic_output", summary="Remove and return one or multiple random members from a set",
         complexity="Without the count argument O(1), otherwise O(N) where N is the value of the passed count.")
def spop(client, argv):
    argc = len(argv)
    if argc == 3:
        return _spop_count(client, argv)
    if argc > 3:
        raise CommandError(errors.SYNTAX)
    db = client.db
    key = argv[1]
    s = db.get(key)
    if s is None:
        return None
    if type(s) is not SetObject:
        raise CommandError(errors.WRONGTYPE)
    member = containers.pick(s)
    s.discard(member)
    if s:
        db.touch(key)
    else:
        _gone(db, key, s)
    if client.server.notify_flags:
        key_removed(client, NOTIFY_SET, b"spop", key, not s)
    return member


def _spop_count(client, argv):
    count = parse_ll(argv[2])
    if count is None or count < 0:
        raise CommandError(errors.MUST_BE_POSITIVE)
    db = client.db
    key = argv[1]
    s = get_set(db, key)
    if s is None or count == 0:
        return SetReply()
    size = len(s)
    emptied = count >= size
    if emptied:
        out = ordered(s)
        _gone(db, key, s)
    else:
        remaining = size - count
        if remaining * SPOP_MOVE_STRATEGY_MUL > count:
            out = containers.sample(s, count)
            s.difference_update(out)
        else:
            # Redis builds a new set from the members that stay (setTypeCreate on the
            # first of them), then replies with what is left in the old one.
            keep = containers.sample(s, remaining)
            popped = SetObject(s)
            popped.intset = s.intset
            popped.difference_update(keep)
            out = ordered(popped)
            s.intersection_update(keep)
            s.intset = len(s) <= _max_intset(client) and _all_ints(s)
            s.int_width = 0  # a new set in Redis: the width its members need
        db.touch(key)
    db.clock.dirty += len(out) - 1  # Redis counts every member popped (delete/touch: one)
    if client.server.notify_flags:
        key_removed(client, NOTIFY_SET, b"spop", key, emptied)
    return SetReply(out)


@command("srandmember", -2, "readonly", group="set", keys=[KeySpec("RO ACCESS", index=1)],
         tips="nondeterministic_output", summary="Get one or multiple random members from a set",
         complexity="Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.")
def srandmember(client, argv):
    argc = len(argv)
    if argc == 3:
        return _srandmember_count(client, argv)
    if argc > 3:
        raise CommandError(errors.SYNTAX)
    s = get_set(client.db, argv[1])
    if s is None:
        return None
    return containers.pick(s)


def _srandmember_count(client, argv):
    count = parse_ll(argv[2])
    if count is None:
        raise CommandError(errors.NOT_INTEGER)
    if count < -LONG_MAX:
        raise CommandError(errors.LONG_RANGE)
    s = get_set(client.db, argv[1])
    if s is None or count == 0:
        return []
    if count < 0:
        return containers.choices(s, -count)
    if count >= len(s):
        return ordered(s)
    return containers.sample(s, count)


# -- SINTER, SINTERCARD, SINTERSTORE ------------------------------------------------------------------


def _lookup_all(db, keys) -> list:
    """Every key's set (None when missing); WRONGTYPE at the first key of another type."""
    sets = []
    for key in keys:
        value = db.get(key)
        if value is not None and type(value) is not SetObject:
            raise CommandError(errors.WRONGTYPE)
        sets.append(value)
    return sets


def _intersection(sets: list) -> tuple[SetObject, SetObject] | None:
    """(smallest set, members common to all), or None when a key is missing."""
    if any(s is None for s in sets):
        return None
    ordered_sets = sorted(sets, key=len)  # stable, like Redis's qsort on equal sizes
    first = ordered_sets[0]
    others = [s for s in ordered_sets[1:] if s is not first]
    return first, (first.intersection(*others) if others else set(first))


_INTER_COMPLEXITY = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."


@command("sinter", -2, "readonly", group="set", keys=[KeySpec("RO ACCESS", index=1, lastkey=-1)],
         tips="nondeterministic_output_order", summary="Intersect multiple sets", complexity=_INTER_COMPLEXITY)
def sinter(client, argv):
    found = _intersection(_lookup_all(client.db, argv[1:]))
    if found is None:
        return SetReply()
    first, common = found
    if first.intset:
        return SetReply(sorted(common, key=int))
    return SetReply(common)


@command("sinterstore", -3, "write denyoom", group="set",
         keys=[KeySpec("RW UPDATE", index=1), KeySpec("RO ACCESS", index=2, lastkey=-1)],
         summary="Intersect multiple sets and store the resulting set in a key", complexity=_INTER_COMPLEXITY)
def sinterstore(client, argv):
    db = client.db
    found = _intersection(_lookup_all(db, argv[2:]))
    common = found[1] if found is not None else ()
    return _store(client, argv[1], common, b"sinterstore")


def _store(client, key: bytes, members, event: bytes, result: SetObject | None = None) -> int:
    """Store the result of SINTERSTORE & co. at ``key`` (or delete ``key`` when empty)."""
    db = client.db
    if not members:
        old = delete_empty_result(client, key)
        if type(old) is SetObject:
            containers.forget(old)
        return 0
    if result is None:
        result = _build(members, _max_intset(client))
    if client.server.notify_flags:
        created = db.peek(key) is None  # a stale key expires first, as in setKey's lookup
        db.set(key, result)
        key_event(client, NOTIFY_SET, event, key, created)
    else:
        db.set(key, result)
    return len(result)


@command("sintercard", -3, "readonly", group="set", keys=[KeySpec("RO ACCESS", index=1, keynum=(0, 1, 1))],
         summary="Intersect multiple sets and return the cardinality of the result", since="7.0.0",
         complexity=_INTER_COMPLEXITY)
def sintercard(client, argv):
    numkeys = parse_ll(argv[1])
    if numkeys is None or numkeys < 1:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE)
    argc = len(argv)
    if numkeys > argc - 2:
        raise CommandError(errors.NUMKEYS_TOO_MANY)
    limit = 0
    j = 2 + numkeys
    while j < argc:
        if argv[j].lower() == b"limit" and j + 1 < argc:
            limit = parse_ll(argv[j + 1])
            if limit is None or limit < 0:
                raise CommandError(errors.LIMIT_NEGATIVE)
            j += 2
        else:
            raise CommandError(errors.SYNTAX)
    sets = _lookup_all(client.db, argv[2 : 2 + numkeys])
    if any(s is None for s in sets):
        return 0
    if not limit:
        return len(_intersection(sets)[1])  # type: ignore[index]
    ordered_sets = sorted(sets, key=len)
    first = ordered_sets[0]
    others = [s for s in ordered_sets[1:] if s is not first]
    found = 0
    for member in first:
        for other in others:
            if member not in other:
                break
        else:
            found += 1
            if found >= limit:
                break
    return found


# -- SUNION, SDIFF and their STORE forms ----------------------------------------------------------------


def _union(sets: list) -> set:
    present = [s for s in sets if s is not None]
    return set().union(*present)


def _diff(sets: list, max_entries: int) -> tuple[set, bool]:
    """(SDIFF result, whether Redis's result set stays an intset).

    Redis picks one of two algorithms by estimated work; the second adds every member of
    the first set to the result before removing the others', so the result's encoding
    depends on the choice.
    """
    first = sets[0]
    if first is None:
        return set(), True
    present = [s for s in sets if s is not None]
    algo_one_work = len(first) * len(present) // 2
    algo_two_work = sum(len(s) for s in present)
    if any(s is first for s in sets[1:]):
        result: set = set()
    else:
        result = first.difference(*present[1:])
    if algo_one_work <= algo_two_work:
        intset = len(result) <= max_entries and _all_ints(result)
    else:
        intset = len(first) <= max_entries and (first.intset or _all_ints(first))
    return result, intset


def _set_reply(members, intset: bool) -> SetReply:
    if intset:
        return SetReply(sorted(members, key=int))
    return SetReply(members)


_UNION_COMPLEXITY = "O(N) where N is the total number of elements in all given sets."


@command("sunion", -2, "readonly", group="set", keys=[KeySpec("RO ACCESS", index=1, lastkey=-1)],
         tips="nondeterministic_output_order", summary="Add multiple sets", complexity=_UNION_COMPLEXITY)
def sunion(client, argv):
    result = _union(_lookup_all(client.db, argv[1:]))
    max_entries = _max_intset(client)
    return _set_reply(result, len(result) <= max_entries and _all_ints(result))


@command("sunionstore", -3, "write denyoom", group="set",
         keys=[KeySpec("OW UPDATE", index=1), KeySpec("RO ACCESS", index=2, lastkey=-1)],
         summary="Add multiple sets and store the resulting set in a key", complexity=_UNION_COMPLEXITY)
def sunionstore(client, argv):
    result = _union(_lookup_all(client.db, argv[2:]))
    return _store(client, argv[1], result, b"sunionstore")


@command("sdiff", -2, "readonly", group="set", keys=[KeySpec("RO ACCESS", index=1, lastkey=-1)],
         tips="nondeterministic_output_order", summary="Subtract multiple sets", complexity=_UNION_COMPLEXITY)
def sdiff(client, argv):
    result, intset = _diff(_lookup_all(client.db, argv[1:]), _max_intset(client))
    return _set_reply(result, intset)


@command("sdiffstore", -3, "write denyoom", group="set",
         keys=[KeySpec("OW UPDATE", index=1), KeySpec("RO ACCESS", index=2, lastkey=-1)],
         summary="Subtract multiple sets and store the resulting set in a key", complexity=_UNION_COMPLEXITY)
def sdiffstore(client, argv):
    result, intset = _diff(_lookup_all(client.db, argv[2:]), _max_intset(client))
    stored = SetObject(result)
    stored.intset = intset
    return _store(client, argv[1], result, b"sdiffstore", stored)


# -- SSCAN ----------------------------------------------------------------------------------------


@command("sscan", -3, "readonly", group="set", keys=[KeySpec("RO ACCESS", index=1)],
         tips="nondeterministic_output", summary="Incrementally iterate Set elements", since="2.8.0",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")
def sscan(client, argv):
    cursor = parse_scan_cursor(argv[2])
    s = get_set(client.db, argv[1])
    if s is None:
        return [b"0", []]
    count, pattern = scan_options(argv, 3)
    if s.intset:
        cursor, members = 0, sorted(s, key=int)  # an intset is returned whole
    else:
        cursor, members = containers.scan(s, cursor, count)
    if pattern is not None and pattern != b"*":
        match = compile_glob(pattern)
        members = [m for m in members if match(m)]
    return [b"%d" % cursor, members]
