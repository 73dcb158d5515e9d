"""Helpers for tests of blocking commands on an in-process node: wait (by polling the node's
registry of waiters, never by sleeping) until clients are parked, and check that no reply
comes within a time."""

from __future__ import annotations

import trio

from tests.support.client import RespClient
from tests.support.wait import async_wait_for


def waiters(node, key: bytes, db: int = 0) -> int:
    """How many clients the node has parked on ``key`` in ``db``."""
    return len(node.blocking.by_key.get((db, key), ()))


async def until_blocked(node, key: bytes, count: int = 1, db: int = 0) -> None:
    await async_wait_for(lambda: waiters(node, key, db) >= count, message=f"{count} client(s) blocked on {key!r}")


async def no_reply_within(c: RespClient, seconds: float) -> bool:
    with trio.move_on_after(seconds):
        await c.read_reply()
        return False
    return True
