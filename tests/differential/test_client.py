"""CLIENT subcommands against real Redis 7.0: replies and error texts (RESP2 and RESP3).

Values that naturally differ between two servers (ids, addresses, ages, buffer sizes) are
compared by shape only. Nothing here kills or pauses the shared servers' other clients.
"""

from __future__ import annotations

import pytest

from tests.support.rawconn import RawConnection

ERROR_CASES = [
    ("CLIENT",),
    ("CLIENT", "FOO"),
    ("CLIENT", "HELP", "x"),
    ("CLIENT", "ID", "x"),
    ("CLIENT", "GETNAME", "x"),
    ("CLIENT", "SETNAME"),
    ("CLIENT", "SETNAME", "a", "b"),
    ("CLIENT", "SETNAME", "a b"),
    ("CLIENT", "SETNAME", "a\nb"),
    ("CLIENT", "SETNAME", "\xe4"),
    ("CLIENT", "INFO", "x"),
    ("CLIENT", "LIST", "x"),
    ("CLIENT", "LIST", "TYPE"),
    ("CLIENT", "LIST", "TYPE", "foo"),
    ("CLIENT", "LIST", "TYPE", "normal", "x"),
    ("CLIENT", "LIST", "ID"),
    ("CLIENT", "LIST", "ID", "abc"),
    ("CLIENT", "LIST", "ID", "1", "abc"),
    ("CLIENT", "LIST", "ID", "0"),
    ("CLIENT", "LIST", "ID", "99999999"),
    ("CLIENT", "LIST", "ID", "-5"),
    ("CLIENT", "KILL"),
    ("CLIENT", "KILL", "1.2.3.4:5"),
    ("CLIENT", "KILL", "ID"),
    ("CLIENT", "KILL", "ID", "abc"),
    ("CLIENT", "KILL", "ID", "0"),
    ("CLIENT", "KILL", "ID", "-3"),
    ("CLIENT", "KILL", "ID", "99999999"),
    ("CLIENT", "KILL", "ID", "5", "TYPE"),
    ("CLIENT", "KILL", "TYPE", "foo", "x"),
    ("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "maybe"),
    ("CLIENT", "KILL", "FOO", "bar"),
    ("CLIENT", "KILL", "ADDR"),
    ("CLIENT", "KILL", "USER", "nobody"),
    ("CLIENT", "KILL", "USER", "default", "ID", "99999999"),
    ("CLIENT", "KILL", "LADDR", "1.2.3.4:5", "SKIPME", "no"),
    ("CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "yes"),
    ("CLIENT", "KILL", "SKIPME", "yes", "ID", "99999999"),
    ("CLIENT", "REPLY"),
    ("CLIENT", "REPLY", "foo"),
    ("CLIENT", "REPLY", "on", "x"),
    ("CLIENT", "PAUSE"),
    ("CLIENT", "PAUSE", "abc"),
    ("CLIENT", "PAUSE", "-1"),
    ("CLIENT", "PAUSE", "1.5"),
    ("CLIENT", "PAUSE", "10", "foo"),
    ("CLIENT", "PAUSE", "abc", "foo"),
    ("CLIENT", "PAUSE", "10", "write", "x"),
    ("CLIENT", "UNPAUSE", "x"),
    ("CLIENT", "NO-EVICT"),
    ("CLIENT", "NO-EVICT", "foo"),
    ("CLIENT", "NO-EVICT", "on", "x"),
    ("CLIENT", "GETREDIR", "x"),
    ("CLIENT", "TRACKINGINFO", "x"),
    ("CLIENT", "CACHING"),
    ("CLIENT", "CACHING", "yes"),
    ("CLIENT", "CACHING", "foo"),
    ("CLIENT", "CACHING", "yes", "x"),
    ("CLIENT", "UNBLOCK"),
    ("CLIENT", "UNBLOCK", "abc"),
    ("CLIENT", "UNBLOCK", "5", "foo"),
    ("CLIENT", "UNBLOCK", "abc", "foo"),
    ("CLIENT", "UNBLOCK", "5", "error"),
    ("CLIENT", "UNBLOCK", "5", "TIMEOUT", "x"),
    ("CLIENT", "UNBLOCK", "-1"),
    ("CLIENT", "UNBLOCK", "0"),
    ("CLIENT", "UNBLOCK", "99999999"),
]


@pytest.mark.parametrize("args", ERROR_CASES, ids=lambda a: " ".join(a))
def test_client_errors_and_simple_replies(differ, args):
    differ.check(*args)


def test_client_help(differ):
    lines = differ.check("CLIENT", "HELP")
    assert lines[0].startswith(b"CLIENT <subcommand>")


@pytest.mark.parametrize(
    "args",
    [
        ("CLIENT", "REPLY", "ON"),
        ("CLIENT", "PAUSE", "0"),
        ("CLIENT", "PAUSE", "0", "WRITE"),
        ("CLIENT", "PAUSE", "0", "all"),
        ("CLIENT", "UNPAUSE"),
        ("CLIENT", "NO-EVICT", "on"),
        ("CLIENT", "NO-EVICT", "OFF"),
        ("CLIENT", "GETREDIR"),
        ("CLIENT", "TRACKINGINFO"),
    ],
    ids=lambda a: " ".join(a),
)
def test_client_simple_commands(differ, args):
    differ.check(*args)


def test_setname_getname(differ):
    differ.check("CLIENT", "GETNAME")
    differ.check("CLIENT", "SETNAME", "conn-1")
    differ.check("CLIENT", "GETNAME")
    differ.check("CLIENT", "SETNAME", "")  # removes the name
    differ.check("CLIENT", "GETNAME")


def _fields(line: bytes) -> list[tuple[str, str]]:
    return [tuple(part.split("=", 1)) for part in line.decode().split(" ")]  # type: ignore[misc]


NATURALLY_DIFFERENT = {"id", "addr", "laddr", "fd", "age", "idle", "qbuf", "qbuf-free", "argv-mem", "rbs",
                       "rbp", "obl", "oll", "omem", "tot-mem"}


def _comparable(line: bytes) -> list[tuple[str, str]]:
    return [(k, "*" if k in NATURALLY_DIFFERENT else v) for k, v in _fields(line)]


@pytest.mark.parametrize("protocol", [2, 3])
def test_client_info_line_shape(differ, protocol):
    for conn in ((differ.ours2, differ.real2) if protocol == 2 else (differ.ours3, differ.real3)):
        conn.call("CLIENT", "SETNAME", "shape")
        conn.call("SELECT", "4")
    ours, real = differ.raw("CLIENT", "INFO", protocol=protocol)
    assert ours.kind == real.kind == ("$" if protocol == 2 else "=")
    ours_text, real_text = bytes(ours.value), bytes(real.value)
    if protocol == 3:
        assert ours_text[:4] == real_text[:4] == b"txt:"
        ours_text, real_text = ours_text[4:], real_text[4:]
    assert ours_text.endswith(b"\n") and real_text.endswith(b"\n")
    assert _comparable(ours_text[:-1]) == _comparable(real_text[:-1])
    for conn in ((differ.ours2, differ.real2) if protocol == 2 else (differ.ours3, differ.real3)):
        conn.call("SELECT", "0")


def test_client_list_shape_and_filters(differ):
    ours_id = differ.ours2.call("CLIENT", "ID").value
    real_id = differ.real2.call("CLIENT", "ID").value
    for conn, my_id in ((differ.ours2, ours_id), (differ.real2, real_id)):
        listing = conn.call("CLIENT", "LIST").value
        lines = listing.decode().rstrip("\n").split("\n")
        assert any(line.startswith(f"id={my_id} ") for line in lines)
        only = conn.call("CLIENT", "LIST", "ID", str(my_id), "99999999").value
        assert only.count(b"\n") == 1 and only.startswith(b"id=%d " % my_id)
        assert b" cmd=client|list " in only
    ours = differ.ours2.call("CLIENT", "LIST", "ID", str(ours_id)).value
    real = differ.real2.call("CLIENT", "LIST", "ID", str(real_id)).value
    assert _comparable(ours.rstrip(b"\n")) == _comparable(real.rstrip(b"\n"))


def test_client_id_is_an_integer_and_kill_of_a_fresh_connection(differ):
    for port in (differ.ours_port, differ.real_port):
        with RawConnection(port) as victim, RawConnection(port) as killer:
            victim_id = victim.call("CLIENT", "ID")
            assert victim_id.kind == ":"
            reply = killer.call("CLIENT", "KILL", "ID", str(victim_id.value))
            assert (reply.kind, reply.value) == (":", 1)
            reply = killer.call("CLIENT", "KILL", "ID", str(victim_id.value))
            assert (reply.kind, reply.value) == (":", 0)


def test_client_reply_off_skip_on_raw(differ):
    results = []
    for port in (differ.ours_port, differ.real_port):
        with RawConnection(port) as c:
            c.send("CLIENT", "REPLY", "OFF")
            c.send("SET", "reply-test", "1")
            c.send("CLIENT", "REPLY", "SKIP")  # stays OFF
            c.send("GET", "reply-test")
            c.send("CLIENT", "REPLY", "ON")
            first = c.read_reply()
            c.send("CLIENT", "REPLY", "SKIP")
            c.send("INCR", "reply-test")
            c.send("GET", "reply-test")
            second = c.read_reply()
            results.append((first, second))
    assert results[0] == results[1]
    assert results[1][0].value == b"OK" and results[1][1].value == b"2"
