"""scripts/lab (up/status/down on free ports, in a temp directory) and docker-compose.yml
(validated as YAML with pyyaml: no container engine here)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import random
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "scripts" / "lab"


def load_lab():
    loader = importlib.machinery.SourceFileLoader("lab_script", str(LAB))
    spec = importlib.util.spec_from_loader("lab_script", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base(count: int) -> int:
    """A base port with ``count`` consecutive free ports, and their bus ports (+10000) free."""
    for _ in range(200):
        base = random.randrange(20000, 45000)
        if all(port_free(base + i) and port_free(base + i + 10000) for i in range(count)):
            return base
    pytest.skip("no free port range")


def test_default_topology_is_three_masters_on_7000(tmp_path):
    lab = load_lab()
    topo = lab.load_topology(None)
    assert lab.ports(topo) == [7000, 7001, 7002]
    (tmp_path / "t.yaml").write_text("base_port: 7100\nmasters: 4\nreplicas: 1\n")
    topo = lab.load_topology(str(tmp_path / "t.yaml"))
    assert lab.ports(topo) == [7100, 7101, 7102, 7103] and topo["replicas"] == 1


def run_lab(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(LAB), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli is not installed")
def test_lab_up_status_down(tmp_path):
    base = free_base(3)
    topo = tmp_path / "lab.yaml"
    topo.write_text(f"base_port: {base}\nreplicas: 1\noptions:\n  cluster-node-timeout: 5000\n")
    lab_dir = tmp_path / "lab"
    common = ("--topology", str(topo), "--dir", str(lab_dir))
    try:
        up = run_lab("up", *common)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "replication is not implemented yet" in up.stdout
        assert f"redis-cli -c -p {base}" in up.stdout
        assert up.stdout.count("2/2 connected") == 3
        for i in range(3):
            assert (lab_dir / str(base + i) / "nodes.conf").exists()
        status = run_lab("status", *common)
        assert status.returncode == 0 and status.stdout.count(" ok") == 3, status.stdout
        check = subprocess.run(["redis-cli", "--cluster", "check", f"127.0.0.1:{base}"],
                               capture_output=True, text=True, timeout=30)
        assert "[OK] All 16384 slots covered." in check.stdout
    finally:
        down = run_lab("down", *common)
    assert down.returncode == 0 and "stopped 3 node(s)" in down.stdout, down.stdout + down.stderr
    assert not any(lab_dir.glob("*/node.pid"))
    assert all(port_free(base + i) for i in range(3))


# -- docker-compose.yml ---------------------------------------------------------------------------


def compose():
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_compose_three_masters_with_announce_settings():
    doc = compose()
    services = doc["services"]
    nodes = {name: svc for name, svc in services.items() if name.startswith("node-")}
    assert len(nodes) == 3
    addrs, volumes = [], set()
    for name, svc in nodes.items():
        command = svc["command"]
        assert all(isinstance(word, str) for word in command), name
        assert option(command, "--cluster-enabled") == "yes"
        port = int(option(command, "--port"))
        ip = option(command, "--cluster-announce-ip")
        assert int(option(command, "--cluster-announce-port")) == port
        assert int(option(command, "--cluster-announce-bus-port")) == port + 10000
        assert option(command, "--cluster-config-file") == "nodes.conf"
        # reached from the other containers (cluster-init), so protected mode must be off
        assert option(command, "--protected-mode") == "no"
        assert svc["networks"]["lab"]["ipv4_address"] == ip
        assert f"{port}:{port}" in svc["ports"] and f"{port + 10000}:{port + 10000}" in svc["ports"]
        assert svc["build"] == "." and svc["image"] == "trireme:latest"
        volumes.add(svc["volumes"][0].split(":")[0])
        addrs.append(f"{ip}:{port}")
    assert len(volumes) == 3 and volumes <= set(doc["volumes"])
    init = services["cluster-init"]
    script = " ".join(init["command"])
    assert f"redis-cli --cluster create {' '.join(addrs)} --cluster-yes" in script
    assert set(init["depends_on"]) == set(nodes)
    assert all(dep["condition"] == "service_healthy" for dep in init["depends_on"].values())


def test_dockerfile_installs_the_node_and_redis_cli():
    text = (REPO / "Dockerfile").read_text()
    assert "redis-tools" in text and 'ENTRYPOINT ["trireme-node"]' in text
    for package in ("node", "cluster", "bus"):
        assert f"COPY {package} ./{package}" in text
