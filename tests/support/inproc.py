"""In-process nodes for pytest-trio integration tests.

    server = await start_node(nursery)            # port 0, 127.0.0.1
    server = await start_node(nursery, "--requirepass", "pw")
    port = server.ports[0]
    await stop_node(server)                       # graceful: request_shutdown + wait
"""

from __future__ import annotations

import functools
import socket

import trio


def listen_port0(host: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(511)
    sock.setblocking(False)
    return sock


def node_config(*argv: str):
    from node.config import Config

    return Config.from_argv(["--bind", "127.0.0.1", "--port", "0", "--save", "", *argv])


async def start_node(nursery: trio.Nursery, *argv: str):
    """Start a node inside ``nursery`` on a fresh 127.0.0.1 port; return its ``Server``."""
    import node.commands  # noqa: F401  (registers every command)
    from node.server import serve

    config = node_config(*argv)
    sock = listen_port0()
    return await nursery.start(functools.partial(serve, config, listeners=[sock]))


async def stop_node(server, timeout: float = 10.0) -> None:
    server.request_shutdown()
    with trio.fail_after(timeout):
        await server.stopped.wait()
