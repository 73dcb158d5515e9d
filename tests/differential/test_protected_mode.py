"""protected-mode against real Redis 7.0: with no password for the default user, a client that
connects from a non-loopback address gets the DENIED error and is disconnected; loopback
clients, a password, or ``CONFIG SET protected-mode no`` let it in."""

from __future__ import annotations

import socket

import pytest
import redis

from tests.support.procs import start_real_redis, start_trireme

pytestmark = pytest.mark.real


def non_loopback_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


ADDRESS = non_loopback_address()
needs_address = pytest.mark.skipif(ADDRESS is None, reason="this machine has no non-loopback IPv4 address")


def refusal(address: str, port: int) -> bytes:
    """Connect and read until the server closes (a denied client is told why, then dropped)."""
    with socket.create_connection((address, port), timeout=5) as sock:
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def ping(address: str, port: int) -> bytes:
    """Connect, send PING, return the first reply line."""
    with socket.create_connection((address, port), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        received = b""
        while not received.endswith(b"\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return received


@pytest.fixture(scope="module", params=["ours", "real"])
def server(request):
    start = start_trireme if request.param == "ours" else start_real_redis
    try:
        proc = start("--bind", "0.0.0.0", "--protected-mode", "yes")
    except FileNotFoundError:
        pytest.skip("redis-server is not installed")
    try:
        yield proc
    finally:
        proc.stop()


@needs_address
def test_outside_client_is_denied_then_let_in(server):
    denied = refusal(ADDRESS, server.port)
    assert denied.startswith(b"-DENIED Redis is running in protected mode because protected mode is enabled")
    assert denied.endswith(b"start accepting connections from the outside.\r\n")
    local = redis.Redis(port=server.port)
    assert local.ping()
    assert local.info("stats")["rejected_connections"] == 1
    local.config_set("requirepass", "secret")
    assert ping(ADDRESS, server.port).startswith(b"-NOAUTH")
    local.execute_command("AUTH", "secret")
    local.config_set("requirepass", "")
    local.config_set("protected-mode", "no")
    assert ping(ADDRESS, server.port) == b"+PONG\r\n"
    local.config_set("protected-mode", "yes")
    local.close()


def test_the_denied_text_is_redis_s():
    """Byte for byte the text in Debian's redis-server binary."""
    from node.server import DENIED

    path = "/usr/bin/redis-server"
    try:
        with open(path, "rb") as f:
            binary = f.read()
    except OSError:
        pytest.skip(f"{path} is not installed")
    assert DENIED.rstrip(b"\r\n") in binary
