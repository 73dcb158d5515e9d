"""Admin commands on an in-process node: MONITOR, CLIENT KILL/PAUSE/REPLY/LIST, SHUTDOWN,
DEBUG SLEEP/SET-ACTIVE-EXPIRE, SLOWLOG, LATENCY and INFO's sampled counters."""

from __future__ import annotations

import re

import hiredis
import pytest
import trio

from node import info
from tests.support.client import ConnectionClosed, RespClient
from tests.support.inproc import start_node, stop_node
from tests.support.wait import async_wait_for

MONITOR_LINE = re.compile(rb'^\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\] (.*)$')


async def connect(server) -> RespClient:
    return await RespClient.connect(server.ports[0])


@pytest.fixture
async def debug_node(nursery):
    """A node that allows DEBUG (enable-debug-command is "no" by default, as in Redis)."""
    server = await start_node(nursery, "--enable-debug-command", "yes")
    yield server
    if not server.stopped.is_set():
        await stop_node(server)


async def no_reply_within(c: RespClient, seconds: float) -> bool:
    with trio.move_on_after(seconds):
        await c.read_reply()
        return False
    return True


# -- MONITOR ---------------------------------------------------------------------------------------


async def test_monitor_sees_another_clients_commands(node):
    async with await connect(node) as mon, await connect(node) as c:
        assert await mon.call(b"MONITOR") == b"OK"
        assert await c.call(b"SET", b"k", b"a b\n\"") == b"OK"
        line = await mon.read_reply()
        match = MONITOR_LINE.match(line)
        assert match, line
        assert match.group(1) == b"0"
        assert match.group(2) == b'"SET" "k" "a b\\n\\""'
        # admin commands are not shown; the selected db is
        await c.call(b"CLIENT", b"LIST")
        await c.call(b"SELECT", b"2")
        await c.call(b"get", b"x")
        assert MONITOR_LINE.match(await mon.read_reply()).groups() == (b"2", b'"SELECT" "2"')  # fed after it ran, as Redis
        assert MONITOR_LINE.match(await mon.read_reply()).groups() == (b"2", b'"get" "x"')
        await c.call(b"AUTH", b"secret")  # fails (no password set) but is shown, redacted
        assert MONITOR_LINE.match(await mon.read_reply()).group(2) == b'"AUTH" "(redacted)"'
        info_line = await c.call(b"CLIENT", b"INFO")
        assert b" flags=N " in info_line
        mon_info = [ln for ln in (await c.call(b"CLIENT", b"LIST")).split(b"\n") if b" flags=O " in ln]
        assert len(mon_info) == 1


async def test_monitor_twice_is_silent_and_inside_multi_fails(node):
    async with await connect(node) as c:
        assert await c.call(b"MULTI") == b"OK"
        assert await c.call(b"MONITOR") == b"QUEUED"
        result = await c.call(b"EXEC")
        assert isinstance(result[0], hiredis.ReplyError)
        assert str(result[0]) == "ERR MONITOR isn't allowed for DENY BLOCKING client"
        assert await c.call(b"MONITOR") == b"OK"
        await c.send(b"MONITOR")  # already monitoring: no reply at all
        assert await no_reply_within(c, 0.2)
    await async_wait_for(lambda: not node.monitors)


# -- CLIENT KILL -----------------------------------------------------------------------------------


async def test_client_kill_by_id_closes_the_victim(node):
    async with await connect(node) as killer, await connect(node) as victim:
        victim_id = await victim.call(b"CLIENT", b"ID")
        assert await killer.call(b"CLIENT", b"KILL", b"ID", str(victim_id).encode()) == 1
        with pytest.raises(ConnectionClosed):
            await victim.call(b"PING")
        await async_wait_for(lambda: victim_id not in node.clients)
        listing = await killer.call(b"CLIENT", b"LIST")
        assert b"id=%d " % victim_id not in listing
        assert await killer.call(b"CLIENT", b"KILL", b"ID", str(victim_id).encode()) == 0


async def test_client_kill_old_form_by_address(node):
    async with await connect(node) as killer, await connect(node) as victim:
        victim_id = await victim.call(b"CLIENT", b"ID")
        addr = node.clients[victim_id].addr.encode()
        assert await killer.call(b"CLIENT", b"KILL", addr) == b"OK"
        with pytest.raises(ConnectionClosed):
            await victim.call(b"PING")
        err = await killer.call(b"CLIENT", b"KILL", addr)
        assert str(err) == "ERR No such client"


async def test_client_kill_skipme_no_closes_the_caller_after_its_reply(node):
    async with await connect(node) as c, await connect(node) as other:
        my_id = await c.call(b"CLIENT", b"ID")
        assert await c.call(b"CLIENT", b"KILL", b"ID", str(my_id).encode()) == 0  # SKIPME yes by default
        assert await c.call(b"CLIENT", b"KILL", b"ID", str(my_id).encode(), b"SKIPME", b"no") == 1
        with pytest.raises(ConnectionClosed):
            await c.call(b"PING")
        assert await other.call(b"PING") == b"PONG"


async def test_client_kill_by_type_and_laddr(node):
    async with await connect(node) as a, await connect(node) as b, await connect(node) as me:
        laddr = node.clients[await me.call(b"CLIENT", b"ID")].laddr.encode()
        assert await me.call(b"CLIENT", b"KILL", b"LADDR", laddr, b"TYPE", b"normal") == 2
        for victim in (a, b):
            with pytest.raises(ConnectionClosed):
                await victim.call(b"PING")
        assert await me.call(b"PING") == b"PONG"


# -- CLIENT LIST / INFO / SETNAME ----------------------------------------------------------------


async def test_client_list_and_filters(node):
    async with await connect(node) as a, await connect(node) as b:
        assert await a.call(b"CLIENT", b"SETNAME", b"alpha") == b"OK"
        assert await a.call(b"CLIENT", b"GETNAME") == b"alpha"
        b_id = await b.call(b"CLIENT", b"ID")
        listing = await a.call(b"CLIENT", b"LIST")
        lines = listing.decode().strip("\n").split("\n")
        assert len(lines) == 2
        mine = [ln for ln in lines if " name=alpha " in ln][0]
        assert " cmd=client|list " in mine and " argv-mem=10 " in mine
        other = [ln for ln in lines if f"id={b_id} " in ln][0]
        assert " cmd=client|id " in other
        only_b = await a.call(b"CLIENT", b"LIST", b"ID", str(b_id).encode(), b"99999")
        assert only_b.count(b"\n") == 1 and only_b.startswith(b"id=%d " % b_id)
        assert await a.call(b"CLIENT", b"LIST", b"TYPE", b"pubsub") == b""
        assert (await a.call(b"CLIENT", b"LIST", b"TYPE", b"normal")).count(b"\n") == 2
        assert await a.call(b"CLIENT", b"NO-EVICT", b"on") == b"OK"
        assert b" flags=e " in await a.call(b"CLIENT", b"INFO")
        assert await a.call(b"CLIENT", b"SETINFO", b"LIB-NAME", b"redis-py") == b"OK"
        assert node.clients[await a.call(b"CLIENT", b"ID")].lib_name == b"redis-py"


# -- CLIENT PAUSE ----------------------------------------------------------------------------------


async def test_client_pause_write_holds_writes_until_unpause_while_reads_go_on(node):
    async with await connect(node) as admin, await connect(node) as writer, await connect(node) as reader:
        assert await writer.call(b"SET", b"k", b"before") == b"OK"
        assert await admin.call(b"CLIENT", b"PAUSE", b"20000", b"WRITE") == b"OK"
        await writer.send(b"SET", b"k", b"after")
        assert await no_reply_within(writer, 0.3)
        assert await reader.call(b"GET", b"k") == b"before"
        assert await reader.call(b"PING") == b"PONG"
        assert await admin.call(b"CLIENT", b"UNPAUSE") == b"OK"
        with trio.fail_after(5):
            assert await writer.read_reply() == b"OK"
        assert await reader.call(b"GET", b"k") == b"after"


async def test_client_pause_all_holds_everything_until_it_expires(node):
    async with await connect(node) as admin, await connect(node) as other:
        assert await admin.call(b"CLIENT", b"PAUSE", b"300", b"ALL") == b"OK"
        started = trio.current_time()
        with trio.fail_after(5):
            assert await other.call(b"PING") == b"PONG"
        assert trio.current_time() - started >= 0.2


async def test_a_longer_pause_wins(node):
    async with await connect(node) as admin, await connect(node) as other:
        assert await admin.call(b"CLIENT", b"PAUSE", b"20000", b"WRITE") == b"OK"
        assert await admin.call(b"CLIENT", b"PAUSE", b"10", b"WRITE") == b"OK"  # does not shorten it
        await other.send(b"SET", b"k", b"v")
        assert await no_reply_within(other, 0.3)
        await admin.call(b"CLIENT", b"UNPAUSE")
        with trio.fail_after(5):
            assert await other.read_reply() == b"OK"


# -- CLIENT REPLY ----------------------------------------------------------------------------------


async def test_client_reply_off_and_on(node):
    async with await connect(node) as c:
        await c.send(b"CLIENT", b"REPLY", b"OFF")
        await c.send(b"SET", b"k", b"1")
        await c.send(b"GET", b"nosuchcommandhere", b"x")  # errors are not sent either
        await c.send(b"CLIENT", b"REPLY", b"ON")
        assert await c.read_reply() == b"OK"  # the first reply is ON's
        assert await c.call(b"GET", b"k") == b"1"


async def test_client_reply_skip_drops_only_the_next_reply(node):
    async with await connect(node) as c:
        await c.send(b"CLIENT", b"REPLY", b"SKIP")
        await c.send(b"SET", b"k", b"2")
        await c.send(b"GET", b"k")
        assert await c.read_reply() == b"2"
        assert await c.call(b"PING") == b"PONG"


# -- SHUTDOWN ---------------------------------------------------------------------------------------


async def test_shutdown_closes_the_connection_and_stops_the_node(nursery):
    server = await start_node(nursery)
    async with await connect(server) as c, await connect(server) as idle:
        assert str(await c.call(b"SHUTDOWN", b"ABORT")) == "ERR No shutdown in progress."
        await c.send(b"SHUTDOWN", b"NOSAVE")
        with trio.fail_after(10):
            assert await c.read_until_closed() == b""  # no reply: the connection just closes
            await server.stopped.wait()
            assert await idle.read_until_closed() == b""


async def test_shutdown_save_warns_that_persistence_is_missing(nursery, caplog):
    server = await start_node(nursery)
    async with await connect(server) as c:
        await c.send(b"SHUTDOWN", b"SAVE")
        with trio.fail_after(10):
            await server.stopped.wait()
    assert any("persistence is not implemented" in r.getMessage() for r in caplog.records)


# -- DEBUG, SLOWLOG, LATENCY, INFO -----------------------------------------------------------------


async def test_debug_is_refused_unless_enabled(node):
    async with await connect(node) as c:
        err = await c.call(b"DEBUG", b"HELP")
        assert str(err).startswith("ERR DEBUG command not allowed.")


async def test_debug_set_active_expire_stops_the_expiry_cycle(debug_node):
    db = debug_node.dbs[0]
    async with await connect(debug_node) as c:
        assert await c.call(b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0") == b"OK"
        assert await c.call(b"SET", b"k", b"v") == b"OK"
        assert await c.call(b"PEXPIRE", b"k", b"20") == 1
        await trio.sleep(0.4)  # several cron periods
        assert b"k" in db.data  # logically expired, not removed
        assert await c.call(b"DEBUG", b"SET-ACTIVE-EXPIRE", b"1") == b"OK"
        await async_wait_for(lambda: b"k" not in db.data)
        assert debug_node.stat_expired_keys == 1


async def test_slowlog_and_latency_record_a_slow_command(debug_node):
    async with await connect(debug_node) as c:
        assert await c.call(b"CONFIG", b"SET", b"latency-monitor-threshold", b"20") == b"OK"
        assert await c.call(b"SLOWLOG", b"RESET") == b"OK"
        await c.call(b"CLIENT", b"SETNAME", b"slowpoke")
        assert await c.call(b"DEBUG", b"SLEEP", b"0.05") == b"OK"
        entries = await c.call(b"SLOWLOG", b"GET")
        entry_id, when, usec, args, addr, name = entries[0]
        assert args == [b"DEBUG", b"SLEEP", b"0.05"] and usec >= 45_000 and name == b"slowpoke"
        assert addr.startswith(b"127.0.0.1:")
        assert await c.call(b"SLOWLOG", b"LEN") >= 1
        latest = await c.call(b"LATENCY", b"LATEST")
        assert [row[0] for row in latest] == [b"command"]
        assert latest[0][2] >= 45 and latest[0][3] >= 45
        history = await c.call(b"LATENCY", b"HISTORY", b"command")
        assert len(history) == 1 and history[0][1] >= 45
        assert b"1. command: 1 latency spikes" in await c.call(b"LATENCY", b"DOCTOR")
        assert (await c.call(b"LATENCY", b"GRAPH", b"command")).startswith(b"command - high ")
        assert await c.call(b"LATENCY", b"RESET") == 1
        assert await c.call(b"LATENCY", b"LATEST") == []


async def test_info_counts_commands_and_samples_ops_per_sec(node):
    async with await connect(node) as c:
        for _ in range(5):
            await c.pipeline(*[(b"PING",)] * 200)
            await trio.sleep(0.05)
        stats = info.parse(await c.call(b"INFO", b"stats"))["Stats"]
        assert int(stats["total_commands_processed"]) >= 1000
        await c.call(b"NOSUCHCOMMAND")

        async def ops_seen():
            await c.pipeline(*[(b"PING",)] * 200)
            text = await c.call(b"INFO", b"stats", b"errorstats", b"commandstats")
            return text if int(info.parse(text)["Stats"]["instantaneous_ops_per_sec"]) > 0 else None

        text = await async_wait_for(ops_seen)
        sections = info.parse(text)
        assert sections["Errorstats"]["errorstat_ERR"] == "count=1"
        assert sections["Commandstats"]["cmdstat_ping"].startswith("calls=")
        assert sections["Stats"]["total_error_replies"] == "1"


async def test_keyspace_hits_misses_and_expired_keys_are_counted(node):
    """Every keyed read counts a hit or a miss; a key expired on read counts in expired_keys."""
    from tests.support.client import RespClient

    async with await RespClient.connect(node.ports[0]) as c:
        await c.call(b"SET", b"a", b"1")
        await c.call(b"SET", b"gone", b"1", b"PXAT", b"1")  # already in the past: never readable
        await c.call(b"GET", b"a")
        await c.call(b"GET", b"b")
        await c.call(b"CONFIG", b"RESETSTAT")
        await c.call(b"GET", b"a")
        await c.call(b"GET", b"nope")
        info = (await c.call(b"INFO", b"stats")).decode()
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert (fields["keyspace_hits"], fields["keyspace_misses"]) == ("1", "1")


async def test_write_commands_do_not_count_keyspace_hits_or_misses(node):
    """Redis counts read lookups only: SET/HSET/INCR on missing keys are not misses."""
    from tests.support.client import RespClient

    async with await RespClient.connect(node.ports[0]) as c:
        await c.call(b"CONFIG", b"RESETSTAT")
        await c.call(b"SET", b"k", b"1")
        await c.call(b"INCR", b"n")
        await c.call(b"APPEND", b"k", b"2")
        info = (await c.call(b"INFO", b"stats")).decode()
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert (fields["keyspace_hits"], fields["keyspace_misses"]) == ("0", "0")
