"""Poll a condition with a deadline (redis's ``wait_for_condition``). Never sleep to synchronise."""

from __future__ import annotations

import time
from typing import Awaitable, Callable, TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.01, message: str = "") -> T:
    """Call ``predicate`` until it returns something truthy; return it. Raise TimeoutError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(message or f"condition {getattr(predicate, '__name__', predicate)!r} not met in {timeout}s")
        time.sleep(interval)


async def async_wait_for(
    predicate: Callable[[], T | Awaitable[T]], timeout: float = 5.0, interval: float = 0.01, message: str = ""
) -> T:
    """trio variant: ``predicate`` may be sync or async. Uses trio's clock (so works with autojump_clock)."""
    import inspect

    import trio

    deadline = trio.current_time() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if trio.current_time() >= deadline:
            raise TimeoutError(message or f"condition {getattr(predicate, '__name__', predicate)!r} not met in {timeout}s")
        await trio.sleep(interval)
