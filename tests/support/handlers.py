"""Running command handlers directly, for unit tests: a real Server and Client, no socket.

``FakeServer()`` / ``FakeClient(server)`` keep the names the first unit tests used, but
they are the real classes: a ``Server`` built from a default ``Config`` with its clock at a
fixed instant, and a ``Client`` registered on it with no socket. ``run`` calls a handler the
way dispatch does after its gate (argv of bytes, arity asserted, containers resolved);
``error_of`` returns the error text a handler raises.
"""

from __future__ import annotations

import pytest

import node.commands  # noqa: F401  (registers every command)
from node.client import Client
from node.commands.spec import REGISTRY
from node.config import Config
from node.errors import CommandError
from node.server import Server

NOW = 1_700_000_000_000


def FakeServer(databases: int = 16, now: int = NOW) -> Server:  # noqa: N802 (reads like a class)
    server = Server(Config.from_argv(["--databases", str(databases)]))
    server.clock.set(now)
    return server


def FakeClient(server: Server, proto: int = 2) -> Client:  # noqa: N802
    client = server.add_client(None)
    client.proto = proto
    return client


def run(client, *args):
    argv = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    spec = REGISTRY[argv[0].lower()]
    if spec.subcommands and len(argv) > 1:
        spec = spec.subcommands[argv[1].lower()]
    arity = spec.arity
    assert (arity > 0 and len(argv) == arity) or (arity < 0 and len(argv) >= -arity), "arity"
    return spec.handler(client, argv)


def error_of(client, *args) -> str:
    with pytest.raises(CommandError) as info:
        run(client, *args)
    return info.value.message


def watch_key(client, key: bytes) -> None:
    """What WATCH does for ``client`` on ``key`` in its selected database."""
    client.watching.append((client.db, key, False))
    client.db.watchers.setdefault(key, []).append(client)


def watcher_of(client, key: bytes) -> Client:
    """Another client watching ``key`` in ``client``'s database (its watch_dirty tells)."""
    other = FakeClient(client.server)
    other.watching.append((client.db, key, False))
    client.db.watchers.setdefault(key, []).append(other)
    return other
