"""cluster/gossip.py: message processing, message building and the cron, with a fake clock.

``Sim`` replays whole scenarios without sockets: each simulated node has a ClusterState and
a table of outbound links; a message sent on A's outbound link to B is processed by B as an
inbound message, and B's replies come back on that link to A (processed as outbound). The
clock only moves when the test says so.
"""

from __future__ import annotations

import random

import pytest

from bus.codec import decode, encode
from bus.messages import (
    Fail,
    Gossip,
    Header,
    HostnameExt,
    Meet,
    Ping,
    Pong,
    Publish,
    Update,
    slot_bitmap,
)
from cluster import gossip
from cluster.gossip import Effects, LinkFacts, LinkState
from cluster.state import (
    NODE_FAIL,
    NODE_HANDSHAKE,
    NODE_MASTER,
    NODE_MEET,
    NODE_MYSELF,
    NODE_NOADDR,
    NODE_PFAIL,
    NODE_SLAVE,
    ClusterOptions,
    ClusterState,
    NodeInfo,
)

T0 = 1_700_000_000_000
NODE_TIMEOUT = 1000


# ------------------------------------------------------------------------------ simulator


class SimNode:
    def __init__(self, sim: "Sim", name: str, ip: str, port: int):
        self.sim = sim
        self.state = ClusterState.new(name, port=port, options=ClusterOptions(node_timeout=NODE_TIMEOUT), now=sim.now)
        self.ip = ip  # the address others reach it at; its own state learns it via MEET
        self.alive = True
        self.links: dict[NodeInfo, LinkState] = {}
        self.iteration = 0
        self.saves = 0
        self.fsyncs = 0
        self.delivered: list[tuple[bytes, bytes, bool]] = []

    @property
    def name(self) -> str:
        return self.state.myself.name

    @property
    def cport(self) -> int:
        return self.state.myself.cport

    def peer(self, node: NodeInfo) -> "SimNode | None":
        target = self.sim.by_addr.get((node.ip, node.cport))
        return target if target is not None and target.alive else None

    def apply(self, fx: Effects, via: tuple["SimNode", NodeInfo | None] | None = None) -> None:
        """Apply effects. ``via``: (the other end, our outbound node or None) of the link the
        message came on, for replies and drop_link."""
        if fx.save_config:
            self.saves += 1
            self.fsyncs += fx.fsync
        if fx.update_state:
            self.state.update_state(self.sim.now)
        for node in fx.deleted + fx.free_links:
            self.links.pop(node, None)
        if fx.drop_link and via is not None and via[1] is not None:
            self.links.pop(via[1], None)
        for channel, message, shard in fx.publish:
            self.delivered.append((channel, message, shard))
        if via is not None and via[1] is None and not fx.drop_link:
            # A reply on an inbound link reaches the other end on its outbound link to us.
            other = via[0]
            out_node = next((n for n in other.links if (n.ip, n.cport) == (self.ip, self.cport)), None)
            for msg in fx.replies:
                if out_node is not None:
                    self.sim.transmit(self, other, msg, reply_to_out_node=out_node)
        for node, msg in fx.sends:
            self.send(node, msg)
        for msg in fx.broadcasts:
            for node in list(self.links):
                if not node.in_handshake:
                    self.send(node, msg)
        if fx.broadcast_pong:
            self.broadcast_pong()

    def send(self, node: NodeInfo, msg) -> None:
        if node not in self.links:
            return
        target = self.peer(node)
        if target is None:
            return
        self.sim.transmit(self, target, msg, sender_out_node=node)

    def broadcast_pong(self) -> None:
        for node in list(self.links):
            if not node.in_handshake and node.name in self.state.nodes:
                self.send(node, gossip.build_ping(self.state, Pong, self.sim.now, target=node, linked=self.links,
                                                  rng=self.sim.rng))

    def cron(self) -> None:
        now = self.sim.now
        actions = gossip.cron_actions(self.state, now, self.links, iteration=self.iteration, rng=self.sim.rng)
        self.iteration += 1
        for node in actions.free_links:
            self.links.pop(node, None)
        self.apply(actions.effects)
        for node in actions.ping:
            if node in self.links and node.name in self.state.nodes:
                self.send(node, gossip.build_ping(self.state, Ping, now, target=node, linked=self.links,
                                                  rng=self.sim.rng))
        for node in actions.connect:
            if node.name not in self.state.nodes or node in self.links:
                continue
            target = self.peer(node)
            if target is None:
                gossip.dial_failed(self.state, node, now)
                continue
            self.links[node] = LinkState(now)
            msg = gossip.link_connected(self.state, node, now, linked=self.links, rng=self.sim.rng)
            self.sim.transmit(self, target, msg, sender_out_node=node)


class Sim:
    def __init__(self, count: int, seed: int = 7):
        self.now = T0
        self.rng = random.Random(seed)
        self.nodes: list[SimNode] = []
        self.by_addr: dict[tuple[str, int], SimNode] = {}
        for index in range(count):
            name = f"{chr(ord('a') + index)}" * 40  # a... < b... < c...: collisions are predictable
            node = SimNode(self, name, "10.0.0.%d" % (index + 1), 7000 + index)
            self.nodes.append(node)
            self.by_addr[(node.ip, node.cport)] = node
        self.frames = 0

    def transmit(self, src: SimNode, dst: SimNode, msg, *, sender_out_node=None, reply_to_out_node=None) -> None:
        """``msg`` travels from src to dst. If it went on src's outbound link
        (``sender_out_node``), dst reads it on an inbound link and replies on it; if it is a
        reply (``reply_to_out_node``: dst's outbound node), dst reads it on that outbound link."""
        if not dst.alive or not src.alive:
            return
        msg = decode(encode(msg))  # every simulated frame really goes through the codec
        self.frames += 1
        assert self.frames < 100_000, "message storm"
        if reply_to_out_node is not None:
            if reply_to_out_node not in dst.links:
                return  # link dropped meanwhile
            facts = LinkFacts(node=reply_to_out_node, local_ip=dst.ip, peer_ip=src.ip)
            fx = gossip.process_message(dst.state, msg, facts, self.now, linked=dst.links, rng=self.rng)
            dst.apply(fx, via=(src, reply_to_out_node))
        else:
            facts = LinkFacts(node=None, local_ip=dst.ip, peer_ip=src.ip)
            fx = gossip.process_message(dst.state, msg, facts, self.now, linked=dst.links, rng=self.rng)
            dst.apply(fx, via=(src, None))

    def advance(self, ms: int, step: int = 100) -> None:
        for _ in range(ms // step):
            self.now += step
            for node in self.nodes:
                if node.alive:
                    node.cron()

    def run_until(self, predicate, limit_ms: int = 20_000) -> int:
        start = self.now
        while not predicate():
            assert self.now - start < limit_ms, "condition not reached"
            self.advance(100)
        return self.now - start

    def meet(self, a: SimNode, b: SimNode) -> None:
        gossip.start_handshake(a.state, b.ip, b.state.myself.port, b.cport, self.now)

    def converged(self) -> bool:
        names = {node.name for node in self.nodes if node.alive}
        for node in self.nodes:
            if not node.alive:
                continue
            known = {n.name for n in node.state.nodes.values() if not n.flags & (NODE_FAIL | NODE_PFAIL)}
            if not names <= known or any(n.in_handshake for n in node.state.nodes.values()):
                return False
            if any(n.name in names and n is not node.state.myself and n not in node.links
                   for n in node.state.nodes.values()):
                return False
        return True


def form_cluster(count: int = 3, seed: int = 7) -> Sim:
    sim = Sim(count, seed)
    first = sim.nodes[0]
    for other in sim.nodes[1:]:
        sim.meet(first, other)
    sim.run_until(sim.converged, limit_ms=10_000)
    return sim


def assign_slots(sim: Sim) -> None:
    """Spread the 16384 slots over the masters with epochs 1..N, then let the bus spread it."""
    count = len(sim.nodes)
    per = 16384 // count
    for index, node in enumerate(sim.nodes):
        state = node.state
        last = 16383 if index == count - 1 else (index + 1) * per - 1
        state.add_slots(state.myself, range(index * per, last + 1))
        state.myself.config_epoch = index + 1
        state.current_epoch = max(state.current_epoch, index + 1)
    for node in sim.nodes:
        node.broadcast_pong()


# ------------------------------------------------------------------------------ scenarios


def test_three_nodes_form_a_cluster_by_meet():
    sim = Sim(3)
    a, b, c = sim.nodes
    sim.meet(a, b)
    sim.meet(a, c)
    assert [n.flags for n in a.state.nodes.values() if n is not a.state.myself] == [NODE_HANDSHAKE | NODE_MEET] * 2
    elapsed = sim.run_until(sim.converged, limit_ms=5_000)
    assert elapsed <= 2_000
    for node in sim.nodes:
        assert set(node.state.nodes) == {a.name, b.name, c.name}
        for other in node.state.nodes.values():
            assert other.flags & NODE_MASTER
            assert not other.flags & (NODE_HANDSHAKE | NODE_MEET | NODE_NOADDR)
        # Each learned its own IP from a MEET or a PING's local address.
        assert node.state.myself.ip == node.ip
    # b and c never met directly: they learned each other from a's gossip.
    assert b.state.nodes[c.name].ip == c.ip and b.state.nodes[c.name].cport == c.cport
    assert a.saves and b.saves


def test_a_dead_node_goes_pfail_then_fail_and_the_cluster_fails_when_coverage_is_lost():
    sim = form_cluster(3)
    a, b, c = sim.nodes
    assign_slots(sim)
    sim.run_until(lambda: all(n.state.slot_counts()[0] == 16384 for n in sim.nodes))
    sim.run_until(lambda: all(n.state.ok for n in sim.nodes), limit_ms=5_000)
    assert all(n.state.size == 3 for n in sim.nodes)

    c.alive = False
    died = sim.now
    sim.run_until(lambda: a.state.nodes[c.name].flags & (NODE_PFAIL | NODE_FAIL)
                  and b.state.nodes[c.name].flags & (NODE_PFAIL | NODE_FAIL))
    pfail_after = sim.now - died
    assert pfail_after > NODE_TIMEOUT  # never before node_timeout
    sim.run_until(lambda: a.state.nodes[c.name].flags & NODE_FAIL and b.state.nodes[c.name].flags & NODE_FAIL,
                  limit_ms=5_000)
    for node in (a, b):
        assert not node.state.nodes[c.name].flags & NODE_PFAIL
        assert not node.state.ok
        assert "cluster_state:fail" in node.state.info_text()
        assert node.state.slot_counts()[3] == 16384 - 2 * (16384 // 3)
    assert a.fsyncs or a.saves  # FAIL is persisted


def test_fail_report_needs_a_majority_of_masters():
    sim = form_cluster(3)
    a, b, c = sim.nodes
    assign_slots(sim)
    sim.run_until(lambda: all(n.state.ok for n in sim.nodes), limit_ms=5_000)
    node_c = a.state.nodes[c.name]
    # a alone suspects c: PFAIL, but no FAIL without b's report.
    node_c.flags |= NODE_PFAIL
    assert gossip.failure.mark_failing_if_needed(a.state, node_c, sim.now).broadcast_fail == []
    # b's gossip flags c PFAIL: 2 of 3 masters -> FAIL and a FAIL broadcast.
    ping = Ping(gossip.build_header(b.state), (Gossip(c.name, ip=c.ip, port=7002, cport=c.cport,
                                                       flags=NODE_MASTER | NODE_PFAIL),))
    fx = gossip.process_message(a.state, ping, LinkFacts(local_ip=a.ip, peer_ip=b.ip), sim.now)
    assert node_c.flags & NODE_FAIL
    assert [m.nodename for m in fx.broadcasts if isinstance(m, Fail)] == [c.name]
    assert fx.save_config and fx.update_state


def test_config_epoch_collision_is_resolved_by_the_smaller_name():
    sim = form_cluster(3)
    a, b, c = sim.nodes
    for node in (a, b):
        node.state.myself.config_epoch = 4
        node.state.current_epoch = 4
    a.broadcast_pong()
    b.broadcast_pong()
    sim.advance(1000)
    # a's name (aaaa...) is smaller than b's: a takes currentEpoch + 1.
    assert a.state.myself.config_epoch == 5 and b.state.myself.config_epoch == 4
    assert a.fsyncs >= 1
    sim.advance(2000)
    epochs = {node.name: node.state.myself.config_epoch for node in sim.nodes}
    for node in sim.nodes:
        for name, epoch in epochs.items():
            assert node.state.nodes[name].config_epoch == epoch
        assert node.state.current_epoch == 5


def test_collision_rules_directly():
    state = ClusterState.new("b" * 40)
    other = NodeInfo("a" * 40, NODE_MASTER)
    state.add_node(other)
    state.myself.config_epoch = other.config_epoch = 3
    state.current_epoch = 3
    assert not gossip.handle_config_epoch_collision(state, other)  # the other one is smaller: it acts
    bigger = NodeInfo("c" * 40, NODE_MASTER, config_epoch=3)
    state.add_node(bigger)
    fx = gossip.handle_config_epoch_collision(state, bigger)
    assert fx.save_config and fx.fsync and state.myself.config_epoch == 4 == state.current_epoch


def test_stale_slot_claim_gets_an_update_and_update_rebinds():
    sim = form_cluster(3)
    a, b, c = sim.nodes
    assign_slots(sim)
    sim.run_until(lambda: all(n.state.slot_counts()[0] == 16384 for n in sim.nodes))
    # a takes slot 6000 (b's) with a larger epoch; c learns it, b does not (yet).
    a.state.del_slot(6000)
    a.state.add_slot(a.state.myself, 6000)
    a.state.myself.config_epoch = 10
    a.state.current_epoch = 10
    pong = gossip.build_ping(a.state, Pong, sim.now, target=None)
    fx = gossip.process_message(c.state, pong, LinkFacts(local_ip=c.ip, peer_ip=a.ip), sim.now)
    assert c.state.slots[6000] is c.state.nodes[a.name] and fx.fsync
    # b still claims 6000 with epoch 2: c answers with an UPDATE about a.
    ping = gossip.build_ping(b.state, Ping, sim.now, target=None)
    fx = gossip.process_message(c.state, ping, LinkFacts(local_ip=c.ip, peer_ip=b.ip), sim.now)
    updates = [(node.name, msg) for node, msg in fx.sends if isinstance(msg, Update)]
    assert len(updates) == 1
    target, update = updates[0]
    assert target == b.name and update.nodename == a.name and update.config_epoch == 10
    assert c.state.slots[6000] is c.state.nodes[a.name]  # the stale claim changed nothing
    # b processes the UPDATE: slot 6000 moves to a, b keeps the rest.
    fx = gossip.process_message(b.state, decode(encode(update)), LinkFacts(node=b.state.nodes[c.name]), sim.now)
    assert b.state.slots[6000] is b.state.nodes[a.name]
    assert b.state.nodes[a.name].config_epoch == 10
    assert fx.lost_slots == [6000] and fx.fsync and fx.new_master is None
    # An UPDATE that is not newer is ignored.
    assert not gossip.process_message(b.state, update, LinkFacts(node=b.state.nodes[c.name]), sim.now)


def test_losing_every_slot_makes_me_a_replica_of_the_claimer():
    state = ClusterState.new("b" * 40)
    state.add_slots(state.myself, range(0, 10))
    state.myself.config_epoch = 1
    other = NodeInfo("a" * 40, NODE_MASTER, ip="10.0.0.1", port=7000, cport=17000, config_epoch=1)
    state.add_node(other)
    update = Update(Header("c" * 40), 5, other.name, slot_bitmap([(0, 9)]))
    # from an unknown sender: ignored
    assert not gossip.process_message(state, update, LinkFacts(), T0)
    state.add_node(NodeInfo("c" * 40, NODE_MASTER))
    fx = gossip.process_message(state, update, LinkFacts(), T0)
    assert fx.new_master is other and state.myself.is_replica and state.myself.master is other
    assert state.slots[0] is other and state.myself.num_slots == 0


# ------------------------------------------------------------------------------ handshake


def test_meet_creates_a_handshake_node_and_learns_my_ip():
    state = ClusterState.new("b" * 40, port=7001)
    meet = Meet(Header("a" * 40, port=7000, cport=17000, flags=NODE_MYSELF | NODE_MASTER))
    fx = gossip.process_message(state, meet, LinkFacts(local_ip="10.0.0.2", peer_ip="10.0.0.1"), T0)
    assert state.myself.ip == "10.0.0.2"
    [node] = [n for n in state.nodes.values() if n is not state.myself]
    assert node.name != "a" * 40 and node.flags == NODE_HANDSHAKE
    assert (node.ip, node.port, node.cport) == ("10.0.0.1", 7000, 17000)
    [reply] = fx.replies
    assert isinstance(reply, Pong) and reply.header.sender == "b" * 40 and fx.save_config
    # announce-ip set: the socket address is not used; a known sender gets no new node.
    state2 = ClusterState.new("c" * 40, ip="1.2.3.4")
    fx = gossip.process_message(state2, meet, LinkFacts(local_ip="10.0.0.2", peer_ip="10.0.0.1"), T0,
                                announce_ip="1.2.3.4")
    assert state2.myself.ip == "1.2.3.4" and fx.replies[0].header.myip == "1.2.3.4"


def test_pong_completes_handshake_or_drops_a_duplicate():
    state = ClusterState.new("a" * 40)
    temp = gossip.start_handshake(state, "10.0.0.2", 7001, 17001, T0)
    assert gossip.start_handshake(state, "10.0.0.2", 7001, 17001, T0) is None  # in progress
    first = gossip.link_connected(state, temp, T0)
    assert isinstance(first, Meet) and not temp.flags & NODE_MEET and temp.ping_sent == 0
    pong = Pong(Header("b" * 40, port=7001, cport=17001, flags=NODE_MYSELF | NODE_MASTER))
    fx = gossip.process_message(state, pong, LinkFacts(node=temp), T0 + 5)
    assert fx.renamed == [(fx.renamed[0][0], "b" * 40)]
    assert state.nodes["b" * 40] is temp and temp.flags == NODE_MASTER and temp.pong_received == T0 + 5
    # A second handshake node for an already known id is deleted and its link dropped.
    dup = gossip.start_handshake(state, "10.0.0.9", 7001, 17001, T0)
    fx = gossip.process_message(state, pong, LinkFacts(node=dup), T0 + 6)
    assert fx.drop_link and fx.deleted == [dup] and dup.name not in state.nodes


def test_pong_with_another_id_on_an_established_link_marks_noaddr():
    state = ClusterState.new("a" * 40)
    node = NodeInfo("b" * 40, NODE_MASTER, ip="10.0.0.2", port=7001, cport=17001)
    state.add_node(node)
    pong = Pong(Header("c" * 40, port=7001, cport=17001, flags=NODE_MYSELF | NODE_MASTER))
    fx = gossip.process_message(state, pong, LinkFacts(node=node), T0)
    assert fx.drop_link and node.flags & NODE_NOADDR and node.ip == "" and node.port == 0


def test_handshake_times_out_after_max_node_timeout_and_one_second():
    state = ClusterState.new("a" * 40, options=ClusterOptions(node_timeout=200))
    temp = gossip.start_handshake(state, "10.0.0.2", 7001, 17001, T0)
    assert gossip.cron_actions(state, T0 + 1000, {}).connect == [temp]
    actions = gossip.cron_actions(state, T0 + 1001, {temp: LinkState(T0)})
    assert actions.effects.deleted == [temp] and actions.free_links == [temp]
    assert temp.name not in state.nodes


def test_gossip_adds_unknown_nodes_only_from_known_senders_and_not_banned():
    state = ClusterState.new("a" * 40)
    entries = (Gossip("d" * 40, ip="10.0.0.4", port=7003, cport=17003, flags=NODE_MASTER),
               Gossip("e" * 40, ip="10.0.0.5", port=7004, cport=17004, flags=NODE_MASTER),
               Gossip("f" * 40, ip="", flags=NODE_NOADDR))
    ping = Ping(Header("b" * 40, port=7001, cport=17001, flags=NODE_MYSELF | NODE_MASTER), entries)
    gossip.process_message(state, ping, LinkFacts(local_ip="10.0.0.1", peer_ip="10.0.0.2"), T0)
    assert set(state.nodes) == {"a" * 40}  # unknown sender
    state.add_node(NodeInfo("b" * 40, NODE_MASTER, ip="10.0.0.2", port=7001, cport=17001))
    state.blacklist_add("e" * 40, T0)
    fx = gossip.process_message(state, ping, LinkFacts(local_ip="10.0.0.1", peer_ip="10.0.0.2"), T0)
    assert set(state.nodes) == {"a" * 40, "b" * 40, "d" * 40}
    assert state.nodes["d" * 40].flags == 0 and state.nodes["d" * 40].cport == 17003 and fx.save_config
    assert isinstance(fx.replies[0], Pong)


def test_gossiped_pong_time_is_adopted_only_when_healthy_and_not_from_the_future():
    state = ClusterState.new("a" * 40)
    sender = NodeInfo("b" * 40, NODE_MASTER, ip="10.0.0.2", port=7001, cport=17001)
    other = NodeInfo("c" * 40, NODE_MASTER, ip="10.0.0.3", port=7002, cport=17002)
    state.add_node(sender)
    state.add_node(other)
    now = T0 + 10_000

    def gossip_pong(seconds, flags=NODE_MASTER):
        msg = Ping(Header("b" * 40, port=7001, cport=17001, flags=NODE_MYSELF | NODE_MASTER),
                   (Gossip(other.name, pong_received=seconds, ip=other.ip, port=7002, cport=17002, flags=flags),))
        gossip.process_message(state, msg, LinkFacts(local_ip="10.0.0.1", peer_ip="10.0.0.2"), now)

    gossip_pong(now // 1000 + 5)  # too far in the future
    assert other.pong_received == 0
    gossip_pong(now // 1000 - 1)
    assert other.pong_received == (now // 1000 - 1) * 1000
    other.ping_sent = now - 10  # a ping outstanding: keep our own view
    gossip_pong(now // 1000)
    assert other.pong_received == (now // 1000 - 1) * 1000


def test_fail_message_and_publish_from_known_senders_only():
    state = ClusterState.new("a" * 40)
    victim = NodeInfo("c" * 40, NODE_MASTER | NODE_PFAIL)
    state.add_node(victim)
    fail = Fail(Header("b" * 40), victim.name)
    publish = Publish(Header("b" * 40), b"chan", b"hello")
    assert not gossip.process_message(state, fail, LinkFacts(), T0)
    assert not gossip.process_message(state, publish, LinkFacts(), T0)
    state.add_node(NodeInfo("b" * 40, NODE_MASTER))
    fx = gossip.process_message(state, fail, LinkFacts(), T0)
    assert victim.flags & NODE_FAIL and not victim.flags & NODE_PFAIL and fx.save_config
    assert gossip.process_message(state, publish, LinkFacts(), T0).publish == [(b"chan", b"hello", False)]


def test_sim_publish_reaches_every_other_node():
    sim = form_cluster(3)
    a, b, c = sim.nodes
    msg = gossip.build_publish(a.state, b"news", b"hi")
    for node in list(a.links):
        a.send(node, msg)
    assert b.delivered == [(b"news", b"hi", False)] and c.delivered == [(b"news", b"hi", False)]


# ------------------------------------------------------------------------------ building


def _state_with(count: int, *, pfail: int = 0, handshake: int = 0) -> ClusterState:
    state = ClusterState.new("0" * 40, ip="10.0.0.1", port=7000)
    for index in range(1, count):
        flags = NODE_MASTER
        if index <= pfail:
            flags |= NODE_PFAIL
        elif index <= pfail + handshake:
            flags = NODE_HANDSHAKE
        node = NodeInfo(f"{index:040x}", flags, ip=f"10.0.1.{index}", port=7000 + index, cport=17000 + index)
        node.link_connected = True
        state.add_node(node)
    return state


@pytest.mark.parametrize("count, wanted", [(2, 0), (3, 1), (5, 3), (30, 3), (45, 4), (100, 10)])
def test_gossip_count_is_a_tenth_at_least_3_at_most_n_minus_2(count, wanted):
    state = _state_with(count)
    msg = gossip.build_ping(state, Ping, T0, target=None, rng=random.Random(1))
    assert len(msg.gossip) == wanted
    assert state.myself.name not in {g.nodename for g in msg.gossip}
    assert len({g.nodename for g in msg.gossip}) == wanted


def test_every_pfail_node_is_appended_and_handshake_nodes_skipped():
    state = _state_with(20, pfail=4, handshake=3)
    msg = gossip.build_ping(state, Ping, T0, target=None, rng=random.Random(2))
    names = [g.nodename for g in msg.gossip]
    pfail = [g.nodename for g in msg.gossip if g.flags & NODE_PFAIL]
    assert sorted(pfail) == sorted(f"{i:040x}" for i in range(1, 5)) and names[-4:] == pfail
    assert len(names) == 3 + 4
    assert not any(g.flags & NODE_HANDSHAKE for g in msg.gossip)


def test_nodes_without_link_and_without_slots_are_not_gossiped():
    state = _state_with(6)
    for node in state.nodes.values():
        node.link_connected = False
    msg = gossip.build_ping(state, Ping, T0, target=None)
    assert msg.gossip == ()
    state.add_slots(state.nodes[f"{1:040x}"], [5])
    msg = gossip.build_ping(state, Ping, T0, target=None)
    assert [g.nodename for g in msg.gossip] == [f"{1:040x}"]


def test_header_carries_my_masters_slots_and_epoch_and_hostname_only_when_set():
    state = ClusterState.new("a" * 40, port=7000, cport=17000)
    master = NodeInfo("b" * 40, NODE_MASTER, config_epoch=7)
    state.add_node(master)
    state.add_slots(master, range(0, 3))
    state.set_replica_of(state.myself, master)
    state.myself.repl_offset = 1234
    target = NodeInfo("c" * 40, NODE_MASTER)
    state.add_node(target)
    msg = gossip.build_ping(state, Ping, T0, target=target)
    hdr = msg.header
    assert hdr.slaveof == "b" * 40 and hdr.config_epoch == 7 and hdr.myslots == slot_bitmap([(0, 2)])
    assert hdr.flags == NODE_MYSELF | NODE_SLAVE and hdr.port == 7000 and hdr.cport == 17000 and hdr.offset == 1234
    assert hdr.myip == "" and msg.extensions == () and target.ping_sent == T0
    state.myself.hostname = "host-a"
    assert gossip.build_ping(state, Pong, T0, target=None).extensions == (HostnameExt("host-a"),)


def test_hostname_extension_is_applied_and_cleared():
    state = ClusterState.new("a" * 40)
    sender = NodeInfo("b" * 40, NODE_MASTER)
    state.add_node(sender)
    header = Header("b" * 40, flags=NODE_MYSELF | NODE_MASTER)
    gossip.process_message(state, Ping(header, (), (HostnameExt("bee"),)), LinkFacts(), T0)
    assert sender.hostname == "bee"
    gossip.process_message(state, Ping(header), LinkFacts(), T0)
    assert sender.hostname == ""


def test_role_switch_from_header():
    state = ClusterState.new("a" * 40)
    master = NodeInfo("c" * 40, NODE_MASTER)
    sender = NodeInfo("b" * 40, NODE_MASTER)
    state.add_node(master)
    state.add_node(sender)
    state.add_slots(sender, [1, 2])
    header = Header("b" * 40, flags=NODE_MYSELF | NODE_SLAVE, slaveof="c" * 40)
    gossip.process_message(state, Ping(header), LinkFacts(), T0)
    assert sender.is_replica and sender.master is master and sender.num_slots == 0
    gossip.process_message(state, Ping(Header("b" * 40, flags=NODE_MYSELF | NODE_MASTER)), LinkFacts(), T0)
    assert sender.is_master and sender.master is None


# ------------------------------------------------------------------------------ cron


def test_cron_pings_old_pongs_and_one_random_node_and_marks_pfail():
    state = ClusterState.new("a" * 40, options=ClusterOptions(node_timeout=1000))
    nodes = [NodeInfo(f"{i:040x}", NODE_MASTER, ip="10.0.0.9", cport=17000 + i) for i in range(1, 4)]
    links = {}
    for node in nodes:
        state.add_node(node)
        node.pong_received = T0
        links[node] = LinkState(T0)
    nodes[0].pong_received = T0 - 600  # older than node_timeout/2
    actions = gossip.cron_actions(state, T0, links, iteration=1)
    assert actions.ping == [nodes[0]] and actions.connect == []
    # Once a second (every 10th tick): of 5 random nodes, the one with the oldest pong; never twice.
    actions = gossip.cron_actions(state, T0, links, iteration=10, rng=random.Random(3))
    assert actions.ping == [nodes[0]]
    nodes[0].pong_received = T0
    assert gossip.cron_actions(state, T0, links, iteration=1).ping == []
    assert len(gossip.cron_actions(state, T0, links, iteration=20).ping) == 1
    # A ping outstanding for more than node_timeout -> PFAIL (not before).
    state.size = 3
    nodes[1].ping_sent = T0
    nodes[1].data_received = T0 + 1
    gossip.cron_actions(state, T0 + 1001, links, iteration=1)
    assert not nodes[1].flags & NODE_PFAIL
    actions = gossip.cron_actions(state, T0 + 1002, links, iteration=1)
    assert nodes[1].flags == NODE_MASTER | NODE_PFAIL and actions.effects.update_state
    assert not actions.effects.broadcasts
    # With one master serving slots (size 1), that master marks FAIL on its own and says so.
    state.size = 1
    nodes[1].flags = NODE_MASTER
    actions = gossip.cron_actions(state, T0 + 1002, links, iteration=1)
    assert nodes[1].flags == NODE_MASTER | NODE_FAIL
    assert [m.nodename for m in actions.effects.broadcasts] == [nodes[1].name]
    nodes[1].ping_sent = 0
    # A link created long ago whose ping is old and silent is freed (redialled next time).
    state.size = 3
    nodes[2].ping_sent = T0 + 400
    nodes[2].data_received = T0 + 400
    actions = gossip.cron_actions(state, T0 + 1001, links, iteration=1)
    assert nodes[2] in actions.free_links


def test_cron_connects_to_nodes_without_a_link_but_not_noaddr_or_myself():
    state = ClusterState.new("a" * 40)
    linked = NodeInfo("b" * 40, NODE_MASTER, ip="10.0.0.2", cport=17001)
    unlinked = NodeInfo("c" * 40, NODE_MASTER, ip="10.0.0.3", cport=17002)
    noaddr = NodeInfo("d" * 40, NODE_MASTER | NODE_NOADDR)
    for node in (linked, unlinked, noaddr):
        state.add_node(node)
    actions = gossip.cron_actions(state, T0, {linked: LinkState(T0)})
    assert actions.connect == [unlinked]
    gossip.dial_failed(state, unlinked, T0)
    assert unlinked.ping_sent == T0
    gossip.dial_failed(state, unlinked, T0 + 50)
    assert unlinked.ping_sent == T0  # an outstanding ping keeps its time


def test_meeting_myself_ends_in_nothing():
    sim = Sim(1)
    (a,) = sim.nodes
    sim.meet(a, a)
    sim.advance(500)
    assert list(a.state.nodes) == [a.name] and a.state.myself.flags == NODE_MYSELF | NODE_MASTER
    assert a.links == {}


def test_a_new_replica_is_seen_as_such_by_everyone():
    from cluster.commands_logic import set_my_master

    sim = Sim(3)
    a, b, c = sim.nodes
    sim.meet(a, b)
    sim.meet(a, c)
    sim.run_until(sim.converged, limit_ms=5_000)
    a.state.add_slots(a.state.myself, range(0, 16384))
    a.state.myself.config_epoch = 1
    a.broadcast_pong()
    sim.run_until(lambda: c.state.slot_counts()[0] == 16384 and b.state.slot_counts()[0] == 16384)
    set_my_master(c.state, c.state.nodes[a.name])
    c.broadcast_pong()
    for node in (a, b):
        seen = node.state.nodes[c.name]
        assert seen.is_replica and seen.master is node.state.nodes[a.name]
        assert seen in node.state.nodes[a.name].replicas
    hdr = gossip.build_header(c.state)
    assert hdr.slaveof == a.name and hdr.config_epoch == 1 and hdr.myslots == slot_bitmap([(0, 16383)])
    # The replica's header claims its master's slots: nobody rebinds them to the replica.
    sim.advance(1000)
    assert all(node.state.slots[0].name == a.name for node in sim.nodes)
    assert b.state.size == 1
