"""The active expiry cycle: removes keys whose time has passed without being read.

Lazy expiry (in ``Database.get``/``peek``) already hides expired keys; this cycle frees
their memory. Each database keeps a heap of (when, key), so the cycle pops exactly the due
keys instead of sampling randomly, and it is time-boxed like Redis's: at most
``25% x effort`` of each cron period, checking the clock every 32 keys. It never walks the
whole keyspace. Only a primary runs it (replicas wait for the primary's DEL).
"""

from __future__ import annotations

import time
from typing import Sequence

from node.keyspace.db import Database

BATCH = 32


def active_expire_cycle(dbs: Sequence[Database], now_ms: int, budget_ns: int) -> int:
    """Expire due keys in every database until done or ``budget_ns`` is spent."""
    deadline = time.perf_counter_ns() + budget_ns
    removed = 0
    for db in dbs:
        if not db.expires or not db.expire_enabled:
            continue
        while True:
            n = db.expire_due(now_ms, BATCH)
            removed += n
            if n < BATCH:
                break
            if time.perf_counter_ns() >= deadline:
                return removed
    return removed
