"""Bus links over trio: one TCP connection carrying cluster bus frames.

Unlike the rest of ``bus/`` this module does I/O (it is the "transport" the package
docstring mentions); it still imports nothing outside ``bus/`` but trio. A :class:`BusLink`
owns a socket stream, a :class:`~bus.codec.BusDecoder` and an unbounded send queue drained
by its own writer task, so ``send`` never blocks the caller (the cron, the client port):
a peer that stops reading only grows its own queue, up to ``sendbuf_limit`` bytes, after
which the link is closed. A peer that sends garbage (``BusProtocolError``) or falls silent
for ``idle_timeout`` seconds loses its link; nothing else is affected.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from typing import Awaitable, Callable

import trio

from bus.codec import BusDecoder, BusProtocolError
from bus.messages import Message

READ_SIZE = 65536
DEFAULT_SENDBUF_LIMIT = 64 * 1024 * 1024  # a safety net; Redis's default is "no limit"


def _addr(stream: trio.SocketStream, peer: bool) -> tuple[str, int]:
    try:
        raw = stream.socket.getpeername() if peer else stream.socket.getsockname()
    except OSError:
        return "", 0
    if not isinstance(raw, tuple) or len(raw) < 2:  # a Unix socket (tests)
        return "", 0
    ip, port = raw[0], raw[1]
    if ip.startswith("::ffff:"):
        ip = ip[7:]
    return ip, port


class BusLink:
    """One bus connection (``clusterLink``). ``node`` is the peer node object (ours to
    define; the runtime passes a NodeInfo) for outbound links, or the last known sender for
    inbound ones."""

    def __init__(self, *, outbound: bool, node: object = None, ctime: int = 0,
                 sendbuf_limit: int = DEFAULT_SENDBUF_LIMIT):
        self.outbound = outbound
        self.node = node
        self.ctime = ctime  # unix ms, when the link was created
        self.stream: trio.SocketStream | None = None
        self.decoder = BusDecoder()
        self.connected = False
        self.closed = False
        self.local_ip = ""
        self.peer_ip = ""
        self.peer_port = 0
        self.send_buffer_used = 0
        self.send_buffer_peak = 0
        self.sendbuf_limit = sendbuf_limit
        self.events_read = 0
        self._queue: deque[bytes] = deque()
        self._wakeup = trio.Event()
        self._cancel = trio.CancelScope()
        self._dial_scope: trio.CancelScope | None = None
        self.close_reason = ""

    # -- used by the owner -------------------------------------------------------------------

    def send(self, data: bytes) -> bool:
        """Queue ``data``; never blocks. False if the link is closed or over its limit."""
        if self.closed:
            return False
        if self.sendbuf_limit and self.send_buffer_used + len(data) > self.sendbuf_limit:
            self.close("send buffer limit exceeded")
            return False
        self._queue.append(data)
        self.send_buffer_used += len(data)
        self.send_buffer_peak = max(self.send_buffer_peak, self.send_buffer_used)
        self._wakeup.set()
        return True

    def close(self, reason: str = "") -> None:
        if not self.closed:
            self.closed = True
            self.close_reason = reason
        self._cancel.cancel()
        if self._dial_scope is not None:
            self._dial_scope.cancel()

    async def dial(self, host: str, port: int, timeout: float) -> bool:
        """Connect an outbound link; False on failure, timeout or close()."""
        if self.closed:
            return False
        stream = None
        with trio.CancelScope() as scope:
            self._dial_scope = scope
            stream = await connect(host, port, timeout)
        self._dial_scope = None
        if stream is None:
            return False
        if self.closed:
            with trio.CancelScope(shield=True):
                await stream.aclose()
            return False
        self.attach(stream)
        return True

    # -- the link's life ---------------------------------------------------------------------

    def attach(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.connected = True
        self.local_ip, _ = _addr(stream, peer=False)
        self.peer_ip, self.peer_port = _addr(stream, peer=True)
        try:
            stream.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    async def serve(
        self,
        on_message: Callable[["BusLink", Message], None],
        *,
        idle_timeout: float | None = None,
        on_drops: Callable[["BusLink", list], None] | None = None,
    ) -> None:
        """Read frames and hand each message to ``on_message`` (synchronously), while a
        writer task drains the send queue. Returns when the link ends for any reason; the
        stream is closed on return. Raises nothing but trio.Cancelled from outside."""
        assert self.stream is not None
        try:
            with self._cancel:
                if self.closed:
                    return
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._writer)
                    await self._reader(on_message, idle_timeout, on_drops)
                    nursery.cancel_scope.cancel()
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            self.close_reason = self.close_reason or f"I/O error: {exc}"
        finally:
            self.closed = True
            self.connected = False
            with trio.CancelScope(shield=True):
                try:
                    await self.stream.aclose()
                except Exception:
                    pass

    async def _reader(self, on_message, idle_timeout, on_drops) -> None:
        stream = self.stream
        decoder = self.decoder
        while True:
            if idle_timeout is not None:
                with trio.move_on_after(idle_timeout) as scope:
                    data = await stream.receive_some(READ_SIZE)
                if scope.cancelled_caught:
                    self.close_reason = "idle timeout"
                    return
            else:
                data = await stream.receive_some(READ_SIZE)
            if not data:
                self.close_reason = self.close_reason or "connection closed by peer"
                return
            try:
                decoder.feed(data)
                while True:
                    message = decoder.next_message()
                    if message is None:
                        break
                    self.events_read += 1
                    on_message(self, message)
                    if self.closed:
                        return
            except BusProtocolError as exc:
                self.close_reason = f"protocol error: {exc}"
                return
            if on_drops is not None and decoder.stats.bad_version + decoder.stats.bad_length:
                drops = decoder.take_drops()
                if drops:
                    on_drops(self, drops)

    async def _writer(self) -> None:
        stream = self.stream
        queue = self._queue
        while True:
            if not queue:
                self._wakeup = trio.Event()
                if queue:
                    continue
                await self._wakeup.wait()
                continue
            if len(queue) > 1:
                data = b"".join(queue)
                queue.clear()
            else:
                data = queue.popleft()
            await stream.send_all(data)
            self.send_buffer_used -= len(data)


async def connect(host: str, port: int, timeout: float) -> trio.SocketStream | None:
    """Dial a bus port; None on failure or timeout."""
    with trio.move_on_after(timeout):
        try:
            return await trio.open_tcp_stream(host, port)
        except OSError:
            return None
    return None


def unix_ms() -> int:
    return int(time.time() * 1000)


async def serve_listener(listener: trio.SocketListener,
                         handler: Callable[[trio.SocketStream], Awaitable[None]],
                         nursery: trio.Nursery) -> None:
    """Accept forever, one task per connection (errors of accept are retried)."""
    while True:
        try:
            stream = await listener.accept()
        except (OSError, trio.BrokenResourceError) as exc:  # EMFILE and friends
            if isinstance(exc, trio.ClosedResourceError):
                return
            await trio.sleep(0.1)
            continue
        nursery.start_soon(handler, stream)
