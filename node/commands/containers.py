"""What the collection commands share: random picks and SCAN cursors over a dict or set, and
a fast path for parsing integer arguments (:func:`parse_long`).

Python's ``dict`` and ``set`` have neither random access nor a bucket order that survives
resizing, which Redis's SPOP/SRANDMEMBER/HRANDFIELD and HSCAN/SSCAN rely on. Both are
rebuilt here on top of small per-container caches, so a container itself carries nothing
extra (memory per element matters more than these operations).

Random picks (:func:`pick`, :func:`sample`, :func:`choices`)
------------------------------------------------------------
Containers should support weak references (a ``set``, or a ``dict`` subclass with a
``__weakref__`` slot): the cached lists then hold them weakly. Others (a plain ``dict``) are
held until their entry is evicted or :func:`forget` is called.

A container of at most ``SMALL`` elements is copied to a list on each call (a C-speed copy
of a few microseconds). A bigger one gets a cached ``list(container)`` that is sampled in
O(1) per pick: a pick that lands on an element deleted since the copy is retried, and the
copy is rebuilt after ``MAX_MISSES`` misses in a row, when the container has grown by more
than an eighth or shrunk by half (so at most half the picks miss), or after as many picks
as it had elements (so a copy costs O(1) amortised per pick, and elements added meanwhile
become candidates soon).

SCAN cursors (:func:`scan`)
---------------------------
The elements are ordered by ``hash()`` (fixed for a given bytes value while the process
lives), and a cursor is the hash of the next element to return, offset to be unsigned.
So whatever happens to the container between calls, an element present during the whole
iteration is returned exactly once: it sorts at a fixed place, and the cursor only moves
forward. Elements added or removed during the iteration may or may not be returned, as in
Redis. Finding the position of a cursor needs the elements sorted by hash: that snapshot
is built at cursor 0 (O(n log n), about half a second for a million elements) and cached
per container; a cursor whose snapshot is gone (evicted, or a made-up number) rebuilds it
from the current contents, which keeps the guarantee because the order is fixed. Elements
deleted after the snapshot are skipped when reached.
"""

from __future__ import annotations

import bisect
import itertools
import random
import time
import weakref
from collections import OrderedDict
from typing import Any

from node.commands.keys import parse_ll

SMALL = 64  # containers up to this size are copied for each random pick
MAX_MISSES = 16
MAX_CACHED = 16  # containers with a cached pick list (and, separately, a SCAN snapshot)
IDLE_SECONDS = 300.0  # cached lists unused this long are dropped
PRUNE_EVERY = 256  # pick lists are pruned when one is added, else once per this many picks
SCAN_BUDGET = 10  # at most COUNT x this snapshot entries are examined per SCAN call
_OFFSET = 1 << 63  # hash() is a signed 64-bit value; cursors are unsigned

_random = random.random


def parse_long(raw: bytes) -> int | None:
    """Redis's ``string2ll`` (:func:`node.commands.keys.parse_ll`), answering canonical
    non-negative numbers (indexes, counts, increments) without the regular expression."""
    if raw.isdigit() and len(raw) < 19 and (raw[0] != 48 or len(raw) == 1):
        return int(raw)
    return parse_ll(raw)


class _Cached:
    """A cached list for one container. The container is held by a weak reference, and the
    entry goes away with it (a deleted or overwritten key frees its list at once)."""

    __slots__ = ("ref", "items", "size", "picks", "used")

    def __init__(self, cache: OrderedDict, container: Any, items: list):
        key = id(container)

        def dropped(ref: weakref.ref, cache: OrderedDict = cache, key: int = key) -> None:
            entry = cache.get(key)
            if entry is not None and entry.ref is ref:
                del cache[key]

        try:
            self.ref = weakref.ref(container, dropped)
        except TypeError:  # a plain dict: held strongly until evicted or forgotten
            self.ref = lambda container=container: container
        self.items = items
        self.size = len(items)
        self.picks = 0
        self.used = time.monotonic()
        cache[key] = self


_picks: OrderedDict[int, _Cached] = OrderedDict()
_pick_ticks = itertools.count(1)
_scans: OrderedDict[int, _Cached] = OrderedDict()


def _prune(cache: OrderedDict[int, _Cached], now: float) -> None:
    while cache:
        first = next(iter(cache.values()))
        if len(cache) <= MAX_CACHED and now - first.used < IDLE_SECONDS:
            break
        cache.popitem(last=False)


def forget(container: Any) -> None:
    """Drop the caches of a container (it was deleted or emptied)."""
    key = id(container)
    for cache in (_picks, _scans):
        entry = cache.get(key)
        if entry is not None and entry.ref() is container:
            del cache[key]


def clear_caches() -> None:
    _picks.clear()
    _scans.clear()


# -- random picks ------------------------------------------------------------------------------


def _pick_list(container: Any) -> _Cached:
    now = time.monotonic()
    key = id(container)
    entry = _picks.get(key)
    n = len(container)
    if (
        entry is None
        or entry.ref() is not container
        or entry.picks > entry.size
        or n > entry.size + (entry.size >> 3)
        or n < entry.size >> 1
    ):
        entry = _Cached(_picks, container, list(container))
        created = True
    else:
        created = False
    entry.used = now
    _picks.move_to_end(key)
    if created or not next(_pick_ticks) % PRUNE_EVERY:  # the cache grew, or now and then
        _prune(_picks, now)
    return entry


def pick(container: Any) -> Any:
    """One uniformly random element of a non-empty dict (a key) or set."""
    n = len(container)
    if n <= SMALL:
        items = list(container)
        return items[int(_random() * n)]
    entry = _pick_list(container)
    misses = 0
    while True:
        items = entry.items
        entry.picks += 1
        item = items[int(_random() * len(items))]
        if item in container:
            return item
        misses += 1
        if misses >= MAX_MISSES:
            entry = _Cached(_picks, container, list(container))
            misses = 0


def choices(container: Any, k: int) -> list:
    """``k`` random elements with repetition (negative counts)."""
    n = len(container)
    if n <= SMALL or k * 2 >= n:
        items = list(container)
        return random.choices(items, k=k)
    return [pick(container) for _ in range(k)]


def sample(container: Any, k: int) -> list:
    """``k`` distinct random elements, ``0 < k < len(container)``, in random order."""
    n = len(container)
    if n <= SMALL or k * 3 > n:
        return random.sample(list(container), k)
    chosen: dict = {}
    while len(chosen) < k:
        chosen[pick(container)] = None
    return list(chosen)


# -- SCAN ----------------------------------------------------------------------------------------


def scan(container: Any, cursor: int, count: int) -> tuple[int, list]:
    """One HSCAN/SSCAN step over a hashtable-encoded container: (next cursor, elements).

    Returns about ``count`` elements (more when hashes tie); 0 as the next cursor when the
    iteration is complete. See the module docstring for the guarantees.
    """
    n = len(container)
    if cursor == 0 and n <= count:
        return 0, list(container)
    now = time.monotonic()
    key = id(container)
    entry = _scans.get(key)
    if cursor == 0 or entry is None or entry.ref() is not container:
        entry = _Cached(_scans, container, sorted(container, key=hash))
    entry.used = now
    _scans.move_to_end(key)
    _prune(_scans, now)
    snap = entry.items
    end = len(snap)
    pos = 0 if cursor == 0 else bisect.bisect_left(snap, cursor - _OFFSET, key=hash)
    out = []
    budget = count * SCAN_BUDGET
    while pos < end and len(out) < count and budget > 0:
        item = snap[pos]
        if item in container:
            out.append(item)
        pos += 1
        budget -= 1
    # Never split elements of equal hash across two calls: a cursor names a hash.
    if pos < end and pos > 0:
        last = hash(snap[pos - 1])
        while pos < end and hash(snap[pos]) == last:
            item = snap[pos]
            if item in container:
                out.append(item)
            pos += 1
    if pos >= end:
        del _scans[key]
        return 0, out
    return hash(snap[pos]) + _OFFSET, out


def rank_range(start: int, end: int, n: int) -> tuple[int, int] | None:
    """Redis's index sanitising for LRANGE, LTRIM, ZRANGE and ZREMRANGEBYRANK on ``n``
    elements: negative indexes count from the end; None when the range is empty, else the
    inclusive (start, end) within [0, n)."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return None
    if end >= n:
        end = n - 1
    return start, end
