"""SORT and SORT_RO, as Redis 7.0.15's ``sort.c`` answers them.

``SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
[STORE destination]`` sorts a list, set or sorted set (a missing key is an empty list).

Parsing (``sortCommandGeneric``): options in any order, repeatable (the last LIMIT, BY and
STORE win; GETs accumulate). LIMIT parses both integers at once (``value is not an integer``);
an option word without enough arguments after it is a syntax error, and so is STORE in
SORT_RO. BY with a pattern holding no ``*`` means "don't sort" and stays so even if a later
BY has a ``*``. The key is looked up (WRONGTYPE for other types) only after the options.

Loading: a list keeps its order; with "don't sort" and a LIMIT only the range is read, from
the tail for DESC. A sorted set is converted to a skiplist first (Redis does that destructively,
so OBJECT ENCODING says ``skiplist`` afterwards); "don't sort" reads it in score order (DESC
from the tail). A set is read in its iteration order; a set with "don't sort" and STORE is
sorted ALPHA instead (without BY), so replicas get the same list.

Sorting: numerically by default, each element's (or BY value's) C ``strtod`` over the whole
C string (leading spaces allowed, an empty string is 0, trailing garbage, NaN, overflow and
inexact underflow are errors, reported only after the sort as "One or more scores can't be
converted into double"); ties are broken by comparing the elements as binary strings. A BY
key that is missing (or of another type) gives 0. ALPHA compares with ``strcoll`` (the C /
C.UTF-8 locale: byte order up to the first NUL byte) or, with STORE, as binary strings;
ALPHA with BY puts missing BY values first and leaves ties in place. Redis sorts with glibc's
``qsort`` (a stable merge sort) unless BY is given with a LIMIT that does not cover
everything, where it uses its own ``pqsort`` (an unstable partial quicksort): that one is
ported below, as the order of ALPHA BY ties depends on it.

Not reproduced: Redis tests ``errno == ERANGE`` after ``strtod`` without clearing ``errno``
first, so once a score overflowed, later SORTs fail on valid numbers until some unrelated
call resets ``errno``. Scores here are judged as if ``errno`` were 0 before each one.

Patterns (``lookupKeyByPattern``): ``#`` is the element itself; otherwise the first ``*`` is
replaced by the element, and ``->field`` after it (with a non-empty field) reads a hash
field; a pattern without ``*``, a missing key, a key of the wrong type or a missing field
give nothing (nil in a reply, an empty string in a STORE). Redis works on C strings here, so
the ``*``, ``->`` and ``#`` searches stop at a NUL byte, as they do below.

STORE writes a list (replacing any value and its TTL) and answers its length; an empty result
deletes the destination.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import islice

from node import errors
from node.commands.hashes import HashObject
from node.commands.keys import delete_empty_result, parse_ll
from node.commands.lists import ListObject
from node.commands.sets import SetObject, ordered
from node.commands.spec import REGISTRY, KeySpec, command
from node.commands.zsets import ZSet, strtod
from node.errors import CommandError
from node.notify import NOTIFY_LIST, key_event

_SPACES = b" \t\n\v\f\r"
_MIN_NORMAL = 2.2250738585072014e-308
_MAX = 1.7976931348623157e308
_DECIMAL = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z").match
_ZERO_MANTISSA = re.compile(rb"[+-]?[0.]*(?:[eE]|\Z)").match
_COMPLEXITY = (
    "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of "
    "returned elements. When the elements are not sorted, complexity is O(N)."
)
_BY_NOTES = ("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive "
             "from the content of the key we sort")
_STORE_NOTES = ("For the optional STORE keyword. It is marked 'unknown' because the keyword can appear "
                "anywhere in the argument array")


def _cstr(raw: bytes) -> bytes:
    """What C string functions see of ``raw``: everything before the first NUL byte."""
    if b"\0" in raw:
        return raw[: raw.index(b"\0")]
    return raw


# -- key extraction ---------------------------------------------------------------------------


def sort_getkeys(argv: list[bytes]) -> list[int]:
    """Redis's ``sortGetKeys``: the sorted key, and the argument after the last STORE
    (skipping the arguments of LIMIT, GET and BY)."""
    positions = [1]
    store = None
    argc = len(argv)
    i = 2
    while i < argc:
        word = _cstr(argv[i]).lower()
        if word == b"limit":
            i += 2
        elif word == b"store" and i + 1 < argc:
            store = i + 1
        elif word in (b"get", b"by"):
            i += 1
        i += 1
    if store is not None:
        positions.append(store)
    return positions


def sort_ro_getkeys(argv: list[bytes]) -> list[int]:
    """Redis's ``sortROGetKeys``: the sorted key is always argument 1."""
    return [1]


# -- numbers ----------------------------------------------------------------------------------


def _exact(body: bytes, value: float) -> bool:
    """Whether the number written in ``body`` is exactly ``value`` (no rounding happened)."""
    text = body.lstrip(b"+-")
    if text[:2].lower() == b"0x":
        mantissa, _, exp = text[2:].lower().partition(b"p")
        whole, _, frac = mantissa.partition(b".")
        exact = Fraction(int((whole + frac) or b"0", 16)) * Fraction(2) ** ((int(exp) if exp else 0) - 4 * len(frac))
    else:
        try:
            exact = Fraction(Decimal(text.decode()))
        except (InvalidOperation, ValueError):
            return False
    return exact == Fraction(abs(value))


def sort_score(raw: bytes) -> float | None:
    """``strtod(ptr, &eptr)`` as SORT checks it: the value, or None when ``eptr`` did not
    reach the end of the C string, ``errno`` is ERANGE or the value is NaN."""
    if _DECIMAL(raw):  # the usual case: a plain decimal number, nothing C-specific about it
        value = float(raw)
        if _MIN_NORMAL <= value <= _MAX or -_MAX <= value <= -_MIN_NORMAL or (not value and _ZERO_MANTISSA(raw)):
            return value
    text = _cstr(raw)
    if not text:
        return 0.0  # no conversion, but eptr already points at the terminating NUL
    body = text.lstrip(_SPACES)
    parsed = strtod(body)
    if parsed is None:
        return None
    value, erange = parsed
    if erange or value != value:
        return None
    if value and not math.isinf(value) and abs(value) < _MIN_NORMAL and not _exact(body, value):
        return None  # glibc sets ERANGE for an inexact subnormal result
    return value


# -- patterns ---------------------------------------------------------------------------------


def lookup_by_pattern(db, pattern: bytes, subst: bytes) -> bytes | None:
    """Redis's ``lookupKeyByPattern``: the string (or hash field) ``pattern`` names for the
    element ``subst``, or None."""
    if pattern[:1] == b"#" and (len(pattern) == 1 or pattern[1] == 0):
        return subst
    head = _cstr(pattern)
    star = head.find(b"*")
    if star < 0:
        return None
    arrow = head.find(b"->", star + 1)
    if arrow >= 0 and arrow + 2 < len(head):
        field = pattern[arrow + 2:]
        postfix = len(pattern) - (star + 1) - (len(field) + 2)
    else:
        field = None
        postfix = len(pattern) - (star + 1)
    key = pattern[:star] + subst + pattern[star + 1: star + 1 + postfix]
    value = db.get(key)
    if value is None:
        return None
    if field is not None:
        if type(value) is not HashObject:
            return None
        return value.get(field)
    if type(value) is not bytes:
        return None
    return value


# -- pqsort -----------------------------------------------------------------------------------


def pqsort(v: list, cmp, lrange: int, rrange: int) -> None:
    """Redis's ``pqsort`` (Bentley & McIlroy's quicksort, skipping partitions outside
    [lrange, rrange]) on the list ``v`` in place, comparing with ``cmp``; the same swaps and
    comparisons, so elements that compare equal end where Redis puts them."""

    def med3(a: int, b: int, c: int) -> int:
        if cmp(v[a], v[b]) < 0:
            if cmp(v[b], v[c]) < 0:
                return b
            return c if cmp(v[a], v[c]) < 0 else a
        if cmp(v[b], v[c]) > 0:
            return b
        return a if cmp(v[a], v[c]) < 0 else c

    def outside(lo: int, hi: int) -> bool:
        return (lrange < lo and rrange < lo) or (lrange > hi and rrange > hi)

    stack = [(0, len(v))]
    while stack:
        a, n = stack.pop()
        while True:
            if n < 7:
                for pm in range(a + 1, a + n):
                    pl = pm
                    while pl > a and cmp(v[pl - 1], v[pl]) > 0:
                        v[pl], v[pl - 1] = v[pl - 1], v[pl]
                        pl -= 1
                break
            pm = a + n // 2
            if n > 7:
                pl = a
                pn = a + n - 1
                if n > 40:
                    d = n // 8
                    pl = med3(pl, pl + d, pl + 2 * d)
                    pm = med3(pm - d, pm, pm + d)
                    pn = med3(pn - 2 * d, pn - d, pn)
                pm = med3(pl, pm, pn)
            v[a], v[pm] = v[pm], v[a]
            pa = pb = a + 1
            pc = pd = a + n - 1
            while True:
                while pb <= pc:
                    r = cmp(v[pb], v[a])
                    if r > 0:
                        break
                    if r == 0:
                        v[pa], v[pb] = v[pb], v[pa]
                        pa += 1
                    pb += 1
                while pb <= pc:
                    r = cmp(v[pc], v[a])
                    if r < 0:
                        break
                    if r == 0:
                        v[pc], v[pd] = v[pd], v[pc]
                        pd -= 1
                    pc -= 1
                if pb > pc:
                    break
                v[pb], v[pc] = v[pc], v[pb]
                pb += 1
                pc -= 1
            pn = a + n
            r = min(pa - a, pb - pa)
            for i in range(r):
                v[a + i], v[pb - r + i] = v[pb - r + i], v[a + i]
            r = min(pd - pc, pn - pd - 1)
            for i in range(r):
                v[pb + i], v[pn - r + i] = v[pn - r + i], v[pb + i]
            r = pb - pa
            if r > 1 and not outside(a, a + r - 1):
                stack.append((a, r))  # disjoint from what follows: the order is immaterial
            r = pd - pc
            if r > 1:
                a, n = pn - r, r
                if not outside(a, a + r - 1):
                    continue
            break


# -- the command ------------------------------------------------------------------------------


def _limit_arg(raw: bytes) -> int:
    value = parse_ll(raw)
    if value is None:
        raise CommandError(errors.NOT_INTEGER)
    return value


def _sort(client, argv, readonly: bool):
    desc = alpha = dontsort = False
    limit_start, limit_count = 0, -1
    sortby = storekey = None
    gets: list[bytes] = []
    cluster = client.server.route is not None
    argc = len(argv)
    j = 2
    while j < argc:
        left = argc - j - 1
        word = _cstr(argv[j]).lower()
        if word == b"asc":
            desc = False
        elif word == b"desc":
            desc = True
        elif word == b"alpha":
            alpha = True
        elif word == b"limit" and left >= 2:
            limit_start = _limit_arg(argv[j + 1])
            limit_count = _limit_arg(argv[j + 2])
            j += 2
        elif not readonly and word == b"store" and left >= 1:
            storekey = argv[j + 1]
            j += 1
        elif word == b"by" and left >= 1:
            sortby = argv[j + 1]
            if b"*" not in _cstr(sortby):
                dontsort = True
            elif cluster:
                raise CommandError(errors.SORT_BY_CLUSTER)
            j += 1
        elif word == b"get" and left >= 1:
            if cluster:
                raise CommandError(errors.SORT_GET_CLUSTER)
            gets.append(argv[j + 1])
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1

    db = client.db
    value = db.get(argv[1])
    kind = type(value)
    if value is None:
        value, kind = ListObject(), ListObject
    elif kind is not ListObject and kind is not SetObject and kind is not ZSet:
        raise CommandError(errors.WRONGTYPE)

    if dontsort and kind is SetObject and storekey is not None:
        dontsort, alpha, sortby = False, True, None  # deterministic for replicas
    if kind is ZSet:
        value.convert()  # Redis converts to a skiplist for good

    n = len(value)
    start = limit_start if limit_start > 0 else 0
    end = n - 1 if limit_count < 0 else start + limit_count - 1
    if start >= n:
        start, end = n - 1, n - 2
    if end >= n:
        end = n - 1
    veclen = n
    if kind is not SetObject and dontsort and (start != 0 or end != n - 1):
        veclen = end - start + 1

    if kind is ListObject and dontsort:
        vector: list[bytes] = []
        if end >= start:
            if desc:
                vector = list(islice(reversed(value), start, start + veclen))
            else:
                vector = list(islice(value, start, start + veclen))
            end -= start
            start = 0
    elif kind is ListObject:
        vector = list(value)
    elif kind is SetObject:
        vector = ordered(value)
    elif dontsort:  # a sorted set, in score order
        if veclen <= 0:
            vector = []
        elif desc:
            vector = value.members(n - start - veclen, n - start, reverse=True)
        else:
            vector = value.members(start, start + veclen)
        end -= start
        start = 0
    else:
        vector = list(value.scores)

    conversion_error = False
    if not dontsort:
        store = storekey is not None
        if alpha:
            if sortby is None:
                if store:
                    vector.sort(reverse=desc)
                else:
                    vector.sort(key=_cstr, reverse=desc)
            else:
                pairs = []
                for elem in vector:
                    by = lookup_by_pattern(db, sortby, elem)
                    if by is not None and not store:
                        by = _cstr(by)
                    pairs.append((elem, by))
                if start != 0 or end != len(pairs) - 1:
                    pqsort(pairs, _alpha_by_cmp_desc if desc else _alpha_by_cmp, start, end)
                else:
                    pairs.sort(key=_alpha_by_key, reverse=desc)
                vector = [elem for elem, _ in pairs]
        else:
            scored = []
            for elem in vector:
                if sortby is not None:
                    by = lookup_by_pattern(db, sortby, elem)
                    if by is None:
                        scored.append((0.0, elem))
                        continue
                else:
                    by = elem
                score = sort_score(by)
                if score is None:
                    conversion_error = True
                    score = 0.0
                scored.append((score, elem))
            if not conversion_error:
                scored.sort(reverse=desc)  # ties: the elements' binary order (identical ones are alike)
                vector = [elem for _, elem in scored]

    if conversion_error:
        raise CommandError(errors.SORT_SCORES)

    if storekey is None:
        if not gets:
            return vector[start: end + 1] if end >= start else []
        out = []
        for elem in vector[start: end + 1] if end >= start else ():
            for pattern in gets:
                out.append(lookup_by_pattern(db, pattern, elem))
        return out

    if not gets:
        result = ListObject(vector[start: end + 1] if end >= start else ())
    else:
        result = ListObject()
        for elem in vector[start: end + 1] if end >= start else ():
            for pattern in gets:
                found = lookup_by_pattern(db, pattern, elem)
                result.append(b"" if found is None else found)
    count = len(result)
    notifying = client.server.notify_flags
    if count:
        base = db.clock.dirty
        created = notifying and db.peek(storekey) is None  # a stale key expires first
        db.set(storekey, result)
        db.clock.dirty = base + count
        if notifying:
            key_event(client, NOTIFY_LIST, b"sortstore", storekey, created)
    else:
        delete_empty_result(client, storekey)
    return count


def _alpha_by_key(pair):
    by = pair[1]
    return (False, b"") if by is None else (True, by)


def _alpha_by_cmp(x, y) -> int:
    a, b = x[1], y[1]
    if a is None or b is None:
        if a is b:
            return 0
        return -1 if a is None else 1
    return (a > b) - (a < b)


def _alpha_by_cmp_desc(x, y) -> int:
    return -_alpha_by_cmp(x, y)


@command("sort", -2, "write denyoom", group="generic", getkeys=sort_getkeys,
         keys=[KeySpec("RO ACCESS", index=1), KeySpec("RO ACCESS", notes=_BY_NOTES),
               KeySpec("OW UPDATE", notes=_STORE_NOTES)],
         summary="Sort the elements in a list, set or sorted set", complexity=_COMPLEXITY)
def sort(client, argv):
    return _sort(client, argv, False)


@command("sort_ro", -2, "readonly", group="generic", getkeys=sort_ro_getkeys,
         keys=[KeySpec("RO ACCESS", index=1), KeySpec("RO ACCESS", notes=_BY_NOTES)],
         summary="Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
         since="7.0.0", complexity=_COMPLEXITY)
def sort_ro(client, argv):
    return _sort(client, argv, True)


# Redis gives SORT its ACL categories by hand: the containers it reads, not @keyspace.
REGISTRY[b"sort"].acl_categories = ("write", "set", "sortedset", "list", "slow", "dangerous")
REGISTRY[b"sort_ro"].acl_categories = ("read", "set", "sortedset", "list", "slow", "dangerous")
