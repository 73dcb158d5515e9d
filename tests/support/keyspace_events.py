"""Collecting keyspace notifications the way the differential tests compare them.

:func:`collect` sets ``notify-keyspace-events``, PSUBSCRIBEs ``__key*@*__:*`` on a raw
connection, runs command lines on another one, and after each command reads the subscriber
up to a sentinel PUBLISH: pub/sub messages of one server arrive in order, so nothing is
waited for blindly. A line ``"@b BLPOP l 0"`` sends on connection ``b`` without reading the
reply, then polls INFO until the client is blocked; ``"@b"`` alone reads ``b``'s reply.
"""

from __future__ import annotations

import shlex

from tests.support.rawconn import RawConnection, plain
from tests.support.wait import wait_for

SENTINEL = b"__notify_test_sentinel__"
PATTERN = b"__key*@*__:*"


def _words(line: str) -> list[bytes]:
    return [w.encode() for w in shlex.split(line)]


def _blocked_clients(conn: RawConnection) -> int:
    info = plain(conn.call(b"INFO", b"clients"))
    for line in info.split(b"\r\n"):
        if line.startswith(b"blocked_clients:"):
            return int(line.split(b":")[1])
    return 0


def collect(port: int, flags: str, lines: list[str], proto: int = 2) -> list[tuple]:
    """Every keyspace message received while running ``lines`` on a fresh connection, as
    (channel, message); with ``proto=3`` the subscriber speaks RESP3 and each message also
    records its wire type (a push)."""
    main = RawConnection(port)
    sub = RawConnection(port)
    if proto == 3:
        sub.call(b"HELLO", b"3")
    others: dict[str, RawConnection] = {}
    messages: list[tuple[bytes, bytes]] = []
    try:
        main.call(b"SELECT", b"0")
        main.call(b"FLUSHALL")
        main.call(b"CONFIG", b"SET", b"notify-keyspace-events", flags.encode())
        sub.call(b"PSUBSCRIBE", PATTERN)
        sub.call(b"SUBSCRIBE", SENTINEL)
        queued = False  # between MULTI and EXEC the sentinel would be queued too
        for line in lines:
            verb = line.split()[0].upper()
            if line.startswith("@"):
                name, _, rest = line.partition(" ")
                conn = others.get(name)
                if conn is None:
                    conn = others[name] = RawConnection(port)
                if rest:
                    blocked = _blocked_clients(main)
                    conn.send(*_words(rest))
                    wait_for(lambda n=blocked: _blocked_clients(main) > n, message=f"{rest!r} did not block")
                    continue
                conn.read_reply()
            else:
                main.call(*_words(line))
                queued = verb == "MULTI" or (queued and verb not in ("EXEC", "DISCARD"))
            if not queued:
                _drain(main, sub, messages)
    finally:
        main.call(b"CONFIG", b"SET", b"notify-keyspace-events", b"")
        for conn in (main, sub, *others.values()):
            conn.close()
    return messages


def _drain(main: RawConnection, sub: RawConnection, messages: list) -> None:
    """Read ``sub`` up to the sentinel published now: everything sent before it is in."""
    main.call(b"PUBLISH", SENTINEL, b"x")
    while True:
        raw = sub.read_reply()
        reply = plain(raw)
        if reply[0] == b"message":
            assert reply[1] == SENTINEL
            return
        assert reply[0] == b"pmessage" and reply[1] == PATTERN, reply
        messages.append((reply[2], reply[3]) if raw.kind == "*" else (raw.kind, reply[2], reply[3]))
