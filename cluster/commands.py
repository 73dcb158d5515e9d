"""CLUSTER, READONLY, READWRITE and ASKING, declared as in Redis 7.0's command table.

They are always registered (Redis always has them); without cluster mode they answer
``ERR This instance has cluster support disabled`` after the usual arity checks, exactly
like a real non-cluster redis-server. In cluster mode they work on ``server.cluster``
(a :class:`cluster.glue.ClusterNode`); the state-changing subcommands are the pure
functions of ``cluster/commands_logic.py`` and their effects are performed by
``ClusterNode.apply``.

Not here yet: CLUSTER FAILOVER and REPLICATE (replication comes later), so they are
unknown subcommands. SETSLOT changes the state only (no MIGRATE yet).
"""

from __future__ import annotations

from cluster import commands_logic as logic
from cluster.glue import literal_ip, now_ms
from cluster.slots import CLUSTER_SLOTS, key_hash_slot
from cluster.state import NODE_SLAVE
from node.commands.spec import command, container
from node.errors import CommandError, unknown_subcommand_or_arity
from node.replies import OK, Status, Verbatim

DISABLED = "ERR This instance has cluster support disabled"
NOT_INTEGER = "ERR value is not an integer or out of range"

ADMIN = "admin stale no_async_loading"
ND = "nondeterministic_output"

HELP = (
    "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a link",
    "HELP",
    "    Prints this help.",
)


def _node(client):
    """The ClusterNode, or the 'cluster support disabled' error."""
    node = getattr(client.server, "cluster", None)
    if node is None:
        raise CommandError(DISABLED)
    return node


def _int(raw: bytes) -> int:
    value = logic.string2ll(raw)
    if value is None:
        raise CommandError(NOT_INTEGER)
    return value


container("cluster", -2, group="cluster", summary="A container for cluster commands", since="3.0.0")


@command("cluster|help", 2, "loading stale", group="cluster", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def cluster_help(client, argv):
    _node(client)
    return [Status(line) for line in HELP]


@command("cluster|myid", 2, "stale", group="cluster", since="3.0.0", summary="Return the node id")
def cluster_myid(client, argv):
    return _node(client).state.myself.name.encode()


@command("cluster|info", 2, "stale", group="cluster", since="3.0.0", tips=ND,
         summary="Provides info about Redis Cluster node state")
def cluster_info(client, argv):
    return Verbatim(_node(client).state.info_text().encode())


@command("cluster|nodes", 2, "stale", group="cluster", since="3.0.0", tips=ND,
         complexity="O(N) where N is the total number of Cluster nodes",
         summary="Get Cluster config for the node")
def cluster_nodes(client, argv):
    return Verbatim(_node(client).state.nodes_text().encode())


@command("cluster|slots", 2, "stale", group="cluster", since="3.0.0", tips=ND,
         complexity="O(N) where N is the total number of Cluster nodes",
         summary="Get array of Cluster slot to node mappings")
def cluster_slots(client, argv):
    return _node(client).state.slots_reply()


@command("cluster|shards", 2, "stale", group="cluster", since="7.0.0", tips=ND,
         complexity="O(N) where N is the total number of cluster nodes",
         summary="Get array of cluster slots to node mappings")
def cluster_shards(client, argv):
    return _node(client).state.shards_reply()


@command("cluster|links", 2, "stale", group="cluster", since="7.0.0", tips=ND,
         complexity="O(N) where N is the total number of Cluster nodes",
         summary="Returns a list of all TCP links to and from peer nodes in cluster")
def cluster_links(client, argv):
    node = _node(client)
    return node.runtime.links_reply() if node.runtime is not None else []


@command("cluster|keyslot", 3, "stale", group="cluster", since="3.0.0",
         complexity="O(N) where N is the number of bytes in the key",
         summary="Returns the hash slot of the specified key")
def cluster_keyslot(client, argv):
    _node(client)
    return key_hash_slot(argv[2])


@command("cluster|countkeysinslot", 3, "stale", group="cluster", since="3.0.0",
         summary="Return the number of local keys in the specified hash slot")
def cluster_countkeysinslot(client, argv):
    node = _node(client)
    slot = _int(argv[2])
    if not 0 <= slot < CLUSTER_SLOTS:
        raise CommandError("ERR Invalid slot")
    return node.db.count_keys_in_slot(slot)


@command("cluster|getkeysinslot", 4, "stale", group="cluster", since="3.0.0", tips=ND,
         complexity="O(log(N)) where N is the number of requested keys",
         summary="Return local key names in the specified hash slot")
def cluster_getkeysinslot(client, argv):
    node = _node(client)
    slot = _int(argv[2])
    count = _int(argv[3])
    if count < 0 or not 0 <= slot < CLUSTER_SLOTS:
        raise CommandError("ERR Invalid slot or number of keys")
    return node.db.keys_in_slot(slot, count)


@command("cluster|meet", -4, ADMIN, group="cluster", since="3.0.0",
         summary="Force a node cluster to handshake with another node")
def cluster_meet(client, argv):
    node = _node(client)
    if len(argv) > 5:
        raise CommandError(unknown_subcommand_or_arity(argv[1], "cluster"))
    port = logic.string2ll(argv[3])
    if port is None:
        raise CommandError(f"ERR Invalid TCP base port specified: {logic._text(argv[3])}")
    if len(argv) == 5:
        cport = logic.string2ll(argv[4])
        if cport is None:
            raise CommandError(f"ERR Invalid TCP bus port specified: {logic._text(argv[4])}")
    else:
        cport = port + 10000
    ip = literal_ip(argv[2])
    if ip is None or not 0 < port <= 65535 or not 0 < cport <= 65535:
        raise CommandError(
            f"ERR Invalid node address specified: {logic._text(argv[2])}:{logic._text(argv[3])}"
        )
    if node.runtime is None:
        raise CommandError("ERR CLUSTER MEET needs the cluster bus, which is not running in this build")
    node.runtime.meet(ip, port, cport)
    return OK


@command("cluster|addslots", -3, ADMIN, group="cluster", since="3.0.0",
         complexity="O(N) where N is the total number of hash slot arguments",
         summary="Assign new hash slots to receiving node")
def cluster_addslots(client, argv):
    node = _node(client)
    return node.apply(logic.cluster_addslots(node.state, argv))


@command("cluster|addslotsrange", -4, ADMIN, group="cluster", since="7.0.0",
         complexity="O(N) where N is the total number of the slots between the start slot and end slot arguments.",
         summary="Assign new hash slots to receiving node")
def cluster_addslotsrange(client, argv):
    node = _node(client)
    return node.apply(logic.cluster_addslotsrange(node.state, argv))


@command("cluster|delslots", -3, ADMIN, group="cluster", since="3.0.0",
         complexity="O(N) where N is the total number of hash slot arguments",
         summary="Set hash slots as unbound in receiving node")
def cluster_delslots(client, argv):
    node = _node(client)
    return node.apply(logic.cluster_delslots(node.state, argv))


@command("cluster|delslotsrange", -4, ADMIN, group="cluster", since="7.0.0",
         complexity="O(N) where N is the total number of the slots between the start slot and end slot arguments.",
         summary="Set hash slots as unbound in receiving node")
def cluster_delslotsrange(client, argv):
    node = _node(client)
    return node.apply(logic.cluster_delslotsrange(node.state, argv))


@command("cluster|flushslots", 2, ADMIN, group="cluster", since="3.0.0",
         summary="Delete a node's own slots information")
def cluster_flushslots(client, argv):
    node = _node(client)
    if len(node.db.data):
        raise CommandError("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
    state = node.state
    state.del_node_slots(state.myself)
    return node.apply(logic.Outcome(save_config=True, update_state=True))


@command("cluster|setslot", -4, ADMIN, group="cluster", since="3.0.0",
         summary="Bind a hash slot to a specific node")
def cluster_setslot(client, argv):
    node = _node(client)
    return node.apply(logic.cluster_setslot(node.state, argv, count_keys_in_slot=node.db.count_keys_in_slot))


@command("cluster|set-config-epoch", 3, ADMIN, group="cluster", since="3.0.0",
         summary="Set the configuration epoch in a new node")
def cluster_set_config_epoch(client, argv):
    node = _node(client)
    return node.apply(logic.cluster_set_config_epoch(node.state, argv))


@command("cluster|bumpepoch", 2, ADMIN, group="cluster", since="3.0.0", tips=ND,
         summary="Advance the cluster config epoch")
def cluster_bumpepoch(client, argv):
    node = _node(client)
    return node.apply(logic.cluster_bumpepoch(node.state, argv))


@command("cluster|forget", 3, ADMIN, group="cluster", since="3.0.0",
         summary="Remove a node from the nodes table")
def cluster_forget(client, argv):
    node = _node(client)
    return node.apply(logic.cluster_forget(node.state, argv, now=now_ms()))


@command("cluster|count-failure-reports", 3, "admin stale", group="cluster", since="3.0.0", tips=ND,
         complexity="O(N) where N is the number of failure reports",
         summary="Return the number of failure reports active for a given node")
def cluster_count_failure_reports(client, argv):
    node = _node(client)
    return node.apply(logic.cluster_count_failure_reports(node.state, argv, now=now_ms()))


@command("cluster|reset", -2, "admin noscript stale", group="cluster", since="3.0.0",
         complexity="O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.",
         summary="Reset a Redis Cluster node")
def cluster_reset(client, argv):
    node = _node(client)
    has_keys = any(len(db.data) for db in client.server.dbs)
    return node.apply(logic.cluster_reset(node.state, argv, has_keys=has_keys))


@command("cluster|saveconfig", 2, ADMIN, group="cluster", since="3.0.0",
         summary="Forces the node to save cluster state on disk")
def cluster_saveconfig(client, argv):
    node = _node(client)
    try:
        node.save_config(fsync=True)
    except OSError as exc:
        raise CommandError(f"ERR error saving the cluster node config: {exc.strerror or exc}") from None
    return OK


def _replicas(client, argv):
    node = _node(client)
    state = node.state
    target = state.lookup(argv[2]) if len(argv[2]) == 40 else None
    if target is None:
        raise CommandError(f"ERR Unknown node {logic._text(argv[2])}")
    if target.flags & NODE_SLAVE:
        raise CommandError("ERR The specified node is not a master")
    return [line.encode() for line in state.replicas_text(target)]


@command("cluster|replicas", 3, "admin stale", group="cluster", since="5.0.0", tips=ND,
         summary="List replica nodes of the specified master node")
def cluster_replicas(client, argv):
    return _replicas(client, argv)


@command("cluster|slaves", 3, "admin stale", group="cluster", since="3.0.0", tips=ND,
         summary="List replica nodes of the specified master node")
def cluster_slaves(client, argv):
    return _replicas(client, argv)


# -- connection flags ---------------------------------------------------------------------------


@command("readonly", 1, "loading stale fast", group="cluster", acl="connection", since="3.0.0",
         summary="Enables read queries for a connection to a cluster replica node")
def readonly(client, argv):
    _node(client)
    client.readonly = True
    return OK


@command("readwrite", 1, "loading stale fast", group="cluster", acl="connection", since="3.0.0",
         summary="Disables read queries for a connection to a cluster replica node")
def readwrite(client, argv):
    _node(client)
    client.readonly = False
    return OK


@command("asking", 1, "fast", group="cluster", acl="connection", since="3.0.0",
         summary="Sent by cluster clients after an -ASK redirect")
def asking(client, argv):
    _node(client)
    client.asking = True
    return OK
