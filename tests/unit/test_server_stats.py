"""Server-wide counters fed by the keyspace: expired keys, hits and misses."""

from node.config import Config
from node.server import Server


def test_lazy_and_active_expiry_both_count_in_expired_keys():
    server = Server(Config())
    db = server.dbs[0]
    server.clock.set(10_000)
    for key in (b"lazy", b"active"):
        db.set(key, b"v")
        db.set_expire(key, 5_000)
    assert db.get(b"lazy") is None  # lazy expiry on read
    assert db.expire_due(10_000, 100) == 1  # the active cycle's step
    assert server.stat_expired_keys == 2
    assert (server.stat_keyspace_hits, server.stat_keyspace_misses) == (0, 1)


def test_lfu_policy_is_applied_when_config_changes():
    server = Server(Config())
    assert not server.clock.lfu
    server.config.set([(b"maxmemory-policy", b"allkeys-lfu"), (b"lfu-log-factor", b"5")])
    assert server.clock.lfu and server.clock.lfu_log_factor == 5
