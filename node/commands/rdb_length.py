"""How many bytes Redis 7.0's RDB writer would use for a value: DEBUG OBJECT's
``serializedlength`` (rdbSavedObjectLen), and the quicklist facts DEBUG OBJECT prints for a list.

Redis saves each value in its in-memory encoding, so the length is computed from the bytes
Redis would hold:

* a string, or one element of a hashtable-encoded hash/set or skiplist zset, goes through
  rdbSaveRawString: up to 11 bytes that are a canonical integer in 32 bits become 2, 3 or 5
  bytes; with ``rdbcompression yes`` more than 20 bytes are LZF-compressed when that saves at
  least 4 bytes; otherwise a length prefix and the bytes;
* a listpack (small hashes and zsets) or an intset (small integer sets) is one such string:
  the blob is built here byte for byte (listpack entry encodings, back-lengths, the
  header), so its compressibility is Redis's;
* a list is a quicklist: a node count, then per node its container type and its listpack
  blob (or, past ``list-compress-depth``, the node's LZF blob). Nodes are laid out as
  RPUSH fills them (``list-max-listpack-size``, 8 bytes of estimated overhead per entry,
  plain nodes for elements over the packed threshold);
* a skiplist zset: per member the string and an 8-byte binary double;
* a stream: per listpack node its 16-byte master id and its listpack (rebuilt from the
  node's entries as streamAppendItem lays them out), then the counters and ids, then the
  consumer groups with their PELs and consumers.

Known limits (the node does not keep Redis's physical layout): a list built by LPUSH or
LINSERT, or shrunk by pops, may have other node boundaries in Redis than RPUSH would give
(only lists over one node, about 8 KB, are affected); a stream node holding deleted entries
(XDEL, exact XTRIM) is counted uncompressed, its deleted entries' bytes being gone; an
intset keeps the widest integer width it ever held (SADD and SMOVE record it; a set
that SDIFFSTORE built by adding then removing members may be wider in Redis); the
LZF work of one call is capped at :data:`LZF_BUDGET` bytes (the rest is counted
uncompressed: this compressor is pure Python).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from node.commands.keys import object_encoding, parse_ll, type_name

LZF_BUDGET = 1 << 20  # bytes of LZF input per call; more is counted as stored uncompressed


# -- rdbSaveLen, rdbSaveRawString, rdbSaveLzfBlob ------------------------------------------------


def rdb_len_size(n: int) -> int:
    """Bytes of rdbSaveLen's encoding of ``n``."""
    if n < 1 << 6:
        return 1
    if n < 1 << 14:
        return 2
    if n <= 0xFFFFFFFF:
        return 5
    return 9


def lzf_blob_size(compressed: int, original: int) -> int:
    """rdbSaveLzfBlob: the LZF marker byte, both lengths, the compressed bytes."""
    return 1 + rdb_len_size(compressed) + rdb_len_size(original) + compressed


class _Saver:
    """One rdbSavedObjectLen computation: the compression setting and the LZF budget left."""

    def __init__(self, compression: bool):
        self.compression = compression
        self.lzf_left = LZF_BUDGET

    def lzf(self, data: bytes, out_len: int) -> int:
        """lzf_compress's output size for ``data`` within ``out_len`` bytes, 0 if it does not fit
        (or the budget is spent)."""
        if len(data) > self.lzf_left:
            return 0
        self.lzf_left -= len(data)
        return lzf_compressed_length(data, out_len)

    def raw_string(self, data: bytes) -> int:
        """rdbSaveRawString's output size."""
        n = len(data)
        if n <= 11:
            number = parse_ll(bytes(data))
            if number is not None:
                if -(1 << 7) <= number < 1 << 7:
                    return 2
                if -(1 << 15) <= number < 1 << 15:
                    return 3
                if -(1 << 31) <= number < 1 << 31:
                    return 5
        if self.compression and n > 20:
            compressed = self.lzf(bytes(data), n - 4)
            if compressed:
                return lzf_blob_size(compressed, n)
        return rdb_len_size(n) + n


# -- listpack and intset blobs ------------------------------------------------------------------


def _lp_int(v: int) -> bytes:
    if 0 <= v <= 127:
        return bytes((v,))
    if -4096 <= v <= 4095:
        v &= 0x1FFF
        return bytes(((v >> 8) | 0xC0, v & 0xFF))
    if -32768 <= v <= 32767:
        return b"\xf1" + (v & 0xFFFF).to_bytes(2, "little")
    if -8388608 <= v <= 8388607:
        return b"\xf2" + (v & 0xFFFFFF).to_bytes(3, "little")
    if -2147483648 <= v <= 2147483647:
        return b"\xf3" + (v & 0xFFFFFFFF).to_bytes(4, "little")
    return b"\xf4" + (v & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")


def _lp_str(s: bytes) -> bytes:
    n = len(s)
    if n < 64:
        return bytes((0x80 | n,)) + s
    if n < 4096:
        return bytes((0xE0 | (n >> 8), n & 0xFF)) + s
    return b"\xf0" + n.to_bytes(4, "little") + s


def _backlen(n: int) -> bytes:
    """lpEncodeBacklen: the entry length, 7 bits a byte, most significant first, every byte
    but the first flagged with 0x80."""
    if n <= 127:
        return bytes((n,))
    out = [n & 127 | 128]
    n >>= 7
    while n > 127:
        out.append(n & 127 | 128)
        n >>= 7
    out.append(n)
    return bytes(reversed(out))


def lp_entry(element: bytes) -> bytes:
    """One listpack entry: encoding (+ data), then its back-length."""
    number = parse_ll(element)
    encoded = _lp_int(number) if number is not None else _lp_str(bytes(element))
    return encoded + _backlen(len(encoded))


def listpack(entries: list[bytes]) -> bytes:
    """The listpack Redis builds by appending ``entries`` in order."""
    body = b"".join(entries)
    total = 6 + len(body) + 1
    count = min(len(entries), 65535)
    return struct.pack("<IH", total, count) + body + b"\xff"


def d2string(score: float) -> bytes:
    """d2string (7.0): how a zset listpack stores a score."""
    if math.isnan(score):
        return b"nan"
    if math.isinf(score):
        return b"inf" if score > 0 else b"-inf"
    if score == 0:
        return b"-0" if struct.pack(">d", score)[0] & 0x80 else b"0"
    if -4503599627370495 < score < 4503599627370496 and score == int(score):
        return b"%d" % int(score)
    return b"%.17g" % score


def intset(members, min_width: int = 2) -> bytes:
    """The intset blob: encoding width (at least ``min_width``: an intset never narrows),
    length, the integers in order, little-endian."""
    values = sorted(int(m) for m in members)
    width = 2
    if values and (values[0] < -(1 << 15) or values[-1] >= 1 << 15):
        width = 4 if -(1 << 31) <= values[0] and values[-1] < 1 << 31 else 8
    width = max(width, min_width)
    fmt = {2: "h", 4: "i", 8: "q"}[width]
    return struct.pack(f"<II{len(values)}{fmt}", width, len(values), *values)


# -- quicklist ----------------------------------------------------------------------------------

PLAIN, PACKED = 1, 2  # QUICKLIST_NODE_CONTAINER_*
_OPTIMIZATION_LEVEL = (4096, 8192, 16384, 32768, 65536)
_SIZE_SAFETY_LIMIT = 8192
_SIZE_ESTIMATE_OVERHEAD = 8
_FILL_MAX = (1 << 15) - 1
_MIN_COMPRESS_BYTES = 48
_MIN_COMPRESS_IMPROVE = 8


@dataclass
class QuicklistNode:
    container: int
    blob: bytes  # the listpack (PACKED) or the element itself (PLAIN)
    count: int


def clamp_fill(fill: int) -> int:
    """quicklistSetFill: what the list keeps of ``list-max-listpack-size``."""
    return max(-5, min(fill, _FILL_MAX))


def _allows_insert(node_sz: int, node_count: int, sz: int, fill: int) -> bool:
    """_quicklistNodeAllowInsert for a packed node holding ``node_sz`` bytes."""
    new_sz = node_sz + sz + _SIZE_ESTIMATE_OVERHEAD
    if fill < 0 and -fill - 1 < len(_OPTIMIZATION_LEVEL) and new_sz <= _OPTIMIZATION_LEVEL[-fill - 1]:
        return True
    if new_sz > _SIZE_SAFETY_LIMIT:
        return False
    return node_count < fill


def quicklist_nodes(elements, fill: int, packed_threshold: int) -> list[QuicklistNode]:
    """The nodes RPUSH of ``elements`` one by one would make (quicklistPushTail)."""
    fill = clamp_fill(fill)
    nodes: list[QuicklistNode] = []
    entries: list[bytes] = []
    size = 0  # bytes of the open packed node's listpack

    def close() -> None:
        if entries:
            nodes.append(QuicklistNode(PACKED, listpack(entries), len(entries)))

    for element in elements:
        sz = len(element)
        if sz >= packed_threshold:
            close()
            entries, size = [], 0
            nodes.append(QuicklistNode(PLAIN, bytes(element), 1))
            continue
        if not entries or not _allows_insert(size, len(entries), sz, fill):
            close()
            entries, size = [], 7
        entry = lp_entry(element)
        entries.append(entry)
        size += len(entry)
    close()
    return nodes


def quicklist_length(nodes: list[QuicklistNode], compress_depth: int, compression: bool = True) -> int:
    """rdbSaveObject's bytes for a quicklist with these nodes."""
    return _quicklist_length(_Saver(compression), nodes, compress_depth)


def _quicklist_length(saver: _Saver, nodes: list[QuicklistNode], compress_depth: int) -> int:
    total = rdb_len_size(len(nodes))
    for i, node in enumerate(nodes):
        total += rdb_len_size(node.container)
        inner = compress_depth and compress_depth <= i < len(nodes) - compress_depth
        if inner and len(node.blob) >= _MIN_COMPRESS_BYTES:
            compressed = saver.lzf(node.blob, len(node.blob))
            if compressed and compressed + _MIN_COMPRESS_IMPROVE < len(node.blob):
                total += lzf_blob_size(compressed, len(node.blob))
                continue
        total += saver.raw_string(node.blob)
    return total


def quicklist_fields(nodes: list[QuicklistNode], fill: int, compress_depth: int) -> str:
    """DEBUG OBJECT's extra fields for a quicklist-encoded list."""
    count = sum(node.count for node in nodes)
    avg = count / len(nodes) if nodes else float("nan")
    size = sum(len(node.blob) for node in nodes)
    return (f" ql_nodes:{len(nodes)} ql_avg_node:{avg:.2f} ql_listpack_max:{clamp_fill(fill)}"
            f" ql_compressed:{int(compress_depth != 0)} ql_uncompressed_size:{size}")


# -- rdbSavedObjectLen --------------------------------------------------------------------------


@dataclass
class ListLayout:
    """What a list's quicklist looks like: the config it was made with."""

    fill: int = -2
    compress_depth: int = 0
    packed_threshold: int = 1 << 30


def serialized_length(value: object, compression: bool = True, layout: ListLayout | None = None) -> int:
    """rdbSavedObjectLen for a stored value (strings, lists, hashes, sets, zsets, streams)."""
    saver = _Saver(compression)
    if isinstance(value, (bytes, bytearray)):
        return saver.raw_string(value)
    kind = type_name(value)
    encoding = object_encoding(value)
    if kind == b"list":
        layout = layout or ListLayout()
        nodes = quicklist_nodes(value, layout.fill, layout.packed_threshold)
        return _quicklist_length(saver, nodes, layout.compress_depth)
    if kind == b"hash":
        if encoding == b"listpack":
            return saver.raw_string(listpack([lp_entry(x) for pair in value.items() for x in pair]))
        return _counted(saver, len(value), (x for pair in value.items() for x in pair))
    if kind == b"set":
        if encoding == b"intset":
            return saver.raw_string(intset(value, value.int_width))
        return _counted(saver, len(value), value)
    if kind == b"zset":
        pairs = value.all_pairs()
        if encoding == b"listpack":
            return saver.raw_string(listpack([lp_entry(x) for s, m in pairs for x in (m, d2string(s))]))
        return rdb_len_size(len(pairs)) + sum(saver.raw_string(m) + 8 for _, m in pairs)
    if kind == b"stream":
        return _stream_length(saver, value)
    raise TypeError(f"no RDB length for {kind!r}")


# -- streams (RDB_TYPE_STREAM_LISTPACKS_2) ----------------------------------------------------------

_STREAM_ID_KEY = 1 + 16  # a node's master id: 16 raw bytes, saved as a string (too short for LZF)
_MS_TIME = 8  # rdbSaveMillisecondTime
_SAMEFIELDS = 2  # STREAM_ITEM_FLAG_SAMEFIELDS


def _int64(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def _lp_integer(value: int) -> bytes:
    encoded = _lp_int(value)
    return encoded + _backlen(len(encoded))


def stream_node_listpack(node, entries) -> bytes:
    """A stream node's listpack as streamAppendItem builds it: the master entry (live and
    deleted counts, master fields, a 0 terminator), then per entry its flags, id deltas from
    the master id, [field count and fields unless they are the master's,] values, lp-count."""
    master_ms, master_seq = node.master_id
    fields = node.master_fields
    parts = [_lp_integer(node.live), _lp_integer(node.deleted), _lp_integer(len(fields))]
    parts += [lp_entry(f) for f in fields]
    parts.append(_lp_integer(0))
    for (ms, seq), flat in entries:
        names = tuple(flat[0::2])  # flat may be a list
        same = names == fields
        parts += [_lp_integer(_SAMEFIELDS if same else 0), _lp_integer(_int64(ms - master_ms)),
                  _lp_integer(_int64(seq - master_seq))]
        if same:
            parts += [lp_entry(v) for v in flat[1::2]]
            parts.append(_lp_integer(len(names) + 3))
        else:
            parts.append(_lp_integer(len(names)))
            parts += [lp_entry(x) for x in flat]
            parts.append(_lp_integer(2 * len(names) + 4))
    return listpack(parts)


def _stream_length(saver: _Saver, stream) -> int:
    """rdbSaveObject for a stream: its nodes (radix-tree key + listpack), then its counters
    and ids, then each consumer group with its PEL and consumers. A node holding deleted
    entries (whose bytes the node no longer has) is counted at its emulated size, uncompressed."""
    total = rdb_len_size(len(stream.nodes))
    for node in stream.nodes:
        total += _STREAM_ID_KEY
        if node.deleted:
            size = node.lp_bytes()
            total += rdb_len_size(size) + size
        else:
            total += saver.raw_string(stream_node_listpack(node, node.pairs()))
    first = stream.first_id
    numbers = (stream.length, *stream.last_id, *first, *stream.max_deleted_id, stream.entries_added,
               len(stream.groups))
    total += sum(rdb_len_size(n) for n in numbers)
    for group in stream.groups.values():
        total += saver.raw_string(group.name) + rdb_len_size(group.last_id[0]) + rdb_len_size(group.last_id[1])
        total += rdb_len_size(group.entries_read & ((1 << 64) - 1))
        total += rdb_len_size(len(group.pel))
        total += sum(16 + _MS_TIME + rdb_len_size(nack.delivery_count) for nack in group.pel.values())
        total += rdb_len_size(len(group.consumers))
        for consumer in group.consumers.values():
            total += saver.raw_string(consumer.name) + _MS_TIME + rdb_len_size(len(consumer.pel)) + 16 * len(consumer.pel)
    return total


def _counted(saver: _Saver, count: int, strings) -> int:
    """A length, then each string as rdbSaveRawString writes it."""
    return rdb_len_size(count) + sum(saver.raw_string(s) for s in strings)


# -- LZF ------------------------------------------------------------------------------------------


def lzf_compressed_length(data: bytes, out_len: int) -> int:
    """Size of liblzf's lzf_compress output (Redis's build: HLOG 16, VERY_FAST), 0 when it
    does not fit in ``out_len`` bytes. Only the size is computed, not the bytes."""

    in_len = len(data)
    if not in_len or not out_len:
        return 0
    hsize_mask = (1 << 16) - 1
    htab: dict[int, int] = {}
    ip = 0
    op = 1  # one byte reserved for the first literal run's header
    lit = 0
    in_end = in_len
    hval = (data[0] << 8) | data[1] if in_len > 1 else data[0] << 8
    while ip < in_end - 2:
        hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
        slot = ((hval >> 8) - hval * 5) & hsize_mask
        ref = htab.get(slot, -1)
        htab[slot] = ip
        if ref > 0 and ip - ref - 1 < 8192 and data[ref + 2] == data[ip + 2] and data[ref] == data[ip] \
                and data[ref + 1] == data[ip + 1]:
            length = 2
            maxlen = min(in_end - ip - length, 264)
            if op + 4 >= out_len and op - (0 if lit else 1) + 4 >= out_len:
                return 0
            if not lit:
                op -= 1  # undo the empty literal run
            if maxlen > 16:  # lzf's unrolled 16 steps do not check maxlen (it may overshoot by 2)
                for _ in range(16):
                    length += 1
                    if data[ref + length] != data[ip + length]:
                        break
                else:
                    length += 1
                    while length < maxlen and data[ref + length] == data[ip + length]:
                        length += 1
            else:
                length += 1
                while length < maxlen and data[ref + length] == data[ip + length]:
                    length += 1
            length -= 2
            ip += 1
            op += 2 if length < 7 else 3
            lit = 0
            op += 1  # start a new literal run
            ip += length + 1
            if ip >= in_end - 2:
                break
            ip -= 2
            hval = (data[ip] << 8) | data[ip + 1]
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            htab[((hval >> 8) - hval * 5) & hsize_mask] = ip
            ip += 1
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            htab[((hval >> 8) - hval * 5) & hsize_mask] = ip
            ip += 1
        else:
            if op >= out_len:
                return 0
            lit += 1
            op += 1
            ip += 1
            if lit == 32:
                lit = 0
                op += 1
    if op + 3 > out_len:
        return 0
    while ip < in_end:
        lit += 1
        op += 1
        ip += 1
        if lit == 32:
            lit = 0
            op += 1
    if not lit:
        op -= 1
    return op
