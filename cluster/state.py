"""Cluster state as plain data: the nodes this node knows, who owns each slot, epochs.

Pure: no trio, no sockets, no clock of its own. Every function that needs the time takes
``now`` (unix milliseconds), so tests run it with a fixed clock. The gossip/failover code
and the CLUSTER commands change the state through the methods here; the trio driver only
performs the effects they return (send, persist, log).

The model follows Redis 7.0's ``clusterState`` / ``clusterNode`` (cluster.h):

* ``nodes`` maps a 40-char node name to its :class:`NodeInfo`. ``myself`` is one of them.
* ``slots`` is a 16384-entry list of owner references (``None`` = unassigned): O(1) owner
  lookup for routing. It is the only record of ownership; ``NodeInfo.num_slots`` counts it.
* ``migrating_to`` / ``importing_from`` map a slot to the peer this node is moving it to /
  taking it from (sparse dicts; empty in the steady state, which keeps routing cheap).
* A replica points to its master (``NodeInfo.master``) and the master lists its replicas
  (``NodeInfo.replicas``), as Redis's ``slaveof`` / ``slaves``.
* ``current_epoch`` / ``last_vote_epoch`` are persisted in nodes.conf; each node has its
  ``config_epoch`` (the version of its slot claim).
* Failure reports: ``NodeInfo.fail_reports`` maps the reporting master's name to the time
  of its latest report. A report is valid for ``node_timeout * 2`` (FAIL_REPORT_VALIDITY_MULT).

Change tracking: ``version`` goes up on every topology change (slots, migrating/importing,
nodes added/removed/renamed, roles, flags, addresses, hostnames, replication offsets going
to or from zero). The node attributes that feed the cached replies are properties whose
setters bump it, so nothing can change them without invalidating the caches
(CLUSTER SLOTS reply, the per-node slot tokens of CLUSTER NODES, CLUSTER INFO's slot counts).
Slot ownership and migrating/importing must be changed through the methods here.
``on_change`` (if set) is called whenever ``version`` or ``ok`` changes: cluster/glue.py
drops its table of locally served slots then.

Output formats (checked against a real 7.0.15 server):

* CLUSTER NODES / nodes.conf line:
  ``<id> <ip>:<port>@<cport>[,<hostname>] <flags> <master|-> <ping_sent> <pong_recv>
  <config_epoch> <connected|disconnected>[ <slot tokens>]``, and on the myself line only,
  ``[slot->-id]`` (migrating) / ``[slot-<-id]`` (importing), in slot order. Flags in the
  order myself,master,slave,fail?,fail,handshake,noaddr,nofailover, or ``noflags``.
  A replica shows its master's config epoch. Every line ends with ``\\n``.
* CLUSTER SLOTS: maximal runs of slots with one owner, ``[start, end, master, replicas...]``,
  each node ``[endpoint, port, id, metadata]``; replicas only if not FAIL and their
  replication offset is not 0.
* CLUSTER SHARDS: one entry per master (with or without slots), ``slots`` as flat integer
  pairs, ``nodes`` = the master then its replicas.
* CLUSTER INFO: ``field:value\\r\\n`` lines in Redis's order, then the non-zero message
  counters (sent, total sent, received, total received).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable
from operator import attrgetter

from cluster.slots import CLUSTER_SLOTS, format_range, owner_runs

# -- node flags: the bits of the bus header and gossip entries (CLUSTER.md section 4) ------------

NODE_MASTER = 1
NODE_SLAVE = 2
NODE_PFAIL = 4
NODE_FAIL = 8
NODE_MYSELF = 16
NODE_HANDSHAKE = 32
NODE_NOADDR = 64
NODE_MEET = 128
NODE_MIGRATE_TO = 256
NODE_NOFAILOVER = 512

# The flags CLUSTER NODES shows, in its order. MEET and MIGRATE_TO are never shown.
FLAG_NAMES: tuple[tuple[int, str], ...] = (
    (NODE_MYSELF, "myself"),
    (NODE_MASTER, "master"),
    (NODE_SLAVE, "slave"),
    (NODE_PFAIL, "fail?"),
    (NODE_FAIL, "fail"),
    (NODE_HANDSHAKE, "handshake"),
    (NODE_NOADDR, "noaddr"),
    (NODE_NOFAILOVER, "nofailover"),
)
_FLAG_BY_NAME = {name: bit for bit, name in FLAG_NAMES}

NAME_LEN = 40

# Message types (bus header ``type``), indexing the stats counters; names as CLUSTER INFO prints them.
MESSAGE_TYPE_NAMES = (
    "ping",  # 0
    "pong",  # 1
    "meet",  # 2
    "fail",  # 3
    "publish",  # 4
    "auth-req",  # 5  FAILOVER_AUTH_REQUEST
    "auth-ack",  # 6  FAILOVER_AUTH_ACK
    "update",  # 7
    "mfstart",  # 8
    "module",  # 9
    "publishshard",  # 10
)
MESSAGE_TYPE_COUNT = len(MESSAGE_TYPE_NAMES)

# Timings (ms), from cluster.h.
WRITABLE_DELAY = 2000  # a master waits this long after start before reporting OK
MIN_REJOIN_DELAY = 500  # after leaving a minority partition: clamp(node_timeout, 500, 5000)
MAX_REJOIN_DELAY = 5000
FAIL_REPORT_VALIDITY_MULT = 2  # a failure report lives node_timeout * 2
FAIL_UNDO_TIME_MULT = 2  # a FAIL master with slots is cleared after node_timeout * 2
BLACKLIST_TTL = 60_000  # CLUSTER FORGET bans a node name for 60 s

ENDPOINT_TYPES = ("ip", "hostname", "unknown-endpoint")


def flags_text(flags: int) -> str:
    """``myself,master`` etc. in CLUSTER NODES order; ``noflags`` when none is shown."""
    names = [name for bit, name in FLAG_NAMES if flags & bit]
    return ",".join(names) if names else "noflags"


def parse_flags(text: str) -> int:
    """The inverse of :func:`flags_text` (case-insensitive, like Redis's loader).
    Raises ValueError on an unknown flag."""
    flags = 0
    for name in text.split(","):
        name = name.lower()
        if name == "noflags":
            continue
        bit = _FLAG_BY_NAME.get(name)
        if bit is None:
            raise ValueError(f"unknown node flag {name!r}")
        flags |= bit
    return flags


def new_node_name() -> str:
    """A random node id: 40 lowercase hex characters."""
    return os.urandom(NAME_LEN // 2).hex()


def is_valid_node_name(name: str | bytes) -> bool:
    """Redis's ``verifyClusterNodeId``: exactly 40 characters, each a-z or 0-9."""
    if len(name) != NAME_LEN:
        return False
    if isinstance(name, bytes):
        try:
            name = name.decode("ascii")
        except UnicodeDecodeError:
            return False
    return all("a" <= ch <= "z" or "0" <= ch <= "9" for ch in name)


@dataclass
class ClusterOptions:
    """The cluster-* settings the pure logic reads. The node keeps them in sync with CONFIG."""

    node_timeout: int = 15000  # cluster-node-timeout (ms)
    require_full_coverage: bool = True  # cluster-require-full-coverage
    allow_reads_when_down: bool = False  # cluster-allow-reads-when-down
    allow_pubsubshard_when_down: bool = True  # cluster-allow-pubsubshard-when-down
    allow_replica_migration: bool = True  # cluster-allow-replica-migration
    preferred_endpoint_type: str = "ip"  # cluster-preferred-endpoint-type: ip|hostname|unknown-endpoint
    tls_cluster: bool = False  # tls-cluster: ``port`` is the TLS port, ``pport`` the plain one


def _tracked(slot_name: str) -> property:
    """A node attribute whose change is a topology change (bumps the owning state's version)."""

    def setter(node: "NodeInfo", value) -> None:
        if getattr(node, slot_name) != value:
            setattr(node, slot_name, value)
            if node._state is not None:
                node._state.version += 1

    return property(attrgetter(slot_name), setter)


def _set_repl_offset(node: "NodeInfo", value: int) -> None:
    # CLUSTER SLOTS depends only on whether the offset is zero.
    old = node._repl_offset
    node._repl_offset = value
    if (old == 0) != (value == 0) and node._state is not None:
        node._state.version += 1


class NodeInfo:
    """One node as this node sees it (Redis's ``clusterNode``).

    ``name``, ``master`` and ``replicas`` are changed only through :class:`ClusterState`
    (rename_node, set_replica_of, set_as_master, ...). Times are unix milliseconds.
    """

    __slots__ = (
        "_name",
        "_ip",
        "_port",
        "_cport",
        "_pport",
        "_hostname",
        "_flags",
        "_master",
        "replicas",
        "_repl_offset",
        "ctime",
        "ping_sent",
        "pong_received",
        "data_received",
        "fail_time",
        "voted_time",
        "repl_offset_time",
        "orphaned_time",
        "config_epoch",
        "link_connected",
        "num_slots",
        "fail_reports",
        "_state",
    )

    def __init__(
        self,
        name: str,
        flags: int = 0,
        *,
        ip: str = "",
        port: int = 0,
        cport: int = 0,
        pport: int = 0,
        hostname: str = "",
        config_epoch: int = 0,
        ctime: int = 0,
    ):
        self._name = name
        self._ip = ip
        self._port = port
        self._cport = cport
        self._pport = pport
        self._hostname = hostname
        self._flags = flags
        self._master: NodeInfo | None = None
        self.replicas: list[NodeInfo] = []
        self._repl_offset = 0
        self.ctime = ctime
        self.ping_sent = 0  # when the outstanding PING was sent (0: none)
        self.pong_received = 0  # when the last PONG arrived
        self.data_received = 0  # when any data last arrived on its link
        self.fail_time = 0  # when it was flagged FAIL
        self.voted_time = 0  # when we last voted for a replica of this master
        self.repl_offset_time = 0  # when repl_offset was last updated
        self.orphaned_time = 0  # since when this master has no working replica
        self.config_epoch = config_epoch
        self.link_connected = False  # we hold an outbound bus link to it
        self.num_slots = 0
        self.fail_reports: dict[str, int] = {}  # reporting master's name -> time of report
        self._state: ClusterState | None = None

    name = property(attrgetter("_name"))
    master = property(attrgetter("_master"))
    ip = _tracked("_ip")
    port = _tracked("_port")
    cport = _tracked("_cport")
    pport = _tracked("_pport")
    hostname = _tracked("_hostname")
    flags = _tracked("_flags")
    repl_offset = property(attrgetter("_repl_offset"), _set_repl_offset)

    @property
    def is_myself(self) -> bool:
        return bool(self._flags & NODE_MYSELF)

    @property
    def is_master(self) -> bool:
        return bool(self._flags & NODE_MASTER)

    @property
    def is_replica(self) -> bool:
        return bool(self._flags & NODE_SLAVE)

    @property
    def failed(self) -> bool:
        """FAIL (agreed by the cluster); Redis's ``nodeFailed``."""
        return bool(self._flags & NODE_FAIL)

    @property
    def timed_out(self) -> bool:
        """PFAIL (this node's own opinion); Redis's ``nodeTimedOut``."""
        return bool(self._flags & NODE_PFAIL)

    @property
    def in_handshake(self) -> bool:
        return bool(self._flags & NODE_HANDSHAKE)

    @property
    def has_addr(self) -> bool:
        return not self._flags & NODE_NOADDR

    @property
    def master_id(self) -> str | None:
        return self._master._name if self._master is not None else None

    @property
    def shown_epoch(self) -> int:
        """The config epoch CLUSTER NODES shows: a replica shows its master's."""
        if self._flags & NODE_SLAVE and self._master is not None:
            return self._master.config_epoch
        return self.config_epoch

    def __repr__(self) -> str:
        return f"<NodeInfo {self._name} {self._ip}:{self._port} {flags_text(self._flags)}>"


class ClusterState:
    """Everything this node knows about the cluster. See the module docstring."""

    def __init__(self, myself: NodeInfo, options: ClusterOptions | None = None):
        self.options = options if options is not None else ClusterOptions()
        self.nodes: dict[str, NodeInfo] = {}
        self.slots: list[NodeInfo | None] = [None] * CLUSTER_SLOTS
        self.migrating_to: dict[int, NodeInfo] = {}
        self.importing_from: dict[int, NodeInfo] = {}
        self.current_epoch = 0
        self.last_vote_epoch = 0
        self.on_change: Callable[[], None] | None = None  # called when version or ok changes
        self._ok = False  # cluster_state: ok / fail; starts as fail
        self.size = 1  # masters serving >= 1 slot, as last computed by update_state (Redis starts at 1)
        self.first_call_time = 0  # first update_state call (the writable delay counts from it)
        self.among_minority_time = 0  # last time update_state found us in a minority
        self.blacklist: dict[str, int] = {}  # FORGET: name -> ban expiry (ms)
        self.owner_not_claiming: dict[int, NodeInfo] = {}  # slot -> its owner, whose last header did not claim it
        self.stats_sent = [0] * MESSAGE_TYPE_COUNT
        self.stats_received = [0] * MESSAGE_TYPE_COUNT
        self.links_buffer_limit_exceeded = 0
        self._version = 0
        self._runs_version = -1
        self._runs: list[tuple[int, int, NodeInfo]] = []
        self._slot_tokens: dict[str, str] = {}
        self._slot_counts: tuple[int, int, int, int] = (0, 0, 0, 0)
        self._slots_reply_cache: dict[tuple, list] = {}
        self.myself = myself
        myself.flags |= NODE_MYSELF
        self.add_node(myself)

    @property
    def version(self) -> int:
        """Goes up on every topology change (see the module docstring)."""
        return self._version

    @version.setter
    def version(self, value: int) -> None:
        self._version = value
        if self.on_change is not None:
            self.on_change()

    @property
    def ok(self) -> bool:
        """cluster_state: ok (True) or fail."""
        return self._ok

    @ok.setter
    def ok(self, value: bool) -> None:
        if value != self._ok:
            self._ok = value
            if self.on_change is not None:
                self.on_change()

    @classmethod
    def new(
        cls,
        name: str | None = None,
        *,
        ip: str = "",
        port: int = 6379,
        cport: int | None = None,
        hostname: str = "",
        options: ClusterOptions | None = None,
        now: int = 0,
    ) -> "ClusterState":
        """A fresh node: myself is a master with no slots, knowing no one else."""
        myself = NodeInfo(
            name or new_node_name(),
            NODE_MYSELF | NODE_MASTER,
            ip=ip,
            port=port,
            cport=cport if cport is not None else port + 10000,
            hostname=hostname,
            ctime=now,
        )
        return cls(myself, options)

    # -- nodes --------------------------------------------------------------------------------

    def touch(self) -> None:
        """Invalidate the cached replies (for changes made without the methods here)."""
        self.version += 1

    def lookup(self, name: str | bytes) -> NodeInfo | None:
        """The node called ``name`` (str, or bytes from argv / the bus), or None."""
        if isinstance(name, (bytes, bytearray, memoryview)):
            try:
                name = bytes(name).decode("ascii")
            except UnicodeDecodeError:
                return None
        return self.nodes.get(name)

    def add_node(self, node: NodeInfo) -> None:
        if node._name in self.nodes:
            raise ValueError(f"node {node._name} is already known")
        node._state = self
        self.nodes[node._name] = node
        self.version += 1

    def del_node(self, node: NodeInfo) -> None:
        """Forget ``node`` (Redis's ``clusterDelNode``): unassign its slots, close the
        migrations that name it, drop the failure reports it sent, unlink it from its
        master or its replicas, and remove it."""
        for table in (self.migrating_to, self.importing_from):
            for slot in [slot for slot, peer in table.items() if peer is node]:
                del table[slot]
        if node.num_slots:
            self.del_node_slots(node)
        name = node._name
        for other in self.nodes.values():
            other.fail_reports.pop(name, None)
        if node._master is not None:
            self._unlink_replica(node)
        for replica in node.replicas:
            replica._master = None
        node.replicas = []
        del self.nodes[name]
        node._state = None
        self.version += 1

    def rename_node(self, node: NodeInfo, new_name: str) -> None:
        """Give ``node`` its real name (end of a handshake) or a new one (RESET HARD)."""
        del self.nodes[node._name]
        node._name = new_name
        self.nodes[new_name] = node
        self.version += 1

    def link_replica(self, replica: NodeInfo, master: NodeInfo | None) -> None:
        """Point ``replica`` at ``master`` (and list it there) without touching flags:
        Redis's ``slaveof = master; clusterNodeAddSlave(master, replica)``."""
        if replica._master is master:
            if master is not None and replica not in master.replicas:
                master.replicas.append(replica)
                master._flags |= NODE_MIGRATE_TO
                self.version += 1
            return
        if replica._master is not None:
            self._unlink_replica(replica)
        replica._master = master
        if master is not None and replica not in master.replicas:
            master.replicas.append(replica)
            master._flags |= NODE_MIGRATE_TO  # it has had replicas: a replica-migration target
        self.version += 1

    def set_replica_of(self, node: NodeInfo, master: NodeInfo) -> None:
        """``node`` becomes a replica of ``master`` (flags and links)."""
        node.flags = (node._flags & ~NODE_MASTER) | NODE_SLAVE
        self.link_replica(node, master)

    def set_as_master(self, node: NodeInfo) -> None:
        """Redis's ``clusterSetNodeAsMaster``: a replica that was promoted (or reset)."""
        if node._flags & NODE_MASTER:
            return
        flags = node._flags
        if node._master is not None:
            self._unlink_replica(node)
            node._master = None
            if not flags & NODE_MYSELF:
                flags |= NODE_MIGRATE_TO
        node.flags = (flags & ~NODE_SLAVE) | NODE_MASTER

    def _unlink_replica(self, replica: NodeInfo) -> None:
        master = replica._master
        if master is not None and replica in master.replicas:
            master.replicas.remove(replica)
            if not master.replicas:
                master._flags &= ~NODE_MIGRATE_TO
        replica._master = None
        self.version += 1

    # -- slots --------------------------------------------------------------------------------

    def owner(self, slot: int) -> NodeInfo | None:
        return self.slots[slot]

    def add_slot(self, node: NodeInfo, slot: int) -> bool:
        """Assign ``slot`` to ``node``; False (and no change) if it already has an owner."""
        if self.slots[slot] is not None:
            return False
        self.slots[slot] = node
        node.num_slots += 1
        self.version += 1
        return True

    def del_slot(self, slot: int) -> bool:
        """Unassign ``slot``; False if it had no owner."""
        node = self.slots[slot]
        if node is None:
            return False
        self.slots[slot] = None
        node.num_slots -= 1
        self.version += 1
        return True

    def add_slots(self, node: NodeInfo, slots) -> int:
        """Assign every free slot of ``slots`` to ``node``; the number assigned."""
        return sum(1 for slot in slots if self.add_slot(node, slot))

    def del_node_slots(self, node: NodeInfo) -> int:
        """Unassign every slot of ``node``; the number removed."""
        removed = 0
        table = self.slots
        if node.num_slots:
            for slot in range(CLUSTER_SLOTS):
                if table[slot] is node:
                    table[slot] = None
                    removed += 1
            node.num_slots = 0
            self.version += 1
        return removed

    def slots_of(self, node: NodeInfo) -> list[int]:
        return [slot for slot, owner in enumerate(self.slots) if owner is node]

    def ranges_of(self, node: NodeInfo) -> list[tuple[int, int]]:
        return [(start, end) for start, end, owner in self.slot_runs() if owner is node]

    def set_migrating(self, slot: int, node: NodeInfo | None) -> None:
        if node is None:
            self.migrating_to.pop(slot, None)
        else:
            self.migrating_to[slot] = node
        self.version += 1

    def set_importing(self, slot: int, node: NodeInfo | None) -> None:
        if node is None:
            self.importing_from.pop(slot, None)
        else:
            self.importing_from[slot] = node
        self.version += 1

    def close_all_slots(self) -> None:
        """Forget every migrating / importing state (Redis's ``clusterCloseAllSlots``)."""
        self.migrating_to.clear()
        self.importing_from.clear()
        self.version += 1

    def slot_runs(self) -> list[tuple[int, int, NodeInfo]]:
        """Maximal runs of slots with one owner, in slot order (cached per version)."""
        if self._runs_version != self.version:
            self._refresh_runs()
        return self._runs

    def _refresh_runs(self) -> None:
        runs = owner_runs(self.slots)
        tokens: dict[str, list[str]] = {}
        assigned = ok = pfail = fail = 0
        for start, end, node in runs:
            tokens.setdefault(node._name, []).append(format_range(start, end))
            count = end - start + 1
            assigned += count
            if node._flags & NODE_FAIL:
                fail += count
            elif node._flags & NODE_PFAIL:
                pfail += count
            else:
                ok += count
        self._runs = runs  # type: ignore[assignment]
        self._slot_tokens = {name: " ".join(parts) for name, parts in tokens.items()}
        self._slot_counts = (assigned, ok, pfail, fail)
        self._slots_reply_cache = {}
        self._runs_version = self.version

    # -- epochs -------------------------------------------------------------------------------

    def max_epoch(self) -> int:
        """The greatest config epoch known, or current_epoch if larger (``clusterGetMaxEpoch``)."""
        return max(self.current_epoch, max(node.config_epoch for node in self.nodes.values()))

    def bump_epoch_without_consensus(self) -> bool:
        """Take a new config epoch without a vote if mine is 0 or not the greatest
        (``clusterBumpConfigEpochWithoutConsensus``). True if it changed; the caller
        saves and fsyncs the config."""
        myself = self.myself
        if myself.config_epoch == 0 or myself.config_epoch != self.max_epoch():
            self.current_epoch += 1
            myself.config_epoch = self.current_epoch
            return True
        return False

    # -- failure reports ------------------------------------------------------------------------

    def add_failure_report(self, failing: NodeInfo, sender: NodeInfo, now: int) -> bool:
        """Record (or refresh) ``sender``'s report that ``failing`` is down.
        True if it is a new report."""
        new = sender._name not in failing.fail_reports
        failing.fail_reports[sender._name] = now
        return new

    def del_failure_report(self, failing: NodeInfo, sender: NodeInfo) -> bool:
        """Drop ``sender``'s report on ``failing``; True if there was one."""
        return failing.fail_reports.pop(sender._name, None) is not None

    def clean_failure_reports(self, node: NodeInfo, now: int) -> None:
        """Drop reports older than node_timeout * 2 (``clusterNodeCleanupFailureReports``)."""
        max_age = self.options.node_timeout * FAIL_REPORT_VALIDITY_MULT
        reports = node.fail_reports
        for name in [name for name, when in reports.items() if now - when > max_age]:
            del reports[name]

    def failure_report_count(self, node: NodeInfo, now: int) -> int:
        """Live reports on ``node`` (expired ones are dropped first)."""
        self.clean_failure_reports(node, now)
        return len(node.fail_reports)

    # -- FORGET ban list ------------------------------------------------------------------------

    def blacklist_cleanup(self, now: int) -> None:
        for name in [name for name, until in self.blacklist.items() if until < now]:
            del self.blacklist[name]

    def blacklist_add(self, name: str, now: int) -> None:
        """Ban ``name`` for 60 s (refreshed if already banned)."""
        self.blacklist_cleanup(now)
        self.blacklist[name] = now + BLACKLIST_TTL

    def blacklisted(self, name: str, now: int) -> bool:
        self.blacklist_cleanup(now)
        return name in self.blacklist

    # -- cluster health -----------------------------------------------------------------------

    def compute_size(self) -> tuple[int, int]:
        """(cluster size, reachable masters): masters serving >= 1 slot, and those of them
        not flagged PFAIL or FAIL."""
        size = reachable = 0
        for node in self.nodes.values():
            if node._flags & NODE_MASTER and node.num_slots:
                size += 1
                if not node._flags & (NODE_FAIL | NODE_PFAIL):
                    reachable += 1
        return size, reachable

    def coverage_ok(self) -> bool:
        """True if every slot has an owner that is not FAIL."""
        assigned, _ok, _pfail, fail = self.slot_counts()
        return assigned == CLUSTER_SLOTS and fail == 0

    def update_state(self, now: int) -> bool:
        """Recompute ``ok`` and ``size`` (Redis's ``clusterUpdateState``). True if ``ok``
        changed. Rules:

        * A master that is still FAIL waits WRITABLE_DELAY ms from the first call before it
          may turn OK (and nothing, not even ``size``, is recomputed meanwhile).
        * FAIL if require_full_coverage and any slot is unassigned or owned by a FAIL node.
        * FAIL if reachable masters with slots < size // 2 + 1 (a minority partition).
        * A master back from a minority waits clamp(node_timeout, 500, 5000) ms before OK.
        """
        if self.first_call_time == 0:
            self.first_call_time = now
        myself_master = bool(self.myself._flags & NODE_MASTER)
        if myself_master and not self.ok and now - self.first_call_time < WRITABLE_DELAY:
            return False
        new_ok = True
        if self.options.require_full_coverage and not self.coverage_ok():
            new_ok = False
        self.size, reachable = self.compute_size()
        if reachable < self.size // 2 + 1:
            new_ok = False
            self.among_minority_time = now
        if new_ok == self.ok:
            return False
        rejoin_delay = min(max(self.options.node_timeout, MIN_REJOIN_DELAY), MAX_REJOIN_DELAY)
        if new_ok and myself_master and now - self.among_minority_time < rejoin_delay:
            return False
        self.ok = new_ok
        return True

    # -- RESET --------------------------------------------------------------------------------

    def reset(self, hard: bool, new_name: str | None = None) -> None:
        """Redis's ``clusterReset`` on the state: myself turns master, all slots are
        unassigned, migrations closed, every other node forgotten. Hard: epochs go to 0 and
        myself gets a new name. (Stopping replication and flushing data on a replica is the
        caller's part.)"""
        myself = self.myself
        if myself._flags & NODE_SLAVE:
            self.set_as_master(myself)
        self.close_all_slots()
        for node in self.nodes.values():
            self.del_node_slots(node)
        for node in list(self.nodes.values()):
            if node is not myself:
                self.del_node(node)
        if hard:
            self.current_epoch = 0
            self.last_vote_epoch = 0
            myself.config_epoch = 0
            self.rename_node(myself, new_name or new_node_name())
        self.version += 1

    # -- CLUSTER NODES ------------------------------------------------------------------------

    def node_line(self, node: NodeInfo, *, use_pport: bool = False) -> str:
        """One CLUSTER NODES line, without the trailing newline."""
        if self._runs_version != self.version:
            self._refresh_runs()
        port = node._pport if use_pport and node._pport else node._port
        addr = f"{node._ip}:{port}@{node._cport}"
        if node._hostname:
            addr += "," + node._hostname
        master = node._master._name if node._master is not None else "-"
        link = "connected" if node.link_connected or node._flags & NODE_MYSELF else "disconnected"
        line = (
            f"{node._name} {addr} {flags_text(node._flags)} {master} "
            f"{node.ping_sent} {node.pong_received} {node.shown_epoch} {link}"
        )
        tokens = self._slot_tokens.get(node._name)
        if tokens:
            line += " " + tokens
        if node._flags & NODE_MYSELF and (self.migrating_to or self.importing_from):
            opened = []
            for slot in sorted(self.migrating_to.keys() | self.importing_from.keys()):
                peer = self.migrating_to.get(slot)
                if peer is not None:
                    opened.append(f"[{slot}->-{peer._name}]")
                else:
                    opened.append(f"[{slot}-<-{self.importing_from[slot]._name}]")
            line += " " + " ".join(opened)
        return line

    def nodes_text(self, *, exclude_flags: int = 0, use_pport: bool = False) -> str:
        """CLUSTER NODES: one line per node (those with a flag in ``exclude_flags`` left
        out; nodes.conf excludes HANDSHAKE), each ending in ``\\n``."""
        return "".join(
            self.node_line(node, use_pport=use_pport) + "\n"
            for node in self.nodes.values()
            if not node._flags & exclude_flags
        )

    def replicas_text(self, master: NodeInfo, *, use_pport: bool = False) -> list[str]:
        """CLUSTER REPLICAS: the NODES line of each replica (each ending in ``\\n``)."""
        return [self.node_line(replica, use_pport=use_pport) + "\n" for replica in master.replicas]

    # -- CLUSTER SLOTS / SHARDS ---------------------------------------------------------------

    def preferred_endpoint(self, node: NodeInfo, endpoint_type: str | None = None) -> str:
        """The address clients are told to use (MOVED/ASK, SHARDS ``endpoint``):
        ip; hostname or ``?`` when it has none; or the empty string."""
        kind = endpoint_type or self.options.preferred_endpoint_type
        if kind == "ip":
            return node._ip
        if kind == "hostname":
            return node._hostname or "?"
        return ""

    def client_port(self, node: NodeInfo, *, use_pport: bool = False) -> int:
        """The port clients are told: ``pport`` for plain clients of a TLS cluster if known."""
        return node._pport if use_pport and node._pport else node._port

    def _slots_node_entry(self, node: NodeInfo, kind: str, use_pport: bool) -> list:
        if kind == "ip":
            endpoint: bytes | None = node._ip.encode()
        elif kind == "hostname":
            endpoint = node._hostname.encode() if node._hostname else b"?"
        else:
            endpoint = None
        metadata: dict[bytes, bytes] = {}
        if kind != "ip":
            metadata[b"ip"] = node._ip.encode()
        if kind != "hostname" and node._hostname:
            metadata[b"hostname"] = node._hostname.encode()
        port = node._pport if use_pport and node._pport else node._port
        return [endpoint, port, node._name.encode(), metadata]

    def slots_reply(self, *, endpoint_type: str | None = None, use_pport: bool = False) -> list:
        """CLUSTER SLOTS reply values (cached until the topology changes; do not mutate)."""
        kind = endpoint_type or self.options.preferred_endpoint_type
        runs = self.slot_runs()
        key = (kind, use_pport)
        cached = self._slots_reply_cache.get(key)
        if cached is not None:
            return cached
        entries: dict[str, list] = {}
        reply = []
        for start, end, node in runs:
            nodes = entries.get(node._name)
            if nodes is None:
                nodes = [self._slots_node_entry(node, kind, use_pport)]
                for replica in node.replicas:
                    if replica._flags & NODE_FAIL or replica._repl_offset == 0:
                        continue
                    nodes.append(self._slots_node_entry(replica, kind, use_pport))
                entries[node._name] = nodes
            reply.append([start, end, *nodes])
        self._slots_reply_cache[key] = reply
        return reply

    def _shard_node(self, node: NodeInfo, kind: str) -> dict[bytes, object]:
        tls = self.options.tls_cluster
        entry: dict[bytes, object] = {b"id": node._name.encode()}
        plain_port = node._pport if tls else node._port
        tls_port = node._port if tls else 0
        if plain_port:
            entry[b"port"] = plain_port
        if tls_port:
            entry[b"tls-port"] = tls_port
        entry[b"ip"] = node._ip.encode()
        entry[b"endpoint"] = self.preferred_endpoint(node, kind).encode()
        if node._hostname:
            entry[b"hostname"] = node._hostname.encode()
        entry[b"role"] = b"replica" if node._flags & NODE_SLAVE else b"master"
        entry[b"replication-offset"] = node._repl_offset
        if node._flags & NODE_FAIL:
            health = b"fail"
        elif node._flags & NODE_SLAVE and node._repl_offset == 0:
            health = b"loading"
        else:
            health = b"online"
        entry[b"health"] = health
        return entry

    def shards_reply(self, *, endpoint_type: str | None = None) -> list:
        """CLUSTER SHARDS reply values: one map per master (in ``nodes`` order), with its
        slot ranges as flat integers and its nodes (master first, then its replicas).
        Myself's ``repl_offset`` must be kept current by the caller."""
        kind = endpoint_type or self.options.preferred_endpoint_type
        pairs: dict[str, list[int]] = {}
        for start, end, node in self.slot_runs():
            pairs.setdefault(node._name, []).extend((start, end))
        reply = []
        for node in self.nodes.values():
            if not node._flags & NODE_MASTER:
                continue
            members = [self._shard_node(node, kind)]
            members.extend(self._shard_node(replica, kind) for replica in node.replicas)
            reply.append({b"slots": pairs.get(node._name, []), b"nodes": members})
        return reply

    # -- CLUSTER INFO -------------------------------------------------------------------------

    def slot_counts(self) -> tuple[int, int, int, int]:
        """(assigned, ok, pfail, fail) slot counts, by the flags of each slot's owner."""
        if self._runs_version != self.version:
            self._refresh_runs()
        return self._slot_counts

    def info_text(self) -> str:
        """The CLUSTER INFO text, in Redis 7.0's field order."""
        assigned, ok, pfail, fail = self.slot_counts()
        myself = self.myself
        my_epoch = myself.shown_epoch
        lines = [
            f"cluster_state:{'ok' if self.ok else 'fail'}",
            f"cluster_slots_assigned:{assigned}",
            f"cluster_slots_ok:{ok}",
            f"cluster_slots_pfail:{pfail}",
            f"cluster_slots_fail:{fail}",
            f"cluster_known_nodes:{len(self.nodes)}",
            f"cluster_size:{self.size}",
            f"cluster_current_epoch:{self.current_epoch}",
            f"cluster_my_epoch:{my_epoch}",
        ]
        for direction, counters in (("sent", self.stats_sent), ("received", self.stats_received)):
            for kind, count in enumerate(counters):
                if count:
                    lines.append(f"cluster_stats_messages_{MESSAGE_TYPE_NAMES[kind]}_{direction}:{count}")
            lines.append(f"cluster_stats_messages_{direction}:{sum(counters)}")
        lines.append(f"total_cluster_links_buffer_limit_exceeded:{self.links_buffer_limit_exceeded}")
        return "".join(line + "\r\n" for line in lines)
