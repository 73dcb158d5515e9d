"""The node: shared state (databases, clients, stats) and ``serve``, its trio lifetime.

``serve(config)`` binds the listeners, runs the accept loops and the cron task, and
reports the running :class:`Server` through ``task_status`` (so tests write
``server = await nursery.start(serve, config)``). Shutdown (SHUTDOWN, SIGTERM, or
``server.request_shutdown()``) follows hypercorn's sequence: stop accepting, close the
connections that are idle between commands, let busy ones finish their batch and reply,
then cancel whatever is left after a grace period.

Hooks for the parts that come later, each None until wired in:
``route`` (cluster routing, called by dispatch with each keyed command) and
``propagate`` (AOF and replication, called after a command that changed data).
"""

from __future__ import annotations

import collections
import logging
import os
import socket
import time
from typing import TYPE_CHECKING, Callable

import trio

from node.client import Client
from node.config import Config, repr_arg
from node.keyspace.db import Clock, Database
from node.keyspace.expire import active_expire_cycle
from node.pubsub import PubSub
from node.notify import NOTIFY_EXPIRED, effective_flags, notify
from node.tracking import Tracking

if TYPE_CHECKING:
    from node.commands.spec import CommandSpec

REDIS_VERSION = "7.0.15"
TRIREME_VERSION = "0.1.0"
SHUTDOWN_GRACE_S = 5.0
# Accept errors that mean "out of resources": log, wait, retry (trio's serve_listeners list).
ACCEPT_RETRY_ERRNOS = {24, 23, 105, 12}  # EMFILE, ENFILE, ENOBUFS, ENOMEM


class Server:
    def __init__(self, config: Config):
        self.config = config
        self.log = logging.getLogger("trireme")
        self.clock = Clock(time.time_ns() // 1_000_000)
        self.dbs = [Database(i, self.clock) for i in range(config.databases)]
        self.clients: dict[int, Client] = {}
        self.next_client_id = 1
        self.monitors: list[Client] = []
        self.pubsub = PubSub()
        self.route: Callable[[Client, "CommandSpec", list[bytes]], str | None] | None = None
        # Cluster mode, while cluster_state is ok: a byte per hash slot, 1 where a single-key
        # command is served here without calling route() (see cluster/glue.py); else None.
        self.local_slots: bytes | None = None
        # Cluster mode: a key's hash slot, hash tags honoured (cluster/slots.py); the plain
        # lane calls it for keys with a "{" (the rest it hashes inline).
        self.key_slot: Callable[[bytes], int] | None = None
        self.propagate: Callable[[Client, "CommandSpec", list[bytes]], None] | None = None
        self.started_at = time.time()
        self.started_monotonic = time.monotonic()
        self.run_id = os.urandom(20).hex()
        self.ports: list[int] = []
        self.terminating = False
        self.shutdown_requested = trio.Event()
        self.stopped = trio.Event()  # set when serve() has closed everything
        self.drained = trio.Event()  # set when the last client is gone during shutdown
        self.nursery: trio.Nursery | None = None
        from node.connection import Reactor

        self.reactor = Reactor(self)
        # CLIENT PAUSE
        self.pause_end = 0.0  # trio.current_time() deadline; 0 = not paused
        self.pause_writes_only = False
        self._unpaused = trio.Event()
        # SLOWLOG
        self.slowlog: collections.deque = collections.deque(maxlen=config.slowlog_max_len)
        self.slowlog_next_id = 0
        self.slowlog_threshold_ns = -1  # dispatch's gate for slowlog_add; see _update_slow_gate
        # LATENCY: event name -> LatencySeries (Redis's latency monitor)
        self.latency_events: dict[str, LatencySeries] = {}
        self._update_slow_gate()
        self.output_check_from = 0
        self._update_output_check()
        # Stats for INFO
        self.stat_connections = 0
        self.stat_rejected_connections = 0
        self.stat_expired_keys = 0
        self.error_counts: collections.Counter = collections.Counter()
        self.stat_rejected_calls = 0
        self.stat_failed_calls = 0
        self.lastsave = int(time.time())
        # INFO stats sampled by cron (instantaneous_ops_per_sec, memory peak)
        self.ops_samples: collections.deque = collections.deque(maxlen=16)
        self._ops_last_ms = time.monotonic_ns() // 1_000_000
        self._ops_last_count = 0
        self._mem_next_sample = 0.0
        self.mem_startup = rss_bytes()
        self.mem_peak = self.mem_startup
        # Replication ids (INFO replication; DEBUG CHANGE-REPL-ID renews them)
        self.replid = os.urandom(20).hex()
        self.replid2 = "0" * 40
        # DEBUG knobs
        self.active_expire_enabled = True  # DEBUG SET-ACTIVE-EXPIRE
        self.quicklist_packed_threshold = 1 << 30  # DEBUG QUICKLIST-PACKED-THRESHOLD
        for db in self.dbs:
            db.on_expired = self._key_expired  # lazy and active expiry alike
        self.apply_eviction_policy()
        config.on_change = self.config_changed
        self.notify_flags = effective_flags(config.notify_keyspace_events)  # see node/notify.py
        self.command_hooks: Tracking | None = None  # dispatch's before/after hooks (set by Tracking)
        self.tracking = Tracking(self)  # CLIENT TRACKING, keymiss (node/tracking.py)

    @property
    def stat_keyspace_hits(self) -> int:
        return self.clock.hits  # counted by Database.get, which every keyed read goes through

    @stat_keyspace_hits.setter
    def stat_keyspace_hits(self, value: int) -> None:
        self.clock.hits = value

    @property
    def stat_keyspace_misses(self) -> int:
        return self.clock.misses

    @stat_keyspace_misses.setter
    def stat_keyspace_misses(self, value: int) -> None:
        self.clock.misses = value

    @property
    def blocked_clients(self) -> int:
        return len(self.blocking)

    @property
    def auth_required(self) -> bool:
        return bool(self.config.requirepass)

    # -- clients ---------------------------------------------------------------------------

    def add_client(self, sock: socket.socket | None) -> Client:
        client = Client(self, sock, self.next_client_id)
        self.next_client_id += 1
        self.clients[client.id] = client
        self.stat_connections += 1
        return client

    def remove_client(self, client: Client) -> None:
        client.closing = True
        self.clients.pop(client.id, None)
        if client.monitor:
            self.monitors.remove(client)
        if client.sub_channels or client.sub_patterns or client.sub_shard:
            self.pubsub.remove_client(client)
        for db, key, _ in client.watching:
            watchers = db.watchers.get(key)
            if watchers and client in watchers:
                watchers.remove(client)
                if not watchers:
                    del db.watchers[key]
        client.watching = []
        if client.tracking:
            self.tracking.disable(client)
        if self.terminating and not self.clients:
            self.drained.set()

    def spawn(self, fn: Callable, *args: object) -> None:
        """Run a background task for the server's lifetime (flushing pushes, ...)."""
        assert self.nursery is not None
        self.nursery.start_soon(fn, *args)

    def _update_output_check(self) -> None:
        """``output_check_from``: Client.push checks the client-output-buffer-limit of a
        client only once its queued bytes reach the lowest limit of any class."""
        limits = [n for hard, soft, _ in self.config.client_output_buffer_limit.values()
                  for n in (hard, soft) if n]
        self.output_check_from = min(limits, default=1 << 62)

    def output_limits(self, client: Client) -> tuple[int, int, int]:
        """``client-output-buffer-limit`` of the client's class: (hard bytes, soft bytes,
        soft seconds), 0 meaning none.

        Classes as in Redis's getClientType: replicas, pub/sub subscribers, and everyone else
        (MONITOR clients included) is "normal".
        """
        kind = client.kind if client.kind in ("replica", "pubsub") else "normal"
        return self.config.client_output_buffer_limit[kind]

    # -- CLIENT PAUSE ------------------------------------------------------------------------

    def pause(self, seconds: float, writes_only: bool) -> None:
        """Redis's pauseClients: a pause already running keeps the later end and the wider type."""
        now = trio.current_time()
        end = now + seconds
        if self.pause_end and self.pause_end > now:
            end = max(end, self.pause_end)
            writes_only = writes_only and self.pause_writes_only
        else:
            self._unpaused = trio.Event()
        self.pause_end = end
        self.pause_writes_only = writes_only

    def unpause(self) -> None:
        self.pause_end = 0.0
        self._unpaused.set()

    def pause_applies(self, client: Client, spec: "CommandSpec", argv: list[bytes]) -> bool:
        if trio.current_time() >= self.pause_end:
            self.unpause()
            return False
        if not self.pause_writes_only:
            return True
        return spec.is_write or "may_replicate" in spec.flags

    async def wait_unpaused(self) -> None:
        with trio.move_on_at(self.pause_end):
            await self._unpaused.wait()
        if self.pause_end and trio.current_time() >= self.pause_end:
            self.unpause()

    # -- stats, slowlog, monitor --------------------------------------------------------------

    def count_error(self, message: str, rejected: bool = False) -> None:
        prefix = message.split(" ", 1)[0]
        self.error_counts[prefix] += 1
        if rejected:
            self.stat_rejected_calls += 1
        else:
            self.stat_failed_calls += 1

    def slowlog_add(self, client: Client, argv: list[bytes], usec: int) -> None:
        """Called by dispatch for a command slower than ``slowlog_threshold_ns``.

        That gate is the lower of the slowlog and latency-monitor thresholds, so this
        records a latency event ("command", or "fast-command" for ``fast`` commands) and
        a slowlog entry, each only when its own threshold is met, as Redis's call() does.
        """
        spec = _spec_named(client.last_command)
        latency_ms = usec // 1000
        threshold_ms = self.config.latency_monitor_threshold
        if threshold_ms and latency_ms >= threshold_ms:
            fast = spec is not None and "fast" in spec.flags
            self.latency_add_sample("fast-command" if fast else "command", latency_ms)
        slower = self.config.slowlog_log_slower_than
        if slower < 0 or usec < slower or (spec is not None and "skip_slowlog" in spec.flags):
            return
        shown = []
        for i, arg in enumerate(argv[:32]):
            if i == 31 and len(argv) > 32:
                shown.append(b"... (%d more arguments)" % (len(argv) - 31))
                break
            shown.append(arg if len(arg) <= 128 else arg[:128] + b"... (%d more bytes)" % (len(arg) - 128))
        self.slowlog.appendleft(
            (self.slowlog_next_id, int(time.time()), usec, shown, client.addr.encode(), client.name)
        )
        self.slowlog_next_id += 1

    def feed_monitors(self, client: Client, argv: list[bytes]) -> None:
        now = time.time()
        args = " ".join(repr_arg(a) for a in _redacted(argv))
        where = "unix:%s" % client.laddr if client.addr.startswith("/") else client.addr
        line = ("+%.6f [%d %s] %s\r\n" % (now, client.db.id, where, args)).encode("utf-8", "surrogateescape")
        for monitor in list(self.monitors):
            monitor.push(line)

    def config_changed(self, name: str) -> None:
        if name in ("maxmemory-policy", "lfu-log-factor", "lfu-decay-time"):
            self.apply_eviction_policy()
        elif name == "slowlog-max-len":
            self.slowlog = collections.deque(self.slowlog, maxlen=self.config.slowlog_max_len)
        elif name in ("slowlog-log-slower-than", "latency-monitor-threshold"):
            self._update_slow_gate()
        elif name == "client-output-buffer-limit":
            self._update_output_check()
        elif name == "notify-keyspace-events":
            self.notify_flags = effective_flags(self.config.notify_keyspace_events)
            self.tracking.update_hooks()  # keymiss

    def apply_eviction_policy(self) -> None:
        """Keys keep LFU counters under an LFU policy and LRU stamps otherwise (OBJECT FREQ/IDLETIME)."""
        config, clock = self.config, self.clock
        clock.lfu = config.maxmemory_policy in ("allkeys-lfu", "volatile-lfu")
        clock.lfu_log_factor = config.lfu_log_factor
        clock.lfu_decay_time = config.lfu_decay_time

    def _key_expired(self, db: Database, key: bytes) -> None:
        self.stat_expired_keys += 1
        if self.notify_flags:
            notify(self, NOTIFY_EXPIRED, b"expired", key, db.id)
        if self.blocking.by_key:
            # A deleted stream releases its blocked XREADGROUP readers (7.0's dbGenericDelete
            # signals it); the command or cron that expired it serves them.
            self.blocking.signal(db.id, [key])

    def _update_slow_gate(self) -> None:
        """Dispatch calls slowlog_add past this many ns (-1: never): the lower threshold."""
        gates = []
        if self.config.slowlog_log_slower_than >= 0:
            gates.append(self.config.slowlog_log_slower_than * 1000)
        if self.config.latency_monitor_threshold > 0:
            gates.append(self.config.latency_monitor_threshold * 1_000_000)
        self.slowlog_threshold_ns = min(gates) if gates else -1

    # -- latency monitor, INFO stats -----------------------------------------------------------

    def latency_add_sample(self, event: str, latency_ms: int) -> None:
        """Redis's latencyAddSample: one sample per second per event (the max of that second)."""
        series = self.latency_events.get(event)
        if series is None:
            series = self.latency_events[event] = LatencySeries()
        series.add(int(time.time()), latency_ms)

    def total_commands(self) -> int:
        """Commands run since start (or CONFIG RESETSTAT): INFO total_commands_processed."""
        from node.commands.spec import REGISTRY

        total = 0
        for spec in REGISTRY.values():
            total += spec.calls
            if spec.subcommands:
                for sub in spec.subcommands.values():
                    total += sub.calls
        return total

    def instantaneous_ops(self) -> int:
        samples = self.ops_samples
        return sum(samples) // len(samples) if samples else 0

    def _sample_stats(self) -> None:
        """Redis's trackInstantaneousMetric (every 100 ms) and the memory peak (every second)."""
        now_ms = time.monotonic_ns() // 1_000_000
        elapsed = now_ms - self._ops_last_ms
        if elapsed >= 100:
            count = self.total_commands()
            self.ops_samples.append(max(0, count - self._ops_last_count) * 1000 // elapsed)
            self._ops_last_ms = now_ms
            self._ops_last_count = count
        if now_ms >= self._mem_next_sample:
            self._mem_next_sample = now_ms + 1000
            used = rss_bytes()
            if used > self.mem_peak:
                self.mem_peak = used

    def reset_stats(self) -> None:
        """CONFIG RESETSTAT: Redis's resetServerStats, error table and command table stats."""
        from node.commands.spec import REGISTRY

        for name, value in list(vars(self).items()):
            if name.startswith("stat_") and type(value) is int:
                setattr(self, name, 0)
        self.clock.hits = self.clock.misses = 0
        self.error_counts.clear()
        self.ops_samples.clear()
        self._ops_last_count = 0
        for spec in REGISTRY.values():
            for one in (spec, *spec.subcommands.values()):
                one.calls = one.usec = one.rejected_calls = one.failed_calls = 0

    # -- lifetime ------------------------------------------------------------------------------

    def request_shutdown(self) -> None:
        self.shutdown_requested.set()

    async def cron(self) -> None:
        """Periodic work, ``hz`` times a second: active expiry, client timeouts, pauses."""
        while True:
            hz = max(1, min(500, self.config.hz))
            await trio.sleep(1 / hz)
            now_ms = time.time_ns() // 1_000_000
            self.clock.set(now_ms)
            budget_ns = int(1e9 / hz * 0.25 * self.config.active_expire_effort)
            if self.active_expire_enabled:
                started = time.perf_counter_ns()
                active_expire_cycle(self.dbs, now_ms, budget_ns)  # counted by _key_expired
                if self.blocking.ready:
                    self.blocking.serve_ready()
                threshold_ms = self.config.latency_monitor_threshold
                if threshold_ms:
                    took_ms = (time.perf_counter_ns() - started) // 1_000_000
                    if took_ms >= threshold_ms:
                        self.latency_add_sample("expire-cycle", took_ms)
            self._sample_stats()
            if self.pause_end and trio.current_time() >= self.pause_end:
                self.unpause()
            timeout = self.config.timeout
            if timeout:
                cutoff = time.time() - timeout
                for client in list(self.clients.values()):
                    if client.idle and client.last_interaction < cutoff and client.kind == "normal" and not client.monitor:
                        client.kill()


class LatencySeries:
    """One latency event's history: up to 160 (unix second, ms) samples and the all-time max."""

    __slots__ = ("samples", "max")

    LEN = 160  # LATENCY_TS_LEN

    def __init__(self) -> None:
        self.samples: collections.deque = collections.deque(maxlen=self.LEN)  # [time, latency]
        self.max = 0

    def add(self, now: int, latency_ms: int) -> None:
        if latency_ms > self.max:
            self.max = latency_ms
        if self.samples and self.samples[-1][0] == now:
            if latency_ms > self.samples[-1][1]:
                self.samples[-1][1] = latency_ms
            return
        self.samples.append([now, latency_ms])


def _spec_named(name: bytes) -> "CommandSpec | None":
    """The spec for a ``client.last_command`` value (``get``, ``client|list``)."""
    from node.commands.spec import REGISTRY

    parent, _, sub = name.partition(b"|")
    spec = REGISTRY.get(parent)
    if spec is not None and sub:
        spec = spec.subcommands.get(sub)
    return spec


def _redacted(argv: list[bytes]) -> list[bytes]:
    """MONITOR hides secrets as Redis's redactClientCommandArgument does (AUTH, HELLO AUTH, MIGRATE)."""
    name = argv[0].lower()
    if name == b"auth":
        return [argv[0]] + [b"(redacted)"] * (len(argv) - 1)
    if name == b"hello":
        shown = list(argv)
        i = 2
        while i < len(argv):
            word = argv[i].lower()
            more = len(argv) - 1 - i
            if word == b"auth" and more >= 2:
                shown[i + 1] = shown[i + 2] = b"(redacted)"
                i += 3
            elif word == b"setname" and more >= 1:
                i += 2
            else:
                break
        return shown
    if name == b"migrate":
        shown = list(argv)
        i = 6
        while i < len(argv):
            word = argv[i].lower()
            if word == b"auth" and i + 1 < len(argv):
                shown[i + 1] = b"(redacted)"
                i += 2
            elif word == b"auth2" and i + 2 < len(argv):
                shown[i + 1] = shown[i + 2] = b"(redacted)"
                i += 3
            elif word == b"keys":
                break
            else:
                i += 1
        return shown
    return argv


def rss_bytes() -> int:
    """Resident set size of this process (``/proc/self/statm``; ru_maxrss elsewhere)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def open_listeners(config: Config) -> list[socket.socket]:
    """Bind every ``bind`` address on ``port`` (a leading ``-`` marks an optional address)."""
    sockets = []
    for addr in config.bind.split():
        optional = addr.startswith("-")
        host = addr.lstrip("-")
        if host == "*":
            host = "0.0.0.0"
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if host == "::*":
            host = "::"
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, config.port))
            sock.listen(config.tcp_backlog)
            sock.setblocking(False)
            sockets.append(sock)
        except OSError as exc:
            if optional:
                continue
            for s in sockets:
                s.close()
            raise OSError(f"Could not create server TCP listening socket {host}:{config.port}: {exc}") from exc
    return sockets


# Sent to a non-loopback client while protected-mode is on and the default user has no
# password (Redis 7.0's clientAcceptHandler), then the connection is closed.
DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set "
    b"for the default user. In this mode connections are only accepted from the loopback interface. If you "
    b"want to connect from external computers to Redis you may adopt one of the following solutions: "
    b"1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback "
    b"interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is "
    b"not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. "
    b"2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and "
    b"setting the protected mode option to 'no', and then restarting the server. 3) If you started the "
    b"server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an "
    b"authentication password for the default user. NOTE: You only need to do one of the above things in "
    b"order for the server to start accepting connections from the outside.\r\n"
)


def _is_local(sock: socket.socket) -> bool:
    """A Unix socket, or a peer at 127.0.0.1 / ::1 (what protected mode lets in)."""
    if sock.family == socket.AF_UNIX:
        return True
    try:
        host = sock.getpeername()[0]
    except OSError:
        return False
    return host in ("127.0.0.1", "::1", "::ffff:127.0.0.1")


async def _accept_loop(server: Server, listener: socket.socket) -> None:
    from node.connection import accept_client

    while True:
        await trio.lowlevel.wait_readable(listener)
        while True:
            try:
                sock, _ = listener.accept()
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno in ACCEPT_RETRY_ERRNOS:
                    server.log.warning("accept failed: %s; retrying in 100 ms", exc)
                    await trio.sleep(0.1)
                    break
                raise
            if len(server.clients) >= server.config.maxclients:
                server.stat_rejected_connections += 1
                try:
                    sock.send(b"-ERR max number of clients reached\r\n")
                finally:
                    sock.close()
                continue
            if server.config.protected_mode and not server.config.requirepass and not _is_local(sock):
                server.stat_rejected_connections += 1
                try:
                    sock.send(DENIED)
                except OSError:
                    pass
                finally:
                    sock.close()
                continue
            sock.setblocking(False)
            if sock.family != socket.AF_UNIX:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if server.config.tcp_keepalive:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            accept_client(server, sock)


async def serve(
    config: Config,
    *,
    listeners: list[socket.socket] | None = None,
    task_status: trio.TaskStatus = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run a node until shutdown. ``listeners`` (bound, listening sockets) override ``bind``/``port``."""
    server = Server(config)
    socks = listeners if listeners is not None else open_listeners(config)
    for sock in socks:
        sock.setblocking(False)
    server.ports = [s.getsockname()[1] for s in socks]
    try:
        async with trio.open_nursery() as outer:
            server.nursery = outer
            async with trio.open_nursery() as front:
                for sock in socks:
                    front.start_soon(_accept_loop, server, sock)
                front.start_soon(server.reactor.run)
                front.start_soon(server.cron)
                task_status.started(server)
                server.log.info("Ready to accept connections on port(s) %s", server.ports)
                await server.shutdown_requested.wait()
                # Stop accepting and close every client waiting between commands (the reactor
                # closes its sockets as it is cancelled); clients in the middle of a reply
                # finish it, bounded by the grace period.
                server.terminating = True
                front.cancel_scope.cancel()
            for sock in socks:
                sock.close()
            if server.clients:
                with trio.move_on_after(SHUTDOWN_GRACE_S):
                    await server.drained.wait()
            outer.cancel_scope.cancel()
    finally:
        for sock in socks:
            sock.close()
        server.stopped.set()
        server.log.info("Trireme is now ready to exit, bye bye...")
