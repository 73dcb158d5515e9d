"""node/commands/getkeys.py: Redis 7.0's native getkeys procedures, including those of commands
the node does not declare yet (EVAL, FCALL, MIGRATE): the expected keys and flags are real
Redis 7.0.15's COMMAND GETKEYSANDFLAGS answers. tests/differential/test_command.py compares
every declared command with a real server."""

from __future__ import annotations

import pytest

from node.commands.getkeys import (
    NATIVE_GETKEYS,
    OW_UPDATE,
    RO_ACCESS,
    RW_ACCESS_DELETE,
    atoi,
    cstr,
)


def keys(command: str) -> list[tuple[str, list[str]]]:
    argv = [b"" if word == "''" else word.encode() for word in command.split(" ")]
    return [(argv[pos].decode(), flags) for pos, flags in NATIVE_GETKEYS[command.split()[0]](argv)]


@pytest.mark.parametrize("raw, value", [
    (b"12", 12), (b"01", 1), (b"2x", 2), (b"+3", 3), (b" -4", -4), (b"x", 0), (b"", 0), (b"7\x009", 7),
    (b"99999999999999999999", -1), (b"-99999999999999999999", 0), (b"4294967297", 1), (b"2147483648", -2147483648),
])
def test_atoi_is_glibcs(raw, value):
    assert atoi(raw) == value


def test_cstr_stops_at_nul():
    assert cstr(b"GET\0x") == b"get"


@pytest.mark.parametrize("command, expected", [
    ("eval s 02 a b", [("a", []), ("b", [])]),
    ("eval s 3 a b", []),
    ("fcall_ro f 01 a", [("a", [])]),
    ("zunionstore d 01 a", [("a", []), ("d", [])]),
    ("blmpop 0 02 a b left", [("a", []), ("b", [])]),
    ("migrate h p k 0 10", [("k", RW_ACCESS_DELETE)]),
    ("migrate h p '' 0 10 auth2 u pw keys a b", [("a", RW_ACCESS_DELETE), ("b", RW_ACCESS_DELETE)]),
    ("migrate h p '' 0 10 auth keys keys a", [("a", RW_ACCESS_DELETE)]),
    ("migrate h p k 0 10 keys a b", []),
    ("migrate h p '' 0 10", [("", RW_ACCESS_DELETE)]),
    ("sort a by store store c", [("a", RO_ACCESS), ("c", OW_UPDATE)]),
    ("georadius k 0 0 1 km store d storedist e", [("k", []), ("e", [])]),
    ("xreadgroup group g c noack streams a b > >", [("a", []), ("b", [])]),
    ("xread streams a", []),
])
def test_native_procedures(command, expected):
    assert keys(command) == expected
