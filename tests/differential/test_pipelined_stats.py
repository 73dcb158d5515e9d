"""Pipelined data commands (the dispatch gate's plain lane) against a real redis-server:
replies, errors in the middle of a pipeline, the keyspace hit/miss counters, commandstats
calls and the slowlog must come out as Redis's."""

from __future__ import annotations

import pytest
import redis

pytestmark = pytest.mark.real

# Reads, writes that look their key up with write lookups (INCR, SET NX: no hit/miss in
# Redis), writes with read lookups (GETSET, GETDEL, SET ... GET), errors and wrong
# arities in the middle of one pipeline.
MIXED = [
    ("SET", "a", "1"),
    ("GET", "a"),
    ("GET", "missing"),
    ("INCR", "a"),
    ("INCR", "a"),
    ("GETSET", "a", "x"),
    ("GET",),
    ("LPUSH", "a", "x"),
    ("INCR", "a"),
    ("GETDEL", "a"),
    ("GETDEL", "a"),
    ("SET", "b", "2"),
    ("MGET", "a", "b", "c"),
    ("HSET", "h", "f", "v"),
    ("HGET", "h", "f"),
    ("HGET", "h", "nope"),
    ("ZADD", "z", "1", "m"),
    ("ZSCORE", "z", "m"),
    ("EXISTS", "a", "b"),
    ("PING",),
    ("GET", "b"),
    ("SADD", "s", "m"),
    ("SET", "c", "3"),
    ("SET", "c", "4"),
    ("SET", "c", "5"),
    ("SET", "c", "6", "GET"),
    ("SET", "d", "6", "GET"),
    ("SET", "c", "7", "NX"),
    ("SET", "e", "7", "XX"),
    ("SET", "h", "7", "GET"),
]


def _pipeline(client: redis.Redis, commands) -> list:
    pipe = client.pipeline(transaction=False)
    for command in commands:
        pipe.execute_command(*command)
    return [repr(reply) if isinstance(reply, Exception) else reply
            for reply in pipe.execute(raise_on_error=False)]


def _stats(client: redis.Redis) -> dict:
    info = client.info("stats")
    return {"hits": info["keyspace_hits"], "misses": info["keyspace_misses"]}


def _calls(client: redis.Redis) -> dict:
    stats = client.info("commandstats")
    return {name: (entry["calls"], entry.get("failed_calls", 0), entry.get("rejected_calls", 0))
            for name, entry in stats.items()}


def test_a_mixed_pipeline_answers_and_counts_like_redis(differ):
    def run(c):
        c.config_resetstat()
        replies = _pipeline(c, MIXED * 3)
        return replies, _stats(c), _calls(c)

    differ.fresh(run, connections=1)


def test_long_streaks_of_one_command_count_every_call(differ):
    # More calls than one timed streak holds, of a read and of a write.
    def run(c):
        c.config_resetstat()
        _pipeline(c, [("SET", f"k{i}", "v") for i in range(200)])
        replies = _pipeline(c, [("GET", f"k{i}") for i in range(0, 400, 2)])
        return replies, _stats(c), _calls(c)

    differ.fresh(run, connections=1)


def test_slowlog_with_a_zero_threshold_logs_every_pipelined_call(differ):
    commands = [("SET", "a", "1"), ("GET", "a"), ("GET", "a"), ("INCR", "n"), ("SET", "a", "2")]

    def run(c):
        c.config_set("slowlog-log-slower-than", 0)
        try:
            c.slowlog_reset()
            _pipeline(c, commands)
            return [entry["command"] for entry in c.slowlog_get(100)]
        finally:
            c.config_set("slowlog-log-slower-than", 10000)

    logged = differ.fresh(run, connections=1)
    assert logged == [b"SET a 2", b"INCR n", b"GET a", b"GET a", b"SET a 1", b"SLOWLOG RESET"]


def test_random_pipelines_answer_and_count_like_redis(differ):
    """Random pipelines of the state machines' string, key, expiry, hash and set commands,
    with commands that leave the plain lane mixed in (PING, ECHO, SELECT), sent in one write on the
    RESP2 or RESP3 pair: every reply, the keyspace hit/miss counters and the commandstats
    call counts must equal Redis's."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.differential.test_hash_set_state_machine import HASH_WRITES, SET_WRITES
    from tests.differential.test_state_machine import COMMANDS, TIMING_DEPENDENT, _sign_only
    from tests.support.client import encode_command

    others = st.sampled_from([(b"PING",), (b"ECHO", b"e"), (b"SELECT", b"0"), (b"GET",), (b"NOSUCH", b"x")])
    pipelines = st.lists(st.one_of(COMMANDS, COMMANDS, COMMANDS, HASH_WRITES, SET_WRITES, others),
                         min_size=1, max_size=40)

    def counters(protocol):
        found = []
        for conn in ((differ.ours3, differ.real3) if protocol == 3 else (differ.ours2, differ.real2)):
            stats = conn.call(b"INFO", b"stats").value
            text = stats.decode() if isinstance(stats, bytes) else str(stats)
            fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
            calls = conn.call(b"INFO", b"commandstats").value
            calls = calls.decode() if isinstance(calls, bytes) else str(calls)
            per_command = sorted(line.split(",usec=")[0] for line in calls.splitlines() if line.startswith("cmdstat_")
                                 and not line.startswith(("cmdstat_info", "cmdstat_config", "cmdstat_flushall", "cmdstat_hello")))
            found.append((fields["keyspace_hits"], fields["keyspace_misses"], per_command))
        return found

    @given(pipeline=pipelines, protocol=st.sampled_from([2, 3]))
    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    def run(pipeline, protocol):
        pair = (differ.ours3, differ.real3) if protocol == 3 else (differ.ours2, differ.real2)
        for conn in pair:
            conn.call(b"FLUSHALL")
            conn.call(b"CONFIG", b"RESETSTAT")
        payload = b"".join(encode_command(*command) for command in pipeline)
        replies = []
        for conn in pair:
            conn.send_raw(payload)
            replies.append([conn.read_reply() for _ in pipeline])
        for command, ours, real in zip(pipeline, *replies):
            if command[0] in TIMING_DEPENDENT:
                ours, real = _sign_only(ours), _sign_only(real)
            assert ours == real, f"RESP{protocol} {command!r} in {pipeline!r}:\n  ours: {ours!r}\n  real: {real!r}"
        ours, real = counters(protocol)
        assert ours == real, f"RESP{protocol} {pipeline!r}:\n  ours: {ours!r}\n  real: {real!r}"

    run()
