"""One logical database: the key -> value dict, expiry, access times and WATCH signals.

Values are stored as they are used: ``bytes`` for strings (the common case, so no wrapper
object per key), and one container object per collection type. Existence is ``key in
data`` after :meth:`Database.get` has applied lazy expiry; never the value's truthiness.

Expiry: ``expires`` maps key -> absolute unix milliseconds and is the truth. ``_heap`` is
an index of (when, key) pairs used only by the active expiry cycle (``keyspace/expire.py``)
to find due keys without scanning; stale pairs (the TTL changed or the key went away) are
skipped when popped, and the heap is rebuilt when stale pairs outnumber live ones.

Every change goes through a method here, so WATCH (and later keyspace notifications and
the cluster's per-slot index) see every write. ``expire_enabled`` is off on replicas:
they report expired keys as missing but wait for the primary's DEL.
"""

from __future__ import annotations

import heapq
import random
from typing import Callable, Iterator


class Clock:
    """State every Database of a node shares: the cached time and the dirty counter.

    ``ms`` is wall-clock unix milliseconds, set once per batch of commands (Redis's cached
    time; a batch runs without awaiting, so it is one instant). ``dirty`` counts changes
    since the last save; writes bump it through the Database methods, and dispatch reads
    it to know whether a command changed anything (propagation, SAVE points).
    """

    __slots__ = ("ms", "lru", "dirty")

    def __init__(self, ms: int = 0):
        self.ms = ms
        self.lru = ms // 1000
        self.dirty = 0

    def set(self, ms: int) -> None:
        self.ms = ms
        lru = ms // 1000
        if lru != self.lru:
            self.lru = lru


class Database:
    __slots__ = (
        "id",
        "clock",
        "data",
        "expires",
        "access",
        "watchers",
        "expire_enabled",
        "on_expired",
        "_heap",
    )

    def __init__(self, db_id: int, clock: Clock):
        self.id = db_id
        self.clock = clock
        self.data: dict[bytes, object] = {}
        self.expires: dict[bytes, int] = {}
        self.access: dict[bytes, int] = {}  # key -> clock.lru at last access (OBJECT IDLETIME)
        self.watchers: dict[bytes, list] = {}  # key -> clients watching it (WATCH)
        self.expire_enabled = True
        # Called with (db, key) after a key is removed because it expired (propagation of DEL).
        self.on_expired: Callable[[Database, bytes], None] | None = None
        self._heap: list[tuple[int, bytes]] = []

    # -- reading -------------------------------------------------------------------------

    def get(self, key: bytes) -> object | None:
        """The live value of ``key`` (None if missing or expired); counts as an access."""
        value = self.data.get(key)
        if value is None:
            return None
        if self.expires:
            when = self.expires.get(key)
            if when is not None and when <= self.clock.ms:
                if self.expire_enabled:
                    self._expire(key)
                return None
        self.access[key] = self.clock.lru
        return value

    def peek(self, key: bytes) -> object | None:
        """Like :meth:`get` but not an access (OBJECT, TYPE in some paths, SCAN filters)."""
        value = self.data.get(key)
        if value is None:
            return None
        when = self.expires.get(key) if self.expires else None
        if when is not None and when <= self.clock.ms:
            if self.expire_enabled:
                self._expire(key)
            return None
        return value

    def exists(self, key: bytes) -> bool:
        return self.peek(key) is not None

    def __len__(self) -> int:
        return len(self.data)

    def __contains__(self, key: bytes) -> bool:
        return self.peek(key) is not None

    def ttl_ms(self, key: bytes) -> int | None:
        """Absolute expiry of a live key in unix ms, or None if it has none."""
        return self.expires.get(key)

    def idle_seconds(self, key: bytes) -> int:
        return max(0, self.clock.lru - self.access.get(key, self.clock.lru))

    # -- writing ---------------------------------------------------------------------------

    def set(self, key: bytes, value: object, *, keep_ttl: bool = False) -> None:
        """Store ``value`` (a new key or an overwrite). Clears the TTL unless ``keep_ttl``."""
        self.data[key] = value
        clock = self.clock
        self.access[key] = clock.lru
        clock.dirty += 1
        if not keep_ttl and self.expires and key in self.expires:
            del self.expires[key]
        if self.watchers:
            self._signal(key)

    def delete(self, key: bytes) -> bool:
        """Remove a live key; False if it did not exist (or had expired)."""
        if self.peek(key) is None:
            return False
        self._remove(key)
        self.clock.dirty += 1
        if self.watchers:
            self._signal(key)
        return True

    def pop(self, key: bytes) -> object | None:
        """Remove and return a live key's value."""
        value = self.peek(key)
        if value is not None:
            self._remove(key)
            self.clock.dirty += 1
            if self.watchers:
                self._signal(key)
        return value

    def set_expire(self, key: bytes, when_ms: int) -> None:
        """Give an existing key an absolute expiry (a past time is the caller's business)."""
        self.expires[key] = when_ms
        self.clock.dirty += 1
        heap = self._heap
        heapq.heappush(heap, (when_ms, key))
        if len(heap) > 64 and len(heap) > 2 * len(self.expires):
            self._heap = [(w, k) for k, w in self.expires.items()]
            heapq.heapify(self._heap)
        if self.watchers:
            self._signal(key)

    def persist(self, key: bytes) -> bool:
        if key in self.expires:
            del self.expires[key]
            self.clock.dirty += 1
            if self.watchers:
                self._signal(key)
            return True
        return False

    def touch(self, key: bytes) -> None:
        """Signal that ``key`` changed in place; containers call this after mutating."""
        self.clock.dirty += 1
        if self.watchers:
            self._signal(key)

    def _signal(self, key: bytes) -> None:
        clients = self.watchers.get(key)
        if clients:
            for client in clients:
                client.watch_dirty = True

    def clear(self) -> int:
        """Remove every key (FLUSHDB); returns how many there were."""
        count = len(self.data)
        self.clock.dirty += count
        if self.watchers:
            for key in list(self.watchers):
                if key in self.data:
                    self._signal(key)
        self.data = {}
        self.expires = {}
        self.access = {}
        self._heap = []
        return count

    def swap_contents(self, other: "Database") -> None:
        """SWAPDB: exchange keys, TTLs and access times; watchers stay with the db number."""
        for name in ("data", "expires", "access", "_heap"):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(self, name, theirs)
            setattr(other, name, mine)

    def _remove(self, key: bytes) -> None:
        del self.data[key]
        self.access.pop(key, None)
        if self.expires:
            self.expires.pop(key, None)

    def _expire(self, key: bytes) -> None:
        self._remove(key)
        self.clock.dirty += 1
        if self.watchers:
            self._signal(key)
        if self.on_expired is not None:
            self.on_expired(self, key)

    # -- active expiry and iteration ---------------------------------------------------------

    def expire_due(self, now_ms: int, budget: int) -> int:
        """Remove up to ``budget`` keys whose time has come; returns how many were removed."""
        heap = self._heap
        expires = self.expires
        removed = 0
        while heap and removed < budget and heap[0][0] <= now_ms:
            when, key = heapq.heappop(heap)
            if expires.get(key) == when:
                self._expire(key)
                removed += 1
        return removed

    def random_key(self) -> bytes | None:
        """A random live key (RANDOMKEY); O(1) expected per try, like Redis's sampling."""
        if not self.data:
            return None
        for _ in range(100):
            key = _random_dict_key(self.data)
            if self.peek(key) is not None:
                return key
            if not self.data:
                return None
        return key

    def keys(self) -> Iterator[bytes]:
        """Iterate live keys (expired ones are skipped, not removed: iteration is read-only)."""
        now = self.clock.ms
        expires = self.expires
        for key in list(self.data):
            when = expires.get(key)
            if when is None or when > now:
                yield key


def _random_dict_key(data: dict) -> bytes:
    # dicts have no random access; islice from a random offset is O(n) in the worst case,
    # so sample a few positions from the start of a shuffled window instead.
    n = len(data)
    if n <= 64:
        return random.choice(list(data))
    import itertools

    return next(itertools.islice(iter(data), random.randrange(n), None))
