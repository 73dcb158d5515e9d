"""node/resp.py: the request parser, fed whole, byte by byte and split at every position.

Error texts are Redis 7.0.15's (tests/differential/test_protocol.py checks the same inputs
against a real redis-server).
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.errors import ProtocolError
from node.resp import INLINE_MAX, RequestParser, split_inline
from tests.support.vectors import PROTOCOL_ERRORS, SPLITS, UNBALANCED


def mb(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


# A stream mixing every kind of request the parser accepts, and what it must yield.
STREAM = b"".join(
    [
        mb(b"SET", b"key", b"value"),
        b"PING\r\n",
        b"*0\r\n",  # skipped
        b"*-5\r\n",  # skipped
        mb(b"GET", b"key"),
        b"\r\n",  # blank inline line: skipped
        b'SET "a b" \'c d\'\r\n',
        b"ECHO x\n",  # inline with bare LF
        mb(b"SET", b"bin", b"\x00\r\n\xff" * 3),
        mb(b""),
        b"  \t \r\n",  # whitespace-only inline: skipped
        mb(b"MSET") + b"",  # one-element command
        b"*-1\r\n",
        b'ECHO "\\x41\\n\\t"\r\n',
        mb(b"X" * 300, b"y"),
    ]
)
EXPECTED = [
    [b"SET", b"key", b"value"],
    [b"PING"],
    [b"GET", b"key"],
    [b"SET", b"a b", b"c d"],
    [b"ECHO", b"x"],
    [b"SET", b"bin", b"\x00\r\n\xff" * 3],
    [b""],
    [b"MSET"],
    [b"ECHO", b"A\n\t"],
    [b"X" * 300, b"y"],
]


def feed_chunks(chunks, parser=None) -> tuple[list[list[bytes]], RequestParser]:
    parser = parser or RequestParser()
    out: list[list[bytes]] = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))
    return out, parser


def test_whole_stream_in_one_read():
    out, parser = feed_chunks([STREAM])
    assert out == EXPECTED
    assert parser.error is None
    assert parser.pending == 0


def test_stream_fed_byte_by_byte():
    out, parser = feed_chunks([STREAM[i : i + 1] for i in range(len(STREAM))])
    assert out == EXPECTED
    assert parser.error is None
    assert parser.pending == 0


def test_stream_split_at_every_position():
    for i in range(len(STREAM) + 1):
        out, parser = feed_chunks([STREAM[:i], STREAM[i:]])
        assert out == EXPECTED, f"split at {i}"
        assert parser.error is None
        assert parser.pending == 0


def test_pure_multibulk_reads_split_at_every_position():
    # The hiredis fast path takes reads that hold whole commands only; every split must
    # agree with it.
    data = mb(b"SET", b"k", b"v") * 3 + mb(b"GET", b"k")
    expected = [[b"SET", b"k", b"v"]] * 3 + [[b"GET", b"k"]]
    for i in range(len(data) + 1):
        for j in range(i, len(data) + 1):
            out, parser = feed_chunks([data[:i], data[i:j], data[j:]])
            assert out == expected, f"split at {i}, {j}"
            assert parser.pending == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_stream_split_at_random_positions(cuts):
    cuts = sorted(cuts)
    bounds = [0, *cuts, len(STREAM)]
    chunks = [STREAM[a:b] for a, b in zip(bounds, bounds[1:])]
    out, parser = feed_chunks(chunks)
    assert out == EXPECTED
    assert parser.error is None


def test_incomplete_command_waits_and_counts_pending():
    parser = RequestParser()
    assert parser.feed(b"*2\r\n$3\r\nGET\r\n$3\r\nke") == []
    assert parser.pending > 0
    assert parser.feed(b"y\r\n") == [[b"GET", b"key"]]
    assert parser.pending == 0


def test_inline_waits_for_its_newline():
    parser = RequestParser()
    assert parser.feed(b"PIN") == []
    assert parser.feed(b"G") == []
    assert parser.feed(b"\r\n") == [[b"PING"]]


def test_large_bulk_in_many_pieces():
    value = bytes(range(256)) * 4096  # 1 MiB
    data = mb(b"SET", b"k", value)
    out, parser = feed_chunks([data[i : i + 65536] for i in range(0, len(data), 65536)])
    assert out == [[b"SET", b"k", value]]
    assert parser.pending == 0


# -- protocol errors -------------------------------------------------------------------------



@pytest.mark.parametrize("data,reason", PROTOCOL_ERRORS, ids=[r for _, r in PROTOCOL_ERRORS])
def test_protocol_error_text(data, reason):
    parser = RequestParser()
    assert parser.feed(data) == []
    assert parser.error == f"ERR Protocol error: {reason}"


@pytest.mark.parametrize("data,reason", PROTOCOL_ERRORS, ids=[r for _, r in PROTOCOL_ERRORS])
def test_protocol_error_text_byte_by_byte(data, reason):
    if len(data) > 1000:
        chunks = [data[i : i + 997] for i in range(0, len(data), 997)]
    else:
        chunks = [data[i : i + 1] for i in range(len(data))]
    out, parser = feed_chunks(chunks)
    assert out == []
    assert parser.error == f"ERR Protocol error: {reason}"


def test_commands_before_a_protocol_error_are_returned():
    parser = RequestParser()
    out = parser.feed(mb(b"SET", b"a", b"1") + b"PING\r\n" + b"*1\r\n$x\r\n" + mb(b"GET", b"a"))
    assert out == [[b"SET", b"a", b"1"], [b"PING"]]
    assert parser.error == "ERR Protocol error: invalid bulk length"


def test_parser_stops_after_a_protocol_error():
    parser = RequestParser()
    parser.feed(b"*1\r\n:1\r\n")
    assert parser.error is not None
    assert parser.feed(mb(b"PING")) == []
    assert parser.feed(b"PING\r\n") == []


def test_inline_exactly_at_the_limit_is_not_yet_an_error():
    parser = RequestParser()
    assert parser.feed(b"x" * INLINE_MAX) == []
    assert parser.error is None


MIB = 1024 * 1024  # the smallest proto-max-bulk-len Redis accepts


def test_bulk_length_limit_follows_proto_max_bulk_len_split_reads():
    parser = RequestParser(max_bulk_len=MIB)
    data = mb(b"x" * MIB)
    assert feed_chunks([data[:10], data[10:]], parser)[0] == [[b"x" * MIB]]
    parser.feed(b"*1\r\n$%d\r\n" % (MIB + 1))
    assert parser.error == "ERR Protocol error: invalid bulk length"


def test_bulk_length_limit_follows_proto_max_bulk_len_in_one_read():
    parser = RequestParser(max_bulk_len=MIB)
    assert parser.feed(mb(b"x" * (MIB + 1))) == []
    assert parser.error == "ERR Protocol error: invalid bulk length"


def test_query_buffer_limit_marks_the_client_for_closing():
    parser = RequestParser(max_query_buf=1024)
    parser.feed(b"*1\r\n$4000\r\n" + b"x" * 2000)
    assert parser.query_buffer_exceeded
    assert parser.error is None  # closed without a reply, like Redis


def test_huge_multibulk_count_does_not_stall():
    parser = RequestParser()
    start = time.perf_counter()
    assert parser.feed(b"*2147483647\r\n") == []
    assert parser.error is None
    assert time.perf_counter() - start < 0.5


# -- unauthenticated clients -------------------------------------------------------------------


def unauth_parser() -> RequestParser:
    parser = RequestParser()
    parser.auth_required = True
    return parser


def test_unauthenticated_multibulk_length_limit():
    parser = unauth_parser()
    assert parser.feed(mb(*[b"a"] * 10)) == [[b"a"] * 10]
    parser.feed(mb(*[b"a"] * 11))
    assert parser.error == "ERR Protocol error: unauthenticated multibulk length"


def test_unauthenticated_bulk_length_limit():
    parser = unauth_parser()
    assert parser.feed(mb(b"AUTH", b"x" * 16384)) == [[b"AUTH", b"x" * 16384]]
    parser.feed(mb(b"AUTH", b"x" * 16385))
    assert parser.error == "ERR Protocol error: unauthenticated bulk length"


def test_unauthenticated_limits_lift_after_auth():
    parser = unauth_parser()
    parser.auth_required = False
    assert parser.feed(mb(*[b"a"] * 11)) == [[b"a"] * 11]


def test_unauthenticated_inline_has_no_argument_limit():
    parser = unauth_parser()
    assert parser.feed(b"a " * 20 + b"\r\n") == [[b"a"] * 20]


# -- split_inline (sdssplitargs) -----------------------------------------------------------------



@pytest.mark.parametrize("line,args", SPLITS, ids=[repr(line) for line, _ in SPLITS])
def test_split_inline(line, args):
    assert split_inline(line) == args




@pytest.mark.parametrize("line", UNBALANCED, ids=[repr(line) for line in UNBALANCED])
def test_split_inline_unbalanced(line):
    with pytest.raises(ProtocolError, match="unbalanced quotes in request"):
        split_inline(line)
