"""DEBUG: one command of arity -2 whose subcommands it dispatches itself, as Redis does.

Like Redis 7.0, DEBUG is refused unless ``enable-debug-command`` is ``yes`` (or ``local``
and the client is local). Implemented: HELP, SLEEP (blocks the whole node, like Redis),
SET-ACTIVE-EXPIRE, OBJECT (serializedlength is the RDB size, see rdb_length.py; a list
also shows its quicklist's ql_* fields), DIGEST, DIGEST-VALUE (Redis's exact SHA1 mixing), POPULATE,
LOG, ERROR, PROTOCOL, CHANGE-REPL-ID, QUICKLIST-PACKED-THRESHOLD. RELOAD and LOADAOF answer
that persistence is not implemented yet. The crash/fault-injection subcommands (SEGFAULT,
PANIC, OOM, ASSERT, RESTART, ...) and the allocator/encoding dumps are not implemented.
"""

from __future__ import annotations

import hashlib
import re
import struct
import time

from node import errors
from node.commands.client_cmd import subcommand_syntax_error
from node.commands.rdb_length import (  # noqa: F401 (lzf_compressed_length: the unit tests' entry)
    ListLayout,
    lzf_compressed_length,
    quicklist_fields,
    quicklist_length,
    quicklist_nodes,
    serialized_length,
)
from node.commands.spec import command
from node.errors import CommandError
from node.replies import OK, Push, SetReply, Status, Verbatim
from node.notify import NOTIFY_NEW, notify

DEBUG_HELP = (
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "MALLCTL <key> [<val>]",
    "    Get or set a malloc tuning integer.",
    "MALLCTL-STR <key> [<val>]",
    "    Get or set a malloc tuning string.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
    "HELP",
    "    Prints this help.",
)
_HELP_REPLY = [Status(line) for line in DEBUG_HELP]

NOT_ALLOWED = (
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can "
    "run it from a local connection, otherwise you need to set this option in the configuration "
    "file, and then restart the server."
)
PERSISTENCE_MISSING = "ERR DEBUG {}: persistence is not implemented yet"
ZERO_DIGEST = "0" * 40

# Redis's object type codes (OBJ_STRING ...), mixed into DEBUG DIGEST.
TYPE_CODES = {b"string": 0, b"list": 1, b"set": 2, b"zset": 3, b"hash": 4, b"stream": 6}


@command("debug", -2, "admin noscript loading stale", group="server", complexity="Depends on subcommand.",
         summary="A container for debugging commands")
def debug(client, argv):
    if not _debug_allowed(client):
        raise CommandError(NOT_ALLOWED)
    sub = argv[1].lower()
    handler = _SUBCOMMANDS.get(sub)
    if handler is None:
        raise CommandError(subcommand_syntax_error(argv[1], "debug"))
    arity_ok, run = handler
    if not arity_ok(len(argv)):
        raise CommandError(subcommand_syntax_error(argv[1], "debug"))
    return run(client, argv)


def _debug_allowed(client) -> bool:
    mode = getattr(client.server.config, "enable_debug_command", "yes")
    if mode in ("yes", True):
        return True
    if mode == "local":
        return _is_local(client)
    return False


def _is_local(client) -> bool:
    """Redis's islocalClient: a unix socket or a loopback address."""
    addr = client.addr
    if not addr or addr.startswith("/"):
        return True
    host = addr.rsplit(":", 1)[0].strip("[]")
    return host.startswith("127.") or host == "::1"


# -- subcommands -----------------------------------------------------------------------------------


def _help(client, argv):
    return _HELP_REPLY


_STRTOD = re.compile(rb"\s*[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf(?:inity)?|nan)", re.IGNORECASE)


def strtod(raw: bytes) -> float:
    """C's strtod on the longest valid prefix (0.0 when there is none), as DEBUG SLEEP reads it."""
    match = _STRTOD.match(raw)
    if not match:
        return 0.0
    try:
        return float(match.group(0))
    except ValueError:
        return 0.0


def _sleep(client, argv):
    seconds = strtod(argv[2])
    if seconds > 0 and seconds == seconds and seconds != float("inf"):
        time.sleep(int(seconds * 1_000_000) / 1_000_000)  # blocks the whole node, as in Redis
    return OK


def _atoi(raw: bytes) -> int:
    match = re.match(rb"\s*[-+]?\d+", raw)
    return int(match.group(0)) if match else 0


def _set_active_expire(client, argv):
    client.server.active_expire_enabled = _atoi(argv[2]) != 0
    return OK


def _log(client, argv):
    client.server.log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
    return OK


def _error(client, argv):
    message = argv[2].decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")
    raise CommandError(message)


def _change_repl_id(client, argv):
    import os

    server = client.server
    server.log.warning("Changing replication IDs after receiving DEBUG change-repl-id")
    server.replid = os.urandom(20).hex()
    server.replid2 = "0" * 40
    return OK


_MEMORY_UNITS = {b"": 1, b"b": 1, b"k": 1000, b"kb": 1024, b"m": 1000**2, b"mb": 1024**2,
                 b"g": 1000**3, b"gb": 1024**3}


def memtoull(raw: bytes) -> int | None:
    """Redis's memtoull: digits and an optional unit (k, kb, m, mb, g, gb, b); None if invalid."""
    match = re.fullmatch(rb"(\d+)([a-zA-Z]*)", raw)
    if not match:
        return None
    unit = _MEMORY_UNITS.get(match.group(2).lower())
    if unit is None:
        return None
    return int(match.group(1)) * unit


def _quicklist_packed_threshold(client, argv):
    size = memtoull(argv[2])
    if size is None or size > (1 << 32) - (1 << 20):
        raise CommandError("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
    client.server.quicklist_packed_threshold = size or (1 << 30)
    return OK


def _persistence_missing(client, argv):
    raise CommandError(PERSISTENCE_MISSING.format(argv[1].decode("utf-8", "replace").upper()))


def _positive_long(raw: bytes) -> int:
    from node.commands.client_cmd import _parse_ll

    value = _parse_ll(raw)
    if value is None or value < 0:
        raise CommandError("ERR value is out of range, must be positive")
    return value


def _populate(client, argv):
    count = _positive_long(argv[2])
    size = _positive_long(argv[4]) if len(argv) == 5 else 0
    prefix = argv[3] if len(argv) >= 4 else b"key"
    db = client.db
    clock = db.clock
    dirty = clock.dirty  # Redis does not count these writes (not propagated, not "changes")
    notify_new = client.server.notify_flags & NOTIFY_NEW
    for j in range(count):
        key = b"%b:%d" % (prefix, j)
        if db.exists(key):
            continue
        value = b"value:%d" % j
        if size:
            value = value[:size].ljust(size, b"\0")
        db.set(key, value)
        if notify_new:
            notify(client.server, NOTIFY_NEW, b"new", key, db.id)  # Redis's dbAdd
    clock.dirty = dirty
    return OK


def _object(client, argv):
    db = client.db
    value = db.data.get(argv[2])  # a debug command sees logically expired keys too
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    encoding = _encoding(value)
    lru = db.access.get(argv[2], db.clock.lru)
    idle = _idle_seconds(db, argv[2])
    compression = _rdb_compression(client)
    extra = ""
    if encoding == "quicklist":
        layout = _list_layout(client)
        nodes = quicklist_nodes(value, layout.fill, layout.packed_threshold)
        length = quicklist_length(nodes, layout.compress_depth, compression)
        extra = quicklist_fields(nodes, layout.fill, layout.compress_depth)
    else:
        length = serialized_length(value, compression)
    return Status(
        "Value at:0x%x refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d%s"
        % (id(value), _refcount(client, value), encoding, length, lru & ((1 << 24) - 1), idle, extra)
    )


def _list_layout(client) -> ListLayout:
    """The quicklist settings a list made now would have."""
    config = client.server.config
    return ListLayout(config.list_max_listpack_size, config.list_compress_depth,
                      client.server.quicklist_packed_threshold)


SHARED_INTEGERS = 10000  # OBJ_SHARED_INTEGERS: 0..9999 are shared objects in Redis
SHARED_REFCOUNT = 2**31 - 1
_NO_SHARED_INTEGER_POLICIES = ("allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu")


def _refcount(client, value: object) -> int:
    """OBJECT REFCOUNT's rule: small integers are shared unless maxmemory evicts by LRU/LFU."""
    if isinstance(value, bytes) and len(value) <= 20:
        number = _as_long(value)
        if number is not None and 0 <= number < SHARED_INTEGERS:
            config = client.server.config
            if not config.maxmemory or config.maxmemory_policy not in _NO_SHARED_INTEGER_POLICIES:
                return SHARED_REFCOUNT
    return 1


def _digest(client, argv):
    return Status(dataset_digest(client.server.dbs).hex())


def _digest_value(client, argv):
    db = client.db
    reply = []
    for key in argv[2:]:
        value = db.data.get(key)
        digest = bytearray(20)
        if value is not None:
            xor_object_digest(db, key, digest, value)
        reply.append(Status(digest.hex()))
    return reply


_PROTOCOL_TYPES = "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"


def _protocol(client, argv):
    name = argv[2].lower()
    resp3 = client.proto == 3
    if name == b"string":
        return b"Hello World"
    if name == b"integer":
        return 12345
    if name == b"double":
        return _DoubleText(b"3.141") if resp3 else b"3.141"
    if name == b"bignum":
        if resp3:
            return _BigNumber(b"1234567999999999999999999999999999999")
        return b"1234567999999999999999999999999999999"
    if name == b"null":
        return None
    if name == b"array":
        return [0, 1, 2]
    if name == b"set":
        return SetReply([0, 1, 2])
    if name == b"map":
        return {0: False, 1: True, 2: False}
    if name == b"attrib":
        if not resp3:
            return b"Some real reply following the attribute"
        return _Attributed({b"key-popularity": [b"key:123", 90]}, b"Some real reply following the attribute")
    if name == b"push":
        if not resp3:
            raise CommandError("ERR RESP2 is not supported by this command")
        return _Then(Push([b"server-cpu-usage", 42]), b"Some real reply following the push reply")
    if name == b"verbatim":
        return Verbatim(b"This is a verbatim\nstring")
    if name == b"true":
        return True
    if name == b"false":
        return False
    raise CommandError("ERR Wrong protocol type name. Please use one of the following: " + _PROTOCOL_TYPES)


class _BigNumber(bytes):
    """A RESP3 big number (``(digits``); only DEBUG PROTOCOL BIGNUM sends one."""


class _DoubleText(bytes):
    """A RESP3 double given by its exact text (``,3.141``, not ``%.17g``)."""


class _Then:
    """Two replies written back to back as one (DEBUG PROTOCOL PUSH: a push, then the reply)."""

    __slots__ = ("first", "reply")

    def __init__(self, first: object, reply: object):
        self.first = first
        self.reply = reply


class _Attributed:
    """A RESP3 attribute map followed by the reply it describes (DEBUG PROTOCOL ATTRIB)."""

    __slots__ = ("attributes", "reply")

    def __init__(self, attributes: dict, reply: object):
        self.attributes = attributes
        self.reply = reply


def _register_wire_types() -> None:
    from node import replies

    def bignum(reply, out, proto):
        out.append(b"(%b\r\n" % bytes(reply))

    def attributed(reply, out, proto):
        out.append(b"|%d\r\n" % len(reply.attributes))
        for key, value in reply.attributes.items():
            replies.encode_into(key, out, proto)
            replies.encode_into(value, out, proto)
        replies.encode_into(reply.reply, out, proto)

    replies._WRITERS3.setdefault(_BigNumber, bignum)
    replies._WRITERS2.setdefault(_BigNumber, lambda r, out, proto: replies.encode_into(bytes(r), out, proto))
    replies._WRITERS3.setdefault(_Attributed, attributed)
    replies._WRITERS3.setdefault(_Then, lambda r, out, proto: (replies.encode_into(r.first, out, proto),
                                                                replies.encode_into(r.reply, out, proto)))
    replies._WRITERS3.setdefault(_DoubleText, lambda r, out, proto: out.append(b",%b\r\n" % bytes(r)))


_register_wire_types()


def _exact(n: int):
    return lambda argc: argc == n


_SUBCOMMANDS = {
    b"help": (_exact(2), _help),
    b"sleep": (_exact(3), _sleep),
    b"set-active-expire": (_exact(3), _set_active_expire),
    b"log": (_exact(3), _log),
    b"error": (_exact(3), _error),
    b"change-repl-id": (_exact(2), _change_repl_id),
    b"quicklist-packed-threshold": (_exact(3), _quicklist_packed_threshold),
    b"reload": (lambda argc: True, _persistence_missing),
    b"loadaof": (lambda argc: True, _persistence_missing),
    b"populate": (lambda argc: 3 <= argc <= 5, _populate),
    b"object": (_exact(3), _object),
    b"digest": (_exact(2), _digest),
    b"digest-value": (lambda argc: argc >= 2, _digest_value),
    b"protocol": (_exact(3), _protocol),
}


# -- OBJECT helpers ------------------------------------------------------------------------------


def _type_name(value: object) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return b"string"
    try:
        from node.commands.keys import type_name
    except ImportError:
        return getattr(value, "type_name", b"none")
    return type_name(value)


def _encoding(value: object) -> str:
    try:
        from node.commands.keys import object_encoding
    except ImportError:
        object_encoding = None
    if object_encoding is not None:
        return object_encoding(value).decode()
    if isinstance(value, bytearray):
        return "raw"
    if len(value) <= 20 and _as_long(value) is not None:  # type: ignore[arg-type]
        return "int"
    return "embstr" if len(value) <= 44 else "raw"  # type: ignore[arg-type]


def _rdb_compression(client) -> bool:
    return bool(getattr(client.server.config, "rdbcompression", True))


def _idle_seconds(db, key: bytes) -> int:
    try:
        return db.idle_seconds(key)
    except Exception:
        return 0


def _as_long(raw: bytes) -> int | None:
    from node.commands.client_cmd import _parse_ll

    return _parse_ll(bytes(raw))


# -- DIGEST (Redis's debug.c, bit for bit) -------------------------------------------------------


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data).digest()


def xor_digest(digest: bytearray, data: bytes) -> None:
    for i, b in enumerate(_sha1(bytes(data))):
        digest[i] ^= b


def mix_digest(digest: bytearray, data: bytes) -> None:
    xor_digest(digest, data)
    digest[:] = _sha1(bytes(digest))


def _score_text(score: float) -> bytes:
    if score != score:
        return b"nan"
    if score in (float("inf"), float("-inf")):
        return b"inf" if score > 0 else b"-inf"
    return b"%.17g" % score


def _elements(value: object):
    """The elements of a collection value, in the shapes the digest needs."""
    items = getattr(value, "items", None)
    if callable(items):
        return list(items())
    return list(value)  # type: ignore[call-overload]


def xor_object_digest(db, key: bytes, digest: bytearray, value: object) -> None:
    """Redis's xorObjectDigest: mix in the type, then the value, then an expire marker."""
    kind = _type_name(value)
    mix_digest(digest, struct.pack(">I", TYPE_CODES.get(kind, 0)))
    if kind == b"string":
        mix_digest(digest, bytes(value))  # type: ignore[arg-type]
    elif kind == b"list":
        for element in _elements(value):
            mix_digest(digest, _as_bytes(element))
    elif kind == b"set":
        for element in _elements(value):
            xor_digest(digest, _as_bytes(element))
    elif kind == b"zset":
        for member, score in _zset_pairs(value):
            element = bytearray(20)
            mix_digest(element, _as_bytes(member))
            mix_digest(element, _score_text(float(score)))
            xor_digest(digest, bytes(element))
    elif kind == b"hash":
        for field, field_value in _elements(value):
            element = bytearray(20)
            mix_digest(element, _as_bytes(field))
            mix_digest(element, _as_bytes(field_value))
            xor_digest(digest, bytes(element))
    if key in db.expires:
        xor_digest(digest, b"!!expire!!")


def _zset_pairs(value: object):
    pairs = []
    for item in _elements(value):
        member, score = item
        if isinstance(member, (int, float)) and isinstance(score, (bytes, bytearray)):
            member, score = score, member
        pairs.append((member, score))
    return pairs


def _as_bytes(element: object) -> bytes:
    if isinstance(element, (bytes, bytearray)):
        return bytes(element)
    if isinstance(element, int):
        return b"%d" % element
    return str(element).encode()


def dataset_digest(dbs) -> bytes:
    """Redis's computeDatasetDigest: 20 zero bytes for an empty dataset."""
    final = bytearray(20)
    for db in dbs:
        if not db.data:
            continue
        mix_digest(final, struct.pack(">I", db.id))
        for key, value in list(db.data.items()):
            digest = bytearray(20)
            mix_digest(digest, key)
            xor_object_digest(db, key, digest, value)
            xor_digest(final, bytes(digest))
    return bytes(final)
