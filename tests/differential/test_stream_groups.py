"""Stream consumer groups against real Redis 7.0: XGROUP, XREADGROUP (non-blocking paths),
XACK, XPENDING, XCLAIM, XAUTOCLAIM and XINFO, replies and error texts in RESP2 and RESP3.

Every entry has an explicit id. Replies holding times (XPENDING's idle, XINFO CONSUMERS'
idle, XINFO STREAM FULL's seen-time and delivery times) are compared with those numbers
masked: a unix-ms time must be within a minute of the other side's, an idle time below a
minute. Commands that change state are sent once (``resp3=False``) unless running them
twice is harmless; the RESP3 shapes are checked on read-only commands and on the XREADGROUP
history form.
"""

from __future__ import annotations

import random
import re
import time

import pytest
import redis

from tests.differential.test_streams import add
from tests.support.keyspace_events import collect
from tests.support.rawconn import Reply, ServerError

GROUP_COMMANDS = ("xgroup", "xreadgroup", "xack", "xpending", "xclaim", "xautoclaim", "xinfo")
SUBCOMMANDS = (
    ("xgroup", "create"), ("xgroup", "setid"), ("xgroup", "destroy"), ("xgroup", "createconsumer"),
    ("xgroup", "delconsumer"), ("xgroup", "help"), ("xinfo", "stream"), ("xinfo", "groups"),
    ("xinfo", "consumers"), ("xinfo", "help"),
)
ID_PATTERN = re.compile(rb"^\d+-\d+$")
MINUTE_MS = 60_000


# -- masking times ----------------------------------------------------------------------------------


def _is_time(reply: Reply) -> bool:
    return reply.kind == ":" and isinstance(reply.value, int) and reply.value > 10**12


def _masked_int(reply: Reply, tag: str) -> Reply:
    """An idle time, to the second (XCLAIM IDLE sets large ones); both sides agree on that."""
    assert reply.kind == ":" and 0 <= reply.value < 10 * MINUTE_MS, f"{tag} out of bounds: {reply!r}"
    return Reply(":", (tag, reply.value // 1000))


def _is_pending_row(items: list) -> bool:
    """XPENDING's extended rows: [id, consumer, idle, count]."""
    return (len(items) == 4 and items[0].kind == "$" and ID_PATTERN.match(items[0].value or b"") is not None
            and items[1].kind == "$" and items[2].kind == ":" and isinstance(items[2].value, int))


def mask(reply: Reply) -> Reply:
    """``reply`` with unix-ms times replaced by ``TIME`` and idle times by ``IDLE``."""
    kind, value = reply.kind, reply.value
    if _is_time(reply):
        assert abs(value - time.time() * 1000) < MINUTE_MS, f"not a current time: {value}"
        return Reply(":", "TIME")
    if kind == "%":
        return Reply(kind, tuple((k, _masked_int(v, "IDLE") if k.value == b"idle" else mask(v)) for k, v in value))
    if kind not in "*~>" or value is None:
        return reply
    items = [mask(item) for item in value]
    if _is_pending_row(items):
        items[2] = _masked_int(items[2], "IDLE")
    for i in range(len(items) - 1):
        if items[i].kind == "$" and items[i].value == b"idle" and items[i + 1].kind == ":":
            items[i + 1] = _masked_int(items[i + 1], "IDLE")
    return Reply(kind, tuple(items))


def check_timed(differ, *args, resp3: bool = True) -> None:
    """Like ``differ.check`` for replies holding times: compared with the times masked."""
    for protocol in (2, 3) if resp3 else (2,):
        ours, real = differ.raw(*args, protocol=protocol)
        assert mask(ours) == mask(real), f"RESP{protocol} {args}:\n  ours: {ours!r}\n  real: {real!r}"


def once(differ, *args):
    """A state-changing command, sent once per server (RESP2)."""
    return differ.check(*args, resp3=False)


def stream_with_group(differ, key="s", ids=("1-1", "2-1", "3-1", "4-1", "5-1"), group="g", start="0"):
    add(differ, key, *ids)
    once(differ, "XGROUP", "CREATE", key, group, start)


def groups_state(differ, key="s", group="g"):
    """Everything a group's state shows: XINFO GROUPS and CONSUMERS, XPENDING both forms."""
    differ.check("XINFO", "GROUPS", key)
    check_timed(differ, "XINFO", "CONSUMERS", key, group)
    differ.check("XPENDING", key, group)
    check_timed(differ, "XPENDING", key, group, "-", "+", "100")


# -- declarations ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GROUP_COMMANDS)
def test_command_info(differ, name):
    """Containers list their subcommands in Redis's hash order: compared as a set."""
    ours, real = differ.raw("COMMAND", "INFO", name, protocol=3)
    ours_entry, real_entry = ours.value[0].value, real.value[0].value
    assert ours_entry[:9] == real_entry[:9], name
    assert sorted(map(repr, ours_entry[9].value)) == sorted(map(repr, real_entry[9].value)), name


def _doc_fields(reply: Reply, name: str) -> dict:
    doc = reply.value[1].value
    fields = {k.value: v for k, v in zip(doc[::2], doc[1::2])}
    subcommands = fields.pop(b"subcommands", None)
    if subcommands is not None:
        for sub_name, sub_doc in zip(subcommands.value[::2], subcommands.value[1::2]):
            fields[sub_name.value] = _doc_fields(Reply("*", (sub_name, sub_doc)), sub_name.value)
    return {k: v for k, v in fields.items() if k not in (b"arguments", b"history", b"doc_flags")}


@pytest.mark.parametrize("name", GROUP_COMMANDS)
def test_command_docs_fields(differ, name):
    """Summary, since, group and complexity (of every subcommand too)."""
    ours, real = differ.raw("COMMAND", "DOCS", name)
    assert _doc_fields(ours, name) == _doc_fields(real, name)


def test_getkeys(differ):
    differ.check("COMMAND", "GETKEYS", "XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "a", "b", ">", "0")
    differ.check("COMMAND", "GETKEYS", "XGROUP", "CREATE", "s", "g", "$")
    differ.check("COMMAND", "GETKEYSANDFLAGS", "XAUTOCLAIM", "s", "g", "c", "0", "0")
    differ.check("COMMAND", "GETKEYSANDFLAGS", "XINFO", "STREAM", "s", "FULL")


@pytest.mark.parametrize("container, sub", SUBCOMMANDS)
def test_subcommand_info(differ, container, sub):
    differ.check("COMMAND", "INFO", f"{container}|{sub}")


@pytest.mark.parametrize("args", [
    ("XGROUP",), ("XGROUP", "CREATE", "s"), ("XGROUP", "CREATE", "s", "g"), ("XGROUP", "DESTROY", "s"),
    ("XGROUP", "DESTROY", "s", "g", "x"), ("XGROUP", "CREATECONSUMER", "s", "g"), ("XGROUP", "DELCONSUMER", "s", "g"),
    ("XGROUP", "SETID", "s", "g"), ("XGROUP", "HELP", "x"), ("XGROUP", "FOO"), ("XGROUP", "foo", "s", "g"),
    ("XINFO",), ("XINFO", "STREAM"), ("XINFO", "GROUPS"), ("XINFO", "CONSUMERS", "s"), ("XINFO", "HELP", "x"),
    ("XINFO", "FOO"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s"), ("XACK", "s", "g"),
    ("XPENDING", "s"), ("XCLAIM", "s", "g", "c", "0"), ("XAUTOCLAIM", "s", "g", "c", "0"),
])
def test_arity_and_unknown_subcommands(differ, args):
    differ.check(*args)


def test_help(differ):
    differ.check("XGROUP", "HELP")
    differ.check("XINFO", "HELP")
    differ.check("xgroup", "help")


# -- XGROUP ------------------------------------------------------------------------------------------


def test_xgroup_create_and_errors(differ):
    once(differ, "XGROUP", "CREATE", "s", "g", "$")  # no key, no MKSTREAM
    once(differ, "XGROUP", "CREATE", "s", "g", "abc")
    once(differ, "XGROUP", "CREATE", "s", "g", "abc", "MKSTREAM")
    once(differ, "XGROUP", "CREATE", "s", "g", "0", "ENTRIESREAD", "-5")
    once(differ, "XGROUP", "CREATE", "s", "g", "0", "ENTRIESREAD", "x")
    once(differ, "XGROUP", "CREATE", "s", "g", "$", "foo")
    once(differ, "XGROUP", "CREATE", "s", "g", "$", "ENTRIESREAD")
    once(differ, "XGROUP", "CrEaTe", "s", "g", "$", "MKSTREAM", "MKSTREAM", "MKSTREAM", "MKSTREAM")
    differ.check("EXISTS", "s")  # too many arguments: nothing created
    once(differ, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    once(differ, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")  # BUSYGROUP
    differ.check("TYPE", "s")
    add(differ, "s", "1-1", "2-1")
    for group, start, *options in [
        ("a", "0"), ("b", "$"), ("c", "1"), ("d", "1-1", "ENTRIESREAD", "1"), ("e", "-"), ("f", "+"), ("h", ">"),
        ("i", "(1"), ("j", "18446744073709551615-18446744073709551615"), ("k", "0", "ENTRIESREAD", "9223372036854775807"),
        ("l", "0", "ENTRIESREAD", "9223372036854775808"), ("m", "$", "ENTRIESREAD", "1", "ENTRIESREAD", "2"),
        ("n", "0", "ENTRIESREAD", "-1", "MKSTREAM"), ("\x00z", "0"),
    ]:
        once(differ, "XGROUP", "CREATE", "s", group, start, *options)
    differ.check("XINFO", "GROUPS", "s")
    differ.check("SET", "str", "x")
    once(differ, "XGROUP", "CREATE", "str", "g", "$", "MKSTREAM")
    once(differ, "XGROUP", "CREATE", "str", "g", "abc")
    once(differ, "XGROUP", "CREATE", "str", "g", "0", "ENTRIESREAD", "-5")


def test_xgroup_setid(differ):
    stream_with_group(differ, ids=("1-1", "2-1", "3-1"))
    for args in [("5",), ("5", "ENTRIESREAD", "7"), ("5", "ENTRIESREAD", "-2"), ("$",), ("-",), ("+",), ("1",),
                 ("(1",), (">",), ("abc",), ("1-1", "ENTRIESREAD", "1"), ("5", "foo"), ("5", "ENTRIESREAD"),
                 ("5", "ENTRIESREAD", "1", "2"), ("5", "MKSTREAM"), ("0", "ENTRIESREAD", "-1")]:
        once(differ, "XGROUP", "SETID", "s", "g", *args)
        differ.check("XINFO", "GROUPS", "s")
    once(differ, "XGROUP", "SETID", "s", "nog", "0")
    once(differ, "XGROUP", "SETID", "s", "nog", "0", "ENTRIESREAD", "-5")
    once(differ, "XGROUP", "SETID", "nokey", "g", "abc")
    once(differ, "XGROUP", "SETID", "nokey", "g", "0", "ENTRIESREAD", "-5")
    differ.check("SET", "str", "x")
    once(differ, "XGROUP", "SETID", "str", "g", "abc")


def test_xgroup_consumers_and_destroy(differ):
    stream_with_group(differ)
    once(differ, "XGROUP", "CREATECONSUMER", "s", "g", "c1")
    once(differ, "XGROUP", "CREATECONSUMER", "s", "g", "c1")
    once(differ, "XGROUP", "CREATECONSUMER", "s", "g", "")
    once(differ, "XGROUP", "CREATECONSUMER", "s", "nog", "c")
    once(differ, "XGROUP", "CREATECONSUMER", "nokey", "g", "c")
    once(differ, "XREADGROUP", "GROUP", "g", "c2", "COUNT", "2", "STREAMS", "s", ">")
    groups_state(differ)
    once(differ, "XGROUP", "DELCONSUMER", "s", "g", "c2")  # answers its pending count
    once(differ, "XGROUP", "DELCONSUMER", "s", "g", "c2")
    once(differ, "XGROUP", "DELCONSUMER", "s", "nog", "c2")
    once(differ, "XGROUP", "DELCONSUMER", "nokey", "g", "c2")
    groups_state(differ)
    once(differ, "XGROUP", "DESTROY", "s", "g")
    once(differ, "XGROUP", "DESTROY", "s", "g")
    once(differ, "XGROUP", "DESTROY", "nokey", "g")
    differ.check("XINFO", "GROUPS", "s")
    differ.check("SET", "str", "x")
    once(differ, "XGROUP", "DESTROY", "str", "g")
    once(differ, "XGROUP", "CREATECONSUMER", "str", "g", "c")


# -- XREADGROUP --------------------------------------------------------------------------------------


def test_xreadgroup_new_entries_and_pel(differ):
    stream_with_group(differ)
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">")
    once(differ, "XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "s", ">")
    groups_state(differ)
    once(differ, "XREADGROUP", "GROUP", "g", "c3", "NOACK", "STREAMS", "s", ">")
    groups_state(differ)
    differ.check("XREADGROUP", "GROUP", "g", "c4", "STREAMS", "s", ">")  # nothing new: null, no consumer
    groups_state(differ)


def test_xreadgroup_history(differ):
    stream_with_group(differ)
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "3", "STREAMS", "s", ">")
    for start in ("0", "1", "1-1", "2-1", "0-0", "18446744073709551614-1"):
        once(differ, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", start)
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", "0")
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "-1", "STREAMS", "s", "0")
    once(differ, "XDEL", "s", "2-1")
    differ.check("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0")  # [id, nil] for the deleted entry
    differ.check("XREADGROUP", "GROUP", "g", "newcomer", "STREAMS", "s", "0")  # created, empty history
    groups_state(differ)


def test_xreadgroup_redelivery_after_setid(differ):
    stream_with_group(differ)
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">")
    once(differ, "XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", "0")
    once(differ, "XGROUP", "SETID", "s", "g", "2-1")
    once(differ, "XREADGROUP", "GROUP", "g", "c2", "COUNT", "2", "STREAMS", "s", ">")  # reassigned, count reset
    groups_state(differ)


def test_xreadgroup_several_streams(differ):
    stream_with_group(differ, "a", ("1-1", "2-1"))
    stream_with_group(differ, "b", ("1-1",), start="$")
    stream_with_group(differ, "c", ("5-5",))
    once(differ, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "b", "c", ">", ">", ">")
    differ.check("XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "b", "c", "0", ">", "0")
    once(differ, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "10", "STREAMS", "a", "b", "1-1", ">")


def test_xreadgroup_tombstones_and_empty_streams(differ):
    stream_with_group(differ, ids=("1-1", "2-1"), start="1-1")
    once(differ, "XDEL", "s", "2-1")
    differ.check("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")  # only a tombstone above: null
    once(differ, "XGROUP", "CREATE", "e", "g", "$", "MKSTREAM")
    differ.check("XREADGROUP", "GROUP", "g", "c", "STREAMS", "e", ">")
    differ.check("XINFO", "GROUPS", "s")


@pytest.mark.parametrize("args", [
    ("GROUP", "g", "c1", "STREAMS", "s", "$"), ("GROUP", "g", "c1", "STREAMS", "s", "0", "1"),
    ("GROUP", "nog", "c1", "STREAMS", "s", ">"), ("GROUP", "g", "c1", "STREAMS", "nokey", ">"),
    ("GROUP", "g", "c1", "STREAMS", "s", "-"), ("GROUP", "g", "c1", "STREAMS", "s", "+"),
    ("GROUP", "g", "c1", "STREAMS", "s", "(1"), ("GROUP", "g", "c1", "STREAMS", "s", "abc"),
    ("GROUP", "g", "c1", "COUNT", "abc", "STREAMS", "s", "0"), ("GROUP", "g", "c1", "BLOCK", "-1", "STREAMS", "s", "0"),
    ("GROUP", "g", "c1", "BLOCK", "abc", "STREAMS", "s", "0"), ("GROUP", "g", "c1", "foo", "STREAMS", "s", "0"),
    ("COUNT", "1", "BLOCK", "1", "STREAMS", "s", ">"), ("GROUP", "g", "c1", "STREAMS", "str", ">"),
    ("GROUP", "g", "c1", "STREAMS", "s", "str", ">", ">"), ("GROUP", "g", "c1", "STREAMS", "s", "nokey", ">", ">"),
    ("GROUP", "g", "c1", "STREAMS", "s", "nokey", "$", ">"), ("GROUP", "g", "c1", "STREAMS", "s", "s", "0", "1", "2"),
])
def test_xreadgroup_errors(differ, args):
    stream_with_group(differ)
    differ.check("SET", "str", "x")
    differ.check("XREADGROUP", *args)
    differ.check("XINFO", "CONSUMERS", "s", "g")  # no consumer was created


def test_xread_rejects_group_options(differ):
    add(differ, "s", "1-1")
    differ.check("XREAD", "GROUP", "g", "c", "STREAMS", "s", "0")
    differ.check("XREAD", "NOACK", "STREAMS", "s", "0")
    differ.check("XREAD", "STREAMS", "s", ">")


def test_entries_read_and_lag(differ):
    add(differ, "s", *(f"{i}-1" for i in range(1, 11)))
    for name, start, *options in [("a", "0"), ("b", "$"), ("c", "5-1"), ("d", "0", "ENTRIESREAD", "0"),
                                  ("e", "3-1", "ENTRIESREAD", "3"), ("f", "1-1")]:
        once(differ, "XGROUP", "CREATE", "s", name, start, *options)
    differ.check("XINFO", "GROUPS", "s")
    for group in ("a", "c", "d", "e", "f"):
        once(differ, "XREADGROUP", "GROUP", group, "x", "COUNT", "2", "STREAMS", "s", ">")
    differ.check("XINFO", "GROUPS", "s")
    once(differ, "XDEL", "s", "8-1")
    differ.check("XINFO", "GROUPS", "s")
    for group in ("a", "c", "d"):
        once(differ, "XREADGROUP", "GROUP", group, "x", "COUNT", "4", "STREAMS", "s", ">")
    differ.check("XINFO", "GROUPS", "s")
    once(differ, "XDEL", "s", "1-1")
    once(differ, "XADD", "s", "11-1", "f", "v")
    differ.check("XINFO", "GROUPS", "s")
    for group in ("a", "b", "c", "d", "e", "f"):
        once(differ, "XREADGROUP", "GROUP", group, "x", "STREAMS", "s", ">")
    differ.check("XINFO", "GROUPS", "s")
    once(differ, "XTRIM", "s", "MAXLEN", "0")
    differ.check("XINFO", "GROUPS", "s")
    once(differ, "XGROUP", "SETID", "s", "a", "0")
    differ.check("XINFO", "GROUPS", "s")


def test_lag_with_first_entry_deleted(differ):
    add(differ, "s", "1-1", "2-1", "3-1")
    once(differ, "XDEL", "s", "1-1")
    once(differ, "XGROUP", "CREATE", "s", "g", "0", "ENTRIESREAD", "0")
    differ.check("XINFO", "GROUPS", "s")


@pytest.mark.parametrize("seed", range(6))
def test_lag_random_walk(differ, seed):
    """Random XADD/XDEL/XTRIM/XREADGROUP/SETID steps; the groups' counters after each."""
    rng = random.Random(seed)
    next_ms = 1
    once(differ, "XGROUP", "CREATE", "s", "g0", "0", "MKSTREAM")
    once(differ, "XGROUP", "CREATE", "s", "g1", "$", "ENTRIESREAD", "0")
    for _ in range(40):
        step = rng.random()
        if step < 0.4:
            once(differ, "XADD", "s", f"{next_ms}-1", "f", "v")
            next_ms += 1
        elif step < 0.55:
            once(differ, "XDEL", "s", f"{rng.randrange(1, next_ms + 1)}-1")
        elif step < 0.6:
            once(differ, "XTRIM", "s", "MAXLEN", str(rng.randrange(0, 5)))
        elif step < 0.9:
            group = rng.choice(("g0", "g1"))
            once(differ, "XREADGROUP", "GROUP", group, "c", "COUNT", str(rng.randrange(1, 4)), "STREAMS", "s", ">")
        else:
            options = rng.choice(((), ("ENTRIESREAD", str(rng.randrange(0, 5)))))
            once(differ, "XGROUP", "SETID", "s", rng.choice(("g0", "g1")), f"{rng.randrange(0, next_ms)}-1", *options)
        differ.check("XINFO", "GROUPS", "s")


# -- XACK / XPENDING ---------------------------------------------------------------------------------


def test_xack(differ):
    stream_with_group(differ)
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "3", "STREAMS", "s", ">")
    once(differ, "XACK", "s", "g", "1-1", "9-9", "1-1")
    once(differ, "XACK", "s", "g", "2")
    for args in [("abc",), ("1-1", "abc"), ("-",), ("+",)]:
        once(differ, "XACK", "s", "g", *args)
    once(differ, "XACK", "s", "nog", "abc")
    once(differ, "XACK", "nokey", "g", "abc")
    differ.check("SET", "str", "x")
    once(differ, "XACK", "str", "g", "1-1")
    groups_state(differ)
    once(differ, "XACK", "s", "g", "2-1", "3-1")
    groups_state(differ)


def test_xpending_forms_and_errors(differ):
    stream_with_group(differ)
    differ.check("XPENDING", "s", "g")  # empty PEL: 0, nil, nil, nil array
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">")
    once(differ, "XREADGROUP", "GROUP", "g", "c2", "COUNT", "2", "STREAMS", "s", ">")
    differ.check("XPENDING", "s", "g")
    for args in [
        ("-", "+", "10"), ("-", "+", "10", "c2"), ("-", "+", "10", "c3"), ("IDLE", "0", "-", "+", "10"),
        ("IDLE", "-5", "-", "+", "10"), ("idle", "1000000", "-", "+", "10"), ("-", "+", "10", "c1", "x"),
        ("-", "+", "-1"), ("-", "+", "0"), ("(2-1", "+", "10"), ("-", "(3-1", "10"), ("+", "-", "10"),
        ("3", "3", "10"), ("-", "+", "9223372036854775807"), ("IDLE", "0", "-", "+", "10", "c1"),
        ("IDLE", "0", "-", "+", "10", "c1", "x"), ("-", "+", "1"),
    ]:
        check_timed(differ, "XPENDING", "s", "g", *args)
    for args in [
        ("IDLE", "abc", "-", "+", "10"), ("-", "+"), ("-", "+", "abc"), ("abc", "+", "10"), ("-", "abc", "10"),
        ("IDLE", "5"), ("IDLE",), ("IDLE", "5", "-", "+", "10", "c1", "d"), ("-", "+", "9223372036854775808"),
        ("(18446744073709551615-18446744073709551615", "+", "10"), ("-", "(0-0", "10"), ("IDLE", "5", "-", "+"),
    ]:
        differ.check("XPENDING", "s", "g", *args)
    differ.check("XPENDING", "s", "nog")
    differ.check("XPENDING", "nokey", "g")
    differ.check("XPENDING", "nokey", "g", "-", "+", "10")
    differ.check("XPENDING", "nokey", "g", "abc", "+", "10")
    differ.check("SET", "str", "x")
    differ.check("XPENDING", "str", "g")


# -- XCLAIM / XAUTOCLAIM -----------------------------------------------------------------------------


def test_xclaim(differ):
    stream_with_group(differ, ids=("1-1", "2-1", "3-1", "4-1"))
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "3", "STREAMS", "s", ">")
    for args in [
        ("c2", "0", "1-1"), ("c2", "0", "1-1", "JUSTID"), ("c2", "0", "1-1", "RETRYCOUNT", "7"), ("c2", "0", "4-1"),
        ("c2", "0", "4-1", "FORCE"), ("c2", "0", "4-1", "FORCE"), ("c2", "-5", "1-1"), ("c2", "999999", "1-1"),
        ("c3", "0", "1-1", "4-1", "IDLE", "100000", "JUSTID"), ("c3", "0", "1-1", "TIME", "1", "JUSTID"),
        ("c3", "0", "1-1", "TIME", "99999999999999", "JUSTID"), ("c3", "0", "1-1", "IDLE", "-5", "JUSTID"),
        ("c3", "0", "1-1", "LASTID", "9-9"), ("c3", "0", "1-1", "RETRYCOUNT", "-3"), ("c4", "0", "9-9", "FORCE"),
        ("c1", "0", "2-1", "3-1", "JUSTID", "RETRYCOUNT", "0"), ("c1", "0", "2-1", "force", "justid", "lastid", "1-1"),
    ]:
        once(differ, "XCLAIM", "s", "g", *args)
        groups_state(differ)
    differ.check("XINFO", "GROUPS", "s")


def test_xclaim_drops_deleted_entries(differ):
    stream_with_group(differ)
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">")
    once(differ, "XDEL", "s", "2-1", "4-1")
    once(differ, "XCLAIM", "s", "g", "c2", "0", "2-1", "3-1", "4-1", "FORCE")
    groups_state(differ)
    once(differ, "XCLAIM", "s", "g", "c2", "999999", "5-1")  # not idle enough: stays with c1
    groups_state(differ)


@pytest.mark.parametrize("args", [
    ("c2", "abc", "1-1"), ("c2", "0", "1-1", "foo"), ("c2", "0", "1-1", "IDLE"), ("c2", "0", "1-1", "IDLE", "x"),
    ("c2", "0", "1-1", "TIME", "x"), ("c2", "0", "1-1", "RETRYCOUNT", "x"), ("c2", "0", "1-1", "LASTID", "x"),
    ("c2", "0", "1-1", "LASTID", "-"), ("c2", "0", "1-1", "foo", "2-1"), ("c2", "0", "1-1", "JUSTID", "2-1"),
    ("c2", "0", "-"), ("c2", "0", "\x00x"),
])
def test_xclaim_errors(differ, args):
    stream_with_group(differ)
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">")
    once(differ, "XCLAIM", "s", "g", *args)
    groups_state(differ)


def test_xclaim_missing_key_group_type(differ):
    add(differ, "s", "1-1")
    differ.check("SET", "str", "x")
    differ.check("XCLAIM", "s", "nog", "c", "abc", "1-1")
    differ.check("XCLAIM", "nokey", "g", "c", "abc", "1-1")
    differ.check("XCLAIM", "str", "g", "c", "0", "1-1")


def test_xautoclaim(differ):
    stream_with_group(differ)
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">")
    once(differ, "XDEL", "s", "2-1", "4-1")
    for args in [
        ("c2", "0", "0", "COUNT", "1"), ("c2", "0", "0", "COUNT", "1"), ("c2", "0", "(3-1", "COUNT", "1"),
        ("c2", "0", "0", "JUSTID"), ("c2", "0", "0", "COUNT", "2", "JUSTID"), ("c3", "0", "3-1", "COUNT", "1"),
        ("c2", "0", "-"), ("c2", "0", "+"), ("c2", "9999999", "0"), ("c2", "-1", "0"), ("c4", "0", "0", "count", "1"),
    ]:
        once(differ, "XAUTOCLAIM", "s", "g", *args)
        groups_state(differ)


def test_xautoclaim_attempts_limit(differ):
    """COUNT 1 allows 10 attempts: entries not idle enough use them up, and the cursor says where to go on."""
    stream_with_group(differ, ids=tuple(f"{i}-1" for i in range(1, 31)))
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">")
    once(differ, "XCLAIM", "s", "g", "c1", "0", *(f"{i}-1" for i in range(1, 16)), "IDLE", "500000", "JUSTID")
    once(differ, "XAUTOCLAIM", "s", "g", "c2", "400000", "0", "COUNT", "1", "JUSTID")
    once(differ, "XAUTOCLAIM", "s", "g", "c2", "400000", "(1-1", "COUNT", "1", "JUSTID")
    once(differ, "XAUTOCLAIM", "s", "g", "c2", "400000", "10-1", "COUNT", "3", "JUSTID")
    once(differ, "XAUTOCLAIM", "s", "g", "c2", "400000", "16-1", "COUNT", "1", "JUSTID")
    groups_state(differ)


@pytest.mark.parametrize("args", [
    ("c2", "abc", "0"), ("c2", "0", "abc"), ("c2", "0", "(18446744073709551615-18446744073709551615"),
    ("c2", "0", "0", "COUNT", "0"), ("c2", "0", "0", "COUNT", "-1"), ("c2", "0", "0", "COUNT", "x"),
    ("c2", "0", "0", "COUNT", "576460752303423487"), ("c2", "0", "0", "COUNT", "576460752303423488"),
    ("c2", "0", "0", "COUNT", "100000000000"),
    ("c2", "0", "0", "COUNT"), ("c2", "0", "0", "foo"),
])
def test_xautoclaim_errors(differ, args):
    stream_with_group(differ)
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">")
    once(differ, "XAUTOCLAIM", "s", "g", *args)
    groups_state(differ)


def test_xautoclaim_missing_key_group_type(differ):
    add(differ, "s", "1-1")
    differ.check("SET", "str", "x")
    differ.check("XAUTOCLAIM", "s", "nog", "c2", "0", "0")
    differ.check("XAUTOCLAIM", "nokey", "g", "c2", "0", "0")
    differ.check("XAUTOCLAIM", "nokey", "g", "c2", "x", "0")
    differ.check("XAUTOCLAIM", "str", "g", "c2", "0", "0")
    differ.check("XAUTOCLAIM", "str", "g", "c2", "0", "0", "foo")


# -- XINFO -------------------------------------------------------------------------------------------


def test_xinfo_stream_and_full(differ):
    once(differ, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    differ.check("XINFO", "STREAM", "s")
    differ.check("XINFO", "STREAM", "s", "FULL")
    add(differ, "s", "1-1", "2-1", "3-1")
    once(differ, "XGROUP", "CREATE", "s", "a", "2-1")
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">")
    once(differ, "XREADGROUP", "GROUP", "g", "c0", "STREAMS", "s", ">")
    differ.check("XINFO", "STREAM", "s")
    for args in [(), ("COUNT", "1"), ("COUNT", "0"), ("COUNT", "-1"), ("count", "2")]:
        check_timed(differ, "XINFO", "STREAM", "s", "FULL", *args)
    once(differ, "XDEL", "s", "1-1")
    differ.check("XINFO", "STREAM", "s")
    once(differ, "XDEL", "s", "2-1", "3-1")
    differ.check("XINFO", "STREAM", "s")
    check_timed(differ, "XINFO", "STREAM", "s", "FULL")


@pytest.mark.parametrize("args", [
    ("STREAM", "nokey"), ("STREAM", "nokey", "foo"), ("STREAM", "s", "foo"), ("STREAM", "s", "FULL", "COUNT"),
    ("STREAM", "s", "FULL", "COUNT", "x"), ("STREAM", "s", "FULL", "foo", "1"), ("STREAM", "s", "FULL", "COUNT", "1", "x"),
    ("GROUPS", "nokey"), ("CONSUMERS", "nokey", "g"), ("CONSUMERS", "s", "nog"), ("STREAM", "str"), ("GROUPS", "str"),
    ("CONSUMERS", "str", "g"), ("Stream", "s", "x"),
])
def test_xinfo_errors(differ, args):
    add(differ, "s", "1-1")
    differ.check("SET", "str", "x")
    differ.check("XINFO", *args)


def test_xinfo_consumers_and_groups_order(differ):
    stream_with_group(differ, group="zz")
    for group in ("b", "a", "ab", "A", "\xff"):
        once(differ, "XGROUP", "CREATE", "s", group, "0")
    for consumer in ("z", "", "y", "yy", "Y"):
        once(differ, "XGROUP", "CREATECONSUMER", "s", "a", consumer)
    differ.check("XINFO", "GROUPS", "s")
    check_timed(differ, "XINFO", "CONSUMERS", "s", "a")


@pytest.mark.parametrize("max_entries, count", [(1, 1), (2, 7), (3, 20), (5, 60), (100, 5)])
def test_radix_tree_counts(differ, setting, max_entries, count):
    setting("stream-node-max-entries", str(max_entries))
    rng = random.Random(max_entries * 1000 + count)
    ids = sorted({(rng.choice((1, 2, 255, 256, 70000, 2**40)) * rng.randrange(1, 4), rng.randrange(0, 600))
                  for _ in range(count)})
    add(differ, "s", *(f"{ms}-{seq}" for ms, seq in ids))
    differ.check("XINFO", "STREAM", "s")
    once(differ, "XTRIM", "s", "MAXLEN", "~", str(count // 2))
    differ.check("XINFO", "STREAM", "s")
    for ms, seq in ids[::3]:
        once(differ, "XDEL", "s", f"{ms}-{seq}")
    differ.check("XINFO", "STREAM", "s")


# -- types, WATCH, dirty, notifications ---------------------------------------------------------------


def test_copy_and_rename_keep_groups(differ):
    stream_with_group(differ)
    once(differ, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">")
    once(differ, "COPY", "s", "t")
    once(differ, "XACK", "t", "g", "1-1")
    groups_state(differ, "s")
    groups_state(differ, "t")
    once(differ, "RENAME", "t", "u")
    groups_state(differ, "u")


GROUP_WRITES = [
    ("XGROUP", "CREATE", "w", "g2", "0"), ("XGROUP", "SETID", "w", "g", "0"), ("XGROUP", "DESTROY", "w", "g"),
    ("XGROUP", "CREATECONSUMER", "w", "g", "c9"), ("XGROUP", "DELCONSUMER", "w", "g", "c1"),
    ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "w", ">"), ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "w", "0"),
    ("XACK", "w", "g", "1-1"), ("XCLAIM", "w", "g", "c2", "0", "1-1"), ("XAUTOCLAIM", "w", "g", "c2", "0", "0"),
    ("XINFO", "STREAM", "w"), ("XPENDING", "w", "g"),
]


def _group_setup(client) -> None:
    client.execute_command("DEL", "w")
    client.execute_command("XADD", "w", "1-1", "f", "v")
    client.execute_command("XADD", "w", "2-1", "f", "v")
    client.execute_command("XGROUP", "CREATE", "w", "g", "0")
    client.execute_command("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "w", ">")


@pytest.mark.parametrize("write", GROUP_WRITES)
def test_group_changes_do_not_touch_watched_keys(differ, write):
    def run(client):
        _group_setup(client)
        other = redis.Redis(port=client.connection_pool.connection_kwargs["port"], driver_info=None)
        client.execute_command("WATCH", "w")
        other.execute_command(*write)
        other.close()
        client.execute_command("MULTI")
        client.execute_command("PING")
        return client.execute_command("EXEC")

    differ.fresh(run, 1)


def test_mkstream_touches_watched_key(differ):
    def run(client):
        other = redis.Redis(port=client.connection_pool.connection_kwargs["port"], driver_info=None)
        client.execute_command("WATCH", "m")
        other.execute_command("XGROUP", "CREATE", "m", "g", "$", "MKSTREAM")
        other.close()
        client.execute_command("MULTI")
        client.execute_command("PING")
        return client.execute_command("EXEC")

    assert differ.fresh(run, 1) is None


def test_dirty_counts(differ):
    def changes(client) -> int:
        return int(client.info("persistence")["rdb_changes_since_last_save"])

    steps = [
        ("XGROUP", "CREATE", "d", "g", "0", "MKSTREAM"), ("XGROUP", "CREATE", "d", "g", "0"),
        ("XADD", "d", "1-1", "f", "v"), ("XADD", "d", "2-1", "f", "v"), ("XADD", "d", "3-1", "f", "v"),
        ("XGROUP", "CREATECONSUMER", "d", "g", "c"), ("XGROUP", "CREATECONSUMER", "d", "g", "c"),
        ("XREADGROUP", "GROUP", "g", "c2", "COUNT", "2", "STREAMS", "d", ">"),
        ("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "d", "0"), ("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "d", ">"),
        ("XREADGROUP", "GROUP", "g", "c3", "STREAMS", "d", ">"), ("XACK", "d", "g", "1-1", "2-1", "9-9"),
        ("XACK", "d", "g", "9-9"), ("XCLAIM", "d", "g", "c", "0", "3-1"), ("XCLAIM", "d", "g", "c", "0", "9-9"),
        ("XAUTOCLAIM", "d", "g", "c4", "0", "0"), ("XGROUP", "SETID", "d", "g", "0"),
        ("XGROUP", "DELCONSUMER", "d", "g", "c4"), ("XGROUP", "DELCONSUMER", "d", "g", "zz"),
        ("XGROUP", "DESTROY", "d", "g"), ("XGROUP", "DESTROY", "d", "g"), ("XPENDING", "d", "g"),
        ("XINFO", "STREAM", "d"),
    ]

    def run(client):
        deltas = []
        for cmd in steps:
            before = changes(client)
            try:
                client.execute_command(*cmd)
            except redis.ResponseError:
                pass
            deltas.append((cmd, changes(client) - before > 0))
        return deltas

    differ.fresh(run, 1)


NOTIFY_STEPS = [
    ("XGROUP", "CREATE", "n", "g", "$", "MKSTREAM"), ("XGROUP", "CREATE", "n", "g", "$"),
    ("XADD", "n", "1-1", "f", "v"), ("XADD", "n", "2-1", "f", "v"), ("XGROUP", "SETID", "n", "g", "0"),
    ("XGROUP", "CREATECONSUMER", "n", "g", "c"), ("XGROUP", "CREATECONSUMER", "n", "g", "c"),
    ("XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "n", ">"),
    ("XREADGROUP", "GROUP", "g", "c3", "STREAMS", "n", "0"), ("XACK", "n", "g", "1-1"),
    ("XCLAIM", "n", "g", "c4", "0", "2-1", "FORCE"), ("XAUTOCLAIM", "n", "g", "c5", "0", "0"),
    ("XGROUP", "DELCONSUMER", "n", "g", "c5"), ("XGROUP", "DELCONSUMER", "n", "g", "zz"),
    ("XGROUP", "DESTROY", "n", "g"), ("XGROUP", "DESTROY", "n", "g"),
]


def test_keyspace_notifications(ours_server, real_server):
    lines = [" ".join(step) for step in NOTIFY_STEPS]
    events = collect(real_server.port, "KEA", lines)
    assert collect(ours_server.port, "KEA", lines) == events
    assert (b"__keyevent@0__:xgroup-createconsumer", b"n") in events


def test_error_replies_are_errors(differ):
    reply = differ.check("XPENDING", "nokey", "g")
    assert isinstance(reply, ServerError) and str(reply).startswith("NOGROUP")


def _random_group_step(rng: random.Random, next_ms: int) -> tuple:
    some_id = f"{rng.randrange(1, next_ms + 1)}-1"
    group = rng.choice(("g", "h"))
    consumer = rng.choice(("c1", "c2", "c3"))
    step = rng.random()
    if step < 0.25:
        return ("XADD", "s", f"{next_ms}-1", "f", str(next_ms))
    if step < 0.3:
        return ("XDEL", "s", some_id)
    if step < 0.33:
        return ("XTRIM", "s", "MAXLEN", str(rng.randrange(2, 8)))
    if step < 0.5:
        options = rng.choice(((), ("COUNT", str(rng.randrange(0, 4))), ("NOACK",)))
        start = rng.choice((">", ">", "0", some_id))
        return ("XREADGROUP", "GROUP", group, consumer, *options, "STREAMS", "s", start)
    if step < 0.6:
        return ("XACK", "s", group, some_id, f"{rng.randrange(1, next_ms + 1)}-1")
    if step < 0.7:
        options = rng.choice(((), ("JUSTID",), ("FORCE",), ("RETRYCOUNT", "5"), ("LASTID", some_id)))
        return ("XCLAIM", "s", group, consumer, "0", some_id, *options)
    if step < 0.8:
        return ("XAUTOCLAIM", "s", group, consumer, "0", rng.choice(("0", some_id)), "COUNT", str(rng.randrange(1, 4)),
                *rng.choice(((), ("JUSTID",))))
    if step < 0.87:
        return ("XGROUP", "SETID", "s", group, rng.choice(("0", "$", some_id)))
    if step < 0.91:
        return ("XGROUP", "CREATECONSUMER", "s", group, consumer)
    if step < 0.95:
        return ("XSETID", "s", f"{next_ms - 1}-1", "ENTRIESADDED", str(next_ms - 1 + rng.randrange(0, 3)),
                "MAXDELETEDID", rng.choice(("0-0", some_id)))
    return ("XGROUP", "DELCONSUMER", "s", group, consumer)


@pytest.mark.parametrize("seed", range(8))
def test_random_walk(differ, setting, seed):
    """Seeded random group commands; replies and the whole state (XINFO STREAM FULL) after each.
    Odd seeds use 3-entry listpack nodes, so trims and deletions move the radix-tree counts."""
    if seed % 2:
        setting("stream-node-max-entries", "3")
    rng = random.Random(seed)
    once(differ, "XGROUP", "CREATE", "s", "g", "0", "MKSTREAM")
    once(differ, "XGROUP", "CREATE", "s", "h", "$")
    next_ms = 1
    for _ in range(60):
        command = _random_group_step(rng, next_ms)
        if command[0] == "XADD":
            next_ms += 1
        check_timed(differ, *command, resp3=False)
        check_timed(differ, "XINFO", "STREAM", "s", "FULL", "COUNT", "0", resp3=False)
    check_timed(differ, "XINFO", "STREAM", "s", "FULL")
    differ.check("XPENDING", "s", "g")


KEYMISS_STEPS = [
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "nokey", ">"), ("XACK", "nokey", "g", "1-1"),
    ("XCLAIM", "nokey", "g", "c", "0", "1-1"), ("XAUTOCLAIM", "nokey", "g", "c", "0", "0"),
    ("XPENDING", "nokey", "g"), ("XINFO", "STREAM", "nokey"), ("XGROUP", "CREATECONSUMER", "nokey", "g", "c"),
    ("XGROUP", "CREATE", "nokey", "g", "$"), ("XGROUP", "DESTROY", "nokey", "g"),
]


def test_keymiss_events(ours_server, real_server):
    """Which commands look their key up as a read (a ``keymiss`` event on a missing key)."""
    lines = [" ".join(step) for step in KEYMISS_STEPS]
    events = collect(real_server.port, "Em", lines)
    assert collect(ours_server.port, "Em", lines) == events
    assert (b"__keyevent@0__:keymiss", b"nokey") in events
