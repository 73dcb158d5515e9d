"""Protocol vectors shared by the parser unit tests and the differential protocol tests.

Error reasons are Redis 7.0.15's texts after ``ERR Protocol error: ``.
"""

INLINE_MAX = 64 * 1024  # PROTO_INLINE_MAX_SIZE

# (bytes a client sends, the protocol error reason)
PROTOCOL_ERRORS = [
    (b"*1\r\n$-1\r\n", "invalid bulk length"),
    (b"*1\r\n$abc\r\n", "invalid bulk length"),
    (b"*1\r\n$04\r\nPING\r\n", "invalid bulk length"),
    (b"*1\r\n$+4\r\nPING\r\n", "invalid bulk length"),
    (b"*1\r\n$4 \r\nPING\r\n", "invalid bulk length"),
    (b"*1\r\n$600000000\r\n", "invalid bulk length"),  # > proto-max-bulk-len (512 MB)
    (b"*abc\r\n", "invalid multibulk length"),
    (b"*+1\r\n$4\r\nPING\r\n", "invalid multibulk length"),
    (b"*3000000000\r\n", "invalid multibulk length"),  # > INT_MAX
    (b"*1\r\n:1\r\n", "expected '$', got ':'"),
    (b"*2\r\n$3\r\nGET\r\n*1\r\n", "expected '$', got '*'"),
    (b'SET "a b\r\n', "unbalanced quotes in request"),
    (b'SET "a"b c\r\n', "unbalanced quotes in request"),
    (b"SET 'a\r\n", "unbalanced quotes in request"),
    (b"SET 'a'b\r\n", "unbalanced quotes in request"),
    (b"x" * (INLINE_MAX + 10), "too big inline request"),
    (b"*" + b"1" * (INLINE_MAX + 10), "too big mbulk count string"),
    (b"*1\r\n$" + b"1" * (INLINE_MAX + 10), "too big bulk count string"),
]

# (inline line, the arguments sdssplitargs makes of it)
SPLITS = [
    (b"", []),
    (b"   ", []),
    (b"PING", [b"PING"]),
    (b"SET  a\tb ", [b"SET", b"a", b"b"]),
    (b"a\r", [b"a"]),
    (b'"a b"', [b"a b"]),
    (b"'a b'", [b"a b"]),
    (b'""', [b""]),
    (b"''", [b""]),
    (b'"" x', [b"", b"x"]),
    (b'a"b c"', [b"ab c"]),  # a quote inside a word opens quoting
    (b"a'b c'", [b"ab c"]),
    (b'"\\x41\\x4a\\x4A"', [b"AJJ"]),
    (b'"\\x4"', [b"x4"]),  # not two hex digits: \x is just x
    (b'"\\xzz"', [b"xzz"]),
    (b'"\\n\\r\\t\\b\\a"', [b"\n\r\t\b\a"]),
    (b'"\\z\\\\\\""', [b'z\\"']),
    (b"'\\''", [b"'"]),
    (b"'\\n'", [b"\\n"]),  # single quotes keep backslashes
    (b"'a\"b'", [b'a"b']),
    (b"\"a'b\"", [b"a'b"]),
    (b'"a"\t"b"', [b"a", b"b"]),
    (b"\xff\x00 x", [b"\xff\x00", b"x"]),
]

# inline lines sdssplitargs rejects
UNBALANCED = [b'"a', b"'a", b'"a"b', b"'a'b", b'"a\\"', b"'a\\'", b'x "']
