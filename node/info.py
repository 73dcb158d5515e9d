"""INFO: the sections, fields and field order of Redis 7.0.15.

:func:`generate` builds the text for a list of requested section names, exactly as Redis's
``genRedisInfoString`` orders it (the server's order, not the request's). Each section is
a function ``server -> list of (field, value)`` in :data:`SECTIONS`; later parts (persistence,
replication, cluster) can replace a section's function to report their own state.

Values are true where Trireme knows them (clients, commands, keys, errors, CPU, resident
memory) and the quiet values of an idle Redis otherwise (no fork, no AOF, no replicas).
Memory is the process's resident set size: Trireme has no allocator statistics, so
``used_memory`` and ``used_memory_rss`` are the same number.
"""

from __future__ import annotations

import hashlib
import os
import platform
import resource
import sys
import time
from typing import Callable

from node.server import REDIS_VERSION, TRIREME_VERSION, rss_bytes

Field = tuple[str, object]

DEFAULT_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                    "modules", "errorstats", "cluster", "keyspace")
ALL_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace")
# The header line of each section ("# CPU", not "# Cpu").
TITLES = {
    "server": "Server", "clients": "Clients", "memory": "Memory", "persistence": "Persistence",
    "stats": "Stats", "replication": "Replication", "cpu": "CPU", "modules": "Modules",
    "commandstats": "Commandstats", "errorstats": "Errorstats", "latencystats": "Latencystats",
    "cluster": "Cluster", "keyspace": "Keyspace",
}
_BUILD_ID = hashlib.sha1(b"trireme " + TRIREME_VERSION.encode()).hexdigest()[:15]


def select_sections(args: list[bytes]) -> set[str]:
    """Redis's genInfoSectionDict: names are case-insensitive; ``default``, ``all``,
    ``everything`` expand; unknown names select nothing."""
    if not args:
        return set(DEFAULT_SECTIONS)
    chosen: set[str] = set()
    for raw in args:
        name = raw.decode("utf-8", "replace").lower()
        if name in ("all", "everything"):
            chosen.update(ALL_SECTIONS)
        elif name == "default":
            chosen.update(DEFAULT_SECTIONS)
        elif name == "module_list":
            chosen.add("modules")
        else:
            chosen.add(name)
    return chosen


def generate(server, args: list[bytes] | None = None) -> bytes:
    """The INFO text for the requested sections (``[]``/None: the default set)."""
    chosen = select_sections(list(args or ()))
    parts = []
    for name in ALL_SECTIONS:
        if name not in chosen:
            continue
        lines = ["# %s\r\n" % TITLES[name]]
        for key, value in SECTIONS[name](server):
            lines.append("%s:%s\r\n" % (key, value))
        parts.append("".join(lines))
    return "\r\n".join(parts).encode("utf-8", "surrogateescape")


def parse(text: bytes) -> dict[str, dict[str, str]]:
    """INFO text -> {section title: {field: value}} (for tests and tools)."""
    result: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.decode("utf-8", "replace").split("\r\n"):
        if line.startswith("# "):
            current = result.setdefault(line[2:], {})
        elif line and current is not None:
            key, _, value = line.partition(":")
            current[key] = value
    return result


# -- formatting helpers ----------------------------------------------------------------------------


def bytes_to_human(n: int) -> str:
    """Redis's bytesToHuman."""
    if n < 1024:
        return "%dB" % n
    for unit, power in (("K", 1), ("M", 2), ("G", 3), ("T", 4), ("P", 5)):
        if n < 1024 ** (power + 1):
            return "%.2f%s" % (n / 1024**power, unit)
    return "%dB" % n


def _timeval(seconds: float) -> str:
    whole = int(seconds)
    return "%d.%06d" % (whole, int(round((seconds - whole) * 1_000_000)) % 1_000_000)


# -- sections ---------------------------------------------------------------------------------------


def server_section(server) -> list[Field]:
    now = time.time()
    uptime = int(now - server.started_at)
    uname = platform.uname()
    config = server.config
    return [
        ("redis_version", REDIS_VERSION),
        ("trireme_version", TRIREME_VERSION),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", _BUILD_ID),
        ("redis_mode", "cluster" if server.route is not None else "standalone"),
        ("os", "%s %s %s" % (uname.system, uname.release, uname.machine)),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", "epoll"),
        ("atomicvar_api", "c11-builtin"),
        ("gcc_version", "0.0.0"),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", server.run_id),
        ("tcp_port", server.ports[0] if server.ports else config.port),
        ("server_time_usec", int(now * 1_000_000)),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", config.hz),
        ("configured_hz", config.hz),
        ("lru_clock", int(now) & ((1 << 24) - 1)),
        ("executable", os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""),
        ("config_file", config.config_file or ""),
        ("io_threads_active", 0),
    ]


def clients_section(server) -> list[Field]:
    clients = [c for c in server.clients.values() if not c.closing]
    max_in = max((c.parser.pending for c in clients), default=0)
    max_out = max((c.outbox_bytes for c in clients), default=0)
    return [
        ("connected_clients", sum(1 for c in clients if c.kind != "replica" or c.monitor)),
        ("cluster_connections", 0),
        ("maxclients", server.config.maxclients),
        ("client_recent_max_input_buffer", max_in),
        ("client_recent_max_output_buffer", max_out),
        ("blocked_clients", _count(getattr(server, "blocked_clients", 0))),
        ("tracking_clients", len(server.tracking.clients)),
        ("clients_in_timeout_table", 0),
    ]


def memory_section(server) -> list[Field]:
    config = server.config
    used = rss_bytes()
    if used > server.mem_peak:
        server.mem_peak = used
    peak = server.mem_peak
    startup = min(server.mem_startup, used)
    overhead = startup + sum(c.outbox_bytes + c.parser.pending for c in server.clients.values())
    overhead = min(overhead, used)
    dataset = used - overhead
    net = used - startup
    total_system = _total_system_memory()
    normal_clients = sum(c.outbox_bytes + c.parser.pending for c in server.clients.values())
    return [
        ("used_memory", used),
        ("used_memory_human", bytes_to_human(used)),
        ("used_memory_rss", used),
        ("used_memory_rss_human", bytes_to_human(used)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", bytes_to_human(peak)),
        ("used_memory_peak_perc", "%.2f%%" % (used * 100 / peak if peak else 100.0)),
        ("used_memory_overhead", overhead),
        ("used_memory_startup", startup),
        ("used_memory_dataset", dataset),
        ("used_memory_dataset_perc", "%.2f%%" % (dataset * 100 / net if net > 0 else 0.0)),
        ("allocator_allocated", used),
        ("allocator_active", used),
        ("allocator_resident", used),
        ("total_system_memory", total_system),
        ("total_system_memory_human", bytes_to_human(total_system)),
        ("used_memory_lua", 0),
        ("used_memory_vm_eval", 0),
        ("used_memory_lua_human", "0B"),
        ("used_memory_scripts_eval", 0),
        ("number_of_cached_scripts", 0),
        ("number_of_functions", 0),
        ("number_of_libraries", 0),
        ("used_memory_vm_functions", 0),
        ("used_memory_vm_total", 0),
        ("used_memory_vm_total_human", "0B"),
        ("used_memory_functions", 0),
        ("used_memory_scripts", 0),
        ("used_memory_scripts_human", "0B"),
        ("maxmemory", config.maxmemory),
        ("maxmemory_human", bytes_to_human(config.maxmemory)),
        ("maxmemory_policy", config.maxmemory_policy),
        ("allocator_frag_ratio", "1.00"),
        ("allocator_frag_bytes", 0),
        ("allocator_rss_ratio", "1.00"),
        ("allocator_rss_bytes", 0),
        ("rss_overhead_ratio", "1.00"),
        ("rss_overhead_bytes", 0),
        ("mem_fragmentation_ratio", "1.00"),
        ("mem_fragmentation_bytes", 0),
        ("mem_not_counted_for_evict", 0),
        ("mem_replication_backlog", 0),
        ("mem_total_replication_buffers", 0),
        ("mem_clients_slaves", 0),
        ("mem_clients_normal", normal_clients),
        ("mem_cluster_links", 0),
        ("mem_aof_buffer", 0),
        ("mem_allocator", "libc"),
        ("active_defrag_running", 0),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def persistence_section(server) -> list[Field]:
    return [
        ("loading", 0),
        ("async_loading", 0),
        ("current_cow_peak", 0),
        ("current_cow_size", 0),
        ("current_cow_size_age", 0),
        ("current_fork_perc", "0.00"),
        ("current_save_keys_processed", 0),
        ("current_save_keys_total", 0),
        ("rdb_changes_since_last_save", server.clock.dirty),
        ("rdb_bgsave_in_progress", 0),
        ("rdb_last_save_time", server.lastsave),
        ("rdb_last_bgsave_status", "ok"),
        ("rdb_last_bgsave_time_sec", -1),
        ("rdb_current_bgsave_time_sec", -1),
        ("rdb_saves", 0),
        ("rdb_last_cow_size", 0),
        ("rdb_last_load_keys_expired", 0),
        ("rdb_last_load_keys_loaded", 0),
        ("aof_enabled", 0),
        ("aof_rewrite_in_progress", 0),
        ("aof_rewrite_scheduled", 0),
        ("aof_last_rewrite_time_sec", -1),
        ("aof_current_rewrite_time_sec", -1),
        ("aof_last_bgrewrite_status", "ok"),
        ("aof_rewrites", 0),
        ("aof_rewrites_consecutive_failures", 0),
        ("aof_last_write_status", "ok"),
        ("aof_last_cow_size", 0),
        ("module_fork_in_progress", 0),
        ("module_fork_last_cow_size", 0),
    ]


def stats_section(server) -> list[Field]:
    return [
        ("total_connections_received", server.stat_connections),
        ("total_commands_processed", server.total_commands()),
        ("instantaneous_ops_per_sec", server.instantaneous_ops()),
        ("total_net_input_bytes", 0),
        ("total_net_output_bytes", 0),
        ("total_net_repl_input_bytes", 0),
        ("total_net_repl_output_bytes", 0),
        ("instantaneous_input_kbps", "0.00"),
        ("instantaneous_output_kbps", "0.00"),
        ("instantaneous_input_repl_kbps", "0.00"),
        ("instantaneous_output_repl_kbps", "0.00"),
        ("rejected_connections", server.stat_rejected_connections),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", server.stat_expired_keys),
        ("expired_stale_perc", "0.00"),
        ("expired_time_cap_reached_count", 0),
        ("expire_cycle_cpu_milliseconds", 0),
        ("evicted_keys", getattr(server, "stat_evicted_keys", 0)),
        ("evicted_clients", 0),
        ("total_eviction_exceeded_time", 0),
        ("current_eviction_exceeded_time", 0),
        ("keyspace_hits", server.stat_keyspace_hits),
        ("keyspace_misses", server.stat_keyspace_misses),
        ("pubsub_channels", _pubsub_count(server, "channels")),
        ("pubsub_patterns", _pubsub_count(server, "patterns")),
        ("pubsubshard_channels", _pubsub_count(server, "shard_channels")),
        ("latest_fork_usec", 0),
        ("total_forks", 0),
        ("migrate_cached_sockets", 0),
        ("slave_expires_tracked_keys", 0),
        ("active_defrag_hits", 0),
        ("active_defrag_misses", 0),
        ("active_defrag_key_hits", 0),
        ("active_defrag_key_misses", 0),
        ("total_active_defrag_time", 0),
        ("current_active_defrag_time", 0),
        ("tracking_total_keys", len(server.tracking.table)),
        ("tracking_total_items", server.tracking.items),
        ("tracking_total_prefixes", len(server.tracking.prefixes)),
        ("unexpected_error_replies", 0),
        ("total_error_replies", sum(server.error_counts.values())),
        ("dump_payload_sanitizations", 0),
        ("total_reads_processed", 0),
        ("total_writes_processed", 0),
        ("io_threaded_reads_processed", 0),
        ("io_threaded_writes_processed", 0),
        ("reply_buffer_shrinks", 0),
        ("reply_buffer_expands", 0),
    ]


def replication_section(server) -> list[Field]:
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", server.replid),
        ("master_replid2", server.replid2),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", getattr(server.config, "repl_backlog_size", 1048576)),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def cpu_section(server) -> list[Field]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    thread = resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))
    return [
        ("used_cpu_sys", _timeval(me.ru_stime)),
        ("used_cpu_user", _timeval(me.ru_utime)),
        ("used_cpu_sys_children", _timeval(children.ru_stime)),
        ("used_cpu_user_children", _timeval(children.ru_utime)),
        ("used_cpu_sys_main_thread", _timeval(thread.ru_stime)),
        ("used_cpu_user_main_thread", _timeval(thread.ru_utime)),
    ]


def modules_section(server) -> list[Field]:
    return []


def commandstats_section(server) -> list[Field]:
    from node.commands.spec import REGISTRY

    fields: list[Field] = []

    def add(spec) -> None:
        if spec.calls or spec.failed_calls or spec.rejected_calls:
            per_call = spec.usec / spec.calls if spec.calls else 0.0
            fields.append((
                "cmdstat_" + spec.name,
                "calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d"
                % (spec.calls, spec.usec, per_call, spec.rejected_calls, spec.failed_calls),
            ))

    for spec in REGISTRY.values():
        if spec.subcommands:
            for sub in spec.subcommands.values():
                add(sub)
        else:
            add(spec)
    return fields


def errorstats_section(server) -> list[Field]:
    return [("errorstat_" + name, "count=%d" % count) for name, count in sorted(server.error_counts.items())]


def latencystats_section(server) -> list[Field]:
    # Per-command latency histograms are not kept (Redis's hdr_histogram per command).
    return []


def cluster_section(server) -> list[Field]:
    return [("cluster_enabled", 1 if server.route is not None else 0)]


def keyspace_section(server) -> list[Field]:
    fields: list[Field] = []
    for db in server.dbs:
        keys = len(db.data)
        if keys:
            fields.append(("db%d" % db.id, "keys=%d,expires=%d,avg_ttl=0" % (keys, len(db.expires))))
    return fields


SECTIONS: dict[str, Callable[[object], list[Field]]] = {
    "server": server_section,
    "clients": clients_section,
    "memory": memory_section,
    "persistence": persistence_section,
    "stats": stats_section,
    "replication": replication_section,
    "cpu": cpu_section,
    "modules": modules_section,
    "commandstats": commandstats_section,
    "errorstats": errorstats_section,
    "latencystats": latencystats_section,
    "cluster": cluster_section,
    "keyspace": keyspace_section,
}


def _count(value: object) -> int:
    """An int as it is, the size of a collection, 0 for anything else."""
    if isinstance(value, int):
        return value
    try:
        return len(value)  # type: ignore[arg-type]
    except TypeError:
        return 0


def _pubsub_count(server, what: str) -> int:
    """Channel/pattern counts once pub/sub exists (``server.pubsub`` with sized attributes)."""
    pubsub = getattr(server, "pubsub", None)
    return 0 if pubsub is None else _count(getattr(pubsub, what, 0))


_TOTAL_SYSTEM_MEMORY: int | None = None


def _total_system_memory() -> int:
    global _TOTAL_SYSTEM_MEMORY
    if _TOTAL_SYSTEM_MEMORY is None:
        try:
            _TOTAL_SYSTEM_MEMORY = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            _TOTAL_SYSTEM_MEMORY = 0
    return _TOTAL_SYSTEM_MEMORY
