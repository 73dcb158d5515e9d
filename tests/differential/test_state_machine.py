"""Random sequences of string, key and expiry commands, sent to Trireme and to real Redis.

A Hypothesis state machine (fakeredis's ``test_hypothesis`` idea): each step sends one
generated command to both servers, on the RESP2 or the RESP3 connection pair, and the
replies must be equal (error texts included). Keys come from a small set so that commands
collide; values include numbers at the 64-bit edges. TTLs are compared by sign only
(``-2``/``-1``/positive): the two servers cannot read their clocks at the same instant.
A failure prints the shortest sequence Hypothesis found.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from tests.support.rawconn import Reply

KEYS = st.sampled_from([b"a", b"b", b"c", b"{t}1", b"{t}2"])
VALUES = st.sampled_from(
    [b"", b"0", b"1", b"-1", b"10", b"x", b"hello", b"3.5", b"1e3", b"abc def",
     b"9223372036854775807", b"-9223372036854775808", b"18446744073709551616"]
)
INTS = st.sampled_from([b"0", b"1", b"-1", b"7", b"100", b"-5", b"9223372036854775807", b"x", b"1.5", b""])
FLOATS = st.sampled_from([b"0", b"1.5", b"-0.25", b"1e2", b"x", b"inf", b"3.0e3", b"10"])
OFFSETS = st.sampled_from([b"0", b"1", b"3", b"-1", b"-3", b"100", b"x"])
TTL_SECONDS = st.sampled_from([b"1000", b"5000", b"-1", b"0", b"x", b"9223372036854775807"])
EXPIRE_FLAGS = st.sampled_from([(), (b"NX",), (b"XX",), (b"GT",), (b"LT",), (b"NX", b"XX")])


def _cmd(*parts):
    return st.tuples(*(p if isinstance(p, st.SearchStrategy) else st.just(p) for p in parts))


def _flat(*alternatives):
    return st.one_of(*alternatives).map(lambda t: tuple(x for part in t for x in (part if isinstance(part, tuple) else (part,))))


SET_OPTIONS = st.sampled_from(
    [(), (b"NX",), (b"XX",), (b"GET",), (b"KEEPTTL",), (b"EX", b"1000"), (b"PX", b"100000"),
     (b"NX", b"GET"), (b"XX", b"KEEPTTL"), (b"EX", b"0"), (b"EX", b"x"), (b"NX", b"XX"), (b"EX", b"10", b"PX", b"10")]
)

COMMANDS = _flat(
    _cmd(b"SET", KEYS, VALUES, SET_OPTIONS),
    _cmd(b"GET", KEYS),
    _cmd(b"GETDEL", KEYS),
    _cmd(b"GETSET", KEYS, VALUES),
    _cmd(b"GETEX", KEYS, st.sampled_from([(), (b"PERSIST",), (b"EX", b"1000"), (b"PX", b"x")])),
    _cmd(b"APPEND", KEYS, VALUES),
    _cmd(b"STRLEN", KEYS),
    _cmd(b"SETRANGE", KEYS, OFFSETS, VALUES),
    _cmd(b"GETRANGE", KEYS, OFFSETS, OFFSETS),
    _cmd(b"INCR", KEYS),
    _cmd(b"DECR", KEYS),
    _cmd(b"INCRBY", KEYS, INTS),
    _cmd(b"DECRBY", KEYS, INTS),
    _cmd(b"INCRBYFLOAT", KEYS, FLOATS),
    _cmd(b"SETNX", KEYS, VALUES),
    _cmd(b"MSET", KEYS, VALUES, KEYS, VALUES),
    _cmd(b"MSETNX", KEYS, VALUES, KEYS, VALUES),
    _cmd(b"MGET", KEYS, KEYS, KEYS),
    _cmd(b"EXISTS", KEYS, KEYS),
    _cmd(b"DEL", KEYS, KEYS),
    _cmd(b"UNLINK", KEYS),
    _cmd(b"TYPE", KEYS),
    _cmd(b"RENAME", KEYS, KEYS),
    _cmd(b"RENAMENX", KEYS, KEYS),
    _cmd(b"COPY", KEYS, KEYS, st.sampled_from([(), (b"REPLACE",)])),
    _cmd(b"EXPIRE", KEYS, TTL_SECONDS, EXPIRE_FLAGS),
    _cmd(b"PEXPIRE", KEYS, TTL_SECONDS, EXPIRE_FLAGS),
    _cmd(b"PERSIST", KEYS),
    _cmd(b"TTL", KEYS),
    _cmd(b"PTTL", KEYS),
    _cmd(b"DBSIZE"),
)

TIMING_DEPENDENT = {b"TTL", b"PTTL"}


def _sign_only(reply: Reply) -> Reply:
    if reply.kind == ":" and reply.value > 0:
        return Reply(":", "positive")
    return reply


def test_random_string_key_and_expiry_commands(differ):
    class Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            for protocol in (2, 3):
                differ.raw(b"FLUSHALL", protocol=protocol)

        @rule(command=COMMANDS, protocol=st.sampled_from([2, 3]))
        def send(self, command, protocol):
            ours, real = differ.raw(*command, protocol=protocol)
            if command[0] in TIMING_DEPENDENT:
                ours, real = _sign_only(ours), _sign_only(real)
            assert ours == real, f"RESP{protocol} {command!r}:\n  ours: {ours!r}\n  real: {real!r}"

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=150,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
