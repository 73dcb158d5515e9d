"""node/replies.py: every reply value encoded for RESP2 and RESP3, against golden bytes.

The golden bytes are what Redis 7.0.15 writes for the same reply (``addReplyDouble`` uses
``%.17g``; maps flatten to arrays in RESP2; null is ``$-1``/``*-1`` in RESP2 and ``_`` in RESP3).
"""

from __future__ import annotations

import math

import hiredis
import pytest

from node.replies import (
    NO_REPLY,
    NULL_ARRAY,
    OK,
    PONG,
    QUEUED,
    ErrorReply,
    Map,
    Push,
    SetReply,
    Status,
    Verbatim,
    encode,
    format_double,
)

# (id, value, RESP2 bytes, RESP3 bytes)
GOLDEN = [
    ("bulk", b"hello", b"$5\r\nhello\r\n", b"$5\r\nhello\r\n"),
    ("empty bulk", b"", b"$0\r\n\r\n", b"$0\r\n\r\n"),
    ("binary bulk", b"a\r\nb\x00", b"$5\r\na\r\nb\x00\r\n", b"$5\r\na\r\nb\x00\r\n"),
    ("bytearray", bytearray(b"xy"), b"$2\r\nxy\r\n", b"$2\r\nxy\r\n"),
    ("str is utf-8 bulk", "h\u00e9", b"$3\r\nh\xc3\xa9\r\n", b"$3\r\nh\xc3\xa9\r\n"),
    ("int", 42, b":42\r\n", b":42\r\n"),
    ("zero", 0, b":0\r\n", b":0\r\n"),
    ("negative int", -7, b":-7\r\n", b":-7\r\n"),
    ("int64 max", 2**63 - 1, b":9223372036854775807\r\n", b":9223372036854775807\r\n"),
    ("int64 min", -(2**63), b":-9223372036854775808\r\n", b":-9223372036854775808\r\n"),
    ("null", None, b"$-1\r\n", b"_\r\n"),
    ("null array", NULL_ARRAY, b"*-1\r\n", b"_\r\n"),
    ("empty list", [], b"*0\r\n", b"*0\r\n"),
    ("list", [b"a", 1, None], b"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n", b"*3\r\n$1\r\na\r\n:1\r\n_\r\n"),
    ("tuple", (b"a",), b"*1\r\n$1\r\na\r\n", b"*1\r\n$1\r\na\r\n"),
    (
        "nested list",
        [[b"a", [1]], []],
        b"*2\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n*0\r\n",
        b"*2\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n*0\r\n",
    ),
    ("empty dict", {}, b"*0\r\n", b"%0\r\n"),
    (
        "dict",
        {b"f": b"v", b"n": 2},
        b"*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nn\r\n:2\r\n",
        b"%2\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nn\r\n:2\r\n",
    ),
    (
        "Map keeps order and repeats",
        Map([(b"b", 1), (b"a", 2), (b"b", 3)]),
        b"*6\r\n$1\r\nb\r\n:1\r\n$1\r\na\r\n:2\r\n$1\r\nb\r\n:3\r\n",
        b"%3\r\n$1\r\nb\r\n:1\r\n$1\r\na\r\n:2\r\n$1\r\nb\r\n:3\r\n",
    ),
    (
        "dict in a list",
        [{b"k": None}],
        b"*1\r\n*2\r\n$1\r\nk\r\n$-1\r\n",
        b"*1\r\n%1\r\n$1\r\nk\r\n_\r\n",
    ),
    ("set", SetReply([b"x", b"y"]), b"*2\r\n$1\r\nx\r\n$1\r\ny\r\n", b"~2\r\n$1\r\nx\r\n$1\r\ny\r\n"),
    ("empty set", SetReply(), b"*0\r\n", b"~0\r\n"),
    (
        "push",
        Push([b"message", b"ch", b"hi"]),
        b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
    ),
    ("double", 1.5, b"$3\r\n1.5\r\n", b",1.5\r\n"),
    ("double %.17g", 0.1, b"$19\r\n0.10000000000000001\r\n", b",0.10000000000000001\r\n"),
    ("integral double", 3.0, b"$1\r\n3\r\n", b",3\r\n"),
    ("negative double", -2.25, b"$5\r\n-2.25\r\n", b",-2.25\r\n"),
    ("big double", 1e20, b"$5\r\n1e+20\r\n", b",1e+20\r\n"),
    ("small double", 1.5e-7, b"$22\r\n1.4999999999999999e-07\r\n", b",1.4999999999999999e-07\r\n"),
    ("inf", math.inf, b"$3\r\ninf\r\n", b",inf\r\n"),
    ("-inf", -math.inf, b"$4\r\n-inf\r\n", b",-inf\r\n"),
    ("true", True, b":1\r\n", b"#t\r\n"),
    ("false", False, b":0\r\n", b"#f\r\n"),
    ("status", Status("FOO"), b"+FOO\r\n", b"+FOO\r\n"),
    ("OK", OK, b"+OK\r\n", b"+OK\r\n"),
    ("PONG", PONG, b"+PONG\r\n", b"+PONG\r\n"),
    ("QUEUED", QUEUED, b"+QUEUED\r\n", b"+QUEUED\r\n"),
    ("error", ErrorReply("ERR boom"), b"-ERR boom\r\n", b"-ERR boom\r\n"),
    (
        "error in a list",
        [OK, ErrorReply("WRONGTYPE x")],
        b"*2\r\n+OK\r\n-WRONGTYPE x\r\n",
        b"*2\r\n+OK\r\n-WRONGTYPE x\r\n",
    ),
    ("verbatim", Verbatim(b"a\r\nb"), b"$4\r\na\r\nb\r\n", b"=8\r\ntxt:a\r\nb\r\n"),
    ("verbatim mkd", Verbatim(b"# x", b"mkd"), b"$3\r\n# x\r\n", b"=7\r\nmkd:# x\r\n"),
    ("no reply", NO_REPLY, b"", b""),
]


@pytest.mark.parametrize("value,resp2,resp3", [g[1:] for g in GOLDEN], ids=[g[0] for g in GOLDEN])
def test_encode_golden(value, resp2, resp3):
    assert encode(value, 2) == resp2
    assert encode(value, 3) == resp3


NOT_ENOUGH = object()


@pytest.mark.parametrize("value,resp2,resp3", [g[1:] for g in GOLDEN], ids=[g[0] for g in GOLDEN])
def test_golden_bytes_are_one_valid_reply(value, resp2, resp3):
    # Each encoding parses as exactly one reply (nothing missing, nothing left over).
    for data in (resp2, resp3):
        if not data:
            continue
        reader = hiredis.Reader(notEnoughData=NOT_ENOUGH)
        reader.feed(data)
        assert reader.gets() is not NOT_ENOUGH
        assert reader.gets() is NOT_ENOUGH
        assert not reader.has_data()


def test_nan_double():
    assert format_double(math.nan) == b"nan"
    assert encode(math.nan, 3) == b",nan\r\n"


def test_subclasses_encode_like_their_base():
    class MyBytes(bytes):
        pass

    class MyList(list):
        pass

    assert encode(MyBytes(b"ab"), 2) == b"$2\r\nab\r\n"
    assert encode(MyList([1]), 3) == b"*1\r\n:1\r\n"


def test_unknown_type_is_a_type_error():
    with pytest.raises(TypeError, match="no RESP encoding"):
        encode(object(), 2)


def test_statuses_compare_by_text():
    assert Status("OK") == OK
    assert hash(Status(b"OK")) == hash(OK)
    assert ErrorReply("ERR x") == ErrorReply("ERR x")


def test_raw_and_replies_write_several_replies_as_one_element():
    from node.replies import Raw, Replies

    exec_reply = [Replies([Raw(b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nx\r\n"), 1]), Status("PONG")]
    assert encode(exec_reply, 3) == b"*2\r\n>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nx\r\n:1\r\n+PONG\r\n"
    assert encode(Replies([b"a", None]), 2) == b"$1\r\na\r\n$-1\r\n"


def _bulks(items) -> bytes:
    return b"".join(b"$%d\r\n%b\r\n" % (len(i), i) for i in items)


@pytest.mark.parametrize("n", [8, 9, 100])
def test_long_arrays_of_bulks(n):
    """Arrays of at least _FLAT_MIN short bytes are built in one C pass in RESP2: the same bytes."""
    items = [b"x" * (i % 7) for i in range(n - 2)] + [b"\x00\r\n", b"y" * 1023]
    assert encode(items, 2) == b"*%d\r\n" % n + _bulks(items)
    assert encode(tuple(items), 2) == b"*%d\r\n" % n + _bulks(items)
    assert encode(SetReply(items), 3) == b"~%d\r\n" % n + _bulks(items)
    for same in ([b"abc"] * n, [b""] * n, [b"q" * 1023] * n, [b"z" * 1024] * n, [b"abc"] * (n - 1) + [b"ab"]):
        assert encode(same, 2) == b"*%d\r\n" % n + _bulks(same)
    same = [b"abc"] * (n - 2) + [b"de", b"fgh"]  # same ends, one shorter inside
    assert encode(same, 2) == b"*%d\r\n" % n + _bulks(same)


@pytest.mark.parametrize("odd", [None, 1, 2.5, "text", "t", [b"a"], b"z" * 1024, b"z" * 5000, bytearray(b"ba"), Status("OK")])
def test_long_arrays_with_other_elements(odd):
    """An element that is not a short bytes value falls back to the general writer, in place."""
    for items in ([b"a", b"bb", odd, b"c", b"d", b"e", b"f", b"g", b"h", b"i"],
                  [b"a", b"b", b"c", odd, b"d", b"e", b"f", b"g", b"h", b"i"]):  # ends of one length
        for proto in (2, 3):
            expected = b"*10\r\n" + b"".join(encode(i, proto) for i in items)
            assert encode(items, proto) == expected


@pytest.mark.parametrize("n", [1, 4, 5, 50])
def test_dicts_of_bulks(n):
    """RESP2 maps of bytes (HGETALL) take the flat path from 4 pairs on: the same bytes."""
    d = {b"f%d" % i: b"v" * (i % 3) for i in range(n)}
    assert encode(d, 2) == b"*%d\r\n" % (2 * n) + _bulks(x for kv in d.items() for x in kv)
    assert encode(d, 3) == b"%%%d\r\n" % n + _bulks(x for kv in d.items() for x in kv)


@pytest.mark.parametrize("odd", [None, 7, 1.5, "s", [b"x"], b"z" * 2000])
def test_dicts_with_other_values(odd):
    for d in ({b"a": b"1", b"b": odd, b"c": b"3", b"d": b"4", b"e": b"5"}, {b"a": b"1", b"b": b"2", b"c": b"3", b"d": odd}):
        for proto in (2, 3):
            head = b"*%d\r\n" % (2 * len(d)) if proto == 2 else b"%%%d\r\n" % len(d)
            assert encode(d, proto) == head + b"".join(encode(x, proto) for kv in d.items() for x in kv)
