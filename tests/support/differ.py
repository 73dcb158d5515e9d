"""Differential checks: the same command to Trireme and to a real redis-server, replies compared.

``Differ.check(*args)`` sends the command on four dedicated connections (ours and real, each in
RESP2 and RESP3) and asserts the wire-typed replies are equal (so ``+OK`` vs ``$2 OK``, or an
integer vs a double, is a difference). It returns the real server's RESP2 reply as plain values
(see :func:`tests.support.rawconn.plain`; an error reply is returned as a ``ServerError``).
"""

from __future__ import annotations

from typing import Any, Callable

import redis

from tests.support.rawconn import RawConnection, Reply, normalize, plain


class Differ:
    def __init__(self, ours_port: int, real_port: int):
        self.ours_port = ours_port
        self.real_port = real_port
        self.ours2 = RawConnection(ours_port)
        self.real2 = RawConnection(real_port)
        self.ours3 = self._resp3(ours_port)
        self.real3 = self._resp3(real_port)
        self._clients: dict[str, redis.Redis] = {}

    @staticmethod
    def _resp3(port: int) -> RawConnection:
        conn = RawConnection(port)
        hello = conn.call(b"HELLO", b"3")
        assert hello.kind != "-", f"HELLO 3 on port {port} answered {hello!r}"
        return conn

    def close(self) -> None:
        for conn in (self.ours2, self.real2, self.ours3, self.real3):
            conn.close()
        for client in self._clients.values():
            client.close()

    # -- wire-level ----------------------------------------------------------------------------

    def raw(self, *args: Any, protocol: int = 2) -> tuple[Reply, Reply]:
        """(ours, real) typed replies for one command on the RESP2 or RESP3 connection pair."""
        if protocol == 3:
            return self.ours3.call(*args), self.real3.call(*args)
        return self.ours2.call(*args), self.real2.call(*args)

    def check(self, *args: Any, unordered: bool | str = False, resp3: bool = True) -> Any:
        """Send ``args`` to both servers in RESP2 (and RESP3); assert equal replies; return real's RESP2 reply.

        ``unordered=True`` sorts the top-level elements of aggregate replies (and map entries);
        ``unordered="pairs"`` sorts a flat RESP2 field/value list by pairs.
        Pass ``resp3=False`` for commands that must run once (e.g. not idempotent writes
        whose second run would differ) — by default the RESP3 run happens after the RESP2 run,
        on both servers alike, so non-idempotent commands still compare equal.
        """
        ours, real = self.raw(*args, protocol=2)
        self._assert_same(args, 2, ours, real, unordered)
        if resp3:
            ours3, real3 = self.raw(*args, protocol=3)
            self._assert_same(args, 3, ours3, real3, unordered)
        return plain(real)

    def check3(self, *args: Any, unordered: bool | str = False) -> Any:
        """Like :meth:`check` but RESP3 only; returns real's RESP3 reply as plain values."""
        ours, real = self.raw(*args, protocol=3)
        self._assert_same(args, 3, ours, real, unordered)
        return plain(real)

    @staticmethod
    def _assert_same(args, protocol: int, ours: Reply, real: Reply, unordered) -> None:
        ours_n, real_n = normalize(ours, unordered), normalize(real, unordered)
        assert ours_n == real_n, (
            f"RESP{protocol} replies differ for {_show(args)}:\n  ours: {ours_n!r}\n  real: {real_n!r}"
        )

    # -- redis-py level --------------------------------------------------------------------------

    def client(self, which: str) -> redis.Redis:
        """A redis-py client (RESP2, bytes) for "ours" or "real"; created on first use."""
        if which not in self._clients:
            port = self.ours_port if which == "ours" else self.real_port
            self._clients[which] = redis.Redis(port=port, protocol=2, decode_responses=False, driver_info=None)
        return self._clients[which]

    def both(self, fn: Callable[[redis.Redis], Any]) -> Any:
        """Call ``fn(client)`` for ours and real; assert equal results (or equal exception class + text)."""
        results = []
        raised = None
        for which in ("ours", "real"):
            try:
                results.append(("ok", fn(self.client(which))))
            except Exception as exc:  # compare failures too
                results.append(("raised", type(exc).__name__, str(exc)))
                raised = exc
        assert results[0] == results[1], f"results differ:\n  ours: {results[0]!r}\n  real: {results[1]!r}"
        if raised is not None:
            raise raised  # both failed alike: let the test assert on it with pytest.raises
        return results[1][1]


    def fresh(self, fn: Callable[..., Any], connections: int = 2) -> Any:
        """Call ``fn(*clients)`` on each server with ``connections`` fresh single-connection
        redis-py clients (for state that lives on a connection: WATCH, SELECT, MULTI);
        assert equal results and return real's."""
        results = {}
        for which in ("ours", "real"):
            port = self.ours_port if which == "ours" else self.real_port
            clients = [redis.Redis(port=port, protocol=2, single_connection_client=True, driver_info=None)
                       for _ in range(connections)]
            try:
                results[which] = fn(*clients)
            finally:
                for client in clients:
                    client.close()
        assert results["ours"] == results["real"], f"ours: {results['ours']!r}\nreal: {results['real']!r}"
        return results["real"]


def _show(args) -> str:
    return " ".join(a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a) for a in args)
