"""The README's "Messaging patterns" examples, run as a user would run them.

Every ```python block of that section is executed in a subprocess against a one-node Trireme
cluster and against a one-node real redis-server cluster (each owning all 16384 slots), with
the example's port 7000 replaced by the node's; both runs must succeed and print the same.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.support.procs import redis_server_path, start_real_redis, start_trireme

README = Path(__file__).resolve().parents[2] / "README.md"
CLUSTER_ARGS = ("--cluster-enabled", "yes", "--cluster-node-timeout", "5000")


def examples() -> list[str]:
    text = README.read_text()
    section = text.split("## Messaging patterns", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def one_node_cluster(start, tmp_path: Path, name: str):
    node_dir = tmp_path / name
    node_dir.mkdir()
    node = start(*CLUSTER_ARGS, "--dir", str(node_dir))
    conn = redis.Redis(port=node.port, decode_responses=True)
    conn.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
    deadline = time.monotonic() + 30
    while "cluster_state:ok" not in conn.execute_command("CLUSTER", "INFO"):
        assert time.monotonic() < deadline, f"{name}: cluster_state never became ok"
        time.sleep(0.05)
    conn.close()
    return node


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    if redis_server_path() is None:
        pytest.skip("redis-server is not installed (the examples' output is compared with it)")
    tmp = tmp_path_factory.mktemp("readme")
    started = []
    try:
        started.append(one_node_cluster(start_trireme, tmp, "ours"))
        started.append(one_node_cluster(start_real_redis, tmp, "real"))
        yield started
    finally:
        for node in started:
            node.stop()


def run_example(code: str, port: int) -> str:
    assert "port=7000" in code, "README examples connect to the lab's port 7000"
    result = subprocess.run(
        [sys.executable, "-c", code.replace("port=7000", f"port={port}")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, f"example failed on port {port}:\n{result.stderr}"
    return result.stdout


def test_readme_has_the_three_patterns():
    blocks = examples()
    assert len(blocks) == 3
    assert "blmove" in blocks[0] and "publish" in blocks[1] and "xreadgroup" in blocks[2]


@pytest.mark.parametrize("index", range(3), ids=["lmove-queue", "pubsub-fanout", "stream-groups"])
def test_readme_example_prints_what_real_redis_prints(nodes, index):
    ours, real = nodes
    code = examples()[index]
    expected = run_example(code, real.port)
    assert expected.strip(), "the example prints nothing to compare"
    assert run_example(code, ours.port) == expected
