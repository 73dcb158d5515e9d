"""The stream data model shared by the stream commands (streams.py) and the consumer-group
commands (stream_groups.py): ids, :class:`Stream`, :class:`ConsumerGroup`, :class:`Consumer`,
:class:`PendingEntry`, the stream error texts, and :func:`get_stream`.

Ids are ``(ms, seq)`` tuples of Python ints, each an unsigned 64-bit number; tuples compare
the way Redis's ``streamCompareID`` does. :func:`format_id` writes ``b"ms-seq"``; the
``parse_*`` functions are Redis 7.0's id parsers (``streamGenericParseIDOrReply`` and its
strict, interval and XADD forms) with its exact error.

A :class:`Stream` keeps its entries in its listpack nodes (below, :class:`ListpackNode`):
per node the ids in two arrays (ms counted from the master id, seq; 32-bit while they fit)
and, per entry, only its values when it has the node's master fields, as Redis's
listpacks do; a closed node packs its values into one blob. Lookups bisect the nodes'
master ids, then the node's arrays: O(log n); ranges walk the nodes both ways; XADD
appends to the last node. About 12 bytes per entry plus its values' bytes, once packed.

Listpack nodes. Redis stores a stream as a radix tree of listpacks ("nodes"); a node is
closed when it holds ``stream-node-max-entries`` entries (deleted ones included) or when
adding the next entry would reach ``stream-node-max-bytes``. Deleted entries stay in their
node as tombstones until the whole node empties (then the node goes); here they are
counted, not stored. ``MAXLEN ~`` / ``MINID ~`` trimming removes only whole nodes, so its
visible result (XLEN) depends on the node boundaries. :class:`Stream` therefore keeps one
:class:`ListpackNode` per Redis node: besides its entries, its master id and master
fields, its last id, its live and deleted counts, and its size in bytes computed with listpack's encoding rules (integers and integer-looking strings
in 1-9 bytes, strings with a 1/2/5-byte header, each element followed by its back-length),
so a node closes on the same XADD as Redis's. The emulation is exact for entries added by
XADD in this process (any fields, any ids, XDEL/XTRIM tombstones included); it does not
know Redis's node boundaries of a stream loaded from elsewhere (RESTORE, an RDB), whose
nodes Redis would keep as they were serialised.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from itertools import accumulate, chain

from sortedcontainers import SortedDict

from node.commands.keys import parse_ll, register_type, typed_lookup
from node.errors import CommandError

UINT64_MAX = 2**64 - 1
MIN_ID = (0, 0)
MAX_ID = (UINT64_MAX, UINT64_MAX)

# -- error texts shared by the stream commands ---------------------------------------------------

INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
ID_TOO_SMALL = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
ID_ZERO = "ERR The ID specified in XADD must be greater than 0-0"
ID_EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items"
INVALID_START = "ERR invalid start ID for the interval"
INVALID_END = "ERR invalid end ID for the interval"


# -- ids -----------------------------------------------------------------------------------------


def format_id(stream_id: tuple[int, int]) -> bytes:
    """``b"ms-seq"``."""
    return b"%d-%d" % stream_id


_SPACES = b" \t\n\v\f\r"


def string2ull(raw: bytes) -> int | None:
    """Redis's ``string2ull`` on a C string: ``string2ll`` (negatives refused), else
    ``strtoull`` base 10 that must consume everything (so leading blanks, ``+``, leading
    zeros and even ``-N`` after a blank, which wraps modulo 2**64, are accepted)."""
    nul = raw.find(b"\0")
    if nul >= 0:
        raw = raw[:nul]  # the C string ends there
    value = parse_ll(raw)
    if value is not None:
        return value if value >= 0 else None
    text = raw.lstrip(_SPACES)
    negative = False
    if text[:1] in (b"+", b"-"):
        negative = text[:1] == b"-"
        text = text[1:]
    if not text or not text.isdigit() or not raw:
        return None
    value = int(text)
    if value > UINT64_MAX:
        return None  # ERANGE
    return (-value) & UINT64_MAX if negative else value


def _parse(raw: bytes, missing_seq: int, strict: bool, seq_star: bool) -> tuple[int, int | None]:
    """streamGenericParseIDOrReply. ``seq`` is None for XADD's ``ms-*`` (when ``seq_star``)."""
    if len(raw) > 127:
        raise CommandError(INVALID_ID)
    c_str = raw.split(b"\0", 1)[0]
    if c_str == b"-" or c_str == b"+":
        if strict:
            raise CommandError(INVALID_ID)
        return MIN_ID if c_str == b"-" else MAX_ID
    ms_part, dash, seq_part = c_str.partition(b"-")
    ms = string2ull(ms_part)
    if ms is None:
        raise CommandError(INVALID_ID)
    if not dash:
        return ms, missing_seq
    if seq_star and seq_part == b"*":
        return ms, None
    seq = string2ull(seq_part)
    if seq is None:
        raise CommandError(INVALID_ID)
    return ms, seq


def parse_id(raw: bytes, missing_seq: int = 0) -> tuple[int, int]:
    """streamParseIDOrReply: ``-`` and ``+`` allowed; ``ms`` alone means ``ms-missing_seq``."""
    return _parse(raw, missing_seq, False, False)  # type: ignore[return-value]


def parse_strict_id(raw: bytes, missing_seq: int = 0) -> tuple[int, int]:
    """streamParseStrictIDOrReply: like :func:`parse_id` but ``-`` and ``+`` are invalid."""
    return _parse(raw, missing_seq, True, False)  # type: ignore[return-value]


def parse_add_id(raw: bytes) -> tuple[int, int | None]:
    """XADD's explicit id (strict): ``(ms, seq)``, or ``(ms, None)`` for ``ms-*``."""
    return _parse(raw, 0, True, True)


def parse_interval_id(raw: bytes, missing_seq: int) -> tuple[tuple[int, int], bool]:
    """streamParseIntervalIDOrReply: ``(id, exclusive)``; ``(id`` is exclusive and strict."""
    if len(raw) > 1 and raw[:1] == b"(":
        return parse_strict_id(raw[1:], missing_seq), True
    return parse_id(raw, missing_seq), False


def incr_id(stream_id: tuple[int, int]) -> tuple[int, int] | None:
    """streamIncrID: the next id, or None past the maximum."""
    ms, seq = stream_id
    if seq < UINT64_MAX:
        return ms, seq + 1
    if ms < UINT64_MAX:
        return ms + 1, 0
    return None


def decr_id(stream_id: tuple[int, int]) -> tuple[int, int] | None:
    """streamDecrID: the previous id, or None below 0-0."""
    ms, seq = stream_id
    if seq > 0:
        return ms, seq - 1
    if ms > 0:
        return ms - 1, UINT64_MAX
    return None


# -- listpack node emulation ---------------------------------------------------------------------

_LP_OVERHEAD = 7  # 6-byte header + end byte
STREAM_LISTPACK_MAX_SIZE = 1 << 30
_INT64 = 1 << 64
_INT63 = 1 << 63
_UINT32_MAX = 2**32 - 1
_FLAG_SIZE = 2  # flags 0..3: a 1-byte integer and its back-length
_MASTER_TERMINATOR = 2


def _backlen(size: int) -> int:
    if size <= 127:
        return 1
    if size < 16383:
        return 2
    if size < 2097151:
        return 3
    if size < 268435455:
        return 4
    return 5


def lp_int_size(value: int) -> int:
    """Bytes of an integer element in a listpack (encoding + back-length); a value outside
    int64 (an id delta) is taken modulo 2**64, as the C int64 subtraction gives it."""
    if 0 <= value <= 127:
        return 2
    if -4096 <= value <= 4095:
        return 3
    if -32768 <= value <= 32767:
        return 4
    if -8388608 <= value <= 8388607:
        return 5
    if -2147483648 <= value <= 2147483647:
        return 6
    if -_INT63 <= value < _INT63:
        return 10
    return lp_int_size(_as_int64(value))


_NUMERIC_START = frozenset(b"-0123456789")


def lp_str_size(raw: bytes) -> int:
    """Bytes of a string element: stored as an integer when it looks like one (string2ll)."""
    n = len(raw)
    if 0 < n <= 20 and raw[0] in _NUMERIC_START:
        value = parse_ll(raw)
        if value is not None:
            return lp_int_size(value)
    size = n + (1 if n <= 63 else 2 if n <= 4095 else 5)
    return size + _backlen(size)


def _strings_size(strings: tuple[bytes, ...]) -> int:
    """The bytes of several string elements (short non-numeric ones sized inline)."""
    size = 0
    for raw in strings:
        n = len(raw)
        if n and n <= 63 and raw[0] not in _NUMERIC_START:
            size += n + 2
        else:
            size += lp_str_size(raw)
    return size


def _as_int64(value: int) -> int:
    value &= _INT64 - 1
    return value - _INT64 if value >= 1 << 63 else value


class ListpackNode:
    """One listpack node: the entries it holds and what Redis's trimming and node-closing
    rules need to know about it.

    Storage (live entries only, in id order): ``ms`` and ``seq``, two arrays of the ids'
    halves, and ``items``, one object per entry: the value itself when the entry has the
    node's master fields and they are one field, a tuple of the values when it has the
    master fields (several), else a list of its own ``field, value, ...`` (as Redis's
    listpack stores only values for entries with the master entry's fields).

    ``ms`` holds each id's ms minus the master's (``master_ms``): never negative, ids being
    above the master's. The id arrays are 32-bit (``array('I')``) until a value does not fit,
    then 64-bit. A node that stops being the tail (XADD opened a new one) is frozen when
    every entry has the master fields (``own`` tells whether one has its own): the values,
    entry after entry, go into one ``blob`` with their end offsets in ``ends`` (``items`` is
    None then). Removing entries from a frozen node thaws it first; the tail node is never
    frozen.

    ``size`` is the listpack's byte size without its two counter elements (live, deleted),
    which change in place; :meth:`lp_bytes` adds them back. ``last_id`` is the last id ever
    added to the node (a tombstone's, possibly).
    """

    __slots__ = ("master_id", "master_ms", "master_seq", "master_fields", "single_field", "last_id", "live",
                 "deleted", "size", "ms", "seq", "items", "same_tail", "blob", "ends", "own")

    def __init__(self, master_id: tuple[int, int], fields: tuple[bytes, ...]):
        self.master_id = master_id
        self.master_ms, self.master_seq = master_id
        self.master_fields = fields
        # the field when the master entry has one field (entries with it store their value alone)
        self.single_field = fields[0] if len(fields) == 1 else None
        self.last_id = master_id
        self.live = 0
        self.deleted = 0
        self.size = _LP_OVERHEAD + lp_int_size(len(fields)) + sum(map(lp_str_size, fields)) + _MASTER_TERMINATOR
        self.same_tail = lp_int_size(len(fields) + 3)  # an entry's lp-count with the master fields
        self.ms = array("I")
        self.seq = array("I")
        self.items: list | None = []
        self.blob: bytes | None = None
        self.ends: array | None = None
        self.own = False

    def lp_bytes(self) -> int:
        return self.size + lp_int_size(self.live) + lp_int_size(self.deleted)

    def add(self, stream_id: tuple[int, int], flat: tuple[bytes, ...]) -> None:
        """Store an entry above every other of the node and account for its bytes: flags, id
        deltas, [field count, fields,] values, lp-count (XADD's common case, one field that
        is the master's, is inlined in :meth:`Stream.append_now`)."""
        if self.items is None:
            self.thaw()
        ms, seq = stream_id
        ms_delta = ms - self.master_ms
        seq_delta = seq - self.master_seq
        if 0 <= ms_delta <= 127 and 0 <= seq_delta <= 127:
            size = _FLAG_SIZE + 4
        else:
            size = _FLAG_SIZE + lp_int_size(ms_delta) + lp_int_size(seq_delta)
        if flat[0::2] == self.master_fields:
            values = flat[1::2]
            size += _strings_size(values) + self.same_tail
            item = values if self.single_field is None else values[0]
        else:
            nfields = len(flat) // 2
            size += lp_int_size(nfields) + _strings_size(flat) + lp_int_size(nfields * 2 + 4)
            item = list(flat)
            self.own = True
        self.size += size
        self.push_id(ms_delta, seq)
        self.items.append(item)  # type: ignore[union-attr]
        self.live += 1
        self.last_id = stream_id

    # -- frozen storage

    def freeze(self) -> None:
        """Pack the values into ``blob``, when every entry has the master fields."""
        items = self.items
        if not items or self.own:
            return
        if self.single_field is None:
            items = list(chain.from_iterable(items))
        try:
            blob = b"".join(items)
            ends = array("I", accumulate(map(len, items)))  # an OverflowError past 4 GB
        except (TypeError, OverflowError):
            return
        self.blob, self.ends, self.items = blob, ends, None

    def thaw(self) -> None:
        """Back to one object per entry (before entries are removed or added)."""
        if self.items is None:
            self.items = self.values()
            self.blob = self.ends = None

    def push_id(self, ms_delta: int, seq: int) -> None:
        """Append an id (its ms counted from the master's) to the id arrays."""
        try:
            self.ms.append(ms_delta)
            self.seq.append(seq)
        except OverflowError:
            self.push_wide(ms_delta, seq)

    def push_wide(self, ms_delta: int, seq: int) -> None:
        """:meth:`push_id` after a 32-bit append overflowed (maybe after ``ms`` took its
        part): the arrays become 64-bit."""
        count = len(self.seq)
        self.ms, self.seq = array("Q", self.ms[:count]), array("Q", self.seq)
        self.ms.append(ms_delta)
        self.seq.append(seq)

    def values(self, start: int = 0, stop: int | None = None) -> list:
        """The stored objects (``items``) of the entries ``start:stop``, frozen or not."""
        if self.items is not None:
            return self.items[start:stop]
        blob, ends = self.blob, self.ends
        width = len(self.master_fields)
        if stop is None:
            stop = len(self.ms)
        low = start * width
        bounds = ends[low:stop * width]  # type: ignore[index]
        begins = chain((ends[low - 1] if low else 0,), bounds)  # type: ignore[index]
        values = [blob[begin:end] for begin, end in zip(begins, bounds)]  # type: ignore[index]
        if width == 1:
            return values
        each = iter(values)
        return list(zip(*[each] * width))  # one tuple of values per entry

    # -- reads

    def _flat_of(self, item) -> tuple | list:
        kind = type(item)
        if kind is list:
            return item
        fields = self.master_fields
        if kind is tuple:
            flat: list = [None] * (2 * len(item))
            flat[0::2] = fields
            flat[1::2] = item
            return flat
        return (fields[0], item)

    def flat(self, index: int) -> tuple | list:
        """The ``field, value, ...`` of the entry at ``index`` (-1: the last)."""
        if index < 0:
            index += len(self.ms)
        return self._flat_of(self.values(index, index + 1)[0])

    def id_at(self, index: int) -> tuple[int, int]:
        return self.ms[index] + self.master_ms, self.seq[index]

    def lower(self, stream_id: tuple[int, int]) -> int:
        """The index of the first entry with an id >= ``stream_id``."""
        ms, seq = stream_id
        ms -= self.master_ms
        ms_list = self.ms
        lo = bisect_left(ms_list, ms)
        return bisect_left(self.seq, seq, lo, bisect_right(ms_list, ms, lo))

    def upper(self, stream_id: tuple[int, int]) -> int:
        """The index of the first entry with an id > ``stream_id``."""
        ms, seq = stream_id
        ms -= self.master_ms
        ms_list = self.ms
        lo = bisect_left(ms_list, ms)
        return bisect_right(self.seq, seq, lo, bisect_right(ms_list, ms, lo))

    def find(self, stream_id: tuple[int, int]) -> int:
        """The index of the entry ``stream_id``, -1 if absent."""
        index = self.lower(stream_id)
        if index < len(self.ms) and self.id_at(index) == stream_id:
            return index
        return -1

    def flats(self, start: int = 0, stop: int | None = None) -> list[tuple | list]:
        """The ``field, value, ...`` of the entries ``start:stop``."""
        field = self.single_field
        if field is not None:  # items are values, or lists (entries with their own fields)
            return [item if type(item) is list else (field, item) for item in self.values(start, stop)]
        return list(map(self._flat_of, self.values(start, stop)))

    def pairs(self, start: int = 0, stop: int | None = None) -> list[tuple[tuple[int, int], tuple | list]]:
        """``[(id, flat), ...]`` for the entries ``start:stop``."""
        base = self.master_ms
        return [((ms + base, seq), flat)
                for ms, seq, flat in zip(self.ms[start:stop], self.seq[start:stop], self.flats(start, stop))]

    def rows(self, start: int = 0, stop: int | None = None) -> list[list]:
        """``[[b"ms-seq", flat], ...]`` (reply rows) for the entries ``start:stop``."""
        base = self.master_ms
        if self.items is None and self.single_field is not None:  # frozen, one field: values() inlined
            field, blob, ends = self.single_field, self.blob, self.ends
            bounds = ends[start:stop]  # type: ignore[index]
            begins = chain((ends[start - 1] if start else 0,), bounds)  # type: ignore[index]
            return [[b"%d-%d" % (ms + base, seq), (field, blob[begin:end])]  # type: ignore[index]
                    for ms, seq, begin, end in zip(self.ms[start:stop], self.seq[start:stop], begins, bounds)]
        return [[b"%d-%d" % (ms + base, seq), flat]
                for ms, seq, flat in zip(self.ms[start:stop], self.seq[start:stop], self.flats(start, stop))]

    # -- removal, copy

    def remove(self, start: int, stop: int) -> None:
        """Drop the stored entries ``start:stop`` (the counters are the caller's). A packed
        node stays packed, unless the entries go from its head (trims, queue-like XDELs:
        unpacked once, later removals are cheap there)."""
        if self.items is not None or not start:
            self.thaw()
            del self.items[start:stop]  # type: ignore[union-attr]
        else:
            self._remove_packed(start, stop)
        del self.ms[start:stop]
        del self.seq[start:stop]

    def _remove_packed(self, start: int, stop: int) -> None:
        width = len(self.master_fields)
        low, high = start * width, stop * width
        ends = self.ends
        begin, end = ends[low - 1], ends[high - 1]  # type: ignore[index]
        gap = end - begin
        self.blob = self.blob[:begin] + self.blob[end:]  # type: ignore[index]
        self.ends = ends[:low] + array("I", [offset - gap for offset in ends[high:]])  # type: ignore[index]

    def copy(self) -> "ListpackNode":
        new = ListpackNode.__new__(ListpackNode)
        new.master_id, new.master_ms, new.master_seq = self.master_id, self.master_ms, self.master_seq
        new.master_fields, new.single_field, new.last_id = self.master_fields, self.single_field, self.last_id
        new.live, new.deleted, new.size, new.same_tail = self.live, self.deleted, self.size, self.same_tail
        new.ms, new.seq = self.ms[:], self.seq[:]
        new.items = None if self.items is None else list(self.items)
        new.own = self.own
        new.blob, new.ends = self.blob, None if self.ends is None else self.ends[:]
        return new


def _node_full(node: ListpackNode, payload: int, max_bytes: int, max_entries: int) -> bool:
    """streamAppendItem's test: a new entry of ``payload`` bytes goes to a new node."""
    live, deleted = node.live, node.deleted
    if max_entries and live + deleted >= max_entries:
        return True
    limit = max_bytes if 0 < max_bytes <= STREAM_LISTPACK_MAX_SIZE else STREAM_LISTPACK_MAX_SIZE
    lp_bytes = node.size + (2 if live <= 127 else lp_int_size(live)) + (2 if deleted <= 127 else lp_int_size(deleted))
    return lp_bytes + payload >= limit


# -- the stream ----------------------------------------------------------------------------------

TRIM_MAXLEN = 1
TRIM_MINID = 2


class Stream:
    """A stream value.

    * ``nodes`` / ``node_keys``: the listpack nodes holding the entries (see the module
      docstring and :class:`ListpackNode`), and their master ids, for bisect; a node may
      hold no live entry (an exact MINID trim can leave one so, as in Redis);
    * ``length``: the number of live entries;
    * ``last_id``: the top id ever added or set by XSETID (``0-0`` for a new stream);
    * ``max_deleted_id``: 7.0's max-deleted-entry-id (XDEL, XSETID MAXDELETEDID);
    * ``entries_added``: 7.0's entries-added (every XADD ever, XSETID ENTRIESADDED);
    * ``first_id``: the first live id, ``(0, 0)`` when empty;
    * ``groups``: name -> :class:`ConsumerGroup` (listed in name order by XINFO: sort them).

    Reads: :meth:`get`, ``in``, :meth:`first_entry` / :meth:`last_entry`, :meth:`range`.
    """

    __slots__ = ("nodes", "node_keys", "length", "last_id", "max_deleted_id", "entries_added", "groups")

    def __init__(self) -> None:
        self.nodes: list[ListpackNode] = []
        self.node_keys: list[tuple[int, int]] = []  # master ids, for bisect
        self.length = 0
        self.last_id = MIN_ID
        self.max_deleted_id = MIN_ID
        self.entries_added = 0
        self.groups: dict[bytes, ConsumerGroup] = {}

    def __len__(self) -> int:
        return self.length

    # -- reads

    def _node_index(self, stream_id: tuple[int, int]) -> int:
        """The node whose range holds ``stream_id`` (-1 below the first node)."""
        return bisect_right(self.node_keys, stream_id) - 1

    def _locate(self, stream_id: tuple[int, int]) -> tuple[ListpackNode | None, int]:
        index = self._node_index(stream_id)
        if index < 0:
            return None, -1
        node = self.nodes[index]
        return node, node.find(stream_id)

    def get(self, stream_id: tuple[int, int]) -> tuple | list | None:
        """The ``field, value, ...`` of an entry, None if there is none with this id."""
        node, index = self._locate(stream_id)
        return None if index < 0 else node.flat(index)  # type: ignore[union-attr]

    def __contains__(self, stream_id: tuple[int, int]) -> bool:
        return self._locate(stream_id)[1] >= 0

    def first_entry(self) -> tuple[tuple[int, int], tuple | list] | None:
        for node in self.nodes:
            if node.ms:
                return node.id_at(0), node.flat(0)
        return None

    def last_entry(self) -> tuple[tuple[int, int], tuple | list] | None:
        for node in reversed(self.nodes):
            if node.ms:
                return node.id_at(-1), node.flat(-1)
        return None

    @property
    def first_id(self) -> tuple[int, int]:
        for node in self.nodes:
            if node.ms:
                return node.id_at(0)
        return MIN_ID

    def last_entry_id(self) -> tuple[int, int] | None:
        """The id of the last live entry (None when empty)."""
        for node in reversed(self.nodes):
            if node.ms:
                return node.id_at(-1)
        return None

    def range(self, start: tuple[int, int], end: tuple[int, int], count: int = 0,
              rev: bool = False) -> list[tuple[tuple[int, int], tuple | list]]:
        """``[(id, flat), ...]`` for start <= id <= end, at most ``count`` (0: all), from the
        end when ``rev``."""
        return self._walk(start, end, count, rev, ListpackNode.pairs)

    def range_rows(self, start: tuple[int, int], end: tuple[int, int], count: int = 0,
                   rev: bool = False) -> list[list]:
        """:meth:`range` as reply rows, ``[[b"ms-seq", flat], ...]``."""
        return self._walk(start, end, count, rev, ListpackNode.rows)

    def _walk(self, start: tuple[int, int], end: tuple[int, int], count: int, rev: bool, emit) -> list:
        """``emit(node, begin, stop)`` for each node's part of [start, end], in order (reversed
        when ``rev``), at most ``count`` entries (0: all); the concatenated results."""
        if start > end or not self.length:
            return []
        if rev:
            return self._walk_rev(start, end, count, emit)
        nodes = self.nodes
        index = max(self._node_index(start), 0)
        out: list = []
        begin = nodes[index].lower(start) if start > nodes[index].master_id else 0
        while index < len(nodes):
            node = nodes[index]
            index += 1
            size = len(node.ms)
            stop = size if end >= node.last_id else node.upper(end)
            if count and stop - begin > count - len(out):
                stop = begin + count - len(out)
            out += emit(node, begin, stop)
            if stop < size or (count and len(out) >= count) or node.master_id > end:
                break
            begin = 0
        return out

    def _walk_rev(self, start: tuple[int, int], end: tuple[int, int], count: int, emit) -> list:
        nodes = self.nodes
        index = self._node_index(end)
        out: list = []
        first = True
        while index >= 0:
            node = nodes[index]
            index -= 1
            stop = len(node.ms) if not first or end >= node.last_id else node.upper(end)
            first = False
            begin = node.lower(start) if start > node.master_id else 0
            if count and stop - begin > count - len(out):
                begin = stop - (count - len(out))
            chunk = emit(node, begin, stop)
            chunk.reverse()
            out += chunk
            if begin > 0 or (count and len(out) >= count):
                break
        return out

    def items(self) -> list[tuple[tuple[int, int], tuple | list]]:
        """Every ``(id, flat)``, in order."""
        out: list = []
        for node in self.nodes:
            out += node.pairs()
        return out

    # -- writes

    def next_id(self, now_ms: int) -> tuple[int, int] | None:
        """streamNextID for ``*``: the clock, or last id + 1 when the clock is behind; None
        when the last possible id was used."""
        if now_ms > self.last_id[0]:
            return now_ms, 0
        return incr_id(self.last_id)

    def append(self, stream_id: tuple[int, int], flat: tuple[bytes, ...], max_bytes: int, max_entries: int,
               payload: int | None = None) -> None:
        """streamAppendItem for an id already checked to be above ``last_id`` (``payload``:
        the total length of ``flat``, if the caller has it)."""
        if payload is None:
            payload = sum(map(len, flat))
        nodes = self.nodes
        if not nodes or _node_full(nodes[-1], payload, max_bytes, max_entries):
            node = self._new_node(stream_id, flat[0::2])
        else:
            node = nodes[-1]
        node.add(stream_id, flat)
        self.length += 1
        self.last_id = stream_id
        self.entries_added += 1

    def append_now(self, now_ms: int, field: bytes, value: bytes, max_bytes: int, max_entries: int
                   ) -> tuple[int, int] | None:
        """XADD key * field value, the common case, in one go: :meth:`next_id` then
        :meth:`append`, with ListpackNode.add's sizing inlined when the tail node's master
        entry is ``field`` alone. Returns the id, or None (nothing done) when the next id is
        not simply the clock or last id + 1, or the entry needs a new node."""
        last_ms, last_seq = self.last_id
        if now_ms > last_ms:
            ms, seq = now_ms, 0
        elif last_seq < UINT64_MAX:
            ms, seq = last_ms, last_seq + 1
        else:
            return None
        nodes = self.nodes
        if not nodes:
            return None
        node = nodes[-1]
        live, deleted = node.live, node.deleted
        n = len(value)
        if field != node.single_field or (max_entries and live + deleted >= max_entries):
            return None  # the general path: the entry has its own fields, or a new node
        limit = max_bytes if 0 < max_bytes <= STREAM_LISTPACK_MAX_SIZE else STREAM_LISTPACK_MAX_SIZE
        counters = (2 if live <= 127 else lp_int_size(live)) + (2 if deleted <= 127 else lp_int_size(deleted))
        if node.size + counters + len(field) + n >= limit:
            return None  # a new node (_node_full's test)
        ms_delta = ms - node.master_ms
        seq_delta = seq - node.master_seq
        if n and n <= 63 and value[0] not in _NUMERIC_START:
            size = n + 2
        else:
            size = lp_str_size(value)
        if 0 <= ms_delta <= 127 and 0 <= seq_delta <= 127:
            size += _FLAG_SIZE + 4
        else:
            size += _FLAG_SIZE + lp_int_size(ms_delta) + lp_int_size(seq_delta)
        node.size += size + node.same_tail
        try:
            node.ms.append(ms_delta)
            node.seq.append(seq)
        except OverflowError:
            node.push_wide(ms_delta, seq)
        node.items.append(value)
        node.live = live + 1
        node.last_id = self.last_id = (ms, seq)
        self.length += 1
        self.entries_added += 1
        return node.last_id

    def _new_node(self, stream_id: tuple[int, int], fields: tuple[bytes, ...]) -> ListpackNode:
        if self.nodes:
            self.nodes[-1].freeze()
        node = ListpackNode(stream_id, fields)
        self.nodes.append(node)
        self.node_keys.append(stream_id)
        return node

    def _drop_node(self, index: int) -> None:
        nodes = self.nodes
        del nodes[index]
        del self.node_keys[index]
        if nodes and index == len(nodes):
            nodes[-1].thaw()  # the new tail: XADD appends to it

    def delete(self, stream_id: tuple[int, int]) -> bool:
        """XDEL of one id (streamDeleteItem + max-deleted-entry-id); False if absent."""
        node_index = self._node_index(stream_id)
        if node_index < 0:
            return False
        node = self.nodes[node_index]
        index = node.find(stream_id)
        if index < 0:
            return False
        node.remove(index, index + 1)
        self.length -= 1
        node.live -= 1
        if node.live == 0:
            self._drop_node(node_index)
        else:
            node.deleted += 1
        if stream_id > self.max_deleted_id:
            self.max_deleted_id = stream_id
        return True

    def trim(self, strategy: int, maxlen: int, minid: tuple[int, int], approx: bool, limit: int) -> int:
        """streamTrim: remove whole nodes from the head while the threshold allows (at most
        ``limit`` entries when ``limit`` > 0), then, unless ``approx``, tombstone entries of
        the next node one by one. Returns how many entries were removed."""
        deleted = 0
        nodes = self.nodes
        while nodes:
            if strategy == TRIM_MAXLEN and self.length <= maxlen:
                break
            node = nodes[0]
            if limit and deleted + node.live > limit:
                break
            if strategy == TRIM_MAXLEN:
                remove_node = self.length - node.live >= maxlen
            else:
                remove_node = node.last_id < minid
            if remove_node:
                self.length -= node.live
                deleted += node.live
                self._drop_node(0)
                continue
            if approx:
                break
            # What goes lies in this node: past it every id is above its last id.
            if strategy == TRIM_MAXLEN:
                count = self.length - maxlen
            else:
                count = node.lower(minid)
            node.remove(0, count)
            self.length -= count
            node.live -= count
            node.deleted += count
            deleted += count
            break
        return deleted

    def copy(self) -> "Stream":
        new = Stream()
        new.nodes = [node.copy() for node in self.nodes]
        new.node_keys = list(self.node_keys)
        new.length = self.length
        new.last_id, new.max_deleted_id, new.entries_added = self.last_id, self.max_deleted_id, self.entries_added
        new.groups = {name: group.copy() for name, group in self.groups.items()}
        return new


# -- consumer groups ------------------------------------------------------------------------------


class PendingEntry:
    """One delivered, not yet acknowledged entry (Redis's streamNACK); the same object sits
    in the group's PEL and in its consumer's PEL."""

    __slots__ = ("consumer", "delivery_time", "delivery_count")

    def __init__(self, consumer: "Consumer", delivery_time: int, delivery_count: int = 1):
        self.consumer = consumer
        self.delivery_time = delivery_time
        self.delivery_count = delivery_count


class Consumer:
    __slots__ = ("name", "seen_time", "pel")

    def __init__(self, name: bytes, seen_time: int):
        self.name = name
        self.seen_time = seen_time
        self.pel: SortedDict = SortedDict()  # id -> PendingEntry


class ConsumerGroup:
    """``entries_read`` is -1 when unknown (Redis's SCG_INVALID_ENTRIES_READ)."""

    __slots__ = ("name", "last_id", "entries_read", "pel", "consumers")

    def __init__(self, name: bytes, last_id: tuple[int, int], entries_read: int = -1):
        self.name = name
        self.last_id = last_id
        self.entries_read = entries_read
        self.pel: SortedDict = SortedDict()  # id -> PendingEntry
        self.consumers: dict[bytes, Consumer] = {}

    def copy(self) -> "ConsumerGroup":
        """A deep copy: new consumers, and one new PendingEntry shared by both PELs."""
        new = ConsumerGroup(self.name, self.last_id, self.entries_read)
        for name, consumer in self.consumers.items():
            twin = new.consumers[name] = Consumer(name, consumer.seen_time)
            for stream_id, pending in consumer.pel.items():
                entry = PendingEntry(twin, pending.delivery_time, pending.delivery_count)
                twin.pel[stream_id] = entry
                new.pel[stream_id] = entry
        return new


# -- the type ------------------------------------------------------------------------------------

register_type(Stream, b"stream", encoding=lambda value: b"stream", copy=Stream.copy)


get_stream = typed_lookup(Stream)
