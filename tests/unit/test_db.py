"""Database on a bare keyspace with a fixed clock: lazy and active expiry, WATCH signals,
FLUSHDB/SWAPDB watch rules, SCAN's insertion-log cursor, RANDOMKEY's sampling, LFU stamps."""

from __future__ import annotations

import random

import pytest

from node.keyspace import db as dbmod
from node.keyspace.db import LFU_INIT_VAL, Clock, Database
from node.keyspace.expire import active_expire_cycle

NOW = 1_700_000_000_000


class Watcher:
    """Just what the Database touches on a watching client."""

    def __init__(self):
        self.watch_dirty = False
        self.watching: list[tuple[Database, bytes, bool]] = []

    def watch(self, db: Database, key: bytes, expired: bool = False) -> None:
        self.watching.append((db, key, expired))
        db.watchers.setdefault(key, []).append(self)


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def db(clock):
    return Database(0, clock)


# -- basic reads and writes --------------------------------------------------------------------


def test_set_get_delete_pop(db, clock):
    assert db.get(b"k") is None
    db.set(b"k", b"v")
    assert db.get(b"k") == b"v" and db.peek(b"k") == b"v"
    assert b"k" in db and db.exists(b"k") and len(db) == 1
    assert db.pop(b"k") == b"v"
    assert db.pop(b"k") is None
    db.set(b"k", b"v")
    assert db.delete(b"k") is True
    assert db.delete(b"k") is False
    assert len(db) == 0 and not db.access


def test_dirty_counts_every_change(db, clock):
    start = clock.dirty
    db.set(b"a", b"1")
    db.set_expire(b"a", NOW + 10)
    db.persist(b"a")
    db.persist(b"a")  # nothing to remove: not a change
    db.touch(b"a")
    db.delete(b"a")
    db.delete(b"a")  # missing: not a change
    assert clock.dirty - start == 5


def test_set_clears_ttl_unless_keep_ttl(db):
    db.set(b"k", b"v")
    db.set_expire(b"k", NOW + 1000)
    db.set(b"k", b"w", keep_ttl=True)
    assert db.ttl_ms(b"k") == NOW + 1000
    db.set(b"k", b"x")
    assert db.ttl_ms(b"k") is None


def test_lazy_expiry_alive_during_its_millisecond(db, clock):
    db.set(b"k", b"v")
    db.set_expire(b"k", NOW + 10)
    clock.set(NOW + 10)
    assert db.get(b"k") == b"v"  # Redis: expired only when now > when
    clock.set(NOW + 11)
    assert db.peek(b"k") is None
    assert b"k" not in db.data and b"k" not in db.expires  # removed, not just hidden


def test_lazy_expiry_signals_watchers_and_reports(db, clock):
    expired = []
    db.on_expired = lambda d, k: expired.append(k)
    w = Watcher()
    db.set(b"k", b"v")
    db.set_expire(b"k", NOW + 5)
    w.watch(db, b"k")
    clock.set(NOW + 6)
    assert db.get(b"k") is None
    assert w.watch_dirty and expired == [b"k"]


def test_replica_hides_expired_keys_without_deleting(db, clock):
    db.expire_enabled = False
    db.set(b"k", b"v")
    db.set_expire(b"k", NOW + 5)
    clock.set(NOW + 6)
    assert db.get(b"k") is None and db.peek(b"k") is None
    assert b"k" in db.data  # waits for the primary's DEL


def test_keys_skips_expired_without_deleting(db, clock):
    db.set(b"a", b"1")
    db.set(b"b", b"2")
    db.set_expire(b"b", NOW + 1)
    clock.set(NOW + 2)
    assert list(db.keys()) == [b"a"]
    assert b"b" in db.data


def test_writes_signal_watchers(db):
    w = Watcher()
    w.watch(db, b"k")
    db.set(b"other", b"1")
    assert not w.watch_dirty
    for change in (
        lambda: db.set(b"k", b"1"),
        lambda: db.set_expire(b"k", NOW + 100),
        lambda: db.persist(b"k"),
        lambda: db.touch(b"k"),
        lambda: db.delete(b"k"),
    ):
        w.watch_dirty = False
        change()
        assert w.watch_dirty


def test_idle_seconds(db, clock):
    db.set(b"k", b"v")
    clock.set(NOW + 5_400)
    assert db.idle_seconds(b"k") == 5
    db.peek(b"k")  # not an access
    assert db.idle_seconds(b"k") == 5
    db.get(b"k")
    assert db.idle_seconds(b"k") == 0


# -- active expiry -----------------------------------------------------------------------------


class NoScan(dict):
    """A dict that fails the test if anything iterates it (a keyspace scan)."""

    def __iter__(self):
        raise AssertionError("the whole keyspace was iterated")

    def keys(self):
        raise AssertionError("the whole keyspace was iterated")

    def items(self):
        raise AssertionError("the whole keyspace was iterated")

    def values(self):
        raise AssertionError("the whole keyspace was iterated")


def test_active_expiry_removes_due_keys_only(db, clock):
    for i in range(100):
        db.set(b"k%d" % i, b"v")
    for i in range(10):
        db.set_expire(b"k%d" % i, NOW + i)  # k0..k9 due at NOW..NOW+9
    db.set_expire(b"late", NOW + 1)  # never created as a key: a stale heap entry is harmless
    db.expires.pop(b"late")
    removed = active_expire_cycle([db], NOW + 5, 10**9)
    assert removed == 5  # k0..k4 (k5 is alive during NOW+5)
    assert len(db) == 95 and all(b"k%d" % i not in db.data for i in range(5))
    assert db.ttl_ms(b"k5") == NOW + 5


def test_active_expiry_never_scans_the_keyspace(db, clock):
    db.data = NoScan()
    db.access = NoScan()
    for i in range(5000):
        db.set(b"k%d" % i, b"v")
    for i in range(0, 5000, 50):
        db.set_expire(b"k%d" % i, NOW + 1)
    db.expires = NoScan(db.expires)
    removed = active_expire_cycle([db], NOW + 2, 10**9)
    assert removed == 100 and len(db.data) == 4900


def test_active_expiry_skips_persisted_and_changed_ttls(db, clock):
    db.set(b"a", b"1")
    db.set(b"b", b"1")
    db.set_expire(b"a", NOW + 1)
    db.set_expire(b"b", NOW + 1)
    db.persist(b"a")
    db.set_expire(b"b", NOW + 1000)  # the old heap entry for b is stale
    assert active_expire_cycle([db], NOW + 10, 10**9) == 0
    assert set(db.data) == {b"a", b"b"}
    assert active_expire_cycle([db], NOW + 1001, 10**9) == 1
    assert set(db.data) == {b"a"}


def test_active_expiry_is_time_boxed_and_resumes(clock):
    dbs = [Database(i, clock) for i in range(3)]
    for d in dbs:
        for i in range(200):
            d.set(b"k%d" % i, b"v")
            d.set_expire(b"k%d" % i, NOW)
    # A zero budget still does one batch, then stops and resumes where it stopped.
    first = active_expire_cycle(dbs, NOW + 1, 0)
    assert 0 < first < 600
    total = first
    for _ in range(100):
        total += active_expire_cycle(dbs, NOW + 1, 0)
    assert total == 600 and all(len(d) == 0 for d in dbs)


def test_active_expiry_ignores_replicas(db, clock):
    db.expire_enabled = False
    db.set(b"k", b"v")
    db.set_expire(b"k", NOW)
    assert active_expire_cycle([db], NOW + 10, 10**9) == 0
    assert b"k" in db.data


def test_heap_is_rebuilt_when_stale(db):
    db.set(b"k", b"v")
    for i in range(1000):
        db.set_expire(b"k", NOW + 10_000 + i)
    assert len(db._heap) <= 2 * len(db.expires) + 64


# -- FLUSHDB / SWAPDB and WATCH ------------------------------------------------------------------


def test_clear_signals_watchers_of_existing_keys_only(db, clock):
    a, b = Watcher(), Watcher()
    db.set(b"k", b"v")
    a.watch(db, b"k")
    b.watch(db, b"missing")
    assert db.clear() == 1
    assert a.watch_dirty and not b.watch_dirty
    assert len(db) == 0 and not db.expires and not db.access


def test_clear_does_not_signal_a_key_that_was_already_expired_at_watch(db, clock):
    db.expire_enabled = False  # so the expired key is still stored
    db.set(b"k", b"v")
    db.set_expire(b"k", NOW - 1)
    w = Watcher()
    w.watch(db, b"k", expired=True)
    db.clear()
    assert not w.watch_dirty
    assert w.watching == [(db, b"k", False)]  # deleted keys are not flagged as expired


def test_swap_with_signals_keys_existing_on_either_side(clock):
    d0, d1 = Database(0, clock), Database(1, clock)
    d0.set(b"only0", b"x")
    d1.set(b"only1", b"y")
    w0, w1, w2 = Watcher(), Watcher(), Watcher()
    w0.watch(d0, b"only1")  # missing in db0, arrives with the swap
    w1.watch(d1, b"only1")  # leaves db1 with the swap
    w2.watch(d0, b"nowhere")
    d0.swap_with(d1)
    assert w0.watch_dirty and w1.watch_dirty and not w2.watch_dirty
    assert d0.peek(b"only1") == b"y" and d1.peek(b"only0") == b"x"
    assert d0.watchers.keys() == {b"only1", b"nowhere"}  # watchers stay with the db number


def test_swap_with_expired_replacement_is_no_change(clock):
    d0, d1 = Database(0, clock), Database(1, clock)
    d1.expire_enabled = False
    d1.set(b"k", b"v")
    d1.set_expire(b"k", NOW - 1)  # stored but logically expired
    w = Watcher()
    w.watch(d0, b"k")  # missing in db0
    d0.swap_with(d1)
    assert not w.watch_dirty
    assert w.watching == [(d0, b"k", True)]  # now watching an expired key


def test_swap_with_itself_changes_nothing_but_counts(clock):
    d0 = Database(0, clock)
    d0.set(b"k", b"v")
    w = Watcher()
    w.watch(d0, b"k")
    dirty = clock.dirty
    d0.swap_with(d0)
    assert not w.watch_dirty and clock.dirty == dirty + 1 and d0.peek(b"k") == b"v"


def test_swap_contents_keeps_ttls_and_drops_caches(clock):
    d0, d1 = Database(0, clock), Database(1, clock)
    d0.set(b"k", b"v")
    d0.set_expire(b"k", NOW + 100)
    d0.random_key()
    d0.swap_contents(d1)
    assert d1.ttl_ms(b"k") == NOW + 100 and d0.random_key() is None


# -- SCAN ----------------------------------------------------------------------------------------


def full_scan(db: Database, count: int = 10, mutate=None) -> list[bytes]:
    seen: list[bytes] = []
    cursor = 0
    calls = 0
    while True:
        cursor, found = db.scan(cursor, count)
        seen.extend(found)
        calls += 1
        assert calls < 100_000
        if cursor == 0:
            return seen
        if mutate is not None:
            mutate()


def test_scan_small_db_in_one_call(db):
    for i in range(5):
        db.set(b"k%d" % i, b"v")
    assert db.scan(0, 10) == (0, [b"k0", b"k1", b"k2", b"k3", b"k4"])
    assert not db._scan_logs  # no log for a keyspace that fits in one reply


def test_scan_returns_everything_once_when_quiet(db):
    keys = {b"k%d" % i for i in range(1000)}
    for k in keys:
        db.set(k, b"v")
    seen = full_scan(db, 7)
    assert sorted(seen) == sorted(keys)


def test_scan_count_bounds_each_reply(db):
    for i in range(100):
        db.set(b"k%d" % i, b"v")
    cursor, found = db.scan(0, 10)
    assert cursor != 0 and len(found) == 10


def test_scan_guarantee_under_random_churn(db):
    rnd = random.Random(7)
    stable = [b"stable:%d" % i for i in range(500)]
    volatile = [b"vol:%d" % i for i in range(500)]
    for k in stable + volatile:
        db.set(k, b"v")
    counter = [0]

    def mutate():
        for _ in range(rnd.randint(0, 30)):
            op = rnd.random()
            if op < 0.4:
                counter[0] += 1
                db.set(b"new:%d" % counter[0], b"v")
            elif op < 0.7:
                db.delete(rnd.choice(volatile))
            elif op < 0.85:
                k = rnd.choice(volatile)  # delete and re-create: moves to the end of the log
                db.delete(k)
                db.set(k, b"w")
            else:
                db.set(rnd.choice(stable), b"overwritten")  # overwrites keep a key present

    for count in (1, 3, 10, 100):
        seen = set(full_scan(db, count, mutate))
        assert set(stable) <= seen
        assert seen <= set(stable) | set(volatile) | {b"new:%d" % i for i in range(counter[0] + 1)}


def test_scan_ends_while_keys_are_created_faster_than_it_walks(db):
    for i in range(3000):
        db.set(b"k%d" % i, b"v")
    created = [0]

    def flood():
        for _ in range(50):
            created[0] += 1
            db.set(b"new:%d" % created[0], b"v")

    seen = set(full_scan(db, 1, flood))  # COUNT 1 against 50 new keys per call
    assert {b"k%d" % i for i in range(3000)} <= seen


def test_scan_joins_move_the_end_mark(db):
    for i in range(100):
        db.set(b"k%d" % i, b"v")
    c1, _ = db.scan(0, 10)
    db.set(b"late", b"v")
    assert b"late" not in set(full_scan_from(db, c1, 10))  # created after the only join
    c1, _ = db.scan(0, 10)
    db.set(b"later", b"v")
    c2, _ = db.scan(0, 10)  # a second iteration joins after "later" was created
    assert b"later" in set(full_scan_from(db, c2, 10))


def test_scan_never_returns_keys_deleted_before_the_cursor_reaches_them(db):
    for i in range(100):
        db.set(b"k%d" % i, b"v")
    cursor, first = db.scan(0, 10)
    for i in range(100):
        if b"k%d" % i not in first:
            db.delete(b"k%d" % i)
    rest = full_scan_from(db, cursor, 10)
    assert rest == []


def full_scan_from(db, cursor, count):
    out = []
    while cursor:
        cursor, found = db.scan(cursor, count)
        out.extend(found)
    return out


def test_scan_log_retires_under_churn_and_iterations_finish_on_it(db):
    for i in range(2000):
        db.set(b"k%d" % i, b"v")
    cursor, _ = db.scan(0, 10)
    log = db._scan_log
    assert log is not None
    # Churn: delete and re-create keys until the log holds more than 2n + slack entries.
    for round_ in range(3):
        for i in range(2000):
            db.delete(b"k%d" % i)
            db.set(b"k%d" % i, b"v")
    assert db._scan_log is None  # retired; the old cursor still works on it
    assert len(log) <= 2000 + max(dbmod.SCAN_SLACK, 1000) + 1
    rest = set(full_scan_from(db, cursor, 50))
    # Every key was deleted during the iteration, so no guarantee applies, but the cursor
    # must still finish (and return only keys that exist).
    assert rest <= set(db.data)
    assert sorted(full_scan(db, 50)) == sorted(db.data)  # a new iteration starts a new log


def test_scan_logs_are_shared_and_pruned(db, clock):
    for i in range(100):
        db.set(b"k%d" % i, b"v")
    c1, _ = db.scan(0, 10)
    c2, _ = db.scan(0, 10)
    assert c1 == c2 and len(db._scan_logs) == 1  # one log for both iterations
    db.set(b"new", b"v")
    assert db._scan_log[-1] == b"new"  # new keys are appended while a log is current
    clock.set(NOW + dbmod.SCAN_IDLE_MS + 1)
    db.prune(clock.ms)
    assert not db._scan_logs and db._scan_log is None
    before = len(db.data)
    db.set(b"after", b"v")  # no log: no append cost
    assert len(db.data) == before + 1
    # A cursor whose log is gone restarts the iteration: nothing is missed.
    seen = set(full_scan_from(db, c1, 10))
    assert seen == set(db.data)


def test_scan_unknown_cursor_restarts(db):
    for i in range(50):
        db.set(b"k%d" % i, b"v")
    seen = set(full_scan_from(db, 123456789, 10))
    assert seen == set(db.data)


def test_scan_skips_deleted_entries_within_budget(db):
    for i in range(1000):
        db.set(b"k%d" % i, b"v")
    cursor, _ = db.scan(0, 5)
    for i in range(5, 995):
        db.delete(b"k%d" % i)
    # 990 stale entries: each call examines at most 10 x COUNT entries.
    cursor, found = db.scan(cursor, 5)
    assert found == [] and cursor != 0
    assert sorted(full_scan_from(db, cursor, 5)) == sorted(b"k%d" % i for i in range(995, 1000))


def test_clear_drops_scan_logs(db):
    for i in range(100):
        db.set(b"k%d" % i, b"v")
    cursor, _ = db.scan(0, 10)
    db.clear()
    assert not db._scan_logs
    db.set(b"x", b"v")
    assert full_scan_from(db, cursor, 10) == [b"x"]


# -- RANDOMKEY -------------------------------------------------------------------------------------


def test_random_key_empty_and_single(db):
    assert db.random_key() is None
    db.set(b"only", b"v")
    assert db.random_key() == b"only"


def test_random_key_reaches_every_key(db):
    random.seed(3)
    keys = {b"k%d" % i for i in range(20)}
    for k in keys:
        db.set(k, b"v")
    seen = {db.random_key() for _ in range(2000)}
    assert seen == keys


def test_random_key_does_not_rebuild_per_call(db, monkeypatch):
    for i in range(10_000):
        db.set(b"k%d" % i, b"v")
    db.random_key()
    cache = db._rk_keys
    for _ in range(1000):
        db.random_key()
    assert db._rk_keys is cache  # O(1) per call: the sample list is reused


def test_random_key_cache_follows_writes(db):
    for i in range(100):
        db.set(b"old%d" % i, b"v")
    db.random_key()
    for i in range(100):
        db.delete(b"old%d" % i)
    for i in range(100):
        db.set(b"new%d" % i, b"v")
    assert all(db.random_key().startswith(b"new") for _ in range(200))


def test_random_key_deletes_expired_picks(db, clock):
    for i in range(10):
        db.set(b"e%d" % i, b"v")
        db.set_expire(b"e%d" % i, NOW + 1)
    db.set(b"live", b"v")
    clock.set(NOW + 2)
    assert db.random_key() == b"live" or len(db) < 11
    while len(db) > 1:
        assert db.random_key() == b"live"
    for i in range(10):
        assert b"e%d" % i not in db.data


def test_random_key_all_expired_on_primary_is_none(db, clock):
    for i in range(10):
        db.set(b"e%d" % i, b"v")
        db.set_expire(b"e%d" % i, NOW + 1)
    clock.set(NOW + 2)
    assert db.random_key() is None and len(db) == 0


def test_random_key_all_volatile_and_expired_on_replica(db, clock):
    db.expire_enabled = False
    for i in range(10):
        db.set(b"e%d" % i, b"v")
        db.set_expire(b"e%d" % i, NOW + 1)
    clock.set(NOW + 2)
    assert db.random_key() in db.data  # gives up and returns an expired key, like Redis


# -- LFU --------------------------------------------------------------------------------------------


def test_lfu_new_key_counter_and_first_hit(db, clock):
    clock.lfu = True
    db.set(b"k", b"v")
    assert db.lfu_frequency(b"k") == LFU_INIT_VAL
    db.get(b"k")
    assert db.lfu_frequency(b"k") == LFU_INIT_VAL + 1  # p = 1 for counters <= LFU_INIT_VAL
    db.set(b"k", b"w")  # an overwrite keeps the counter, after counting its lookup
    assert db.lfu_frequency(b"k") in (LFU_INIT_VAL + 1, LFU_INIT_VAL + 2)


def test_lfu_counter_grows_logarithmically_and_decays(db, clock):
    clock.lfu = True
    random.seed(1)
    db.set(b"k", b"v")
    for _ in range(10_000):
        db.get(b"k")
    high = db.lfu_frequency(b"k")
    assert 20 < high <= 255
    clock.set(clock.ms + 10 * 60_000)  # lfu-decay-time 1: one point per idle minute
    assert db.lfu_frequency(b"k") == high - 10
    clock.set(clock.ms + 10_000 * 60_000)
    assert db.lfu_frequency(b"k") == 0


def test_scan_does_not_join_a_log_of_mostly_deleted_keys(db):
    for i in range(5000):
        db.set(b"k%d" % i, b"v")
    db.scan(0, 10)
    first = db._scan_log
    for i in range(4900):
        db.delete(b"k%d" % i)
    cursor, found = db.scan(0, 10)
    assert db._scan_log is not first and len(db._scan_log) == 100
    assert len(found) == 10
