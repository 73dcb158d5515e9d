"""The state-changing CLUSTER subcommands, as pure functions of (state, argv).

Each function takes the whole command (``argv[0]`` is ``CLUSTER``, ``argv[1]`` the
subcommand as typed), validates every argument first, with Redis 7.0's checks in Redis's
order and its exact error texts, and only then changes the state in place. A refusal raises
:class:`node.errors.CommandError`, so dispatch answers it like any handler error; nothing
has changed in that case. On success it returns an :class:`Outcome`: the reply value and the
effects the caller must perform (save nodes.conf, fsync it, recompute the cluster state,
broadcast a PONG, start or stop replication). Arity errors that the command table catches
(``cluster|forget`` is exactly 3 arguments, ...) are dispatch's; the ones Redis checks inside
the subcommand (ADDSLOTSRANGE pairs, RESET's extra argument, SETSLOT's action) are here.

Texts verified against redis-server 7.0.15 (tests/unit/test_cluster_commands_logic.py has
the table). Note that in 7.0 FORGET of a node already forgotten says ``Unknown node``, and
ADDSLOTS/DELSLOTS do not refuse on a replica.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cluster.slots import CLUSTER_SLOTS
from cluster.state import NODE_MASTER, NODE_MIGRATE_TO, NODE_SLAVE, ClusterState, NodeInfo
from node.errors import SYNTAX, CommandError, unknown_subcommand_or_arity, wrong_arity
from node.replies import OK, Status

INVALID_SLOT = "ERR Invalid or out of range slot"
SETSLOT_ONLY_MASTERS = "ERR Please use SETSLOT only with masters."
SETSLOT_SYNTAX = "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"
TARGET_NOT_MASTER = "ERR Target node is not a master"
CONFIG_EPOCH_OTHERS_KNOWN = (
    "ERR The user can assign a config epoch only when the node does not know any other node."
)
CONFIG_EPOCH_NONZERO = "ERR Node config epoch is already non-zero"
FORGET_MYSELF = "ERR I tried hard but I can't forget myself..."
FORGET_MY_MASTER = "ERR Can't forget my master!"
RESET_MASTER_WITH_KEYS = "ERR CLUSTER RESET can't be called with master nodes containing keys"
NOT_INTEGER = "ERR value is not an integer or out of range"


@dataclass
class Outcome:
    """What a successful subcommand replies and what the caller must do next."""

    reply: object = OK
    save_config: bool = False  # write nodes.conf (before the reply is sent)
    fsync_config: bool = False  # ... and fsync it
    update_state: bool = False  # run ClusterState.update_state
    broadcast_pong: bool = False  # tell every node about our new config now
    replicate_from: NodeInfo | None = None  # myself became a replica of this master: REPLICAOF it
    stop_replication_and_flush: bool = False  # RESET of a replica: stop replicating, empty the data


def _text(raw: bytes) -> str:
    """An argument as Redis prints it with %s: up to a NUL, one line."""
    text = raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    return text.replace("\r", " ").replace("\n", " ")


def string2ll(raw: bytes) -> int | None:
    """Redis's strict ``string2ll``: an optional ``-``, no leading zeros, no spaces or ``+``,
    within a signed 64-bit integer."""
    digits = raw[1:] if raw[:1] == b"-" else raw
    if raw == b"0":
        return 0
    if not digits or not digits.isdigit() or digits[:1] == b"0":
        return None
    value = int(raw)
    if not -(2**63) <= value < 2**63:
        return None
    return value


def parse_slot(raw: bytes) -> int:
    """``getSlotOrReply``: a slot number or ``ERR Invalid or out of range slot``."""
    slot = string2ll(raw)
    if slot is None or not 0 <= slot < CLUSTER_SLOTS:
        raise CommandError(INVALID_SLOT)
    return slot


def _lookup_known(state: ClusterState, raw: bytes) -> NodeInfo | None:
    # clusterLookupNode: only a well-formed 40-char name can match.
    return state.lookup(raw) if len(raw) == 40 else None


# -- ADDSLOTS / DELSLOTS / ADDSLOTSRANGE / DELSLOTSRANGE -----------------------------------------


def _check_assignments(state: ClusterState, seen: bytearray, delete: bool, start: int, end: int) -> None:
    """``checkSlotAssignmentsOrReply`` for one range."""
    owners = state.slots
    for slot in range(start, end + 1):
        if delete and owners[slot] is None:
            raise CommandError(f"ERR Slot {slot} is already unassigned")
        if not delete and owners[slot] is not None:
            raise CommandError(f"ERR Slot {slot} is already busy")
        if seen[slot]:
            raise CommandError(f"ERR Slot {slot} specified multiple times")
        seen[slot] = 1


def _update_slots(state: ClusterState, seen: bytearray, delete: bool) -> Outcome:
    """``clusterUpdateSlots``: apply, clearing any importing state of the slots touched."""
    myself = state.myself
    for slot in range(CLUSTER_SLOTS):
        if seen[slot]:
            if slot in state.importing_from:
                state.set_importing(slot, None)
            if delete:
                state.del_slot(slot)
            else:
                state.add_slot(myself, slot)
    return Outcome(save_config=True, update_state=True)


def _slots(state: ClusterState, argv: list[bytes], delete: bool) -> Outcome:
    name = "delslots" if delete else "addslots"
    if len(argv) < 3:
        raise CommandError(wrong_arity(f"cluster|{name}"))
    slots = [parse_slot(raw) for raw in argv[2:]]  # every argument parses before any check
    seen = bytearray(CLUSTER_SLOTS)
    for slot in slots:
        _check_assignments(state, seen, delete, slot, slot)
    return _update_slots(state, seen, delete)


def _slots_range(state: ClusterState, argv: list[bytes], delete: bool) -> Outcome:
    name = "delslotsrange" if delete else "addslotsrange"
    if len(argv) < 4 or len(argv) % 2:
        raise CommandError(wrong_arity(f"cluster|{name}"))
    seen = bytearray(CLUSTER_SLOTS)
    for i in range(2, len(argv), 2):  # pair by pair: parse, order, then assignments
        start = parse_slot(argv[i])
        end = parse_slot(argv[i + 1])
        if start > end:
            raise CommandError(f"ERR start slot number {start} is greater than end slot number {end}")
        _check_assignments(state, seen, delete, start, end)
    return _update_slots(state, seen, delete)


def cluster_addslots(state: ClusterState, argv: list[bytes]) -> Outcome:
    """CLUSTER ADDSLOTS slot [slot ...]"""
    return _slots(state, argv, delete=False)


def cluster_delslots(state: ClusterState, argv: list[bytes]) -> Outcome:
    """CLUSTER DELSLOTS slot [slot ...]"""
    return _slots(state, argv, delete=True)


def cluster_addslotsrange(state: ClusterState, argv: list[bytes]) -> Outcome:
    """CLUSTER ADDSLOTSRANGE start end [start end ...]"""
    return _slots_range(state, argv, delete=False)


def cluster_delslotsrange(state: ClusterState, argv: list[bytes]) -> Outcome:
    """CLUSTER DELSLOTSRANGE start end [start end ...]"""
    return _slots_range(state, argv, delete=True)


# -- SETSLOT ------------------------------------------------------------------------------------


def set_my_master(state: ClusterState, master: NodeInfo) -> None:
    """The state part of Redis's ``clusterSetMaster``: myself (a master without slots, or a
    replica) becomes a replica of ``master``. The caller starts replication from it."""
    myself = state.myself
    assert master is not myself and myself.num_slots == 0
    if myself.flags & NODE_MASTER:
        myself.flags = (myself.flags & ~(NODE_MASTER | NODE_MIGRATE_TO)) | NODE_SLAVE
        state.close_all_slots()
    state.link_replica(myself, master)


def cluster_setslot(
    state: ClusterState,
    argv: list[bytes],
    *,
    count_keys_in_slot: Callable[[int], int],
) -> Outcome:
    """CLUSTER SETSLOT slot IMPORTING node-id | MIGRATING node-id | STABLE | NODE node-id

    ``count_keys_in_slot(slot)``: how many keys the local keyspace holds in that slot."""
    if len(argv) < 4:
        raise CommandError(wrong_arity("cluster|setslot"))
    myself = state.myself
    if myself.flags & NODE_SLAVE:
        raise CommandError(SETSLOT_ONLY_MASTERS)
    slot = parse_slot(argv[2])
    action = argv[3].lower()
    argc = len(argv)
    outcome = Outcome(save_config=True, update_state=True)

    if action == b"migrating" and argc == 5:
        if state.slots[slot] is not myself:
            raise CommandError(f"ERR I'm not the owner of hash slot {slot}")
        node = _lookup_known(state, argv[4])
        if node is None:
            raise CommandError(f"ERR I don't know about node {_text(argv[4])}")
        if node.flags & NODE_SLAVE:
            raise CommandError(TARGET_NOT_MASTER)
        state.set_migrating(slot, node)
    elif action == b"importing" and argc == 5:
        if state.slots[slot] is myself:
            raise CommandError(f"ERR I'm already the owner of hash slot {slot}")
        node = _lookup_known(state, argv[4])
        if node is None:
            raise CommandError(f"ERR I don't know about node {_text(argv[4])}")
        if node.flags & NODE_SLAVE:
            raise CommandError(TARGET_NOT_MASTER)
        state.set_importing(slot, node)
    elif action == b"stable" and argc == 4:
        state.set_importing(slot, None)
        state.set_migrating(slot, None)
    elif action == b"node" and argc == 5:
        node = _lookup_known(state, argv[4])
        if node is None:
            raise CommandError(f"ERR Unknown node {_text(argv[4])}")
        if node.flags & NODE_SLAVE:
            raise CommandError(TARGET_NOT_MASTER)
        keys_here = count_keys_in_slot(slot)
        if state.slots[slot] is myself and node is not myself and keys_here:
            raise CommandError(
                f"ERR Can't assign hashslot {slot} to a different node "
                "while I still hold keys for this hash slot."
            )
        # A migration whose keys are all gone ends when the slot is given away.
        if keys_here == 0 and slot in state.migrating_to:
            state.set_migrating(slot, None)
        slot_was_mine = state.slots[slot] is myself
        state.del_slot(slot)
        state.add_slot(node, slot)
        if (
            slot_was_mine
            and node is not myself
            and myself.num_slots == 0
            and state.options.allow_replica_migration
        ):
            # A master left without slots follows the new owner.
            set_my_master(state, node)
            outcome.fsync_config = True
            outcome.replicate_from = node
        if node is myself and slot in state.importing_from:
            # A manually migrated slot: take a new config epoch without a vote so that the
            # new owner wins everywhere, and say so at once.
            state.bump_epoch_without_consensus()
            state.set_importing(slot, None)
            outcome.broadcast_pong = True
    else:
        raise CommandError(SETSLOT_SYNTAX)
    return outcome


# -- epochs -------------------------------------------------------------------------------------


def cluster_set_config_epoch(state: ClusterState, argv: list[bytes]) -> Outcome:
    """CLUSTER SET-CONFIG-EPOCH epoch (only on a fresh node)."""
    if len(argv) != 3:
        raise CommandError(wrong_arity("cluster|set-config-epoch"))
    epoch = string2ll(argv[2])
    if epoch is None:
        raise CommandError(NOT_INTEGER)
    if epoch < 0:
        raise CommandError(f"ERR Invalid config epoch specified: {epoch}")
    if len(state.nodes) > 1:
        raise CommandError(CONFIG_EPOCH_OTHERS_KNOWN)
    if state.myself.config_epoch != 0:
        raise CommandError(CONFIG_EPOCH_NONZERO)
    state.myself.config_epoch = epoch
    if state.current_epoch < epoch:
        state.current_epoch = epoch
    return Outcome(save_config=True, update_state=True)


def cluster_bumpepoch(state: ClusterState, argv: list[bytes]) -> Outcome:
    """CLUSTER BUMPEPOCH -> ``+BUMPED <epoch>`` or ``+STILL <epoch>``."""
    if len(argv) != 2:
        raise CommandError(wrong_arity("cluster|bumpepoch"))
    bumped = state.bump_epoch_without_consensus()
    word = "BUMPED" if bumped else "STILL"
    return Outcome(
        reply=Status(f"{word} {state.myself.config_epoch}"), save_config=bumped, fsync_config=bumped
    )


# -- FORGET / COUNT-FAILURE-REPORTS / RESET -----------------------------------------------------------


def cluster_forget(state: ClusterState, argv: list[bytes], *, now: int) -> Outcome:
    """CLUSTER FORGET node-id: forget the node and ban its name for 60 s."""
    if len(argv) != 3:
        raise CommandError(wrong_arity("cluster|forget"))
    node = _lookup_known(state, argv[2])
    myself = state.myself
    if node is None:
        raise CommandError(f"ERR Unknown node {_text(argv[2])}")
    if node is myself:
        raise CommandError(FORGET_MYSELF)
    if myself.flags & NODE_SLAVE and myself.master is node:
        raise CommandError(FORGET_MY_MASTER)
    state.blacklist_add(node.name, now)
    state.del_node(node)
    return Outcome(save_config=True, update_state=True)


def cluster_count_failure_reports(state: ClusterState, argv: list[bytes], *, now: int) -> Outcome:
    """CLUSTER COUNT-FAILURE-REPORTS node-id -> the number of live reports."""
    if len(argv) != 3:
        raise CommandError(wrong_arity("cluster|count-failure-reports"))
    node = _lookup_known(state, argv[2])
    if node is None:
        raise CommandError(f"ERR Unknown node {_text(argv[2])}")
    return Outcome(reply=state.failure_report_count(node, now))


def cluster_reset(
    state: ClusterState,
    argv: list[bytes],
    *,
    has_keys: bool,
    new_name: str | None = None,
) -> Outcome:
    """CLUSTER RESET [HARD|SOFT]. ``has_keys``: the keyspace is not empty. ``new_name``:
    the id a hard reset takes (random when None)."""
    argc = len(argv)
    if argc < 2:
        raise CommandError(wrong_arity("cluster|reset"))
    if argc > 3:
        raise CommandError(unknown_subcommand_or_arity(argv[1], "cluster"))
    hard = False
    if argc == 3:
        mode = argv[2].lower()
        if mode == b"hard":
            hard = True
        elif mode != b"soft":
            raise CommandError(SYNTAX)
    myself = state.myself
    if myself.flags & NODE_MASTER and has_keys:
        raise CommandError(RESET_MASTER_WITH_KEYS)
    was_replica = bool(myself.flags & NODE_SLAVE)
    state.reset(hard, new_name)
    return Outcome(
        save_config=True,
        fsync_config=True,
        update_state=True,
        stop_replication_and_flush=was_replica,
    )
