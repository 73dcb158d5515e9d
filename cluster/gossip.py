"""The cluster bus logic as pure functions: what a received message does to the state, what
to send, and what the 100 ms cron does. No trio, no sockets, no clock of its own.

Everything here follows Redis 7.0.15's cluster.c (clusterProcessPacket,
clusterProcessGossipSection, clusterUpdateSlotsConfigWith, clusterHandleConfigEpochCollision,
clusterSendPing, clusterCron) and CLUSTER.md section 4. The transport (cluster/runtime.py)
only does I/O: it calls :func:`process_message` for every decoded frame with the facts of
the link it came on (:class:`LinkFacts`) and applies the returned :class:`Effects` in this
order: save nodes.conf (with fsync when asked) *before* sending anything, then free / drop
links, then replies, sends and broadcasts, then local deliveries.

Times are unix milliseconds (``now``); the gossip section carries seconds.
"""

from __future__ import annotations

import random as _random
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from bus.messages import (
    EMPTY_SLOTS,
    STATE_FAIL,
    STATE_OK,
    Fail,
    Gossip,
    GossipMessage,
    Header,
    HostnameExt,
    Meet,
    Message,
    Ping,
    Pong,
    Publish,
    PublishShard,
    Update,
    has_slot,
    iter_slots,
    slot_bitmap,
)
from cluster import failure
from cluster.commands_logic import set_my_master
from cluster.state import (
    NODE_FAIL,
    NODE_HANDSHAKE,
    NODE_MASTER,
    NODE_MEET,
    NODE_MIGRATE_TO,
    NODE_NOADDR,
    NODE_NOFAILOVER,
    NODE_PFAIL,
    NODE_SLAVE,
    ClusterState,
    NodeInfo,
    new_node_name,
)

HANDSHAKE_MIN_TIMEOUT = 1000  # a handshake is given max(node_timeout, 1 s)
RANDOM_PING_EVERY = 10  # cron iterations between the "ping one of 5 random nodes" rounds
RANDOM_PING_SAMPLE = 5
PONG_FUTURE_SLACK = 500  # gossiped pong_received values up to 500 ms in the future are accepted


# ------------------------------------------------------------------------------- effects


@dataclass
class LinkFacts:
    """What the transport knows about the link a message arrived on."""

    node: NodeInfo | None = None  # the node of an outbound link (None: inbound link)
    local_ip: str = ""  # our address on that socket (getsockname)
    peer_ip: str = ""  # the peer's address (getpeername)

    @property
    def inbound(self) -> bool:
        return self.node is None


@dataclass
class Effects:
    """What the driver does after a step, in field order (save before any send)."""

    save_config: bool = False
    fsync: bool = False
    update_state: bool = False
    drop_link: bool = False  # close the link the message came in on
    free_links: list[NodeInfo] = field(default_factory=list)  # close our outbound link to these
    deleted: list[NodeInfo] = field(default_factory=list)  # nodes removed from the state
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (temporary name, real name)
    replies: list[Message] = field(default_factory=list)  # on the link the message came in on
    sends: list[tuple[NodeInfo, Message]] = field(default_factory=list)  # on our link to a node
    broadcasts: list[Message] = field(default_factory=list)  # to every linked, non-handshake node
    broadcast_pong: bool = False  # a PONG (with gossip) to every linked node
    publish: list[tuple[bytes, bytes, bool]] = field(default_factory=list)  # (channel, message, shard)
    lost_slots: list[int] = field(default_factory=list)  # slots taken from myself: delete their keys
    new_master: NodeInfo | None = None  # myself just became a replica of this node
    logs: list[str] = field(default_factory=list)

    def merge(self, other: "Effects") -> "Effects":
        self.save_config |= other.save_config
        self.fsync |= other.fsync
        self.update_state |= other.update_state
        self.drop_link |= other.drop_link
        self.free_links.extend(other.free_links)
        self.deleted.extend(other.deleted)
        self.renamed.extend(other.renamed)
        self.replies.extend(other.replies)
        self.sends.extend(other.sends)
        self.broadcasts.extend(other.broadcasts)
        self.broadcast_pong |= other.broadcast_pong
        self.publish.extend(other.publish)
        self.lost_slots.extend(other.lost_slots)
        if other.new_master is not None:
            self.new_master = other.new_master
        self.logs.extend(other.logs)
        return self

    def __bool__(self) -> bool:
        """True when there is anything to do."""
        return bool(
            self.save_config or self.update_state or self.drop_link or self.free_links or self.deleted
            or self.renamed or self.replies or self.sends or self.broadcasts or self.broadcast_pong
            or self.publish or self.lost_slots or self.new_master is not None or self.logs
        )

    def save(self, fsync: bool = False) -> None:
        self.save_config = True
        self.fsync |= fsync


def _absorb_failure(state: ClusterState, fx: Effects, fe: failure.Effects, now: int) -> None:
    """Turn cluster/failure.py's effects into ours (FAIL broadcasts become messages)."""
    fx.update_state |= fe.update_state
    if fe.save_config:
        fx.save()
    for node in fe.broadcast_fail:
        fx.broadcasts.append(Fail(build_header(state), node.name))
        fx.logs.append(f"Marking node {node.name} as failing (quorum reached).")


# ------------------------------------------------------------------------------- building


def _master_of_myself(state: ClusterState) -> NodeInfo:
    myself = state.myself
    if myself.is_replica and myself.master is not None:
        return myself.master
    return myself


def slots_bitmap_of(state: ClusterState, node: NodeInfo) -> bytes:
    """``node``'s slots as a 2048-byte bitmap (Redis's ``node->slots``). Built from the
    state's cached slot runs and cached per topology version: every frame sent and received
    needs one, so this must not walk 16384 slots each time."""
    if node.num_slots == 0:
        return EMPTY_SLOTS
    cache = getattr(state, "_gossip_bitmaps", None)
    if cache is None or cache[0] != state.version:
        cache = (state.version, {})
        state._gossip_bitmaps = cache  # type: ignore[attr-defined]
    bitmap = cache[1].get(id(node))
    if bitmap is None:
        bitmap = slot_bitmap([(start, end) for start, end, owner in state.slot_runs() if owner is node])
        cache[1][id(node)] = bitmap
    return bitmap


def build_header(state: ClusterState, *, announce_ip: str | None = None) -> Header:
    """``clusterBuildMessageHdr``: my flags, ports and epochs; the slots and configEpoch of
    my master when I am a replica."""
    myself = state.myself
    master = _master_of_myself(state)
    return Header(
        sender=myself.name,
        port=myself.port,
        current_epoch=state.current_epoch,
        config_epoch=master.config_epoch,
        offset=myself.repl_offset,
        myslots=slots_bitmap_of(state, master),
        slaveof=myself.master.name if myself.is_replica and myself.master is not None else None,
        myip=announce_ip or "",
        pport=myself.pport,
        cport=myself.cport,
        flags=myself.flags & 0xFFFF,
        state=STATE_OK if state.ok else STATE_FAIL,
    )


def gossip_entry(node: NodeInfo) -> Gossip:
    return Gossip(
        nodename=node.name,
        ping_sent=node.ping_sent // 1000,
        pong_received=node.pong_received // 1000,
        ip=node.ip,
        port=node.port,
        cport=node.cport,
        flags=node.flags & 0xFFFF,
        pport=node.pport,
    )


def build_ping(
    state: ClusterState,
    kind: type[GossipMessage],
    now: int,
    *,
    target: NodeInfo | None,
    announce_ip: str | None = None,
    linked: Iterable[NodeInfo] | None = None,
    rng: _random.Random | None = None,
) -> GossipMessage:
    """A PING, PONG or MEET (``clusterSendPing``) for ``target`` (None: an inbound link).

    Gossip: floor(n/10) random entries, at least 3, at most n-2, skipping myself, HANDSHAKE
    and NOADDR nodes and nodes with no link and no slots; then every PFAIL node. ``linked``
    is the set of nodes we hold an outbound link to (default: ``link_connected``).
    Sending a PING to ``target`` sets its ``ping_sent`` (Redis does it here, too)."""
    rng = rng or _random
    nodes = state.nodes
    myself = state.myself
    linked_set = set(map(id, linked)) if linked is not None else None

    def has_link(node: NodeInfo) -> bool:
        return id(node) in linked_set if linked_set is not None else node.link_connected

    freshnodes = len(nodes) - 2
    wanted = max(len(nodes) // 10, 3)
    wanted = min(wanted, freshnodes)
    entries: list[Gossip] = []
    if wanted > 0:
        candidates = [
            node
            for node in nodes.values()
            if node is not myself
            and not node.flags & (NODE_PFAIL | NODE_HANDSHAKE | NODE_NOADDR)
            and (has_link(node) or node.num_slots)
        ]
        if len(candidates) > wanted:
            candidates = rng.sample(candidates, wanted)
        entries.extend(gossip_entry(node) for node in candidates)
    for node in nodes.values():
        if node.flags & NODE_PFAIL and not node.flags & (NODE_HANDSHAKE | NODE_NOADDR) and node is not myself:
            entries.append(gossip_entry(node))
    extensions = (HostnameExt(myself.hostname),) if myself.hostname else ()
    if target is not None and kind is Ping:
        target.ping_sent = now
    return kind(build_header(state, announce_ip=announce_ip), tuple(entries), extensions)


def build_update(state: ClusterState, node: NodeInfo) -> Update:
    """``clusterSendUpdate``: ``node``'s configEpoch and slots, without the slots it stopped
    claiming."""
    bits = bytearray(slots_bitmap_of(state, node))
    for slot, owner in state.owner_not_claiming.items():
        if state.slots[slot] is node and owner is node:
            bits[slot >> 3] &= ~(1 << (slot & 7)) & 0xFF
    return Update(build_header(state), node.config_epoch, node.name, bytes(bits))


def build_publish(state: ClusterState, channel: bytes, message: bytes, shard: bool = False) -> Message:
    cls = PublishShard if shard else Publish
    return cls(build_header(state), channel, message)


def shard_members(state: ClusterState) -> list[NodeInfo]:
    """The other nodes of my shard (my master and its replicas): SPUBLISH's audience."""
    master = _master_of_myself(state)
    members = [master, *master.replicas]
    return [node for node in members if node is not state.myself]


# ------------------------------------------------------------------------------- handshake


def handshake_in_progress(state: ClusterState, ip: str, port: int, cport: int) -> bool:
    return any(
        node.in_handshake and node.ip == ip and node.port == port and node.cport == cport
        for node in state.nodes.values()
    )


def start_handshake(state: ClusterState, ip: str, port: int, cport: int, now: int) -> NodeInfo | None:
    """CLUSTER MEET (``clusterStartHandshake``): a HANDSHAKE|MEET node with a random name, or
    None when a handshake with that address is already in progress."""
    if handshake_in_progress(state, ip, port, cport):
        return None
    node = NodeInfo(new_node_name(), NODE_HANDSHAKE | NODE_MEET, ip=ip, port=port, cport=cport, ctime=now)
    state.add_node(node)
    return node


def link_connected(state: ClusterState, node: NodeInfo, now: int, **build) -> GossipMessage:
    """Our outbound link to ``node`` is up (``clusterLinkConnectHandler``): the MEET or PING
    to send first. An outstanding ping keeps its original time; MEET is cleared."""
    old_ping_sent = node.ping_sent
    kind = Meet if node.flags & NODE_MEET else Ping
    message = build_ping(state, kind, now, target=node, **build)
    if old_ping_sent:
        node.ping_sent = old_ping_sent
    node.flags &= ~NODE_MEET
    return message


def dial_failed(state: ClusterState, node: NodeInfo, now: int) -> None:
    """Connecting to ``node`` failed: count it as a ping sent now (unless one is already
    outstanding), or failure detection could never judge a node that is down (Redis does
    this when connect() fails at once)."""
    if node.ping_sent == 0:
        node.ping_sent = now


# ------------------------------------------------------------------------------- slots


def _is_slot_unclaimed(state: ClusterState, slot: int) -> bool:
    """No owner, or an owner whose last header did not claim it (``isSlotUnclaimed``)."""
    owner = state.slots[slot]
    return owner is None or state.owner_not_claiming.get(slot) is owner


def update_slots_config_with(state: ClusterState, sender: NodeInfo, sender_config_epoch: int,
                             slots: bytes) -> Effects:
    """``clusterUpdateSlotsConfigWith``: rebind the slots ``sender`` claims when they are
    unassigned, unclaimed by their owner, or owned with a smaller configEpoch (slots we
    import are left alone). Losing my last slot makes me a replica of ``sender``."""
    fx = Effects()
    myself = state.myself
    if sender is myself:
        return fx
    curmaster = myself if myself.is_master else myself.master
    new_master = None
    migrated_our_slots = 0
    sender_slots = 0
    for slot in iter_slots(slots):
        sender_slots += 1
        owner = state.slots[slot]
        if owner is sender:
            state.owner_not_claiming.pop(slot, None)
            continue
        if slot in state.importing_from:
            continue
        if _is_slot_unclaimed(state, slot) or owner.config_epoch < sender_config_epoch:
            if owner is myself and sender is not myself:
                fx.lost_slots.append(slot)
            if owner is not None and owner is curmaster:
                new_master = sender
                migrated_our_slots += 1
            state.del_slot(slot)
            state.add_slot(sender, slot)
            state.owner_not_claiming.pop(slot, None)
            fx.update_state = True
            fx.save(fsync=True)
    if (
        new_master is not None
        and curmaster is not None
        and curmaster.num_slots == 0
        and (state.options.allow_replica_migration or sender_slots == migrated_our_slots)
    ):
        fx.logs.append(f"Configuration change detected. Reconfiguring myself as a replica of {sender.name}")
        if myself.num_slots == 0:
            set_my_master(state, sender)
            fx.new_master = sender
        fx.lost_slots = []  # a new replica flushes everything anyway
        fx.update_state = True
        fx.save(fsync=True)
    elif myself.master is not None and myself.master.master is not None and myself.master.master is not myself:
        # My master became a replica: follow its new master.
        fx.new_master = myself.master.master
        set_my_master(state, myself.master.master)
        fx.save(fsync=True)
    return fx


def handle_config_epoch_collision(state: ClusterState, sender: NodeInfo) -> Effects:
    """Two masters with one configEpoch: the one with the smaller name takes currentEpoch+1."""
    myself = state.myself
    if sender.config_epoch != myself.config_epoch or not sender.is_master or not myself.is_master:
        return Effects()
    if sender.name <= myself.name:
        return Effects()
    state.current_epoch += 1
    myself.config_epoch = state.current_epoch
    fx = Effects()
    fx.save(fsync=True)
    fx.logs.append(
        f"WARNING: configEpoch collision with node {sender.name}. configEpoch set to {myself.config_epoch}"
    )
    return fx


# ------------------------------------------------------------------------------- receiving


def process_gossip_section(state: ClusterState, msg: GossipMessage, sender: NodeInfo | None,
                           now: int) -> Effects:
    """``clusterProcessGossipSection``."""
    fx = Effects()
    for g in msg.gossip:
        flags = g.flags
        node = state.nodes.get(g.nodename)
        if node is not None:
            if sender is not None and sender.is_master and node is not state.myself:
                _absorb_failure(state, fx, failure.process_gossip_failure_report(state, sender, node, flags, now), now)
            if (
                not flags & (NODE_FAIL | NODE_PFAIL)
                and node.ping_sent == 0
                and state.failure_report_count(node, now) == 0
            ):
                pongtime = g.pong_received * 1000
                if pongtime <= now + PONG_FUTURE_SLACK and pongtime > node.pong_received:
                    node.pong_received = pongtime
            if (
                node.flags & (NODE_FAIL | NODE_PFAIL)
                and not flags & NODE_NOADDR
                and not flags & (NODE_FAIL | NODE_PFAIL)
                and node is not state.myself
                and (node.ip != g.ip or node.port != g.port or node.cport != g.cport)
            ):
                # It is unreachable for us but someone reaches it elsewhere: take that address.
                fx.free_links.append(node)
                node.ip, node.port, node.cport, node.pport = g.ip, g.port, g.cport, g.pport
                node.flags &= ~NODE_NOADDR
                fx.logs.append(f"Address updated for node {node.name}, now {g.ip}:{g.port}")
        elif (
            sender is not None
            and not flags & NODE_NOADDR
            and not state.blacklisted(g.nodename, now)
            and g.nodename != state.myself.name
        ):
            node = NodeInfo(g.nodename, 0, ip=g.ip, port=g.port, cport=g.cport, pport=g.pport, ctime=now)
            state.add_node(node)
            fx.save()
    return fx


def _update_address_if_needed(state: ClusterState, node: NodeInfo, msg: Message, link: LinkFacts) -> Effects:
    """``nodeUpdateAddressIfNeeded``: the address a PING shows differs from the one we have."""
    fx = Effects()
    if node is state.myself:
        return fx
    hdr = msg.header
    ip = hdr.myip or link.peer_ip
    if not ip or (node.ip == ip and node.port == hdr.port and node.cport == hdr.cport and node.pport == hdr.pport):
        return fx
    node.ip, node.port, node.cport, node.pport = ip, hdr.port, hdr.cport, hdr.pport
    node.flags &= ~NODE_NOADDR
    fx.free_links.append(node)
    fx.logs.append(f"Address updated for node {node.name}, now {ip}:{hdr.port}")
    fx.save()
    fx.update_state = True
    return fx


def _role_switch(state: ClusterState, sender: NodeInfo, hdr: Header) -> Effects:
    fx = Effects()
    if hdr.slaveof is None:
        if not sender.is_master:
            state.set_as_master(sender)
            fx.save()
            fx.update_state = True
        return fx
    master = state.nodes.get(hdr.slaveof)
    if sender.is_master or not sender.is_replica:
        # A master turned into a replica.
        state.del_node_slots(sender)
        sender.flags = (sender.flags & ~(NODE_MASTER | NODE_MIGRATE_TO)) | NODE_SLAVE
        fx.save()
        fx.update_state = True
    if master is not None and sender.master is not master and master is not sender:
        state.link_replica(sender, master)
        fx.save()
    return fx


def process_message(
    state: ClusterState,
    msg: Message,
    link: LinkFacts,
    now: int,
    *,
    announce_ip: str | None = None,
    linked: Iterable[NodeInfo] | None = None,
    rng: _random.Random | None = None,
) -> Effects:
    """One received message (``clusterProcessPacket``): change the state, say what to do."""
    fx = Effects()
    hdr = msg.header
    build = {"announce_ip": announce_ip, "linked": linked, "rng": rng}
    sender = state.nodes.get(hdr.sender)
    if sender is not None and sender.in_handshake:
        sender = None  # never: handshake nodes have random names; kept for safety
    if sender is state.myself:
        sender = None  # our own frame echoed back (a link to ourselves)
    if sender is not None:
        failure.data_received(sender, now)
    sender_config_epoch = hdr.config_epoch
    if sender is not None:
        if hdr.current_epoch > state.current_epoch:
            state.current_epoch = hdr.current_epoch
        if sender_config_epoch > sender.config_epoch:
            sender.config_epoch = sender_config_epoch
            fx.save(fsync=True)
        sender.repl_offset = hdr.offset
        sender.repl_offset_time = now

    is_gossip = isinstance(msg, GossipMessage)
    if isinstance(msg, (Ping, Meet)):
        myself = state.myself
        if (isinstance(msg, Meet) or not myself.ip) and announce_ip is None and link.local_ip:
            if myself.ip != link.local_ip:
                myself.ip = link.local_ip
                fx.logs.append(f"IP address for this node updated to {link.local_ip}")
                fx.save()
        if sender is None and isinstance(msg, Meet) and hdr.sender != myself.name:
            node = NodeInfo(new_node_name(), NODE_HANDSHAKE, ip=hdr.myip or link.peer_ip, port=hdr.port,
                            cport=hdr.cport, pport=hdr.pport, ctime=now)
            state.add_node(node)
            fx.save()
            fx.merge(process_gossip_section(state, msg, None, now))
        if sender is not None and isinstance(msg, Ping) and link.inbound:
            fx.merge(_update_address_if_needed(state, sender, msg, link))

    if is_gossip:
        out_node = link.node
        if out_node is not None:
            if out_node.in_handshake:
                if sender is not None or hdr.sender in state.nodes:
                    # (``in state.nodes`` also covers a MEET that reached myself.)
                    # We already know that node: forget the handshake node, drop this link.
                    fx.deleted.append(out_node)
                    state.del_node(out_node)
                    fx.drop_link = True
                    fx.save()
                    return fx
                old = out_node.name
                state.rename_node(out_node, hdr.sender)
                out_node.flags = (out_node.flags & ~NODE_HANDSHAKE) | (hdr.flags & (NODE_MASTER | NODE_SLAVE))
                fx.renamed.append((old, hdr.sender))
                fx.logs.append(f"Handshake with node {old} completed.")
                fx.save()
            elif out_node.name != hdr.sender:
                fx.logs.append(
                    f"PONG contains mismatching sender ID. About node {out_node.name} added {now - out_node.ctime} ms ago, "
                    f"having flags {out_node.flags}"
                )
                out_node.flags |= NODE_NOADDR
                out_node.ip = ""
                out_node.port = out_node.cport = out_node.pport = 0
                fx.drop_link = True
                fx.save()
                return fx
        if sender is not None:
            if hdr.flags & NODE_NOFAILOVER:
                sender.flags |= NODE_NOFAILOVER
            else:
                sender.flags &= ~NODE_NOFAILOVER
        if out_node is not None and isinstance(msg, Pong):
            _absorb_failure(state, fx, failure.pong_received(state, out_node, now), now)
        if sender is not None:
            fx.merge(_role_switch(state, sender, hdr))
            sender_master = sender if sender.is_master else sender.master
            dirty_slots = False
            if sender_master is not None:
                dirty_slots = slots_bitmap_of(state, sender_master) != hdr.myslots
                if dirty_slots:
                    # Slots it owns in my view but stopped claiming.
                    for slot, owner in enumerate(state.slots):
                        if owner is sender_master and not has_slot(hdr.myslots, slot):
                            state.owner_not_claiming[slot] = owner
            if sender.is_master and dirty_slots:
                fx.merge(update_slots_config_with(state, sender, sender_config_epoch, hdr.myslots))
            if dirty_slots:
                for slot in iter_slots(hdr.myslots):
                    owner = state.slots[slot]
                    if owner is sender or _is_slot_unclaimed(state, slot):
                        continue
                    if owner.config_epoch > sender_config_epoch:
                        fx.logs.append(
                            f"Node {sender.name} has old slots configuration, sending an UPDATE message about {owner.name}"
                        )
                        fx.sends.append((sender, build_update(state, owner)))
                        break
            if state.myself.is_master and sender.is_master and sender_config_epoch == state.myself.config_epoch:
                fx.merge(handle_config_epoch_collision(state, sender))
            fx.merge(process_gossip_section(state, msg, sender, now))
            hostname = ""
            for ext in msg.extensions:
                if isinstance(ext, HostnameExt):
                    hostname = ext.hostname
            if sender.hostname != hostname:
                sender.hostname = hostname
                fx.save()
        if isinstance(msg, (Ping, Meet)):
            fx.replies.append(build_ping(state, Pong, now, target=None, **build))
        return fx

    if sender is None:
        return fx  # FAIL, PUBLISH, UPDATE...: only from known nodes
    if isinstance(msg, Fail):
        fe = failure.process_fail_message(state, sender, msg.nodename, now)
        if fe:
            fx.logs.append(f"FAIL message received from {sender.name} about {msg.nodename}")
        _absorb_failure(state, fx, fe, now)
    elif isinstance(msg, (Publish, PublishShard)):
        fx.publish.append((msg.channel, msg.message, isinstance(msg, PublishShard)))
    elif isinstance(msg, Update):
        node = state.nodes.get(msg.nodename)
        if node is None or node.config_epoch >= msg.config_epoch:
            return fx
        if node.is_replica:
            state.set_as_master(node)
        node.config_epoch = msg.config_epoch
        fx.save(fsync=True)
        fx.merge(update_slots_config_with(state, node, msg.config_epoch, msg.slots))
    return fx


# ------------------------------------------------------------------------------- cron


@dataclass
class LinkState:
    """What the cron needs to know about our outbound link to a node."""

    ctime: int  # when the link was created (ms)
    connected: bool = True


@dataclass
class CronActions:
    connect: list[NodeInfo] = field(default_factory=list)  # open an outbound link
    ping: list[NodeInfo] = field(default_factory=list)  # send a PING on the outbound link
    free_links: list[NodeInfo] = field(default_factory=list)  # close (the next cron redials)
    effects: Effects = field(default_factory=Effects)


def cron_actions(state: ClusterState, now: int, links: Mapping[NodeInfo, LinkState], *,
                 iteration: int = 0, rng: _random.Random | None = None) -> CronActions:
    """One ``clusterCron`` tick (every 100 ms). ``links`` maps a node to its outbound link.
    Deletes timed-out handshake nodes, marks PFAIL, recomputes the state; returns the links
    to open or close and the nodes to ping. The caller sends the pings (build_ping sets
    ``ping_sent``)."""
    rng = rng or _random
    actions = CronActions()
    fx = actions.effects
    timeout = state.options.node_timeout
    handshake_timeout = max(timeout, HANDSHAKE_MIN_TIMEOUT)
    myself = state.myself
    state.blacklist_cleanup(now)

    for node in list(state.nodes.values()):
        if node is myself or node.flags & NODE_NOADDR:
            continue
        if node.in_handshake and now - node.ctime > handshake_timeout:
            fx.logs.append(f"Handshake with node {node.name} at {node.ip}:{node.port} timed out")
            state.del_node(node)
            fx.deleted.append(node)
            if node in links:
                actions.free_links.append(node)
            continue
        if node not in links:
            actions.connect.append(node)

    pinged: set[int] = set()
    if iteration % RANDOM_PING_EVERY == 0:
        candidates = [
            node
            for node, link in links.items()
            if link.connected and node.ping_sent == 0 and node is not myself and not node.in_handshake
            and node.name in state.nodes
        ]
        if len(candidates) > RANDOM_PING_SAMPLE:
            candidates = rng.sample(candidates, RANDOM_PING_SAMPLE)
        if candidates:
            oldest = min(candidates, key=lambda node: node.pong_received)
            actions.ping.append(oldest)
            pinged.add(id(oldest))

    ping_interval = timeout // 2
    for node in state.nodes.values():
        if node is myself or node.flags & (NODE_NOADDR | NODE_HANDSHAKE):
            continue
        link = links.get(node)
        if (
            link is not None
            and now - link.ctime > timeout
            and node.ping_sent
            and now - node.ping_sent > timeout // 2
            and now - node.data_received > timeout // 2
        ):
            actions.free_links.append(node)
            fx.logs.append(f"Link to {node.name} is stalled: reconnecting")
            continue
        if (
            link is not None
            and link.connected
            and node.ping_sent == 0
            and now - node.pong_received > ping_interval
            and id(node) not in pinged
        ):
            actions.ping.append(node)
            pinged.add(id(node))

    before = {id(node) for node in state.nodes.values() if node.flags & (NODE_PFAIL | NODE_FAIL)}
    fe = failure.mark_timed_out_nodes(state, now)
    if myself.is_master and state.size == 1:
        # With one master serving slots, that master decides alone (7.0's cron does this).
        for node in list(state.nodes.values()):
            if node.flags & NODE_PFAIL and id(node) not in before:
                fe.merge(failure.mark_failing_if_needed(state, node, now))
    _absorb_failure(state, fx, fe, now)
    if fx.update_state or not state.ok:
        if state.update_state(now):
            fx.logs.append(f"Cluster state changed: {'ok' if state.ok else 'fail'}")
    return actions


def nodes_to_broadcast(state: ClusterState, links: Iterable[NodeInfo]) -> list[NodeInfo]:
    """``clusterBroadcastMessage``'s audience: linked nodes, not myself, not in handshake."""
    return [node for node in links if node is not state.myself and not node.in_handshake
            and node.name in state.nodes]


__all__ = [
    "CronActions",
    "Effects",
    "LinkFacts",
    "LinkState",
    "build_header",
    "build_ping",
    "build_publish",
    "build_update",
    "cron_actions",
    "dial_failed",
    "handle_config_epoch_collision",
    "handshake_in_progress",
    "link_connected",
    "nodes_to_broadcast",
    "process_gossip_section",
    "process_message",
    "shard_members",
    "start_handshake",
    "update_slots_config_with",
]
