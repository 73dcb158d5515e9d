"""One logical database: the key -> value dict, expiry, access times and WATCH signals.

Values are stored as they are used: ``bytes`` for strings (the common case, so no wrapper
object per key), and one container object per collection type. Existence is ``key in
data`` after :meth:`Database.get` has applied lazy expiry; never the value's truthiness.

Expiry: ``expires`` maps key -> absolute unix milliseconds and is the truth. A key is
expired when ``when < now`` (Redis's ``keyIsExpired``: a key is still alive during the
millisecond it expires at). ``_heap`` is an index of (when, key) pairs used only by the
active expiry cycle (``keyspace/expire.py``) to find due keys without scanning; stale pairs
(the TTL changed or the key went away) are skipped when popped, and the heap is rebuilt
when stale pairs outnumber live ones.

Every change goes through a method here, so WATCH, client-side caching (``tracking``:
invalidation, see ``node/tracking.py``) and the cluster's per-slot index see every write;
``on_miss`` (the ``keymiss`` event) sees every read miss of :meth:`get`. ``expire_enabled``
is off on replicas: they report expired keys as missing but wait for the primary's DEL.

Access tracking (OBJECT IDLETIME / FREQ, later eviction): ``access`` maps key -> an
integer stamp, like the 24 bits Redis keeps in each object's ``lru`` field. With an LRU
(or no) policy it is the LRU clock in seconds at the last access; when ``clock.lfu`` is
set (an LFU ``maxmemory-policy``) it is ``(minutes << 8) | counter``, Redis's LFU
logarithmic counter with its decay time. Switching policy reinterprets the old stamps,
exactly as Redis does ("LRU and LFU data will take some time to adjust").

SCAN cursors (:meth:`Database.scan`)
------------------------------------
Python dicts have no stable bucket order to walk with a reverse-binary cursor as Redis
does, so SCAN walks an *insertion log* instead: a list of keys in insertion order that
every SCAN iteration of this database shares.

* The first SCAN 0 takes ``list(data)`` (O(n), in C: ~30 ns a key). From then on, while the
  log is *current*, :meth:`set` appends every newly created key to it (one ``in`` test and
  one ``append``, only while a log exists). Entries are never removed or reordered, so a
  position in the log is stable; deleted keys stay as stale entries and are skipped when
  the cursor passes them (a key deleted and created again appears twice: SCAN may return
  duplicates, as in Redis).
* A cursor is ``(log id << 32) | position``. A later SCAN 0 joins the current log at
  position 0 (no copy), so any number of concurrent iterations cost one log. Each join
  sets the log's *end mark* to its length: every iteration on the log stops there, so an
  iteration ends even while keys are created faster than it walks (it may walk further
  than its own start point, which only returns some keys created meanwhile).
* Guarantee: a key present for the whole iteration was in the log, before the end mark,
  when the iteration started (the log holds every live key while it is current), at a
  position that never changes, so the walk reaches it. Keys created during the iteration
  may or may not be returned; deleted ones are not returned after their deletion.
* Bounds: a log is *retired* (no more appends or joins) once it has grown by more than
  ``max(1024, half its initial length)`` entries, or holds more than ``2 x keys + 1024``
  (checked when a key is appended and when an iteration joins):
  iterations already on it finish on it (keys created afterwards were created after those
  iterations started), and the next SCAN 0 starts a fresh log. So one iteration walks at
  most about 1.5 x n + 1024 entries, and a new O(n) copy is made at most once per n/2 key
  creations while someone scans. Logs unused for ``SCAN_IDLE_MS`` are dropped (by the
  cron, through :meth:`prune`), which also ends the append cost on :meth:`set`; at most
  ``SCAN_MAX_LOGS`` logs are kept per database (least recently used dropped first).
* Memory: 8 bytes per entry per live log (usually one log of at most 1.5 x n + 1024
  entries), plus the key objects of deleted keys a log still references until dropped.
* A cursor whose log is gone (idle-dropped, evicted, FLUSHDB/SWAPDB, a restart, or a made-up
  number) restarts the iteration on the current log: everything is returned again
  (duplicates, but nothing present throughout is missed).

RANDOMKEY (:meth:`Database.random_key`)
----------------------------------------
Dicts have no random access either, so a cached ``list(data)`` is sampled: O(1) per pick.
Picks that land on a deleted key are retried; the cache is rebuilt (O(n), in C) when it is
missing, after ``max(64, n/4)`` writes (``clock.dirty``) since it was built, or after 16
misses in a row, so rebuild cost is O(1) amortised per write. Keys created since the last
rebuild are not candidates until the next one (Redis's pick is not uniform either). The
cache is dropped when unused for ``SCAN_IDLE_MS``.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import OrderedDict
from typing import Callable, Iterator

# LFU (Redis evict.c): a new object's counter, the counter's ceiling.
LFU_INIT_VAL = 5
LFU_MAX = 255

SCAN_SLACK = 1024  # a log is retired past 2 x keys + SCAN_SLACK entries, or grown by this much
SCAN_IDLE_MS = 5 * 60 * 1000  # logs (and the RANDOMKEY cache) unused this long are dropped
SCAN_MAX_LOGS = 8  # per database; beyond this the least recently used log is dropped
RANDOM_REBUILD_MIN = 64
RANDOM_MAX_MISSES = 16

_scan_ids = itertools.count(1)
_random = random.random


class Clock:
    """State every Database of a node shares: the cached time and the dirty counter.

    ``ms`` is wall-clock unix milliseconds, set once per batch of commands (Redis's cached
    time; a batch runs without awaiting, so it is one instant). ``dirty`` counts changes
    since the last save; writes bump it through the Database methods, and dispatch reads
    it to know whether a command changed anything (propagation, SAVE points).

    ``lfu`` says whether access stamps are LFU counters (an ``*-lfu`` maxmemory-policy);
    whoever applies ``maxmemory-policy`` sets it. ``lfu_log_factor``/``lfu_decay_time``
    mirror the directives of the same name.
    """

    __slots__ = ("ms", "lru", "dirty", "lfu", "lfu_log_factor", "lfu_decay_time", "hits", "misses")

    def __init__(self, ms: int = 0):
        self.ms = ms
        self.lru = ms // 1000
        self.dirty = 0
        self.hits = 0  # Database.get found the key (INFO keyspace_hits)
        self.misses = 0
        self.lfu = False
        self.lfu_log_factor = 10
        self.lfu_decay_time = 1

    def set(self, ms: int) -> None:
        self.ms = ms
        lru = ms // 1000
        if lru != self.lru:
            self.lru = lru

    # -- LFU (Redis evict.c) -----------------------------------------------------------------

    def lfu_minutes(self) -> int:
        return (self.ms // 60000) & 0xFFFF

    def lfu_new(self) -> int:
        """The stamp of a newly created object."""
        return (self.lfu_minutes() << 8) | LFU_INIT_VAL

    def lfu_counter(self, stamp: int) -> int:
        """LFUDecrAndReturn: the counter of ``stamp`` after decay for the elapsed minutes."""
        ldt = (stamp >> 8) & 0xFFFF
        counter = stamp & 0xFF
        if self.lfu_decay_time:
            now = self.lfu_minutes()
            elapsed = now - ldt if now >= ldt else 65535 - ldt + now
            periods = elapsed // self.lfu_decay_time
            if periods:
                counter = 0 if periods > counter else counter - periods
        return counter

    def lfu_touched(self, stamp: int) -> int:
        """updateLFU: decay, then a logarithmic increment; returns the new stamp."""
        counter = self.lfu_counter(stamp)
        if counter < LFU_MAX:
            base = counter - LFU_INIT_VAL
            if base < 0:
                base = 0
            if random.random() < 1.0 / (base * self.lfu_log_factor + 1):
                counter += 1
        return (self.lfu_minutes() << 8) | counter


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
        "tracking",
        "on_miss",
        "_heap",
        "_scan_log",
        "_on_new",
        "_scan_log_id",
        "_scan_log_limit",
        "_scan_logs",
        "_rk_keys",
        "_rk_stamp",
        "_rk_used",
    )

    def __init__(self, db_id: int, clock: Clock):
        self.id = db_id
        self.clock = clock
        self.data: dict[bytes, object] = {}
        self.expires: dict[bytes, int] = {}
        self.access: dict[bytes, int] = {}  # key -> access stamp (see the module docstring)
        self.watchers: dict[bytes, list] = {}  # key -> clients watching it (WATCH)
        self.expire_enabled = True
        # Called with (db, key) after a key is removed because it expired (propagation of DEL).
        self.on_expired: Callable[[Database, bytes], None] | None = None
        # Client-side caching (node/tracking.py): the node's Tracking while anyone tracks
        # (every change is reported to it), else None. ``on_miss`` is called with (db, key)
        # when a read misses, only while the ``keymiss`` event is enabled.
        self.tracking = None
        self.on_miss: Callable[[Database, bytes], None] | None = None
        self._heap: list[tuple[int, bytes]] = []
        # SCAN: the current insertion log (None when no iteration is running) and every log
        # still usable by a cursor: id -> [keys, last used ms], least recently used first.
        # SCAN: the current insertion log (None when no iteration is running), its id, the
        # length at which it retires, and every log still usable by a cursor:
        # id -> [keys, last used ms, end mark], least recently used first.
        self._scan_log: list[bytes] | None = None
        # Called with each key set() creates, or None: appends to the current SCAN log (and
        # keeps ClusterDatabase's per-slot index); only set while there is work to do.
        self._on_new: Callable[[bytes], None] | None = None
        self._scan_log_id = 0
        self._scan_log_limit = 0
        self._scan_logs: OrderedDict[int, list] = OrderedDict()
        # RANDOMKEY: a cached key list, the dirty count when it was built, when last used.
        self._rk_keys: list[bytes] | None = None
        self._rk_stamp = 0
        self._rk_used = 0

    # -- reading -------------------------------------------------------------------------

    def get(self, key: bytes) -> object | None:
        """The live value of ``key`` (None if missing or expired); counts as an access."""
        value = self.data.get(key)
        clock = self.clock
        if value is None:
            clock.misses += 1
            if self.on_miss is not None:
                self.on_miss(self, key)
            return None
        if self.expires:
            when = self.expires.get(key)
            if when is not None and when < clock.ms:
                if self.expire_enabled:
                    self._expire(key)
                clock.misses += 1
                if self.on_miss is not None:
                    self.on_miss(self, key)
                return None
        clock.hits += 1
        if clock.lfu:
            self.access[key] = clock.lfu_touched(self.access.get(key, 0))
        else:
            self.access[key] = clock.lru
        return value

    def get_for_write(self, key: bytes) -> object | None:
        """Like :meth:`get` without the keyspace hit/miss and ``keymiss``: Redis's
        ``lookupKeyWrite``, for a write that looks its key up on its own account."""
        value = self.peek(key)
        if value is not None:
            clock = self.clock
            if clock.lfu:
                self.access[key] = clock.lfu_touched(self.access.get(key, 0))
            else:
                self.access[key] = clock.lru
        return value

    def peek(self, key: bytes) -> object | None:
        """Like :meth:`get` but not an access (OBJECT, TYPE in some paths, SCAN filters)."""
        value = self.data.get(key)
        if value is None:
            return None
        when = self.expires.get(key) if self.expires else None
        if when is not None and when < self.clock.ms:
            if self.expire_enabled:
                self._expire(key)
            return None
        return value

    def get_no_touch(self, key: bytes) -> object | None:
        """Like :meth:`get` (a keyspace hit or miss, ``keymiss`` on a miss) but not an access:
        Redis's ``lookupKeyReadWithFlags(LOOKUP_NOTOUCH)`` (EXISTS, TYPE, TTL, DUMP...)."""
        value = self.peek(key)
        clock = self.clock
        if value is None:
            clock.misses += 1
            if self.on_miss is not None:
                self.on_miss(self, key)
        else:
            clock.hits += 1
        return value

    def exists(self, key: bytes) -> bool:
        return self.peek(key) is not None

    def __len__(self) -> int:
        return len(self.data)

    def __contains__(self, key: bytes) -> bool:
        return self.peek(key) is not None

    def is_expired(self, key: bytes) -> bool:
        """Whether ``key`` is stored but logically expired (Redis's ``keyIsExpired``)."""
        when = self.expires.get(key)
        return when is not None and when < self.clock.ms

    def ttl_ms(self, key: bytes) -> int | None:
        """Absolute expiry of a live key in unix ms, or None if it has none."""
        return self.expires.get(key)

    def idle_seconds(self, key: bytes) -> int:
        return max(0, self.clock.lru - self.access.get(key, self.clock.lru))

    def lfu_frequency(self, key: bytes) -> int:
        """OBJECT FREQ: the decayed LFU counter of ``key`` (meaningful when ``clock.lfu``)."""
        return self.clock.lfu_counter(self.access.get(key, 0))

    # -- writing ---------------------------------------------------------------------------

    def set(self, key: bytes, value: object, *, keep_ttl: bool = False) -> None:
        """Store ``value`` (a new key or an overwrite). Clears the TTL unless ``keep_ttl``."""
        data = self.data
        on_new = self._on_new
        if on_new is not None and key not in data:
            on_new(key)
        data[key] = value
        clock = self.clock
        if clock.lfu:
            # An overwrite keeps the old object's LFU data (Redis's dbSetValue), after the
            # lookup every Redis write command does first has counted as an access.
            access = self.access
            stamp = access.get(key)
            access[key] = clock.lfu_new() if stamp is None else clock.lfu_touched(stamp)
        else:
            self.access[key] = clock.lru
        clock.dirty += 1
        if not keep_ttl and self.expires and key in self.expires:
            del self.expires[key]
        if self.watchers:
            self._signal(key)
        if self.tracking is not None:
            self.tracking.invalidate(key)

    def delete(self, key: bytes) -> bool:
        """Remove a live key; False if it did not exist (or had expired)."""
        if self.peek(key) is None:
            return False
        self._remove(key)
        self.clock.dirty += 1
        if self.watchers:
            self._signal(key)
        if self.tracking is not None:
            self.tracking.invalidate(key)
        return True

    def pop(self, key: bytes) -> object | None:
        """Remove and return a live key's value."""
        value = self.peek(key)
        if value is not None:
            self._remove(key)
            self.clock.dirty += 1
            if self.watchers:
                self._signal(key)
            if self.tracking is not None:
                self.tracking.invalidate(key)
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
        if self.tracking is not None:
            self.tracking.invalidate(key)

    def persist(self, key: bytes) -> bool:
        if key in self.expires:
            del self.expires[key]
            self.clock.dirty += 1
            if self.watchers:
                self._signal(key)
            if self.tracking is not None:
                self.tracking.invalidate(key)
            return True
        return False

    def touch(self, key: bytes) -> None:
        """Signal that ``key`` changed in place; containers call this after mutating."""
        self.clock.dirty += 1
        if self.watchers:
            self._signal(key)
        if self.tracking is not None:
            self.tracking.invalidate(key)

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
            self._touch_all_watched(None)
        if self.tracking is not None:
            self.tracking.flushed()
        self.data = {}
        self.expires = {}
        self.access = {}
        self._heap = []
        self._drop_caches()
        return count

    def swap_contents(self, other: "Database") -> None:
        """Exchange keys, TTLs and access times only; watchers stay with the db number.

        This signals nobody: SWAPDB uses :meth:`swap_with`, which also invalidates WATCH.
        """
        for name in ("data", "expires", "access", "_heap"):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(self, name, theirs)
            setattr(other, name, mine)
        self._drop_caches()
        other._drop_caches()

    def swap_with(self, other: "Database") -> None:
        """SWAPDB: invalidate WATCH on both sides as Redis 7.0 does, then swap the contents."""
        self.clock.dirty += 1
        if other is self:
            return  # Redis: a no-op that still counts as a write
        if self.watchers:
            self._touch_all_watched(other)
        if other.watchers:
            other._touch_all_watched(self)
        self.swap_contents(other)

    def _touch_all_watched(self, replaced_with: "Database | None") -> None:
        """Redis's touchAllWatchedKeysInDb: this db's contents are about to be emptied
        (FLUSHDB) or replaced by ``replaced_with``'s (SWAPDB)."""
        for key, clients in list(self.watchers.items()):
            in_emptied = key in self.data
            in_replacement = replaced_with is not None and key in replaced_with.data
            if not (in_emptied or in_replacement):
                continue
            for client in list(clients):
                expired = _watched_expired_flag(client, self, key)
                if expired:
                    if not in_replacement:
                        # An expired key is now deleted: no logical change; clear the flag.
                        _set_watched_expired_flag(client, self, key, False)
                        continue
                    if replaced_with.is_expired(key):  # type: ignore[union-attr]
                        continue  # expired key remains expired
                elif not in_emptied and replaced_with is not None and replaced_with.is_expired(key):
                    # A missing key is replaced by an expired one: still missing.
                    _set_watched_expired_flag(client, self, key, True)
                    continue
                client.watch_dirty = True

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
        if self.tracking is not None:
            self.tracking.expired(key)  # after the "expired" event, as Redis

    # -- active expiry and iteration ---------------------------------------------------------

    def expire_due(self, now_ms: int, budget: int) -> int:
        """Remove up to ``budget`` keys whose time has come; returns how many were removed."""
        heap = self._heap
        expires = self.expires
        removed = 0
        while heap and removed < budget and heap[0][0] < now_ms:
            when, key = heapq.heappop(heap)
            if expires.get(key) == when:
                self._expire(key)
                removed += 1
        return removed

    def random_key(self) -> bytes | None:
        """A random live key (RANDOMKEY); O(1) expected (see the module docstring)."""
        data = self.data
        clock = self.clock
        self._rk_used = clock.ms
        misses = 0
        tries = 0
        while data:
            keys = self._rk_keys
            if (
                keys is None
                or misses >= RANDOM_MAX_MISSES
                or not (0 <= clock.dirty - self._rk_stamp <= max(RANDOM_REBUILD_MIN, len(keys) >> 2))
            ):
                keys = self._rk_keys = list(data)
                self._rk_stamp = clock.dirty
                misses = 0
            key = keys[int(_random() * len(keys))]
            if key not in data:
                misses += 1
                continue
            when = self.expires.get(key) if self.expires else None
            if when is not None and when < clock.ms:
                tries += 1
                if self.expire_enabled:
                    self._expire(key)
                    continue
                # A replica does not delete: like Redis, give up and return an expired key
                # after enough tries when every key is volatile.
                if tries >= 100 and len(self.expires) == len(data):
                    return key
                misses += 1
                continue
            return key
        return None

    def keys(self) -> Iterator[bytes]:
        """Iterate live keys (expired ones are skipped, not removed: iteration is read-only)."""
        now = self.clock.ms
        expires = self.expires
        for key in list(self.data):
            when = expires.get(key)
            if when is None or when >= now:
                yield key

    def scan(self, cursor: int, count: int) -> tuple[int, list[bytes]]:
        """One SCAN step: (next cursor, 0 when done; keys still stored, expired ones included).

        Examines log entries from the cursor until ``count`` stored keys are collected (at
        most ``10 x count`` entries, like Redis's empty-bucket limit). Callers apply MATCH,
        TYPE and lazy expiry. See the module docstring for the cursor design.
        """
        data = self.data
        now = self.clock.ms
        entry = None
        log_id = pos = 0
        if cursor:
            log_id, pos = cursor >> 32, cursor & 0xFFFFFFFF
            entry = self._scan_logs.get(log_id)
            if entry is not None and pos > entry[2]:
                entry = None
        if entry is None:
            if len(data) <= count:
                return 0, list(data)
            log_id = self._join_scan_log()
            entry = self._scan_logs[log_id]
            pos = 0
        log = entry[0]
        entry[1] = now
        self._scan_logs.move_to_end(log_id)
        end = entry[2]
        out: list[bytes] = []
        budget = count * 10
        while pos < end and budget > 0 and len(out) < count:
            take = min(count - len(out), budget, end - pos)
            for key in log[pos : pos + take]:
                if key in data:
                    out.append(key)
            pos += take
            budget -= take
        if pos >= end:
            return 0, out
        return (log_id << 32) | pos, out

    def prune(self, now_ms: int) -> None:
        """Drop SCAN logs and the RANDOMKEY cache unused for ``SCAN_IDLE_MS`` (cron)."""
        logs = self._scan_logs
        while logs:
            log_id, entry = next(iter(logs.items()))
            if now_ms - entry[1] < SCAN_IDLE_MS:
                break
            del logs[log_id]
            if log_id == self._scan_log_id:
                self._set_scan_log(None)
        if self._rk_keys is not None and now_ms - self._rk_used >= SCAN_IDLE_MS:
            self._rk_keys = None

    def _join_scan_log(self) -> int:
        """SCAN 0: the id of the current insertion log (starting one, O(n), if there is
        none), with its end mark moved to its current length."""
        self.prune(self.clock.ms)
        logs = self._scan_logs
        log = self._scan_log
        if log is not None and len(log) > 2 * len(self.data) + SCAN_SLACK:
            log = None  # mostly deleted keys: walking it would be slow
            self._set_scan_log(None)
        if log is not None and self._scan_log_id in logs:
            entry = logs[self._scan_log_id]
            entry[2] = len(log)
            return self._scan_log_id
        log_id = next(_scan_ids) & 0xFFFFFFFF or next(_scan_ids)
        log = list(self.data)
        self._set_scan_log(log)
        self._scan_log_id = log_id
        self._scan_log_limit = len(log) + max(SCAN_SLACK, len(log) // 2)
        logs[log_id] = [log, self.clock.ms, len(log)]
        while len(logs) > SCAN_MAX_LOGS:
            logs.popitem(last=False)
        return log_id

    def _set_scan_log(self, log: list[bytes] | None) -> None:
        """The current insertion log (None: none); set() appends new keys while there is one."""
        self._scan_log = log
        self._on_new = self._log_new if log is not None else None

    def _log_new(self, key: bytes) -> None:
        self._scan_append(self._scan_log, key)  # type: ignore[arg-type]

    def _scan_append(self, log: list[bytes], key: bytes) -> None:
        log.append(key)
        if len(log) > self._scan_log_limit or len(log) > 2 * len(self.data) + SCAN_SLACK:
            self._set_scan_log(None)  # retired: iterations on it finish on it, new ones start afresh

    def _drop_caches(self) -> None:
        self._set_scan_log(None)
        self._scan_logs.clear()
        self._rk_keys = None


def _watched_expired_flag(client, db: Database, key: bytes) -> bool:
    for d, k, expired in client.watching:
        if d is db and k == key:
            return expired
    return False


def _set_watched_expired_flag(client, db: Database, key: bytes, flag: bool) -> None:
    watching = client.watching
    for i, (d, k, _expired) in enumerate(watching):
        if d is db and k == key:
            watching[i] = (d, k, flag)
            return


class ClusterDatabase(Database):
    """Database 0 of a cluster node: the same dict, plus a per-slot key index.

    ``slot_counts[slot]`` is the exact number of keys stored in that slot and
    ``slot_keys[slot]`` an append-only list of the keys created there (None while the slot
    is empty). Keys are counted and appended where they are created (:meth:`set`) and
    counted down where they are removed (:meth:`_remove`, which delete/pop/expiry all go
    through); a removed key stays in its list as a stale entry, skipped (and de-duplicated,
    a key can be deleted and created again) when GETKEYSINSLOT walks the list. A list is
    compacted to its live keys when stale entries outnumber live ones (amortised O(1) per
    key) and dropped when its slot becomes empty. So COUNTKEYSINSLOT is O(1), GETKEYSINSLOT
    O(count) amortised, and the index costs about one list pointer per key (a set per slot
    would cost five times that). The slot function is passed in (``node`` does not import
    ``cluster``). Standalone nodes use :class:`Database` and pay nothing for this.
    """

    __slots__ = ("slot_of", "slot_keys", "slot_counts")

    def __init__(self, db_id: int, clock: Clock, slot_of: Callable[[bytes], int]):
        super().__init__(db_id, clock)
        self.slot_of = slot_of
        self.slot_keys: list[list[bytes] | None] = [None] * 16384
        self.slot_counts = [0] * 16384
        self._on_new = self._index_new

    @classmethod
    def replacing(cls, old: Database, slot_of: Callable[[bytes], int]) -> "ClusterDatabase":
        """A ClusterDatabase taking over ``old``'s keys, TTLs, watchers and hooks."""
        db = cls(old.id, old.clock, slot_of)
        db.data, db.expires, db.access, db._heap = old.data, old.expires, old.access, old._heap
        db.watchers = old.watchers
        db.expire_enabled = old.expire_enabled
        db.on_expired = old.on_expired
        db.tracking = old.tracking
        db.on_miss = old.on_miss
        db.rebuild_index()
        return db

    def rebuild_index(self) -> None:
        slot_keys: list[list[bytes] | None] = [None] * 16384
        counts = [0] * 16384
        slot_of = self.slot_of
        for key in self.data:
            slot = slot_of(key)
            keys = slot_keys[slot]
            if keys is None:
                slot_keys[slot] = [key]
            else:
                keys.append(key)
            counts[slot] += 1
        self.slot_keys = slot_keys
        self.slot_counts = counts

    def count_keys_in_slot(self, slot: int) -> int:
        return self.slot_counts[slot]

    def keys_in_slot(self, slot: int, count: int) -> list[bytes]:
        """Up to ``count`` keys of ``slot``, newest first (as Redis 7.0's per-slot lists).

        Stale entries at the end of the list are popped first, so a migration loop
        (GETKEYSINSLOT, MIGRATE deletes them, repeat) stays linear; a list holding more
        stale entries than live ones is compacted (amortised O(1) per removed key)."""
        keys = self.slot_keys[slot]
        if not keys or count <= 0:
            return []
        data = self.data
        while keys and keys[-1] not in data:
            keys.pop()
        live = self.slot_counts[slot]
        if len(keys) > 2 * live + 8:
            keys = self._compact(slot)
        if len(keys) == live:  # every live key is listed once: no stale entries, no repeats
            return keys[: -count - 1 : -1]
        out: list[bytes] = []
        seen: set[bytes] = set()
        for key in reversed(keys):
            if key in data and key not in seen:
                seen.add(key)
                out.append(key)
                if len(out) >= count:
                    break
        return out

    def _compact(self, slot: int, also: bytes | None = None) -> list[bytes]:
        """Drop stale and repeated entries of ``slot``'s list (``also``: a key being created,
        not in ``data`` yet, that stays)."""
        data = self.data
        live = list(dict.fromkeys(key for key in self.slot_keys[slot] or () if key in data or key == also))  # type: ignore[union-attr]
        self.slot_keys[slot] = live or None
        return live

    def _set_scan_log(self, log: list[bytes] | None) -> None:
        self._scan_log = log  # _on_new stays _index_new, which also feeds the log

    def _index_new(self, key: bytes) -> None:
        """set() is creating ``key``: count it in its slot and list it (and log it for SCAN)."""
        slot = self.slot_of(key)
        keys = self.slot_keys[slot]
        count = self.slot_counts[slot] + 1
        self.slot_counts[slot] = count
        if keys is None:
            self.slot_keys[slot] = [key]
        else:
            keys.append(key)
            if len(keys) > 2 * count + 8:
                self._compact(slot, also=key)
        log = self._scan_log
        if log is not None:
            self._scan_append(log, key)

    def _remove(self, key: bytes) -> None:
        Database._remove(self, key)
        slot = self.slot_of(key)
        count = self.slot_counts[slot] - 1
        self.slot_counts[slot] = count
        if count <= 0:
            self.slot_counts[slot] = 0
            self.slot_keys[slot] = None

    def clear(self) -> int:
        count = Database.clear(self)
        self.slot_keys = [None] * 16384
        self.slot_counts = [0] * 16384
        return count

    def swap_contents(self, other: Database) -> None:
        Database.swap_contents(self, other)
        self.rebuild_index()
        if isinstance(other, ClusterDatabase):
            other.rebuild_index()
