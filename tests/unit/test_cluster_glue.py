"""cluster/glue.py and the per-slot index (node/keyspace/db.py ClusterDatabase), without sockets:
the route hook with a client's READONLY/ASKING flags, nodes.conf load-or-create, MEET address rules."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

import cluster.commands  # noqa: F401  (registers CLUSTER, ASKING, ...)
import node.commands  # noqa: F401
from cluster import glue
from cluster.slots import key_hash_slot
from cluster.state import NODE_MASTER, ClusterState, NodeInfo
from node.commands.spec import REGISTRY
from node.config import Config
from node.keyspace.db import Clock, ClusterDatabase, Database

ID_B = "b" * 40
LOG = logging.getLogger("test")


def spec(name: bytes):
    return REGISTRY[name]


# -- the per-slot index ---------------------------------------------------------------------------


@pytest.fixture
def cdb():
    clock = Clock(1_000_000)
    return ClusterDatabase(0, clock, key_hash_slot)


def test_index_follows_set_delete_pop_clear(cdb):
    cdb.set(b"foo", b"1")
    cdb.set(b"{foo}x", b"2")
    cdb.set(b"foo", b"3")  # overwrite: still one key
    assert cdb.count_keys_in_slot(12182) == 2
    assert sorted(cdb.keys_in_slot(12182, 10)) == [b"foo", b"{foo}x"]
    assert len(cdb.keys_in_slot(12182, 1)) == 1
    assert cdb.keys_in_slot(12182, 0) == []
    cdb.delete(b"foo")
    assert cdb.count_keys_in_slot(12182) == 1
    cdb.pop(b"{foo}x")
    assert cdb.count_keys_in_slot(12182) == 0
    assert cdb.slot_keys[12182] is None
    cdb.set(b"a", b"1")
    assert cdb.count_keys_in_slot(15495) == 1
    assert cdb.clear() == 1
    assert cdb.count_keys_in_slot(15495) == 0


def test_index_follows_lazy_and_active_expiry(cdb):
    cdb.set(b"foo", b"1")
    cdb.set_expire(b"foo", cdb.clock.ms - 1)
    cdb.set(b"bar", b"1")
    cdb.set_expire(b"bar", cdb.clock.ms + 10)
    assert cdb.get(b"foo") is None
    assert cdb.count_keys_in_slot(12182) == 0
    cdb.clock.set(cdb.clock.ms + 100)
    assert cdb.expire_due(cdb.clock.ms, 10) == 1
    assert cdb.count_keys_in_slot(5061) == 0


def test_replacing_takes_over_keys():
    clock = Clock(0)
    old = Database(0, clock)
    old.set(b"foo", b"1")
    old.set(b"bar", b"2")
    db = ClusterDatabase.replacing(old, key_hash_slot)
    assert db.data is old.data
    assert db.count_keys_in_slot(12182) == db.count_keys_in_slot(5061) == 1


def test_standalone_database_has_no_index():
    db = Database(0, Clock(0))
    assert not hasattr(db, "slot_keys")
    assert db._on_new is None  # set() does no per-new-key work without a SCAN log


def test_cluster_index_and_scan_log_both_follow_new_keys():
    db = ClusterDatabase(0, Clock(0), key_hash_slot)
    db.set(b"before", b"1")
    db._join_scan_log()  # SCAN 0 starts the insertion log
    db.set(b"foo", b"1")
    assert db._scan_log[-1] == b"foo"
    assert db.count_keys_in_slot(12182) == 1 and db.keys_in_slot(12182, 5) == [b"foo"]
    db._drop_caches()
    db.set(b"{foo}2", b"1")
    assert db._scan_log is None and db.count_keys_in_slot(12182) == 2


# -- routing glue ---------------------------------------------------------------------------------


def make_node(*, ok: bool = True, mine=range(0, 8192)) -> glue.ClusterNode:
    state = ClusterState.new("a" * 40, ip="127.0.0.1", port=7000)
    other = NodeInfo(ID_B, NODE_MASTER, ip="127.0.0.2", port=7001, cport=17001)
    state.add_node(other)
    for slot in range(16384):
        state.add_slot(state.myself if slot in mine else other, slot)
    state.ok = ok
    db = ClusterDatabase(0, Clock(0), key_hash_slot)
    server = SimpleNamespace(dbs=[db], clients={}, config=Config(), route=None, local_slots=None)
    return glue.ClusterNode(server, state, path="/nonexistent", log=LOG)


def client(**flags):
    return SimpleNamespace(**{"asking": False, "readonly": False, "multi": None, "in_exec": False,
                              "multi_error": False, "watching": [], "watch_dirty": False, **flags})


def test_route_serves_my_slots_and_moves_others():
    node = make_node()
    c = client()
    assert node.route(c, spec(b"get"), [b"get", b"hello"]) is None  # slot 866
    assert node.route(c, spec(b"get"), [b"get", b"foo"]) == "MOVED 12182 127.0.0.2:7001"
    assert node.route(c, spec(b"set"), [b"set", b"somekey", b"v"]) == "MOVED 11058 127.0.0.2:7001"


def test_route_crossslot_and_same_slot_multikey():
    node = make_node()
    c = client()
    assert node.route(c, spec(b"mget"), [b"mget", b"a", b"hello"]) == (
        "CROSSSLOT Keys in request don't hash to the same slot"
    )
    assert node.route(c, spec(b"mget"), [b"mget", b"{hello}1", b"{hello}2"]) is None
    assert node.route(c, spec(b"rpoplpush"), [b"rpoplpush", b"hello", b"hello"]) is None


def test_route_cluster_down_and_unbound():
    node = make_node(ok=False)
    assert node.route(client(), spec(b"get"), [b"get", b"hello"]) == "CLUSTERDOWN The cluster is down"
    node.state.ok = True
    node.state.del_slot(866)
    assert node.route(client(), spec(b"get"), [b"get", b"hello"]) == "CLUSTERDOWN Hash slot not served"


def test_asking_is_one_shot_and_opens_an_importing_slot():
    node = make_node()
    node.state.set_importing(12182, node.state.nodes[ID_B])
    c = client(asking=True)
    assert node.route(c, spec(b"get"), [b"get", b"foo"]) is None
    assert c.asking is False
    assert node.route(c, spec(b"get"), [b"get", b"foo"]) == "MOVED 12182 127.0.0.2:7001"
    # Inside MULTI the flag lasts until EXEC.
    c = client(asking=True, multi=[])
    assert node.route(c, spec(b"get"), [b"get", b"foo"]) is None
    assert c.asking is True


def test_asking_is_cleared_by_keyless_commands_and_by_exec_not_by_multi():
    node = make_node()
    node.state.set_importing(12182, node.state.nodes[ID_B])
    c = client(asking=True)
    assert node.route(c, spec(b"ping"), [b"ping"]) is None
    assert c.asking is False  # Redis's resetClient clears it after any command but ASKING
    c = client(asking=True)
    assert node.route(c, spec(b"multi"), [b"multi"]) is None
    assert c.asking is True  # MULTI keeps it for the queued commands
    c.multi = [(spec(b"get"), [b"get", b"foo"])]
    assert node.route(c, spec(b"exec"), [b"exec"]) is None  # the importing slot is open to it
    assert c.asking is False
    c = client(asking=True, multi=[])
    assert node.route(c, spec(b"discard"), [b"discard"]) is None
    assert c.asking is False


def test_exec_routes_the_queued_keys_together_and_discards_on_redirect():
    node = make_node()
    c = client(multi=[(spec(b"get"), [b"get", b"hello"]), (spec(b"set"), [b"set", b"foo", b"1"])])
    assert node.route(c, spec(b"exec"), [b"exec"]) == "CROSSSLOT Keys in request don't hash to the same slot"
    assert c.multi is None  # the transaction is discarded, as Redis does for EXEC
    c = client(multi=[(spec(b"get"), [b"get", b"foo"])])
    assert node.route(c, spec(b"exec"), [b"exec"]) == "MOVED 12182 127.0.0.2:7001"
    c = client(multi=[(spec(b"get"), [b"get", b"foo"])], multi_error=True)
    assert node.route(c, spec(b"exec"), [b"exec"]) is None  # EXECABORT is EXEC's own answer
    c = client(in_exec=True)
    assert node.route(c, spec(b"get"), [b"get", b"foo"]) is None  # EXEC already routed it


def test_migrating_slot_asks_for_missing_keys():
    node = make_node(mine=range(0, 16384))
    node.state.set_migrating(12182, node.state.nodes[ID_B])
    c = client()
    assert node.route(c, spec(b"get"), [b"get", b"foo"]) == "ASK 12182 127.0.0.2:7001"
    node.db.set(b"foo", b"1")
    assert node.route(c, spec(b"get"), [b"get", b"foo"]) is None
    assert node.route(c, spec(b"mget"), [b"mget", b"foo", b"{foo}2"]) == (
        "TRYAGAIN Multiple keys request during rehashing of slot"
    )


# -- nodes.conf, options, addresses --------------------------------------------------------------


def test_load_or_create_keeps_the_id(tmp_path):
    config = Config.from_argv(["--cluster-enabled", "yes", "--port", "7005", "--dir", str(tmp_path)])
    first = glue.load_or_create_state(config, LOG)
    assert (tmp_path / "nodes.conf").exists()
    assert first.myself.port == 7005 and first.myself.cport == 17005
    first.current_epoch = 7
    first.myself.config_epoch = 7
    glue.save_nodes_conf(tmp_path / "nodes.conf", first)
    again = glue.load_or_create_state(config, LOG)
    assert again.myself.name == first.myself.name
    assert again.current_epoch == 7 and again.myself.config_epoch == 7


def test_announce_options(tmp_path):
    config = Config.from_argv([
        "--cluster-enabled", "yes", "--port", "7000", "--dir", str(tmp_path),
        "--cluster-announce-ip", "10.0.0.5", "--cluster-announce-port", "7100",
        "--cluster-announce-bus-port", "17100", "--cluster-announce-hostname", "node-a",
        "--cluster-node-timeout", "5000", "--cluster-require-full-coverage", "no",
    ])
    state = glue.load_or_create_state(config, LOG)
    me = state.myself
    assert (me.ip, me.port, me.cport, me.hostname) == ("10.0.0.5", 7100, 17100, "node-a")
    assert state.options.node_timeout == 5000
    assert state.options.require_full_coverage is False
    assert glue.bus_port(config) == 17000
    config2 = Config.from_argv(["--cluster-enabled", "yes", "--port", "7000", "--cluster-port", "7777"])
    assert glue.bus_port(config2) == 7777


@pytest.mark.parametrize(
    "text, expected",
    [(b"127.0.0.1", "127.0.0.1"), (b"::1", "::1"), (b"0:0::1", "::1"), (b"localhost", None),
     (b"127.1", None), (b"fe80::1%eth0", None), (b"", None)],
)
def test_literal_ip(text, expected):
    assert glue.literal_ip(text) == expected


def test_bind_host():
    assert glue.bind_host(Config.from_argv(["--bind", "127.0.0.1 ::1"])) == "127.0.0.1"
    assert glue.bind_host(Config.from_argv(["--bind", "* -::*"])) == "0.0.0.0"


SAMPLES = [
    [b"get", b"foo"], [b"set", b"hello", b"v"], [b"mget", b"a", b"b", b"c"], [b"mget", b"{x}a", b"{x}b"],
    [b"mset", b"{y}1", b"v", b"{y}2", b"v"], [b"mset", b"a", b"1", b"hello", b"2"], [b"del", b"hello", b"foo"],
    [b"rpoplpush", b"hello", b"hello"], [b"lmove", b"a", b"{a}b", b"left", b"right"], [b"hset", b"{foo}h", b"f", b"v"],
    [b"zunionstore", b"dst", b"2", b"a", b"b"], [b"zunionstore", b"{z}d", b"1", b"{z}s"], [b"exists", b"foo", b"foo"],
    [b"bitop", b"and", b"{b}d", b"{b}1", b"{b}2"], [b"blpop", b"hello", b"a", b"0"], [b"watch", b"x", b"y"],
]


@pytest.mark.parametrize("argv", SAMPLES, ids=lambda a: b" ".join(a).decode())
def test_fast_path_agrees_with_the_general_route(argv):
    node = make_node()
    spec_ = REGISTRY[argv[0]]
    keys = spec_.keys_of(argv)
    expected = glue.route_command(node.state, keys, is_write="write" in spec_.flags,
                                  key_exists=node._exists)
    expected_text = None if expected is None else glue.redirect_error(expected)
    assert node.route(client(), spec_, argv) == expected_text


def test_fast_slot_is_key_hash_slot():
    import random

    rng = random.Random(7)
    for _ in range(20000):
        key = bytes(rng.choice(b"ab{}c") for _ in range(rng.randrange(0, 8)))
        assert glue.fast_slot(key) == key_hash_slot(key)
    for key in (b"", b"foo", b"{user1000}.following", b"foo{}{bar}", b"a}b{c", b"{}"):
        assert glue.fast_slot(key) == key_hash_slot(key)


def test_index_random_model_and_linear_migration_loop():
    import random

    rng = random.Random(5)
    db = ClusterDatabase(0, Clock(1000), glue.fast_slot)
    keys = [b"{%d}k%d" % (rng.randrange(3), i) for i in range(50)]
    for _ in range(20000):
        key = rng.choice(keys)
        roll = rng.random()
        if roll < 0.5:
            db.set(key, b"v")
        elif roll < 0.9:
            db.delete(key)
        else:
            slot = key_hash_slot(key)
            live = {k for k in db.data if key_hash_slot(k) == slot}
            count = rng.randrange(0, 60)
            got = db.keys_in_slot(slot, count)
            assert len(got) == min(count, len(live)) == len(set(got)) and set(got) <= live
            assert db.count_keys_in_slot(slot) == len(live)
    # GETKEYSINSLOT 10 / delete them / repeat empties a slot (stale entries popped from the end)
    for i in range(5000):
        db.set(b"{m}%d" % i, b"v")
    slot = key_hash_slot(b"m")
    rounds = 0
    while keys_ := db.keys_in_slot(slot, 10):
        for key in keys_:
            db.delete(key)
        rounds += 1
    assert rounds == 500 and db.count_keys_in_slot(slot) == 0 and db.slot_keys[slot] is None


# -- dispatch's inline check of locally served slots ------------------------------------------------


def _serving_every_slot(tmp_path):
    """A FakeServer in cluster mode whose node serves every slot; another node is known."""
    from tests.support.handlers import FakeServer

    server = FakeServer()
    state = ClusterState.new("a" * 40, ip="127.0.0.1", port=7000)
    node = glue.ClusterNode(server, state, path=str(tmp_path / "nodes.conf"), log=LOG)
    node.install()
    other = NodeInfo(ID_B, NODE_MASTER, ip="127.0.0.2", port=7001, cport=17001)
    state.add_node(other)
    state.add_slots(state.myself, range(16384))
    return server, state, node, other


def test_dispatch_serves_local_slots_inline_and_sees_every_change(tmp_path):
    from node.commands.dispatch import execute
    from node.replies import OK, ErrorReply
    from tests.support.handlers import FakeClient

    server, state, node, other = _serving_every_slot(tmp_path)
    assert server.local_slots is None  # a change drops the table at once
    state.ok = True
    node.refresh_local_slots()
    assert server.local_slots == b"\x01" * 16384
    client = FakeClient(server)
    calls = []
    server.route = lambda c, s, a: calls.append(a) or node.route(c, s, a)
    assert execute(client, [b"SET", b"foo", b"1"]) is OK
    assert execute(client, [b"GET", b"foo"]) == b"1" and calls == []  # served inline
    assert execute(client, [b"GET", b"{foo}x"]) is None and calls == []  # the tag's slot, inline too
    # The slot moves away: the table goes at once, route() answers MOVED.
    state.del_slot(12182)
    state.add_slot(other, 12182)
    assert server.local_slots is None
    reply = execute(client, [b"GET", b"foo"])
    assert type(reply) is ErrorReply and reply.message == "MOVED 12182 127.0.0.2:7001"
    node.refresh_local_slots()
    reply = execute(client, [b"GET", b"{foo}x"])  # served inline no more: its tag's slot moved
    assert type(reply) is ErrorReply and reply.message == "MOVED 12182 127.0.0.2:7001"
    # Rebuilt after the change: the moved slot is 0, a migrating slot too.
    state.set_migrating(5061, other)
    node.refresh_local_slots()
    assert server.local_slots[12182] == 0 and server.local_slots[5061] == 0 and server.local_slots[866] == 1
    # Cluster down: no table, every command asks route().
    state.ok = False
    assert server.local_slots is None
    node.refresh_local_slots()
    assert server.local_slots is None
    reply = execute(client, [b"GET", b"hello"])
    assert type(reply) is ErrorReply and reply.message == "CLUSTERDOWN The cluster is down"


def test_the_plain_lane_serves_local_keys_and_stops_at_the_first_elsewhere(tmp_path):
    from node.commands.dispatch import lane_open, run_plain
    from tests.support.handlers import FakeClient

    server, state, node, other = _serving_every_slot(tmp_path)
    state.del_slot(12182)  # foo's slot (and {foo}x's) is the other node's
    state.add_slot(other, 12182)
    state.ok = True
    node.refresh_local_slots()
    client = FakeClient(server)
    assert lane_open(client)
    commands = [[b"SET", b"bar", b"1"], [b"GET", b"{bar}x"], [b"GET", b"bar"], [b"GET", b"{foo}x"],
                [b"GET", b"bar"]]
    out: list[bytes] = []
    assert run_plain(client, commands, 0, out) == 3  # stops at {foo}x: execute() answers MOVED
    assert b"".join(out) == b"+OK\r\n$-1\r\n$1\r\n1\r\n"
    assert run_plain(client, [[b"MGET", b"bar", b"{bar}y"]], 0, out) == 0  # not one key: route()
