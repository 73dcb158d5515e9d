"""Failure detection: PFAIL -> FAIL and back, as pure functions of (state, event, now).

Redis 7.0 rules (cluster.c: clusterCron, clusterProcessGossipSection,
markNodeAsFailingIfNeeded, clearNodeFailureIfNeeded; CLUSTER.md section 4):

* PFAIL ("fail?"), this node's own opinion: a node we have an outstanding PING to gets PFAIL
  when min(now - ping_sent, now - data_received) > node_timeout. Myself, NOADDR and
  HANDSHAKE nodes are never judged. Any data received counts as liveness.
* Failure reports come only from *masters*, through gossip: an entry flagged PFAIL or FAIL
  adds (or refreshes) the sender's report on that node; an entry without those flags
  withdraws it. Reports about myself are ignored. A report is valid for node_timeout * 2.
* PFAIL -> FAIL when reports + (1 if I am a master) >= size // 2 + 1, where size is the
  cluster size as last computed by update_state (masters serving >= 1 slot). With size 1 a
  master marks FAIL on its own. The node then broadcasts FAIL (a replica does too: it only
  helps propagate an agreement reached by masters).
* A FAIL message from a known sender sets FAIL at once (no checks), unless the node is
  myself or already FAIL.
* When a PONG arrives on our link to a node: pong_received = now, no ping outstanding; PFAIL
  is simply cleared; FAIL is cleared for a replica or a master without slots, and for a
  master with slots only if it has been FAIL for more than node_timeout * 2 (nobody failed
  it over, so its slots would stay unserved otherwise).

Each function reports what the driver must do (:class:`Effects`): broadcast FAIL for some
nodes, recompute the cluster state, save nodes.conf.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cluster.state import (
    FAIL_UNDO_TIME_MULT,
    NODE_FAIL,
    NODE_HANDSHAKE,
    NODE_MASTER,
    NODE_MYSELF,
    NODE_NOADDR,
    NODE_PFAIL,
    NODE_SLAVE,
    ClusterState,
    NodeInfo,
)


@dataclass
class Effects:
    """What the driver does after a failure-detection step."""

    broadcast_fail: list[NodeInfo] = field(default_factory=list)  # send FAIL about each
    update_state: bool = False
    save_config: bool = False

    def merge(self, other: "Effects") -> "Effects":
        self.broadcast_fail.extend(other.broadcast_fail)
        self.update_state |= other.update_state
        self.save_config |= other.save_config
        return self

    def __bool__(self) -> bool:
        return bool(self.broadcast_fail or self.update_state or self.save_config)


def failure_quorum(state: ClusterState) -> int:
    """Votes needed to turn PFAIL into FAIL: size // 2 + 1."""
    return state.size // 2 + 1


def mark_timed_out_nodes(state: ClusterState, now: int) -> Effects:
    """The cron check: flag PFAIL every node whose PING has been outstanding (and whose link
    has been silent) for more than node_timeout."""
    timeout = state.options.node_timeout
    effects = Effects()
    for node in state.nodes.values():
        flags = node.flags
        if flags & (NODE_MYSELF | NODE_NOADDR | NODE_HANDSHAKE) or node.ping_sent == 0:
            continue
        delay = min(now - node.ping_sent, now - node.data_received)
        if delay > timeout and not flags & (NODE_PFAIL | NODE_FAIL):
            node.flags = flags | NODE_PFAIL
            effects.update_state = True
    return effects


def mark_failing_if_needed(state: ClusterState, node: NodeInfo, now: int) -> Effects:
    """PFAIL -> FAIL if the masters agree (``markNodeAsFailingIfNeeded``)."""
    if not node.flags & NODE_PFAIL or node.flags & NODE_FAIL:
        return Effects()
    votes = state.failure_report_count(node, now)
    if state.myself.flags & NODE_MASTER:
        votes += 1
    if votes < failure_quorum(state):
        return Effects()
    node.flags = (node.flags & ~NODE_PFAIL) | NODE_FAIL
    node.fail_time = now
    return Effects(broadcast_fail=[node], update_state=True, save_config=True)


def process_gossip_failure_report(
    state: ClusterState, sender: NodeInfo | None, node: NodeInfo, gossip_flags: int, now: int
) -> Effects:
    """One gossip entry about ``node`` (already known) from ``sender``: record or withdraw
    the sender's failure report (masters only), then check for a FAIL quorum."""
    if sender is None or not sender.flags & NODE_MASTER or node is state.myself:
        return Effects()
    if gossip_flags & (NODE_FAIL | NODE_PFAIL):
        state.add_failure_report(node, sender, now)
        return mark_failing_if_needed(state, node, now)
    state.del_failure_report(node, sender)
    return Effects()


def process_fail_message(state: ClusterState, sender: NodeInfo | None, failing_name: str | bytes, now: int) -> Effects:
    """A FAIL message: trust it if the sender is known."""
    if sender is None:
        return Effects()  # "Ignoring FAIL message from unknown node"
    failing = state.lookup(failing_name)
    if failing is None or failing.flags & (NODE_FAIL | NODE_MYSELF):
        return Effects()
    failing.flags = (failing.flags & ~NODE_PFAIL) | NODE_FAIL
    failing.fail_time = now
    return Effects(update_state=True, save_config=True)


def clear_node_failure_if_needed(state: ClusterState, node: NodeInfo, now: int) -> Effects:
    """A FAIL node is reachable again (``clearNodeFailureIfNeeded``)."""
    if not node.flags & NODE_FAIL:
        return Effects()
    if node.flags & NODE_SLAVE or node.num_slots == 0:
        node.flags &= ~NODE_FAIL
        return Effects(update_state=True, save_config=True)
    undo_after = state.options.node_timeout * FAIL_UNDO_TIME_MULT
    if node.flags & NODE_MASTER and node.num_slots > 0 and now - node.fail_time > undo_after:
        node.flags &= ~NODE_FAIL
        return Effects(update_state=True, save_config=True)
    return Effects()


def pong_received(state: ClusterState, node: NodeInfo, now: int) -> Effects:
    """A PONG arrived on our outbound link to ``node``."""
    node.pong_received = now
    node.ping_sent = 0
    if node.flags & NODE_PFAIL:
        node.flags &= ~NODE_PFAIL
        return Effects(update_state=True, save_config=True)
    if node.flags & NODE_FAIL:
        return clear_node_failure_if_needed(state, node, now)
    return Effects()


def data_received(node: NodeInfo, now: int) -> None:
    """Any frame from ``node`` proves it is alive (checked by :func:`mark_timed_out_nodes`)."""
    node.data_received = now
