"""Server commands: INFO, TIME, LASTSAVE, SLOWLOG, LATENCY, MONITOR, SHUTDOWN, LOLWUT.

Replies and error texts are Redis 7.0.15's. INFO's text is built by ``node/info.py``; the
slowlog and the latency monitor's samples are kept by the Server (``slowlog_add`` and
``latency_add_sample``, fed by the dispatch gate and the cron).
"""

from __future__ import annotations

import time

from node import errors, info
from node.commands.client_cmd import subcommand_syntax_error
from node.commands.spec import command, container
from node.errors import CommandError
from node.replies import NO_REPLY, OK, Status, Verbatim
from node.server import REDIS_VERSION

LONG_MAX = 2**63 - 1

# -- INFO, TIME, LASTSAVE, LOLWUT ------------------------------------------------------------------


@command("info", -1, "loading stale", group="server", acl="dangerous",
         tips="nondeterministic_output request_policy:all_shards response_policy:special",
         summary="Get information and statistics about the server")
def info_(client, argv):
    return Verbatim(info.generate(client.server, argv[1:]))


@command("time", 1, "loading stale fast", group="server", tips="nondeterministic_output", since="2.6.0",
         summary="Return the current server time")
def time_(client, argv):
    now_us = time.time_ns() // 1000
    return [b"%d" % (now_us // 1_000_000), b"%d" % (now_us % 1_000_000)]


@command("lastsave", 1, "loading stale fast", group="server", acl="admin dangerous",
         tips="nondeterministic_output", summary="Get the UNIX time stamp of the last successful save to disk")
def lastsave(client, argv):
    return client.server.lastsave


@command("lolwut", -1, "readonly fast", group="server", since="5.0.0", complexity="",
         summary="Display some computer art and the Redis version")
def lolwut(client, argv):
    # Only the version line: the computer art of LOLWUT VERSION 5 and 6 is not drawn.
    if len(argv) >= 3 and argv[1].lower() == b"version":
        if _parse_long(argv[2]) is None:
            raise CommandError(errors.NOT_INTEGER)
    return Verbatim(b"Redis ver. %b\n" % REDIS_VERSION.encode())


# -- SLOWLOG ----------------------------------------------------------------------------------------

container("slowlog", -2, group="server", since="2.2.12", summary="A container for slow log commands")

SLOWLOG_HELP = (
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
)
_SLOWLOG_HELP_REPLY = [Status(line) for line in SLOWLOG_HELP]


@command("slowlog|help", 2, "loading stale", group="server", since="6.2.0",
         summary="Show helpful text about the different subcommands")
def slowlog_help(client, argv):
    return _SLOWLOG_HELP_REPLY


@command("slowlog|get", -2, "admin loading stale", group="server", since="2.2.12",
         tips="request_policy:all_nodes nondeterministic_output",
         complexity="O(N) where N is the number of entries returned",
         summary="Get the slow log's entries")
def slowlog_get(client, argv):
    if len(argv) > 3:
        raise CommandError(subcommand_syntax_error(argv[1], "slowlog"))
    entries = client.server.slowlog
    count = 10
    if len(argv) == 3:
        count = _parse_long(argv[2])
        if count is None or count < -1:
            raise CommandError("ERR count should be greater than or equal to -1")
        if count == -1:
            count = len(entries)
    reply = []
    for entry_id, when, usec, args, addr, name in entries:
        if len(reply) >= count:
            break
        reply.append([entry_id, when, usec, list(args), addr, name])
    return reply


@command("slowlog|len", 2, "admin loading stale", group="server", since="2.2.12",
         tips="request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
         summary="Get the slow log's length")
def slowlog_len(client, argv):
    return len(client.server.slowlog)


@command("slowlog|reset", 2, "admin loading stale", group="server", since="2.2.12",
         tips="request_policy:all_nodes response_policy:all_succeeded",
         complexity="O(N) where N is the number of entries in the slowlog",
         summary="Clear all entries from the slow log")
def slowlog_reset(client, argv):
    client.server.slowlog.clear()
    return OK


# -- LATENCY ----------------------------------------------------------------------------------------

container("latency", -2, group="server", since="2.8.13", summary="A container for latency diagnostics commands")

LATENCY_HELP = (
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
)
_LATENCY_HELP_REPLY = [Status(line) for line in LATENCY_HELP]
_LATENCY_ADMIN = "admin noscript loading stale"
_LATENCY_TIPS = "nondeterministic_output request_policy:all_nodes response_policy:special"


@command("latency|help", 2, "loading stale", group="server", since="2.8.13",
         summary="Show helpful text about the different subcommands.")
def latency_help(client, argv):
    return _LATENCY_HELP_REPLY


@command("latency|latest", 2, _LATENCY_ADMIN, group="server", since="2.8.13", tips=_LATENCY_TIPS,
         summary="Return the latest latency samples for all events.")
def latency_latest(client, argv):
    reply = []
    for event, series in client.server.latency_events.items():
        when, latency = series.samples[-1] if series.samples else (0, 0)
        reply.append([event.encode(), when, latency, series.max])
    return reply


@command("latency|history", 3, _LATENCY_ADMIN, group="server", since="2.8.13", tips=_LATENCY_TIPS,
         summary="Return timestamp-latency samples for the event.")
def latency_history(client, argv):
    series = client.server.latency_events.get(argv[2].decode("utf-8", "surrogateescape"))
    if series is None:
        return []
    return [[when, latency] for when, latency in series.samples]


@command("latency|reset", -2, _LATENCY_ADMIN, group="server", since="2.8.13",
         tips="request_policy:all_nodes response_policy:all_succeeded",
         summary="Reset latency data for one or more events.")
def latency_reset(client, argv):
    events = client.server.latency_events
    if len(argv) == 2:
        count = len(events)
        events.clear()
        return count
    count = 0
    for raw in argv[2:]:
        if events.pop(raw.decode("utf-8", "surrogateescape"), None) is not None:
            count += 1
    return count


@command("latency|graph", 3, _LATENCY_ADMIN, group="server", since="2.8.13", tips=_LATENCY_TIPS,
         summary="Return a latency graph for the event.")
def latency_graph(client, argv):
    event = argv[2].decode("utf-8", "surrogateescape")
    series = client.server.latency_events.get(event)
    if series is None or not series.samples:
        raise CommandError(f"ERR No samples available for event '{event}'")
    return Verbatim(latency_graph_text(event, series, int(time.time())).encode("utf-8", "surrogateescape"))


@command("latency|doctor", 2, _LATENCY_ADMIN, group="server", since="2.8.13", tips=_LATENCY_TIPS,
         summary="Return a human readable latency analysis report.")
def latency_doctor(client, argv):
    return Verbatim(latency_report(client.server, int(time.time())).encode("utf-8", "surrogateescape"))


def analyze_latency(series, now: int) -> dict:
    """Redis's analyzeLatencyForEvent: samples, avg, mad (mean deviation), period, min, max."""
    values = [latency for _when, latency in series.samples]
    stats = {"samples": len(values), "avg": 0, "mad": 0, "period": 0, "min": 0, "max": 0}
    if not values:
        return stats
    stats["min"], stats["max"] = min(values), max(values)
    stats["avg"] = sum(values) // len(values)
    oldest = min(when for when, _latency in series.samples)
    stats["period"] = (now - oldest) or 1
    stats["mad"] = sum(abs(stats["avg"] - v) for v in values) // len(values)
    return stats


def latency_report(server, now: int) -> str:
    """LATENCY DOCTOR's text (Redis's createLatencyReport, for the events Trireme records)."""
    config = server.config
    events = server.latency_events
    if not events and config.latency_monitor_threshold == 0:
        return (
            "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
            "You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. "
            "If we weren't in a deep space mission I'd suggest to take a look at "
            "https://redis.io/topics/latency-monitor.\n"
        )
    out = []
    advise = set()
    advices = 0
    for number, (event, series) in enumerate(events.items(), 1):
        if number == 1:
            out.append("Dave, I have observed latency spikes in this Redis instance. "
                       "You don't mind talking about it, do you Dave?\n\n")
        stats = analyze_latency(series, now)
        samples = stats["samples"] or 1
        out.append(
            "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). "
            "Worst all time event %dms."
            % (number, event, stats["samples"], stats["avg"], stats["mad"], stats["period"] / samples, series.max)
        )
        if event == "command":
            slower = config.slowlog_log_slower_than
            if slower < 0 or config.slowlog_max_len == 0:
                advise.add("slowlog_enabled")
                advices += 1
            elif slower // 1000 > config.latency_monitor_threshold:
                advise.add("slowlog_tuning")
                advices += 1
            advise.update(("slowlog_inspect", "large_objects"))
            advices += 2
        elif event == "fast-command":
            advise.add("scheduler")
            advices += 1
        elif event == "expire-cycle":
            advise.update(("hz", "large_objects"))
            advices += 2
        out.append("\n")
    if not events and not advices:
        out.append("Dave, no latency spike was observed during the lifetime of this Redis instance, "
                   "not in the slightest bit. I honestly think you ought to sit down calmly, take a "
                   "stress pill, and think things over.\n")
    elif events and not advices:
        out.append("\nWhile there are latency events logged, I'm not able to suggest any easy fix. "
                   "Please use the Redis community to get some help, providing this report in your "
                   "help request.\n")
    else:
        out.append("\nI have a few advices for you:\n\n")
        threshold_us = config.latency_monitor_threshold * 1000
        if "slowlog_enabled" in advise:
            out.append(
                "- There are latency issues with potentially slow commands you are using. Try to enable "
                "the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %d'. "
                "If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"
                % threshold_us)
        if "slowlog_tuning" in advise:
            out.append(
                "- Your current Slow Log configuration only logs events that are slower than your "
                "configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'.\n"
                % threshold_us)
        if "slowlog_inspect" in advise:
            out.append(
                "- Check your Slow Log to understand what are the commands you are running which are too "
                "slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")
        if "scheduler" in advise:
            out.append(
                "- The system is slow to execute Redis code paths not containing system calls. This "
                "usually means the system does not provide Redis CPU time to run for long periods. "
                "You should try to:\n"
                "  1) Lower the system load.\n"
                "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
                "  3) Check if you have a \"noisy neighbour\" problem.\n"
                "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
                "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you "
                "are using Jemalloc. However this may create fragmentation problems.\n")
        if "hz" in advise and config.hz < 100:
            out.append(
                "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' "
                "configuration parameter to 100 using 'CONFIG SET hz 100'.\n")
        if "large_objects" in advise:
            out.append(
                "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking "
                "operation. If you have very large objects that are often deleted, expired, or evicted, try "
                "to fragment those objects into multiple smaller objects.\n")
    return "".join(out)


GRAPH_COLUMNS = 80
LABEL_MARGIN_TOP = 1
_CHARSET_FILL = "_o#"


def latency_graph_text(event: str, series, now: int) -> str:
    """LATENCY GRAPH: Redis's latencyCommandGenSparkeline and sparklineRender (filled, 4 rows)."""
    values: list[int] = []
    labels: list[str] = []
    for when, latency in series.samples:
        elapsed = now - when
        if elapsed < 60:
            label = "%ds" % elapsed
        elif elapsed < 3600:
            label = "%dm" % (elapsed // 60)
        elif elapsed < 86400:
            label = "%dh" % (elapsed // 3600)
        else:
            label = "%dd" % (elapsed // 86400)
        values.append(latency)
        labels.append(label)
    low, high = min(values), max(values)
    out = ["%s - high %d ms, low %d ms (all time high %d ms)\n" % (event, high, low, series.max)]
    out.append("-" * GRAPH_COLUMNS + "\n")
    for start in range(0, len(values), GRAPH_COLUMNS):
        if start:
            out.append("\n")
        out.append(_sparkline_range(values[start:start + GRAPH_COLUMNS], labels[start:start + GRAPH_COLUMNS], low, high))
    return "".join(out)


def _sparkline_range(values: list[int], labels: list[str], low: int, high: int, rows: int = 4) -> str:
    relmax = float(high - low) or 1.0
    steps = len(_CHARSET_FILL) * rows
    out = []
    row = 0
    while True:
        chars = [" "] * len(values)
        more = False
        for j, value in enumerate(values):
            step = int(int((value - low) * steps) / relmax)
            step = min(max(step, 0), steps - 1)
            if row < rows:
                more = True
                index = step - (rows - row - 1) * len(_CHARSET_FILL)
                if 0 <= index < len(_CHARSET_FILL):
                    chars[j] = _CHARSET_FILL[index]
                elif index >= len(_CHARSET_FILL):
                    chars[j] = "|"
            elif row - rows < LABEL_MARGIN_TOP:  # one blank line between graph and labels
                more = True
                break
            elif row - rows - LABEL_MARGIN_TOP < len(labels[j]):
                more = True
                chars[j] = labels[j][row - rows - LABEL_MARGIN_TOP]
        if not more:
            break
        row += 1
        out.append("".join(chars) + "\n")
    return "".join(out)


# -- MONITOR, SHUTDOWN ------------------------------------------------------------------------------


@command("monitor", 1, "admin noscript loading stale", group="server", complexity="",
         summary="Listen for all requests received by the server in real time")
def monitor(client, argv):
    if client.in_exec or client.multi is not None:
        raise CommandError("ERR MONITOR isn't allowed for DENY BLOCKING client")
    if client.monitor or client.kind == "replica":
        return NO_REPLY  # already a monitor (or a replica): ignored without a reply, as in Redis
    client.monitor = True
    client.server.monitors.append(client)
    return OK


@command("shutdown", -1, "admin noscript loading stale no_multi allow_busy", group="server",
         complexity="O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
         summary="Synchronously save the dataset to disk and then shut down the server")
def shutdown(client, argv):
    nosave = save = now = force = abort = False
    for raw in argv[1:]:
        option = raw.lower()
        if option == b"nosave":
            nosave = True
        elif option == b"save":
            save = True
        elif option == b"now":
            now = True
        elif option == b"force":
            force = True
        elif option == b"abort":
            abort = True
        else:
            raise CommandError(errors.SYNTAX)
    if (abort and (nosave or save or now or force)) or (nosave and save):
        raise CommandError(errors.SYNTAX)
    if abort:
        raise CommandError("ERR No shutdown in progress.")  # shutdowns never wait, so none is pending
    server = client.server
    server.log.warning("User requested shutdown...")
    if save or (not nosave and server.config.save):
        server.log.warning("SHUTDOWN %s: persistence is not implemented yet, nothing was saved",
                           "SAVE" if save else "with save points configured")
    server.request_shutdown()
    client.close_after_reply = True
    return NO_REPLY


def _parse_long(raw: bytes) -> int | None:
    from node.commands.client_cmd import _parse_ll

    return _parse_ll(raw)
