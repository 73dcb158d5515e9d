"""The cluster bus runtime (trio): the listener on the bus port, one outbound link per known
node, the 100 ms cron. It only does I/O and applies effects: every state change is made by
cluster/gossip.py (and cluster/failure.py through it).

Order when applying :class:`~cluster.gossip.Effects`: nodes.conf is saved (fsync when the
effects ask for it, e.g. a new configEpoch) *before* any frame is sent, so a new epoch is
never announced before it is durable.

The node process drives it::

    runtime = ClusterRuntime(state, nodes_conf_path=path, announce_ip=None, log=server.log)
    await nursery.start(partial(runtime.run, bind_host="0.0.0.0", cport=port + 10000))
    runtime.meet(ip, port, cport)     # CLUSTER MEET
    runtime.broadcast_pong()          # after slot or epoch changes
    runtime.publish(channel, message) # PUBLISH / SPUBLISH
    runtime.on_publish = deliver      # bus PUBLISH -> local subscribers
"""

from __future__ import annotations

import logging
import random
from typing import Callable

import trio

from bus.codec import encode
from bus.messages import MSG_TYPE_COUNT, Message, Ping, Pong
from bus.transport import DEFAULT_SENDBUF_LIMIT, BusLink, serve_listener, unix_ms
from cluster import gossip
from cluster.nodes_conf import save_nodes_conf
from cluster.state import MESSAGE_TYPE_NAMES, ClusterState, NodeInfo

CRON_PERIOD = 0.1  # seconds: clusterCron runs 10 times a second
MIN_CONNECT_TIMEOUT = 1.0  # seconds


class ClusterRuntime:
    def __init__(self, state: ClusterState, *, nodes_conf_path: str | None, announce_ip: str | None,
                 log=None, clock: Callable[[], int] = unix_ms, rng: random.Random | None = None):
        self.state = state
        self.nodes_conf_path = nodes_conf_path
        self.announce_ip = announce_ip or None
        self.log = log if log is not None else logging.getLogger("trireme.cluster")
        self.clock = clock
        self.rng = rng or random.Random()
        self.on_publish: Callable[[bytes, bytes, bool], None] | None = None
        self.on_lost_slots: Callable[[list[int]], None] | None = None  # delete the keys of these slots
        self.on_new_master: Callable[[NodeInfo], None] | None = None  # myself became its replica
        self.out_links: dict[NodeInfo, BusLink] = {}
        self.in_links: set[BusLink] = set()
        self.iteration = 0
        # cluster-link-sendbuf-limit (bytes; 0 = Redis's "no limit", which we cap at 64 MB)
        self.sendbuf_limit = DEFAULT_SENDBUF_LIMIT
        self.listening_port = 0
        self._nursery: trio.Nursery | None = None
        self._cron_wakeup = trio.Event()
        if self.announce_ip:
            state.myself.ip = self.announce_ip

    # -- logging ------------------------------------------------------------------------------

    def _log(self, text: str, level: int = logging.INFO) -> None:
        log = self.log
        try:
            if hasattr(log, "log"):
                log.log(level, text)
            else:
                log(text)
        except Exception:
            pass

    # -- interface for the node ---------------------------------------------------------------

    async def run(self, *, bind_host: str, cport: int, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Listen on ``bind_host:cport`` and run the cron until cancelled."""
        listeners = await trio.open_tcp_listeners(cport, host=bind_host or None)
        self.listening_port = listeners[0].socket.getsockname()[1]
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                for listener in listeners:
                    nursery.start_soon(serve_listener, listener, self._handle_inbound, nursery)
                nursery.start_soon(self._cron_loop)
                task_status.started()
        finally:
            self._nursery = None
            for link in list(self.out_links.values()) + list(self.in_links):
                link.close("shutdown")
            for node in self.out_links:
                node.link_connected = False
            self.out_links.clear()
            self.in_links.clear()
            for listener in listeners:
                with trio.CancelScope(shield=True):
                    await listener.aclose()

    def meet(self, ip: str, port: int, cport: int) -> bool:
        """CLUSTER MEET: a HANDSHAKE|MEET node; the next cron tick dials it. False when a
        handshake with that address is already in progress."""
        node = gossip.start_handshake(self.state, ip, port, cport, self.clock())
        self._cron_wakeup.set()
        return node is not None

    def save_config(self, fsync: bool = True) -> None:
        if not self.nodes_conf_path:
            return
        try:
            save_nodes_conf(self.nodes_conf_path, self.state, fsync=fsync)
        except OSError as exc:
            self._log(f"Could not save the cluster config {self.nodes_conf_path}: {exc}", logging.WARNING)

    def broadcast_pong(self) -> None:
        """``clusterBroadcastPong(CLUSTER_BROADCAST_ALL)``: a PONG to every linked node."""
        now = self.clock()
        for node in gossip.nodes_to_broadcast(self.state, self._connected_nodes()):
            self._send_to(node, self._build(Pong, now, node))

    def publish(self, channel: bytes, message: bytes, shard: bool = False) -> None:
        msg = gossip.build_publish(self.state, channel, message, shard)
        if shard:
            targets = [node for node in gossip.shard_members(self.state) if self._is_connected(node)]
        else:
            targets = gossip.nodes_to_broadcast(self.state, self._connected_nodes())
        self._send_many(targets, msg)

    def links_reply(self) -> list:
        """CLUSTER LINKS: one map per link (outbound "to", inbound "from")."""
        reply = []
        for direction, links in (("to", list(self.out_links.values())), ("from", list(self.in_links))):
            for link in links:
                node = link.node
                if not isinstance(node, NodeInfo) or node.name not in self.state.nodes or not link.connected:
                    continue
                reply.append({
                    b"direction": direction.encode(),
                    b"node": node.name.encode(),
                    b"create-time": link.ctime,
                    b"events": b"rw" if link.send_buffer_used else b"r",
                    b"send-buffer-allocated": max(link.send_buffer_peak, link.send_buffer_used),
                    b"send-buffer-used": link.send_buffer_used,
                })
        return reply

    def stats(self) -> dict[str, dict[str, int]]:
        """Messages sent / received per type name (the counters in state.stats_*)."""
        out: dict[str, dict[str, int]] = {"sent": {}, "received": {}}
        for key, counters in (("sent", self.state.stats_sent), ("received", self.state.stats_received)):
            for kind, count in enumerate(counters):
                if count:
                    out[key][MESSAGE_TYPE_NAMES[kind]] = count
        return out

    # -- sending ------------------------------------------------------------------------------

    def _connected_nodes(self) -> list[NodeInfo]:
        return [node for node, link in self.out_links.items() if link.connected and not link.closed]

    def _is_connected(self, node: NodeInfo) -> bool:
        link = self.out_links.get(node)
        return link is not None and link.connected and not link.closed

    def _build(self, kind, now: int, target: NodeInfo | None) -> Message:
        return gossip.build_ping(self.state, kind, now, target=target, announce_ip=self.announce_ip,
                                 linked=self._connected_nodes(), rng=self.rng)

    def _count_sent(self, msg: Message) -> None:
        if 0 <= msg.type < MSG_TYPE_COUNT:
            self.state.stats_sent[msg.type] += 1

    def _send_on(self, link: BusLink, msg: Message) -> None:
        if link.closed:
            return
        self._count_sent(msg)
        self._push(link, encode(msg))

    def _push(self, link: BusLink, data: bytes) -> None:
        if not link.send(data) and link.close_reason == "send buffer limit exceeded":
            self.state.links_buffer_limit_exceeded += 1
            self._log(f"Freeing bus link to {getattr(link.node, 'name', '?')}: send buffer limit exceeded",
                      logging.WARNING)

    def _send_to(self, node: NodeInfo, msg: Message) -> None:
        link = self.out_links.get(node)
        if link is not None and link.connected:
            self._send_on(link, msg)

    def _send_many(self, nodes: list[NodeInfo], msg: Message) -> None:
        data = None
        for node in nodes:
            link = self.out_links.get(node)
            if link is None or not link.connected or link.closed:
                continue
            if data is None:
                data = encode(msg)
            self._count_sent(msg)
            self._push(link, data)

    def _free_link(self, node: NodeInfo) -> None:
        link = self.out_links.pop(node, None)
        node.link_connected = False
        if link is not None:
            link.close("freed")

    # -- effects ------------------------------------------------------------------------------

    def apply(self, fx: gossip.Effects, link: BusLink | None = None) -> None:
        now = self.clock()
        if fx.update_state:
            if self.state.update_state(now):
                self._log(f"Cluster state changed: {'ok' if self.state.ok else 'fail'}")
        if fx.save_config:
            self.save_config(fsync=fx.fsync)
        for text in fx.logs:
            self._log(text)
        for node in fx.deleted:
            self._free_link(node)
        for node in fx.free_links:
            self._free_link(node)
        if fx.drop_link and link is not None:
            if link.outbound and isinstance(link.node, NodeInfo):
                self.out_links.pop(link.node, None) if self.out_links.get(link.node) is link else None
                link.node.link_connected = False
            link.close("dropped")
        if link is not None and not link.closed:
            for msg in fx.replies:
                self._send_on(link, msg)
        for node, msg in fx.sends:
            self._send_to(node, msg)
        if fx.broadcasts:
            targets = gossip.nodes_to_broadcast(self.state, self._connected_nodes())
            for msg in fx.broadcasts:
                self._send_many(targets, msg)
        if fx.broadcast_pong:
            self.broadcast_pong()
        if fx.publish and self.on_publish is not None:
            for channel, message, shard in fx.publish:
                try:
                    self.on_publish(channel, message, shard)
                except Exception as exc:  # never let a subscriber problem kill the bus
                    self._log(f"PUBLISH delivery failed: {exc!r}", logging.WARNING)
        if fx.lost_slots and self.on_lost_slots is not None:
            self.on_lost_slots(fx.lost_slots)
        if fx.new_master is not None and self.on_new_master is not None:
            self.on_new_master(fx.new_master)

    # -- receiving ----------------------------------------------------------------------------

    def _on_message(self, link: BusLink, msg: Message) -> None:
        now = self.clock()
        if 0 <= msg.type < MSG_TYPE_COUNT:
            self.state.stats_received[msg.type] += 1
        facts = gossip.LinkFacts(node=link.node if link.outbound else None, local_ip=link.local_ip,
                                 peer_ip=link.peer_ip)
        if link.outbound and (not isinstance(link.node, NodeInfo) or self.out_links.get(link.node) is not link):
            link.close("stale")
            return
        try:
            fx = gossip.process_message(self.state, msg, facts, now, announce_ip=self.announce_ip,
                                        linked=self._connected_nodes(), rng=self.rng)
        except Exception as exc:  # a bug must not take the node down: drop the link, log
            self._log(f"Error processing a bus message from {msg.header.sender}: {exc!r}", logging.WARNING)
            link.close("processing error")
            return
        if not link.outbound:
            sender = self.state.nodes.get(msg.header.sender)
            if sender is not None:
                link.node = sender
        self.apply(fx, link)

    def _on_drops(self, link: BusLink, drops: list) -> None:
        for drop in drops:
            if 0 <= drop.type < MSG_TYPE_COUNT:  # Redis counts a frame before checking it
                self.state.stats_received[drop.type] += 1
            self._log(f"Bus frame dropped from {link.peer_ip}:{link.peer_port}: {drop.reason}", logging.WARNING)

    def _idle_timeout(self) -> float:
        # Only reclaims dead inbound sockets: peers with a longer node timeout than ours may
        # leave their link to us quiet for a while without being dead.
        return max(self.state.options.node_timeout * 4, 60_000) / 1000

    async def _handle_inbound(self, stream: trio.SocketStream) -> None:
        link = BusLink(outbound=False, ctime=self.clock(), sendbuf_limit=self.sendbuf_limit or DEFAULT_SENDBUF_LIMIT)
        link.attach(stream)
        self.in_links.add(link)
        try:
            await link.serve(self._on_message, idle_timeout=self._idle_timeout(), on_drops=self._on_drops)
        finally:
            self.in_links.discard(link)
            if link.close_reason.startswith("protocol error"):
                self._log(f"Bus link from {link.peer_ip}:{link.peer_port} dropped: {link.close_reason}",
                          logging.WARNING)

    async def _run_outbound(self, node: NodeInfo, link: BusLink) -> None:
        try:
            timeout = max(self.state.options.node_timeout / 1000, MIN_CONNECT_TIMEOUT)
            if not node.ip or not await link.dial(node.ip, node.cport, timeout):
                if not link.closed:
                    gossip.dial_failed(self.state, node, self.clock())
                return
            if self.out_links.get(node) is not link:
                link.close("stale")
                with trio.CancelScope(shield=True):
                    await link.stream.aclose()
                return
            node.link_connected = True
            now = self.clock()
            msg = gossip.link_connected(self.state, node, now, announce_ip=self.announce_ip,
                                        linked=self._connected_nodes(), rng=self.rng)
            self._send_on(link, msg)
            await link.serve(self._on_message, on_drops=self._on_drops)
        finally:
            link.closed = True
            link.connected = False
            if self.out_links.get(node) is link:
                del self.out_links[node]
                node.link_connected = False
            if link.close_reason.startswith("protocol error"):
                self._log(f"Bus link to {node.name} dropped: {link.close_reason}", logging.WARNING)

    # -- cron ---------------------------------------------------------------------------------

    async def _cron_loop(self) -> None:
        while True:
            try:
                self.cron()
            except Exception as exc:
                self._log(f"cluster cron error: {exc!r}", logging.WARNING)
            with trio.move_on_after(CRON_PERIOD):
                await self._cron_wakeup.wait()
            self._cron_wakeup = trio.Event()

    def cron(self) -> None:
        now = self.clock()
        nodes = self.state.nodes
        for node in [node for node in self.out_links if nodes.get(node.name) is not node]:
            self._free_link(node)  # forgotten (FORGET, RESET) or deleted by someone else
        links = {node: gossip.LinkState(link.ctime, link.connected and not link.closed)
                 for node, link in self.out_links.items()}
        actions = gossip.cron_actions(self.state, now, links, iteration=self.iteration, rng=self.rng)
        self.iteration += 1
        for node in actions.free_links:
            self._free_link(node)
        self.apply(actions.effects)
        for node in actions.ping:
            if self._is_connected(node) and node.name in self.state.nodes:
                self._send_to(node, self._build(Ping, now, node))
        if self._nursery is None:
            return
        for node in actions.connect:
            if node in self.out_links or node.name not in self.state.nodes:
                continue
            link = BusLink(outbound=True, node=node, ctime=now,
                           sendbuf_limit=self.sendbuf_limit or DEFAULT_SENDBUF_LIMIT)
            self.out_links[node] = link
            self._nursery.start_soon(self._run_outbound, node, link)
