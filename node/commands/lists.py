"""List commands: LPUSH/RPUSH(X), LPOP/RPOP [count], LLEN, LINDEX, LSET, LRANGE, LTRIM, LREM,
LINSERT, LPOS, LMOVE/RPOPLPUSH, LMPOP, and the blocking BLPOP/BRPOP/BLMOVE/BRPOPLPUSH/BLMPOP.

A list is a :class:`ListObject`, a ``collections.deque`` of ``bytes`` (O(1) push and pop at
both ends, indexing from the nearer end). Redis 7.0 stores every list as a quicklist (the
listpack encoding for small lists arrived in 7.2), so OBJECT ENCODING always answers
``quicklist`` here too, whatever ``list-max-listpack-size`` says: that directive only sizes
the quicklist's nodes, which have no visible effect.

Every change goes through ``db.set`` (a new key), ``db.touch`` (a change in place) or
``db.delete``/``db.pop`` (the list became empty: Redis never keeps an empty list), and the
dirty counter moves as much as Redis's ``server.dirty`` does (LPUSH counts every element,
LPOP/LREM/LTRIM every element removed, LTRIM of nothing counts nothing).

Argument checks follow Redis 7.0's ``t_list.c`` in order, since the order decides which
error (or which empty reply) a bad command gets: LRANGE/LTRIM/LREM parse their integers
before looking the key up, LINDEX and LSET after; LPOP parses its count first, then answers
a missing key with a null (a null *array* when a count was given), then an empty array for
a count of 0.

Blocking commands serve at once when they can, exactly like their non-blocking twins,
otherwise return :class:`node.blocking.Block` (see that module: the node re-runs the
handler when a key is written). Two Redis details shape them:

* Redis wakes a blocked client only for keys that hold a list: a blocked BLPOP whose key
  is set to a string keeps waiting. A re-run (recognised by the client still being in the
  node's registry of waiters) therefore skips keys of other types instead of answering
  WRONGTYPE; the first run answers WRONGTYPE as Redis does.
* Inside MULTI/EXEC Redis does not block: BLPOP/BRPOP/BLMPOP answer a null array, but
  BLMOVE/BRPOPLPUSH a null bulk (while a real timeout gives them a null array), so those
  two answer ``None`` themselves when ``client.in_exec``.

Timeouts are parsed like Redis's ``getTimeoutFromObjectOrReply``: ``strtold`` on the
whole argument (hex floats accepted, spaces and ``_`` refused), multiplied by 1000 as a
long double and truncated to a 64-bit integer of milliseconds, so ``-0.0001`` means 0
(forever) and ``inf`` or ``1e16`` overflow to a negative number ("timeout is negative").
"""

from __future__ import annotations

from collections import deque
from itertools import islice

from node import errors
from node.blocking import Block, is_rerun, keys_to_serve
from node.commands.containers import parse_long, rank_range
from node.commands.keys import register_type, typed_lookup
from node.commands.spec import KeySpec, command
from node.commands.strings import _INFINITE, ld_round, parse_long_double
from node.errors import CommandError
from node.notify import NOTIFY_LIST, key_event, key_removed
from node.replies import NULL_ARRAY, OK

LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)


class ListObject(deque):
    """A list value: a deque of bytes elements."""

    __slots__ = ()


def _encoding(value: ListObject) -> bytes:
    return b"quicklist"


def _copy(value: ListObject) -> ListObject:
    return ListObject(value)


register_type(ListObject, b"list", encoding=_encoding, copy=_copy)


# -- helpers --------------------------------------------------------------------------------------


get_list = typed_lookup(ListObject)


def _long(raw: bytes, error: str | None = None) -> int:
    """getLongFromObjectOrReply."""
    value = parse_long(raw)
    if value is None:
        raise CommandError(error or errors.NOT_INTEGER)
    return value


def _range_long(raw: bytes, low: int, high: int, error: str) -> int:
    """getRangeLongFromObjectOrReply with a message: the same text for both failures."""
    value = parse_long(raw)
    if value is None or not low <= value <= high:
        raise CommandError(error)
    return value


def _where(raw: bytes) -> bool:
    """getListPositionFromObjectOrReply: True for LEFT (the head), False for RIGHT."""
    word = raw.lower()
    if word == b"left":
        return True
    if word == b"right":
        return False
    raise CommandError(errors.SYNTAX)


def _removed(client, key: bytes, lst: ListObject, base: int, dirty: int, event: bytes) -> None:
    """Elements were removed from ``lst`` in place: delete the key if it is empty, signal
    WATCH either way, leave the dirty counter ``dirty`` above ``base``, and publish
    ``event`` (then ``del`` if the list is gone)."""
    db = client.db
    if lst:
        db.touch(key)
    else:
        db.delete(key)
    db.clock.dirty = base + dirty
    if client.server.notify_flags:
        key_removed(client, NOTIFY_LIST, event, key, not lst)


def _pop_event(head: bool) -> bytes:
    return b"lpop" if head else b"rpop"


def _push_event(head: bool) -> bytes:
    return b"lpush" if head else b"rpush"


def _pop_range(lst: ListObject, head: bool, count: int) -> list[bytes]:
    n = min(count, len(lst))
    pop = lst.popleft if head else lst.pop
    return [pop() for _ in range(n)]


def parse_list_timeout(raw: bytes) -> float:
    """getTimeoutFromObjectOrReply(UNIT_SECONDS): seconds as a float, 0 meaning forever."""
    value = parse_long_double(raw)
    if value is None:
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    if value is _INFINITE:
        raise CommandError(errors.TIMEOUT_NEGATIVE)  # (long long)inf is LLONG_MIN on x86
    m, e = value  # type: ignore[misc]
    product = ld_round(m * 1000 << e) if e >= 0 else ld_round(m * 1000, 1 << -e)
    if product is None:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    pm, pe = product
    if pe >= 0:
        ms = pm << pe
    else:
        ms = abs(pm) >> -pe
        if pm < 0:
            ms = -ms
    if ms < LONG_MIN or ms > LONG_MAX:
        ms = LONG_MIN  # the x86 conversion of an out-of-range value
    if ms < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    return ms / 1000.0


# -- push -----------------------------------------------------------------------------------------


def _push(client, argv, head: bool, xx: bool) -> int:
    # A hot path: the lookup, the store and the dirty count inline.
    db = client.db
    key = argv[1]
    lst = db.get(key)
    created = lst is None
    if created:
        if xx:
            return 0
        lst = ListObject()
    elif type(lst) is not ListObject:
        raise CommandError(errors.WRONGTYPE)
    if len(argv) == 3:
        if head:
            lst.appendleft(argv[2])
        else:
            lst.append(argv[2])
    else:
        if head:
            lst.extendleft(argv[2:])
        else:
            lst.extend(argv[2:])
        db.clock.dirty += len(argv) - 3  # one per element; set/touch count the first
    if created:
        db.set(key, lst)
    else:
        db.touch(key)
    if client.server.notify_flags:
        key_event(client, NOTIFY_LIST, _push_event(head), key, created)
    return len(lst)


_PUSH_KEYS = [KeySpec("RW INSERT", index=1)]
_PUSH_COMPLEXITY = ("O(1) for each element added, so O(N) to add N elements when the command is called "
                    "with multiple arguments.")


@command("lpush", -3, "write denyoom fast", group="list", keys=_PUSH_KEYS,
         summary="Prepend one or multiple elements to a list", complexity=_PUSH_COMPLEXITY)
def lpush(client, argv):
    return _push(client, argv, True, False)


@command("rpush", -3, "write denyoom fast", group="list", keys=_PUSH_KEYS,
         summary="Append one or multiple elements to a list", complexity=_PUSH_COMPLEXITY)
def rpush(client, argv):
    return _push(client, argv, False, False)


@command("lpushx", -3, "write denyoom fast", group="list", keys=_PUSH_KEYS, since="2.2.0",
         summary="Prepend an element to a list, only if the list exists", complexity=_PUSH_COMPLEXITY)
def lpushx(client, argv):
    return _push(client, argv, True, True)


@command("rpushx", -3, "write denyoom fast", group="list", keys=_PUSH_KEYS, since="2.2.0",
         summary="Append an element to a list, only if the list exists", complexity=_PUSH_COMPLEXITY)
def rpushx(client, argv):
    return _push(client, argv, False, True)


# -- pop ------------------------------------------------------------------------------------------


def _pop(client, argv, head: bool):
    """popGenericCommand."""
    argc = len(argv)
    if argc != 2:
        return _pop_count(client, argv, head)
    db = client.db
    key = argv[1]
    lst = db.get(key)
    if lst is None:
        return None
    if type(lst) is not ListObject:
        raise CommandError(errors.WRONGTYPE)
    value = lst.popleft() if head else lst.pop()
    if lst:
        db.touch(key)
    else:
        db.delete(key)
    if client.server.notify_flags:
        key_removed(client, NOTIFY_LIST, _pop_event(head), key, not lst)
    return value


def _pop_count(client, argv, head: bool):
    if len(argv) > 3:
        raise CommandError(errors.wrong_arity("lpop" if head else "rpop"))
    count = _range_long(argv[2], 0, LONG_MAX, errors.MUST_BE_POSITIVE)
    db = client.db
    key = argv[1]
    lst = get_list(db, key)
    if lst is None:
        return NULL_ARRAY
    if not count:
        return []
    base = db.clock.dirty
    values = _pop_range(lst, head, count)
    _removed(client, key, lst, base, len(values), _pop_event(head))
    return values


_POP_KEYS = [KeySpec("RW ACCESS DELETE", index=1)]


@command("lpop", -2, "write fast", group="list", keys=_POP_KEYS,
         summary="Remove and get the first elements in a list",
         complexity="O(N) where N is the number of elements returned")
def lpop(client, argv):
    return _pop(client, argv, True)


@command("rpop", -2, "write fast", group="list", keys=_POP_KEYS,
         summary="Remove and get the last elements in a list",
         complexity="O(N) where N is the number of elements returned")
def rpop(client, argv):
    return _pop(client, argv, False)


# -- reading --------------------------------------------------------------------------------------


@command("llen", 2, "readonly fast", group="list", keys=[KeySpec("RO", index=1)],
         summary="Get the length of a list")
def llen(client, argv):
    lst = get_list(client.db, argv[1])
    return 0 if lst is None else len(lst)


@command("lindex", 3, "readonly", group="list", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Get an element from a list by its index",
         complexity="O(N) where N is the number of elements to traverse to get to the element at index. "
                    "This makes asking for the first or the last element of the list O(1).")
def lindex(client, argv):
    lst = get_list(client.db, argv[1])
    if lst is None:
        return None
    index = _long(argv[2])
    n = len(lst)
    if index < 0:
        index += n
    if 0 <= index < n:
        return lst[index]
    return None


def _range(lst: ListObject, start: int, end: int) -> list[bytes]:
    """addListRangeReply's range: Redis's clamping, walked from the nearer end."""
    n = len(lst)
    span = rank_range(start, end, n)
    if span is None:
        return []
    start, end = span
    if start == 0 and end == n - 1:
        return list(lst)
    if start > n - 1 - end:
        # Nearer the tail: walk backwards from it.
        out = list(islice(reversed(lst), n - 1 - end, n - start))
        out.reverse()
        return out
    return list(islice(lst, start, end + 1))


@command("lrange", 4, "readonly", group="list", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Get a range of elements from a list",
         complexity="O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest "
                    "end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.")
def lrange(client, argv):
    start = _long(argv[2])
    end = _long(argv[3])
    lst = get_list(client.db, argv[1])
    if lst is None:
        return []
    return _range(lst, start, end)


@command("lpos", -3, "readonly", group="list", keys=[KeySpec("RO ACCESS", index=1)], since="6.0.6",
         summary="Return the index of matching elements on a list",
         complexity="O(N) where N is the number of elements in the list, for the average case. When searching "
                    "for elements near the head or the tail of the list, or when the MAXLEN option is provided, "
                    "the command may run in constant time.")
def lpos(client, argv):
    ele = argv[2]
    rank, count, maxlen = 1, -1, 0  # count -1: option not given
    argc = len(argv)
    j = 3
    while j < argc:
        opt = argv[j].lower()
        moreargs = j < argc - 1
        if opt == b"rank" and moreargs:
            j += 1
            rank = _long(argv[j])
            if rank == 0:
                raise CommandError(errors.LPOS_RANK_ZERO)
        elif opt == b"count" and moreargs:
            j += 1
            count = _range_long(argv[j], 0, LONG_MAX, errors.LPOS_COUNT_NEGATIVE)
        elif opt == b"maxlen" and moreargs:
            j += 1
            maxlen = _range_long(argv[j], 0, LONG_MAX, errors.LPOS_MAXLEN_NEGATIVE)
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    forward = rank > 0
    # Redis negates a negative rank in a C long: RANK -9223372036854775808 stays negative,
    # so every match qualifies and COUNT's stop test never holds (it overflows too).
    overflow = rank == LONG_MIN
    if rank < 0 and not overflow:
        rank = -rank
    lst = get_list(client.db, argv[1])
    if lst is None:
        return [] if count != -1 else None
    n = len(lst)
    scan = n if not maxlen else min(maxlen, n)
    found: list[int] = []
    matches = 0
    if forward:
        # deque.index walks in C; it is bounded by the MAXLEN window.
        i = 0
        while i < scan:
            try:
                i = lst.index(ele, i, scan)
            except ValueError:
                break
            matches += 1
            if matches >= rank:
                if count == -1:
                    return i
                found.append(i)
                if count and matches - rank + 1 >= count:
                    break
            i += 1
    else:
        for offset, value in enumerate(islice(reversed(lst), scan)):
            if value == ele:
                matches += 1
                if overflow or matches >= rank:
                    index = n - offset - 1
                    if count == -1:
                        return index
                    found.append(index)
                    if count and not overflow and matches - rank + 1 >= count:
                        break
    return None if count == -1 else found


# -- in-place changes -----------------------------------------------------------------------------


@command("lset", 4, "write denyoom", group="list", keys=[KeySpec("RW UPDATE", index=1)],
         summary="Set the value of an element in a list by its index",
         complexity="O(N) where N is the length of the list. Setting either the first or the last element "
                    "of the list is O(1).")
def lset(client, argv):
    db = client.db
    key = argv[1]
    lst = db.get(key)
    if lst is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if type(lst) is not ListObject:
        raise CommandError(errors.WRONGTYPE)
    index = _long(argv[2])
    n = len(lst)
    if index < 0:
        index += n
    if not 0 <= index < n:
        raise CommandError(errors.OUT_OF_RANGE)
    lst[index] = argv[3]
    db.touch(key)
    if client.server.notify_flags:
        key_event(client, NOTIFY_LIST, b"lset", key)
    return OK


@command("ltrim", 4, "write", group="list", keys=[KeySpec("RW DELETE", index=1)],
         summary="Trim a list to the specified range",
         complexity="O(N) where N is the number of elements to be removed by the operation.")
def ltrim(client, argv):
    start = _long(argv[2])
    end = _long(argv[3])
    db = client.db
    key = argv[1]
    lst = get_list(db, key)
    if lst is None:
        return OK
    base = db.clock.dirty
    n = len(lst)
    span = rank_range(start, end, n)
    if span is None:
        ltrim_, rtrim = n, 0
    else:
        ltrim_, rtrim = span[0], n - span[1] - 1
    kept = n - ltrim_ - rtrim
    if kept < ltrim_ + rtrim:
        # Cheaper to rebuild from what stays.
        remaining = _range(lst, ltrim_, ltrim_ + kept - 1) if kept else []
        lst.clear()
        lst.extend(remaining)
    else:
        for _ in range(ltrim_):
            lst.popleft()
        for _ in range(rtrim):
            lst.pop()
    _removed(client, key, lst, base, ltrim_ + rtrim, b"ltrim")
    return OK


@command("lrem", 4, "write", group="list", keys=[KeySpec("RW DELETE", index=1)],
         summary="Remove elements from a list",
         complexity="O(N+M) where N is the length of the list and M is the number of elements removed.")
def lrem(client, argv):
    toremove = _long(argv[2])
    ele = argv[3]
    db = client.db
    key = argv[1]
    lst = get_list(db, key)
    if lst is None:
        return 0
    base = db.clock.dirty
    n = len(lst)
    if toremove == 1:
        try:
            lst.remove(ele)
        except ValueError:
            return 0
        removed = 1
    elif toremove == 0:
        kept = [v for v in lst if v != ele]
        removed = n - len(kept)
        if removed:
            lst.clear()
            lst.extend(kept)
    else:
        limit = abs(toremove)
        source = lst if toremove > 0 else reversed(lst)
        kept = []
        removed = 0
        for v in source:
            if removed < limit and v == ele:
                removed += 1
            else:
                kept.append(v)
        if removed:
            if toremove < 0:
                kept.reverse()
            lst.clear()
            lst.extend(kept)
    if not removed:
        return 0
    _removed(client, key, lst, base, removed, b"lrem")
    return removed


@command("linsert", 5, "write denyoom", group="list", keys=[KeySpec("RW INSERT", index=1)], since="2.2.0",
         summary="Insert an element before or after another element in a list",
         complexity="O(N) where N is the number of elements to traverse before seeing the value pivot. This "
                    "means that inserting somewhere on the left end on the list (head) can be considered O(1) "
                    "and inserting somewhere on the right end (tail) is O(N).")
def linsert(client, argv):
    where = argv[2].lower()
    if where == b"after":
        after = True
    elif where == b"before":
        after = False
    else:
        raise CommandError(errors.SYNTAX)
    db = client.db
    key = argv[1]
    lst = get_list(db, key)
    if lst is None:
        return 0
    try:
        i = lst.index(argv[3])
    except ValueError:
        return -1
    lst.insert(i + 1 if after else i, argv[4])
    db.touch(key)
    if client.server.notify_flags:
        key_event(client, NOTIFY_LIST, b"linsert", key)
    return len(lst)


# -- moving between lists -------------------------------------------------------------------------


def _move(client, src: bytes, dst: bytes, slist: ListObject, head_from: bool, head_to: bool) -> bytes:
    """lmoveGenericCommand once the source is known to be a non-empty list: checks the
    destination's type, pops, pushes; returns the element. Events as Redis publishes
    them: the push on ``dst`` first, then the pop on ``src`` (and its ``del``)."""
    db = client.db
    dlist = db.get(dst)
    if dlist is not None and type(dlist) is not ListObject:
        raise CommandError(errors.WRONGTYPE)
    base = db.clock.dirty
    value = slist.popleft() if head_from else slist.pop()
    created = dlist is None
    if created:
        dlist = ListObject()
    if head_to:
        dlist.appendleft(value)
    else:
        dlist.append(value)
    if created:
        db.set(dst, dlist)
    else:
        db.touch(dst)
    if slist:
        db.touch(src)
    else:
        db.delete(src)
    db.clock.dirty = base + 1
    if client.server.notify_flags:
        key_event(client, NOTIFY_LIST, _push_event(head_to), dst, created)
        key_removed(client, NOTIFY_LIST, _pop_event(head_from), src, not slist)
    return value


def _lmove(client, argv, head_from: bool, head_to: bool):
    db = client.db
    src = argv[1]
    slist = get_list(db, src)
    if slist is None:
        return None
    return _move(client, src, argv[2], slist, head_from, head_to)


_MOVE_KEYS = [KeySpec("RW ACCESS DELETE", index=1), KeySpec("RW INSERT", index=2)]


@command("lmove", 5, "write denyoom", group="list", keys=_MOVE_KEYS, since="6.2.0",
         summary="Pop an element from a list, push it to another list and return it")
def lmove(client, argv):
    head_from = _where(argv[3])
    head_to = _where(argv[4])
    return _lmove(client, argv, head_from, head_to)


@command("rpoplpush", 3, "write denyoom", group="list", keys=_MOVE_KEYS, since="1.2.0",
         summary="Remove the last element in a list, prepend it to another list and return it")
def rpoplpush(client, argv):
    return _lmove(client, argv, False, True)


def _mpop_args(argv, numkeys_idx: int) -> tuple[list[bytes], bool, int]:
    """lmpopGenericCommand's parsing: (keys, head, count)."""
    argc = len(argv)
    numkeys = _range_long(argv[numkeys_idx], 1, LONG_MAX, errors.NUMKEYS_NOT_POSITIVE)
    where_idx = numkeys_idx + numkeys + 1
    if where_idx >= argc:
        raise CommandError(errors.SYNTAX)
    head = _where(argv[where_idx])
    count = parse_mpop_count(argv, where_idx + 1, errors.LIST_COUNT_POSITIVE)
    return argv[numkeys_idx + 1:where_idx], head, count


def parse_mpop_count(argv: list[bytes], j: int, error: str) -> int:
    """The optional ``COUNT n`` after LMPOP's / ZMPOP's direction word (once, n >= 1; 1 if absent)."""
    argc = len(argv)
    count = -1
    while j < argc:
        if count == -1 and argv[j].lower() == b"count" and j < argc - 1:
            j += 1
            count = _range_long(argv[j], 1, LONG_MAX, error)
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    return 1 if count == -1 else count


def _first_list(db, keys: list[bytes], client=None) -> tuple[bytes | None, ListObject | None]:
    """The first key holding a non-empty list; WRONGTYPE at the first other value. Given the
    ``client`` of a blocking command, a re-run skips those instead: Redis only serves blocked
    clients from lists."""
    for key in keys_to_serve(client, keys):
        value = db.get(key)
        if value is None:
            continue
        if type(value) is not ListObject:
            if client is not None and is_rerun(client):
                continue
            raise CommandError(errors.WRONGTYPE)
        if value:
            return key, value
    return None, None


def _pop_with_key(client, key: bytes, lst: ListObject, head: bool, count: int) -> list:
    base = client.db.clock.dirty
    values = _pop_range(lst, head, count)
    _removed(client, key, lst, base, len(values), _pop_event(head))
    return [key, values]


_LMPOP_COMPLEXITY = "O(N+M) where N is the number of provided keys and M is the number of elements returned."


@command("lmpop", -4, "write", group="list", keys=[KeySpec("RW ACCESS DELETE", index=1, keynum=(0, 1, 1))],
         since="7.0.0", summary="Pop elements from a list", complexity=_LMPOP_COMPLEXITY)
def lmpop(client, argv):
    keys, head, count = _mpop_args(argv, 1)
    db = client.db
    key, lst = _first_list(db, keys)
    if lst is None:
        return NULL_ARRAY
    return _pop_with_key(client, key, lst, head, count)  # type: ignore[arg-type]


# -- blocking -------------------------------------------------------------------------------------


def _bpop(client, argv, head: bool):
    timeout = parse_list_timeout(argv[-1])
    keys = argv[1:-1]
    db = client.db
    key, lst = _first_list(db, keys, client)
    if lst is None:
        return Block(list(keys), timeout, NULL_ARRAY)
    base = db.clock.dirty
    value = lst.popleft() if head else lst.pop()
    _removed(client, key, lst, base, 1, _pop_event(head))  # type: ignore[arg-type]
    return [key, value]


_BPOP_KEYS = [KeySpec("RW ACCESS DELETE", index=1, lastkey=-2)]
_BPOP_COMPLEXITY = "O(N) where N is the number of provided keys."


@command("blpop", -3, "write noscript blocking", group="list", keys=_BPOP_KEYS, since="2.0.0",
         summary="Remove and get the first element in a list, or block until one is available",
         complexity=_BPOP_COMPLEXITY)
def blpop(client, argv):
    return _bpop(client, argv, True)


@command("brpop", -3, "write noscript blocking", group="list", keys=_BPOP_KEYS, since="2.0.0",
         summary="Remove and get the last element in a list, or block until one is available",
         complexity=_BPOP_COMPLEXITY)
def brpop(client, argv):
    return _bpop(client, argv, False)


def _blmove(client, argv, head_from: bool, head_to: bool, timeout: float):
    """blmoveGenericCommand: LMOVE at once if the source has elements, else block on it."""
    db = client.db
    src = argv[1]
    slist = db.get(src)
    if slist is not None and type(slist) is not ListObject:
        if not is_rerun(client):
            raise CommandError(errors.WRONGTYPE)
        slist = None
    if not slist:
        if client.in_exec:
            return None  # Redis answers a null bulk when it may not block
        return Block([src], timeout, NULL_ARRAY)
    return _move(client, src, argv[2], slist, head_from, head_to)


@command("blmove", 6, "write denyoom noscript blocking", group="list", keys=_MOVE_KEYS, since="6.2.0",
         summary="Pop an element from a list, push it to another list and return it; or block until one is available")
def blmove(client, argv):
    head_from = _where(argv[3])
    head_to = _where(argv[4])
    timeout = parse_list_timeout(argv[5])
    return _blmove(client, argv, head_from, head_to, timeout)


@command("brpoplpush", 4, "write denyoom noscript blocking", group="list", keys=_MOVE_KEYS, since="2.2.0",
         summary="Pop an element from a list, push it to another list and return it; or block until one is available")
def brpoplpush(client, argv):
    timeout = parse_list_timeout(argv[3])
    return _blmove(client, argv, False, True, timeout)


@command("blmpop", -5, "write blocking", group="list", keys=[KeySpec("RW ACCESS DELETE", index=2, keynum=(0, 1, 1))],
         since="7.0.0", summary="Pop elements from a list, or block until one is available",
         complexity=_LMPOP_COMPLEXITY)
def blmpop(client, argv):
    keys, head, count = _mpop_args(argv, 2)
    timeout = parse_list_timeout(argv[1])
    db = client.db
    key, lst = _first_list(db, keys, client)
    if lst is None:
        return Block(list(keys), timeout, NULL_ARRAY)
    return _pop_with_key(client, key, lst, head, count)  # type: ignore[arg-type]
