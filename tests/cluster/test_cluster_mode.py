"""Cluster mode with real processes: `redis-cli --cluster create/check`, redis-py RedisCluster
(RESP3 by default), `redis-cli -c` following MOVED, redirect texts, nodes.conf across restarts,
and a single node owning every slot (no bus needed). Every process is stopped, even on failure."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis

from cluster.slots import key_hash_slot
from tests.support.procs import start_trireme

REDIS_CLI = shutil.which("redis-cli")
needs_cli = pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli is not installed")
CLUSTER_ARGS = ("--cluster-enabled", "yes", "--cluster-node-timeout", "5000")


def wait_for(what: str, predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def conn(port: int, **kw) -> redis.Redis:
    return redis.Redis(port=port, protocol=2, decode_responses=True, **kw)


def cluster_ok(port: int) -> bool:
    try:
        return "cluster_state:ok" in conn(port).execute_command("CLUSTER", "INFO")
    except redis.RedisError:
        return False


def cli(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [REDIS_CLI, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def three_nodes(tmp_path_factory):
    """Three cluster-mode nodes, each with its own ``dir`` (kept across a restart)."""
    nodes = []
    try:
        for i in range(3):
            node_dir = tmp_path_factory.mktemp(f"node{i}")
            nodes.append(start_trireme(*CLUSTER_ARGS, "--dir", str(node_dir)))
            nodes[-1].node_dir = node_dir
        yield nodes
    finally:
        for node in nodes:
            node.stop()


@pytest.fixture(scope="module")
def formed(three_nodes):
    """The three nodes formed into a cluster by `redis-cli --cluster create`."""
    if REDIS_CLI is None:
        pytest.skip("redis-cli is not installed")
    addrs = [f"127.0.0.1:{node.port}" for node in three_nodes]
    result = cli("--cluster", "create", *addrs, "--cluster-yes")
    assert result.returncode == 0, result.stdout + result.stderr
    for node in three_nodes:
        wait_for(f"cluster_state:ok on {node.port}", lambda port=node.port: cluster_ok(port))
    return three_nodes


@needs_cli
def test_create_then_check_reports_ok(formed):
    result = cli("--cluster", "check", f"127.0.0.1:{formed[0].port}")
    assert result.returncode == 0, result.stdout
    assert "[OK] All nodes agree about slots configuration." in result.stdout
    assert "[OK] All 16384 slots covered." in result.stdout
    info = conn(formed[1].port).execute_command("CLUSTER", "INFO")
    assert "cluster_known_nodes:3" in info and "cluster_size:3" in info
    for node in formed:
        text = conn(node.port).execute_command("CLUSTER", "NODES")
        lines = text.strip("\n").split("\n")
        assert len(lines) == 3 and all(line.split()[7] == "connected" for line in lines), text


@needs_cli
def test_redis_py_cluster_client_sets_and_gets_across_slots(formed):
    client = redis.RedisCluster(host="127.0.0.1", port=formed[0].port)  # RESP3 by default in redis-py 8
    try:
        keys = [f"key:{i}" for i in range(300)]
        slots = {key_hash_slot(k.encode()) for k in keys}
        assert len(slots) > 100
        for i, key in enumerate(keys):
            assert client.set(key, i)
        for i, key in enumerate(keys):
            assert client.get(key) == str(i).encode()
        assert len(client.get_nodes()) == 3
        total = sum(conn(node.port).dbsize() for node in formed)
        assert total >= 300
    finally:
        client.close()


@needs_cli
def test_redis_cli_c_follows_moved(formed):
    first = formed[0].port
    slots_of_first = {
        slot
        for start, end, *_ in conn(first).execute_command("CLUSTER", "SLOTS")
        if _[0][1] == first
        for slot in range(start, end + 1)
    }
    key = next(f"moved:{i}" for i in range(1000) if key_hash_slot(f"moved:{i}".encode()) not in slots_of_first)
    assert cli("-c", "-p", str(first), "set", key, "value").stdout.strip() == "OK"
    assert cli("-c", "-p", str(first), "get", key).stdout.strip() == "value"
    plain = cli("-p", str(first), "get", key).stdout.strip()
    slot = key_hash_slot(key.encode())
    assert plain.startswith(f"MOVED {slot} 127.0.0.1:")


@needs_cli
def test_redirect_error_texts(formed):
    first = formed[0].port
    client = conn(first)
    with pytest.raises(redis.ResponseError, match="^Keys in request don't hash to the same slot$"):
        client.execute_command("MGET", "a", "hello")
    owner = {}
    for start, end, master, *_ in client.execute_command("CLUSTER", "SLOTS"):
        owner[(start, end)] = master[1]
    foo_port = next(port for (start, end), port in owner.items() if start <= 12182 <= end)
    other = next(node.port for node in formed if node.port != foo_port)
    raw = redis.Redis(port=other, protocol=2)
    with pytest.raises(redis.ResponseError) as exc:
        raw.execute_command("GET", "foo")
    assert str(exc.value) == f"MOVED 12182 127.0.0.1:{foo_port}" or str(exc.value).startswith("12182 ")
    assert raw.execute_command("CLUSTER", "KEYSLOT", "foo") == 12182


@needs_cli
def test_restarted_member_rejoins_with_its_id(formed):
    """Stop one member of the formed cluster and start it again from its nodes.conf: same id,
    same slots, links back, cluster_state:ok everywhere, and redis-cli --cluster check is OK."""
    victim = formed[2]
    myid = conn(victim.port).execute_command("CLUSTER", "MYID")
    port, node_dir = victim.port, victim.node_dir
    victim.stop()
    restarted = start_trireme(*CLUSTER_ARGS, "--dir", str(node_dir), port=port)
    restarted.node_dir = node_dir
    formed[2] = restarted  # the fixture stops it
    assert conn(port).execute_command("CLUSTER", "MYID") == myid
    assert "cluster_known_nodes:3" in conn(port).execute_command("CLUSTER", "INFO")

    def all_connected() -> bool:
        for node in formed:
            lines = conn(node.port).execute_command("CLUSTER", "NODES").strip("\n").split("\n")
            if len(lines) != 3 or any(line.split()[7] != "connected" for line in lines):
                return False
        return all(cluster_ok(node.port) for node in formed)

    wait_for("the restarted node to rejoin", all_connected)
    result = cli("--cluster", "check", f"127.0.0.1:{formed[0].port}")
    assert "[OK] All nodes agree about slots configuration." in result.stdout, result.stdout
    assert "[OK] All 16384 slots covered." in result.stdout


# -- one node owning every slot: no bus needed ----------------------------------------------------


@pytest.fixture
def single(tmp_path):
    node = start_trireme(*CLUSTER_ARGS, "--dir", str(tmp_path))
    try:
        conn(node.port).execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        wait_for("cluster_state:ok", lambda: cluster_ok(node.port))
        yield node
    finally:
        node.stop()


def test_single_node_cluster_commands(single):
    c = conn(single.port)
    myid = c.execute_command("CLUSTER", "MYID")
    assert len(myid) == 40
    assert c.info("cluster")["cluster_enabled"] == 1
    assert c.info("server")["redis_mode"] == "cluster"
    hello = redis.Redis(port=single.port, protocol=3).execute_command("HELLO", "3")
    assert hello[b"mode"] == b"cluster"
    c.set("foo", "1")
    c.set("{foo}2", "2")
    assert c.execute_command("CLUSTER", "COUNTKEYSINSLOT", 12182) == 2
    assert sorted(c.execute_command("CLUSTER", "GETKEYSINSLOT", 12182, 10)) == ["foo", "{foo}2"]
    assert c.execute_command("CLUSTER", "KEYSLOT", "somekey") == 11058
    with pytest.raises(redis.ResponseError, match="SELECT is not allowed in cluster mode"):
        c.execute_command("SELECT", 1)
    with pytest.raises(redis.ResponseError, match="Invalid node address specified: localhost:7000"):
        c.execute_command("CLUSTER", "MEET", "localhost", 7000)
    with pytest.raises(redis.ResponseError, match="DB must be empty to perform CLUSTER FLUSHSLOTS."):
        c.execute_command("CLUSTER", "FLUSHSLOTS")
    nodes = c.execute_command("CLUSTER", "NODES")
    assert nodes.endswith("\n") and "myself,master" in nodes and nodes.split()[-1] == "0-16383"
    r3 = redis.Redis(port=single.port, protocol=3)
    assert r3.execute_command("CLUSTER", "SLOTS")[0][:2] == [0, 16383]
    assert r3.execute_command("CLUSTER", "LINKS") == []
    assert c.execute_command("CLUSTER", "REPLICAS", myid) == []
    # redis-cli's `fix` wraps slot changes in MULTI/EXEC
    pipe = c.pipeline(transaction=True)
    pipe.execute_command("CLUSTER", "DELSLOTS", 1)
    pipe.execute_command("CLUSTER", "ADDSLOTS", 1)
    pipe.execute_command("CLUSTER", "BUMPEPOCH")
    assert pipe.execute() == ["OK", "OK", "BUMPED 1"]


def test_single_node_redis_cluster_client_resp3(single):
    client = redis.RedisCluster(host="127.0.0.1", port=single.port)
    try:
        for i in range(50):
            client.set(f"k{i}", i)
        assert [client.get(f"k{i}") for i in range(50)] == [str(i).encode() for i in range(50)]
        assert client.mget("{t}a", "{t}b") == [None, None]
    finally:
        client.close()


def test_asking_readonly_readwrite_reply_ok(single):
    c = redis.Redis(port=single.port, protocol=2)
    for name in ("ASKING", "READONLY", "READWRITE"):
        assert c.execute_command(name) is True  # +OK
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'asking'"):
        c.execute_command("ASKING", "x")


def test_restart_keeps_node_id_epochs_and_slots(tmp_path):
    args = (*CLUSTER_ARGS, "--dir", str(tmp_path))
    node = start_trireme(*args)
    try:
        c = conn(node.port)
        myid = c.execute_command("CLUSTER", "MYID")
        c.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        c.execute_command("CLUSTER", "SET-CONFIG-EPOCH", 5)
        port = node.port
    finally:
        node.stop()
    assert (tmp_path / "nodes.conf").read_text().startswith(myid)
    node = start_trireme(*args, port=port)
    try:
        c = conn(node.port)
        assert c.execute_command("CLUSTER", "MYID") == myid
        info = c.execute_command("CLUSTER", "INFO")
        assert "cluster_current_epoch:5" in info and "cluster_my_epoch:5" in info
        assert "cluster_slots_assigned:16384" in info
    finally:
        node.stop()


def test_standalone_node_refuses_cluster_commands():
    node = start_trireme()
    try:
        c = conn(node.port)
        for args in (("CLUSTER", "INFO"), ("CLUSTER", "MYID"), ("READONLY",), ("ASKING",)):
            with pytest.raises(redis.ResponseError, match="^This instance has cluster support disabled$"):
                c.execute_command(*args)
        assert c.info("cluster")["cluster_enabled"] == 0
        assert c.info("server")["redis_mode"] == "standalone"
    finally:
        node.stop()


def test_config_set_cluster_options_take_effect(single):
    c = conn(single.port)
    assert c.config_set("cluster-require-full-coverage", "no")
    c.execute_command("CLUSTER", "DELSLOTS", 866)  # hello's slot
    assert "cluster_state:ok" in c.execute_command("CLUSTER", "INFO")
    with pytest.raises(redis.ResponseError, match="^Hash slot not served$"):
        c.get("hello")
    assert c.set("foo", "1")  # other slots still served
    assert c.config_set("cluster-require-full-coverage", "yes")
    wait_for("cluster_state:fail", lambda: "cluster_state:fail" in c.execute_command("CLUSTER", "INFO"), 5)
    with pytest.raises(redis.ResponseError, match="^The cluster is down$"):
        c.get("foo")


# -- the same commands to a real redis-server 7.0 one-node cluster ----------------------------------

DIFF_COMMANDS = [
    ("CLUSTER", "COUNTKEYSINSLOT", "x"), ("CLUSTER", "COUNTKEYSINSLOT", "16384"),
    ("CLUSTER", "COUNTKEYSINSLOT", "-1"), ("CLUSTER", "COUNTKEYSINSLOT", "12182"),
    ("CLUSTER", "GETKEYSINSLOT", "1", "-1"), ("CLUSTER", "GETKEYSINSLOT", "x", "1"),
    ("CLUSTER", "GETKEYSINSLOT", "1", "x"), ("CLUSTER", "GETKEYSINSLOT", "16384", "1"),
    ("CLUSTER", "GETKEYSINSLOT", "12182", "0"), ("CLUSTER", "GETKEYSINSLOT", "12182", "5"),
    ("CLUSTER", "MEET", "localhost", "7000"), ("CLUSTER", "MEET", "127.0.0.1", "abc"),
    ("CLUSTER", "MEET", "127.0.0.1", "7000", "x"), ("CLUSTER", "MEET", "127.0.0.1", "99999"),
    ("CLUSTER", "MEET", "127.0.0.1", "0"), ("CLUSTER", "MEET", "127.0.0.1", "7000", "7001", "8"),
    ("CLUSTER", "MEET", "127.0.0.1"), ("CLUSTER", "REPLICAS", "abc"), ("CLUSTER", "SLAVES", "a" * 40),
    ("CLUSTER", "KEYSLOT", "somekey"), ("CLUSTER", "KEYSLOT"), ("CLUSTER", "HELP"),
    ("CLUSTER", "ADDSLOTS", "16384"), ("CLUSTER", "ADDSLOTS", "5"), ("CLUSTER", "SETSLOT", "1", "foo"),
    ("CLUSTER", "FORGET", "abc"), ("CLUSTER", "COUNT-FAILURE-REPORTS", "abc"),
    ("CLUSTER", "SET-CONFIG-EPOCH", "-1"), ("CLUSTER", "SET-CONFIG-EPOCH", "x"), ("CLUSTER", "RESET", "FOO"),
    ("CLUSTER", "FLUSHSLOTS"), ("CLUSTER", "MYID", "x"), ("CLUSTER", "NOSUCH"), ("CLUSTER", "LINKS"),
    ("SELECT", "1"), ("SELECT", "0"), ("MGET", "a", "hello"), ("MGET", "{a}1", "{a}2"), ("GET", "foo"),
    ("MSET", "a", "1", "b", "2"), ("READONLY",), ("READWRITE",), ("ASKING",), ("ASKING", "x"),
    ("MOVE", "foo", "1"), ("SWAPDB", "0", "1"),
]


def reply(client: redis.Redis, args):
    try:
        return client.execute_command(*args)
    except redis.ResponseError as exc:
        return ("error", str(exc))


@pytest.mark.real
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_cluster_commands_match_real_redis(single):
    from tests.support.procs import start_real_redis

    real = start_real_redis(*CLUSTER_ARGS)
    try:
        conn(real.port).execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        wait_for("real cluster_state:ok", lambda: cluster_ok(real.port))
        ours, theirs = redis.Redis(port=single.port, protocol=2), redis.Redis(port=real.port, protocol=2)
        for client in (ours, theirs):
            client.set("foo", "1")
            client.set("{foo}x", "2")
        diffs = [(args, reply(ours, args), reply(theirs, args)) for args in DIFF_COMMANDS]
        diffs = [d for d in diffs if d[1] != d[2] and not (isinstance(d[1], list) and sorted(d[1]) == sorted(d[2]))]
        assert not diffs, "\n".join(f"{args}: ours={o!r} real={r!r}" for args, o, r in diffs)
    finally:
        real.stop()


def test_exec_routes_all_queued_keys_together(single):
    c = redis.Redis(port=single.port, protocol=2, decode_responses=True)
    pipe = c.pipeline(transaction=True)
    pipe.set("a", "1")
    pipe.set("hello", "2")  # another slot, same node
    with pytest.raises(redis.ResponseError, match="Keys in request don't hash to the same slot"):
        pipe.execute()
    assert c.exists("a") == c.exists("hello") == 0  # discarded
    pipe = c.pipeline(transaction=True)
    pipe.set("{t}a", "1")
    pipe.get("{t}a")
    pipe.execute_command("CLUSTER", "KEYSLOT", "x")
    assert pipe.execute() == [True, "1", 16287]
    # ASKING before MULTI lasts through EXEC, then is cleared (no open slot here: plain OK)
    c.execute_command("ASKING")
    pipe = c.pipeline(transaction=True)
    pipe.get("{t}a")
    assert pipe.execute() == ["1"]
