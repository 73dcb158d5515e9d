"""The stream data model shared by the stream commands (streams.py) and the consumer-group
commands (stream_groups.py): ids, :class:`Stream`, :class:`ConsumerGroup`, :class:`Consumer`,
:class:`PendingEntry`, the stream error texts, and :func:`get_stream`.

Ids are ``(ms, seq)`` tuples of Python ints, each an unsigned 64-bit number; tuples compare
the way Redis's ``streamCompareID`` does. :func:`format_id` writes ``b"ms-seq"``; the
``parse_*`` functions are Redis 7.0's id parsers (``streamGenericParseIDOrReply`` and its
strict, interval and XADD forms) with its exact error.

A :class:`Stream` keeps its entries in a ``SortedDict`` (id -> flat tuple
``(field, value, field, value, ...)``): O(log n) lookup, ordered ranges both ways.

Listpack nodes. Redis stores a stream as a radix tree of listpacks ("nodes"); a node is
closed when it holds ``stream-node-max-entries`` entries (deleted ones included) or when
adding the next entry would reach ``stream-node-max-bytes``. Deleted entries stay in their
node as tombstones until the whole node empties (then the node goes). ``MAXLEN ~`` /
``MINID ~`` trimming removes only whole nodes, so its visible result (XLEN) depends on the
node boundaries. :class:`Stream` therefore keeps one small :class:`ListpackNode` per Redis
node: its master id and master fields, its last id, its live and deleted counts, and its
size in bytes computed with listpack's encoding rules (integers and integer-looking strings
in 1-9 bytes, strings with a 1/2/5-byte header, each element followed by its back-length),
so a node closes on the same XADD as Redis's. The emulation is exact for entries added by
XADD in this process (any fields, any ids, XDEL/XTRIM tombstones included); it does not
know Redis's node boundaries of a stream loaded from elsewhere (RESTORE, an RDB), whose
nodes Redis would keep as they were serialised.
"""

from __future__ import annotations

from bisect import bisect_right

from sortedcontainers import SortedDict

from node import errors
from node.commands.keys import parse_ll, register_type
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
    """Bytes of an integer element in a listpack (encoding + back-length)."""
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
    return 10


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
    """What Redis's trimming and node-closing rules need to know about one listpack node.

    ``size`` is the listpack's byte size without its two counter elements (live, deleted),
    which change in place; :meth:`lp_bytes` adds them back.
    """

    __slots__ = ("master_id", "master_fields", "last_id", "live", "deleted", "size")

    def __init__(self, master_id: tuple[int, int], fields: tuple[bytes, ...]):
        self.master_id = master_id
        self.master_fields = fields
        self.last_id = master_id
        self.live = 0
        self.deleted = 0
        self.size = _LP_OVERHEAD + lp_int_size(len(fields)) + sum(map(lp_str_size, fields)) + _MASTER_TERMINATOR

    def lp_bytes(self) -> int:
        return self.size + lp_int_size(self.live) + lp_int_size(self.deleted)

    def entry_size(self, stream_id: tuple[int, int], flat: tuple[bytes, ...]) -> int:
        """Bytes one entry takes in this node: flags, id deltas, [count, fields,] values, lp-count."""
        master_ms, master_seq = self.master_id
        ms_delta = stream_id[0] - master_ms
        seq_delta = stream_id[1] - master_seq
        if 0 <= ms_delta <= 127 and 0 <= seq_delta <= 127:
            size = _FLAG_SIZE + 4
        else:
            size = _FLAG_SIZE + lp_int_size(_as_int64(ms_delta)) + lp_int_size(_as_int64(seq_delta))
        nfields = len(flat) // 2
        if flat[0::2] == self.master_fields:
            return size + _strings_size(flat[1::2]) + lp_int_size(nfields + 3)
        return size + lp_int_size(nfields) + _strings_size(flat) + lp_int_size(nfields * 2 + 4)

    def copy(self) -> "ListpackNode":
        new = ListpackNode.__new__(ListpackNode)
        new.master_id, new.master_fields, new.last_id = self.master_id, self.master_fields, self.last_id
        new.live, new.deleted, new.size = self.live, self.deleted, self.size
        return new


# -- the stream ----------------------------------------------------------------------------------


class StreamEntries(SortedDict):
    """A SortedDict with an O(1) :meth:`append` for a key above every other (XADD's case)."""

    __slots__ = ()

    def append(self, key: tuple[int, int], value: tuple[bytes, ...]) -> None:
        # SortedList.add without its bisect (the key goes last) and without SortedDict's
        # membership test: sortedcontainers 2.4 internals, checked by tests/unit/test_streams.py.
        sorted_keys = self._list
        maxes = sorted_keys._maxes
        if maxes and key > maxes[-1]:
            pos = len(maxes) - 1
            sorted_keys._lists[pos].append(key)
            maxes[pos] = key
            sorted_keys._expand(pos)
            sorted_keys._len += 1
            dict.__setitem__(self, key, value)
        else:
            self[key] = value

TRIM_MAXLEN = 1
TRIM_MINID = 2


class Stream:
    """A stream value.

    * ``entries``: a SortedDict (:class:`StreamEntries`) id -> flat ``(field, value, ...)``
      tuple (live entries only);
    * ``last_id``: the top id ever added or set by XSETID (``0-0`` for a new stream);
    * ``max_deleted_id``: 7.0's max-deleted-entry-id (XDEL, XSETID MAXDELETEDID);
    * ``entries_added``: 7.0's entries-added (every XADD ever, XSETID ENTRIESADDED);
    * ``first_id``: the first live id, ``(0, 0)`` when empty;
    * ``groups``: name -> :class:`ConsumerGroup` (listed in name order by XINFO: sort them);
    * ``nodes`` / ``node_keys``: the listpack node emulation (see the module docstring).
    """

    __slots__ = ("entries", "last_id", "max_deleted_id", "entries_added", "groups", "nodes", "node_keys")

    def __init__(self) -> None:
        self.entries: StreamEntries = StreamEntries()
        self.last_id = MIN_ID
        self.max_deleted_id = MIN_ID
        self.entries_added = 0
        self.groups: dict[bytes, ConsumerGroup] = {}
        self.nodes: list[ListpackNode] = []
        self.node_keys: list[tuple[int, int]] = []  # master ids, for bisect

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def first_id(self) -> tuple[int, int]:
        entries = self.entries
        return entries.peekitem(0)[0] if entries else MIN_ID

    def next_id(self, now_ms: int) -> tuple[int, int] | None:
        """streamNextID for ``*``: the clock, or last id + 1 when the clock is behind; None
        when the last possible id was used."""
        last_ms, last_seq = self.last_id
        if now_ms > last_ms:
            return now_ms, 0
        return incr_id(self.last_id)

    def append(self, stream_id: tuple[int, int], flat: tuple[bytes, ...], max_bytes: int, max_entries: int,
               payload: int | None = None) -> None:
        """streamAppendItem for an id already checked to be above ``last_id`` (``payload``:
        the total length of ``flat``, if the caller has it)."""
        nodes = self.nodes
        if nodes:
            node = nodes[-1]
            live, deleted = node.live, node.deleted
            if payload is None:
                payload = sum(map(len, flat))
            limit = max_bytes if 0 < max_bytes <= STREAM_LISTPACK_MAX_SIZE else STREAM_LISTPACK_MAX_SIZE
            if (node.size + lp_int_size(live) + lp_int_size(deleted) + payload >= limit
                    or (max_entries and live + deleted >= max_entries)):
                node = self._new_node(stream_id, flat)
        else:
            node = self._new_node(stream_id, flat)
        node.size += node.entry_size(stream_id, flat)
        node.live += 1
        node.last_id = stream_id
        self.entries.append(stream_id, flat)
        self.last_id = stream_id
        self.entries_added += 1

    def _new_node(self, stream_id: tuple[int, int], flat: tuple[bytes, ...]) -> ListpackNode:
        node = ListpackNode(stream_id, flat[0::2])
        self.nodes.append(node)
        self.node_keys.append(stream_id)
        return node

    def _node_index(self, stream_id: tuple[int, int]) -> int:
        return bisect_right(self.node_keys, stream_id) - 1

    def _drop_node(self, index: int) -> None:
        del self.nodes[index]
        del self.node_keys[index]

    def delete(self, stream_id: tuple[int, int]) -> bool:
        """XDEL of one id (streamDeleteItem + max-deleted-entry-id); False if absent."""
        if self.entries.pop(stream_id, None) is None:
            return False
        index = self._node_index(stream_id)
        node = self.nodes[index]
        node.live -= 1
        if node.live == 0:
            self._drop_node(index)
        else:
            node.deleted += 1
        if stream_id > self.max_deleted_id:
            self.max_deleted_id = stream_id
        return True

    def _pop_first(self, count: int) -> None:
        popitem = self.entries.popitem
        for _ in range(count):
            popitem(0)

    def trim(self, strategy: int, maxlen: int, minid: tuple[int, int], approx: bool, limit: int) -> int:
        """streamTrim: remove whole nodes from the head while the threshold allows (at most
        ``limit`` entries when ``limit`` > 0), then, unless ``approx``, tombstone entries of
        the next node one by one. Returns how many entries were removed."""
        deleted = 0
        nodes = self.nodes
        while nodes:
            if strategy == TRIM_MAXLEN and len(self.entries) <= maxlen:
                break
            node = nodes[0]
            if limit and deleted + node.live > limit:
                break
            if strategy == TRIM_MAXLEN:
                remove_node = len(self.entries) - node.live >= maxlen
            else:
                remove_node = node.last_id < minid
            if remove_node:
                self._pop_first(node.live)
                deleted += node.live
                self._drop_node(0)
                continue
            if approx:
                break
            if strategy == TRIM_MAXLEN:
                count = len(self.entries) - maxlen
            else:
                count = self.entries.bisect_left(minid)
            self._pop_first(count)
            node.live -= count
            node.deleted += count
            deleted += count
            break
        return deleted

    def copy(self) -> "Stream":
        new = Stream()
        new.entries = self.entries.copy()
        new.last_id, new.max_deleted_id, new.entries_added = self.last_id, self.max_deleted_id, self.entries_added
        new.nodes = [node.copy() for node in self.nodes]
        new.node_keys = list(self.node_keys)
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


def get_stream(db, key: bytes) -> Stream | None:
    """The stream at ``key`` (None if missing); WRONGTYPE for other types. An access."""
    value = db.get(key)
    if value is None or type(value) is Stream:
        return value
    raise CommandError(errors.WRONGTYPE)
