"""cluster/commands_logic.py: argument checks, error texts and effects of the state-changing
CLUSTER subcommands.

The error texts in the tables were observed on redis-server 7.0.15 (a single cluster-enabled
node, and a three-node cluster for the texts that need peers). The `real` test replays a
command sequence on a live single node and on ours, comparing every reply and, after each
step, CLUSTER NODES / INFO / SLOTS / SHARDS encoded in RESP2 and RESP3."""

from __future__ import annotations

import pytest

from cluster import commands_logic as cl
from cluster.commands_logic import Outcome, parse_slot, string2ll
from cluster.slots import CLUSTER_SLOTS
from cluster.state import (
    NODE_MASTER,
    NODE_MIGRATE_TO,
    NODE_MYSELF,
    NODE_SLAVE,
    WRITABLE_DELAY,
    ClusterState,
    NodeInfo,
)
from node.errors import CommandError
from node.replies import OK, Status

NOW = 1_800_000_000_000
ME = "576ddfa2831af7b75f7c9ccefa7066289c03da42"
ID_B = "b" * 40
ID_C = "c" * 40


def fresh() -> ClusterState:
    return ClusterState.new(ME, port=55253)


def cluster_of_three(me_replica: bool = False) -> tuple[ClusterState, NodeInfo, NodeInfo]:
    """Myself (master of 0-8191, or a replica of B), B (master of 8192-16383), C (B's replica)."""
    state = fresh()
    b = NodeInfo(ID_B, NODE_MASTER, ip="127.0.0.1", port=7001, cport=17001, config_epoch=2)
    c = NodeInfo(ID_C, NODE_SLAVE, ip="127.0.0.1", port=7002, cport=17002)
    state.add_node(b)
    state.add_node(c)
    state.set_replica_of(c, b)
    state.add_slots(b, range(8192, CLUSTER_SLOTS))
    if me_replica:
        state.set_replica_of(state.myself, b)
    else:
        state.add_slots(state.myself, range(0, 8192))
        state.myself.config_epoch = 1
    state.current_epoch = 2
    return state, b, c


def cmd(*args) -> list[bytes]:
    return [b"CLUSTER", *(a if isinstance(a, bytes) else str(a).encode() for a in args)]


def no_keys(slot: int) -> int:
    return 0


def call(state: ClusterState, *args, keys=no_keys, has_keys=False, now=NOW) -> Outcome:
    sub = args[0].lower()
    argv = cmd(*args)
    if sub in ("addslots", "delslots", "addslotsrange", "delslotsrange", "bumpepoch", "set-config-epoch"):
        return getattr(cl, "cluster_" + sub.replace("-", "_"))(state, argv)
    if sub == "setslot":
        return cl.cluster_setslot(state, argv, count_keys_in_slot=keys)
    if sub in ("forget", "count-failure-reports"):
        return getattr(cl, "cluster_" + sub.replace("-", "_"))(state, argv, now=now)
    if sub == "reset":
        return cl.cluster_reset(state, argv, has_keys=has_keys, new_name="e" * 40)
    raise AssertionError(sub)


def error_of(state: ClusterState, *args, **kw) -> str:
    before = state.nodes_text(), state.current_epoch, dict(state.migrating_to), dict(state.importing_from)
    with pytest.raises(CommandError) as info:
        call(state, *args, **kw)
    after = state.nodes_text(), state.current_epoch, dict(state.migrating_to), dict(state.importing_from)
    assert after == before, "a refused command must not change the state"
    return info.value.message


# -- integers and slots ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,value",
    [(b"0", 0), (b"7", 7), (b"-7", -7), (b"9223372036854775807", 2**63 - 1), (b"-9223372036854775808", -(2**63))],
)
def test_string2ll_accepts(raw, value):
    assert string2ll(raw) == value


@pytest.mark.parametrize(
    "raw", [b"", b"-", b"-0", b"01", b"+1", b" 1", b"1 ", b"1.0", b"x", b"9223372036854775808", b"\xd9\xa1"]
)
def test_string2ll_rejects(raw):
    assert string2ll(raw) is None


def test_parse_slot():
    assert parse_slot(b"0") == 0 and parse_slot(b"16383") == 16383
    for raw in (b"16384", b"-1", b"01", b"+1", b" 1", b"x", b""):
        with pytest.raises(CommandError, match="^ERR Invalid or out of range slot$"):
            parse_slot(raw)


# -- the error table (7.0.15) ---------------------------------------------------------------------------

SINGLE_NODE_ERRORS = [
    (("ADDSLOTS", "x"), "ERR Invalid or out of range slot"),
    (("ADDSLOTS", "-1"), "ERR Invalid or out of range slot"),
    (("ADDSLOTS", "16384"), "ERR Invalid or out of range slot"),
    (("ADDSLOTS", "01"), "ERR Invalid or out of range slot"),
    (("ADDSLOTS", "+1"), "ERR Invalid or out of range slot"),
    (("ADDSLOTS", " 1"), "ERR Invalid or out of range slot"),
    (("ADDSLOTS", "1", "x"), "ERR Invalid or out of range slot"),
    (("ADDSLOTS", "9000", "9000"), "ERR Slot 9000 specified multiple times"),
    (("ADDSLOTS", "1"), "ERR Slot 1 is already busy"),
    (("ADDSLOTS", "9000", "1"), "ERR Slot 1 is already busy"),
    (("ADDSLOTS", "1", "x"), "ERR Invalid or out of range slot"),  # parsing comes before busy checks
    (("ADDSLOTSRANGE", "9000"), "ERR wrong number of arguments for 'cluster|addslotsrange' command"),
    (("ADDSLOTSRANGE", "9000", "9001", "9002"), "ERR wrong number of arguments for 'cluster|addslotsrange' command"),
    (("ADDSLOTSRANGE", "9001", "9000"), "ERR start slot number 9001 is greater than end slot number 9000"),
    (("ADDSLOTSRANGE", "9000", "9005", "9003", "9010"), "ERR Slot 9003 specified multiple times"),
    (("ADDSLOTSRANGE", "x", "9000"), "ERR Invalid or out of range slot"),
    (("ADDSLOTSRANGE", "9005", "x"), "ERR Invalid or out of range slot"),
    (("ADDSLOTSRANGE", "9001", "9000", "x", "1"), "ERR start slot number 9001 is greater than end slot number 9000"),
    (("ADDSLOTSRANGE", "0", "3", "x", "1"), "ERR Slot 0 is already busy"),  # pair by pair
    (("DELSLOTS", "9000"), "ERR Slot 9000 is already unassigned"),
    (("DELSLOTS", "1", "1"), "ERR Slot 1 specified multiple times"),
    (("DELSLOTS", "x"), "ERR Invalid or out of range slot"),
    (("DELSLOTS", "9000", "x"), "ERR Invalid or out of range slot"),
    (("DELSLOTSRANGE", "9000", "9001"), "ERR Slot 9000 is already unassigned"),
    (("DELSLOTSRANGE", "0", "1", "1", "2"), "ERR Slot 1 specified multiple times"),
    (("DELSLOTSRANGE", "5", "4"), "ERR start slot number 5 is greater than end slot number 4"),
    (("DELSLOTSRANGE", "5"), "ERR wrong number of arguments for 'cluster|delslotsrange' command"),
    (("SETSLOT", "1", "x"), "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"),
    (("SETSLOT", "x", "stable"), "ERR Invalid or out of range slot"),
    (("SETSLOT", "1", "migrating"), "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"),
    (("SETSLOT", "1", "migrating", "abc"), "ERR I don't know about node abc"),
    (("SETSLOT", "9000", "migrating", "abc"), "ERR I'm not the owner of hash slot 9000"),
    (("SETSLOT", "1", "importing", "abc"), "ERR I'm already the owner of hash slot 1"),
    (("SETSLOT", "9000", "importing", "abc"), "ERR I don't know about node abc"),
    (("SETSLOT", "1", "node", "abc"), "ERR Unknown node abc"),
    (("SETSLOT", "1", "stable", "x"), "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"),
    (("SETSLOT", "1", "node"), "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"),
    (("SETSLOT", "1", "foo", "bar"), "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"),
    (("SETSLOT", "1", "importing", ME), "ERR I'm already the owner of hash slot 1"),
    (("SETSLOT", "9000", "migrating", ME), "ERR I'm not the owner of hash slot 9000"),
    (("SET-CONFIG-EPOCH", "x"), "ERR value is not an integer or out of range"),
    (("SET-CONFIG-EPOCH", "-1"), "ERR Invalid config epoch specified: -1"),
    (("FORGET", "abc"), "ERR Unknown node abc"),
    (("FORGET", "a" * 40), f"ERR Unknown node {'a' * 40}"),
    (("FORGET", ME), "ERR I tried hard but I can't forget myself..."),
    (("COUNT-FAILURE-REPORTS", "abc"), "ERR Unknown node abc"),
    (("RESET", "x"), "ERR syntax error"),
    (("RESET", "soft", "x"), "ERR unknown subcommand or wrong number of arguments for 'RESET'. Try CLUSTER HELP."),
]


@pytest.mark.parametrize("args,text", SINGLE_NODE_ERRORS, ids=[" ".join(a) for a, _ in SINGLE_NODE_ERRORS])
def test_single_node_errors(args, text):
    state = fresh()
    call(state, "ADDSLOTSRANGE", "0", "5460")
    call(state, "ADDSLOTS", "7000", "7002")
    assert error_of(state, *args) == text


def test_errors_that_need_peers():
    state, b, c = cluster_of_three()
    assert error_of(state, "SETSLOT", "100", "MIGRATING", ID_C) == "ERR Target node is not a master"
    assert error_of(state, "SETSLOT", "9000", "IMPORTING", ID_C) == "ERR Target node is not a master"
    assert error_of(state, "SETSLOT", "100", "NODE", ID_C) == "ERR Target node is not a master"
    assert error_of(state, "SET-CONFIG-EPOCH", "7") == (
        "ERR The user can assign a config epoch only when the node does not know any other node."
    )
    assert error_of(state, "RESET", has_keys=True) == (
        "ERR CLUSTER RESET can't be called with master nodes containing keys"
    )
    assert error_of(state, "SETSLOT", "5061", "NODE", ID_B, keys=lambda slot: 2) == (
        "ERR Can't assign hashslot 5061 to a different node while I still hold keys for this hash slot."
    )
    replica, b, c = cluster_of_three(me_replica=True)
    assert error_of(replica, "SETSLOT", "100", "STABLE") == "ERR Please use SETSLOT only with masters."
    assert error_of(replica, "SETSLOT", "x", "STABLE") == "ERR Please use SETSLOT only with masters."
    assert error_of(replica, "FORGET", ID_B) == "ERR Can't forget my master!"
    assert error_of(replica, "FORGET", "f" * 40) == f"ERR Unknown node {'f' * 40}"


def test_error_texts_show_arguments_as_redis_prints_them():
    state = fresh()
    assert error_of(state, "FORGET", b"ab\x00cd") == "ERR Unknown node ab"  # %s stops at NUL
    assert error_of(state, "FORGET", b"a\r\nb") == "ERR Unknown node a  b"
    assert error_of(state, "RESET", "Soft", "x").endswith("for 'RESET'. Try CLUSTER HELP.")


def test_arity_checks_are_there_when_called_directly():
    state = fresh()
    for args, name in [
        (("ADDSLOTS",), "addslots"),
        (("DELSLOTS",), "delslots"),
        (("ADDSLOTSRANGE", "1"), "addslotsrange"),
        (("SETSLOT", "1"), "setslot"),
        (("SET-CONFIG-EPOCH",), "set-config-epoch"),
        (("BUMPEPOCH", "x"), "bumpepoch"),
        (("FORGET",), "forget"),
        (("COUNT-FAILURE-REPORTS",), "count-failure-reports"),
    ]:
        assert error_of(state, *args) == f"ERR wrong number of arguments for 'cluster|{name}' command"


# -- effects ---------------------------------------------------------------------------------------------


def test_addslots_and_delslots_apply_and_clear_importing():
    state, b, c = cluster_of_three()
    call(state, "DELSLOTS", "100")
    state.set_importing(100, b)
    out = call(state, "ADDSLOTS", "100")
    assert out == Outcome(OK, save_config=True, update_state=True)
    assert state.slots[100] is state.myself and state.importing_from == {}
    out = call(state, "DELSLOTSRANGE", "0", "9", "20", "29")
    assert out.reply is OK and state.myself.num_slots == 8192 - 20
    assert state.slots[0] is None and state.slots[10] is state.myself and state.slots[29] is None
    call(state, "ADDSLOTSRANGE", "0", "9", "20", "29")
    assert state.myself.num_slots == 8192


def test_replica_can_delslots_in_7_0():
    """7.0.15: CLUSTER DELSLOTS on a replica is accepted (it edits its view)."""
    replica, b, c = cluster_of_three(me_replica=True)
    assert call(replica, "DELSLOTS", "9000").reply is OK
    assert replica.slots[9000] is None
    assert error_of(replica, "ADDSLOTS", "8192") == "ERR Slot 8192 is already busy"


def test_setslot_migrating_importing_stable():
    state, b, c = cluster_of_three()
    assert call(state, "SETSLOT", "100", "MIGRATING", ID_B).reply is OK
    assert call(state, "setslot", "9000", "importing", ID_B).reply is OK
    assert state.migrating_to == {100: b} and state.importing_from == {9000: b}
    assert f"[100->-{ID_B}] [9000-<-{ID_B}]" in state.node_line(state.myself)
    out = call(state, "SETSLOT", "100", "STABLE")
    assert out == Outcome(OK, save_config=True, update_state=True)
    call(state, "SETSLOT", "9000", "STABLE")
    assert state.migrating_to == {} and state.importing_from == {}
    call(state, "SETSLOT", "8000", "STABLE")  # not open: still OK


def test_setslot_node_giving_a_slot_away():
    state, b, c = cluster_of_three()
    call(state, "SETSLOT", "100", "MIGRATING", ID_B)
    out = call(state, "SETSLOT", "100", "NODE", ID_B)
    assert out == Outcome(OK, save_config=True, update_state=True)
    assert state.slots[100] is b and state.migrating_to == {}  # no keys left: migration closed


def test_setslot_node_keeps_migrating_state_while_keys_remain_elsewhere():
    state, b, c = cluster_of_three()
    call(state, "SETSLOT", "9000", "IMPORTING", ID_B)
    # assigning a slot I do not own while I hold keys for it: allowed, importing stays
    call(state, "SETSLOT", "9001", "NODE", ID_B, keys=lambda slot: 3)
    assert state.importing_from == {9000: b}


def test_setslot_node_myself_after_importing_bumps_the_epoch():
    state, b, c = cluster_of_three()
    call(state, "SETSLOT", "9000", "IMPORTING", ID_B)
    out = call(state, "SETSLOT", "9000", "NODE", ME)
    assert out == Outcome(OK, save_config=True, update_state=True, broadcast_pong=True)
    assert state.slots[9000] is state.myself and state.importing_from == {}
    assert state.myself.config_epoch == 3 and state.current_epoch == 3  # 1 was not the max


def test_setslot_node_myself_without_importing_keeps_the_epoch():
    state, b, c = cluster_of_three()
    out = call(state, "SETSLOT", "9000", "NODE", ME)
    assert not out.broadcast_pong and state.myself.config_epoch == 1


def test_master_losing_its_last_slot_becomes_a_replica():
    state = fresh()
    b = NodeInfo(ID_B, NODE_MASTER, ip="127.0.0.1", port=7001, cport=17001)
    state.add_node(b)
    call(state, "ADDSLOTS", "5")
    call(state, "SETSLOT", "5", "MIGRATING", ID_B)
    out = call(state, "SETSLOT", "5", "NODE", ID_B)
    assert out.replicate_from is b and out.fsync_config
    me = state.myself
    assert me.flags == NODE_MYSELF | NODE_SLAVE and me.master is b and b.replicas == [me]
    assert state.migrating_to == {}
    # with cluster-allow-replica-migration off it stays an empty master
    state = fresh()
    state.options.allow_replica_migration = False
    b = NodeInfo(ID_B, NODE_MASTER)
    state.add_node(b)
    call(state, "ADDSLOTS", "5")
    assert call(state, "SETSLOT", "5", "NODE", ID_B).replicate_from is None
    assert state.myself.flags & NODE_MASTER


def test_set_config_epoch():
    state = fresh()
    out = call(state, "SET-CONFIG-EPOCH", "5")
    assert out == Outcome(OK, save_config=True, update_state=True)
    assert state.myself.config_epoch == 5 and state.current_epoch == 5
    assert error_of(state, "SET-CONFIG-EPOCH", "6") == "ERR Node config epoch is already non-zero"
    zero = fresh()
    call(zero, "SET-CONFIG-EPOCH", "0")
    assert zero.myself.config_epoch == 0
    high = fresh()
    high.current_epoch = 9
    call(high, "SET-CONFIG-EPOCH", "3")
    assert high.current_epoch == 9  # never lowered


def test_bumpepoch():
    state = fresh()
    call(state, "SET-CONFIG-EPOCH", "5")
    out = call(state, "BUMPEPOCH")
    assert out.reply == Status("STILL 5") and not out.save_config
    state, b, c = cluster_of_three()
    out = call(state, "BUMPEPOCH")
    assert out == Outcome(Status("BUMPED 3"), save_config=True, fsync_config=True)
    assert call(state, "BUMPEPOCH").reply == Status("STILL 3")


def test_forget_bans_and_removes():
    state, b, c = cluster_of_three()
    state.add_failure_report(b, c, NOW)
    out = call(state, "FORGET", ID_C)
    assert out == Outcome(OK, save_config=True, update_state=True)
    assert state.lookup(ID_C) is None and b.replicas == [] and b.fail_reports == {}
    assert state.blacklisted(ID_C, NOW + 60_000) and not state.blacklisted(ID_C, NOW + 60_001)
    # 7.0: forgetting it again is "Unknown node" (no +OK for banned names before 7.2)
    assert error_of(state, "FORGET", ID_C) == f"ERR Unknown node {ID_C}"
    call(state, "FORGET", ID_B)
    assert all(owner is None for owner in state.slots[8192:])


def test_count_failure_reports():
    state, b, c = cluster_of_three()
    assert call(state, "COUNT-FAILURE-REPORTS", ID_B).reply == 0
    state.add_failure_report(b, c, NOW - 30_001)  # expired (node_timeout 15000 * 2)
    state.add_failure_report(b, state.myself, NOW - 100)
    assert call(state, "COUNT-FAILURE-REPORTS", ID_B).reply == 1
    assert call(state, "COUNT-FAILURE-REPORTS", ME).reply == 0


def test_reset_soft_and_hard():
    state, b, c = cluster_of_three()
    call(state, "SETSLOT", "100", "MIGRATING", ID_B)
    out = call(state, "RESET")
    assert out == Outcome(OK, save_config=True, fsync_config=True, update_state=True)
    assert list(state.nodes) == [ME] and state.myself.num_slots == 0 and state.migrating_to == {}
    assert state.current_epoch == 2
    out = call(state, "RESET", "HARD")
    assert state.myself.name == "e" * 40 and state.current_epoch == 0 and state.myself.config_epoch == 0
    replica, b, c = cluster_of_three(me_replica=True)
    out = call(replica, "reset", "soft", has_keys=True)  # a replica may hold keys
    assert out.stop_replication_and_flush
    assert replica.myself.flags == NODE_MYSELF | NODE_MASTER and not replica.myself.flags & NODE_MIGRATE_TO


# -- differential against a live redis-server 7.0 --------------------------------------------------------

SEQUENCE = [
    ("ADDSLOTS", "x"), ("ADDSLOTS", "16384"), ("ADDSLOTS", "01"),
    ("ADDSLOTSRANGE", "0", "5460"), ("ADDSLOTS", "7000", "7002"),
    ("ADDSLOTS", "9000", "9000"), ("ADDSLOTS", "1"), ("ADDSLOTSRANGE", "9001", "9000"),
    ("ADDSLOTSRANGE", "9000", "9005", "9003", "9010"), ("ADDSLOTSRANGE", "9000", "9001", "9002"),
    ("DELSLOTS", "9000"), ("DELSLOTS", "1", "1"), ("DELSLOTSRANGE", "100", "199", "300", "300"),
    ("DELSLOTSRANGE", "5", "4"), ("ADDSLOTS", "150", "300"),
    ("SETSLOT", "1", "x"), ("SETSLOT", "x", "stable"), ("SETSLOT", "1", "migrating", "abc"),
    ("SETSLOT", "9000", "migrating", "abc"), ("SETSLOT", "1", "importing", "abc"), ("SETSLOT", "1", "node", "abc"),
    ("SETSLOT", "1", "migrating", "{me}"), ("SETSLOT", "9000", "importing", "{me}"),
    ("SETSLOT", "9001", "IMPORTING", "{me}"), ("SETSLOT", "9001", "STABLE"),
    ("SET-CONFIG-EPOCH", "x"), ("SET-CONFIG-EPOCH", "-1"), ("SET-CONFIG-EPOCH", "5"), ("SET-CONFIG-EPOCH", "6"),
    ("BUMPEPOCH",), ("SETSLOT", "9000", "node", "{me}"), ("BUMPEPOCH",),
    ("FORGET", "abc"), ("FORGET", "{me}"), ("COUNT-FAILURE-REPORTS", "abc"), ("COUNT-FAILURE-REPORTS", "{me}"),
    ("RESET", "x"), ("RESET", "soft", "x"), ("DELSLOTSRANGE", "0", "99"),
    ("RESET",), ("ADDSLOTSRANGE", "16000", "16383"), ("SETSLOT", "16383", "MIGRATING", "{me}"),
]


def _parse(data: bytes):
    from tests.support.rawconn import RawConnection

    conn = RawConnection.__new__(RawConnection)
    conn.buf, conn.pos, conn.sock = bytearray(data), 0, None
    reply = conn.read_reply()
    assert conn.pos == len(data), "trailing bytes"
    return reply


@pytest.mark.real
def test_commands_and_replies_match_a_real_server():
    import time

    from node.replies import ErrorReply, Verbatim, encode
    from tests.support.procs import redis_server_path, start_real_redis
    from tests.support.rawconn import RawConnection

    if redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    server = start_real_redis("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
    try:
        conns = {2: RawConnection(server.port), 3: RawConnection(server.port)}
        conns[3].call("HELLO", "3")
        my_id = conns[2].call("CLUSTER", "MYID").value.decode()
        # Let the real node leave its start-up window (cluster_size reads 1 until then).
        deadline = time.monotonic() + 10
        while b"cluster_size:0" not in conns[2].call("CLUSTER", "INFO").value:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        state = ClusterState.new(my_id, port=server.port)
        state.update_state(NOW)
        state.update_state(NOW + WRITABLE_DELAY)

        def views():
            return {
                "NODES": Verbatim(state.nodes_text().encode()),
                "INFO": Verbatim(state.info_text().encode()),
                "SLOTS": state.slots_reply(),
                "SHARDS": state.shards_reply(),
            }

        for step in SEQUENCE:
            args = tuple(my_id if a == "{me}" else a for a in step)
            try:
                outcome = call(state, *args)
                ours = outcome.reply
                if outcome.update_state:
                    state.update_state(NOW + WRITABLE_DELAY)
            except CommandError as exc:
                ours = ErrorReply(exc.message)
            real = conns[2].call("CLUSTER", *args)
            assert _parse(encode(ours, 2)) == real, args
            for what, value in views().items():
                for proto, conn in conns.items():
                    real = conn.call("CLUSTER", what)
                    assert _parse(encode(value, proto)) == real, (args, what, proto)
        for conn in conns.values():
            conn.close()
    finally:
        server.stop()
