"""cluster/failure.py: PFAIL -> FAIL and back, replayed as timed scenarios with a fixed clock."""

from __future__ import annotations

import pytest

from cluster.failure import (
    Effects,
    clear_node_failure_if_needed,
    data_received,
    failure_quorum,
    mark_failing_if_needed,
    mark_timed_out_nodes,
    process_fail_message,
    process_gossip_failure_report,
    pong_received,
)
from cluster.slots import CLUSTER_SLOTS
from cluster.state import (
    NODE_FAIL,
    NODE_HANDSHAKE,
    NODE_MASTER,
    NODE_MIGRATE_TO,
    NODE_MYSELF,
    NODE_NOADDR,
    NODE_PFAIL,
    NODE_SLAVE,
    ClusterState,
    NodeInfo,
)

T0 = 1_800_000_000_000


def visible(node: NodeInfo) -> int:
    """The flags CLUSTER NODES can show (masters with replicas also carry MIGRATE_TO)."""
    return node.flags & ~NODE_MIGRATE_TO

TIMEOUT = 1000  # node_timeout


def cluster(masters: int = 3, *, me_replica: bool = False) -> tuple[ClusterState, list[NodeInfo], list[NodeInfo]]:
    """``masters`` masters sharing the slots (M0 is myself unless me_replica), each with one
    replica R<i>. With me_replica, myself is R0 and M0 is another node."""
    names = [f"m{i}".ljust(40, "0") for i in range(masters)]
    replica_names = [f"r{i}".ljust(40, "0") for i in range(masters)]
    if me_replica:
        me = NodeInfo(replica_names[0], NODE_MYSELF | NODE_SLAVE)
    else:
        me = NodeInfo(names[0], NODE_MYSELF | NODE_MASTER)
    state = ClusterState(me)
    state.options.node_timeout = TIMEOUT
    ms, rs = [], []
    for name in names:
        node = state.lookup(name) or NodeInfo(name, NODE_MASTER)
        if node is not me:
            state.add_node(node)
        ms.append(node)
    for i, name in enumerate(replica_names):
        node = state.lookup(name) or NodeInfo(name, NODE_SLAVE)
        if node is not me:
            state.add_node(node)
        state.link_replica(node, ms[i])
        rs.append(node)
    per = CLUSTER_SLOTS // masters
    for i, node in enumerate(ms):
        end = CLUSTER_SLOTS if i == masters - 1 else (i + 1) * per
        state.add_slots(node, range(i * per, end))
    state.first_call_time = T0 - 10_000
    state.update_state(T0)
    assert state.ok and state.size == masters
    return state, ms, rs


# -- PFAIL from the cron ------------------------------------------------------------------------------


def test_pfail_after_node_timeout_of_silence():
    state, ms, rs = cluster()
    b = ms[1]
    b.ping_sent = T0
    b.data_received = T0 - 5000
    assert not mark_timed_out_nodes(state, T0 + TIMEOUT)  # not more than the timeout yet
    effects = mark_timed_out_nodes(state, T0 + TIMEOUT + 1)
    assert effects == Effects(update_state=True)
    assert visible(b) == NODE_MASTER | NODE_PFAIL
    assert not mark_timed_out_nodes(state, T0 + 5 * TIMEOUT)  # already PFAIL: nothing new


def test_no_pfail_without_an_outstanding_ping_or_while_data_flows():
    state, ms, rs = cluster()
    b, c = ms[1], ms[2]
    b.ping_sent = 0
    c.ping_sent = T0
    data_received(c, T0 + 900)
    assert not mark_timed_out_nodes(state, T0 + 1500)  # c sent data 600 ms ago
    assert mark_timed_out_nodes(state, T0 + 1901).update_state
    assert c.flags & NODE_PFAIL and not b.flags & NODE_PFAIL


@pytest.mark.parametrize("flag", [NODE_NOADDR, NODE_HANDSHAKE])
def test_never_judged(flag):
    state, ms, rs = cluster()
    ms[1].flags |= flag
    ms[1].ping_sent = T0
    state.myself.ping_sent = T0
    assert not mark_timed_out_nodes(state, T0 + 10 * TIMEOUT)
    assert not ms[1].flags & NODE_PFAIL and not state.myself.flags & NODE_PFAIL


# -- reports and the quorum ---------------------------------------------------------------------------


def test_master_plus_one_report_fails_a_node_in_a_three_master_cluster():
    state, ms, rs = cluster(3)
    me, b, c = ms
    assert failure_quorum(state) == 2
    b.flags |= NODE_PFAIL
    effects = process_gossip_failure_report(state, c, b, NODE_PFAIL, T0)
    assert effects == Effects(broadcast_fail=[b], update_state=True, save_config=True)
    assert visible(b) == NODE_MASTER | NODE_FAIL and b.fail_time == T0
    assert "fail?" not in state.node_line(b) and " master,fail " in state.node_line(b)


def test_report_without_local_pfail_is_recorded_but_does_not_fail():
    state, ms, rs = cluster(3)
    me, b, c = ms
    assert not process_gossip_failure_report(state, c, b, NODE_FAIL, T0)
    assert b.fail_reports == {c.name: T0} and not b.flags & NODE_FAIL
    b.flags |= NODE_PFAIL  # later our own cron agrees
    assert mark_failing_if_needed(state, b, T0 + 10).broadcast_fail == [b]


def test_reports_from_replicas_do_not_count():
    state, ms, rs = cluster(3)
    me, b, c = ms
    b.flags |= NODE_PFAIL
    assert not process_gossip_failure_report(state, rs[2], b, NODE_PFAIL, T0)
    assert b.fail_reports == {}


def test_reports_about_myself_are_ignored():
    state, ms, rs = cluster(3)
    assert not process_gossip_failure_report(state, ms[1], state.myself, NODE_PFAIL, T0)
    assert state.myself.fail_reports == {}


def test_gossip_without_failure_flags_withdraws_the_report():
    state, ms, rs = cluster(5)
    me, b, c, d, e = ms
    b.flags |= NODE_PFAIL
    process_gossip_failure_report(state, c, b, NODE_PFAIL, T0)
    process_gossip_failure_report(state, d, b, NODE_MASTER, T0 + 1)  # d sees b fine
    assert b.fail_reports == {c.name: T0}
    process_gossip_failure_report(state, c, b, NODE_MASTER, T0 + 2)
    assert b.fail_reports == {}
    assert not b.flags & NODE_FAIL


def test_reports_expire_after_twice_the_node_timeout():
    state, ms, rs = cluster(5)  # quorum 3: me + 2 reports
    me, b, c, d, e = ms
    b.flags |= NODE_PFAIL
    assert not process_gossip_failure_report(state, c, b, NODE_PFAIL, T0)
    # d reports after c's report has expired (2 * TIMEOUT): only 1 live report + me = 2 < 3
    assert not process_gossip_failure_report(state, d, b, NODE_PFAIL, T0 + 2 * TIMEOUT + 1)
    assert b.fail_reports == {d.name: T0 + 2 * TIMEOUT + 1}
    # c refreshes in time: 2 reports + me = 3
    effects = process_gossip_failure_report(state, c, b, NODE_PFAIL, T0 + 2 * TIMEOUT + 2)
    assert effects.broadcast_fail == [b]


def test_a_replica_does_not_vote_for_itself():
    state, ms, rs = cluster(3, me_replica=True)
    m0, b, c = ms
    b.flags |= NODE_PFAIL
    assert not process_gossip_failure_report(state, c, b, NODE_PFAIL, T0)  # 1 < 2
    effects = process_gossip_failure_report(state, m0, b, NODE_PFAIL, T0 + 1)
    assert effects.broadcast_fail == [b]  # a replica broadcasts FAIL too


def test_a_single_master_fails_nodes_on_its_own():
    state, ms, rs = cluster(1)
    replica = rs[0]
    assert failure_quorum(state) == 1
    replica.flags |= NODE_PFAIL
    assert mark_failing_if_needed(state, replica, T0).broadcast_fail == [replica]
    assert visible(replica) == NODE_SLAVE | NODE_FAIL


def test_quorum_uses_the_cached_cluster_size():
    state, ms, rs = cluster(3)
    me, b, c = ms
    state.size = 5  # as computed by the last update_state
    b.flags |= NODE_PFAIL
    assert not process_gossip_failure_report(state, c, b, NODE_PFAIL, T0)  # 2 < 3


# -- FAIL messages ----------------------------------------------------------------------------------


def test_fail_message_sets_fail_without_checks():
    state, ms, rs = cluster(3)
    b = ms[1]
    b.flags |= NODE_PFAIL
    effects = process_fail_message(state, ms[2], b.name.encode(), T0)
    assert effects == Effects(update_state=True, save_config=True)
    assert visible(b) == NODE_MASTER | NODE_FAIL and b.fail_time == T0
    assert not process_fail_message(state, ms[2], b.name, T0 + 5)  # already FAIL
    assert b.fail_time == T0


def test_fail_message_ignored_from_unknown_sender_about_myself_or_unknown_nodes():
    state, ms, rs = cluster(3)
    assert not process_fail_message(state, None, ms[1].name, T0)
    assert not process_fail_message(state, ms[1], state.myself.name, T0)
    assert not process_fail_message(state, ms[1], "z" * 40, T0)
    assert not ms[1].flags & NODE_FAIL and not state.myself.flags & NODE_FAIL


# -- coming back ------------------------------------------------------------------------------------


def test_pong_clears_pfail():
    state, ms, rs = cluster(3)
    b = ms[1]
    b.flags |= NODE_PFAIL
    b.ping_sent = T0
    assert pong_received(state, b, T0 + 10) == Effects(update_state=True, save_config=True)
    assert visible(b) == NODE_MASTER and b.ping_sent == 0 and b.pong_received == T0 + 10


def test_pong_clears_fail_of_a_replica_or_an_empty_master():
    state, ms, rs = cluster(3)
    replica = rs[1]
    replica.flags |= NODE_FAIL
    assert pong_received(state, replica, T0).update_state
    assert not replica.flags & NODE_FAIL
    empty = NodeInfo("e" * 40, NODE_MASTER | NODE_FAIL)
    state.add_node(empty)
    assert clear_node_failure_if_needed(state, empty, T0).update_state
    assert visible(empty) == NODE_MASTER


def test_fail_of_a_master_with_slots_is_undone_only_after_twice_the_timeout():
    state, ms, rs = cluster(3)
    me, b, c = ms
    b.flags |= NODE_PFAIL
    process_gossip_failure_report(state, c, b, NODE_PFAIL, T0)
    assert b.flags & NODE_FAIL
    assert not pong_received(state, b, T0 + 2 * TIMEOUT)  # too early: still FAIL
    assert b.flags & NODE_FAIL
    assert pong_received(state, b, T0 + 2 * TIMEOUT + 1).update_state
    assert visible(b) == NODE_MASTER


def test_a_failed_over_master_stays_fail_until_it_has_no_slots():
    state, ms, rs = cluster(3)
    me, b, c = ms
    b.flags |= NODE_FAIL
    b.fail_time = T0
    # its replica took the slots over
    state.set_as_master(rs[1])
    for slot in state.slots_of(b):
        state.del_slot(slot)
        state.add_slot(rs[1], slot)
    assert pong_received(state, b, T0 + 1).update_state  # a master without slots: cleared now
    assert not b.flags & NODE_FAIL


# -- a whole scenario: partition, FAIL, cluster state, recovery ------------------------------------------


def test_scenario_master_partitioned_away_and_back():
    state, ms, rs = cluster(3)
    me, b, c = ms
    effects = Effects()
    steps = [
        (T0, lambda now: setattr(b, "ping_sent", now) or Effects()),
        (T0 + 500, lambda now: mark_timed_out_nodes(state, now)),
        (T0 + 1001, lambda now: mark_timed_out_nodes(state, now)),
        (T0 + 1100, lambda now: process_gossip_failure_report(state, rs[2], b, NODE_PFAIL, now)),
        (T0 + 1200, lambda now: process_gossip_failure_report(state, c, b, NODE_PFAIL, now)),
    ]
    seen = []
    for now, step in steps:
        result = step(now)
        effects.merge(result)
        if result.update_state:
            state.update_state(now)
        seen.append((now, b.flags & (NODE_PFAIL | NODE_FAIL), state.ok))
    assert seen == [
        (T0, 0, True),
        (T0 + 500, 0, True),
        (T0 + 1001, NODE_PFAIL, True),  # 2 of 3 masters reachable: still ok
        (T0 + 1100, NODE_PFAIL, True),  # a replica's report does not count
        (T0 + 1200, NODE_FAIL, False),  # quorum: FAIL; its slots are a hole
    ]
    assert effects.broadcast_fail == [b]
    assert "cluster_slots_fail:5461" in state.info_text()
    # it answers again long after: FAIL undone, coverage back, state ok (no minority, no wait)
    later = T0 + 1200 + 2 * TIMEOUT + 1
    assert pong_received(state, b, later).update_state
    assert state.update_state(later) and state.ok
