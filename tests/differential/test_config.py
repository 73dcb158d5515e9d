"""CONFIG GET/SET/HELP/RESETSTAT/REWRITE against real Redis 7.0: values, patterns, error texts.

CONFIG SET changes the servers it runs on, so this module starts its own pair (the shared
session servers stay untouched): Trireme and redis-server with the same arguments, then the
same commands on both, compared on the wire in RESP2 and RESP3. CONFIG GET replies are maps
whose order is a hash order in Redis, so they are compared as sets of pairs.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import pytest

from tests.support.differ import Differ
from tests.support.procs import ServerProcess, free_port, redis_server_path, start_real_redis, start_trireme

# Both servers start with these (and --port, --bind 127.0.0.1, --save "").
ARGS = ("--enable-protected-configs", "yes")
# Directives whose CONFIG SET acts on the real server in ways a test must not trigger here
# (rebinding, authentication, client eviction, OS limits, TLS, AOF files...).
SKIP_SET = {"port", "bind", "requirepass", "maxclients", "maxmemory-clients", "appendonly", "tls-port", "tls-cluster",
            "tls-replication", "oom-score-adj", "oom-score-adj-values", "watchdog-period", "timeout", "dir",
            "unixsocket", "maxmemory", "client-output-buffer-limit", "protected-mode", "repl-backlog-size"}
VALUES = ["", "0", "1", "-1", "yes", "no", "YES", "abc", "10%", "1kb", "5MB", "99999999999", "18446744073709551616",
          "01", "+1", " 1", "1 2", "100 5", "100  5", "save now", "KEA", "Q", "nAKEm", "50 99.99 100", "101", "1e1",
          "-2000 0 2000", "local", "relative", "hostname", "a_b", "abc.def", "{title}", "{port} x", "{foo}", "allkeys-lru",
          "swapdb", "warning", "clients", "panic", "777", "a/b"]


@pytest.fixture(scope="module")
def pair():
    if redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    ours = start_trireme(*ARGS)
    try:
        real = start_real_redis(*ARGS)
    except Exception:
        ours.stop()
        raise
    differ = Differ(ours.port, real.port)
    try:
        yield differ
    finally:
        differ.close()
        ours.stop()
        real.stop()


def config_get(client, *patterns) -> dict[bytes, bytes]:
    reply = client.execute_command("CONFIG", "GET", *patterns)
    if isinstance(reply, dict):
        return {k if isinstance(k, bytes) else k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in reply.items()}
    return {reply[i]: reply[i + 1] for i in range(0, len(reply), 2)}


def names_of(differ) -> list[str]:
    return sorted(name.decode() for name in config_get(differ.client("real"), "*"))


def test_config_get_all(pair):
    """Every directive, with its default, under every name (aliases too); dir and port differ by nature."""
    ours = config_get(pair.client("ours"), "*")
    real = config_get(pair.client("real"), "*")
    for name in (b"dir", b"port"):
        ours.pop(name), real.pop(name)
    assert ours == real


@pytest.mark.parametrize("patterns", [
    ("maxmemory",), ("MAXMEMORY",), ("maxmem*",), ("MAXMEM*",), ("*max*",), ("repl*ping*",), ("slave*",),
    ("nosuch",), ("h?",), ("[hm]*-max-*",), ("maxmemory", "maxmemory", "MAXMEMORY"), ("maxmemory", "maxmemory-p*"),
    ("save", "bind", "client-output-buffer-limit", "oom-score-adj-values", "latency-tracking-info-percentiles"),
    ("key-load-delay",), ("*delay*",), ("slaveof", "replicaof"), ("notify-keyspace-events", "*keyspace*"),
    ("hash-max-ziplist-*",), ("\\*",), ("*[",),
])
def test_config_get_patterns(pair, patterns):
    pair.check("CONFIG", "GET", *patterns, unordered="pairs")


@pytest.mark.parametrize("args", [
    ("CONFIG",), ("CONFIG", "GET"), ("CONFIG", "SET", "maxmemory"), ("CONFIG", "SET"), ("CONFIG", "nosuch"),
    ("CONFIG", "HELP"), ("CONFIG", "HELP", "x"), ("CONFIG", "RESETSTAT", "x"), ("CONFIG", "REWRITE"),
    ("CONFIG", "SET", "maxmemory", "1", "hz"), ("CONFIG", "SET", "nosuch", "1"), ("CONFIG", "SET", "daemonize", "yes"),
    ("CONFIG", "SET", "DAEMONIZE", "yes"), ("CONFIG", "SET", "foo", "1", "daemonize", "yes"),
    ("CONFIG", "SET", "daemonize", "yes", "foo", "1"), ("CONFIG", "SET", "hz", "1", "HZ", "2"),
    ("CONFIG", "SET", "hz", "5", "maxmemory", "x"), ("CONFIG", "SET", "slaveof", "no one"),
    ("CONFIG", "SET", "activedefrag", "yes"), ("CONFIG", "SET", "shutdown-on-sigint", "save nosave"),
    ("CONFIG", "SET", "oom-score-adj-values", "0 200"), ("CONFIG", "SET", "oom-score-adj-values", "0 200 5000"),
    ("CONFIG", "SET", "bind", " ".join(["127.0.0.1"] * 17)), ("CONFIG", "SET", "maxmemory-clients", "200%"),
    ("CONFIG", "SET", "maxmemory-clients", "-1"), ("CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3"),
    ("CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"), ("CONFIG", "SET", "client-output-buffer-limit", "normal x 2 3"),
    ("CONFIG", "SET", "proto-max-bulk-len", "1"), ("CONFIG", "SET", "maxmemory", "-1"), ("CONFIG", "SET", "dir", "/nonexistent-dir"),
])
def test_config_errors_and_help(pair, args):
    pair.check(*args)


def test_config_set_then_get(pair):
    """Several directives at once; values printed like Redis (canonical enum names, units expanded)."""
    pair.check("CONFIG", "SET", "hz", "20", "maxmemory-policy", "ALLKEYS-LRU", "hash-max-ziplist-value", "1kb",
               "shutdown-on-sigint", "now save", "notify-keyspace-events", "KEA", "save", "100 5 200 10",
               "latency-tracking-info-percentiles", "0.5 1e1 .25", "lua-time-limit", "100")
    pair.check("CONFIG", "GET", "hz", "maxmemory-policy", "hash-max-*", "shutdown-on-sigint", "notify-keyspace-events",
               "save", "latency-tracking-info-percentiles", "busy-reply-threshold", "lua-time-limit", unordered="pairs")
    pair.check("CONFIG", "SET", "hz", "0", "save", "", "client-output-buffer-limit", "replica 1mb 2kb 3 PUBSUB 0 0 0")
    pair.check("CONFIG", "GET", "hz", "save", "client-output-buffer-limit", unordered="pairs")
    pair.check("CONFIG", "SET", "hz", "10", "maxmemory-policy", "noeviction", "hash-max-listpack-value", "64",
               "shutdown-on-sigint", "default", "notify-keyspace-events", "", "latency-tracking-info-percentiles",
               "50 99 99.9", "busy-reply-threshold", "5000", "client-output-buffer-limit",
               "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")


def test_config_set_failure_changes_nothing(pair):
    pair.check("CONFIG", "SET", "hz", "33", "maxmemory-policy", "bogus")
    pair.check("CONFIG", "GET", "hz", "maxmemory-policy", unordered="pairs")


def test_config_set_every_directive(pair):
    """Each mutable directive (and alias) with a range of good and bad values: same reply, same value after."""
    ours, real = pair.client("ours"), pair.client("real")
    problems = []
    for name in names_of(pair):
        if name in SKIP_SET:
            continue
        original = config_get(real, name)[name.encode()]
        for value in VALUES:
            replies = []
            for client in (ours, real):
                try:
                    replies.append(client.execute_command("CONFIG", "SET", name, value))
                except Exception as exc:  # compare error texts
                    replies.append(f"{type(exc).__name__}: {exc}")
            values = [config_get(client, name) for client in (ours, real)]
            if replies[0] != replies[1] or values[0] != values[1]:
                problems.append(f"{name} {value!r}: ours {replies[0]!r} {values[0]!r} / real {replies[1]!r} {values[1]!r}")
        for client in (ours, real):
            try:
                client.execute_command("CONFIG", "SET", name, original)
            except Exception:
                pass  # immutable
    assert not problems, "\n".join(problems)


def test_config_resetstat(pair):
    pair.check("CONFIG", "RESETSTAT")


@pytest.fixture
def conf_pair(tmp_path):
    """Trireme and redis-server each started from its own copy of the same config file."""
    if redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    text = (
        "# a comment that stays\nsave 900 1\nsave 300 10\n\nmaxmemory 100mb\nslave-read-only yes\n"
        "hash-max-ziplist-entries 100\n  timeout   5  \nloglevel notice\n"
    )
    started = []
    try:
        for name, exe in (("ours", [sys.executable, "-m", "node"]), ("real", [redis_server_path()])):
            directory = tempfile.mkdtemp(prefix=f"trireme-conf-{name}-")
            path = os.path.join(directory, "redis.conf")
            with open(path, "w") as fh:
                fh.write(text)
            port = free_port()
            server = ServerProcess([*exe, path, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory], port, name)
            started.append((server.wait_ready(), path, directory))
        yield started
    finally:
        for server, _, directory in started:
            server.stop()
            shutil.rmtree(directory, ignore_errors=True)


def test_config_rewrite(conf_pair):
    (ours, ours_path, ours_dir), (real, real_path, real_dir) = conf_pair
    differ = Differ(ours.port, real.port)
    try:
        differ.check("CONFIG", "SET", "maxmemory", "3gb", "slave-priority", "5", "notify-keyspace-events", "KEA",
                     "loglevel", "warning", "client-output-buffer-limit", "pubsub 1mb 1000 5", "timeout", "0", resp3=False)
        differ.check("CONFIG", "REWRITE", resp3=False)
    finally:
        differ.close()
    ours_text = open(ours_path).read().replace(os.path.realpath(ours_dir), "DIR").replace(f"port {ours.port}", "port P")
    real_text = open(real_path).read().replace(os.path.realpath(real_dir), "DIR").replace(f"port {real.port}", "port P")
    ours_head, _, ours_tail = ours_text.partition("# Generated by CONFIG REWRITE\n")
    real_head, _, real_tail = real_text.partition("# Generated by CONFIG REWRITE\n")
    assert ours_head == real_head
    # Appended lines come in Redis's hash order; Trireme does not write ACL users (it has none).
    real_lines = sorted(line for line in real_tail.splitlines() if not line.startswith("user "))
    assert sorted(ours_tail.splitlines()) == real_lines
