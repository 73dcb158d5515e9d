"""Random sequences of list commands (and a few key commands), sent to Trireme and to real Redis.

A Hypothesis state machine (the pattern of ``test_state_machine.py``): each step sends one
generated command to both servers, on the RESP2 or the RESP3 connection pair, and the
replies must be equal (error texts and null shapes included); after every step each key must
have the same type, encoding and, for a list, the same contents on both servers. Lists live
on ``a``/``b``/``c``; ``s`` is sometimes a string so WRONGTYPE comes up, and moves between
keys (LMOVE, RPOPLPUSH, RENAME, COPY) mix them. Elements include integers at the 64-bit
edges, the empty string and a long one. Blocking commands are sent with a 10 ms timeout (they
serve at once when they can, else both servers time out with the same reply), and some steps
run a few commands inside MULTI/EXEC, where blocking commands answer at once.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.support.rawconn import plain

ALL_KEYS = (b"a", b"b", b"c", b"s")
KEYS = st.sampled_from([b"a", b"b", b"c", b"a", b"b", b"s"])
ELEMENTS = st.sampled_from([b"x", b"y", b"z", b"1", b"-1", b"", b"01", b"9223372036854775807",
                            b"-9223372036854775808", b"9223372036854775808", b"e" * 80])
INDEXES = st.sampled_from([b"0", b"1", b"2", b"-1", b"-2", b"-3", b"5", b"-10", b"100", b"x"])
COUNTS = st.sampled_from([b"0", b"1", b"2", b"3", b"-1", b"-2", b"10", b"x"])
POP_COUNTS = st.sampled_from([(), (), (b"0",), (b"1",), (b"2",), (b"10",), (b"-1",), (b"x",)])
ENDS = st.sampled_from([b"LEFT", b"RIGHT", b"left", b"right", b"UP"])
TIMEOUT = b"0.01"
LPOS_OPTIONS = st.lists(st.sampled_from([
    (b"RANK", b"1"), (b"RANK", b"2"), (b"RANK", b"-1"), (b"RANK", b"-2"), (b"RANK", b"0"),
    (b"COUNT", b"0"), (b"COUNT", b"1"), (b"COUNT", b"2"), (b"MAXLEN", b"2"), (b"MAXLEN", b"0"),
    (b"COUNT", b"-1"),
]), max_size=3)
PROTOCOLS = st.sampled_from([2, 3])


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


ELEMENT_LISTS = st.lists(ELEMENTS, min_size=1, max_size=4)

WRITES = _flat(
    _cmd(b"LPUSH", KEYS, ELEMENT_LISTS),
    _cmd(b"RPUSH", KEYS, ELEMENT_LISTS),
    _cmd(b"RPUSH", KEYS, ELEMENT_LISTS),
    _cmd(b"LPUSHX", KEYS, ELEMENT_LISTS),
    _cmd(b"RPUSHX", KEYS, ELEMENT_LISTS),
    _cmd(b"LPOP", KEYS, POP_COUNTS),
    _cmd(b"RPOP", KEYS, POP_COUNTS),
    _cmd(b"LSET", KEYS, INDEXES, ELEMENTS),
    _cmd(b"LTRIM", KEYS, INDEXES, INDEXES),
    _cmd(b"LREM", KEYS, COUNTS, ELEMENTS),
    _cmd(b"LINSERT", KEYS, st.sampled_from([b"BEFORE", b"AFTER", b"after", b"MIDDLE"]), ELEMENTS, ELEMENTS),
    _cmd(b"LMOVE", KEYS, KEYS, ENDS, ENDS),
    _cmd(b"RPOPLPUSH", KEYS, KEYS),
    _cmd(b"LMPOP", b"2", KEYS, KEYS, ENDS, st.sampled_from([(), (b"COUNT", b"2"), (b"COUNT", b"0")])),
    _cmd(b"LMPOP", b"1", KEYS, ENDS),
)
BLOCKING = _flat(
    _cmd(b"BLPOP", KEYS, TIMEOUT),
    _cmd(b"BRPOP", KEYS, KEYS, TIMEOUT),
    _cmd(b"BLMOVE", KEYS, KEYS, ENDS, ENDS, TIMEOUT),
    _cmd(b"BRPOPLPUSH", KEYS, KEYS, TIMEOUT),
    _cmd(b"BLMPOP", TIMEOUT, b"2", KEYS, KEYS, ENDS, st.sampled_from([(), (b"COUNT", b"3")])),
)
READS = _flat(
    _cmd(b"LLEN", KEYS),
    _cmd(b"LINDEX", KEYS, INDEXES),
    _cmd(b"LRANGE", KEYS, INDEXES, INDEXES),
    _cmd(b"LPOS", KEYS, ELEMENTS, LPOS_OPTIONS),
    _cmd(b"TYPE", KEYS),
    _cmd(b"OBJECT", b"ENCODING", KEYS),
)
KEYSPACE = _flat(
    _cmd(b"SET", KEYS, ELEMENTS),
    _cmd(b"DEL", KEYS),
    _cmd(b"COPY", KEYS, KEYS, st.sampled_from([(), (b"REPLACE",)])),
    _cmd(b"RENAME", KEYS, KEYS),
    _cmd(b"EXISTS", KEYS, KEYS),
)
IN_MULTI = st.one_of(WRITES, BLOCKING, READS)


def test_random_list_commands(differ):
    class Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            for protocol in (2, 3):
                differ.raw(b"FLUSHALL", protocol=protocol)

        def compare(self, command, protocol):
            ours, real = differ.raw(*command, protocol=protocol)
            assert ours == real, f"RESP{protocol} {command!r}:\n  ours: {ours!r}\n  real: {real!r}"

        @invariant()
        def same_keys(self):
            """After every step each key has the same type, encoding and contents on both servers."""
            for key in ALL_KEYS:
                for command in ((b"TYPE", key), (b"OBJECT", b"ENCODING", key)):
                    ours, real = differ.raw(*command)
                    assert ours == real, f"after the last step, {command!r}:\n  ours: {ours!r}\n  real: {real!r}"
                if plain(differ.real2.call(b"TYPE", key)) == b"list":
                    ours, real = differ.raw(b"LRANGE", key, b"0", b"-1")
                    assert ours == real, f"after the last step, {key!r}:\n  ours: {ours!r}\n  real: {real!r}"

        @rule(command=WRITES, protocol=PROTOCOLS)
        def write(self, command, protocol):
            self.compare(command, protocol)

        @rule(command=WRITES, protocol=PROTOCOLS)
        def write_more(self, command, protocol):
            self.compare(command, protocol)

        @rule(command=BLOCKING, protocol=PROTOCOLS)
        def blocking(self, command, protocol):
            self.compare(command, protocol)

        @rule(command=READS, protocol=PROTOCOLS)
        def read(self, command, protocol):
            self.compare(command, protocol)

        @rule(command=KEYSPACE, protocol=PROTOCOLS)
        def keyspace(self, command, protocol):
            self.compare(command, protocol)

        @rule(commands=st.lists(IN_MULTI, min_size=1, max_size=4), protocol=PROTOCOLS)
        def transaction(self, commands, protocol):
            self.compare((b"MULTI",), protocol)
            for command in commands:
                self.compare(command, protocol)
            self.compare((b"EXEC",), protocol)

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
