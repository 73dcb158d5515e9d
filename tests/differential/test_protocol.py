"""Raw protocol bytes sent to Trireme and to a real redis-server; the bytes that come back
(and whether the connection is closed) must be identical."""

from __future__ import annotations

import socket
import time

import pytest

from tests.support.procs import start_real_redis, start_trireme
from tests.support.rawconn import RawConnection, Reply
from tests.support.vectors import PROTOCOL_ERRORS, SPLITS

pytestmark = pytest.mark.real

MARKER_CMD = b"*2\r\n$4\r\nECHO\r\n$7\r\n__end__\r\n"
MARKER_REPLY = b"$7\r\n__end__\r\n"


# For servers with requirepass: authenticate, then echo (AUTH answers +OK even when repeated).
AUTH_MARKER = (b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n" + MARKER_CMD, b"+OK\r\n" + MARKER_REPLY)


def talk(port: int, data: bytes, timeout: float = 15.0, marker=(MARKER_CMD, MARKER_REPLY)) -> tuple[bytes, bool]:
    """Send ``data`` plus a marker command; return (reply bytes without the marker's, closed?).

    Reads until the marker's reply ends the stream or the server closes the connection.
    ``marker=None`` sends nothing more and reads until the server closes (for inputs that
    must end in a protocol error, where a marker could change how the input parses).
    """
    marker_cmd, marker_reply = marker or (b"", b"\0never")
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data + marker_cmd)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed while we were still sending: read what it said
        out = b""
        while True:
            if out.endswith(marker_reply):
                return out[: -len(marker_reply)], False
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return out, True
            except socket.timeout:
                raise AssertionError(f"no marker and no close after {timeout}s; got {out[:300]!r}") from None
            if not chunk:
                return out, True
            out += chunk


def same(ours_server, real_server, data: bytes, **kw) -> tuple[bytes, bool]:
    ours = talk(ours_server.port, data, **kw)
    real = talk(real_server.port, data, **kw)
    assert ours == real, f"for {data[:80]!r}:\n  ours: {ours[0][:300]!r} closed={ours[1]}\n  real: {real[0][:300]!r} closed={real[1]}"
    return real


def test_inline_ping(ours_server, real_server):
    assert same(ours_server, real_server, b"PING\r\n") == (b"+PONG\r\n", False)


def test_inline_with_bare_newline_and_blank_lines(ours_server, real_server):
    assert same(ours_server, real_server, b"\r\n\n  \r\nPING\nECHO hi\r\n") == (b"+PONG\r\n$2\r\nhi\r\n", False)


@pytest.mark.parametrize("header", [b"*-5\r\n", b"*-1\r\n", b"*0\r\n"])
def test_empty_and_negative_multibulk_are_skipped(ours_server, real_server, header):
    assert same(ours_server, real_server, header + b"*1\r\n$4\r\nPING\r\n") == (b"+PONG\r\n", False)


def test_bytes_after_the_last_bulk_crlf(ours_server, real_server):
    # Redis takes the bulk by its length and skips the two bytes after it, whatever they are.
    same(ours_server, real_server, b"*1\r\n$4\r\nPINGxx")


def test_pipelined_inline_and_multibulk(ours_server, real_server):
    data = b"PING\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\nECHO 'b c'\r\n*1\r\n$4\r\nPING\r\n"
    assert same(ours_server, real_server, data)[1] is False


@pytest.mark.parametrize("data,reason", PROTOCOL_ERRORS, ids=[r for _, r in PROTOCOL_ERRORS])
def test_protocol_error_reply_and_close(ours_server, real_server, data, reason):
    reply, closed = same(ours_server, real_server, data, marker=None)
    assert reply == b"-ERR Protocol error: %s\r\n" % reason.encode()
    assert closed


def test_commands_before_a_protocol_error_run(ours_server, real_server):
    data = b"PING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nz\r\n*1\r\n$-3\r\n"
    reply, closed = same(ours_server, real_server, data)
    assert closed and reply.startswith(b"+PONG\r\n$1\r\nz\r\n-ERR Protocol error")


# Lines for the unknown-command cross-check: printable (see the xfails below for bytes
# that are not UTF-8), no NUL (Redis looks for an inline request's newline with strchr, so a
# NUL hides the newline and the request waits for more bytes: not a behaviour to copy).
INLINE_LINES = [line for line, _ in SPLITS if line.strip() and line.isascii() and b"\0" not in line]


@pytest.mark.parametrize("line", INLINE_LINES, ids=[repr(line) for line in INLINE_LINES])
def test_inline_splitting_matches_sdssplitargs(ours_server, real_server, line):
    # The unknown-command error echoes the arguments, so it shows how the line was split.
    same(ours_server, real_server, b"NOSUCHCMD " + line + b"\r\n")


@pytest.mark.parametrize(
    "argv",
    [
        [b"NOSUCH"],
        [b"nosuch", b"a", b"b"],
        [b"nosuch", b"a" * 200],
        [b"nosuch"] + [b"arg%d" % i for i in range(60)],
        [b"nosuch", b"a\r\nb", b"c\nd"],
        [b""],
    ],
    ids=["bare", "args", "long arg", "many args", "newlines", "empty"],
)
def test_unknown_command_error_text(ours_server, real_server, argv):
    data = b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in argv)
    reply, closed = same(ours_server, real_server, data)
    assert reply.startswith(b"-ERR unknown command") and not closed


def multibulk(*argv: bytes) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in argv)


def test_unknown_command_long_name_is_cut_to_128_bytes(ours_server, real_server):
    reply, _ = same(ours_server, real_server, multibulk(b"x" * 200, b"y"))
    assert reply == b"-ERR unknown command '%b', with args beginning with: 'y' \r\n" % (b"x" * 128)


@pytest.mark.parametrize("data", [multibulk(b"nosuch", b"\xff"), b"NOSUCHCMD \xff x\r\n", multibulk(b"\xfe\xff")])
def test_unknown_command_echoes_raw_bytes(ours_server, real_server, data):
    same(ours_server, real_server, data)


def test_unknown_command_with_nul_byte(ours_server, real_server):
    same(ours_server, real_server, multibulk(b"a\x00z", b"b\x00y"))


# -- HELLO ------------------------------------------------------------------------------------


def hello_shape(port: int, *steps: tuple[bytes, ...]) -> list[Reply]:
    """Replies to a sequence of commands on one connection, with HELLO's ``id`` blanked."""
    replies = []
    with RawConnection(port) as conn:
        for argv in steps:
            replies.append(_blank_id(conn.call(*argv)))
    return replies


def _blank_id(reply: Reply) -> Reply:
    if reply.kind == "%":
        pairs = tuple((k, Reply(":", 0) if k.value == b"id" else v) for k, v in reply.value)
        return Reply("%", pairs)
    if reply.kind == "*" and reply.value and len(reply.value) % 2 == 0:
        items = list(reply.value)
        for i in range(0, len(items), 2):
            if items[i].value == b"id":
                items[i + 1] = Reply(":", 0)
        return Reply("*", tuple(items))
    return reply


def same_hello(ours_server, real_server, *steps) -> list[Reply]:
    ours = hello_shape(ours_server.port, *steps)
    real = hello_shape(real_server.port, *steps)
    assert ours == real
    return real


def test_hello_2_reply_shape(ours_server, real_server):
    (reply,) = same_hello(ours_server, real_server, (b"HELLO", b"2"))
    assert reply.kind == "*" and len(reply.value) == 14


def test_hello_without_version_reply_shape(ours_server, real_server):
    same_hello(ours_server, real_server, (b"HELLO",))



def test_hello_3_reply_shape(ours_server, real_server):
    (reply,) = same_hello(ours_server, real_server, (b"HELLO", b"3"))
    assert reply.kind == "%" and len(reply.value) == 7


def test_hello_3_then_hello_2(ours_server, real_server):
    same_hello(ours_server, real_server, (b"HELLO", b"3"), (b"HELLO", b"2"), (b"HELLO",))


def test_resp3_replies_after_hello_3(ours_server, real_server):
    steps = [(b"HELLO", b"3"), (b"GET", b"__no_such_key__"), (b"PING",), (b"ECHO", b"x"), (b"NOSUCH",)]
    ours = hello_shape(ours_server.port, *steps)[1:]
    real = hello_shape(real_server.port, *steps)[1:]
    assert ours == real
    assert real[0] == Reply("_", None)


@pytest.mark.parametrize("version", [b"1", b"4", b"x", b"-1"])
def test_hello_bad_version(ours_server, real_server, version):
    same_hello(ours_server, real_server, (b"HELLO", version), (b"PING",))


# -- unauthenticated clients ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def auth_servers(real_server):
    with start_trireme("--requirepass", "pw") as ours, start_real_redis("--requirepass", "pw") as real:
        yield ours, real


@pytest.mark.parametrize(
    "data",
    [
        b"PING\r\n",
        b"*1\r\n$4\r\nPING\r\n",
        b"*11\r\n",
        b"*10\r\n" + b"$1\r\na\r\n" * 10,
        b"*2\r\n$4\r\nAUTH\r\n$16385\r\n",
        b"*2\r\n$4\r\nAUTH\r\n$16384\r\n" + b"x" * 16384 + b"\r\n",
    ],
    ids=["inline ping", "ping", "11 args", "10 args", "big bulk", "16384 bulk"],
)
def test_unauthenticated_limits(auth_servers, data):
    ours, real = auth_servers
    reply, closed = same(ours, real, data, marker=AUTH_MARKER)
    if data.startswith((b"*11", b"*2\r\n$4\r\nAUTH\r\n$16385")):
        assert closed and reply.startswith(b"-ERR Protocol error: unauthenticated")


def test_limits_lift_after_auth_in_an_earlier_write(auth_servers):
    replies = []
    for server in auth_servers:
        with RawConnection(server.port) as conn:
            assert conn.call(b"AUTH", b"pw") == Reply("+", b"OK")
            conn.send_raw(multibulk(*[b"a"] * 11) + multibulk(b"ECHO", b"x" * 20000))
            replies.append((conn.read_reply(), conn.read_reply()))
    assert replies[0] == replies[1]
    assert replies[1][1] == Reply("$", b"x" * 20000)


def test_limits_lift_for_a_command_pipelined_after_auth(auth_servers):
    ours, real = auth_servers
    same(ours, real, multibulk(b"AUTH", b"pw") + multibulk(*[b"a"] * 11), marker=AUTH_MARKER)


def test_subscriber_context_error_names_the_subcommand(ours_server, real_server):
    """RESP2 subscriber context: the refusal names 'pubsub|numsub', not the container."""
    from tests.support.rawconn import RawConnection

    replies = []
    for server in (ours_server, real_server):
        with RawConnection(server.port) as conn:
            conn.call(b"SUBSCRIBE", b"x")
            replies.append((conn.call(b"PUBSUB", b"NUMSUB"), conn.call(b"GET", b"k")))
    assert replies[0] == replies[1]
    assert b"'pubsub|numsub'" in replies[1][0].value


def test_null_follows_the_protocol_within_one_read(ours_server, real_server):
    """HELLO 3 and RESET (back to RESP2) pipelined in one write: each null in the protocol of
    its moment (the run loop writes nulls itself, so it must read the client's protocol)."""
    get = b"*2\r\n$3\r\nGET\r\n$8\r\n__none__\r\n"
    data = b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n" + get + b"*1\r\n$5\r\nRESET\r\n" + get
    for port in (ours_server.port, real_server.port):
        out, closed = talk(port, data)
        assert not closed and out.endswith(b"_\r\n+RESET\r\n$-1\r\n"), out[-40:]


def test_replies_past_the_normal_output_buffer_limit_close_the_client(ours_server, real_server):
    # client-output-buffer-limit applies to replies too: a read whose replies pass the hard
    # limit gets none of them and the connection is closed; one under it is answered.
    get = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"
    admins = [RawConnection(server.port) for server in (ours_server, real_server)]
    try:
        for admin in admins:
            assert admin.call(b"CONFIG", b"SET", b"client-output-buffer-limit", b"normal 1mb 0 0").kind == "+"
            assert admin.call(b"SET", b"big", b"x" * 600_000).kind == "+"
        assert same(ours_server, real_server, b"*1\r\n$4\r\nPING\r\n" + get * 2, marker=None) == (b"", True)
        reply, closed = same(ours_server, real_server, get)
        assert len(reply) > 600_000 and not closed
    finally:
        for admin in admins:
            admin.call(b"CONFIG", b"SET", b"client-output-buffer-limit", b"normal 0 0 0")
            admin.call(b"DEL", b"big")
            admin.close()
