"""Client-side caching (CLIENT TRACKING) and the keymiss event against real Redis 7.0.

Each case opens named raw connections (``{"a": 3, "w": 2}``: name -> RESP version), runs its
steps (``"w SET k 1"``: connection ``w`` sends the command) and records, per step, what every
connection received: the command's own reply and anything pushed (invalidations, pub/sub
messages). Nothing is waited for blindly: after a step each connection sends a sentinel
(``CLIENT GETNAME``, or ``PING`` in a RESP2 subscriber) and everything before its reply is
what it received (invalidations are sent while the writing command runs, BCAST ones at the
end of the event-loop round, both before a sentinel sent after the reply). The transcript
must equal the real server's.

Step forms: ``"~w ..."`` maps client ids in that step's output to names (``{a}`` in a step
is the id of connection ``a``); ``"@close r"`` closes ``r``; ``"@expired n"`` polls DBSIZE
until it is ``n`` (active expiry); ``"@after 0.2"`` waits until 0.2 s have passed since the
previous step (a TTL running out).
"""

from __future__ import annotations

import shlex
import time

import pytest

from tests.support.rawconn import RawConnection, Reply
from tests.support.wait import wait_for


class Conn:
    def __init__(self, port: int, name: str, proto: int):
        self.raw = RawConnection(port)
        self.name = name
        self.proto = proto
        self.subscribed = False
        self.in_multi = False
        if proto == 3:
            self.raw.call(b"HELLO", b"3")
        self.raw.call(b"CLIENT", b"SETNAME", b"sentinel-" + name.encode())
        self.id = self.raw.call(b"CLIENT", b"ID").value

    def reply_then_rest(self) -> list[Reply]:
        """The reply of the command just sent (after any pushes before it), then the rest."""
        out = []
        while True:
            reply = self.raw.read_reply()
            out.append(reply)
            if reply.kind != ">" or self.subscribed:
                break
        return out + self.rest()

    def rest(self) -> list[Reply]:
        """Everything received before the sentinel's reply."""
        if self.subscribed and self.proto == 2:
            self.raw.send(b"PING", b"sentinel")

            def done(r: Reply) -> bool:
                return r.kind == "*" and len(r.value) == 2 and r.value[0].value == b"pong"
        else:
            self.raw.send(b"CLIENT", b"GETNAME")

            def done(r: Reply) -> bool:
                return r.kind == "$" and r.value == b"sentinel-" + self.name.encode()
        out = []
        while True:
            reply = self.raw.read_reply()
            if done(reply):
                return out
            out.append(reply)


def _named_ids(reply: Reply, names: dict[int, str]) -> Reply:
    if reply.kind in ":" and reply.value in names:
        return Reply(":", names[reply.value])
    if reply.kind in "*>~" and reply.value:
        return Reply(reply.kind, tuple(_named_ids(r, names) for r in reply.value))
    if reply.kind == "%":
        return Reply("%", tuple((k, _named_ids(v, names)) for k, v in reply.value))
    return reply


def transcript(port: int, conns: dict[str, int], steps: list[str]) -> list[tuple[str, dict]]:
    cs = {name: Conn(port, name, proto) for name, proto in conns.items()}
    id_names = {c.id: f"id:{name}" for name, c in cs.items()}  # closed ones included
    admin = RawConnection(port)  # polls (DBSIZE, CLIENT LIST); receives nothing else
    admin.call(b"FLUSHALL")
    for c in cs.values():
        c.rest()
    log = []
    last_step = time.monotonic()
    try:
        for step in steps:
            got: dict[str, list] = {}
            normalize_ids = step.startswith("~")
            step = step.lstrip("~")
            name, _, rest = step.partition(" ")
            if name == "@close":
                cs.pop(rest).raw.close()
                # Poll until the server has noticed (the id is gone from CLIENT LIST).
                wait_for(lambda: b"sentinel-" + rest.encode() not in admin.call(b"CLIENT", b"LIST").value)
            elif name == "@expired":
                wait_for(lambda: admin.call(b"DBSIZE").value == int(rest))
            elif name == "@after":
                deadline = last_step + float(rest)
                wait_for(lambda: time.monotonic() >= deadline)
            else:
                conn = cs[name]
                args = [_fill(word, cs).encode() for word in shlex.split(rest)]
                conn.raw.send(*args)
                word = args[0].upper()
                if word in (b"SUBSCRIBE", b"PSUBSCRIBE"):
                    conn.subscribed = True
                if conn.in_multi or word == b"MULTI":
                    got[name] = [conn.raw.read_reply()]
                    if word == b"MULTI" and got[name][0].kind == "+":
                        conn.in_multi = True
                    elif word in (b"EXEC", b"DISCARD"):
                        conn.in_multi = False
                        got[name] += conn.rest()
                if not conn.in_multi and name not in got:
                    got[name] = conn.reply_then_rest()
            last_step = time.monotonic()
            for other, c in cs.items():
                if other not in got and not c.in_multi:
                    got[other] = c.rest()
            if normalize_ids:
                got = {n: [_named_ids(r, id_names) for r in v] for n, v in got.items()}
            log.append((step, {n: v for n, v in got.items() if v}))
    finally:
        admin.close()
        for c in cs.values():
            c.raw.close()
    return log


def _fill(word: str, cs: dict[str, Conn]) -> str:
    for name, c in cs.items():
        word = word.replace("{" + name + "}", str(c.id))
    return word


CASES: dict[str, tuple[dict[str, int], list[str]]] = {
    "default_mode": ({"a": 3, "w": 2}, [
        "a CLIENT TRACKING on", "a GET k", "w SET k 1", "w SET k 2", "a GET k", "a SET k 3",
        "a MGET m1 m2", "a EXISTS e1", "a TYPE t1", "a STRLEN s1", "w MSET m1 1 m2 2 e1 1 t1 1 s1 1",
        "a GET d", "w DEL d", "w SET d 1", "w LPUSH l x", "a GET l", "w LPUSH l y",
        "a GET o", "w SELECT 1", "w SET o 1", "w SELECT 0",
        "a LRANGE lst 0 -1", "w RPUSH lst a b", "a LLEN lst", "w LPOP lst", "a LINDEX lst 0", "w LPOP lst",
        "w SET ex 1", "a GET ex", "w EXPIRE ex 100", "a TTL ex", "w PEXPIRE ex 100000", "a GET ex",
        "w PERSIST ex", "a GET ex", "w PERSIST ex", "w EXPIRE ex 100 XX", "w EXPIRE ex -1", "a GET ex",
        "a GET c1", "a GET c2", "w SET c1 1", "w COPY c1 c2", "a GET c2", "w COPY c1 c2 REPLACE",
        "a GET mv", "w SET mv 1", "a GET mv", "w MOVE mv 1",
        "a HGET h f", "w HSET h f 1", "a SMEMBERS s", "w SADD s x", "a ZSCORE z m", "w ZADD z 1 m",
        "a GET sw", "w SET sw 1", "a GET sw", "w SWAPDB 0 1", "w SWAPDB 0 1", "w SET sw 2",
        # RENAME invalidates src, then dst (an overwritten dst once)
        "w SET rs 1", "w SET rd 1", "a GET rs", "a GET rd", "w RENAME rs rd",
        "a GET rs", "a GET rd", "w SET rs 2", "a GET rs", "w RENAMENX rs rd", "w RENAME rd rs",
    ]),
    "own_writes_after_the_reply": ({"a": 3, "w": 2}, [
        "a CLIENT TRACKING on", "a GET k", "a SET k 1", "a GET k", "a INCR k", "a GET k", "a DEL k k2",
        "a MULTI", "a GET m", "a SET m 1", "a GET m", "a EXEC",
        "a GET n", "a MULTI", "a SET n 1", "a SET n 2", "a EXEC", "a GET n",
    ]),
    "flush": ({"a": 3, "b": 2, "r": 3, "w": 2}, [
        "a CLIENT TRACKING on", "b CLIENT TRACKING on REDIRECT {r}", "a GET f", "w SET x 1",
        "w SELECT 3", "w SET y 1", "w SELECT 0", "w FLUSHALL", "a GET f", "w FLUSHDB", "a FLUSHDB",
        "a FLUSHALL", "w SET f 1", "a MULTI", "a FLUSHALL", "a FLUSHDB", "a EXEC",
    ]),
    "optin": ({"a": 3, "w": 2}, [
        "a CLIENT TRACKING on OPTIN", "a GET k", "w SET k 1", "a CLIENT CACHING yes", "~a CLIENT ID",
        "a GET k", "w SET k 2", "a CLIENT CACHING yes", "a MULTI", "a GET m1", "a GET m2", "a EXEC",
        "w MSET m1 1 m2 2", "a CLIENT CACHING yes", "a PING", "a GET k", "w SET k 3",
        "a CLIENT TRACKINGINFO", "a CLIENT CACHING yes", "a CLIENT TRACKINGINFO", "a CLIENT CACHING no",
        "a CLIENT CACHING maybe", "a CLIENT TRACKING on", "a CLIENT TRACKINGINFO",
    ]),
    "optout": ({"a": 3, "w": 2}, [
        "a CLIENT TRACKING on OPTOUT", "a GET o", "a CLIENT CACHING no", "a CLIENT TRACKINGINFO",
        "a GET o2", "a GET o3", "w MSET o 1 o2 1 o3 1", "a CLIENT CACHING yes",
        "a CLIENT TRACKING on OPTIN", "a CLIENT TRACKING off", "a CLIENT CACHING no",
    ]),
    "noloop": ({"a": 3, "w": 2}, [
        "a CLIENT TRACKING on NOLOOP", "a GET n", "a SET n 1", "w SET n 2", "a GET n", "w SET n 3",
        "a CLIENT TRACKINGINFO",
    ]),
    "bcast": ({"a": 3, "w": 2}, [
        "a CLIENT TRACKING on BCAST PREFIX p PREFIX q", "w MSET p1 1 q1 1 p2 1 x 1 p0 1",
        "w DEL p1 p2 p3", "a SET q2 1", "a MSET q3 1 p3 1", "a CLIENT TRACKINGINFO",
        "a CLIENT TRACKING on BCAST NOLOOP", "a CLIENT TRACKINGINFO", "a SET pa 1", "a MSET pa 1 pb 2",
        "w MSET pa 1 pb 2 zz 1", "a CLIENT TRACKING off", "a CLIENT TRACKING on BCAST NOLOOP",
        "a SET pa 1", "w SET zz 1", "a GET zz", "w FLUSHALL",
    ]),
    # Tracking switched on inside the transaction: its own invalidations still follow EXEC's reply.
    "enabled_inside_multi": ({"a": 3, "w": 2}, [
        "a MULTI", "a CLIENT TRACKING on", "a GET k", "a SET k 1", "a GET k", "a EXEC", "w SET k 2",
        "a CLIENT TRACKING off", "a MULTI", "a CLIENT TRACKING on", "a FLUSHALL", "a EXEC", "a PING",
    ]),
    "bcast_pipeline": ({"a": 3, "w": 2}, [
        "a CLIENT TRACKING on BCAST PREFIX k", "w MULTI", "w SET k1 1", "w SET k2 1", "w DEL k1",
        "w EXEC", "a MULTI", "a SET k3 1", "a SET k4 1", "a EXEC",
    ]),
    "redirect_resp2_subscriber": ({"t": 2, "r": 2, "w": 2}, [
        "r SUBSCRIBE __redis__:invalidate", "t CLIENT TRACKING on REDIRECT {r}", "t GET k", "t GET k2",
        "w SET k 1", "t SET k2 1", "w FLUSHALL", "~t CLIENT GETREDIR", "~t CLIENT TRACKINGINFO",
    ]),
    "redirect_resp3_tracker_to_resp2": ({"t": 3, "r": 2, "w": 2}, [
        "r SUBSCRIBE __redis__:invalidate", "t CLIENT TRACKING on REDIRECT {r}", "t GET k", "w SET k 1",
        "w FLUSHALL", "t FLUSHALL",
    ]),
    "redirect_resp2_tracker_to_resp3": ({"t": 2, "r": 3, "w": 2}, [
        "t CLIENT TRACKING on REDIRECT {r}", "t GET k", "w SET k 1", "t GET k", "t SET k 2", "w FLUSHALL",
    ]),
    "bcast_redirect": ({"t": 2, "r": 2, "w": 2}, [
        "r SUBSCRIBE __redis__:invalidate", "t CLIENT TRACKING on BCAST REDIRECT {r} PREFIX a PREFIX b",
        "w MSET a1 1 b1 1 a2 1 c1 1", "t MSET a3 1 b3 1", "w FLUSHDB", "~t CLIENT TRACKINGINFO",
    ]),
    "redirect_not_subscribed": ({"t": 2, "r": 2, "w": 2}, [
        "t CLIENT TRACKING on REDIRECT {r}", "t GET k", "w SET k 1", "w FLUSHALL", "t CLIENT TRACKING on",
        "t GET k", "w SET k 2",
    ]),
    "redirect_broken": ({"t": 3, "r": 3, "w": 2}, [
        "t CLIENT TRACKING on REDIRECT {r}", "t GET k", "@close r", "~w SET k 1", "~t CLIENT TRACKINGINFO",
        "t GET k", "~w SET k 2", "t GET k", "~t SET k 3", "~w FLUSHALL",
    ]),
    "redirect_broken_resp2": ({"t": 2, "r": 2, "w": 2}, [
        "t CLIENT TRACKING on REDIRECT {r}", "t GET k", "@close r", "w SET k 1", "~t CLIENT TRACKINGINFO",
    ]),
    "errors": ({"a": 3, "b": 2}, [
        "a CLIENT TRACKING on PREFIX a", "a CLIENT TRACKING on BCAST OPTIN", "a CLIENT TRACKING on OPTIN OPTOUT",
        "a CLIENT TRACKING on BCAST OPTIN OPTOUT", "a CLIENT TRACKING on REDIRECT 999999",
        "a CLIENT TRACKING on REDIRECT abc", "a CLIENT TRACKING on REDIRECT -1", "a CLIENT TRACKING on REDIRECT 0",
        "a CLIENT TRACKING on REDIRECT {b} REDIRECT {b}", "a CLIENT TRACKING maybe", "a CLIENT TRACKING on foo",
        "a CLIENT TRACKING on prefix", "a CLIENT TRACKING on redirect", "a CLIENT TRACKING",
        "a CLIENT TRACKING maybe REDIRECT 999999", "a CLIENT TRACKING off PREFIX p", "a CLIENT TRACKINGINFO",
        "a CLIENT GETREDIR", "a CLIENT CACHING yes", "a CLIENT CACHING no", "a CLIENT CACHING",
        "a CLIENT CACHING yes no", "a CLIENT GETREDIR x", "a CLIENT TRACKINGINFO x",
        "a CLIENT TRACKING on BCAST PREFIX ab PREFIX a", "a CLIENT TRACKING on BCAST PREFIX x PREFIX x",
        "a CLIENT TRACKING on BCAST PREFIX a PREFIX b", "a CLIENT TRACKING on BCAST PREFIX abc",
        "a CLIENT TRACKING on BCAST PREFIX c PREFIX d", "a CLIENT TRACKING on BCAST PREFIX ''",
        "a CLIENT TRACKING on", "a CLIENT TRACKING on OPTIN", "a CLIENT TRACKING on BCAST",
        "a CLIENT TRACKINGINFO", "a CLIENT TRACKING on BCAST PREFIX q", "a CLIENT TRACKING off",
        "a CLIENT TRACKING ON optin optin noloop", "a CLIENT TRACKING ON prefix a bcast prefix b optin",
        "a CLIENT TRACKING ON optout", "~a CLIENT TRACKING on REDIRECT {a}", "~a CLIENT TRACKINGINFO",
        "~a CLIENT GETREDIR",
    ]),
    "expiry": ({"a": 3, "w": 2}, [
        "a CLIENT TRACKING on", "w SET x 1 PX 100", "a GET x", "@expired 0",
        "w DEBUG SET-ACTIVE-EXPIRE 0", "w SET y 1 PX 100", "a GET y", "@after 0.2", "w GET y",
        "w SET z 1 PX 100", "a GET z", "@after 0.2", "a GET z", "a GET z",
        "w SET e 1 PX 100", "a GET e", "@after 0.2", "a EXISTS e", "w DEBUG SET-ACTIVE-EXPIRE 1",
    ]),
    # Writes that change nothing: Redis signals some (HSET, APPEND '', INCRBY 0, LTRIM, LSET...)
    # and not others (SADD of a member, ZADD of the same score, PFADD of a known element...).
    "noop_writes": ({"a": 3, "w": 2}, [
        "a CLIENT TRACKING on", "w SADD s a", "w HSET h f v", "w RPUSH l a b", "w ZADD z 1 m", "w SET str v",
        "w PFADD hll a b c", "w SET n 5", *[step for write in [
            "w SADD s a", "w SREM s zz", "w HSET h f v", "w HSETNX h f x", "w HDEL h zz", "w LREM l 0 zz",
            "w ZADD z 1 m", "w ZADD z NX 2 m", "w ZREM z zz", "w PERSIST str", "w SETRANGE str 0 ''",
            "w APPEND str ''", "w INCRBY n 0", "w LTRIM l 0 -1", "w SET str v KEEPTTL", "w GETEX str",
            "w GETEX str PERSIST", "w PFADD hll a", "w SETBIT str 0 0", "w LSET l 0 a", "w SMOVE s s2 zz",
            "w RENAMENX str n", "w HINCRBY h c 0", "w ZINCRBY z 0 m", "w EXPIRE str 100 GT",
            "w SINTERSTORE dst nokey", "w ZREMRANGEBYSCORE z 5 6", "w LPOP l 0", "w SET str v NX",
        ] for step in (write, "a SMEMBERS s", "a HGETALL h", "a LRANGE l 0 -1", "a ZRANGE z 0 -1",
                       "a GET str", "a PFCOUNT hll", "a GET n", "a EXISTS s2 dst")],
    ]),
    "bcast_expiry_noloop": ({"a": 3, "w": 2}, [
        "w DEBUG SET-ACTIVE-EXPIRE 0", "a CLIENT TRACKING on BCAST NOLOOP", "a SET x 1 PX 100",
        "@after 0.2", "a GET x", "w DEBUG SET-ACTIVE-EXPIRE 1",
    ]),
}


def _cleanup(port: int) -> None:
    with RawConnection(port) as conn:
        conn.call(b"DEBUG", b"SET-ACTIVE-EXPIRE", b"1")
        conn.call(b"CONFIG", b"SET", b"notify-keyspace-events", b"")
        conn.call(b"CONFIG", b"SET", b"tracking-table-max-keys", b"1000000")


@pytest.mark.parametrize("case", list(CASES))
def test_invalidation_transcript(ours_server, real_server, case):
    conns, steps = CASES[case]
    try:
        real = transcript(real_server.port, conns, steps)
        ours = transcript(ours_server.port, conns, steps)
    finally:
        _cleanup(real_server.port)
        _cleanup(ours_server.port)
    for (step, real_got), (_, ours_got) in zip(real, ours):
        assert ours_got == real_got, f"{case}: step {step!r}"
    assert len(real) == len(ours) == len(steps)


# -- keymiss -------------------------------------------------------------------------------------

KEYMISS_STEPS = [
    "w SET s 1", "w RPUSH l a", "w HSET h f v", "w SET gone 1 PX 50", "@after 0.15",
    "w GET nosuch", "w GET s", "w MGET s x y", "w STRLEN nosuch",
    "w HGET nosuch f", "w HGET h nosuchfield", "w LRANGE nosuch 0 -1", "w LLEN l", "w SMEMBERS nosuch",
    "w COPY nosuch10 d1", "w SORT nosuch11 STORE d2", "w SUNIONSTORE d3 nosuch12 s", "w ZUNIONSTORE d4 1 nosuch13",
    "w BITOP AND d5 nosuch14 s", "w PFMERGE d6 nosuch15", "w GETEX nosuch16", "w BITFIELD nosuch17 GET u8 0",
    "w LMOVE nosuch18 d7 LEFT LEFT", "w SMOVE nosuch19 d8 x", "w SETRANGE nosuch20 0 x", "w HINCRBY nosuch21 f 1",
    "w ZSCORE nosuch m", "w GET gone", "w SET nosuch2 1", "w GETDEL nosuch3", "w INCR nosuch4",
    "w LPUSH nosuch5 x", "w APPEND nosuch6 x", "w DEL nosuch7", "w EXPIRE nosuch8 10",
    "w GETRANGE nosuch 0 1", "w HGETALL nosuch", "w SISMEMBER nosuch x", "w ZRANGE nosuch 0 -1",
    "w MULTI", "w GET nosuch9", "w SET nosuch9 1", "w EXEC",
    "w GETSET nosuch22 1", "w SET nosuch23 1 GET", "w SET nosuch24 1 NX", "w SET nosuch25 1 XX",
    "w SET nosuch26 1 NX GET",
]


# Redis looks these up with lookupKeyReadWithFlags(LOOKUP_NOTOUCH): a keyspace miss and a
# keymiss event, but no access (Database.get_no_touch). (DUMP too, once it exists.)
KEYMISS_NOTOUCH_STEPS = ["w EXISTS nosuch", "w TYPE nosuch", "w TTL nosuch", "w PTTL nosuch",
                         "w EXPIRETIME nosuch", "w PEXPIRETIME nosuch", "w EXISTS nosuch str nosuch2"]


@pytest.mark.parametrize("flags", ["KEm", "Em", "Km", "KEA"])
def test_keymiss_events(ours_server, real_server, flags):
    """keymiss (class m, not part of A) is published by read lookups that miss, not by writes
    (except those Redis makes with lookupKeyRead: GETDEL, COPY's source, the *STORE sources)."""
    _check_keymiss(ours_server, real_server, flags, KEYMISS_STEPS)


def test_keymiss_of_notouch_lookups(ours_server, real_server):
    _check_keymiss(ours_server, real_server, "KEm", KEYMISS_NOTOUCH_STEPS)


def _check_keymiss(ours_server, real_server, flags: str, commands: list[str]) -> None:
    steps = ["s PSUBSCRIBE __key*@*__:*", f"w CONFIG SET notify-keyspace-events {flags}", *commands]
    try:
        real = transcript(real_server.port, {"w": 2, "s": 2}, steps)
        ours = transcript(ours_server.port, {"w": 2, "s": 2}, steps)
    finally:
        _cleanup(real_server.port)
        _cleanup(ours_server.port)
    differ = [step for (step, real_got), (_, ours_got) in zip(real, ours) if ours_got.get("s") != real_got.get("s")]
    assert differ == [], f"keymiss events differ ({flags}): {differ}"


# -- tracking-table-max-keys, INFO, CLIENT LIST ------------------------------------------------------


def _info_fields(conn: RawConnection, section: bytes) -> dict[str, str]:
    text = conn.call(b"INFO", section).value.decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


def _invalidated_keys(conn: Conn) -> list[bytes]:
    keys = []
    for reply in conn.rest():
        assert reply.kind == ">" and reply.value[0].value == b"invalidate", reply
        keys.extend(r.value for r in reply.value[1].value)
    return keys


@pytest.mark.parametrize("which", ["ours", "real"])
def test_table_max_keys_evicts_with_invalidations(request, which):
    """Over tracking-table-max-keys, the next command forgets keys (with an invalidation
    each) until the table fits. Redis picks random keys, so only the counts are compared."""
    port = request.getfixturevalue(f"{which}_server").port
    a = Conn(port, "a", 3)
    admin = RawConnection(port)
    try:
        admin.call(b"FLUSHALL")
        admin.call(b"CONFIG", b"SET", b"tracking-table-max-keys", b"2")
        a.raw.call(b"CLIENT", b"TRACKING", b"on")
        a.raw.call(b"MGET", b"k1", b"k2", b"k3", b"k4", b"k5")
        evicted = _invalidated_keys(a)  # the sentinel is the next command: it evicts first
        assert len(evicted) == 3 and set(evicted) <= {b"k1", b"k2", b"k3", b"k4", b"k5"}
        stats = _info_fields(admin, b"stats")
        assert (stats["tracking_total_keys"], stats["tracking_total_items"]) == ("2", "2")
        assert _info_fields(admin, b"clients")["tracking_clients"] == "1"
        admin.call(b"CONFIG", b"SET", b"tracking-table-max-keys", b"0")
        a.raw.call(b"MGET", b"k1", b"k2", b"k3", b"k4", b"k5")
        assert _invalidated_keys(a) == []
        assert _info_fields(admin, b"stats")["tracking_total_keys"] == "5"
        admin.call(b"FLUSHALL")
        assert _info_fields(admin, b"stats")["tracking_total_keys"] == "0"
        a.raw.call(b"CLIENT", b"TRACKING", b"off")
        a.raw.call(b"CLIENT", b"TRACKING", b"on", b"BCAST", b"PREFIX", b"x", b"PREFIX", b"y")
        assert _info_fields(admin, b"stats")["tracking_total_prefixes"] == "2"
        a.raw.close()  # a disconnect turns tracking off and drops the prefixes
        wait_for(lambda: _info_fields(admin, b"clients")["tracking_clients"] == "0")
        assert _info_fields(admin, b"stats")["tracking_total_prefixes"] == "0"
    finally:
        _cleanup(port)
        admin.close()


def _list_fields(conn: RawConnection, client_id: int) -> dict[str, str]:
    line = conn.call(b"CLIENT", b"LIST", b"ID", str(client_id).encode()).value.decode().strip()
    return dict(field.split("=", 1) for field in line.split(" "))


@pytest.mark.parametrize("which", ["ours", "real"])
def test_client_list_flags_and_redir(request, which):
    port = request.getfixturevalue(f"{which}_server").port
    t = Conn(port, "t", 3)
    r = Conn(port, "r", 2)
    b = Conn(port, "b", 2)
    admin = RawConnection(port)
    try:
        assert (_list_fields(admin, t.id)["flags"], _list_fields(admin, t.id)["redir"]) == ("N", "-1")
        t.raw.call(b"CLIENT", b"TRACKING", b"on", b"REDIRECT", str(r.id).encode())
        assert (_list_fields(admin, t.id)["flags"], _list_fields(admin, t.id)["redir"]) == ("t", str(r.id))
        t.raw.call(b"GET", b"k")
        r.raw.close()
        wait_for(lambda: b"sentinel-r" not in admin.call(b"CLIENT", b"LIST").value)
        admin.call(b"SET", b"k", b"1")
        assert _list_fields(admin, t.id)["flags"] == "tR"
        b.raw.call(b"CLIENT", b"TRACKING", b"on", b"BCAST")
        assert (_list_fields(admin, b.id)["flags"], _list_fields(admin, b.id)["redir"]) == ("tB", "0")
        b.raw.call(b"MULTI")
        assert _list_fields(admin, b.id)["flags"] == "xtB"
    finally:
        for conn in (t.raw, b.raw, admin):
            conn.close()


@pytest.mark.parametrize("which", ["ours", "real"])
def test_reset_turns_tracking_off(request, which):
    port = request.getfixturevalue(f"{which}_server").port
    with RawConnection(port) as conn:
        conn.call(b"HELLO", b"3")
        assert conn.call(b"CLIENT", b"TRACKING", b"on", b"BCAST", b"PREFIX", b"p").value == b"OK"
        assert conn.call(b"RESET").value == b"RESET"
        info = conn.call(b"CLIENT", b"TRACKINGINFO")
        assert info.kind == "*"  # RESET went back to RESP2
        assert [r.value if r.kind != "*" else [x.value for x in r.value] for r in info.value] == [
            b"flags", [b"off"], b"redirect", -1, b"prefixes", []]


def test_blocked_client_own_change_after_its_reply(ours_server, real_server):
    transcripts = []
    for port in (real_server.port, ours_server.port):
        b, w = Conn(port, "b", 3), Conn(port, "w", 2)
        admin = RawConnection(port)
        try:
            admin.call(b"FLUSHALL")
            b.raw.call(b"CLIENT", b"TRACKING", b"on")
            b.raw.call(b"GET", b"dst")
            b.raw.send(b"BLMOVE", b"src", b"dst", b"LEFT", b"LEFT", b"0")
            wait_for(lambda: _info_fields(admin, b"clients")["blocked_clients"] == "1")
            w.raw.call(b"RPUSH", b"src", b"x")
            transcripts.append(b.reply_then_rest())
        finally:
            for conn in (b.raw, w.raw, admin):
                conn.close()
    real, ours = transcripts
    assert ours == real
