"""Random sequences of hash, set and key commands, sent to Trireme and to real Redis.

A Hypothesis state machine (the pattern of ``test_state_machine.py``): each step sends one
generated command to both servers, on the RESP2 or the RESP3 connection pair, and the
replies must be equal (error texts included); after every step the type, encoding and size
of every key must agree too. A few keys are shared by hashes, sets and strings, so WRONGTYPE
and overwrites come up; values include long ones (listpack -> hashtable), integers at the
64-bit edges and non-integers (intset -> hashtable), and the encoding limits are sometimes
lowered with CONFIG SET (restored after every example). Each example starts from two
hashes and two sets with random contents.

Where Redis's order is arbitrary the replies are compared unordered, but a reply about a
listpack hash or an intset (asked of the real server first) must match exactly. Random
commands cannot be compared as they are: SRANDMEMBER and HRANDFIELD are compared by reply
type and size only, SPOP is sent only in forms whose effect is certain (count 0, a count
covering the whole set, or a set of at most one member), and HSCAN/SSCAN are compared as
the multiset of what a whole iteration returns.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from tests.support.rawconn import RawConnection, Reply, normalize, plain

# Hashes live mostly on a/b, sets on d/e; c is shared (WRONGTYPE), generic commands use all.
KEYS = st.sampled_from([b"a", b"b", b"c", b"d", b"e"])
HKEYS = st.sampled_from([b"a", b"b", b"a", b"b", b"c"])
SKEYS = st.sampled_from([b"d", b"e", b"d", b"e", b"c"])
FIELDS = st.sampled_from([b"f", b"g", b"h", b"1", b"", b"field-" + b"x" * 60])
VALUES = st.sampled_from([b"", b"0", b"1", b"-7", b"x", b"2.5", b"9223372036854775807", b"v" * 70, b"1e3"])
MEMBERS = st.sampled_from([b"1", b"2", b"-3", b"10", b"x", b"y", b"01", b"", b"9223372036854775807",
                           b"-9223372036854775808", b"9223372036854775808", b"m" * 70])
INCRS = st.sampled_from([b"1", b"-1", b"100", b"9223372036854775807", b"x", b"1.5", b""])
FLOAT_INCRS = st.sampled_from([b"1", b"-0.5", b"1e3", b"0.1", b"x", b"inf", b"nan", b"1e4932"])
COUNTS = st.sampled_from([b"0", b"1", b"2", b"5", b"-1", b"-4", b"x"])
LIMITS = st.sampled_from([(), (b"LIMIT", b"0"), (b"LIMIT", b"1"), (b"LIMIT", b"3"), (b"LIMIT", b"-1")])
SCAN_OPTIONS = st.sampled_from([(), (b"COUNT", b"1"), (b"COUNT", b"3"), (b"MATCH", b"*1*"), (b"MATCH", b"f*", b"COUNT", b"2")])
PROTOCOLS = st.sampled_from([2, 3])
CONFIGS = st.sampled_from([
    (b"hash-max-listpack-entries", b"2"), (b"hash-max-listpack-entries", b"512"),
    (b"hash-max-listpack-value", b"3"), (b"hash-max-listpack-value", b"64"),
    (b"set-max-intset-entries", b"2"), (b"set-max-intset-entries", b"512"),
])
DEFAULTS = {b"hash-max-listpack-entries": b"512", b"hash-max-listpack-value": b"64",
            b"set-max-intset-entries": b"512"}


def _cmd(*parts):
    return st.tuples(*(p if isinstance(p, st.SearchStrategy) else st.just(p) for p in parts))


def _flat(*alternatives):
    def flatten(t):
        out = []
        for part in t:
            if isinstance(part, (tuple, list)):
                for x in part:
                    out.extend(x if isinstance(x, tuple) else (x,))
            else:
                out.append(part)
        return tuple(out)

    return st.one_of(*alternatives).map(flatten)


PAIRS = st.lists(st.tuples(FIELDS, VALUES), min_size=1, max_size=3)

# Replies compared exactly: writes (weighted up, so that values get built) and reads.
HASH_WRITES = _flat(
    _cmd(b"HSET", HKEYS, PAIRS),
    _cmd(b"HMSET", HKEYS, PAIRS),
    _cmd(b"HSETNX", HKEYS, FIELDS, VALUES),
    _cmd(b"HDEL", HKEYS, st.lists(FIELDS, min_size=1, max_size=3)),
    _cmd(b"HINCRBY", HKEYS, FIELDS, INCRS),
    _cmd(b"HINCRBYFLOAT", HKEYS, FIELDS, FLOAT_INCRS),
)
SET_WRITES = _flat(
    _cmd(b"SADD", SKEYS, st.lists(MEMBERS, min_size=1, max_size=4)),
    _cmd(b"SADD", SKEYS, st.lists(MEMBERS, min_size=1, max_size=4)),
    _cmd(b"SREM", SKEYS, st.lists(MEMBERS, min_size=1, max_size=3)),
    _cmd(b"SMOVE", SKEYS, KEYS, MEMBERS),
    _cmd(b"SINTERSTORE", SKEYS, st.lists(SKEYS, min_size=1, max_size=3)),
    _cmd(b"SUNIONSTORE", SKEYS, st.lists(SKEYS, min_size=1, max_size=3)),
    _cmd(b"SDIFFSTORE", SKEYS, st.lists(SKEYS, min_size=1, max_size=3)),
)
READS = _flat(
    _cmd(b"HGET", HKEYS, FIELDS),
    _cmd(b"HMGET", HKEYS, st.lists(FIELDS, min_size=1, max_size=3)),
    _cmd(b"HLEN", KEYS),
    _cmd(b"HSTRLEN", HKEYS, FIELDS),
    _cmd(b"HEXISTS", HKEYS, FIELDS),
    _cmd(b"SISMEMBER", SKEYS, MEMBERS),
    _cmd(b"SMISMEMBER", SKEYS, st.lists(MEMBERS, min_size=1, max_size=3)),
    _cmd(b"SCARD", KEYS),
    _cmd(b"SINTERCARD", b"2", SKEYS, SKEYS, LIMITS),
    _cmd(b"SINTERCARD", b"1", SKEYS, LIMITS),
    _cmd(b"OBJECT", b"ENCODING", KEYS),
    _cmd(b"TYPE", KEYS),
)
KEYSPACE = _flat(
    _cmd(b"SET", KEYS, VALUES),
    _cmd(b"DEL", KEYS),
    _cmd(b"EXISTS", KEYS),
    _cmd(b"COPY", KEYS, KEYS),
    _cmd(b"RENAME", KEYS, KEYS),
)
# Replies whose order is Redis's hash order unless the value is a listpack/intset.
UNORDERED = _flat(
    _cmd(b"HKEYS", HKEYS),
    _cmd(b"HVALS", HKEYS),
    _cmd(b"HGETALL", HKEYS),
    _cmd(b"SMEMBERS", SKEYS),
    _cmd(b"SINTER", st.lists(SKEYS, min_size=1, max_size=3)),
    _cmd(b"SUNION", st.lists(SKEYS, min_size=1, max_size=3)),
    _cmd(b"SDIFF", st.lists(SKEYS, min_size=1, max_size=3)),
)
ORDER_IF_COMPACT = {b"HKEYS", b"HVALS", b"HGETALL", b"SMEMBERS"}


def _length(reply: Reply):
    return (reply.kind, len(reply.value) if isinstance(reply.value, tuple) else reply.value)


def test_random_hash_and_set_commands(differ):
    class Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            for protocol in (2, 3):
                differ.raw(b"FLUSHALL", protocol=protocol)
            self.changed: set[bytes] = set()

        def teardown(self):
            for name in self.changed:
                differ.raw(b"CONFIG", b"SET", name, DEFAULTS[name])

        @invariant()
        def same_keys_types_and_encodings(self):
            """After every step each key has the same type, encoding and size on both servers."""
            for key in (b"a", b"b", b"c", b"d", b"e"):
                for command in ((b"TYPE", key), (b"OBJECT", b"ENCODING", key)):
                    ours, real = differ.raw(*command)
                    assert ours == real, f"after the last step, {command!r}:\n  ours: {ours!r}\n  real: {real!r}"
                kind = plain(differ.real2.call(b"TYPE", key))
                if kind in (b"hash", b"set"):
                    command = (b"HLEN" if kind == b"hash" else b"SCARD", key)
                    ours, real = differ.raw(*command)
                    assert ours == real, f"after the last step, {command!r}:\n  ours: {ours!r}\n  real: {real!r}"

        def _encoding(self, key: bytes) -> bytes | None:
            return plain(differ.real2.call(b"OBJECT", b"ENCODING", key))

        def _compare(self, command, protocol, unordered=False):
            ours, real = differ.raw(*command, protocol=protocol)
            if unordered:
                mode = "pairs" if command[0] == b"HGETALL" and protocol == 2 else True
                ours, real = normalize(ours, mode), normalize(real, mode)
            assert ours == real, f"RESP{protocol} {command!r}:\n  ours: {ours!r}\n  real: {real!r}"

        @rule(command=HASH_WRITES, protocol=PROTOCOLS)
        def hash_write(self, command, protocol):
            self._compare(command, protocol)

        @rule(command=HASH_WRITES, protocol=PROTOCOLS)
        def hash_write_more(self, command, protocol):
            self._compare(command, protocol)

        @rule(command=SET_WRITES, protocol=PROTOCOLS)
        def set_write(self, command, protocol):
            self._compare(command, protocol)

        @rule(command=SET_WRITES, protocol=PROTOCOLS)
        def set_write_more(self, command, protocol):
            self._compare(command, protocol)

        @rule(command=READS, protocol=PROTOCOLS)
        def read(self, command, protocol):
            self._compare(command, protocol)

        @rule(command=KEYSPACE, protocol=PROTOCOLS)
        def keyspace(self, command, protocol):
            self._compare(command, protocol)

        @rule(command=UNORDERED, protocol=PROTOCOLS)
        def unordered(self, command, protocol):
            compact = command[0] in ORDER_IF_COMPACT and self._encoding(command[1]) in (b"listpack", b"intset")
            self._compare(command, protocol, unordered=not compact)

        @rule(key=KEYS, count=COUNTS, withvalues=st.booleans(), which=st.integers(0, 3), protocol=PROTOCOLS)
        def random_read(self, key, count, withvalues, which, protocol):
            command = ((b"SRANDMEMBER", key), (b"SRANDMEMBER", key, count), (b"HRANDFIELD", key),
                       (b"HRANDFIELD", key, count) + ((b"WITHVALUES",) if withvalues else ()))[which]
            ours, real = differ.raw(*command, protocol=protocol)
            same = ours.kind == real.kind if ours.kind == "$" else _length(ours) == _length(real)
            assert same, f"RESP{protocol} {command!r}:\n  ours: {ours!r}\n  real: {real!r}"

        @initialize(hashes=st.lists(PAIRS, min_size=2, max_size=2),
                    sets=st.lists(st.lists(MEMBERS, min_size=1, max_size=8), min_size=2, max_size=2),
                    settings_=st.lists(CONFIGS, max_size=2))
        def seed(self, hashes, sets, settings_):
            """Start from two hashes and two sets (random contents), so most steps meet data,
            sometimes with lowered encoding limits."""
            for setting in settings_:
                self.config(setting)
            for key, pairs in zip((b"a", b"b"), hashes):
                self._compare((b"HSET", key) + tuple(x for pair in pairs for x in pair), 2)
            for key, members in zip((b"d", b"e"), sets):
                self._compare((b"SADD", key) + tuple(members), 2)

        @rule(key=SKEYS, extra=st.sampled_from([None, None, None, 0, 2]), protocol=PROTOCOLS)
        def spop(self, key, extra, protocol):
            size = plain(differ.real2.call(b"SCARD", key))
            if isinstance(size, Exception):
                self._compare((b"SPOP", key, b"1"), protocol)
                return
            if extra is None:
                if size > 1:
                    return self._compare((b"SPOP", key, b"0"), protocol)
                return self._compare((b"SPOP", key), protocol)
            intset = self._encoding(key) == b"intset"
            self._compare((b"SPOP", key, b"%d" % (size + extra)), protocol, unordered=not intset)

        @rule(command=st.sampled_from([b"HSCAN", b"SSCAN"]), key=KEYS, options=SCAN_OPTIONS)
        def scan(self, command, key, options):
            results = []
            for port in (differ.ours_port, differ.real_port):
                found = []
                with RawConnection(port) as conn:
                    cursor = b"0"
                    for _ in range(10000):
                        reply = plain(conn.call(command, key, cursor, *options))
                        if isinstance(reply, Exception):
                            found = str(reply)
                            break
                        cursor, items = reply
                        found.extend(zip(items[::2], items[1::2]) if command == b"HSCAN" else items)
                        if cursor == b"0":
                            break
                results.append(sorted(found) if isinstance(found, list) else found)
            assert results[0] == results[1], f"{command!r} {key!r} {options!r}:\n  ours: {results[0]!r}\n  real: {results[1]!r}"

        @rule(setting=CONFIGS)
        def config(self, setting):
            name, value = setting
            self.changed.add(name)
            ours, real = differ.raw(b"CONFIG", b"SET", name, value)
            assert ours == real

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=30,  # ~30 round trips per step (the invariant): keep the suite in minutes
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
