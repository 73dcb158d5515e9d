"""Every error reply text the node sends, in one catalogue.

Handlers raise :class:`CommandError` with one of these messages (or one built by the
functions below); dispatch turns it into a ``-...`` reply. The text includes the error
code prefix (``ERR``, ``WRONGTYPE``, ...), exactly as Redis 7.0 sends it.
"""


class CommandError(Exception):
    """A command failed; ``message`` is the full error line without the leading ``-``."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ProtocolError(Exception):
    """The client sent bytes that are not RESP; the connection is answered and closed."""


WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
OVERFLOW = "ERR increment or decrement would overflow"
INCR_NAN_INF = "ERR increment would produce NaN or Infinity"
NO_SUCH_KEY = "ERR no such key"
OUT_OF_RANGE = "ERR index out of range"
DB_INDEX = "ERR DB index is out of range"
INVALID_EXPIRE = "ERR invalid expire time in '{}' command"
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
OFFSET_OUT_OF_RANGE = "ERR offset is out of range"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
AUTH_NOT_CONFIGURED = (
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?"
)
NOPROTO = "NOPROTO unsupported protocol version"
MULTI_NESTED = "ERR MULTI calls can not be nested"
EXEC_WITHOUT_MULTI = "ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI = "ERR DISCARD without MULTI"
WATCH_IN_MULTI = "ERR WATCH inside MULTI is not allowed"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
SAME_OBJECT = "ERR source and destination objects are the same"
NOT_SUPPORTED_IN_SUBSCRIBE = (
    "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
    "are allowed in this context"
)
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"
OOM = "OOM command not allowed when used memory > 'maxmemory'."


def wrong_arity(name: str) -> str:
    return f"ERR wrong number of arguments for '{name}' command"


def unknown_command(argv: list[bytes]) -> str:
    """Redis shows the name cut to 128 bytes, then up to 128 bytes of arguments, each quoted
    and followed by a space (C strings: each stops at a NUL byte)."""
    name = _lossy(argv[0].split(b"\0", 1)[0][:128])
    shown = ""
    for arg in argv[1:]:
        if len(shown) >= 128:
            break
        text = _lossy(arg.split(b"\0", 1)[0])
        shown += f"'{text[: 128 - len(shown)]}' "
    return f"ERR unknown command '{name}', with args beginning with: {shown}"


def unknown_subcommand(sub: bytes, container: str) -> str:
    return f"ERR unknown subcommand '{_lossy(sub)}'. Try {container.upper()} HELP."


def unknown_subcommand_or_arity(sub: bytes, container: str) -> str:
    return (
        f"ERR unknown subcommand or wrong number of arguments for '{_lossy(sub)}'. "
        f"Try {container.upper()} HELP."
    )


def _lossy(b: bytes) -> str:
    # Redis prints argument bytes as they are (surrogateescape round-trips any byte to the
    # wire); only CR and LF become spaces, since an error reply is one line.
    return b.decode("utf-8", "surrogateescape").replace("\r", " ").replace("\n", " ")

# -- strings and bitmaps -------------------------------------------------------------------
DECR_OVERFLOW = "ERR decrement would overflow"
LCS_WRONGTYPE = "ERR The specified keys must contain string values"
LCS_LEN_AND_IDX = "ERR If you want both the length and indexes, please just use IDX."
LCS_TOO_LONG = "ERR String too long for LCS"
LCS_TOO_MUCH_MEMORY = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
BIT_ARGUMENT = "ERR The bit argument must be 1 or 0."
BITOP_NOT_ONE_KEY = "ERR BITOP NOT must be called with a single source key."
BITFIELD_OVERFLOW_TYPE = "ERR Invalid OVERFLOW type specified"
BITFIELD_TYPE = (
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)
BITFIELD_RO_GET_ONLY = "ERR BITFIELD_RO only supports the GET subcommand"

# -- generic key commands (keys.py) ----------------------------------------------------------
INT_OUT_OF_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647"
INVALID_CURSOR = "ERR invalid cursor"
INVALID_FIRST_DB = "ERR invalid first DB index"
INVALID_SECOND_DB = "ERR invalid second DB index"
MOVE_IN_CLUSTER = "ERR MOVE is not allowed in cluster mode"
SWAPDB_IN_CLUSTER = "ERR SWAPDB is not allowed in cluster mode"
COPY_DB_IN_CLUSTER = "ERR Copying to another database is not allowed in cluster mode"
UNSUPPORTED_OPTION = "ERR Unsupported option {}"
EXPIRE_NX_AND_XX_GT_LT = "ERR NX and XX, GT or LT options at the same time are not compatible"
EXPIRE_GT_AND_LT = "ERR GT and LT options at the same time are not compatible"
LFU_NO_IDLETIME = (
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust."
)
LFU_NO_FREQ = (
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time to adjust."
)

# -- hashes and sets (hashes.py, sets.py) -----------------------------------------------------
HASH_NOT_INTEGER = "ERR hash value is not an integer"
HASH_NOT_FLOAT = "ERR hash value is not a float"
VALUE_NAN_OR_INF = "ERR value is NaN or Infinity"
VALUE_OUT_OF_RANGE = "ERR value is out of range"
MUST_BE_POSITIVE = "ERR value is out of range, must be positive"
LONG_RANGE = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
NUMKEYS_NOT_POSITIVE = "ERR numkeys should be greater than 0"
NUMKEYS_TOO_MANY = "ERR Number of keys can't be greater than number of args"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"

# -- sorted sets (zsets.py) --------------------------------------------------------------------
ZADD_NX_XX = "ERR XX and NX options at the same time are not compatible"
ZADD_GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
ZADD_INCR_PAIR = "ERR INCR option supports a single increment-element pair"
ZSET_NAN = "ERR resulting score is not a number (NaN)"
ZSET_MIN_MAX_NOT_FLOAT = "ERR min or max is not a float"
ZSET_MIN_MAX_NOT_LEX = "ERR min or max not valid string range item"
ZRANGE_LIMIT_NEEDS_BY = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
ZRANGE_WITHSCORES_BYLEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
ZSET_COUNT_POSITIVE = "ERR count should be greater than 0"
ZSET_AT_LEAST_ONE_KEY = "ERR at least 1 input key is needed for '{}' command"
ZSET_WEIGHT_NOT_FLOAT = "ERR weight value is not a float"

# -- lists (lists.py) --------------------------------------------------------------------------
LPOS_RANK_ZERO = (
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list"
)
LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative"
LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative"
LIST_COUNT_POSITIVE = "ERR count should be greater than 0"

# -- SORT (sort.py) ----------------------------------------------------------------------------
SORT_SCORES = "ERR One or more scores can't be converted into double"
SORT_BY_CLUSTER = "ERR BY option of SORT denied in Cluster mode."
SORT_GET_CLUSTER = "ERR GET option of SORT denied in Cluster mode."

# -- geo (geo.py) ------------------------------------------------------------------------------
GEO_INVALID_PAIR = "ERR invalid longitude,latitude pair {:f},{:f}"
GEO_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI"
GEO_NEED_RADIUS = "ERR need numeric radius"
GEO_NEED_WIDTH = "ERR need numeric width"
GEO_NEED_HEIGHT = "ERR need numeric height"
GEO_RADIUS_NEGATIVE = "ERR radius cannot be negative"
GEO_BOX_NEGATIVE = "ERR height or width cannot be negative"
GEO_MEMBER_DECODE = "ERR could not decode requested zset member"
GEO_COUNT_POSITIVE = "ERR COUNT must be > 0"
GEO_STORE_WITH = "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
GEO_FROM_ONE = "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}"
GEO_BY_ONE = "ERR exactly one of BYRADIUS and BYBOX can be specified for {}"
GEO_ANY_COUNT = "ERR the ANY argument requires COUNT argument"
