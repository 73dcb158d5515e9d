"""Cluster mode inside one node process: the glue between the pure cluster logic and the node.

``node/main.py`` builds a :class:`ClusterNode` when ``cluster-enabled yes`` and wires it in:

* ``server.cluster`` = the :class:`ClusterNode` (CLUSTER/READONLY/ASKING handlers find it there);
* ``server.route`` = :meth:`ClusterNode.route`, which dispatch calls for every command: it
  returns a MOVED/ASK/CROSSSLOT/TRYAGAIN/CLUSTERDOWN text or None (EXEC routes the keys of
  the whole transaction; ASKING's one-shot flag is cleared here);
* ``server.dbs[0]`` = a :class:`node.keyspace.db.ClusterDatabase` (per-slot key index);
* a cron task (:meth:`ClusterNode.cron`) recomputes ``cluster_state`` every 100 ms, and
  the bus runtime (``cluster/runtime.py``, when present) runs next to ``serve()``.

Nothing here runs in standalone mode, so the standalone hot path is untouched.
"""

from __future__ import annotations

import ipaddress
from binascii import crc_hqx as _crc16
import logging
import os
import time
from typing import TYPE_CHECKING

import trio

from cluster.nodes_conf import NodesConfError, load_nodes_conf, save_nodes_conf
from cluster.routing import blocked_redirect, redirect_error, route_transaction
from cluster.routing import route as route_command
from cluster.slots import key_hash_slot
from cluster.state import ClusterOptions, ClusterState

if TYPE_CHECKING:
    from node.client import Client
    from node.commands.spec import CommandSpec
    from node.config import Config
    from node.server import Server

CLUSTER_PORT_INCR = 10000
CRON_PERIOD_S = 0.1
PUBSUBSHARD = frozenset((b"spublish", b"ssubscribe", b"sunsubscribe"))
_ENDS_TRANSACTION = frozenset((b"exec", b"discard"))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def options_from_config(config: "Config") -> ClusterOptions:
    return ClusterOptions(
        node_timeout=config.cluster_node_timeout,
        require_full_coverage=config.cluster_require_full_coverage,
        allow_reads_when_down=config.cluster_allow_reads_when_down,
        allow_pubsubshard_when_down=config.cluster_allow_pubsubshard_when_down,
        allow_replica_migration=config.cluster_allow_replica_migration,
        preferred_endpoint_type=config.cluster_preferred_endpoint_type,
    )


def nodes_conf_path(config: "Config") -> str:
    path = config.cluster_config_file
    return path if os.path.isabs(path) else os.path.join(config.dir, path)


def bus_port(config: "Config") -> int:
    """The port the bus listens on: cluster-port, or port + 10000."""
    return config.cluster_port or config.port + CLUSTER_PORT_INCR


def bind_host(config: "Config") -> str:
    """The first ``bind`` address, for the bus listener (``*`` -> all IPv4 addresses)."""
    for addr in config.bind.split():
        host = addr.lstrip("-")
        if host == "*":
            return "0.0.0.0"
        if host == "::*":
            return "::"
        return host
    return "0.0.0.0"


def load_or_create_state(config: "Config", log: logging.Logger, *, now: int | None = None) -> ClusterState:
    """nodes.conf if it exists (keeping the node id and epochs), else a fresh node that is
    saved at once. Myself's announced ports/hostname/IP always come from the config, as in
    Redis's clusterInit. Raises NodesConfError on a corrupted file."""
    now = now_ms() if now is None else now
    options = options_from_config(config)
    path = nodes_conf_path(config)
    state = load_nodes_conf(path, now=now, options=options)
    port = config.cluster_announce_port or config.port
    cport = config.cluster_announce_bus_port or bus_port(config)
    if state is None:
        state = ClusterState.new(
            ip=config.cluster_announce_ip or "",
            port=port,
            cport=cport,
            hostname=config.cluster_announce_hostname or "",
            options=options,
            now=now,
        )
        log.info("No cluster configuration found, I'm %s", state.myself.name)
        save_nodes_conf(path, state)
    else:
        log.info("Node configuration loaded, I'm %.40s", state.myself.name)
    myself = state.myself
    myself.port = port
    myself.cport = cport
    myself.hostname = config.cluster_announce_hostname or ""
    if config.cluster_announce_ip:
        myself.ip = config.cluster_announce_ip
    return state


def literal_ip(text: bytes) -> str | None:
    """A literal IPv4/IPv6 address in its normal form (as inet_pton/inet_ntop), else None."""
    try:
        raw = text.decode("ascii")
    except UnicodeDecodeError:
        return None
    if "%" in raw:
        return None
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


class ClusterNode:
    """Cluster mode of one node: the state, its nodes.conf, the bus runtime (if any)."""

    def __init__(self, server: "Server", state: ClusterState, *, path: str, log: logging.Logger):
        self.server = server
        self.state = state
        self.path = path
        self.log = log
        self.runtime = None  # cluster.runtime.ClusterRuntime once the bus is running
        self.db = server.dbs[0]
        self._exists = self._key_exists

    # -- wiring --------------------------------------------------------------------------

    def install(self) -> None:
        """Make ``server`` a cluster node: per-slot index on db 0, route hook, option sync.
        Synchronous, so no command runs half-wired."""
        from node.keyspace.db import ClusterDatabase

        server = self.server
        old = server.dbs[0]
        db = ClusterDatabase.replacing(old, fast_slot)
        server.dbs[0] = db
        for client in server.clients.values():
            if client.db is old:
                client.db = db
        self.db = db
        server.cluster = self
        server.route = self.route
        server.local_slots = None
        server.key_slot = key_hash_slot
        self.state.on_change = self._drop_local_slots
        self.refresh_local_slots()
        previous = server.config.on_change

        def on_change(name: str, previous=previous) -> None:
            if previous is not None:
                previous(name)
            if name.startswith("cluster-"):
                self.refresh_options()

        server.config.on_change = on_change

    def _route_exec(self, client: "Client", asking: bool) -> str | None:
        """EXEC: the keys of every queued command routed together (one slot for all, else
        CROSSSLOT/MOVED/...); a redirect discards the transaction, as Redis's processCommand
        does for EXEC (where other commands only flag it)."""
        from node.commands.transactions import unwatch_all

        queued = client.multi
        if client.multi_error:
            return None  # EXEC answers EXECABORT
        state = self.state
        redirect = route_transaction(
            state,
            [queued_spec.keys_of(queued_argv) for queued_spec, queued_argv in queued],
            is_write=any("write" in queued_spec.flags for queued_spec, _ in queued),
            readonly_client=client.readonly,
            asking=asking,
            key_exists=self._exists,
        )
        if redirect is None:
            return None
        client.multi = None
        client.multi_error = False
        unwatch_all(client)
        return redirect_error(redirect, state.options.preferred_endpoint_type)

    def refresh_options(self) -> None:
        fresh = options_from_config(self.server.config)
        options = self.state.options
        changed = fresh.preferred_endpoint_type != options.preferred_endpoint_type
        for field in vars(fresh):
            setattr(options, field, getattr(fresh, field))
        if changed:
            self.state.touch()
        self.state.update_state(now_ms())

    async def cron(self) -> None:
        """Recompute cluster_state (Redis's clusterUpdateState from clusterCron)."""
        while True:
            self.state.update_state(now_ms())
            await trio.sleep(CRON_PERIOD_S)

    async def housekeeping(self) -> None:
        """Every 100 ms: redirect blocked clients whose slot is no longer served here, and
        rebuild the table of locally served slots after a change."""
        while True:
            await trio.sleep(CRON_PERIOD_S)
            if self.server.blocking.by_client:
                self.redirect_blocked()
            if self.server.local_slots is None:
                self.refresh_local_slots()

    def redirect_blocked(self) -> int:
        """Redis's clusterRedirectBlockedClientIfNeeded for every blocked client: one whose
        slot moved away (or whose cluster is down) gets MOVED/CLUSTERDOWN instead of
        waiting forever. Returns how many were redirected."""
        from node.replies import ErrorReply

        registry = self.server.blocking
        state = self.state
        endpoint = state.options.preferred_endpoint_type
        ended = 0
        for waiter in list(registry.by_client.values()):
            if waiter.done or not waiter.keys:
                continue
            client = waiter.client
            redirect = blocked_redirect(
                state, waiter.keys[0], readonly_client=client.readonly, is_write="write" in waiter.spec.flags
            )
            if redirect is not None:
                ended += registry.end(client, ErrorReply(redirect_error(redirect, endpoint)))
        return ended

    # -- effects of CLUSTER subcommands ------------------------------------------------------

    def save_config(self, fsync: bool = True) -> None:
        if self.runtime is not None:
            self.runtime.save_config(fsync)
        else:
            save_nodes_conf(self.path, self.state, fsync=fsync)

    def apply(self, outcome) -> object:
        """Perform an Outcome's effects (cluster/commands_logic.py) and return its reply."""
        if outcome.stop_replication_and_flush:
            for db in self.server.dbs:
                db.clear()
        if outcome.update_state:
            self.state.update_state(now_ms())
        if outcome.save_config or outcome.fsync_config:
            self.save_config(fsync=outcome.fsync_config or outcome.save_config)
        if outcome.broadcast_pong and self.runtime is not None:
            self.runtime.broadcast_pong()
        if outcome.replicate_from is not None:
            self.log.warning(
                "Became a replica of %s: replication is not implemented yet", outcome.replicate_from.name
            )
        return outcome.reply

    # -- callbacks from the bus runtime ---------------------------------------------------------

    def lost_slots(self, slots: list[int]) -> None:
        """Another node took these slots with a newer config: drop their keys here
        (Redis's delKeysInSlot after clusterUpdateSlotsConfigWith)."""
        db = self.db
        removed = 0
        for slot in slots:
            keys = db.slot_keys[slot]
            if keys:
                for key in list(keys):
                    removed += db.delete(key)
        if removed:
            self.log.warning("Deleted %d keys of %d slots now served by other nodes", removed, len(slots))
        pubsub = self.server.pubsub
        if pubsub.shard_channels:
            lost = set(slots)
            pubsub.drop_shard_channels(lambda channel: fast_slot(channel) in lost)

    def new_master(self, master) -> None:
        self.log.warning("I am now a replica of %s: replication is not implemented yet", master.name)

    # -- routing (the hot path) -----------------------------------------------------------

    def _key_exists(self, key: bytes) -> bool:
        return self.db.peek(key) is not None

    def route(self, client: "Client", spec: "CommandSpec", argv: list[bytes]) -> str | None:
        """``server.route``: None to serve here, or the redirect error text. Dispatch calls it
        for every command in cluster mode, before MULTI queueing (Redis's processCommand).

        ASKING is one-shot: Redis clears it after every command run outside a transaction,
        and after EXEC/DISCARD (kept across MULTI's queued commands). Commands that EXEC runs
        are not routed again: EXEC routed all their keys together.

        Dispatch serves a single key in a locally served slot itself (``server.local_slots``,
        hash tags through ``server.key_slot``); here the same check runs again once a dropped
        table has been rebuilt, and everything else goes through cluster/routing.py."""
        if client.asking:
            return self._route_flagged(client, spec, argv)
        if client.in_exec:
            return None  # EXEC routed the keys of its commands together
        local = self.server.local_slots
        if local is None and self.state.ok:
            self.refresh_local_slots()
            local = self.server.local_slots
        index = spec.single_key
        if local is not None and index and len(argv) > index and local[key_hash_slot(argv[index])]:
            return None
        return self._route_keys(client, spec, argv, False)

    # -- the table of locally served slots (dispatch's inline fast path) ------------------------

    def _drop_local_slots(self) -> None:
        """ClusterState.on_change: any topology or cluster_state change invalidates the table
        at once (before the next command can read it)."""
        self.server.local_slots = None

    def refresh_local_slots(self) -> None:
        """``server.local_slots``: while the cluster is ok, a byte per slot, 1 for the slots
        this node serves with no migration open, which dispatch serves without calling
        route() for a command with one key (no ``{``, no ASKING); None otherwise. Rebuilt
        (16384 steps) only after a change, by route()'s slow path or the cron."""
        state = self.state
        if not state.ok:
            self.server.local_slots = None
            return
        myself = state.myself
        table = bytearray(owner is myself for owner in state.slots)
        for slot in (*state.migrating_to, *state.importing_from):
            table[slot] = 0
        self.server.local_slots = bytes(table)

    def _route_flagged(self, client: "Client", spec: "CommandSpec", argv: list[bytes]) -> str | None:
        """route() for a client in EXEC or with ASKING set."""
        if client.in_exec:
            return None
        name = spec.name_bytes
        if (client.multi is None and name != b"multi") or name in _ENDS_TRANSACTION:
            client.asking = False
        return self._route_keys(client, spec, argv, True)

    def _route_keys(self, client: "Client", spec: "CommandSpec", argv: list[bytes], asking: bool) -> str | None:
        """The general case: every key of the command through routing.route()."""
        if not (spec.key_specs or spec.getkeys):
            if client.multi and spec.name_bytes == b"exec":
                return self._route_exec(client, asking)
            return None
        keys = spec.keys_of(argv)
        state = self.state
        if not keys:
            return None
        redirect = route_command(
            state,
            keys,
            is_write="write" in spec.flags,
            readonly_client=client.readonly,
            asking=asking or "asking" in spec.flags,
            key_exists=self._exists,
            is_migrate=spec.name_bytes == b"migrate",
            is_pubsubshard=spec.name_bytes in PUBSUBSHARD,
        )
        if redirect is None:
            return None
        return redirect_error(redirect, state.options.preferred_endpoint_type)


def fast_slot(key: bytes) -> int:
    """key_hash_slot with ``binascii.crc_hqx`` for keys without ``{`` (the common case)."""
    if 123 in key:
        return key_hash_slot(key)
    return _crc16(key, 0) & 0x3FFF


def build(server: "Server", log: logging.Logger) -> ClusterNode:
    """Load or create nodes.conf and wire cluster mode into ``server``.
    Raises NodesConfError when nodes.conf is corrupted."""
    config = server.config
    state = load_or_create_state(config, log)
    node = ClusterNode(server, state, path=nodes_conf_path(config), log=log)
    node.install()
    return node


def make_runtime(node: ClusterNode):
    """The bus runtime (cluster/runtime.py) for ``node``, or None while it does not exist."""
    try:
        from cluster.runtime import ClusterRuntime  # type: ignore[import-not-found]
    except ImportError:
        return None
    config = node.server.config
    runtime = ClusterRuntime(
        node.state,
        nodes_conf_path=node.path,
        announce_ip=config.cluster_announce_ip or None,
        log=node.log,
    )
    runtime.on_lost_slots = node.lost_slots
    runtime.on_new_master = node.new_master
    runtime.on_publish = node.server.pubsub.deliver  # bus PUBLISH/SPUBLISH -> local subscribers
    node.runtime = runtime
    return runtime


__all__ = ["ClusterNode", "NodesConfError", "build", "make_runtime", "bind_host", "bus_port", "literal_ip"]
