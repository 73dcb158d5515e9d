"""Key -> hash slot, and the slot-range helpers every other cluster module uses.

Rules (Redis 7.0 ``keyHashSlot``; CLUSTER.md section 1):

* slot = CRC16-XMODEM(hashed part) & 0x3FFF. XMODEM is polynomial 0x1021, init 0, no
  reflection, no final XOR: CRC16(b"123456789") == 0x31C3. We compute it with ``crcmod``'s
  C extension; ``binascii.crc_hqx(data, 0)`` is the same function (tests check both).
* The hashed part is the whole key, unless the key has a ``{`` followed later by a ``}``
  with at least one byte between them: then only the bytes between the *first* ``{`` and
  the first ``}`` after it are hashed. ``{}`` (an empty tag) means "hash the whole key",
  even if a non-empty tag follows (``foo{}{bar}``).
* Keys are raw bytes; nothing is decoded.

Slot ranges are written as Redis writes them in CLUSTER NODES and nodes.conf: ``"7"`` for
one slot, ``"0-5460"`` for a run, several tokens separated by single spaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import crcmod

CLUSTER_SLOTS = 16384
SLOT_MASK = CLUSTER_SLOTS - 1  # 0x3FFF

# CRC16-XMODEM: poly x^16+x^12+x^5+1 (crcmod spells it with the x^16 bit), init 0, MSB first.
crc16 = crcmod.mkCrcFun(0x11021, initCrc=0x0000, rev=False, xorOut=0x0000)


_OPEN_BRACE = ord("{")


def key_hash_slot(key: bytes) -> int:
    """The hash slot of ``key`` (0..16383), honouring the first non-empty ``{hashtag}``."""
    if _OPEN_BRACE in key:  # an int operand: a memchr, far cheaper than `b"{" in key`
        start = key.find(b"{")
        end = key.find(b"}", start + 1)
        if end > start + 1:
            return crc16(key[start + 1 : end]) & SLOT_MASK
    return crc16(key) & SLOT_MASK


# -- slot ranges ------------------------------------------------------------------------------


def format_range(start: int, end: int) -> str:
    """``"7"`` for a single slot, ``"0-5460"`` for a run."""
    return str(start) if start == end else f"{start}-{end}"


def format_ranges(ranges: Iterable[tuple[int, int]]) -> str:
    """Space-separated tokens, as in CLUSTER NODES: ``"0-5460 7000 7002"``."""
    return " ".join(format_range(start, end) for start, end in ranges)


def parse_slot(text: str) -> int:
    """One slot number in decimal (digits only, no sign, no spaces), 0..16383."""
    if not text.isdigit() or not text.isascii():
        raise ValueError(f"invalid slot {text!r}")
    slot = int(text)
    if slot >= CLUSTER_SLOTS:
        raise ValueError(f"slot {text!r} out of range")
    return slot


def parse_range(token: str) -> tuple[int, int]:
    """``"7"`` -> (7, 7); ``"0-5460"`` -> (0, 5460). Raises ValueError on anything else,
    including a reversed range such as ``"9-3"``."""
    first, sep, last = token.partition("-")
    start = parse_slot(first)
    end = parse_slot(last) if sep else start
    if end < start:
        raise ValueError(f"reversed slot range {token!r}")
    return start, end


def parse_ranges(text: str) -> list[tuple[int, int]]:
    """Parse whitespace-separated range tokens (the inverse of :func:`format_ranges`)."""
    return [parse_range(token) for token in text.split()]


def slot_ranges(slots: Iterable[int]) -> list[tuple[int, int]]:
    """The maximal runs of consecutive slots in ``slots`` (any order, duplicates allowed),
    in ascending order: ``{0, 1, 2, 7}`` -> ``[(0, 2), (7, 7)]``."""
    ranges: list[tuple[int, int]] = []
    start = end = -2
    for slot in sorted(set(slots)):
        if slot == end + 1:
            end = slot
            continue
        if start >= 0:
            ranges.append((start, end))
        start = end = slot
    if start >= 0:
        ranges.append((start, end))
    return ranges


def iter_range_slots(ranges: Iterable[tuple[int, int]]) -> Iterator[int]:
    """Every slot of every range, in the order given."""
    for start, end in ranges:
        yield from range(start, end + 1)


def owner_runs(owners: list) -> list[tuple[int, int, object]]:
    """Maximal runs of consecutive slots with the same non-None owner, in slot order:
    ``[(start, end, owner), ...]``. ``owners`` is a 16384-entry table (``None`` = unassigned).
    This is the walk behind CLUSTER SLOTS, SHARDS and the slot part of CLUSTER NODES."""
    runs: list[tuple[int, int, object]] = []
    current = None
    start = 0
    for slot, owner in enumerate(owners):
        if owner is current:
            continue
        if current is not None:
            runs.append((start, slot - 1, current))
        current = owner
        start = slot
    if current is not None:
        runs.append((start, len(owners) - 1, current))
    return runs
