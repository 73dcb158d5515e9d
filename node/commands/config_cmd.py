"""CONFIG GET, SET, RESETSTAT, REWRITE and HELP (the values and their rules live in node/config.py)."""

from __future__ import annotations

import ipaddress

from node.commands.spec import REGISTRY, command, container
from node.config import ConfigError
from node.errors import CommandError
from node.replies import OK, Status

container("config", -2, group="server", summary="A container for server configuration commands", since="2.0.0")

HELP = (
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
)


@command("config|help", 2, "loading stale", group="server", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def config_help(client, argv):
    return [Status(line) for line in HELP]


@command("config|get", -3, "admin noscript loading stale", group="server", since="2.0.0",
         complexity="O(N) when N is the number of configuration parameters provided",
         summary="Get the values of configuration parameters")
def config_get(client, argv):
    return client.server.config.get(argv[2:])


@command("config|set", -4, "admin noscript loading stale", group="server", since="2.0.0",
         tips="request_policy:all_nodes response_policy:all_succeeded",
         complexity="O(N) when N is the number of configuration parameters provided",
         summary="Set configuration parameters to the given values")
def config_set(client, argv):
    if len(argv) % 2:
        raise CommandError("ERR syntax error")
    pairs = [(argv[i], argv[i + 1]) for i in range(2, len(argv), 2)]
    client.server.config.set(pairs, local=is_local(client))
    return OK


@command("config|resetstat", 2, "admin noscript loading stale", group="server", since="2.0.0",
         summary="Reset the stats returned by INFO")
def config_resetstat(client, argv):
    reset_stats(client.server)
    return OK


@command("config|rewrite", 2, "admin noscript loading stale", group="server", since="2.8.0",
         summary="Rewrite the configuration file with the in memory configuration")
def config_rewrite(client, argv):
    server = client.server
    try:
        server.config.rewrite()
    except ConfigError as exc:
        raise CommandError(f"ERR {exc}") from None
    except OSError as exc:
        server.log.warning("CONFIG REWRITE failed: %s", exc.strerror)
        raise CommandError(f"ERR Rewriting config file: {exc.strerror}") from None
    server.log.warning("CONFIG REWRITE executed with success.")
    return OK


def is_local(client) -> bool:
    """Redis's ``islocalClient``: a unix socket, or a loopback peer address."""
    addr = getattr(client, "addr", "") or ""
    if addr.startswith("/") or not addr:
        return True
    host = addr.rsplit(":", 1)[0].strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def reset_stats(server) -> None:
    """CONFIG RESETSTAT: the server's counters, the error table and every command's stats.

    Uses ``server.reset_stats()`` when the server provides it; otherwise zeroes every numeric
    ``stat_*`` attribute of the server and clears ``error_counts``.
    """
    reset = getattr(server, "reset_stats", None)
    if callable(reset):
        reset()
    else:
        for name, value in list(vars(server).items()):
            if name.startswith("stat_") and type(value) in (int, float):
                setattr(server, name, type(value)())
        counts = getattr(server, "error_counts", None)
        if counts is not None:
            counts.clear()
    for spec in REGISTRY.values():
        for one in (spec, *spec.subcommands.values()):
            one.calls = one.usec = one.rejected_calls = one.failed_calls = 0
