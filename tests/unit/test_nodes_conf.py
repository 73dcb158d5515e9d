"""cluster/nodes_conf.py: Redis 7.0 nodes.conf load/save.

Golden files were written by redis-server 7.0.15 (CLUSTER SAVECONFIG) in a three-node
cluster: A (master, migrating slot 5061 to B), B (master, importing it), C (A's replica);
plus a node with an announced hostname. The `real` test round-trips through a live server:
real file -> ours -> a real server loads ours."""

from __future__ import annotations

import os
import stat

import pytest

from cluster.nodes_conf import (
    NodesConfError,
    format_nodes_conf,
    load_nodes_conf,
    parse_nodes_conf,
    save_nodes_conf,
)
from cluster.state import (
    NODE_FAIL,
    NODE_HANDSHAKE,
    NODE_MASTER,
    NODE_MIGRATE_TO,
    NODE_MYSELF,
    NODE_SLAVE,
    ClusterState,
    NodeInfo,
)

NOW = 1_800_000_000_000

ID_A = "7d125f3e0a97efc57b24560ccd065e40ccb3fd06"
ID_B = "1fe5027b217d19ae3f9cc87c963f33b8024c24e6"
ID_C = "a739c95276b519818fc48cc852f518c148baa5f6"

REAL_A = (
    f"{ID_C} 127.0.0.1:52407@62407 slave {ID_A} 0 1795673898105 1 connected\n"
    f"{ID_B} 127.0.0.1:38401@48401 master - 0 1795673897095 2 connected 8192-16383\n"
    f"{ID_A} 127.0.0.1:49133@59133 myself,master - 0 1795673895000 1 connected 0-8191 [5061->-{ID_B}]\n"
    "vars currentEpoch 2 lastVoteEpoch 0\n"
)
REAL_B = (
    f"{ID_C} 127.0.0.1:52407@62407 slave {ID_A} 0 1795673896150 1 connected\n"
    f"{ID_A} 127.0.0.1:49133@59133 master - 0 1795673898155 1 connected 0-8191\n"
    f"{ID_B} 127.0.0.1:38401@48401 myself,master - 0 1795673897000 2 connected 8192-16383 [5061-<-{ID_A}]\n"
    "vars currentEpoch 2 lastVoteEpoch 0\n"
)
REAL_C = (
    f"{ID_B} 127.0.0.1:38401@48401 master - 0 1795673897228 2 connected 8192-16383\n"
    f"{ID_A} 127.0.0.1:49133@59133 master - 0 1795673896223 1 connected 0-8191\n"
    f"{ID_C} 127.0.0.1:52407@62407 myself,slave {ID_A} 0 1795673896000 1 connected\n"
    "vars currentEpoch 2 lastVoteEpoch 0\n"
)
REAL_HOSTNAME = (
    "ffc60ab9013d7a8e2785de5fcddb64053600cc2f 127.0.0.1:51829@61829 master - 0 1795673823209 2 connected 8192-16383\n"
    "1c7e775f002d6ee59929320ffa535887205df192 127.0.0.1:41147@51147,host-a.example master - 0 1795673824214 1 "
    "disconnected 0-99 101-8191\n"
    "d080b1fbba1731c459df2d81aec9e37e8ce71ae2 127.0.0.1:34115@44115 myself,slave "
    "1c7e775f002d6ee59929320ffa535887205df192 0 1795673824000 1 connected\n"
    "vars currentEpoch 2 lastVoteEpoch 0\n"
)
REAL_FRESH = (
    "cf132bac93181a84eb9f188fea7554aa4aeaec84 :55253@65253 myself,master - 0 0 0 connected\n"
    "vars currentEpoch 0 lastVoteEpoch 0\n"
)


def normalized(text: str) -> list[list[str]]:
    """Node lines with the fields that legitimately change on load blanked: ping_sent and
    pong_received (set to now), and the link state (no links right after loading)."""
    rows = []
    for line in text.splitlines():
        fields = line.split(" ")
        if fields[0] != "vars":
            fields[4] = "ping" if fields[4] != "0" else "0"
            fields[5] = "pong" if fields[5] != "0" else "0"
            fields[7] = "link"
        rows.append(fields)
    return rows


@pytest.mark.parametrize(
    "text", [REAL_A, REAL_B, REAL_C, REAL_HOSTNAME, REAL_FRESH], ids=["A", "B", "C", "host", "fresh"]
)
def test_real_files_round_trip(text):
    state = parse_nodes_conf(text, now=NOW)
    assert normalized(format_nodes_conf(state)) == normalized(text)
    again = parse_nodes_conf(format_nodes_conf(state), now=NOW)
    assert format_nodes_conf(again) == format_nodes_conf(state)


def test_loaded_state_of_a():
    state = parse_nodes_conf(REAL_A, now=NOW)
    a, b, c = state.lookup(ID_A), state.lookup(ID_B), state.lookup(ID_C)
    assert state.myself is a and a.flags == NODE_MYSELF | NODE_MASTER
    assert list(state.nodes) == [ID_C, ID_B, ID_A]  # the file's order
    assert (b.ip, b.port, b.cport, b.hostname) == ("127.0.0.1", 38401, 48401, "")
    assert c.master is a and a.replicas == [c] and c.flags == NODE_SLAVE
    assert (a.config_epoch, b.config_epoch, c.config_epoch) == (1, 2, 1)  # a replica's line carries its master's
    assert a.num_slots == 8192 and b.num_slots == 8192 and state.slots[5061] is a
    assert state.migrating_to == {5061: b} and state.importing_from == {}
    assert (state.current_epoch, state.last_vote_epoch) == (2, 0)
    # stale times become "now"; zero stays zero; no link is up yet
    assert (b.ping_sent, b.pong_received) == (0, NOW)
    assert not b.link_connected
    assert f"{ID_B} 127.0.0.1:38401@48401 master - 0 {NOW} 2 disconnected 8192-16383" in state.nodes_text()


def test_loaded_state_of_b_and_c():
    b_view = parse_nodes_conf(REAL_B, now=NOW)
    assert b_view.importing_from == {5061: b_view.lookup(ID_A)}
    c_view = parse_nodes_conf(REAL_C, now=NOW)
    me = c_view.myself
    assert me.name == ID_C and me.flags == NODE_MYSELF | NODE_SLAVE
    assert me.master is c_view.lookup(ID_A) and me.shown_epoch == 1


def test_hostname_and_split_ranges():
    state = parse_nodes_conf(REAL_HOSTNAME, now=NOW)
    node = state.lookup("1c7e775f002d6ee59929320ffa535887205df192")
    assert node.hostname == "host-a.example"
    assert state.ranges_of(node) == [(0, 99), (101, 8191)]
    assert state.slots[100] is None


def test_fail_flag_sets_fail_time_and_placeholders_for_unknown_references():
    text = (
        f"{ID_A} 10.0.0.1:7000@17000 myself,master - 0 0 3 connected 0-10 [11->-{ID_B}]\n"
        f"{ID_C} 10.0.0.3:7000@17000 slave,fail {'e' * 40} 1 1 0 disconnected\n"
        "vars currentEpoch 1 lastVoteEpoch 1\n"
    )
    state = parse_nodes_conf(text, now=NOW)
    c = state.lookup(ID_C)
    assert c.flags == NODE_SLAVE | NODE_FAIL and c.fail_time == NOW
    assert (c.ping_sent, c.pong_received) == (NOW, NOW)
    ghost = state.lookup("e" * 40)
    assert ghost.flags == NODE_MIGRATE_TO  # no flags of its own; "has had a replica" is never shown
    assert c.master is ghost and ghost.replicas == [c]
    assert state.lookup(ID_B).flags == 0 and state.migrating_to[11] is state.lookup(ID_B)
    assert f"{'e' * 40} :0@0 noflags - 0 0 0 disconnected" in state.nodes_text()
    # currentEpoch is raised to the greatest config epoch in the file
    assert state.current_epoch == 3 and state.last_vote_epoch == 1


def test_old_and_newer_address_forms():
    text = (
        f"{ID_A} 127.0.0.1:7000 myself,master - 0 0 0 connected\n"  # before 4.0: no @cport
        f"{ID_B} ::1:7001@17005 master - 0 0 0 connected\n"  # IPv6: split at the last ':'
        f"{ID_C} 10.0.0.3:7002@17002,host-c,shard-id=abc,nodename=n master - 0 0 0 connected\n"  # 7.2 aux
        "vars currentEpoch 0 lastVoteEpoch 0\n"
    )
    state = parse_nodes_conf(text, now=NOW)
    a, b, c = state.lookup(ID_A), state.lookup(ID_B), state.lookup(ID_C)
    assert (a.ip, a.port, a.cport) == ("127.0.0.1", 7000, 17000)
    assert (b.ip, b.port, b.cport) == ("::1", 7001, 17005)
    assert (c.ip, c.port, c.cport, c.hostname) == ("10.0.0.3", 7002, 17002, "host-c")
    assert f"{ID_C} 10.0.0.3:7002@17002,host-c master" in format_nodes_conf(state)


def test_blank_lines_vars_case_and_unknown_vars():
    vars_line = "VARS CURRENTEPOCH 5 foo 1 lastvoteepoch 4"
    text = "\n\n" + REAL_FRESH.replace("vars currentEpoch 0 lastVoteEpoch 0", vars_line) + "\n\n"
    state = parse_nodes_conf(text, now=NOW)
    assert (state.current_epoch, state.last_vote_epoch) == (5, 4)


@pytest.mark.parametrize(
    "text,why",
    [
        ("vars currentEpoch 0 lastVoteEpoch 0\n", "myself"),
        (f"{ID_A} 1.2.3.4:1@2 master - 0 0 0 connected\n", "myself"),
        (f"{ID_A} 1.2.3.4:1@2 myself,master - 0 0 0\n", "8 fields"),
        (
            f"{ID_A} 1.2.3.4:1@2 myself,master - 0 0 0 connected\n"
            f"{ID_B} 1.2.3.4:1@2 myself,master - 0 0 0 connected\n",
            "second",
        ),
        (f"{ID_A} 1.2.3.4 myself,master - 0 0 0 connected\n", "port"),
        (f"{ID_A} 1.2.3.4:x@2 myself,master - 0 0 0 connected\n", "port"),
        (f"{ID_A} 1.2.3.4:1@2 myself,boss - 0 0 0 connected\n", "flag"),
        (f"{ID_A} 1.2.3.4:1@2 myself,master - 0 0 x connected\n", "epoch"),
        (f"{ID_A} 1.2.3.4:1@2 myself,master - 0 0 0 connected 5-3\n", "range"),
        (f"{ID_A} 1.2.3.4:1@2 myself,master - 0 0 0 connected 16384\n", "range"),
        (f"{ID_A} 1.2.3.4:1@2 myself,master - 0 0 0 connected [5->{ID_B}]\n", "open-slot"),
        (f"{ID_A} 1.2.3.4:1@2 myself,master - 0 0 0 connected [5->-{ID_B}\n", "open-slot"),
        (
            f"{ID_A} 1.2.3.4:1@2 myself,master - 0 0 0 connected 0-5\n{ID_B} 1.2.3.4:1@2 master - 0 0 0 connected 5\n",
            "claimed",
        ),
        (REAL_FRESH.replace("lastVoteEpoch 0", "lastVoteEpoch"), "pairs"),
        (REAL_FRESH.replace("lastVoteEpoch 0", "lastVoteEpoch -1"), "lastVoteEpoch"),
    ],
)
def test_corrupt_files_are_refused(text, why):
    with pytest.raises(NodesConfError, match=why):
        parse_nodes_conf(text, now=NOW)


def test_handshake_nodes_are_not_saved():
    state = ClusterState.new(ID_A, ip="127.0.0.1", port=7000)
    state.add_node(NodeInfo(ID_B, NODE_HANDSHAKE, ip="127.0.0.1", port=7001, cport=17001))
    state.add_node(NodeInfo(ID_C, NODE_MASTER, ip="127.0.0.1", port=7002, cport=17002))
    text = format_nodes_conf(state)
    assert ID_B not in text and ID_C in text
    assert text.endswith("\nvars currentEpoch 0 lastVoteEpoch 0\n")
    assert ID_B in state.nodes_text()  # CLUSTER NODES does show them


# -- files ---------------------------------------------------------------------------------------


def test_missing_or_empty_file_means_no_config(tmp_path):
    assert load_nodes_conf(tmp_path / "nodes.conf", now=NOW) is None
    (tmp_path / "nodes.conf").write_bytes(b"")
    assert load_nodes_conf(tmp_path / "nodes.conf", now=NOW) is None
    (tmp_path / "nodes.conf").write_bytes(b"\xff\xfe")
    with pytest.raises(NodesConfError):
        load_nodes_conf(tmp_path / "nodes.conf", now=NOW)


def test_save_then_load(tmp_path):
    path = tmp_path / "nodes.conf"
    state = parse_nodes_conf(REAL_A, now=NOW)
    save_nodes_conf(path, state)
    assert path.read_text() == format_nodes_conf(state)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert os.listdir(tmp_path) == ["nodes.conf"]  # no temp file left behind
    loaded = load_nodes_conf(path, now=NOW)
    assert format_nodes_conf(loaded) == format_nodes_conf(state)
    # a smaller config replaces a larger one completely (Redis pads and truncates; we rename)
    state.reset(hard=True, new_name=ID_B)
    save_nodes_conf(path, state, fsync=False)
    assert path.read_text() == (
        f"{ID_B} 127.0.0.1:49133@59133 myself,master - 0 {NOW} 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n"
    )


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "nodes.conf"
    path.write_text(REAL_A)
    state = ClusterState.new(ID_B, port=7000)

    def broken(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        save_nodes_conf(path, state)
    assert path.read_text() == REAL_A
    assert os.listdir(tmp_path) == ["nodes.conf"]


# -- against a live redis-server 7.0 ------------------------------------------------------------------


@pytest.mark.real
def test_round_trip_through_a_real_server(tmp_path):
    """A real cluster-enabled server writes nodes.conf (slots, an announced hostname,
    migrating/importing slots, epochs); we load it, print the same CLUSTER NODES, save it, and
    a second real server starts from our file with the same identity and slots."""
    import redis

    from tests.support.procs import redis_server_path, start_real_redis

    if redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    first = start_real_redis(
        "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
        "--cluster-announce-hostname", "first.example",
    )
    second = None
    try:
        client = redis.Redis(port=first.port, decode_responses=True)
        my_id = client.execute_command("CLUSTER", "MYID")
        client.execute_command("CLUSTER", "ADDSLOTSRANGE", "0", "5460", "7000", "7001")
        client.execute_command("CLUSTER", "ADDSLOTS", "9000", "16383")
        client.execute_command("CLUSTER", "SET-CONFIG-EPOCH", "7")
        client.execute_command("CLUSTER", "SETSLOT", "1", "MIGRATING", my_id)
        client.execute_command("CLUSTER", "SETSLOT", "12000", "IMPORTING", my_id)
        client.execute_command("CLUSTER", "SAVECONFIG")
        real_text = open(os.path.join(first.dir, "nodes.conf")).read()
        real_nodes = client.execute_command("CLUSTER", "NODES")
        client.close()

        state = parse_nodes_conf(real_text, now=NOW)
        assert normalized(format_nodes_conf(state)) == normalized(real_text)
        assert normalized(state.nodes_text()) == normalized(real_nodes)
        assert state.myself.name == my_id and state.myself.hostname == "first.example"
        assert state.myself.config_epoch == 7 and state.current_epoch == 7
        assert state.migrating_to == {1: state.myself} and state.importing_from == {12000: state.myself}

        ours = tmp_path / "nodes.conf"
        save_nodes_conf(ours, state)
        second = start_real_redis("--cluster-enabled", "yes", "--cluster-config-file", str(ours))
        client = redis.Redis(port=second.port, decode_responses=True)
        assert client.execute_command("CLUSTER", "MYID") == my_id
        line = client.execute_command("CLUSTER", "NODES")
        assert line.split(" ")[8:] == real_nodes.split(" ")[8:]  # slots and open slots
        info = client.execute_command("CLUSTER", "INFO")
        assert "cluster_current_epoch:7" in info and "cluster_my_epoch:7" in info
        assert "cluster_slots_assigned:5465" in info
        client.close()
    finally:
        first.stop()
        if second is not None:
            second.stop()
