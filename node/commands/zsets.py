"""Sorted-set commands: ZADD, ZINCRBY, ZSCORE, ZMSCORE, ZCARD, ZCOUNT, ZLEXCOUNT, the ZRANGE
family (BYSCORE/BYLEX/REV/LIMIT and the legacy forms), ZRANGESTORE, ZRANK/ZREVRANK, ZREM,
ZREMRANGEBY*, ZPOPMIN/ZPOPMAX, ZMPOP, BZPOPMIN/BZPOPMAX/BZMPOP, ZRANDMEMBER,
ZUNION/ZINTER/ZDIFF (+STORE), ZINTERCARD and ZSCAN, as Redis 7.0.15 answers them.

Structure
---------
A sorted set is a :class:`ZSet`: ``order``, its elements as *sort keys* in order, and
``scores``, a dict member -> sort key (O(1) ZSCORE and membership). A sort key is 8 bytes
whose big-endian order is the score's order (the IEEE bits with the sign bit flipped, or
all bits for negatives; -0 packs as 0) followed by the member, so plain ``bytes``
comparison (memcmp, then length) sorts exactly as Redis does: by score, then by member
with memcmp. One bytes object per element instead of a (score, member) tuple and a float
saves about 30 bytes per member (161 instead of 194 bytes per member of a 1M-member set,
RSS; Redis 7.0 needs about 102) and makes every comparison a memcmp. The price is
decoding scores on the way out (about 0.3 us each). A skiplist keeps -0 scores, which a
sort key cannot tell from 0: those few members are listed in ``negzero``.

``order`` also carries the encoding Redis would report. A ``listpack`` zset keeps a plain
sorted ``list`` (at most ``zset-max-listpack-entries`` elements by default, where an
``insort`` is a short memmove); a ``skiplist`` zset keeps a ``sortedcontainers.SortedList``,
which gives O(log n) insert, delete, rank (``bisect``) and positional access, so every rank
and range operation is O(log n + M). Conversion is one-way, at the moment Redis converts:
before inserting a new member when the count would pass ``zset-max-listpack-entries`` or
the member is longer than ``zset-max-listpack-value``. Only results built from scratch
(ZRANGESTORE, Z*STORE) may start or end as listpack, by Redis's own rules for each.

Listpack fidelity: a listpack stores a score as text, and Redis 7.0 writes integral scores
within +-2^62 as integers, so -0 becomes 0 in a listpack (and stays -0 in a skiplist);
ZSCAN of a listpack shows those scores as plain integers ("100000000000000000" where
ZRANGE says "1e+17"). Both are reproduced.

Lexicographic ranges on a listpack follow Redis's linear scans (so even mixed-score sets,
where BYLEX is documented as unspecified, answer exactly as Redis's listpack does); on a
skiplist they are binary searches, which agree with Redis whenever all scores are equal.

Numbers: scores and weights are parsed with :func:`parse_score` (Redis's ``string2d``:
C ``strtod`` over the whole argument, hex floats and ``inf`` included, no spaces, overflow
and underflow-to-zero refused, NaN refused); range bounds with :func:`parse_range_item`
(``zslParseRange``: ``strtod`` on the C string, so leading spaces are allowed, the text
stops at a NUL byte, and an empty bound is 0). Scores go out as Python floats, which the
encoder writes with %.17g (RESP2 bulk) or as RESP3 doubles, as Redis 7.0 does.

RESP3: replies whose shape Redis 7.0 changes with the protocol (WITHSCORES pairs, ZPOPMIN
with a count, ZRANDMEMBER WITHSCORES) read ``client.proto``: the reply types have no
"flat in RESP2, pairs in RESP3" marker.

ZSCAN: a listpack is returned whole with cursor 0, as in Redis. A skiplist's members are
walked with ``containers.scan`` (the HSCAN/SSCAN design: hash order, the cursor names the
hash of the next member), so a member present for the whole iteration is returned exactly
once whatever happens between calls.
"""

from __future__ import annotations

import math
import random
import re
import struct
from bisect import bisect_left, insort

from sortedcontainers import SortedList

from node import errors
from node.blocking import Block, is_rerun, keys_to_serve
from node.commands import containers
from node.commands.hashes import scan_options
from node.commands.keys import (
    compile_glob,
    delete_empty_result,
    parse_scan_cursor,
    register_type,
    type_name,
    typed_lookup,
)
from node.commands.lists import parse_list_timeout, parse_mpop_count
from node.commands.spec import KeySpec, command
from node.errors import CommandError
from node.notify import NOTIFY_ZSET, key_event, key_removed
from node.replies import NULL_ARRAY, format_double

LONG_MAX = 2**63 - 1
INF = math.inf
LP_INT_LIMIT = 2.0**62  # double2ll: integral scores within +-LLONG_MAX/2 are listpack integers


# -- the value --------------------------------------------------------------------------------


_DOUBLE = struct.Struct(">d")
_U64 = struct.Struct(">Q")
_SIGN = 1 << 63
_ALL = (1 << 64) - 1


def score_prefix(score: float) -> int:
    """The 64-bit integer whose big-endian bytes sort as ``score`` does (-0 as 0)."""
    u = _U64.unpack(_DOUBLE.pack(score if score else 0.0))[0]
    return u ^ _ALL if u & _SIGN else u | _SIGN


def sort_key(score: float, member: bytes) -> bytes:
    """One element as stored in ``order``: 8 bytes of sortable score, then the member."""
    return _U64.pack(score_prefix(score)) + member


_PREFIXES: dict[float, bytes] = {}  # score -> the 8 bytes of its sort keys, recent scores
_PREFIXES_MAX = 1024


def cached_prefix(score: float) -> bytes:
    """``sort_key(score, b"")``, from a small cache: rewriting the same scores is common."""
    prefix = _PREFIXES.get(score)
    if prefix is None:
        prefix = _U64.pack(score_prefix(score))
        if len(_PREFIXES) >= _PREFIXES_MAX:
            _PREFIXES.clear()
        _PREFIXES[score] = prefix
    return prefix


def key_score(key: bytes) -> float:
    u = _U64.unpack_from(key)[0]
    return _DOUBLE.unpack(_U64.pack(u ^ _SIGN if u & _SIGN else u ^ _ALL))[0]


class ZSet:
    """A sorted set (see the module docstring). ``scores`` maps member -> sort key,
    ``order`` holds the sort keys in order: a list (listpack) or a SortedList (skiplist).
    ``negzero`` holds the members of a skiplist whose score is -0 (None when there are
    none), since a sort key says 0 for both zeros. Every change goes through these methods;
    readers get (score, member) pairs."""

    __slots__ = ("scores", "order", "negzero")

    def __init__(self, skiplist: bool = False):
        self.scores: dict[bytes, bytes] = {}
        self.order: list | SortedList = SortedList() if skiplist else []
        self.negzero: set | None = None

    def __len__(self) -> int:
        return len(self.scores)

    def __repr__(self) -> str:
        return f"ZSet({self.encoding().decode()}, {self.pairs(0, 8)!r}{'...' if len(self) > 8 else ''})"

    @property
    def skiplist(self) -> bool:
        return type(self.order) is not list

    def encoding(self) -> bytes:
        return b"listpack" if type(self.order) is list else b"skiplist"

    # -- reading -------------------------------------------------------------------------------

    def score(self, member: bytes) -> float | None:
        key = self.scores.get(member)
        if key is None:
            return None
        score = key_score(key)
        if not score and self.negzero and member in self.negzero:
            return -0.0
        return score

    def pairs(self, lo: int, hi: int, reverse: bool = False) -> list:
        """(score, member) pairs of positions [lo, hi), from hi-1 down when ``reverse``."""
        if lo >= hi:
            return []
        keys = self.order[lo:hi]
        if reverse:
            keys.reverse()
        return self._pairs(keys)

    def members(self, lo: int, hi: int, reverse: bool = False) -> list:
        """The members of positions [lo, hi), from hi-1 down when ``reverse``."""
        if lo >= hi:
            return []
        keys = self.order[lo:hi]
        if reverse:
            keys.reverse()
        return [k[8:] for k in keys]

    def _pairs(self, keys) -> list:
        # key_score inlined: this is the inner loop of every WITHSCORES reply.
        unpack, pack, double = _U64.unpack_from, _U64.pack, _DOUBLE.unpack
        out = [(double(pack(u ^ _SIGN if u & _SIGN else u ^ _ALL))[0], k[8:]) for k in keys for u in (unpack(k)[0],)]
        negzero = self.negzero
        if negzero:
            out = [(-0.0, m) if not s and m in negzero else (s, m) for s, m in out]
        return out

    def all_pairs(self) -> list:
        return self._pairs(self.order)

    def items(self):
        """(member, score) pairs (DEBUG DIGEST and friends)."""
        return [(m, s) for s, m in self.all_pairs()]

    def copy(self) -> "ZSet":
        new = ZSet.__new__(ZSet)
        new.scores = dict(self.scores)
        new.order = list(self.order) if type(self.order) is list else SortedList(self.order)
        new.negzero = set(self.negzero) if self.negzero else None
        return new

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def from_pairs(cls, pairs: list, listpack: bool) -> "ZSet":
        """A zset from (score, member) pairs with distinct members (in any order)."""
        new = cls.__new__(cls)
        keys = [sort_key(s, m) for s, m in pairs]
        new.scores = {k[8:]: k for k in keys}
        new.negzero = None
        if listpack:
            keys.sort()
            new.order = keys
        else:
            new.order = SortedList(keys)
            negzero = {m for s, m in pairs if not s and math.copysign(1.0, s) < 0}
            new.negzero = negzero or None
        return new

    def convert(self) -> None:
        """listpack -> skiplist (one-way)."""
        if type(self.order) is list:
            self.order = SortedList(self.order)

    # -- single elements -----------------------------------------------------------------------

    def insert(self, member: bytes, score: float, entries: int, max_value: int) -> None:
        """Add a member that is not there (zsetAdd's insert path, with its conversion check)."""
        order = self.order
        if type(order) is list:
            if len(order) + 1 > entries or len(member) > max_value:
                self.convert()
                order = self.order
            else:
                key = sort_key(score, member)  # a listpack stores -0 as the integer 0
                self.scores[member] = key
                insort(order, key)
                return
        key = sort_key(score, member)
        self.scores[member] = key
        order.add(key)
        if not score and math.copysign(1.0, score) < 0:
            self._set_negzero(member, True)

    def _set_negzero(self, member: bytes, negative: bool) -> None:
        if negative:
            if self.negzero is None:
                self.negzero = set()
            self.negzero.add(member)
        elif self.negzero:
            self.negzero.discard(member)
            if not self.negzero:
                self.negzero = None

    def update(self, member: bytes, new: float) -> None:
        """Give an existing member a different score."""
        order = self.order
        old = self.scores[member]
        key = sort_key(new, member)
        if type(order) is list:
            del order[bisect_left(order, old)]
            insort(order, key)
        else:
            order.remove(old)
            order.add(key)
            if self.negzero or not new:
                self._set_negzero(member, not new and math.copysign(1.0, new) < 0)
        self.scores[member] = key

    def remove(self, member: bytes) -> bool:
        key = self.scores.pop(member, None)
        if key is None:
            return False
        order = self.order
        if type(order) is list:
            del order[bisect_left(order, key)]
        else:
            order.remove(key)
            if self.negzero:
                self._set_negzero(member, False)
        return True

    def bisect(self, key: bytes) -> int:
        order = self.order
        return bisect_left(order, key) if type(order) is list else order.bisect_left(key)

    def rank(self, member: bytes) -> int | None:
        key = self.scores.get(member)
        return None if key is None else self.bisect(key)

    # -- ranges ----------------------------------------------------------------------------------

    def delete_slice(self, lo: int, hi: int, reverse: bool = False) -> list:
        """Remove positions [lo, hi); returns the removed (score, member) pairs (from hi-1
        down when ``reverse``)."""
        if lo >= hi:
            return []
        removed = self.pairs(lo, hi, reverse)
        del self.order[lo:hi]
        scores = self.scores
        for _, member in removed:
            del scores[member]
        if self.negzero:
            self.negzero.difference_update(m for _, m in removed)
            if not self.negzero:
                self.negzero = None
        return removed

    def score_bounds(self, rng) -> tuple[int, int]:
        """Positions [lo, hi) of the elements within a score range."""
        mn, minex, mx, maxex = rng
        if mn > mx or (mn == mx and (minex or maxex)) or not self.scores:
            return 0, 0
        pack = _U64.pack
        lo = self.bisect(pack(score_prefix(mn) + minex))
        hi = self.bisect(pack(score_prefix(mx) + (not maxex)))
        return lo, hi if hi > lo else lo

    def lex_bounds(self, rng, reverse: bool = False) -> tuple[int, int]:
        """Positions [lo, hi) of the elements within a lex range, found the way Redis walks
        this encoding: forward from the first member >= min, or (``reverse``) backward from
        the last member <= max."""
        order = self.order
        n = len(order)
        if not n or _lex_empty(rng):
            return 0, 0
        gte, lte = _gte_min, _lte_max
        if not gte(order[n - 1][8:], rng) or not lte(order[0][8:], rng):
            return 0, 0
        if type(order) is list:
            if not reverse:
                i = 0
                while not gte(order[i][8:], rng):
                    i += 1
                if not lte(order[i][8:], rng):
                    return 0, 0
                j = i + 1
                while j < n and lte(order[j][8:], rng):
                    j += 1
                return i, j
            i = n - 1
            while not lte(order[i][8:], rng):
                i -= 1
            if not gte(order[i][8:], rng):
                return 0, 0
            j = i - 1
            while j >= 0 and gte(order[j][8:], rng):
                j -= 1
            return j + 1, i + 1
        if not reverse:
            lo = _first(order, 0, n, lambda m: gte(m, rng))
            if lo >= n or not lte(order[lo][8:], rng):
                return 0, 0
            return lo, _first(order, lo, n, lambda m: not lte(m, rng))
        hi = _first(order, 0, n, lambda m: not lte(m, rng))
        if hi == 0 or not gte(order[hi - 1][8:], rng):
            return 0, 0
        return _first(order, 0, hi, lambda m: gte(m, rng)), hi

    def random_pairs(self, k: int) -> list:
        """``k`` random (score, member) pairs, with repetition."""
        order = self.order
        n = len(order)
        if type(order) is list:
            keys = random.choices(order, k=k)
        elif k * 4 >= n:
            keys = random.choices(list(order), k=k)
        else:
            rand = random.random
            keys = [order[int(rand() * n)] for _ in range(k)]
        return self._pairs(keys)

    def sample_pairs(self, k: int) -> list:
        """``k`` distinct random pairs, ``k < len``, in random order."""
        order = self.order
        return self._pairs([order[i] for i in random.sample(range(len(order)), k)])


def _first(order, lo: int, hi: int, pred) -> int:
    """The first position in [lo, hi) whose member satisfies ``pred`` (assumed monotone)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(order[mid][8:]):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _encoding(value: ZSet) -> bytes:
    return value.encoding()


register_type(ZSet, b"zset", encoding=_encoding, copy=ZSet.copy)


def _limits(client) -> tuple[int, int]:
    config = client.server.config
    return config.zset_max_listpack_entries, config.zset_max_listpack_value


get_zset = typed_lookup(ZSet)


def _after_removal(client, key: bytes, zset: ZSet, event: bytes) -> None:
    """Members were removed: delete the key if the zset is empty; publish ``event`` (and
    ``del``)."""
    db = client.db
    if zset.scores:
        db.touch(key)
    else:
        containers.forget(zset.scores)
        db.delete(key)
    if client.server.notify_flags:
        key_removed(client, NOTIFY_ZSET, event, key, not zset.scores)


def store_zset(client, dst: bytes, zset: ZSet | None, event: bytes) -> int:
    """The end of every ``*STORE`` command writing a zset (ZUNIONSTORE, ZRANGESTORE,
    GEOSEARCHSTORE...): store ``zset`` at ``dst``, or delete ``dst`` when there is no result;
    returns the stored cardinality."""
    if zset is None:
        delete_empty_result(client, dst)
        return 0
    db = client.db
    notifying = client.server.notify_flags
    created = notifying and db.peek(dst) is None  # a stale dst expires first (setKey's lookup)
    db.set(dst, zset)
    if notifying:
        key_event(client, NOTIFY_ZSET, event, dst, created)
    return len(zset.scores)


# -- numbers ----------------------------------------------------------------------------------

_DECIMAL = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_STRTOD = re.compile(
    rb"([+-]?)(?:(inf(?:inity)?)|(nan(?:\([0-9a-z_]*\))?)"
    rb"|0x((?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?[0-9]+)?)"
    rb"|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?))\Z",
    re.IGNORECASE,
)
_NONZERO_DIGIT = re.compile(rb"[1-9]")
_NONZERO_HEX = re.compile(rb"[1-9a-fA-F]")
_SPACES = b" \t\n\v\f\r"


def _mantissa_nonzero(text: bytes, hexa: bool) -> bool:
    if hexa:
        return _NONZERO_HEX.search(re.split(rb"[pP]", text, maxsplit=1)[0]) is not None
    return _NONZERO_DIGIT.search(re.split(rb"[eE]", text, maxsplit=1)[0]) is not None


def strtod(text: bytes) -> tuple[float, bool] | None:
    """C ``strtod`` over all of ``text`` (no leading spaces): (value, ERANGE), or None when
    ``text`` is not entirely one number."""
    m = _STRTOD.match(text)
    if m is None:
        return None
    sign, inf, nan, hexa, dec = m.groups()
    erange = False
    if inf is not None:
        value = INF
    elif nan is not None:
        value = math.nan
    elif hexa is not None:
        try:
            value = float.fromhex(hexa.decode())
        except OverflowError:
            value = INF
        erange = math.isinf(value) or (value == 0 and _mantissa_nonzero(hexa, True))
    else:
        value = float(dec)
        erange = math.isinf(value) or (value == 0 and _mantissa_nonzero(dec, False))
    return (-value if sign == b"-" else value), erange


def parse_score(raw: bytes, error: str = errors.NOT_FLOAT) -> float:
    """Redis's ``string2d`` (getDoubleFromObjectOrReply): the double, or CommandError(error)."""
    if raw.isdigit() and len(raw) < 300:  # plain digits: finite, and 0 only when all zeros
        return float(raw)
    if _DECIMAL.match(raw):
        value = float(raw)
        if value == 0 or value in (INF, -INF):
            if math.isinf(value) or _mantissa_nonzero(raw, False):
                raise CommandError(error)
        return value
    if not raw or raw[0] in _SPACES:
        raise CommandError(error)
    parsed = strtod(raw)
    if parsed is None or parsed[1] or parsed[0] != parsed[0]:
        raise CommandError(error)
    return parsed[0]


def parse_range_item(raw: bytes) -> tuple[float, bool]:
    """One bound of zslParseRange: (value, exclusive); ValueError when not a float."""
    if b"\0" in raw:
        raw = raw.split(b"\0", 1)[0]  # strtod reads a C string
    ex = raw[:1] == b"("
    if ex:
        raw = raw[1:]
    if not raw:
        return 0.0, ex  # strtod converts nothing and stops at the terminator: 0
    if _DECIMAL.match(raw):
        return float(raw), ex
    parsed = strtod(raw.lstrip(_SPACES))
    if parsed is None or parsed[0] != parsed[0]:
        raise ValueError(raw)
    return parsed[0], ex


def parse_score_range(raw_min: bytes, raw_max: bytes) -> tuple[float, bool, float, bool]:
    try:
        mn, minex = parse_range_item(raw_min)
        mx, maxex = parse_range_item(raw_max)
    except ValueError:
        raise CommandError(errors.ZSET_MIN_MAX_NOT_FLOAT) from None
    return mn, minex, mx, maxex


# Lex bounds: (kind, value, exclusive) with kind -1 for "-", 1 for "+", 0 for a string.
def _lex_item(raw: bytes):
    first = raw[:1]
    if first == b"+" or first == b"-":
        if len(raw) > 1 and raw[1] != 0:
            return None
        return (1 if first == b"+" else -1), b"", True
    if first == b"(":
        return 0, raw[1:], True
    if first == b"[":
        return 0, raw[1:], False
    return None


def parse_lex_range(raw_min: bytes, raw_max: bytes):
    mn = _lex_item(raw_min)
    mx = _lex_item(raw_max) if mn is not None else None
    if mx is None:
        raise CommandError(errors.ZSET_MIN_MAX_NOT_LEX)
    return mn, mx


def _lex_cmp(a, b) -> int:
    """sdscmplex of two bounds."""
    if a[0] == b[0] and a[0] != 0:
        return 0
    if a[0] == -1 or b[0] == 1:
        return -1
    if a[0] == 1 or b[0] == -1:
        return 1
    return (a[1] > b[1]) - (a[1] < b[1])


def _lex_empty(rng) -> bool:
    mn, mx = rng
    cmp = _lex_cmp(mn, mx)
    return cmp > 0 or (cmp == 0 and (mn[2] or mx[2]))


def _gte_min(member: bytes, rng) -> bool:
    kind, value, ex = rng[0]
    if kind:
        return kind < 0
    return member > value if ex else member >= value


def _lte_max(member: bytes, rng) -> bool:
    kind, value, ex = rng[1]
    if kind:
        return kind > 0
    return member < value if ex else member <= value


def _lp_score_text(score: float) -> bytes:
    """A score as a listpack holds it (ZSCAN of a listpack zset)."""
    if -LP_INT_LIMIT <= score <= LP_INT_LIMIT and score == int(score):
        return b"%d" % int(score)
    return format_double(score)


# -- replies ----------------------------------------------------------------------------------


def _members(pairs) -> list:
    return [m for _, m in pairs]


def _with_scores(client, pairs) -> list:
    """WITHSCORES replies: a flat member, score, ... array in RESP2; [member, score] pairs in RESP3."""
    if client.proto > 2:
        return [[m, s] for s, m in pairs]
    out = []
    append = out.append
    for s, m in pairs:  # RESP2 scores are bulk strings: formatted here, the reply is all bytes
        append(m)
        append(format_double(s))
    return out


def _long_arg(raw: bytes) -> int:
    value = containers.parse_long(raw)
    if value is None:
        raise CommandError(errors.NOT_INTEGER)
    return value


def _range_long(raw: bytes, low: int, high: int, message: str | None) -> int:
    """getRangeLongFromObjectOrReply: ``message`` (when given) for every failure."""
    value = containers.parse_long(raw)
    if value is None:
        raise CommandError(message or errors.NOT_INTEGER)
    if value < low or value > high:
        raise CommandError(message or f"ERR value is out of range, value must between {low} and {high}")
    return value


# -- ZADD, ZINCRBY ----------------------------------------------------------------------------

_NX, _XX, _INCR, _GT, _LT = 1, 2, 4, 8, 16
_ZADD_OPTIONS = {b"nx": _NX, b"xx": _XX, b"incr": _INCR, b"gt": _GT, b"lt": _LT, b"ch": 0}


def _zadd_generic(client, argv, flags: int):
    argc = len(argv)
    ch = False
    idx = 2
    options = _ZADD_OPTIONS
    while idx < argc:
        bit = options.get(argv[idx].lower())
        if bit is None:
            break
        if bit:
            flags |= bit
        else:
            ch = True
        idx += 1
    pairs = argc - idx
    if pairs % 2 or not pairs:
        raise CommandError(errors.SYNTAX)
    pairs //= 2
    nx, xx, incr, gt, lt = flags & _NX, flags & _XX, flags & _INCR, flags & _GT, flags & _LT
    if nx and xx:
        raise CommandError(errors.ZADD_NX_XX)
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise CommandError(errors.ZADD_GT_LT_NX)
    if incr and pairs > 1:
        raise CommandError(errors.ZADD_INCR_PAIR)
    scores = [parse_score(argv[j]) for j in range(idx, argc, 2)]
    db = client.db
    key = argv[1]
    zset = get_zset(db, key)
    created = False
    if zset is None:
        if xx:
            return None if incr else 0
        entries, max_value = _limits(client)
        zset = ZSet(skiplist=entries == 0 or len(argv[idx + 1]) > max_value)
        created = True
    else:
        entries, max_value = _limits(client)
    current = zset.score
    added = updated = processed = 0
    score = 0.0
    for j in range(pairs):
        score = scores[j]
        member = argv[idx + 1 + 2 * j]
        cur = current(member)
        if cur is not None:
            if nx:
                continue
            if incr:
                score += cur
                if score != score:
                    raise CommandError(errors.ZSET_NAN)
            if (lt and score >= cur) or (gt and score <= cur):
                continue
            if score != cur:
                zset.update(member, score)
                updated += 1
            processed += 1
        elif not xx:
            zset.insert(member, score, entries, max_value)
            added += 1
            processed += 1
    if created:
        db.set(key, zset)
    elif added or updated:
        db.touch(key)
    if added + updated > 1:
        db.clock.dirty += added + updated - 1  # Redis counts every member added or updated
    if (added or updated) and client.server.notify_flags:
        key_event(client, NOTIFY_ZSET, b"zincr" if incr else b"zadd", key, created)
    if incr:
        return score if processed else None
    return added + updated if ch else added


_KEY_RW_UPDATE = [KeySpec("RW UPDATE", index=1)]
_KEY_RO_ACCESS = [KeySpec("RO ACCESS", index=1)]
_KEY_RW_DELETE = [KeySpec("RW DELETE", index=1)]
_KEY_POP = [KeySpec("RW ACCESS DELETE", index=1)]
_RANGE_COMPLEXITY = ("O(log(N)+M) with N being the number of elements in the sorted set and M the "
                     "number of elements being returned. If M is constant (e.g. always asking for the "
                     "first 10 elements with LIMIT), you can consider it O(log(N)).")
_REMRANGE_COMPLEXITY = ("O(log(N)+M) with N being the number of elements in the sorted set and M the "
                        "number of elements removed by the operation.")


@command("zadd", -4, "write denyoom fast", group="sorted_set", keys=_KEY_RW_UPDATE, since="1.2.0",
         summary="Add one or more members to a sorted set, or update its score if it already exists",
         complexity="O(log(N)) for each item added, where N is the number of elements in the sorted set.")
def zadd(client, argv):
    if len(argv) != 4:
        return _zadd_generic(client, argv, 0)
    # One pair and no options (the common case), without the general loop.
    try:
        score = parse_score(argv[2])
    except CommandError:
        return _zadd_generic(client, argv, 0)  # an option word, or the score's error
    db = client.db
    key, member = argv[1], argv[3]
    zset = db.get(key)
    if zset is None:
        entries, max_value = _limits(client)
        zset = ZSet(skiplist=entries == 0 or len(member) > max_value)
        zset.insert(member, score, entries, max_value)
        db.set(key, zset)
        if client.server.notify_flags:
            key_event(client, NOTIFY_ZSET, b"zadd", key, True)
        return 1
    if type(zset) is not ZSet:
        raise CommandError(errors.WRONGTYPE)
    cur = zset.scores.get(member)
    if cur is None:
        entries, max_value = _limits(client)
        zset.insert(member, score, entries, max_value)
        db.touch(key)
        if client.server.notify_flags:
            key_event(client, NOTIFY_ZSET, b"zadd", key)
        return 1
    # Same score (-0 and 0 are equal, as in C): nothing changes.
    if not cur.startswith(cached_prefix(score)):
        zset.update(member, score)
        db.touch(key)
        if client.server.notify_flags:
            key_event(client, NOTIFY_ZSET, b"zadd", key)
    return 0


@command("zincrby", 4, "write denyoom fast", group="sorted_set", keys=[KeySpec("RW ACCESS UPDATE", index=1)],
         since="1.2.0", summary="Increment the score of a member in a sorted set",
         complexity="O(log(N)) where N is the number of elements in the sorted set.")
def zincrby(client, argv):
    return _zadd_generic(client, argv, _INCR)


# -- simple reads -----------------------------------------------------------------------------


@command("zcard", 2, "readonly fast", group="sorted_set", keys=[KeySpec("RO", index=1)], since="1.2.0",
         summary="Get the number of members in a sorted set")
def zcard(client, argv):
    zset = get_zset(client.db, argv[1])
    return 0 if zset is None else len(zset.scores)


@command("zscore", 3, "readonly fast", group="sorted_set", keys=_KEY_RO_ACCESS, since="1.2.0",
         summary="Get the score associated with the given member in a sorted set")
def zscore(client, argv):
    zset = get_zset(client.db, argv[1])
    return None if zset is None else zset.score(argv[2])


@command("zmscore", -3, "readonly fast", group="sorted_set", keys=_KEY_RO_ACCESS, since="6.2.0",
         summary="Get the score associated with the given members in a sorted set",
         complexity="O(N) where N is the number of members being requested.")
def zmscore(client, argv):
    zset = get_zset(client.db, argv[1])
    if zset is None:
        return [None] * (len(argv) - 2)
    score = zset.score
    return [score(member) for member in argv[2:]]


@command("zcount", 4, "readonly fast", group="sorted_set", keys=_KEY_RO_ACCESS, since="2.0.0",
         summary="Count the members in a sorted set with scores within the given values",
         complexity="O(log(N)) with N being the number of elements in the sorted set.")
def zcount(client, argv):
    rng = parse_score_range(argv[2], argv[3])
    zset = get_zset(client.db, argv[1])
    if zset is None:
        return 0
    lo, hi = zset.score_bounds(rng)
    return hi - lo


@command("zlexcount", 4, "readonly fast", group="sorted_set", keys=_KEY_RO_ACCESS, since="2.8.9",
         summary="Count the number of members in a sorted set between a given lexicographical range",
         complexity="O(log(N)) with N being the number of elements in the sorted set.")
def zlexcount(client, argv):
    rng = parse_lex_range(argv[2], argv[3])
    zset = get_zset(client.db, argv[1])
    if zset is None:
        return 0
    lo, hi = zset.lex_bounds(rng)
    return hi - lo


def _zrank(client, argv, reverse: bool):
    zset = get_zset(client.db, argv[1])
    if zset is None:
        return None
    rank = zset.rank(argv[2])
    if rank is None:
        return None
    return len(zset.scores) - 1 - rank if reverse else rank


@command("zrank", 3, "readonly fast", group="sorted_set", keys=_KEY_RO_ACCESS, since="2.0.0",
         summary="Determine the index of a member in a sorted set", complexity="O(log(N))")
def zrank(client, argv):
    return _zrank(client, argv, False)


@command("zrevrank", 3, "readonly fast", group="sorted_set", keys=_KEY_RO_ACCESS, since="2.0.0",
         summary="Determine the index of a member in a sorted set, with scores ordered from high to low",
         complexity="O(log(N))")
def zrevrank(client, argv):
    return _zrank(client, argv, True)


# -- ZRANGE and its legacy forms ------------------------------------------------------------------

_AUTO, _RANK, _SCORE, _LEX = 0, 1, 2, 3
_ZREMRANGE_EVENTS = {_RANK: b"zremrangebyrank", _SCORE: b"zremrangebyscore", _LEX: b"zremrangebylex"}


def _rank_positions(n: int, start: int, end: int, reverse: bool) -> tuple[int, int]:
    """genericZrangebyrankCommand's index sanitising: positions [lo, hi) (counted from the
    top when ``reverse``)."""
    span = containers.rank_range(start, end, n)
    if span is None:
        return 0, 0
    start, end = span
    if not reverse:
        return start, end + 1
    return n - 1 - end, n - start


def _limit_positions(lo: int, hi: int, offset: int, limit: int, reverse: bool) -> tuple[int, int]:
    """Positions [lo, hi) cut by OFFSET/LIMIT (a negative offset skips everything, as
    Redis's ``while (offset--)`` does; a negative limit is none)."""
    if offset < 0:
        return 0, 0
    if not reverse:
        start = lo + offset
        stop = hi if limit < 0 else min(hi, start + limit)
    else:
        stop = hi - offset
        start = lo if limit < 0 else max(lo, stop - limit)
    return (start, stop) if start < stop else (0, 0)


def _zrange_generic(client, argv, first: int, store: bool, rangetype: int, reverse: bool | None):
    """zrangeGenericCommand: ``first`` is the source key's position; returns the reply."""
    argc = len(argv)
    withscores = False
    offset, limit = 0, -1
    j = first + 3
    while j < argc:
        opt = argv[j].lower()
        left = argc - j - 1
        if not store and opt == b"withscores":
            withscores = True
        elif opt == b"limit" and left >= 2:
            offset = _long_arg(argv[j + 1])
            limit = _long_arg(argv[j + 2])
            j += 2
        elif reverse is None and opt == b"rev":
            reverse = True
        elif rangetype == _AUTO and opt == b"bylex":
            rangetype = _LEX
        elif rangetype == _AUTO and opt == b"byscore":
            rangetype = _SCORE
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    reverse = bool(reverse)
    if rangetype == _AUTO:
        rangetype = _RANK
    if limit != -1 and rangetype == _RANK:
        raise CommandError(errors.ZRANGE_LIMIT_NEEDS_BY)
    if withscores and rangetype == _LEX:
        raise CommandError(errors.ZRANGE_WITHSCORES_BYLEX)
    lo_arg, hi_arg = argv[first + 1], argv[first + 2]
    if reverse and rangetype != _RANK:
        lo_arg, hi_arg = hi_arg, lo_arg
    if rangetype == _RANK:
        start, end = _long_arg(lo_arg), _long_arg(hi_arg)
    elif rangetype == _SCORE:
        rng = parse_score_range(lo_arg, hi_arg)
    else:
        rng = parse_lex_range(lo_arg, hi_arg)
    db = client.db
    zset = get_zset(db, argv[first])
    lo = hi = 0
    if zset is not None:
        n = len(zset.scores)
        if rangetype == _RANK:
            lo, hi = _rank_positions(n, start, end, reverse)
        elif offset > 0 and offset >= n:
            pass
        else:
            lo, hi = zset.score_bounds(rng) if rangetype == _SCORE else zset.lex_bounds(rng, reverse)
            lo, hi = _limit_positions(lo, hi, offset, limit, reverse)
    if zset is None:
        return _store_range(client, argv[1], [], False) if store else []
    if store:
        return _store_range(client, argv[1], zset.pairs(lo, hi, reverse), rangetype == _RANK)
    if withscores:
        return _with_scores(client, zset.pairs(lo, hi, reverse))
    return zset.members(lo, hi, reverse)


def _store_range(client, dst: bytes, items: list, exact_hint: bool) -> int:
    """ZRANGESTORE's result: created by zsetTypeCreate (the rank form knows its length, the
    others start as a listpack), then filled in emission order with zsetAdd's conversions."""
    if not items:
        return store_zset(client, dst, None, b"zrangestore")
    entries, max_value = _limits(client)
    hint = len(items) if exact_hint else 0
    if hint > entries:
        zset = ZSet.from_pairs(items, listpack=False)
    else:
        # Elements go into the listpack until one would pass a limit; the rest (from that
        # one on) go into the skiplist it converts to, keeping their -0 scores.
        k = 0
        n = len(items)
        while k < n and k + 1 <= entries and len(items[k][1]) <= max_value:
            k += 1
        if k == n:
            zset = ZSet.from_pairs(items, listpack=True)
        else:
            pairs = [(0.0, m) if s == 0 else (s, m) for s, m in items[:k]]
            pairs.extend(items[k:])
            zset = ZSet.from_pairs(pairs, listpack=False)
    return store_zset(client, dst, zset, b"zrangestore")


_ZRANGE_KEYS = _KEY_RO_ACCESS


@command("zrange", -4, "readonly", group="sorted_set", keys=_ZRANGE_KEYS, since="1.2.0",
         summary="Return a range of members in a sorted set",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")
def zrange(client, argv):
    return _zrange_generic(client, argv, 1, False, _AUTO, None)


@command("zrangestore", -5, "write denyoom", group="sorted_set",
         keys=[KeySpec("OW UPDATE", index=1), KeySpec("RO ACCESS", index=2)], since="6.2.0",
         summary="Store a range of members from sorted set into another key",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.")
def zrangestore(client, argv):
    return _zrange_generic(client, argv, 2, True, _AUTO, None)


@command("zrevrange", -4, "readonly", group="sorted_set", keys=_ZRANGE_KEYS, since="1.2.0",
         summary="Return a range of members in a sorted set, by index, with scores ordered from high to low",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")
def zrevrange(client, argv):
    return _zrange_generic(client, argv, 1, False, _RANK, True)


@command("zrangebyscore", -4, "readonly", group="sorted_set", keys=_ZRANGE_KEYS, since="1.0.5",
         summary="Return a range of members in a sorted set, by score", complexity=_RANGE_COMPLEXITY)
def zrangebyscore(client, argv):
    return _zrange_generic(client, argv, 1, False, _SCORE, False)


@command("zrevrangebyscore", -4, "readonly", group="sorted_set", keys=_ZRANGE_KEYS, since="2.2.0",
         summary="Return a range of members in a sorted set, by score, with scores ordered from high to low",
         complexity=_RANGE_COMPLEXITY)
def zrevrangebyscore(client, argv):
    return _zrange_generic(client, argv, 1, False, _SCORE, True)


@command("zrangebylex", -4, "readonly", group="sorted_set", keys=_ZRANGE_KEYS, since="2.8.9",
         summary="Return a range of members in a sorted set, by lexicographical range",
         complexity=_RANGE_COMPLEXITY)
def zrangebylex(client, argv):
    return _zrange_generic(client, argv, 1, False, _LEX, False)


@command("zrevrangebylex", -4, "readonly", group="sorted_set", keys=_ZRANGE_KEYS, since="2.8.9",
         summary="Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
         complexity=_RANGE_COMPLEXITY)
def zrevrangebylex(client, argv):
    return _zrange_generic(client, argv, 1, False, _LEX, True)


# -- removal ----------------------------------------------------------------------------------


@command("zrem", -3, "write fast", group="sorted_set", keys=_KEY_RW_DELETE, since="1.2.0",
         summary="Remove one or more members from a sorted set",
         complexity="O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.")
def zrem(client, argv):
    db = client.db
    key = argv[1]
    zset = get_zset(db, key)
    if zset is None:
        return 0
    removed = 0
    for member in argv[2:]:
        if zset.remove(member):
            removed += 1
            if not zset.scores:
                break
    if removed:
        _after_removal(client, key, zset, b"zrem")
    return removed


def _zremrange(client, argv, rangetype: int) -> int:
    if rangetype == _RANK:
        start, end = _long_arg(argv[2]), _long_arg(argv[3])
    elif rangetype == _SCORE:
        rng = parse_score_range(argv[2], argv[3])
    else:
        rng = parse_lex_range(argv[2], argv[3])
    db = client.db
    key = argv[1]
    zset = get_zset(db, key)
    if zset is None:
        return 0
    n = len(zset.scores)
    if rangetype == _RANK:
        span = containers.rank_range(start, end, n)
        if span is None:
            return 0
        lo, hi = span[0], span[1] + 1
    elif rangetype == _SCORE:
        lo, hi = zset.score_bounds(rng)
    else:
        lo, hi = zset.lex_bounds(rng)
    removed = len(zset.delete_slice(lo, hi))
    if removed:
        _after_removal(client, key, zset, _ZREMRANGE_EVENTS[rangetype])
    return removed


@command("zremrangebyrank", 4, "write", group="sorted_set", keys=_KEY_RW_DELETE, since="2.0.0",
         summary="Remove all members in a sorted set within the given indexes", complexity=_REMRANGE_COMPLEXITY)
def zremrangebyrank(client, argv):
    return _zremrange(client, argv, _RANK)


@command("zremrangebyscore", 4, "write", group="sorted_set", keys=_KEY_RW_DELETE, since="1.2.0",
         summary="Remove all members in a sorted set within the given scores", complexity=_REMRANGE_COMPLEXITY)
def zremrangebyscore(client, argv):
    return _zremrange(client, argv, _SCORE)


@command("zremrangebylex", 4, "write", group="sorted_set", keys=_KEY_RW_DELETE, since="2.8.9",
         summary="Remove all members in a sorted set between the given lexicographical range",
         complexity=_REMRANGE_COMPLEXITY)
def zremrangebylex(client, argv):
    return _zremrange(client, argv, _LEX)


# -- pops -------------------------------------------------------------------------------------


def _pop_pairs(client, key: bytes, zset: ZSet, count: int, maximum: bool) -> list:
    """Remove up to ``count`` elements from one end; (score, member) pairs in pop order."""
    n = len(zset.scores)
    if count > n:
        count = n
    if maximum:
        items = zset.delete_slice(n - count, n, reverse=True)
    else:
        items = zset.delete_slice(0, count)
    _after_removal(client, key, zset, b"zpopmax" if maximum else b"zpopmin")
    return items


def _first_zset(db, keys):
    """genericZpopCommand's candidate: the first existing key (WRONGTYPE if it is not a zset)."""
    for key in keys:
        value = db.get(key)
        if value is None:
            continue
        if type(value) is not ZSet:
            raise CommandError(errors.WRONGTYPE)
        return key, value
    return None, None


def _zpop(client, argv, maximum: bool):
    argc = len(argv)
    if argc > 3:
        raise CommandError(errors.SYNTAX)
    count = -1
    if argc == 3:
        count = _range_long(argv[2], 0, LONG_MAX, errors.MUST_BE_POSITIVE)
    db = client.db
    key, zset = _first_zset(db, argv[1:2])
    if zset is None or count == 0:
        return []
    items = _pop_pairs(client, key, zset, 1 if count == -1 else count, maximum)
    if count != -1 and client.proto > 2:
        return [[m, s] for s, m in items]
    out = []
    for s, m in items:
        out.append(m)
        out.append(s)
    return out


@command("zpopmin", -2, "write fast", group="sorted_set", keys=_KEY_POP, since="5.0.0",
         summary="Remove and return members with the lowest scores in a sorted set",
         complexity="O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
def zpopmin(client, argv):
    return _zpop(client, argv, False)


@command("zpopmax", -2, "write fast", group="sorted_set", keys=_KEY_POP, since="5.0.0",
         summary="Remove and return members with the highest scores in a sorted set",
         complexity="O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
def zpopmax(client, argv):
    return _zpop(client, argv, True)


def _servable(client, db, keys):
    """blockingGenericZpopCommand's scan: the first key holding a zset, or (None, None).
    WRONGTYPE at the first key of another type, except when the node re-runs a parked
    command: Redis 7.0 serves blocked clients only from zsets, so it keeps waiting."""
    for key in keys_to_serve(client, keys):
        value = db.get(key)
        if value is None:
            continue
        if type(value) is not ZSet:
            if is_rerun(client):
                continue
            raise CommandError(errors.WRONGTYPE)
        if value.scores:
            return key, value
    return None, None


def _bzpop(client, argv, maximum: bool):
    timeout = parse_list_timeout(argv[-1])
    db = client.db
    keys = argv[1:-1]
    key, value = _servable(client, db, keys)
    if value is None:
        return Block(list(keys), timeout, NULL_ARRAY)
    score, member = _pop_pairs(client, key, value, 1, maximum)[0]
    return [key, member, score]


_BZPOP_KEYS = [KeySpec("RW ACCESS DELETE", index=1, lastkey=-2)]


@command("bzpopmin", -3, "write noscript blocking fast", group="sorted_set", keys=_BZPOP_KEYS, since="5.0.0",
         summary="Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
         complexity="O(log(N)) with N being the number of elements in the sorted set.")
def bzpopmin(client, argv):
    return _bzpop(client, argv, False)


@command("bzpopmax", -3, "write noscript blocking fast", group="sorted_set", keys=_BZPOP_KEYS, since="5.0.0",
         summary="Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
         complexity="O(log(N)) with N being the number of elements in the sorted set.")
def bzpopmax(client, argv):
    return _bzpop(client, argv, True)


def _zmpop(client, argv, numkeys_idx: int, blocking: bool):
    """zmpopGenericCommand: numkeys, MIN|MAX, [COUNT n]; then (BZMPOP) the timeout."""
    argc = len(argv)
    numkeys = _range_long(argv[numkeys_idx], 1, LONG_MAX, errors.NUMKEYS_NOT_POSITIVE)
    where_idx = numkeys_idx + numkeys + 1
    if where_idx >= argc:
        raise CommandError(errors.SYNTAX)
    where = argv[where_idx].lower()
    if where != b"min" and where != b"max":
        raise CommandError(errors.SYNTAX)
    count = parse_mpop_count(argv, where_idx + 1, errors.ZSET_COUNT_POSITIVE)
    maximum = where == b"max"
    keys = argv[numkeys_idx + 1:where_idx]
    db = client.db
    if blocking:
        timeout = parse_list_timeout(argv[1])
        key, value = _servable(client, db, keys)
        if value is None:
            return Block(list(keys), timeout, NULL_ARRAY)
    else:
        key, value = _first_zset(db, keys)
        if value is None:
            return NULL_ARRAY
    items = _pop_pairs(client, key, value, count, maximum)
    return [key, [[m, s] for s, m in items]]


_ZMPOP_COMPLEXITY = ("O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
                     "elements in the sorted set, and M being the number of elements popped.")


@command("zmpop", -4, "write", group="sorted_set", keys=[KeySpec("RW ACCESS DELETE", index=1, keynum=(0, 1, 1))],
         since="7.0.0", summary="Remove and return members with scores in a sorted set",
         complexity=_ZMPOP_COMPLEXITY)
def zmpop(client, argv):
    return _zmpop(client, argv, 1, False)


@command("bzmpop", -5, "write blocking", group="sorted_set",
         keys=[KeySpec("RW ACCESS DELETE", index=2, keynum=(0, 1, 1))], since="7.0.0",
         summary="Remove and return members with scores in a sorted set or block until one is available",
         complexity=_ZMPOP_COMPLEXITY)
def bzmpop(client, argv):
    return _zmpop(client, argv, 2, True)


# -- ZRANDMEMBER --------------------------------------------------------------------------------


@command("zrandmember", -2, "readonly", group="sorted_set", keys=_KEY_RO_ACCESS, tips="nondeterministic_output",
         since="6.2.0", summary="Get one or multiple random elements from a sorted set",
         complexity="O(N) where N is the number of elements returned")
def zrandmember(client, argv):
    argc = len(argv)
    db = client.db
    if argc < 3:
        zset = get_zset(db, argv[1])
        if zset is None:
            return None
        return zset.random_pairs(1)[0][1]
    count = _range_long(argv[2], -LONG_MAX, LONG_MAX, None)
    if argc > 4 or (argc == 4 and argv[3].lower() != b"withscores"):
        raise CommandError(errors.SYNTAX)
    withscores = argc == 4
    if withscores and (count < -(LONG_MAX // 2) or count > LONG_MAX // 2):
        raise CommandError(errors.VALUE_OUT_OF_RANGE)
    zset = get_zset(db, argv[1])
    if zset is None or count == 0:
        return []
    size = len(zset.scores)
    if count < 0 or count == 1:
        items = zset.random_pairs(-count if count < 0 else 1)
    elif count >= size:
        items = zset.pairs(0, size, reverse=True)  # Redis 7.0 answers the whole set from the top down
    else:
        items = zset.sample_pairs(count)
    if withscores:
        return _with_scores(client, items)
    return _members(items)


# -- ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD -----------------------------------------

_UNION, _INTER, _DIFF = 0, 1, 2
_SUM, _MIN, _MAX = 0, 1, 2
_AGGREGATES = {b"sum": _SUM, b"min": _MIN, b"max": _MAX}


class _SetSource:
    """A plain set as a zset operand: every member scores 1.0."""

    __slots__ = ("members",)

    def __init__(self, members):
        self.members = members

    def __len__(self) -> int:
        return len(self.members)

    def pairs(self):
        return ((1.0, m) for m in self.members)

    def get(self, member, default=None):
        return 1.0 if member in self.members else default


def _operand(value):
    if type(value) is ZSet:
        return value
    if type_name(value) == b"set":
        return _SetSource(value)
    raise CommandError(errors.WRONGTYPE)


def _pairs_of(src):
    return src.all_pairs() if type(src) is ZSet else src.pairs()


def _lookup_of(src):
    return src.score if type(src) is ZSet else src.get


def _setop_generic(client, argv, numkeys_idx: int, op: int, dst: bytes | None, card_only: bool, name: str):
    """zunionInterDiffGenericCommand."""
    argc = len(argv)
    setnum = _long_arg(argv[numkeys_idx])
    if setnum < 1:
        raise CommandError(errors.ZSET_AT_LEAST_ONE_KEY.format(name))
    if setnum > argc - (numkeys_idx + 1):
        raise CommandError(errors.SYNTAX)
    db = client.db
    sources = []
    j = numkeys_idx + 1
    for j in range(numkeys_idx + 1, numkeys_idx + 1 + setnum):
        value = db.get(argv[j])
        sources.append(None if value is None else _operand(value))
    j = numkeys_idx + 1 + setnum
    weights = [1.0] * setnum
    aggregate = _SUM
    withscores = False
    limit = 0
    remaining = argc - j
    while remaining:
        opt = argv[j].lower()
        if op != _DIFF and not card_only and remaining >= setnum + 1 and opt == b"weights":
            j += 1
            for i in range(setnum):
                weights[i] = parse_score(argv[j], errors.ZSET_WEIGHT_NOT_FLOAT)
                j += 1
            remaining -= setnum + 1
        elif op != _DIFF and not card_only and remaining >= 2 and opt == b"aggregate":
            aggregate = _AGGREGATES.get(argv[j + 1].lower())
            if aggregate is None:
                raise CommandError(errors.SYNTAX)
            j += 2
            remaining -= 2
        elif dst is None and not card_only and opt == b"withscores":
            withscores = True
            j += 1
            remaining -= 1
        elif card_only and remaining >= 2 and opt == b"limit":
            limit = _range_long(argv[j + 1], 0, LONG_MAX, errors.LIMIT_NEGATIVE)
            j += 2
            remaining -= 2
        else:
            raise CommandError(errors.SYNTAX)

    operands = list(zip(sources, weights))
    if op != _DIFF:
        operands.sort(key=lambda sw: 0 if sw[0] is None else len(sw[0]))  # stable, like glibc's qsort
    if op == _UNION:
        result = _union(operands, aggregate)
    elif op == _INTER:
        result = _inter(operands, aggregate, card_only, limit)
        if card_only:
            return result
    else:
        result = _diff(sources)

    if dst is not None:
        if not result:
            return store_zset(client, dst, None, name.encode())
        entries, max_value = _limits(client)
        listpack = len(result) <= entries and max(len(m) for m in result) <= max_value
        zset = ZSet.from_pairs([(s, m) for m, s in result.items()], listpack)
        return store_zset(client, dst, zset, name.encode())
    items = sorted([(s, m) for m, s in result.items()])
    if withscores:
        return _with_scores(client, items)
    return _members(items)


def _aggregate(target: float, value: float, aggregate: int) -> float:
    """zunionInterAggregate (a NaN sum becomes 0; MIN/MAX keep the target over a NaN)."""
    if aggregate == _SUM:
        total = target + value
        return 0.0 if total != total else total
    if aggregate == _MIN:
        return value if value < target else target
    return value if value > target else target


def _union(operands, aggregate: int) -> dict:
    acc: dict[bytes, float] = {}
    get = acc.get
    for src, weight in operands:
        if src is None or not len(src):
            continue
        for score, member in _pairs_of(src):
            value = weight * score
            if value != value:
                value = 0.0
            cur = get(member)
            if cur is None:
                acc[member] = value
            elif aggregate == _SUM:
                total = cur + value
                acc[member] = 0.0 if total != total else total
            elif aggregate == _MIN:
                if value < cur:
                    acc[member] = value
            elif value > cur:
                acc[member] = value
    return acc


def _inter(operands, aggregate: int, card_only: bool, limit: int):
    result: dict[bytes, float] = {}
    first, weight0 = operands[0]
    if first is None or not len(first):
        return 0 if card_only else result
    others = []
    for src, weight in operands[1:]:
        if src is None:
            return 0 if card_only else result
        others.append((src is first, _lookup_of(src), weight))
    cardinality = 0
    for score, member in _pairs_of(first):
        total = weight0 * score
        if total != total:
            total = 0.0
        for same, lookup, weight in others:
            if same:
                value = score * weight
            else:
                found = lookup(member)
                if found is None:
                    break
                value = found * weight
            total = _aggregate(total, value, aggregate)
        else:
            if card_only:
                cardinality += 1
                if limit and cardinality >= limit:
                    break
            else:
                result[member] = total
    return cardinality if card_only else result


def _diff(sources) -> dict:
    first = sources[0]
    if first is None or not len(first):
        return {}
    lookups = [_lookup_of(src) for src in sources[1:] if src is not None and src is not first]
    if any(src is first for src in sources[1:]):
        return {}
    result = {}
    for score, member in _pairs_of(first):
        for lookup in lookups:
            if lookup(member) is not None:
                break
        else:
            result[member] = score
    return result


_NUMKEYS_KEYS = [KeySpec("RO ACCESS", index=1, keynum=(0, 1, 1))]
_STORE_KEYS = [KeySpec("OW UPDATE", index=1), KeySpec("RO ACCESS", index=2, keynum=(0, 1, 1))]
_UNION_COMPLEXITY = ("O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M "
                     "being the number of elements in the resulting sorted set.")
_INTER_COMPLEXITY = ("O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
                     "number of input sorted sets and M being the number of elements in the resulting sorted set.")
_DIFF_COMPLEXITY = ("O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, "
                    "N is the size of the first set, and K is the size of the result set.")


@command("zunion", -3, "readonly", group="sorted_set", keys=_NUMKEYS_KEYS, since="6.2.0",
         summary="Add multiple sorted sets", complexity=_UNION_COMPLEXITY)
def zunion(client, argv):
    return _setop_generic(client, argv, 1, _UNION, None, False, "zunion")


@command("zinter", -3, "readonly", group="sorted_set", keys=_NUMKEYS_KEYS, since="6.2.0",
         summary="Intersect multiple sorted sets", complexity=_INTER_COMPLEXITY)
def zinter(client, argv):
    return _setop_generic(client, argv, 1, _INTER, None, False, "zinter")


@command("zdiff", -3, "readonly", group="sorted_set", keys=_NUMKEYS_KEYS, since="6.2.0",
         summary="Subtract multiple sorted sets", complexity=_DIFF_COMPLEXITY)
def zdiff(client, argv):
    return _setop_generic(client, argv, 1, _DIFF, None, False, "zdiff")


@command("zunionstore", -4, "write denyoom", group="sorted_set", keys=_STORE_KEYS, since="2.0.0",
         summary="Add multiple sorted sets and store the resulting sorted set in a new key",
         complexity="O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")
def zunionstore(client, argv):
    return _setop_generic(client, argv, 2, _UNION, argv[1], False, "zunionstore")


@command("zinterstore", -4, "write denyoom", group="sorted_set", keys=_STORE_KEYS, since="2.0.0",
         summary="Intersect multiple sorted sets and store the resulting sorted set in a new key",
         complexity=_INTER_COMPLEXITY)
def zinterstore(client, argv):
    return _setop_generic(client, argv, 2, _INTER, argv[1], False, "zinterstore")


@command("zdiffstore", -4, "write denyoom", group="sorted_set", keys=_STORE_KEYS, since="6.2.0",
         summary="Subtract multiple sorted sets and store the resulting sorted set in a new key",
         complexity=_DIFF_COMPLEXITY)
def zdiffstore(client, argv):
    return _setop_generic(client, argv, 2, _DIFF, argv[1], False, "zdiffstore")


@command("zintercard", -3, "readonly", group="sorted_set", keys=_NUMKEYS_KEYS, since="7.0.0",
         summary="Intersect multiple sorted sets and return the cardinality of the result",
         complexity="O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.")
def zintercard(client, argv):
    return _setop_generic(client, argv, 1, _INTER, None, True, "zintercard")


# -- ZSCAN ------------------------------------------------------------------------------------------


@command("zscan", -3, "readonly", group="sorted_set", keys=_KEY_RO_ACCESS, tips="nondeterministic_output",
         since="2.8.0", summary="Incrementally iterate sorted sets elements and associated scores",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")
def zscan(client, argv):
    cursor = parse_scan_cursor(argv[2])
    zset = get_zset(client.db, argv[1])
    if zset is None:
        return [b"0", []]
    count, pattern = scan_options(argv, 3)
    match = compile_glob(pattern) if pattern is not None and pattern != b"*" else None
    out = []
    if type(zset.order) is list:
        for score, member in zset.all_pairs():
            if match is None or match(member):
                out.append(member)
                out.append(_lp_score_text(score))
        return [b"0", out]
    cursor, members = containers.scan(zset.scores, cursor, count)
    score = zset.score
    for member in members:
        if match is None or match(member):
            out.append(member)
            out.append(format_double(score(member)))
    return [b"%d" % cursor, out]
