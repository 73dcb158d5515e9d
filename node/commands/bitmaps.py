"""Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.

Bitmaps are plain strings (``bytes`` values); bit 0 is the most significant bit of the
first byte, as in Redis. Whole-string work runs in C through ``int.from_bytes`` /
``int.bit_count`` / ``bytes.lstrip``, never bit by bit in Python. The parsing order and
the edge cases (negative ranges, BIT/BYTE units, overflow handling) follow Redis 7.0's
``bitops.c``.

Keyspace events as in 7.0: SETBIT and BITFIELD publish ``setbit`` only when a bit changed
or the string was created or grown (a BITFIELD whose writes all FAIL creates the key
silently but for ``new``); BITOP publishes ``set``, or ``del`` when its result is empty.
"""

from __future__ import annotations

from node import errors
from node.commands.keys import delete_empty_result
from node.commands.spec import KeySpec, command
from node.commands.strings import get_string, int_arg, parse_ll, store_notifying
from node.errors import CommandError
from node.notify import NOTIFY_NEW, NOTIFY_STRING, key_event

_U64 = (1 << 64) - 1


def _wrap64(value: int) -> int:
    """``value`` as a C int64_t after two's-complement wrap-around."""
    value &= _U64
    return value - (1 << 64) if value >> 63 else value


def bit_offset(client, raw: bytes, hash_allowed: bool = False, bits: int = 0) -> int:
    """``getBitOffsetFromArgument``: a bit offset, ``#n`` meaning ``n * bits`` in BITFIELD."""
    use_hash = hash_allowed and len(raw) > 1 and raw[:1] == b"#"
    offset = parse_ll(raw[1:] if use_hash else raw)
    if offset is None:
        raise CommandError(errors.BIT_OFFSET)
    if use_hash:
        offset = _wrap64(offset * bits)
    if offset < 0 or (offset >> 3) >= client.server.config.proto_max_bulk_len:
        raise CommandError(errors.BIT_OFFSET)
    return offset


# -- SETBIT / GETBIT -------------------------------------------------------------------------------


@command("setbit", 4, "write denyoom", group="bitmap", keys=[KeySpec("RW ACCESS UPDATE", index=1)],
         summary="Sets or clears the bit at offset in the string value stored at key", since="2.2.0")
def setbit(client, argv):
    offset = bit_offset(client, argv[2])
    on = int_arg(argv[3], errors.BIT_VALUE)
    if on & ~1:
        raise CommandError(errors.BIT_VALUE)
    db = client.db
    key = argv[1]
    value = get_string(db, key)
    byte = offset >> 3
    shift = 7 - (offset & 7)
    if value is None:
        new = bytearray(byte + 1)
        new[byte] = on << shift
        db.set(key, bytes(new))
        old = 0
    elif byte >= len(value):
        new = bytearray(value)
        new.extend(bytes(byte + 1 - len(value)))
        new[byte] = on << shift
        db.set(key, bytes(new), keep_ttl=True)
        old = 0
    else:
        current = value[byte]
        old = (current >> shift) & 1
        if old == on:
            return old
        changed = (current & ~(1 << shift)) | (on << shift)
        db.set(key, b"".join((value[:byte], bytes((changed,)), value[byte + 1:])), keep_ttl=True)
    if client.server.notify_flags:
        key_event(client, NOTIFY_STRING, b"setbit", key, value is None)
    return old


@command("getbit", 3, "readonly fast", group="bitmap", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Returns the bit value at offset in the string value stored at key", since="2.2.0")
def getbit(client, argv):
    offset = bit_offset(client, argv[2])
    value = get_string(client.db, argv[1])
    if value is None:
        return 0
    byte = offset >> 3
    if byte >= len(value):
        return 0
    return (value[byte] >> (7 - (offset & 7))) & 1


# -- BITCOUNT / BITPOS -------------------------------------------------------------------------------


def _unit_is_bit(raw: bytes) -> bool:
    unit = raw.lower()
    if unit == b"bit":
        return True
    if unit == b"byte":
        return False
    raise CommandError(errors.SYNTAX)


def _clamp(start: int, end: int, total: int) -> tuple[int, int]:
    """BITCOUNT/BITPOS: negative offsets count from the end, then clamp to ``total`` units."""
    if start < 0:
        start = max(total + start, 0)
    if end < 0:
        end = max(total + end, 0)
    if end >= total:
        end = total - 1
    return start, end


def _range_masks(start: int, end: int) -> tuple[int, int, int, int]:
    """Bit range -> byte range plus the masks of the edge bits outside it (Redis's neg masks)."""
    first_neg = ~((1 << (8 - (start & 7))) - 1) & 0xFF
    last_neg = (1 << (7 - (end & 7))) - 1
    return start >> 3, end >> 3, first_neg, last_neg


@command("bitcount", -2, "readonly", group="bitmap", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Count set bits in a string", since="2.6.0", complexity="O(N)")
def bitcount(client, argv):
    value = get_string(client.db, argv[1])
    if value is None:
        return 0
    argc = len(argv)
    first_neg = last_neg = 0
    if argc in (4, 5):
        total = len(value)
        start = int_arg(argv[2])
        end = int_arg(argv[3])
        if start < 0 and end < 0 and start > end:
            return 0
        isbit = argc == 5 and _unit_is_bit(argv[4])
        if isbit:
            total <<= 3
        start, end = _clamp(start, end, total)
        if isbit and start <= end:
            start, end, first_neg, last_neg = _range_masks(start, end)
    elif argc == 2:
        start, end = 0, len(value) - 1
    else:
        raise CommandError(errors.SYNTAX)
    if start > end:
        return 0
    count = int.from_bytes(value[start:end + 1], "big").bit_count()
    if first_neg:
        count -= (value[start] & first_neg).bit_count()
    if last_neg:
        count -= (value[end] & last_neg).bit_count()
    return count


def _first_bit(data: bytes, bit: int) -> int:
    """``redisBitpos``: first position of ``bit`` in ``data``; -1 (bit 1) or len*8 (bit 0) if none."""
    if bit:
        rest = data.lstrip(b"\x00")
        if not rest:
            return -1
        return (len(data) - len(rest)) * 8 + 8 - rest[0].bit_length()
    rest = data.lstrip(b"\xff")
    if not rest:
        return len(data) * 8
    return (len(data) - len(rest)) * 8 + 8 - (rest[0] ^ 0xFF).bit_length()


@command("bitpos", -3, "readonly", group="bitmap", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Find first bit set or clear in a string", since="2.8.7", complexity="O(N)")
def bitpos(client, argv):
    bit = int_arg(argv[2])
    if bit not in (0, 1):
        raise CommandError(errors.BIT_ARGUMENT)
    value = get_string(client.db, argv[1])
    if value is None:
        return -1 if bit else 0
    argc = len(argv)
    end_given = False
    first_neg = last_neg = 0
    if 4 <= argc <= 6:
        total = len(value)
        start = int_arg(argv[3])
        isbit = argc == 6 and _unit_is_bit(argv[5])
        if argc >= 5:
            end = int_arg(argv[4])
            end_given = True
        else:
            end = (total << 3) + 7 if isbit else total - 1
        if isbit:
            total <<= 3
        start, end = _clamp(start, end, total)
        if isbit and start <= end:
            start, end, first_neg, last_neg = _range_masks(start, end)
    elif argc == 3:
        start, end = 0, len(value) - 1
    else:
        raise CommandError(errors.SYNTAX)
    if start > end:
        return -1
    pos, start, nbytes = _bitpos_range(value, bit, start, end, first_neg, last_neg)
    # Looking for a clear bit in an explicit range: the padding to its right does not count.
    if end_given and bit == 0 and pos == nbytes << 3:
        return -1
    return pos + (start << 3) if pos != -1 else -1


def _bitpos_range(value: bytes, bit: int, start: int, end: int, first_neg: int,
                  last_neg: int) -> tuple[int, int, int]:
    """The search of Redis's bitposCommand over bytes start..end with the edge bits masked.

    Returns (position relative to the last segment searched, that segment's first byte,
    its length in bytes), which is what Redis's final checks look at.
    """
    nbytes = end - start + 1
    if first_neg:
        edge = value[start] & ~first_neg & 0xFF if bit else value[start] | first_neg
        if last_neg and nbytes == 1:
            edge = edge & ~last_neg & 0xFF if bit else edge | last_neg
        pos = _first_bit(bytes((edge,)), bit)
        if nbytes == 1 or (pos != -1 and pos != 8):
            return pos, start, nbytes
        start += 1
        nbytes -= 1
    middle = nbytes - (1 if last_neg else 0)
    if middle > 0:
        pos = _first_bit(value[start:start + middle], bit)
        if nbytes == middle or (pos != -1 and pos != middle << 3):
            return pos, start, nbytes
        start += middle
        nbytes -= middle
    edge = value[end] & ~last_neg & 0xFF if bit else value[end] | last_neg
    return _first_bit(bytes((edge,)), bit), start, nbytes


# -- BITOP -----------------------------------------------------------------------------------------------

_BITOPS = (b"AND", b"OR", b"XOR", b"NOT")


@command("bitop", -4, "write denyoom", group="bitmap",
         keys=[KeySpec("OW UPDATE", index=2), KeySpec("RO ACCESS", index=3, lastkey=-1)],
         summary="Perform bitwise operations between strings", since="2.6.0", complexity="O(N)")
def bitop(client, argv):
    op = argv[1].upper()
    if op not in _BITOPS:
        raise CommandError(errors.SYNTAX)
    if op == b"NOT" and len(argv) != 4:
        raise CommandError(errors.BITOP_NOT_ONE_KEY)
    db = client.db
    sources = [get_string(db, key) for key in argv[3:]]
    maxlen = max(len(s) for s in sources if s is not None) if any(s is not None for s in sources) else 0
    target = argv[2]
    if not maxlen:
        delete_empty_result(client, target)
        return 0
    numbers = [int.from_bytes(s, "big") << ((maxlen - len(s)) * 8) if s else 0 for s in sources]
    if op == b"AND":
        result = numbers[0]
        for n in numbers[1:]:
            result &= n
    elif op == b"OR":
        result = 0
        for n in numbers:
            result |= n
    elif op == b"XOR":
        result = 0
        for n in numbers:
            result ^= n
    else:
        result = numbers[0] ^ ((1 << (maxlen * 8)) - 1)
    if client.server.notify_flags:
        store_notifying(client, target, result.to_bytes(maxlen, "big"), b"set")
    else:
        db.set(target, result.to_bytes(maxlen, "big"))
    return maxlen


# -- BITFIELD ---------------------------------------------------------------------------------------------

_WRAP, _SAT, _FAIL = 0, 1, 2
_OVERFLOW_TYPES = {b"WRAP": _WRAP, b"SAT": _SAT, b"FAIL": _FAIL}
_GET, _SET, _INCRBY = 0, 1, 2


def _bitfield_type(raw: bytes) -> tuple[bool, int]:
    """``getBitfieldTypeFromArgument``: (signed, bits) from ``i1``..``i64`` / ``u1``..``u63``."""
    kind = raw[:1]
    if kind not in (b"i", b"u"):
        raise CommandError(errors.BITFIELD_TYPE)
    signed = kind == b"i"
    bits = parse_ll(raw[1:].split(b"\x00", 1)[0])
    if bits is None or bits < 1 or bits > (64 if signed else 63):
        raise CommandError(errors.BITFIELD_TYPE)
    return signed, bits


def _read_bits(buf, offset: int, bits: int) -> int:
    """Unsigned ``bits``-wide field at bit ``offset`` of ``buf`` (zero beyond its end)."""
    first = offset >> 3
    last = (offset + bits - 1) >> 3
    width = last - first + 1
    chunk = int.from_bytes(bytes(buf[first:last + 1]).ljust(width, b"\x00"), "big")
    return (chunk >> (width * 8 - (offset & 7) - bits)) & ((1 << bits) - 1)


def _write_bits(buf: bytearray, offset: int, bits: int, value: int) -> None:
    first = offset >> 3
    last = (offset + bits - 1) >> 3
    width = last - first + 1
    shift = width * 8 - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    chunk = int.from_bytes(buf[first:last + 1], "big")
    chunk = (chunk & ~mask) | ((value << shift) & mask)
    buf[first:last + 1] = chunk.to_bytes(width, "big")


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def _overflow_unsigned(value: int, incr: int, bits: int, owtype: int) -> tuple[int, int | None]:
    """``checkUnsignedBitfieldOverflow`` (value is a uint64, incr an int64): (overflow, limit)."""
    maximum = (1 << bits) - 1
    maxincr = _wrap64(maximum - value)
    minincr = _wrap64(-value)
    if value > maximum or (incr > 0 and incr > maxincr):
        direction, limit = 1, maximum
    elif incr < 0 and incr < minincr:
        direction, limit = -1, 0
    else:
        return 0, None
    if owtype == _WRAP:
        return 1, (value + incr) & maximum
    return direction, limit if owtype == _SAT else None


def _overflow_signed(value: int, incr: int, bits: int, owtype: int) -> tuple[int, int | None]:
    """``checkSignedBitfieldOverflow`` with C's int64 arithmetic (and its quirks)."""
    maximum = (1 << (bits - 1)) - 1
    minimum = -maximum - 1
    maxincr = _wrap64(maximum - value)
    minincr = _wrap64(minimum - value)
    if value > maximum or (bits != 64 and incr > maxincr) or (value >= 0 and incr > 0 and incr > maxincr):
        direction, limit = 1, maximum
    elif value < minimum or (bits != 64 and incr < minincr) or (value < 0 and incr < 0 and incr < minincr):
        direction, limit = -1, minimum
    else:
        return 0, None
    if owtype == _WRAP:
        return 1, _signed((value + incr) & ((1 << bits) - 1), bits)
    return direction, limit if owtype == _SAT else None


def _bitfield(client, argv: list[bytes], readonly_command: bool) -> list:
    ops = []
    owtype = _WRAP
    readonly = True
    highest = 0
    argc = len(argv)
    j = 2
    while j < argc:
        remaining = argc - j - 1
        sub = argv[j].upper()
        if sub == b"GET" and remaining >= 2:
            opcode = _GET
        elif sub == b"SET" and remaining >= 3:
            opcode = _SET
        elif sub == b"INCRBY" and remaining >= 3:
            opcode = _INCRBY
        elif sub == b"OVERFLOW" and remaining >= 1:
            owtype = _OVERFLOW_TYPES.get(argv[j + 1].upper(), -1)
            if owtype < 0:
                raise CommandError(errors.BITFIELD_OVERFLOW_TYPE)
            j += 2
            continue
        else:
            raise CommandError(errors.SYNTAX)
        signed, bits = _bitfield_type(argv[j + 1])
        offset = bit_offset(client, argv[j + 2], True, bits)
        number = 0
        if opcode != _GET:
            readonly = False
            highest = max(highest, offset + bits - 1)
            number = int_arg(argv[j + 3])
        ops.append((opcode, signed, bits, offset, number, owtype))
        j += 3 if opcode == _GET else 4

    db = client.db
    key = argv[1]
    if not readonly and readonly_command:
        raise CommandError(errors.BITFIELD_RO_GET_ONLY)
    value = get_string(db, key)
    if readonly:
        return [
            (_signed(_read_bits(value, offset, bits), bits) if signed else _read_bits(value, offset, bits))
            if value else 0
            for _, signed, bits, offset, _, _ in ops
        ]
    buf = bytearray(value or b"")
    needed = (highest >> 3) + 1
    grown = value is None or len(buf) < needed
    if len(buf) < needed:
        buf.extend(bytes(needed - len(buf)))
    replies: list = []
    changes = 0  # writes that changed bits or went to a created/grown string (Redis's rule)
    for opcode, signed, bits, offset, number, ow in ops:
        raw = _read_bits(buf, offset, bits)
        old = _signed(raw, bits) if signed else raw
        if opcode == _GET:
            replies.append(old)
            continue
        check = _overflow_signed if signed else _overflow_unsigned
        if opcode == _INCRBY:
            overflow, limit = check(old, number, bits, ow)
            new = limit if overflow else old + number
            reply = new
        else:
            # SET checks the new value alone (an unsigned field sees it as a C uint64).
            new = number if signed else number & _U64
            overflow, limit = check(new, 0, bits, ow)
            if overflow:
                new = limit
            reply = old
        if overflow and ow == _FAIL:
            replies.append(None)
        else:
            replies.append(reply)
            new &= (1 << bits) - 1
            _write_bits(buf, offset, bits, new)
            if grown or new != raw:
                changes += 1
    if value is None:
        db.set(key, bytes(buf))
    else:
        db.set(key, bytes(buf), keep_ttl=True)
    if client.server.notify_flags:
        if changes:
            key_event(client, NOTIFY_STRING, b"setbit", key, value is None)
        elif value is None:
            key_event(client, NOTIFY_NEW, b"new", key)  # created, nothing written
    return replies


_BITFIELD_COMPLEXITY = "O(1) for each subcommand specified"


@command("bitfield", -2, "write denyoom", group="bitmap",
         keys=[KeySpec("RW ACCESS UPDATE VARIABLE_FLAGS", index=1,
                       notes="This command allows both access and modification of the key")],
         summary="Perform arbitrary bitfield integer operations on strings", since="3.2.0",
         complexity=_BITFIELD_COMPLEXITY)
def bitfield(client, argv):
    return _bitfield(client, argv, False)


@command("bitfield_ro", -2, "readonly fast", group="bitmap", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
         since="6.0.0", complexity=_BITFIELD_COMPLEXITY)
def bitfield_ro(client, argv):
    return _bitfield(client, argv, True)
