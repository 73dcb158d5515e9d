"""A client blocked on a key whose slot stops being served gets an error instead of waiting
forever (Redis's clusterRedirectBlockedClientIfNeeded), on our node and on a real one-node
cluster alike: BLPOP on a slot that CLUSTER DELSLOTS removes."""

from __future__ import annotations

import socket
import time

import pytest
import redis

from tests.support.procs import redis_server_path, start_real_redis, start_trireme

CLUSTER_ARGS = ("--cluster-enabled", "yes", "--cluster-node-timeout", "5000")


@pytest.fixture(params=["ours", "real"])
def single(request, tmp_path):
    if request.param == "real" and redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    start = start_trireme if request.param == "ours" else start_real_redis
    node = start(*CLUSTER_ARGS, "--dir", str(tmp_path))
    try:
        admin = redis.Redis(port=node.port, decode_responses=True)
        admin.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        deadline = time.monotonic() + 30
        while "cluster_state:ok" not in admin.execute_command("CLUSTER", "INFO"):
            assert time.monotonic() < deadline, "cluster_state never became ok"
            time.sleep(0.05)
        yield node, admin
    finally:
        node.stop()


def test_blocked_pop_is_told_when_its_slot_goes_away(single):
    node, admin = single
    with socket.create_connection(("127.0.0.1", node.port), timeout=10) as sock:
        sock.sendall(b"*3\r\n$5\r\nBLPOP\r\n$3\r\nfoo\r\n$1\r\n0\r\n")
        deadline = time.monotonic() + 10
        while admin.info("clients")["blocked_clients"] != 1:
            assert time.monotonic() < deadline, "BLPOP never blocked"
            time.sleep(0.01)
        admin.execute_command("CLUSTER", "DELSLOTS", 12182)  # foo's slot
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = sock.recv(4096)  # the server answers within its client cron (<= 1 s in Redis)
            assert chunk, "connection closed without a reply"
            reply += chunk
    # The slot went unassigned, so the cluster is down (full coverage is required).
    assert reply == b"-CLUSTERDOWN The cluster is down\r\n"
    assert admin.info("clients")["blocked_clients"] == 0
