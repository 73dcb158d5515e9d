"""The active expiry cycle: removes keys whose time has passed without being read.

Lazy expiry (in ``Database.get``/``peek``) already hides expired keys; this cycle frees
their memory. Each database keeps a heap of (when, key), so the cycle pops exactly the due
keys instead of sampling randomly, and it is time-boxed like Redis's: at most
``25% x effort`` of each cron period, checking the clock every 32 keys. It never walks the
whole keyspace: its cost is O(log n) per expired key plus O(1) per database. The
databases are visited round-robin from where the previous cycle stopped, so one database
with a flood of due keys cannot starve the others. Only a primary runs it (replicas wait
for the primary's DEL).

The cycle also drops SCAN logs and RANDOMKEY caches nobody used for a while
(:meth:`Database.prune`), so an abandoned SCAN stops costing memory and writes.
"""

from __future__ import annotations

import time
from typing import Sequence

from node.keyspace.db import Database

BATCH = 32

_next_db = 0  # where the next cycle starts (Redis's static current_db)


def active_expire_cycle(dbs: Sequence[Database], now_ms: int, budget_ns: int) -> int:
    """Expire due keys in every database until done or ``budget_ns`` is spent."""
    global _next_db
    deadline = time.perf_counter_ns() + budget_ns
    removed = 0
    count = len(dbs)
    if not count:
        return 0
    start = _next_db % count
    for i in range(count):
        db = dbs[(start + i) % count]
        db.prune(now_ms)
        if not db.expires or not db.expire_enabled:
            continue
        while True:
            n = db.expire_due(now_ms, BATCH)
            removed += n
            if n < BATCH:
                break
            if time.perf_counter_ns() >= deadline:
                _next_db = (start + i) % count  # resume here: this db still has due keys
                return removed
    _next_db = start + 1
    return removed
