"""Random sequences of sorted-set commands, sent to Trireme and to real Redis 7.0.

A Hypothesis state machine (the pattern of test_state_machine.py): each step sends one
generated command to both servers on the RESP2 or the RESP3 connection pair and the replies
must be equal, error texts included. ``zset-max-listpack-entries`` is lowered to 5 (and a
70-byte member passes ``zset-max-listpack-value``) so that sets convert to skiplist often.

What is compared loosely, by design:

* ZSCAN of a skiplist walks hash buckets: sent with a COUNT larger than any set (one call
  answers everything, cursor 0) and its pairs compared as a set;
* ZRANDMEMBER with a negative count: only the reply's shape and length;
* BYLEX on a skiplist whose scores differ is unspecified (Redis's answer depends on its
  random skiplist levels): such replies are compared only while the key is a listpack.
  Keys ``L1``/``L2`` only ever hold score 0, so BYLEX on skiplists is exercised there.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from tests.support.rawconn import Reply

KEYS = [b"z1", b"z2", b"{t}3", b"s"]
LEX_KEYS = [b"L1", b"L2"]
KEY = st.sampled_from(KEYS)
LEX_KEY = st.sampled_from(LEX_KEYS)
MEMBER = st.sampled_from([b"a", b"b", b"c", b"d", b"e", b"f", b"", b"aa", b"\x00", b"m" * 70])
SCORE = st.sampled_from([b"0", b"1", b"-1", b"1.5", b"2", b"2", b"3", b"inf", b"-inf", b"-0", b"1e17", b"0.1",
                         b"x", b"nan", b"0x10"])
BOUND = st.sampled_from([b"-inf", b"+inf", b"0", b"(0", b"1", b"(1", b"2", b"(2", b"1.5", b"x", b"(inf", b""])
LEX_BOUND = st.sampled_from([b"-", b"+", b"[a", b"(a", b"[b", b"(c", b"[e", b"[", b"(", b"x", b"[aa"])
INDEX = st.sampled_from([b"0", b"1", b"-1", b"2", b"-2", b"5", b"-10", b"x"])
COUNT = st.sampled_from([b"1", b"2", b"3", b"0", b"10", b"-1", b"x"])
ZADD_FLAGS = st.sampled_from([(), (b"NX",), (b"XX",), (b"CH",), (b"GT",), (b"LT",), (b"INCR",), (b"XX", b"GT"),
                              (b"NX", b"INCR"), (b"GT", b"CH"), (b"LT", b"INCR"), (b"NX", b"XX"), (b"GT", b"LT")])
LIMIT = st.sampled_from([(), (b"LIMIT", b"0", b"2"), (b"LIMIT", b"1", b"-1"), (b"LIMIT", b"-1", b"1"), (b"LIMIT", b"x", b"1")])
WITHSCORES = st.sampled_from([(), (b"WITHSCORES",)])
REV = st.sampled_from([(), (b"REV",)])
AGG = st.sampled_from([(), (b"AGGREGATE", b"SUM"), (b"AGGREGATE", b"MIN"), (b"AGGREGATE", b"MAX")])
WEIGHT = st.sampled_from([b"1", b"2", b"-1", b"0", b"0.5", b"inf"])


def _cmd(*parts):
    return st.tuples(*(p if isinstance(p, st.SearchStrategy) else st.just(p) for p in parts))


def _flat(*alternatives):
    def flatten(t):
        out = []
        for part in t:
            if isinstance(part, tuple):
                out.extend(flatten(part))
            else:
                out.append(part)
        return tuple(out)

    return st.one_of(*alternatives).map(flatten)


def _keys(n_min=1, n_max=3):
    return st.lists(KEY, min_size=n_min, max_size=n_max).map(lambda ks: (b"%d" % len(ks), *ks))


def _weighted_keys():
    return st.lists(st.tuples(KEY, WEIGHT), min_size=1, max_size=3).map(
        lambda kw: (b"%d" % len(kw), *(k for k, _ in kw), b"WEIGHTS", *(w for _, w in kw)))


PAIRS = st.lists(st.tuples(SCORE, MEMBER), min_size=1, max_size=3).map(lambda ps: tuple(x for p in ps for x in p))

COMMANDS = _flat(
    _cmd(b"ZADD", KEY, ZADD_FLAGS, PAIRS),
    _cmd(b"ZADD", KEY, ZADD_FLAGS, SCORE, MEMBER),
    _cmd(b"ZINCRBY", KEY, SCORE, MEMBER),
    _cmd(b"ZREM", KEY, MEMBER, MEMBER),
    _cmd(b"ZSCORE", KEY, MEMBER),
    _cmd(b"ZMSCORE", KEY, MEMBER, MEMBER),
    _cmd(b"ZCARD", KEY),
    _cmd(b"ZRANK", KEY, MEMBER),
    _cmd(b"ZREVRANK", KEY, MEMBER),
    _cmd(b"ZCOUNT", KEY, BOUND, BOUND),
    _cmd(b"ZRANGE", KEY, INDEX, INDEX, REV, WITHSCORES),
    _cmd(b"ZRANGE", KEY, BOUND, BOUND, b"BYSCORE", REV, LIMIT, WITHSCORES),
    _cmd(b"ZRANGEBYSCORE", KEY, BOUND, BOUND, WITHSCORES, LIMIT),
    _cmd(b"ZREVRANGEBYSCORE", KEY, BOUND, BOUND, LIMIT, WITHSCORES),
    _cmd(b"ZREVRANGE", KEY, INDEX, INDEX, WITHSCORES),
    _cmd(b"ZREMRANGEBYRANK", KEY, INDEX, INDEX),
    _cmd(b"ZREMRANGEBYSCORE", KEY, BOUND, BOUND),
    _cmd(b"ZPOPMIN", KEY),
    _cmd(b"ZPOPMAX", KEY, COUNT),
    _cmd(b"ZMPOP", _keys(), st.sampled_from([b"MIN", b"MAX"]), st.sampled_from([(), (b"COUNT", b"2"), (b"COUNT", b"0")])),
    _cmd(b"BZPOPMIN", KEY, KEY, b"0.01"),
    _cmd(b"BZMPOP", b"0.01", _keys(), st.sampled_from([b"MIN", b"MAX"]), st.sampled_from([(), (b"COUNT", b"3")])),
    _cmd(b"ZUNIONSTORE", KEY, _keys(), AGG),
    _cmd(b"ZINTERSTORE", KEY, _weighted_keys(), AGG),
    _cmd(b"ZDIFFSTORE", KEY, _keys()),
    _cmd(b"ZUNION", _weighted_keys(), AGG, WITHSCORES),
    _cmd(b"ZINTER", _keys(), AGG, WITHSCORES),
    _cmd(b"ZDIFF", _keys(), WITHSCORES),
    _cmd(b"ZINTERCARD", _keys(), st.sampled_from([(), (b"LIMIT", b"1"), (b"LIMIT", b"0")])),
    _cmd(b"ZRANGESTORE", KEY, KEY, INDEX, INDEX, REV),
    _cmd(b"ZRANGESTORE", KEY, KEY, BOUND, BOUND, b"BYSCORE", LIMIT),
    _cmd(b"ZRANDMEMBER", KEY, b"100", WITHSCORES),
    _cmd(b"ZRANDMEMBER", KEY, b"-3", WITHSCORES),
    _cmd(b"ZSCAN", KEY, b"0", b"COUNT", b"1000"),
    _cmd(b"OBJECT", b"ENCODING", KEY),
    _cmd(b"TYPE", KEY),
    _cmd(b"DEL", KEY),
    _cmd(b"SET", b"s", b"v"),
    _cmd(b"SADD", b"s", MEMBER, MEMBER),
    _cmd(b"COPY", KEY, KEY, b"REPLACE"),
    _cmd(b"ZRANGEBYLEX", KEY, LEX_BOUND, LEX_BOUND, LIMIT),
    _cmd(b"ZLEXCOUNT", KEY, LEX_BOUND, LEX_BOUND),
    # Score-0-only keys: BYLEX on both encodings.
    _cmd(b"ZADD", LEX_KEY, b"0", MEMBER, b"0", MEMBER),
    _cmd(b"ZREM", LEX_KEY, MEMBER),
    _cmd(b"ZRANGEBYLEX", LEX_KEY, LEX_BOUND, LEX_BOUND, LIMIT),
    _cmd(b"ZREVRANGEBYLEX", LEX_KEY, LEX_BOUND, LEX_BOUND, LIMIT),
    _cmd(b"ZRANGE", LEX_KEY, LEX_BOUND, LEX_BOUND, b"BYLEX", REV, LIMIT),
    _cmd(b"ZLEXCOUNT", LEX_KEY, LEX_BOUND, LEX_BOUND),
    _cmd(b"ZREMRANGEBYLEX", LEX_KEY, LEX_BOUND, LEX_BOUND),
    _cmd(b"ZRANGESTORE", LEX_KEY, LEX_KEY, LEX_BOUND, LEX_BOUND, b"BYLEX", REV, LIMIT),
    _cmd(b"OBJECT", b"ENCODING", LEX_KEY),
)

GENERAL_LEX = {b"ZRANGEBYLEX", b"ZLEXCOUNT"}


def _scan_pairs(reply: Reply):
    if reply.kind != "*":
        return reply
    cursor, items = reply.value
    values = [i.value for i in items.value]
    return cursor, sorted(zip(values[::2], values[1::2]))


def _shape(reply: Reply):
    if reply.kind != "*":
        return reply
    return reply.kind, len(reply.value), tuple(sorted({item.kind for item in reply.value}))


def test_random_zset_commands(differ):
    clients = [differ.client("ours"), differ.client("real")]
    saved = [c.config_get("zset-max-listpack-entries")["zset-max-listpack-entries"] for c in clients]
    for c in clients:
        c.config_set("zset-max-listpack-entries", 5)

    class Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            for protocol in (2, 3):
                differ.raw(b"FLUSHALL", protocol=protocol)

        @rule(command=COMMANDS, protocol=st.sampled_from([2, 3]))
        def send(self, command, protocol):
            name = command[0]
            if name in GENERAL_LEX and command[1] in KEYS:
                enc = differ.raw(b"OBJECT", b"ENCODING", command[1])
                if enc[1] == Reply("$", b"skiplist"):
                    return  # unspecified on a skiplist with mixed scores
            ours, real = differ.raw(*command, protocol=protocol)
            if name == b"ZSCAN":
                ours, real = _scan_pairs(ours), _scan_pairs(real)
            elif name == b"ZRANDMEMBER" and command[2] == b"-3":
                ours, real = _shape(ours), _shape(real)
            assert ours == real, f"RESP{protocol} {command!r}:\n  ours: {ours!r}\n  real: {real!r}"
            if name not in (b"OBJECT", b"TYPE") and command[1] in KEYS + LEX_KEYS:
                ours, real = differ.raw(b"OBJECT", b"ENCODING", command[1])
                assert ours == real, f"encoding after {command!r}:\n  ours: {ours!r}\n  real: {real!r}"

    try:
        run_state_machine_as_test(
            Machine,
            settings=settings(
                max_examples=80,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            ),
        )
    finally:
        for c, value in zip(clients, saved):
            c.config_set("zset-max-listpack-entries", value)
