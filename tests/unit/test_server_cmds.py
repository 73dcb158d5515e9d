"""Pure helpers of the server/client/debug commands: CLIENT LIST lines, INFO sections,
the latency monitor, MONITOR redaction, slowlog filtering, DEBUG DIGEST and LZF sizes.

Expected values that come from Redis were taken from a real redis-server 7.0.15 (the
digests and serialized lengths are checked against it again in tests/differential).
"""

from __future__ import annotations

import re

import pytest

import node.commands  # noqa: F401  (registers every command)
from node import info
from node.client import Client
from node.commands import client_cmd, debug
from node.commands import server as server_cmds
from node.config import Config
from node.server import LatencySeries, Server, _redacted


@pytest.fixture
def server():
    return Server(Config.from_argv(["--port", "0", "--save", ""]))


def make_client(server, client_id=7, addr="127.0.0.1:5555", laddr="127.0.0.1:6379"):
    client = Client(server, None, client_id)
    client.addr, client.laddr, client.fd = addr, laddr, 9
    server.clients[client.id] = client
    return client


# -- CLIENT LIST line ----------------------------------------------------------------------------

LINE_FIELDS = (
    "id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem "
    "rbs rbp obl oll omem tot-mem events cmd user redir resp"
).split()


def fields(line: bytes) -> dict[str, str]:
    pairs = [part.split("=", 1) for part in line.decode().split(" ")]
    assert [k for k, _ in pairs] == LINE_FIELDS
    return dict(pairs)


def test_client_line_has_redis_70_fields_in_order(server):
    client = make_client(server)
    client.created = client.last_interaction = 1000.0
    line = client_cmd.client_info_line(client, now=1010.5)
    f = fields(line)
    assert f["id"] == "7" and f["addr"] == "127.0.0.1:5555" and f["laddr"] == "127.0.0.1:6379"
    assert f["fd"] == "9" and f["name"] == "" and f["age"] == "10" and f["idle"] == "10"
    assert f["flags"] == "N" and f["db"] == "0" and f["multi"] == "-1"
    assert f["cmd"] == "NULL" and f["user"] == "default" and f["redir"] == "-1" and f["resp"] == "2"
    assert f["events"] == "r"


def test_client_line_for_the_asking_client_shows_its_command_and_argv_mem(server):
    client = make_client(server)
    line = client_cmd.client_info_line(client, current_cmd=b"client|list", argv=[b"client", b"list"])
    f = fields(line)
    assert f["cmd"] == "client|list"
    assert f["argv-mem"] == "10"


def test_client_line_tracks_name_db_multi_and_resp(server):
    client = make_client(server)
    client.name = b"worker"
    client.db = server.dbs[3]
    client.proto = 3
    client.multi = [(None, [b"SET", b"k", b"v"]), (None, [b"GET", b"k"])]
    client.last_command = b"multi"
    f = fields(client_cmd.client_info_line(client))
    assert (f["name"], f["db"], f["resp"], f["multi"], f["multi-mem"]) == ("worker", "3", "3", "2", "9")
    assert f["flags"] == "x" and f["cmd"] == "multi"


@pytest.mark.parametrize(
    "setup, flags",
    [
        (lambda c: None, "N"),
        (lambda c: setattr(c, "monitor", True), "O"),
        (lambda c: setattr(c, "subscriptions", 2), "P"),
        (lambda c: setattr(c, "multi", []), "x"),
        (lambda c: (setattr(c, "multi", []), setattr(c, "watch_dirty", True)), "xd"),
        (lambda c: setattr(c, "close_after_reply", True), "c"),
        (lambda c: setattr(c, "readonly", True), "r"),
        (lambda c: setattr(c, "no_evict", True), "e"),
        (lambda c: setattr(c, "kind", "master"), "M"),
        (lambda c: setattr(c, "kind", "replica"), "S"),
    ],
)
def test_client_flags(server, setup, flags):
    client = make_client(server)
    setup(client)
    assert client_cmd.client_flags(client) == flags


def test_client_type_of_a_monitor_is_normal(server):
    client = make_client(server)
    client.monitor = True
    client.kind = "replica"
    assert client_cmd.client_type(client) == "normal"
    client.monitor = False
    assert client_cmd.client_type(client) == "replica"
    client.kind = "normal"
    client.subscriptions = 1
    assert client_cmd.client_type(client) == "pubsub"


def test_subcommand_syntax_error_text():
    assert client_cmd.subcommand_syntax_error(b"get", "slowlog") == (
        "ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP."
    )


@pytest.mark.parametrize(
    "raw, value",
    [(b"0", 0), (b"-1", -1), (b"9223372036854775807", 2**63 - 1), (b"9223372036854775808", None),
     (b"01", None), (b"-0", None), (b"", None), (b" 1", None), (b"1.0", None), (b"+1", None)],
)
def test_parse_ll_is_string2ll(raw, value):
    assert client_cmd._parse_ll(raw) == value


# -- INFO ------------------------------------------------------------------------------------------


def test_info_default_sections_in_redis_order(server):
    text = info.generate(server, [])
    titles = re.findall(rb"^# (\w+)\r$", text, re.M)
    assert titles == [b"Server", b"Clients", b"Memory", b"Persistence", b"Stats", b"Replication",
                      b"CPU", b"Modules", b"Errorstats", b"Cluster", b"Keyspace"]
    assert text.endswith(b"# Keyspace\r\n")
    assert b"\r\n\r\n# Clients\r\n" in text


def test_info_all_and_everything_add_commandstats_and_latencystats(server):
    for word in (b"all", b"everything", b"ALL"):
        titles = re.findall(rb"^# (\w+)\r$", info.generate(server, [word]), re.M)
        assert b"Commandstats" in titles and b"Latencystats" in titles
        assert titles.index(b"Commandstats") < titles.index(b"Errorstats") < titles.index(b"Latencystats")


def test_info_sections_follow_server_order_not_request_order(server):
    text = info.generate(server, [b"keyspace", b"SERVER"])
    assert re.findall(rb"^# (\w+)\r$", text, re.M) == [b"Server", b"Keyspace"]


def test_info_unknown_section_is_empty(server):
    assert info.generate(server, [b"nosuch"]) == b""


def test_info_server_fields(server):
    sections = info.parse(info.generate(server, [b"server"]))
    s = sections["Server"]
    assert s["redis_version"] == "7.0.15"
    assert s["trireme_version"]
    assert s["redis_mode"] == "standalone"
    assert int(s["process_id"]) > 0
    assert s["arch_bits"] == "64"
    assert len(s["run_id"]) == 40


def test_info_keyspace_lists_only_non_empty_dbs(server):
    server.dbs[0].set(b"a", b"1")
    server.dbs[0].set(b"b", b"2")
    server.dbs[0].set_expire(b"b", 2**40)
    server.dbs[5].set(b"c", b"3")
    ks = info.parse(info.generate(server, [b"keyspace"]))["Keyspace"]
    assert ks == {"db0": "keys=2,expires=1,avg_ttl=0", "db5": "keys=1,expires=0,avg_ttl=0"}


def test_info_commandstats_and_errorstats(server):
    from node.commands.spec import REGISTRY

    spec = REGISTRY[b"client"].subcommands[b"id"]
    spec.calls, spec.usec, spec.failed_calls, spec.rejected_calls = 4, 10, 1, 2
    server.count_error("ERR syntax error")
    server.count_error("WRONGTYPE Operation", rejected=True)
    server.count_error("ERR other")
    text = info.generate(server, [b"commandstats", b"errorstats"])
    assert b"cmdstat_client|id:calls=4,usec=10,usec_per_call=2.50,rejected_calls=2,failed_calls=1\r\n" in text
    assert text.endswith(b"# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_WRONGTYPE:count=1\r\n")
    spec.calls = spec.usec = spec.failed_calls = spec.rejected_calls = 0


def test_info_clients_and_stats_count(server):
    make_client(server, 1)
    make_client(server, 2)
    server.stat_connections = 2
    sections = info.parse(info.generate(server, [b"clients", b"stats"]))
    assert sections["Clients"]["connected_clients"] == "2"
    assert sections["Stats"]["total_connections_received"] == "2"
    assert sections["Stats"]["total_error_replies"] == "0"


def test_info_memory_is_plausible(server):
    mem = info.parse(info.generate(server, [b"memory"]))["Memory"]
    assert int(mem["used_memory"]) > 1024 * 1024
    assert int(mem["used_memory_peak"]) >= int(mem["used_memory"])
    assert mem["maxmemory_policy"] == "noeviction"


@pytest.mark.parametrize("n, text", [(0, "0B"), (1023, "1023B"), (1024, "1.00K"), (990304, "967.09K"),
                                     (6856704, "6.54M"), (25276502016, "23.54G")])
def test_bytes_to_human(n, text):
    assert info.bytes_to_human(n) == text


def test_reset_stats_clears_counters_and_command_stats(server):
    from node.commands.spec import REGISTRY

    spec = REGISTRY[b"time"]
    spec.calls = 5
    server.stat_connections = 3
    server.count_error("ERR x")
    server.reset_stats()
    assert spec.calls == 0 and server.stat_connections == 0 and not server.error_counts
    assert server.total_commands() == 0


# -- slowlog and latency monitor -------------------------------------------------------------------


def test_slowlog_add_respects_both_thresholds_and_skip_slowlog(server):
    client = make_client(server)
    server.config.slowlog_log_slower_than = 1000
    server.config.latency_monitor_threshold = 5
    server.config_changed("latency-monitor-threshold")
    assert server.slowlog_threshold_ns == 1_000_000
    client.last_command = b"get"
    server.slowlog_add(client, [b"GET", b"k"], 2000)  # 2 ms: slowlog only
    assert len(server.slowlog) == 1 and not server.latency_events
    server.slowlog_add(client, [b"GET", b"k"], 7000)  # 7 ms: both, "fast-command" for GET
    assert len(server.slowlog) == 2 and list(server.latency_events) == ["fast-command"]
    client.last_command = b"exec"  # skip_slowlog
    server.slowlog_add(client, [b"EXEC"], 9000)
    assert len(server.slowlog) == 2 and "command" in server.latency_events
    server.config.slowlog_log_slower_than = -1
    server.config_changed("slowlog-log-slower-than")
    assert server.slowlog_threshold_ns == 5_000_000
    server.config.latency_monitor_threshold = 0
    server.config_changed("latency-monitor-threshold")
    assert server.slowlog_threshold_ns == -1


def test_slowlog_entry_truncates_long_arguments(server):
    client = make_client(server)
    client.last_command = b"set"
    server.config.slowlog_log_slower_than = 0
    server.slowlog_add(client, [b"x"] * 40, 5)
    server.slowlog_add(client, [b"SET", b"k", b"v" * 200], 5)
    long_entry, many_entry = server.slowlog[0], server.slowlog[1]
    assert many_entry[3][-1] == b"... (9 more arguments)" and len(many_entry[3]) == 32
    assert long_entry[3][2] == b"v" * 128 + b"... (72 more bytes)"


def test_latency_series_keeps_one_sample_per_second():
    series = LatencySeries()
    series.add(100, 5)
    series.add(100, 3)
    series.add(100, 9)
    series.add(101, 4)
    assert [list(s) for s in series.samples] == [[100, 9], [101, 4]]
    assert series.max == 9
    for t in range(200, 400):
        series.add(t, 1)
    assert len(series.samples) == 160


def test_latency_doctor_texts(server):
    report = server_cmds.latency_report(server, 1000)
    assert report.startswith("I'm sorry, Dave, I can't do that.")
    server.config.latency_monitor_threshold = 100
    assert server_cmds.latency_report(server, 1000).startswith("Dave, no latency spike was observed")
    server.latency_add_sample("command", 150)
    report = server_cmds.latency_report(server, int(server.latency_events["command"].samples[0][0]))
    assert "1. command: 1 latency spikes (average 150ms, mean deviation 0ms, period 1.00 sec). " \
           "Worst all time event 150ms.\n" in report
    assert "- Check your Slow Log" in report and "- Deleting, expiring or evicting" in report


def test_latency_graph_shape():
    series = LatencySeries()
    series.add(100, 10)
    series.add(101, 20)
    series.add(102, 40)
    text = server_cmds.latency_graph_text("command", series, 105)
    lines = text.split("\n")
    assert lines[0] == "command - high 40 ms, low 10 ms (all time high 40 ms)"
    assert lines[1] == "-" * 80
    assert lines[2:6] == ["  #", "  |", " o|", "_||"]
    assert lines[6:9] == ["   ", "543", "sss"]


# -- MONITOR redaction ---------------------------------------------------------------------------


def test_monitor_redacts_secrets():
    assert _redacted([b"AUTH", b"pw"]) == [b"AUTH", b"(redacted)"]
    assert _redacted([b"auth", b"user", b"pw"]) == [b"auth", b"(redacted)", b"(redacted)"]
    assert _redacted([b"hello", b"3", b"setname", b"auth", b"auth", b"u", b"p"]) == [
        b"hello", b"3", b"setname", b"auth", b"auth", b"(redacted)", b"(redacted)"]
    assert _redacted([b"migrate", b"h", b"1", b"", b"0", b"5", b"AUTH2", b"u", b"p", b"KEYS", b"a"]) == [
        b"migrate", b"h", b"1", b"", b"0", b"5", b"AUTH2", b"(redacted)", b"(redacted)", b"KEYS", b"a"]
    assert _redacted([b"GET", b"auth"]) == [b"GET", b"auth"]


# -- DEBUG helpers -----------------------------------------------------------------------------


def test_digest_matches_redis(server):
    assert debug.dataset_digest(server.dbs).hex() == "0" * 40
    db = server.dbs[0]
    db.set(b"a", b"1")
    assert debug.dataset_digest(server.dbs).hex() == "943d800368fb9c0e951138f1bc0e313ac769d91f"
    value = bytearray(20)
    debug.xor_object_digest(db, b"a", value, b"1")
    assert value.hex() == "b4fc66738120fba0b5aa500ab5c2bf89cea1c5da"
    db.set_expire(b"a", 2**45)
    assert debug.dataset_digest(server.dbs).hex() == "0c68bbcf4ad5c984f8ca839729889d52ec025271"
    server.dbs[3].set(b"x", b"y")
    assert debug.dataset_digest(server.dbs).hex() == "21e0a314c501188f79520b7972a7bcb680284e31"


@pytest.mark.parametrize(
    "value, length",
    [(b"12345", 3), (b"hello", 6), (b"a" * 85, 13), (b"a" * 21, 9), (b"-5", 2), (b"100000", 5),
     (b"10000000000", 12), (b"123456789012", 13), (b"3.5", 4), (b"abcdefghijklmnopqrstuvwxyz0123456789" * 3, 49),
     (b"0", 2), (b"-2147483648", 5), (b"2147483648", 11), (b"007", 4)],
)
def test_serialized_length_matches_redis(value, length):
    assert debug.serialized_length(value) == length


def test_lzf_incompressible_input_is_not_compressed():
    data = bytes(range(200))
    assert debug.lzf_compressed_length(data, len(data) - 4) == 0
    assert debug.serialized_length(data) == 2 + 200


@pytest.mark.parametrize("raw, value", [(b"1.5", 1.5), (b"x", 0.0), (b"2abc", 2.0), (b" .5", 0.5), (b"1e1", 10.0)])
def test_strtod(raw, value):
    assert debug.strtod(raw) == value


@pytest.mark.parametrize("raw, value", [(b"100", 100), (b"1kb", 1024), (b"1K", 1000), (b"2gb", 2 * 1024**3),
                                        (b"x", None), (b"-1", None), (b"1xb", None)])
def test_memtoull(raw, value):
    assert debug.memtoull(raw) == value


def test_client_unblock_uses_the_server_hook(server):
    caller = make_client(server, 1)
    target = make_client(server, 2)
    argv = [b"CLIENT", b"UNBLOCK", b"2", b"ERROR"]
    assert client_cmd.client_unblock(caller, argv) == 0  # no blocking support wired in
    calls = []
    server.unblock_client = lambda client, as_error: calls.append((client, as_error)) or True
    assert client_cmd.client_unblock(caller, argv) == 1
    assert calls == [(target, True)]
    assert client_cmd.client_unblock(caller, [b"CLIENT", b"UNBLOCK", b"99"]) == 0
