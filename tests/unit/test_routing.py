"""cluster/routing.py, table-driven: Redis 7.0's getNodeByQuery decisions and the exact
redirect texts. Every row marked "7.0.15" was observed on a real three-node cluster (masters
A: 0-8191, B: 8192-16383; C a replica of A; slot 5061 (``bar``, ``{bar}x``) migrating from
A to B)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from cluster.routing import (
    CLUSTERDOWN_ERROR,
    CLUSTERDOWN_RO_ERROR,
    CLUSTERDOWN_UNBOUND_ERROR,
    CROSSSLOT_ERROR,
    TRYAGAIN_ERROR,
    Redirect,
    blocked_redirect,
    RedirectKind,
    redirect_error,
    route,
    route_transaction,
)
from cluster.slots import CLUSTER_SLOTS, key_hash_slot
from cluster.state import NODE_MASTER, NODE_MYSELF, NODE_SLAVE, ClusterState, NodeInfo

ID_A = "a" * 40
ID_B = "b" * 40
ID_C = "c" * 40

PORT = {ID_A: 49133, ID_B: 38401, ID_C: 52407}
MIGRATING_SLOT = 5061  # bar


def view(me: str, *, migrating: bool = False, ok: bool = True) -> ClusterState:
    """The cluster as node ``me`` sees it."""
    nodes = {
        ID_A: NodeInfo(ID_A, NODE_MASTER, ip="127.0.0.1", port=PORT[ID_A], cport=PORT[ID_A] + 10000),
        ID_B: NodeInfo(ID_B, NODE_MASTER, ip="127.0.0.1", port=PORT[ID_B], cport=PORT[ID_B] + 10000),
        ID_C: NodeInfo(ID_C, NODE_SLAVE, ip="127.0.0.1", port=PORT[ID_C], cport=PORT[ID_C] + 10000),
    }
    nodes[me].flags |= NODE_MYSELF
    state = ClusterState(nodes[me])
    for name, node in nodes.items():
        if name != me:
            state.add_node(node)
    state.link_replica(nodes[ID_C], nodes[ID_A])
    state.add_slots(nodes[ID_A], range(0, 8192))
    state.add_slots(nodes[ID_B], range(8192, CLUSTER_SLOTS))
    if migrating:
        if me == ID_A:
            state.set_migrating(MIGRATING_SLOT, nodes[ID_B])
        elif me == ID_B:
            state.set_importing(MIGRATING_SLOT, nodes[ID_A])
    state.ok = ok
    return state


@dataclass
class Case:
    name: str
    me: str
    keys: list[bytes]
    expect: str | None  # the error text, or None = served here
    migrating: bool = False
    ok: bool = True
    present: set[bytes] = field(default_factory=set)
    options: dict = field(default_factory=dict)
    kw: dict = field(default_factory=dict)


W = {"is_write": True}
RO = {"readonly_client": True}
ASK_ = {"asking": True}

CASES = [
    # -- stable slots
    Case("no keys", ID_A, [], None),
    Case("own slot", ID_A, [b"bar"], None),
    Case("7.0.15 GET foo on A -> MOVED to B", ID_A, [b"foo"], "MOVED 12182 127.0.0.1:38401"),
    Case("7.0.15 GET bar on B -> MOVED to A", ID_B, [b"bar"], "MOVED 5061 127.0.0.1:49133"),
    Case("7.0.15 MSET bar foo -> CROSSSLOT", ID_A, [b"bar", b"foo"], CROSSSLOT_ERROR, kw=W),
    Case("7.0.15 MSET foo bar -> CROSSSLOT", ID_A, [b"foo", b"bar"], CROSSSLOT_ERROR, kw=W),
    Case("7.0.15 MGET {a}x {a}y elsewhere -> MOVED", ID_A, [b"{a}x", b"{a}y"], "MOVED 15495 127.0.0.1:38401"),
    Case("7.0.15 same key twice elsewhere -> MOVED", ID_A, [b"foo", b"foo"], "MOVED 12182 127.0.0.1:38401"),
    Case("hashtags share a slot", ID_A, [b"{bar}1", b"{bar}2", b"bar"], None),
    # -- a replica
    Case("7.0.15 replica: GET bar -> MOVED to its master", ID_C, [b"bar"], "MOVED 5061 127.0.0.1:49133"),
    Case("7.0.15 replica READONLY: GET bar served", ID_C, [b"bar"], None, kw=RO),
    Case("7.0.15 replica READONLY: MGET {bar}1 {bar}2 served", ID_C, [b"{bar}1", b"{bar}2"], None, kw=RO),
    Case("7.0.15 replica READONLY: SET bar -> MOVED", ID_C, [b"bar"], "MOVED 5061 127.0.0.1:49133", kw={**RO, **W}),
    Case("7.0.15 replica READONLY: GET foo (other master) -> MOVED", ID_C, [b"foo"], "MOVED 12182 127.0.0.1:38401",
         kw=RO),
    Case("replica: sharded pub/sub needs no READONLY", ID_C, [b"bar"], None, kw={"is_pubsubshard": True}),
    # -- migrating (myself = A, slot 5061 -> B)
    Case("7.0.15 migrating: key present -> served", ID_A, [b"{bar}a"], None, migrating=True, present={b"{bar}a"}),
    Case("7.0.15 migrating: key missing -> ASK", ID_A, [b"{bar}b"], "ASK 5061 127.0.0.1:38401", migrating=True),
    Case("7.0.15 migrating: SET missing key -> ASK", ID_A, [b"{bar}b"], "ASK 5061 127.0.0.1:38401", migrating=True,
         kw=W),
    Case("7.0.15 migrating: some present -> TRYAGAIN", ID_A, [b"{bar}a", b"{bar}b"], TRYAGAIN_ERROR,
         migrating=True, present={b"{bar}a"}),
    Case("7.0.15 migrating: EXISTS a b, a present -> TRYAGAIN", ID_A, [b"{bar}a", b"{bar}b"], TRYAGAIN_ERROR,
         migrating=True, present={b"{bar}a"}),
    Case("7.0.15 migrating: none present -> ASK", ID_A, [b"{bar}b", b"{bar}c"], "ASK 5061 127.0.0.1:38401",
         migrating=True),
    Case("7.0.15 migrating: all present -> served", ID_A, [b"{bar}a", b"{bar}k"], None, migrating=True,
         present={b"{bar}a", b"{bar}k"}),
    Case("7.0.15 migrating: same present key twice -> served", ID_A, [b"{bar}a", b"{bar}a"], None, migrating=True,
         present={b"{bar}a"}),
    Case("7.0.15 migrating: same missing key twice -> ASK", ID_A, [b"{bar}b", b"{bar}b"],
         "ASK 5061 127.0.0.1:38401", migrating=True),
    Case("7.0.15 migrating: MIGRATE served", ID_A, [b"{bar}zz"], None, migrating=True, kw={"is_migrate": True}),
    Case("migrating: other slots unaffected", ID_A, [b"{x}1"], "MOVED 16287 127.0.0.1:38401", migrating=True),
    Case("migrating: sharded pub/sub does not check keys", ID_A, [b"{bar}b"], None, migrating=True,
         kw={"is_pubsubshard": True}),
    Case("migrating: ASKING changes nothing on the source", ID_A, [b"{bar}b"], "ASK 5061 127.0.0.1:38401",
         migrating=True, kw=ASK_),
    # -- importing (myself = B, slot 5061 <- A)
    Case("7.0.15 importing without ASKING -> MOVED to owner", ID_B, [b"{bar}a"], "MOVED 5061 127.0.0.1:49133",
         migrating=True),
    Case("7.0.15 importing + ASKING: missing key served", ID_B, [b"{bar}a"], None, migrating=True, kw=ASK_),
    Case("7.0.15 importing + ASKING: SET served", ID_B, [b"{bar}z"], None, migrating=True, kw={**ASK_, **W}),
    Case("7.0.15 importing + ASKING: MGET a b missing -> TRYAGAIN", ID_B, [b"{bar}a", b"{bar}b"], TRYAGAIN_ERROR,
         migrating=True, kw=ASK_),
    Case("7.0.15 importing + ASKING: MGET a a -> served", ID_B, [b"{bar}a", b"{bar}a"], None, migrating=True,
         kw=ASK_),
    Case("7.0.15 importing + ASKING: MSET z y, y missing -> TRYAGAIN", ID_B, [b"{bar}z", b"{bar}y"],
         TRYAGAIN_ERROR, migrating=True, present={b"{bar}z"}, kw={**ASK_, **W}),
    Case("importing + ASKING: all present -> served", ID_B, [b"{bar}z", b"{bar}y"], None, migrating=True,
         present={b"{bar}z", b"{bar}y"}, kw=ASK_),
    Case("7.0.15 RESTORE-ASKING (command flag) served", ID_B, [b"{bar}r"], None, migrating=True, kw={**ASK_, **W}),
    Case("importing: MIGRATE served", ID_B, [b"{bar}a"], None, migrating=True, kw={"is_migrate": True}),
    # -- unassigned slots and the cluster state
    Case("unbound first key -> Hash slot not served", ID_A, [b"bar"], CLUSTERDOWN_UNBOUND_ERROR,
         options={"unassign": [5061]}),
    Case("unbound first key wins over CROSSSLOT", ID_A, [b"bar", b"foo"], CLUSTERDOWN_UNBOUND_ERROR,
         options={"unassign": [5061]}),
    Case("bound first key, unbound other slot -> CROSSSLOT", ID_A, [b"bar", b"foo"], CROSSSLOT_ERROR,
         options={"unassign": [12182]}),
    Case("7.0.15 unbound beats cluster down", ID_A, [b"bar"], CLUSTERDOWN_UNBOUND_ERROR, ok=False,
         options={"unassign": [5061]}),
    Case("CROSSSLOT beats cluster down", ID_A, [b"bar", b"foo"], CROSSSLOT_ERROR, ok=False),
    Case("7.0.15 down: GET", ID_B, [b"foo"], CLUSTERDOWN_ERROR, ok=False),
    Case("7.0.15 down: SET", ID_B, [b"foo"], CLUSTERDOWN_ERROR, ok=False, kw=W),
    Case("7.0.15 down: GET of another node's slot", ID_B, [b"bar"], CLUSTERDOWN_ERROR, ok=False),
    Case("7.0.15 down + reads allowed: GET served", ID_B, [b"foo"], None, ok=False,
         options={"allow_reads_when_down": True}),
    Case("7.0.15 down + reads allowed: SET refused", ID_B, [b"foo"], CLUSTERDOWN_RO_ERROR, ok=False,
         options={"allow_reads_when_down": True}, kw=W),
    Case("7.0.15 down + reads allowed: GET elsewhere -> MOVED", ID_B, [b"bar"], "MOVED 5061 127.0.0.1:49133",
         ok=False, options={"allow_reads_when_down": True}),
    Case("7.0.15 down + reads allowed: SET elsewhere refused", ID_B, [b"bar"], CLUSTERDOWN_RO_ERROR, ok=False,
         options={"allow_reads_when_down": True}, kw=W),
    Case("7.0.15 down: SPUBLISH allowed by default", ID_B, [b"foo"], None, ok=False, kw={"is_pubsubshard": True}),
    Case("7.0.15 down: SPUBLISH refused when pubsubshard-when-down is off", ID_B, [b"foo"], CLUSTERDOWN_ERROR,
         ok=False, options={"allow_pubsubshard_when_down": False}, kw={"is_pubsubshard": True}),
    Case("down + pubsubshard allowed: still MOVED elsewhere", ID_A, [b"foo"], "MOVED 12182 127.0.0.1:38401",
         ok=False, kw={"is_pubsubshard": True}),
]


def run(case: Case) -> Redirect | None:
    state = view(case.me, migrating=case.migrating, ok=case.ok)
    for key, value in case.options.items():
        if key == "unassign":
            for slot in value:
                state.del_slot(slot)
        else:
            setattr(state.options, key, value)
    return route(state, case.keys, key_exists=case.present.__contains__, **case.kw)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_route(case):
    redirect = run(case)
    if case.expect is None:
        assert redirect is None
    else:
        assert redirect is not None
        assert redirect_error(redirect) == case.expect


def test_redirect_values():
    state = view(ID_A, migrating=True)
    b = state.lookup(ID_B)
    assert route(state, [b"foo"]) == Redirect(RedirectKind.MOVED, 12182, b)
    assert route(state, [b"{bar}x"]) == Redirect(RedirectKind.ASK, 5061, b)
    assert route(state, [b"bar", b"foo"]).kind is RedirectKind.CROSSSLOT
    state.del_slot(0)
    key = next(b"k%d" % i for i in range(100000) if key_hash_slot(b"k%d" % i) == 0)
    assert route(state, [key]) == Redirect(RedirectKind.DOWN_UNBOUND, 0)
    assert repr(route(state, [b"foo"])) == f"Redirect(MOVED 12182 {ID_B})"


def test_key_exists_is_asked_only_for_open_slots():
    state = view(ID_A, migrating=True)
    asked = []

    def exists(key):
        asked.append(key)
        return True

    route(state, [b"{x}1"], key_exists=exists)  # slot 16287: not open
    route(state, [b"{bar}1", b"{bar}2"], key_exists=exists)
    assert asked == [b"{bar}1", b"{bar}2"]


def test_no_key_exists_callback_means_every_key_missing():
    state = view(ID_A, migrating=True)
    assert redirect_error(route(state, [b"{bar}a"])) == "ASK 5061 127.0.0.1:38401"


def test_replica_of_another_master_is_not_served_even_readonly():
    state = view(ID_C)
    assert redirect_error(route(state, [b"foo"], readonly_client=True)) == "MOVED 12182 127.0.0.1:38401"
    state.link_replica(state.myself, None)  # a replica that lost its master
    assert redirect_error(route(state, [b"bar"], readonly_client=True)) == "MOVED 5061 127.0.0.1:49133"


# -- transactions ------------------------------------------------------------------------------------


def test_exec_routes_all_queued_keys_together():
    state = view(ID_A)
    assert route_transaction(state, [[b"bar"], [b"{bar}x"]]) is None
    assert redirect_error(route_transaction(state, [[b"{a}1"], [b"{b}1"]])) == CROSSSLOT_ERROR
    assert route_transaction(state, [[], []]) is None
    assert redirect_error(route_transaction(state, [[b"foo"]], is_write=True)) == "MOVED 12182 127.0.0.1:38401"


def test_exec_multi_key_check_spans_commands():
    """7.0.15: ASKING; MULTI; GET {bar}z; GET {bar}y; EXEC -> TRYAGAIN when y is missing."""
    state = view(ID_B, migrating=True)
    present = {b"{bar}z"}.__contains__
    assert route(state, [b"{bar}z"], asking=True, key_exists=present) is None  # queued fine
    assert route(state, [b"{bar}y"], asking=True, key_exists=present) is None
    result = route_transaction(state, [[b"{bar}z"], [b"{bar}y"]], asking=True, key_exists=present)
    assert redirect_error(result) == TRYAGAIN_ERROR
    both = {b"{bar}z", b"{bar}y"}.__contains__
    assert route_transaction(state, [[b"{bar}z"], [b"{bar}y"]], asking=True, key_exists=both) is None


def test_exec_down_check_uses_exec_flags_like_redis_7_0():
    """7.0.15 with cluster-allow-reads-when-down: MULTI; SET foo 1 (queued while ok); the cluster
    goes down; EXEC runs the SET. The READONLY replica rule does look at queued writes."""
    state = view(ID_B, ok=False)
    state.options.allow_reads_when_down = True
    assert route_transaction(state, [[b"foo"], [b"foo"]], is_write=True) is None
    replica = view(ID_C)
    assert route_transaction(replica, [[b"bar"]], readonly_client=True) is None
    moved = route_transaction(replica, [[b"bar"]], readonly_client=True, is_write=True)
    assert redirect_error(moved) == "MOVED 5061 127.0.0.1:49133"


# -- texts ---------------------------------------------------------------------------------------------


def test_fixed_texts():
    assert CROSSSLOT_ERROR == "CROSSSLOT Keys in request don't hash to the same slot"
    assert TRYAGAIN_ERROR == "TRYAGAIN Multiple keys request during rehashing of slot"
    assert CLUSTERDOWN_ERROR == "CLUSTERDOWN The cluster is down"
    assert CLUSTERDOWN_RO_ERROR == "CLUSTERDOWN The cluster is down and only accepts read commands"
    assert CLUSTERDOWN_UNBOUND_ERROR == "CLUSTERDOWN Hash slot not served"
    assert redirect_error(Redirect(RedirectKind.DOWN_STATE), "hostname") == CLUSTERDOWN_ERROR


@pytest.mark.parametrize(
    "endpoint,hostname,expected",
    [
        ("ip", "b.example", "MOVED 12182 127.0.0.1:38401"),
        ("hostname", "b.example", "MOVED 12182 b.example:38401"),
        ("hostname", "", "MOVED 12182 ?:38401"),
        ("unknown-endpoint", "b.example", "MOVED 12182 :38401"),  # 7.0.15
    ],
)
def test_moved_endpoint_types(endpoint, hostname, expected):
    state = view(ID_A)
    state.lookup(ID_B).hostname = hostname
    assert redirect_error(route(state, [b"foo"]), endpoint) == expected


def test_ask_text_and_plain_port_for_tls_clusters():
    state = view(ID_A, migrating=True)
    b = state.lookup(ID_B)
    ask = route(state, [b"{bar}q"])
    assert redirect_error(ask) == "ASK 5061 127.0.0.1:38401"
    b.pport = 6380
    assert redirect_error(ask, use_pport=True) == "ASK 5061 127.0.0.1:6380"
    assert redirect_error(ask) == "ASK 5061 127.0.0.1:38401"


def test_ipv6_endpoint():
    state = view(ID_A)
    state.lookup(ID_B).ip = "::1"
    assert redirect_error(route(state, [b"foo"])) == "MOVED 12182 ::1:38401"


# -- blocked clients (clusterRedirectBlockedClientIfNeeded) ---------------------------------------


def test_blocked_client_keeps_waiting_on_its_own_or_importing_slot():
    assert blocked_redirect(view(ID_A), b"bar") is None  # slot 5061 is A's
    assert blocked_redirect(view(ID_B, migrating=True), b"bar") is None  # B imports it


def test_blocked_client_is_moved_or_told_the_cluster_is_down():
    assert redirect_error(blocked_redirect(view(ID_B), b"bar")) == f"MOVED 5061 127.0.0.1:{PORT[ID_A]}"
    assert redirect_error(blocked_redirect(view(ID_A, ok=False), b"bar")) == CLUSTERDOWN_ERROR
    state = view(ID_A)
    state.del_slot(5061)
    assert redirect_error(blocked_redirect(state, b"bar")) == CLUSTERDOWN_UNBOUND_ERROR


def test_blocked_readonly_read_stays_on_the_owner_s_replica():
    replica = view(ID_C)
    assert blocked_redirect(replica, b"bar", readonly_client=True, is_write=False) is None
    assert redirect_error(blocked_redirect(replica, b"bar", readonly_client=True, is_write=True)) == (
        f"MOVED 5061 127.0.0.1:{PORT[ID_A]}"
    )
