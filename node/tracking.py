"""Client-side caching (``CLIENT TRACKING``): the tracking table, BCAST prefixes, invalidation.

Redis 7.0's ``tracking.c``, one :class:`Tracking` per node (``server.tracking``):

* **Default mode.** After a ``readonly`` command of a tracking client, its keys (from the
  command table, ``spec.keys_of``) are remembered in ``table`` (key -> client ids; keys are
  global, not per database, as in Redis). The first change of a remembered key sends each
  remembered client one invalidation and forgets the key. OPTIN/OPTOUT and ``CLIENT
  CACHING`` decide whether a command's keys are remembered. ``tracking-table-max-keys``
  evicts the oldest remembered keys (Redis picks random ones) before a command, with an
  invalidation each, as if they had changed.
* **BCAST mode.** Every changed key matching a prefix is collected per prefix and sent,
  per prefix in prefix order, keys sorted, once per batch of commands (Redis: once per
  event loop iteration, in ``beforeSleep``): by a background task spawned by the first
  change, or, if it has not run yet, before the next command of another read batch (trio
  may run that task after the reactor's next round). So a pipeline's BCAST pushes follow
  all its replies, as in Redis.
* **Delivery.** RESP3 clients get ``>2 invalidate [keys]``; with ``REDIRECT`` the target
  gets it (as a RESP2 pub/sub message on ``__redis__:invalidate`` when it is subscribed, as
  a push in RESP3, else nothing); a vanished target makes the tracking client ``R`` (broken
  redirect) and, in RESP3, get ``tracking-redir-broken``. FLUSHDB/FLUSHALL send every
  tracking client a null ("everything") once per command and empty the table. SWAPDB
  sends nothing (as 7.0). NOLOOP skips keys the client changed itself.
* **Own changes.** An invalidation for the client running the command is held back and
  written right after that command's reply (after EXEC's, inside a transaction), as
  Redis 7.0's ``tracking_pending_keys``: :meth:`Tracking.after` returns the reply followed
  by the pushes (``Replies``), or pushes them directly when the reply is not sent.

Cost when nobody tracks: ``server.command_hooks`` is None (one attribute test in the
dispatch gate) and ``Database.tracking`` is None (one attribute test per write). The gate
hooks also serve the ``keymiss`` keyspace event (class ``m``): ``Database.on_miss`` is set
only while ``m`` is enabled, and :meth:`Tracking.keymiss` publishes a miss of
``Database.get`` unless the command is a write whose lookups Redis makes with
lookupKeyWrite (``CommandSpec.write_lookups``; ``spec.READ_LOOKUP_WRITES`` lists the writes
that read their sources).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from node.blocking import Block
from node.client import REPLY_ON
from node.notify import NOTIFY_KEY_MISS, notify
from node.replies import Raw, Replies

if TYPE_CHECKING:
    from node.client import Client
    from node.commands.spec import CommandSpec
    from node.keyspace.db import Database
    from node.server import Server

# Client.tracking bits (0: tracking off).
TRACKING_ON = 1
BCAST = 2
OPTIN = 4
OPTOUT = 8
CACHING = 16  # CLIENT CACHING YES (OPTIN) / NO (OPTOUT) given for the next command
NOLOOP = 32
BROKEN_REDIR = 64

_PUSH = b">2\r\n$10\r\ninvalidate\r\n"
_MESSAGE = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
# "Everything" (after a flush): the null of the *tracking* client's protocol, as Redis.
_NULL_BODY = {2: b"$-1\r\n", 3: b"_\r\n"}
EVICT_EFFORT = 100


def keys_body(keys) -> bytes:
    """The array-of-keys part of an invalidation message."""
    parts = [b"*%d\r\n" % len(keys)]
    for key in keys:
        parts.append(b"$%d\r\n%b\r\n" % (len(key), key))
    return b"".join(parts)


def broken_redirect_push(redirect: int) -> bytes:
    return b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % redirect


class _Prefix:
    """One BCAST prefix: the keys changed this round (key -> client that changed it last,
    None for expiry) and the clients registered for it."""

    __slots__ = ("keys", "clients")

    def __init__(self) -> None:
        self.keys: dict[bytes, object] = {}
        self.clients: dict["Client", None] = {}


class Tracking:
    __slots__ = (
        "server", "table", "items", "prefixes", "clients", "current", "executing", "pending",
        "write", "flush_sent", "bcast_scheduled", "bcast_keys", "batch", "evict_misses", "orphaned",
    )

    def __init__(self, server: "Server"):
        self.server = server
        self.table: dict[bytes, dict[int, None]] = {}  # key -> ids of clients that may cache it
        self.items = 0  # ids summed over the table (INFO tracking_total_items)
        self.prefixes: dict[bytes, _Prefix] = {}
        self.clients: dict[int, "Client"] = {}  # clients with tracking on
        self.current: "Client | None" = None  # the client whose command is running
        self.executing = False  # its handler is running (own invalidations wait for the reply)
        self.pending: list[bytes | None] = []  # held-back own invalidations (None: flush)
        self.write = False  # the running command is a write (no keymiss)
        self.flush_sent = False  # one null per flush command (FLUSHALL clears every db)
        self.bcast_scheduled = False  # a broadcast task is spawned
        self.bcast_keys = False  # some prefix has changed keys to send
        self.batch = 0  # id() of the reply batch (client.batch_out) of the last command
        self.evict_misses = 0
        self.orphaned = False  # an EXEC without hooks holds back invalidations (_adopt_exec)
        self.update_hooks()

    # -- switching on and off -----------------------------------------------------------------

    def enable(self, client: "Client", redirect: int, options: int, prefixes: list[bytes]) -> None:
        """Redis's enableTracking: flags replaced (CACHING kept), BCAST prefixes added."""
        self.clients[client.id] = client
        flags = (client.tracking | TRACKING_ON) & ~(BROKEN_REDIR | BCAST | OPTIN | OPTOUT | NOLOOP)
        client.tracking_redirect = redirect
        if options & BCAST:
            flags |= BCAST
            for prefix in prefixes or (b"",):
                self._add_prefix(client, prefix)
        client.tracking = flags | (options & (OPTIN | OPTOUT | NOLOOP))
        self.update_hooks()

    def disable(self, client: "Client") -> None:
        """Redis's disableTracking (CLIENT TRACKING off, RESET, disconnect). Remembered keys
        stay in the table until they change, as Redis's lazy removal."""
        if client.tracking_prefixes:
            for prefix in client.tracking_prefixes:
                state = self.prefixes.get(prefix)
                if state is not None:
                    state.clients.pop(client, None)
                    if not state.clients:
                        del self.prefixes[prefix]
        client.tracking_prefixes = None
        client.tracking = 0
        if self.clients.pop(client.id, None) is not None:
            self.update_hooks()

    def _add_prefix(self, client: "Client", prefix: bytes) -> None:
        state = self.prefixes.get(prefix)
        if state is None:
            state = self.prefixes[prefix] = _Prefix()
        state.clients[client] = None
        if client.tracking_prefixes is None:
            client.tracking_prefixes = {}
        client.tracking_prefixes[prefix] = None

    def update_hooks(self) -> None:
        """Install the gate hooks and the Database hooks only while something needs them."""
        server = self.server
        keymiss = bool(server.notify_flags & NOTIFY_KEY_MISS)
        server.command_hooks = self if (self.clients or keymiss) else None
        db_hook = self if (self.clients or self.table or self.prefixes) else None
        on_miss = self.keymiss if keymiss else None
        for db in server.dbs:
            db.tracking = db_hook
            db.on_miss = on_miss

    # -- the dispatch gate ----------------------------------------------------------------------

    def before(self, client: "Client", spec: "CommandSpec") -> None:
        """Called by dispatch before a handler runs (only while hooks are installed)."""
        self.write = spec.write_lookups
        self.flush_sent = False
        if client.in_exec:
            if self.current is None:
                self._adopt_exec(client)
            return  # a command of EXEC: EXEC's own call set the rest
        if self.orphaned:
            self._send_orphans()
        batch = id(client.batch_out)  # an id, not the list: its replies are not kept alive
        if self.bcast_keys and batch != self.batch:
            self.broadcast()  # a new read batch: the previous round's BCAST messages go first
        self.batch = batch
        self.current = client
        max_keys = self.server.config.tracking_table_max_keys
        if max_keys and len(self.table) > max_keys and self.clients:
            self.evict(max_keys)
        self.executing = True

    def after(self, client: "Client", spec: "CommandSpec", argv: list[bytes], reply: object,
              inline: bool = False) -> object:
        """Called by dispatch after a command: remember its keys, send held-back invalidations."""
        flags = client.tracking
        if flags and _remembers(flags) and "readonly" in spec.flags and "pubsub" not in spec.flags:
            self.remember(client, spec.keys_of(argv))
        if client.in_exec:
            return reply
        if flags & CACHING and client.multi is None and not spec.name_bytes.startswith(b"client|"):
            client.tracking = flags & ~CACHING  # CACHING lasts one command (or transaction)
        self.current = None
        self.executing = False
        self.write = False
        if self.pending:
            return self._send_pending(client, reply, inline)
        return reply

    def _adopt_exec(self, client: "Client") -> None:
        """Tracking was switched on inside this transaction, so EXEC ran without the hooks
        and no :meth:`after` follows it: its held-back invalidations go out before the next
        command, or at the end of the round (after EXEC's reply either way, as in Redis)."""
        self.current = client
        self.executing = True
        self.orphaned = True
        if self.server.nursery is not None:
            self.server.spawn(self._orphans_task)

    async def _orphans_task(self) -> None:
        if self.orphaned:
            self._send_orphans()

    def _send_orphans(self) -> None:
        client = self.current
        self.orphaned = self.executing = False
        self.current = None
        pending, self.pending = self.pending, []
        for key in pending:
            self._send(client, keys_body((key,)) if key is not None else _NULL_BODY[client.proto])

    def remember(self, client: "Client", keys: list[bytes]) -> None:
        table = self.table
        cid = client.id
        for key in keys:
            ids = table.get(key)
            if ids is None:
                ids = table[key] = {}
            if cid not in ids:
                ids[cid] = None
                self.items += 1

    # -- invalidation (called by Database) --------------------------------------------------------

    def invalidate(self, key: bytes) -> None:
        """``key`` changed (written, deleted, expiry set or removed)."""
        if self.prefixes:
            self._remember_for_bcast(key, self.current)
        ids = self.table.pop(key, None)
        if ids is not None:
            self._notify(key, ids)

    def expired(self, key: bytes) -> None:
        """``key`` expired: like a change, but made by nobody (NOLOOP does not hide it in BCAST)."""
        if self.prefixes:
            self._remember_for_bcast(key, None)
        ids = self.table.pop(key, None)
        if ids is not None:
            self._notify(key, ids)

    def flushed(self) -> None:
        """FLUSHDB/FLUSHALL: a null to every tracking client (once per command), table emptied."""
        if not self.flush_sent:
            self.flush_sent = self.current is not None
            for client in list(self.clients.values()):
                if client is self.current and self.executing:
                    self.pending.append(None)
                else:
                    self._send(client, _NULL_BODY[client.proto])
        self.table.clear()
        self.items = 0
        if not self.clients:
            self.update_hooks()

    def _notify(self, key: bytes, ids: dict[int, None]) -> None:
        self.items -= len(ids)
        clients = self.server.clients
        current = self.current
        body = None
        for cid in ids:
            target = clients.get(cid)
            if target is None:
                continue
            flags = target.tracking
            if not flags or flags & BCAST:
                continue
            if target is current:
                if flags & NOLOOP:
                    continue
                if self.executing:
                    self.pending.append(key)
                    continue
            if body is None:
                body = keys_body((key,))
            self._send(target, body)
        if not self.table and not self.clients:
            self.update_hooks()

    def evict(self, max_keys: int) -> None:
        """trackingLimitUsedSlots: forget keys (with an invalidation) until the table fits,
        with an effort that grows each time one call was not enough."""
        table = self.table
        effort = EVICT_EFFORT * (self.evict_misses + 1)
        while effort > 0 and table:
            effort -= 1
            key = next(iter(table))
            self._notify(key, table.pop(key))
            if len(table) <= max_keys:
                self.evict_misses = 0
                return
        self.evict_misses += 1

    # -- BCAST ---------------------------------------------------------------------------------

    def _remember_for_bcast(self, key: bytes, changed_by: "Client | None") -> None:
        for prefix, state in self.prefixes.items():
            if key.startswith(prefix):
                state.keys[key] = changed_by
                self.bcast_keys = True
                if not self.bcast_scheduled:
                    self._schedule_broadcast()

    def _schedule_broadcast(self) -> None:
        if self.server.nursery is None:
            return  # no reactor (unit tests): broadcast() is called by hand
        self.bcast_scheduled = True
        self.server.spawn(self._broadcast_task)

    async def _broadcast_task(self) -> None:
        self.bcast_scheduled = False
        self.broadcast()

    def broadcast(self) -> None:
        """Send each BCAST prefix's changed keys to its clients (trackingBroadcastInvalidationMessages)."""
        self.bcast_keys = False
        for prefix in sorted(self.prefixes):
            state = self.prefixes[prefix]
            if not state.keys:
                continue
            changed = state.keys
            state.keys = {}
            keys = sorted(changed)
            common = keys_body(keys)
            for client in list(state.clients):
                if client.tracking & NOLOOP:
                    others = [k for k in keys if changed[k] is not client]
                    if others:
                        self._send(client, keys_body(others))
                else:
                    self._send(client, common)

    # -- delivery ------------------------------------------------------------------------------

    def _route(self, client: "Client", body: bytes) -> "tuple[Client, bytes] | None":
        """Where and what to send for ``client``'s invalidation (sendTrackingMessage)."""
        redirect = client.tracking_redirect
        if redirect:
            dest = self.server.clients.get(redirect)
            if dest is None:
                client.tracking |= BROKEN_REDIR
                if client.proto == 3:
                    return client, broken_redirect_push(redirect)
                return None
            if dest.proto == 3:
                return dest, _PUSH + body
            if dest.subscriptions:
                return dest, _MESSAGE + body
            return None
        if client.proto == 3:
            return client, _PUSH + body
        return None  # RESP2 without redirection: nowhere to send it

    def _send(self, client: "Client", body: bytes) -> None:
        routed = self._route(client, body)
        if routed is not None:
            routed[0].push(routed[1])

    def rerun(self, client: "Client", spec: "CommandSpec", argv: list[bytes], run) -> object:
        """``run()`` re-runs a blocked command (node/blocking.py) inside another client's
        command: hooked as a command of its own, so its keys are remembered and its own
        invalidations follow its reply; the interrupted command's state is kept aside."""
        saved = self.current, self.executing, self.write, self.pending, self.flush_sent
        self.current, self.executing, self.write, self.pending, self.flush_sent = (
            client, True, spec.write_lookups, [], False)
        try:
            reply = run()
            return self.after(client, spec, argv, reply, inline=True)
        finally:
            self.current, self.executing, self.write, self.pending, self.flush_sent = saved

    def _send_pending(self, client: "Client", reply: object, inline: bool = False) -> object:
        """The running client's own invalidations, after its reply (Redis's afterCommand).
        ``inline``: the reply is written later by whoever holds it (a served blocked
        command), so the invalidations travel with it."""
        pending, self.pending = self.pending, []
        own: list[bytes] = []
        for key in pending:
            body = keys_body((key,)) if key is not None else _NULL_BODY[client.proto]
            routed = self._route(client, body)
            if routed is None:
                continue
            dest, data = routed
            if dest is client:
                own.append(data)
            else:
                dest.push(data)
        if not own:
            return reply
        if client.reply_mode != REPLY_ON or (client.batch_out is None and not inline) or type(reply) is Block:
            for data in own:
                client.push(data)  # the reply is not written (or comes later): order is moot
            return reply
        return Replies([reply, *map(Raw, own)])

    # -- keymiss ---------------------------------------------------------------------------------

    def keymiss(self, db: "Database", key: bytes) -> None:
        """Database.on_miss while ``m`` is enabled: Redis's lookupKeyRead miss event."""
        if not self.write:
            notify(self.server, NOTIFY_KEY_MISS, b"keymiss", key, db.id)


def _remembers(flags: int) -> bool:
    """Whether this command's keys are remembered: not in BCAST mode; in OPTIN mode only
    after CLIENT CACHING YES, in OPTOUT mode unless after CLIENT CACHING NO."""
    if flags & BCAST:
        return False
    if flags & OPTIN:
        return bool(flags & CACHING)
    if flags & OPTOUT:
        return not flags & CACHING
    return True
