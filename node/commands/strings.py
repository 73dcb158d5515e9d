"""String commands: GET/SET and their variants, counters, ranges, MSET/MGET, LCS.

Strings are stored as ``bytes`` in ``db.data`` (integers too: Redis's int encoding is an
internal detail with no visible effect here). A key holding anything else answers
WRONGTYPE. Every change goes through the Database methods, so WATCH and the dirty counter
see it; commands that modify a string in place (APPEND, SETRANGE, INCR...) keep its TTL,
commands that replace it (SET, GETSET, MSET) clear it, as in Redis.

Argument parsing follows Redis 7.0's ``t_string.c`` step by step, because the order of the
checks decides which error a bad command gets (for example GETEX on a missing key answers
nil before looking at its expire argument).

Keyspace notifications (``node/notify.py``) are published only behind a test of
``server.notify_flags``, so SET and GET pay one attribute read when they are off. A write
that creates its key publishes ``new`` first; a write that replaces an expired key looks it
up first (publishing ``expired``), as Redis's ``lookupKeyWrite`` does.
"""

from __future__ import annotations

import re

from node import errors
from node.commands.keys import typed_lookup
from node.commands.spec import KeySpec, command
from node.errors import CommandError
from node.notify import NOTIFY_GENERIC, NOTIFY_STRING, key_event
from node.replies import OK

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)

# -- integers --------------------------------------------------------------------------------


def parse_ll(raw: bytes) -> int | None:
    """Redis's ``string2ll``: a canonical signed 64-bit decimal, else None.

    ``int()`` accepts more than Redis does (spaces, ``+``, ``_``, leading zeros), so the
    value must also print back to exactly ``raw``.
    """
    try:
        value = int(raw)
    except ValueError:
        return None
    if LLONG_MIN <= value <= LLONG_MAX and b"%d" % value == raw:
        return value
    return None


def int_arg(raw: bytes, error: str = errors.NOT_INTEGER) -> int:
    """A 64-bit integer argument (``getLongLongFromObjectOrReply``)."""
    value = parse_ll(raw)
    if value is None:
        raise CommandError(error)
    return value


get_string = typed_lookup(bytes)  # the string at a key (None if missing); WRONGTYPE otherwise


# -- GET / SET and friends ---------------------------------------------------------------------


@command("get", 2, "readonly fast", group="string", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Get the value of a key")
def get(client, argv):
    value = client.db.get(argv[1])
    if value is None or type(value) is bytes:
        return value
    raise CommandError(errors.WRONGTYPE)


# Option flags of parseExtendedStringArgumentsOrReply.
_NX, _XX, _GET, _KEEPTTL, _PERSIST, _EX, _PX, _EXAT, _PXAT = (1 << n for n in range(9))
_ANY_EXPIRE = _EX | _PX | _EXAT | _PXAT
_SECONDS = _EX | _EXAT
_RELATIVE = _EX | _PX
# For each expire option: the flags that must not be present already.
_EXPIRE_OPTIONS = {
    b"EX": (_EX, _KEEPTTL | _PERSIST | _EXAT | _PX | _PXAT),
    b"PX": (_PX, _KEEPTTL | _PERSIST | _EX | _EXAT | _PXAT),
    b"EXAT": (_EXAT, _KEEPTTL | _PERSIST | _EX | _PX | _PXAT),
    b"PXAT": (_PXAT, _KEEPTTL | _PERSIST | _EX | _EXAT | _PX),
}


def _parse_extended(argv: list[bytes], for_set: bool) -> tuple[int, bytes | None]:
    """(flags, expire argument) of SET's or GETEX's options; a misfit is a syntax error."""
    flags = 0
    expire = None
    j = 3 if for_set else 2
    argc = len(argv)
    while j < argc:
        opt = argv[j].upper()
        if opt in _EXPIRE_OPTIONS:
            flag, excluded = _EXPIRE_OPTIONS[opt]
            if flags & excluded or j == argc - 1:
                raise CommandError(errors.SYNTAX)
            flags |= flag
            expire = argv[j + 1]
            j += 2
            continue
        if for_set:
            if opt == b"NX" and not flags & _XX:
                flags |= _NX
            elif opt == b"XX" and not flags & _NX:
                flags |= _XX
            elif opt == b"GET":
                flags |= _GET
            elif opt == b"KEEPTTL" and not flags & (_PERSIST | _ANY_EXPIRE):
                flags |= _KEEPTTL
            else:
                raise CommandError(errors.SYNTAX)
        elif opt == b"PERSIST" and not flags & (_ANY_EXPIRE | _KEEPTTL):
            flags |= _PERSIST
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    return flags, expire


def _expire_at_ms(raw: bytes, flags: int, now_ms: int, name: str) -> int:
    """``getExpireMillisecondsOrReply``: the absolute unix-ms expiry an option asks for."""
    ms = int_arg(raw)
    seconds = flags & _SECONDS
    if ms <= 0 or (seconds and ms > LLONG_MAX // 1000):
        raise CommandError(errors.INVALID_EXPIRE.format(name))
    if seconds:
        ms *= 1000
    if flags & _RELATIVE:
        ms += now_ms
    if ms > LLONG_MAX:  # Redis's addition overflows and it rejects the negative result
        raise CommandError(errors.INVALID_EXPIRE.format(name))
    return ms


@command("set", -3, "write denyoom", group="string",
         keys=[KeySpec("RW ACCESS UPDATE VARIABLE_FLAGS", index=1, notes="RW and ACCESS due to the optional `GET` argument")],
         summary="Set the string value of a key")
def set_(client, argv):
    if len(argv) == 3:
        if client.server.notify_flags:
            store_notifying(client, argv[1], argv[2], b"set")
            return OK
        client.db.set(argv[1], argv[2])
        return OK
    flags, expire = _parse_extended(argv, True)
    return _set_generic(client, argv[1], argv[2], flags, expire, "set", OK, None)


def store_notifying(client, key: bytes, value: bytes, event: bytes, keep_ttl: bool = False) -> None:
    """``db.set`` plus its events (class ``$``), for writes that did not look the key up
    first (SET, MSET, BITOP); only called while notifications are on."""
    db = client.db
    created = db.peek(key) is None  # expires a stale key first ("expired"), like lookupKeyWrite
    db.set(key, value, keep_ttl=keep_ttl)
    key_event(client, NOTIFY_STRING, event, key, created)


def _set_generic(client, key: bytes, value: bytes, flags: int, expire: bytes | None, name: str,
                 ok_reply: object, abort_reply: object) -> object:
    """Redis's ``setGenericCommand``."""
    db = client.db
    when = _expire_at_ms(expire, flags, db.clock.ms, name) if expire is not None else None
    # SET counts as a read (keyspace hits/misses, keymiss) only for its GET option.
    old = get_string(db, key) if flags & _GET else None
    if flags & (_NX | _XX):
        found = old is not None if flags & _GET else db.get_for_write(key) is not None
        if (flags & _NX and found) or (flags & _XX and not found):
            return old if flags & _GET else abort_reply
    if client.server.notify_flags:
        store_notifying(client, key, value, b"set", bool(flags & _KEEPTTL))
    else:
        db.set(key, value, keep_ttl=bool(flags & _KEEPTTL))
    if when is not None:
        # A time already past is kept too: the key expires at its next lookup (7.0).
        db.set_expire(key, when)
        if client.server.notify_flags:
            key_event(client, NOTIFY_GENERIC, b"expire", key)
    return old if flags & _GET else ok_reply


@command("setnx", 3, "write denyoom fast", group="string", keys=[KeySpec("OW INSERT", index=1)],
         summary="Set the value of a key, only if the key does not exist")
def setnx(client, argv):
    db = client.db
    if db.get(argv[1]) is not None:
        return 0
    db.set(argv[1], argv[2])
    if client.server.notify_flags:
        key_event(client, NOTIFY_STRING, b"set", argv[1], True)
    return 1


@command("setex", 4, "write denyoom", group="string", keys=[KeySpec("OW UPDATE", index=1)],
         summary="Set the value and expiration of a key", since="2.0.0")
def setex(client, argv):
    return _set_generic(client, argv[1], argv[3], _EX, argv[2], "setex", OK, None)


@command("psetex", 4, "write denyoom", group="string", keys=[KeySpec("OW UPDATE", index=1)],
         summary="Set the value and expiration in milliseconds of a key", since="2.6.0")
def psetex(client, argv):
    return _set_generic(client, argv[1], argv[3], _PX, argv[2], "psetex", OK, None)


@command("getex", -2, "write fast", group="string",
         keys=[KeySpec("RW ACCESS UPDATE", index=1, notes="RW and UPDATE because it changes the TTL")],
         summary="Get the value of a key and optionally set its expiration", since="6.2.0")
def getex(client, argv):
    flags, expire = _parse_extended(argv, False)
    db = client.db
    key = argv[1]
    value = get_string(db, key)
    if value is None:
        return None
    if expire is not None:
        when = _expire_at_ms(expire, flags, db.clock.ms, "getex")
        if flags & (_EXAT | _PXAT) and when <= db.clock.ms:
            db.delete(key)  # Redis's checkAlreadyExpired: "now" itself counts as past here
            event = b"del"
        else:
            db.set_expire(key, when)
            event = b"expire"
    elif flags & _PERSIST and db.persist(key):
        event = b"persist"
    else:
        return value
    if client.server.notify_flags:
        key_event(client, NOTIFY_GENERIC, event, key)
    return value


@command("getdel", 2, "write fast", group="string", keys=[KeySpec("RW ACCESS DELETE", index=1)],
         summary="Get the value of a key and delete the key", since="6.2.0")
def getdel(client, argv):
    db = client.db
    value = get_string(db, argv[1])
    if value is not None:
        db.delete(argv[1])
        if client.server.notify_flags:
            key_event(client, NOTIFY_GENERIC, b"del", argv[1])
    return value


@command("getset", 3, "write denyoom fast", group="string", keys=[KeySpec("RW ACCESS UPDATE", index=1)],
         summary="Set the string value of a key and return its old value")
def getset(client, argv):
    db = client.db
    old = get_string(db, argv[1])
    db.set(argv[1], argv[2])
    if client.server.notify_flags:
        key_event(client, NOTIFY_STRING, b"set", argv[1], old is None)
    return old


@command("mget", -2, "readonly fast", group="string", keys=[KeySpec("RO ACCESS", index=1, lastkey=-1)],
         tips="request_policy:multi_shard", summary="Get the values of all the given keys",
         complexity="O(N) where N is the number of keys to retrieve.")
def mget(client, argv):
    get_ = client.db.get
    out = []
    for key in argv[1:]:
        value = get_(key)
        out.append(value if type(value) is bytes else None)
    return out


@command("mset", -3, "write denyoom", group="string", keys=[KeySpec("OW UPDATE", index=1, lastkey=-1, step=2)],
         tips="request_policy:multi_shard response_policy:all_succeeded",
         summary="Set multiple keys to multiple values", since="1.0.1",
         complexity="O(N) where N is the number of keys to set.")
def mset(client, argv):
    if len(argv) % 2 == 0:
        raise CommandError(errors.wrong_arity("mset"))
    if client.server.notify_flags:
        for j in range(1, len(argv), 2):
            store_notifying(client, argv[j], argv[j + 1], b"set")
        return OK
    set_key = client.db.set
    for j in range(1, len(argv), 2):
        set_key(argv[j], argv[j + 1])
    return OK


@command("msetnx", -3, "write denyoom", group="string", keys=[KeySpec("OW INSERT", index=1, lastkey=-1, step=2)],
         tips="request_policy:multi_shard response_policy:agg_min",
         summary="Set multiple keys to multiple values, only if none of the keys exist", since="1.0.1",
         complexity="O(N) where N is the number of keys to set.")
def msetnx(client, argv):
    if len(argv) % 2 == 0:
        raise CommandError(errors.wrong_arity("msetnx"))
    db = client.db
    for j in range(1, len(argv), 2):
        if db.get(argv[j]) is not None:
            return 0
    if client.server.notify_flags:
        for j in range(1, len(argv), 2):
            store_notifying(client, argv[j], argv[j + 1], b"set")  # a repeated key is not new twice
        return 1
    for j in range(1, len(argv), 2):
        db.set(argv[j], argv[j + 1])
    return 1


# -- length and ranges -----------------------------------------------------------------------------


def _check_length(client, total: int) -> None:
    """``checkStringLength``: a string may not grow past proto-max-bulk-len."""
    if total > client.server.config.proto_max_bulk_len:
        raise CommandError(errors.STRING_TOO_LONG)


@command("append", 3, "write denyoom fast", group="string", keys=[KeySpec("RW INSERT", index=1)],
         summary="Append a value to a key", since="2.0.0",
         complexity="O(1). The amortized time complexity is O(1) assuming the appended value is small "
                    "and the already present value is of any size, since the dynamic string library "
                    "used by Redis will double the free space available on every reallocation.")
def append(client, argv):
    db = client.db
    key, tail = argv[1], argv[2]
    value = get_string(db, key)
    if value is None:
        db.set(key, tail)
        total = len(tail)
    else:
        total = len(value) + len(tail)
        _check_length(client, total)
        db.set(key, value + tail, keep_ttl=True)
    if client.server.notify_flags:
        key_event(client, NOTIFY_STRING, b"append", key, value is None)
    return total


@command("strlen", 2, "readonly fast", group="string", keys=[KeySpec("RO", index=1)],
         summary="Get the length of the value stored in a key", since="2.2.0")
def strlen(client, argv):
    value = get_string(client.db, argv[1])
    return 0 if value is None else len(value)


@command("setrange", 4, "write denyoom", group="string", keys=[KeySpec("RW UPDATE", index=1)],
         summary="Overwrite part of a string at key starting at the specified offset", since="2.2.0",
         complexity="O(1), not counting the time taken to copy the new string in place. Usually, this "
                    "string is very small so the amortized complexity is O(1). Otherwise, complexity is "
                    "O(M) with M being the length of the value argument.")
def setrange(client, argv):
    offset = int_arg(argv[2])
    if offset < 0:
        raise CommandError(errors.OFFSET_OUT_OF_RANGE)
    db = client.db
    key, piece = argv[1], argv[3]
    value = get_string(db, key)
    if value is None:
        if not piece:
            return 0
        _check_length(client, offset + len(piece))
        new = bytes(offset) + piece
        db.set(key, new)
    else:
        if not piece:
            return len(value)
        _check_length(client, offset + len(piece))
        if offset >= len(value):
            new = value + bytes(offset - len(value)) + piece
        else:
            new = value[:offset] + piece + value[offset + len(piece):]
        db.set(key, new, keep_ttl=True)
    if client.server.notify_flags:
        key_event(client, NOTIFY_STRING, b"setrange", key, value is None)
    return len(new)


_GETRANGE_COMPLEXITY = (
    "O(N) where N is the length of the returned string. The complexity is ultimately determined by "
    "the returned length, but because creating a substring from an existing string is very cheap, "
    "it can be considered O(1) for small strings."
)


@command("getrange", 4, "readonly", group="string", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Get a substring of the string stored at a key", since="2.4.0",
         complexity=_GETRANGE_COMPLEXITY)
def getrange(client, argv):
    start = int_arg(argv[2])
    end = int_arg(argv[3])
    value = get_string(client.db, argv[1])
    if value is None:
        return b""
    if start < 0 and end < 0 and start > end:
        return b""
    n = len(value)
    if start < 0:
        start = max(n + start, 0)
    if end < 0:
        end = max(n + end, 0)
    if end >= n:
        end = n - 1
    if start > end or n == 0:
        return b""
    return value[start:end + 1]


@command("substr", 4, "readonly", group="string", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Get a substring of the string stored at a key", complexity=_GETRANGE_COMPLEXITY)
def substr(client, argv):
    return getrange(client, argv)


# -- counters ----------------------------------------------------------------------------------------


def _incr_by(client, key: bytes, delta: int) -> int:
    """``incrDecrCommand``: add ``delta`` to the integer at ``key``, keeping its TTL."""
    db = client.db
    value = db.get(key)
    if value is None:
        old = 0
    elif type(value) is not bytes:
        raise CommandError(errors.WRONGTYPE)
    else:
        old = parse_ll(value)
        if old is None:
            raise CommandError(errors.NOT_INTEGER)
    new = old + delta
    if not LLONG_MIN <= new <= LLONG_MAX:
        raise CommandError(errors.OVERFLOW)
    db.set(key, b"%d" % new, keep_ttl=True)
    if client.server.notify_flags:
        key_event(client, NOTIFY_STRING, b"incrby", key, value is None)
    return new


_COUNTER_KEYS = [KeySpec("RW ACCESS UPDATE", index=1)]


@command("incr", 2, "write denyoom fast", group="string", keys=_COUNTER_KEYS,
         summary="Increment the integer value of a key by one")
def incr(client, argv):
    return _incr_by(client, argv[1], 1)


@command("decr", 2, "write denyoom fast", group="string", keys=_COUNTER_KEYS,
         summary="Decrement the integer value of a key by one")
def decr(client, argv):
    return _incr_by(client, argv[1], -1)


@command("incrby", 3, "write denyoom fast", group="string", keys=_COUNTER_KEYS,
         summary="Increment the integer value of a key by the given amount")
def incrby(client, argv):
    return _incr_by(client, argv[1], int_arg(argv[2]))


@command("decrby", 3, "write denyoom fast", group="string", keys=_COUNTER_KEYS,
         summary="Decrement the integer value of a key by the given number")
def decrby(client, argv):
    delta = int_arg(argv[2])
    if delta == LLONG_MIN:
        raise CommandError(errors.DECR_OVERFLOW)
    return _incr_by(client, argv[1], -delta)


@command("incrbyfloat", 3, "write denyoom fast", group="string", keys=_COUNTER_KEYS,
         summary="Increment the float value of a key by the given amount", since="2.6.0")
def incrbyfloat(client, argv):
    db = client.db
    key = argv[1]
    value = get_string(db, key)
    current = (0, 0) if value is None else parse_long_double(value)
    if current is None:
        raise CommandError(errors.NOT_FLOAT)
    increment = parse_long_double(argv[2])
    if increment is None:
        raise CommandError(errors.NOT_FLOAT)
    if current is _INFINITE or increment is _INFINITE:
        raise CommandError(errors.INCR_NAN_INF)  # inf + x is inf or NaN
    total = ld_add(current, increment)
    if total is None:
        raise CommandError(errors.INCR_NAN_INF)
    new = ld_format_human(total)
    db.set(key, new, keep_ttl=True)
    if client.server.notify_flags:
        key_event(client, NOTIFY_STRING, b"incrbyfloat", key, value is None)
    return new


# -- long double arithmetic for INCRBYFLOAT ---------------------------------------------------------
#
# Redis parses with strtold, adds two x87 80-bit long doubles (64-bit significand, round to
# nearest even) and prints with "%.17Lf" before stripping trailing zeros. A Python float
# has 53 bits and would print 10.5 + 0.1 as 10.59999999999999964, so the long double is
# emulated exactly with integers: a value is a pair (m, e) meaning m * 2**e.

_LD_BITS = 64
_LD_MIN_EXP = -16445  # 2**-16445 is the smallest subnormal
_LD_MAX_BITS = 16384  # values >= 2**16384 overflow to infinity
_LD_MAX_CHARS = 5 * 1024  # MAX_LONG_DOUBLE_CHARS: longer input is rejected
_INFINITE = (1, None)  # marker for a parsed "inf" (any sign: only an error can follow)

_DEC_RE = re.compile(rb"([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?")
_HEX_RE = re.compile(rb"([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?")
_INF_RE = re.compile(rb"[+-]?(?:inf|infinity)", re.IGNORECASE)


def ld_round(num: int, den: int = 1) -> tuple[int, int] | None:
    """The long double nearest to ``num / den`` (den > 0) as (m, e); None if it overflows."""
    if num == 0:
        return 0, 0
    negative = num < 0
    num = -num if negative else num
    # num / den / 2**exp lands in [2**63, 2**65): one more bit when it is 2**64 or above.
    # Below the normal range the exponent stays at the subnormal minimum (fewer bits).
    exp = max(num.bit_length() - den.bit_length() - _LD_BITS, _LD_MIN_EXP)
    q, r, d = _scaled_divmod(num, den, exp)
    if q >> _LD_BITS:
        exp += 1
        q, r, d = _scaled_divmod(num, den, exp)
    twice = 2 * r
    if twice > d or (twice == d and q & 1):
        q += 1
        if q >> _LD_BITS:
            q >>= 1
            exp += 1
    if q and exp + q.bit_length() > _LD_MAX_BITS:
        return None
    return (-q if negative else q), exp


def _scaled_divmod(num: int, den: int, exp: int) -> tuple[int, int, int]:
    """(q, r, d) with num / (den * 2**exp) = q + r / d."""
    if exp >= 0:
        d = den << exp
        q, r = divmod(num, d)
        return q, r, d
    q, r = divmod(num << -exp, den)
    return q, r, den


def parse_long_double(raw: bytes) -> tuple[int, int] | tuple[int, None] | None:
    """Redis's ``string2ld`` (strtold on the whole argument): (m, e), :data:`_INFINITE`, or None."""
    if not raw or len(raw) >= _LD_MAX_CHARS:
        return None
    match = _DEC_RE.fullmatch(raw)
    if match is not None:
        sign, whole, frac, only_frac, exp = match.groups()
        digits = (whole or b"") + (frac or b"") + (only_frac or b"")
        scale = _decimal_int(exp or b"0") - len(frac or only_frac or b"")
        mantissa = _decimal_int(digits)
        if mantissa == 0:
            return 0, 0
        if sign == b"-":
            mantissa = -mantissa
        magnitude = len(digits.lstrip(b"0")) + scale  # value < 10**magnitude
        if magnitude > 4940:
            return None  # overflow: strtold says ERANGE with HUGE_VAL
        if magnitude < -4960:
            return None  # underflow to zero: ERANGE with a zero result
        value = ld_round(mantissa * 10**scale) if scale >= 0 else ld_round(mantissa, 10**-scale)
    else:
        match = _HEX_RE.fullmatch(raw)
        if match is None:
            return _INFINITE if _INF_RE.fullmatch(raw) else None
        sign, whole, frac, only_frac, exp = match.groups()
        digits = (whole or b"") + (frac or b"") + (only_frac or b"")
        scale = _decimal_int(exp or b"0") - 4 * len(frac or only_frac or b"")
        mantissa = int(digits, 16)
        if mantissa == 0:
            return 0, 0
        if sign == b"-":
            mantissa = -mantissa
        magnitude = abs(mantissa).bit_length() + scale
        if magnitude > _LD_MAX_BITS + 1:
            return None
        if magnitude < _LD_MIN_EXP - 2:
            return None
        value = ld_round(mantissa << scale) if scale >= 0 else ld_round(mantissa, 1 << -scale)
    if value is None or value[0] == 0:
        return None  # out of range (ERANGE): rejected like Redis does
    return value


# Python refuses int <-> decimal text conversions past 4300 digits (a global, process-wide
# limit); long doubles reach 4950 digits, so longer numbers are converted in two parts.
_CHUNK_DIGITS = 4000
_CHUNK = 10**_CHUNK_DIGITS


def _decimal_int(text: bytes) -> int:
    sign = -1 if text[:1] == b"-" else 1
    text = text.lstrip(b"+-").lstrip(b"0") or b"0"
    value = 0
    for i in range(0, len(text), _CHUNK_DIGITS):
        part = text[i:i + _CHUNK_DIGITS]
        value = value * 10 ** len(part) + int(part)
    return sign * value


def _decimal_text(n: int) -> bytes:
    if n < _CHUNK:
        return b"%d" % n
    high, low = divmod(n, _CHUNK)
    return _decimal_text(high) + (b"%d" % low).rjust(_CHUNK_DIGITS, b"0")


def ld_add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int] | None:
    """a + b rounded to a long double; None on overflow."""
    (ma, ea), (mb, eb) = a, b
    if ma == 0:
        return b
    if mb == 0:
        return a
    e = min(ea, eb)
    total = (ma << (ea - e)) + (mb << (eb - e))
    if e >= 0:
        return ld_round(total << e)
    return ld_round(total, 1 << -e)


def ld_format_human(value: tuple[int, int]) -> bytes:
    """``ld2string(..., LD_STR_HUMAN)``: "%.17Lf", trailing zeros (and a bare dot) removed."""
    m, e = value
    negative = m < 0
    m = -m if negative else m
    scaled = m * 10**17
    if e >= 0:
        n = scaled << e
    else:
        n, r = divmod(scaled, 1 << -e)
        twice, d = 2 * r, 1 << -e
        if twice > d or (twice == d and n & 1):
            n += 1
    digits = _decimal_text(n).rjust(18, b"0")
    text = digits[:-17] + b"." + digits[-17:]
    text = text.rstrip(b"0").rstrip(b".")
    if negative and text != b"0":
        text = b"-" + text
    return text


# -- LCS ------------------------------------------------------------------------------------------------


@command("lcs", -3, "readonly", group="string", keys=[KeySpec("RO ACCESS", index=1, lastkey=1)],
         summary="Find longest common substring", since="7.0.0",
         complexity="O(N*M) where N and M are the lengths of s1 and s2, respectively")
def lcs(client, argv):
    db = client.db
    a = db.get(argv[1])
    b = db.get(argv[2])
    if (a is not None and type(a) is not bytes) or (b is not None and type(b) is not bytes):
        raise CommandError(errors.LCS_WRONGTYPE)
    a = a or b""
    b = b or b""
    getidx = getlen = withmatchlen = False
    minmatchlen = 0
    j = 3
    argc = len(argv)
    while j < argc:
        opt = argv[j].upper()
        if opt == b"IDX":
            getidx = True
        elif opt == b"LEN":
            getlen = True
        elif opt == b"WITHMATCHLEN":
            withmatchlen = True
        elif opt == b"MINMATCHLEN" and j < argc - 1:
            minmatchlen = max(int_arg(argv[j + 1]), 0)
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    if getidx and getlen:
        raise CommandError(errors.LCS_LEN_AND_IDX)
    alen, blen = len(a), len(b)
    if alen >= 2**32 - 2 or blen >= 2**32 - 2:
        raise CommandError(errors.LCS_TOO_LONG)
    if (alen + 1) * (blen + 1) * 4 > client.server.config.proto_max_bulk_len:
        raise CommandError(errors.LCS_TOO_MUCH_MEMORY)

    rows = lcs_rows(a, b, keep=getidx or not getlen)
    full = (1 << blen) - 1
    total = blen - (rows[-1] & full).bit_count() if blen else 0
    if getlen:
        return total
    result, matches = lcs_walk(a, b, rows, total, minmatchlen, withmatchlen)
    if getidx:
        return {b"matches": matches, b"len": total}
    return result


def lcs_rows(a: bytes, b: bytes, keep: bool = True) -> list[int]:
    """Bit-parallel LCS table (Hyyro): row ``i`` describes LCS(i, 0..len(b)).

    Bit ``j`` of row ``i`` is 0 exactly when LCS(i, j + 1) = LCS(i, j) + 1, so one machine
    word does 64 cells of Redis's dynamic-programming table. With ``keep`` false only the
    last row is returned (enough for the length).
    """
    m = len(b)
    full = (1 << m) - 1
    row = full
    rows = [row]
    if not m:
        return rows * (len(a) + 1) if keep else rows
    reversed_b = b[::-1]
    masks: dict[int, int] = {}
    for ch in set(a):
        table = bytes(0x31 if c == ch else 0x30 for c in range(256))
        masks[ch] = int(reversed_b.translate(table), 2)
    for ch in a:
        u = row & masks[ch]
        row = ((row + u) | (row - u)) & full
        if keep:
            rows.append(row)
    if not keep:
        rows = [row]
    return rows


def lcs_walk(a: bytes, b: bytes, rows: list[int], total: int, minmatchlen: int,
             withmatchlen: bool) -> tuple[bytes, list]:
    """Redis's backtrack over the LCS table: the LCS string and the IDX ranges, in its order."""
    alen, blen = len(a), len(b)
    result = bytearray(total)
    matches: list = []
    idx = total
    i, j = alen, blen
    unset = alen
    arange_start, arange_end, brange_start, brange_end = unset, 0, 0, 0
    row_i = -1
    bits = b""
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result[idx - 1] = a[i - 1]
            if arange_start == unset:
                arange_start = arange_end = i - 1
                brange_start = brange_end = j - 1
            elif arange_start == i and brange_start == j:
                arange_start -= 1
                brange_start -= 1
            else:
                emit = True
            if arange_start == 0 or brange_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if row_i != i:
                row_i = i
                bits = format(rows[i], "0%db" % blen).encode()  # bits[blen - 1 - k] is bit k
            # LCS(i-1, j) > LCS(i, j-1) exactly when LCS(i, j) = LCS(i, j-1) + 1.
            if bits[blen - j] == 0x30:
                i -= 1
            else:
                j -= 1
            if arange_start != unset:
                emit = True
        if emit:
            match_len = arange_end - arange_start + 1
            if minmatchlen == 0 or match_len >= minmatchlen:
                entry = [[arange_start, arange_end], [brange_start, brange_end]]
                if withmatchlen:
                    entry.append(match_len)
                matches.append(entry)
            arange_start = unset
    return bytes(result), matches
