"""Pub/sub against real Redis 7.0, on raw connections in RESP2 and RESP3.

Each scenario is a list of steps run on both servers with fresh connections: a step sends one
command on a named connection and reads a given number of replies (subscribe-type commands
answer one message per channel), or only reads (messages pushed to a subscriber). The whole
transcript of typed replies must be equal. Channel names carry a per-scenario prefix so the
shared servers' other connections never interfere.
"""

from __future__ import annotations

import itertools

import pytest

from tests.support.rawconn import RawConnection

_ids = itertools.count()


def _run(port: int, proto: int, steps, prefix: bytes) -> list:
    conns: dict[str, RawConnection] = {}
    transcript = []
    try:
        for step in steps:
            name, args, n = step
            conn = conns.get(name)
            if conn is None:
                conn = conns[name] = RawConnection(port)
                if proto == 3:
                    assert conn.call(b"HELLO", b"3").kind != "-"
            args = [a.replace(b"@", prefix) if isinstance(a, bytes) else a for a in args]
            if args:
                conn.send(*args)
            for _ in range(n):
                transcript.append((name, conn.read_reply()))
        # Nothing more pending on any connection (a stray message would show here).
        for name, conn in conns.items():
            transcript.append((name, conn.call(b"PING")))
    finally:
        for conn in conns.values():
            conn.close()
    return transcript


def _compare(ours_server, real_server, steps, protos=(2, 3)) -> None:
    for proto in protos:
        prefix = b"ps%d:" % next(_ids)
        ours = _run(ours_server.port, proto, steps, prefix)
        real = _run(real_server.port, proto, steps, prefix)
        assert ours == real, f"RESP{proto}"


def S(*words, n=1, on="sub"):  # noqa: N802
    return (on, [w.encode() if isinstance(w, str) else w for w in words], n)


SCENARIOS = {
    "subscribe_publish": [
        S("SUBSCRIBE", "@a", "@b", "@a", n=3),
        S("PUBLISH", "@a", "hello", on="pub"),
        S(n=1),
        S("PUBLISH", "@b", "", on="pub"),
        S(n=1),
        S("PUBLISH", "@zzz", "x", on="pub"),
        S("UNSUBSCRIBE", "@a", n=1),
        S("PUBLISH", "@a", "gone", on="pub"),
        S("UNSUBSCRIBE", n=1),
        S("UNSUBSCRIBE", n=1),
    ],
    "unsubscribe_without_subscriptions": [
        S("UNSUBSCRIBE"),
        S("PUNSUBSCRIBE"),
        S("SUNSUBSCRIBE"),
        S("UNSUBSCRIBE", "@nope"),
        S("PUNSUBSCRIBE", "@nope*", "@x"  , n=2),
        S("SUNSUBSCRIBE", "@nope"),
        S("GET", "k"),
    ],
    "patterns": [
        # Redis walks patterns in hash order: each publish here matches one pattern only.
        S("PSUBSCRIBE", "@news.*", "@o?d.[a-c]*", n=2),
        S("SUBSCRIBE", "@news.art", n=1),
        S("PUBLISH", "@news.art", "m1", on="pub"),
        S(n=2),
        S("PUBLISH", "@old.b", "m1b", on="pub"),
        S(n=1),
        S("PUBLISH", "@old.d", "m1d", on="pub"),
        S("PUBLISH", "@news.zoo", "m2", on="pub"),
        S(n=1),
        S("PUBSUB", "NUMPAT", on="pub"),
        S("PUNSUBSCRIBE", "@news.*", n=1),
        S("PUBLISH", "@news.zoo", "m3", on="pub"),
        S("PUNSUBSCRIBE", n=1),
        S("UNSUBSCRIBE", n=1),
    ],
    "shard": [
        S("SSUBSCRIBE", "@s1", "@s2", n=2),
        S("SPUBLISH", "@s1", "hi", on="pub"),
        S(n=1),
        S("PUBLISH", "@s1", "not shard", on="pub"),
        S("PUBSUB", "SHARDNUMSUB", "@s1", "@s2", "@s3", on="pub"),
        S("SUBSCRIBE", "@c", n=1),
        S("UNSUBSCRIBE", n=1),
        S("GET", "k"),  # still in subscriber context: the shard channels remain
        S("SUNSUBSCRIBE", "@s1", n=1),
        S("SUNSUBSCRIBE", n=1),
        S("SPUBLISH", "@s2", "x", on="pub"),
    ],
    "subscriber_context": [
        S("SUBSCRIBE", "@a"),
        S("GET", "k"),
        S("SET", "k", "v"),
        S("PING"),
        S("PING", "msg"),
        S("MULTI"),
        S("SSUBSCRIBE", "@x"),
        S("PUNSUBSCRIBE"),
        S("UNSUBSCRIBE", "@a"),
        S("SUNSUBSCRIBE", "@x"),
        S("PING"),
        S("GET", "k"),
    ],
    "reset_and_publish_counts": [
        S("SUBSCRIBE", "@a"),
        S("PSUBSCRIBE", "@*"),
        S("PSUBSCRIBE", "@*", on="other"),
        S("PUBLISH", "@a", "x", on="pub"),
        S(n=2),
        S(n=1, on="other"),
        S("PUBSUB", "NUMSUB", "@a", on="pub"),
        S("PUBSUB", "NUMPAT", on="pub"),
        S("RESET"),
        S("PUBSUB", "NUMSUB", "@a", on="pub"),
        S("PUBLISH", "@a", "y", on="pub"),
        S(n=1, on="other"),
        S("GET", "k"),
    ],
    "pubsub_introspection": [
        S("SUBSCRIBE", "@one", "@two", "@three", n=3),
        S("SSUBSCRIBE", "@shard", n=1),
        S("PUBSUB", "CHANNELS", "@tw*", on="pub"),
        S("PUBSUB", "CHANNELS", "@o[n]e", on="pub"),
        S("PUBSUB", "SHARDCHANNELS", "@*", on="pub"),
        S("PUBSUB", "NUMSUB", on="pub"),
        S("PUBSUB", "SHARDNUMSUB", on="pub"),
        S("PUBSUB", "CHANNELS", "a", "b", on="pub"),
        S("PUBSUB", "SHARDCHANNELS", "a", "b", on="pub"),
        S("PUBSUB", "NUMPAT", "x", on="pub"),
        S("PUBSUB", "FOO", on="pub"),
        S("PUBSUB", on="pub"),
        S("PUBSUB", "HELP", on="pub"),
        S("PUBLISH", "@one", on="pub"),
        S("SUBSCRIBE"),
        S("SSUBSCRIBE"),
        S("PSUBSCRIBE"),
    ],
    "client_reply_off_still_sends_subscribe_messages": [
        S("CLIENT", "REPLY", "OFF", n=0),
        S("SUBSCRIBE", "@a", "@b", n=2),
        S("PSUBSCRIBE", "@p*", n=1),
        S("CLIENT", "REPLY", "ON", n=1),  # run in RESP3 only (RESP2 refuses it in this context)
        S("PUBLISH", "@a", "m", on="pub"),
        S(n=1),
        S("UNSUBSCRIBE", "@a", "@b", n=2),  # without arguments the order is Redis's hash order
        S("PUNSUBSCRIBE", n=1),
    ],
    "publish_to_self": [
        S("SUBSCRIBE", "@me"),
        S("PUBLISH", "@me", "x"),
    ],
    # EXEC's array counts one element per command, but SUBSCRIBE of two channels writes two
    # confirmations inside it, after the array header (so the second reads as a reply of its own).
    "subscribe_inside_exec": [
        S("MULTI"),
        S("SUBSCRIBE", "@a", "@b"),
        S("EXEC", n=2),
        S("PUBLISH", "@b", "m", on="pub"),
        S(n=1),
    ],
    # RESP3: a message a transaction publishes to its own client comes inside EXEC's array,
    # before PUBLISH's count.
    "publish_to_self_inside_exec": [
        S("SUBSCRIBE", "@me"),
        S("MULTI"),
        S("PUBLISH", "@me", "x"),
        S("PING"),
        S("EXEC", n=2),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_pubsub_scenarios(ours_server, real_server, name):
    steps = SCENARIOS[name]
    if name == "publish_to_self":
        # RESP2 refuses PUBLISH in subscriber context; RESP3 answers the message then the count.
        _compare(ours_server, real_server, steps, protos=(2,))
        _compare(ours_server, real_server, steps[:1] + [("sub", steps[1][1], 2)], protos=(3,))
        return
    if name.startswith("client_reply_off") or name == "publish_to_self_inside_exec":
        _compare(ours_server, real_server, steps, protos=(3,))
        return
    _compare(ours_server, real_server, steps)


def test_client_list_sub_fields(ours_server, real_server):
    def fields(port):
        with RawConnection(port) as conn:
            conn.send(b"SUBSCRIBE", b"cl:a", b"cl:b")
            conn.read_reply(), conn.read_reply()
            conn.send(b"PSUBSCRIBE", b"cl:*")
            conn.read_reply()
            conn.send(b"SSUBSCRIBE", b"cl:s")
            conn.read_reply()
            with RawConnection(port) as other:
                line = other.call(b"CLIENT", b"LIST", b"TYPE", b"pubsub").value
            for entry in line.decode().splitlines():
                parts = dict(f.split("=", 1) for f in entry.split(" "))
                if parts["cmd"] == "ssubscribe":
                    return {k: parts[k] for k in ("flags", "sub", "psub", "ssub")}
        return None

    assert fields(ours_server.port) == fields(real_server.port) == {
        "flags": "P", "sub": "2", "psub": "1", "ssub": "1"}


def test_info_stats(ours_server, real_server):
    def stats(port):
        with RawConnection(port) as conn, RawConnection(port) as info:
            before = _info_counts(info)
            conn.send(b"SUBSCRIBE", b"is:a", b"is:b")
            conn.read_reply(), conn.read_reply()
            conn.send(b"PSUBSCRIBE", b"is:*")
            conn.read_reply()
            conn.send(b"SSUBSCRIBE", b"is:s")
            conn.read_reply()
            after = _info_counts(info)
            return [a - b for a, b in zip(after, before)]

    assert stats(ours_server.port) == stats(real_server.port) == [2, 1, 1]


def _info_counts(conn) -> list[int]:
    text = conn.call(b"INFO", b"stats").value.decode()
    values = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return [int(values[k]) for k in ("pubsub_channels", "pubsub_patterns", "pubsubshard_channels")]
