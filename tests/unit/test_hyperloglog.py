"""hyperloglog.py without a server: MurmurHash64A vectors, the register packing, the sparse
encoding's updates (split, merge, promotion), the estimator, and the handlers on a bare
keyspace (cache bytes, dirty counter, errors). The vectors' indexes and counts were read
from a real Redis 7.0.15 with PFDEBUG DECODE; the raw values are its GET replies."""

from __future__ import annotations

import random

import pytest

import node.commands  # noqa: F401  (registers every command)
from node.commands import hyperloglog as H
from node.commands.spec import REGISTRY
from node.replies import OK
from tests.support.handlers import error_of, run

# element, MurmurHash64A(seed 0xadc83b19), (register, pattern length) as real Redis decodes it
VECTORS = [
    (b"", 0xD8DFEA6585BC9732, (5938, 2)),
    (b"a", 0x53D2470A9B43B1A7, (12711, 2)),
    (b"hello", 0x0F656F01EECFE400, (9216, 1)),
    (b"12345678", 0x95EBB86389132953, (10579, 3)),
    (b"foobar-foobar-foo", 0x02DA2334B3FE7BB8, (15288, 1)),
    (bytes(range(23)), 0xE33F0D3409E9CCE2, (3298, 1)),
]
# GET after PFADD t a b c on a fresh key (real Redis 7.0.15)
ABC = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ"


@pytest.mark.parametrize("element,digest,reg", VECTORS)
def test_murmurhash64a_vectors(element, digest, reg):
    assert H.murmurhash64a(element) == digest
    assert H.pat_len(element) == reg


def test_pattern_length_is_capped():
    # 50 zero bits after the index: the loop stops at the sentinel bit, count Q + 1.
    assert all(1 <= H.pat_len(b"%d" % i)[1] <= H.HLL_Q + 1 for i in range(2000))


def test_empty_hll_layout():
    buf = H.empty_hll()
    assert bytes(buf) == b"HYLL\x01" + bytes(11) + b"\x7f\xff"
    assert H.histogram(buf) == ([H.HLL_REGISTERS] + [0] * 63, True)
    assert H.count(buf) == (0, True)


def test_dense_register_packing_round_trip():
    rnd = random.Random(3)
    regs = bytes(rnd.randrange(64) for _ in range(H.HLL_REGISTERS))
    buf = bytearray(b"HYLL" + bytes(12)) + H.pack_registers(regs)
    assert len(buf) == H.HLL_DENSE_SIZE
    assert H.dense_registers(buf) == regs
    for i in (0, 1, 2, 3, 4, 5, 6, 7, 1000, 16382, 16383):
        assert H.dense_get(buf, i) == regs[i]
    for i in (0, 3, 5, 16383):
        H.dense_set(buf, i, 63 - regs[i])
        assert H.dense_get(buf, i) == 63 - regs[i]
        assert H.dense_registers(buf)[i - 1 if i else 1] == regs[i - 1 if i else 1]


def test_sparse_split_and_merge():
    buf = H.empty_hll()
    assert H.sparse_set(buf, 5, 3, 3000) == 1  # XZERO split: ZERO VAL XZERO
    assert bytes(buf[16:]) == bytes([0x04, 0x88, 0x7F, 0xF9])
    assert H.sparse_set(buf, 5, 2, 3000) == 0  # smaller value: nothing to do
    assert H.sparse_set(buf, 6, 3, 3000) == 1  # VAL next to VAL of the same value: merged
    assert bytes(buf[16:]) == bytes([0x04, 0x89, 0x7F, 0xF8])
    assert buf[15] & 0x80  # cache invalidated
    assert H.sparse_ops(buf) == [(b"z", 5, 0), (b"v", 2, 3), (b"Z", 16377, 0)]


def test_sparse_matches_dense():
    sparse = H.empty_hll()
    dense = bytearray(H.HLL_DENSE_SIZE)
    dense[:5] = b"HYLL\x00"
    for n in range(3000):
        index, count = H.pat_len(b"e%d" % n)
        if sparse[4] == H.HLL_SPARSE:
            H.sparse_set(sparse, index, count, 3000)
        elif count > H.dense_get(sparse, index):
            H.dense_set(sparse, index, count)
        if count > H.dense_get(dense, index):
            H.dense_set(dense, index, count)
        if n in (10, 500, 1000):
            assert H.count(sparse) == H.count(dense)
    assert sparse[4] == H.HLL_DENSE  # promoted on the way (3000 bytes)
    assert H.dense_registers(sparse) == H.dense_registers(dense)


def test_promotion_on_a_large_value():
    buf = H.empty_hll()
    assert H.sparse_set(buf, 10, 33, 3000) == 1  # 33 does not fit in a VAL opcode
    assert buf[4] == H.HLL_DENSE and len(buf) == H.HLL_DENSE_SIZE
    assert H.dense_get(buf, 10) == 33


def test_sparse_to_dense_rejects_bad_lengths():
    buf = bytearray(b"HYLL\x01" + bytes(11) + b"\x7f\xff\x7f\xff")  # 32768 registers
    assert H.sparse_to_dense(buf) is False
    assert buf[4] == H.HLL_SPARSE


def test_estimator():
    assert H.estimate([H.HLL_REGISTERS] + [0] * 63) == 0
    # Every register at 51 (or 63): the sum is 0 and llroundl overflows, as in Redis.
    assert H.estimate([0] * 51 + [H.HLL_REGISTERS] + [0] * 12) == 1 << 63
    assert H.estimate([0] * 50 + [H.HLL_REGISTERS] + [0] * 13) == 1 << 63
    buf = H.empty_hll()
    for e in (b"a", b"b", b"c"):
        index, count = H.pat_len(e)
        H.sparse_set(buf, index, count, 3000)
    assert H.count(buf) == (3, True)


def test_pfadd_builds_the_bytes_real_redis_builds(client):
    assert run(client, "pfadd", "t", "a", "b", "c") == 1
    assert run(client, "get", "t") == ABC
    assert run(client, "pfadd", "t", "a") == 0


def test_pfcount_caches_and_invalidates_only_the_top_bit(client):
    run(client, "pfadd", "t", "a", "b", "c")
    dirty = client.server.clock.dirty
    assert run(client, "pfcount", "t") == 3
    assert client.server.clock.dirty == dirty + 1  # the cache write is a change
    assert run(client, "get", "t")[8:16] == b"\x03" + bytes(7)
    assert run(client, "pfcount", "t") == 3
    assert client.server.clock.dirty == dirty + 1
    run(client, "pfadd", "t", "d")
    assert run(client, "get", "t")[8:16] == b"\x03" + bytes(6) + b"\x80"


def test_pfadd_counts_each_change_as_dirty(client):
    dirty = client.server.clock.dirty
    run(client, "pfadd", "t", "a", "b")
    assert client.server.clock.dirty == dirty + 3  # creation + two registers


def test_counts_100(client):
    run(client, "pfadd", "t", *[str(i) for i in range(100)])
    assert run(client, "pfcount", "t") == 100


def test_pfmerge_and_union(client):
    run(client, "pfadd", "x", "a", "b")
    run(client, "pfadd", "y", "b", "c")
    assert run(client, "pfcount", "x", "y", "missing") == 3
    assert run(client, "pfmerge", "z", "x", "y") is OK
    assert run(client, "get", "z")[15] & 0x80
    assert run(client, "pfcount", "z") == 3


def test_errors(client):
    run(client, "set", "s", "hello")
    assert error_of(client, "pfadd", "s", "a") == H.WRONGTYPE_HLL
    assert error_of(client, "pfcount", "s") == H.WRONGTYPE_HLL
    assert error_of(client, "pfmerge", "d", "s") == H.WRONGTYPE_HLL
    run(client, "rpush", "l", "a")
    assert error_of(client, "pfcount", "l").startswith("WRONGTYPE Operation")
    run(client, "set", "bad", b"HYLL\x01" + bytes(10) + b"\x80" + b"\x7f\xff\x7f\xff")
    assert error_of(client, "pfcount", "bad") == H.INVALID_HLL
    assert error_of(client, "pfcount", "bad", "x") == H.INVALID_HLL
    assert error_of(client, "pfdebug", "getreg", "nokey") == "ERR The specified key does not exist"


def test_pfdebug(client):
    run(client, "pfadd", "t", "a")
    assert run(client, "pfdebug", "decode", "t") == b"Z:12711 v:2,1 Z:3672"
    assert run(client, "pfdebug", "encoding", "t").text == b"sparse"
    regs = run(client, "pfdebug", "getreg", "t")
    assert len(regs) == H.HLL_REGISTERS and regs[12711] == 2 and sum(regs) == 2
    assert run(client, "pfdebug", "todense", "t") == 0
    assert run(client, "pfdebug", "encoding", "t").text == b"dense"
    assert error_of(client, "pfdebug", "decode", "t") == "ERR HLL encoding is not sparse"


def test_pfselftest(client):
    assert run(client, "pfselftest") is OK


def test_declarations():
    assert REGISTRY[b"pfadd"].acl_categories == ("write", "hyperloglog", "fast")
    assert REGISTRY[b"pfcount"].acl_categories == ("read", "hyperloglog", "slow")
    assert (REGISTRY[b"pfmerge"].first_key, REGISTRY[b"pfmerge"].last_key) == (1, -1)


def test_bytewise_max_and_histogram():
    rnd = random.Random(9)
    for _ in range(5):
        a = bytes(rnd.randrange(64) for _ in range(H.HLL_REGISTERS))
        b = bytes(rnd.randrange(64) for _ in range(H.HLL_REGISTERS))
        assert H.bytewise_max(a, b) == bytes(map(max, a, b))
        assert H.register_histogram(a) == [a.count(v) for v in range(64)]
    assert H.bytewise_max(bytes(H.HLL_REGISTERS), b"\x3f" * H.HLL_REGISTERS) == b"\x3f" * H.HLL_REGISTERS
