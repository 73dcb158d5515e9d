"""HyperLogLog: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST, as Redis 7.0 (hyperloglog.c).

A HyperLogLog is a plain string value (``bytes`` in ``db.data``) in Redis's own layout, so
GET returns the same bytes as a real server and a value copied from one (SET/RESTORE)
works here:

* a 16-byte header: ``"HYLL"``, the encoding (0 dense, 1 sparse), 3 unused bytes, and the
  cached cardinality as 8 little-endian bytes whose top bit set means "not valid";
* dense: 16384 registers of 6 bits (P = 14), packed least significant bit first;
* sparse: opcodes ZERO ``00xxxxxx`` (1..64 zero registers), XZERO ``01xxxxxx yyyyyyyy``
  (1..16384 zero registers) and VAL ``1vvvvvxx`` (1..4 registers of value 1..32).

Updates follow Redis's algorithms step by step (``hllSparseSet``'s split and its bounded
merge of neighbouring VAL opcodes, promotion to dense when the string would outgrow
``hll-sparse-max-bytes`` or a value exceeds 32, the cache invalidated by setting only the
top bit), because the bytes have to match, not just the counts. The estimator is Redis
7.0's ``hllCount`` (Ertl's, with tau and sigma), computed with the same double operations.

Elements are hashed with MurmurHash64A (seed 0xadc83b19) in pure Python; the dense
register array is unpacked in bulk with ``bytes.translate`` and big-integer additions
rather than register by register.
"""

from __future__ import annotations

import math
import struct

from node import errors
from node.commands.spec import KeySpec, command
from node.errors import CommandError
from node.notify import NOTIFY_STRING, key_event
from node.replies import OK, Status

HLL_P = 14
HLL_Q = 64 - HLL_P
HLL_REGISTERS = 1 << HLL_P
HLL_P_MASK = HLL_REGISTERS - 1
HLL_BITS = 6
HLL_HDR_SIZE = 16
HLL_DENSE_SIZE = HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS + 7) // 8
HLL_DENSE = 0
HLL_SPARSE = 1
HLL_SPARSE_VAL_MAX_VALUE = 32
HLL_SPARSE_VAL_MAX_LEN = 4
HLL_SPARSE_ZERO_MAX_LEN = 64
HLL_SPARSE_XZERO_MAX_LEN = 16384
HLL_ALPHA_INF = 0.721347520444481703680

WRONGTYPE_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
INVALID_HLL = "INVALIDOBJ Corrupted HLL object detected"

# -- MurmurHash64A ------------------------------------------------------------------------------

_M = 0xC6A4A7935BD1E995
_MASK = 0xFFFFFFFFFFFFFFFF
_SEED = 0xADC83B19
_BLOCKS = [struct.Struct("<%dQ" % n) for n in range(64)]


def murmurhash64a(data: bytes, seed: int = _SEED) -> int:
    """Redis's ``MurmurHash64A`` (little-endian reads), as an unsigned 64-bit int."""
    n = len(data)
    m = _M
    mask = _MASK
    h = (seed ^ (n * m)) & mask
    nblocks = n >> 3
    if nblocks:
        unpack = _BLOCKS[nblocks] if nblocks < 64 else struct.Struct("<%dQ" % nblocks)
        for k in unpack.unpack_from(data):
            k = (k * m) & mask
            k ^= k >> 47
            h ^= (k * m) & mask
            h = (h * m) & mask
    rem = n & 7
    if rem:
        h ^= int.from_bytes(data[n - rem:], "little")
        h = (h * m) & mask
    h ^= h >> 47
    h = (h * m) & mask
    return h ^ (h >> 47)


def pat_len(element: bytes) -> tuple[int, int]:
    """``hllPatLen``: (register index, run length of the "000..1" pattern + 1)."""
    h = murmurhash64a(element)
    rest = (h >> HLL_P) | (1 << HLL_Q)
    return h & HLL_P_MASK, (rest & -rest).bit_length()


# -- dense registers ------------------------------------------------------------------------------


def dense_get(buf, index: int) -> int:
    pos = index * 6
    b = HLL_HDR_SIZE + (pos >> 3)
    fb = pos & 7
    if fb <= 2:
        return (buf[b] >> fb) & 63
    return ((buf[b] >> fb) | (buf[b + 1] << (8 - fb))) & 63


def dense_set(buf: bytearray, index: int, value: int) -> None:
    pos = index * 6
    b = HLL_HDR_SIZE + (pos >> 3)
    fb = pos & 7
    buf[b] = (buf[b] & ~(63 << fb) & 0xFF) | ((value << fb) & 0xFF)
    if fb > 2:
        fb8 = 8 - fb
        buf[b + 1] = (buf[b + 1] & ~(63 >> fb8) & 0xFF) | (value >> fb8)


def _table(f) -> bytes:
    return bytes(f(x) & 0xFF for x in range(256))


_LOW6 = _table(lambda x: x & 63)
_SHR6 = _table(lambda x: x >> 6)
_LOW4_SHL2 = _table(lambda x: (x & 15) << 2)
_SHR4 = _table(lambda x: x >> 4)
_LOW2_SHL4 = _table(lambda x: (x & 3) << 4)
_SHR2 = _table(lambda x: x >> 2)
_LOW2_SHL6 = _table(lambda x: (x & 3) << 6)
_SHR2_LOW4 = _table(lambda x: (x >> 2) & 15)
_LOW4_SHL4 = _table(lambda x: (x & 15) << 4)
_SHR4_LOW2 = _table(lambda x: (x >> 4) & 3)
_SHL2 = _table(lambda x: (x << 2) & 0xFF)


def _or(a: bytes, b: bytes) -> bytes:
    """Bytewise OR of two equal-length strings (their bits never overlap here)."""
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(len(a), "little")


def dense_registers(buf) -> bytes:
    """The 16384 registers of a dense HLL, one byte each."""
    area = bytes(buf[HLL_HDR_SIZE:HLL_DENSE_SIZE])
    b0, b1, b2 = area[0::3], area[1::3], area[2::3]
    out = bytearray(HLL_REGISTERS)
    out[0::4] = b0.translate(_LOW6)
    out[1::4] = _or(b0.translate(_SHR6), b1.translate(_LOW4_SHL2))
    out[2::4] = _or(b1.translate(_SHR4), b2.translate(_LOW2_SHL4))
    out[3::4] = b2.translate(_SHR2)
    return bytes(out)


def pack_registers(regs) -> bytes:
    """The dense register area (12288 bytes) for 16384 register values (each < 64)."""
    regs = bytes(regs)
    r0, r1, r2, r3 = regs[0::4], regs[1::4], regs[2::4], regs[3::4]
    out = bytearray(HLL_DENSE_SIZE - HLL_HDR_SIZE)
    out[0::3] = _or(r0, r1.translate(_LOW2_SHL6))
    out[1::3] = _or(r1.translate(_SHR2_LOW4), r2.translate(_LOW4_SHL4))
    out[2::3] = _or(r2.translate(_SHR4_LOW2), r3.translate(_SHL2))
    return bytes(out)


# -- sparse representation -----------------------------------------------------------------------


def empty_hll() -> bytearray:
    """``createHLLObject``: a sparse HLL of XZERO opcodes covering every register."""
    buf = bytearray(b"HYLL\x01\x00\x00\x00" + bytes(8))
    left = HLL_REGISTERS
    while left:
        n = min(left, HLL_SPARSE_XZERO_MAX_LEN)
        buf += bytes((((n - 1) >> 8) | 0x40, (n - 1) & 0xFF))
        left -= n
    return buf


def _byte_at(buf, i: int) -> int:
    # Reading one past the end finds the sds terminator, a zero byte.
    return buf[i] if i < len(buf) else 0


def sparse_to_dense(buf: bytearray) -> bool:
    """``hllSparseToDense`` in place; False (and ``buf`` unchanged) if it is corrupted."""
    if buf[4] == HLL_DENSE:
        return True
    dense = bytearray(HLL_DENSE_SIZE)
    dense[:HLL_HDR_SIZE] = buf[:HLL_HDR_SIZE]
    dense[4] = HLL_DENSE
    idx = 0
    for _kind, runlen, value in sparse_ops(buf):
        if value:
            if runlen + idx > HLL_REGISTERS:
                return False  # an overflow is an error even if exactly 16384 came before
            for i in range(idx, idx + runlen):
                dense_set(dense, i, value)
        idx += runlen
    if idx != HLL_REGISTERS:
        return False
    buf[:] = dense
    return True


_CHUNK = 16
# Registers covered by each opcode byte; 0 for an XZERO's first byte (two-byte opcode).
_SPAN = bytes((b & 3) + 1 if b & 0x80 else (b & 63) + 1 if b < 0x40 else 0 for b in range(256))


def sparse_set(buf: bytearray, index: int, count: int, max_bytes: int) -> int:
    """``hllSparseSet``: 1 if the register grew, 0 if not, -1 if the HLL is corrupted.

    May promote ``buf`` (in place) to the dense encoding.
    """
    if count <= HLL_SPARSE_VAL_MAX_VALUE:
        end = len(buf)
        p = HLL_HDR_SIZE
        first = 0
        prev = -1
        span = 0
        found = False
        span_of = _SPAN
        while p < end:
            # Skip a chunk of one-byte opcodes at once when the register lies beyond it
            # (an XZERO, whose span is 0 in the table, makes us walk that chunk).
            q = p + _CHUNK
            if q <= end:
                spans = buf[p:q].translate(span_of)
                if 0 not in spans:
                    total = sum(spans)
                    if first + total <= index:
                        first += total
                        prev = q - 1
                        p = q
                        continue
            else:
                q = end
            while p < q:
                op = buf[p]
                if not op & 0xC0:
                    span = (op & 63) + 1
                    oplen = 1
                elif op & 0x80:
                    span = (op & 3) + 1
                    oplen = 1
                else:
                    span = (((op & 63) << 8) | _byte_at(buf, p + 1)) + 1
                    oplen = 2
                if index <= first + span - 1:
                    found = True
                    break
                prev = p
                p += oplen
                first += span
            if found:
                break
        if not found:
            return -1
        op = buf[p]
        is_val = op & 0x80
        is_xzero = not is_val and op & 0x40
        is_zero = not is_val and not is_xzero
        if is_val:
            runlen = (op & 3) + 1
            if ((op >> 2) & 31) + 1 >= count:
                return 0
        elif is_xzero:
            runlen = span
        else:
            runlen = (op & 63) + 1
        if runlen == 1 and (is_val or is_zero):
            buf[p] = 0x80 | ((count - 1) << 2)
        else:
            seq = bytearray()
            last = first + span - 1
            if is_val:
                curval = ((op >> 2) & 31) + 1
                if index != first:
                    seq.append(0x80 | ((curval - 1) << 2) | (index - first - 1))
                seq.append(0x80 | ((count - 1) << 2))
                if index != last:
                    seq.append(0x80 | ((curval - 1) << 2) | (last - index - 1))
            else:
                if index != first:
                    _zeros(seq, index - first)
                seq.append(0x80 | ((count - 1) << 2))
                if index != last:
                    _zeros(seq, last - index)
            oldlen = 2 if is_xzero else 1
            delta = len(seq) - oldlen
            if delta > 0 and end + delta > max_bytes:
                return _promote(buf, index, count)
            if p + oldlen > end:
                # An XZERO cut short by the end of the string: Redis still counts it as
                # two bytes, so the new sequence loses its last byte.
                buf[p:] = seq
                del buf[end + delta:]
            else:
                buf[p:p + oldlen] = seq
            end += delta
        # Merge adjacent VAL opcodes with equal values, scanning up to 5 opcodes from prev.
        p = prev if prev >= 0 else HLL_HDR_SIZE
        scan = 5
        while p < end and scan:
            scan -= 1
            op = buf[p]
            if not op & 0x80:
                p += 1 if not op & 0x40 else 2
                continue
            if p + 1 < end:
                nxt = buf[p + 1]
                if nxt & 0x80 and (op & 0x7C) == (nxt & 0x7C):
                    length = (op & 3) + (nxt & 3) + 2
                    if length <= HLL_SPARSE_VAL_MAX_LEN:
                        buf[p + 1] = (op & 0xFC) | (length - 1)
                        del buf[p]
                        end -= 1
                        continue
            p += 1
        buf[15] |= 0x80
        return 1
    return _promote(buf, index, count)


def _zeros(seq: bytearray, length: int) -> None:
    if length > HLL_SPARSE_ZERO_MAX_LEN:
        seq.append(((length - 1) >> 8) | 0x40)
        seq.append((length - 1) & 0xFF)
    else:
        seq.append(length - 1)


def _promote(buf: bytearray, index: int, count: int) -> int:
    if not sparse_to_dense(buf):
        return -1
    # The register must grow: a promotion only happens when an update is needed.
    if count > dense_get(buf, index):
        dense_set(buf, index, count)
    return 1


def sparse_ops(buf) -> list[tuple[bytes, int, int]]:
    """The opcodes of a sparse body, decoded once for every reader: (``b"z"``, n, 0) for
    ZERO, (``b"Z"``, n, 0) for XZERO, (``b"v"``, n, value) for VAL, where n is the run of
    registers it covers."""
    ops = []
    append = ops.append
    p = HLL_HDR_SIZE
    end = len(buf)
    while p < end:
        op = buf[p]
        if not op & 0xC0:
            append((b"z", (op & 63) + 1, 0))
            p += 1
        elif not op & 0x80:
            append((b"Z", (((op & 63) << 8) | _byte_at(buf, p + 1)) + 1, 0))
            p += 2
        else:
            append((b"v", (op & 3) + 1, ((op >> 2) & 31) + 1))
            p += 1
    return ops


# -- estimator -------------------------------------------------------------------------------------


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        z_prime = z
        z += x * y
        y += y
        if z_prime == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        z_prime = z
        y *= 0.5
        z -= math.pow(1 - x, 2) * y
        if z_prime == z:
            return z / 3


_LLROUND_OVERFLOW = 1 << 63


def _signed(card: int) -> int:
    """Redis replies with the uint64 estimate as a long long."""
    return card - (1 << 64) if card >= 1 << 63 else card


def estimate(histo: list[int]) -> int:
    """``hllCount``'s estimate from the register histogram (64 buckets)."""
    m = float(HLL_REGISTERS)
    z = m * _tau((m - histo[HLL_Q + 1]) / m)
    for j in range(HLL_Q, 0, -1):
        z += histo[j]
        z *= 0.5
    z += m * _sigma(histo[0] / m)
    if z == 0.0:
        return _LLROUND_OVERFLOW
    e = HLL_ALPHA_INF * m * m / z
    if not e < 9223372036854775807.5:  # llroundl out of range (or NaN): LLONG_MIN's bits
        return _LLROUND_OVERFLOW
    whole = math.floor(e)
    return int(whole + 1 if e - whole >= 0.5 else whole)


def register_histogram(regs) -> list[int]:
    """Counts of each register value (one byte per register); stops once all are counted."""
    histo = [0] * 64
    left = len(regs)
    for v in range(64):
        if not left:
            break
        n = regs.count(v)
        histo[v] = n
        left -= n
    return histo


_HIGH = int.from_bytes(b"\x80" * HLL_REGISTERS, "little")
_ALL = (1 << (8 * HLL_REGISTERS)) - 1


def bytewise_max(a, b) -> bytes:
    """max(a[i], b[i]) for two 16384-byte strings of values below 128, with big-int SWAR:
    (a | 0x80) - b never borrows across bytes and keeps 0x80 exactly where a >= b."""
    x = int.from_bytes(a, "little")
    y = int.from_bytes(b, "little")
    ge = (((x | _HIGH) - y) & _HIGH) >> 7
    mask = ge * 0xFF
    return ((x & mask) | (y & (_ALL ^ mask))).to_bytes(HLL_REGISTERS, "little")


def histogram(buf) -> tuple[list[int], bool]:
    """(register histogram, valid) of a dense or sparse HLL."""
    if buf[4] == HLL_DENSE:
        return register_histogram(dense_registers(buf)), True
    histo = [0] * 64
    idx = 0
    for _kind, runlen, value in sparse_ops(buf):
        histo[value] += runlen
        idx += runlen
    return histo, idx == HLL_REGISTERS


def count(buf) -> tuple[int, bool]:
    histo, valid = histogram(buf)
    return estimate(histo), valid


def merge_into(regs: bytearray, buf) -> bool:
    """``hllMerge``: regs[i] = max(regs[i], HLL's register i); False if corrupted."""
    if buf[4] == HLL_DENSE:
        other = dense_registers(buf)
        regs[:] = bytewise_max(regs, other) if any(regs) else other
        return True
    i = 0
    for _kind, runlen, value in sparse_ops(buf):
        if value:
            if runlen + i > HLL_REGISTERS:
                return False
            for j in range(i, i + runlen):
                if value > regs[j]:
                    regs[j] = value
        i += runlen
    return i == HLL_REGISTERS


# -- commands --------------------------------------------------------------------------------------


def is_hll(value) -> bool:
    """``isHLLObjectOrReply``'s checks on a string value."""
    return (
        len(value) >= HLL_HDR_SIZE
        and value[:4] == b"HYLL"
        and value[4] <= 1
        and (value[4] != HLL_DENSE or len(value) == HLL_DENSE_SIZE)
    )


def _hll_or_none(db, key: bytes):
    """The HLL string at ``key`` (None if missing); WRONGTYPE errors otherwise."""
    value = db.get(key)
    if value is not None:
        _check_hll(value)
    return value


def _check_hll(value) -> None:
    if type(value) is not bytes and type(value) is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    if not is_hll(value):
        raise CommandError(WRONGTYPE_HLL)


def _max_bytes(client) -> int:
    return client.server.config.hll_sparse_max_bytes


@command("pfadd", -2, "write denyoom fast", group="hyperloglog",
         keys=[KeySpec("RW INSERT", index=1)],
         summary="Adds the specified elements to the specified HyperLogLog.", since="2.8.9",
         complexity="O(1) to add every element.")
def pfadd(client, argv):
    db = client.db
    key = argv[1]
    value = _hll_or_none(db, key)
    updated = 0
    if value is None:
        buf = empty_hll()
        updated = 1
    elif value[4] == HLL_DENSE:
        # The common case: most elements leave a dense HLL unchanged, so copy lazily.
        buf = None
        for element in argv[2:]:
            index, cnt = pat_len(element)
            if cnt > dense_get(buf if buf is not None else value, index):
                if buf is None:
                    buf = bytearray(value)
                dense_set(buf, index, cnt)
                updated += 1
        if not updated:
            return 0
        buf[15] |= 0x80
        db.set(key, bytes(buf), keep_ttl=True)
        db.clock.dirty += updated - 1
        if client.server.notify_flags:
            key_event(client, NOTIFY_STRING, b"pfadd", key)
        return 1
    else:
        buf = bytearray(value)
    max_bytes = _max_bytes(client)
    for element in argv[2:]:
        index, cnt = pat_len(element)
        if buf[4] == HLL_DENSE:
            if cnt > dense_get(buf, index):
                dense_set(buf, index, cnt)
                updated += 1
            continue
        result = sparse_set(buf, index, cnt, max_bytes)
        if result == 1:
            updated += 1
        elif result == -1:
            # Redis has already changed the value in place for the elements before.
            if buf != value:
                db.data[key] = bytes(buf)
            raise CommandError(INVALID_HLL)
    if not updated:
        return 0
    buf[15] |= 0x80
    db.set(key, bytes(buf), keep_ttl=True)
    db.clock.dirty += updated - 1
    if client.server.notify_flags:
        key_event(client, NOTIFY_STRING, b"pfadd", key, value is None)
    return 1


@command("pfcount", -2, "readonly", group="hyperloglog",
         keys=[KeySpec("RW ACCESS", index=1, lastkey=-1,
                       notes="RW because it may change the internal representation of the key, "
                             "and propagate to replicas")],
         summary="Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
         since="2.8.9",
         complexity="O(1) with a very small average constant time when called with a single key. O(N) "
                    "with N being the number of keys, and much bigger constant times, when called with "
                    "multiple keys.")
def pfcount(client, argv):
    db = client.db
    if len(argv) > 2:
        regs = bytearray(HLL_REGISTERS)
        for key in argv[1:]:
            value = _hll_or_none(db, key)
            if value is None:
                continue
            if not merge_into(regs, value):
                raise CommandError(INVALID_HLL)
        return _signed(estimate(register_histogram(regs)))
    key = argv[1]
    value = _hll_or_none(db, key)
    if value is None:
        return 0
    if not value[15] & 0x80:
        return int.from_bytes(value[8:16], "little")
    card, valid = count(value)
    if not valid:
        raise CommandError(INVALID_HLL)
    db.set(key, value[:8] + card.to_bytes(8, "little") + value[16:], keep_ttl=True)
    return _signed(card)


@command("pfmerge", -2, "write denyoom", group="hyperloglog",
         keys=[KeySpec("RW ACCESS INSERT", index=1), KeySpec("RO ACCESS", index=2, lastkey=-1)],
         summary="Merge N different HyperLogLogs into a single one.", since="2.8.9",
         complexity="O(N) to merge N HyperLogLogs, but with high constant times.")
def pfmerge(client, argv):
    db = client.db
    regs = bytearray(HLL_REGISTERS)
    use_dense = False
    for key in argv[1:]:
        value = _hll_or_none(db, key)
        if value is None:
            continue
        if value[4] == HLL_DENSE:
            use_dense = True
        if not merge_into(regs, value):
            raise CommandError(INVALID_HLL)
    dest = argv[1]
    value = db.peek(dest)
    buf = empty_hll() if value is None else bytearray(value)
    if use_dense and not sparse_to_dense(buf):
        raise CommandError(INVALID_HLL)
    if buf[4] == HLL_DENSE:
        # Registers only grow and regs already holds the destination's, so the result is regs.
        buf[HLL_HDR_SIZE:] = pack_registers(regs)
    else:
        max_bytes = _max_bytes(client)
        for j in range(HLL_REGISTERS):
            v = regs[j]
            if not v:
                continue
            if buf[4] == HLL_DENSE:
                buf[HLL_HDR_SIZE:] = pack_registers(regs)
                break
            sparse_set(buf, j, v, max_bytes)
    buf[15] |= 0x80
    db.set(dest, bytes(buf), keep_ttl=True)
    if client.server.notify_flags:
        key_event(client, NOTIFY_STRING, b"pfadd", dest, value is None)  # PFMERGE too
    return OK


@command("pfdebug", 3, "write denyoom admin", group="hyperloglog",
         keys=[KeySpec("RW ACCESS", index=2)],
         summary="Internal commands for debugging HyperLogLog values", since="2.8.9", complexity="N/A")
def pfdebug(client, argv):
    db = client.db
    key = argv[2]
    value = db.get(key)
    if value is None:
        raise CommandError("ERR The specified key does not exist")
    _check_hll(value)
    sub = argv[1].lower()
    if sub in (b"getreg", b"todense"):
        converted = False
        if value[4] == HLL_SPARSE:
            buf = bytearray(value)
            if not sparse_to_dense(buf):
                raise CommandError(INVALID_HLL)
            value = bytes(buf)
            db.set(key, value, keep_ttl=True)
            converted = True
        if sub == b"todense":
            return 1 if converted else 0
        return list(dense_registers(value))
    if sub == b"decode":
        if value[4] != HLL_SPARSE:
            raise CommandError("ERR HLL encoding is not sparse")
        parts = [b"%b:%d" % (kind, runlen) if kind != b"v" else b"v:%d,%d" % (register, runlen)
                 for kind, runlen, register in sparse_ops(value)]
        return b" ".join(parts)
    if sub == b"encoding":
        return Status(b"dense" if value[4] == HLL_DENSE else b"sparse")
    raise CommandError("ERR Unknown PFDEBUG subcommand '%s'" % argv[1].decode("utf-8", "replace"))


@command("pfselftest", 1, "admin", group="hyperloglog",
         summary="An internal command for testing HyperLogLog values", since="2.8.9", complexity="N/A")
def pfselftest(client, argv):
    # Register packing round trip, then sparse and dense agree on a growing set.
    regs = bytes((i * 7) % 64 for i in range(HLL_REGISTERS))
    dense = bytearray(b"HYLL" + bytes(12)) + pack_registers(regs)
    for i in (0, 1, 2, 3, 4, 5, 16383):
        if dense_get(dense, i) != regs[i]:
            raise CommandError("ERR TESTFAILED Register error at %d" % i)
    if dense_registers(dense) != regs:
        raise CommandError("ERR TESTFAILED Register error")
    sparse = empty_hll()
    full = bytearray(HLL_DENSE_SIZE)
    full[:4] = b"HYLL"
    for n in range(1, 2001):
        index, cnt = pat_len(b"%d" % n)
        if sparse[4] == HLL_SPARSE:
            sparse_set(sparse, index, cnt, 3000)
        elif cnt > dense_get(sparse, index):
            dense_set(sparse, index, cnt)
        if cnt > dense_get(full, index):
            dense_set(full, index, cnt)
        if n % 500 == 0 and count(sparse)[0] != count(full)[0]:
            raise CommandError("ERR TESTFAILED cardinality mismatch at %d" % n)
    return OK
