"""Configuration parsing: the command line and config files, CONFIG GET/SET rules, CONFIG REWRITE.

Expected texts are what redis-server 7.0.15 prints or answers (checked against the real
binary when these tests were written; tests/differential/test_config.py keeps checking the
CONFIG GET/SET side against a running one).
"""

from __future__ import annotations

import os

import pytest

from node import config as cfgmod
from node.config import (
    KNOWN_UNIMPLEMENTED, NOTIFY_ALL, NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, PARAMS, Config, ConfigError,
    format_memory, format_notify, memtoull, repr_arg, split_args, string2ll, stringmatch,
)
from node.errors import CommandError

FATAL = "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"


def fatal(line_no: int, line: str, reason: str) -> str:
    return f"{FATAL}Reading the configuration file, at line {line_no}\n>>> '{line}'\n{reason}"


def start_error(argv: list[str]) -> str:
    with pytest.raises(SystemExit) as info:
        Config.from_argv(argv)
    return str(info.value)


def set_error(config: Config, *args: str, local: bool = False) -> str:
    pairs = [(args[i].encode(), args[i + 1].encode()) for i in range(0, len(args), 2)]
    with pytest.raises(CommandError) as info:
        config.set(pairs, local=local)
    return info.value.message


def get(config: Config, *patterns: str) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in config.get([p.encode() for p in patterns]).items()}


# -- Redis's string helpers --------------------------------------------------------------------------


@pytest.mark.parametrize("line, words", [
    (b"port 6379", [b"port", b"6379"]),
    (b"  save   900 1  ", [b"save", b"900", b"1"]),
    (b'foo "a b" \'c d\'', [b"foo", b"a b", b"c d"]),
    (b'x "\\x41\\n\\t\\"q"', [b"x", b'A\n\t"q']),
    (b"x 'it\\'s'", [b"x", b"it's"]),
    (b'save ""', [b"save", b""]),
    (b"", []),
])
def test_split_args(line, words):
    assert split_args(line) == words


@pytest.mark.parametrize("line", [b'foo "bar', b"foo 'bar", b'foo "bar"x', b"foo 'a'b"])
def test_split_args_unbalanced(line):
    assert split_args(line) is None


def test_repr_arg_is_sdscatrepr():
    assert repr_arg("a b") == '"a b"'
    assert repr_arg('c"d\\') == '"c\\"d\\\\"'
    assert repr_arg("e\tf\n\x01") == '"e\\tf\\n\\x01"'


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("12", 12), ("1kb", 1024), ("1KB", 1024), ("1k", 1000), ("5mb", 5 * 1024**2), ("2g", 2 * 10**9),
    ("3gb", 3 * 1024**3), ("10b", 10), ("", 0), ("kb", 0), ("01", 1),
    ("18446744073709551616", 2**64 - 1),  # strtoull saturates
    ("17179869184gb", 0),  # and the multiplication wraps, as in C
    ("-1", None), ("1 ", None), ("+1", None), ("0x10", None), ("1.5", None), ("1tb", None),
])
def test_memtoull(text, value):
    assert memtoull(text) == value


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("-5", -5), ("9223372036854775807", 2**63 - 1), ("01", None), ("+1", None), (" 1", None),
    ("", None), ("9223372036854775808", None), ("1.0", None),
])
def test_string2ll(text, value):
    assert string2ll(text) == value


def test_format_memory():
    assert [format_memory(v) for v in (0, 1000, 1024, 3 * 1024**2, 1024**3, 1025)] == ["0", "1000", "1kb", "3mb", "1gb", "1025"]


@pytest.mark.parametrize("pattern, name, nocase, result", [
    (b"*", b"anything", False, True),
    (b"max*", b"maxmemory", False, True),
    (b"MAX*", b"maxmemory", True, True),
    (b"MAX*", b"maxmemory", False, False),
    (b"h?", b"hz", False, True),
    (b"[a-c]x", b"bx", False, True),
    (b"[^a-c]x", b"bx", False, False),
    (b"[\\]]", b"]", False, True),
    (b"a\\*", b"a*", False, True),
    (b"a\\*", b"ab", False, False),
    (b"*-*-*", b"a-b-c", False, True),
    (b"*x", b"abc", False, False),
    (b"[abc", b"b", False, True),
])
def test_stringmatch(pattern, name, nocase, result):
    assert stringmatch(pattern, name, nocase) is result


def test_notify_flags_round_trip():
    config = Config()
    config.set([(b"notify-keyspace-events", b"KEA")])
    assert config.notify_keyspace_events == NOTIFY_ALL | NOTIFY_KEYSPACE | NOTIFY_KEYEVENT
    assert format_notify(config.notify_keyspace_events) == "AKE"
    config.set([(b"notify-keyspace-events", b"nAKEm")])
    assert get(config, "notify-keyspace-events") == {"notify-keyspace-events": "AKEm"}  # n is hidden by A
    config.set([(b"notify-keyspace-events", b"g$lshzxetd")])
    assert get(config, "notify-keyspace-events")["notify-keyspace-events"] == "A"


# -- the table -------------------------------------------------------------------------------------------


def test_every_param_has_a_valid_default():
    config = Config()
    for param in PARAMS:
        if param.name == "dir":
            continue
        assert param.show(getattr(config, param.attr)) == param.default, param.name


def test_table_size_and_aliases():
    config = Config()
    visible = [name for name, param in config.entries if not param.hidden]
    hidden = {name for name, param in config.entries if param.hidden}
    assert len(visible) == 192  # what `CONFIG GET *` lists on Redis 7.0.15 (aliases included)
    assert hidden == {"use-exit-on-panic", "lua-enable-deprecated-api", "rdb-key-save-delay", "key-load-delay",
                      "watchdog-period", "loading-process-events-interval-bytes"}
    assert config.params["slaveof"] is config.params["replicaof"]
    assert config.params["hash-max-ziplist-entries"].name == "hash-max-listpack-entries"
    assert config.params["lua-time-limit"].name == "busy-reply-threshold"


def test_known_unimplemented_are_not_params():
    config = Config()
    assert not KNOWN_UNIMPLEMENTED & set(config.params)


# -- command line and files ----------------------------------------------------------------------------


def test_argv_sets_values():
    config = Config.from_argv(["--port", "7000", "--maxmemory", "1mb", "--save", "", "--bind", "127.0.0.1", "::1"])
    assert config.port == 7000
    assert config.maxmemory == 1024 * 1024
    assert config.save == []
    assert config.bind == "127.0.0.1 ::1"


def test_argv_unknown_directive():
    assert start_error(["--foo", "bar"]) == fatal(2, 'foo "bar"', "Bad directive or wrong number of arguments")


def test_argv_line_numbers_and_quoting():
    assert start_error(["--port", "1", "--maxmemory", "foo"]) == fatal(3, 'maxmemory "foo"', "argument must be a memory value")
    assert start_error(["--port", "1", "--foo", "a b", 'c"d', "e\tf"]) == fatal(
        3, 'foo "a b" "c\\"d" "e\\tf"', "Bad directive or wrong number of arguments")
    assert start_error(["--port", "1", "--maxmemory 5", "--foo"]) == fatal(4, "foo", "Bad directive or wrong number of arguments")


def test_argv_errors_per_type():
    cases = {
        ("--save", "1"): ('save "1"', "Invalid save parameters"),
        ("--hz", "abc"): ('hz "abc"', "argument couldn't be parsed into an integer"),
        ("--loglevel", "loud"): ('loglevel "loud"', "argument(s) must be one of the following: debug, verbose, notice, warning"),
        ("--daemonize", "maybe"): ('daemonize "maybe"', "argument must be 'yes' or 'no'"),
        ("--unixsocketperm", "799"): ('unixsocketperm "799"', "argument couldn't be parsed as an octal number"),
        ("--unixsocketperm", "1777"): ('unixsocketperm "1777"', "argument must be between 0 and 777 inclusive"),
        ("--maxmemory", "1", "2"): ('maxmemory "1" "2"', "wrong number of arguments"),
        ("--replicaof", "1.2.3.4"): ('replicaof "1.2.3.4"', "wrong number of arguments"),
        ("--dbfilename", "a/b"): ('dbfilename "a/b"', "dbfilename can't be a path, just a filename"),
        ("--notify-keyspace-events", "Q"): ('notify-keyspace-events "Q"', "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
        ("--client-output-buffer-limit", "normal 1 2"): ('client-output-buffer-limit "normal 1 2"',
                                                         "Wrong number of arguments in buffer limit configuration."),
        ("--dir", "/nonexistent-trireme-dir"): ('dir "/nonexistent-trireme-dir"', "No such file or directory"),
        ("--user",): ("user", "Bad directive or wrong number of arguments"),
        ("--foo.bar",): ("foo.bar", "Module config specified without value"),
    }
    for args, (line, reason) in cases.items():
        assert start_error(["--port", "1", *args]) == fatal(3, line, reason), args


def test_argv_multi_arg_value_in_one_word():
    assert Config.from_argv(["--save", "900 1", "--save", "300", "10"]).save == [(900, 1), (300, 10)]
    assert Config.from_argv(["--save"]).save == []
    assert Config.from_argv(["--save", "--port", "7001"]).port == 7001


def test_deprecated_directives_are_ignored():
    Config.from_argv(["--list-max-ziplist-entries", "5", "--lua-replicate-commands", "yes"])
    assert start_error(["--list-max-ziplist-entries", "5", "6"]) == fatal(
        2, 'list-max-ziplist-entries "5" "6"', "Bad directive or wrong number of arguments")


def test_post_load_checks(tmp_path):
    assert start_error(["--logfile", str(tmp_path / "no" / "x.log")]) == f"{FATAL}Can't open the log file: No such file or directory"
    assert start_error(["--replicaof", "1.2.3.4", "1", "--cluster-enabled", "yes"]) == (
        f"{FATAL}replicaof directive not allowed in cluster mode")
    assert Config.from_argv(["--hz", "0"]).hz == 1
    assert Config.from_argv(["--hz", "1000"]).hz == 500


def test_config_file(tmp_path):
    path = tmp_path / "redis.conf"
    path.write_text("# comment\n\nport 7002\n  maxmemory   2mb  \nslave-read-only no\nsave 900 1\nsave 300 10\n")
    config = Config.from_argv([str(path), "--save", "60", "5"])
    assert config.config_file == str(path)
    assert config.port == 7002
    assert config.maxmemory == 2 * 1024 * 1024
    assert config.replica_read_only is False
    assert config.save == [(900, 1), (300, 10), (60, 5)]  # save lines add up while reading


def test_config_file_errors(tmp_path):
    path = tmp_path / "bad.conf"
    path.write_text("port 1\nfoo bar\n")
    assert start_error([str(path)]) == fatal(2, "foo bar", "Bad directive or wrong number of arguments")
    assert start_error([str(path), "--port", "2"]) == fatal(2, "foo bar", "Bad directive or wrong number of arguments")
    path.write_text('# c\n\nmaxmemory "x\n')
    assert start_error([str(path)]) == fatal(3, 'maxmemory "x', "Unbalanced quotes in configuration line")
    assert start_error([str(tmp_path / "none.conf")]) == (
        f"Fatal error, can't open config file '{tmp_path / 'none.conf'}': No such file or directory")


def test_options_after_a_file_are_numbered_after_it(tmp_path):
    path = tmp_path / "ok.conf"
    path.write_text("port 1\n")  # line 1, then "" (line 2) and the added "\n" (line 3)
    assert start_error([str(path), "--bar", "1"]) == fatal(3, 'bar "1"', "Bad directive or wrong number of arguments")


def test_include(tmp_path):
    (tmp_path / "a.conf").write_text("maxmemory 3mb\n")
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "1.conf").write_text("hz 20\n")
    (tmp_path / "conf.d" / "2.conf").write_text("hz 30\n")
    main = tmp_path / "main.conf"
    main.write_text(f"include {tmp_path / 'a.conf'}\ninclude {tmp_path / 'conf.d'}/*.conf\ninclude {tmp_path}/none/*.conf\n")
    config = Config.from_argv([str(main)])
    assert config.maxmemory == 3 * 1024 * 1024
    assert config.hz == 30
    (tmp_path / "bad.conf").write_text("port 1\n\nnope 1\n")
    main.write_text(f"include {tmp_path / 'bad.conf'}\n")
    assert start_error([str(main)]) == fatal(3, "nope 1", "Bad directive or wrong number of arguments")
    main.write_text(f"include {tmp_path / 'missing.conf'}\n")
    assert start_error([str(main)]) == f"Fatal error, can't open config file '{tmp_path / 'missing.conf'}': No such file or directory"


def test_save_lines_after_an_include_replace_each_other(tmp_path):
    # Redis quirk: the included file's loader ends "reading the file", so later save lines reset.
    (tmp_path / "i.conf").write_text("hz 11\n")
    main = tmp_path / "m.conf"
    main.write_text(f"include {tmp_path / 'i.conf'}\nsave 900 1\nsave 300 10\n")
    assert Config.from_argv([str(main)]).save == [(300, 10)]


def test_known_unimplemented_directives_are_accepted(tmp_path, caplog):
    path = tmp_path / "x.conf"
    path.write_text('rename-command DEBUG ""\nuser alice on >pw ~* +@all\nloadmodule /x.so\n')
    Config.from_argv([str(path)])
    assert "not implemented by Trireme" in caplog.text


def test_dir_is_resolved_not_chdired(tmp_path):
    before = os.getcwd()
    config = Config.from_argv(["--dir", str(tmp_path)])
    assert config.dir == os.path.realpath(tmp_path)
    assert os.getcwd() == before
    assert get(config, "dir") == {"dir": os.path.realpath(tmp_path)}


# -- CONFIG GET -----------------------------------------------------------------------------------------------


def test_get_exact_and_patterns():
    config = Config()
    assert get(config, "MAXMEMORY") == {"MAXMEMORY": "0"}  # the name as asked
    assert get(config, "maxmemory", "MAXMEMORY") == {"maxmemory": "0"}  # deduplicated without case
    assert set(get(config, "maxmem*")) == {"maxmemory", "maxmemory-policy", "maxmemory-clients", "maxmemory-samples",
                                           "maxmemory-eviction-tenacity"}
    assert get(config, "repl*ping*") == {"repl-ping-replica-period": "10", "repl-ping-slave-period": "10"}
    assert get(config, "nosuch") == {}
    assert get(config, "key-load-delay") == {"key-load-delay": "0"}  # hidden: exact name only
    assert "key-load-delay" not in get(config, "*")
    assert get(config, "slaveof", "replicaof") == {"slaveof": "", "replicaof": ""}


def test_get_special_defaults():
    config = Config()
    assert get(config, "save", "client-output-buffer-limit", "oom-score-adj-values", "bind",
               "latency-tracking-info-percentiles", "notify-keyspace-events") == {
        "save": "3600 1 300 100 60 10000",
        "client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        "oom-score-adj-values": "0 200 800",
        "bind": "* -::*",
        "latency-tracking-info-percentiles": "50 99 99.9",
        "notify-keyspace-events": "",
    }


# -- CONFIG SET ------------------------------------------------------------------------------------------------


def test_set_error_texts():
    config = Config()
    prefix = "ERR CONFIG SET failed (possibly related to argument"
    assert set_error(config, "maxmemory", "foo") == f"{prefix} 'maxmemory') - argument must be a memory value"
    assert set_error(config, "MAXMEMORY", "foo") == f"{prefix} 'maxmemory') - argument must be a memory value"
    assert set_error(config, "hash-max-ziplist-value", "x") == f"{prefix} 'hash-max-ziplist-value') - argument must be a memory value"
    assert set_error(config, "DAEMONIZE", "yes") == f"{prefix} 'DAEMONIZE') - can't set immutable config"
    assert set_error(config, "dir", "/tmp") == f"{prefix} 'dir') - can't set protected config"
    assert set_error(config, "nosuch", "1") == "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
    assert set_error(config, "maxmemory", "1", "MAXMEMORY", "2") == f"{prefix} 'MAXMEMORY') - duplicate parameter"
    assert set_error(config, "hz", "-5") == f"{prefix} 'hz') - argument must be between 0 and 2147483647 inclusive"
    assert set_error(config, "hz", "01") == f"{prefix} 'hz') - argument couldn't be parsed into an integer"
    assert set_error(config, "hash-max-listpack-entries", "-1") == (
        f"{prefix} 'hash-max-listpack-entries') - argument must be between 0 and 9223372036854775807 inclusive")
    assert set_error(config, "proto-max-bulk-len", "1") == (
        f"{prefix} 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive")
    assert set_error(config, "maxmemory-clients", "200%") == f"{prefix} 'maxmemory-clients') - percentage argument must be less or equal to 100"
    assert set_error(config, "maxmemory-clients", "-1") == f"{prefix} 'maxmemory-clients') - argument must be a memory or percent value"
    assert set_error(config, "loglevel", "x") == (
        f"{prefix} 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning")
    assert set_error(config, "shutdown-on-sigint", "save nosave") == (
        f"{prefix} 'shutdown-on-sigint') - shutdown options SAVE and NOSAVE can't be used simultaneously")
    assert set_error(config, "oom-score-adj-values", "0 200") == f"{prefix} 'oom-score-adj-values') - wrong number of arguments"
    assert set_error(config, "bind", " ".join(["a"] * 17)) == f"{prefix} 'bind') - Too many bind addresses specified."
    assert set_error(config, "activedefrag", "yes").startswith(f"{prefix} 'activedefrag') - Active defragmentation cannot be enabled")


def test_set_first_error_wins():
    config = Config()
    assert set_error(config, "foo", "1", "daemonize", "yes") == "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    assert set_error(config, "daemonize", "yes", "foo", "1") == (
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config")


def test_set_is_all_or_nothing():
    config = Config()
    set_error(config, "maxmemory", "5mb", "hz", "oops")
    assert config.maxmemory == 0
    config.set([(b"maxmemory", b"5mb"), (b"hz", b"20")])
    assert (config.maxmemory, config.hz) == (5 * 1024**2, 20)


def test_set_values_print_like_redis():
    config = Config()
    config.set([(b"maxmemory-clients", b"10%"), (b"oom-score-adj", b"relative"), (b"shutdown-on-sigint", b"now save"),
                (b"client-output-buffer-limit", b"replica 1mb 2kb 3 PUBSUB 0 0 0"), (b"hz", b"0"),
                (b"latency-tracking-info-percentiles", b"0.5 1e1 .25"), (b"save", b"100 5 200 10"),
                (b"repl-backlog-size", b"1")])
    assert get(config, "maxmemory-clients", "oom-score-adj", "shutdown-on-sigint", "client-output-buffer-limit", "hz",
               "latency-tracking-info-percentiles", "save", "repl-backlog-size") == {
        "maxmemory-clients": "10%",
        "oom-score-adj": "yes",
        "shutdown-on-sigint": "save now",
        "client-output-buffer-limit": "normal 0 0 0 slave 1048576 2048 3 pubsub 0 0 0",
        "hz": "1",
        "latency-tracking-info-percentiles": "0.5 10 0.25",
        "save": "100 5 200 10",
        "repl-backlog-size": "16384",
    }
    assert config.client_output_buffer_limit["replica"] == (1024**2, 2048, 3)
    config.set([(b"save", b"")])
    assert config.save == []


def test_alias_and_name_are_not_duplicates():
    config = Config()
    config.set([(b"hash-max-ziplist-entries", b"1"), (b"hash-max-listpack-entries", b"2")])
    assert config.hash_max_listpack_entries == 2


def test_protected_configs():
    config = Config.from_argv(["--enable-protected-configs", "local"])
    assert set_error(config, "dbfilename", "x.rdb", local=False).endswith("can't set protected config")
    config.set([(b"dbfilename", b"x.rdb")], local=True)
    assert config.dbfilename == "x.rdb"


def test_on_change_is_told_and_can_refuse():
    config = Config()
    seen = []

    def on_change(name):
        seen.append(name)
        if name == "port" and config.port == 1:
            raise ConfigError("Unable to listen on this port. Check server logs.")

    config.on_change = on_change
    config.set([(b"hz", b"11")])
    assert seen == ["hz"]
    config.set([(b"hz", b"11")])  # no change: not told again
    assert seen == ["hz"]
    assert set_error(config, "maxmemory", "1mb", "port", "1") == (
        "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.")
    assert (config.maxmemory, config.port) == (0, 6379)


# -- CONFIG REWRITE ------------------------------------------------------------------------------------------


def test_rewrite_without_file():
    with pytest.raises(ConfigError, match="The server is running without a config file"):
        Config().rewrite()


def test_rewrite_keeps_comments_and_updates_lines(tmp_path):
    (tmp_path / "inc.conf").write_text("bind 127.0.0.1\n")
    path = tmp_path / "a.conf"
    path.write_text(
        "# top comment\nport 16611\ninclude " + str(tmp_path / "inc.conf") + "\nsave 900 1\nsave 300 10\n\n"
        "maxmemory 100mb\n\n\nhash-max-ziplist-entries 100\nslave-read-only yes\nrename-command DEBUG \"\"\n"
        "list-max-ziplist-entries 5\n  timeout   5  \nloglevel notice\n"
    )
    config = Config.from_argv([str(path), "--dir", str(tmp_path)])
    config.set([(b"maxmemory", b"3gb"), (b"slave-priority", b"5"), (b"notify-keyspace-events", b"KEA"),
                (b"loglevel", b"warning"), (b"client-output-buffer-limit", b"pubsub 1mb 1000 5"), (b"timeout", b"0")])
    config.rewrite()
    text = path.read_text()
    head, _, generated = text.partition("\n# Generated by CONFIG REWRITE\n")
    assert head == (
        "# top comment\nport 16611\ninclude " + str(tmp_path / "inc.conf") + "\nsave 300 10\n\nmaxmemory 3gb\n\n"
        "hash-max-listpack-entries 100\nreplica-read-only yes\nrename-command DEBUG \"\"\n"
        "# ??? list-max-ziplist-entries 5\ntimeout 0\nloglevel warning\n"
    )
    assert sorted(generated.splitlines()) == sorted([
        f'dir "{os.path.realpath(tmp_path)}"',
        "bind 127.0.0.1",
        "latency-tracking-info-percentiles 50 99 99.9",
        "replica-priority 5",
        "client-output-buffer-limit pubsub 1mb 1000 5",
        'notify-keyspace-events "AKE"',
    ])
    # Like Redis, the next rewrite reuses the client-output-buffer-limit line for the first class
    # (normal, at its default) and appends the changed one again; the values stay the same.
    config.rewrite()
    second = path.read_text()
    assert "client-output-buffer-limit normal 0 0 0\n" in second
    assert second.endswith("\n\nclient-output-buffer-limit pubsub 1mb 1000 5\n")
    config.rewrite()
    again = Config.from_argv([str(path)])
    assert again.maxmemory == 3 * 1024**3 and again.replica_priority == 5
    assert again.client_output_buffer_limit == config.client_output_buffer_limit


def test_rewrite_defaults_are_written_when_forced(tmp_path):
    path = tmp_path / "b.conf"
    path.write_text("port 16612\nrequirepass foo\n")
    config = Config.from_argv([str(path)])
    config.rewrite()
    lines = path.read_text().splitlines()
    assert lines[:4] == ["port 16612", 'requirepass "foo"', "", "# Generated by CONFIG REWRITE"]
    assert sorted(lines[4:]) == sorted(["latency-tracking-info-percentiles 50 99 99.9", f'dir "{os.path.realpath(os.getcwd())}"',
                                        "save 3600 1", "save 300 100", "save 60 10000"])


def test_rewrite_empty_save_and_null_strings(tmp_path):
    path = tmp_path / "c.conf"
    path.write_text("save 1 1\nmasterauth secret\n")
    config = Config.from_argv([str(path), "--dir", str(tmp_path)])
    config.set([(b"save", b""), (b"masterauth", b"")])
    config.rewrite()
    assert path.read_text().splitlines()[:2] == ['save ""', ""]
    assert "masterauth" not in path.read_text()


def test_rewrite_is_atomic_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "d.conf"
    path.write_text("port 1\n")
    config = Config.from_argv([str(path)])
    config.rewrite()
    assert sorted(os.listdir(tmp_path)) == ["d.conf"]
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o644 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_param_kinds_are_known():
    for param in PARAMS:
        assert param.kind in ("bool", "int", "enum", "string", "special"), param.name
        if param.kind == "special":
            assert param.parse and param.format and param.rewrite, param.name


def test_module_exports():
    assert cfgmod.REWRITE_SIGNATURE == "# Generated by CONFIG REWRITE"
