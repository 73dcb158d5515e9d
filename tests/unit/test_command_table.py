"""The command table: every declaration is well-formed, and COMMAND/CONFIG handlers built from it.

The handlers are called directly (no sockets): reply values are checked for Redis 7.0's
shapes and wire types (sets of status strings for flags and categories, maps for key
specs). tests/differential/test_command.py compares the same replies with a real server.
"""

from __future__ import annotations

import pytest

import node.commands  # noqa: F401  (registers every command)
from node.commands import config_cmd, introspection
from node.commands.introspection import find_keys, info_reply, key_spec_reply, keys_from_specs, lookup_fullname
from node.commands.spec import ACL_ORDER, FLAG_ORDER, KEY_FLAG_ORDER, REGISTRY, KeySpec
from node.config import Config
from node.errors import CommandError
from node.replies import SetReply, Status, encode
from node.server import Server

GROUPS = {"generic", "string", "list", "set", "sorted_set", "hash", "pubsub", "transactions", "connection", "server",
          "scripting", "hyperloglog", "cluster", "sentinel", "geo", "stream", "bitmap"}


class FakeClient:
    def __init__(self, server: Server, addr: str = "127.0.0.1:5000"):
        self.server = server
        self.db = server.dbs[0]
        self.addr = addr


@pytest.fixture
def client():
    return FakeClient(Server(Config()))


def run(client, *args):
    argv = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    spec = REGISTRY[argv[0].lower()]
    if spec.subcommands and len(argv) > 1:
        spec = spec.subcommands[argv[1].lower()]
    arity = spec.arity
    if (arity > 0 and len(argv) != arity) or len(argv) < -arity:
        raise CommandError(f"ERR wrong number of arguments for '{spec.name}' command")
    return spec.handler(client, argv)


def error_of(client, *args) -> str:
    with pytest.raises(CommandError) as info:
        run(client, *args)
    return info.value.message


# -- declarations -------------------------------------------------------------------------------------


def every_spec():
    for spec in REGISTRY.values():
        yield spec
        yield from spec.subcommands.values()


@pytest.mark.parametrize("spec", list(every_spec()), ids=lambda s: s.name)
def test_declaration_is_well_formed(spec):
    assert spec.arity != 0
    assert spec.name == spec.name.lower()
    assert set(spec.flags) <= set(FLAG_ORDER)
    assert set(spec.acl_categories) <= set(ACL_ORDER)
    assert spec.group in GROUPS
    assert spec.since and spec.summary
    for ks in spec.key_specs:
        assert set(ks.key_flags) <= set(KEY_FLAG_ORDER)
        access = [f for f in ks.key_flags if f in ("RW", "RO", "OW", "RM")]
        # A shard channel (SSUBSCRIBE, SPUBLISH) is "not_key" with no access flag, as in Redis.
        assert len(access) == (0 if "not_key" in ks.key_flags else 1), ks
    if spec.handler is None:
        assert spec.subcommands, f"{spec.name} has no handler and no subcommands"
    # The legacy (first, last, step) triple only describes keys a command has.
    if not spec.key_specs:
        assert (spec.first_key, spec.last_key, spec.key_step) == (0, 0, 0)
    if "|" in spec.name:
        parent = spec.name.split("|")[0]
        assert REGISTRY[parent.encode()].subcommands[spec.name.split("|")[1].encode()] is spec


# -- COMMAND INFO shapes -----------------------------------------------------------------------------------


def test_info_reply_for_get():
    entry = info_reply(REGISTRY[b"get"])
    assert entry[:2] == [b"get", 2]
    assert isinstance(entry[2], SetReply) and entry[2] == [Status("readonly"), Status("fast")]
    assert entry[3:6] == [1, 1, 1]
    assert entry[6] == [Status("@read"), Status("@string"), Status("@fast")]
    assert entry[7] == SetReply()
    assert entry[8] == [{
        b"flags": [Status("RO"), Status("access")],
        b"begin_search": {b"type": b"index", b"spec": {b"index": 1}},
        b"find_keys": {b"type": b"range", b"spec": {b"lastkey": 0, b"keystep": 1, b"limit": 0}},
    }]
    assert isinstance(entry[9], SetReply) and entry[9] == []  # no subcommands: an empty set, as Redis sends
    assert encode(entry, 3).startswith(b"*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n")


def test_info_reply_for_a_container_lists_subcommands():
    entry = info_reply(REGISTRY[b"config"])
    assert entry[:7] == [b"config", -2, [], 0, 0, 0, [Status("@slow")]]
    names = sorted(sub[0] for sub in entry[9])
    assert names == [b"config|get", b"config|help", b"config|resetstat", b"config|rewrite", b"config|set"]
    assert type(entry[9]) is list  # subcommands are an array, not a set


def test_key_spec_reply_shapes():
    notes = key_spec_reply(KeySpec("RW ACCESS UPDATE", index=1, notes="why"))
    assert list(notes) == [b"notes", b"flags", b"begin_search", b"find_keys"]
    keyword = key_spec_reply(KeySpec("RO ACCESS", keyword=("STREAMS", 1), lastkey=-1, step=1, limit=2))
    assert keyword[b"begin_search"] == {b"type": b"keyword", b"spec": {b"keyword": b"STREAMS", b"startfrom": 1}}
    assert keyword[b"find_keys"] == {b"type": b"range", b"spec": {b"lastkey": -1, b"keystep": 1, b"limit": 2}}
    keynum = key_spec_reply(KeySpec("RO ACCESS", index=2, keynum=(0, 1, 1)))
    assert keynum[b"find_keys"] == {b"type": b"keynum", b"spec": {b"keynumidx": 0, b"firstkey": 1, b"keystep": 1}}
    unknown = key_spec_reply(KeySpec("RO ACCESS"))
    assert unknown[b"begin_search"] == {b"type": b"unknown", b"spec": {}}
    assert unknown[b"find_keys"] == {b"type": b"unknown", b"spec": {}}


def test_lookup_fullname():
    assert lookup_fullname(b"GET") is REGISTRY[b"get"]
    assert lookup_fullname(b"config|GET") is REGISTRY[b"config"].subcommands[b"get"]
    assert lookup_fullname(b"config|nosuch") is None
    assert lookup_fullname(b"get|x") is None
    assert lookup_fullname(b"config|get|x") is None


# -- key extraction ------------------------------------------------------------------------------------------


def argv(text: str) -> list[bytes]:
    return text.encode().split()


def test_keys_from_range_specs():
    mset = (KeySpec("OW UPDATE", index=1, lastkey=-1, step=2),)
    assert keys_from_specs(mset, argv("mset a 1 b 2")) == [(1, ["OW", "update"]), (3, ["OW", "update"])]
    xread = (KeySpec("RO ACCESS", keyword=("STREAMS", 1), lastkey=-1, limit=2),)
    assert [p for p, _ in keys_from_specs(xread, argv("xread count 2 streams a b 0 0"))] == [4, 5]
    assert keys_from_specs(xread, argv("xread count 2 a b")) == []  # keyword absent: no keys from it


def test_keys_from_keyword_searched_backwards():
    keys = (KeySpec("RW ACCESS DELETE", keyword=("KEYS", -2), lastkey=-1),)
    assert [p for p, _ in keys_from_specs(keys, argv("migrate h p '' 0 5 keys a b"))] == [7, 8]
    assert keys_from_specs(keys, argv("migrate keys p '' 0 5 a b")) == []  # argv[1] is never searched
    migrate = (KeySpec("RW ACCESS DELETE INCOMPLETE", keyword=("KEYS", -2), lastkey=-1),)
    # INCOMPLETE specs make the whole search invalid (Redis falls back to the command's getkeys)
    assert keys_from_specs(migrate, argv("migrate h p '' 0 5 keys a b")) is None


def test_keys_from_keynum_specs():
    zunion = (KeySpec("OW UPDATE", index=1), KeySpec("RO ACCESS", index=2, keynum=(0, 1, 1)))
    assert [p for p, _ in keys_from_specs(zunion, argv("zunionstore d 2 a b"))] == [1, 3, 4]
    assert keys_from_specs(zunion, argv("zunionstore d 5 a b")) is None
    assert keys_from_specs(zunion, argv("zunionstore d x a b")) is None


def test_variable_flags_follow_the_arguments():
    spec = REGISTRY[b"set"]
    assert find_keys(spec, argv("set k v")) == [(1, ["OW", "update"])]
    assert find_keys(spec, argv("set k v get")) == [(1, ["RW", "access", "update"])]
    bitfield = REGISTRY[b"bitfield"]
    assert find_keys(bitfield, argv("bitfield k get u8 0")) == [(1, ["RO", "access"])]
    assert find_keys(bitfield, argv("bitfield k set u8 0 1")) == [(1, ["RW", "access", "update"])]


# -- COMMAND subcommands -----------------------------------------------------------------------------------------


def test_command_count_list_and_info(client):
    assert run(client, "command", "count") == len(REGISTRY)
    names = run(client, "command", "list")
    assert b"config|get" in names and b"get" in names
    assert len(names) == sum(1 + len(s.subcommands) for s in REGISTRY.values())
    assert run(client, "command", "list", "filterby", "pattern", "CONFIG*") == [
        b"config", *(b"config|" + sub for sub in REGISTRY[b"config"].subcommands)]
    assert run(client, "command", "list", "filterby", "aclcat", "nosuch") == []
    assert run(client, "command", "list", "filterby", "module", "x") == []
    assert b"ping" in run(client, "command", "list", "filterby", "aclcat", "CONNECTION")
    assert error_of(client, "command", "list", "filterby", "pattern") == "ERR syntax error"
    assert error_of(client, "command", "list", "filterby", "foo", "x") == "ERR syntax error"
    info = run(client, "command", "info", "get", "nosuch", "config|get")
    assert info[0][0] == b"get" and info[1] is None and info[2][0] == b"config|get"
    assert len(run(client, "command", "info")) == len(REGISTRY)
    assert len(run(client, "command")) == len(REGISTRY)


def test_command_docs(client):
    docs = run(client, "command", "docs", "get", "nosuch", "config")
    assert list(docs) == [b"get", b"config"]
    assert docs[b"get"] == {b"summary": b"Get the value of a key", b"since": b"1.0.0", b"group": b"string",
                            b"complexity": b"O(1)"}
    assert docs[b"config"][b"complexity"] == b"Depends on subcommand."
    assert docs[b"config"][b"subcommands"][b"config|get"][b"since"] == b"2.0.0"


def test_command_getkeys(client):
    assert run(client, "command", "getkeys", "mset", "a", "1", "b", "2") == [b"a", b"b"]
    assert run(client, "command", "getkeysandflags", "set", "a", "b") == [[b"a", [Status("OW"), Status("update")]]]
    assert error_of(client, "command", "getkeys", "nosuch", "a") == "ERR Invalid command specified"
    assert error_of(client, "command", "getkeys", "config", "nosuch", "x") == "ERR Invalid command specified"
    assert error_of(client, "command", "getkeys", "config", "get", "x") == "ERR The command has no key arguments"
    assert error_of(client, "command", "getkeys", "get", "a", "b") == "ERR Invalid number of arguments specified for command"
    assert error_of(client, "command", "getkeys", "ping") == "ERR wrong number of arguments for 'command|getkeys' command"


def test_help_texts(client):
    lines = run(client, "command", "help")
    assert lines[0] == Status("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    assert lines[-2:] == [Status("HELP"), Status("    Prints this help.")]
    lines = run(client, "config", "help")
    assert [line.text.decode() for line in lines] == list(config_cmd.HELP)


# -- CONFIG subcommands ----------------------------------------------------------------------------------------


def test_config_get_set(client):
    assert run(client, "config", "get", "maxmemory") == {b"maxmemory": b"0"}
    assert run(client, "config", "set", "maxmemory", "1mb", "hz", "20").text == b"OK"
    assert run(client, "config", "get", "maxmemory", "hz") == {b"maxmemory": b"1048576", b"hz": b"20"}
    assert error_of(client, "config", "set", "maxmemory", "1", "hz") == "ERR syntax error"


def test_config_set_protected_from_local_clients_only():
    server = Server(Config.from_argv(["--enable-protected-configs", "local"]))
    assert run(FakeClient(server, "127.0.0.1:1"), "config", "set", "dbfilename", "a.rdb").text == b"OK"
    assert error_of(FakeClient(server, "10.1.2.3:1"), "config", "set", "dbfilename", "b.rdb").endswith(
        "can't set protected config")
    assert config_cmd.is_local(FakeClient(server, "/unixsocket:0"))
    assert config_cmd.is_local(FakeClient(server, "::1:6000"))


def test_config_rewrite_without_file(client):
    assert error_of(client, "config", "rewrite") == "ERR The server is running without a config file"


def test_config_rewrite_with_file(tmp_path):
    path = tmp_path / "r.conf"
    path.write_text("port 7000\n")
    server = Server(Config.from_argv([str(path)]))
    client = FakeClient(server)
    run(client, "config", "set", "maxmemory", "2mb")
    assert run(client, "config", "rewrite").text == b"OK"
    assert "maxmemory 2mb" in path.read_text()


def test_config_resetstat(client):
    server = client.server
    server.stat_connections = 5
    server.stat_keyspace_hits = 3
    server.error_counts["ERR"] += 2
    spec = REGISTRY[b"get"]
    spec.calls, spec.usec, spec.failed_calls = 10, 100, 1
    sub = REGISTRY[b"config"].subcommands[b"get"]
    sub.calls = 4
    assert run(client, "config", "resetstat").text == b"OK"
    assert server.stat_connections == 0 and server.stat_keyspace_hits == 0
    assert not server.error_counts
    assert (spec.calls, spec.usec, spec.failed_calls, sub.calls) == (0, 0, 0, 0)


def test_introspection_module_docstring_mentions_shapes():
    assert "key specs" in introspection.__doc__
