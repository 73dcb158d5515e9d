"""A mixed cluster (our nodes and a real redis-server 7.0 formed by `redis-cli --cluster
create`), and failure detection with real processes: kill -9 of a master is seen as PFAIL then
FAIL by the others, the cluster goes down while coverage is lost, and a restart from nodes.conf
heals it. Every process is stopped, even on failure."""

from __future__ import annotations

import shutil

import pytest
import redis

from tests.cluster.test_cluster_mode import cli, cluster_ok, conn, wait_for
from tests.support.procs import start_real_redis, start_trireme

pytestmark = pytest.mark.skipif(
    shutil.which("redis-cli") is None or shutil.which("redis-server") is None,
    reason="redis-cli and redis-server are not installed",
)
FAST_TIMEOUT = ("--cluster-enabled", "yes", "--cluster-node-timeout", "1000")


def node_lines(port: int) -> list[list[str]]:
    return [line.split() for line in conn(port).execute_command("CLUSTER", "NODES").strip("\n").split("\n")]


def converged(ports: list[int]) -> bool:
    """Every node knows every node, all links connected, no handshake/fail flags, state ok."""
    for port in ports:
        lines = node_lines(port)
        if len(lines) != len(ports):
            return False
        for fields in lines:
            if fields[7] != "connected" or any(flag in fields[2] for flag in ("handshake", "fail", "noaddr")):
                return False
        if not cluster_ok(port):
            return False
    return True


def test_mixed_cluster_with_a_real_redis_server(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    servers = []
    try:
        servers.append(start_trireme(*FAST_TIMEOUT, "--dir", str(tmp_path / "a")))
        servers.append(start_real_redis("--cluster-enabled", "yes", "--cluster-node-timeout", "1000",
                                        "--cluster-config-file", str(tmp_path / "real-nodes.conf")))
        servers.append(start_trireme(*FAST_TIMEOUT, "--dir", str(tmp_path / "b")))
        ports = [s.port for s in servers]
        result = cli("--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-yes")
        assert result.returncode == 0, result.stdout + result.stderr
        wait_for("every node, ours and theirs, to agree", lambda: converged(ports))
        check = cli("--cluster", "check", f"127.0.0.1:{ports[1]}")  # asked through the real node
        assert "[OK] All nodes agree about slots configuration." in check.stdout, check.stdout
        client = redis.RedisCluster(host="127.0.0.1", port=ports[0])
        try:
            for i in range(200):
                client.set(f"key:{i}", i)
            assert [int(client.get(f"key:{i}")) for i in range(200)] == list(range(200))
        finally:
            client.close()
        assert conn(ports[1]).dbsize() > 0  # some keys live on the real server
    finally:
        for server in servers:
            server.stop()


def test_kill_9_is_detected_and_a_restart_heals(tmp_path):
    nodes = []
    try:
        for i in range(3):
            node_dir = tmp_path / f"n{i}"
            node_dir.mkdir()
            nodes.append(start_trireme(*FAST_TIMEOUT, "--dir", str(node_dir)))
            nodes[-1].node_dir = node_dir
        ports = [n.port for n in nodes]
        result = cli("--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-yes")
        assert result.returncode == 0, result.stdout + result.stderr
        wait_for("the cluster to form", lambda: converged(ports))

        victim = nodes[2]
        victim_id = conn(victim.port).execute_command("CLUSTER", "MYID")
        victim.proc.kill()  # SIGKILL: no goodbye on the bus
        victim.proc.wait(10)

        def seen_failed(port: int) -> bool:
            return any(f[0] == victim_id and "fail" in f[2].split(",") for f in node_lines(port))

        wait_for("FAIL agreed by the survivors", lambda: all(seen_failed(p) for p in ports[:2]))
        wait_for("cluster_state:fail where coverage is lost",
                 lambda: all(not cluster_ok(p) for p in ports[:2]))

        restarted = start_trireme(*FAST_TIMEOUT, "--dir", str(victim.node_dir), port=victim.port)
        nodes[2] = restarted
        assert conn(restarted.port).execute_command("CLUSTER", "MYID") == victim_id
        wait_for("the cluster to heal", lambda: converged(ports))
    finally:
        for node in nodes:
            node.stop()
