"""cluster/state.py with a fixed clock: slot ownership, node bookkeeping, epochs, failure
reports, cluster health (update_state), and the CLUSTER NODES / SLOTS / SHARDS / INFO output.

The golden values below were captured from redis-server 7.0.15 in cluster mode (a fresh
node, and a three-node cluster: masters A and B, C a replica of A, seen from A).
tests/unit/test_cluster_commands_logic.py also compares against a live server."""

from __future__ import annotations

import pytest

from cluster.slots import CLUSTER_SLOTS
from cluster.state import (
    BLACKLIST_TTL,
    NODE_FAIL,
    NODE_HANDSHAKE,
    NODE_MASTER,
    NODE_MEET,
    NODE_MIGRATE_TO,
    NODE_MYSELF,
    NODE_NOADDR,
    NODE_NOFAILOVER,
    NODE_PFAIL,
    NODE_SLAVE,
    WRITABLE_DELAY,
    ClusterOptions,
    ClusterState,
    NodeInfo,
    flags_text,
    is_valid_node_name,
    new_node_name,
    parse_flags,
)

NOW = 1_795_673_895_000

ID_A = "7d125f3e0a97efc57b24560ccd065e40ccb3fd06"
ID_B = "1fe5027b217d19ae3f9cc87c963f33b8024c24e6"
ID_C = "a739c95276b519818fc48cc852f518c148baa5f6"
ID_D = "d" * 40


def three_nodes(*, offsets: bool = True) -> tuple[ClusterState, NodeInfo, NodeInfo, NodeInfo]:
    """A's view of the captured cluster, with nodes in the order A's server listed them."""
    a = NodeInfo(ID_A, NODE_MYSELF | NODE_MASTER, ip="127.0.0.1", port=49133, cport=59133, config_epoch=1)
    state = ClusterState(a)
    c = NodeInfo(ID_C, NODE_SLAVE, ip="127.0.0.1", port=52407, cport=62407)
    b = NodeInfo(ID_B, NODE_MASTER, ip="127.0.0.1", port=38401, cport=48401, config_epoch=2)
    # Order as in the real server's dict: C, B, A.
    state.nodes.clear()
    for node in (c, b, a):
        node._state = None
        state.add_node(node)
    state.link_replica(c, a)
    a.pong_received = 1795673895000
    b.pong_received = 1795673897095
    c.pong_received = 1795673898105
    b.link_connected = c.link_connected = True
    state.add_slots(a, range(0, 8192))
    state.add_slots(b, range(8192, 16384))
    state.current_epoch = 2
    if offsets:
        a.repl_offset = 52
        c.repl_offset = 52
    return state, a, b, c


# -- flags and names ---------------------------------------------------------------------------


def test_flags_text_order_and_noflags():
    everything = (
        NODE_NOFAILOVER | NODE_NOADDR | NODE_HANDSHAKE | NODE_FAIL | NODE_PFAIL | NODE_SLAVE | NODE_MASTER | NODE_MYSELF
    )
    assert flags_text(everything) == "myself,master,slave,fail?,fail,handshake,noaddr,nofailover"
    assert flags_text(0) == "noflags"
    assert flags_text(NODE_MEET | NODE_MIGRATE_TO) == "noflags"  # never shown
    assert flags_text(NODE_SLAVE | NODE_MYSELF) == "myself,slave"


def test_parse_flags():
    assert parse_flags("myself,master") == NODE_MYSELF | NODE_MASTER
    assert parse_flags("noflags") == 0
    assert parse_flags("SLAVE,Fail?") == NODE_SLAVE | NODE_PFAIL
    assert parse_flags(flags_text(NODE_NOFAILOVER | NODE_FAIL)) == NODE_NOFAILOVER | NODE_FAIL
    with pytest.raises(ValueError):
        parse_flags("master,bogus")


def test_node_names():
    name = new_node_name()
    assert len(name) == 40 and is_valid_node_name(name)
    assert new_node_name() != name
    assert is_valid_node_name(b"a" * 40)
    assert not is_valid_node_name("A" * 40)
    assert not is_valid_node_name("a" * 39)
    assert not is_valid_node_name(b"\xff" * 40)


# -- a fresh node (golden: redis-server 7.0.15 right after start) ------------------------------------


FRESH_ID = "576ddfa2831af7b75f7c9ccefa7066289c03da42"


def fresh() -> ClusterState:
    return ClusterState.new(FRESH_ID, port=55253, now=NOW)


def test_fresh_node_nodes_line():
    state = fresh()
    assert state.myself.cport == 65253
    assert state.nodes_text() == f"{FRESH_ID} :55253@65253 myself,master - 0 0 0 connected\n"


FRESH_INFO = (
    "cluster_state:fail\r\n"
    "cluster_slots_assigned:0\r\n"
    "cluster_slots_ok:0\r\n"
    "cluster_slots_pfail:0\r\n"
    "cluster_slots_fail:0\r\n"
    "cluster_known_nodes:1\r\n"
    "cluster_size:{size}\r\n"
    "cluster_current_epoch:0\r\n"
    "cluster_my_epoch:0\r\n"
    "cluster_stats_messages_sent:0\r\n"
    "cluster_stats_messages_received:0\r\n"
    "total_cluster_links_buffer_limit_exceeded:0\r\n"
)


def test_fresh_node_info_size_is_1_until_the_writable_delay_has_passed():
    state = fresh()
    assert state.info_text() == FRESH_INFO.format(size=1)
    state.update_state(NOW)
    assert state.info_text() == FRESH_INFO.format(size=1)  # still inside the 2 s delay
    state.update_state(NOW + WRITABLE_DELAY)
    assert state.info_text() == FRESH_INFO.format(size=0)


def test_fresh_node_with_some_slots_matches_redis():
    state = fresh()
    state.update_state(NOW)
    state.update_state(NOW + 2500)
    state.add_slots(state.myself, [*range(0, 5461), 7000, 7002])
    state.update_state(NOW + 2600)
    assert state.nodes_text() == f"{FRESH_ID} :55253@65253 myself,master - 0 0 0 connected 0-5460 7000 7002\n"
    me = [b"", 55253, FRESH_ID.encode(), {}]
    assert state.slots_reply() == [[0, 5460, me], [7000, 7000, me], [7002, 7002, me]]
    assert state.shards_reply() == [
        {
            b"slots": [0, 5460, 7000, 7000, 7002, 7002],
            b"nodes": [
                {
                    b"id": FRESH_ID.encode(),
                    b"port": 55253,
                    b"ip": b"",
                    b"endpoint": b"",
                    b"role": b"master",
                    b"replication-offset": 0,
                    b"health": b"online",
                }
            ],
        }
    ]
    info = state.info_text()
    assert info.startswith(
        "cluster_state:fail\r\ncluster_slots_assigned:5463\r\ncluster_slots_ok:5463\r\n"
        "cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\ncluster_size:1\r\n"
    )


# -- three nodes (golden: A's replies in the captured cluster) ---------------------------------------


def test_three_node_cluster_nodes_text():
    state, a, b, c = three_nodes()
    state.set_migrating(5061, b)
    assert state.nodes_text() == (
        f"{ID_C} 127.0.0.1:52407@62407 slave {ID_A} 0 1795673898105 1 connected\n"
        f"{ID_B} 127.0.0.1:38401@48401 master - 0 1795673897095 2 connected 8192-16383\n"
        f"{ID_A} 127.0.0.1:49133@59133 myself,master - 0 1795673895000 1 connected 0-8191 [5061->-{ID_B}]\n"
    )


def test_three_node_cluster_slots():
    state, a, b, c = three_nodes()
    assert state.slots_reply() == [
        [0, 8191, [b"127.0.0.1", 49133, ID_A.encode(), {}], [b"127.0.0.1", 52407, ID_C.encode(), {}]],
        [8192, 16383, [b"127.0.0.1", 38401, ID_B.encode(), {}]],
    ]
    assert state.slots_reply(endpoint_type="unknown-endpoint")[1] == [
        8192,
        16383,
        [None, 38401, ID_B.encode(), {b"ip": b"127.0.0.1"}],
    ]


def test_three_node_cluster_shards():
    state, a, b, c = three_nodes()

    def entry(node_id, port, role, offset):
        return {
            b"id": node_id.encode(),
            b"port": port,
            b"ip": b"127.0.0.1",
            b"endpoint": b"127.0.0.1",
            b"role": role,
            b"replication-offset": offset,
            b"health": b"online",
        }

    assert state.shards_reply() == [
        {b"slots": [8192, 16383], b"nodes": [entry(ID_B, 38401, b"master", 0)]},
        {
            b"slots": [0, 8191],
            b"nodes": [entry(ID_A, 49133, b"master", 52), entry(ID_C, 52407, b"replica", 52)],
        },
    ]


def test_hostname_in_nodes_slots_and_shards():
    state, a, b, c = three_nodes()
    a.hostname = "host-a.example"
    assert f"{ID_A} 127.0.0.1:49133@59133,host-a.example myself,master" in state.nodes_text()
    # ip endpoint: the hostname goes in the metadata
    assert state.slots_reply()[0][2] == [b"127.0.0.1", 49133, ID_A.encode(), {b"hostname": b"host-a.example"}]
    # hostname endpoint: '?' for a node without one, the ip goes in the metadata
    by_host = state.slots_reply(endpoint_type="hostname")
    assert by_host[0][2] == [b"host-a.example", 49133, ID_A.encode(), {b"ip": b"127.0.0.1"}]
    assert by_host[1][2] == [b"?", 38401, ID_B.encode(), {b"ip": b"127.0.0.1"}]
    # unknown-endpoint: null endpoint, both in the metadata
    assert state.slots_reply(endpoint_type="unknown-endpoint")[0][2] == [
        None,
        49133,
        ID_A.encode(),
        {b"ip": b"127.0.0.1", b"hostname": b"host-a.example"},
    ]
    shards = state.shards_reply(endpoint_type="hostname")
    a_entry, c_entry = shards[1][b"nodes"]
    assert a_entry[b"endpoint"] == b"host-a.example" and a_entry[b"hostname"] == b"host-a.example"
    assert list(a_entry).index(b"hostname") == list(a_entry).index(b"endpoint") + 1
    assert c_entry[b"endpoint"] == b"?" and b"hostname" not in c_entry
    unknown = state.shards_reply(endpoint_type="unknown-endpoint")[1][b"nodes"][0]
    assert unknown[b"endpoint"] == b"" and unknown[b"hostname"] == b"host-a.example"


def test_preferred_endpoint_follows_the_option():
    state, a, b, c = three_nodes()
    a.hostname = "h"
    assert state.preferred_endpoint(a) == "127.0.0.1"
    state.options.preferred_endpoint_type = "hostname"
    assert state.preferred_endpoint(a) == "h"
    assert state.preferred_endpoint(b) == "?"
    assert state.slots_reply()[0][2][0] == b"h"
    state.options.preferred_endpoint_type = "unknown-endpoint"
    assert state.preferred_endpoint(a) == ""


def test_three_node_cluster_info():
    state, a, b, c = three_nodes()
    state.size = 2
    state.ok = True
    for kind, count in ((0, 7), (1, 9), (2, 2)):
        state.stats_sent[kind] = count
    state.stats_received[0] = 9
    state.stats_received[1] = 9
    assert state.info_text() == (
        "cluster_state:ok\r\n"
        "cluster_slots_assigned:16384\r\n"
        "cluster_slots_ok:16384\r\n"
        "cluster_slots_pfail:0\r\n"
        "cluster_slots_fail:0\r\n"
        "cluster_known_nodes:3\r\n"
        "cluster_size:2\r\n"
        "cluster_current_epoch:2\r\n"
        "cluster_my_epoch:1\r\n"
        "cluster_stats_messages_ping_sent:7\r\n"
        "cluster_stats_messages_pong_sent:9\r\n"
        "cluster_stats_messages_meet_sent:2\r\n"
        "cluster_stats_messages_sent:18\r\n"
        "cluster_stats_messages_ping_received:9\r\n"
        "cluster_stats_messages_pong_received:9\r\n"
        "cluster_stats_messages_received:18\r\n"
        "total_cluster_links_buffer_limit_exceeded:0\r\n"
    )


def test_info_message_type_names_in_type_order():
    state = fresh()
    for kind in range(11):
        state.stats_received[kind] = kind + 1
    received = [line.split(":")[0] for line in state.info_text().split("\r\n") if "_received" in line]
    assert received == [
        f"cluster_stats_messages_{name}_received"
        for name in (
            "ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart", "module",
            "publishshard",
        )
    ] + ["cluster_stats_messages_received"]
    assert "cluster_stats_messages_received:66\r\n" in state.info_text()


def test_info_my_epoch_of_a_replica_is_its_masters():
    view = ClusterState(NodeInfo(ID_D, NODE_MYSELF | NODE_SLAVE, config_epoch=0))
    master = NodeInfo(ID_B, NODE_MASTER, config_epoch=9)
    view.add_node(master)
    view.link_replica(view.myself, master)
    assert "cluster_my_epoch:9\r\n" in view.info_text()


def test_info_slot_counts_by_owner_flags():
    state, a, b, c = three_nodes()
    b.flags |= NODE_PFAIL
    assert state.slot_counts() == (16384, 8192, 8192, 0)
    b.flags = NODE_MASTER | NODE_FAIL
    assert state.slot_counts() == (16384, 8192, 0, 8192)
    state.del_slot(0)
    assert "cluster_slots_assigned:16383\r\ncluster_slots_ok:8191\r\n" in state.info_text()


# -- NODES line details ----------------------------------------------------------------------------


def test_replica_line_shows_its_masters_epoch_and_disconnected_link():
    state, a, b, c = three_nodes()
    a.config_epoch = 5
    c.config_epoch = 3
    c.link_connected = False
    assert state.node_line(c) == f"{ID_C} 127.0.0.1:52407@62407 slave {ID_A} 0 1795673898105 5 disconnected"


def test_noaddr_node_and_pport():
    state, a, b, c = three_nodes()
    b.ip, b.port, b.cport = "", 0, 0
    b.flags |= NODE_NOADDR
    assert state.node_line(b).startswith(f"{ID_B} :0@0 master,noaddr - ")
    c.pport = 6000
    assert " 127.0.0.1:6000@62407 " in state.node_line(c, use_pport=True)
    assert " 127.0.0.1:52407@62407 " in state.node_line(c)
    a.pport = 0  # no plain port known: the port stays
    assert " 127.0.0.1:49133@59133 " in state.node_line(a, use_pport=True)


def test_open_slots_only_on_myself_line_in_slot_order_migrating_first():
    state, a, b, c = three_nodes()
    state.set_importing(9000, b)
    state.set_migrating(10, b)
    state.set_importing(10, b)  # both on one slot: Redis shows only the migrating one
    state.set_migrating(100, b)
    line = state.node_line(a)
    assert line.endswith(f" 0-8191 [10->-{ID_B}] [100->-{ID_B}] [9000-<-{ID_B}]")
    assert "[" not in state.node_line(b)
    state.close_all_slots()
    assert state.node_line(a).endswith(" connected 0-8191")


def test_nodes_text_excludes_flags_and_ends_with_newline():
    state, a, b, c = three_nodes()
    meeting = NodeInfo("e" * 40, NODE_HANDSHAKE | NODE_MEET, ip="10.0.0.9", port=7000, cport=17000)
    state.add_node(meeting)
    text = state.nodes_text()
    assert text.endswith("\n") and text.count("\n") == 4
    assert f"{'e' * 40} 10.0.0.9:7000@17000 handshake - 0 0 0 disconnected\n" in text
    assert "e" * 40 not in state.nodes_text(exclude_flags=NODE_HANDSHAKE)


def test_slot_tokens_are_maximal_runs():
    state = fresh()
    state.add_slots(state.myself, [0, 1, 2, 5, 7, 8, 16383])
    assert state.node_line(state.myself).endswith(" connected 0-2 5 7-8 16383")
    assert state.ranges_of(state.myself) == [(0, 2), (5, 5), (7, 8), (16383, 16383)]
    assert state.slots_of(state.myself) == [0, 1, 2, 5, 7, 8, 16383]


def test_replicas_text():
    state, a, b, c = three_nodes()
    assert state.replicas_text(a) == [state.node_line(c) + "\n"]
    assert state.replicas_text(b) == []


# -- CLUSTER SLOTS replica filtering and caching ------------------------------------------------------


def test_slots_lists_replicas_only_when_not_failed_and_synced():
    state, a, b, c = three_nodes(offsets=False)
    assert len(state.slots_reply()[0]) == 3  # C has offset 0: not listed
    c.repl_offset = 10
    assert len(state.slots_reply()[0]) == 4
    c.flags |= NODE_PFAIL  # PFAIL is not FAIL
    assert len(state.slots_reply()[0]) == 4
    c.flags |= NODE_FAIL
    assert len(state.slots_reply()[0]) == 3


def test_master_with_split_slots_appears_once_per_run():
    state, a, b, c = three_nodes()
    state.del_slot(100)
    state.add_slot(b, 100)
    assert [(r[0], r[1], r[2][2]) for r in state.slots_reply()] == [
        (0, 99, ID_A.encode()),
        (100, 100, ID_B.encode()),
        (101, 8191, ID_A.encode()),
        (8192, 16383, ID_B.encode()),
    ]


@pytest.mark.parametrize(
    "change",
    [
        lambda s, a, b, c: s.add_slot(b, 0) or s.del_slot(0),
        lambda s, a, b, c: s.del_slot(0),
        lambda s, a, b, c: setattr(b, "ip", "10.0.0.2"),
        lambda s, a, b, c: setattr(b, "port", 1),
        lambda s, a, b, c: setattr(b, "cport", 1),
        lambda s, a, b, c: setattr(b, "pport", 1),
        lambda s, a, b, c: setattr(b, "hostname", "b.example"),
        lambda s, a, b, c: setattr(c, "flags", c.flags | NODE_FAIL),
        lambda s, a, b, c: setattr(c, "repl_offset", 0),
        lambda s, a, b, c: s.set_as_master(c),
        lambda s, a, b, c: s.del_node(c),
        lambda s, a, b, c: s.rename_node(b, ID_D),
        lambda s, a, b, c: s.add_node(NodeInfo(ID_D, NODE_MASTER)),
        lambda s, a, b, c: s.set_migrating(1, b),
        lambda s, a, b, c: s.set_importing(9000, b),
        lambda s, a, b, c: s.touch(),
    ],
)
def test_any_topology_change_invalidates_the_slots_cache(change):
    state, a, b, c = three_nodes()
    first = state.slots_reply()
    assert state.slots_reply() is first  # cached
    version = state.version
    change(state, a, b, c)
    assert state.version > version
    assert state.slots_reply() is not first


def test_non_topology_changes_keep_the_cache():
    state, a, b, c = three_nodes()
    first = state.slots_reply()
    c.repl_offset = 1000  # still non-zero
    b.ip = "127.0.0.1"  # same value
    b.pong_received += 1
    b.ping_sent = NOW
    a.config_epoch = 7
    assert state.slots_reply() is first
    assert state.slots_reply(endpoint_type="hostname") is not first  # another key


# -- nodes, replicas, slots bookkeeping ---------------------------------------------------------------


def test_add_slot_refuses_an_owned_slot_and_counts():
    state, a, b, c = three_nodes()
    assert a.num_slots == 8192 and b.num_slots == 8192
    assert not state.add_slot(b, 0)
    assert state.owner(0) is a
    assert state.del_slot(0) and not state.del_slot(0)
    assert state.add_slot(b, 0) and b.num_slots == 8193 and a.num_slots == 8191
    assert state.add_slots(a, [0, 1, 2]) == 0
    assert state.del_node_slots(b) == 8193 and b.num_slots == 0
    assert state.slots.count(None) == 8193


def test_add_node_twice_is_refused():
    state, a, b, c = three_nodes()
    with pytest.raises(ValueError):
        state.add_node(NodeInfo(ID_B, NODE_MASTER))


def test_lookup_by_str_or_bytes():
    state, a, b, c = three_nodes()
    assert state.lookup(ID_B) is b
    assert state.lookup(ID_B.encode()) is b
    assert state.lookup(b"\xff" * 40) is None
    assert state.lookup("nope") is None


def test_del_node_cleans_everything_that_names_it():
    state, a, b, c = three_nodes()
    state.set_migrating(5, b)
    state.set_importing(9000, b)
    state.add_failure_report(c, b, NOW)
    state.add_failure_report(b, c, NOW)
    state.del_node(b)
    assert state.lookup(ID_B) is None and b._state is None
    assert all(state.slots[s] is None for s in range(8192, CLUSTER_SLOTS))
    assert state.migrating_to == {} and state.importing_from == {}
    assert c.fail_reports == {}
    assert "8192" not in state.nodes_text()


def test_del_master_orphans_its_replicas_and_del_replica_unlinks_it():
    state, a, b, c = three_nodes()
    state.del_node(c)
    assert a.replicas == []
    assert not a.flags & NODE_MIGRATE_TO  # no replicas left
    state, a, b, c = three_nodes()
    view_c = c
    # Deleting a master (not myself): the replica keeps its SLAVE flag but loses the link.
    d = NodeInfo(ID_D, NODE_SLAVE)
    state.add_node(d)
    state.link_replica(d, b)
    assert b.flags & NODE_MIGRATE_TO and b.replicas == [d]
    state.del_node(b)
    assert d.master is None and d.flags & NODE_SLAVE
    assert view_c.master is a


def test_set_replica_of_and_set_as_master():
    state, a, b, c = three_nodes()
    state.set_replica_of(c, b)
    assert c.master is b and b.replicas == [c] and a.replicas == []
    assert c.flags & NODE_SLAVE and not c.flags & NODE_MASTER
    state.set_as_master(c)
    assert c.master is None and b.replicas == []
    assert c.flags & NODE_MASTER and not c.flags & NODE_SLAVE
    assert c.flags & NODE_MIGRATE_TO  # a promoted replica (not myself) is a migration target
    assert state.node_line(c).startswith(f"{ID_C} 127.0.0.1:52407@62407 master - ")


def test_rename_node_keeps_references():
    state, a, b, c = three_nodes()
    state.rename_node(b, ID_D)
    assert state.lookup(ID_D) is b and state.lookup(ID_B) is None
    assert state.slots[9000] is b
    assert state.nodes_text().count(ID_D) == 1


# -- epochs ----------------------------------------------------------------------------------------


def test_max_epoch_and_bump_without_consensus():
    state, a, b, c = three_nodes()
    assert state.max_epoch() == 2
    assert state.bump_epoch_without_consensus()  # 1 is not the max
    assert (a.config_epoch, state.current_epoch) == (3, 3)
    assert not state.bump_epoch_without_consensus()  # now it is
    assert (a.config_epoch, state.current_epoch) == (3, 3)
    single = fresh()
    assert single.bump_epoch_without_consensus()  # epoch 0 always bumps
    assert single.myself.config_epoch == 1
    assert not single.bump_epoch_without_consensus()


# -- failure reports and the FORGET ban --------------------------------------------------------------


def test_failure_reports_expire_after_twice_the_node_timeout():
    state, a, b, c = three_nodes()
    state.options.node_timeout = 1000
    assert state.add_failure_report(c, a, NOW)
    assert not state.add_failure_report(c, a, NOW + 100)  # refreshed, not new
    assert state.add_failure_report(c, b, NOW + 500)
    assert state.failure_report_count(c, NOW + 2100) == 2  # a's report is 2000 ms old
    assert state.failure_report_count(c, NOW + 2101) == 1
    assert state.failure_report_count(c, NOW + 2501) == 0
    state.add_failure_report(c, b, NOW)
    assert state.del_failure_report(c, b) and not state.del_failure_report(c, b)


def test_blacklist_ttl():
    state = fresh()
    state.blacklist_add(ID_B, NOW)
    assert state.blacklisted(ID_B, NOW + BLACKLIST_TTL)
    assert not state.blacklisted(ID_B, NOW + BLACKLIST_TTL + 1)
    assert state.blacklist == {}


# -- cluster state: ok / fail --------------------------------------------------------------------------


def ready(state: ClusterState) -> int:
    """Run the first update_state and return a time past the writable delay."""
    state.update_state(NOW)
    return NOW + WRITABLE_DELAY


def test_master_waits_the_writable_delay_before_ok():
    state, a, b, c = three_nodes()
    assert not state.update_state(NOW)
    assert not state.update_state(NOW + WRITABLE_DELAY - 1)
    assert not state.ok
    assert state.update_state(NOW + WRITABLE_DELAY)
    assert state.ok and state.size == 2


def test_replica_does_not_wait():
    view = ClusterState(NodeInfo(ID_D, NODE_MYSELF | NODE_SLAVE))
    master = NodeInfo(ID_B, NODE_MASTER)
    view.add_node(master)
    view.set_replica_of(view.myself, master)
    view.add_slots(master, range(CLUSTER_SLOTS))
    assert view.update_state(NOW) and view.ok and view.size == 1


def test_full_coverage_rule():
    state, a, b, c = three_nodes()
    now = ready(state)
    state.del_slot(100)
    assert not state.update_state(now) and not state.ok
    state.options.require_full_coverage = False
    assert state.update_state(now) and state.ok
    state.options.require_full_coverage = True
    state.add_slot(a, 100)
    b.flags |= NODE_FAIL
    state.update_state(now)
    assert not state.ok  # a slot owned by a FAIL node is a hole


def test_pfail_owner_is_not_a_hole_but_counts_against_the_majority():
    state, a, b, c = three_nodes()
    now = ready(state)
    b.flags |= NODE_PFAIL
    # size 2, reachable 1 < 2//2+1: minority
    state.update_state(now)
    assert not state.ok and state.among_minority_time == now


def test_minority_rule_with_three_masters():
    state, a, b, c = three_nodes()
    d = NodeInfo(ID_D, NODE_MASTER)
    state.add_node(d)
    state.del_node_slots(b)
    state.add_slots(b, range(8192, 12000))
    state.add_slots(d, range(12000, CLUSTER_SLOTS))
    state.options.require_full_coverage = False
    now = ready(state)
    b.flags |= NODE_FAIL
    assert state.update_state(now) and state.ok  # 2 of 3 reachable
    d.flags |= NODE_PFAIL
    assert state.update_state(now + 1) and not state.ok  # 1 of 3
    assert state.size == 3


def test_rejoin_delay_after_a_minority():
    state, a, b, c = three_nodes()
    state.options.node_timeout = 2000
    now = ready(state)
    assert state.update_state(now) and state.ok
    b.flags |= NODE_PFAIL
    assert state.update_state(now + 100) and not state.ok
    b.flags &= ~NODE_PFAIL
    assert not state.update_state(now + 100 + 1999)  # clamp(2000, 500, 5000)
    assert state.update_state(now + 100 + 2000) and state.ok


@pytest.mark.parametrize("timeout,delay", [(100, 500), (2000, 2000), (60000, 5000)])
def test_rejoin_delay_is_clamped(timeout, delay):
    state, a, b, c = three_nodes()
    state.options.node_timeout = timeout
    now = ready(state)
    b.flags |= NODE_PFAIL
    state.update_state(now)
    state.ok = False
    b.flags &= ~NODE_PFAIL
    assert not state.update_state(now + delay - 1)
    assert state.update_state(now + delay)


def test_compute_size_counts_masters_with_slots():
    state, a, b, c = three_nodes()
    assert state.compute_size() == (2, 2)
    state.add_node(NodeInfo(ID_D, NODE_MASTER))  # no slots
    assert state.compute_size() == (2, 2)
    b.flags |= NODE_FAIL
    assert state.compute_size() == (2, 1)


# -- RESET ---------------------------------------------------------------------------------------------


def test_soft_reset_of_a_replica():
    state, a, b, c = three_nodes()
    view = ClusterState(NodeInfo(ID_D, NODE_MYSELF | NODE_SLAVE, config_epoch=3))
    master = NodeInfo(ID_B, NODE_MASTER)
    view.add_node(master)
    view.set_replica_of(view.myself, master)
    view.add_slots(master, range(100))
    view.set_importing(5, master)
    view.current_epoch = 7
    view.reset(hard=False)
    assert list(view.nodes) == [ID_D]
    assert view.myself.flags == NODE_MYSELF | NODE_MASTER
    assert view.slots.count(None) == CLUSTER_SLOTS and view.importing_from == {}
    assert view.current_epoch == 7 and view.myself.config_epoch == 3


def test_hard_reset_zeroes_epochs_and_renames():
    state, a, b, c = three_nodes()
    state.last_vote_epoch = 2
    state.reset(hard=True, new_name=ID_D)
    assert list(state.nodes) == [ID_D] and state.myself is a and a.name == ID_D
    assert (state.current_epoch, state.last_vote_epoch, a.config_epoch) == (0, 0, 0)
    assert state.nodes_text() == f"{ID_D} 127.0.0.1:49133@59133 myself,master - 0 1795673895000 0 connected\n"
    state.reset(hard=True)
    assert a.name != ID_D and is_valid_node_name(a.name)


def test_options_defaults():
    options = ClusterOptions()
    assert options.node_timeout == 15000
    assert options.require_full_coverage and not options.allow_reads_when_down
    assert options.allow_pubsubshard_when_down and options.allow_replica_migration
    assert options.preferred_endpoint_type == "ip"


def test_tls_cluster_shard_ports():
    state, a, b, c = three_nodes()
    state.options.tls_cluster = True
    b.pport = 6000
    entry = state.shards_reply()[0][b"nodes"][0]
    assert entry[b"port"] == 6000 and entry[b"tls-port"] == 38401
    a_entry = state.shards_reply()[1][b"nodes"][0]
    assert b"port" not in a_entry and a_entry[b"tls-port"] == 49133


def test_shards_health_and_membership():
    state, a, b, c = three_nodes(offsets=False)
    state.add_node(NodeInfo(ID_D, NODE_HANDSHAKE | NODE_MEET))  # not a master: no shard
    shards = state.shards_reply()
    assert len(shards) == 2
    c_entry = shards[1][b"nodes"][1]
    assert c_entry[b"health"] == b"loading"  # a replica with offset 0
    assert shards[0][b"nodes"][0][b"health"] == b"online"  # a master with offset 0 is online
    c.flags |= NODE_FAIL
    assert state.shards_reply()[1][b"nodes"][1][b"health"] == b"fail"
    state.del_node_slots(b)
    assert state.shards_reply()[0] == {b"slots": [], b"nodes": [state.shards_reply()[0][b"nodes"][0]]}
