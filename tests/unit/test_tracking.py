"""node/tracking.py without sockets: commands run through the dispatch gate on clients whose
pushes are captured (``batch_out``), so what each client would receive is checked directly."""

from __future__ import annotations

import pytest

from node.commands.dispatch import execute
from node.replies import OK, Replies
from node.tracking import BCAST, CACHING, OPTIN, OPTOUT, _remembers, broken_redirect_push, keys_body
from tests.support.handlers import FakeClient, error_of


def inv(*keys: bytes) -> bytes:
    return b">2\r\n$10\r\ninvalidate\r\n" + keys_body(keys)


MESSAGE = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"


def client(server, proto: int = 3):
    c = FakeClient(server, proto)
    c.batch_out = []  # pushes land here (as during a batch), in order
    return c


def cmd(c, *args):
    return execute(c, [a if isinstance(a, bytes) else str(a).encode() for a in args])


def pushed(c) -> list[bytes]:
    out, c.batch_out[:] = list(c.batch_out), []
    return out


def test_remembers_follows_optin_optout_and_caching():
    assert _remembers(1)
    assert not _remembers(1 | BCAST)
    assert not _remembers(1 | OPTIN) and _remembers(1 | OPTIN | CACHING)
    assert _remembers(1 | OPTOUT) and not _remembers(1 | OPTOUT | CACHING)


def test_wire_forms():
    assert keys_body((b"a", b"bc")) == b"*2\r\n$1\r\na\r\n$2\r\nbc\r\n"
    assert broken_redirect_push(7) == b">2\r\n$21\r\ntracking-redir-broken\r\n:7\r\n"


def test_hooks_exist_only_while_needed(server):
    assert server.command_hooks is None and all(db.tracking is None for db in server.dbs)
    a, w = client(server), client(server, 2)
    assert cmd(a, "CLIENT", "TRACKING", "on") == OK
    assert server.command_hooks is server.tracking and server.dbs[3].tracking is server.tracking
    cmd(a, "GET", "k")
    cmd(a, "CLIENT", "TRACKING", "off")
    assert server.command_hooks is None
    assert server.dbs[0].tracking is server.tracking  # "k" is still remembered (lazily)
    cmd(w, "SET", "k", "1")
    assert pushed(a) == [] and not server.tracking.table
    assert all(db.tracking is None for db in server.dbs)


def test_readonly_keys_are_remembered_once_and_invalidated_once(server):
    a, w = client(server), client(server, 2)
    cmd(a, "CLIENT", "TRACKING", "on")
    cmd(a, "MGET", "x", "y")
    cmd(a, "SET", "z", "1")  # a write: its key is not remembered
    cmd(a, "GET", "x")
    assert set(server.tracking.table) == {b"x", b"y"} and server.tracking.items == 2
    cmd(w, "SELECT", "4")
    cmd(w, "SET", "x", "1")  # keys are global across databases, as in Redis
    assert pushed(a) == [inv(b"x")]
    cmd(w, "SET", "x", "2")
    assert pushed(a) == [] and server.tracking.items == 1


def test_own_change_is_written_after_the_reply(server):
    a = client(server)
    cmd(a, "CLIENT", "TRACKING", "on")
    cmd(a, "GET", "k")
    reply = cmd(a, "SET", "k", "1")
    assert type(reply) is Replies and reply[0] == OK and reply[1].data == inv(b"k")
    assert pushed(a) == []
    cmd(a, "GET", "k")
    cmd(a, "CLIENT", "REPLY", "OFF")
    assert cmd(a, "DEL", "k") == 1  # no reply will be written: the push goes out anyway
    assert pushed(a) == [inv(b"k")]


def test_transaction_invalidations_follow_exec(server):
    a = client(server)
    cmd(a, "CLIENT", "TRACKING", "on")
    cmd(a, "MULTI")
    cmd(a, "GET", "m")
    cmd(a, "SET", "m", "1")
    reply = cmd(a, "EXEC")
    assert type(reply) is Replies and reply[0] == [None, OK] and reply[1].data == inv(b"m")


def test_noloop_skips_own_changes(server):
    a, w = client(server), client(server, 2)
    cmd(a, "CLIENT", "TRACKING", "on", "NOLOOP")
    cmd(a, "GET", "k")
    assert cmd(a, "SET", "k", "1") == OK
    cmd(a, "GET", "k")
    cmd(w, "SET", "k", "2")
    assert pushed(a) == [inv(b"k")]


def test_optin_caching_lasts_one_command_but_survives_client_commands(server):
    a = client(server)
    cmd(a, "CLIENT", "TRACKING", "on", "OPTIN")
    cmd(a, "CLIENT", "CACHING", "yes")
    cmd(a, "CLIENT", "ID")  # CLIENT subcommands keep the flag, as Redis's resetClient
    cmd(a, "GET", "one")
    cmd(a, "GET", "two")
    assert set(server.tracking.table) == {b"one"}
    assert not a.tracking & CACHING


def test_redirect_delivery_and_broken_redirect(server):
    t, r2, w = client(server, 2), client(server, 2), client(server, 2)
    cmd(r2, "SUBSCRIBE", "__redis__:invalidate")
    pushed(r2)
    cmd(t, "CLIENT", "TRACKING", "on", "REDIRECT", str(r2.id))
    cmd(t, "GET", "k")
    cmd(w, "SET", "k", "1")
    assert pushed(r2) == [MESSAGE + keys_body((b"k",))]
    cmd(w, "FLUSHDB")
    assert pushed(r2) == [MESSAGE + b"$-1\r\n"]  # the tracking client's RESP2 null
    server.remove_client(r2)
    cmd(t, "GET", "k")
    cmd(w, "SET", "k", "2")
    assert pushed(t) == []  # RESP2: nowhere to say it
    assert cmd(t, "CLIENT", "TRACKINGINFO")[b"flags"] == [b"on", b"broken_redirect"]


def test_flushall_sends_one_null_per_command(server):
    a, b = client(server), client(server)
    for c in (a, b):
        cmd(c, "CLIENT", "TRACKING", "on")
    reply = cmd(a, "FLUSHALL")  # clears 16 databases
    assert type(reply) is Replies and [r.data for r in reply[1:]] == [b">2\r\n$10\r\ninvalidate\r\n_\r\n"]
    assert pushed(b) == [b">2\r\n$10\r\ninvalidate\r\n_\r\n"]


def test_table_limit_evicts_oldest_first(server):
    a = client(server)
    server.config.tracking_table_max_keys = 2
    cmd(a, "CLIENT", "TRACKING", "on")
    cmd(a, "MGET", "k1", "k2", "k3", "k4")
    cmd(a, "PING")  # the next command evicts before it runs, not held back
    assert pushed(a) == [inv(b"k1"), inv(b"k2")]
    assert list(server.tracking.table) == [b"k3", b"k4"]


def test_bcast_groups_by_prefix_and_honours_noloop(server):
    a, n, w = client(server), client(server), client(server, 2)
    cmd(a, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "u:", "PREFIX", "o:")
    cmd(n, "CLIENT", "TRACKING", "on", "BCAST", "NOLOOP")
    cmd(w, "MSET", "u:2", "1", "x", "1", "u:1", "1")
    cmd(w, "SET", "o:2", "1")  # the same batch of w: collected together
    # Another client's batch starts: what was collected goes out first (normally a task
    # spawned for the end of the round does it).
    cmd(n, "SET", "o:1", "1")
    assert pushed(a) == [inv(b"o:2"), inv(b"u:1", b"u:2")]
    assert pushed(n) == [inv(b"o:2", b"u:1", b"u:2", b"x")]
    server.tracking.broadcast()
    assert pushed(a) == [inv(b"o:1")]
    assert pushed(n) == []  # its own o:1 left out
    assert not server.tracking.table  # BCAST remembers nothing per key
    assert len(server.tracking.prefixes) == 3


def test_bcast_noloop_still_reports_expiry(server):
    n = client(server)
    cmd(n, "CLIENT", "TRACKING", "on", "BCAST", "NOLOOP")
    cmd(n, "SET", "k", "1", "PX", "10")
    server.tracking.broadcast()
    assert pushed(n) == []
    server.clock.set(server.clock.ms + 100)
    cmd(n, "GET", "k")  # lazy expiry: a change made by nobody
    server.tracking.broadcast()
    assert pushed(n) == [inv(b"k")]


@pytest.mark.parametrize("args, error", [
    (("on", "PREFIX", "a"), "ERR PREFIX option requires BCAST mode to be enabled"),
    (("on", "BCAST", "OPTOUT"), "ERR OPTIN and OPTOUT are not compatible with BCAST"),
    (("on", "OPTIN", "OPTOUT"), "ERR You can't specify both OPTIN mode and OPTOUT mode"),
    (("on", "REDIRECT", "99"), "ERR The client ID you want redirect to does not exist"),
    (("on", "REDIRECT", "x"), "ERR value is not an integer or out of range"),
    (("on", "BCAST", "PREFIX", "ab", "PREFIX", "a"),
     "ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap."),
    (("on", "BCAST", "PREFIX", "x", "PREFIX", "ab", "PREFIX", "a"),
     "ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap."),
    (("off", "NOSUCH"), "ERR syntax error"),
])
def test_tracking_errors(server, args, error):
    a = client(server)
    assert error_of(a, "CLIENT", "TRACKING", *args) == error
    assert a.tracking == 0  # nothing enabled (Redis 7.0.15 enables and also says +OK for the 2nd overlap)


def test_keymiss_only_for_read_lookups(server):
    w, sub = client(server, 2), client(server, 3)
    cmd(w, "CONFIG", "SET", "notify-keyspace-events", "Em")
    cmd(sub, "SUBSCRIBE", "__keyevent@0__:keymiss")
    pushed(sub)
    cmd(w, "GET", "a")
    cmd(w, "INCR", "b")  # a write: its lookup is a write lookup
    cmd(w, "GETDEL", "c")  # a write that Redis looks up as a read
    assert [p.split(b"\r\n")[-2] for p in pushed(sub)] == [b"a", b"c"]
    cmd(w, "CONFIG", "SET", "notify-keyspace-events", "")
    assert server.command_hooks is None and server.dbs[0].on_miss is None
