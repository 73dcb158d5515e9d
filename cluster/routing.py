"""Where a keyed command may run: Redis 7.0's ``getNodeByQuery`` and ``clusterRedirectClient``.

:func:`route` decides, :func:`redirect_error` formats. Dispatch calls the route hook only
for commands with keys (or movable keys) and for EXEC; keyless commands are served
locally even when the cluster is down. Routing comes before the read-only-replica and
MASTERDOWN checks, so a write sent to a replica gets MOVED, not READONLY.

Decision rules, in order (keys K, first key's slot S, S's owner N; CLUSTER.md section 2):

1. No keys: serve.
2. N is None: ``CLUSTERDOWN Hash slot not served`` (decided on the *first* key, before the
   others are looked at).
3. Another key hashes to a slot other than S: ``CROSSSLOT``. The same key repeated is fine;
   two different keys in S make the request "multi-key".
4. The cluster state is FAIL: ``CLUSTERDOWN The cluster is down``, unless
   cluster-allow-reads-when-down is on and the command is not a write (a write then gets
   ``... only accepts read commands``). Sharded pub/sub follows
   cluster-allow-pubsubshard-when-down instead.
5. MIGRATE is served locally while S is migrating or importing.
6. N is me and S is MIGRATING: if some keys are missing here, ``TRYAGAIN`` when others
   exist, else ``ASK`` to the target. (Key presence is not checked for sharded pub/sub.)
7. S is IMPORTING here (and I am not migrating it) and the client sent ASKING (or the
   command has the ASKING flag, like RESTORE-ASKING): serve, unless the request is
   multi-key and some key is missing (``TRYAGAIN``).
8. The client is READONLY (or the command is sharded pub/sub), the command is not a write,
   I am a replica and my master is N: serve.
9. N is not me: ``MOVED``. Otherwise serve.

Transactions: each queued command is routed when it is queued (a redirect flags the
transaction, so EXEC answers EXECABORT); at EXEC the keys of all queued commands are routed
as one command (:func:`route_transaction`), and a redirect discards the transaction.
The ASKING flag lasts until EXEC inside MULTI; that bookkeeping belongs to the caller.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence

from cluster.slots import key_hash_slot
from cluster.state import NODE_SLAVE, ClusterState, NodeInfo


class RedirectKind(enum.Enum):
    MOVED = "MOVED"
    ASK = "ASK"
    CROSSSLOT = "CROSSSLOT"
    TRYAGAIN = "TRYAGAIN"
    DOWN_STATE = "DOWN_STATE"
    DOWN_RO_STATE = "DOWN_RO_STATE"
    DOWN_UNBOUND = "DOWN_UNBOUND"


class Redirect:
    """Why a command is not served here: ``kind``, the slot, and for MOVED/ASK the node."""

    __slots__ = ("kind", "slot", "node")

    def __init__(self, kind: RedirectKind, slot: int = 0, node: NodeInfo | None = None):
        self.kind = kind
        self.slot = slot
        self.node = node

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Redirect)
            and other.kind is self.kind
            and other.slot == self.slot
            and other.node is self.node
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.slot, id(self.node)))

    def __repr__(self) -> str:
        node = f" {self.node.name}" if self.node is not None else ""
        return f"Redirect({self.kind.value} {self.slot}{node})"


CROSSSLOT_ERROR = "CROSSSLOT Keys in request don't hash to the same slot"
TRYAGAIN_ERROR = "TRYAGAIN Multiple keys request during rehashing of slot"
CLUSTERDOWN_ERROR = "CLUSTERDOWN The cluster is down"
CLUSTERDOWN_RO_ERROR = "CLUSTERDOWN The cluster is down and only accepts read commands"
CLUSTERDOWN_UNBOUND_ERROR = "CLUSTERDOWN Hash slot not served"

_FIXED_TEXT = {
    RedirectKind.CROSSSLOT: CROSSSLOT_ERROR,
    RedirectKind.TRYAGAIN: TRYAGAIN_ERROR,
    RedirectKind.DOWN_STATE: CLUSTERDOWN_ERROR,
    RedirectKind.DOWN_RO_STATE: CLUSTERDOWN_RO_ERROR,
    RedirectKind.DOWN_UNBOUND: CLUSTERDOWN_UNBOUND_ERROR,
}

# Redirects that carry no slot or node are shared.
CROSSSLOT = Redirect(RedirectKind.CROSSSLOT)
DOWN_STATE = Redirect(RedirectKind.DOWN_STATE)
DOWN_RO_STATE = Redirect(RedirectKind.DOWN_RO_STATE)


def route(
    state: ClusterState,
    keys: Sequence[bytes],
    *,
    is_write: bool = False,
    readonly_client: bool = False,
    asking: bool = False,
    key_exists: Callable[[bytes], bool] | None = None,
    is_migrate: bool = False,
    is_pubsubshard: bool = False,
    exec_queued_write: bool | None = None,
) -> Redirect | None:
    """None if this node serves the command, else the :class:`Redirect` to answer.

    ``keys``: every key (or shard channel) of the command, in order, repeats included.
    ``is_write``: the command has the write flag (EXEC: use :func:`route_transaction`).
    ``readonly_client``: the connection sent READONLY.
    ``asking``: the connection sent ASKING, or the command has the ASKING flag.
    ``key_exists``: whether a key is present in the local keyspace (db 0, expired keys
    missing); called only while the slot is migrating or importing. None = every key missing.
    ``is_migrate``: the command is MIGRATE. ``is_pubsubshard``: SPUBLISH/SSUBSCRIBE/SUNSUBSCRIBE.
    ``exec_queued_write``: for EXEC only (see :func:`route_transaction`).
    """
    if not keys:
        return None
    first = keys[0]
    slot = key_hash_slot(first)
    owner = state.slots[slot]
    if owner is None:
        return Redirect(RedirectKind.DOWN_UNBOUND, slot)
    multiple_keys = False
    if len(keys) > 1:
        for key in keys[1:]:
            if key != first:
                if key_hash_slot(key) != slot:
                    return CROSSSLOT
                multiple_keys = True

    myself = state.myself
    if not state.ok:
        options = state.options
        if is_pubsubshard:
            if not options.allow_pubsubshard_when_down:
                return DOWN_STATE
        elif not options.allow_reads_when_down:
            return DOWN_STATE
        elif is_write:
            return DOWN_RO_STATE

    migrating = owner is myself and slot in state.migrating_to
    importing = not migrating and slot in state.importing_from
    if migrating or importing:
        if is_migrate:
            return None
        missing = existing = 0
        if not is_pubsubshard:
            for key in keys:
                if key_exists is not None and key_exists(key):
                    existing += 1
                else:
                    missing += 1
        if migrating and missing:
            if existing:
                return Redirect(RedirectKind.TRYAGAIN, slot)
            return Redirect(RedirectKind.ASK, slot, state.migrating_to[slot])
        if importing and asking:
            if multiple_keys and missing:
                return Redirect(RedirectKind.TRYAGAIN, slot)
            return None

    if owner is myself:
        return None
    if exec_queued_write is not None:
        is_write = exec_queued_write
    if (
        (readonly_client or is_pubsubshard)
        and not is_write
        and myself._flags & NODE_SLAVE
        and myself._master is owner
    ):
        return None
    return Redirect(RedirectKind.MOVED, slot, owner)


def route_transaction(
    state: ClusterState,
    queued_keys: Iterable[Sequence[bytes]],
    *,
    is_write: bool = False,
    readonly_client: bool = False,
    asking: bool = False,
    key_exists: Callable[[bytes], bool] | None = None,
) -> Redirect | None:
    """EXEC: route the keys of every queued command together, as Redis does (all keys must
    share one slot; the multi-key check spans commands). A non-None result discards the
    transaction.

    ``is_write``: some queued command is a write. Redis 7.0 uses that only for the READONLY
    replica rule; its cluster-down check looks at EXEC's own flags (not a write), so with
    cluster-allow-reads-when-down a transaction queued before the cluster went down still
    runs its writes (checked on 7.0.15)."""
    keys = [key for command_keys in queued_keys for key in command_keys]
    return route(
        state,
        keys,
        readonly_client=readonly_client,
        asking=asking,
        key_exists=key_exists,
        exec_queued_write=is_write,
    )


def blocked_redirect(
    state: ClusterState,
    first_key: bytes,
    *,
    readonly_client: bool = False,
    is_write: bool = True,
) -> Redirect | None:
    """A client blocked on keys (BLPOP, BZPOPMIN, XREAD BLOCK, ...) whose slot left this node
    must not wait for a write that will never come here: Redis's
    clusterRedirectBlockedClientIfNeeded, checked from the client cron. None keeps it
    waiting. All its keys share one slot, so the first decides.

    * cluster state FAIL: ``CLUSTERDOWN The cluster is down`` (even with
      cluster-allow-reads-when-down: a write is what would unblock it);
    * the slot is unassigned: ``CLUSTERDOWN Hash slot not served``;
    * another node owns it and it is not being imported here: MOVED (a READONLY client's
      read stays on a replica of the owner).
    """
    if not state.ok:
        return DOWN_STATE
    slot = key_hash_slot(first_key)
    owner = state.slots[slot]
    myself = state.myself
    if owner is myself or slot in state.importing_from:
        return None
    if owner is None:
        return Redirect(RedirectKind.DOWN_UNBOUND, slot)
    if readonly_client and not is_write and myself._flags & NODE_SLAVE and myself._master is owner:
        return None
    return Redirect(RedirectKind.MOVED, slot, owner)


def redirect_error(
    redirect: Redirect,
    preferred_endpoint: str = "ip",
    *,
    use_pport: bool = False,
) -> str:
    """The error text (without the leading ``-``) for ``redirect``.

    ``preferred_endpoint`` is cluster-preferred-endpoint-type: ``ip`` (the node's IP),
    ``hostname`` (its announced hostname, ``?`` if none) or ``unknown-endpoint`` (empty).
    ``use_pport``: a plain-TCP client of a TLS cluster is sent the node's plain port if known.
    """
    kind = redirect.kind
    text = _FIXED_TEXT.get(kind)
    if text is not None:
        return text
    node = redirect.node
    assert node is not None, "MOVED/ASK need a node"
    if preferred_endpoint == "ip":
        endpoint = node.ip
    elif preferred_endpoint == "hostname":
        endpoint = node.hostname or "?"
    else:
        endpoint = ""
    port = node.pport if use_pport and node.pport else node.port
    return f"{kind.value} {redirect.slot} {endpoint}:{port}"
