"""Shared fixtures. See tests/support/ for the helpers they are built on.

Processes (session scope):   ours_server, real_server  -> ServerProcess (.port, .stop())
Clients (per test, FLUSHALL): ours, real               -> redis.Redis(protocol=2, bytes)
                              target                   -> parametrized over ours and real
Differential:                 differ                   -> tests.support.differ.Differ
                              setting(name, value)     -> CONFIG SET on both, restored after
In-process (pytest-trio):     node                     -> node.server.Server (port: node.ports[0])
"""

from __future__ import annotations

import shutil

import pytest
import redis

from tests.support.differ import Differ
from tests.support.inproc import start_node, stop_node
from tests.support.procs import start_real_redis, start_trireme

REAL_MISSING = "redis-server is not installed"


def _require_real() -> None:
    if shutil.which("redis-server") is None:
        pytest.skip(REAL_MISSING)


@pytest.fixture(scope="session")
def ours_server():
    server = start_trireme()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def real_server():
    _require_real()
    server = start_real_redis()
    try:
        yield server
    finally:
        server.stop()


def _flushall(client: redis.Redis) -> None:
    try:
        client.execute_command("FLUSHALL")
    except redis.ResponseError:
        pass  # FLUSHALL not implemented yet: start from whatever is there


def _client(port: int) -> redis.Redis:
    # driver_info=None: no CLIENT SETINFO on connect (unknown to 7.0; it would skew error stats)
    return redis.Redis(port=port, protocol=2, decode_responses=False, driver_info=None)


@pytest.fixture
def ours(ours_server):
    client = _client(ours_server.port)
    _flushall(client)
    yield client
    client.close()


@pytest.fixture
def real(real_server):
    client = _client(real_server.port)
    _flushall(client)
    yield client
    client.close()


@pytest.fixture(params=["ours", "real"])
def target(request):
    """A redis-py client on ours, then on real redis (the real run skips when it is missing)."""
    if request.param == "real":
        _require_real()
    return request.getfixturevalue(request.param)


@pytest.fixture
def differ(ours_server, real_server):
    d = Differ(ours_server.port, real_server.port)
    for port in (ours_server.port, real_server.port):
        client = _client(port)
        _flushall(client)
        client.close()
    try:
        yield d
    finally:
        d.close()


@pytest.fixture
def setting(differ):
    """``setting(name, value)``: CONFIG SET on both servers, restored after the test."""
    restore: list[tuple] = []

    def set_(name: str, value) -> None:
        for which in ("ours", "real"):
            client = differ.client(which)
            restore.append((client, name, client.config_get(name)[name]))
            client.config_set(name, value)

    yield set_
    for client, name, value in reversed(restore):
        client.config_set(name, value)


@pytest.fixture
async def node(nursery):
    """An in-process node on 127.0.0.1 port 0 (``node.ports[0]``), shut down after the test."""
    server = await start_node(nursery)
    yield server
    if not server.stopped.is_set():
        await stop_node(server)


def pytest_collection_modifyitems(config, items):
    # Differential tests need a real server: mark them `real` wherever they live.
    for item in items:
        if "differential" in item.nodeid.split("/") and "real" not in item.keywords:
            item.add_marker(pytest.mark.real)
