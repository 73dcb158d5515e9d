"""Redis 7.0's native getkeys procedures (db.c), with the key flags each one reports.

COMMAND GETKEYS/GETKEYSANDFLAGS (and Redis's ACL key checks) take a command's keys from its
key specs when they can; a command whose specs do not answer (an INCOMPLETE spec, a
VARIABLE_FLAGS spec, or arguments the specs cannot read, e.g. ``numkeys`` written ``01``)
falls back to its native procedure. Those procedures parse the arguments their own way
(``atoi`` for a key count, C-string comparisons that stop at a NUL byte) and give flags
only where the specs cannot: SET and BITFIELD (variable flags), SORT, SORT_RO and MIGRATE
(incomplete specs); the others report no flags at all.

:data:`NATIVE_GETKEYS` maps a command's full name to its procedure: ``proc(argv)`` returns
``[(position, flags), ...]`` as the C function fills its result.
"""

from __future__ import annotations

from collections.abc import Callable

from node.commands.sort import sort_getkeys
from node.commands.spec import KEY_FLAG_ORDER

KeyPositions = list[tuple[int, list[str]]]

_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1


def _flags(*names: str) -> list[str]:
    given = set(names)
    return [f for f in KEY_FLAG_ORDER if f in given]


NO_FLAGS: list[str] = []
RO_ACCESS = _flags("RO", "access")
OW_UPDATE = _flags("OW", "update")
RW_ACCESS_UPDATE = _flags("RW", "access", "update")
RW_ACCESS_DELETE = _flags("RW", "access", "delete")


def cstr(arg: bytes) -> bytes:
    """What C string functions see of an argument: the bytes before the first NUL, lowered
    (for strcasecmp against a lower-case word)."""
    end = arg.find(b"\0")
    return (arg if end < 0 else arg[:end]).lower()


def atoi(arg: bytes) -> int:
    """glibc's atoi: (int)strtol(arg, NULL, 10): leading white space, a sign, the digits
    that follow; out-of-range values saturate to LONG_MIN/LONG_MAX before the cast to int."""
    text = cstr(arg).lstrip(b" \t\n\v\f\r")
    sign = -1 if text[:1] == b"-" else 1
    if text[:1] in (b"-", b"+"):
        text = text[1:]
    digits = len(text) - len(text.lstrip(b"0123456789"))
    value = sign * int(text[:digits]) if digits else 0
    value = max(_LONG_MIN, min(value, _LONG_MAX))
    value &= 0xFFFFFFFF  # the cast to int keeps the low 32 bits
    return value - (1 << 32) if value > _INT_MAX else value


def _generic(store: int, count_at: int, first: int, argv: list[bytes]) -> KeyPositions:
    """genericGetKeys: ``num`` keys from ``first`` (``atoi`` of argv[count_at]), then the
    destination key at ``store`` (0: none); nothing when num is < 1 or too large."""
    num = atoi(argv[count_at])
    if num < 1 or num > len(argv) - first:
        return []
    keys = [(first + i, NO_FLAGS) for i in range(num)]
    if store:
        keys.append((store, NO_FLAGS))
    return keys


def _generic_proc(store: int, count_at: int, first: int) -> Callable[[list[bytes]], KeyPositions]:
    return lambda argv: _generic(store, count_at, first, argv)


def sort_keys(argv: list[bytes]) -> KeyPositions:
    """sortGetKeys: the sorted key (RO), and the argument after the last STORE (OW)."""
    sorted_key, *store = sort_getkeys(argv)
    return [(sorted_key, RO_ACCESS)] + [(pos, OW_UPDATE) for pos in store]


def sort_ro_keys(argv: list[bytes]) -> KeyPositions:
    return [(1, RO_ACCESS)]


_MIGRATE_SKIPS = {b"copy": 0, b"replace": 0, b"auth": 1, b"auth2": 2}


def migrate_keys(argv: list[bytes]) -> KeyPositions:
    """migrateGetKeys: the key at 3, or (with an empty one there) the keys after KEYS."""
    first, num, argc = 3, 1, len(argv)
    i = 6
    while argc > 6 and i < argc:
        word = cstr(argv[i])
        if word == b"keys":
            if argv[3]:
                num = 0  # a syntax error: MIGRATE itself reports it
            else:
                first, num = i + 1, argc - i - 1
            break
        i += _MIGRATE_SKIPS.get(word, 0) + 1
    return [(first + j, RW_ACCESS_DELETE) for j in range(num)]


def georadius_keys(argv: list[bytes]) -> KeyPositions:
    """georadiusGetKeys: the key, and the argument after the last STORE/STOREDIST."""
    stored = None
    i, argc = 5, len(argv)
    while i < argc:
        if cstr(argv[i]) in (b"store", b"storedist") and i + 1 < argc:
            stored = i + 1
            i += 1
        i += 1
    return [(1, NO_FLAGS)] + ([(stored, NO_FLAGS)] if stored is not None else [])


def xread_keys(argv: list[bytes]) -> KeyPositions:
    """xreadGetKeys: the first half of what follows STREAMS, after the known options."""
    argc = len(argv)
    streams = None
    i = 1
    while i < argc:
        word = cstr(argv[i])
        if word in (b"block", b"count"):
            i += 1
        elif word == b"group":
            i += 2
        elif word == b"streams":
            streams = i
            break
        elif word != b"noack":
            break
        i += 1
    if streams is None:
        return []
    num = argc - streams - 1
    if num == 0 or num % 2:
        return []
    return [(streams + 1 + j, NO_FLAGS) for j in range(num // 2)]


def set_keys(argv: list[bytes]) -> KeyPositions:
    """setGetKeys: RW when a GET argument follows the value, else OW."""
    if any(cstr(arg) == b"get" for arg in argv[3:]):
        return [(1, RW_ACCESS_UPDATE)]
    return [(1, OW_UPDATE)]


def bitfield_keys(argv: list[bytes]) -> KeyPositions:
    """bitfieldGetKeys: RO when every operation is a GET (OVERFLOW allowed)."""
    readonly, i, argc = True, 2, len(argv)
    while i < argc:
        remaining, word = argc - i - 1, cstr(argv[i])
        if word == b"get" and remaining >= 2:
            i += 2
        elif word in (b"set", b"incrby") and remaining >= 3:
            readonly = False
            break
        elif word == b"overflow" and remaining >= 1:
            i += 1
        else:
            readonly = False
            break
        i += 1
    return [(1, RO_ACCESS if readonly else RW_ACCESS_UPDATE)]


_ONE_COUNT_AT_1 = _generic_proc(0, 1, 2)  # CMD numkeys key ...
_ONE_COUNT_AT_2 = _generic_proc(0, 2, 3)  # CMD arg numkeys key ...

NATIVE_GETKEYS: dict[str, Callable[[list[bytes]], KeyPositions]] = {
    "set": set_keys,
    "bitfield": bitfield_keys,
    "sort": sort_keys,
    "sort_ro": sort_ro_keys,
    "migrate": migrate_keys,
    "georadius": georadius_keys,
    "georadiusbymember": georadius_keys,
    "xread": xread_keys,
    "xreadgroup": xread_keys,
    "zunionstore": _generic_proc(1, 2, 3),
    "zinterstore": _generic_proc(1, 2, 3),
    "zdiffstore": _generic_proc(1, 2, 3),
    "zunion": _ONE_COUNT_AT_1,
    "zinter": _ONE_COUNT_AT_1,
    "zdiff": _ONE_COUNT_AT_1,
    "zintercard": _ONE_COUNT_AT_1,
    "sintercard": _ONE_COUNT_AT_1,
    "lmpop": _ONE_COUNT_AT_1,
    "zmpop": _ONE_COUNT_AT_1,
    "blmpop": _ONE_COUNT_AT_2,
    "bzmpop": _ONE_COUNT_AT_2,
    "eval": _ONE_COUNT_AT_2,
    "evalsha": _ONE_COUNT_AT_2,
    "eval_ro": _ONE_COUNT_AT_2,
    "evalsha_ro": _ONE_COUNT_AT_2,
    "fcall": _ONE_COUNT_AT_2,
    "fcall_ro": _ONE_COUNT_AT_2,
}
