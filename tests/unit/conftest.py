"""Fixtures of the handler-level unit tests: a real Server with no sockets, and a client on it
(tests/support/handlers.py). A test module may define its own ``server`` or ``client`` to
change them."""

from __future__ import annotations

import pytest

from tests.support.handlers import FakeClient, FakeServer


@pytest.fixture
def server():
    return FakeServer()


@pytest.fixture
def client(server):
    return FakeClient(server)
